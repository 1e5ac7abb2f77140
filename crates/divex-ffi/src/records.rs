//! Typed disclosure records (spec/records.md).
//!
//! Every record type of the catalogue crosses the boundary as a typed record: a uniffi record
//! per type ([`DrugTest`], [`Attendance`], …, one field per catalogue field, optional fields
//! defaulting to absent) inside [`TypedRecord`], built into a [`Record`] with
//! [`Record::new`] and read back with [`Record::typed`]. They are generated from the core's
//! record catalogue (`divex_core::record_catalogue!`), so a record type added there reaches
//! Python and Kotlin with no edit here.
//!
//! Dates cross as text `YYYY-MM-DD` and vocabulary values as their tokens, exactly as in a
//! record's CBOR and JSON, so a wrong date or token is refused by the core's own check, with
//! the same field-named error as any other path. Any type can also be built from its JSON map
//! ([`Record::from_json`]: the record's CBOR field names and values, a drug test's
//! `collected_at` in Unix seconds, hours in tenths, absent optional fields left out). Every
//! path ends in the core's `Record::from_json` (typed records cross as their JSON form), so a
//! record is checked exactly as one inside an envelope is.

use std::sync::Arc;

use divex_core::error::CodecError;
use divex_core::records::{self as core, RecordError, RecordType};
use divex_core::vocab::Vocabulary;
use serde::{Deserialize, Serialize};

use crate::error::{DivexError, Result};

/// One result of a drug test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
#[serde(deny_unknown_fields)]
pub struct AnalyteResult {
    /// The analyte, e.g. `fentanyl`.
    pub analyte: String,
    /// `negative`, `negative_dilute`, `positive`, `positive_dilute`, `adulterated`,
    /// `substituted`, `invalid` or `rejected`.
    pub result: String,
}

/// The FFI type of a field of a catalogue kind: dates and vocabulary values as their text,
/// lists as lists.
macro_rules! ffi_type {
    (short_text) => { String };
    (summary_text) => { String };
    (note_text) => { String };
    (date) => { String };
    (count) => { u32 };
    (timestamp) => { u64 };
    (bool) => { bool };
    (vocabulary) => { String };
    (text_list) => { Vec<String> };
    (vocabulary_list) => { Vec<String> };
    (code_list) => { Vec<String> };
    (analyte_results) => { Vec<AnalyteResult> };
}

/// One typed record struct: a muncher over the fields, so that optional fields get their
/// `Option`, their uniffi default (absent) and serde's "omit when absent".
macro_rules! typed_record {
    ($Type:ident, $summary:literal; [$($fields:tt)*];) => {
        #[doc = $summary]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
        #[uniffi::export(Display)]
        #[serde(deny_unknown_fields)]
        pub struct $Type {
            $($fields)*
        }

        /// The type only, as the bindings print it (`str()`, `toString()`): a record's values
        /// are protected health information.
        impl std::fmt::Display for $Type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($Type), "(..)"))
            }
        }
    };
    ($Type:ident, $summary:literal; [$($fields:tt)*];
        $field:ident $(as $wire:literal)?: required $kind:ident, $description:literal;
        $($rest:tt)*) => {
        typed_record!($Type, $summary; [$($fields)*
            #[doc = $description]
            $(#[serde(rename = $wire)])?
            pub $field: ffi_type!($kind),
        ]; $($rest)*);
    };
    ($Type:ident, $summary:literal; [$($fields:tt)*];
        $field:ident $(as $wire:literal)?: optional $kind:ident, $description:literal;
        $($rest:tt)*) => {
        typed_record!($Type, $summary; [$($fields)*
            #[doc = $description]
            #[uniffi(default)]
            $(#[serde(rename = $wire)])?
            #[serde(skip_serializing_if = "Option::is_none")]
            pub $field: Option<ffi_type!($kind)>,
        ]; $($rest)*);
    };
}

/// Everything this module generates from the catalogue (the callback of
/// `divex_core::record_catalogue!`).
macro_rules! typed_records {
    ($(
        $(#[doc = $doc:literal])*
        $(#[cfg($cfg:meta)])?
        $Type:ident {
            token: $token:literal,
            summary: $summary:literal,
            $(period: ($($period:ident),+),)?
            $(rules: $rules:ident,)?
            fields: {$(
                $(#[doc = $fdoc:literal])*
                $field:ident $(as $wire:literal)?:
                    $presence:ident $kind:ident $(($($karg:tt)*))?,
                    $tier:ident, $builder:ident, $description:literal;
            )+}
        }
    )+) => {
        $(
            typed_record!($Type, $summary; [];
                $($field $(as $wire)?: $presence $kind, $description;)+);
        )+

        /// A record of any type, typed: one variant per record type of the catalogue.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
        pub enum TypedRecord {$(
            #[doc = $summary]
            $Type {
                /// The record's fields.
                record: $Type,
            },
        )+}

        impl TypedRecord {
            /// The core record these fields make, checked as any record is.
            fn into_core(self) -> Result<core::Record> {
                match self {$(
                    TypedRecord::$Type { record } => decode(RecordType::$Type, &record),
                )+}
            }

            /// The fields of a core record.
            fn from_core(r: &core::Record) -> Result<TypedRecord> {
                let json = r.to_json();
                Ok(match r.record_type() {$(
                    RecordType::$Type => TypedRecord::$Type {
                        record: serde_json::from_str(&json).map_err(typed_form)?,
                    },
                )+})
            }
        }
    };
}

divex_core::record_catalogue!(typed_records);

/// The core record of type `rt` that the typed fields `fields` give.
fn decode(rt: RecordType, fields: &impl Serialize) -> Result<core::Record> {
    let json = serde_json::to_vec(fields).map_err(typed_form)?;
    Ok(core::Record::from_json(rt, &json)?)
}

/// A typed record that does not match its JSON form (a schema error of the record; serde's
/// message is dropped: it could quote a value).
fn typed_form(_: serde_json::Error) -> RecordError {
    RecordError::Codec(CodecError::Schema(
        "the record does not match its typed form".into(),
    ))
}

/// One field of a record type's schema.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldSpec {
    /// The field's name.
    pub name: String,
    /// Its sensitivity tier: `t1`, `t2`, `t3`, `cj` or `lead`.
    pub tier: String,
    /// Whether every record of the type carries it (required fields cannot be redacted).
    pub required: bool,
    /// What it holds.
    pub description: String,
    /// What it holds, for programs: `short_text`, `summary_text`, `note_text`, `date`,
    /// `count`, `timestamp`, `bool`, `vocabulary`, `text_list`, `vocabulary_list`,
    /// `code_list` or `analyte_results`.
    pub kind: String,
}

fn field_spec(f: &core::FieldSpec) -> FieldSpec {
    FieldSpec {
        name: f.name.to_owned(),
        tier: f.tier.as_str().to_owned(),
        required: f.required,
        description: f.description.to_owned(),
        kind: f.kind.as_str().to_owned(),
    }
}

pub(crate) fn record_type(s: &str) -> Result<RecordType> {
    RecordType::parse(s).ok_or_else(|| {
        DivexError::invalid(
            "unknown_record_type",
            format!(
                "unknown record type; expected one of {}",
                record_types().join(", ")
            ),
        )
    })
}

/// The record type tokens, in catalogue order.
#[uniffi::export]
pub fn record_types() -> Vec<String> {
    RecordType::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect()
}

/// Every field of a record type with its tier.
#[uniffi::export]
pub fn record_schema(record_type: String) -> Result<Vec<FieldSpec>> {
    Ok(self::record_type(&record_type)?
        .schema()
        .iter()
        .map(field_spec)
        .collect())
}

/// A valid record of one of the catalogue's types. Immutable; equal records compare equal in
/// every language (`==`, `equals`). It is never printed: records are protected health
/// information.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Eq)]
pub struct Record {
    pub(crate) inner: core::Record,
}

impl Record {
    pub(crate) fn wrap(inner: core::Record) -> Arc<Record> {
        Arc::new(Record { inner })
    }
}

#[uniffi::export]
impl Record {
    /// The record with these typed fields, e.g. `TypedRecord::DrugTest { record: DrugTest {
    /// .. } }`.
    #[uniffi::constructor]
    pub fn new(record: TypedRecord) -> Result<Arc<Record>> {
        Ok(Record::wrap(record.into_core()?))
    }

    /// A record of type `record_type` (e.g. `drug_test`) from its JSON map.
    #[uniffi::constructor]
    pub fn from_json(record_type: String, json: String) -> Result<Arc<Record>> {
        let rt = self::record_type(&record_type)?;
        Ok(Record::wrap(core::Record::from_json(rt, json.as_bytes())?))
    }

    /// A record from its strict CBOR encoding.
    #[uniffi::constructor]
    pub fn from_bytes(record_type: String, bytes: Vec<u8>) -> Result<Arc<Record>> {
        let rt = self::record_type(&record_type)?;
        Ok(Record::wrap(core::Record::from_bytes(rt, &bytes)?))
    }

    /// The record's typed fields.
    pub fn typed(&self) -> Result<TypedRecord> {
        TypedRecord::from_core(&self.inner)
    }

    /// The record type token.
    pub fn record_type(&self) -> String {
        self.inner.record_type().as_str().to_owned()
    }

    /// The record as a JSON map (the shape [`Record::from_json`] takes).
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The strict CBOR encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The fields present, with their tiers.
    pub fn fields(&self) -> Vec<FieldSpec> {
        self.inner
            .present_fields()
            .into_iter()
            .map(field_spec)
            .collect()
    }

    /// A copy without the named optional fields (what redact mode does when sealing).
    pub fn redact(&self, fields: Vec<String>) -> Result<Arc<Record>> {
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        Ok(Record::wrap(self.inner.redact(&names)?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// JSON the core's bridge refuses is invalid input (`json`) naming the path; a record the
    /// JSON describes but the catalogue refuses is a record error (moved from the former
    /// `json.rs`, whose bridge is the core's `Record::from_json` now).
    #[test]
    fn json_refusals_are_invalid_input_naming_the_path() {
        let e = Record::from_json("attendance".into(), r#"{"a": [1, 2.5]}"#.into()).unwrap_err();
        assert!(matches!(
            &e,
            DivexError::InvalidInput { code, detail } if code == "json"
                && detail == "at $.a[1]: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
        ));
        let e =
            Record::from_json("attendance".into(), r#"{"date": "2026-09-20"}"#.into()).unwrap_err();
        assert!(matches!(&e, DivexError::Record { .. }), "{e:?}");
        let r = Record::from_json(
            "attendance".into(),
            r#"{"date": "2026-09-20", "service_type": "group", "status": "present"}"#.into(),
        )
        .unwrap();
        assert_eq!(
            r.to_json(),
            r#"{"date":"2026-09-20","service_type":"group","status":"present"}"#
        );
        assert_eq!(
            Record::new(r.typed().unwrap()).unwrap().to_bytes(),
            r.to_bytes()
        );
    }
}

//! Typed disclosure records (spec/records.md).
//!
//! Every record type of the catalogue crosses the boundary as a typed record: a uniffi record
//! per type ([`DrugTest`], [`Attendance`], …, one field per catalogue field, optional fields
//! defaulting to absent) inside [`TypedRecord`], built into a [`Record`] with
//! [`Record::new`] and read back with [`Record::typed`]. They, the [`RecordType`] enum and the
//! [`FieldKind`]s their fields use are generated from the core's record catalogue
//! (`divex_core::record_catalogue!`), so a record type added there reaches Python and Kotlin
//! with no edit here.
//!
//! Inside a typed record, dates cross as text `YYYY-MM-DD` and vocabulary values as their
//! tokens, exactly as in a record's CBOR and JSON, so a wrong date or token is refused by the
//! core's own record check with the same field-named error as any other path
//! ([`divex_core::records::Record::from_fields`]). Any type can also be built from its JSON map
//! ([`Record::from_json`]) or its bytes.

use std::sync::Arc;

use divex_core::records::{self as core, Kind, RecordType, Tier};
use serde::{Deserialize, Serialize};

use crate::error::Result;

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

        /// The record types, in catalogue order (the core's enum, generated from the same
        /// catalogue, so it cannot drift).
        #[uniffi::remote(Enum)]
        pub enum RecordType {$(
            #[doc = $summary]
            $Type,
        )+}

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
                Ok(match self {$(
                    TypedRecord::$Type { record } => {
                        core::Record::from_fields(RecordType::$Type, &record)?
                    }
                )+})
            }

            /// The fields of a core record.
            fn from_core(r: &core::Record) -> Result<TypedRecord> {
                Ok(match r.record_type() {$(
                    RecordType::$Type => TypedRecord::$Type { record: r.fields_as()? },
                )+})
            }
        }
    };
}

divex_core::record_catalogue!(typed_records);

/// A field's sensitivity tier (DOMAIN.md §4).
#[uniffi::remote(Enum)]
pub enum Tier {
    /// Participation: reveals that the person is in SUD treatment.
    T1,
    /// Compliance detail (tests, intake, progress).
    T2,
    /// Clinical detail, denied to justice recipients by default.
    T3,
    /// Justice data flowing to treatment.
    Cj,
    /// LEAD case-management data; carries the `no_adverse_action` restriction.
    Lead,
}

/// What a field holds (spec/records.md §3): the core's `Kind` without its bounds. The `From`
/// below matches the core's enum exhaustively (it is not `#[non_exhaustive]`), so a new kind
/// fails to compile here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FieldKind {
    /// Short text without control characters.
    ShortText,
    /// A summary: text with line breaks and tabs allowed.
    SummaryText,
    /// A note: longer text with line breaks and tabs allowed.
    NoteText,
    /// A calendar date, text `YYYY-MM-DD`.
    Date,
    /// An unsigned count within the field's bounds.
    Count,
    /// Seconds since the Unix epoch (UTC).
    Timestamp,
    /// `true` or `false`.
    Bool,
    /// One token of a closed vocabulary.
    Vocabulary,
    /// A list of short texts.
    TextList,
    /// A list of tokens of one vocabulary.
    VocabularyList,
    /// A list of ICD-10-CM codes.
    CodeList,
    /// A drug test's per-analyte results.
    AnalyteResults,
}

impl From<&Kind> for FieldKind {
    fn from(k: &Kind) -> FieldKind {
        match k {
            Kind::ShortText => FieldKind::ShortText,
            Kind::SummaryText => FieldKind::SummaryText,
            Kind::NoteText => FieldKind::NoteText,
            Kind::Date => FieldKind::Date,
            Kind::Count { .. } => FieldKind::Count,
            Kind::Timestamp => FieldKind::Timestamp,
            Kind::Bool => FieldKind::Bool,
            Kind::Vocabulary { .. } => FieldKind::Vocabulary,
            Kind::TextList => FieldKind::TextList,
            Kind::VocabularyList { .. } => FieldKind::VocabularyList,
            Kind::CodeList => FieldKind::CodeList,
            Kind::AnalyteResults => FieldKind::AnalyteResults,
        }
    }
}

/// One field of a record type's schema.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldSpec {
    /// The field's name.
    pub name: String,
    /// Its sensitivity tier.
    pub tier: Tier,
    /// Whether every record of the type carries it (required fields cannot be redacted).
    pub required: bool,
    /// What it holds.
    pub description: String,
    /// What it holds, for programs.
    pub kind: FieldKind,
}

impl From<&core::FieldSpec> for FieldSpec {
    fn from(f: &core::FieldSpec) -> Self {
        FieldSpec {
            name: f.name.to_owned(),
            tier: f.tier,
            required: f.required,
            description: f.description.to_owned(),
            kind: (&f.kind).into(),
        }
    }
}

/// The record types, in catalogue order.
#[uniffi::export]
pub fn record_types() -> Vec<RecordType> {
    RecordType::ALL.to_vec()
}

/// The record type whose token is `token` (e.g. `drug_test`, as JSON and the envelope's
/// header write it).
#[uniffi::export]
pub fn parse_record_type(token: String) -> Result<RecordType> {
    Ok(token.parse()?)
}

/// Every field of a record type with its tier.
#[uniffi::export]
pub fn record_schema(record_type: RecordType) -> Vec<FieldSpec> {
    record_type.schema().iter().map(FieldSpec::from).collect()
}

/// A valid record of one of the catalogue's types. Immutable; equal records compare and hash
/// equal in every language (`==`, `hash`, `equals`, `hashCode`). It prints as its type only
/// (`Record(drug_test)`): a record's values are protected health information.
#[derive(Clone, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Debug, Display, Eq, Hash)]
pub struct Record {
    pub(crate) inner: core::Record,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Record({})", self.inner.record_type())
    }
}

impl std::fmt::Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

/// The hash of the record's strict encoding: equal records have equal encodings.
impl std::hash::Hash for Record {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.to_bytes().hash(state);
    }
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

    /// A record of type `record_type` from its JSON map (the record's CBOR field names and
    /// values, a drug test's `collected_at` in Unix seconds, hours in tenths, absent optional
    /// fields left out).
    #[uniffi::constructor]
    pub fn from_json(record_type: RecordType, json: String) -> Result<Arc<Record>> {
        Ok(Record::wrap(core::Record::from_json(
            record_type,
            json.as_bytes(),
        )?))
    }

    /// A record from its strict CBOR encoding.
    #[uniffi::constructor]
    pub fn from_bytes(record_type: RecordType, bytes: Vec<u8>) -> Result<Arc<Record>> {
        Ok(Record::wrap(core::Record::from_bytes(record_type, &bytes)?))
    }

    /// The record's typed fields.
    pub fn typed(&self) -> Result<TypedRecord> {
        TypedRecord::from_core(&self.inner)
    }

    /// The record type.
    pub fn record_type(&self) -> RecordType {
        self.inner.record_type()
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
            .map(FieldSpec::from)
            .collect()
    }

    /// A copy without the named optional fields (what redact mode does when sealing).
    pub fn redact(&self, fields: Vec<String>) -> Result<Arc<Record>> {
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        Ok(Record::wrap(self.inner.redact(&names)?))
    }
}

#[cfg(test)]
mod tests;

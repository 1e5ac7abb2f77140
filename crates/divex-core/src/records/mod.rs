//! Typed disclosure records (spec/records.md): the thirteen record types of the divex record
//! catalogue, each field with its sensitivity [`Tier`], strict CBOR encoding and validation.
//!
//! A record is a CBOR map from field name (text) to value. Only present fields are encoded; an
//! absent optional field is omitted, never `null`. Encoding is divex's strict deterministic
//! CBOR ([`codec`]), and [`Record::from_bytes`] accepts exactly the bytes [`Record::to_bytes`]
//! produces for a valid record.
//!
//! Every field's tier is part of the schema ([`RecordType::schema`]), so the consent engine
//! can check a record against a consent field by field (DOMAIN.md §4) and apply minimum
//! necessary (42 CFR §2.13(a)) by redacting optional fields ([`Record::redact`]).
//!
//! * **Dates** are [`Date`]s, encoded as text `YYYY-MM-DD` (proleptic Gregorian, years
//!   1900–9999).
//! * **Times** (only a drug test's `collected_at`) are unsigned integers, seconds since the
//!   Unix epoch (UTC), as the envelope's issued-at is.
//! * **Hours** are integers in tenths of an hour: divex CBOR has no floating point.
//! * **Errors** ([`RecordError`]) name the record type and field, never the value: records are
//!   protected health information.
//!
//! ```
//! use divex_core::records::{
//!     Confirmation, Date, DrugTest, Record, RecordType, Specimen, TestResult, Tier,
//! };
//!
//! let test = DrugTest::new(1_790_000_000, Specimen::Urine, true, "10-panel")
//!     .with_result("fentanyl", TestResult::Negative)
//!     .with_result("amphetamines", TestResult::Negative)
//!     .with_confirmation(Confirmation::NotRequired);
//! let record = Record::from(test);
//! record.validate()?;
//!
//! let bytes = record.to_bytes();
//! let back = Record::from_bytes(RecordType::DrugTest, &bytes)?;
//! assert_eq!(back, record);
//! assert!(back.present_fields().iter().all(|f| f.tier == Tier::T2));
//! assert_eq!(back.period(), Some((Date::new(2026, 9, 21)?, Date::new(2026, 9, 21)?)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Layout
//!
//! * `catalogue.rs` — **the one declaration of every record type** and its fields;
//! * `macros.rs` — `define_records!`, which generates the structs, builders, schema tables,
//!   field checks, [`RecordType`] and [`Record`] from the catalogue;
//! * `rules.rs` — the cross-field rules, the only per-type code written by hand;
//! * `checks.rs` — what each field [`Kind`] checks (shape of a decoded map, a field's own
//!   bounds);
//! * `schema.rs` — [`Tier`], [`Kind`], [`FieldSpec`];
//! * `vocabularies.rs` — the closed vocabularies and the [`Vocabulary`] trait;
//! * `date.rs` — [`Date`] and the civil calendar;
//! * `description.rs` — a record described as JSON ([`Record::from_json`]) or as any serde
//!   value ([`Record::from_fields`]);
//! * `error.rs` — [`RecordError`].

use std::fmt;

use crate::codec::{self, CodecError, DecodeLimits, Map, Value};
use crate::json::{self, JsonError};

#[macro_use]
mod macros;
mod catalogue;
mod checks;
mod date;
mod description;
mod error;
pub(crate) mod limits;
mod rules;
mod schema;
#[cfg(test)]
mod tests;
mod vocabularies;

#[cfg(test)]
pub(crate) use catalogue::TestOnlyNote;
pub use catalogue::{
    Attendance, CaseDisposition, ClinicalDetail, CounselingNote, CourtEvent, CourtResponse,
    Discharge, DrugTest, Enrollment, IntakeStatus, LeadStatus, ProgressReport, Record, RecordType,
    Referral,
};
pub use date::{Date, InvalidDate, format_unix_time};
pub use error::RecordError;
pub(crate) use limits::*;
pub use schema::{AnalyteResult, FieldSpec, Kind, Tier};
pub use vocabularies::{
    AsamLevel, AttendanceStatus, ComplianceStatus, Confirmation, CourtEventKind, DischargeReason,
    Disposition, LeadEngagement, Moud, PhaseChange, PlanDomain, ProgramOutcome,
    ProgramRecommendation, RecommendedResponse, ReferralSource, ServiceType, Specimen, TestResult,
    Vocabulary,
};

// =============================================================================================
// Record types and records: what does not depend on the type (the rest is generated from the
// catalogue).

impl RecordType {
    /// The schema entry of field `name`, if the type has such a field.
    pub(crate) fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.schema().iter().find(|f| f.name == name)
    }

    /// Whether this is justice data flowing from the justice system to treatment (tier CJ):
    /// referral, court response, court event, case disposition — the types whose every
    /// field is tier CJ.
    pub(crate) fn is_justice_data(&self) -> bool {
        self.schema().iter().all(|f| f.tier == Tier::Cj)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token that names no record type. Its message lists the tokens that do, never the value
/// given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRecordType;

impl fmt::Display for UnknownRecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown record type; expected one of ")?;
        for (i, t) in RecordType::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(t.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownRecordType {}

crate::error::classified!(UnknownRecordType, Input, |_e| "unknown_record_type");

impl std::str::FromStr for RecordType {
    type Err = UnknownRecordType;

    /// The record type with token `s` (`drug_test`, ...).
    fn from_str(s: &str) -> Result<RecordType, UnknownRecordType> {
        RecordType::parse(s).ok_or(UnknownRecordType)
    }
}

impl Record {
    /// The record as a CBOR map from field name to value, present fields only.
    pub(crate) fn to_value(&self) -> Value {
        // Serialising these types cannot fail: they hold only text, unsigned integers,
        // booleans, lists and maps. Should it ever fail, the empty map fails closed (every
        // record type has required fields, so no decoder accepts it).
        self.serialize_value()
            .unwrap_or_else(|_| Value::Map(Map::new()))
    }

    /// The strict deterministic CBOR encoding of the record (its CBOR map, spec/records.md).
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(&self.to_value())
    }

    /// The record of type `rt` that `v` encodes. Strict: every key must be a field of `rt`,
    /// every required field present, no `null`s, every value of the field's CBOR type and
    /// vocabulary; then the record is validated, and it must map back to exactly `v`.
    pub(crate) fn from_value(rt: RecordType, v: &Value) -> Result<Record, RecordError> {
        checks::check_shape(rt, v)?;
        // serde's message is dropped: it could quote a value.
        let record = Record::deserialize_value(rt, v).map_err(|_| {
            RecordError::Codec(CodecError::Schema(format!(
                "the {rt} record does not match its schema"
            )))
        })?;
        record.validate()?;
        if record.to_value() != *v {
            return Err(RecordError::Codec(CodecError::NotCanonical));
        }
        Ok(record)
    }

    /// Decodes a record of type `rt` strictly: the bytes must be strict deterministic CBOR
    /// (within bounds checked before anything is allocated), hold exactly the fields of `rt`
    /// with values of their kinds, pass [`Record::validate`], and be exactly the bytes
    /// [`Record::to_bytes`] produces for the result.
    pub fn from_bytes(rt: RecordType, b: &[u8]) -> Result<Record, RecordError> {
        let v = codec::decode_with(b, &DECODE_LIMITS)?;
        let record = Record::from_value(rt, &v)?;
        if record.to_bytes() != b {
            return Err(RecordError::Codec(CodecError::NotCanonical));
        }
        Ok(record)
    }

    /// The record of type `rt` that the JSON object `json` describes: field names as keys,
    /// text, whole numbers, booleans and lists as their JSON forms, optional fields left out
    /// (never `null`), hours in tenths (divex has no fractions). It gets exactly the checks
    /// of [`Record::from_bytes`]. The input is bounded before it is parsed, and errors name a
    /// JSON path (`$.results[0].analyte`) or a field, never a value: records are protected
    /// health information. A refusal of the record itself is [`JsonError::Record`].
    ///
    /// ```
    /// use divex_core::records::{Record, RecordType};
    ///
    /// let json = br#"{"date": "2026-03-10", "service_type": "group", "status": "present", "hours_tenths": 15}"#;
    /// let record = Record::from_json(RecordType::Attendance, json)?;
    /// assert_eq!(
    ///     record.to_json(),
    ///     r#"{"date":"2026-03-10","hours_tenths":15,"service_type":"group","status":"present"}"#
    /// );
    /// assert!(Record::from_json(RecordType::Attendance, br#"{"date": "2026-03-10", "hours_tenths": 1.5}"#).is_err());
    /// # Ok::<(), divex_core::error::JsonError>(())
    /// ```
    pub fn from_json(rt: RecordType, json: &[u8]) -> Result<Record, JsonError> {
        // Records have no byte fields: every JSON string is text. The codec's default bounds,
        // not the record's decoding bounds: an over-deep or over-long description is then
        // refused by the record's own checks, naming the field.
        let v = json::parse(json, &DecodeLimits::DEFAULT, &json::no_bytes)?;
        Ok(Record::from_value(rt, &v)?)
    }

    /// The record as a compact JSON object (field names as keys, in the order of their CBOR
    /// encoding): what [`Record::from_json`] reads back.
    pub fn to_json(&self) -> String {
        json::to_json_text(&self.to_value())
    }

    /// The schema entries of the fields present in this record, in schema order.
    pub fn present_fields(&self) -> Vec<&'static FieldSpec> {
        let v = self.to_value();
        let Some(map) = v.as_map() else {
            return Vec::new();
        };
        self.record_type()
            .schema()
            .iter()
            .filter(|f| map.get(&Value::from(f.name)).is_some())
            .collect()
    }

    /// The record without the optional fields named in `fields` (minimum necessary,
    /// 42 CFR §2.13(a)). Naming an absent optional field is allowed; naming a required field
    /// is [`RecordError::RequiredField`], a field the type does not have
    /// [`RecordError::UnknownField`]. The result is validated, so a redaction that would
    /// leave an invalid record (a drug test with neither results nor program outcome) is
    /// refused with the validation error.
    pub fn redact(&self, fields: &[&str]) -> Result<Record, RecordError> {
        let rt = self.record_type();
        for name in fields {
            let spec = rt.field(name).ok_or_else(|| RecordError::UnknownField {
                record: rt,
                field: error::printable_field_name(name),
            })?;
            if spec.required {
                return Err(RecordError::RequiredField {
                    record: rt,
                    field: spec.name,
                });
            }
        }
        let v = self.to_value();
        let mut kept = Map::new();
        if let Some(map) = v.as_map() {
            for (key, value) in map.iter() {
                if !key.as_text().is_some_and(|k| fields.contains(&k)) {
                    kept.insert(key.clone(), value.clone())?;
                }
            }
        }
        Record::from_value(rt, &Value::Map(kept))
    }
}

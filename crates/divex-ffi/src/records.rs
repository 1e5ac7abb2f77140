//! Typed disclosure records (spec/records.md).
//!
//! Every one of the thirteen record types is built with [`Record::from_json`]: the JSON map
//! has the record's CBOR field names and values (dates `YYYY-MM-DD`, a drug test's
//! `collected_at` in Unix seconds, hours in tenths, vocabulary values as their tokens; an
//! absent optional field is left out, never `null`). The three records a treatment provider
//! sends most often also have typed constructors ([`Record::drug_test`],
//! [`Record::attendance`], [`Record::progress_report`]). Both paths end in the core's
//! `Record::from_value`, so a record is checked exactly as one inside an envelope is.

use std::sync::Arc;

use divex_core::codec::{Map, Value};
use divex_core::records::{self as core, RecordType};

use crate::error::{DivexError, Result};
use crate::json;

/// One result of a drug test.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AnalyteResult {
    /// The analyte, e.g. `fentanyl`.
    pub analyte: String,
    /// `negative`, `negative_dilute`, `positive`, `positive_dilute`, `adulterated`,
    /// `substituted`, `invalid` or `rejected`.
    pub result: String,
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
}

fn field_spec(f: &core::FieldSpec) -> FieldSpec {
    FieldSpec {
        name: f.name.to_owned(),
        tier: f.tier.as_str().to_owned(),
        required: f.required,
        description: f.description.to_owned(),
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

/// A valid record of one of the thirteen types. Immutable; equal records compare equal in
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

    fn from_map(rt: RecordType, entries: Vec<(&str, Option<Value>)>) -> Result<Arc<Record>> {
        let mut m = Map::new();
        for (k, v) in entries {
            if let Some(v) = v {
                m.insert(Value::from(k), v).map_err(|_| {
                    DivexError::invalid("argument", "a record field is given twice")
                })?;
            }
        }
        let r = core::Record::from_value(rt, &Value::Map(m))?;
        Ok(Record::wrap(r))
    }
}

fn text(s: String) -> Option<Value> {
    Some(Value::Text(s))
}

fn opt_text(s: Option<String>) -> Option<Value> {
    s.map(Value::Text)
}

fn opt_u32(n: Option<u32>) -> Option<Value> {
    n.map(|n| Value::from(u64::from(n)))
}

#[uniffi::export]
impl Record {
    /// A record of type `record_type` (e.g. `drug_test`) from its JSON map.
    #[uniffi::constructor]
    pub fn from_json(record_type: String, json: String) -> Result<Arc<Record>> {
        let rt = self::record_type(&record_type)?;
        let v = json::parse(&json, &|_| false)?;
        Ok(Record::wrap(core::Record::from_value(rt, &v)?))
    }

    /// A record from its strict CBOR encoding.
    #[uniffi::constructor]
    pub fn from_bytes(record_type: String, bytes: Vec<u8>) -> Result<Arc<Record>> {
        let rt = self::record_type(&record_type)?;
        Ok(Record::wrap(core::Record::from_bytes(rt, &bytes)?))
    }

    /// A drug test (tier t2). `collected_at` is Unix seconds; `specimen` is `urine`,
    /// `oral_fluid`, `breath`, `blood`, `sweat_patch` or `hair`; `confirmation` is
    /// `not_required`, `pending`, `confirmed_positive` or `confirmed_negative`;
    /// `program_outcome` is `missed`, `refused` or `tampered`.
    #[allow(clippy::too_many_arguments)]
    #[uniffi::constructor]
    pub fn drug_test(
        collected_at: u64,
        specimen: String,
        observed: bool,
        panel: String,
        results: Vec<AnalyteResult>,
        confirmation: Option<String>,
        program_outcome: Option<String>,
        prescription_consistent: Option<bool>,
    ) -> Result<Arc<Record>> {
        let results = results
            .into_iter()
            .map(|r| {
                Value::map([
                    (Value::from("analyte"), Value::Text(r.analyte)),
                    (Value::from("result"), Value::Text(r.result)),
                ])
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| DivexError::invalid("argument", "a drug test result is malformed"))?;
        Record::from_map(
            RecordType::DrugTest,
            vec![
                ("collected_at", Some(Value::from(collected_at))),
                ("specimen", text(specimen)),
                ("observed", Some(Value::Bool(observed))),
                ("panel", text(panel)),
                ("results", Some(Value::Array(results))),
                ("confirmation", opt_text(confirmation)),
                ("program_outcome", opt_text(program_outcome)),
                (
                    "prescription_consistent",
                    prescription_consistent.map(Value::Bool),
                ),
            ],
        )
    }

    /// One attendance entry (tier t1). `date` is `YYYY-MM-DD`; `service_type` is
    /// `individual`, `group`, `intensive_outpatient`, `residential`, `case_management` or
    /// `other`; `status` is `present`, `absent`, `late` or `excused`; hours in tenths.
    #[uniffi::constructor]
    pub fn attendance(
        date: String,
        service_type: String,
        status: String,
        hours_tenths: Option<u32>,
        cumulative_hours_tenths: Option<u32>,
    ) -> Result<Arc<Record>> {
        Record::from_map(
            RecordType::Attendance,
            vec![
                ("date", text(date)),
                ("service_type", text(service_type)),
                ("status", text(status)),
                ("hours_tenths", opt_u32(hours_tenths)),
                ("cumulative_hours_tenths", opt_u32(cumulative_hours_tenths)),
            ],
        )
    }

    /// A progress report for a period (tier t2). `status` is `compliant`, `partial` or
    /// `non_compliant`; `recommended_response` is `continue`, `incentive`, `sanction`,
    /// `service_adjustment`, `phase_advance` or `discharge`; `barriers` may be empty.
    #[uniffi::constructor]
    pub fn progress_report(
        period_start: String,
        period_end: String,
        status: String,
        engagement: Option<String>,
        goals_met: Option<u32>,
        barriers: Vec<String>,
        recommended_response: Option<String>,
    ) -> Result<Arc<Record>> {
        let barriers = (!barriers.is_empty())
            .then(|| Value::Array(barriers.into_iter().map(Value::Text).collect()));
        Record::from_map(
            RecordType::ProgressReport,
            vec![
                ("period_start", text(period_start)),
                ("period_end", text(period_end)),
                ("status", text(status)),
                ("engagement", opt_text(engagement)),
                ("goals_met", opt_u32(goals_met)),
                ("barriers", barriers),
                ("recommended_response", opt_text(recommended_response)),
            ],
        )
    }

    /// The record type token.
    pub fn record_type(&self) -> String {
        self.inner.record_type().as_str().to_owned()
    }

    /// The record as a JSON map (the shape [`Record::from_json`] takes).
    pub fn to_json(&self) -> String {
        json::to_json_text(&self.inner.to_value())
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

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

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError, DecodeLimits, Map, Value};

// =============================================================================================
// Limits

/// Longest identifier or short text (ids, agency ids, case and charge references, panel,
/// analyte, list items), in bytes of UTF-8.
pub const MAX_SHORT_TEXT: usize = 256;
/// Longest summary text (a progress report's `engagement`), in bytes.
pub const MAX_SUMMARY_TEXT: usize = 1024;
/// Longest counseling note, in bytes (8 KiB).
pub const MAX_NOTE_TEXT: usize = 8 * 1024;
/// Most items in any list field.
pub const MAX_LIST_ITEMS: usize = 64;
/// Latest accepted `collected_at`: 9999-12-31T23:59:59Z, in seconds since the Unix epoch.
pub const MAX_TIMESTAMP: u64 = 253_402_300_799;
/// Most tenths of an hour one attendance entry can record (24 hours).
pub const MAX_SESSION_TENTHS: u32 = 240;
/// Most cumulative tenths of an hour (10,000 hours).
pub const MAX_CUMULATIVE_TENTHS: u32 = 100_000;
/// Highest program phase number.
pub const MAX_PHASE: u32 = 99;
/// Longest expected program length, in days (10 years).
pub const MAX_EXPECTED_LENGTH_DAYS: u32 = 3650;
/// Most goals a progress report can count as met.
pub const MAX_GOALS: u32 = 1000;
/// Most contacts a LEAD status can count.
pub const MAX_CONTACTS: u32 = 100_000;

/// Decoding bounds for [`Record::from_bytes`], checked before anything is allocated.
///
/// They bound memory only; they are deliberately looser than the schema limits above so that
/// an over-long field is reported by validation with its record type and field name
/// ([`RecordError::TooLong`], [`RecordError::TooMany`]) rather than as a bare codec limit.
/// The largest valid record encodes to well under `max_input`.
pub const DECODE_LIMITS: DecodeLimits = DecodeLimits {
    max_input: 64 * 1024,
    // record map -> results array -> result map.
    max_depth: 3,
    max_items: 256,
    max_string: 16 * 1024,
};

// =============================================================================================
// Tiers, record types, field specs

/// Sensitivity tier (DOMAIN.md §4).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
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

impl Tier {
    /// Every tier.
    pub const ALL: [Tier; 5] = [Tier::T1, Tier::T2, Tier::T3, Tier::Cj, Tier::Lead];

    /// The tier's token: `t1`, `t2`, `t3`, `cj` or `lead`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Tier::T1 => "t1",
            Tier::T2 => "t2",
            Tier::T3 => "t3",
            Tier::Cj => "cj",
            Tier::Lead => "lead",
        }
    }

    /// The tier with token `s`, if any.
    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The record types: the twelve of the DOMAIN.md §4 catalogue plus Part 2 counseling notes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    /// A referral to treatment (police, court, probation → provider). Tier CJ.
    Referral,
    /// Intake/assessment status (provider → court). Tier T2.
    IntakeStatus,
    /// Enrollment in a program (provider → court/probation). Tier T1.
    Enrollment,
    /// One attendance entry (provider → court/probation). Tier T1.
    Attendance,
    /// One drug test (provider/lab → court). Tier T2.
    DrugTest,
    /// A progress report for a period (provider → court team). Tier T2.
    ProgressReport,
    /// The court's response to progress (court → provider). Tier CJ.
    CourtResponse,
    /// A court event or order (court → provider). Tier CJ.
    CourtEvent,
    /// Discharge from a program (provider → court). Tiers T1 and T2.
    Discharge,
    /// The disposition of the case (court → provider); an event for consents. Tier CJ.
    CaseDisposition,
    /// LEAD engagement status (case manager → LEAD team). Tiers T1 and LEAD.
    LeadStatus,
    /// Clinical detail, denied to justice recipients by default. Tier T3.
    ClinicalDetail,
    /// A Part 2 counseling note: needs its own consent and is never combined with other
    /// record types. Tier T3.
    CounselingNote,
}

impl RecordType {
    /// Every record type, in catalogue order.
    pub const ALL: [RecordType; 13] = [
        RecordType::Referral,
        RecordType::IntakeStatus,
        RecordType::Enrollment,
        RecordType::Attendance,
        RecordType::DrugTest,
        RecordType::ProgressReport,
        RecordType::CourtResponse,
        RecordType::CourtEvent,
        RecordType::Discharge,
        RecordType::CaseDisposition,
        RecordType::LeadStatus,
        RecordType::ClinicalDetail,
        RecordType::CounselingNote,
    ];

    /// The record type's token, e.g. `drug_test` (the envelope's record-type header).
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordType::Referral => "referral",
            RecordType::IntakeStatus => "intake_status",
            RecordType::Enrollment => "enrollment",
            RecordType::Attendance => "attendance",
            RecordType::DrugTest => "drug_test",
            RecordType::ProgressReport => "progress_report",
            RecordType::CourtResponse => "court_response",
            RecordType::CourtEvent => "court_event",
            RecordType::Discharge => "discharge",
            RecordType::CaseDisposition => "case_disposition",
            RecordType::LeadStatus => "lead_status",
            RecordType::ClinicalDetail => "clinical_detail",
            RecordType::CounselingNote => "counseling_note",
        }
    }

    /// The record type with token `s`, if any.
    pub fn parse(s: &str) -> Option<RecordType> {
        RecordType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Every field of the type with its tier, in the order of spec/records.md.
    pub fn schema(&self) -> &'static [FieldSpec] {
        match self {
            RecordType::Referral => schema::REFERRAL,
            RecordType::IntakeStatus => schema::INTAKE_STATUS,
            RecordType::Enrollment => schema::ENROLLMENT,
            RecordType::Attendance => schema::ATTENDANCE,
            RecordType::DrugTest => schema::DRUG_TEST,
            RecordType::ProgressReport => schema::PROGRESS_REPORT,
            RecordType::CourtResponse => schema::COURT_RESPONSE,
            RecordType::CourtEvent => schema::COURT_EVENT,
            RecordType::Discharge => schema::DISCHARGE,
            RecordType::CaseDisposition => schema::CASE_DISPOSITION,
            RecordType::LeadStatus => schema::LEAD_STATUS,
            RecordType::ClinicalDetail => schema::CLINICAL_DETAIL,
            RecordType::CounselingNote => schema::COUNSELING_NOTE,
        }
    }

    /// The schema entry of field `name`, if the type has such a field.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.schema().iter().find(|f| f.name == name)
    }

    /// Whether this is justice data flowing from the justice system to treatment (tier CJ):
    /// referral, court response, court event, case disposition.
    pub fn is_justice_data(&self) -> bool {
        matches!(
            self,
            RecordType::Referral
                | RecordType::CourtResponse
                | RecordType::CourtEvent
                | RecordType::CaseDisposition
        )
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of a record type's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's name, its CBOR map key.
    pub name: &'static str,
    /// The field's sensitivity tier.
    pub tier: Tier,
    /// Whether every record of the type carries the field (required fields cannot be
    /// redacted).
    pub required: bool,
    /// What the field holds, for people.
    pub description: &'static str,
}

/// The schema tables (spec/records.md §4).
mod schema {
    use super::FieldSpec;
    use super::Tier::{self, Cj, Lead, T1, T2, T3};

    const fn req(name: &'static str, tier: Tier, description: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            tier,
            required: true,
            description,
        }
    }

    const fn opt(name: &'static str, tier: Tier, description: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            tier,
            required: false,
            description,
        }
    }

    pub(super) const REFERRAL: &[FieldSpec] = &[
        req(
            "referral_id",
            Cj,
            "the referring agency's id for the referral",
        ),
        req(
            "source",
            Cj,
            "arrest_diversion, social_contact, pc1000_order or probation",
        ),
        req("referring_agency", Cj, "agency id of the referring agency"),
        req("referral_date", Cj, "date of the referral"),
        opt(
            "charge_refs",
            Cj,
            "references to the charges (never for a social-contact referral)",
        ),
        opt(
            "intake_deadline",
            Cj,
            "date by which intake must happen (not before referral_date)",
        ),
        opt("case_ref", Cj, "the court or prosecutor case reference"),
    ];

    pub(super) const INTAKE_STATUS: &[FieldSpec] = &[
        req(
            "scheduled_date",
            T2,
            "date the intake/assessment is scheduled",
        ),
        opt(
            "completed_date",
            T2,
            "date it was completed (not before scheduled_date)",
        ),
        opt(
            "recommended_asam_level",
            T2,
            "recommended ASAM level of care (no diagnosis)",
        ),
    ];

    pub(super) const ENROLLMENT: &[FieldSpec] = &[
        req("program", T1, "the program's name or id"),
        req("level_of_care", T1, "ASAM level of care"),
        req("admission_date", T1, "date of admission"),
        opt("expected_length_days", T1, "expected length in days"),
        opt("phase", T1, "current program phase"),
    ];

    pub(super) const ATTENDANCE: &[FieldSpec] = &[
        req("date", T1, "date of the service"),
        req("service_type", T1, "kind of service"),
        req("status", T1, "present, absent, late or excused"),
        opt("hours_tenths", T1, "hours attended, in tenths of an hour"),
        opt(
            "cumulative_hours_tenths",
            T1,
            "hours attended in the program so far, in tenths of an hour",
        ),
    ];

    pub(super) const DRUG_TEST: &[FieldSpec] = &[
        req(
            "collected_at",
            T2,
            "collection time, seconds since the Unix epoch",
        ),
        req("specimen", T2, "specimen type"),
        req("observed", T2, "whether collection was observed"),
        req("panel", T2, "the test panel"),
        req(
            "results",
            T2,
            "per-analyte results (empty only with a program outcome)",
        ),
        opt("confirmation", T2, "confirmation testing status"),
        opt("program_outcome", T2, "missed, refused or tampered"),
        opt(
            "prescription_consistent",
            T2,
            "whether a positive result is consistent with a prescription",
        ),
    ];

    pub(super) const PROGRESS_REPORT: &[FieldSpec] = &[
        req("period_start", T2, "first day of the reporting period"),
        req("period_end", T2, "last day of the reporting period"),
        req("status", T2, "compliant, partial or non_compliant"),
        opt("engagement", T2, "short summary of engagement"),
        opt("goals_met", T2, "number of treatment-plan goals met"),
        opt("barriers", T2, "barriers to progress, short texts"),
        opt(
            "recommended_response",
            T2,
            "the provider's recommended court response",
        ),
    ];

    pub(super) const COURT_RESPONSE: &[FieldSpec] = &[
        req("date", Cj, "date of the response"),
        opt("phase_change", Cj, "advance or demote"),
        opt("incentive", Cj, "incentive given"),
        opt("sanction", Cj, "sanction imposed"),
        opt("service_adjustment", Cj, "service adjustment ordered"),
        opt(
            "next_hearing",
            Cj,
            "date of the next hearing (not before date)",
        ),
    ];

    pub(super) const COURT_EVENT: &[FieldSpec] = &[
        req("case_ref", Cj, "the court case reference"),
        req("date", Cj, "date of the event"),
        req("event", Cj, "kind of event or order"),
        opt("conditions", Cj, "conditions set, short texts"),
    ];

    pub(super) const DISCHARGE: &[FieldSpec] = &[
        req("date", T1, "date of discharge"),
        req("reason", T2, "reason for discharge"),
        opt(
            "program_recommendation",
            T2,
            "the program's recommendation to the court",
        ),
    ];

    pub(super) const CASE_DISPOSITION: &[FieldSpec] = &[
        req("case_ref", Cj, "the court case reference"),
        req("date", Cj, "date of the disposition"),
        req(
            "disposition",
            Cj,
            "dismissed, diversion_terminated or record_sealed",
        ),
        req(
            "final",
            Cj,
            "whether this is the final disposition of the case",
        ),
    ];

    pub(super) const LEAD_STATUS: &[FieldSpec] = &[
        opt("as_of", T1, "date the status describes"),
        req("status", T1, "engaged, not_engaged or not_located"),
        opt("contacts", Lead, "number of contacts in the period"),
        opt("plan_domains", Lead, "domains of the case plan"),
        opt("barriers", Lead, "barriers to engagement, short texts"),
    ];

    pub(super) const CLINICAL_DETAIL: &[FieldSpec] = &[
        opt("as_of", T3, "date the detail describes"),
        req("diagnoses", T3, "diagnoses as ICD-10-CM codes"),
        opt("moud", T3, "medication for opioid use disorder"),
        opt(
            "co_occurring",
            T3,
            "co-occurring conditions as ICD-10-CM codes",
        ),
    ];

    pub(super) const COUNSELING_NOTE: &[FieldSpec] = &[
        req("date", T3, "date of the counseling session"),
        req("note", T3, "the counseling note"),
    ];
}

// =============================================================================================
// Errors

/// Why a record was refused. Messages name the record type and field, never a value: records
/// are protected health information.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes are not strict deterministic CBOR, exceed [`DECODE_LIMITS`], or do not
    /// re-encode identically.
    #[error("record encoding: {0}")]
    Codec(#[from] CodecError),
    /// The record is not a CBOR map.
    #[error("the {record} record is not a CBOR map")]
    NotAMap {
        /// The record type expected.
        record: RecordType,
    },
    /// A field the record type does not have (or a redaction naming one).
    #[error("the {record} record has no field `{field}`")]
    UnknownField {
        /// The record type.
        record: RecordType,
        /// The field name as given, if it looks like a field name; a placeholder otherwise.
        field: String,
    },
    /// A required field is absent.
    #[error("the {record} record is missing its required field `{field}`")]
    MissingField {
        /// The record type.
        record: RecordType,
        /// The missing field.
        field: &'static str,
    },
    /// A field has the wrong CBOR type, a value outside its vocabulary or range, or breaks a
    /// rule relating it to another field.
    #[error("field `{field}` of the {record} record is invalid: expected {expected}")]
    InvalidValue {
        /// The record type.
        record: RecordType,
        /// The field.
        field: &'static str,
        /// What the field must hold.
        expected: &'static str,
    },
    /// A text field is longer than its limit.
    #[error("field `{field}` of the {record} record is longer than {max_bytes} bytes")]
    TooLong {
        /// The record type.
        record: RecordType,
        /// The field.
        field: &'static str,
        /// The limit, in bytes of UTF-8.
        max_bytes: usize,
    },
    /// A list field has more items than its limit.
    #[error("field `{field}` of the {record} record has more than {max_items} items")]
    TooMany {
        /// The record type.
        record: RecordType,
        /// The field.
        field: &'static str,
        /// The limit.
        max_items: usize,
    },
    /// A date is before the date it must not precede.
    #[error("field `{later}` of the {record} record is before `{earlier}`")]
    DateOrder {
        /// The record type.
        record: RecordType,
        /// The field that must come first (or on the same day).
        earlier: &'static str,
        /// The field that is too early.
        later: &'static str,
    },
    /// None of a set of fields, one of which the record needs, is present.
    #[error("the {record} record needs at least one of: {fields}")]
    MissingOneOf {
        /// The record type.
        record: RecordType,
        /// The alternatives, comma-separated.
        fields: &'static str,
    },
    /// A redaction asked to remove a required field.
    #[error("field `{field}` of the {record} record is required and cannot be redacted")]
    RequiredField {
        /// The record type.
        record: RecordType,
        /// The required field.
        field: &'static str,
    },
}

impl RecordError {
    /// A stable snake_case name for the error (used by vectors, bindings and the CLI).
    pub fn class(&self) -> &'static str {
        match self {
            RecordError::Codec(_) => "malformed",
            RecordError::NotAMap { .. } => "not_a_map",
            RecordError::UnknownField { .. } => "unknown_field",
            RecordError::MissingField { .. } => "missing_field",
            RecordError::InvalidValue { .. } => "invalid_value",
            RecordError::TooLong { .. } => "too_long",
            RecordError::TooMany { .. } => "too_many",
            RecordError::DateOrder { .. } => "date_order",
            RecordError::MissingOneOf { .. } => "missing_one_of",
            RecordError::RequiredField { .. } => "required_field",
        }
    }
}

/// A field name fit to appear in an error message: names that are not plausible field names
/// (which could be arbitrary input) are replaced by a placeholder.
fn printable_field_name(name: &str) -> String {
    let plausible = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plausible {
        name.to_owned()
    } else {
        "(not a field name)".to_owned()
    }
}

// =============================================================================================
// Dates

/// The error of [`Date::new`] and [`Date::parse`]: not a calendar date `YYYY-MM-DD` in years
/// 1900–9999. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a calendar date in the form YYYY-MM-DD (years 1900 to 9999)")]
pub struct InvalidDate;

/// A calendar date (proleptic Gregorian), years 1900–9999; encoded as text `YYYY-MM-DD`.
///
/// ```
/// use divex_core::records::Date;
///
/// let d: Date = "2026-02-28".parse()?;
/// assert_eq!(d, Date::new(2026, 2, 28)?);
/// assert_eq!(d.to_string(), "2026-02-28");
/// assert!("2026-02-29".parse::<Date>().is_err());
/// assert!("2026-2-28".parse::<Date>().is_err());
/// assert_eq!(Date::from_unix_seconds(0), Some(Date::new(1970, 1, 1)?));
/// # Ok::<(), divex_core::records::InvalidDate>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    // Field order gives the chronological `Ord`.
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// Earliest year accepted.
    pub const MIN_YEAR: u16 = 1900;
    /// Latest year accepted.
    pub const MAX_YEAR: u16 = 9999;

    /// The date `year-month-day`, if it is a calendar date in the accepted range.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, InvalidDate> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return Err(InvalidDate);
        }
        Ok(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD` (ten ASCII characters, zero-padded).
    pub fn parse(s: &str) -> Result<Date, InvalidDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(InvalidDate);
        }
        let num = |range: std::ops::Range<usize>| -> Result<u16, InvalidDate> {
            let digits = b.get(range).ok_or(InvalidDate)?;
            digits.iter().try_fold(0u16, |acc, &d| {
                if d.is_ascii_digit() {
                    Ok(acc * 10 + u16::from(d - b'0'))
                } else {
                    Err(InvalidDate)
                }
            })
        };
        let year = num(0..4)?;
        let month = u8::try_from(num(5..7)?).map_err(|_| InvalidDate)?;
        let day = u8::try_from(num(8..10)?).map_err(|_| InvalidDate)?;
        Date::new(year, month, day)
    }

    /// The UTC calendar date of a time in seconds since the Unix epoch, if it is at most
    /// [`MAX_TIMESTAMP`].
    pub fn from_unix_seconds(secs: u64) -> Option<Date> {
        if secs > MAX_TIMESTAMP {
            return None;
        }
        // Howard Hinnant's civil_from_days, for non-negative day counts.
        let z = secs / 86_400 + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
        .ok()
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = InvalidDate;
    fn from_str(s: &str) -> Result<Date, InvalidDate> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(|_| serde::de::Error::custom("invalid date"))
    }
}

// =============================================================================================
// Controlled vocabularies

/// Defines a closed vocabulary: an enum serialised as fixed text tokens, with `ALL`,
/// `as_str`, `parse` and `Display`.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in vocabulary order.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The value's CBOR text.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value with CBOR text `s`, if any.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// What a field of this vocabulary must hold, as error messages say it.
            pub const EXPECTED: &str = concat!($what, ": one of", $(" ", $text),+);

            fn is_token(s: &str) -> bool {
                Self::parse(s).is_some()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Where a referral comes from (DOMAIN.md §1, §4).
    ReferralSource ("a referral source") {
        /// LEAD arrest diversion.
        ArrestDiversion = "arrest_diversion",
        /// LEAD social-contact referral, without an arrest (no charges).
        SocialContact = "social_contact",
        /// A California PC 1000 pretrial-diversion order.
        Pc1000Order = "pc1000_order",
        /// Probation.
        Probation = "probation",
    }
}

vocabulary! {
    /// ASAM Criteria (3rd edition) level of care.
    AsamLevel ("an ASAM level of care") {
        /// 0.5 Early intervention.
        Level0_5 = "0.5",
        /// 1.0 Outpatient services.
        Level1_0 = "1.0",
        /// 2.1 Intensive outpatient services.
        Level2_1 = "2.1",
        /// 2.5 Partial hospitalization services.
        Level2_5 = "2.5",
        /// 3.1 Clinically managed low-intensity residential services.
        Level3_1 = "3.1",
        /// 3.3 Clinically managed population-specific high-intensity residential services.
        Level3_3 = "3.3",
        /// 3.5 Clinically managed high-intensity residential services.
        Level3_5 = "3.5",
        /// 3.7 Medically monitored intensive inpatient services.
        Level3_7 = "3.7",
        /// 4.0 Medically managed intensive inpatient services.
        Level4_0 = "4.0",
    }
}

vocabulary! {
    /// Kind of service an attendance entry is for.
    ServiceType ("a service type") {
        /// Individual session.
        Individual = "individual",
        /// Group session.
        Group = "group",
        /// Intensive outpatient session.
        IntensiveOutpatient = "intensive_outpatient",
        /// Residential day.
        Residential = "residential",
        /// Case-management contact.
        CaseManagement = "case_management",
        /// Any other service.
        Other = "other",
    }
}

vocabulary! {
    /// Attendance status.
    AttendanceStatus ("an attendance status") {
        /// Attended.
        Present = "present",
        /// Did not attend.
        Absent = "absent",
        /// Attended late.
        Late = "late",
        /// Absence excused.
        Excused = "excused",
    }
}

vocabulary! {
    /// Drug-test specimen type.
    Specimen ("a specimen type") {
        /// Urine.
        Urine = "urine",
        /// Oral fluid.
        OralFluid = "oral_fluid",
        /// Breath (alcohol).
        Breath = "breath",
        /// Blood.
        Blood = "blood",
        /// Sweat patch.
        SweatPatch = "sweat_patch",
        /// Hair.
        Hair = "hair",
    }
}

vocabulary! {
    /// Per-analyte drug-test result.
    TestResult ("a test result") {
        /// Negative.
        Negative = "negative",
        /// Negative, specimen dilute.
        NegativeDilute = "negative_dilute",
        /// Positive.
        Positive = "positive",
        /// Positive, specimen dilute.
        PositiveDilute = "positive_dilute",
        /// Specimen adulterated.
        Adulterated = "adulterated",
        /// Specimen substituted.
        Substituted = "substituted",
        /// Result invalid.
        Invalid = "invalid",
        /// Specimen rejected by the laboratory.
        Rejected = "rejected",
    }
}

vocabulary! {
    /// Confirmation-testing status of a drug test.
    Confirmation ("a confirmation status") {
        /// No confirmation needed.
        NotRequired = "not_required",
        /// Confirmation requested, result pending.
        Pending = "pending",
        /// Confirmed positive.
        ConfirmedPositive = "confirmed_positive",
        /// Confirmation came back negative.
        ConfirmedNegative = "confirmed_negative",
    }
}

vocabulary! {
    /// A drug-test outcome decided by the program rather than the laboratory.
    ProgramOutcome ("a program outcome") {
        /// The participant missed the test.
        Missed = "missed",
        /// The participant refused the test.
        Refused = "refused",
        /// The participant tampered with the test.
        Tampered = "tampered",
    }
}

vocabulary! {
    /// Compliance status of a progress report.
    ComplianceStatus ("a compliance status") {
        /// Compliant.
        Compliant = "compliant",
        /// Partly compliant.
        Partial = "partial",
        /// Not compliant.
        NonCompliant = "non_compliant",
    }
}

vocabulary! {
    /// The court response a provider recommends.
    RecommendedResponse ("a recommended response") {
        /// Continue as is.
        Continue = "continue",
        /// An incentive.
        Incentive = "incentive",
        /// A sanction.
        Sanction = "sanction",
        /// Adjust services.
        ServiceAdjustment = "service_adjustment",
        /// Advance to the next phase.
        PhaseAdvance = "phase_advance",
        /// Discharge.
        Discharge = "discharge",
    }
}

vocabulary! {
    /// A change of program phase ordered by the court.
    PhaseChange ("a phase change") {
        /// Advance to the next phase.
        Advance = "advance",
        /// Return to an earlier phase.
        Demote = "demote",
    }
}

vocabulary! {
    /// Kind of court event or order.
    CourtEventKind ("a court event") {
        /// A hearing.
        Hearing = "hearing",
        /// An appearance.
        Appearance = "appearance",
        /// Diversion granted.
        DiversionGranted = "diversion_granted",
        /// Diversion terminated.
        DiversionTerminated = "diversion_terminated",
        /// Conditions set.
        ConditionsSet = "conditions_set",
    }
}

vocabulary! {
    /// Reason for discharge from a program.
    DischargeReason ("a discharge reason") {
        /// Completed the program.
        Completed = "completed",
        /// Transferred to another program.
        Transferred = "transferred",
        /// Stopped attending.
        DroppedOut = "dropped_out",
        /// Terminated by the program.
        Terminated = "terminated",
        /// Incarcerated.
        Incarcerated = "incarcerated",
        /// Died.
        Died = "died",
        /// Another reason.
        Other = "other",
    }
}

vocabulary! {
    /// The program's recommendation to the court at discharge (PC 1000: a positive
    /// recommendation leads to dismissal).
    ProgramRecommendation ("a program recommendation") {
        /// Dismiss the charges.
        Dismiss = "dismiss",
        /// Continue diversion.
        Continue = "continue",
        /// Terminate diversion.
        Terminate = "terminate",
        /// The program makes no recommendation (encoded `none`).
        NoRecommendation = "none",
    }
}

vocabulary! {
    /// Disposition of a case.
    Disposition ("a disposition") {
        /// Charges dismissed.
        Dismissed = "dismissed",
        /// Diversion terminated.
        DiversionTerminated = "diversion_terminated",
        /// Record sealed.
        RecordSealed = "record_sealed",
    }
}

vocabulary! {
    /// LEAD engagement status.
    LeadEngagement ("a LEAD status") {
        /// Engaged with the case manager.
        Engaged = "engaged",
        /// Located but not engaged.
        NotEngaged = "not_engaged",
        /// Not located.
        NotLocated = "not_located",
    }
}

vocabulary! {
    /// Domain of a LEAD case plan.
    PlanDomain ("a plan domain") {
        /// Housing.
        Housing = "housing",
        /// Income.
        Income = "income",
        /// Health.
        Health = "health",
        /// Substance use.
        SubstanceUse = "substance_use",
        /// Legal.
        Legal = "legal",
        /// Family.
        Family = "family",
        /// Other.
        Other = "other",
    }
}

vocabulary! {
    /// Medication for opioid use disorder.
    Moud ("a medication for OUD") {
        /// Buprenorphine.
        Buprenorphine = "buprenorphine",
        /// Methadone.
        Methadone = "methadone",
        /// Naltrexone.
        Naltrexone = "naltrexone",
        /// No medication for OUD (encoded `none`).
        NoMedication = "none",
    }
}

// =============================================================================================
// Record types

/// A referral to treatment (tier CJ). Flows from police, court or probation to a provider.
///
/// ```
/// use divex_core::records::{Referral, ReferralSource, Record};
///
/// let r = Referral::new("REF-1", ReferralSource::Pc1000Order, "superior-court", "2026-03-02".parse()?)
///     .with_charge_ref("HS11350(a)")
///     .with_intake_deadline("2026-03-16".parse()?)
///     .with_case_ref("CR-2026-0042");
/// Record::from(r).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    /// The referring agency's id for the referral (CJ).
    pub referral_id: String,
    /// Where the referral comes from (CJ).
    pub source: ReferralSource,
    /// Agency id of the referring agency (CJ).
    pub referring_agency: String,
    /// Date of the referral (CJ).
    pub referral_date: Date,
    /// References to the charges (CJ); never for a social-contact referral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_refs: Option<Vec<String>>,
    /// Date by which intake must happen, not before `referral_date` (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake_deadline: Option<Date>,
    /// The court or prosecutor case reference (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_ref: Option<String>,
}

impl Referral {
    /// A referral with its required fields.
    pub fn new(
        referral_id: impl Into<String>,
        source: ReferralSource,
        referring_agency: impl Into<String>,
        referral_date: Date,
    ) -> Referral {
        Referral {
            referral_id: referral_id.into(),
            source,
            referring_agency: referring_agency.into(),
            referral_date,
            charge_refs: None,
            intake_deadline: None,
            case_ref: None,
        }
    }

    /// Adds a charge reference.
    pub fn with_charge_ref(mut self, charge: impl Into<String>) -> Referral {
        self.charge_refs
            .get_or_insert_with(Vec::new)
            .push(charge.into());
        self
    }

    /// Sets the intake deadline.
    pub fn with_intake_deadline(mut self, deadline: Date) -> Referral {
        self.intake_deadline = Some(deadline);
        self
    }

    /// Sets the case reference.
    pub fn with_case_ref(mut self, case_ref: impl Into<String>) -> Referral {
        self.case_ref = Some(case_ref.into());
        self
    }

    /// Checks the record's rules (spec/records.md §4.1).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::Referral);
        c.short_text("referral_id", &self.referral_id)?;
        c.short_text("referring_agency", &self.referring_agency)?;
        c.text_list("charge_refs", self.charge_refs.as_deref())?;
        c.date_order(
            "referral_date",
            self.referral_date,
            "intake_deadline",
            self.intake_deadline,
        )?;
        c.opt_short_text("case_ref", self.case_ref.as_deref())?;
        if self.source == ReferralSource::SocialContact && self.charge_refs.is_some() {
            return Err(c.invalid(
                "charge_refs",
                "no charge references on a social-contact referral (there was no arrest)",
            ));
        }
        Ok(())
    }
}

/// Intake/assessment status (tier T2): scheduled and completed dates and the recommended
/// ASAM level of care. Never a diagnosis (that is [`ClinicalDetail`]).
///
/// ```
/// use divex_core::records::{AsamLevel, IntakeStatus, Record};
///
/// let i = IntakeStatus::new("2026-03-05".parse()?)
///     .with_completed_date("2026-03-06".parse()?)
///     .with_recommended_asam_level(AsamLevel::Level1_0);
/// Record::from(i).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeStatus {
    /// Date the intake/assessment is scheduled (T2).
    pub scheduled_date: Date,
    /// Date it was completed, not before `scheduled_date` (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_date: Option<Date>,
    /// Recommended ASAM level of care (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_asam_level: Option<AsamLevel>,
}

impl IntakeStatus {
    /// An intake status with its required field.
    pub fn new(scheduled_date: Date) -> IntakeStatus {
        IntakeStatus {
            scheduled_date,
            completed_date: None,
            recommended_asam_level: None,
        }
    }

    /// Sets the completion date.
    pub fn with_completed_date(mut self, date: Date) -> IntakeStatus {
        self.completed_date = Some(date);
        self
    }

    /// Sets the recommended ASAM level.
    pub fn with_recommended_asam_level(mut self, level: AsamLevel) -> IntakeStatus {
        self.recommended_asam_level = Some(level);
        self
    }

    /// Checks the record's rules (spec/records.md §4.2).
    pub fn validate(&self) -> Result<(), RecordError> {
        Check(RecordType::IntakeStatus).date_order(
            "scheduled_date",
            self.scheduled_date,
            "completed_date",
            self.completed_date,
        )
    }
}

/// Enrollment in a program (tier T1).
///
/// ```
/// use divex_core::records::{AsamLevel, Enrollment, Record};
///
/// let e = Enrollment::new("county-op-program", AsamLevel::Level2_1, "2026-03-09".parse()?)
///     .with_expected_length_days(365)
///     .with_phase(1);
/// Record::from(e).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrollment {
    /// The program's name or id (T1).
    pub program: String,
    /// ASAM level of care (T1).
    pub level_of_care: AsamLevel,
    /// Date of admission (T1).
    pub admission_date: Date,
    /// Expected length in days, 1 to [`MAX_EXPECTED_LENGTH_DAYS`] (T1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_length_days: Option<u32>,
    /// Current phase, 0 to [`MAX_PHASE`] (T1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<u32>,
}

impl Enrollment {
    /// An enrollment with its required fields.
    pub fn new(program: impl Into<String>, level_of_care: AsamLevel, admission_date: Date) -> Self {
        Enrollment {
            program: program.into(),
            level_of_care,
            admission_date,
            expected_length_days: None,
            phase: None,
        }
    }

    /// Sets the expected length in days.
    pub fn with_expected_length_days(mut self, days: u32) -> Enrollment {
        self.expected_length_days = Some(days);
        self
    }

    /// Sets the current phase.
    pub fn with_phase(mut self, phase: u32) -> Enrollment {
        self.phase = Some(phase);
        self
    }

    /// Checks the record's rules (spec/records.md §4.3).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::Enrollment);
        c.short_text("program", &self.program)?;
        c.range(
            "expected_length_days",
            self.expected_length_days,
            1,
            MAX_EXPECTED_LENGTH_DAYS,
            "a number of days from 1 to 3650",
        )?;
        c.range(
            "phase",
            self.phase,
            0,
            MAX_PHASE,
            "a phase number from 0 to 99",
        )
    }
}

/// One attendance entry (tier T1). Hours are in tenths of an hour (`15` = 1.5 hours).
///
/// ```
/// use divex_core::records::{Attendance, AttendanceStatus, Record, ServiceType};
///
/// let a = Attendance::new("2026-03-10".parse()?, ServiceType::Group, AttendanceStatus::Present)
///     .with_hours_tenths(15)
///     .with_cumulative_hours_tenths(120);
/// Record::from(a).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    /// Date of the service (T1).
    pub date: Date,
    /// Kind of service (T1).
    pub service_type: ServiceType,
    /// Attendance status (T1).
    pub status: AttendanceStatus,
    /// Hours attended in tenths of an hour, 0 to [`MAX_SESSION_TENTHS`]; 0 when absent or
    /// excused (T1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_tenths: Option<u32>,
    /// Hours attended in the program so far, including this entry, in tenths of an hour,
    /// at most [`MAX_CUMULATIVE_TENTHS`] (T1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative_hours_tenths: Option<u32>,
}

impl Attendance {
    /// An attendance entry with its required fields.
    pub fn new(date: Date, service_type: ServiceType, status: AttendanceStatus) -> Attendance {
        Attendance {
            date,
            service_type,
            status,
            hours_tenths: None,
            cumulative_hours_tenths: None,
        }
    }

    /// Sets the hours attended, in tenths of an hour.
    pub fn with_hours_tenths(mut self, tenths: u32) -> Attendance {
        self.hours_tenths = Some(tenths);
        self
    }

    /// Sets the cumulative hours, in tenths of an hour.
    pub fn with_cumulative_hours_tenths(mut self, tenths: u32) -> Attendance {
        self.cumulative_hours_tenths = Some(tenths);
        self
    }

    /// Checks the record's rules (spec/records.md §4.4).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::Attendance);
        c.range(
            "hours_tenths",
            self.hours_tenths,
            0,
            MAX_SESSION_TENTHS,
            "tenths of an hour from 0 to 240",
        )?;
        c.range(
            "cumulative_hours_tenths",
            self.cumulative_hours_tenths,
            0,
            MAX_CUMULATIVE_TENTHS,
            "tenths of an hour from 0 to 100000",
        )?;
        let no_attendance = matches!(
            self.status,
            AttendanceStatus::Absent | AttendanceStatus::Excused
        );
        if no_attendance && self.hours_tenths.is_some_and(|h| h != 0) {
            return Err(c.invalid(
                "hours_tenths",
                "0 (or no hours) when the status is absent or excused",
            ));
        }
        if let (Some(h), Some(cum)) = (self.hours_tenths, self.cumulative_hours_tenths)
            && cum < h
        {
            return Err(c.invalid(
                "cumulative_hours_tenths",
                "at least hours_tenths (the total includes this entry)",
            ));
        }
        Ok(())
    }
}

/// One analyte's result in a [`DrugTest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyteResult {
    /// The analyte or drug class, e.g. `fentanyl`.
    pub analyte: String,
    /// The result.
    pub result: TestResult,
}

/// One drug test (tier T2). `collected_at` is seconds since the Unix epoch (UTC).
///
/// Either `results` is non-empty or `program_outcome` is present; a missed or refused test
/// has no results.
///
/// ```
/// use divex_core::records::{DrugTest, ProgramOutcome, Record, Specimen};
///
/// let missed = DrugTest::new(1_790_000_000, Specimen::Urine, false, "10-panel")
///     .with_program_outcome(ProgramOutcome::Missed);
/// Record::from(missed).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugTest {
    /// Collection time, seconds since the Unix epoch, at most [`MAX_TIMESTAMP`] (T2).
    pub collected_at: u64,
    /// Specimen type (T2).
    pub specimen: Specimen,
    /// Whether collection was observed (T2).
    pub observed: bool,
    /// The test panel, e.g. `10-panel` (T2).
    pub panel: String,
    /// Per-analyte results, analytes unique (T2).
    pub results: Vec<AnalyteResult>,
    /// Confirmation-testing status (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// Outcome decided by the program: missed, refused, tampered (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_outcome: Option<ProgramOutcome>,
    /// Whether a positive result is consistent with a prescription (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription_consistent: Option<bool>,
}

impl DrugTest {
    /// A drug test with its required fields and no results yet.
    pub fn new(
        collected_at: u64,
        specimen: Specimen,
        observed: bool,
        panel: impl Into<String>,
    ) -> DrugTest {
        DrugTest {
            collected_at,
            specimen,
            observed,
            panel: panel.into(),
            results: Vec::new(),
            confirmation: None,
            program_outcome: None,
            prescription_consistent: None,
        }
    }

    /// Adds one analyte's result.
    pub fn with_result(mut self, analyte: impl Into<String>, result: TestResult) -> DrugTest {
        self.results.push(AnalyteResult {
            analyte: analyte.into(),
            result,
        });
        self
    }

    /// Sets the confirmation status.
    pub fn with_confirmation(mut self, confirmation: Confirmation) -> DrugTest {
        self.confirmation = Some(confirmation);
        self
    }

    /// Sets the program outcome.
    pub fn with_program_outcome(mut self, outcome: ProgramOutcome) -> DrugTest {
        self.program_outcome = Some(outcome);
        self
    }

    /// Sets the prescription-consistent flag.
    pub fn with_prescription_consistent(mut self, consistent: bool) -> DrugTest {
        self.prescription_consistent = Some(consistent);
        self
    }

    /// The UTC date of collection, if `collected_at` is in range.
    pub fn collected_date(&self) -> Option<Date> {
        Date::from_unix_seconds(self.collected_at)
    }

    /// Checks the record's rules (spec/records.md §4.5).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::DrugTest);
        if self.collected_at > MAX_TIMESTAMP {
            return Err(c.invalid(
                "collected_at",
                "seconds since the Unix epoch, at most 253402300799 (year 9999)",
            ));
        }
        c.short_text("panel", &self.panel)?;
        c.list_len("results", self.results.len())?;
        let mut analytes = BTreeSet::new();
        for r in &self.results {
            c.short_text("results", &r.analyte)?;
            if !analytes.insert(r.analyte.as_str()) {
                return Err(c.invalid("results", "each analyte at most once"));
            }
        }
        match self.program_outcome {
            None if self.results.is_empty() => Err(RecordError::MissingOneOf {
                record: RecordType::DrugTest,
                fields: "results (non-empty), program_outcome",
            }),
            Some(ProgramOutcome::Missed | ProgramOutcome::Refused) if !self.results.is_empty() => {
                Err(c.invalid(
                    "results",
                    "no results when the program outcome is missed or refused",
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A progress report for a period (tier T2).
///
/// ```
/// use divex_core::records::{ComplianceStatus, ProgressReport, Record, RecommendedResponse};
///
/// let p = ProgressReport::new("2026-03-01".parse()?, "2026-03-31".parse()?, ComplianceStatus::Compliant)
///     .with_goals_met(2)
///     .with_barrier("transportation")
///     .with_recommended_response(RecommendedResponse::Incentive);
/// Record::from(p).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressReport {
    /// First day of the period (T2).
    pub period_start: Date,
    /// Last day of the period, not before `period_start` (T2).
    pub period_end: Date,
    /// Compliance status (T2).
    pub status: ComplianceStatus,
    /// Short summary of engagement, at most [`MAX_SUMMARY_TEXT`] bytes (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<String>,
    /// Number of treatment-plan goals met, at most [`MAX_GOALS`] (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goals_met: Option<u32>,
    /// Barriers to progress, short texts (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barriers: Option<Vec<String>>,
    /// The provider's recommended court response (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_response: Option<RecommendedResponse>,
}

impl ProgressReport {
    /// A progress report with its required fields.
    pub fn new(period_start: Date, period_end: Date, status: ComplianceStatus) -> ProgressReport {
        ProgressReport {
            period_start,
            period_end,
            status,
            engagement: None,
            goals_met: None,
            barriers: None,
            recommended_response: None,
        }
    }

    /// Sets the engagement summary.
    pub fn with_engagement(mut self, engagement: impl Into<String>) -> ProgressReport {
        self.engagement = Some(engagement.into());
        self
    }

    /// Sets the number of goals met.
    pub fn with_goals_met(mut self, goals: u32) -> ProgressReport {
        self.goals_met = Some(goals);
        self
    }

    /// Adds a barrier.
    pub fn with_barrier(mut self, barrier: impl Into<String>) -> ProgressReport {
        self.barriers
            .get_or_insert_with(Vec::new)
            .push(barrier.into());
        self
    }

    /// Sets the recommended response.
    pub fn with_recommended_response(mut self, response: RecommendedResponse) -> ProgressReport {
        self.recommended_response = Some(response);
        self
    }

    /// Checks the record's rules (spec/records.md §4.6).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::ProgressReport);
        c.date_order(
            "period_start",
            self.period_start,
            "period_end",
            Some(self.period_end),
        )?;
        if let Some(e) = &self.engagement {
            c.text("engagement", e, MAX_SUMMARY_TEXT, true)?;
        }
        c.range(
            "goals_met",
            self.goals_met,
            0,
            MAX_GOALS,
            "a number of goals from 0 to 1000",
        )?;
        c.text_list("barriers", self.barriers.as_deref())
    }
}

/// The court's response to a participant's progress (tier CJ).
///
/// ```
/// use divex_core::records::{CourtResponse, PhaseChange, Record};
///
/// let r = CourtResponse::new("2026-04-02".parse()?)
///     .with_phase_change(PhaseChange::Advance)
///     .with_incentive("praise from the bench")
///     .with_next_hearing("2026-05-07".parse()?);
/// Record::from(r).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourtResponse {
    /// Date of the response (CJ).
    pub date: Date,
    /// Phase change ordered (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase_change: Option<PhaseChange>,
    /// Incentive given, short text (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incentive: Option<String>,
    /// Sanction imposed, short text (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanction: Option<String>,
    /// Service adjustment ordered, short text (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_adjustment: Option<String>,
    /// Date of the next hearing, not before `date` (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_hearing: Option<Date>,
}

impl CourtResponse {
    /// A court response with its required field.
    pub fn new(date: Date) -> CourtResponse {
        CourtResponse {
            date,
            phase_change: None,
            incentive: None,
            sanction: None,
            service_adjustment: None,
            next_hearing: None,
        }
    }

    /// Sets the phase change.
    pub fn with_phase_change(mut self, change: PhaseChange) -> CourtResponse {
        self.phase_change = Some(change);
        self
    }

    /// Sets the incentive.
    pub fn with_incentive(mut self, incentive: impl Into<String>) -> CourtResponse {
        self.incentive = Some(incentive.into());
        self
    }

    /// Sets the sanction.
    pub fn with_sanction(mut self, sanction: impl Into<String>) -> CourtResponse {
        self.sanction = Some(sanction.into());
        self
    }

    /// Sets the service adjustment.
    pub fn with_service_adjustment(mut self, adjustment: impl Into<String>) -> CourtResponse {
        self.service_adjustment = Some(adjustment.into());
        self
    }

    /// Sets the next hearing date.
    pub fn with_next_hearing(mut self, date: Date) -> CourtResponse {
        self.next_hearing = Some(date);
        self
    }

    /// Checks the record's rules (spec/records.md §4.7).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::CourtResponse);
        c.opt_short_text("incentive", self.incentive.as_deref())?;
        c.opt_short_text("sanction", self.sanction.as_deref())?;
        c.opt_short_text("service_adjustment", self.service_adjustment.as_deref())?;
        c.date_order("date", self.date, "next_hearing", self.next_hearing)
    }
}

/// A court event or order (tier CJ).
///
/// ```
/// use divex_core::records::{CourtEvent, CourtEventKind, Record};
///
/// let e = CourtEvent::new("CR-2026-0042", "2026-03-02".parse()?, CourtEventKind::DiversionGranted)
///     .with_condition("complete a certified program");
/// Record::from(e).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourtEvent {
    /// The court case reference (CJ).
    pub case_ref: String,
    /// Date of the event (CJ).
    pub date: Date,
    /// Kind of event or order (CJ).
    pub event: CourtEventKind,
    /// Conditions set, short texts (CJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<String>>,
}

impl CourtEvent {
    /// A court event with its required fields.
    pub fn new(case_ref: impl Into<String>, date: Date, event: CourtEventKind) -> CourtEvent {
        CourtEvent {
            case_ref: case_ref.into(),
            date,
            event,
            conditions: None,
        }
    }

    /// Adds a condition.
    pub fn with_condition(mut self, condition: impl Into<String>) -> CourtEvent {
        self.conditions
            .get_or_insert_with(Vec::new)
            .push(condition.into());
        self
    }

    /// Checks the record's rules (spec/records.md §4.8).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::CourtEvent);
        c.short_text("case_ref", &self.case_ref)?;
        c.text_list("conditions", self.conditions.as_deref())
    }
}

/// Discharge from a program: the date is tier T1, the reason and recommendation T2.
///
/// ```
/// use divex_core::records::{Discharge, DischargeReason, ProgramRecommendation, Record};
///
/// let d = Discharge::new("2026-09-30".parse()?, DischargeReason::Completed)
///     .with_program_recommendation(ProgramRecommendation::Dismiss);
/// Record::from(d).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discharge {
    /// Date of discharge (T1).
    pub date: Date,
    /// Reason for discharge (T2).
    pub reason: DischargeReason,
    /// The program's recommendation to the court (T2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_recommendation: Option<ProgramRecommendation>,
}

impl Discharge {
    /// A discharge with its required fields.
    pub fn new(date: Date, reason: DischargeReason) -> Discharge {
        Discharge {
            date,
            reason,
            program_recommendation: None,
        }
    }

    /// Sets the program's recommendation.
    pub fn with_program_recommendation(mut self, rec: ProgramRecommendation) -> Discharge {
        self.program_recommendation = Some(rec);
        self
    }

    /// Checks the record's rules (spec/records.md §4.9): none beyond the types.
    pub fn validate(&self) -> Result<(), RecordError> {
        Ok(())
    }
}

/// The disposition of a case (tier CJ). Signed by the case's authority it is an event that
/// moves consents along (DOMAIN.md §3, §5): it ends a §2.35 consent's irrevocable period.
///
/// ```
/// use divex_core::records::{CaseDisposition, Disposition, Record};
///
/// let d = CaseDisposition::new("CR-2026-0042", "2026-10-15".parse()?, Disposition::Dismissed, true);
/// Record::from(d).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseDisposition {
    /// The court case reference (CJ).
    pub case_ref: String,
    /// Date of the disposition (CJ).
    pub date: Date,
    /// The disposition (CJ).
    pub disposition: Disposition,
    /// Whether this is the final disposition of the case (CJ); encoded as `final`.
    #[serde(rename = "final")]
    pub is_final: bool,
}

impl CaseDisposition {
    /// A case disposition (all its fields are required).
    pub fn new(
        case_ref: impl Into<String>,
        date: Date,
        disposition: Disposition,
        is_final: bool,
    ) -> CaseDisposition {
        CaseDisposition {
            case_ref: case_ref.into(),
            date,
            disposition,
            is_final,
        }
    }

    /// Checks the record's rules (spec/records.md §4.10).
    pub fn validate(&self) -> Result<(), RecordError> {
        Check(RecordType::CaseDisposition).short_text("case_ref", &self.case_ref)
    }
}

/// LEAD engagement status (the status and date are tier T1; contacts, plan domains and
/// barriers are tier LEAD and carry `no_adverse_action`).
///
/// ```
/// use divex_core::records::{LeadEngagement, LeadStatus, PlanDomain, Record};
///
/// let s = LeadStatus::new(LeadEngagement::Engaged)
///     .with_as_of("2026-03-31".parse()?)
///     .with_contacts(4)
///     .with_plan_domain(PlanDomain::Housing)
///     .with_barrier("no phone");
/// Record::from(s).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadStatus {
    /// Date the status describes (T1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// Engagement status (T1).
    pub status: LeadEngagement,
    /// Number of contacts, at most [`MAX_CONTACTS`] (LEAD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<u32>,
    /// Domains of the case plan, each at most once (LEAD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_domains: Option<Vec<PlanDomain>>,
    /// Barriers to engagement, short texts (LEAD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barriers: Option<Vec<String>>,
}

impl LeadStatus {
    /// A LEAD status with its required field.
    pub fn new(status: LeadEngagement) -> LeadStatus {
        LeadStatus {
            as_of: None,
            status,
            contacts: None,
            plan_domains: None,
            barriers: None,
        }
    }

    /// Sets the date the status describes.
    pub fn with_as_of(mut self, date: Date) -> LeadStatus {
        self.as_of = Some(date);
        self
    }

    /// Sets the number of contacts.
    pub fn with_contacts(mut self, contacts: u32) -> LeadStatus {
        self.contacts = Some(contacts);
        self
    }

    /// Adds a plan domain.
    pub fn with_plan_domain(mut self, domain: PlanDomain) -> LeadStatus {
        self.plan_domains.get_or_insert_with(Vec::new).push(domain);
        self
    }

    /// Adds a barrier.
    pub fn with_barrier(mut self, barrier: impl Into<String>) -> LeadStatus {
        self.barriers
            .get_or_insert_with(Vec::new)
            .push(barrier.into());
        self
    }

    /// Checks the record's rules (spec/records.md §4.11).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::LeadStatus);
        c.range(
            "contacts",
            self.contacts,
            0,
            MAX_CONTACTS,
            "a number of contacts from 0 to 100000",
        )?;
        if let Some(domains) = &self.plan_domains {
            c.list_len("plan_domains", domains.len())?;
            if domains.is_empty() {
                return Err(c.invalid("plan_domains", NON_EMPTY_LIST));
            }
            c.unique("plan_domains", domains)?;
        }
        c.text_list("barriers", self.barriers.as_deref())
    }
}

/// Clinical detail (tier T3; denied to justice recipients by default, DOMAIN.md §2
/// minimum necessary). Diagnoses and co-occurring conditions are ICD-10-CM codes.
///
/// ```
/// use divex_core::records::{ClinicalDetail, Moud, Record};
///
/// let c = ClinicalDetail::new(["F11.20"])
///     .with_moud(Moud::Buprenorphine)
///     .with_co_occurring("F32.A");
/// Record::from(c).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicalDetail {
    /// Date the detail describes (T3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Date>,
    /// Diagnoses, ICD-10-CM codes, at least one, each at most once (T3).
    pub diagnoses: Vec<String>,
    /// Medication for opioid use disorder (T3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moud: Option<Moud>,
    /// Co-occurring conditions, ICD-10-CM codes (T3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_occurring: Option<Vec<String>>,
}

impl ClinicalDetail {
    /// Clinical detail with its diagnoses.
    pub fn new<S: Into<String>>(diagnoses: impl IntoIterator<Item = S>) -> ClinicalDetail {
        ClinicalDetail {
            as_of: None,
            diagnoses: diagnoses.into_iter().map(Into::into).collect(),
            moud: None,
            co_occurring: None,
        }
    }

    /// Sets the date the detail describes.
    pub fn with_as_of(mut self, date: Date) -> ClinicalDetail {
        self.as_of = Some(date);
        self
    }

    /// Sets the medication for OUD.
    pub fn with_moud(mut self, moud: Moud) -> ClinicalDetail {
        self.moud = Some(moud);
        self
    }

    /// Adds a co-occurring condition.
    pub fn with_co_occurring(mut self, code: impl Into<String>) -> ClinicalDetail {
        self.co_occurring
            .get_or_insert_with(Vec::new)
            .push(code.into());
        self
    }

    /// Checks the record's rules (spec/records.md §4.12).
    pub fn validate(&self) -> Result<(), RecordError> {
        let c = Check(RecordType::ClinicalDetail);
        c.code_list("diagnoses", &self.diagnoses)?;
        if let Some(codes) = &self.co_occurring {
            c.code_list("co_occurring", codes)?;
        }
        Ok(())
    }
}

/// A Part 2 counseling note (tier T3). Counseling notes need their own consent
/// (`part2_counseling_notes`) and are never combined with other record types (DOMAIN.md §2).
///
/// ```
/// use divex_core::records::{CounselingNote, Record};
///
/// let n = CounselingNote::new("2026-03-12".parse()?, "Session notes.\nDiscussed triggers.");
/// Record::from(n).validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounselingNote {
    /// Date of the counseling session (T3).
    pub date: Date,
    /// The note, at most [`MAX_NOTE_TEXT`] bytes; line breaks and tabs allowed (T3).
    pub note: String,
}

impl CounselingNote {
    /// A counseling note.
    pub fn new(date: Date, note: impl Into<String>) -> CounselingNote {
        CounselingNote {
            date,
            note: note.into(),
        }
    }

    /// Checks the record's rules (spec/records.md §4.13).
    pub fn validate(&self) -> Result<(), RecordError> {
        Check(RecordType::CounselingNote).text("note", &self.note, MAX_NOTE_TEXT, true)
    }
}

// =============================================================================================
// Validation helpers

const NON_EMPTY_LIST: &str = "a non-empty list (omit the field instead of sending an empty list)";

/// Field checks for one record type; every error names the type and the field.
struct Check(RecordType);

impl Check {
    fn invalid(&self, field: &'static str, expected: &'static str) -> RecordError {
        RecordError::InvalidValue {
            record: self.0,
            field,
            expected,
        }
    }

    /// Non-empty text of at most `max` bytes without control characters (line breaks and
    /// tabs allowed when `multiline`).
    fn text(
        &self,
        field: &'static str,
        s: &str,
        max: usize,
        multiline: bool,
    ) -> Result<(), RecordError> {
        if s.is_empty() {
            return Err(self.invalid(field, "a non-empty text string"));
        }
        if s.len() > max {
            return Err(RecordError::TooLong {
                record: self.0,
                field,
                max_bytes: max,
            });
        }
        let allowed = |ch: char| multiline && matches!(ch, '\n' | '\r' | '\t');
        if s.chars().any(|ch| ch.is_control() && !allowed(ch)) {
            return Err(self.invalid(
                field,
                if multiline {
                    "text without control characters other than line breaks and tabs"
                } else {
                    "text without control characters"
                },
            ));
        }
        Ok(())
    }

    fn short_text(&self, field: &'static str, s: &str) -> Result<(), RecordError> {
        self.text(field, s, MAX_SHORT_TEXT, false)
    }

    fn opt_short_text(&self, field: &'static str, s: Option<&str>) -> Result<(), RecordError> {
        s.map_or(Ok(()), |s| self.short_text(field, s))
    }

    fn list_len(&self, field: &'static str, len: usize) -> Result<(), RecordError> {
        if len > MAX_LIST_ITEMS {
            return Err(RecordError::TooMany {
                record: self.0,
                field,
                max_items: MAX_LIST_ITEMS,
            });
        }
        Ok(())
    }

    fn unique<T: Ord>(&self, field: &'static str, items: &[T]) -> Result<(), RecordError> {
        let mut seen = BTreeSet::new();
        if items.iter().all(|i| seen.insert(i)) {
            Ok(())
        } else {
            Err(self.invalid(field, "each item at most once"))
        }
    }

    /// An optional list of short texts: when present non-empty, bounded, items unique.
    fn text_list(&self, field: &'static str, items: Option<&[String]>) -> Result<(), RecordError> {
        let Some(items) = items else {
            return Ok(());
        };
        self.list_len(field, items.len())?;
        if items.is_empty() {
            return Err(self.invalid(field, NON_EMPTY_LIST));
        }
        for item in items {
            self.short_text(field, item)?;
        }
        self.unique(field, items)
    }

    /// A non-empty list of unique ICD-10-CM codes.
    fn code_list(&self, field: &'static str, codes: &[String]) -> Result<(), RecordError> {
        self.list_len(field, codes.len())?;
        if codes.is_empty() {
            return Err(self.invalid(field, NON_EMPTY_LIST));
        }
        if !codes.iter().all(|c| is_icd10cm(c)) {
            return Err(self.invalid(
                field,
                "ICD-10-CM codes (letter, two characters, optional dot and 1-4 more), e.g. F11.20",
            ));
        }
        self.unique(field, codes)
    }

    fn date_order(
        &self,
        earlier: &'static str,
        first: Date,
        later: &'static str,
        second: Option<Date>,
    ) -> Result<(), RecordError> {
        match second {
            Some(second) if second < first => Err(RecordError::DateOrder {
                record: self.0,
                earlier,
                later,
            }),
            _ => Ok(()),
        }
    }

    fn range(
        &self,
        field: &'static str,
        v: Option<u32>,
        min: u32,
        max: u32,
        expected: &'static str,
    ) -> Result<(), RecordError> {
        match v {
            Some(v) if !(min..=max).contains(&v) => Err(self.invalid(field, expected)),
            _ => Ok(()),
        }
    }
}

/// ICD-10-CM code shape: a letter, a digit, a digit or letter, then optionally a dot and one
/// to four digits or letters (upper case). Whether the code exists is not checked.
fn is_icd10cm(code: &str) -> bool {
    let b = code.as_bytes();
    let alnum = |c: &u8| c.is_ascii_digit() || c.is_ascii_uppercase();
    let head_ok = matches!(
        (b.first(), b.get(1), b.get(2)),
        (Some(x), Some(y), Some(z)) if x.is_ascii_uppercase() && y.is_ascii_digit() && alnum(z)
    );
    let tail_ok = match b.get(3..) {
        Some([]) => true,
        Some([b'.', rest @ ..]) => (1..=4).contains(&rest.len()) && rest.iter().all(alnum),
        _ => false,
    };
    head_ok && tail_ok
}

// =============================================================================================
// The shape pre-check: types and vocabularies of a decoded map, with field names in errors.
//
// serde's own error messages either lose the field name or quote the offending value (an
// unknown enum variant is reported with its text). So before handing a map to serde, every
// entry is checked here against the field's kind; serde then cannot fail on a well-shaped
// map, and if it somehow does its message is dropped.

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Date,
    /// An unsigned integer that fits a `u32` (ranges are checked by `validate`).
    Uint32,
    /// Any unsigned integer (`collected_at`).
    Uint64,
    Bool,
    Vocab(fn(&str) -> bool, &'static str),
    TextList,
    VocabList(fn(&str) -> bool, &'static str),
    AnalyteResults,
}

impl Kind {
    /// `Err(expected)` when `v` does not have this kind.
    fn check(self, v: &Value) -> Result<(), &'static str> {
        let ok = match self {
            Kind::Text => v.as_text().is_some(),
            Kind::Date => v.as_text().is_some_and(|s| Date::parse(s).is_ok()),
            Kind::Uint32 => v.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
            Kind::Uint64 => v.as_u64().is_some(),
            Kind::Bool => matches!(v, Value::Bool(_)),
            Kind::Vocab(is_token, _) => v.as_text().is_some_and(is_token),
            Kind::TextList => v
                .as_array()
                .is_some_and(|a| a.iter().all(|i| i.as_text().is_some())),
            Kind::VocabList(is_token, _) => v
                .as_array()
                .is_some_and(|a| a.iter().all(|i| i.as_text().is_some_and(is_token))),
            Kind::AnalyteResults => v
                .as_array()
                .is_some_and(|a| a.iter().all(is_analyte_result)),
        };
        if ok { Ok(()) } else { Err(self.expected()) }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Text => "a text string",
            Kind::Date => "a date as text YYYY-MM-DD",
            Kind::Uint32 => "an unsigned integer below 2^32",
            Kind::Uint64 => "an unsigned integer",
            Kind::Bool => "true or false",
            Kind::Vocab(_, expected) | Kind::VocabList(_, expected) => expected,
            Kind::TextList => "a list of text strings",
            Kind::AnalyteResults => {
                "a list of {analyte: text, result: test result} maps; test result: one of \
                 negative negative_dilute positive positive_dilute adulterated substituted \
                 invalid rejected"
            }
        }
    }
}

fn is_analyte_result(v: &Value) -> bool {
    let Some(m) = v.as_map() else {
        return false;
    };
    m.len() == 2
        && m.get(&Value::from("analyte"))
            .is_some_and(|a| a.as_text().is_some())
        && m.get(&Value::from("result"))
            .and_then(Value::as_text)
            .is_some_and(TestResult::is_token)
}

/// The CBOR kind of every schema field.
fn kind(rt: RecordType, field: &str) -> Option<Kind> {
    use RecordType as R;
    macro_rules! vocab {
        ($t:ty) => {
            Kind::Vocab(<$t>::is_token, <$t>::EXPECTED)
        };
    }
    Some(match (rt, field) {
        (R::Referral, "referral_id" | "referring_agency" | "case_ref") => Kind::Text,
        (R::Referral, "source") => vocab!(ReferralSource),
        (R::Referral, "referral_date" | "intake_deadline") => Kind::Date,
        (R::Referral, "charge_refs") => Kind::TextList,
        (R::IntakeStatus, "scheduled_date" | "completed_date") => Kind::Date,
        (R::IntakeStatus, "recommended_asam_level") => vocab!(AsamLevel),
        (R::Enrollment, "program") => Kind::Text,
        (R::Enrollment, "level_of_care") => vocab!(AsamLevel),
        (R::Enrollment, "admission_date") => Kind::Date,
        (R::Enrollment, "expected_length_days" | "phase") => Kind::Uint32,
        (R::Attendance, "date") => Kind::Date,
        (R::Attendance, "service_type") => vocab!(ServiceType),
        (R::Attendance, "status") => vocab!(AttendanceStatus),
        (R::Attendance, "hours_tenths" | "cumulative_hours_tenths") => Kind::Uint32,
        (R::DrugTest, "collected_at") => Kind::Uint64,
        (R::DrugTest, "specimen") => vocab!(Specimen),
        (R::DrugTest, "observed" | "prescription_consistent") => Kind::Bool,
        (R::DrugTest, "panel") => Kind::Text,
        (R::DrugTest, "results") => Kind::AnalyteResults,
        (R::DrugTest, "confirmation") => vocab!(Confirmation),
        (R::DrugTest, "program_outcome") => vocab!(ProgramOutcome),
        (R::ProgressReport, "period_start" | "period_end") => Kind::Date,
        (R::ProgressReport, "status") => vocab!(ComplianceStatus),
        (R::ProgressReport, "engagement") => Kind::Text,
        (R::ProgressReport, "goals_met") => Kind::Uint32,
        (R::ProgressReport, "barriers") => Kind::TextList,
        (R::ProgressReport, "recommended_response") => vocab!(RecommendedResponse),
        (R::CourtResponse, "date" | "next_hearing") => Kind::Date,
        (R::CourtResponse, "phase_change") => vocab!(PhaseChange),
        (R::CourtResponse, "incentive" | "sanction" | "service_adjustment") => Kind::Text,
        (R::CourtEvent, "case_ref") => Kind::Text,
        (R::CourtEvent, "date") => Kind::Date,
        (R::CourtEvent, "event") => vocab!(CourtEventKind),
        (R::CourtEvent, "conditions") => Kind::TextList,
        (R::Discharge, "date") => Kind::Date,
        (R::Discharge, "reason") => vocab!(DischargeReason),
        (R::Discharge, "program_recommendation") => vocab!(ProgramRecommendation),
        (R::CaseDisposition, "case_ref") => Kind::Text,
        (R::CaseDisposition, "date") => Kind::Date,
        (R::CaseDisposition, "disposition") => vocab!(Disposition),
        (R::CaseDisposition, "final") => Kind::Bool,
        (R::LeadStatus, "as_of") => Kind::Date,
        (R::LeadStatus, "status") => vocab!(LeadEngagement),
        (R::LeadStatus, "contacts") => Kind::Uint32,
        (R::LeadStatus, "plan_domains") => Kind::VocabList(
            PlanDomain::is_token,
            "a list of plan domains: each one of housing income health substance_use legal \
             family other",
        ),
        (R::LeadStatus, "barriers") => Kind::TextList,
        (R::ClinicalDetail, "as_of") => Kind::Date,
        (R::ClinicalDetail, "diagnoses" | "co_occurring") => Kind::TextList,
        (R::ClinicalDetail, "moud") => vocab!(Moud),
        (R::CounselingNote, "date") => Kind::Date,
        (R::CounselingNote, "note") => Kind::Text,
        _ => return None,
    })
}

/// Checks that `v` is a map whose keys are exactly fields of `rt` (all required ones
/// present) and whose values have the fields' CBOR kinds and vocabularies.
fn check_shape(rt: RecordType, v: &Value) -> Result<(), RecordError> {
    let map = v.as_map().ok_or(RecordError::NotAMap { record: rt })?;
    for (key, value) in map.iter() {
        let name = key.as_text().unwrap_or("");
        let unknown = || RecordError::UnknownField {
            record: rt,
            field: printable_field_name(name),
        };
        let spec = rt.field(name).ok_or_else(unknown)?;
        let kind = kind(rt, spec.name).ok_or_else(unknown)?;
        if matches!(value, Value::Null) {
            return Err(RecordError::InvalidValue {
                record: rt,
                field: spec.name,
                expected: "a value, not null (omit an absent optional field)",
            });
        }
        kind.check(value)
            .map_err(|expected| RecordError::InvalidValue {
                record: rt,
                field: spec.name,
                expected,
            })?;
    }
    if let Some(missing) = rt
        .schema()
        .iter()
        .find(|f| f.required && map.get(&Value::from(f.name)).is_none())
    {
        return Err(RecordError::MissingField {
            record: rt,
            field: missing.name,
        });
    }
    Ok(())
}

// =============================================================================================
// Record

/// One record of any type.
///
/// ```
/// use divex_core::records::{Attendance, AttendanceStatus, Record, RecordError, RecordType, ServiceType};
///
/// let a = Attendance::new("2026-03-10".parse()?, ServiceType::Individual, AttendanceStatus::Present)
///     .with_hours_tenths(10)
///     .with_cumulative_hours_tenths(85);
/// let record = Record::from(a);
///
/// // Minimum necessary: drop the cumulative hours; a required field cannot be dropped.
/// let redacted = record.redact(&["cumulative_hours_tenths"])?;
/// let names: Vec<_> = redacted.present_fields().iter().map(|f| f.name).collect();
/// assert_eq!(names, ["date", "service_type", "status", "hours_tenths"]);
/// assert!(matches!(record.redact(&["status"]), Err(RecordError::RequiredField { .. })));
///
/// // The bytes name the fields; the record type travels beside them (the envelope header).
/// let bytes = redacted.to_bytes();
/// assert_eq!(Record::from_bytes(RecordType::Attendance, &bytes)?, redacted);
/// assert!(Record::from_bytes(RecordType::DrugTest, &bytes).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A referral.
    Referral(Referral),
    /// An intake/assessment status.
    IntakeStatus(IntakeStatus),
    /// An enrollment.
    Enrollment(Enrollment),
    /// An attendance entry.
    Attendance(Attendance),
    /// A drug test.
    DrugTest(DrugTest),
    /// A progress report.
    ProgressReport(ProgressReport),
    /// A court response.
    CourtResponse(CourtResponse),
    /// A court event or order.
    CourtEvent(CourtEvent),
    /// A discharge.
    Discharge(Discharge),
    /// A case disposition.
    CaseDisposition(CaseDisposition),
    /// A LEAD status.
    LeadStatus(LeadStatus),
    /// Clinical detail.
    ClinicalDetail(ClinicalDetail),
    /// A counseling note.
    CounselingNote(CounselingNote),
}

/// Runs `$body` with `$r` bound to the typed record inside `$rec`.
macro_rules! with_typed {
    ($rec:expr, $r:ident => $body:expr) => {
        match $rec {
            Record::Referral($r) => $body,
            Record::IntakeStatus($r) => $body,
            Record::Enrollment($r) => $body,
            Record::Attendance($r) => $body,
            Record::DrugTest($r) => $body,
            Record::ProgressReport($r) => $body,
            Record::CourtResponse($r) => $body,
            Record::CourtEvent($r) => $body,
            Record::Discharge($r) => $body,
            Record::CaseDisposition($r) => $body,
            Record::LeadStatus($r) => $body,
            Record::ClinicalDetail($r) => $body,
            Record::CounselingNote($r) => $body,
        }
    };
}

macro_rules! impl_from_typed {
    ($($t:ident),+) => {
        $(
            impl From<$t> for Record {
                fn from(r: $t) -> Record {
                    Record::$t(r)
                }
            }
        )+
    };
}

impl_from_typed!(
    Referral,
    IntakeStatus,
    Enrollment,
    Attendance,
    DrugTest,
    ProgressReport,
    CourtResponse,
    CourtEvent,
    Discharge,
    CaseDisposition,
    LeadStatus,
    ClinicalDetail,
    CounselingNote
);

/// serde step of [`Record::from_value`], after [`check_shape`]. serde's message is dropped:
/// it could quote a value.
fn typed<T: serde::de::DeserializeOwned>(rt: RecordType, v: &Value) -> Result<T, RecordError> {
    codec::from_value(v).map_err(|_| {
        RecordError::Codec(CodecError::Schema(format!(
            "the {rt} record does not match its schema"
        )))
    })
}

impl Record {
    /// The record's type.
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::Referral(_) => RecordType::Referral,
            Record::IntakeStatus(_) => RecordType::IntakeStatus,
            Record::Enrollment(_) => RecordType::Enrollment,
            Record::Attendance(_) => RecordType::Attendance,
            Record::DrugTest(_) => RecordType::DrugTest,
            Record::ProgressReport(_) => RecordType::ProgressReport,
            Record::CourtResponse(_) => RecordType::CourtResponse,
            Record::CourtEvent(_) => RecordType::CourtEvent,
            Record::Discharge(_) => RecordType::Discharge,
            Record::CaseDisposition(_) => RecordType::CaseDisposition,
            Record::LeadStatus(_) => RecordType::LeadStatus,
            Record::ClinicalDetail(_) => RecordType::ClinicalDetail,
            Record::CounselingNote(_) => RecordType::CounselingNote,
        }
    }

    /// Checks the record's rules: controlled vocabularies (by construction), required and
    /// non-empty fields, text and list bounds, date ordering and the per-type rules of
    /// spec/records.md §4. [`Record::from_value`] and [`Record::from_bytes`] always run it;
    /// [`Record::to_bytes`] does not, so a sender validates before sealing.
    pub fn validate(&self) -> Result<(), RecordError> {
        with_typed!(self, r => r.validate())
    }

    /// The record as a CBOR map from field name to value, present fields only.
    pub fn to_value(&self) -> Value {
        // Serialising these types cannot fail: they hold only text, unsigned integers,
        // booleans, lists and maps. Should it ever fail, the empty map fails closed (every
        // record type has required fields, so no decoder accepts it).
        let value = with_typed!(self, r => codec::to_value(r));
        value.unwrap_or_else(|_| Value::Map(Map::new()))
    }

    /// The strict deterministic CBOR encoding of [`Record::to_value`].
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(&self.to_value())
    }

    /// The record of type `rt` that `v` encodes. Strict: every key must be a field of `rt`,
    /// every required field present, no `null`s, every value of the field's CBOR type and
    /// vocabulary; then the record is validated, and it must map back to exactly `v`.
    pub fn from_value(rt: RecordType, v: &Value) -> Result<Record, RecordError> {
        check_shape(rt, v)?;
        let record = match rt {
            RecordType::Referral => Record::Referral(typed(rt, v)?),
            RecordType::IntakeStatus => Record::IntakeStatus(typed(rt, v)?),
            RecordType::Enrollment => Record::Enrollment(typed(rt, v)?),
            RecordType::Attendance => Record::Attendance(typed(rt, v)?),
            RecordType::DrugTest => Record::DrugTest(typed(rt, v)?),
            RecordType::ProgressReport => Record::ProgressReport(typed(rt, v)?),
            RecordType::CourtResponse => Record::CourtResponse(typed(rt, v)?),
            RecordType::CourtEvent => Record::CourtEvent(typed(rt, v)?),
            RecordType::Discharge => Record::Discharge(typed(rt, v)?),
            RecordType::CaseDisposition => Record::CaseDisposition(typed(rt, v)?),
            RecordType::LeadStatus => Record::LeadStatus(typed(rt, v)?),
            RecordType::ClinicalDetail => Record::ClinicalDetail(typed(rt, v)?),
            RecordType::CounselingNote => Record::CounselingNote(typed(rt, v)?),
        };
        record.validate()?;
        if record.to_value() != *v {
            return Err(RecordError::Codec(CodecError::NotCanonical));
        }
        Ok(record)
    }

    /// Decodes a record of type `rt` strictly: the bytes must be strict deterministic CBOR
    /// within [`DECODE_LIMITS`], satisfy [`Record::from_value`], and be exactly the bytes
    /// [`Record::to_bytes`] produces for the result.
    pub fn from_bytes(rt: RecordType, b: &[u8]) -> Result<Record, RecordError> {
        let v = codec::decode_with(b, &DECODE_LIMITS)?;
        let record = Record::from_value(rt, &v)?;
        if record.to_bytes() != b {
            return Err(RecordError::Codec(CodecError::NotCanonical));
        }
        Ok(record)
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
                field: printable_field_name(name),
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

    /// The first and last dates the record describes, for a consent's data period: the
    /// event date for single-date records, a progress report's period, an intake's scheduled
    /// through completed dates, a drug test's UTC collection date. Deadlines and future
    /// hearings are not included. `None` for a LEAD status or clinical detail without
    /// `as_of` (and for an out-of-range `collected_at`).
    pub fn period(&self) -> Option<(Date, Date)> {
        let one = |d: Date| Some((d, d));
        match self {
            Record::Referral(r) => one(r.referral_date),
            Record::IntakeStatus(r) => {
                let end = r.completed_date.unwrap_or(r.scheduled_date);
                Some((r.scheduled_date.min(end), r.scheduled_date.max(end)))
            }
            Record::Enrollment(r) => one(r.admission_date),
            Record::Attendance(r) => one(r.date),
            Record::DrugTest(r) => r.collected_date().and_then(one),
            Record::ProgressReport(r) => Some((
                r.period_start.min(r.period_end),
                r.period_start.max(r.period_end),
            )),
            Record::CourtResponse(r) => one(r.date),
            Record::CourtEvent(r) => one(r.date),
            Record::Discharge(r) => one(r.date),
            Record::CaseDisposition(r) => one(r.date),
            Record::LeadStatus(r) => r.as_of.and_then(one),
            Record::ClinicalDetail(r) => r.as_of.and_then(one),
            Record::CounselingNote(r) => one(r.date),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_field_has_a_kind_and_schemas_are_well_formed() {
        for rt in RecordType::ALL {
            let mut names = BTreeSet::new();
            for f in rt.schema() {
                assert!(kind(rt, f.name).is_some(), "{rt}.{} has no kind", f.name);
                assert!(names.insert(f.name), "{rt}.{} twice", f.name);
                assert!(!f.description.is_empty());
                assert_eq!(printable_field_name(f.name), f.name);
            }
            assert!(rt.schema().iter().any(|f| f.required), "{rt}");
        }
        assert!(kind(RecordType::Referral, "note").is_none());
    }

    fn next_day(d: Date) -> Date {
        Date::new(d.year, d.month, d.day + 1)
            .or_else(|_| Date::new(d.year, d.month + 1, 1))
            .or_else(|_| Date::new(d.year + 1, 1, 1))
            .unwrap()
    }

    #[test]
    fn unix_seconds_to_date_matches_day_by_day_calendar() {
        let mut d = Date::new(1970, 1, 1).unwrap();
        for day in 0u64..=(2200 - 1970) * 366 {
            if d.year >= 2200 {
                break;
            }
            assert_eq!(Date::from_unix_seconds(day * 86_400), Some(d), "day {day}");
            assert_eq!(Date::from_unix_seconds(day * 86_400 + 86_399), Some(d));
            d = next_day(d);
        }
        assert_eq!(
            Date::from_unix_seconds(MAX_TIMESTAMP),
            Some(Date::new(9999, 12, 31).unwrap())
        );
        assert_eq!(Date::from_unix_seconds(MAX_TIMESTAMP + 1), None);
        assert_eq!(
            Date::from_unix_seconds(951_782_400),
            Some(Date::new(2000, 2, 29).unwrap())
        );
    }

    #[test]
    fn date_parsing_is_strict() {
        for ok in ["1900-01-01", "2024-02-29", "2000-02-29", "9999-12-31"] {
            assert_eq!(Date::parse(ok).unwrap().to_string(), ok);
        }
        for bad in [
            "",
            "1899-12-31",
            "1900-02-29",
            "2023-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026-01-1",
            "26-01-01",
            "2026/01/01",
            "2026-01-01T00:00:00Z",
            " 2026-01-01",
            "2026-01-01 ",
            "+026-01-01",
            "2026-0a-01",
            "２０２６-01-01",
            "10000-01-01",
        ] {
            assert_eq!(Date::parse(bad), Err(InvalidDate), "{bad:?}");
        }
    }

    #[test]
    fn icd10cm_shapes() {
        for ok in ["F11", "F11.2", "F11.20", "T40.1X1A", "C4A.0", "Z79.891"] {
            assert!(is_icd10cm(ok), "{ok}");
        }
        for bad in [
            "",
            "F1",
            "f11.20",
            "11.20",
            "F11.",
            "F11.20000",
            "F1120",
            "F11-20",
            "F11.2a",
        ] {
            assert!(!is_icd10cm(bad), "{bad}");
        }
    }

    #[test]
    fn vocabulary_tokens_match_serde() {
        for s in Specimen::ALL {
            assert_eq!(codec::to_value(s).unwrap(), Value::from(s.as_str()));
            assert_eq!(Specimen::parse(s.as_str()), Some(*s));
        }
        assert_eq!(ReferralSource::Pc1000Order.as_str(), "pc1000_order");
        assert_eq!(AsamLevel::Level0_5.as_str(), "0.5");
        assert!(Specimen::EXPECTED.starts_with("a specimen type: one of urine oral_fluid"));
    }

    #[test]
    fn unknown_field_names_are_sanitised() {
        assert_eq!(printable_field_name("colour"), "colour");
        assert_eq!(printable_field_name("Jane Doe"), "(not a field name)");
        assert_eq!(printable_field_name(""), "(not a field name)");
        assert_eq!(printable_field_name(&"a".repeat(65)), "(not a field name)");
    }
}

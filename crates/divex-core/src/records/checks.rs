//! The checks a field's [`Kind`] implies, in two places:
//!
//! * **the shape pre-check** ([`check_shape`]) of a decoded CBOR map, before serde sees it:
//!   every key a field, every value of its field's CBOR type and vocabulary, every required
//!   field present;
//! * **the field's own checks** ([`FieldValue::check`]) on a typed record, run by `validate`
//!   for every field in schema order before the record type's cross-field rules
//!   ([`super::rules`]).
//!
//! Every error names the record type and the field, never the value.

use std::collections::BTreeSet;

use super::error::printable_field_name;
use super::schema::{AnalyteResult, FieldSpec, Kind};
use super::vocabularies::{TestResult, Vocabulary};
use super::{
    Date, MAX_LIST_ITEMS, MAX_NOTE_TEXT, MAX_SHORT_TEXT, MAX_SUMMARY_TEXT, MAX_TIMESTAMP,
    RecordError, RecordType,
};
use crate::codec::Value;

const NON_EMPTY_LIST: &str = "a non-empty list (omit the field instead of sending an empty list)";

/// Field checks for one record type; every error names the type and the field.
pub(super) struct Check(pub(super) RecordType);

impl Check {
    pub(super) fn invalid(&self, field: &'static str, expected: &'static str) -> RecordError {
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

    /// A present list: bounded, then non-empty.
    fn present_list(&self, field: &'static str, len: usize) -> Result<(), RecordError> {
        self.list_len(field, len)?;
        if len == 0 {
            return Err(self.invalid(field, NON_EMPTY_LIST));
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

    /// `later` is not before `earlier` (the same day is in order); an absent `later` is.
    pub(super) fn date_order(
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
}

/// A field value's own checks, from its field's [`Kind`]: text lengths and characters,
/// count ranges, list sizes, shapes and uniqueness. The catalogue macro derives each field's
/// Rust type from its kind, so every value meets only the kinds of its own type; the
/// remaining kinds are unreachable and pass.
pub(super) trait FieldValue {
    /// Checks the value of field `spec` of a record checked by `c`.
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError>;
}

impl FieldValue for String {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        match spec.kind {
            Kind::ShortText => c.short_text(spec.name, self),
            Kind::SummaryText => c.text(spec.name, self, MAX_SUMMARY_TEXT, true),
            Kind::NoteText => c.text(spec.name, self, MAX_NOTE_TEXT, true),
            _ => Ok(()),
        }
    }
}

impl FieldValue for u32 {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        match spec.kind {
            Kind::Count { min, max, expected } if !(min..=max).contains(self) => {
                Err(c.invalid(spec.name, expected))
            }
            _ => Ok(()),
        }
    }
}

impl FieldValue for u64 {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        match spec.kind {
            Kind::Timestamp if *self > MAX_TIMESTAMP => Err(c.invalid(
                spec.name,
                "seconds since the Unix epoch, at most 253402300799 (year 9999)",
            )),
            _ => Ok(()),
        }
    }
}

/// Dates, booleans and vocabulary values are valid by construction.
impl FieldValue for Date {
    fn check(&self, _: &Check, _: &FieldSpec) -> Result<(), RecordError> {
        Ok(())
    }
}

impl FieldValue for bool {
    fn check(&self, _: &Check, _: &FieldSpec) -> Result<(), RecordError> {
        Ok(())
    }
}

impl<V: Vocabulary> FieldValue for V {
    fn check(&self, _: &Check, _: &FieldSpec) -> Result<(), RecordError> {
        Ok(())
    }
}

impl FieldValue for Vec<String> {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        match spec.kind {
            Kind::TextList => {
                c.present_list(spec.name, self.len())?;
                for item in self {
                    c.short_text(spec.name, item)?;
                }
                c.unique(spec.name, self)
            }
            Kind::CodeList => {
                c.present_list(spec.name, self.len())?;
                if !self.iter().all(|code| is_icd10cm(code)) {
                    return Err(c.invalid(
                        spec.name,
                        "ICD-10-CM codes (letter, two characters, optional dot and 1-4 more), \
                         e.g. F11.20",
                    ));
                }
                c.unique(spec.name, self)
            }
            _ => Ok(()),
        }
    }
}

impl<V: Vocabulary> FieldValue for Vec<V> {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        c.present_list(spec.name, self.len())?;
        c.unique(spec.name, self)
    }
}

impl FieldValue for Vec<AnalyteResult> {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        // The only list that may be empty: a missed test has no results (the drug test's
        // cross-field rule decides when it must not be).
        c.list_len(spec.name, self.len())?;
        let mut analytes = BTreeSet::new();
        for r in self {
            c.short_text(spec.name, &r.analyte)?;
            if !analytes.insert(r.analyte.as_str()) {
                return Err(c.invalid(spec.name, "each analyte at most once"));
            }
        }
        Ok(())
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn check(&self, c: &Check, spec: &FieldSpec) -> Result<(), RecordError> {
        self.as_ref().map_or(Ok(()), |v| v.check(c, spec))
    }
}

/// ICD-10-CM code shape: a letter, a digit, a digit or letter, then optionally a dot and one
/// to four digits or letters (upper case). Whether the code exists is not checked.
pub(super) fn is_icd10cm(code: &str) -> bool {
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

/// What the analyte results' shape check says a value must be.
pub(super) const ANALYTE_RESULTS_EXPECTED: &str = "a list of {analyte: text, result: test result} \
     maps; test result: one of negative negative_dilute positive positive_dilute adulterated \
     substituted invalid rejected";

impl Kind {
    /// `Err(expected)` when `v` does not have this kind's CBOR type (and vocabulary).
    fn check_shape(self, v: &Value) -> Result<(), &'static str> {
        let is_text = |v: &Value| v.as_text().is_some();
        let in_vocabulary =
            |tokens: &[&str], v: &Value| v.as_text().is_some_and(|s| tokens.contains(&s));
        let ok = match self {
            Kind::ShortText | Kind::SummaryText | Kind::NoteText => is_text(v),
            Kind::Date => v.as_text().is_some_and(|s| Date::parse(s).is_ok()),
            // Ranges are checked by `validate`, with the field's own message.
            Kind::Count { .. } => v.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
            Kind::Timestamp => v.as_u64().is_some(),
            Kind::Bool => matches!(v, Value::Bool(_)),
            Kind::Vocabulary { tokens, .. } => in_vocabulary(tokens, v),
            Kind::TextList | Kind::CodeList => v.as_array().is_some_and(|a| a.iter().all(is_text)),
            Kind::VocabularyList { tokens, .. } => v
                .as_array()
                .is_some_and(|a| a.iter().all(|i| in_vocabulary(tokens, i))),
            Kind::AnalyteResults => v
                .as_array()
                .is_some_and(|a| a.iter().all(is_analyte_result)),
        };
        if ok {
            Ok(())
        } else {
            Err(self.shape_expected())
        }
    }

    /// What the shape check says a value of this kind must be.
    pub(super) fn shape_expected(self) -> &'static str {
        match self {
            Kind::ShortText | Kind::SummaryText | Kind::NoteText => "a text string",
            Kind::Date => "a date as text YYYY-MM-DD",
            Kind::Count { .. } => "an unsigned integer below 2^32",
            Kind::Timestamp => "an unsigned integer",
            Kind::Bool => "true or false",
            Kind::Vocabulary { expected, .. } | Kind::VocabularyList { expected, .. } => expected,
            Kind::TextList | Kind::CodeList => "a list of text strings",
            Kind::AnalyteResults => ANALYTE_RESULTS_EXPECTED,
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
            .is_some_and(|s| TestResult::parse(s).is_some())
}

/// Checks that `v` is a map whose keys are exactly fields of `rt` (all required ones
/// present) and whose values have the fields' CBOR kinds and vocabularies.
pub(super) fn check_shape(rt: RecordType, v: &Value) -> Result<(), RecordError> {
    let map = v.as_map().ok_or(RecordError::NotAMap { record: rt })?;
    for (key, value) in map.iter() {
        let name = key.as_text().unwrap_or("");
        let spec = rt.field(name).ok_or_else(|| RecordError::UnknownField {
            record: rt,
            field: printable_field_name(name),
        })?;
        if matches!(value, Value::Null) {
            return Err(RecordError::InvalidValue {
                record: rt,
                field: spec.name,
                expected: "a value, not null (omit an absent optional field)",
            });
        }
        spec.kind
            .check_shape(value)
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_analyte_results_message_lists_the_test_results() {
        let tokens = TestResult::TOKENS.join(" ");
        assert!(ANALYTE_RESULTS_EXPECTED.ends_with(&format!("one of {tokens}")));
    }
}

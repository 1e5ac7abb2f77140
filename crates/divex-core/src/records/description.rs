//! A record described outside CBOR: as JSON (what the command line and the bindings read from
//! their callers) or as any serde value with the record's field names (what the bindings'
//! typed records are). Every path ends in [`Record::from_value`], so a record given either way
//! gets exactly the checks a record inside an envelope gets.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::{self, DecodeLimits};
use crate::error::{Classified, ErrorCategory};
use crate::json::{self, JsonError};

use super::{Record, RecordError, RecordType};

/// Why a record described as JSON was refused: the text is not JSON divex can read (category
/// input, class `json`), or the value it states is not a valid record (the record's class).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordJsonError {
    /// Not JSON, over the limits, or a value divex CBOR cannot hold.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// Not a valid record of the type.
    #[error(transparent)]
    Record(#[from] RecordError),
}

impl Classified for RecordJsonError {
    fn category(&self) -> ErrorCategory {
        match self {
            RecordJsonError::Json(e) => e.category(),
            RecordJsonError::Record(e) => e.category(),
        }
    }

    fn class(&self) -> &'static str {
        match self {
            RecordJsonError::Json(e) => e.class(),
            RecordJsonError::Record(e) => e.class(),
        }
    }
}

impl Record {
    /// The record of type `rt` that a JSON map states: the record's CBOR field names and
    /// values, a drug test's `collected_at` in Unix seconds, hours in tenths, absent optional
    /// fields left out (records have no byte fields). Read within the codec's default limits.
    ///
    /// ```
    /// use divex_core::records::{Record, RecordType};
    ///
    /// let json = br#"{"date": "2026-09-20", "service_type": "group", "status": "present"}"#;
    /// let r = Record::from_json(RecordType::Attendance, json)?;
    /// assert_eq!(r.to_json(), r#"{"date":"2026-09-20","service_type":"group","status":"present"}"#);
    /// # Ok::<(), divex_core::records::RecordJsonError>(())
    /// ```
    pub fn from_json(rt: RecordType, json: &[u8]) -> Result<Record, RecordJsonError> {
        let v = json::parse(json, &DecodeLimits::DEFAULT, &json::no_bytes)?;
        Ok(Record::from_value(rt, &v)?)
    }

    /// The record as a JSON map (the shape [`Record::from_json`] reads).
    pub fn to_json(&self) -> String {
        json::to_json_text(&self.to_value())
    }

    /// The record of type `rt` whose fields a serde value gives (a struct or map with the
    /// record's field names and CBOR values: dates and vocabulary values as their text).
    pub fn from_fields<T: Serialize + ?Sized>(
        rt: RecordType,
        fields: &T,
    ) -> Result<Record, RecordError> {
        Record::from_value(rt, &codec::to_value(fields)?)
    }

    /// The record's fields as a serde value with the record's field names (the inverse of
    /// [`Record::from_fields`]).
    pub fn fields_as<T: DeserializeOwned>(&self) -> Result<T, RecordError> {
        Ok(codec::from_value(&self.to_value())?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn json_refusals_keep_their_classes() {
        let e = Record::from_json(RecordType::Attendance, br#"{"hours_tenths": 1.5}"#).unwrap_err();
        assert_eq!((e.category(), e.class()), (ErrorCategory::Input, "json"));
        let e = Record::from_json(
            RecordType::Attendance,
            br#"{"date": "2026-09-20", "service_type": "group"}"#,
        )
        .unwrap_err();
        assert_eq!(
            (e.category(), e.class()),
            (ErrorCategory::Record, "missing_field")
        );
        assert_eq!(
            e.to_string(),
            "the attendance record is missing its required field `status`"
        );
    }

    #[test]
    fn record_type_tokens_parse_and_unknown_ones_name_the_choices() {
        assert_eq!("drug_test".parse::<RecordType>(), Ok(RecordType::DrugTest));
        let e = "pizza_order".parse::<RecordType>().unwrap_err();
        assert_eq!(
            (e.category(), e.class()),
            (ErrorCategory::Input, "unknown_record_type")
        );
        assert!(
            e.to_string()
                .starts_with("unknown record type; expected one of referral, "),
            "{e}"
        );
        assert!(!e.to_string().contains("pizza"));
    }

    #[test]
    fn fields_round_trip_through_serde() {
        let fields: BTreeMap<&str, &str> = [
            ("date", "2026-09-20"),
            ("service_type", "group"),
            ("status", "present"),
        ]
        .into();
        let r = Record::from_fields(RecordType::Attendance, &fields).unwrap();
        let back: BTreeMap<String, String> = r.fields_as().unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back["status"], "present");
        let bad: BTreeMap<&str, &str> = [("date", "2026-02-30")].into();
        assert!(Record::from_fields(RecordType::Attendance, &bad).is_err());
    }
}

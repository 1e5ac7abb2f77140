//! A record described as any serde value with the record's field names (what the bindings'
//! typed records are; JSON descriptions are read by `Record::from_json`). Every path ends in
//! the record's own decoder, so a record given either way gets exactly the checks a record
//! inside an envelope gets.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec;

use super::{Record, RecordError, RecordType};

impl Record {
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
    use crate::error::{Classified, ErrorCategory};

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

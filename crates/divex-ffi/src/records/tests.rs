#![allow(clippy::unwrap_used)]

use divex_core::error::ErrorCategory;
use divex_core::vocab::Vocabulary;

use super::*;
use crate::DivexError;

/// `ShortText` → `short_text`: a Rust variant name as the core's kind tokens are written.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_field_of_every_type_crosses_with_the_cores_tier_and_kind() {
    for rt in record_types() {
        let schema = record_schema(rt);
        assert_eq!(schema.len(), rt.schema().len());
        for (ffi, core) in schema.iter().zip(rt.schema()) {
            assert_eq!(ffi.name, core.name);
            assert_eq!(ffi.tier, core.tier);
            assert_eq!(snake(&format!("{:?}", ffi.kind)), core.kind.as_str());
        }
    }
}

#[test]
fn record_type_tokens_parse_as_the_core_reads_them() {
    for rt in RecordType::ALL {
        assert_eq!(parse_record_type(rt.as_str().to_owned()), Ok(rt));
    }
    let e = parse_record_type("horoscope".into()).unwrap_err();
    assert_eq!(
        (e.category(), e.code()),
        (ErrorCategory::Input, "unknown_record_type")
    );
    assert!(
        e.to_string()
            .starts_with("unknown record type; expected one of referral, ")
    );
}

#[test]
fn json_and_record_refusals_keep_their_classes() {
    let e =
        Record::from_json(RecordType::Attendance, r#"{"hours_tenths": 1.5}"#.into()).unwrap_err();
    assert_eq!(
        e,
        DivexError::InvalidInput {
            code: "json".into(),
            detail: "at $.hours_tenths: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)".into(),
        }
    );
    let e = Record::from_json(
        RecordType::Attendance,
        r#"{"date": "2026-09-20", "service_type": "group"}"#.into(),
    )
    .unwrap_err();
    assert_eq!(
        (e.category(), e.code()),
        (ErrorCategory::Record, "missing_field")
    );
}

#[test]
fn typed_json_and_bytes_make_the_same_record() {
    let typed = Record::new(TypedRecord::Attendance {
        record: Attendance {
            date: "2026-09-20".into(),
            service_type: "group".into(),
            status: "present".into(),
            hours_tenths: Some(15),
            cumulative_hours_tenths: None,
        },
    })
    .unwrap();
    let json = Record::from_json(RecordType::Attendance, typed.to_json()).unwrap();
    let bytes = Record::from_bytes(RecordType::Attendance, typed.to_bytes()).unwrap();
    assert_eq!(*json, *typed);
    assert_eq!(*bytes, *typed);
    assert!(matches!(
        typed.typed().unwrap(),
        TypedRecord::Attendance { record } if record.hours_tenths == Some(15)
    ));
    let bad_date = Record::new(TypedRecord::Attendance {
        record: Attendance {
            date: "2026-02-30".into(),
            service_type: "group".into(),
            status: "present".into(),
            hours_tenths: None,
            cumulative_hours_tenths: None,
        },
    })
    .unwrap_err();
    assert_eq!(bad_date.category(), ErrorCategory::Record);
}

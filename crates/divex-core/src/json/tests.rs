#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::error::{Classified, ErrorCategory};
use crate::records::{Record, RecordType};

fn parse_default(json: &str) -> Result<Value, JsonError> {
    parse(json.as_bytes(), &DecodeLimits::DEFAULT, &no_bytes)
}

#[test]
fn a_record_round_trips_through_json() {
    let text = r#"{"date": "2026-09-20", "service_type": "group", "status": "present", "hours_tenths": 15}"#;
    let j: serde_json::Value = serde_json::from_str(text).unwrap();
    let v = parse_default(text).unwrap();
    let r = Record::from_value(RecordType::Attendance, &v).unwrap();
    assert_eq!(to_json(&r.to_value()), j);
}

#[test]
fn refusals_name_the_path_never_the_value() {
    let e = parse_default(r#"{"a": [1, 2.5]}"#).unwrap_err();
    assert_eq!(
        e,
        JsonError::Invalid {
            path: "$.a[1]".into(),
            problem: "numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
        }
    );
    assert_eq!(
        e.to_string(),
        "at $.a[1]: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
    );
    let e = parse_default(r#"{"a": null}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "at $.a: null is not allowed; leave an absent optional field out"
    );
    // A key that is not a plausible field name is not echoed.
    let e = parse_default(r#"{"Secret Name": null}"#).unwrap_err();
    assert!(!e.to_string().contains("Secret"), "{e}");
    assert_eq!(
        e.to_string(),
        "at $.(key): null is not allowed; leave an absent optional field out"
    );
}

/// A key given twice in one object is refused (serde_json would keep the last): a record or a
/// consent saying two things at once is not a description. The error names the duplicate's
/// JSON path, never either value.
#[test]
fn a_duplicate_key_is_refused_at_its_path() {
    let e = parse_default(r#"{"status": "present", "status": "absent"}"#).unwrap_err();
    assert_eq!(
        e,
        JsonError::Invalid {
            path: "$.status".into(),
            problem: "the key appears twice in its object"
        }
    );
    assert_eq!((e.category(), e.class()), (ErrorCategory::Input, "json"));
    assert!(!e.to_string().contains("present") && !e.to_string().contains("absent"));
    // At any depth, with equal values too, and for keys that are not echoed.
    let e = parse_default(r#"{"results": [{"a": 1}, {"a": 1, "b": 2, "a": 1}]}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "at $.results[1].a: the key appears twice in its object"
    );
    let e = parse_default(r#"{"x": {"Jordan Reyes": 1, "Jordan Reyes": 2}}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "at $.x.(key): the key appears twice in its object"
    );
    // The same key in different objects is fine; an escaped spelling of a key is the same key.
    parse_default(r#"{"a": {"k": 1}, "b": {"k": 1}, "k": [{"k": 1}, {"k": 2}]}"#).unwrap();
    assert!(parse_default(r#"{"k": 1, "\u006b": 2}"#).is_err());
}

/// Through the typed entry points: a record and a consent directive with a duplicate key.
#[test]
fn records_and_consents_refuse_duplicate_keys() {
    let e = Record::from_json(
        RecordType::Attendance,
        br#"{"date": "2026-09-20", "service_type": "group", "status": "absent", "status": "present"}"#,
    )
    .unwrap_err();
    assert_eq!(e.class(), "json");
    assert_eq!(
        e.to_string(),
        "at $.status: the key appears twice in its object"
    );
    let directive = br#"{"id": "c-1", "id": "c-2"}"#;
    let e = crate::consent::ConsentDirective::from_json(directive).unwrap_err();
    assert_eq!(e.class(), "json");
    assert_eq!(
        e.to_string(),
        "at $.id: the key appears twice in its object"
    );
}

#[test]
fn syntax_errors_keep_only_the_position() {
    let e = parse_default("{not json").unwrap_err();
    assert_eq!(
        e,
        JsonError::Syntax {
            problem: "syntax error",
            line: 1,
            column: 2
        }
    );
    assert_eq!(e.to_string(), "syntax error at line 1, column 2");
    let e = parse_default(r#"{"a": "Jordan"#).unwrap_err();
    assert!(matches!(
        e,
        JsonError::Syntax {
            problem: "unexpected end of input",
            ..
        }
    ));
    assert!(!e.to_string().contains("Jordan"));
    assert!(matches!(
        parse(b"{\"a\": \"\xff\"}", &DecodeLimits::DEFAULT, &no_bytes),
        Err(JsonError::Syntax { .. })
    ));
}

#[test]
fn hex_bytes_where_the_caller_says() {
    let is_k = |p: &str| p == "$.k[]";
    let v = parse(
        br#"{"k": ["00ff", "ABcd"], "t": "00ff"}"#,
        &DecodeLimits::DEFAULT,
        &is_k,
    )
    .unwrap();
    assert_eq!(to_json_text(&v), r#"{"k":["00ff","abcd"],"t":"00ff"}"#);
    let m = v.as_map().unwrap();
    assert_eq!(
        m.get(&Value::from("k")).unwrap().as_array().unwrap()[0],
        Value::bytes([0, 0xff])
    );
    assert!(m.get(&Value::from("t")).unwrap().as_text().is_some());
    for bad in [r#"{"k": ["zz"]}"#, r#"{"k": ["abc"]}"#, r#"{"k": ["é0"]}"#] {
        assert_eq!(
            parse(bad.as_bytes(), &DecodeLimits::DEFAULT, &is_k).unwrap_err(),
            JsonError::Invalid {
                path: "$.k[0]".into(),
                problem: "expected bytes as hexadecimal text"
            },
            "{bad}"
        );
    }
    // Object paths and array patterns compose: `$.signers[].key`.
    let is_key = |p: &str| p == "$.signers[].key";
    let v = parse(
        br#"{"signers": [{"key": "01"}, {"key": "02", "name": "x"}]}"#,
        &DecodeLimits::DEFAULT,
        &is_key,
    )
    .unwrap();
    assert_eq!(
        to_json_text(&v),
        r#"{"signers":[{"key":"01"},{"key":"02","name":"x"}]}"#
    );
}

#[test]
fn input_is_bounded_before_parsing() {
    let small = DecodeLimits {
        max_input: 64,
        max_depth: 3,
        max_items: 4,
        max_string: 8,
    };
    let long = format!(r#"{{"a": "{}"}}"#, "x".repeat(100));
    assert_eq!(
        parse(long.as_bytes(), &small, &no_bytes).unwrap_err(),
        JsonError::TooLarge {
            len: long.len(),
            limit: 64
        }
    );
    // Depth: three levels pass, four do not, brackets inside strings do not count.
    assert!(parse(br#"{"a": [{"b": "[[[["}]}"#, &small, &no_bytes).is_ok());
    assert_eq!(
        parse(br#"{"a": [{"b": []}]}"#, &small, &no_bytes).unwrap_err(),
        JsonError::TooDeep { limit: 3 }
    );
    // Far deeper than serde_json's own recursion limit: refused by the scan, no stack spent.
    let deep = "[".repeat(100_000);
    assert_eq!(
        parse(deep.as_bytes(), &DecodeLimits::DEFAULT, &no_bytes).unwrap_err(),
        JsonError::TooDeep {
            limit: DecodeLimits::DEFAULT.max_depth
        }
    );
    let escaped = br#"{"a": "\"[[[[", "b": [1]}"#;
    assert!(parse(escaped, &small, &no_bytes).is_ok());
    // Sizes of what is built.
    assert_eq!(
        parse(br#"{"a": [1, 2, 3, 4, 5]}"#, &small, &no_bytes).unwrap_err(),
        JsonError::LimitExceeded {
            path: "$.a".into(),
            what: "array",
            limit: 4
        }
    );
    assert_eq!(
        parse(
            br#"{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}"#,
            &small,
            &no_bytes
        )
        .unwrap_err(),
        JsonError::LimitExceeded {
            path: "$".into(),
            what: "object",
            limit: 4
        }
    );
    assert_eq!(
        parse(br#"{"a": "123456789"}"#, &small, &no_bytes).unwrap_err(),
        JsonError::LimitExceeded {
            path: "$.a".into(),
            what: "string",
            limit: 8
        }
    );
    // Hex bytes are measured decoded: 16 digits are 8 bytes.
    let all = |_: &str| true;
    assert!(parse(br#"{"a": "0011223344556677"}"#, &small, &all).is_ok());
    assert!(parse(br#"{"a": "001122334455667788"}"#, &small, &all).is_err());
}

#[test]
fn to_json_prints_every_value() {
    let v = Value::map([
        (
            Value::from(1u64),
            Value::Tag(1, Box::new(Value::from(-5i64))),
        ),
        (Value::from("b"), Value::bytes([0xab])),
        (
            Value::from("n"),
            Value::Array(vec![Value::Null, Value::Bool(true)]),
        ),
        (
            Value::from("w"),
            Value::Integer(Integer::try_from(-(1i128 << 64)).unwrap()),
        ),
    ])
    .unwrap();
    assert_eq!(
        to_json_text(&v),
        r#"{"1":{"tag":1,"value":-5},"b":"ab","n":[null,true],"w":"-18446744073709551616"}"#
    );
}

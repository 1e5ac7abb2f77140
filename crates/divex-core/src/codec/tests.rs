//! The codec's unit tests: RFC 8949 examples, strictness and limits.

use super::serde_bridge::from_slice;
use super::*;

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn rfc8949_examples_round_trip() {
    // Appendix A examples that are in divex's data model.
    for h in [
        "00",
        "01",
        "0a",
        "17",
        "1818",
        "1819",
        "1864",
        "1903e8",
        "1a000f4240",
        "1b000000e8d4a51000",
        "1bffffffffffffffff",
        "3bffffffffffffffff",
        "20",
        "29",
        "3863",
        "3903e7",
        "f4",
        "f5",
        "f6",
        "40",
        "4401020304",
        "60",
        "6161",
        "6449455446",
        "62225c",
        "80",
        "83010203",
        "8301820203820405",
        "a0",
        "a201020304",
        "a26161016162820203",
        "c074323031332d30332d32315432303a30343a30305a",
    ] {
        let b = hex(h);
        let v = decode(&b).unwrap_or_else(|e| panic!("{h}: {e}"));
        assert_eq!(encode(&v), b, "{h}");
    }
}

#[test]
fn rejects_non_canonical_forms() {
    let cases: &[(&str, fn(&CodecError) -> bool)] = &[
        ("1817", |e| {
            matches!(e, CodecError::NonShortestArgument { .. })
        }),
        ("190017", |e| {
            matches!(e, CodecError::NonShortestArgument { .. })
        }),
        ("5f4101ff", |e| {
            matches!(e, CodecError::IndefiniteLength { .. })
        }),
        ("9f01ff", |e| {
            matches!(e, CodecError::IndefiniteLength { .. })
        }),
        ("bf0101ff", |e| {
            matches!(e, CodecError::IndefiniteLength { .. })
        }),
        ("a202010101", |e| matches!(e, CodecError::KeyOrder { .. })),
        ("a201010101", |e| {
            matches!(e, CodecError::DuplicateKey { .. })
        }),
        // length-first order puts 0x18 0x18 (24) after 0x20 (-1); bytewise puts 0x18 first.
        ("a220011818f6", |e| matches!(e, CodecError::KeyOrder { .. })),
        ("0000", |e| matches!(e, CodecError::TrailingBytes { .. })),
        ("f93c00", |e| matches!(e, CodecError::Unsupported { .. })),
        ("f7", |e| matches!(e, CodecError::Unsupported { .. })),
        ("ff", |e| matches!(e, CodecError::IndefiniteLength { .. })),
        ("62c328", |e| matches!(e, CodecError::InvalidUtf8 { .. })),
        ("5a00010000", |e| matches!(e, CodecError::Truncated { .. })),
        ("9b0000000100000000", |e| {
            matches!(e, CodecError::LimitExceeded { .. })
        }),
        ("1c", |e| matches!(e, CodecError::Unsupported { .. })),
    ];
    for (h, pred) in cases {
        let e = decode(&hex(h)).expect_err(h);
        assert!(pred(&e), "{h}: {e:?}");
    }
}

#[test]
fn depth_is_bounded() {
    let mut b = vec![0x81; 100];
    b.push(0x00);
    assert!(matches!(
        decode(&b),
        Err(CodecError::DepthExceeded { limit: 16 })
    ));
    let ok = {
        let mut b = vec![0x81; 15];
        b.push(0);
        b
    };
    assert!(decode(&ok).is_ok());
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct Rec {
    name: String,
    #[serde(with = "super::bytes_array")]
    digest: [u8; 4],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hours: Option<u32>,
}

#[test]
fn serde_bridge_is_strict() {
    let r = Rec {
        name: "x".into(),
        digest: [1, 2, 3, 4],
        hours: None,
    };
    let b = to_vec(&r).unwrap();
    // Keys in bytewise order: "name" (0x64...) after "digest" (0x66...)? 0x64 < 0x66.
    assert_eq!(from_slice::<Rec>(&b).unwrap(), r);
    // An explicit null for the absent optional field is not canonical.
    let with_null = encode(
        &Value::map([
            (Value::from("name"), Value::from("x")),
            (Value::from("digest"), Value::bytes([1, 2, 3, 4])),
            (Value::from("hours"), Value::Null),
        ])
        .unwrap(),
    );
    assert_eq!(from_slice::<Rec>(&with_null), Err(CodecError::NotCanonical));
    let unknown = encode(
        &Value::map([
            (Value::from("name"), Value::from("secret-name")),
            (Value::from("digest"), Value::bytes([1, 2, 3, 4])),
            (Value::from("zzz"), Value::from(1u64)),
        ])
        .unwrap(),
    );
    let e = from_slice::<Rec>(&unknown).unwrap_err();
    assert!(
        matches!(&e, CodecError::Schema(m) if m.starts_with("unknown field")),
        "{e}"
    );
    let wrong_type = encode(
        &Value::map([
            (Value::from("name"), Value::from(5u64)),
            (Value::from("digest"), Value::bytes([1, 2, 3, 4])),
        ])
        .unwrap(),
    );
    let e = from_slice::<Rec>(&wrong_type).unwrap_err().to_string();
    assert!(!e.contains('5'), "{e}");
}

//! JSON ⇄ divex CBOR values, for records given and printed as JSON.
//!
//! A record's JSON is turned into a CBOR [`Value`] and then read by
//! [`Record::from_value`](divex_core::records::Record::from_value), so it gets exactly the
//! strict checks a record inside an envelope gets, with errors that name the field but never
//! quote a value (records are protected health information). divex CBOR has no floating point
//! and no `null` for absent fields: JSON numbers must be whole, and optional fields are
//! omitted rather than set to `null`.

use divex_core::codec::{Integer, Map, Value};

/// Why JSON could not become a divex value. Names a JSON path, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {path}: {problem}")]
pub struct BridgeError {
    /// Where, as a JSON path (`$.results[0].analyte`).
    pub path: String,
    /// What is wrong.
    pub problem: &'static str,
}

/// Converts JSON to a divex CBOR value.
pub fn json_to_value(j: &serde_json::Value) -> Result<Value, BridgeError> {
    convert(j, "$")
}

fn convert(j: &serde_json::Value, path: &str) -> Result<Value, BridgeError> {
    let fail = |problem| BridgeError {
        path: path.to_owned(),
        problem,
    };
    Ok(match j {
        serde_json::Value::Null => {
            return Err(fail(
                "null is not allowed; leave an absent optional field out",
            ));
        }
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                return Err(fail(
                    "numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)",
                ));
            }
        }
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, v)| convert(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o {
                let child = if is_plain_key(k) {
                    format!("{path}.{k}")
                } else {
                    format!("{path}.(key)")
                };
                m.insert(Value::Text(k.clone()), convert(v, &child)?)
                    .map_err(|_| fail("an object has the same key twice"))?;
            }
            Value::Map(m)
        }
    })
}

fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Converts a divex CBOR value to JSON for display: byte strings become lower-case hex text,
/// tags become `{"tag": n, "value": ...}`, non-text map keys their diagnostic notation.
pub fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Integer(i) => integer_json(*i),
        Value::Bytes(b) => serde_json::Value::String(hex::encode(b)),
        Value::Text(t) => serde_json::Value::String(t.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(value_to_json).collect()),
        Value::Map(m) => {
            let mut o = serde_json::Map::new();
            for (k, val) in m.iter() {
                let key = match k {
                    Value::Text(t) => t.clone(),
                    other => divex_core::codec::diagnostic(other),
                };
                o.insert(key, value_to_json(val));
            }
            serde_json::Value::Object(o)
        }
        Value::Tag(t, inner) => serde_json::json!({"tag": t, "value": value_to_json(inner)}),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Null => serde_json::Value::Null,
        _ => serde_json::Value::String(divex_core::codec::diagnostic(v)),
    }
}

fn integer_json(i: Integer) -> serde_json::Value {
    let n = i.get();
    if let Ok(u) = u64::try_from(n) {
        serde_json::Value::from(u)
    } else if let Ok(s) = i64::try_from(n) {
        serde_json::Value::from(s)
    } else {
        serde_json::Value::String(n.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use divex_core::records::{Record, RecordType};

    #[test]
    fn attendance_from_json() {
        let j: serde_json::Value = serde_json::from_str(
            r#"{"date": "2026-09-20", "service_type": "group", "status": "present", "hours_tenths": 15}"#,
        )
        .unwrap();
        let v = json_to_value(&j).unwrap();
        let r = Record::from_value(RecordType::Attendance, &v).unwrap();
        assert_eq!(value_to_json(&r.to_value()), j);
    }

    #[test]
    fn refusals_name_the_path() {
        let j: serde_json::Value = serde_json::from_str(r#"{"a": [1, 2.5]}"#).unwrap();
        let e = json_to_value(&j).unwrap_err();
        assert_eq!(e.path, "$.a[1]");
        let j: serde_json::Value = serde_json::from_str(r#"{"a": null}"#).unwrap();
        assert!(json_to_value(&j).is_err());
    }
}

//! JSON ⇄ divex CBOR values, for the descriptions (records, consent directives) that foreign
//! code builds as plain maps.
//!
//! JSON is first turned into a divex CBOR [`Value`] and then read by the core's own readers
//! ([`Record::from_value`](divex_core::records::Record::from_value),
//! [`codec::from_value`](divex_core::codec::from_value)), so a record given as JSON gets exactly
//! the checks a record inside an envelope gets. divex CBOR has no floating point and no `null`
//! for absent fields: numbers must be whole and optional fields are left out. Byte strings have
//! no JSON form; the few places that hold them take lower-case or upper-case hex text (named
//! by the caller's `is_bytes` predicate) and are printed back as lower-case hex.
//!
//! Errors name a JSON path (`$.results[0].analyte`), never a value: records are protected
//! health information. The same conversion exists in the CLI (`crates/divex-cli/src/jsonbridge.rs`);
//! it belongs in the core once both settle (see the report of issue 5).

use divex_core::codec::{Integer, Map, Value};

use crate::error::{DivexError, Result};

/// Parses `text` as JSON and converts it; `is_bytes` receives the path of every string with
/// array indices written `[]` (e.g. `$.signers[].key`) and says whether it holds hex bytes.
pub(crate) fn parse(text: &str, is_bytes: &dyn Fn(&str) -> bool) -> Result<Value> {
    let j: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| DivexError::invalid("json", format!("not valid JSON: {e}")))?;
    convert(&j, "$", "$", is_bytes)
}

fn fail(path: &str, problem: &str) -> DivexError {
    DivexError::invalid("json", format!("at {path}: {problem}"))
}

fn convert(
    j: &serde_json::Value,
    path: &str,
    pattern: &str,
    is_bytes: &dyn Fn(&str) -> bool,
) -> Result<Value> {
    Ok(match j {
        serde_json::Value::Null => {
            return Err(fail(
                path,
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
                    path,
                    "numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)",
                ));
            }
        }
        serde_json::Value::String(s) if is_bytes(pattern) => Value::Bytes(
            hex::decode(s).map_err(|_| fail(path, "expected bytes as hexadecimal text"))?,
        ),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        serde_json::Value::Array(a) => {
            let pattern = format!("{pattern}[]");
            Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, v)| convert(v, &format!("{path}[{i}]"), &pattern, is_bytes))
                    .collect::<Result<_>>()?,
            )
        }
        serde_json::Value::Object(o) => {
            let mut m = Map::new();
            for (k, v) in o {
                let shown = if is_plain_key(k) { k.as_str() } else { "(key)" };
                let child = convert(
                    v,
                    &format!("{path}.{shown}"),
                    &format!("{pattern}.{shown}"),
                    is_bytes,
                )?;
                m.insert(Value::Text(k.clone()), child)
                    .map_err(|_| fail(path, "an object has the same key twice"))?;
            }
            Value::Map(m)
        }
    })
}

/// Whether a key may be echoed in an error path (a plausible field name, not arbitrary input).
fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A divex value as JSON: byte strings become lower-case hex, tags `{"tag": n, "value": v}`,
/// non-text map keys their diagnostic notation.
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Integer(i) => integer(*i),
        Value::Bytes(b) => serde_json::Value::String(hex::encode(b)),
        Value::Text(t) => serde_json::Value::String(t.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, val)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => divex_core::codec::diagnostic(other),
                    };
                    (key, to_json(val))
                })
                .collect(),
        ),
        Value::Tag(t, inner) => serde_json::json!({"tag": t, "value": to_json(inner)}),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Null => serde_json::Value::Null,
        other => serde_json::Value::String(divex_core::codec::diagnostic(other)),
    }
}

/// [`to_json`] as compact text.
pub(crate) fn to_json_text(v: &Value) -> String {
    to_json(v).to_string()
}

fn integer(i: Integer) -> serde_json::Value {
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
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_place_never_the_value() {
        let e = parse(r#"{"a": [1, 2.5]}"#, &|_| false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "at $.a[1]: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
        );
        let e = parse(r#"{"Secret Name": null}"#, &|_| false).unwrap_err();
        assert!(!e.to_string().contains("Secret"), "{e}");
    }

    #[test]
    fn hex_bytes_where_the_caller_says() {
        let v = parse(r#"{"k": ["00ff"], "t": "00ff"}"#, &|p| p == "$.k[]").unwrap();
        assert_eq!(to_json_text(&v), r#"{"k":["00ff"],"t":"00ff"}"#);
        let m = v.as_map().unwrap();
        assert!(
            m.get(&Value::from("k")).unwrap().as_array().unwrap()[0]
                .as_bytes()
                .is_some()
        );
        assert!(m.get(&Value::from("t")).unwrap().as_text().is_some());
        assert!(parse(r#"{"k": ["zz"]}"#, &|p| p == "$.k[]").is_err());
    }
}

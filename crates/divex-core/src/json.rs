//! JSON ⇄ divex CBOR values, for the descriptions (records, consent directives) that the
//! command line and the foreign-language bindings receive and print as JSON.
//!
//! JSON is first turned into a divex CBOR [`Value`] and then read by the core's own readers
//! ([`Record::from_value`](crate::records::Record::from_value),
//! [`codec::from_value`]), so a record given as JSON gets exactly
//! the strict checks a record inside an envelope gets. divex CBOR has no floating point and no
//! `null` for absent fields: JSON numbers must be whole, and optional fields are omitted
//! rather than set to `null`.
//!
//! **Byte strings** have no JSON form. The caller names the strings that hold bytes with a
//! predicate over *path patterns* — the string's JSON path with every array index written
//! `[]`, e.g. `$.signers[].key` — and those strings are read as hexadecimal text (lower- or
//! upper-case); every other string is text. [`no_bytes`] names none (records have no byte
//! fields). On the way out, [`to_json`] prints every byte string as lower-case hex, so a
//! description read with the right predicate prints back as it was given.
//!
//! Input is bounded before anything is allocated for it: its length, and how deeply its
//! arrays and objects nest, against the caller's [`DecodeLimits`] (the same limits the codec
//! applies to CBOR); array, object and string sizes are checked against them as the value is
//! built. Errors name a JSON path (`$.results[0].analyte`), never a value: records are
//! protected health information.
//!
//! ```
//! use divex_core::codec::{DecodeLimits, Value};
//! use divex_core::json;
//!
//! let hex_key = |pattern: &str| pattern == "$.signers[].key";
//! let v = json::parse(
//!     br#"{"signers": [{"key": "00ff", "name": "Jordan"}]}"#,
//!     &DecodeLimits::DEFAULT,
//!     &hex_key,
//! )?;
//! let signer = &v.as_map().unwrap().get(&Value::from("signers")).unwrap().as_array().unwrap()[0];
//! assert_eq!(signer.as_map().unwrap().get(&Value::from("key")), Some(&Value::bytes([0, 0xff])));
//! assert_eq!(json::to_json_text(&v), r#"{"signers":[{"key":"00ff","name":"Jordan"}]}"#);
//!
//! let e = json::parse(br#"{"hours_tenths": 1.5}"#, &DecodeLimits::DEFAULT, &json::no_bytes)
//!     .unwrap_err();
//! assert_eq!(
//!     e.to_string(),
//!     "at $.hours_tenths: numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)"
//! );
//! # Ok::<(), json::JsonError>(())
//! ```

use std::fmt::Write as _;

use crate::codec::{self, DecodeLimits, Integer, Map, Value};

/// Why JSON could not become a divex value. Names a JSON path or a position, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The input is not JSON (or not UTF-8). Only the kind of problem and its position are
    /// kept: a parser's message could quote the input.
    #[error("{problem} at line {line}, column {column}")]
    Syntax {
        /// `syntax error`, `unexpected end of input`, `unexpected data` or `read error`.
        problem: &'static str,
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        column: usize,
    },
    /// The input is longer than the limit in force.
    #[error("the JSON is {len} bytes, over the limit of {limit}")]
    TooLarge {
        /// The input's length.
        len: usize,
        /// The limit in force ([`DecodeLimits::max_input`]).
        limit: usize,
    },
    /// Arrays and objects nest deeper than the limit in force.
    #[error("the JSON nests arrays and objects deeper than the limit of {limit}")]
    TooDeep {
        /// The limit in force ([`DecodeLimits::max_depth`]).
        limit: usize,
    },
    /// An array, an object or a string is larger than the limit in force.
    #[error("at {path}: the {what} is larger than the limit of {limit}")]
    LimitExceeded {
        /// Where, as a JSON path.
        path: String,
        /// `array`, `object` or `string`.
        what: &'static str,
        /// The limit in force (items, entries or bytes).
        limit: usize,
    },
    /// A value divex CBOR cannot hold (`null`, a fraction, bytes that are not hex).
    #[error("at {path}: {problem}")]
    Invalid {
        /// Where, as a JSON path (`$.results[0].analyte`).
        path: String,
        /// What is wrong, in words.
        problem: &'static str,
    },
    /// The JSON is well formed but does not describe a value of the expected schema (an
    /// unknown or misspelt field, a wrong type, a missing field).
    #[error("the {what} description does not match the {what} schema: {detail}")]
    Schema {
        /// What was described, e.g. `consent`.
        what: &'static str,
        /// The schema reader's message (names fields, never values).
        detail: String,
    },
}

/// The byte-string predicate that names no string: every JSON string is text.
pub fn no_bytes(_pattern: &str) -> bool {
    false
}

/// Parses `json` and converts it to a divex value, within `limits`. `is_hex_bytes` receives
/// the path pattern of every string (array indices written `[]`, e.g. `$.signers[].key`) and
/// says whether it holds bytes as hexadecimal text (see the module documentation).
pub fn parse(
    json: &[u8],
    limits: &DecodeLimits,
    is_hex_bytes: &dyn Fn(&str) -> bool,
) -> Result<Value, JsonError> {
    let limits = limits.clamped();
    if json.len() > limits.max_input {
        return Err(JsonError::TooLarge {
            len: json.len(),
            limit: limits.max_input,
        });
    }
    if !nesting_within(json, limits.max_depth) {
        return Err(JsonError::TooDeep {
            limit: limits.max_depth,
        });
    }
    let j: serde_json::Value = serde_json::from_slice(json).map_err(|e| JsonError::Syntax {
        problem: match e.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "unexpected end of input",
        },
        line: e.line(),
        column: e.column(),
    })?;
    Converter {
        limits: &limits,
        is_hex_bytes,
    }
    .convert(&j, "$", "$")
}

/// Whether the arrays and objects of `json` nest at most `max_depth` deep (the top-level
/// container is depth 1, as in the codec). A scan of the bytes, before the parser allocates
/// anything; brackets inside strings do not count. Malformed input is left to the parser.
fn nesting_within(json: &[u8], max_depth: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

struct Converter<'a> {
    limits: &'a DecodeLimits,
    is_hex_bytes: &'a dyn Fn(&str) -> bool,
}

impl Converter<'_> {
    /// Converts `j`, found at `path`; `pattern` is `path` with array indices written `[]`.
    fn convert(
        &self,
        j: &serde_json::Value,
        path: &str,
        pattern: &str,
    ) -> Result<Value, JsonError> {
        let invalid = |problem| JsonError::Invalid {
            path: path.to_owned(),
            problem,
        };
        let over = |what, limit| JsonError::LimitExceeded {
            path: path.to_owned(),
            what,
            limit,
        };
        Ok(match j {
            serde_json::Value::Null => {
                return Err(invalid(
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
                    return Err(invalid(
                        "numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)",
                    ));
                }
            }
            serde_json::Value::String(s) if s.len() > self.limits.max_string.saturating_mul(2) => {
                return Err(over("string", self.limits.max_string));
            }
            serde_json::Value::String(s) if (self.is_hex_bytes)(pattern) => {
                let b = hex_decode(s).ok_or(invalid("expected bytes as hexadecimal text"))?;
                if b.len() > self.limits.max_string {
                    return Err(over("string", self.limits.max_string));
                }
                Value::Bytes(b)
            }
            serde_json::Value::String(s) if s.len() > self.limits.max_string => {
                return Err(over("string", self.limits.max_string));
            }
            serde_json::Value::String(s) => Value::Text(s.clone()),
            serde_json::Value::Array(a) => {
                if a.len() > self.limits.max_items {
                    return Err(over("array", self.limits.max_items));
                }
                let pattern = format!("{pattern}[]");
                Value::Array(
                    a.iter()
                        .enumerate()
                        .map(|(i, v)| self.convert(v, &format!("{path}[{i}]"), &pattern))
                        .collect::<Result<_, _>>()?,
                )
            }
            serde_json::Value::Object(o) => {
                if o.len() > self.limits.max_items {
                    return Err(over("object", self.limits.max_items));
                }
                let mut m = Map::new();
                for (k, v) in o {
                    let shown = if is_plain_key(k) { k.as_str() } else { "(key)" };
                    let child =
                        self.convert(v, &format!("{path}.{shown}"), &format!("{pattern}.{shown}"))?;
                    m.insert(Value::Text(k.clone()), child)
                        .map_err(|_| invalid("an object has the same key twice"))?;
                }
                Value::Map(m)
            }
        })
    }
}

/// Whether a key may be echoed in an error path (a plausible field name, not arbitrary input).
fn is_plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Hexadecimal text (an even number of digits, either case) as bytes.
fn hex_decode(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some(nibble(*hi)? << 4 | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

/// Lower-case hexadecimal text.
fn hex_encode(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for byte in b {
        let _ = write!(s, "{byte:02x}");
    }
    s
}

/// A divex value as JSON, for display: byte strings become lower-case hex text, tags
/// `{"tag": n, "value": v}`, non-text map keys their diagnostic notation; integers beyond the
/// 64-bit range become decimal text.
pub fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Integer(i) => integer(*i),
        Value::Bytes(b) => serde_json::Value::String(hex_encode(b)),
        Value::Text(t) => serde_json::Value::String(t.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, val)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => codec::diagnostic(other),
                    };
                    (key, to_json(val))
                })
                .collect(),
        ),
        Value::Tag(t, inner) => serde_json::json!({"tag": t, "value": to_json(inner)}),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Null => serde_json::Value::Null,
    }
}

/// [`to_json`] as compact text.
pub fn to_json_text(v: &Value) -> String {
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
mod tests;

crate::error::classified!(JsonError, Input, |e| match e {
    JsonError::Syntax { .. }
    | JsonError::TooLarge { .. }
    | JsonError::TooDeep { .. }
    | JsonError::LimitExceeded { .. }
    | JsonError::Invalid { .. }
    | JsonError::Schema { .. } => "json",
});

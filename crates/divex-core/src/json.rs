//! JSON ⇄ divex CBOR values, for the descriptions (records, consent directives) that the
//! command line and the foreign-language bindings receive and print as JSON. The API is
//! typed — [`Record::from_json`](crate::records::Record::from_json) / `to_json` and
//! [`ConsentDirective::from_json`](crate::consent::ConsentDirective::from_json) / `to_json`
//! — with [`JsonError`] (public in `divex_core::error`); this module is their implementation.
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
//! built. An object that gives a key twice is refused (a JSON reader keeping the first would
//! see another record than one keeping the last). Errors name a JSON path (`$.results[0].analyte`), never a value: records are
//! protected health information.
//!
//! ```
//! // The bridge is not API; tests reach it through `divex_core::testing`.
//! use divex_core::testing::codec::{DecodeLimits, Value};
//! use divex_core::testing::json;
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
use crate::error::{Classified, ErrorCategory};
use crate::records::RecordError;

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
    /// A value divex CBOR cannot hold (`null`, a fraction, bytes that are not hex), or a key
    /// given twice in one object (`path` names the second).
    #[error("at {path}: {problem}")]
    Invalid {
        /// Where, as a JSON path (`$.results[0].analyte`).
        path: String,
        /// What is wrong, in words.
        problem: &'static str,
    },
    /// The JSON is well formed but does not have the shape of what it describes (a consent
    /// directive): a missing, unknown or mistyped field, named, never its value.
    #[error("the {what} description does not match the {what} schema: {detail}")]
    Schema {
        /// What was described (`consent`).
        what: &'static str,
        /// The field that does not match.
        detail: String,
    },
    /// The JSON describes a record, and the record is refused: the record's own error (its
    /// class and category are the record's).
    #[error("{0}")]
    Record(#[from] RecordError),
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
    let j: Json = serde_json::from_slice(json).map_err(|e| JsonError::Syntax {
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

/// Parsed JSON that keeps every object entry in input order, duplicates included:
/// `serde_json::Value` keeps only the last of a key given twice, and the converter refuses
/// such an object instead.
enum Json {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    /// A number that is not a whole number within 64 bits (divex CBOR has no floats).
    Fraction,
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Json, E> {
        Ok(Json::Unsigned(u))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Json, E> {
        Ok(Json::Signed(i))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Fraction)
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::String(s))
    }
    // No capacity from size hints: serde_json gives none, and the input is bounded.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Json>()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

struct Converter<'a> {
    limits: &'a DecodeLimits,
    is_hex_bytes: &'a dyn Fn(&str) -> bool,
}

impl Converter<'_> {
    /// Converts `j`, found at `path`; `pattern` is `path` with array indices written `[]`.
    fn convert(&self, j: &Json, path: &str, pattern: &str) -> Result<Value, JsonError> {
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
            Json::Null => {
                return Err(invalid(
                    "null is not allowed; leave an absent optional field out",
                ));
            }
            Json::Bool(b) => Value::Bool(*b),
            Json::Unsigned(u) => Value::from(*u),
            Json::Signed(i) => Value::from(*i),
            Json::Fraction => {
                return Err(invalid(
                    "numbers must be whole (hours are given in tenths, e.g. 15 for 1.5 h)",
                ));
            }
            Json::String(s) if s.len() > self.limits.max_string.saturating_mul(2) => {
                return Err(over("string", self.limits.max_string));
            }
            Json::String(s) if (self.is_hex_bytes)(pattern) => {
                let b = hex_decode(s).ok_or(invalid("expected bytes as hexadecimal text"))?;
                if b.len() > self.limits.max_string {
                    return Err(over("string", self.limits.max_string));
                }
                Value::Bytes(b)
            }
            Json::String(s) if s.len() > self.limits.max_string => {
                return Err(over("string", self.limits.max_string));
            }
            Json::String(s) => Value::Text(s.clone()),
            Json::Array(a) => {
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
            Json::Object(o) => {
                if o.len() > self.limits.max_items {
                    return Err(over("object", self.limits.max_items));
                }
                let mut m = Map::new();
                for (k, v) in o {
                    let shown = if is_plain_key(k) { k.as_str() } else { "(key)" };
                    let (child_path, child_pattern) =
                        (format!("{path}.{shown}"), format!("{pattern}.{shown}"));
                    let child = self.convert(v, &child_path, &child_pattern)?;
                    // A key given twice is refused, whatever its values: the JSON would say
                    // two things at once, and a reader keeping the first would see another
                    // record than one keeping the last.
                    m.insert(Value::Text(k.clone()), child)
                        .map_err(|_| JsonError::Invalid {
                            path: child_path,
                            problem: "the key appears twice in its object",
                        })?;
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

impl Classified for JsonError {
    /// [`ErrorCategory::Input`] with class `json` for a description that is not acceptable
    /// JSON or does not match its schema; a refused record keeps its own category and class.
    fn category(&self) -> ErrorCategory {
        match self {
            JsonError::Record(e) => e.category(),
            JsonError::Syntax { .. }
            | JsonError::TooLarge { .. }
            | JsonError::TooDeep { .. }
            | JsonError::LimitExceeded { .. }
            | JsonError::Invalid { .. }
            | JsonError::Schema { .. } => ErrorCategory::Input,
        }
    }

    fn class(&self) -> &'static str {
        match self {
            JsonError::Record(e) => e.class(),
            JsonError::Syntax { .. }
            | JsonError::TooLarge { .. }
            | JsonError::TooDeep { .. }
            | JsonError::LimitExceeded { .. }
            | JsonError::Invalid { .. }
            | JsonError::Schema { .. } => "json",
        }
    }
}

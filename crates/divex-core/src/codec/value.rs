//! [`CodecError`] and the data model: integers, byte and text strings, arrays, maps (always
//! in deterministic key order), tags, booleans and null.

use std::fmt;

use super::diagnostic::diagnostic;
use super::encode::encode;
use crate::error::classified;

/// Why a byte string is not strict deterministic CBOR (or exceeds a limit).
///
/// Offsets are byte positions in the input; errors never carry the input's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The input ends before the item that starts or continues at `offset` is complete.
    #[error("CBOR input is truncated at byte {offset}")]
    Truncated {
        /// Where more bytes were needed.
        offset: usize,
    },
    /// A complete item was decoded but bytes remain after it.
    #[error("CBOR input has trailing bytes after the item, starting at byte {offset}")]
    TrailingBytes {
        /// First byte after the item.
        offset: usize,
    },
    /// An integer, length or tag argument is not in its shortest form.
    #[error("CBOR integer or length at byte {offset} is not in shortest form")]
    NonShortestArgument {
        /// Start of the offending item head.
        offset: usize,
    },
    /// An indefinite-length string, array or map (or a stray "break").
    #[error("CBOR indefinite-length item at byte {offset} is not allowed")]
    IndefiniteLength {
        /// Start of the offending item head.
        offset: usize,
    },
    /// Map keys are not in bytewise lexicographic order of their encodings.
    #[error("CBOR map key at byte {offset} is out of order (keys must be sorted bytewise)")]
    KeyOrder {
        /// Start of the out-of-order key.
        offset: usize,
    },
    /// A map key appears twice.
    #[error("CBOR map key at byte {offset} is a duplicate")]
    DuplicateKey {
        /// Start of the repeated key.
        offset: usize,
    },
    /// Arrays, maps and tags nest deeper than the limit.
    #[error("CBOR nesting is deeper than the limit of {limit}")]
    DepthExceeded {
        /// The depth limit in force.
        limit: usize,
    },
    /// The input, a string or a container is larger than the limit in force.
    #[error("CBOR {what} exceeds the limit of {limit}")]
    LimitExceeded {
        /// What was too large: "input", "string" or "container".
        what: &'static str,
        /// The limit in force.
        limit: usize,
    },
    /// A text string is not valid UTF-8.
    #[error("CBOR text string at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Start of the text string.
        offset: usize,
    },
    /// A well-formed item divex never accepts (floats, undefined, simple values, reserved
    /// additional-information values).
    #[error("CBOR item at byte {offset} is not supported: {what}")]
    Unsupported {
        /// Start of the item.
        offset: usize,
        /// What kind of item it was.
        what: &'static str,
    },
    /// Building a map with the same key twice (encoder side).
    #[error("map has the same key twice")]
    DuplicateKeyInBuilder,
    /// The CBOR is well-formed but does not match the expected schema (a typed record,
    /// consent or certificate). The message names fields, never their values.
    #[error("does not match the schema: {0}")]
    Schema(String),
    /// A typed value re-encodes to different bytes than were received (an explicit `null`
    /// for an absent optional field, for example): refused so that accepted bytes are
    /// always exactly what divex would produce.
    #[error("does not re-encode identically (non-canonical field encoding)")]
    NotCanonical,
}

classified!(CodecError, Input, |e| match e {
    CodecError::Truncated { .. } => "truncated",
    CodecError::TrailingBytes { .. } => "trailing_bytes",
    CodecError::NonShortestArgument { .. } => "non_shortest_argument",
    CodecError::IndefiniteLength { .. } => "indefinite_length",
    CodecError::KeyOrder { .. } => "key_order",
    CodecError::DuplicateKey { .. } => "duplicate_key",
    CodecError::DepthExceeded { .. } => "depth_exceeded",
    CodecError::LimitExceeded { .. } => "limit_exceeded",
    CodecError::InvalidUtf8 { .. } => "invalid_utf8",
    CodecError::Unsupported { .. } => "unsupported",
    CodecError::DuplicateKeyInBuilder => "duplicate_key_in_builder",
    CodecError::Schema(_) => "schema",
    CodecError::NotCanonical => "not_canonical",
});

/// A CBOR integer in the range CBOR can express, -2^64 ..= 2^64-1.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Integer(pub(super) i128);

impl Integer {
    /// The smallest CBOR integer, -2^64.
    pub const MIN: i128 = -(1i128 << 64);
    /// The largest CBOR integer, 2^64 - 1.
    pub const MAX: i128 = (1i128 << 64) - 1;

    /// The value as an `i128`.
    pub fn get(self) -> i128 {
        self.0
    }
}

impl fmt::Debug for Integer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u64> for Integer {
    fn from(v: u64) -> Self {
        Integer(i128::from(v))
    }
}

impl From<i64> for Integer {
    fn from(v: i64) -> Self {
        Integer(i128::from(v))
    }
}

impl TryFrom<i128> for Integer {
    type Error = CodecError;
    fn try_from(v: i128) -> Result<Self, CodecError> {
        if (Self::MIN..=Self::MAX).contains(&v) {
            Ok(Integer(v))
        } else {
            Err(CodecError::LimitExceeded {
                what: "integer",
                limit: 64,
            })
        }
    }
}

/// A map whose entries are kept sorted by the bytewise order of their encoded keys, with no
/// duplicate keys. Its encoding is therefore always deterministic.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Map {
    /// (encoded key, key, value), sorted by encoded key.
    pub(super) entries: Vec<(Vec<u8>, Value, Value)>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// Inserts an entry, keeping the order. Fails if the key is already present.
    pub fn insert(&mut self, key: Value, value: Value) -> Result<(), CodecError> {
        let enc = encode(&key);
        match self
            .entries
            .binary_search_by(|(k, _, _)| k.as_slice().cmp(enc.as_slice()))
        {
            Ok(_) => Err(CodecError::DuplicateKeyInBuilder),
            Err(pos) => {
                self.entries.insert(pos, (enc, key, value));
                Ok(())
            }
        }
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(_, k, _)| k == key)
            .map(|(_, _, v)| v)
    }

    /// The value stored under the integer label `label` (COSE header labels are integers).
    pub fn get_label(&self, label: i64) -> Option<&Value> {
        self.get(&Value::from(label))
    }

    /// Entries in encoding order.
    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.entries.iter().map(|(_, k, v)| (k, v))
    }

    /// Keys in encoding order.
    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, k, _)| k)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// The CBOR data model divex uses.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// An integer (major types 0 and 1).
    Integer(Integer),
    /// A byte string (major type 2).
    Bytes(Vec<u8>),
    /// A UTF-8 text string (major type 3).
    Text(String),
    /// An array (major type 4).
    Array(Vec<Value>),
    /// A map (major type 5), always in deterministic key order.
    Map(Map),
    /// A tagged item (major type 6).
    Tag(u64, Box<Value>),
    /// `false` or `true`.
    Bool(bool),
    /// `null`.
    Null,
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&diagnostic(self))
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Integer(v.into())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v.into())
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Map> for Value {
    fn from(v: Map) -> Self {
        Value::Map(v)
    }
}

impl Value {
    /// A byte string.
    pub fn bytes(b: impl AsRef<[u8]>) -> Value {
        Value::Bytes(b.as_ref().to_vec())
    }

    /// A map from entries in any order; fails on a duplicate key.
    pub fn map<I: IntoIterator<Item = (Value, Value)>>(entries: I) -> Result<Value, CodecError> {
        let mut m = Map::new();
        for (k, v) in entries {
            m.insert(k, v)?;
        }
        Ok(Value::Map(m))
    }

    /// The integer value, if this is an integer that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => i64::try_from(i.get()).ok(),
            _ => None,
        }
    }

    /// The integer value, if this is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Integer(i) => u64::try_from(i.get()).ok(),
            _ => None,
        }
    }

    /// The bytes, if this is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text, if this is a text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The items, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The map, if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
}

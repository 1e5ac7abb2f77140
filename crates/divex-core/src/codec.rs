//! Strict deterministic CBOR (RFC 8949 §4.2.1), the only codec divex uses for bytes that are
//! signed, encrypted or exchanged.
//!
//! * **Encoding** is Core Deterministic Encoding: shortest integer and length arguments,
//!   definite lengths only, map keys sorted by the **bytewise lexicographic order of their
//!   encodings** (not length-first, as ciborium's and cbor2's canonical modes do).
//! * **Decoding** accepts exactly the bytes the encoder produces and nothing else: every
//!   non-shortest argument, indefinite length, unsorted or duplicate map key, trailing byte,
//!   floating-point or undefined value is refused with a typed [`CodecError`]. Depth, item
//!   counts and string lengths are checked against [`DecodeLimits`] **before** anything is
//!   allocated, and every declared length is checked against the bytes actually present.
//!
//! The resulting invariant, asserted by property tests and by every fuzz target, is that any
//! input [`decode`] accepts is re-encoded by [`encode`] to the identical bytes.
//!
//! The data model is deliberately small ([`Value`]): integers, byte and text strings, arrays,
//! maps, tags, booleans and null. divex never uses floats or simple values other than those.
//!
//! ```
//! use divex_core::codec::{decode, encode, Value};
//!
//! let v = Value::map([(Value::from(1u64), Value::from(-19i64)), (Value::from(4u64), Value::bytes(b"kid"))])?;
//! let bytes = encode(&v);
//! assert_eq!(decode(&bytes)?, v);
//! // The same map with its keys in the wrong order is refused.
//! assert!(decode(&[0xa2, 0x04, 0x43, b'k', b'i', b'd', 0x01, 0x32]).is_err());
//! # Ok::<(), divex_core::codec::CodecError>(())
//! ```

use crate::error::classified;
use std::cmp::Ordering;
use std::fmt;

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
pub struct Integer(i128);

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
    entries: Vec<(Vec<u8>, Value, Value)>,
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

// ---------------------------------------------------------------------------------------------
// Encoding

const MAJOR_UINT: u8 = 0;
const MAJOR_NINT: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;

/// Appends an item head with the shortest argument encoding.
pub fn write_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    if arg < 24 {
        out.push(m | arg as u8);
    } else if arg <= 0xff {
        out.extend_from_slice(&[m | 24, arg as u8]);
    } else if arg <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

/// Appends a byte string (head and content).
pub fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_head(out, MAJOR_BYTES, b.len() as u64);
    out.extend_from_slice(b);
}

/// Appends an array head announcing `len` items.
pub fn write_array_head(out: &mut Vec<u8>, len: usize) {
    write_head(out, MAJOR_ARRAY, len as u64);
}

/// Appends the deterministic encoding of `v` to `out`.
pub fn encode_into(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Integer(i) => {
            let n = i.get();
            if n >= 0 {
                write_head(out, MAJOR_UINT, n as u64);
            } else {
                write_head(out, MAJOR_NINT, (-1 - n) as u64);
            }
        }
        Value::Bytes(b) => write_bytes(out, b),
        Value::Text(t) => {
            write_head(out, MAJOR_TEXT, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        Value::Array(a) => {
            write_head(out, MAJOR_ARRAY, a.len() as u64);
            for item in a {
                encode_into(item, out);
            }
        }
        Value::Map(m) => {
            write_head(out, MAJOR_MAP, m.len() as u64);
            for (enc_key, _, value) in &m.entries {
                out.extend_from_slice(enc_key);
                encode_into(value, out);
            }
        }
        Value::Tag(t, inner) => {
            write_head(out, MAJOR_TAG, *t);
            encode_into(inner, out);
        }
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Null => out.push(0xf6),
    }
}

/// The deterministic encoding of `v`.
pub fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(v, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Bounds enforced while decoding, all checked before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted input, in bytes.
    pub max_input: usize,
    /// Deepest nesting of arrays, maps and tags (the top-level item is depth 1).
    pub max_depth: usize,
    /// Most items in one array or entries in one map.
    pub max_items: usize,
    /// Longest byte or text string, in bytes.
    pub max_string: usize,
}

impl DecodeLimits {
    /// The largest limits divex will ever run with. [`DecodeLimits::clamped`] caps any
    /// configuration to these: the depth maximum keeps recursion far from the stack limit.
    pub const SAFE_MAX: DecodeLimits = DecodeLimits {
        max_input: 256 * 1024 * 1024,
        max_depth: 64,
        max_items: 1 << 20,
        max_string: 256 * 1024 * 1024,
    };

    /// Defaults for generic divex structures.
    pub const DEFAULT: DecodeLimits = DecodeLimits {
        max_input: 16 * 1024 * 1024,
        max_depth: 16,
        max_items: 4096,
        max_string: 16 * 1024 * 1024,
    };

    /// These limits, each capped at [`DecodeLimits::SAFE_MAX`].
    pub fn clamped(self) -> DecodeLimits {
        let m = Self::SAFE_MAX;
        DecodeLimits {
            max_input: self.max_input.min(m.max_input),
            max_depth: self.max_depth.min(m.max_depth),
            max_items: self.max_items.min(m.max_items),
            max_string: self.max_string.min(m.max_string),
        }
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Decodes one strict deterministic CBOR item that spans all of `input`, with
/// [`DecodeLimits::DEFAULT`].
pub fn decode(input: &[u8]) -> Result<Value, CodecError> {
    decode_with(input, &DecodeLimits::DEFAULT)
}

/// Decodes one strict deterministic CBOR item that spans all of `input`.
pub fn decode_with(input: &[u8], limits: &DecodeLimits) -> Result<Value, CodecError> {
    let limits = limits.clamped();
    if input.len() > limits.max_input {
        return Err(CodecError::LimitExceeded {
            what: "input",
            limit: limits.max_input,
        });
    }
    let mut d = Decoder {
        buf: input,
        pos: 0,
        limits,
    };
    let v = d.item(1)?;
    if d.pos != input.len() {
        return Err(CodecError::TrailingBytes { offset: d.pos });
    }
    Ok(v)
}

struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: DecodeLimits,
}

impl Decoder<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::Truncated {
                offset: self.buf.len(),
            });
        }
        let start = self.pos;
        self.pos += n;
        self.buf
            .get(start..start + n)
            .ok_or(CodecError::Truncated { offset: start })
    }

    /// Reads an item head: (major type, additional info, argument). Indefinite lengths and
    /// reserved values are reported; the argument must be in shortest form.
    fn head(&mut self) -> Result<(u8, u8, u64), CodecError> {
        let start = self.pos;
        let ib = *self
            .take(1)?
            .first()
            .ok_or(CodecError::Truncated { offset: start })?;
        let major = ib >> 5;
        let ai = ib & 0x1f;
        let (arg, min) = match ai {
            0..=23 => return Ok((major, ai, u64::from(ai))),
            24 => (u64::from(self.be::<1>()?[0]), 24),
            25 => (u64::from(u16::from_be_bytes(self.be::<2>()?)), 0x100),
            26 => (u64::from(u32::from_be_bytes(self.be::<4>()?)), 0x1_0000),
            27 => (u64::from_be_bytes(self.be::<8>()?), 0x1_0000_0000),
            28..=30 => {
                return Err(CodecError::Unsupported {
                    offset: start,
                    what: "reserved additional information",
                });
            }
            _ => {
                return match major {
                    2..=5 | 7 => Err(CodecError::IndefiniteLength { offset: start }),
                    _ => Err(CodecError::Unsupported {
                        offset: start,
                        what: "malformed item head",
                    }),
                };
            }
        };
        if major == 7 {
            // Simple values and floats: none of them are in divex's data model.
            return Err(CodecError::Unsupported {
                offset: start,
                what: if ai == 24 {
                    "simple value"
                } else {
                    "floating-point number"
                },
            });
        }
        if arg < min {
            return Err(CodecError::NonShortestArgument { offset: start });
        }
        Ok((major, ai, arg))
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn len_arg(&self, arg: u64, what: &'static str, limit: usize) -> Result<usize, CodecError> {
        match usize::try_from(arg) {
            Ok(n) if n <= limit => Ok(n),
            _ => Err(CodecError::LimitExceeded { what, limit }),
        }
    }

    fn item(&mut self, depth: usize) -> Result<Value, CodecError> {
        let start = self.pos;
        let (major, ai, arg) = self.head()?;
        match major {
            MAJOR_UINT => Ok(Value::Integer(Integer(i128::from(arg)))),
            MAJOR_NINT => Ok(Value::Integer(Integer(-1 - i128::from(arg)))),
            MAJOR_BYTES | MAJOR_TEXT => {
                let n = self.len_arg(arg, "string", self.limits.max_string)?;
                let content = self.take(n)?;
                if major == MAJOR_BYTES {
                    Ok(Value::Bytes(content.to_vec()))
                } else {
                    match std::str::from_utf8(content) {
                        Ok(s) => Ok(Value::Text(s.to_owned())),
                        Err(_) => Err(CodecError::InvalidUtf8 { offset: start }),
                    }
                }
            }
            MAJOR_ARRAY => {
                self.enter(depth)?;
                let n = self.len_arg(arg, "container", self.limits.max_items)?;
                // Every item takes at least one byte: refuse before allocating.
                if n > self.remaining() {
                    return Err(CodecError::Truncated {
                        offset: self.buf.len(),
                    });
                }
                // Reserve for at most 16 items up front: nested containers each declaring
                // a large count must not reserve more than the input can fill.
                let mut items = Vec::with_capacity(n.min(16));
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            MAJOR_MAP => {
                self.enter(depth)?;
                let n = self.len_arg(arg, "container", self.limits.max_items)?;
                if n.saturating_mul(2) > self.remaining() {
                    return Err(CodecError::Truncated {
                        offset: self.buf.len(),
                    });
                }
                let mut entries: Vec<(Vec<u8>, Value, Value)> = Vec::with_capacity(n.min(16));
                for _ in 0..n {
                    let key_start = self.pos;
                    let key = self.item(depth + 1)?;
                    let enc_key = self
                        .buf
                        .get(key_start..self.pos)
                        .ok_or(CodecError::Truncated { offset: key_start })?
                        .to_vec();
                    if let Some((prev, _, _)) = entries.last() {
                        match prev.as_slice().cmp(enc_key.as_slice()) {
                            Ordering::Less => {}
                            Ordering::Equal => {
                                return Err(CodecError::DuplicateKey { offset: key_start });
                            }
                            Ordering::Greater => {
                                return Err(CodecError::KeyOrder { offset: key_start });
                            }
                        }
                    }
                    let value = self.item(depth + 1)?;
                    entries.push((enc_key, key, value));
                }
                Ok(Value::Map(Map { entries }))
            }
            MAJOR_TAG => {
                self.enter(depth)?;
                let inner = self.item(depth + 1)?;
                Ok(Value::Tag(arg, Box::new(inner)))
            }
            _ => match ai {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                23 => Err(CodecError::Unsupported {
                    offset: start,
                    what: "undefined",
                }),
                _ => Err(CodecError::Unsupported {
                    offset: start,
                    what: "simple value",
                }),
            },
        }
    }

    fn enter(&self, depth: usize) -> Result<(), CodecError> {
        if depth > self.limits.max_depth {
            Err(CodecError::DepthExceeded {
                limit: self.limits.max_depth,
            })
        } else {
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// serde bridge: typed divex structures <-> Value, always through the strict codec.

fn sanitize_serde_message(msg: &str) -> String {
    // serde messages such as "invalid type: string \"...\"" can quote the data itself; keep
    // only the messages that name a field.
    for prefix in [
        "missing field",
        "unknown field",
        "duplicate field",
        "unknown variant",
    ] {
        if let Some(pos) = msg.find(prefix) {
            let rest = msg.get(pos..).unwrap_or(prefix);
            let end = rest.find(", expected").unwrap_or(rest.len());
            return rest.get(..end).unwrap_or(prefix).to_owned();
        }
    }
    "a field has the wrong type or an invalid value".to_owned()
}

fn from_ciborium(v: ciborium::Value) -> Result<Value, CodecError> {
    Ok(match v {
        ciborium::Value::Integer(i) => Value::Integer(Integer::try_from(i128::from(i))?),
        ciborium::Value::Bytes(b) => Value::Bytes(b),
        ciborium::Value::Text(t) => Value::Text(t),
        ciborium::Value::Bool(b) => Value::Bool(b),
        ciborium::Value::Null => Value::Null,
        ciborium::Value::Tag(t, inner) => Value::Tag(t, Box::new(from_ciborium(*inner)?)),
        ciborium::Value::Array(a) => {
            Value::Array(a.into_iter().map(from_ciborium).collect::<Result<_, _>>()?)
        }
        ciborium::Value::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(from_ciborium(k)?, from_ciborium(v)?)?;
            }
            Value::Map(m)
        }
        ciborium::Value::Float(_) => {
            return Err(CodecError::Schema(
                "floating-point numbers are not used by divex".into(),
            ));
        }
        _ => return Err(CodecError::Schema("unsupported CBOR item".into())),
    })
}

fn to_ciborium(v: &Value) -> ciborium::Value {
    match v {
        Value::Integer(i) => match ciborium::value::Integer::try_from(i.get()) {
            Ok(i) => ciborium::Value::Integer(i),
            // Integer's range is exactly CBOR's, which ciborium's covers.
            Err(_) => ciborium::Value::Null,
        },
        Value::Bytes(b) => ciborium::Value::Bytes(b.clone()),
        Value::Text(t) => ciborium::Value::Text(t.clone()),
        Value::Array(a) => ciborium::Value::Array(a.iter().map(to_ciborium).collect()),
        Value::Map(m) => ciborium::Value::Map(
            m.iter()
                .map(|(k, v)| (to_ciborium(k), to_ciborium(v)))
                .collect(),
        ),
        Value::Tag(t, inner) => ciborium::Value::Tag(*t, Box::new(to_ciborium(inner))),
        Value::Bool(b) => ciborium::Value::Bool(*b),
        Value::Null => ciborium::Value::Null,
    }
}

/// A typed value as a [`Value`] (map keys then sort deterministically).
pub fn to_value<T: serde::Serialize + ?Sized>(t: &T) -> Result<Value, CodecError> {
    let v = ciborium::Value::serialized(t)
        .map_err(|e| CodecError::Schema(sanitize_serde_message(&e.to_string())))?;
    from_ciborium(v)
}

/// A typed value from a [`Value`].
pub fn from_value<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, CodecError> {
    to_ciborium(v)
        .deserialized()
        .map_err(|e| CodecError::Schema(sanitize_serde_message(&e.to_string())))
}

/// The strict deterministic encoding of a typed value.
pub fn to_vec<T: serde::Serialize + ?Sized>(t: &T) -> Result<Vec<u8>, CodecError> {
    Ok(encode(&to_value(t)?))
}

/// Decodes a typed value strictly: the bytes must be strict CBOR, match the schema, and be
/// exactly the bytes [`to_vec`] produces for the result.
pub fn from_slice_with<T>(bytes: &[u8], limits: &DecodeLimits) -> Result<T, CodecError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let v = decode_with(bytes, limits)?;
    let t: T = from_value(&v)?;
    if to_value(&t)? != v {
        return Err(CodecError::NotCanonical);
    }
    Ok(t)
}

/// [`from_slice_with`] under [`DecodeLimits::DEFAULT`].
pub fn from_slice<T>(bytes: &[u8]) -> Result<T, CodecError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    from_slice_with(bytes, &DecodeLimits::DEFAULT)
}

/// serde helpers for fixed-size byte arrays as CBOR byte strings (`#[serde(with = ...)]`).
pub mod bytes_array {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises `[u8; N]` as a byte string.
    pub fn serialize<S: Serializer, const N: usize>(b: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    /// Deserialises a byte string of exactly `N` bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let v = ciborium::Value::deserialize(d)?;
        match v {
            ciborium::Value::Bytes(b) => b
                .try_into()
                .map_err(|_| serde::de::Error::custom("byte string has the wrong length")),
            _ => Err(serde::de::Error::custom("expected a byte string")),
        }
    }
}

/// serde helpers for `Vec<u8>` as a CBOR byte string.
pub mod bytes_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises bytes as a byte string.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }

    /// Deserialises a byte string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match ciborium::Value::deserialize(d)? {
            ciborium::Value::Bytes(b) => Ok(b),
            _ => Err(serde::de::Error::custom("expected a byte string")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Diagnostic notation (RFC 8949 §8), for `inspect` output and Debug.

/// Renders `v` in CBOR diagnostic notation.
pub fn diagnostic(v: &Value) -> String {
    let mut s = String::new();
    diag(v, &mut s);
    s
}

fn diag(v: &Value, s: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Integer(i) => {
            let _ = write!(s, "{}", i.get());
        }
        Value::Bytes(b) => {
            s.push_str("h'");
            for byte in b {
                let _ = write!(s, "{byte:02x}");
            }
            s.push('\'');
        }
        Value::Text(t) => {
            let _ = write!(s, "{t:?}");
        }
        Value::Array(a) => {
            s.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                diag(item, s);
            }
            s.push(']');
        }
        Value::Map(m) => {
            s.push('{');
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                diag(k, s);
                s.push_str(": ");
                diag(val, s);
            }
            s.push('}');
        }
        Value::Tag(t, inner) => {
            let _ = write!(s, "{t}(");
            diag(inner, s);
            s.push(')');
        }
        Value::Bool(b) => {
            let _ = write!(s, "{b}");
        }
        Value::Null => s.push_str("null"),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity
)]
mod tests {
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
}

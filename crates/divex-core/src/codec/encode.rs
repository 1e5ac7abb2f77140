//! The encoder: RFC 8949 §4.2.1 Core Deterministic Encoding of a [`Value`], and
//! [`encode_array`] for hash and signature inputs.

use super::value::Value;

pub(super) const MAJOR_UINT: u8 = 0;
pub(super) const MAJOR_NINT: u8 = 1;
pub(super) const MAJOR_BYTES: u8 = 2;
pub(super) const MAJOR_TEXT: u8 = 3;
pub(super) const MAJOR_ARRAY: u8 = 4;
pub(super) const MAJOR_MAP: u8 = 5;
pub(super) const MAJOR_TAG: u8 = 6;

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

/// One item of the array [`encode_array`] encodes: what hash and signature inputs over a few
/// fields are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// A text string.
    Text(&'a str),
    /// An unsigned integer.
    Uint(u64),
    /// A byte string.
    Bytes(&'a [u8]),
    /// An array of items.
    Array(Vec<Item<'a>>),
}

/// The strict deterministic CBOR encoding of the array `items` (shortest heads, definite
/// lengths): the same bytes the codec produces for the equivalent value, for hash and
/// signature inputs that other crates define over a few fields (the disclosure ledger's
/// entry hashes and checkpoints).
pub fn encode_array(items: &[Item<'_>]) -> Vec<u8> {
    fn value(item: &Item<'_>) -> Value {
        match item {
            Item::Text(t) => Value::from(*t),
            Item::Uint(u) => Value::from(*u),
            Item::Bytes(b) => Value::bytes(b),
            Item::Array(a) => Value::Array(a.iter().map(value).collect()),
        }
    }
    encode(&Value::Array(items.iter().map(value).collect()))
}

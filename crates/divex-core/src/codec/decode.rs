//! The strict decoder: accepts exactly the bytes the encoder produces, within
//! [`DecodeLimits`] checked before anything is allocated.

use std::cmp::Ordering;

use super::encode::{
    MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NINT, MAJOR_TAG, MAJOR_TEXT, MAJOR_UINT,
};
use super::value::{CodecError, Integer, Map, Value};

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

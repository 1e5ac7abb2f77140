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
//! input the decoder accepts is re-encoded by the encoder to the identical bytes.
//!
//! The data model is deliberately small ([`Value`]): integers, byte and text strings, arrays,
//! maps, tags, booleans and null. divex never uses floats or simple values other than those.
//!
//! ## What is public
//!
//! The codec is the implementation of every divex format, not an API of its own: records,
//! consents, certificates, directories and envelopes have their own typed encoders and
//! decoders, and JSON descriptions go through `Record::from_json` and
//! `ConsentDirective::from_json`. What other crates need of it is public here and nothing
//! else:
//!
//! * [`CodecError`], which the format errors carry as their cause;
//! * [`encode_array`] with [`Item`], the deterministic encoding of a flat array of text,
//!   integers and byte strings — what a hash or signature input over a few fields needs (the
//!   disclosure ledger's entry hashes and checkpoint signatures).
//!
//! ```
//! use divex_core::codec::{Item, encode_array};
//!
//! let bytes = encode_array(&[Item::Text("divex/v1 example"), Item::Uint(500), Item::Bytes(&[0xff])]);
//! assert_eq!(bytes, b"\x83\x70divex/v1 example\x19\x01\xf4\x41\xff");
//! ```
//!
//! ## Layout
//!
//! * `value` — [`CodecError`] and the data model (`Value`, `Map`, `Integer`);
//! * `encode` — the deterministic encoder, and [`encode_array`];
//! * `decode` — the strict decoder and its `DecodeLimits`;
//! * `serde_bridge` — typed divex structures ⇄ values, always through the strict codec;
//! * `diagnostic` — CBOR diagnostic notation (RFC 8949 §8).

pub(crate) mod decode;
pub(crate) mod diagnostic;
pub(crate) mod encode;
pub(crate) mod serde_bridge;
#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity
)]
mod tests;
pub(crate) mod value;

pub use encode::{Item, encode_array};
pub use value::CodecError;

pub(crate) use decode::{DecodeLimits, decode, decode_with};
pub(crate) use diagnostic::diagnostic;
pub(crate) use encode::{encode, encode_into, write_array_head, write_bytes, write_head};
pub(crate) use serde_bridge::{bytes_array, from_slice_with, from_value, to_value, to_vec};
pub(crate) use value::{Integer, Map, Value};

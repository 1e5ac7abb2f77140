//! COSE structures (RFC 9052) and the algorithms of the divex profile:
//! `COSE_Sign1` with Ed25519 (alg -19, RFC 9864), `COSE_Encrypt` with ChaCha20/Poly1305
//! (alg 24), and COSE-HPKE Key Encryption recipients with HPKE-4-KE (alg 50,
//! draft-ietf-cose-hpke: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base mode).
//!
//! This module is the *encryption and signature layers on their own*: it parses and builds
//! standard COSE, keeps the exact protected-header bytes it read (never re-encoding before a
//! cryptographic check), and exposes the HPKE key-encryption layer with the draft's
//! `recipient_extra_info` and HPKE `aad` parameters so that it can be checked against the
//! draft's test vectors and other implementations. The divex envelope profile (which headers
//! must be present, key commitment, audience) is enforced one level up, in
//! [`crate::envelope`].

use std::fmt;

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::codec::{self, CodecError, Map, Value};
use crate::dhkem;
use crate::keys::{EncryptionKeyPair, EncryptionPublicKey};

/// COSE algorithm identifiers used by divex.
pub mod alg {
    /// Ed25519 (RFC 9864, fully specified).
    pub const ED25519: i64 = -19;
    /// ChaCha20/Poly1305 (RFC 9053).
    pub const CHACHA20_POLY1305: i64 = 24;
    /// HPKE-4-KE (draft-ietf-cose-hpke): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
    /// ChaCha20Poly1305, key encryption.
    pub const HPKE_4_KE: i64 = 50;
}

/// Standard COSE header labels (RFC 9052 §3.1, draft-ietf-cose-hpke).
pub mod label {
    /// Algorithm.
    pub const ALG: i64 = 1;
    /// Critical headers.
    pub const CRIT: i64 = 2;
    /// Content type.
    pub const CONTENT_TYPE: i64 = 3;
    /// Type of the whole message (`typ`, RFC 9596): keeps signed divex artifacts of different
    /// kinds from being confused with one another.
    pub const TYP: i64 = 16;
    /// Key id.
    pub const KID: i64 = 4;
    /// Initialisation vector.
    pub const IV: i64 = 5;
    /// Encapsulated key (COSE-HPKE).
    pub const EK: i64 = -4;
}

/// CBOR tag of `COSE_Encrypt`.
pub const TAG_ENCRYPT: u64 = 96;
/// CBOR tag of `COSE_Sign1`.
pub const TAG_SIGN1: u64 = 18;
/// CBOR tag of `COSE_Sign`.
pub const TAG_SIGN: u64 = 98;

/// Length of a ChaCha20/Poly1305 key (the CEK).
pub const CEK_LEN: usize = 32;
/// Length of the ChaCha20/Poly1305 IV.
pub const IV_LEN: usize = 12;
/// Length of the Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Length of an HPKE-4-KE encapsulated key.
pub const EK_LEN: usize = 32;

/// Why a COSE structure could not be parsed or a cryptographic layer failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoseError {
    /// The bytes are not strict CBOR.
    #[error("not strict CBOR: {0}")]
    Codec(#[from] CodecError),
    /// The CBOR is not the COSE structure expected.
    #[error("malformed COSE structure: {0}")]
    Structure(&'static str),
    /// A key or nonce has the wrong length for the algorithm.
    #[error("{what} must be {expected} bytes, got {actual}")]
    Length {
        /// What was wrong.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Length supplied.
        actual: usize,
    },
    /// The encapsulated key is a low-order X25519 point (all-zero shared secret).
    #[error("the encapsulated key is a low-order X25519 point (non-contributory)")]
    NonContributoryKey,
    /// HPKE could not decrypt the content key: not encrypted to this key, or altered.
    #[error("the content key could not be decrypted with this recipient key")]
    KeyUnwrap,
    /// The AEAD tag did not verify: wrong key, or the ciphertext or its AAD was altered.
    #[error("the content could not be decrypted: wrong key or altered data")]
    Decrypt,
    /// Encryption failed (never expected with valid inputs).
    #[error("encryption failed")]
    Encrypt,
}

/// A protected header bucket: the exact bytes that were (or will be) wrapped in a bstr, and
/// the map they decode to.
#[derive(Clone, PartialEq, Eq)]
pub struct ProtectedHeader {
    original: Vec<u8>,
    map: Map,
}

impl ProtectedHeader {
    /// A protected header for `map`, serialised deterministically (empty map → empty bstr).
    pub fn new(map: Map) -> ProtectedHeader {
        let original = if map.is_empty() {
            Vec::new()
        } else {
            codec::encode(&Value::Map(map.clone()))
        };
        ProtectedHeader { original, map }
    }

    /// Parses the content of a protected-header bstr strictly. An empty map must be sent as
    /// the empty bstr (RFC 9052 §3), never as `h'a0'`.
    pub fn from_bytes(
        b: &[u8],
        limits: &codec::DecodeLimits,
    ) -> Result<ProtectedHeader, CoseError> {
        if b.is_empty() {
            return Ok(ProtectedHeader {
                original: Vec::new(),
                map: Map::new(),
            });
        }
        let v = codec::decode_with(b, limits)?;
        match v {
            Value::Map(map) if !map.is_empty() => Ok(ProtectedHeader {
                original: b.to_vec(),
                map,
            }),
            Value::Map(_) => Err(CoseError::Structure(
                "an empty protected header must be an empty byte string",
            )),
            _ => Err(CoseError::Structure("protected header is not a map")),
        }
    }

    /// The exact serialised bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.original
    }

    /// The header map.
    pub fn map(&self) -> &Map {
        &self.map
    }
}

impl fmt::Debug for ProtectedHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.map.fmt(f)
    }
}

/// The body of a possibly tagged COSE message: the tag must be `tag` when `tagged`.
fn untag<'a>(
    v: &'a Value,
    tagged: bool,
    tag: u64,
    not_tagged: &'static str,
) -> Result<&'a Value, CoseError> {
    match (v, tagged) {
        (Value::Tag(t, inner), true) if *t == tag => Ok(inner.as_ref()),
        (_, true) => Err(CoseError::Structure(not_tagged)),
        (v, false) => Ok(v),
    }
}

/// Reads the protected (bstr) and unprotected (map) buckets every COSE structure starts with.
fn buckets<'a>(
    it: &mut impl Iterator<Item = &'a Value>,
    limits: &codec::DecodeLimits,
) -> Result<(ProtectedHeader, Map), CoseError> {
    let protected =
        ProtectedHeader::from_bytes(bstr(it.next(), "protected header must be a bstr")?, limits)?;
    let unprotected = map_of(it.next(), "unprotected header must be a map")?.clone();
    Ok((protected, unprotected))
}

fn expect_array<'a>(
    v: &'a Value,
    len: usize,
    what: &'static str,
) -> Result<&'a [Value], CoseError> {
    match v.as_array() {
        Some(a) if a.len() == len => Ok(a),
        _ => Err(CoseError::Structure(what)),
    }
}

fn bstr<'a>(v: Option<&'a Value>, what: &'static str) -> Result<&'a [u8], CoseError> {
    v.and_then(Value::as_bytes)
        .ok_or(CoseError::Structure(what))
}

fn map_of<'a>(v: Option<&'a Value>, what: &'static str) -> Result<&'a Map, CoseError> {
    v.and_then(Value::as_map).ok_or(CoseError::Structure(what))
}

/// One `COSE_recipient` of layer 1.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Recipient {
    /// Protected bucket.
    pub protected: ProtectedHeader,
    /// Unprotected bucket.
    pub unprotected: Map,
    /// The encrypted CEK.
    pub ciphertext: Vec<u8>,
}

impl Recipient {
    fn from_value(v: &Value, limits: &codec::DecodeLimits) -> Result<Recipient, CoseError> {
        let a = expect_array(v, 3, "a COSE_recipient must be an array of 3")?;
        let mut it = a.iter();
        let protected = ProtectedHeader::from_bytes(
            bstr(it.next(), "recipient protected header must be a bstr")?,
            limits,
        )?;
        let unprotected = map_of(it.next(), "recipient unprotected header must be a map")?.clone();
        let ciphertext = bstr(it.next(), "recipient ciphertext must be a bstr")?.to_vec();
        Ok(Recipient {
            protected,
            unprotected,
            ciphertext,
        })
    }

    /// The recipient as a CBOR value.
    pub fn to_value(&self) -> Value {
        Value::Array(vec![
            Value::bytes(self.protected.as_bytes()),
            Value::Map(self.unprotected.clone()),
            Value::bytes(&self.ciphertext),
        ])
    }

    /// The `kid` from the protected bucket, falling back to the unprotected one.
    pub fn kid(&self) -> Option<&[u8]> {
        self.protected
            .map()
            .get_label(label::KID)
            .or_else(|| self.unprotected.get_label(label::KID))
            .and_then(Value::as_bytes)
    }
}

/// A `COSE_Encrypt` message (tag 96).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Encrypt {
    /// Layer-0 protected bucket.
    pub protected: ProtectedHeader,
    /// Layer-0 unprotected bucket.
    pub unprotected: Map,
    /// Content ciphertext with the AEAD tag appended.
    pub ciphertext: Vec<u8>,
    /// Layer-1 recipients.
    pub recipients: Vec<Recipient>,
}

impl Encrypt {
    /// Parses a `COSE_Encrypt` from a decoded value; the tag is required when `tagged`.
    pub fn from_value(
        v: &Value,
        tagged: bool,
        limits: &codec::DecodeLimits,
    ) -> Result<Encrypt, CoseError> {
        let body = untag(v, tagged, TAG_ENCRYPT, "not a tagged COSE_Encrypt (tag 96)")?;
        let a = expect_array(body, 4, "COSE_Encrypt must be an array of 4")?;
        let mut it = a.iter();
        let (protected, unprotected) = buckets(&mut it, limits)?;
        let ciphertext = bstr(
            it.next(),
            "ciphertext must be a bstr (detached content is not supported)",
        )?
        .to_vec();
        let recipients = it
            .next()
            .and_then(Value::as_array)
            .ok_or(CoseError::Structure("recipients must be an array"))?
            .iter()
            .map(|r| Recipient::from_value(r, limits))
            .collect::<Result<Vec<_>, _>>()?;
        if recipients.is_empty() {
            return Err(CoseError::Structure(
                "COSE_Encrypt must have at least one recipient",
            ));
        }
        Ok(Encrypt {
            protected,
            unprotected,
            ciphertext,
            recipients,
        })
    }

    /// The recipients array as a CBOR value.
    pub fn recipients_value(&self) -> Value {
        Value::Array(self.recipients.iter().map(Recipient::to_value).collect())
    }

    /// The message as a tagged CBOR value.
    pub fn to_value(&self) -> Value {
        Value::Tag(
            TAG_ENCRYPT,
            Box::new(Value::Array(vec![
                Value::bytes(self.protected.as_bytes()),
                Value::Map(self.unprotected.clone()),
                Value::bytes(&self.ciphertext),
                self.recipients_value(),
            ])),
        )
    }

    /// The message's deterministic encoding (the encoding of [`Encrypt::to_value`], written
    /// without copying the ciphertext into a value tree first).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_encrypt(
            self.protected.as_bytes(),
            &self.unprotected,
            &self.ciphertext,
            &codec::encode(&self.recipients_value()),
        )
    }

    /// [`Encrypt::from_value`] on a value the caller gives up: the same checks in the same
    /// order with the same errors, but the ciphertext is moved out of `v` instead of copied.
    pub fn from_owned_value(
        mut v: Value,
        tagged: bool,
        limits: &codec::DecodeLimits,
    ) -> Result<Encrypt, CoseError> {
        // An empty bstr or map in its place passes the same structure checks.
        let taken = take_bytes(&mut v, tagged, TAG_ENCRYPT, 4, 2);
        let taken_recipients = take_recipient_parts(&mut v, tagged);
        let mut msg = Encrypt::from_value(&v, tagged, limits)?;
        if let Some(ciphertext) = taken {
            msg.ciphertext = ciphertext;
        }
        // `from_value` succeeded, so it made one recipient per array item, in order.
        for (r, parts) in msg.recipients.iter_mut().zip(taken_recipients) {
            if let Some((unprotected, ciphertext)) = parts {
                r.unprotected = unprotected;
                r.ciphertext = ciphertext;
            }
        }
        Ok(msg)
    }
}

/// Moves the unprotected map and the ciphertext of every well-shaped recipient
/// (`[bstr, map, bstr]`) out of a `COSE_Encrypt` value, leaving an empty map and an empty byte
/// string; one entry per item of the recipients array (`None` for any other shape).
fn take_recipient_parts(v: &mut Value, tagged: bool) -> Vec<Option<(Map, Vec<u8>)>> {
    let body = match (v, tagged) {
        (Value::Tag(t, inner), true) if *t == TAG_ENCRYPT => inner.as_mut(),
        (_, true) => return Vec::new(),
        (v, false) => v,
    };
    let Value::Array(a) = body else {
        return Vec::new();
    };
    let Some(Value::Array(recipients)) = a.get_mut(3) else {
        return Vec::new();
    };
    recipients
        .iter_mut()
        .map(|r| match r {
            Value::Array(parts) if parts.len() == 3 => match parts.as_mut_slice() {
                [_, Value::Map(m), Value::Bytes(b)] => Some((std::mem::take(m), std::mem::take(b))),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Moves the byte string at `index` of the (tagged, when `tagged`) array of `len` items out
/// of `v`, leaving an empty byte string; `None` (and `v` untouched) if `v` has another shape.
fn take_bytes(v: &mut Value, tagged: bool, tag: u64, len: usize, index: usize) -> Option<Vec<u8>> {
    let body = match (v, tagged) {
        (Value::Tag(t, inner), true) if *t == tag => inner.as_mut(),
        (_, true) => return None,
        (v, false) => v,
    };
    match body {
        Value::Array(a) if a.len() == len => match a.get_mut(index) {
            Some(Value::Bytes(b)) => Some(std::mem::take(b)),
            _ => None,
        },
        _ => None,
    }
}

/// The deterministic encoding of `96([protected, unprotected, ciphertext, recipients])`, with
/// `recipients` already encoded (the array, head included).
pub fn encode_encrypt(
    protected: &[u8],
    unprotected: &Map,
    ciphertext: &[u8],
    recipients: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + ciphertext.len() + recipients.len() + 64);
    codec::write_head(&mut out, MAJOR_TAG, TAG_ENCRYPT);
    codec::write_array_head(&mut out, 4);
    codec::write_bytes(&mut out, protected);
    codec::encode_into(&Value::Map(unprotected.clone()), &mut out);
    codec::write_bytes(&mut out, ciphertext);
    out.extend_from_slice(recipients);
    out
}

/// The deterministic encoding of `18([protected, unprotected, payload, signature])`, written
/// without copying the payload into a value tree first.
pub fn encode_sign1(
    protected: &[u8],
    unprotected: &Map,
    payload: &[u8],
    signature: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + payload.len() + signature.len() + 32);
    codec::write_head(&mut out, MAJOR_TAG, TAG_SIGN1);
    codec::write_array_head(&mut out, 4);
    codec::write_bytes(&mut out, protected);
    codec::encode_into(&Value::Map(unprotected.clone()), &mut out);
    codec::write_bytes(&mut out, payload);
    codec::write_bytes(&mut out, signature);
    out
}

/// CBOR major type 6 (tag).
const MAJOR_TAG: u8 = 6;

/// A `COSE_Sign1` message (tag 18).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sign1 {
    /// Protected bucket.
    pub protected: ProtectedHeader,
    /// Unprotected bucket.
    pub unprotected: Map,
    /// The payload (never detached in divex).
    pub payload: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
}

impl Sign1 {
    /// Parses a `COSE_Sign1`; the tag is required when `tagged`.
    pub fn from_value(
        v: &Value,
        tagged: bool,
        limits: &codec::DecodeLimits,
    ) -> Result<Sign1, CoseError> {
        let body = untag(v, tagged, TAG_SIGN1, "not a tagged COSE_Sign1 (tag 18)")?;
        let a = expect_array(body, 4, "COSE_Sign1 must be an array of 4")?;
        let mut it = a.iter();
        let (protected, unprotected) = buckets(&mut it, limits)?;
        let payload = bstr(
            it.next(),
            "payload must be a bstr (detached payloads are not supported)",
        )?
        .to_vec();
        let signature = bstr(it.next(), "signature must be a bstr")?.to_vec();
        Ok(Sign1 {
            protected,
            unprotected,
            payload,
            signature,
        })
    }

    /// The message as a tagged CBOR value.
    pub fn to_value(&self) -> Value {
        Value::Tag(
            TAG_SIGN1,
            Box::new(Value::Array(vec![
                Value::bytes(self.protected.as_bytes()),
                Value::Map(self.unprotected.clone()),
                Value::bytes(&self.payload),
                Value::bytes(&self.signature),
            ])),
        )
    }

    /// The message's deterministic encoding (the encoding of [`Sign1::to_value`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode_sign1(
            self.protected.as_bytes(),
            &self.unprotected,
            &self.payload,
            &self.signature,
        )
    }

    /// [`Sign1::from_value`] on a value the caller gives up: the same checks in the same order
    /// with the same errors, but the payload is moved out of `v` instead of copied.
    pub fn from_owned_value(
        mut v: Value,
        tagged: bool,
        limits: &codec::DecodeLimits,
    ) -> Result<Sign1, CoseError> {
        let taken = take_bytes(&mut v, tagged, TAG_SIGN1, 4, 2);
        let mut msg = Sign1::from_value(&v, tagged, limits)?;
        if let Some(payload) = taken {
            msg.payload = payload;
        }
        Ok(msg)
    }

    /// The `Sig_structure` to be signed (RFC 9052 §4.4), context "Signature1".
    pub fn to_be_signed(&self, external_aad: &[u8]) -> Vec<u8> {
        sig_structure(self.protected.as_bytes(), external_aad, &self.payload)
    }
}

/// One `COSE_Signature` of a [`Sign`] message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Signature {
    /// The signer's protected bucket.
    pub protected: ProtectedHeader,
    /// The signer's unprotected bucket.
    pub unprotected: Map,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// A `COSE_Sign` message (tag 98): one payload, one signature per signer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sign {
    /// Body protected bucket.
    pub protected: ProtectedHeader,
    /// Body unprotected bucket.
    pub unprotected: Map,
    /// The payload.
    pub payload: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

impl Sign {
    /// Parses a `COSE_Sign`; the tag is required when `tagged`.
    pub fn from_value(
        v: &Value,
        tagged: bool,
        limits: &codec::DecodeLimits,
    ) -> Result<Sign, CoseError> {
        let body = untag(v, tagged, TAG_SIGN, "not a tagged COSE_Sign (tag 98)")?;
        let a = expect_array(body, 4, "COSE_Sign must be an array of 4")?;
        let mut it = a.iter();
        let (protected, unprotected) = buckets(&mut it, limits)?;
        let payload = bstr(it.next(), "payload must be a bstr")?.to_vec();
        let signatures = it
            .next()
            .and_then(Value::as_array)
            .ok_or(CoseError::Structure("signatures must be an array"))?
            .iter()
            .map(|s| {
                let a = expect_array(s, 3, "a COSE_Signature must be an array of 3")?;
                let mut it = a.iter();
                Ok(Signature {
                    protected: ProtectedHeader::from_bytes(
                        bstr(it.next(), "signature protected header must be a bstr")?,
                        limits,
                    )?,
                    unprotected: map_of(it.next(), "signature unprotected header must be a map")?
                        .clone(),
                    signature: bstr(it.next(), "signature must be a bstr")?.to_vec(),
                })
            })
            .collect::<Result<Vec<_>, CoseError>>()?;
        if signatures.is_empty() {
            return Err(CoseError::Structure(
                "COSE_Sign must have at least one signature",
            ));
        }
        Ok(Sign {
            protected,
            unprotected,
            payload,
            signatures,
        })
    }

    /// The message as a tagged CBOR value.
    pub fn to_value(&self) -> Value {
        Value::Tag(
            TAG_SIGN,
            Box::new(Value::Array(vec![
                Value::bytes(self.protected.as_bytes()),
                Value::Map(self.unprotected.clone()),
                Value::bytes(&self.payload),
                Value::Array(
                    self.signatures
                        .iter()
                        .map(|s| {
                            Value::Array(vec![
                                Value::bytes(s.protected.as_bytes()),
                                Value::Map(s.unprotected.clone()),
                                Value::bytes(&s.signature),
                            ])
                        })
                        .collect(),
                ),
            ])),
        )
    }

    /// The message's deterministic encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(&self.to_value())
    }

    /// The `Sig_structure` a signer with protected bucket `sign_protected` signs
    /// (RFC 9052 §4.4, context "Signature").
    pub fn to_be_signed(&self, sign_protected: &[u8], external_aad: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + 64);
        codec::write_array_head(&mut out, 5);
        codec::encode_into(&Value::from("Signature"), &mut out);
        codec::write_bytes(&mut out, self.protected.as_bytes());
        codec::write_bytes(&mut out, sign_protected);
        codec::write_bytes(&mut out, external_aad);
        codec::write_bytes(&mut out, &self.payload);
        out
    }
}

/// `Sig_structure = ["Signature1", body_protected, external_aad, payload]`.
pub fn sig_structure(protected: &[u8], external_aad: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + external_aad.len() + payload.len() + 24);
    codec::write_array_head(&mut out, 4);
    codec::encode_into(&Value::from("Signature1"), &mut out);
    codec::write_bytes(&mut out, protected);
    codec::write_bytes(&mut out, external_aad);
    codec::write_bytes(&mut out, payload);
    out
}

/// `Enc_structure = ["Encrypt", protected, external_aad]` (RFC 9052 §5.3).
pub fn enc_structure(protected: &[u8], external_aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + external_aad.len() + 16);
    codec::write_array_head(&mut out, 3);
    codec::encode_into(&Value::from("Encrypt"), &mut out);
    codec::write_bytes(&mut out, protected);
    codec::write_bytes(&mut out, external_aad);
    out
}

/// `Recipient_structure = ["HPKE Recipient", next_layer_alg, recipient_protected_header,
/// recipient_extra_info]` (draft-ietf-cose-hpke §3.3.1), deterministically encoded. Its
/// encoding is the HPKE `info`.
pub fn recipient_structure(next_layer_alg: i64, protected: &[u8], extra_info: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + extra_info.len() + 24);
    codec::write_array_head(&mut out, 4);
    codec::encode_into(&Value::from("HPKE Recipient"), &mut out);
    codec::encode_into(&Value::from(next_layer_alg), &mut out);
    codec::write_bytes(&mut out, protected);
    codec::write_bytes(&mut out, extra_info);
    out
}

/// Parameters of the HPKE key-encryption layer beyond the recipient key. divex itself always
/// uses the defaults (empty extra info and empty HPKE aad); the draft's test vectors and other
/// applications may set them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HpkeParams<'a> {
    /// `recipient_extra_info` of the Recipient_structure.
    pub extra_info: &'a [u8],
    /// The HPKE single-shot `aad` (the draft says it SHOULD be empty).
    pub hpke_aad: &'a [u8],
}

/// Encrypts `cek` to `recipient` with HPKE-4-KE in base mode. Returns `(ek, ciphertext)`.
///
/// The HPKE is the crate's `dhkem` module: RFC 9180 base mode, byte-identical to the `hpke` crate for
/// the same randomness, with the ephemeral public key computed once.
pub fn hpke_wrap<R: CryptoRng>(
    recipient: &EncryptionPublicKey,
    recipient_protected: &[u8],
    next_layer_alg: i64,
    params: HpkeParams<'_>,
    cek: &[u8],
    rng: &mut R,
) -> Result<([u8; EK_LEN], Vec<u8>), CoseError> {
    let info = recipient_structure(next_layer_alg, recipient_protected, params.extra_info);
    dhkem::seal(recipient, &info, params.hpke_aad, cek, rng).map_err(|_| CoseError::Encrypt)
}

/// Decrypts a content key wrapped with HPKE-4-KE in base mode.
///
/// A low-order `ek` is refused as [`CoseError::NonContributoryKey`] (its X25519 result is all
/// zero) before any key is derived; every other failure is [`CoseError::KeyUnwrap`]. The
/// recipient's public key for the HPKE KEM context is the one `key` holds
/// ([`crate::dhkem::open`]), so an unwrap costs one X25519 and no other scalar multiplication.
pub fn hpke_unwrap(
    key: &EncryptionKeyPair,
    ek: &[u8],
    recipient_protected: &[u8],
    next_layer_alg: i64,
    params: HpkeParams<'_>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CoseError> {
    let ek_arr: [u8; EK_LEN] = ek.try_into().map_err(|_| CoseError::Length {
        what: "encapsulated key (ek)",
        expected: EK_LEN,
        actual: ek.len(),
    })?;
    // No separate low-order check: the HPKE decapsulation refuses an all-zero X25519 result,
    // which happens exactly for a low-order `ek` (the recipient scalar is clamped), before any
    // key is derived. A second check would cost a whole extra X25519 per open.
    let info = recipient_structure(next_layer_alg, recipient_protected, params.extra_info);
    dhkem::open(key, &ek_arr, &info, params.hpke_aad, ciphertext).map_err(|e| match e {
        dhkem::HpkeError::NonContributory => CoseError::NonContributoryKey,
        _ => CoseError::KeyUnwrap,
    })
}

/// ChaCha20/Poly1305 (alg 24) as divex uses it for layer 0: 32-byte key, 12-byte nonce, the
/// 16-byte tag appended to the ciphertext.
pub fn aead_seal(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CoseError> {
    let cipher = aead_cipher(key)?;
    let nonce = aead_nonce(iv)?;
    cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CoseError::Encrypt)
}

/// Opens what [`aead_seal`] produced; fails with [`CoseError::Decrypt`] on any alteration.
pub fn aead_open(
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, CoseError> {
    let cipher = aead_cipher(key)?;
    let nonce = aead_nonce(iv)?;
    if ciphertext.len() < TAG_LEN {
        return Err(CoseError::Decrypt);
    }
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| CoseError::Decrypt)
}

fn aead_cipher(key: &[u8]) -> Result<ChaCha20Poly1305, CoseError> {
    ChaCha20Poly1305::new_from_slice(key).map_err(|_| CoseError::Length {
        what: "ChaCha20/Poly1305 key",
        expected: CEK_LEN,
        actual: key.len(),
    })
}

fn aead_nonce(iv: &[u8]) -> Result<chacha20poly1305::Nonce, CoseError> {
    let arr: [u8; IV_LEN] = iv.try_into().map_err(|_| CoseError::Length {
        what: "ChaCha20/Poly1305 IV",
        expected: IV_LEN,
        actual: iv.len(),
    })?;
    Ok(arr.into())
}

/// Decrypts a `COSE_Encrypt` whose recipient identified by `kid` uses HPKE-4-KE and whose
/// layer 0 uses ChaCha20/Poly1305 — the general encryption layer, with no divex profile rules.
/// Used for interoperability with other COSE-HPKE implementations and the draft's vectors.
pub fn decrypt_hpke_ke(
    msg: &Encrypt,
    key: &EncryptionKeyPair,
    kid: &[u8],
    external_aad: &[u8],
    params: HpkeParams<'_>,
) -> Result<Zeroizing<Vec<u8>>, CoseError> {
    let content_alg = msg
        .protected
        .map()
        .get_label(label::ALG)
        .and_then(Value::as_i64)
        .ok_or(CoseError::Structure("layer 0 has no protected alg"))?;
    if content_alg != alg::CHACHA20_POLY1305 {
        return Err(CoseError::Structure(
            "layer 0 alg is not ChaCha20/Poly1305 (24)",
        ));
    }
    let r = msg
        .recipients
        .iter()
        .find(|r| r.kid() == Some(kid))
        .ok_or(CoseError::Structure("no recipient with this kid"))?;
    if r.protected
        .map()
        .get_label(label::ALG)
        .and_then(Value::as_i64)
        != Some(alg::HPKE_4_KE)
    {
        return Err(CoseError::Structure("recipient alg is not HPKE-4-KE (50)"));
    }
    let ek = bstr(r.unprotected.get_label(label::EK), "recipient has no ek")?;
    let cek = hpke_unwrap(
        key,
        ek,
        r.protected.as_bytes(),
        content_alg,
        params,
        &r.ciphertext,
    )?;
    let iv = bstr(msg.unprotected.get_label(label::IV), "layer 0 has no IV")?;
    let aad = enc_structure(msg.protected.as_bytes(), external_aad);
    aead_open(&cek, iv, &aad, &msg.ciphertext).map(Zeroizing::new)
}

crate::error::classified!(CoseError, Envelope, |e| match e {
    CoseError::Codec(_) => "malformed",
    CoseError::Structure(_) => "structure",
    CoseError::Length { .. } => "length",
    CoseError::NonContributoryKey => "non_contributory_key",
    CoseError::KeyUnwrap => "key_unwrap",
    CoseError::Decrypt => "decrypt",
    CoseError::Encrypt => "encrypt",
});

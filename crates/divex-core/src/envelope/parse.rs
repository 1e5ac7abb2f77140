//! Strict decoding of the two layers and the profile checks of spec/envelope.md §7 steps 1-6
//! and 11: exact header sets, algorithms, sizes, token syntax. The profile (v1 or v2, §15) is
//! decided at layer 0 (step 5) and the inner message must be of the same profile (step 11).

use super::error::{Layer, OpenError};
use super::labels;
use super::limits::EnvelopeLimits;
use super::metadata::{ConsentRef, Disclosure, EnvelopeId, LedgerHead, Metadata};
use super::{
    ENVELOPE_ID_LEN, KEY_COMMITMENT_LEN, LEDGER_HASH_LEN, MAX_CONSENT_ID_LEN, MAX_LABELS,
    MAX_LEDGER_SEQ, Profile,
};
use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose::{self, CoseError, Sign1, alg, label};
use crate::keys::{KEY_ID_LEN, KeyId};
use crate::records::RecordType;
use crate::vocab::Vocabulary;
use crate::vocab::{MAX_TOKEN_LEN, is_token};

pub(super) struct Outer {
    /// The profile layer 0 states (spec/envelope.md §7 step 5).
    pub(super) profile: Profile,
    pub(super) msg: cose::Encrypt,
    pub(super) commitment: [u8; KEY_COMMITMENT_LEN],
    pub(super) iv: [u8; cose::IV_LEN],
    pub(super) recipient_kids: Vec<KeyId>,
    pub(super) eks: Vec<[u8; cose::EK_LEN]>,
}

fn structure(layer: Layer) -> impl Fn(CoseError) -> OpenError {
    move |e| match e {
        CoseError::Codec(source) => OpenError::Malformed { layer, source },
        CoseError::Structure(reason) => OpenError::Structure { layer, reason },
        _ => OpenError::Structure {
            layer,
            reason: "invalid field",
        },
    }
}

/// Checks that `m` has exactly the labels in `allowed` (all required).
fn exact_labels(m: &Map, layer: Layer, required: &[i64]) -> Result<(), OpenError> {
    labels_within(m, layer, required, required)
}

/// Checks that every label of `m`, in encoding order, is in `allowed` (`unexpected_header`),
/// then that every label of `required` is present (`missing_header`).
fn labels_within(
    m: &Map,
    layer: Layer,
    allowed: &[i64],
    required: &[i64],
) -> Result<(), OpenError> {
    for k in m.keys() {
        let ok = k.as_i64().is_some_and(|l| allowed.contains(&l));
        if !ok {
            return Err(OpenError::UnexpectedHeader {
                layer,
                label: codec::diagnostic(k),
            });
        }
    }
    for l in required {
        if m.get_label(*l).is_none() {
            return Err(OpenError::MissingHeader { layer, label: *l });
        }
    }
    Ok(())
}

fn check_alg(m: &Map, layer: Layer, expected: i64) -> Result<(), OpenError> {
    match m.get_label(label::ALG) {
        None => Err(OpenError::MissingHeader {
            layer,
            label: label::ALG,
        }),
        Some(v) => match v.as_i64() {
            Some(a) if a == expected => Ok(()),
            Some(a) => Err(OpenError::UnsupportedAlgorithm { layer, alg: a }),
            None => Err(OpenError::Structure {
                layer,
                reason: "alg must be an integer",
            }),
        },
    }
}

fn fixed<const N: usize>(
    v: Option<&Value>,
    layer: Layer,
    reason: &'static str,
) -> Result<[u8; N], OpenError> {
    v.and_then(Value::as_bytes)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(OpenError::Structure { layer, reason })
}

/// The profile layer 0's protected header `p` states, for a reader of `readable` profiles
/// (spec/envelope.md §7 step 5, after `alg`): its labels within the union of their layer-0
/// sets, `alg` and the key commitment present, and the profile marker, when present, naming
/// a readable profile that has one. Absent, the profile is v1.
fn content_profile(p: &Map, readable: &[Profile]) -> Result<Profile, OpenError> {
    let layer = Layer::Content;
    let allowed: Vec<i64> = readable
        .iter()
        .flat_map(|r| r.content_labels().iter().copied())
        .collect();
    labels_within(p, layer, &allowed, &[label::ALG, labels::KEY_COMMITMENT])?;
    match p.get_label(labels::PROFILE) {
        None => Ok(Profile::V1),
        Some(v) => v
            .as_u64()
            .and_then(Profile::from_marker)
            .filter(|profile| readable.contains(profile))
            .ok_or(OpenError::Structure {
                layer,
                reason: "the profile marker must be 2 (spec/envelope.md §15)",
            }),
    }
}

/// Steps 1-6 of spec/envelope.md §7 as a reader of the `readable` profiles runs them, under
/// the default limits: the profile of `envelope`, or the first failure. No key is involved:
/// whatever this refuses, such a reader refuses before decryption (§15.4). A test hook
/// (`divex_core::testing::envelope::check_outer`); `open` runs the same steps.
pub fn check_outer(envelope: &[u8], readable: &[Profile]) -> Result<Profile, OpenError> {
    let limits = EnvelopeLimits::DEFAULT;
    if envelope.len() > limits.max_envelope_bytes {
        return Err(OpenError::TooLarge {
            size: envelope.len(),
            limit: limits.max_envelope_bytes,
        });
    }
    parse_outer(envelope, &limits.codec(), &limits, readable).map(|o| o.profile)
}

pub(super) fn parse_outer(
    bytes: &[u8],
    climits: &DecodeLimits,
    limits: &EnvelopeLimits,
    readable: &[Profile],
) -> Result<Outer, OpenError> {
    let v = codec::decode_with(bytes, climits).map_err(|source| OpenError::Malformed {
        layer: Layer::Content,
        source,
    })?;
    // Count recipients before parsing them.
    if let Value::Tag(_, body) = &v
        && let Some(n) = body
            .as_array()
            .and_then(|a| a.get(3))
            .and_then(Value::as_array)
            .map(<[Value]>::len)
        && n > limits.max_recipients
    {
        return Err(OpenError::TooManyRecipients {
            count: n,
            limit: limits.max_recipients,
        });
    }
    let msg =
        cose::Encrypt::from_owned_value(v, true, climits).map_err(structure(Layer::Content))?;

    let p = msg.protected.map();
    check_alg(p, Layer::Content, alg::CHACHA20_POLY1305)?;
    let profile = content_profile(p, readable)?;
    exact_labels(&msg.unprotected, Layer::Content, &[label::IV])?;
    let commitment = fixed::<KEY_COMMITMENT_LEN>(
        p.get_label(labels::KEY_COMMITMENT),
        Layer::Content,
        "key commitment must be a 32-byte bstr",
    )?;
    let iv = fixed::<{ cose::IV_LEN }>(
        msg.unprotected.get_label(label::IV),
        Layer::Content,
        "IV must be a 12-byte bstr",
    )?;
    if msg.ciphertext.len() < cose::TAG_LEN {
        return Err(OpenError::Structure {
            layer: Layer::Content,
            reason: "ciphertext is shorter than the AEAD tag",
        });
    }

    let mut recipient_kids = Vec::with_capacity(msg.recipients.len());
    let mut eks = Vec::with_capacity(msg.recipients.len());
    for r in &msg.recipients {
        let rp = r.protected.map();
        check_alg(rp, Layer::Recipient, alg::HPKE_4_KE)?;
        exact_labels(rp, Layer::Recipient, &[label::ALG, label::KID])?;
        exact_labels(&r.unprotected, Layer::Recipient, &[label::EK])?;
        let kid = fixed::<KEY_ID_LEN>(
            rp.get_label(label::KID),
            Layer::Recipient,
            "kid must be a 16-byte bstr",
        )?;
        let ek = fixed::<{ cose::EK_LEN }>(
            r.unprotected.get_label(label::EK),
            Layer::Recipient,
            "ek must be a 32-byte bstr",
        )?;
        if r.ciphertext.len() != cose::CEK_LEN + cose::TAG_LEN {
            return Err(OpenError::Structure {
                layer: Layer::Recipient,
                reason: "encrypted content key must be 48 bytes",
            });
        }
        let kid = KeyId::from_bytes(&kid).map_err(|_| OpenError::Structure {
            layer: Layer::Recipient,
            reason: "kid must be a 16-byte bstr",
        })?;
        if let Some(prev) = recipient_kids.last()
            && *prev >= kid
        {
            return Err(OpenError::Structure {
                layer: Layer::Recipient,
                reason: "recipients must be sorted by kid without duplicates",
            });
        }
        recipient_kids.push(kid);
        eks.push(ek);
    }
    Ok(Outer {
        profile,
        msg,
        commitment,
        iv,
        recipient_kids,
        eks,
    })
}

pub(super) struct Inner {
    pub(super) sign1: Sign1,
    pub(super) sender_kid: KeyId,
    pub(super) commitment: [u8; KEY_COMMITMENT_LEN],
    pub(super) metadata: Metadata,
}

fn text_token(v: Option<&Value>, max: usize, reason: &'static str) -> Result<String, OpenError> {
    match v.and_then(Value::as_text) {
        Some(s) if is_token(s, max) => Ok(s.to_owned()),
        _ => Err(OpenError::Structure {
            layer: Layer::Signed,
            reason,
        }),
    }
}

/// A token of one of the typed vocabularies ([`crate::vocab`]); a value that is not a token
/// is `structure` with `reason`.
fn token<T: TryFrom<String>>(v: Option<&Value>, reason: &'static str) -> Result<T, OpenError> {
    let err = || OpenError::Structure {
        layer: Layer::Signed,
        reason,
    };
    T::try_from(text_token(v, MAX_TOKEN_LEN, reason)?).map_err(|_| err())
}

/// The record type: a token naming a type of the record catalogue (spec/records.md §3). A
/// reader refuses any other as `structure`: it could not decode the payload.
fn record_type(v: Option<&Value>) -> Result<RecordType, OpenError> {
    let t = text_token(v, MAX_TOKEN_LEN, "record type must be a token")?;
    RecordType::parse(&t).ok_or(OpenError::Structure {
        layer: Layer::Signed,
        reason: "the record type is not one of the record catalogue (spec/records.md)",
    })
}

/// A sorted, duplicate-free array of at most [`MAX_LABELS`] tokens.
fn token_list<T: TryFrom<String> + AsRef<str>>(
    v: Option<&Value>,
    reason: &'static str,
) -> Result<Vec<T>, OpenError> {
    let err = OpenError::Structure {
        layer: Layer::Signed,
        reason,
    };
    let items = v
        .and_then(Value::as_array)
        .filter(|a| a.len() <= MAX_LABELS)
        .ok_or(err.clone())?;
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        let t: T = token(Some(item), reason)?;
        if out
            .last()
            .is_some_and(|prev| prev.as_ref().as_bytes() >= t.as_ref().as_bytes())
        {
            return Err(err);
        }
        out.push(t);
    }
    Ok(out)
}

/// The ledger head `[seq, hash]` of a v2 inner header (spec/envelope.md §15.2).
fn ledger_head(v: Option<&Value>) -> Result<LedgerHead, OpenError> {
    let err = OpenError::Structure {
        layer: Layer::Signed,
        reason: "the ledger head must be [seq, hash] with seq at most 2^63 - 1 and a 32-byte hash",
    };
    match v.and_then(Value::as_array) {
        Some([seq, hash]) => Ok(LedgerHead {
            seq: seq
                .as_u64()
                .filter(|s| *s <= MAX_LEDGER_SEQ)
                .ok_or(err.clone())?,
            hash: hash
                .as_bytes()
                .and_then(|b| <[u8; LEDGER_HASH_LEN]>::try_from(b).ok())
                .ok_or(err)?,
        }),
        _ => Err(err),
    }
}

/// Step 11: the inner `COSE_Sign1` of an envelope whose layer 0 states `profile`.
pub(super) fn parse_inner(
    bytes: &[u8],
    climits: &DecodeLimits,
    profile: Profile,
) -> Result<Inner, OpenError> {
    let layer = Layer::Signed;
    let v = codec::decode_with(bytes, climits)
        .map_err(|source| OpenError::Malformed { layer, source })?;
    let sign1 = Sign1::from_owned_value(v, true, climits).map_err(structure(layer))?;
    let p = sign1.protected.map();
    check_alg(p, layer, alg::ED25519)?;
    exact_labels(p, layer, profile.inner_labels())?;
    exact_labels(&sign1.unprotected, layer, &[])?;
    if p.get_label(labels::PROFILE).and_then(Value::as_u64) != Some(profile.number()) {
        return Err(OpenError::Structure {
            layer,
            reason: "the signed profile version is not the one the encryption layer states",
        });
    }
    let sender_kid = KeyId::from_bytes(&fixed::<KEY_ID_LEN>(
        p.get_label(label::KID),
        layer,
        "kid must be a 16-byte bstr",
    )?)
    .map_err(|_| OpenError::Structure {
        layer,
        reason: "kid must be a 16-byte bstr",
    })?;
    let commitment = fixed::<KEY_COMMITMENT_LEN>(
        p.get_label(labels::KEY_COMMITMENT),
        layer,
        "key commitment must be a 32-byte bstr",
    )?;
    let envelope_id = EnvelopeId(fixed::<ENVELOPE_ID_LEN>(
        p.get_label(labels::ENVELOPE_ID),
        layer,
        "envelope id must be a 16-byte bstr",
    )?);
    let issued_at = p
        .get_label(labels::ISSUED_AT)
        .and_then(Value::as_u64)
        .ok_or(OpenError::Structure {
            layer,
            reason: "issued-at must be an unsigned integer",
        })?;
    let audience_v = p
        .get_label(labels::AUDIENCE)
        .and_then(Value::as_array)
        .ok_or(OpenError::Structure {
            layer,
            reason: "audience must be an array",
        })?;
    let mut audience = Vec::with_capacity(audience_v.len());
    for a in audience_v {
        let kid =
            a.as_bytes()
                .and_then(|b| KeyId::from_bytes(b).ok())
                .ok_or(OpenError::Structure {
                    layer,
                    reason: "audience entries must be 16-byte key ids",
                })?;
        audience.push(kid);
    }
    let consent_v = p
        .get_label(labels::CONSENT_REF)
        .and_then(Value::as_array)
        .filter(|a| a.len() == 2)
        .ok_or(OpenError::Structure {
            layer,
            reason: "consent reference must be [id, digest]",
        })?;
    let consent = ConsentRef {
        id: text_token(
            consent_v.first(),
            MAX_CONSENT_ID_LEN,
            "consent id must be a token",
        )?,
        digest: fixed::<32>(
            consent_v.get(1),
            layer,
            "consent digest must be a 32-byte bstr",
        )?,
    };
    let sec_labels = token_list(
        p.get_label(labels::SECURITY_LABELS),
        "security labels must be a sorted, duplicate-free array of at most 32 tokens",
    )?;
    let redacted = token_list(
        p.get_label(labels::REDACTED),
        "redacted fields must be a sorted, duplicate-free array of at most 32 tokens",
    )?;
    let disclosure = Disclosure {
        purpose: token(p.get_label(labels::PURPOSE), "purpose must be a token")?,
        consent,
        record_type: record_type(p.get_label(labels::RECORD_TYPE))?,
        labels: sec_labels,
        redacted,
        notice: token(p.get_label(labels::NOTICE), "notice must be a token")?,
    };
    let ledger_head = match profile {
        Profile::V1 => None,
        Profile::V2 => Some(ledger_head(p.get_label(labels::LEDGER_HEAD))?),
    };
    let metadata = Metadata {
        envelope_id,
        issued_at,
        audience,
        disclosure,
        ledger_head,
    };
    Ok(Inner {
        sign1,
        sender_kid,
        commitment,
        metadata,
    })
}

// ---------------------------------------------------------------------------------------------
// Batch verification of inner signatures (spec/envelope.md §6.6)

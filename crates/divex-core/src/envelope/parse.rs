//! Strict decoding of the two layers and the profile checks of spec/envelope.md §7 steps 1-6
//! and 11: exact header sets, algorithms, sizes, token syntax.

use super::error::{Layer, OpenError};
use super::labels;
use super::limits::EnvelopeLimits;
use super::metadata::{ConsentRef, Disclosure, EnvelopeId, Metadata};
use super::{ENVELOPE_ID_LEN, KEY_COMMITMENT_LEN, MAX_CONSENT_ID_LEN, MAX_LABELS, PROFILE_VERSION};
use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose::{self, CoseError, Sign1, alg, label};
use crate::keys::{KEY_ID_LEN, KeyId};
use crate::records::RecordType;
use crate::vocab::Vocabulary;
use crate::vocab::{MAX_TOKEN_LEN, is_token};

pub(super) struct Outer {
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
    for k in m.keys() {
        let ok = k.as_i64().is_some_and(|l| required.contains(&l));
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

pub(super) fn parse_outer(
    bytes: &[u8],
    climits: &DecodeLimits,
    limits: &EnvelopeLimits,
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
    exact_labels(p, Layer::Content, &[label::ALG, labels::KEY_COMMITMENT])?;
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

pub(super) fn parse_inner(bytes: &[u8], climits: &DecodeLimits) -> Result<Inner, OpenError> {
    let layer = Layer::Signed;
    let v = codec::decode_with(bytes, climits)
        .map_err(|source| OpenError::Malformed { layer, source })?;
    let sign1 = Sign1::from_owned_value(v, true, climits).map_err(structure(layer))?;
    let p = sign1.protected.map();
    check_alg(p, layer, alg::ED25519)?;
    exact_labels(
        p,
        layer,
        &[
            label::ALG,
            label::KID,
            labels::KEY_COMMITMENT,
            labels::ENVELOPE_ID,
            labels::ISSUED_AT,
            labels::AUDIENCE,
            labels::PURPOSE,
            labels::CONSENT_REF,
            labels::RECORD_TYPE,
            labels::SECURITY_LABELS,
            labels::NOTICE,
            labels::PROFILE,
            labels::REDACTED,
        ],
    )?;
    exact_labels(&sign1.unprotected, layer, &[])?;
    if p.get_label(labels::PROFILE).and_then(Value::as_u64) != Some(PROFILE_VERSION) {
        return Err(OpenError::Structure {
            layer,
            reason: "unknown envelope profile version",
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
    let metadata = Metadata {
        envelope_id,
        issued_at,
        audience,
        disclosure: Disclosure {
            purpose: token(p.get_label(labels::PURPOSE), "purpose must be a token")?,
            consent,
            record_type: record_type(p.get_label(labels::RECORD_TYPE))?,
            labels: sec_labels,
            redacted,
            notice: token(p.get_label(labels::NOTICE), "notice must be a token")?,
        },
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

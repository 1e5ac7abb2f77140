//! Signed statements (spec/consent.md §5.1): the `COSE_Sign1` that revocation statements and
//! case events share, its strict parsing, and the directory lookup of the agency that signed
//! one.

use serde::Serialize;

use crate::codec::{self, Map, Value};
use crate::cose::{self, ProtectedHeader, alg, label};
use crate::directory::{AgencyCertificate, Directory, DirectoryError};
use crate::keys::{KeyId, SigningPublicKey};

use super::{ConsentError, LIMITS, MAX_STATEMENT_BYTES, StatementSigner};

/// `COSE_Sign1 {1: -19, 4: kid, 16: typ}` over `encode(body)`, signed by `key`.
pub(super) fn sign_statement<T: Serialize>(
    typ: &str,
    body: &T,
    key: &dyn StatementSigner,
) -> Result<Vec<u8>, ConsentError> {
    let mut m = Map::new();
    let _ = m.insert(Value::from(label::ALG), Value::from(alg::ED25519));
    let _ = m.insert(
        Value::from(label::KID),
        Value::bytes(key.signing_public().kid().as_bytes()),
    );
    let _ = m.insert(Value::from(label::TYP), Value::from(typ));
    let protected = ProtectedHeader::new(m);
    let payload = codec::to_vec(body)?;
    let signature = key
        .sign_message(&cose::sig_structure(protected.as_bytes(), &[], &payload))
        .to_vec();
    Ok(cose::Sign1 {
        protected,
        unprotected: Map::new(),
        payload,
        signature,
    }
    .to_bytes())
}

/// A parsed (not yet verified) statement: its signer kid, body and the signed message.
pub(super) fn parse_statement<T>(
    bytes: &[u8],
    typ: &str,
) -> Result<(KeyId, T, cose::Sign1), ConsentError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    if bytes.len() > MAX_STATEMENT_BYTES {
        return Err(ConsentError::TooLarge {
            size: bytes.len(),
            limit: MAX_STATEMENT_BYTES,
        });
    }
    let v = codec::decode_with(bytes, &LIMITS)?;
    let msg = cose::Sign1::from_value(&v, true, &LIMITS).map_err(|e| match e {
        cose::CoseError::Codec(c) => ConsentError::Malformed(c),
        cose::CoseError::Structure(s) => ConsentError::Structure(s),
        _ => ConsentError::Structure("invalid COSE_Sign1"),
    })?;
    let p = msg.protected.map();
    if p.len() != 3
        || p.get_label(label::ALG).and_then(Value::as_i64) != Some(alg::ED25519)
        || p.get_label(label::TYP).and_then(Value::as_text) != Some(typ)
        || !msg.unprotected.is_empty()
    {
        return Err(ConsentError::Structure(
            "wrong statement type or headers (alg -19, kid and typ required)",
        ));
    }
    let kid = p
        .get_label(label::KID)
        .and_then(Value::as_bytes)
        .and_then(|b| KeyId::from_bytes(b).ok())
        .ok_or(ConsentError::Structure("kid must be a 16-byte key id"))?;
    let body: T = codec::from_slice_with(&msg.payload, &LIMITS)?;
    Ok((kid, body, msg))
}

/// Whether the statement's signature verifies under `key` (strict Ed25519).
pub(super) fn verify_statement(msg: &cose::Sign1, key: &SigningPublicKey) -> bool {
    key.verify(&msg.to_be_signed(&[]), &msg.signature).is_ok()
}

/// The certificate of the agency that signed a statement dated `at` (a revocation's
/// `revoked_at`, a case event's `effective_at`), judged at the statement's own time
/// (spec/directory.md §7.1): a certificate for the key valid at `at` (rules 1-2: one that
/// expired or was revoked `superseded` since still vouches for it), or, for a statement of a
/// past fact recorded with a newer key, one valid at `now`. Both statements can only restrict
/// a disclosure, so either time is safe to accept — except that a key reported compromised at
/// or before `at` vouches for nothing dated from then on (rule 3).
///
/// An unknown key is [`ConsentError::UnexpectedSigner`], a known but untrusted one
/// [`ConsentError::UntrustedSigner`] with the reason at `at`.
pub(super) fn statement_signer<'d>(
    directory: &'d Directory,
    kid: &KeyId,
    what: &'static str,
    at: u64,
    now: u64,
) -> Result<&'d AgencyCertificate, ConsentError> {
    let untrusted = |reason: String| ConsentError::UntrustedSigner { what, reason };
    if let Some(r) = directory.key_compromised_at(kid)
        && r <= at
    {
        return Err(untrusted(format!(
            "its signing key was reported compromised at {r} (Unix time), before the date the {what} states"
        )));
    }
    match directory.certificate_by_signing_kid(kid, at) {
        Ok(cert) => Ok(cert),
        Err(DirectoryError::UnknownKey { .. }) => Err(ConsentError::UnexpectedSigner),
        Err(at_its_time) => directory
            .certificate_by_signing_kid(kid, now)
            .map_err(|_| untrusted(at_its_time.to_string())),
    }
}

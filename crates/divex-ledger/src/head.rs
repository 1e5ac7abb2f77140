//! Signed heads (spec/ledger.md §3): the agency's `COSE_Sign1` statement that its ledger had a
//! given head at a given time, and its verification under the key certified **at that time**.
//!
//! The COSE structure is built and parsed with divex-core's own `COSE_Sign1` and strict codec,
//! reached through its hidden `testing` module as divex-ffi does (divex-core gives signed
//! statements no public builder yet); nothing here hand-rolls CBOR or COSE.

use divex_core::codec::{Item, encode_array};
use divex_core::directory::Directory;
use divex_core::keys::{KeyId, SigningPublicKey, StatementSigner};
use divex_core::testing::codec::{DecodeLimits, Map, Value, decode_with};
use divex_core::testing::cose::{self, ProtectedHeader, Sign1, alg, label};

/// The `typ` (COSE header 16) of a signed head.
pub(crate) const HEAD_TYP: &str = "divex-ledger-head";
/// Context string, first element of a signed head's payload.
pub(crate) const HEAD_CONTEXT: &str = "divex/v2 ledger head";
/// Largest signed head accepted (a head with a 64-byte agency id is about 250 bytes).
pub const MAX_HEAD_BYTES: usize = 1024;
/// The revocation reason that makes a key's later signatures worthless (spec/directory.md §7.1
/// rule 3).
const KEY_COMPROMISE: &str = "key_compromise";

const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_HEAD_BYTES,
    max_depth: 3,
    max_items: 8,
    max_string: MAX_HEAD_BYTES,
};

/// An agency's signed statement that its ledger's entry `seq` had hash `head` at `time`
/// (spec/ledger.md §3.1): a `COSE_Sign1` (Ed25519) with protected header
/// `{1: -19, 4: kid, 16: "divex-ledger-head"}` over the strict CBOR array
/// `["divex/v2 ledger head", agency_id, seq, head, time]`.
///
/// The high-water mark file (`<ledger>.head`) holds one, and every v2 checkpoint is one (the
/// ledger stores its fields and rebuilds the identical bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHead {
    /// The agency whose ledger it is.
    pub agency_id: String,
    /// The last entry covered (0 for an empty ledger).
    pub seq: u64,
    /// That entry's hash (the genesis hash for an empty ledger).
    pub head: [u8; 32],
    /// When it was signed (Unix seconds): the time it is judged at.
    pub time: u64,
    /// The id of the signing key.
    pub kid: KeyId,
    /// The Ed25519 signature over the COSE `Sig_structure`.
    pub signature: [u8; 64],
}

impl SignedHead {
    /// Signs the head `(seq, head)` of `agency_id`'s ledger at `time` with `key`.
    pub fn sign(
        agency_id: &str,
        seq: u64,
        head: [u8; 32],
        time: u64,
        key: &dyn StatementSigner,
    ) -> SignedHead {
        let kid = key.signing_public().kid();
        let tbs = cose::sig_structure(
            protected(&kid).as_bytes(),
            &[],
            &payload(agency_id, seq, &head, time),
        );
        SignedHead {
            agency_id: agency_id.to_owned(),
            seq,
            head,
            time,
            kid,
            signature: key.sign_message(&tbs),
        }
    }

    /// The bytes the signature covers: the COSE `Sig_structure` (context `"Signature1"`, the
    /// protected header, no external data, the payload).
    pub fn to_be_signed(&self) -> Vec<u8> {
        cose::sig_structure(
            protected(&self.kid).as_bytes(),
            &[],
            &payload(&self.agency_id, self.seq, &self.head, self.time),
        )
    }

    /// The tagged `COSE_Sign1`, deterministically encoded.
    pub fn to_bytes(&self) -> Vec<u8> {
        Sign1 {
            protected: protected(&self.kid),
            unprotected: Map::new(),
            payload: payload(&self.agency_id, self.seq, &self.head, self.time),
            signature: self.signature.to_vec(),
        }
        .to_bytes()
    }

    /// Parses a signed head strictly: exactly the bytes [`SignedHead::to_bytes`] produces for
    /// some head, at most [`MAX_HEAD_BYTES`]. The error says what is wrong (for an operator;
    /// it never quotes the input). The signature is not checked here.
    pub fn from_bytes(b: &[u8]) -> Result<SignedHead, &'static str> {
        if b.len() > MAX_HEAD_BYTES {
            return Err("it is larger than a signed head can be");
        }
        let v = decode_with(b, &LIMITS).map_err(|_| "it is not strict CBOR")?;
        let msg = Sign1::from_value(&v, true, &LIMITS).map_err(|_| "it is not a COSE_Sign1")?;
        let p = msg.protected.map();
        if p.len() != 3
            || p.get_label(label::ALG).and_then(Value::as_i64) != Some(alg::ED25519)
            || p.get_label(label::TYP).and_then(Value::as_text) != Some(HEAD_TYP)
            || !msg.unprotected.is_empty()
        {
            return Err("its headers are not those of a signed ledger head");
        }
        let kid = p
            .get_label(label::KID)
            .and_then(Value::as_bytes)
            .and_then(|k| KeyId::from_bytes(k).ok())
            .ok_or("its kid is not a 16-byte key id")?;
        let fields =
            decode_with(&msg.payload, &LIMITS).map_err(|_| "its payload is not strict CBOR")?;
        let (agency_id, seq, head, time) = match fields.as_array() {
            Some([ctx, agency, seq, head, time]) if ctx.as_text() == Some(HEAD_CONTEXT) => (
                agency.as_text().ok_or("its agency id is not text")?,
                seq.as_u64()
                    .ok_or("its sequence number is not an unsigned integer")?,
                head.as_bytes()
                    .and_then(|h| <[u8; 32]>::try_from(h).ok())
                    .ok_or("its head is not a 32-byte hash")?,
                time.as_u64().ok_or("its time is not an unsigned integer")?,
            ),
            _ => return Err("its payload is not a divex/v2 ledger head"),
        };
        let signature = <[u8; 64]>::try_from(msg.signature.as_slice())
            .map_err(|_| "its signature is not 64 bytes")?;
        let parsed = SignedHead {
            agency_id: agency_id.to_owned(),
            seq,
            head,
            time,
            kid,
            signature,
        };
        // The decoder is strict; rebuilding the bytes also pins every field's form.
        if parsed.to_bytes() != b {
            return Err("it is not in the canonical form of a signed head");
        }
        Ok(parsed)
    }

    /// Whether the signature verifies under `key` (strict Ed25519) and `key` has the head's kid.
    pub fn verify_signature(&self, key: &SigningPublicKey) -> bool {
        key.kid() == self.kid && key.verify(&self.to_be_signed(), &self.signature).is_ok()
    }
}

/// `["divex/v2 ledger head", agency_id, seq, head, time]`.
fn payload(agency_id: &str, seq: u64, head: &[u8; 32], time: u64) -> Vec<u8> {
    encode_array(&[
        Item::Text(HEAD_CONTEXT),
        Item::Text(agency_id),
        Item::Uint(seq),
        Item::Bytes(head),
        Item::Uint(time),
    ])
}

/// `{1: -19, 4: kid, 16: "divex-ledger-head"}`.
fn protected(kid: &KeyId) -> ProtectedHeader {
    let mut m = Map::new();
    for (k, v) in [
        (label::ALG, Value::from(alg::ED25519)),
        (label::KID, Value::bytes(kid.as_bytes())),
        (label::TYP, Value::from(HEAD_TYP)),
    ] {
        // Three distinct labels: insertion cannot fail.
        let _ = m.insert(Value::from(k), v);
    }
    ProtectedHeader::new(m)
}

/// Why a signature by an agency's key is not valid evidence at its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The key was reported compromised at `at`, not after the statement's time.
    Compromised {
        /// The compromised key.
        kid: KeyId,
        /// The compromise time.
        at: u64,
    },
    /// The key is not certified for the agency at that time, or the signature fails.
    Invalid(String),
}

/// When signing key `kid` was reported compromised: the earliest `revoked_at` of a
/// `key_compromise` revocation of any certificate whose signing key has that id
/// (spec/directory.md §7.1 rule 3; a renewal of the same key does not undo it).
pub(crate) fn compromised_at(directory: &Directory, kid: &KeyId) -> Option<u64> {
    directory
        .revocations()
        .filter(|r| r.reason() == KEY_COMPROMISE)
        .filter(|r| {
            directory.certificates().any(|c| {
                c.issuer() == r.issuer()
                    && c.serial() == r.serial()
                    && c.keys().signing().kid() == *kid
            })
        })
        .map(|r| r.revoked_at())
        .min()
}

/// Judges a signature made by `agency_id` with key `kid` at time `t` (spec/ledger.md §3.2):
/// some certificate of the agency with that signing key verifies the signature
/// (`verifies(key)`), the key was not reported compromised at or before `t`, and one such
/// certificate was valid at `t` (spec/directory.md §7.1: a certificate that has since expired
/// or been revoked `superseded` still vouches for `t`).
pub(crate) fn judge(
    directory: &Directory,
    agency_id: &str,
    kid: &KeyId,
    t: u64,
    verifies: impl Fn(&SigningPublicKey) -> bool,
) -> Result<(), Refusal> {
    let certs: Vec<_> = directory
        .certificates_for(agency_id)
        .filter(|c| c.keys().signing().kid() == *kid)
        .collect();
    let Some(first) = certs.first() else {
        return Err(Refusal::Invalid(format!(
            "its key {kid} is not certified for {agency_id} in the directory"
        )));
    };
    if !verifies(first.keys().signing()) {
        return Err(Refusal::Invalid(format!(
            "its signature does not verify under {agency_id}'s key {kid}"
        )));
    }
    if let Some(at) = compromised_at(directory, kid)
        && at <= t
    {
        return Err(Refusal::Compromised { kid: *kid, at });
    }
    let mut reason = None;
    for c in &certs {
        match directory.check(c, t) {
            Ok(()) => return Ok(()),
            Err(e) => reason = reason.or(Some(e.to_string())),
        }
    }
    Err(Refusal::Invalid(format!(
        "its key {kid} was not certified for {agency_id} at the time it states ({t}): {}",
        reason.unwrap_or_default()
    )))
}

/// The key of `agency_id` that verifies a signature without a kid (a v1 checkpoint) under the
/// rule of [`judge`]: every signing key the agency was ever certified with is tried. Returns
/// the kid it is read as having.
pub(crate) fn judge_without_kid(
    directory: &Directory,
    agency_id: &str,
    t: u64,
    verifies: impl Fn(&SigningPublicKey) -> bool,
) -> Result<KeyId, Refusal> {
    let mut keys: Vec<&SigningPublicKey> = directory
        .certificates_for(agency_id)
        .map(|c| c.keys().signing())
        .collect();
    keys.dedup();
    // Keys are distinct, so at most one verifies: it decides.
    match keys.into_iter().find(|k| verifies(k)) {
        Some(key) => judge(directory, agency_id, &key.kid(), t, verifies).map(|()| key.kid()),
        None => Err(Refusal::Invalid(format!(
            "its signature does not verify under any key certified for {agency_id}"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use divex_core::keys::AgencyKeys;

    #[test]
    fn a_signed_head_round_trips_and_is_the_documented_cose() {
        let keys = AgencyKeys::generate();
        let h = SignedHead::sign("probation", 7, [3; 32], 1_790_000_000, &keys);
        let bytes = h.to_bytes();
        assert_eq!(SignedHead::from_bytes(&bytes).unwrap(), h);
        assert!(h.verify_signature(keys.public().signing()));
        // Tag 18, protected {1: -19, 4: kid, 16: typ}, empty unprotected map.
        let v = divex_core::testing::codec::decode(&bytes).unwrap();
        let msg = Sign1::from_value(&v, true, &LIMITS).unwrap();
        assert_eq!(msg.protected.map().len(), 3);
        assert_eq!(
            msg.protected
                .map()
                .get_label(label::KID)
                .and_then(Value::as_bytes),
            Some(&keys.public().signing().kid().as_bytes()[..])
        );
        assert_eq!(
            msg.payload,
            encode_array(&[
                Item::Text("divex/v2 ledger head"),
                Item::Text("probation"),
                Item::Uint(7),
                Item::Bytes(&[3; 32]),
                Item::Uint(1_790_000_000),
            ])
        );
        // Every byte matters.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 1;
            let ok = SignedHead::from_bytes(&b)
                .is_ok_and(|p| p.verify_signature(keys.public().signing()));
            assert!(!ok, "byte {i}");
        }
        assert!(SignedHead::from_bytes(&[]).is_err());
        assert!(SignedHead::from_bytes(&vec![0; MAX_HEAD_BYTES + 1]).is_err());
    }
}

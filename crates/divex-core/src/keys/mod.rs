//! Agency keys: an Ed25519 signing key and an X25519 encryption key, their public bundle, and
//! key ids (spec/envelope.md §3).
//!
//! Import is strict: a signing public key must be a canonical encoding of a point that is not
//! of small order, and an encryption public key must not be one of the low-order X25519 points
//! for which a Diffie-Hellman result would be all zero (non-contributory). Secret keys never
//! derive `Debug` or `Clone`, print redacted, and are zeroized on drop (by the dalek types
//! they wrap, and by [`zeroize::Zeroizing`] for every temporary copy).
//!
//! ```
//! use divex_core::keys::{AgencyKeys, PublicBundle};
//!
//! let keys = AgencyKeys::generate();
//! let bundle_bytes = keys.public().to_bytes();
//! let bundle = PublicBundle::from_bytes(&bundle_bytes)?;
//! assert_eq!(&bundle, keys.public());
//! // Debug output names the key ids only.
//! assert!(format!("{keys:?}").starts_with("AgencyKeys { signing_kid"));
//! # Ok::<(), divex_core::keys::KeyError>(())
//! ```

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::codec::{self, CodecError, Value};

pub(crate) mod encryption;

pub(crate) use encryption::EncryptionKeyPair;

/// Length of a key id in bytes.
pub(crate) const KEY_ID_LEN: usize = 16;

/// Domain-separation prefix for signing-key ids (spec/envelope.md §3.2).
const KID_SIGNING_LABEL: &[u8] = b"divex/v1 key id ed25519";
/// Domain-separation prefix for encryption-key ids.
const KID_ENCRYPTION_LABEL: &[u8] = b"divex/v1 key id x25519";

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key or signature has the wrong number of bytes.
    #[error("{what} must be {expected} bytes, got {actual}")]
    Length {
        /// What was being read.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Length supplied.
        actual: usize,
    },
    /// The Ed25519 public key is not a point on the curve.
    #[error("the Ed25519 public key is not a valid curve point")]
    InvalidSigningKey,
    /// The Ed25519 public key is not in canonical encoding.
    #[error("the Ed25519 public key is not canonically encoded")]
    NonCanonicalSigningKey,
    /// The Ed25519 public key has small order (a "weak" key that verifies forged signatures).
    #[error("the Ed25519 public key is a weak (small-order) key")]
    WeakSigningKey,
    /// The X25519 public key is a low-order point: any key agreement with it is all zero.
    #[error("the X25519 public key is a low-order point (non-contributory)")]
    LowOrderEncryptionKey,
    /// A signature did not verify under the strict Ed25519 rules of spec/envelope.md §6.
    #[error("the Ed25519 signature is invalid")]
    BadSignature,
    /// A public key bundle is not well-formed.
    #[error("the public key bundle is malformed: {0}")]
    MalformedBundle(&'static str),
    /// A public key bundle is not strict CBOR.
    #[error("the public key bundle is not strict CBOR: {0}")]
    Codec(#[from] CodecError),
}

/// A key id: the first 16 bytes of a domain-separated SHA-256 of the public key bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    fn derive(label: &[u8], public: &[u8; 32]) -> KeyId {
        let digest = Sha256::new()
            .chain_update(label)
            .chain_update(public)
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        // The first 16 of SHA-256's 32 bytes.
        id.iter_mut().zip(digest.iter()).for_each(|(d, s)| *d = *s);
        KeyId(id)
    }

    /// A key id from its bytes.
    pub fn from_bytes(b: &[u8]) -> Result<KeyId, KeyError> {
        let arr: [u8; KEY_ID_LEN] = b.try_into().map_err(|_| KeyError::Length {
            what: "key id",
            expected: KEY_ID_LEN,
            actual: b.len(),
        })?;
        Ok(KeyId(arr))
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    /// Lower-case hex, as shown to operators.
    pub(crate) fn to_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

fn array32(what: &'static str, b: &[u8]) -> Result<[u8; 32], KeyError> {
    b.try_into().map_err(|_| KeyError::Length {
        what,
        expected: 32,
        actual: b.len(),
    })
}

/// An agency's Ed25519 public key, validated on import.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningPublicKey {
    key: VerifyingKey,
    kid: KeyId,
}

impl SigningPublicKey {
    /// Imports a 32-byte Ed25519 public key. Refuses encodings that are not points, that are
    /// not canonical (y ≥ p, or the sign bit set on x = 0), and small-order ("weak") points.
    pub fn from_bytes(b: &[u8]) -> Result<SigningPublicKey, KeyError> {
        let arr = array32("Ed25519 public key", b)?;
        let key = VerifyingKey::from_bytes(&arr).map_err(|_| KeyError::InvalidSigningKey)?;
        if key.to_edwards().compress().as_bytes() != &arr {
            return Err(KeyError::NonCanonicalSigningKey);
        }
        if key.is_weak() {
            return Err(KeyError::WeakSigningKey);
        }
        Ok(Self::from_verified(key))
    }

    fn from_verified(key: VerifyingKey) -> SigningPublicKey {
        let kid = KeyId::derive(KID_SIGNING_LABEL, key.as_bytes());
        SigningPublicKey { key, kid }
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }

    /// The key id (spec/envelope.md §3.2).
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// Verifies an Ed25519 signature with `verify_strict`: the signature's R must be a
    /// canonical, non-small-order point, S must be reduced, and the cofactorless equation
    /// `[S]B = R + [k]A` must hold (spec/envelope.md §6).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let sig: [u8; 64] = signature.try_into().map_err(|_| KeyError::Length {
            what: "Ed25519 signature",
            expected: 64,
            actual: signature.len(),
        })?;
        self.key
            .verify_strict(message, &Signature::from_bytes(&sig))
            .map_err(|_| KeyError::BadSignature)
    }
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({})", self.kid.to_hex())
    }
}

/// An agency's X25519 public key, validated on import.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionPublicKey {
    bytes: [u8; 32],
    kid: KeyId,
}

/// A fixed clamped scalar. Multiplying any point by a clamped scalar (a multiple of 8 below
/// 8·q) gives the identity exactly when the point has order dividing 8, so one X25519 with
/// it detects every low-order encoding, canonical or not, without a blocklist.
const LOW_ORDER_PROBE: [u8; 32] = [
    0x58, 0x83, 0x1a, 0x5c, 0x11, 0x2e, 0x9b, 0x40, 0x27, 0x6d, 0x3f, 0x81, 0xc4, 0x09, 0x55, 0x72,
    0x1e, 0xb0, 0x63, 0x4d, 0x96, 0x2a, 0x7c, 0x05, 0xe8, 0x31, 0x4f, 0xa6, 0x12, 0x8b, 0x77, 0x4c,
];

impl EncryptionPublicKey {
    /// Imports a 32-byte X25519 public key, refusing low-order points (all-zero shared secret).
    pub fn from_bytes(b: &[u8]) -> Result<EncryptionPublicKey, KeyError> {
        let bytes = array32("X25519 public key", b)?;
        if is_low_order_x25519(&bytes) {
            return Err(KeyError::LowOrderEncryptionKey);
        }
        Ok(Self::from_trusted(bytes))
    }

    pub(super) fn from_trusted(bytes: [u8; 32]) -> EncryptionPublicKey {
        let kid = KeyId::derive(KID_ENCRYPTION_LABEL, &bytes);
        EncryptionPublicKey { bytes, kid }
    }

    /// The key's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The key id (spec/envelope.md §3.2).
    pub fn kid(&self) -> KeyId {
        self.kid
    }
}

/// Whether an X25519 u-coordinate is a point of order dividing 8 (in any encoding).
pub(crate) fn is_low_order_x25519(u: &[u8; 32]) -> bool {
    let out = Zeroizing::new(x25519_dalek::x25519(LOW_ORDER_PROBE, *u));
    bool::from(out.ct_eq(&[0u8; 32]))
}

impl fmt::Debug for EncryptionPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionPublicKey({})", self.kid.to_hex())
    }
}

/// An agency's public keys, as published in its certificate and the directory.
///
/// Encoded as the CBOR map `{1: "divex/v1", 2: ed25519_pk, 3: x25519_pk}` (spec/envelope.md §3.3).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PublicBundle {
    signing: SigningPublicKey,
    encryption: EncryptionPublicKey,
}

const BUNDLE_VERSION: &str = "divex/v1";

impl PublicBundle {
    /// A bundle from validated keys.
    pub(crate) fn new(signing: SigningPublicKey, encryption: EncryptionPublicKey) -> PublicBundle {
        PublicBundle {
            signing,
            encryption,
        }
    }

    /// The signing key.
    pub fn signing(&self) -> &SigningPublicKey {
        &self.signing
    }

    /// The encryption key.
    pub fn encryption(&self) -> &EncryptionPublicKey {
        &self.encryption
    }

    /// The bundle as a CBOR value.
    pub(crate) fn to_value(&self) -> Value {
        let mut m = codec::Map::new();
        // Keys are distinct constants: insertion cannot fail.
        let _ = m.insert(Value::from(1u64), Value::from(BUNDLE_VERSION));
        let _ = m.insert(Value::from(2u64), Value::bytes(self.signing.as_bytes()));
        let _ = m.insert(Value::from(3u64), Value::bytes(self.encryption.as_bytes()));
        Value::Map(m)
    }

    /// The bundle's deterministic encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(&self.to_value())
    }

    /// Reads a bundle from a CBOR value, validating both keys.
    pub(crate) fn from_value(v: &Value) -> Result<PublicBundle, KeyError> {
        let m = v.as_map().ok_or(KeyError::MalformedBundle("not a map"))?;
        if m.len() != 3 {
            return Err(KeyError::MalformedBundle(
                "must have exactly keys 1, 2 and 3",
            ));
        }
        if m.get_label(1).and_then(Value::as_text) != Some(BUNDLE_VERSION) {
            return Err(KeyError::MalformedBundle("unknown bundle version"));
        }
        let sig = m
            .get_label(2)
            .and_then(Value::as_bytes)
            .ok_or(KeyError::MalformedBundle("missing signing key"))?;
        let enc = m
            .get_label(3)
            .and_then(Value::as_bytes)
            .ok_or(KeyError::MalformedBundle("missing encryption key"))?;
        Ok(PublicBundle {
            signing: SigningPublicKey::from_bytes(sig)?,
            encryption: EncryptionPublicKey::from_bytes(enc)?,
        })
    }

    /// Decodes and validates a bundle.
    pub fn from_bytes(b: &[u8]) -> Result<PublicBundle, KeyError> {
        Self::from_value(&codec::decode(b)?)
    }
}

/// A person's Ed25519 signing key (a participant or representative signing a consent or a
/// revocation, for example on a program's signing tablet).
///
/// No `Clone`, redacted `Debug`, zeroized on drop.
pub struct PersonalKey {
    signing: SigningKey,
    public: SigningPublicKey,
}

impl PersonalKey {
    /// A fresh key from the OS CSPRNG.
    pub fn generate() -> PersonalKey {
        Self::generate_with_rng(&mut crate::rng::os())
    }

    /// A fresh key from the given CSPRNG.
    pub(crate) fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> PersonalKey {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_secret_bytes(&seed)
    }

    /// **Secret material.** Rebuilds the key from its 32-byte Ed25519 seed.
    pub(crate) fn from_secret_bytes(seed: &[u8; 32]) -> PersonalKey {
        let signing = SigningKey::from_bytes(seed);
        let public = SigningPublicKey::from_verified(signing.verifying_key());
        PersonalKey { signing, public }
    }

    /// **Secret material.** The 32-byte seed, for encrypted export only.
    pub(crate) fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.signing.as_bytes())
    }

    /// The public key.
    pub fn public(&self) -> &SigningPublicKey {
        &self.public
    }

    /// Signs `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for PersonalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalKey")
            .field("kid", &self.public.kid)
            .finish_non_exhaustive()
    }
}

/// An agency's secret keys together with its public bundle (kept so that no operation has to
/// recompute a public key from a secret one).
///
/// No `Clone`, redacted `Debug`, zeroized on drop.
pub struct AgencyKeys {
    signing: SigningKey,
    encryption: EncryptionKeyPair,
    public: PublicBundle,
}

impl AgencyKeys {
    /// Fresh keys from the operating system's CSPRNG.
    pub fn generate() -> AgencyKeys {
        Self::generate_with_rng(&mut crate::rng::os())
    }

    /// Fresh keys from the given CSPRNG (deterministic generators in tests use a seeded one).
    pub(crate) fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> AgencyKeys {
        let mut seed = Zeroizing::new([0u8; 64]);
        rng.fill_bytes(seed.as_mut());
        Self::from_secret_bytes(&seed)
    }

    /// Rebuilds keys from the 64 secret bytes (Ed25519 seed ‖ X25519 scalar) produced by
    /// [`AgencyKeys::expose_secret_bytes`]. Callers must keep these bytes encrypted at rest.
    pub(crate) fn from_secret_bytes(secret: &[u8; 64]) -> AgencyKeys {
        let mut ed = Zeroizing::new([0u8; 32]);
        let mut x = Zeroizing::new([0u8; 32]);
        ed.copy_from_slice(&secret[..32]);
        x.copy_from_slice(&secret[32..]);
        let signing = SigningKey::from_bytes(&ed);
        let encryption = EncryptionKeyPair::from_secret_bytes(&x);
        let sig_pub = SigningPublicKey::from_verified(signing.verifying_key());
        let public = PublicBundle::new(sig_pub, encryption.public().clone());
        AgencyKeys {
            signing,
            encryption,
            public,
        }
    }

    /// **Secret material.** The 64 secret bytes, for encrypted export only. The name is loud on
    /// purpose: grep for it when auditing where secrets leave memory.
    pub(crate) fn expose_secret_bytes(&self) -> Zeroizing<[u8; 64]> {
        let mut out = Zeroizing::new([0u8; 64]);
        let (ed, x) = out.split_at_mut(32);
        ed.copy_from_slice(self.signing.as_bytes());
        x.copy_from_slice(self.encryption.expose_secret_bytes().as_ref());
        out
    }

    /// The public bundle.
    pub fn public(&self) -> &PublicBundle {
        &self.public
    }

    /// Signs `message` with the agency's Ed25519 key (the API: [`StatementSigner`]).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The encryption key pair.
    pub(crate) fn encryption(&self) -> &EncryptionKeyPair {
        &self.encryption
    }
}

/// Something that signs a statement with Ed25519: an agency ([`AgencyKeys`]) or a person
/// ([`PersonalKey`]). Consents, revocations and case events are signed through it
/// (`SignedConsent::sign`, `RevocationStatement::sign`, `CaseEvent::sign`), and so is
/// anything else an agency signs, such as a ledger checkpoint.
pub trait StatementSigner {
    /// The public key.
    fn signing_public(&self) -> &SigningPublicKey;
    /// Signs `message` with Ed25519.
    fn sign_message(&self, message: &[u8]) -> [u8; 64];
}

impl StatementSigner for AgencyKeys {
    fn signing_public(&self) -> &SigningPublicKey {
        self.public().signing()
    }
    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        self.sign(message)
    }
}

impl StatementSigner for PersonalKey {
    fn signing_public(&self) -> &SigningPublicKey {
        self.public()
    }
    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        self.sign(message)
    }
}

impl fmt::Debug for AgencyKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgencyKeys")
            .field("signing_kid", &self.public.signing.kid)
            .field("encryption_kid", &self.public.encryption.kid)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let k = AgencyKeys::generate();
        let secret = k.expose_secret_bytes();
        let dbg = format!("{k:?}");
        let hex_secret: String = secret[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert!(!dbg.contains(&hex_secret));
        assert!(dbg.contains(".."));
    }

    #[test]
    fn secret_bytes_round_trip() {
        let k = AgencyKeys::generate();
        let k2 = AgencyKeys::from_secret_bytes(&k.expose_secret_bytes());
        assert_eq!(k.public(), k2.public());
    }

    #[test]
    fn kids_are_domain_separated() {
        let k = AgencyKeys::generate();
        assert_ne!(k.public().signing().kid(), k.public().encryption().kid());
    }

    #[test]
    fn bundle_round_trip_and_strictness() {
        let k = AgencyKeys::generate();
        let b = k.public().to_bytes();
        assert_eq!(&PublicBundle::from_bytes(&b).unwrap(), k.public());
        let mut bad = b.clone();
        bad.push(0);
        assert!(PublicBundle::from_bytes(&bad).is_err());
    }

    #[test]
    fn low_order_x25519_rejected() {
        for u in [[0u8; 32], {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        }] {
            assert_eq!(
                EncryptionPublicKey::from_bytes(&u),
                Err(KeyError::LowOrderEncryptionKey)
            );
        }
    }
}

crate::error::classified!(KeyError, Key, |e| match e {
    KeyError::Length { .. } => "length",
    KeyError::InvalidSigningKey => "invalid_signing_key",
    KeyError::NonCanonicalSigningKey => "non_canonical_signing_key",
    KeyError::WeakSigningKey => "weak_signing_key",
    KeyError::LowOrderEncryptionKey => "low_order_encryption_key",
    KeyError::BadSignature => "bad_signature",
    KeyError::MalformedBundle(_) => "malformed_bundle",
    KeyError::Codec(_) => "malformed",
});

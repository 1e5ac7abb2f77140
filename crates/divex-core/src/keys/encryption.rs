//! The X25519 half of an agency's keys, as HPKE-4-KE uses it. Not API: it is reached through
//! [`AgencyKeys`](super::AgencyKeys), and tests and the vector runners import raw X25519
//! secrets through `divex_core::testing`.

use std::fmt;

use hpke::{Deserializable, Serializable};
use zeroize::Zeroizing;

use super::EncryptionPublicKey;

type HpkeSecret = <hpke::kem::X25519HkdfSha256 as hpke::Kem>::PrivateKey;

/// An X25519 secret key with its public key, as HPKE-4-KE uses it.
///
/// No `Clone`, redacted `Debug`, zeroized on drop (the wrapped dalek secret zeroizes itself).
pub struct EncryptionKeyPair {
    secret: HpkeSecret,
    public: EncryptionPublicKey,
}

impl EncryptionKeyPair {
    /// **Secret material.** Builds a key pair from a raw 32-byte X25519 secret (clamped as
    /// RFC 7748 requires). Used to import keys made elsewhere, such as COSE_Key test vectors.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> EncryptionKeyPair {
        let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret));
        // 32 bytes always deserialise: the HPKE X25519 key type only checks the length.
        let secret = match HpkeSecret::from_bytes(secret) {
            Ok(s) => s,
            Err(_) => unreachable!("32-byte X25519 secret"),
        };
        EncryptionKeyPair {
            secret,
            public: EncryptionPublicKey::from_trusted(public.to_bytes()),
        }
    }

    /// **Secret material.** The clamped secret scalar bytes, for encrypted export only.
    pub fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&self.secret.to_bytes());
        out
    }

    /// The public key.
    pub fn public(&self) -> &EncryptionPublicKey {
        &self.public
    }

    pub(crate) fn hpke_secret(&self) -> &HpkeSecret {
        &self.secret
    }
}

impl fmt::Debug for EncryptionKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKeyPair")
            .field("kid", &self.public.kid)
            .finish_non_exhaustive()
    }
}

//! Encrypted keystores: secret keys leave the library only sealed under a passphrase
//! (ARCHITECTURE.md §4). The format is [`divex_core::keystore`] — the same bytes the `divex`
//! command line writes to its keystore files, so a key made with `divex init` opens here and
//! the other way round. This module only carries its types across the boundary; the key
//! objects' `from_keystore` / `export_keystore` delegate to the core.

use divex_core::keystore::{self as core, KdfProfile, KeystoreKind};

use crate::error::Result;

/// How expensive the passphrase key derivation is (the core's enum).
#[uniffi::remote(Enum)]
pub enum KdfProfile {
    /// Argon2id, 64 MiB, 3 passes, 1 lane: for every real key.
    Interactive,
    /// Argon2id, 1 MiB, 1 pass: for tests and demos only. **Not for production keys** — a
    /// stolen keystore protected this way yields to fast offline guessing.
    Fast,
}

/// What a keystore holds (the core's enum).
#[uniffi::remote(Enum)]
pub enum KeystoreKind {
    /// An agency's signing and encryption keys ([`crate::AgencyKeys`]).
    Agency,
    /// A trust anchor's signing key ([`crate::AnchorKeys`]).
    Anchor,
    /// A person's signing key ([`crate::PersonalKey`]).
    Personal,
}

/// A keystore's public header, readable without the passphrase. It is authenticated only
/// when the keystore is opened: until then it is a claim.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeystoreInfo {
    /// What it holds.
    pub kind: KeystoreKind,
    /// The agency id, anchor name or person's label.
    pub id: String,
    /// The public side: the public bundle (agency), the anchor encoding (anchor) or the
    /// 32-byte Ed25519 key (personal).
    pub public_key: Vec<u8>,
    /// The KDF profile it was written with.
    pub profile: KdfProfile,
}

impl From<core::KeystoreInfo> for KeystoreInfo {
    fn from(i: core::KeystoreInfo) -> Self {
        KeystoreInfo {
            kind: i.kind,
            id: i.id,
            public_key: i.public,
            profile: i.profile,
        }
    }
}

/// Reads a keystore's public header without the passphrase.
#[uniffi::export]
pub fn keystore_info(keystore: Vec<u8>) -> Result<KeystoreInfo> {
    Ok(core::KeystoreInfo::from_bytes(&keystore)?.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use divex_core::keys::PersonalKey;

    use crate::DivexError;

    use super::*;

    #[test]
    fn refusals_keep_their_classes_and_variants() {
        let key = PersonalKey::generate();
        let ks = core::seal_personal("patient", &key, "pw", KdfProfile::Fast).unwrap();
        let info = keystore_info(ks.clone()).unwrap();
        assert_eq!(
            (info.kind, info.id.as_str(), info.profile),
            (KeystoreKind::Personal, "patient", KdfProfile::Fast)
        );
        let wrong = DivexError::from(core::open_personal(&ks, "other").unwrap_err());
        assert!(matches!(&wrong, DivexError::Keystore { code, .. } if code == "wrong_passphrase"));
        let kind = DivexError::from(core::open_agency(&ks, "pw").unwrap_err());
        assert!(matches!(&kind, DivexError::Keystore { code, .. } if code == "wrong_kind"));
        let empty = core::seal_personal("patient", &key, "", KdfProfile::Fast).unwrap_err();
        assert!(matches!(
            DivexError::from(empty),
            DivexError::InvalidInput { code, detail }
                if code == "argument" && detail == "the passphrase must not be empty"
        ));
    }
}

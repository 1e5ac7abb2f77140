//! Secret keys as opaque objects: an agency's keys, a person's signing key, and an X25519 key
//! pair for the COSE-HPKE encryption layer on its own. Secret bytes never cross the boundary
//! except sealed in a keystore ([`divex_core::keystore`]), and — for the published test vectors
//! only — into the loudly named `*_test_vectors_only` constructors.

use std::sync::Arc;

use divex_core::consent::{CaseEvent, DispositionOutcome, RevocationStatement, StatementSigner};
use divex_core::keys;
// Raw secret import/export and the stand-alone X25519 pair are test hooks of the core (not its
// API); the bindings expose them only in the loudly named `*_test_vectors_only` constructors.
use divex_core::keystore::{self, KdfProfile};
use divex_core::testing::AgencyKeysExt;
use divex_core::testing::keys::EncryptionKeyPair as CoreEncryptionKeyPair;
use zeroize::Zeroizing;

use crate::error::{Result, length};

/// An agency's secret keys: an Ed25519 signing key and an X25519 encryption key, with their
/// public bundle. Zeroized when the last reference is dropped; prints its key ids only.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct AgencyKeys {
    pub(crate) inner: keys::AgencyKeys,
}

impl std::fmt::Debug for AgencyKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl AgencyKeys {
    /// Fresh keys from the operating system's CSPRNG.
    #[uniffi::constructor]
    pub fn generate() -> Arc<AgencyKeys> {
        Arc::new(AgencyKeys {
            inner: keys::AgencyKeys::generate(),
        })
    }

    /// Opens an agency keystore (the `divex` CLI's keystore format) with its passphrase.
    #[uniffi::constructor]
    pub fn from_keystore(keystore: Vec<u8>, passphrase: String) -> Result<Arc<AgencyKeys>> {
        let passphrase = Zeroizing::new(passphrase);
        let (_, inner) = keystore::open_agency(&keystore, &passphrase)?;
        Ok(Arc::new(AgencyKeys { inner }))
    }

    /// **Test vectors only.** Rebuilds keys from their 64 raw secret bytes (Ed25519 seed ‖
    /// X25519 scalar), as published in `spec/vectors`. Real keys are imported with
    /// [`AgencyKeys::from_keystore`]; raw secret bytes must never be stored or sent.
    #[uniffi::constructor]
    pub fn from_secret_bytes_test_vectors_only(secret: Vec<u8>) -> Result<Arc<AgencyKeys>> {
        let secret = Zeroizing::new(secret);
        let arr = secret_array::<64>("agency secret", &secret)?;
        Ok(Arc::new(AgencyKeys {
            inner: keys::AgencyKeys::from_secret_bytes(&arr),
        }))
    }

    /// The keys sealed under `passphrase` in the `divex` CLI's keystore format, labelled with
    /// the agency's directory id.
    pub fn export_keystore(
        &self,
        agency_id: String,
        passphrase: String,
        profile: KdfProfile,
    ) -> Result<Vec<u8>> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(keystore::seal_agency(
            &agency_id,
            &self.inner,
            &passphrase,
            profile,
        )?)
    }

    /// The public bundle (spec/envelope.md §3.3): what an anchor certifies.
    pub fn public_bundle(&self) -> Vec<u8> {
        self.inner.public().to_bytes()
    }

    /// The 32-byte Ed25519 public key.
    pub fn signing_public_key(&self) -> Vec<u8> {
        self.inner.public().signing().as_bytes().to_vec()
    }

    /// The 32-byte X25519 public key.
    pub fn encryption_public_key(&self) -> Vec<u8> {
        self.inner.public().encryption().as_bytes().to_vec()
    }

    /// The 16-byte id of the signing key (spec/envelope.md §3.2).
    pub fn signing_key_id(&self) -> Vec<u8> {
        self.inner.public().signing().kid().as_bytes().to_vec()
    }

    /// The 16-byte id of the encryption key: the `kid` of this agency's COSE recipients.
    pub fn encryption_key_id(&self) -> Vec<u8> {
        self.inner.public().encryption().kid().as_bytes().to_vec()
    }

    /// The encryption key pair on its own, for the COSE-HPKE layer ([`crate::hpke_decrypt`]).
    pub fn encryption_key_pair(&self) -> Arc<EncryptionKeyPair> {
        let secret = self.inner.encryption().expose_secret_bytes();
        Arc::new(EncryptionKeyPair {
            inner: CoreEncryptionKeyPair::from_secret_bytes(&secret),
        })
    }

    /// Signs, as a certified agency, the revocation of consent `consent_id` that the
    /// participant made at `revoked_at` by `method` (e.g. `written`, `oral-recorded`) — the
    /// witness or a named discloser recording it (spec/consent.md §5).
    pub fn sign_consent_revocation(
        &self,
        consent_id: String,
        revoked_at: u64,
        method: String,
    ) -> Result<Vec<u8>> {
        sign_revocation(&self.inner, consent_id, revoked_at, method)
    }

    /// Signs, as the court or prosecutor with authority over case `case_ref`, its disposition
    /// `outcome` effective at `effective_at`.
    pub fn sign_case_event(
        &self,
        case_ref: String,
        outcome: DispositionOutcome,
        effective_at: u64,
    ) -> Result<Vec<u8>> {
        Ok(CaseEvent {
            case_ref,
            outcome,
            effective_at,
        }
        .sign(&self.inner)?)
    }
}

/// Copies secret bytes into a zeroizing array of exactly `N` bytes (no unzeroized copy).
pub(crate) fn secret_array<const N: usize>(what: &str, bytes: &[u8]) -> Result<Zeroizing<[u8; N]>> {
    if bytes.len() != N {
        return Err(length(what, N, bytes.len()));
    }
    let mut out = Zeroizing::new([0u8; N]);
    out.copy_from_slice(bytes);
    Ok(out)
}

fn sign_revocation(
    key: &dyn StatementSigner,
    consent_id: String,
    revoked_at: u64,
    method: String,
) -> Result<Vec<u8>> {
    Ok(RevocationStatement {
        consent_id,
        revoked_at,
        method,
    }
    .sign(key)?)
}

/// A person's Ed25519 signing key: the participant, a parent or another representative
/// signing a consent or its revocation (for example on a program's signing tablet).
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PersonalKey {
    pub(crate) inner: keys::PersonalKey,
}

impl std::fmt::Debug for PersonalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl PersonalKey {
    /// A fresh key from the operating system's CSPRNG.
    #[uniffi::constructor]
    pub fn generate() -> Arc<PersonalKey> {
        Arc::new(PersonalKey {
            inner: keys::PersonalKey::generate(),
        })
    }

    /// Opens a personal keystore with its passphrase.
    #[uniffi::constructor]
    pub fn from_keystore(keystore: Vec<u8>, passphrase: String) -> Result<Arc<PersonalKey>> {
        let passphrase = Zeroizing::new(passphrase);
        let (_, inner) = keystore::open_personal(&keystore, &passphrase)?;
        Ok(Arc::new(PersonalKey { inner }))
    }

    /// The key sealed under `passphrase`, labelled `label` (e.g. the person's role).
    pub fn export_keystore(
        &self,
        label: String,
        passphrase: String,
        profile: KdfProfile,
    ) -> Result<Vec<u8>> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(keystore::seal_personal(
            &label,
            &self.inner,
            &passphrase,
            profile,
        )?)
    }

    /// The 32-byte Ed25519 public key (a consent signer's `key`).
    pub fn public_key(&self) -> Vec<u8> {
        self.inner.public().as_bytes().to_vec()
    }

    /// The 16-byte key id.
    pub fn key_id(&self) -> Vec<u8> {
        self.inner.public().kid().as_bytes().to_vec()
    }

    /// Signs, as the participant (or their representative), the revocation of consent
    /// `consent_id` at `revoked_at` by `method` (e.g. `written`).
    pub fn sign_consent_revocation(
        &self,
        consent_id: String,
        revoked_at: u64,
        method: String,
    ) -> Result<Vec<u8>> {
        sign_revocation(&self.inner, consent_id, revoked_at, method)
    }
}

/// An X25519 key pair as HPKE-4-KE uses it: the recipient side of the COSE-HPKE encryption
/// layer on its own ([`crate::hpke_decrypt`]).
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct EncryptionKeyPair {
    pub(crate) inner: CoreEncryptionKeyPair,
}

impl std::fmt::Debug for EncryptionKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl EncryptionKeyPair {
    /// **Test vectors only.** A key pair from a raw 32-byte X25519 secret, such as the
    /// `COSE_Key` of the draft-ietf-cose-hpke test vectors. Real keys come from
    /// [`AgencyKeys::encryption_key_pair`].
    #[uniffi::constructor]
    pub fn from_secret_bytes_test_vectors_only(secret: Vec<u8>) -> Result<Arc<EncryptionKeyPair>> {
        let secret = Zeroizing::new(secret);
        let arr = secret_array::<32>("X25519 secret", &secret)?;
        Ok(Arc::new(EncryptionKeyPair {
            inner: CoreEncryptionKeyPair::from_secret_bytes(&arr),
        }))
    }

    /// The 32-byte X25519 public key.
    pub fn public_key(&self) -> Vec<u8> {
        self.inner.public().as_bytes().to_vec()
    }

    /// The 16-byte divex key id of the public key.
    pub fn key_id(&self) -> Vec<u8> {
        self.inner.public().kid().as_bytes().to_vec()
    }
}

/// What a public key bundle holds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PublicBundleInfo {
    /// The 32-byte Ed25519 public key.
    pub signing_public_key: Vec<u8>,
    /// The 32-byte X25519 public key.
    pub encryption_public_key: Vec<u8>,
    /// Its 16-byte id.
    pub signing_key_id: Vec<u8>,
    /// Its 16-byte id.
    pub encryption_key_id: Vec<u8>,
}

/// Decodes and validates a public key bundle (strict: weak and low-order keys are refused).
#[uniffi::export]
pub fn public_bundle_info(bundle: Vec<u8>) -> Result<PublicBundleInfo> {
    let b = keys::PublicBundle::from_bytes(&bundle)?;
    Ok(bundle_info(&b))
}

pub(crate) fn bundle_info(b: &keys::PublicBundle) -> PublicBundleInfo {
    PublicBundleInfo {
        signing_public_key: b.signing().as_bytes().to_vec(),
        encryption_public_key: b.encryption().as_bytes().to_vec(),
        signing_key_id: b.signing().kid().as_bytes().to_vec(),
        encryption_key_id: b.encryption().kid().as_bytes().to_vec(),
    }
}

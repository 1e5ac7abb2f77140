//! **Not API.** Test hooks for divex's own tests, benchmarks, fuzz targets, spec-vector
//! generators and the bindings' interoperability checks. Nothing here is covered by semantic
//! versioning: it is hidden from the documentation and **may change or disappear without
//! notice**. Do not use it in an application.
//!
//! It exists so that the API never grows to suit a test (rustls keeps its fuzzing hooks in a
//! hidden `internal` module the same way). It gives access to:
//!
//! * the envelope profile's own `seal` and `open` without the consent layer, which the
//!   envelope spec vectors exercise ([`envelope`]);
//! * the implementation modules — the strict codec ([`codec`]), the COSE structures
//!   ([`cose`]), the HPKE layer ([`dhkem`]), the JSON bridge ([`json`]), the randomness
//!   source ([`rng`]) and the stand-alone COSE-HPKE layer ([`cose_hpke`], for interoperability
//!   with other COSE implementations);
//! * the building blocks of hostile envelopes ([`envelope`]: the inner signature, one
//!   recipient stanza, the encryption layer, the key commitment, the recipients digest, the
//!   profile's constants and private header labels);
//! * the bounds the implementation applies ([`records`], [`consent`], [`directory`]);
//! * raw secret-key import and export and seeded key generation, for fixed test keys and
//!   reproducible vectors (the extension traits [`AgencyKeysExt`], [`PersonalKeyExt`],
//!   [`AnchorKeysExt`]; reproducible keystores in [`keystore`]);
//! * accessors and checks only tests need (the other `*Ext` traits).
//!
//! The extension traits keep the names of the methods they expose, so a test imports the
//! trait and calls `AgencyKeys::from_secret_bytes(..)` as before.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::codec::{Map, Value};
use crate::consent::{AgencyFacts, NoticeForm, Party, Regime};
use crate::directory::{
    AgencyCertificate, AnchorKeys, CertificateRequest, CertificateRevocation, Directory,
    DirectoryError, TrustAnchor,
};
use crate::envelope::Metadata;
use crate::keys::{
    AgencyKeys, EncryptionKeyPair, EncryptionPublicKey, KeyError, KeyId, PersonalKey, PublicBundle,
    SigningPublicKey,
};
use crate::records::{Date, FieldSpec, InvalidDate, Record, RecordError, RecordType};

/// The strict deterministic CBOR codec (`divex_core::codec` holds its public part).
pub mod codec {
    pub use crate::codec::decode::*;
    pub use crate::codec::diagnostic::*;
    pub use crate::codec::encode::*;
    pub use crate::codec::serde_bridge::*;
    pub use crate::codec::value::*;
}

/// COSE_Sign1, COSE_Sign, COSE_Encrypt and the COSE-HPKE key-encryption layer.
pub mod cose {
    pub use crate::cose::*;
}

/// The stand-alone COSE-HPKE encryption layer, for interoperability checks.
pub mod cose_hpke {
    pub use crate::cose_hpke::*;
}

/// HPKE base mode for HPKE-4-KE (RFC 9180) without recomputed public keys.
pub mod dhkem {
    pub use crate::dhkem::*;
}

/// The JSON ⇄ divex CBOR bridge behind `Record::from_json` and `ConsentDirective::from_json`.
pub mod json {
    pub use crate::json::*;
}

/// The randomness source.
pub mod rng {
    pub use crate::rng::*;
}

/// The envelope profiles on their own — `seal`, `open` and `open_many` without the consent
/// layer, with their options, results and sender resolvers (what the envelope spec vectors
/// exercise) — the building blocks of hostile envelopes, the profiles' constants (`Profile`)
/// and private header labels, `check_outer` (§7 steps 1-6 for a reader of given profiles),
/// besides the envelope API.
pub mod envelope {
    pub use crate::envelope::open::{Opened, open, open_many};
    pub use crate::envelope::parse::check_outer;
    pub use crate::envelope::profile::*;
    pub use crate::envelope::resolver::*;
    pub use crate::envelope::seal::{
        SealOptions, SealedEnvelope, content_protected, encrypt_layer, encrypt_layer_with,
        key_commitment, recipients_digest, seal, sign_inner, wrap_for,
    };
    pub use crate::envelope::*;

    /// The private COSE header labels of the divex profile.
    pub mod labels {
        pub use crate::envelope::labels::*;
    }
}

/// The records API with the schema's bounds.
pub mod records {
    pub use crate::records::limits::*;
    pub use crate::records::*;
}

/// The consent API with the formats' `typ` values and internal bounds.
pub mod consent {
    pub use crate::consent::constants::*;
    pub use crate::consent::*;
}

/// The directory API with the formats' `typ` values and internal bounds.
pub mod directory {
    pub use crate::directory::constants::*;
    pub use crate::directory::*;
}

/// The keys API with the X25519 key pair of an agency.
pub mod keys {
    pub use crate::keys::encryption::EncryptionKeyPair;
    pub use crate::keys::*;
}

/// Keystores with salt and nonce from a given generator (reproducible keystores).
pub mod keystore {
    use super::{AgencyKeys, AnchorKeys, CryptoRng, PersonalKey};

    pub use crate::keystore::*;

    /// `seal_agency` with salt and nonce from `rng`.
    pub fn seal_agency_with_rng<R: CryptoRng + ?Sized>(
        agency_id: &str,
        keys: &AgencyKeys,
        passphrase: &str,
        profile: KdfProfile,
        rng: &mut R,
    ) -> Result<Vec<u8>, KeystoreError> {
        crate::keystore::seal_agency_with_rng(agency_id, keys, passphrase, profile, rng)
    }

    /// `seal_anchor` with salt and nonce from `rng`.
    pub fn seal_anchor_with_rng<R: CryptoRng + ?Sized>(
        anchor: &AnchorKeys,
        passphrase: &str,
        profile: KdfProfile,
        rng: &mut R,
    ) -> Result<Vec<u8>, KeystoreError> {
        crate::keystore::seal_anchor_with_rng(anchor, passphrase, profile, rng)
    }

    /// `seal_personal` with salt and nonce from `rng`.
    pub fn seal_personal_with_rng<R: CryptoRng + ?Sized>(
        label: &str,
        key: &PersonalKey,
        passphrase: &str,
        profile: KdfProfile,
        rng: &mut R,
    ) -> Result<Vec<u8>, KeystoreError> {
        crate::keystore::seal_personal_with_rng(label, key, passphrase, profile, rng)
    }
}

// ---------------------------------------------------------------------------------------------
// Keys: seeded generation and raw secret bytes.

/// Seeded generation and raw secret bytes of [`AgencyKeys`] (fixed test keys, vectors).
pub trait AgencyKeysExt: Sized {
    /// Fresh keys from the given CSPRNG.
    fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self;
    /// **Secret material.** Keys from their 64 secret bytes (Ed25519 seed ‖ X25519 scalar).
    fn from_secret_bytes(secret: &[u8; 64]) -> Self;
    /// **Secret material.** The 64 secret bytes.
    fn expose_secret_bytes(&self) -> Zeroizing<[u8; 64]>;
    /// The X25519 key pair.
    fn encryption(&self) -> &EncryptionKeyPair;
    /// Signs `message` with the Ed25519 key (the API signs through `StatementSigner`).
    fn sign(&self, message: &[u8]) -> [u8; 64];
}

impl AgencyKeysExt for AgencyKeys {
    fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        AgencyKeys::generate_with_rng(rng)
    }
    fn from_secret_bytes(secret: &[u8; 64]) -> Self {
        AgencyKeys::from_secret_bytes(secret)
    }
    fn expose_secret_bytes(&self) -> Zeroizing<[u8; 64]> {
        AgencyKeys::expose_secret_bytes(self)
    }
    fn encryption(&self) -> &EncryptionKeyPair {
        AgencyKeys::encryption(self)
    }
    fn sign(&self, message: &[u8]) -> [u8; 64] {
        AgencyKeys::sign(self, message)
    }
}

/// Seeded generation, raw secret bytes and raw signing of [`PersonalKey`].
pub trait PersonalKeyExt: Sized {
    /// A fresh key from the given CSPRNG.
    fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self;
    /// **Secret material.** The key from its 32-byte Ed25519 seed.
    fn from_secret_bytes(seed: &[u8; 32]) -> Self;
    /// **Secret material.** The 32-byte seed.
    fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]>;
    /// Signs `message` (the API signs through `StatementSigner`).
    fn sign(&self, message: &[u8]) -> [u8; 64];
}

impl PersonalKeyExt for PersonalKey {
    fn generate_with_rng<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        PersonalKey::generate_with_rng(rng)
    }
    fn from_secret_bytes(seed: &[u8; 32]) -> Self {
        PersonalKey::from_secret_bytes(seed)
    }
    fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        PersonalKey::expose_secret_bytes(self)
    }
    fn sign(&self, message: &[u8]) -> [u8; 64] {
        PersonalKey::sign(self, message)
    }
}

/// Seeded generation, seeded issuance and raw secret bytes of [`AnchorKeys`].
pub trait AnchorKeysExt: Sized {
    /// A fresh anchor key from the given CSPRNG.
    fn generate_with_rng<R: CryptoRng + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<Self, DirectoryError>;
    /// **Secret material.** The anchor from its 32-byte Ed25519 seed.
    fn from_secret_bytes(name: &str, secret: &[u8; 32]) -> Result<Self, DirectoryError>;
    /// **Secret material.** The 32-byte seed.
    fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]>;
    /// Issues a certificate with a serial drawn from `rng`.
    fn issue_with_rng<R: CryptoRng + ?Sized>(
        &self,
        request: &CertificateRequest,
        rng: &mut R,
    ) -> Result<AgencyCertificate, DirectoryError>;
    /// The anchor's key id (the API: `anchor.public().kid()`).
    fn kid(&self) -> KeyId;
}

impl AnchorKeysExt for AnchorKeys {
    fn generate_with_rng<R: CryptoRng + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<Self, DirectoryError> {
        AnchorKeys::generate_with_rng(name, rng)
    }
    fn from_secret_bytes(name: &str, secret: &[u8; 32]) -> Result<Self, DirectoryError> {
        AnchorKeys::from_secret_bytes(name, secret)
    }
    fn expose_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        AnchorKeys::expose_secret_bytes(self)
    }
    fn issue_with_rng<R: CryptoRng + ?Sized>(
        &self,
        request: &CertificateRequest,
        rng: &mut R,
    ) -> Result<AgencyCertificate, DirectoryError> {
        AnchorKeys::issue_with_rng(self, request, rng)
    }
    fn kid(&self) -> KeyId {
        AnchorKeys::kid(self)
    }
}

/// A public bundle from its two keys, and as a CBOR value (the API reads and writes bytes).
pub trait PublicBundleExt: Sized {
    /// A bundle of two public keys (the API gets bundles from keys and bytes).
    fn new(signing: SigningPublicKey, encryption: EncryptionPublicKey) -> Self;
    /// The bundle as a CBOR value.
    fn to_value(&self) -> Value;
    /// The bundle a CBOR value holds.
    fn from_value(v: &Value) -> Result<Self, KeyError>;
}

impl PublicBundleExt for PublicBundle {
    fn new(signing: SigningPublicKey, encryption: EncryptionPublicKey) -> Self {
        PublicBundle::new(signing, encryption)
    }
    fn to_value(&self) -> Value {
        PublicBundle::to_value(self)
    }
    fn from_value(v: &Value) -> Result<Self, KeyError> {
        PublicBundle::from_value(v)
    }
}

/// A trust anchor from a name and a key (the API reads pinned anchors from bytes, or takes
/// them from `AnchorKeys::public`).
pub trait TrustAnchorExt: Sized {
    /// An anchor from a display name and its key.
    fn new(name: &str, key: SigningPublicKey) -> Result<Self, DirectoryError>;
}

impl TrustAnchorExt for TrustAnchor {
    fn new(name: &str, key: SigningPublicKey) -> Result<Self, DirectoryError> {
        TrustAnchor::new(name, key)
    }
}

// ---------------------------------------------------------------------------------------------
// Directory.

/// Checks and copies of [`AgencyCertificate`] only tests need.
pub trait AgencyCertificateExt {
    /// A copy of the exact signed bytes (the API: `as_bytes`).
    fn to_bytes(&self) -> Vec<u8>;
    /// Whether the certificate states `role`.
    fn has_role(&self, role: crate::directory::Role) -> bool;
    /// Whether `now` is inside the validity period.
    fn is_valid_at(&self, now: u64) -> bool;
}

impl AgencyCertificateExt for AgencyCertificate {
    fn to_bytes(&self) -> Vec<u8> {
        AgencyCertificate::to_bytes(self)
    }
    fn has_role(&self, role: crate::directory::Role) -> bool {
        AgencyCertificate::has_role(self, role)
    }
    fn is_valid_at(&self, now: u64) -> bool {
        AgencyCertificate::is_valid_at(self, now)
    }
}

/// Checks and copies of [`CertificateRevocation`] only tests need.
pub trait CertificateRevocationExt {
    /// A copy of the exact signed bytes (the API: `as_bytes`).
    fn to_bytes(&self) -> Vec<u8>;
    /// Whether the revocation is in effect at `now`.
    fn is_effective_at(&self, now: u64) -> bool;
}

impl CertificateRevocationExt for CertificateRevocation {
    fn to_bytes(&self) -> Vec<u8> {
        CertificateRevocation::to_bytes(self)
    }
    fn is_effective_at(&self, now: u64) -> bool {
        CertificateRevocation::is_effective_at(self, now)
    }
}

/// Queries of a [`Directory`] only tests need (the API resolves through `SenderResolver`
/// and `current_certificate`).
pub trait DirectoryExt {
    /// The certificate whose signing key has id `kid` and that is valid at `now`.
    fn certificate_by_signing_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError>;
    /// The certificate whose encryption key has id `kid` and that is valid at `now`.
    fn certificate_by_encryption_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError>;
    /// Revocations of `cert` known to the directory, earliest first.
    fn revocations_of<'a>(
        &'a self,
        cert: &AgencyCertificate,
    ) -> impl Iterator<Item = &'a CertificateRevocation>;
}

impl DirectoryExt for Directory {
    fn certificate_by_signing_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        Directory::certificate_by_signing_kid(self, kid, now)
    }
    fn certificate_by_encryption_kid(
        &self,
        kid: &KeyId,
        now: u64,
    ) -> Result<&AgencyCertificate, DirectoryError> {
        Directory::certificate_by_encryption_kid(self, kid, now)
    }
    fn revocations_of<'a>(
        &'a self,
        cert: &AgencyCertificate,
    ) -> impl Iterator<Item = &'a CertificateRevocation> {
        Directory::revocations_of(self, cert)
    }
}

// ---------------------------------------------------------------------------------------------
// Envelope, records, consent.

/// The inner protected header of an envelope's metadata (hostile inner signatures).
pub trait MetadataExt {
    /// `alg`, the sender's `kid`, the metadata labels and the key commitment.
    fn to_protected_map(&self, sender_kid: &KeyId, commitment: &[u8; 32]) -> Map;
}

impl MetadataExt for Metadata {
    fn to_protected_map(&self, sender_kid: &KeyId, commitment: &[u8; 32]) -> Map {
        Metadata::to_protected_map(self, sender_kid, commitment)
    }
}

/// A record as its CBOR value (the API reads and writes bytes and JSON).
pub trait RecordExt: Sized {
    /// The record as a CBOR map from field name to value, present fields only.
    fn to_value(&self) -> Value;
    /// The record of type `rt` that `v` encodes, checked strictly.
    fn from_value(rt: RecordType, v: &Value) -> Result<Self, RecordError>;
}

impl RecordExt for Record {
    fn to_value(&self) -> Value {
        Record::to_value(self)
    }
    fn from_value(rt: RecordType, v: &Value) -> Result<Self, RecordError> {
        Record::from_value(rt, v)
    }
}

/// `validate` on a typed record (the API: `Record::validate`).
pub trait ValidateRecord {
    /// Checks the record's rules, as `Record::validate` does.
    fn validate(&self) -> Result<(), RecordError>;
}

impl<T: Clone + Into<Record>> ValidateRecord for T {
    fn validate(&self) -> Result<(), RecordError> {
        self.clone().into().validate()
    }
}

/// Schema queries of a [`RecordType`] only the implementation and tests need.
pub trait RecordTypeExt {
    /// The schema entry of field `name`, if the type has such a field.
    fn field(&self, name: &str) -> Option<&'static FieldSpec>;
    /// Whether every field of the type is tier CJ (justice data).
    fn is_justice_data(&self) -> bool;
}

impl RecordTypeExt for RecordType {
    fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        RecordType::field(self, name)
    }
    fn is_justice_data(&self) -> bool {
        RecordType::is_justice_data(self)
    }
}

/// Calendar internals of [`Date`].
pub trait DateExt: Sized {
    /// Parses exactly `YYYY-MM-DD` (the API: `str::parse`).
    fn parse(s: &str) -> Result<Self, InvalidDate>;
    /// Seconds since the Unix epoch at midnight UTC, `None` before 1970.
    fn to_unix_seconds(self) -> Option<u64>;
}

impl DateExt for Date {
    fn parse(s: &str) -> Result<Self, InvalidDate> {
        Date::parse(s)
    }
    fn to_unix_seconds(self) -> Option<u64> {
        Date::to_unix_seconds(self)
    }
}

/// Queries of the consent model the decision engine makes.
pub trait AgencyFactsExt {
    /// The facts a certificate states.
    fn from_certificate(cert: &AgencyCertificate) -> Self;
    /// Whether the agency holds a role with a §2.35 monitoring duty.
    fn is_justice_monitor(&self) -> bool;
}

impl AgencyFactsExt for AgencyFacts {
    fn from_certificate(cert: &AgencyCertificate) -> Self {
        AgencyFacts::from_certificate(cert)
    }
    fn is_justice_monitor(&self) -> bool {
        AgencyFacts::is_justice_monitor(self)
    }
}

/// Whether a party designates an agency.
pub trait PartyExt {
    /// Whether this party, in a consent of jurisdiction `jurisdiction` (the anchor that
    /// certified its witness), names `agency` (by id, or by one of its roles).
    fn designates(&self, agency: &AgencyFacts, jurisdiction: &KeyId) -> bool;
}

impl PartyExt for Party {
    fn designates(&self, agency: &AgencyFacts, jurisdiction: &KeyId) -> bool {
        Party::designates(self, agency, jurisdiction)
    }
}

/// Whether a regime is a 42 CFR Part 2 one.
pub trait RegimeExt {
    /// Whether the regime is a 42 CFR Part 2 consent.
    fn is_part2(&self) -> bool;
}

impl RegimeExt for Regime {
    fn is_part2(&self) -> bool {
        Regime::is_part2(*self)
    }
}

/// The §2.32 notice text of a notice form.
pub trait NoticeFormExt {
    /// The notice text that travels with a disclosure.
    fn text(self) -> &'static str;
}

impl NoticeFormExt for NoticeForm {
    fn text(self) -> &'static str {
        NoticeForm::text(self)
    }
}

//! Trust anchors, agency certificates, revocations and the directory (spec/directory.md).
//!
//! Every method delegates to `divex_core::directory`; the records here are the certificate's
//! and revocation's fields with byte strings as bytes and roles as the core's [`Role`].

use std::sync::{Arc, Mutex, MutexGuard};

use divex_core::directory::{self as core, CertificateRequest as CoreRequest, Role, Serial};
use divex_core::keys::PublicBundle;
use divex_core::keystore::{self, KdfProfile};
use divex_core::vocab::Vocabulary;
use zeroize::Zeroizing;

use crate::error::{Result, array};

/// Locks `m`; a poisoned lock is taken as is (no code path panics while holding one, and every
/// core mutation is all-or-nothing).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What an agency is, as its certificate states (the core's enum). The core keeps it
/// `#[non_exhaustive]`, so this declaration says so too; a test lowers every value of
/// `Role::ALL` through it, so a role added to the core and not here fails the tests.
#[uniffi::remote(Enum)]
#[non_exhaustive]
pub enum Role {
    /// A court (e.g. a drug or treatment court).
    Court,
    /// A prosecutor's office.
    Prosecutor,
    /// A probation department.
    Probation,
    /// A parole authority.
    Parole,
    /// A police department.
    Police,
    /// A LEAD (Let Everyone Advance with Dignity) case-management program.
    LeadCaseManager,
    /// A treatment provider (often a 42 CFR Part 2 program).
    TreatmentProvider,
    /// A relay or other intermediary that routes envelopes it cannot read.
    Intermediary,
}

/// What an anchor is asked to certify.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CertificateRequest {
    /// The agency's stable id, `[a-z0-9._-]{1,64}`, e.g. `county-drug-court`.
    pub agency_id: String,
    /// Display name (1-128 bytes, no control or bidirectional formatting characters).
    pub name: String,
    /// Roles (at least one).
    pub roles: Vec<Role>,
    /// Whether the agency is a federally assisted SUD program under 42 CFR Part 2.
    #[uniffi(default = false)]
    pub part2_program: bool,
    /// The agency's public bundle ([`crate::AgencyKeys::public_bundle`]).
    pub public_bundle: Vec<u8>,
    /// Start of validity, Unix seconds (inclusive).
    pub not_before: u64,
    /// End of validity, Unix seconds (exclusive).
    pub not_after: u64,
}

/// A certificate's fields. Everything a [`Directory`] returns has been verified against a
/// pinned anchor; [`certificate_info`] alone verifies nothing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CertificateInfo {
    /// The exact signed certificate.
    pub certificate: Vec<u8>,
    /// 16-byte serial.
    pub serial: Vec<u8>,
    /// Key id of the issuing anchor.
    pub issuer_key_id: Vec<u8>,
    /// The agency's directory id.
    pub agency_id: String,
    /// Display name.
    pub name: String,
    /// Roles, ascending by name.
    pub roles: Vec<Role>,
    /// 42 CFR Part 2 program flag.
    pub part2_program: bool,
    /// The certified public bundle.
    pub public_bundle: Vec<u8>,
    /// Id of the certified signing key.
    pub signing_key_id: Vec<u8>,
    /// Id of the certified encryption key.
    pub encryption_key_id: Vec<u8>,
    /// Start of validity (inclusive).
    pub not_before: u64,
    /// End of validity (exclusive).
    pub not_after: u64,
}

pub(crate) fn cert_info(c: &core::AgencyCertificate) -> CertificateInfo {
    CertificateInfo {
        certificate: c.as_bytes().to_vec(),
        serial: c.serial().0.to_vec(),
        issuer_key_id: c.issuer().as_bytes().to_vec(),
        agency_id: c.agency_id().to_owned(),
        name: c.name().to_owned(),
        roles: c.roles().to_vec(),
        part2_program: c.part2_program(),
        public_bundle: c.keys().to_bytes(),
        signing_key_id: c.keys().signing().kid().as_bytes().to_vec(),
        encryption_key_id: c.keys().encryption().kid().as_bytes().to_vec(),
        not_before: c.not_before(),
        not_after: c.not_after(),
    }
}

/// A certificate revocation's fields.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RevocationInfo {
    /// The exact signed revocation.
    pub revocation: Vec<u8>,
    /// Key id of the anchor that signed it.
    pub issuer_key_id: Vec<u8>,
    /// Serial of the revoked certificate.
    pub serial: Vec<u8>,
    /// From when the certificate is untrusted (Unix seconds).
    pub revoked_at: u64,
    /// Reason code, e.g. `key_compromise`.
    pub reason: String,
}

fn revocation_info(r: &core::CertificateRevocation) -> RevocationInfo {
    RevocationInfo {
        revocation: r.as_bytes().to_vec(),
        issuer_key_id: r.issuer().as_bytes().to_vec(),
        serial: r.serial().0.to_vec(),
        revoked_at: r.revoked_at(),
        reason: r.reason().to_owned(),
    }
}

/// A trust anchor's public side.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AnchorInfo {
    /// The anchor encoding (an anchor file, spec/directory.md §5).
    pub anchor: Vec<u8>,
    /// Display name.
    pub name: String,
    /// Key id: the fingerprint operators compare when pinning the anchor.
    pub key_id: Vec<u8>,
}

fn anchor_info(a: &core::TrustAnchor) -> AnchorInfo {
    AnchorInfo {
        anchor: a.to_bytes(),
        name: a.name().to_owned(),
        key_id: a.kid().as_bytes().to_vec(),
    }
}

/// What a [`Directory`] recorded of the latest signed snapshot it merged from one anchor
/// (spec/directory.md §5.4). The bundle encoding does not carry it: keep the latest snapshot
/// of each anchor beside the directory and merge it again after loading.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SnapshotInfo {
    /// Key id of the anchor that signed it.
    pub anchor_key_id: Vec<u8>,
    /// Its sequence number.
    pub sequence: u64,
    /// When the anchor signed it (Unix seconds).
    pub signed_at: u64,
    /// When it expires (Unix seconds, exclusive).
    pub expires: u64,
    /// SHA-256 of the snapshot's bytes.
    pub digest: Vec<u8>,
}

fn snapshot_info(s: &core::DirectorySnapshot) -> SnapshotInfo {
    SnapshotInfo {
        anchor_key_id: s.anchor.as_bytes().to_vec(),
        sequence: s.sequence,
        signed_at: s.signed_at,
        expires: s.expires,
        digest: s.digest.to_vec(),
    }
}

/// Parses a certificate strictly **without** verifying its signature (for display; trust
/// only what a [`Directory`] returns).
#[uniffi::export]
pub fn certificate_info(certificate: Vec<u8>) -> Result<CertificateInfo> {
    Ok(cert_info(&core::AgencyCertificate::from_bytes(
        &certificate,
    )?))
}

/// Decodes and validates a trust anchor encoding.
#[uniffi::export]
pub fn trust_anchor_info(anchor: Vec<u8>) -> Result<AnchorInfo> {
    Ok(anchor_info(&core::TrustAnchor::from_bytes(&anchor)?))
}

/// A trust anchor's secret key (a county's justice-IT authority): issues and revokes agency
/// certificates.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct AnchorKeys {
    inner: core::AnchorKeys,
}

impl std::fmt::Debug for AnchorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl AnchorKeys {
    /// A fresh anchor key named `name` (1-128 bytes).
    #[uniffi::constructor]
    pub fn generate(name: String) -> Result<Arc<AnchorKeys>> {
        Ok(Arc::new(AnchorKeys {
            inner: core::AnchorKeys::generate(&name)?,
        }))
    }

    /// Opens an anchor keystore with its passphrase.
    #[uniffi::constructor]
    pub fn from_keystore(keystore: Vec<u8>, passphrase: String) -> Result<Arc<AnchorKeys>> {
        let passphrase = Zeroizing::new(passphrase);
        let inner = keystore::open_anchor(&keystore, &passphrase)?;
        Ok(Arc::new(AnchorKeys { inner }))
    }

    /// The key sealed under `passphrase` (keep it offline).
    pub fn export_keystore(&self, passphrase: String, profile: KdfProfile) -> Result<Vec<u8>> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(keystore::seal_anchor(&self.inner, &passphrase, profile)?)
    }

    /// The public side every agency pins ([`Directory::add_anchor`]).
    pub fn trust_anchor(&self) -> Vec<u8> {
        self.inner.public().to_bytes()
    }

    /// The anchor's name.
    pub fn name(&self) -> String {
        self.inner.public().name().to_owned()
    }

    /// The anchor's key id (its fingerprint).
    pub fn key_id(&self) -> Vec<u8> {
        self.inner.public().kid().as_bytes().to_vec()
    }

    /// Issues a certificate (a fresh random serial); returns the signed certificate.
    pub fn issue_certificate(&self, request: CertificateRequest) -> Result<Vec<u8>> {
        let keys = PublicBundle::from_bytes(&request.public_bundle)?;
        let cert = self.inner.issue(&CoreRequest {
            agency_id: request.agency_id,
            name: request.name,
            roles: request.roles,
            part2_program: request.part2_program,
            keys,
            not_before: request.not_before,
            not_after: request.not_after,
        })?;
        Ok(cert.as_bytes().to_vec())
    }

    /// Publishes the anchor's signed directory snapshot of what `directory` holds from it,
    /// numbered `sequence` (higher than any it published), signed at `signed_at` and expiring
    /// at `expires` (at most 31 days later).
    pub fn publish_snapshot(
        &self,
        directory: Arc<Directory>,
        sequence: u64,
        signed_at: u64,
        expires: u64,
    ) -> Result<Vec<u8>> {
        Ok(self
            .inner
            .publish(&directory.get(), sequence, signed_at, expires)?)
    }

    /// Revokes the certificate with `serial` from `revoked_at` on, for `reason`
    /// (`[a-z0-9._-]{1,64}`, e.g. `key_compromise`, `superseded`); returns the signed
    /// revocation.
    pub fn revoke_certificate(
        &self,
        serial: Vec<u8>,
        revoked_at: u64,
        reason: String,
    ) -> Result<Vec<u8>> {
        let serial = Serial(array("certificate serial", &serial)?);
        Ok(self
            .inner
            .revoke(serial, revoked_at, &reason)?
            .as_bytes()
            .to_vec())
    }
}

/// Anchors, certificates and revocations, each verified when added; queried offline against
/// a caller-supplied time. Safe to share between threads.
#[derive(Debug, uniffi::Object)]
pub struct Directory {
    pub(crate) inner: Mutex<core::Directory>,
}

impl Directory {
    pub(crate) fn get(&self) -> MutexGuard<'_, core::Directory> {
        lock(&self.inner)
    }
}

#[uniffi::export]
impl Directory {
    /// An empty directory (it trusts nothing until an anchor is added).
    #[uniffi::constructor]
    pub fn new() -> Arc<Directory> {
        Arc::new(Directory {
            inner: Mutex::new(core::Directory::new()),
        })
    }

    /// A directory from its bundle encoding (every item verified).
    #[uniffi::constructor]
    pub fn from_bytes(bundle: Vec<u8>) -> Result<Arc<Directory>> {
        Ok(Arc::new(Directory {
            inner: Mutex::new(core::Directory::from_bytes(&bundle)?),
        }))
    }

    /// The bundle encoding (what agencies exchange).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.get().to_bytes()
    }

    /// Pins a trust anchor ([`AnchorKeys::trust_anchor`]); compare its key id with the
    /// authority's published fingerprint first.
    pub fn add_anchor(&self, anchor: Vec<u8>) -> Result<AnchorInfo> {
        let anchor = core::TrustAnchor::from_bytes(&anchor)?;
        let info = anchor_info(&anchor);
        self.get().add_anchor(anchor)?;
        Ok(info)
    }

    /// Verifies a certificate against the pinned anchors and adds it.
    pub fn add_certificate(&self, certificate: Vec<u8>) -> Result<CertificateInfo> {
        self.get().add_certificate(&certificate)?;
        certificate_info(certificate)
    }

    /// Verifies a revocation against the pinned anchors and adds it.
    pub fn add_revocation(&self, revocation: Vec<u8>) -> Result<RevocationInfo> {
        self.get().add_revocation(&revocation)?;
        Ok(revocation_info(&core::CertificateRevocation::from_bytes(
            &revocation,
        )?))
    }

    /// Adds a bundle's certificates and revocations, all or nothing; its anchors must already
    /// be pinned here. A signed snapshot older than the one of its anchor already merged is
    /// refused (`stale_bundle`), as is another with the same sequence (`sequence_reused`).
    pub fn merge(&self, bundle: Vec<u8>) -> Result<()> {
        Ok(self.get().merge(&bundle)?)
    }

    /// The latest signed snapshot merged from each anchor.
    pub fn snapshots(&self) -> Vec<SnapshotInfo> {
        self.get().snapshots().map(snapshot_info).collect()
    }

    /// Whether a current signed snapshot of the anchor `anchor_key_id` was merged: refused
    /// with `bundle_expired` when it expired at `now` or none was.
    pub fn check_fresh(&self, anchor_key_id: Vec<u8>, now: u64) -> Result<()> {
        let kid = divex_core::keys::KeyId::from_bytes(&anchor_key_id)?;
        Ok(self.get().check_fresh(&kid, now)?)
    }

    /// Whether `certificate` is trustworthy at `now` under this directory's anchors and
    /// revocations; returns its fields.
    pub fn check_certificate(&self, certificate: Vec<u8>, now: u64) -> Result<CertificateInfo> {
        let cert = core::AgencyCertificate::from_bytes(&certificate)?;
        self.get().check(&cert, now)?;
        Ok(cert_info(&cert))
    }

    /// The agency's certificate valid at `now` (the newest, after a rotation).
    pub fn current_certificate(&self, agency_id: String, now: u64) -> Result<CertificateInfo> {
        Ok(cert_info(self.get().current_certificate(&agency_id, now)?))
    }

    /// The trusted anchors.
    pub fn anchors(&self) -> Vec<AnchorInfo> {
        self.get().anchors().map(anchor_info).collect()
    }

    /// Every certificate held (valid or not at any particular time).
    pub fn certificates(&self) -> Vec<CertificateInfo> {
        self.get().certificates().map(cert_info).collect()
    }

    /// Every revocation held.
    pub fn revocations(&self) -> Vec<RevocationInfo> {
        self.get().revocations().map(revocation_info).collect()
    }
}

/// The roles a certificate may carry, in the encoding order of spec/directory.md §3
/// (ascending by name).
#[uniffi::export]
pub fn roles() -> Vec<Role> {
    Role::ALL.to_vec()
}

#[cfg(test)]
mod tests;

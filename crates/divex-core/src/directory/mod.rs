//! The agency directory (spec/directory.md): trust anchors, the agency certificates they
//! issue, the revocations they sign, and offline queries against a caller-supplied time.
//!
//! * A **trust anchor** (a county's justice-IT authority, say) holds an Ed25519 key
//!   ([`AnchorKeys`]); agencies pin its public half ([`TrustAnchor`]) out of band.
//! * An **agency certificate** ([`AgencyCertificate`]) is a `COSE_Sign1` by the anchor binding an
//!   agency id, a display name, roles, the 42 CFR Part 2 program flag, the agency's signing and
//!   encryption public keys and a validity period. Its protected header carries
//!   `typ` (label 16, RFC 9596) = `"application/divex-certificate+cbor"`, so it can never be
//!   mistaken for a revocation, a consent or an envelope's signed inner message.
//! * A **revocation** ([`CertificateRevocation`]) is a `COSE_Sign1` by the same anchor naming a
//!   certificate serial and the time from which it is no longer trusted.
//! * A [`Directory`] holds all three, verifies every certificate and revocation when it is
//!   added, answers "who is this key?" and "what is this agency's current certificate?" for a
//!   given `now`, and resolves the sender of every envelope
//!   [`open`](crate::open()) checks.
//!   Its bundle encoding ([`Directory::to_bytes`]) is what the CLI imports and exports.
//!
//! Key rotation is a new certificate for the same agency id; the old certificate stays valid
//! (for verifying old signatures and finding the key that opens old envelopes) until it
//! expires or is revoked.
//!
//! ```
//! use divex_core::directory::{AnchorKeys, CertificateRequest, Directory, Role};
//! use divex_core::keys::AgencyKeys;
//!
//! let now = 1_790_000_000;
//! // The county's justice-IT authority issues certificates to two agencies.
//! let anchor = AnchorKeys::generate("Example County Justice IT")?;
//! let provider = AgencyKeys::generate();
//! let court = AgencyKeys::generate();
//! let provider_cert = anchor.issue(&CertificateRequest {
//!     agency_id: "county-treatment-program".into(),
//!     name: "County Treatment Program".into(),
//!     roles: vec![Role::TreatmentProvider],
//!     part2_program: true,
//!     keys: provider.public().clone(),
//!     not_before: now - 86_400,
//!     not_after: now + 365 * 86_400,
//! })?;
//! let court_cert = anchor.issue(&CertificateRequest {
//!     agency_id: "county-drug-court".into(),
//!     name: "County Drug Court".into(),
//!     roles: vec![Role::Court],
//!     part2_program: false,
//!     keys: court.public().clone(),
//!     not_before: now - 86_400,
//!     not_after: now + 365 * 86_400,
//! })?;
//!
//! // Every agency pins the anchor and loads the certificates.
//! let mut directory = Directory::new();
//! directory.add_anchor(anchor.public())?;
//! directory.add_certificate(provider_cert.as_bytes())?;
//! directory.add_certificate(court_cert.as_bytes())?;
//!
//! // The provider looks up the court's current keys and seals to them (divex_core::seal)...
//! let recipient = directory.current_certificate("county-drug-court", now)?;
//! assert!(recipient.is_justice_monitor());
//! assert_eq!(recipient.keys(), court.public());
//!
//! // ...until the anchor revokes that certificate: from then on the directory refuses it
//! // (open refuses envelopes it signed as `untrusted_sender`).
//! let revocation = anchor.revoke(court_cert.serial(), now + 60, "key_compromise")?;
//! directory.add_revocation(revocation.as_bytes())?;
//! assert!(directory.check(&court_cert, now + 120).is_err());
//! assert!(directory.current_certificate("county-drug-court", now + 120).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Layout
//!
//! One concern per file; data flows from the parsers to the store:
//!
//! * `error` — [`DirectoryError`] and its stable classes (spec/directory.md §8).
//! * `role` — [`Role`], the roles a certificate states (§3.3).
//! * `fields` — [`Serial`] and the syntax of ids and display names (§3.2).
//! * `anchor` — [`TrustAnchor`] (§5.1) and its secret half [`AnchorKeys`], which issues and
//!   revokes.
//! * `signed` — the anchor-signed `COSE_Sign1` shared by certificates and revocations (§2,
//!   §6 steps 1-5).
//! * `certificate` — [`AgencyCertificate`] and [`CertificateRequest`] (§3).
//! * `revocation` — [`CertificateRevocation`] (§4).
//! * `store` — the [`Directory`]: consistency on insertion (§6 step 7) and the queries of §7.
//! * `bundle` — the directory bundle: encoding, import and merge (§5.2, §5.3).
//! * `snapshot` — signed directory snapshots: publishing, sequence and expiry (§5.4), and
//!   [`DirectorySnapshot`], what a directory records of the latest one per anchor.
//! * `resolver` — the [`SenderResolver`](crate::envelope::SenderResolver) implementation (§7,
//!   sender resolution).

mod anchor;
mod bundle;
mod certificate;
pub(crate) mod constants;
mod error;
mod fields;
mod resolver;
mod revocation;
mod role;
mod signed;
mod snapshot;
mod store;

#[cfg(test)]
mod testkit;

pub use anchor::{AnchorKeys, TrustAnchor};
pub use certificate::{AgencyCertificate, CertificateRequest};
pub use error::DirectoryError;
pub use fields::Serial;
pub use revocation::CertificateRevocation;
pub use role::Role;
pub use snapshot::DirectorySnapshot;
pub use store::Directory;

pub(crate) use fields::is_agency_id;

// ---------------------------------------------------------------------------------------------
// Constants (spec/directory.md §2, §9)

pub(crate) use constants::{
    MAX_CERTIFICATE_BYTES, MAX_ENTRIES, MAX_SNAPSHOT_LIFETIME, TYP_CERTIFICATE, TYP_DIRECTORY,
    TYP_REVOCATION, TYP_SNAPSHOT,
};

/// Largest directory bundle or signed directory snapshot (a front end's bound for reading
/// one).
pub const MAX_DIRECTORY_BYTES: usize = 4 * 1024 * 1024;

// The limits below are checked only inside this module; spec/directory.md §9 states them all.

/// Length of a certificate serial number.
const SERIAL_LEN: usize = 16;
/// Longest agency id, in bytes (`[a-z0-9._-]{1,64}`).
const MAX_AGENCY_ID_LEN: usize = 64;
/// Longest display name (agency or anchor), in bytes of UTF-8.
const MAX_NAME_LEN: usize = 128;
/// Longest revocation reason, in bytes (`[a-z0-9._-]{1,64}`).
const MAX_REASON_LEN: usize = 64;
/// Largest encoded revocation.
const MAX_REVOCATION_BYTES: usize = 1024;
/// Largest encoded trust anchor.
const MAX_ANCHOR_BYTES: usize = 512;
/// Most trust anchors in one directory.
const MAX_ANCHORS: usize = 64;

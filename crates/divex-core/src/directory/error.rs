//! Why a directory operation failed, with the stable class of each refusal
//! (spec/directory.md §8).

use crate::codec::CodecError;
use crate::keys::{KeyError, KeyId};

use super::Serial;
use crate::error::classified;

/// Why a certificate, revocation, anchor or directory was refused, or a query found no
/// trustworthy answer. Messages are for operators and never contain secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The input is larger than the limit for its kind.
    #[error("the {what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// What was too large ("certificate", "revocation", "trust anchor", "directory").
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not strict divex CBOR or do not match the schema.
    #[error("the {what} is not valid divex CBOR ({source}); it is corrupted or forged")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What the codec found.
        source: CodecError,
    },
    /// The CBOR is well-formed but not the structure the format requires.
    #[error("the {what} does not have the divex structure: {reason}")]
    Structure {
        /// What was being read.
        what: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A signed divex object of another kind (or no divex `typ` at all) was given.
    #[error("expected a {expected}, but this is {found}")]
    WrongType {
        /// The kind that was expected.
        expected: &'static str,
        /// What was found ("a certificate revocation", "an object of another type", ...).
        found: &'static str,
    },
    /// Signed by a key that is not one of the directory's trust anchors.
    #[error("the {what} is signed by key {kid}, which is not a trusted anchor in this directory")]
    UnknownAnchor {
        /// What was signed.
        what: &'static str,
        /// The signer's key id.
        kid: KeyId,
    },
    /// The anchor's signature does not verify: the object was altered or forged.
    #[error("the trust anchor's signature on the {what} is invalid; it was altered or forged")]
    BadSignature {
        /// What was signed.
        what: &'static str,
    },
    /// A certificate field violates spec/directory.md §3 (also refused when issuing).
    #[error("invalid certificate: {0}")]
    InvalidCertificate(&'static str),
    /// A key in a certificate is not acceptable (not a point, weak, low order).
    #[error("invalid certificate: the {which} is unusable ({source})")]
    InvalidKey {
        /// "signing key" or "encryption key".
        which: &'static str,
        /// Why.
        source: KeyError,
    },
    /// A revocation field violates spec/directory.md §4.
    #[error("invalid revocation: {0}")]
    InvalidRevocation(&'static str),
    /// A trust anchor field violates spec/directory.md §5.
    #[error("invalid trust anchor: {0}")]
    InvalidAnchor(&'static str),
    /// A role name that divex does not know.
    #[error("unknown role (expected one of {expected})")]
    UnknownRole {
        /// The role names divex accepts.
        expected: &'static str,
    },
    /// A different anchor with the same key, or the same anchor under another name, is
    /// already present.
    #[error("trust anchor {kid} is already in the directory under another name")]
    DuplicateAnchor {
        /// The anchor's key id.
        kid: KeyId,
    },
    /// A different certificate with the same issuer and serial is already present.
    #[error("a different certificate with serial {serial} from the same anchor is already present")]
    DuplicateSerial {
        /// The serial.
        serial: Serial,
    },
    /// The certificate's key is already certified for a different agency.
    #[error(
        "key {kid} is already certified for agency '{agency_id}'; an agency's keys are its own"
    )]
    KeyInUse {
        /// The key id (signing or encryption).
        kid: KeyId,
        /// The agency it is certified for.
        agency_id: String,
    },
    /// The agency id is already certified by a different trust anchor.
    #[error("agency '{agency_id}' is already certified by another trust anchor ({anchor})")]
    AgencyConflict {
        /// The agency id.
        agency_id: String,
        /// Key id of the anchor that certified it first.
        anchor: KeyId,
    },
    /// The directory is at its size limit.
    #[error("the directory is full ({limit}); it cannot take this {what}")]
    Full {
        /// What could not be added.
        what: &'static str,
        /// The limit that was reached, as text.
        limit: &'static str,
    },
    /// No certificate for this agency id.
    #[error("agency '{agency_id}' is not in the directory")]
    UnknownAgency {
        /// The agency id asked for.
        agency_id: String,
    },
    /// No certificate has a key with this id.
    #[error("no certificate in the directory has key {kid}")]
    UnknownKey {
        /// The key id asked for.
        kid: KeyId,
    },
    /// The certificate expired (`now >= not_after`).
    #[error(
        "the certificate of agency '{agency_id}' (serial {serial}) expired at {not_after} (Unix time)"
    )]
    Expired {
        /// The agency.
        agency_id: String,
        /// The certificate.
        serial: Serial,
        /// When it expired.
        not_after: u64,
    },
    /// The certificate is not valid yet (`now < not_before`).
    #[error(
        "the certificate of agency '{agency_id}' (serial {serial}) is not valid until {not_before} (Unix time)"
    )]
    NotYetValid {
        /// The agency.
        agency_id: String,
        /// The certificate.
        serial: Serial,
        /// When it becomes valid.
        not_before: u64,
    },
    /// The certificate was revoked (`now >= revoked_at`).
    #[error(
        "the certificate of agency '{agency_id}' (serial {serial}) was revoked at {revoked_at} (Unix time), reason: {reason}"
    )]
    Revoked {
        /// The agency.
        agency_id: String,
        /// The certificate.
        serial: Serial,
        /// When the revocation took effect.
        revoked_at: u64,
        /// The anchor's reason code.
        reason: String,
    },
    /// A signed directory snapshot breaks a rule of spec/directory.md §5.4 (its anchors, its
    /// items or its expiry); also refused when publishing.
    #[error("invalid directory snapshot: {0}")]
    InvalidSnapshot(&'static str),
    /// A signed directory snapshot older than one already imported from the same anchor: an
    /// old copy, perhaps replayed to hide a revocation.
    #[error(
        "the directory snapshot of trust anchor {anchor} is stale: its sequence {sequence} is lower than sequence {recorded}, already imported; an old copy may hide revocations"
    )]
    StaleBundle {
        /// The anchor that signed it.
        anchor: KeyId,
        /// Its sequence.
        sequence: u64,
        /// The highest sequence already imported from that anchor.
        recorded: u64,
    },
    /// A signed directory snapshot with the sequence of one already imported from the same
    /// anchor, but different bytes: the anchor published two snapshots under one number.
    #[error(
        "a different directory snapshot of trust anchor {anchor} with sequence {sequence} was already imported; the anchor's publishing is broken or its key is misused"
    )]
    SequenceReused {
        /// The anchor that signed it.
        anchor: KeyId,
        /// The sequence used twice.
        sequence: u64,
    },
    /// The directory holds no current signed snapshot of an anchor: the latest one expired,
    /// or none was imported. Revocations published since may be missing.
    #[error("{}", expired_message(.anchor, *.expired_at))]
    BundleExpired {
        /// The anchor.
        anchor: KeyId,
        /// When its latest snapshot expired (Unix time); `None` when none is held.
        expired_at: Option<u64>,
    },
}

/// The message of [`DirectoryError::BundleExpired`].
fn expired_message(anchor: &KeyId, expired_at: Option<u64>) -> String {
    match expired_at {
        Some(t) => format!(
            "the signed directory snapshot of trust anchor {anchor} expired at {t} (Unix time); revocations published since may be missing"
        ),
        None => format!(
            "no signed directory snapshot of trust anchor {anchor} is held, so the directory's freshness is unknown"
        ),
    }
}

classified!(DirectoryError, Directory, |e| match e {
    DirectoryError::TooLarge { .. } => "too_large",
    DirectoryError::Malformed { .. } => "malformed",
    DirectoryError::Structure { .. } => "structure",
    DirectoryError::WrongType { .. } => "wrong_type",
    DirectoryError::UnknownAnchor { .. } => "unknown_anchor",
    DirectoryError::BadSignature { .. } => "bad_signature",
    DirectoryError::InvalidCertificate(_) => "invalid_certificate",
    DirectoryError::InvalidKey { .. } => "invalid_key",
    DirectoryError::InvalidRevocation(_) => "invalid_revocation",
    DirectoryError::InvalidAnchor(_) => "invalid_anchor",
    DirectoryError::UnknownRole { .. } => "unknown_role",
    DirectoryError::DuplicateAnchor { .. } => "duplicate_anchor",
    DirectoryError::DuplicateSerial { .. } => "duplicate_serial",
    DirectoryError::KeyInUse { .. } => "key_in_use",
    DirectoryError::AgencyConflict { .. } => "agency_conflict",
    DirectoryError::Full { .. } => "full",
    DirectoryError::UnknownAgency { .. } => "unknown_agency",
    DirectoryError::UnknownKey { .. } => "unknown_key",
    DirectoryError::Expired { .. } => "expired",
    DirectoryError::NotYetValid { .. } => "not_yet_valid",
    DirectoryError::Revoked { .. } => "revoked",
    DirectoryError::InvalidSnapshot(_) => "invalid_snapshot",
    DirectoryError::StaleBundle { .. } => "stale_bundle",
    DirectoryError::SequenceReused { .. } => "sequence_reused",
    DirectoryError::BundleExpired { .. } => "bundle_expired",
});

//! Why a consent, revocation statement or case event was refused, with the stable class of
//! each refusal (spec/consent.md §4.6).

use crate::codec::CodecError;

use super::Capacity;
use crate::error::classified;

/// Why a consent, revocation or event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// Not strict CBOR or not the expected schema.
    #[error("the consent document is malformed: {0}")]
    Malformed(#[from] CodecError),
    /// The COSE structure is wrong.
    #[error("the consent document is not a valid signed divex document: {0}")]
    Structure(&'static str),
    /// Larger than the limit.
    #[error("the consent document is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// A required element is missing or invalid (a facially deficient consent).
    #[error("the consent is deficient: {element} {problem} ({citation})")]
    Deficient {
        /// The element (e.g. "recipients").
        element: &'static str,
        /// What is wrong.
        problem: &'static str,
        /// The section requiring it.
        citation: &'static str,
    },
    /// A listed signer did not sign, or a signature does not verify.
    #[error(
        "the consent signature of the {capacity:?} does not verify; the consent is forged or altered"
    )]
    BadSignature {
        /// Whose signature.
        capacity: Capacity,
    },
    /// A signature by a key that is not a listed signer.
    #[error("the consent carries a signature by a key it does not list as a signer")]
    UnexpectedSigner,
    /// The witnessing agency is not certified with that key.
    #[error(
        "the witnessing agency {agency_id} is not certified with the key that signed: {reason}"
    )]
    UncertifiedWitness {
        /// Agency id.
        agency_id: String,
        /// Why.
        reason: String,
    },
    /// The witnessing agency's signing key was reported compromised (a `key_compromise`
    /// revocation of a certificate for that key): the consent it witnessed may have been
    /// back-dated with the stolen key, and must be signed again under a sound key.
    #[error(
        "the witnessing agency {agency_id}'s signing key was revoked as compromised at {compromised_at} (Unix time); the consent may have been back-dated with it and must be signed again under a sound key"
    )]
    SignerCompromised {
        /// Agency id.
        agency_id: String,
        /// The earliest `revoked_at` of a `key_compromise` revocation for the key.
        compromised_at: u64,
    },
    /// Signing was asked without a key for a listed signer.
    #[error("no key was supplied for the {capacity:?} signer")]
    MissingSignerKey {
        /// The signer lacking a key.
        capacity: Capacity,
    },
    /// A revocation or event names a consent, case or signer it does not match.
    #[error("the statement does not apply: {0}")]
    NotApplicable(&'static str),
    /// A revocation or case event's signature does not verify.
    #[error("the {what}'s signature does not verify; it is forged or altered")]
    BadStatementSignature {
        /// "revocation" or "case event".
        what: &'static str,
    },
    /// A statement dated later than now (beyond the allowed clock skew).
    #[error("the {what} is dated {at}, after the current time {now}; check the clocks")]
    FutureDated {
        /// What was dated.
        what: &'static str,
        /// Its date.
        at: u64,
        /// The time of verification.
        now: u64,
    },
    /// A different consent with the same id is already held.
    #[error("a different consent with id {id} is already held; consent ids must be unique")]
    ConflictingId {
        /// The id.
        id: String,
    },
    /// The agency that signed a revocation or case event is known but not trusted: no
    /// certificate for its key is valid at the date the statement states nor now (expired,
    /// revoked or not yet valid), or the key was reported compromised at or before that date.
    #[error("the signer of the {what} is not trusted: {reason}")]
    UntrustedSigner {
        /// "revocation" or "case event".
        what: &'static str,
        /// The directory's reason.
        reason: String,
    },
    /// A revocation names a consent this agency does not hold. [`super::ConsentSet`] no
    /// longer refuses such a revocation (it keeps it pending, spec/consent.md §5.5); front
    /// ends use this refusal where they need the consent itself.
    #[error(
        "the revocation is for consent {consent_id}, which this agency does not hold; import the consent first"
    )]
    ConsentNotHeld {
        /// The consent named.
        consent_id: String,
    },
    /// A case event takes effect more than 30 days before its import (spec/consent.md §6.3):
    /// a disposition recorded that late could make a revocation the law refused effective
    /// after the fact. Admitted only on a court order.
    #[error(
        "the case event is dated {at}, more than {days} days before its import at {now} (Unix times); a disposition recorded this late is admitted only on a court order",
        days = super::MAX_EVENT_BACKDATE / 86_400
    )]
    BackDated {
        /// Its `effective_at`.
        at: u64,
        /// The time of import.
        now: u64,
    },
    /// Too many revocations of one consent are already held pending, waiting for the
    /// consent (spec/consent.md §5.5).
    #[error(
        "{limit} revocations of consent {consent_id} are already held pending; import the consent to judge them"
    )]
    TooManyPending {
        /// The consent they name.
        consent_id: String,
        /// The limit.
        limit: usize,
    },
    /// The same key signs as the patient (or representative) and as the witnessing agency.
    #[error(
        "the witnessing agency's key also signs for the patient; the patient must sign with their own key"
    )]
    SignerKeyReused,
}

classified!(ConsentError, Consent, |e| match e {
    ConsentError::Malformed(_) => "malformed",
    ConsentError::Structure(_) => "structure",
    ConsentError::TooLarge { .. } => "too_large",
    ConsentError::Deficient { .. } => "deficient",
    ConsentError::BadSignature { .. } => "bad_signature",
    ConsentError::UnexpectedSigner => "unexpected_signer",
    ConsentError::UncertifiedWitness { .. } => "uncertified_witness",
    ConsentError::SignerCompromised { .. } => "signer_compromised",
    ConsentError::MissingSignerKey { .. } => "missing_signer_key",
    ConsentError::NotApplicable(_) => "not_applicable",
    ConsentError::BadStatementSignature { .. } => "bad_statement_signature",
    ConsentError::FutureDated { .. } => "future_dated",
    ConsentError::ConflictingId { .. } => "conflicting_id",
    ConsentError::UntrustedSigner { .. } => "untrusted_signer",
    ConsentError::SignerKeyReused => "signer_key_reused",
    ConsentError::ConsentNotHeld { .. } => "consent_not_held",
    ConsentError::BackDated { .. } => "back_dated",
    ConsentError::TooManyPending { .. } => "too_many_pending",
});

//! Consent directives (42 CFR Part 2), their revocations, and the case events that move them
//! along (spec/consent.md).
//!
//! A [`ConsentDirective`] is the machine-readable form of the participant's signed consent
//! (DOMAIN.md §3). It is carried as a `COSE_Sign` (tag 98) with one signature per signer: the
//! patient or an authorised representative, and the witnessing agency. Scope is read only
//! from the signed bytes; a consent changed after signing is a forgery, not a narrower or
//! wider consent.
//!
//! Three regimes are encoded:
//!
//! * **§2.31** ([`Regime::Part2General`]) — revocable at will.
//! * **§2.35** ([`Regime::Part2CriminalJustice`]) — recipients only justice agencies with a
//!   monitoring duty on the case; irrevocable until a stated date or event, and no later than
//!   the case's final disposition; redisclosure only for official duties on that case.
//! * **Counseling notes** ([`Regime::Part2CounselingNotes`]) — their own consent, never
//!   combined with other record types.
//!
//! A consent missing a required element is refused when it is signed ([`SignedConsent::sign`])
//! and again whenever it is used ([`SignedConsent::verify`]).
//!
//! Revocations ([`RevocationStatement`]) and case events ([`CaseEvent`]) are separately signed
//! statements. Whether a revocation takes effect, and when a consent stops applying, is
//! decided by the decision engine, a pure function of verified consents, revocations, events
//! and a request; it reads this module's verified values, and this module knows nothing of it
//! (data flows one way: consent → decision).
//!
//! ## Layout
//!
//! * `directive` — the consent directive's model: regime, subject, parties, information,
//!   expiry, revocability, notice, case, signers (spec/consent.md §2).
//! * `validate` — its required elements ([`ConsentDirective::validate`], §3).
//! * `json` — the directive described as JSON ([`ConsentDirective::from_json`]), as the
//!   bindings take it.
//! * `error` — [`ConsentError`] and its stable classes (§4.6).
//! * `signed` — signing and verifying consents ([`SignedConsent`], [`VerifiedConsent`],
//!   [`StatementSigner`], §4).
//! * `statement` — the signed-statement envelope that revocations and case events share
//!   (§5.1).
//! * `revocation` — [`RevocationStatement`] (§5).
//! * `event` — [`CaseEvent`] (§6).
//! * `set` — the [`ConsentSet`] an agency holds, with the revocations it keeps pending until
//!   their consent arrives (§5.5) and the date bound on case events it imports (§6.3).

use crate::codec::DecodeLimits;

pub(crate) mod constants;
mod directive;
mod error;
mod event;
mod json;
mod revocation;
mod set;
mod signed;
mod statement;
mod validate;

pub use crate::keys::StatementSigner;
pub use directive::{
    AgencyFacts, Capacity, Case, ConsentDirective, EventTrigger, Expiry, Information, Notice,
    NoticeForm, Party, Period, Redisclosure, Regime, Revocability, SignMethod, Signer,
    SourceDocument, Subject, UseRestriction,
};
pub use error::ConsentError;
pub use event::{CaseEvent, DispositionOutcome, VerifiedEvent};
pub use revocation::{RevocationStatement, VerifiedRevocation};
pub use set::{ConsentSet, ImportedRevocation};
pub use signed::{SignedConsent, VerifiedConsent};

pub(crate) use constants::{
    CASE_EVENT_TYP, CONSENT_TYP, MAX_CLOCK_SKEW, MAX_EVENT_BACKDATE, MAX_LIST,
    MAX_PENDING_PER_CONSENT, REVOCATION_TYP,
};

/// Largest signed consent accepted, in bytes (a front end's bound for reading one).
pub const MAX_CONSENT_BYTES: usize = 64 * 1024;
/// Largest signed revocation or case event accepted, in bytes.
pub const MAX_STATEMENT_BYTES: usize = 4 * 1024;

/// Decoding bounds for consents and signed statements (spec/consent.md §10).
const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_CONSENT_BYTES,
    max_depth: 12,
    max_items: 256,
    max_string: MAX_CONSENT_BYTES,
};

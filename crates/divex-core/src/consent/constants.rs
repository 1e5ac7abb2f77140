//! The consent formats' fixed values (spec/consent.md §4, §10): the `typ` of each signed
//! statement and the bounds only the implementation applies.

/// `typ` of a signed consent directive.
pub const CONSENT_TYP: &str = "application/divex-consent+cbor";
/// `typ` of a signed revocation statement.
pub const REVOCATION_TYP: &str = "application/divex-consent-revocation+cbor";
/// `typ` of a signed case event.
pub const CASE_EVENT_TYP: &str = "application/divex-case-event+cbor";

/// Most entries in any list of a consent (parties, purposes, record types, signers...).
pub const MAX_LIST: usize = 32;

/// Allowed clock difference for dates in signed statements, in seconds.
pub const MAX_CLOCK_SKEW: u64 = 300;

/// How long before its import a case event may take effect, in seconds (30 days): an event
/// dated earlier is refused as back-dated unless admitted on a court order (spec/consent.md
/// §6.3, §10).
pub const MAX_EVENT_BACKDATE: u64 = 30 * 86_400;

/// Most revocations held pending for one consent id (spec/consent.md §5.5, §10).
pub const MAX_PENDING_PER_CONSENT: usize = 64;

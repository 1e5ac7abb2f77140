//! Private COSE header labels of the divex profiles (spec/envelope.md §2). All are in the
//! private-use range (< -65536).

/// Key commitment, bstr .size 32 (layer-0 protected and inner protected).
pub const KEY_COMMITMENT: i64 = -65537;
/// Envelope id, bstr .size 16.
pub const ENVELOPE_ID: i64 = -65538;
/// Issued-at, uint seconds since the Unix epoch.
pub const ISSUED_AT: i64 = -65539;
/// Audience: the recipients' encryption key ids, ascending, unique.
pub const AUDIENCE: i64 = -65540;
/// Purpose of use, token.
pub const PURPOSE: i64 = -65541;
/// Consent reference: [consent id, SHA-256 of the signed consent].
pub const CONSENT_REF: i64 = -65542;
/// Record type, token.
pub const RECORD_TYPE: i64 = -65543;
/// Security labels (DS4P-style), tokens, ascending, unique.
pub const SECURITY_LABELS: i64 = -65544;
/// §2.32 notice code, token.
pub const NOTICE: i64 = -65545;
/// Envelope profile version, uint: 1 or 2 in the inner header; from profile v2 on also in
/// layer 0's protected header, as the profile marker (spec/envelope.md §15.1).
pub const PROFILE: i64 = -65546;
/// Fields removed from the record under the minimum-necessary rule (42 CFR §2.13(a)):
/// tokens, ascending, unique; empty when nothing was redacted.
pub const REDACTED: i64 = -65547;
/// The sender's ledger head, `[seq, hash]` (profile v2 only, spec/envelope.md §15.2).
pub const LEDGER_HEAD: i64 = -65548;

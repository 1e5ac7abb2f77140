//! The constants of envelope profile v1 (spec/envelope.md §2, §9) that the profile fixes and
//! callers never choose.

/// The envelope profile version this crate writes and reads.
pub const PROFILE_VERSION: u64 = 1;
/// Length of an envelope id.
pub const ENVELOPE_ID_LEN: usize = 16;
/// Length of the key commitment.
pub const KEY_COMMITMENT_LEN: usize = 32;
/// HKDF `info` of the key commitment.
pub const KEY_COMMITMENT_INFO: &[u8] = b"divex/v1 key commitment";
/// Longest consent id in bytes.
pub const MAX_CONSENT_ID_LEN: usize = 128;
/// Most security labels on one envelope.
pub const MAX_LABELS: usize = 32;

//! The constants of the envelope profiles (spec/envelope.md §2, §9, §15) that the profiles fix
//! and callers never choose, and the profile versions themselves.

use super::labels;
use crate::cose::label;

/// The envelope profile versions (spec/envelope.md §14, §15). v2 is v1 with the sender's
/// ledger head in the signed inner header and a profile marker in layer 0's protected header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Profile {
    /// Profile v1: no ledger head, no marker at layer 0.
    V1,
    /// Profile v2: the sender's ledger head (spec/envelope.md §15).
    V2,
}

impl Profile {
    /// The profiles this crate reads.
    pub const READABLE: &'static [Profile] = &[Profile::V1, Profile::V2];

    /// The version number, as the inner header (and, from v2 on, layer 0) carries it.
    pub const fn number(self) -> u64 {
        match self {
            Profile::V1 => 1,
            Profile::V2 => 2,
        }
    }

    /// The profile a writer uses: v2 exactly when it states a ledger head.
    pub const fn for_head(has_head: bool) -> Profile {
        if has_head { Profile::V2 } else { Profile::V1 }
    }

    /// The profile a v2-aware reader sees at layer 0 (spec/envelope.md §7 step 5): a marker
    /// value names its profile if that profile has a marker, anything else is no profile.
    pub fn from_marker(value: u64) -> Option<Profile> {
        match value {
            2 => Some(Profile::V2),
            _ => None,
        }
    }

    /// Whether layer 0's protected header carries the profile marker.
    pub const fn has_marker(self) -> bool {
        matches!(self, Profile::V2)
    }

    /// The closed label set of layer 0's protected header (spec/envelope.md §2.2).
    pub const fn content_labels(self) -> &'static [i64] {
        match self {
            Profile::V1 => &[label::ALG, labels::KEY_COMMITMENT],
            Profile::V2 => &[label::ALG, labels::KEY_COMMITMENT, labels::PROFILE],
        }
    }

    /// The closed label set of the inner protected header (spec/envelope.md §2.2).
    pub const fn inner_labels(self) -> &'static [i64] {
        const V1: [i64; 13] = [
            label::ALG,
            label::KID,
            labels::KEY_COMMITMENT,
            labels::ENVELOPE_ID,
            labels::ISSUED_AT,
            labels::AUDIENCE,
            labels::PURPOSE,
            labels::CONSENT_REF,
            labels::RECORD_TYPE,
            labels::SECURITY_LABELS,
            labels::NOTICE,
            labels::PROFILE,
            labels::REDACTED,
        ];
        const V2: [i64; 14] = [
            label::ALG,
            label::KID,
            labels::KEY_COMMITMENT,
            labels::ENVELOPE_ID,
            labels::ISSUED_AT,
            labels::AUDIENCE,
            labels::PURPOSE,
            labels::CONSENT_REF,
            labels::RECORD_TYPE,
            labels::SECURITY_LABELS,
            labels::NOTICE,
            labels::PROFILE,
            labels::REDACTED,
            labels::LEDGER_HEAD,
        ];
        match self {
            Profile::V1 => &V1,
            Profile::V2 => &V2,
        }
    }
}

/// The profile version a writer without a ledger head writes (v1).
pub const PROFILE_VERSION: u64 = Profile::V1.number();
/// Length of an envelope id.
pub const ENVELOPE_ID_LEN: usize = 16;
/// Length of the key commitment.
pub const KEY_COMMITMENT_LEN: usize = 32;
/// HKDF `info` of the key commitment (both profiles: spec/envelope.md §14).
pub const KEY_COMMITMENT_INFO: &[u8] = b"divex/v1 key commitment";
/// Longest consent id in bytes.
pub const MAX_CONSENT_ID_LEN: usize = 128;
/// Most security labels on one envelope.
pub const MAX_LABELS: usize = 32;
/// Largest ledger head sequence number (2^63 − 1): what a ledger can store
/// (spec/envelope.md §15.2).
pub const MAX_LEDGER_SEQ: u64 = i64::MAX as u64;
/// Length of a ledger head's hash (SHA-256).
pub const LEDGER_HASH_LEN: usize = 32;

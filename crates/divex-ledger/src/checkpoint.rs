//! Signed checkpoints and the verification report.

use divex_core::codec::{Item, encode_array};
use divex_core::keys::{KeyError, SigningPublicKey};

/// Context string, first element of the CBOR array a checkpoint signature covers.
pub(crate) const CHECKPOINT_CONTEXT: &str = "divex/v1 ledger checkpoint";

/// The agency's signed statement that its ledger's chain had `head` as the hash of entry
/// `seq` at `time`.
///
/// While the checkpoint is kept, no entry at or below `seq` can be edited, deleted, inserted
/// or reordered without [`Ledger::verify`](crate::Ledger::verify) noticing, even by someone
/// who recomputes every hash. The checkpoint row itself can be deleted by whoever can write
/// the file: copies kept elsewhere (in a court filing, with an auditor) close that gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last entry covered (0 for an empty ledger).
    pub seq: u64,
    /// That entry's hash (the genesis hash for an empty ledger).
    pub head: [u8; 32],
    /// When the checkpoint was signed (Unix seconds).
    pub time: u64,
    /// Ed25519 signature over [`Checkpoint::to_be_signed`].
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The bytes the agency signs: the strict deterministic CBOR array
    /// `["divex/v1 ledger checkpoint", agency_id, seq, head, time]` (`head` a byte string).
    pub fn to_be_signed(agency_id: &str, seq: u64, head: &[u8; 32], time: u64) -> Vec<u8> {
        encode_array(&[
            Item::Text(CHECKPOINT_CONTEXT),
            Item::Text(agency_id),
            Item::Uint(seq),
            Item::Bytes(head),
            Item::Uint(time),
        ])
    }

    /// Checks the signature under `key` for the ledger of `agency_id` (strict Ed25519).
    pub fn verify_signature(
        &self,
        agency_id: &str,
        key: &SigningPublicKey,
    ) -> Result<(), KeyError> {
        key.verify(
            &Self::to_be_signed(agency_id, self.seq, &self.head, self.time),
            &self.signature,
        )
    }
}

/// What [`Ledger::verify`](crate::Ledger::verify) checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Number of entries (also the last sequence number).
    pub entries: u64,
    /// Number of checkpoints, all with valid signatures.
    pub checkpoints: u64,
    /// Hash of the last entry (the genesis hash for an empty ledger).
    pub head: [u8; 32],
    /// The highest entry covered by a signed checkpoint (0 if none). Entries after it are
    /// chained but not yet signed: someone with write access to the file could rewrite them
    /// and recompute their hashes without `verify` noticing until the next checkpoint.
    pub anchored_seq: u64,
}

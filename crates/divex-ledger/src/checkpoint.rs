//! Signed checkpoints and the verification report.

use divex_core::codec::{Item, encode_array};
use divex_core::keys::{KeyError, KeyId, SigningPublicKey};

use crate::head::SignedHead;

/// Context string, first element of the CBOR array a checkpoint signature covers.
pub(crate) const CHECKPOINT_CONTEXT: &str = "divex/v1 ledger checkpoint";

/// The agency's signed statement that its ledger's chain had `head` as the hash of entry
/// `seq` at `time`.
///
/// A checkpoint written by this version is a [`SignedHead`] (spec/ledger.md §3.1: a
/// `COSE_Sign1` with the signing key's id, `kid` is `Some`); the ledger stores its fields and
/// [`Checkpoint::signed_head`] rebuilds the identical signed bytes. A checkpoint written before
/// (ledger v1, `kid` is `None`) is an Ed25519 signature over [`Checkpoint::to_be_signed`]; it
/// is still read and verified, under whichever key certified for the agency at its time
/// verifies it.
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
    /// The Ed25519 signature: over the signed head's COSE `Sig_structure`
    /// ([`SignedHead::to_be_signed`]) when `kid` is given, else over
    /// [`Checkpoint::to_be_signed`] (v1).
    pub signature: [u8; 64],
    /// The id of the signing key (`None` for a v1 checkpoint, which did not record it).
    pub kid: Option<KeyId>,
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

    /// The signed head this checkpoint is, for the ledger of `agency_id` (`None` for a v1
    /// checkpoint).
    pub fn signed_head(&self, agency_id: &str) -> Option<SignedHead> {
        self.kid.map(|kid| SignedHead {
            agency_id: agency_id.to_owned(),
            seq: self.seq,
            head: self.head,
            time: self.time,
            kid,
            signature: self.signature,
        })
    }

    /// Checks the signature under `key` for the ledger of `agency_id` (strict Ed25519; for a
    /// v2 checkpoint, `key` must also have the checkpoint's kid).
    pub fn verify_signature(
        &self,
        agency_id: &str,
        key: &SigningPublicKey,
    ) -> Result<(), KeyError> {
        match self.signed_head(agency_id) {
            Some(h) if h.verify_signature(key) => Ok(()),
            Some(_) => Err(KeyError::BadSignature),
            None => key.verify(
                &Self::to_be_signed(agency_id, self.seq, &self.head, self.time),
                &self.signature,
            ),
        }
    }
}

/// What [`Ledger::verify`](crate::Ledger::verify) checked.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The entry the high-water mark covers (spec/ledger.md §4; 0 without a mark, or for a
    /// mark of the empty ledger).
    pub marked_seq: u64,
    /// The signing keys of the checkpoints, each once, in the order they first signed (a v1
    /// checkpoint counted under the key that verified it).
    pub keys: Vec<KeyId>,
}

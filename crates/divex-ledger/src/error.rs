//! Ledger errors.

use std::path::PathBuf;

use divex_core::envelope::EnvelopeId;
use divex_core::error::{Classified, ErrorCategory};
use divex_core::keys::KeyId;

/// Why a ledger operation failed.
///
/// Messages are for an operator: they name sequence numbers, envelope ids, agency ids and
/// column names, never a participant's name or record contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// SQLite reported an error (file unreadable, disk full, database locked by another
    /// process for longer than the busy timeout, ...).
    #[error("the ledger database could not {action}: {source}")]
    Database {
        /// What the ledger was doing, e.g. "append an entry".
        action: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The ledger file did not exist and could not be created (owner-only, mode 0600 on
    /// Unix): the directory is not writable, the disk is full, ...
    #[error("the ledger file {} could not be created: {source}; check the directory and its permissions", path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but is not a divex ledger.
    #[error("{} is not a divex ledger ({reason}); check the path", path.display())]
    NotALedger {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: &'static str,
    },
    /// The ledger was written by a version of divex with another schema.
    #[error(
        "the ledger has schema version {found}, but this divex reads version {supported}; use a divex release that matches the ledger"
    )]
    UnsupportedSchema {
        /// The schema version in the file.
        found: i64,
        /// The schema version this crate reads and writes.
        supported: i64,
    },
    /// The agency id given to [`Ledger::open`](crate::Ledger::open) is empty or contains a
    /// NUL character.
    #[error("the agency id is empty or contains a NUL character; give the agency's directory id")]
    InvalidAgencyId,
    /// A file beside the ledger (its lock, its high-water mark) or an output it checks could
    /// not be read or written.
    #[error("{what} {} could not be read or written: {source}", path.display())]
    Io {
        /// What the file is.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process has been recording in the agency's ledger for longer than the lock
    /// timeout (10 seconds): nothing was recorded.
    #[error(
        "another divex process has been recording in the ledger of {agency_id} for more than 10 seconds; nothing was recorded, try again"
    )]
    Busy {
        /// The ledger's agency.
        agency_id: String,
    },
    /// The ledger belongs to another agency.
    #[error("the ledger belongs to agency {found}, not {expected}; open {expected}'s own ledger")]
    WrongAgency {
        /// The agency the caller opened the ledger for.
        expected: String,
        /// The agency recorded in the file.
        found: String,
    },
    /// A received envelope id is already in the ledger: the envelope is a replay and must
    /// not be released again.
    #[error("envelope {envelope_id} was already received and recorded; this is a replay")]
    Replay {
        /// The envelope id.
        envelope_id: EnvelopeId,
    },
    /// The same sent envelope is already recorded for this recipient (the disclosure would
    /// be counted twice in an accounting).
    #[error("envelope {envelope_id} is already recorded as sent to {counterparty}")]
    AlreadyRecorded {
        /// The envelope id.
        envelope_id: EnvelopeId,
        /// The recipient.
        counterparty: String,
    },
    /// The entry to record is incomplete or inconsistent; nothing was written.
    #[error("the ledger entry was not recorded: {0}")]
    InvalidEntry(&'static str),
    /// Verification (or reading) found an entry or checkpoint that is not what divex wrote:
    /// `seq` names the first bad entry.
    #[error(
        "ledger entry {seq} fails verification: {reason}. The ledger was changed or damaged outside divex; keep the file as evidence and restore from a verified copy"
    )]
    Tampered {
        /// The first entry found bad (for a deleted entry, the missing sequence number; for
        /// a row whose sequence number is not positive, 0).
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The ledger is shorter than a head its agency signed (the high-water mark beside the
    /// file, or a checkpoint in it): entries were deleted from the end, the file was emptied or
    /// replaced by an older copy (spec/ledger.md §4). Nothing may be appended to it.
    #[error(
        "the ledger of {agency_id} ends at entry {present}, but its agency signed a head at entry {signed}: entries {}..={signed} are missing (the ledger was truncated, emptied or restored from an older copy). Keep the file as evidence; restore the missing entries from a verified copy",
        present.saturating_add(1)
    )]
    RolledBack {
        /// The ledger's agency.
        agency_id: String,
        /// The last entry present (0 for an empty ledger).
        present: u64,
        /// The entry the signed head covers.
        signed: u64,
    },
    /// An entry differs from a head its agency signed (the mark or a checkpoint) or that a
    /// counterparty witnessed (spec/ledger.md §5.3): the ledger was rewritten between entries
    /// `from` and `seq`, with its hashes recomputed.
    #[error(
        "the ledger of {agency_id} no longer reaches the head {} at entry {seq}: an entry between {from} and {seq} was rewritten with recomputed hashes. Keep the file as evidence",
        vouched_by(witness.as_deref())
    )]
    Forked {
        /// The ledger's agency.
        agency_id: String,
        /// The first entry that may differ (the one after the highest head that still
        /// matches).
        from: u64,
        /// The entry whose hash differs from the head.
        seq: u64,
        /// The counterparty whose witnessed head it differs from; `None` for the agency's
        /// own signed head.
        witness: Option<String>,
    },
    /// The ledger has entries but its high-water mark file (`<ledger>.head`) is missing.
    #[error(
        "the ledger of {agency_id} has {entries} entries but its high-water mark {} is missing: the mark was deleted, or the ledger was copied without it. Restore the mark from the agency's backup",
        mark.display()
    )]
    HeadMarkMissing {
        /// The ledger's agency.
        agency_id: String,
        /// How many entries the ledger has.
        entries: u64,
        /// Where the mark should be.
        mark: PathBuf,
    },
    /// The high-water mark file does not verify: altered, another agency's, not a signed
    /// head, or signed by a key not certified for the agency at the head's time.
    #[error("the high-water mark of the ledger of {agency_id} does not verify: {reason}")]
    HeadMarkInvalid {
        /// The ledger's agency.
        agency_id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A signed head (checkpoint or mark) is dated at or after the compromise of the key that
    /// signed it (a `key_compromise` revocation, spec/directory.md §7.1 rule 3): whoever holds
    /// the stolen key can sign anything, so nothing it signed from then on is evidence.
    #[error(
        "the head of {agency_id}'s ledger at entry {seq} is signed with key {kid}, reported compromised at {compromised_at} (Unix time), and dated {time}, not before the compromise: the history from there on cannot be trusted"
    )]
    SignerCompromised {
        /// The ledger's agency.
        agency_id: String,
        /// The entry the head covers.
        seq: u64,
        /// The compromised signing key.
        kid: KeyId,
        /// When the key was reported compromised.
        compromised_at: u64,
        /// The head's time.
        time: u64,
    },
    /// A witness holds a head of this ledger that the ledger no longer reaches
    /// (spec/ledger.md §5.3): entries the agency had when it sent a disclosure to the witness
    /// were removed afterwards, even if the agency re-signed its checkpoints and mark.
    #[error(
        "the ledger of {agency_id} ends at entry {present}, but agency {witness} recorded from it a head at entry {seq}: entries {}..={seq} were removed after that disclosure. Keep the file as evidence",
        present.saturating_add(1)
    )]
    Truncated {
        /// The ledger's agency.
        agency_id: String,
        /// The last entry present.
        present: u64,
        /// The highest entry a witnessed head covers.
        seq: u64,
        /// The agency whose ledger witnessed it.
        witness: String,
    },
    /// A sender presented a ledger head shorter than one it presented before
    /// (spec/ledger.md §5.2): its ledger was truncated or rolled back in between. The
    /// disclosure must not be released.
    #[error(
        "agency {sender} presented its ledger head at entry {presented}, but a head at entry {recorded} was already recorded from it: its ledger shrank. The disclosure is refused"
    )]
    SenderHeadRegressed {
        /// The sender.
        sender: String,
        /// The head's `seq` in this disclosure.
        presented: u64,
        /// The highest head `seq` recorded from the sender before.
        recorded: u64,
    },
}

/// Who vouches for the head a [`LedgerError::Forked`] entry differs from.
fn vouched_by(witness: Option<&str>) -> String {
    match witness {
        None => "its agency signed".to_owned(),
        Some(w) => format!("agency {w} recorded from it"),
    }
}

/// Maps a rusqlite error to [`LedgerError::Database`] for `action`.
pub(crate) fn db(action: &'static str) -> impl FnOnce(rusqlite::Error) -> LedgerError {
    move |source| LedgerError::Database { action, source }
}

/// A [`LedgerError::Tampered`].
pub(crate) fn tampered(seq: u64, reason: impl Into<String>) -> LedgerError {
    LedgerError::Tampered {
        seq,
        reason: reason.into(),
    }
}

impl Classified for LedgerError {
    /// [`ErrorCategory::Ledger`], with the class the CLI and the bindings report, except
    /// that a sender's regressed head is a refused disclosure ([`ErrorCategory::Disclosure`],
    /// spec/ledger.md §7).
    fn category(&self) -> ErrorCategory {
        match self {
            LedgerError::SenderHeadRegressed { .. } => ErrorCategory::Disclosure,
            _ => ErrorCategory::Ledger,
        }
    }

    fn class(&self) -> &'static str {
        match self {
            LedgerError::Database { .. } => "database",
            LedgerError::Create { .. } => "create_file",
            LedgerError::Io { .. } => "io",
            LedgerError::Busy { .. } => "busy",
            LedgerError::NotALedger { .. } => "not_a_ledger",
            LedgerError::UnsupportedSchema { .. } => "unsupported_schema",
            LedgerError::InvalidAgencyId => "invalid_agency_id",
            LedgerError::WrongAgency { .. } => "wrong_agency",
            LedgerError::Replay { .. } => "replay",
            LedgerError::AlreadyRecorded { .. } => "already_recorded",
            LedgerError::InvalidEntry(_) => "invalid_entry",
            LedgerError::Tampered { .. } => "tampered",
            LedgerError::RolledBack { .. } => "rolled_back",
            LedgerError::Forked { .. } => "forked",
            LedgerError::HeadMarkMissing { .. } => "head_mark_missing",
            LedgerError::HeadMarkInvalid { .. } => "head_mark_invalid",
            LedgerError::SignerCompromised { .. } => "signer_compromised",
            LedgerError::Truncated { .. } => "truncated",
            LedgerError::SenderHeadRegressed { .. } => "sender_head_regressed",
        }
    }
}

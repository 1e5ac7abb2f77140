//! Ledger errors.

use std::path::PathBuf;

use divex_core::envelope::EnvelopeId;
use divex_core::error::{Classified, ErrorCategory};

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
    /// [`ErrorCategory::Ledger`], with the class the CLI and the bindings report.
    fn category(&self) -> ErrorCategory {
        ErrorCategory::Ledger
    }

    fn class(&self) -> &'static str {
        match self {
            LedgerError::Database { .. } => "database",
            LedgerError::Create { .. } => "create_file",
            LedgerError::NotALedger { .. } => "not_a_ledger",
            LedgerError::UnsupportedSchema { .. } => "unsupported_schema",
            LedgerError::InvalidAgencyId => "invalid_agency_id",
            LedgerError::WrongAgency { .. } => "wrong_agency",
            LedgerError::Replay { .. } => "replay",
            LedgerError::AlreadyRecorded { .. } => "already_recorded",
            LedgerError::InvalidEntry(_) => "invalid_entry",
            LedgerError::Tampered { .. } => "tampered",
        }
    }
}

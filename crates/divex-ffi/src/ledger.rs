//! The disclosure ledger (divex-ledger): one SQLite file per agency, a hash-chained entry per
//! disclosure sent and received, signed checkpoints, verification and the participant's
//! accounting of disclosures (42 CFR §2.24).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use divex_core::consent::Subject as CoreSubject;
use divex_core::keys::SigningPublicKey;
use divex_ledger::{self as core, Direction};

use crate::directory::lock;
use crate::disclosure::{ReceivedDisclosure, SealedDisclosure, Subject};
use crate::error::Result;
use crate::keys::AgencyKeys;

/// Whether the agency sent or received a disclosure (the ledger's enum).
#[uniffi::remote(Enum)]
pub enum Direction {
    /// This agency disclosed the record.
    Sent,
    /// This agency received it.
    Received,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerEntry {
    /// Sequence number (from 1).
    pub seq: u64,
    /// When the disclosure was sent or received (Unix seconds).
    pub time: u64,
    /// Sent or received.
    pub direction: Direction,
    /// The other agency's id.
    pub counterparty: String,
    /// The participant key: a domain-separated SHA-256 of the normalised name and date of
    /// birth (the name itself is never stored).
    pub subject_key: Vec<u8>,
    /// Record types disclosed, as stored (and hashed) in the ledger: their tokens.
    pub record_types: Vec<String>,
    /// Purpose of use, as stored (and hashed) in the ledger.
    pub purpose: String,
    /// The consent relied on.
    pub consent_id: String,
    /// The envelope id.
    pub envelope_id: Vec<u8>,
    /// SHA-256 of the envelope.
    pub envelope_hash: Vec<u8>,
    /// The previous entry's hash.
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    pub entry_hash: Vec<u8>,
}

fn entry(e: &core::Entry) -> LedgerEntry {
    LedgerEntry {
        seq: e.seq,
        time: e.time,
        direction: e.direction,
        counterparty: e.counterparty.clone(),
        subject_key: e.subject_key.to_vec(),
        record_types: e.record_types.clone(),
        purpose: e.purpose.clone(),
        consent_id: e.consent_id.clone(),
        envelope_id: e.envelope_id.to_vec(),
        envelope_hash: e.envelope_hash.to_vec(),
        prev_hash: e.prev_hash.to_vec(),
        entry_hash: e.entry_hash.to_vec(),
    }
}

/// A signed checkpoint of the ledger's head.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Checkpoint {
    /// The last entry covered.
    pub seq: u64,
    /// That entry's hash.
    pub head: Vec<u8>,
    /// When it was signed.
    pub time: u64,
    /// The agency's Ed25519 signature.
    pub signature: Vec<u8>,
}

fn checkpoint(c: &core::Checkpoint) -> Checkpoint {
    Checkpoint {
        seq: c.seq,
        head: c.head.to_vec(),
        time: c.time,
        signature: c.signature.to_vec(),
    }
}

/// What [`Ledger::verify`] checked.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifyReport {
    /// Number of entries.
    pub entries: u64,
    /// Number of checkpoints, all with valid signatures.
    pub checkpoints: u64,
    /// Hash of the last entry.
    pub head: Vec<u8>,
    /// The highest entry covered by a signed checkpoint (0 if none): entries after it are
    /// chained but not yet signed.
    pub anchored_seq: u64,
}

/// An agency's disclosure ledger file. Safe to share between threads (calls are serialised).
#[derive(Debug, uniffi::Object)]
pub struct Ledger {
    inner: Mutex<core::Ledger>,
}

impl Ledger {
    pub(crate) fn get(&self) -> MutexGuard<'_, core::Ledger> {
        lock(&self.inner)
    }
}

#[uniffi::export]
impl Ledger {
    /// Opens `agency_id`'s ledger at `path`, creating it if the file does not exist.
    #[uniffi::constructor]
    pub fn open(path: String, agency_id: String) -> Result<Arc<Ledger>> {
        Ok(Arc::new(Ledger {
            inner: Mutex::new(core::Ledger::open(Path::new(&path), &agency_id)?),
        }))
    }

    /// The agency whose ledger this is.
    pub fn agency_id(&self) -> String {
        self.get().agency_id().to_owned()
    }

    /// Records a sealed disclosure: one `Sent` entry per recipient, all or none.
    pub fn record_sent(
        &self,
        sealed: Arc<SealedDisclosure>,
        time: u64,
    ) -> Result<Vec<LedgerEntry>> {
        let entries = self.get().record_sent(&sealed.inner, time)?;
        Ok(entries.iter().map(entry).collect())
    }

    /// Records a released disclosure; a second receipt of the same envelope is a `replay`.
    pub fn record_received(
        &self,
        received: Arc<ReceivedDisclosure>,
        time: u64,
    ) -> Result<LedgerEntry> {
        Ok(entry(&self.get().record_received(&received.inner, time)?))
    }

    /// Signs the current head with the agency's keys and stores the checkpoint.
    pub fn checkpoint(&self, keys: Arc<AgencyKeys>, time: u64) -> Result<Checkpoint> {
        Ok(checkpoint(&self.get().checkpoint(&keys.inner, time)?))
    }

    /// Verifies the whole chain and every checkpoint signature under the agency's
    /// `signing_public_key`; any edited, deleted, inserted or reordered entry is `tampered`.
    pub fn verify(&self, signing_public_key: Vec<u8>) -> Result<VerifyReport> {
        let key = SigningPublicKey::from_bytes(&signing_public_key)?;
        let r = self.get().verify_with_key(&key)?;
        Ok(VerifyReport {
            entries: r.entries,
            checkpoints: r.checkpoints,
            head: r.head.to_vec(),
            anchored_seq: r.anchored_seq,
        })
    }

    /// The participant's accounting of disclosures: every entry sent about `subject` with
    /// `from <= time <= to`, in ledger order (run [`Ledger::verify`] first).
    pub fn accounting(&self, subject: Subject, from: u64, to: u64) -> Result<Vec<LedgerEntry>> {
        let entries = self
            .get()
            .accounting(&CoreSubject::try_from(subject)?, from, to)?;
        Ok(entries.iter().map(entry).collect())
    }

    /// Every entry, in order, as stored.
    pub fn entries(&self) -> Result<Vec<LedgerEntry>> {
        Ok(self.get().entries()?.iter().map(entry).collect())
    }

    /// Every checkpoint, as stored.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        Ok(self.get().checkpoints()?.iter().map(checkpoint).collect())
    }

    /// The ledger as JSON lines, for auditors (see divex-ledger's `Ledger::export`).
    pub fn export(&self) -> Result<Vec<u8>> {
        Ok(self.get().export()?)
    }
}

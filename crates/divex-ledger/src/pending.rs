//! Exactly-once recording (spec/ledger.md §6): a seal is recorded as *pending* before its
//! envelope is written, and as *sent* only once the envelope is durably in place; a receipt
//! is appended in a transaction left open until the record has been shown. A crash at any point
//! leaves either no trace or a pending seal that the next command completes or abandons
//! ([`Ledger::reconcile`]), with the envelope file as the evidence.

use std::fs::{self, File, TryLockError};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use divex_core::envelope::EnvelopeId;
use divex_core::{Received, Sealed};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::entry::{Direction, Entry, validate};
use crate::error::{LedgerError, db};
use crate::ledger::{Ledger, append_drafts, draft};
use crate::mark;
use crate::rows::{
    ENTRY_COLUMNS, duplicate_in, entry_from_row, head_in, record_types_json, sql_int,
};

/// How long [`Ledger::writer_lock`] waits for another process's recording to finish.
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Entries appended in a write transaction that is still open: nothing is visible to other
/// readers and nothing is durable until [`Recording::commit`]. Dropping it rolls everything
/// back. It holds the database's write lock, so the sequence numbers it shows are the ones
/// that will be committed.
#[derive(Debug)]
pub struct Recording<'l> {
    pub(crate) tx: Transaction<'l>,
    pub(crate) entries: Vec<Entry>,
}

impl Recording<'_> {
    /// The entries, as they will be committed.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Commits the entries (and whatever else the recording changed).
    pub fn commit(self) -> Result<Vec<Entry>, LedgerError> {
        self.tx.commit().map_err(db("commit the new entries"))?;
        Ok(self.entries)
    }
}

/// The agency's writer lock (`<ledger>.lock`, an exclusive advisory lock on a file beside the
/// ledger): held by a command from the moment it records anything until it is done, so that
/// the pending seals [`Ledger::reconcile`] finds while holding it belong to processes that
/// ended. Released when dropped (and by the operating system when the process dies).
#[derive(Debug)]
pub struct WriterLock {
    file: File,
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// A seal between its sealing and its recording (spec/ledger.md §6 step 2).
#[derive(Debug, Clone, Copy)]
pub struct PendingSeal<'a> {
    /// The sealed disclosure: what will be recorded, one sent entry per recipient.
    pub sealed: &'a Sealed,
    /// The time the entries will carry.
    pub time: u64,
    /// Where the envelope is written; `None` for standard output.
    pub output: Option<&'a Path>,
    /// The request's digest (the caller's SHA-256 of what was asked: record, recipients,
    /// purpose, consent, …), by which a retried request is recognised.
    pub request_digest: [u8; 32],
    /// What the caller reports about the seal, kept to report it again on a retry (opaque to
    /// the ledger; it must hold no participant name, since it is stored in the file).
    pub note: &'a [u8],
}

/// A seal found by its request digest: the agency's latest recorded seal
/// ([`Ledger::sealed_request`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealRecord {
    /// The envelope id.
    pub envelope_id: EnvelopeId,
    /// SHA-256 of the envelope.
    pub envelope_hash: [u8; 32],
    /// Where the envelope was written (`None`: standard output).
    pub output: Option<PathBuf>,
    /// The envelope, to write it again.
    pub envelope: Vec<u8>,
    /// The caller's note ([`PendingSeal::note`]).
    pub note: Vec<u8>,
    /// The sent entries recorded for it.
    pub entries: Vec<u64>,
}

/// What [`Ledger::reconcile`] did with the pending seals it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reconciled {
    /// Seals whose envelope was found in place: recorded as sent.
    pub completed: Vec<EnvelopeId>,
    /// Seals whose envelope was never written (or differs): forgotten, nothing was disclosed.
    pub abandoned: Vec<EnvelopeId>,
}

/// A pending row: the sent entries it stands for, and how to check its output.
struct PendingRow {
    envelope_id: [u8; 16],
    envelope_hash: [u8; 32],
    output: Option<PathBuf>,
    created: u64,
    envelope_len: usize,
    drafts: Vec<Entry>,
}

impl Ledger {
    /// Takes the agency's writer lock, waiting up to 10 seconds for another process to finish
    /// recording (then [`LedgerError::Busy`]). Creates the lock file (mode 0600) on first use.
    pub fn writer_lock(&self) -> Result<WriterLock, LedgerError> {
        let path = lock_path(&self.path);
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let io = |path: &Path, source| LedgerError::Io {
            what: "the ledger's lock file",
            path: path.to_owned(),
            source,
        };
        let file = options.open(&path).map_err(|e| io(&path, e))?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                // A ledger removed while this process waited ([`Ledger::remove_if_empty`]) is
                // not recorded in: its lock file is gone or replaced.
                Ok(()) if !same_file(&file, &path) || !self.path.exists() => {
                    return Err(LedgerError::Busy {
                        agency_id: self.agency_id.clone(),
                    });
                }
                Ok(()) => return Ok(WriterLock { file }),
                Err(TryLockError::WouldBlock) if start.elapsed() < LOCK_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(LedgerError::Busy {
                        agency_id: self.agency_id.clone(),
                    });
                }
                Err(TryLockError::Error(source)) => return Err(io(&path, source)),
            }
        }
    }

    /// Removes a ledger that has no entry and no pending seal — its file, SQLite's side
    /// files, its high-water mark (of the empty ledger) and its lock file — holding its writer
    /// lock: for a command that created the agency's ledger and then failed, so that it leaves
    /// nothing behind. Returns whether it was removed (a ledger with entries is kept). A
    /// process that was waiting for the lock finds the ledger gone and records nothing.
    pub fn remove_if_empty(self, lock: WriterLock) -> Result<bool, LedgerError> {
        let (entries, pending): (i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM pending)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(db("read the ledger"))?;
        if entries != 0 || pending != 0 {
            return Ok(false);
        }
        let Ledger {
            conn, path, mark, ..
        } = self;
        drop(conn);
        let with = |suffix: &str| {
            let mut name = path.file_name().unwrap_or_default().to_owned();
            name.push(suffix);
            path.with_file_name(name)
        };
        for p in [
            path.clone(),
            with("-wal"),
            with("-shm"),
            with("-journal"),
            mark,
            lock_path(&path),
        ] {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(LedgerError::Io {
                        what: "a file of the ledger",
                        path: p,
                        source,
                    });
                }
            }
        }
        drop(lock);
        Ok(true)
    }

    /// Whether a seal is pending (a command recorded it and has not finished, or died).
    pub fn has_pending(&self) -> Result<bool, LedgerError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pending WHERE done = 0)",
                [],
                |r| r.get(0),
            )
            .map_err(db("read the pending seals"))
    }

    /// Completes or abandons every pending seal (spec/ledger.md §6, "Reconciliation"), holding
    /// the writer lock (so every pending seal belongs to a process that ended):
    ///
    /// * its envelope file exists with the recorded hash: the seal is recorded as sent (the
    ///   envelope may have left the agency);
    /// * the file is missing or differs: the seal is forgotten (nothing was disclosed);
    /// * written to standard output: forgotten if it was made before `started_at` (its output
    ///   never completed).
    ///
    /// The high-water mark is not moved: the next checkpoint covers the completed entries.
    pub fn reconcile(
        &mut self,
        _lock: &WriterLock,
        started_at: u64,
    ) -> Result<Reconciled, LedgerError> {
        let rows = self.pending_rows()?;
        let mut out = Reconciled::default();
        for row in rows {
            let id = EnvelopeId(row.envelope_id);
            let complete = match &row.output {
                Some(path) => file_has(path, row.envelope_len, &row.envelope_hash)?,
                None if row.created < started_at => false,
                None => continue,
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db("start a write transaction"))?;
            if complete {
                append_drafts(&tx, &self.mark, &self.agency_id, &self.genesis, row.drafts)?;
                mark_done(&tx, &row.envelope_id)?;
                out.completed.push(id);
            } else {
                tx.execute(
                    "DELETE FROM pending WHERE envelope_id = ?1 AND done = 0",
                    params![&row.envelope_id[..]],
                )
                .map_err(db("forget a pending seal"))?;
                out.abandoned.push(id);
            }
            tx.commit().map_err(db("reconcile a pending seal"))?;
        }
        Ok(out)
    }

    /// Records a seal as pending (spec/ledger.md §6 step 2), committed before the envelope is
    /// written, with everything needed to record it as sent later: one entry per recipient of
    /// `p.sealed`, as [`Ledger::record_sent`] would append them. Checks them as an append
    /// would (an envelope already recorded, a ledger that does not reach its mark).
    pub fn begin_seal(
        &mut self,
        _lock: &WriterLock,
        p: &PendingSeal<'_>,
    ) -> Result<(), LedgerError> {
        let new = crate::ledger::sent_entries(p.sealed, p.time)?;
        for e in &new {
            validate(e)?;
        }
        let output = match p.output {
            None => None,
            Some(path) => Some(
                path.to_str()
                    .ok_or(LedgerError::InvalidEntry("the output path is not UTF-8"))?,
            ),
        };
        let first = new.first().ok_or(LedgerError::InvalidEntry(
            "the sealed disclosure names no recipient",
        ))?;
        let recipients: Vec<String> = new.iter().map(|e| e.counterparty.clone()).collect();
        let d = draft(first);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start a write transaction"))?;
        // Refused now, not at completion: a ledger off its mark, an envelope already sent.
        let (present, _) = head_in(&tx, &self.genesis)?;
        mark::reached(&tx, &self.mark, &self.agency_id, &self.genesis, present)?;
        for e in new.iter().map(draft) {
            if let Some(dup) = duplicate_in(&tx, &e)? {
                return Err(dup);
            }
        }
        tx.execute(
            "INSERT INTO pending (envelope_id, envelope_hash, output, request_digest, created, \
             time, recipients, subject_key, record_types, purpose, consent_id, envelope, note, \
             done) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0)",
            params![
                &d.envelope_id[..],
                &d.envelope_hash[..],
                output,
                &p.request_digest[..],
                sql_int(p.time)?,
                sql_int(d.time)?,
                serde_json::Value::from(recipients).to_string(),
                &d.subject_key[..],
                record_types_json(&d.record_types).to_string(),
                d.purpose,
                d.consent_id,
                &p.sealed.envelope[..],
                p.note,
            ],
        )
        .map_err(db("record a pending seal"))?;
        tx.commit().map_err(db("record a pending seal"))
    }

    /// Records a pending seal as sent once its envelope is in place (spec/ledger.md §6 step 4):
    /// appends its entries and marks it done, in a write transaction left open for the caller
    /// to report the seal before it commits. The seal stays as the agency's latest (the one a
    /// retry is compared with); older completed seals are forgotten.
    pub fn finish_seal(
        &mut self,
        _lock: &WriterLock,
        envelope_id: &EnvelopeId,
    ) -> Result<Recording<'_>, LedgerError> {
        let row = self
            .pending_rows()?
            .into_iter()
            .find(|r| r.envelope_id == envelope_id.0)
            .ok_or(LedgerError::InvalidEntry("no such pending seal"))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start a write transaction"))?;
        let entries = append_drafts(&tx, &self.mark, &self.agency_id, &self.genesis, row.drafts)?;
        mark_done(&tx, &row.envelope_id)?;
        Ok(Recording { tx, entries })
    }

    /// Forgets a pending seal whose envelope was not written (or was removed again): nothing
    /// was disclosed.
    pub fn abandon_seal(
        &mut self,
        _lock: &WriterLock,
        envelope_id: &EnvelopeId,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "DELETE FROM pending WHERE envelope_id = ?1 AND done = 0",
                params![&envelope_id.0[..]],
            )
            .map_err(db("forget a pending seal"))?;
        Ok(())
    }

    /// Marks a recorded seal as reported to its caller: the command that made it finished,
    /// so an identical request from now on is a new request, not a retry. Until then (the
    /// command was killed after recording, or the seal was completed by [`Ledger::reconcile`])
    /// [`Ledger::sealed_request`] answers a retry with it.
    pub fn close_seal(
        &mut self,
        _lock: &WriterLock,
        envelope_id: &EnvelopeId,
    ) -> Result<(), LedgerError> {
        self.conn
            .execute(
                "UPDATE pending SET done = 2 WHERE envelope_id = ?1 AND done = 1",
                params![&envelope_id.0[..]],
            )
            .map_err(db("close a recorded seal"))?;
        Ok(())
    }

    /// The agency's latest recorded seal, if it was made for the request with digest
    /// `request_digest` and its command may not have reported it ([`Ledger::close_seal`]):
    /// the retry rule of spec/ledger.md §6 — a retried request is answered with the envelope
    /// already sealed, not sealed again.
    pub fn sealed_request(
        &self,
        request_digest: &[u8; 32],
    ) -> Result<Option<SealRecord>, LedgerError> {
        /// envelope id, envelope hash, output, envelope, note.
        type Row = (Vec<u8>, Vec<u8>, Option<String>, Vec<u8>, Vec<u8>);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT envelope_id, envelope_hash, output, envelope, note FROM pending \
                 WHERE done = 1 AND request_digest = ?1",
                params![&request_digest[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db("read the latest seal"))?;
        let Some((id, hash, output, envelope, note)) = row else {
            return Ok(None);
        };
        let bad = || LedgerError::Tampered {
            seq: 0,
            reason: "the pending table holds a malformed seal".into(),
        };
        let envelope_id = EnvelopeId(<[u8; 16]>::try_from(id.as_slice()).map_err(|_| bad())?);
        let mut stmt = self
            .conn
            .prepare("SELECT seq FROM entries WHERE direction = 'sent' AND envelope_id = ?1 ORDER BY seq")
            .map_err(db("read the entries"))?;
        let entries = stmt
            .query_map(params![&envelope_id.0[..]], |r| r.get::<_, i64>(0))
            .map_err(db("read the entries"))?
            .map(|s| s.map(|s| u64::try_from(s).unwrap_or(0)))
            .collect::<Result<Vec<u64>, _>>()
            .map_err(db("read the entries"))?;
        Ok(Some(SealRecord {
            envelope_id,
            envelope_hash: <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| bad())?,
            output: output.map(PathBuf::from),
            envelope,
            note,
            entries,
        }))
    }

    /// Appends the receipt of a released disclosure (as
    /// [`Ledger::record_received_with`] does) in a write transaction left open: the caller
    /// shows the record, then commits (spec/ledger.md §6, `open` steps 3–4). A second receipt
    /// of the envelope is [`LedgerError::Replay`] — for a concurrent `open` of the same
    /// envelope, the cue to show it again from [`Ledger::received_entry`] instead.
    pub fn begin_received(
        &mut self,
        _lock: &WriterLock,
        r: &Received,
        time: u64,
        sender_head: Option<(u64, [u8; 32])>,
        issued_out_of_order: bool,
    ) -> Result<Recording<'_>, LedgerError> {
        self.begin_insert(&[crate::ledger::received_entry(
            r,
            time,
            sender_head,
            issued_out_of_order,
        )])
    }

    /// The receipt recorded for envelope `envelope_id`, if any (to show an envelope again
    /// rather than refuse it as a replay when the same bytes are opened twice).
    pub fn received_entry(&self, envelope_id: &EnvelopeId) -> Result<Option<Entry>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE direction = 'received' \
                 AND envelope_id = ?1"
            ))
            .map_err(db("read the entries"))?;
        let mut rows = stmt
            .query(params![&envelope_id.0[..]])
            .map_err(db("read the entries"))?;
        match rows.next().map_err(db("read the entries"))? {
            None => Ok(None),
            Some(row) => {
                let (seq, e) = entry_from_row(row);
                e.map(Some).map_err(|r| LedgerError::Tampered {
                    seq: u64::try_from(seq).unwrap_or(0),
                    reason: r,
                })
            }
        }
    }

    /// The pending (not done) seals, oldest first.
    fn pending_rows(&self) -> Result<Vec<PendingRow>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT envelope_id, envelope_hash, output, created, time, recipients, \
                 subject_key, record_types, purpose, consent_id, length(envelope) \
                 FROM pending WHERE done = 0 ORDER BY created, envelope_id",
            )
            .map_err(db("read the pending seals"))?;
        let mut rows = stmt.query([]).map_err(db("read the pending seals"))?;
        let mut out = Vec::new();
        let bad = |what: &str| LedgerError::Tampered {
            seq: 0,
            reason: format!("a pending seal is malformed: {what}"),
        };
        while let Some(r) = rows.next().map_err(db("read the pending seals"))? {
            let get = |i: usize| r.get_ref(i).map_err(db("read the pending seals"));
            let blob = |i: usize| -> Result<Vec<u8>, LedgerError> {
                Ok(get(i)?
                    .as_blob()
                    .map_err(|_| bad("a column is not a blob"))?
                    .to_vec())
            };
            let text = |i: usize| -> Result<String, LedgerError> {
                Ok(get(i)?
                    .as_str()
                    .map_err(|_| bad("a column is not text"))?
                    .to_owned())
            };
            let int = |i: usize| -> Result<u64, LedgerError> {
                u64::try_from(
                    get(i)?
                        .as_i64()
                        .map_err(|_| bad("a column is not an integer"))?,
                )
                .map_err(|_| bad("a number is negative"))
            };
            let envelope_id: [u8; 16] = blob(0)?.try_into().map_err(|_| bad("envelope_id"))?;
            let envelope_hash: [u8; 32] = blob(1)?.try_into().map_err(|_| bad("envelope_hash"))?;
            let output = match get(2)? {
                rusqlite::types::ValueRef::Null => None,
                _ => Some(PathBuf::from(text(2)?)),
            };
            let recipients: Vec<String> =
                serde_json::from_str(&text(5)?).map_err(|_| bad("recipients"))?;
            let record_types: Vec<String> =
                serde_json::from_str(&text(7)?).map_err(|_| bad("record_types"))?;
            let subject_key: [u8; 32] = blob(6)?.try_into().map_err(|_| bad("subject_key"))?;
            let (time, purpose, consent_id) = (int(4)?, text(8)?, text(9)?);
            let drafts = recipients
                .into_iter()
                .map(|counterparty| Entry {
                    seq: 0,
                    time,
                    direction: Direction::Sent,
                    counterparty,
                    subject_key,
                    record_types: record_types.clone(),
                    purpose: purpose.clone(),
                    consent_id: consent_id.clone(),
                    envelope_id,
                    envelope_hash,
                    prev_hash: [0; 32],
                    entry_hash: [0; 32],
                    receipt: None,
                })
                .collect();
            out.push(PendingRow {
                envelope_id,
                envelope_hash,
                output,
                created: int(3)?,
                envelope_len: usize::try_from(int(10)?).unwrap_or(usize::MAX),
                drafts,
            });
        }
        Ok(out)
    }
}

/// Whether the open `file` is the file at `path` (not a removed or replaced one).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere: whether the file still exists.
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// `<ledger>.lock`.
fn lock_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    ledger.with_file_name(name)
}

/// Marks seal `envelope_id` recorded (`done = 1`) and forgets every other recorded seal: only
/// the latest is kept, for the retry rule.
fn mark_done(tx: &rusqlite::Connection, envelope_id: &[u8; 16]) -> Result<(), LedgerError> {
    tx.execute(
        "DELETE FROM pending WHERE done != 0 AND envelope_id != ?1",
        params![&envelope_id[..]],
    )
    .map_err(db("complete a pending seal"))?;
    tx.execute(
        "UPDATE pending SET done = 1 WHERE envelope_id = ?1",
        params![&envelope_id[..]],
    )
    .map_err(db("complete a pending seal"))?;
    Ok(())
}

/// Whether `path` holds exactly the `len` bytes with SHA-256 `hash` (read with that bound). A
/// missing file is `false`; another error is reported (it cannot be decided).
fn file_has(path: &Path, len: usize, hash: &[u8; 32]) -> Result<bool, LedgerError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(LedgerError::Io {
                what: "the output of a pending seal",
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut bytes = Vec::new();
    file.take(len as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| LedgerError::Io {
            what: "the output of a pending seal",
            path: path.to_owned(),
            source,
        })?;
    Ok(bytes.len() == len && Sha256::digest(&bytes).as_slice() == hash)
}

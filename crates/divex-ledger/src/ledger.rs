//! The SQLite-backed ledger.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use divex_core::consent::Subject;
use divex_core::envelope::{EnvelopeId, SeenEnvelopes};
use divex_core::keys::AgencyKeys;
use divex_core::vocab::Vocabulary;
use divex_core::{Received, Sealed};
use rusqlite::{Connection, ErrorCode, TransactionBehavior, params};

use crate::checkpoint::Checkpoint;
use crate::entry::{self, Direction, Entry, NewEntry, Receipt, genesis_hash, subject_key};
use crate::error::{LedgerError, db, tampered};
use crate::head::SignedHead;
use crate::mark;
use crate::pending::Recording;
use crate::rows::{
    CHECKPOINT_COLUMNS, ENTRY_COLUMNS, MetaError, check_agency, checkpoint_from_row, duplicate_in,
    entry_from_row, head_in, insert_entry, record_types_json, sql_int,
};
use crate::schema::{self, APPLICATION_ID, SCHEMA_VERSION};

/// How long to wait for another process holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// An agency's disclosure ledger: one SQLite file per agency.
///
/// See the [crate documentation](crate) for the schema, the hash chain and what
/// [`Ledger::verify`] detects.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// The high-water mark file, `<path>.head`.
    pub(crate) mark: PathBuf,
    pub(crate) agency_id: String,
    pub(crate) genesis: [u8; 32],
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("path", &self.path)
            .field("agency_id", &self.agency_id)
            .finish_non_exhaustive()
    }
}

/// Creates the ledger file with mode 0600 on Unix if it does not exist, before SQLite opens
/// it. SQLite would create it 0644 (less the umask); it creates the `-wal`, `-shm` and
/// journal files with the mode of the database file, so they are owner-only too. An existing
/// file is left as it is.
#[cfg(unix)]
fn create_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A missing directory and the like are reported by SQLite's own open, as before.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Elsewhere SQLite creates the file with the platform's defaults.
#[cfg(not(unix))]
fn create_owner_only(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::NotADatabase))
}

impl Ledger {
    /// Opens `agency_id`'s ledger at `path`, creating it (and its schema) if the file does
    /// not exist or is empty.
    ///
    /// An existing file must be a divex ledger created for the same agency; a file of schema
    /// version 1 is migrated to version 2 in place, in one transaction (its entries and
    /// checkpoints hash and verify exactly as before). The connection uses WAL journaling with
    /// `synchronous = FULL`: every committed entry survives a crash of the process or the
    /// machine, and an append interrupted at any point leaves the ledger as it was before it.
    ///
    /// Opening checks nothing beyond the file's identity: run [`Ledger::verify`] before
    /// trusting the ledger (the CLI does before every `seal` and `open`).
    pub fn open(path: &Path, agency_id: &str) -> Result<Ledger, LedgerError> {
        if agency_id.is_empty() || agency_id.contains('\0') {
            return Err(LedgerError::InvalidAgencyId);
        }
        let not_a_ledger = |reason| LedgerError::NotALedger {
            path: path.to_owned(),
            reason,
        };
        create_owner_only(path).map_err(|source| LedgerError::Create {
            path: path.to_owned(),
            source,
        })?;
        let mut conn = Connection::open(path).map_err(db("open the ledger file"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(db("configure the connection"))?;
        // No table declares a foreign key today (a checkpoint must outlive the entries it
        // covers, so that a truncation is reported rather than prevented or cascaded); the
        // pragma keeps any future reference enforced.
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(db("configure the connection"))?;

        // Identify (or create) the ledger in one write transaction, so that two processes
        // opening a new file at once create the schema once, and a crash leaves no half
        // schema behind.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| {
                if is_not_a_database(&e) {
                    not_a_ledger("not an SQLite database")
                } else {
                    db("open the ledger file")(e)
                }
            })?;
        let read_header = |tx: &Connection| -> rusqlite::Result<(i32, i64, i64)> {
            let app = tx.query_row("PRAGMA application_id", [], |r| r.get(0))?;
            let version = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let objects = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
            Ok((app, version, objects))
        };
        let (app, version, objects) = read_header(&tx).map_err(|e| {
            if is_not_a_database(&e) {
                not_a_ledger("not an SQLite database")
            } else {
                db("read the ledger header")(e)
            }
        })?;
        match app {
            0 if objects == 0 => schema::create(&tx, agency_id)?,
            APPLICATION_ID => schema::migrate(&tx, version)?,
            _ => return Err(not_a_ledger("an SQLite database of another application")),
        }
        check_agency(&tx, agency_id).map_err(|e| match e {
            MetaError::Missing => not_a_ledger("its ledger_meta row is missing"),
            MetaError::Other(e) => e,
        })?;
        tx.commit().map_err(db("create the ledger schema"))?;

        // WAL: readers (verify, accounting) do not block the writer. Where the file system
        // cannot do WAL, SQLite keeps its rollback journal, which is as crash-safe.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(db("configure the connection"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db("configure the connection"))?;

        Ok(Ledger {
            conn,
            path: path.to_owned(),
            mark: mark::mark_path(path),
            agency_id: agency_id.to_owned(),
            genesis: genesis_hash(agency_id),
        })
    }

    /// The agency whose ledger this is.
    pub fn agency_id(&self) -> &str {
        &self.agency_id
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The high-water mark file (spec/ledger.md §4): `<ledger file>.head`, beside the ledger.
    pub fn mark_path(&self) -> &Path {
        &self.mark
    }

    /// Records one disclosure, in one `IMMEDIATE` transaction (read the head, chain, insert).
    ///
    /// A received envelope id already in the ledger is refused with
    /// [`LedgerError::Replay`]; a sent envelope already recorded for the same recipient
    /// with [`LedgerError::AlreadyRecorded`]. A ledger shorter than its high-water mark, or
    /// that no longer reaches it, is refused ([`LedgerError::RolledBack`],
    /// [`LedgerError::Forked`]; the mark's signature is checked by [`Ledger::verify`], which
    /// needs the directory). Nothing is written on error.
    pub fn append(&mut self, e: &NewEntry) -> Result<Entry, LedgerError> {
        self.insert(std::slice::from_ref(e))?
            .pop()
            .ok_or(LedgerError::InvalidEntry("nothing to record"))
    }

    /// Records a sealed disclosure: one [`Direction::Sent`] entry per recipient in
    /// `sealed.permits`, all in one transaction (all or none are written). Everything recorded
    /// is read from `sealed` — the participant, and the record type, purpose, consent and
    /// envelope id as the envelope signs them — so the ledger says exactly what was sent.
    pub fn record_sent(&mut self, sealed: &Sealed, time: u64) -> Result<Vec<Entry>, LedgerError> {
        self.insert(&sent_entries(sealed, time)?)
    }

    /// Records a received and released disclosure (sender, participant, record type, purpose
    /// and consent as the sender signed them, and the envelope's `issued_at`). A second
    /// receipt of the same envelope is [`LedgerError::Replay`].
    ///
    /// The same as [`Ledger::record_received_with`] without a sender head and not out of
    /// order.
    pub fn record_received(&mut self, r: &Received, time: u64) -> Result<Entry, LedgerError> {
        self.record_received_with(r, time, None, false)
    }

    /// Records a received and released disclosure with what the recipient learned beyond v1
    /// (spec/ledger.md §2, §5.2): the sender's ledger head `(seq, hash)` signed in the envelope
    /// (`None` if the envelope carries none), and whether the envelope was issued out of order
    /// (spec/consent.md §8.3; [`Ledger::latest_issued_at`] is what that is judged against).
    ///
    /// A sender head with a lower `seq` than one already recorded from the same sender in an
    /// envelope issued at or before this one is refused ([`LedgerError::SenderHeadRegressed`]):
    /// a sender's ledger never shrinks. Call
    /// [`Ledger::check_sender_head`] before releasing the record, so that the refusal comes
    /// before anything is shown; this checks again in the append's transaction.
    pub fn record_received_with(
        &mut self,
        r: &Received,
        time: u64,
        sender_head: Option<(u64, [u8; 32])>,
        issued_out_of_order: bool,
    ) -> Result<Entry, LedgerError> {
        self.append(&received_entry(r, time, sender_head, issued_out_of_order))
    }

    /// Refuses a sender head whose `seq` is lower than the highest one already recorded from
    /// `sender` ([`LedgerError::SenderHeadRegressed`], spec/ledger.md §5.2); an equal or higher
    /// one is accepted. Read-only: for the recipient to check before it releases a record.
    pub fn check_sender_head(&self, sender: &str, seq: u64) -> Result<(), LedgerError> {
        sender_head_not_regressed(&self.conn, sender, seq, None)
    }

    /// The latest `issued_at` of an envelope received from `sender_agency` under `consent_id`
    /// (`None` if none was recorded with its issue time): what a new envelope's `issued_at` is
    /// compared with to flag it as issued out of order (spec/consent.md §8.3).
    pub fn latest_issued_at(
        &self,
        sender_agency: &str,
        consent_id: &str,
    ) -> Result<Option<u64>, LedgerError> {
        let latest: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(issued_at) FROM entries WHERE direction = 'received' \
                 AND counterparty = ?1 AND consent_id = ?2",
                params![sender_agency, consent_id],
                |r| r.get(0),
            )
            .map_err(db("read the latest issue time"))?;
        Ok(latest.and_then(|t| u64::try_from(t).ok()))
    }

    /// Appends `new` in one transaction.
    fn insert(&mut self, new: &[NewEntry]) -> Result<Vec<Entry>, LedgerError> {
        self.begin_insert(new)?.commit()
    }

    /// Validates `new` and appends it in a new `IMMEDIATE` transaction, left open.
    pub(crate) fn begin_insert(&mut self, new: &[NewEntry]) -> Result<Recording<'_>, LedgerError> {
        for e in new {
            entry::validate(e)?;
        }
        let drafts: Vec<Entry> = new.iter().map(draft).collect();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start a write transaction"))?;
        let entries = append_drafts(&tx, &self.mark, &self.agency_id, &self.genesis, drafts)?;
        Ok(Recording { tx, entries })
    }

    /// Signs the current head with the agency's keys (a [`SignedHead`], spec/ledger.md §3.1),
    /// stores it as a checkpoint and advances the high-water mark to it (§4).
    ///
    /// Checkpoint after every append (the CLI does): entries after the latest checkpoint are
    /// protected by the hash chain alone, which someone with write access to the file can
    /// recompute, and the mark is what makes a truncation, an emptied file or an older copy
    /// detectable. A ledger that no longer reaches its mark is refused, so a rolled-back ledger
    /// is never signed over.
    ///
    /// The mark is written after the checkpoint is committed, atomically, and only if it moves
    /// forward (another process may have marked a later head meanwhile): a crash in between
    /// leaves the ledger ahead of its mark, which is allowed (the next checkpoint catches up).
    pub fn checkpoint(&mut self, keys: &AgencyKeys, time: u64) -> Result<Checkpoint, LedgerError> {
        let time_sql = i64::try_from(time).map_err(|_| {
            LedgerError::InvalidEntry(
                "the checkpoint time is beyond what the ledger can store (2^63 - 1 seconds)",
            )
        })?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start a write transaction"))?;
        let (seq, head) = head_in(&tx, &self.genesis)?;
        mark::reached(&tx, &self.mark, &self.agency_id, &self.genesis, seq)?;
        let signed = SignedHead::sign(&self.agency_id, seq, head, time, keys);
        tx.execute(
            "INSERT INTO checkpoints (seq, head, time, signature, kid) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                sql_int(seq)?,
                &head[..],
                time_sql,
                &signed.signature[..],
                &signed.kid.as_bytes()[..]
            ],
        )
        .map_err(db("store the checkpoint"))?;
        tx.commit().map_err(db("store the checkpoint"))?;
        self.advance_mark(&signed)?;
        Ok(Checkpoint {
            seq,
            head,
            time,
            signature: signed.signature,
            kid: Some(signed.kid),
        })
    }

    /// Signs the head of a new, empty ledger as its high-water mark (entry 0, the genesis hash)
    /// without storing a checkpoint: for a command that is about to record its first entry, so
    /// that what a crash leaves pending can later be completed over a ledger with a mark
    /// (spec/ledger.md §6). Does nothing when a mark exists; refuses a ledger with entries
    /// (use [`Ledger::checkpoint`], or [`Ledger::adopt`]).
    pub fn mark_empty(&mut self, keys: &AgencyKeys, time: u64) -> Result<(), LedgerError> {
        let (seq, head) = head_in(&self.conn, &self.genesis)?;
        if seq != 0 {
            return Err(LedgerError::InvalidEntry(
                "the ledger has entries: its head is marked by a checkpoint",
            ));
        }
        if self.read_mark()?.is_some() {
            return Ok(());
        }
        self.advance_mark(&SignedHead::sign(&self.agency_id, 0, head, time, keys))
    }

    /// Writes `signed` as the high-water mark unless the mark already covers a later entry,
    /// holding the ledger's write lock so that concurrent writers never move it backwards.
    fn advance_mark(&mut self, signed: &SignedHead) -> Result<(), LedgerError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start a write transaction"))?;
        let current = mark::load(&self.mark, &self.agency_id)?;
        if current.is_none_or(|m| m.seq <= signed.seq) {
            mark::write(&self.mark, signed).map_err(|source| LedgerError::Io {
                what: "the high-water mark",
                path: self.mark.clone(),
                source,
            })?;
        }
        tx.rollback().map_err(db("release the write lock"))
    }

    /// The high-water mark, if there is one (not verified: see [`Ledger::verify`]). A file that
    /// is not a signed head of this agency's ledger is [`LedgerError::HeadMarkInvalid`].
    pub fn high_water_mark(&self) -> Result<Option<SignedHead>, LedgerError> {
        self.read_mark()
    }

    fn read_mark(&self) -> Result<Option<SignedHead>, LedgerError> {
        mark::load(&self.mark, &self.agency_id)
    }

    /// The participant's accounting of disclosures (42 CFR §2.24, §2.25): every entry
    /// **sent** about `subject` (matched as [`Subject::same_person`] does) with
    /// `from <= time <= to`, in ledger order.
    ///
    /// This reads the rows as stored; run [`Ledger::verify`] first to know they are intact.
    pub fn accounting(
        &self,
        subject: &Subject,
        from: u64,
        to: u64,
    ) -> Result<Vec<Entry>, LedgerError> {
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let to = i64::try_from(to).unwrap_or(i64::MAX);
        let key = subject_key(subject);
        self.select(
            &format!(
                "SELECT {ENTRY_COLUMNS} FROM entries WHERE direction = 'sent' \
                 AND subject_key = ?1 AND time >= ?2 AND time <= ?3 ORDER BY seq"
            ),
            params![&key[..], from, to],
        )
    }

    /// Every entry, in `seq` order, as stored (see [`Ledger::verify`]).
    pub fn entries(&self) -> Result<Vec<Entry>, LedgerError> {
        self.select(
            &format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY seq"),
            [],
        )
    }

    /// Every checkpoint, in `seq` order, as stored (see [`Ledger::verify`]).
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY seq, id"
            ))
            .map_err(db("read the checkpoints"))?;
        let mut rows = stmt.query([]).map_err(db("read the checkpoints"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db("read the checkpoints"))? {
            let (seq, cp) = checkpoint_from_row(row);
            out.push(cp.map_err(|r| tampered(seq, r))?);
        }
        Ok(out)
    }

    /// The last entry's sequence number and hash; `(0, genesis hash)` for an empty ledger.
    pub fn head(&self) -> Result<(u64, [u8; 32]), LedgerError> {
        head_in(&self.conn, &self.genesis)
    }

    /// The ledger as JSON lines (UTF-8, one JSON object per line, `\n`-terminated), for
    /// auditors and archives. The first line describes the ledger:
    ///
    /// ```text
    /// {"agency_id":"…","checkpoints":N,"entries":N,"format":"divex-ledger-export","genesis":"hex","schema_version":1}
    /// ```
    ///
    /// then one line per entry in `seq` order (`"type":"entry"`, every [`Entry`] field, byte
    /// fields in lower-case hex, `direction` as `"sent"`/`"received"`; an entry's
    /// [`Receipt`](crate::Receipt), when it has one, as `issued_at`, `issued_out_of_order` and,
    /// when the sender's head is known, `sender_head_seq` and `sender_head_hash`), then one
    /// line per
    /// checkpoint (`"type":"checkpoint"`, `seq`, `head`, `time`, `signature`, and `kid`: the
    /// signing key's id in hex, `null` for a v1 checkpoint). Keys are in
    /// alphabetical order. The export holds everything needed to re-verify the chain and
    /// the checkpoint signatures offline; it is written as stored, without verifying.
    pub fn export(&self) -> Result<Vec<u8>, LedgerError> {
        use serde_json::{Map, Value};
        let entries = self.entries()?;
        let checkpoints = self.checkpoints()?;
        let mut out = Vec::new();
        let mut line = |m: Map<String, Value>| {
            out.extend_from_slice(Value::Object(m).to_string().as_bytes());
            out.push(b'\n');
        };
        let mut header = Map::new();
        header.insert("format".into(), "divex-ledger-export".into());
        header.insert("schema_version".into(), SCHEMA_VERSION.into());
        header.insert("agency_id".into(), self.agency_id.clone().into());
        header.insert("genesis".into(), hex::encode(self.genesis).into());
        header.insert("entries".into(), (entries.len() as u64).into());
        header.insert("checkpoints".into(), (checkpoints.len() as u64).into());
        line(header);
        for e in &entries {
            let mut m = Map::new();
            m.insert("type".into(), "entry".into());
            m.insert("seq".into(), e.seq.into());
            m.insert("time".into(), e.time.into());
            m.insert("direction".into(), e.direction.as_str().into());
            m.insert("counterparty".into(), e.counterparty.clone().into());
            m.insert("subject_key".into(), hex::encode(e.subject_key).into());
            m.insert("record_types".into(), record_types_json(&e.record_types));
            m.insert("purpose".into(), e.purpose.clone().into());
            m.insert("consent_id".into(), e.consent_id.clone().into());
            m.insert("envelope_id".into(), hex::encode(e.envelope_id).into());
            m.insert("envelope_hash".into(), hex::encode(e.envelope_hash).into());
            m.insert("prev_hash".into(), hex::encode(e.prev_hash).into());
            m.insert("entry_hash".into(), hex::encode(e.entry_hash).into());
            if let Some(r) = &e.receipt {
                m.insert("issued_at".into(), r.issued_at.into());
                m.insert("issued_out_of_order".into(), r.issued_out_of_order.into());
                if let Some((seq, hash)) = &r.sender_head {
                    m.insert("sender_head_seq".into(), (*seq).into());
                    m.insert("sender_head_hash".into(), hex::encode(hash).into());
                }
            }
            line(m);
        }
        for c in &checkpoints {
            let mut m = Map::new();
            m.insert("type".into(), "checkpoint".into());
            m.insert("seq".into(), c.seq.into());
            m.insert("head".into(), hex::encode(c.head).into());
            m.insert("time".into(), c.time.into());
            m.insert("signature".into(), hex::encode(c.signature).into());
            m.insert("kid".into(), c.kid.map(|k| k.to_string()).into());
            line(m);
        }
        Ok(out)
    }

    fn select<P: rusqlite::Params>(&self, sql: &str, p: P) -> Result<Vec<Entry>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(db("read the entries"))?;
        let mut rows = stmt.query(p).map_err(db("read the entries"))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(db("read the entries"))? {
            let (seq, e) = entry_from_row(row);
            let seq = u64::try_from(seq).unwrap_or(0);
            out.push(e.map_err(|r| tampered(seq, r))?);
        }
        Ok(out)
    }
}

/// The sent entries of a sealed disclosure: one per recipient in `sealed.permits`, everything
/// read from `sealed` as the envelope signs it.
pub(crate) fn sent_entries(sealed: &Sealed, time: u64) -> Result<Vec<NewEntry>, LedgerError> {
    if sealed.permits.is_empty() {
        return Err(LedgerError::InvalidEntry(
            "the sealed disclosure names no recipient",
        ));
    }
    let d = &sealed.metadata.disclosure;
    if sealed
        .permits
        .iter()
        .any(|(_, p)| p.consent_id != d.consent.id)
    {
        return Err(LedgerError::InvalidEntry(
            "the consent the envelope references is not the one the recipients' permits name",
        ));
    }
    Ok(sealed
        .permits
        .iter()
        .map(|(recipient, _)| NewEntry {
            time,
            direction: Direction::Sent,
            counterparty: recipient.clone(),
            subject: sealed.subject.clone(),
            record_types: vec![d.record_type],
            purpose: d.purpose.clone(),
            consent_id: d.consent.id.clone(),
            envelope_id: sealed.metadata.envelope_id,
            envelope_hash: sealed.envelope_hash,
            receipt: None,
        })
        .collect())
}

/// An entry to append, before the ledger gives it a sequence number and chains it (`seq`,
/// `prev_hash` and `entry_hash` are filled in by [`append_drafts`]).
pub(crate) fn draft(e: &NewEntry) -> Entry {
    Entry {
        seq: 0,
        time: e.time,
        direction: e.direction,
        counterparty: e.counterparty.clone(),
        subject_key: subject_key(&e.subject),
        record_types: e
            .record_types
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        purpose: e.purpose.as_str().to_owned(),
        consent_id: e.consent_id.clone(),
        envelope_id: e.envelope_id.0,
        envelope_hash: e.envelope_hash,
        prev_hash: [0; 32],
        entry_hash: [0; 32],
        receipt: e.receipt,
    }
}

/// Chains and inserts `drafts` after the ledger's head, inside the caller's write transaction:
/// refuses a ledger that does not reach its high-water mark, an envelope already recorded and
/// a regressed sender head, in that order.
pub(crate) fn append_drafts(
    tx: &Connection,
    mark_file: &Path,
    agency_id: &str,
    genesis: &[u8; 32],
    drafts: Vec<Entry>,
) -> Result<Vec<Entry>, LedgerError> {
    let (mut seq, mut prev) = head_in(tx, genesis)?;
    mark::reached(tx, mark_file, agency_id, genesis, seq)?;
    let mut out = Vec::with_capacity(drafts.len());
    for mut entry in drafts {
        // The unique indexes enforce the same; checking first gives the caller a typed error
        // rather than a constraint failure.
        if let Some(dup) = duplicate_in(tx, &entry)? {
            return Err(dup);
        }
        if let Some(r) = entry.receipt
            && let Some((head_seq, _)) = r.sender_head
        {
            sender_head_not_regressed(tx, &entry.counterparty, head_seq, Some(r.issued_at))?;
        }
        seq = seq
            .checked_add(1)
            .filter(|s| i64::try_from(*s).is_ok())
            .ok_or(LedgerError::InvalidEntry("the ledger is full"))?;
        entry.seq = seq;
        entry.prev_hash = prev;
        entry.entry_hash = entry.computed_hash();
        insert_entry(tx, &entry)?;
        prev = entry.entry_hash;
        out.push(entry);
    }
    Ok(out)
}

/// The entry recording the receipt of `r` (spec/ledger.md §2, §5.2): what
/// [`Ledger::record_received_with`] appends and [`Ledger::begin_received`] begins.
pub(crate) fn received_entry(
    r: &Received,
    time: u64,
    sender_head: Option<(u64, [u8; 32])>,
    issued_out_of_order: bool,
) -> NewEntry {
    let md = &r.metadata;
    NewEntry {
        time,
        direction: Direction::Received,
        counterparty: r.sender.agency_id.clone(),
        subject: r.subject.clone(),
        record_types: vec![md.disclosure.record_type],
        purpose: md.disclosure.purpose.clone(),
        consent_id: md.disclosure.consent.id.clone(),
        envelope_id: md.envelope_id,
        envelope_hash: r.envelope_hash,
        receipt: Some(Receipt {
            issued_at: md.issued_at,
            issued_out_of_order,
            sender_head,
        }),
    }
}

/// [`Ledger::check_sender_head`] on `conn`. With `issued_at`, only heads of envelopes issued
/// at or before it count: an envelope issued earlier that arrives later (delayed in transit)
/// legitimately carries a lower head (spec/ledger.md §5.2).
fn sender_head_not_regressed(
    conn: &Connection,
    sender: &str,
    seq: u64,
    issued_at: Option<u64>,
) -> Result<(), LedgerError> {
    let until = issued_at
        .and_then(|t| i64::try_from(t).ok())
        .unwrap_or(i64::MAX);
    let recorded: Option<i64> = conn
        .query_row(
            "SELECT max(sender_head_seq) FROM entries WHERE direction = 'received' \
             AND counterparty = ?1 AND (issued_at IS NULL OR issued_at <= ?2)",
            params![sender, until],
            |r| r.get(0),
        )
        .map_err(db("read the sender heads recorded"))?;
    match recorded.and_then(|r| u64::try_from(r).ok()) {
        Some(recorded) if seq < recorded => Err(LedgerError::SenderHeadRegressed {
            sender: sender.to_owned(),
            presented: seq,
            recorded,
        }),
        _ => Ok(()),
    }
}

impl SeenEnvelopes for Ledger {
    /// Whether an envelope with this id was already recorded as received.
    ///
    /// Fails closed: if the database cannot be read, the envelope is reported as seen, so
    /// `open` refuses it rather than releasing a possible replay. [`Ledger::append`] checks
    /// again (and a unique index enforces it) when the receipt is recorded.
    fn seen(&self, id: &EnvelopeId) -> bool {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM entries WHERE direction = 'received' \
                 AND envelope_id = ?1)",
                params![&id.0[..]],
                |r| r.get::<_, bool>(0),
            )
            .unwrap_or(true)
    }

    /// The latest issue time recorded from `sender` under `consent_id`
    /// ([`Ledger::latest_issued_at`]); `None` when the database cannot be read (the ordering
    /// flag is then not raised; the replay check above still fails closed).
    fn latest_issued_at(&self, sender: &str, consent_id: &str) -> Option<u64> {
        Ledger::latest_issued_at(self, sender, consent_id)
            .ok()
            .flatten()
    }
}

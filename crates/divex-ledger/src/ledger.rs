//! The SQLite-backed ledger.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use divex_core::consent::Subject;
use divex_core::envelope::{EnvelopeId, SeenEnvelopes};
use divex_core::keys::{AgencyKeys, SigningPublicKey, StatementSigner};
use divex_core::vocab::Vocabulary;
use divex_core::{Received, Sealed};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use crate::checkpoint::{Checkpoint, VerifyReport};
use crate::entry::{self, Direction, Entry, NewEntry, genesis_hash, subject_key};
use crate::error::{LedgerError, db, tampered};

/// `PRAGMA application_id` of a divex ledger: "dvxl".
const APPLICATION_ID: i32 = 0x6476_786c;
/// `PRAGMA user_version`: the schema this crate reads and writes.
pub(crate) const SCHEMA_VERSION: i64 = 1;
/// How long to wait for another process holding the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema. `STRICT` tables refuse values of the wrong type; `seq` is the rowid itself, so
/// a row's storage identity and its sequence number cannot disagree. The constraints stop
/// mistakes, not attackers (who can rebuild the tables): [`Ledger::verify`] assumes none of
/// them.
const SCHEMA: &str = "
CREATE TABLE ledger_meta (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    agency_id      TEXT NOT NULL,
    schema_version INTEGER NOT NULL
) STRICT;
CREATE TABLE entries (
    seq           INTEGER PRIMARY KEY,
    time          INTEGER NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
    counterparty  TEXT NOT NULL,
    subject_key   BLOB NOT NULL CHECK (length(subject_key) = 32),
    record_types  TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    consent_id    TEXT NOT NULL,
    envelope_id   BLOB NOT NULL CHECK (length(envelope_id) = 16),
    envelope_hash BLOB NOT NULL CHECK (length(envelope_hash) = 32),
    prev_hash     BLOB NOT NULL CHECK (length(prev_hash) = 32),
    entry_hash    BLOB NOT NULL CHECK (length(entry_hash) = 32)
) STRICT;
CREATE UNIQUE INDEX entries_received_once ON entries (envelope_id) WHERE direction = 'received';
CREATE UNIQUE INDEX entries_sent_once ON entries (envelope_id, counterparty) WHERE direction = 'sent';
CREATE INDEX entries_by_subject ON entries (subject_key, time);
CREATE TABLE checkpoints (
    id        INTEGER PRIMARY KEY,
    seq       INTEGER NOT NULL,
    head      BLOB NOT NULL CHECK (length(head) = 32),
    time      INTEGER NOT NULL,
    signature BLOB NOT NULL CHECK (length(signature) = 64)
) STRICT;
";

const ENTRY_COLUMNS: &str = "seq, time, direction, counterparty, subject_key, record_types, \
                             purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash";

/// An agency's disclosure ledger: one SQLite file per agency.
///
/// See the [crate documentation](crate) for the schema, the hash chain and what
/// [`Ledger::verify`] detects.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    agency_id: String,
    genesis: [u8; 32],
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
    /// An existing file must be a divex ledger of the same schema version, created for the
    /// same agency. The connection uses WAL journaling with `synchronous = FULL`: every
    /// committed entry survives a crash of the process or the machine, and an append
    /// interrupted at any point leaves the ledger as it was before it.
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
        let (app, mut version, objects) = read_header(&tx).map_err(|e| {
            if is_not_a_database(&e) {
                not_a_ledger("not an SQLite database")
            } else {
                db("read the ledger header")(e)
            }
        })?;
        match app {
            0 if objects == 0 => {
                tx.execute_batch(SCHEMA)
                    .map_err(db("create the ledger schema"))?;
                tx.pragma_update(None, "application_id", APPLICATION_ID)
                    .map_err(db("create the ledger schema"))?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                    .map_err(db("create the ledger schema"))?;
                tx.execute(
                    "INSERT INTO ledger_meta (id, agency_id, schema_version) VALUES (1, ?1, ?2)",
                    params![agency_id, SCHEMA_VERSION],
                )
                .map_err(db("create the ledger schema"))?;
                version = SCHEMA_VERSION;
            }
            APPLICATION_ID => {}
            _ => return Err(not_a_ledger("an SQLite database of another application")),
        }
        if version != SCHEMA_VERSION {
            return Err(LedgerError::UnsupportedSchema {
                found: version,
                supported: SCHEMA_VERSION,
            });
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

    /// Records one disclosure, in one `IMMEDIATE` transaction (read the head, chain, insert).
    ///
    /// A received envelope id already in the ledger is refused with
    /// [`LedgerError::Replay`]; a sent envelope already recorded for the same recipient
    /// with [`LedgerError::AlreadyRecorded`]. Nothing is written on error.
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
        let entries: Vec<NewEntry> = sealed
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
            })
            .collect();
        self.insert(&entries)
    }

    /// Records a received and released disclosure (sender, participant, record type, purpose
    /// and consent as the sender signed them). A second receipt of the same envelope is
    /// [`LedgerError::Replay`].
    pub fn record_received(&mut self, r: &Received, time: u64) -> Result<Entry, LedgerError> {
        let md = &r.metadata;
        self.append(&NewEntry {
            time,
            direction: Direction::Received,
            counterparty: r.sender.agency_id.clone(),
            subject: r.subject.clone(),
            record_types: vec![md.disclosure.record_type],
            purpose: md.disclosure.purpose.clone(),
            consent_id: md.disclosure.consent.id.clone(),
            envelope_id: md.envelope_id,
            envelope_hash: r.envelope_hash,
        })
    }

    /// Appends `new` in one transaction.
    fn insert(&mut self, new: &[NewEntry]) -> Result<Vec<Entry>, LedgerError> {
        for e in new {
            entry::validate(e)?;
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("start a write transaction"))?;
        let (mut seq, mut prev) = head_in(&tx, &self.genesis)?;
        let mut out = Vec::with_capacity(new.len());
        for e in new {
            // The unique indexes enforce the same; checking first gives the caller a typed
            // error rather than a constraint failure.
            if let Some(dup) = duplicate_in(&tx, e)? {
                return Err(dup);
            }
            seq = seq
                .checked_add(1)
                .filter(|s| i64::try_from(*s).is_ok())
                .ok_or(LedgerError::InvalidEntry("the ledger is full"))?;
            let mut entry = Entry {
                seq,
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
                prev_hash: prev,
                entry_hash: [0; 32],
            };
            entry.entry_hash = entry.computed_hash();
            insert_entry(&tx, &entry)?;
            prev = entry.entry_hash;
            out.push(entry);
        }
        tx.commit().map_err(db("commit the new entries"))?;
        Ok(out)
    }

    /// Signs the current head with the agency's key and stores the checkpoint.
    ///
    /// Checkpoint regularly (the CLI does after each batch): entries after the latest
    /// checkpoint are protected by the hash chain alone, which someone with write access to
    /// the file can recompute.
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
        let signature =
            keys.sign_message(&Checkpoint::to_be_signed(&self.agency_id, seq, &head, time));
        tx.execute(
            "INSERT INTO checkpoints (seq, head, time, signature) VALUES (?1, ?2, ?3, ?4)",
            params![sql_int(seq)?, &head[..], time_sql, &signature[..]],
        )
        .map_err(db("store the checkpoint"))?;
        tx.commit().map_err(db("store the checkpoint"))?;
        Ok(Checkpoint {
            seq,
            head,
            time,
            signature,
        })
    }

    /// Verifies the whole ledger against the agency's public signing key.
    ///
    /// Recomputes the chain from the genesis hash in `seq` order (never trusting the order
    /// SQLite returns rows in otherwise), checks every checkpoint's signature and that its
    /// head is the chain's hash at its `seq`. On the first problem, returns
    /// [`LedgerError::Tampered`] naming the lowest bad sequence number: an edited field (the
    /// entry's hash no longer matches), a deleted entry (the missing number), an inserted,
    /// reordered or renumbered entry (its `prev_hash` or hash does not match), a checkpoint
    /// with an invalid signature (its `seq`), a checkpoint whose head the chain no longer
    /// reaches (its `seq`: the rewrite is at or below it), or a ledger truncated below a
    /// checkpoint (the first missing entry).
    pub fn verify(&self, key: &SigningPublicKey) -> Result<VerifyReport, LedgerError> {
        // Read the checkpoints first, then the entries, in one read transaction (a
        // consistent snapshot even while another process appends).
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(db("start a read transaction"))?;
        check_agency(&tx, &self.agency_id).map_err(|e| match e {
            MetaError::Missing => tampered(0, "the ledger_meta row is missing"),
            MetaError::Other(e) => e,
        })?;

        // Checkpoints: decoded, sorted by seq; a malformed row is reported at its seq.
        let mut cps: Vec<(u64, Result<Checkpoint, String>)> = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT id, seq, head, time, signature FROM checkpoints ORDER BY seq, id")
                .map_err(db("read the checkpoints"))?;
            let mut rows = stmt.query([]).map_err(db("read the checkpoints"))?;
            while let Some(row) = rows.next().map_err(db("read the checkpoints"))? {
                cps.push(checkpoint_from_row(row));
            }
        }
        let needed: BTreeSet<u64> = cps.iter().map(|(s, _)| *s).collect();

        // The chain.
        let mut hashes: HashMap<u64, [u8; 32]> = HashMap::new();
        hashes.insert(0, self.genesis);
        let mut prev = self.genesis;
        let mut count: u64 = 0;
        let mut chain_error: Option<LedgerError> = None;
        {
            let mut stmt = tx
                .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY seq"))
                .map_err(db("read the entries"))?;
            let mut rows = stmt.query([]).map_err(db("read the entries"))?;
            while let Some(row) = rows.next().map_err(db("read the entries"))? {
                let expected = count.saturating_add(1);
                match check_link(row, expected, &prev) {
                    Ok(hash) => {
                        if needed.contains(&expected) {
                            hashes.insert(expected, hash);
                        }
                        prev = hash;
                        count = expected;
                    }
                    Err(e) => {
                        chain_error = Some(e);
                        break;
                    }
                }
            }
        }

        // Report the lowest bad seq: a checkpoint problem below the first chain problem wins.
        let limit = match &chain_error {
            Some(LedgerError::Tampered { seq, .. }) => *seq,
            _ => u64::MAX,
        };
        let mut anchored: u64 = 0; // the highest checkpoint found good so far
        for (cp_seq, cp) in &cps {
            if *cp_seq >= limit {
                break;
            }
            let cp = cp.as_ref().map_err(|r| tampered(*cp_seq, r.clone()))?;
            if cp.verify_signature(&self.agency_id, key).is_err() {
                return Err(tampered(
                    cp.seq,
                    format!(
                        "the checkpoint signed at entry {} does not verify under {}'s key \
                         (the checkpoint was altered, or this is not the agency's key)",
                        cp.seq, self.agency_id
                    ),
                ));
            }
            if cp.seq > count {
                return Err(tampered(
                    count.saturating_add(1),
                    format!(
                        "entries {}..={} are missing: the ledger ends at entry {count} but a \
                         signed checkpoint covers entry {} (the ledger was truncated)",
                        count.saturating_add(1),
                        cp.seq,
                        cp.seq
                    ),
                ));
            }
            if hashes.get(&cp.seq) != Some(&cp.head) {
                return Err(tampered(
                    cp.seq,
                    format!(
                        "the chain no longer reaches the head signed at entry {}: an entry \
                         between {} and {} was rewritten with recomputed hashes",
                        cp.seq,
                        anchored.saturating_add(1).min(cp.seq),
                        cp.seq
                    ),
                ));
            }
            anchored = cp.seq;
        }
        if let Some(e) = chain_error {
            return Err(e);
        }
        tx.finish().map_err(db("finish reading"))?;
        Ok(VerifyReport {
            entries: count,
            checkpoints: cps.len() as u64,
            head: prev,
            anchored_seq: anchored,
        })
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
            .prepare("SELECT id, seq, head, time, signature FROM checkpoints ORDER BY seq, id")
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
    /// fields in lower-case hex, `direction` as `"sent"`/`"received"`), then one line per
    /// checkpoint (`"type":"checkpoint"`, `seq`, `head`, `time`, `signature`). Keys are in
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
            line(m);
        }
        for c in &checkpoints {
            let mut m = Map::new();
            m.insert("type".into(), "checkpoint".into());
            m.insert("seq".into(), c.seq.into());
            m.insert("head".into(), hex::encode(c.head).into());
            m.insert("time".into(), c.time.into());
            m.insert("signature".into(), hex::encode(c.signature).into());
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
}

enum MetaError {
    Missing,
    Other(LedgerError),
}

/// Checks that the ledger_meta row names `agency_id`.
fn check_agency(conn: &Connection, agency_id: &str) -> Result<(), MetaError> {
    let found: Option<String> = conn
        .query_row("SELECT agency_id FROM ledger_meta WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| MetaError::Other(db("read the ledger header")(e)))?;
    match found {
        None => Err(MetaError::Missing),
        Some(found) if found == agency_id => Ok(()),
        Some(found) => Err(MetaError::Other(LedgerError::WrongAgency {
            expected: agency_id.to_owned(),
            found,
        })),
    }
}

/// The error recording `e` would be, if its envelope is already recorded: received at all
/// (a replay), or sent to the same recipient.
fn duplicate_in(conn: &Connection, e: &NewEntry) -> Result<Option<LedgerError>, LedgerError> {
    let envelope_id = e.envelope_id;
    let exists = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<bool, LedgerError> {
        conn.query_row(sql, p, |r| r.get(0))
            .map_err(db("check for an already recorded envelope"))
    };
    Ok(match e.direction {
        Direction::Received => exists(
            "SELECT EXISTS (SELECT 1 FROM entries WHERE direction = 'received' \
             AND envelope_id = ?1)",
            &[&&e.envelope_id.0[..]],
        )?
        .then_some(LedgerError::Replay { envelope_id }),
        Direction::Sent => exists(
            "SELECT EXISTS (SELECT 1 FROM entries WHERE direction = 'sent' \
             AND envelope_id = ?1 AND counterparty = ?2)",
            &[&&e.envelope_id.0[..], &e.counterparty],
        )?
        .then(|| LedgerError::AlreadyRecorded {
            envelope_id,
            counterparty: e.counterparty.clone(),
        }),
    })
}

fn sql_int(v: u64) -> Result<i64, LedgerError> {
    i64::try_from(v).map_err(|_| LedgerError::InvalidEntry("a number is too large to store"))
}

/// The last entry's (seq, entry_hash), or (0, genesis).
fn head_in(conn: &Connection, genesis: &[u8; 32]) -> Result<(u64, [u8; 32]), LedgerError> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, entry_hash FROM entries ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db("read the ledger head"))?;
    match row {
        None => Ok((0, *genesis)),
        Some((seq, hash)) => {
            let seq_u = u64::try_from(seq)
                .map_err(|_| tampered(0, format!("a row has sequence number {seq}")))?;
            let hash = <[u8; 32]>::try_from(hash.as_slice())
                .map_err(|_| tampered(seq_u, "the entry_hash column is not 32 bytes"))?;
            Ok((seq_u, hash))
        }
    }
}

fn insert_entry(conn: &Connection, e: &Entry) -> Result<(), LedgerError> {
    conn.execute(
        &format!(
            "INSERT INTO entries ({ENTRY_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        ),
        params![
            sql_int(e.seq)?,
            sql_int(e.time)?,
            e.direction.as_str(),
            e.counterparty,
            &e.subject_key[..],
            record_types_json(&e.record_types).to_string(),
            e.purpose,
            e.consent_id,
            &e.envelope_id[..],
            &e.envelope_hash[..],
            &e.prev_hash[..],
            &e.entry_hash[..],
        ],
    )
    .map_err(db("append an entry"))?;
    Ok(())
}

/// The `record_types` column: a compact JSON array of strings.
fn record_types_json(types: &[String]) -> serde_json::Value {
    serde_json::Value::Array(
        types
            .iter()
            .map(|t| serde_json::Value::String(t.clone()))
            .collect(),
    )
}

/// Checks one row of the chain walk: its seq is `expected`, it decodes, it links to `prev`
/// and its hash matches its fields. Returns its hash.
fn check_link(
    row: &rusqlite::Row<'_>,
    expected: u64,
    prev: &[u8; 32],
) -> Result<[u8; 32], LedgerError> {
    let (raw_seq, decoded) = entry_from_row(row);
    let Ok(seq) = u64::try_from(raw_seq) else {
        return Err(tampered(
            0,
            format!(
                "a row has sequence number {raw_seq}; sequence numbers start at 1 (an inserted row)"
            ),
        ));
    };
    if seq < expected {
        return Err(tampered(
            seq,
            if seq == 0 {
                "a row has sequence number 0; sequence numbers start at 1 (an inserted row)"
                    .to_owned()
            } else {
                format!("a second entry has sequence number {seq} (an inserted row)")
            },
        ));
    }
    if seq > expected {
        return Err(tampered(
            expected,
            format!(
                "entry {expected} is missing (the next entry present is {seq}): an entry was deleted"
            ),
        ));
    }
    let e = decoded.map_err(|r| tampered(seq, r))?;
    if &e.prev_hash != prev {
        return Err(tampered(
            seq,
            if seq == 1 {
                "its prev_hash is not this agency's genesis hash".to_owned()
            } else {
                format!(
                    "its prev_hash is not the hash of entry {}: an entry was deleted, inserted \
                     or moved here, or prev_hash was edited",
                    seq.saturating_sub(1)
                )
            },
        ));
    }
    if e.computed_hash() != e.entry_hash {
        return Err(tampered(
            seq,
            "its fields do not match its entry_hash: a field was edited, or the entry was \
             renumbered",
        ));
    }
    Ok(e.entry_hash)
}

fn col_int(row: &rusqlite::Row<'_>, i: usize, name: &str) -> Result<i64, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Ok(v),
        _ => Err(format!("the {name} column is not an integer")),
    }
}

fn col_u64(row: &rusqlite::Row<'_>, i: usize, name: &str) -> Result<u64, String> {
    u64::try_from(col_int(row, i, name)?).map_err(|_| format!("the {name} column is negative"))
}

fn col_text(row: &rusqlite::Row<'_>, i: usize, name: &str) -> Result<String, String> {
    match row.get_ref(i) {
        Ok(ValueRef::Text(b)) => std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| format!("the {name} column is not valid UTF-8")),
        _ => Err(format!("the {name} column is not text")),
    }
}

fn col_blob<const N: usize>(
    row: &rusqlite::Row<'_>,
    i: usize,
    name: &str,
) -> Result<[u8; N], String> {
    match row.get_ref(i) {
        Ok(ValueRef::Blob(b)) => <[u8; N]>::try_from(b)
            .map_err(|_| format!("the {name} column is {} bytes, not {N}", b.len())),
        _ => Err(format!("the {name} column is not a byte string")),
    }
}

/// Decodes an `entries` row selected with [`ENTRY_COLUMNS`]: the raw seq, and the entry or
/// what is malformed in it.
fn entry_from_row(row: &rusqlite::Row<'_>) -> (i64, Result<Entry, String>) {
    let seq = match col_int(row, 0, "seq") {
        Ok(s) => s,
        Err(r) => return (0, Err(r)),
    };
    let decode = || -> Result<Entry, String> {
        let direction = col_text(row, 2, "direction")?;
        let record_types = col_text(row, 5, "record_types")?;
        Ok(Entry {
            seq: u64::try_from(seq).map_err(|_| "the seq column is negative".to_owned())?,
            time: col_u64(row, 1, "time")?,
            direction: Direction::parse(&direction).ok_or_else(|| {
                "the direction column is neither 'sent' nor 'received'".to_owned()
            })?,
            counterparty: col_text(row, 3, "counterparty")?,
            subject_key: col_blob(row, 4, "subject_key")?,
            record_types: parse_record_types(&record_types)?,
            purpose: col_text(row, 6, "purpose")?,
            consent_id: col_text(row, 7, "consent_id")?,
            envelope_id: col_blob(row, 8, "envelope_id")?,
            envelope_hash: col_blob(row, 9, "envelope_hash")?,
            prev_hash: col_blob(row, 10, "prev_hash")?,
            entry_hash: col_blob(row, 11, "entry_hash")?,
        })
    };
    (seq, decode())
}

/// Parses the `record_types` column, which must be exactly what the ledger writes.
fn parse_record_types(s: &str) -> Result<Vec<String>, String> {
    const BAD: &str = "the record_types column is not a JSON array of strings as divex writes it";
    let v: serde_json::Value = serde_json::from_str(s).map_err(|_| BAD.to_owned())?;
    let types = v
        .as_array()
        .ok_or(BAD)?
        .iter()
        .map(|t| t.as_str().map(str::to_owned).ok_or(BAD))
        .collect::<Result<Vec<String>, _>>()?;
    // Exactly the bytes divex writes: no whitespace, escaping or order variants.
    let canonical = record_types_json(&types).to_string();
    if canonical.as_str() != s {
        return Err(BAD.to_owned());
    }
    Ok(types)
}

/// Decodes a `checkpoints` row: its seq (0 if unreadable) and the checkpoint.
fn checkpoint_from_row(row: &rusqlite::Row<'_>) -> (u64, Result<Checkpoint, String>) {
    let seq = col_u64(row, 1, "checkpoint seq");
    let seq_or_zero = seq.clone().unwrap_or(0);
    let decode = || -> Result<Checkpoint, String> {
        Ok(Checkpoint {
            seq: seq?,
            head: col_blob(row, 2, "checkpoint head")?,
            time: col_u64(row, 3, "checkpoint time")?,
            signature: col_blob(row, 4, "checkpoint signature")?,
        })
    };
    (
        seq_or_zero,
        decode().map_err(|r| format!("a checkpoint row is malformed: {r}")),
    )
}

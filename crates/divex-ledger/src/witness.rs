//! Witnessed heads (spec/ledger.md §5.3): a counterparty's ledger records, with every
//! disclosure it received, the sender's own signed statement of its ledger head at that time;
//! checked against the sender's ledger, those heads prove a truncation or a rewrite even when
//! the sender re-signed its checkpoints and mark with its own keys.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::entry::{Direction, Entry, genesis_hash};
use crate::error::{LedgerError, db, tampered};
use crate::ledger::Ledger;
use crate::mark;
use crate::rows::{ENTRY_COLUMNS, check_link, entry_from_row};
use crate::schema::{APPLICATION_ID, SCHEMA_VERSION};

/// What [`Ledger::verify_witnessed`] found: the heads of this ledger a counterparty recorded,
/// how far they prove the ledger, and every discrepancy that is not a proof of tampering.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WitnessReport {
    /// The witness: the agency whose ledger was read.
    pub witness: String,
    /// How many heads of this ledger the witness recorded (one per disclosure it received from
    /// this agency in an envelope carrying the sender's head).
    pub heads: u64,
    /// The highest entry a witnessed head covers: entries `1..=proved_seq` are as they were
    /// when this agency disclosed to the witness (0 if the witness recorded no head).
    pub proved_seq: u64,
    /// What does not match but proves nothing by itself, in the order found.
    pub discrepancies: Vec<Discrepancy>,
}

/// A difference between a ledger and its witness that is reported, not refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Discrepancy {
    /// This ledger records a disclosure to the witness at entry `seq`, covered by a witnessed
    /// head, that the witness did not record as received: lost in transit, not opened yet, or
    /// refused by the witness.
    NotReceived {
        /// The sent entry.
        seq: u64,
        /// Its envelope id.
        envelope_id: [u8; 16],
    },
    /// The witness recorded (its entry `witness_seq`) an envelope from this agency that this
    /// ledger does not record as sent to it: a disclosure this ledger does not account for.
    NotRecordedAsSent {
        /// The witness's received entry.
        witness_seq: u64,
        /// The envelope id.
        envelope_id: [u8; 16],
    },
}

impl Discrepancy {
    /// A stable name for the kind: `not_received` or `not_recorded_as_sent`.
    pub fn kind(&self) -> &'static str {
        match self {
            Discrepancy::NotReceived { .. } => "not_received",
            Discrepancy::NotRecordedAsSent { .. } => "not_recorded_as_sent",
        }
    }
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Discrepancy::NotReceived { seq, envelope_id } => write!(
                f,
                "entry {seq} (envelope {}) was sent to the witness, which has not recorded it as received (lost in transit, not opened yet, or refused)",
                hex::encode(envelope_id)
            ),
            Discrepancy::NotRecordedAsSent {
                witness_seq,
                envelope_id,
            } => write!(
                f,
                "the witness recorded receiving envelope {} from this agency (its entry {witness_seq}), which this ledger does not record as sent to it",
                hex::encode(envelope_id)
            ),
        }
    }
}

impl Ledger {
    /// Opens an existing ledger of any agency **read-only**, for use as a witness
    /// ([`Ledger::verify_witnessed`]): nothing is created, migrated or written, and the agency
    /// is the one the file names. The file must be a divex ledger of schema 2 (a schema 1
    /// file records no sender heads; it becomes schema 2 when its own agency next opens it).
    pub fn open_read_only(path: &Path) -> Result<Ledger, LedgerError> {
        let not_a_ledger = |reason| LedgerError::NotALedger {
            path: path.to_owned(),
            reason,
        };
        if !path.is_file() {
            return Err(not_a_ledger("there is no file"));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db("open the ledger file"))?;
        let header = || -> rusqlite::Result<(i32, i64)> {
            Ok((
                conn.query_row("PRAGMA application_id", [], |r| r.get(0))?,
                conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
            ))
        };
        let (app, version) = header().map_err(|_| not_a_ledger("not an SQLite database"))?;
        if app != APPLICATION_ID {
            return Err(not_a_ledger("not a divex ledger"));
        }
        if version != SCHEMA_VERSION {
            return Err(LedgerError::UnsupportedSchema {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let agency_id: String = conn
            .query_row("SELECT agency_id FROM ledger_meta WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db("read the ledger header"))?
            .ok_or_else(|| not_a_ledger("its ledger_meta row is missing"))?;
        if agency_id.is_empty() || agency_id.contains('\0') {
            return Err(not_a_ledger(
                "its agency id is empty or contains a NUL character",
            ));
        }
        Ok(Ledger {
            conn,
            path: path.to_owned(),
            mark: mark::mark_path(path),
            genesis: genesis_hash(&agency_id),
            agency_id,
        })
    }

    /// Cross-checks this ledger against `witness`, another agency's ledger (spec/ledger.md
    /// §5.3): for every disclosure the witness received from this agency with the sender's
    /// head `(s, h)`, this ledger must hold entry `s` with hash `h`.
    ///
    /// * A head beyond this ledger's last entry is [`LedgerError::Truncated`] (naming the
    ///   highest such head), even if the agency re-signed its checkpoints and mark after
    ///   truncating: the head was signed in an envelope the witness holds.
    /// * A head whose entry has another hash is [`LedgerError::Forked`], naming the range
    ///   between the highest head below it that matches and it.
    /// * Otherwise the report says how far the heads prove this ledger, and lists the
    ///   [`Discrepancy`]s: disclosures to the witness covered by a head that the witness did
    ///   not record, and envelopes the witness recorded from this agency that this ledger does
    ///   not record as sent.
    ///
    /// Both chains must be intact (`Tampered` otherwise; for the witness's, the reason names
    /// it). Run [`Ledger::verify`] first for this ledger's own checkpoints and mark.
    pub fn verify_witnessed(&self, witness: &Ledger) -> Result<WitnessReport, LedgerError> {
        let mine = self.chain()?;
        let theirs = witness.chain().map_err(|e| match e {
            LedgerError::Tampered { seq, reason } => tampered(
                seq,
                format!("in the witness ledger of {}: {reason}", witness.agency_id),
            ),
            other => other,
        })?;
        let from_me: Vec<&Entry> = theirs
            .iter()
            .filter(|e| e.direction == Direction::Received && e.counterparty == self.agency_id)
            .collect();
        let mut heads: Vec<(u64, [u8; 32])> = from_me
            .iter()
            .filter_map(|e| e.receipt.and_then(|r| r.sender_head))
            .collect();
        heads.sort_unstable();
        heads.dedup();

        let present = mine.len() as u64;
        let hash_at = |s: u64| -> Option<[u8; 32]> {
            if s == 0 {
                Some(self.genesis)
            } else {
                usize::try_from(s - 1)
                    .ok()
                    .and_then(|i| mine.get(i))
                    .map(|e| e.entry_hash)
            }
        };
        let mut matched: u64 = 0;
        for &(s, h) in &heads {
            if s > present {
                break;
            }
            if hash_at(s) != Some(h) {
                return Err(LedgerError::Forked {
                    agency_id: self.agency_id.clone(),
                    from: matched.saturating_add(1).min(s),
                    seq: s,
                    witness: Some(witness.agency_id.clone()),
                });
            }
            matched = s;
        }
        if let Some(&(s, _)) = heads.last().filter(|(s, _)| *s > present) {
            return Err(LedgerError::Truncated {
                agency_id: self.agency_id.clone(),
                present,
                seq: s,
                witness: witness.agency_id.clone(),
            });
        }

        let received: BTreeSet<[u8; 16]> = from_me.iter().map(|e| e.envelope_id).collect();
        let sent: BTreeSet<[u8; 16]> = mine
            .iter()
            .filter(|e| e.direction == Direction::Sent && e.counterparty == witness.agency_id)
            .map(|e| e.envelope_id)
            .collect();
        let mut discrepancies: Vec<Discrepancy> = mine
            .iter()
            .filter(|e| {
                e.direction == Direction::Sent
                    && e.counterparty == witness.agency_id
                    && e.seq <= matched
                    && !received.contains(&e.envelope_id)
            })
            .map(|e| Discrepancy::NotReceived {
                seq: e.seq,
                envelope_id: e.envelope_id,
            })
            .collect();
        discrepancies.extend(
            from_me
                .iter()
                .filter(|e| !sent.contains(&e.envelope_id))
                .map(|e| Discrepancy::NotRecordedAsSent {
                    witness_seq: e.seq,
                    envelope_id: e.envelope_id,
                }),
        );
        Ok(WitnessReport {
            witness: witness.agency_id.clone(),
            heads: heads.len() as u64,
            proved_seq: matched,
            discrepancies,
        })
    }

    /// Every entry in `seq` order, the chain checked from the genesis hash (as
    /// [`Ledger::verify`] checks it, without checkpoints or mark), in one read transaction.
    fn chain(&self) -> Result<Vec<Entry>, LedgerError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(db("start a read transaction"))?;
        let mut out = Vec::new();
        {
            let mut stmt = tx
                .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM entries ORDER BY seq"))
                .map_err(db("read the entries"))?;
            let mut rows = stmt.query([]).map_err(db("read the entries"))?;
            let mut prev = self.genesis;
            while let Some(row) = rows.next().map_err(db("read the entries"))? {
                let expected = (out.len() as u64).saturating_add(1);
                prev = check_link(row, expected, &prev)?;
                let (_, e) = entry_from_row(row);
                out.push(e.map_err(|r| tampered(expected, r))?);
            }
        }
        tx.finish().map_err(db("finish reading"))?;
        Ok(out)
    }
}

//! Verification: the hash chain, every checkpoint judged at its own time (spec/ledger.md §3.2),
//! and the high-water mark (§4).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use divex_core::directory::Directory;
use divex_core::keys::{KeyId, SigningPublicKey};

use crate::checkpoint::{Checkpoint, VerifyReport};
use crate::error::{LedgerError, db, tampered};
use crate::head::{self, Refusal, SignedHead};
use crate::ledger::Ledger;
use crate::mark;
use crate::rows::checkpoint_from_row;
use crate::rows::{CHECKPOINT_COLUMNS, ENTRY_COLUMNS, MetaError, check_agency, check_link};

/// What vouches for the agency's signatures.
#[derive(Clone, Copy)]
enum Trust<'a> {
    /// The directory: each signature under the key certified at its own time.
    Directory(&'a Directory),
    /// One key, for every signature (the v1 rule; no mark required).
    Key(&'a SigningPublicKey),
}

impl Ledger {
    /// Verifies the whole ledger against the agency's certificates in `directory`
    /// (spec/ledger.md §3.2, §4).
    ///
    /// * **The chain**: recomputed from the genesis hash in `seq` order (never trusting the
    ///   order SQLite returns rows in otherwise). An edited field, a deleted entry (the missing
    ///   number), an inserted, reordered or renumbered entry is [`LedgerError::Tampered`]
    ///   naming the lowest bad sequence number.
    /// * **Every checkpoint at its own time**: signed with a key certified for the agency *at
    ///   the checkpoint's time* (a certificate that has since expired or been revoked
    ///   `superseded` still vouches for it, so a key rotation never invalidates history), under
    ///   its own kid (a v1 checkpoint, without kid, under whichever of the agency's keys
    ///   verifies it). A bad signature is `Tampered` at its `seq`; a checkpoint dated at or
    ///   after a `key_compromise` revocation of its key is [`LedgerError::SignerCompromised`];
    ///   a checkpoint beyond the last entry is [`LedgerError::RolledBack`] naming the missing
    ///   entries; one whose head the chain no longer reaches is [`LedgerError::Forked`].
    /// * **The high-water mark** (`<ledger>.head`): it must verify the same way
    ///   ([`LedgerError::HeadMarkInvalid`], `SignerCompromised`), the ledger must hold its
    ///   entry with its hash (`RolledBack`, `Forked`), and a ledger with entries must have one
    ///   ([`LedgerError::HeadMarkMissing`]).
    ///
    /// Chain and checkpoint problems are reported first, the lowest `seq` winning, then the
    /// mark's.
    pub fn verify(&self, directory: &Directory) -> Result<VerifyReport, LedgerError> {
        self.verify_under(Trust::Directory(directory))
    }

    /// Adopts the ledger's current head as its high-water mark: verifies the ledger as
    /// [`Ledger::verify`] does, except that a missing mark is allowed, then signs a checkpoint
    /// (which writes the mark).
    ///
    /// For a ledger that has entries but no mark: one written by a divex before the mark
    /// existed (schema 1), or restored from a backup whose mark was lost. It takes the
    /// agency's keys, so an insider without them cannot use it to bless a rollback; whatever
    /// was removed before it runs is then only provable by the counterparties (§5). A mark
    /// that exists must verify and be reached, as always.
    pub fn adopt(
        &mut self,
        keys: &divex_core::keys::AgencyKeys,
        directory: &Directory,
        time: u64,
    ) -> Result<Checkpoint, LedgerError> {
        match self.verify(directory) {
            Ok(_) | Err(LedgerError::HeadMarkMissing { .. }) => self.checkpoint(keys, time),
            Err(e) => Err(e),
        }
    }

    /// Verifies the chain and every checkpoint under one signing key, as ledger v1 did: for a
    /// caller that has the agency's key but no directory (the bindings).
    ///
    /// Every checkpoint must verify under `key` (so a ledger whose agency rotated its keys
    /// fails: use [`Ledger::verify`]), and the high-water mark, when there is one, must verify
    /// under `key` and be reached; a ledger without mark is accepted.
    pub fn verify_with_key(&self, key: &SigningPublicKey) -> Result<VerifyReport, LedgerError> {
        self.verify_under(Trust::Key(key))
    }

    /// Checks that a ledger that does not exist yet at `path` (no file, or an empty one) may be
    /// created for `agency_id`: no high-water mark beside it says the agency's ledger had
    /// entries. A mark that verifies (under `directory`, as [`Ledger::verify`] checks it) and
    /// covers an entry is [`LedgerError::RolledBack`]: the ledger file was deleted or emptied.
    ///
    /// Call it instead of opening when a command must not create the file before it knows it
    /// may (the CLI does, so that a refused command writes nothing).
    pub fn check_new(
        path: &Path,
        agency_id: &str,
        directory: &Directory,
    ) -> Result<(), LedgerError> {
        let Some(m) = mark::load(&mark::mark_path(path), agency_id)? else {
            return Ok(());
        };
        judge_mark(Trust::Directory(directory), &m)?;
        if m.seq > 0 {
            return Err(LedgerError::RolledBack {
                agency_id: agency_id.to_owned(),
                present: 0,
                signed: m.seq,
            });
        }
        if m.head != crate::entry::genesis_hash(agency_id) {
            return Err(LedgerError::Forked {
                agency_id: agency_id.to_owned(),
                from: 0,
                seq: 0,
                witness: None,
            });
        }
        Ok(())
    }

    fn verify_under(&self, trust: Trust<'_>) -> Result<VerifyReport, LedgerError> {
        // The mark first, then the database snapshot: a mark is written only after the head
        // it covers was committed, so the snapshot taken afterwards holds that head.
        // (Its own problems are reported after the chain's and the checkpoints'.)
        let mark = self.high_water_mark();
        let mark_needed = mark.as_ref().ok().and_then(|m| m.as_ref().map(|m| m.seq));
        // Checkpoints, then entries, in one read transaction (a consistent snapshot even
        // while another process appends).
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
                .prepare(&format!(
                    "SELECT {CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY seq, id"
                ))
                .map_err(db("read the checkpoints"))?;
            let mut rows = stmt.query([]).map_err(db("read the checkpoints"))?;
            while let Some(row) = rows.next().map_err(db("read the checkpoints"))? {
                cps.push(checkpoint_from_row(row));
            }
        }
        let mut needed: BTreeSet<u64> = cps.iter().map(|(s, _)| *s).collect();
        needed.extend(mark_needed);

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
        let mut keys: Vec<KeyId> = Vec::new();
        for (cp_seq, cp) in &cps {
            if *cp_seq >= limit {
                break;
            }
            let cp = cp.as_ref().map_err(|r| tampered(*cp_seq, r.clone()))?;
            let kid = self.judge_checkpoint(trust, cp)?;
            if !keys.contains(&kid) {
                keys.push(kid);
            }
            if cp.seq > count {
                return Err(LedgerError::RolledBack {
                    agency_id: self.agency_id.clone(),
                    present: count,
                    signed: cp.seq,
                });
            }
            if hashes.get(&cp.seq) != Some(&cp.head) {
                return Err(LedgerError::Forked {
                    agency_id: self.agency_id.clone(),
                    from: anchored.saturating_add(1).min(cp.seq),
                    seq: cp.seq,
                    witness: None,
                });
            }
            anchored = cp.seq;
        }
        if let Some(e) = chain_error {
            return Err(e);
        }
        tx.finish().map_err(db("finish reading"))?;

        // The high-water mark.
        let marked_seq = match &mark? {
            None if count > 0 && matches!(trust, Trust::Directory(_)) => {
                return Err(LedgerError::HeadMarkMissing {
                    agency_id: self.agency_id.clone(),
                    entries: count,
                    mark: self.mark.clone(),
                });
            }
            None => 0,
            Some(m) => {
                judge_mark(trust, m)?;
                if m.seq > count {
                    return Err(LedgerError::RolledBack {
                        agency_id: self.agency_id.clone(),
                        present: count,
                        signed: m.seq,
                    });
                }
                if hashes.get(&m.seq) != Some(&m.head) {
                    return Err(LedgerError::Forked {
                        agency_id: self.agency_id.clone(),
                        from: if anchored < m.seq { anchored + 1 } else { 1 },
                        seq: m.seq,
                        witness: None,
                    });
                }
                m.seq
            }
        };
        Ok(VerifyReport {
            entries: count,
            checkpoints: cps.len() as u64,
            head: prev,
            anchored_seq: anchored,
            marked_seq,
            keys,
        })
    }

    /// The kid a checkpoint is verified under, or why it is not valid evidence.
    fn judge_checkpoint(&self, trust: Trust<'_>, cp: &Checkpoint) -> Result<KeyId, LedgerError> {
        let agency = &self.agency_id;
        let verifies = |k: &SigningPublicKey| cp.verify_signature(agency, k).is_ok();
        let judged = match (trust, cp.kid) {
            (Trust::Key(key), _) => {
                if verifies(key) {
                    return Ok(key.kid());
                }
                return Err(tampered(
                    cp.seq,
                    format!(
                        "the checkpoint signed at entry {} does not verify under {agency}'s key \
                         (the checkpoint was altered, or this is not the agency's key)",
                        cp.seq
                    ),
                ));
            }
            (Trust::Directory(d), Some(kid)) => {
                head::judge(d, agency, &kid, cp.time, verifies).map(|()| kid)
            }
            (Trust::Directory(d), None) => head::judge_without_kid(d, agency, cp.time, verifies),
        };
        judged.map_err(|r| match r {
            Refusal::Compromised { kid, at } => LedgerError::SignerCompromised {
                agency_id: agency.clone(),
                seq: cp.seq,
                kid,
                compromised_at: at,
                time: cp.time,
            },
            Refusal::Invalid(reason) => tampered(
                cp.seq,
                format!(
                    "the checkpoint signed at entry {} does not verify: {reason} (the checkpoint \
                     was altered or forged)",
                    cp.seq
                ),
            ),
        })
    }
}

/// Checks the high-water mark's signature (spec/ledger.md §4 rule 1).
fn judge_mark(trust: Trust<'_>, m: &SignedHead) -> Result<(), LedgerError> {
    let invalid = |reason: String| LedgerError::HeadMarkInvalid {
        agency_id: m.agency_id.clone(),
        reason,
    };
    match trust {
        Trust::Key(key) if m.verify_signature(key) => Ok(()),
        Trust::Key(_) => Err(invalid("it does not verify under the given key".into())),
        Trust::Directory(d) => head::judge(d, &m.agency_id, &m.kid, m.time, |k| {
            m.verify_signature(k)
        })
        .map_err(|r| match r {
            Refusal::Compromised { kid, at } => LedgerError::SignerCompromised {
                agency_id: m.agency_id.clone(),
                seq: m.seq,
                kid,
                compromised_at: at,
                time: m.time,
            },
            Refusal::Invalid(reason) => invalid(reason),
        }),
    }
}

//! Witnessed heads, ledger side (spec/ledger.md §5.2, §5.3) and the memory of issue times
//! (spec/consent.md §8.3): a recipient records the sender's head with each disclosure and
//! refuses one that went backwards; the recipient's ledger then proves a truncation or a
//! rewrite of the sender's ledger even after the sender re-signed its own checkpoints and
//! mark.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use divex_core::error::{Classified, ErrorCategory};
use divex_ledger::{Direction, Discrepancy, Ledger, LedgerError, NewEntry, Receipt};

const COURT: &str = "superior-court";

/// The sender (the treatment provider) and the witness (the court), each with its ledger.
struct Pair {
    _dir: tempfile::TempDir,
    sender_path: PathBuf,
    sender: Ledger,
    witness_path: PathBuf,
    witness: Ledger,
}

fn pair() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let sender_path = dir.path().join("provider.ledger");
    let witness_path = dir.path().join("court.ledger");
    Pair {
        sender: Ledger::open(&sender_path, AGENCY).unwrap(),
        witness: Ledger::open(&witness_path, COURT).unwrap(),
        sender_path,
        witness_path,
        _dir: dir,
    }
}

/// The witness's receipt of envelope `i` from the sender, with the sender's head `head`.
fn receipt_of(i: u64, head: Option<(u64, [u8; 32])>) -> NewEntry {
    NewEntry {
        direction: Direction::Received,
        counterparty: AGENCY.into(),
        receipt: Some(Receipt {
            issued_at: T0 + i,
            issued_out_of_order: false,
            sender_head: head,
        }),
        ..entry(i)
    }
}

impl Pair {
    /// The sender discloses envelope `i` to the court (its head taken before it records the
    /// disclosure, as the envelope carries it), checkpoints, and the court records the receipt.
    fn disclose(&mut self, i: u64) {
        let head = self.sender.head().unwrap();
        self.sender.append(&self.sent(i)).unwrap();
        self.sender.checkpoint(&keys(), T0 + i * DAY).unwrap();
        self.witness.append(&receipt_of(i, Some(head))).unwrap();
    }

    fn sent(&self, i: u64) -> NewEntry {
        NewEntry {
            direction: Direction::Sent,
            counterparty: COURT.into(),
            ..entry(i)
        }
    }

    /// What an operator with the sender's keys does after editing the file: delete every
    /// checkpoint and the mark, then adopt the edited ledger's head with the agency's keys.
    fn re_sign(&mut self) {
        raw(&self.sender_path)
            .execute("DELETE FROM checkpoints", [])
            .unwrap();
        std::fs::remove_file(self.sender.mark_path()).unwrap();
        self.sender
            .adopt(&keys(), &directory(), T0 + 100 * DAY)
            .unwrap();
        verify(&self.sender).expect("the sender's own verification is satisfied");
    }
}

/// Rewrites entries `from..` of the ledger at `path` with `change` applied, recomputing every
/// hash from there on (what someone with write access and the hash definition can do).
fn rewrite(path: &Path, l: &Ledger, change: impl Fn(&mut divex_ledger::Entry)) {
    let mut entries = l.entries().unwrap();
    let c = raw(path);
    for i in 0..entries.len() {
        if i == 1 {
            change(&mut entries[i]);
        }
        if i > 0 {
            entries[i].prev_hash = entries[i - 1].entry_hash;
        }
        entries[i].entry_hash = entries[i].computed_hash();
        c.execute(
            "UPDATE entries SET counterparty = ?1, prev_hash = ?2, entry_hash = ?3 WHERE seq = ?4",
            rusqlite::params![
                entries[i].counterparty,
                &entries[i].prev_hash[..],
                &entries[i].entry_hash[..],
                entries[i].seq as i64
            ],
        )
        .unwrap();
    }
}

#[test]
fn an_honest_sender_is_proved_by_its_witness() {
    let mut p = pair();
    for i in 1..=3 {
        p.disclose(i);
    }
    let r = p.sender.verify_witnessed(&p.witness).unwrap();
    assert_eq!(r.witness, COURT);
    assert_eq!((r.heads, r.proved_seq), (3, 2));
    assert!(r.discrepancies.is_empty(), "{:?}", r.discrepancies);
    // The witness's entries keep what they recorded.
    let got = p.witness.entries().unwrap();
    assert_eq!(got[2].receipt.unwrap().sender_head.unwrap().0, 2);
    verify(&p.witness).expect_err("the court never checkpointed");
    p.witness.checkpoint(&other_keys(), T0 + 9 * DAY).unwrap();
    p.witness.verify(&directory()).unwrap();
}

#[test]
fn a_truncation_re_signed_with_the_senders_own_keys_is_proved_by_the_witness() {
    let mut p = pair();
    for i in 1..=3 {
        p.disclose(i);
    }
    // Entries 2 and 3 (the disclosures of envelopes 2 and 3) removed, the ledger re-signed.
    raw(&p.sender_path)
        .execute("DELETE FROM entries WHERE seq >= 2", [])
        .unwrap();
    p.re_sign();
    match p.sender.verify_witnessed(&p.witness) {
        Err(
            e @ LedgerError::Truncated {
                present: 1, seq: 2, ..
            },
        ) => {
            let m = e.to_string();
            assert!(m.contains("entries 2..=2") && m.contains(COURT), "{m}");
            assert_eq!(
                (e.category(), e.class()),
                (ErrorCategory::Ledger, "truncated")
            );
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn a_rewrite_re_signed_with_the_senders_own_keys_is_proved_by_the_witness() {
    let mut p = pair();
    for i in 1..=3 {
        p.disclose(i);
    }
    rewrite(&p.sender_path, &p.sender, |e| {
        e.counterparty = "probation".into()
    });
    p.re_sign();
    match p.sender.verify_witnessed(&p.witness) {
        Err(
            e @ LedgerError::Forked {
                from: 2, seq: 2, ..
            },
        ) => {
            assert!(e.to_string().contains(COURT), "{e}");
        }
        other => panic!("expected Forked, got {other:?}"),
    }
}

#[test]
fn discrepancies_are_reported_not_refused() {
    let mut p = pair();
    p.disclose(1);
    // Sent but never recorded by the court (lost, or not opened yet), then a later disclosure.
    p.sender.append(&p.sent(2)).unwrap();
    p.disclose(3);
    // The court holds an envelope from the provider that the provider does not record.
    p.witness.append(&receipt_of(9, None)).unwrap();
    let r = p.sender.verify_witnessed(&p.witness).unwrap();
    assert_eq!(r.proved_seq, 2);
    assert_eq!(
        r.discrepancies,
        vec![
            Discrepancy::NotReceived {
                seq: 2,
                envelope_id: entry(2).envelope_id.0
            },
            Discrepancy::NotRecordedAsSent {
                witness_seq: 3,
                envelope_id: entry(9).envelope_id.0
            },
        ]
    );
    assert_eq!(r.discrepancies[1].kind(), "not_recorded_as_sent");
    // A disclosure removed with everything after it, before any later head left the
    // sender: no head proves it, but the envelope the court holds is reported.
    let mut p = pair();
    p.disclose(1);
    p.disclose(2);
    raw(&p.sender_path)
        .execute("DELETE FROM entries WHERE seq = 2", [])
        .unwrap();
    p.re_sign();
    let r = p.sender.verify_witnessed(&p.witness).unwrap();
    assert_eq!(
        r.discrepancies,
        vec![Discrepancy::NotRecordedAsSent {
            witness_seq: 2,
            envelope_id: entry(2).envelope_id.0
        }]
    );
}

#[test]
fn a_tampered_witness_is_no_proof() {
    let mut p = pair();
    p.disclose(1);
    p.disclose(2);
    raw(&p.witness_path)
        .execute("UPDATE entries SET sender_head_seq = 7 WHERE seq = 2", [])
        .unwrap();
    match p.sender.verify_witnessed(&p.witness) {
        Err(LedgerError::Tampered { seq: 2, reason }) => {
            assert!(
                reason.contains("witness ledger of superior-court"),
                "{reason}"
            )
        }
        other => panic!("expected Tampered, got {other:?}"),
    }
}

#[test]
fn a_sender_head_that_goes_backwards_is_refused() {
    let mut p = pair();
    let h = |s: u64| Some((s, [s as u8; 32]));
    p.witness.append(&receipt_of(1, h(5))).unwrap();
    p.witness.check_sender_head(AGENCY, 5).unwrap();
    p.witness.check_sender_head(AGENCY, 6).unwrap();
    let e = p.witness.check_sender_head(AGENCY, 4).unwrap_err();
    assert_eq!(
        (e.category(), e.class()),
        (ErrorCategory::Disclosure, "sender_head_regressed")
    );
    assert!(
        e.to_string().contains("entry 4") && e.to_string().contains("entry 5"),
        "{e}"
    );
    match p.witness.append(&receipt_of(2, h(4))) {
        Err(LedgerError::SenderHeadRegressed {
            presented: 4,
            recorded: 5,
            ..
        }) => {}
        other => panic!("expected SenderHeadRegressed, got {other:?}"),
    }
    assert_eq!(p.witness.head().unwrap().0, 1, "nothing recorded");
    // Equal or higher is accepted; other senders are independent; no head says nothing.
    p.witness.append(&receipt_of(3, h(5))).unwrap();
    p.witness.append(&receipt_of(4, h(8))).unwrap();
    p.witness.append(&receipt_of(5, None)).unwrap();
    p.witness
        .append(&NewEntry {
            counterparty: "probation".into(),
            ..receipt_of(6, h(1))
        })
        .unwrap();
}

#[test]
fn the_latest_issue_time_per_sender_and_consent_is_remembered() {
    let mut p = pair();
    let w = &mut p.witness;
    assert_eq!(w.latest_issued_at(AGENCY, CONSENT).unwrap(), None);
    for (i, issued_at, out_of_order) in [(1, 30, false), (2, 10, true), (3, 20, true)] {
        let mut e = receipt_of(i, None);
        e.receipt = Some(Receipt {
            issued_at,
            issued_out_of_order: out_of_order,
            sender_head: None,
        });
        w.append(&e).unwrap();
    }
    assert_eq!(w.latest_issued_at(AGENCY, CONSENT).unwrap(), Some(30));
    assert_eq!(w.latest_issued_at(AGENCY, "c-other").unwrap(), None);
    assert_eq!(w.latest_issued_at("probation", CONSENT).unwrap(), None);
    let flags: Vec<bool> = w
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.receipt.unwrap().issued_out_of_order)
        .collect();
    assert_eq!(flags, [false, true, true]);
    // A sent entry has no receipt.
    assert!(matches!(
        p.witness.append(&NewEntry {
            direction: Direction::Sent,
            ..receipt_of(9, None)
        }),
        Err(LedgerError::InvalidEntry(_))
    ));
}

#[test]
fn receipt_columns_edited_behind_the_ledgers_back_are_caught() {
    for sql in [
        "UPDATE entries SET issued_at = issued_at + 1 WHERE seq = 2",
        "UPDATE entries SET issued_out_of_order = 1 WHERE seq = 2",
        "UPDATE entries SET sender_head_hash = zeroblob(32) WHERE seq = 2",
        "UPDATE entries SET sender_head_seq = NULL, sender_head_hash = NULL WHERE seq = 2",
        "UPDATE entries SET issued_at = NULL, issued_out_of_order = NULL, \
         sender_head_seq = NULL, sender_head_hash = NULL WHERE seq = 2",
        "UPDATE entries SET sender_head_seq = NULL WHERE seq = 2",
        "UPDATE entries SET issued_out_of_order = 2 WHERE seq = 2",
    ] {
        let mut p = pair();
        p.disclose(1);
        p.disclose(2);
        let c = raw(&p.witness_path);
        // Rebuilt without constraints, as an insider could.
        c.execute_batch(
            "CREATE TABLE e2 AS SELECT * FROM entries; DROP TABLE entries; \
             ALTER TABLE e2 RENAME TO entries;",
        )
        .unwrap();
        c.execute(sql, []).unwrap();
        match p.sender.verify_witnessed(&p.witness) {
            Err(LedgerError::Tampered { seq: 2, .. }) => {}
            other => panic!("{sql}: expected Tampered at 2, got {other:?}"),
        }
    }
}

#[test]
fn a_witness_is_opened_read_only() {
    let mut p = pair();
    p.disclose(1);
    p.disclose(2);
    drop(p.witness);
    let before = std::fs::read(&p.witness_path).unwrap();
    let w = Ledger::open_read_only(&p.witness_path).unwrap();
    assert_eq!(w.agency_id(), COURT);
    assert_eq!(p.sender.verify_witnessed(&w).unwrap().proved_seq, 1);
    assert_eq!(std::fs::read(&p.witness_path).unwrap(), before);
    let text = p._dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "a text file long enough to be read as a database header",
    )
    .unwrap();
    assert!(matches!(
        Ledger::open_read_only(&text),
        Err(LedgerError::NotALedger { .. })
    ));
    assert!(matches!(
        Ledger::open_read_only(&p._dir.path().join("missing")),
        Err(LedgerError::NotALedger { .. })
    ));
}

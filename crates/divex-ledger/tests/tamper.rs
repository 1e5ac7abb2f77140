//! Changes made to the SQLite file behind the ledger's back, with plain SQL: each one makes
//! `verify` fail naming the first bad entry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use divex_ledger::{Entry, Ledger, LedgerError};
use rusqlite::params;

/// Entries 1..=8, a checkpoint signed at 6 (entries 7 and 8 unanchored).
fn fixture() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut l) = ledger_with(dir.path(), 6);
    l.checkpoint(&keys(), T0 + 7 * DAY).unwrap();
    for i in 7..=8 {
        l.append(&entry(i)).unwrap();
    }
    let report = verify(&l).unwrap();
    assert_eq!(
        (report.entries, report.checkpoints, report.anchored_seq),
        (8, 1, 6)
    );
    (dir, path, l)
}

fn flip_first_byte(b: Vec<u8>) -> Vec<u8> {
    let mut b = b;
    b[0] ^= 0x01;
    b
}

/// Replaces one column of one entry with a different value of the right SQL type.
fn edit_column(path: &std::path::Path, column: &str, seq: u64) {
    let c = raw(path);
    let seq = seq as i64;
    match column {
        "time" => c.execute("UPDATE entries SET time = time + 1 WHERE seq = ?1", [seq]),
        "direction" => c.execute(
            "UPDATE entries SET direction = CASE direction WHEN 'sent' THEN 'received' \
             ELSE 'sent' END WHERE seq = ?1",
            [seq],
        ),
        "record_types" => c.execute(
            "UPDATE entries SET record_types = '[\"attendance\"]' WHERE seq = ?1",
            [seq],
        ),
        "counterparty" | "purpose" | "consent_id" => c.execute(
            &format!("UPDATE entries SET {column} = {column} || 'x' WHERE seq = ?1"),
            [seq],
        ),
        _ => {
            let old: Vec<u8> = c
                .query_row(
                    &format!("SELECT {column} FROM entries WHERE seq = ?1"),
                    [seq],
                    |r| r.get(0),
                )
                .unwrap();
            c.execute(
                &format!("UPDATE entries SET {column} = ?1 WHERE seq = ?2"),
                params![flip_first_byte(old), seq],
            )
        }
    }
    .map(|n| assert_eq!(n, 1))
    .unwrap();
}

const COLUMNS: [&str; 11] = [
    "time",
    "direction",
    "counterparty",
    "subject_key",
    "record_types",
    "purpose",
    "consent_id",
    "envelope_id",
    "envelope_hash",
    "prev_hash",
    "entry_hash",
];

#[test]
fn editing_any_column_of_any_entry_is_caught_at_that_entry() {
    // First, a middle anchored entry, the last anchored one and an unanchored one.
    for seq in [1, 3, 6, 8] {
        for column in COLUMNS {
            let (_dir, path, l) = fixture();
            edit_column(&path, column, seq);
            let (bad, reason) = tampered(verify(&l));
            assert_eq!(bad, seq, "{column} of entry {seq}: {reason}");
        }
    }
}

#[test]
fn a_field_edit_is_reported_as_such() {
    let (_dir, path, l) = fixture();
    edit_column(&path, "purpose", 3);
    let err = verify(&l).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("entry 3"), "{msg}");
    assert!(msg.contains("a field was edited"), "{msg}");
    // Reading still works, so the operator can see what is there.
    assert_eq!(
        l.entries().unwrap()[2].purpose,
        "cj-monitor-conditional-releasex"
    );
}

#[test]
fn a_record_types_column_with_the_same_meaning_but_other_bytes_is_refused() {
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute(
            "UPDATE entries SET record_types = '[ \"drug_test\" ]' WHERE seq = 4",
            [],
        )
        .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 4);
    assert!(reason.contains("record_types"), "{reason}");
}

#[test]
fn a_deleted_entry_is_named() {
    for seq in [1u64, 3, 6, 7] {
        let (_dir, path, l) = fixture();
        raw(&path)
            .execute("DELETE FROM entries WHERE seq = ?1", [seq as i64])
            .unwrap();
        let (bad, reason) = tampered(verify(&l));
        assert_eq!(bad, seq, "{reason}");
        assert!(reason.contains("missing"), "{reason}");
    }
}

#[test]
fn a_deleted_entry_with_the_rest_renumbered_is_caught() {
    let (_dir, path, l) = fixture();
    let c = raw(&path);
    c.execute("DELETE FROM entries WHERE seq = 3", []).unwrap();
    // Renumber 4..=8 down by one, in ascending order so the primary key never collides.
    for s in 4..=8 {
        c.execute("UPDATE entries SET seq = seq - 1 WHERE seq = ?1", [s])
            .unwrap();
    }
    assert_eq!(tampered(verify(&l)).0, 3);
}

#[test]
fn a_renumbered_entry_is_caught() {
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute("UPDATE entries SET seq = 100 WHERE seq = 5", [])
        .unwrap();
    assert_eq!(tampered(verify(&l)).0, 5);
}

#[test]
fn two_entries_with_their_contents_swapped_are_caught_at_the_first() {
    let (_dir, path, l) = fixture();
    let c = raw(&path);
    // Swap every column but seq between entries 3 and 4.
    let cols = COLUMNS.join(", ");
    c.execute_batch(&format!(
        "CREATE TEMP TABLE t AS SELECT seq, {cols} FROM entries WHERE seq IN (3, 4);
         DELETE FROM entries WHERE seq IN (3, 4);
         INSERT INTO entries (seq, {cols}) SELECT 7 - seq, {cols} FROM t;"
    ))
    .unwrap();
    let moved: Vec<u8> = c
        .query_row("SELECT envelope_hash FROM entries WHERE seq = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(moved, vec![4u8; 32], "the swap happened");
    assert_eq!(tampered(verify(&l)).0, 3);
}

#[test]
fn reordered_sequence_numbers_are_caught() {
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute_batch(
            "UPDATE entries SET seq = 1000 WHERE seq = 2;
             UPDATE entries SET seq = 2 WHERE seq = 5;
             UPDATE entries SET seq = 5 WHERE seq = 1000;",
        )
        .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 2, "{reason}");
    assert!(reason.contains("prev_hash"), "{reason}");
}

#[test]
fn a_forged_row_appended_without_the_right_hashes_is_caught() {
    let (_dir, path, l) = fixture();
    let c = raw(&path);
    c.execute(
        "INSERT INTO entries (seq, time, direction, counterparty, subject_key, record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash) SELECT 9, time, direction, 'probation', subject_key, record_types, \
         purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash \
         FROM entries WHERE seq = 8",
        [],
    )
    .unwrap();
    assert_eq!(tampered(verify(&l)).0, 9);
}

#[test]
fn a_row_with_sequence_number_zero_is_caught() {
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute(
            "INSERT INTO entries (seq, time, direction, counterparty, subject_key, record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash) VALUES (0, 1, 'sent', 'probation', zeroblob(32), \
             '[\"drug_test\"]', 'p', 'c', zeroblob(16), zeroblob(32), zeroblob(32), \
             zeroblob(32))",
            [],
        )
        .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 0);
    assert!(reason.contains("sequence number 0"), "{reason}");
}

/// What an attacker who knows the format does: recompute the hashes of every entry from
/// `from` on, after `change` edited the entries.
fn rewrite_chain(path: &std::path::Path, l: &Ledger, change: impl Fn(&mut Vec<Entry>)) {
    let mut entries = l.entries().unwrap();
    change(&mut entries);
    let c = raw(path);
    c.execute("DELETE FROM entries", []).unwrap();
    let mut prev = divex_ledger::genesis_hash(AGENCY);
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
        e.prev_hash = prev;
        e.entry_hash = e.computed_hash();
        prev = e.entry_hash;
        c.execute(
            "INSERT INTO entries (seq, time, direction, counterparty, subject_key, record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                e.seq as i64,
                e.time as i64,
                e.direction.as_str(),
                e.counterparty,
                &e.subject_key[..],
                serde_json_array(&e.record_types),
                e.purpose,
                e.consent_id,
                &e.envelope_id[..],
                &e.envelope_hash[..],
                &e.prev_hash[..],
                &e.entry_hash[..],
            ],
        )
        .unwrap();
    }
}

fn serde_json_array(v: &[String]) -> String {
    let quoted: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(","))
}

#[test]
fn a_consistent_rewrite_below_a_checkpoint_is_caught_at_the_checkpoint() {
    // Edit entry 3 and recompute every later hash: the chain is consistent again, but no
    // longer reaches the head the agency signed at 6.
    let (_dir, path, l) = fixture();
    rewrite_chain(&path, &l, |es| es[2].counterparty = "probation".into());
    // Now its own class (spec/ledger.md §7): the chain is consistent but forked from the
    // signed head.
    let e = forked(verify(&l));
    assert_eq!(e, (1, 6));
}

#[test]
fn a_consistent_forged_insertion_below_a_checkpoint_is_caught() {
    // A forged entry slipped in at 3 with correct hashes; the displaced entry 3 (now 4)
    // and its successors re-hashed too: only the checkpoint notices.
    let (_dir, path, l) = fixture();
    rewrite_chain(&path, &l, |es| {
        let mut forged = es[2].clone();
        forged.counterparty = "police-lead-unit".into();
        forged.envelope_id = [0xee; 16];
        es.insert(2, forged);
    });
    assert_eq!(forked(verify(&l)), (1, 6));

    // Without re-hashing the displaced entries, the first bad one is named.
    let (_dir, path, l) = fixture();
    let c = raw(&path);
    for s in (3..=8).rev() {
        c.execute("UPDATE entries SET seq = seq + 1 WHERE seq = ?1", [s])
            .unwrap();
    }
    let mut forged = l.entries().unwrap()[1].clone(); // entry 2, as a template
    forged.seq = 3;
    forged.envelope_id = [0xee; 16];
    forged.prev_hash = l.entries().unwrap()[1].entry_hash;
    forged.entry_hash = forged.computed_hash();
    c.execute(
        "INSERT INTO entries (seq, time, direction, counterparty, subject_key, record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            3i64,
            forged.time as i64,
            forged.direction.as_str(),
            forged.counterparty,
            &forged.subject_key[..],
            serde_json_array(&forged.record_types),
            forged.purpose,
            forged.consent_id,
            &forged.envelope_id[..],
            &forged.envelope_hash[..],
            &forged.prev_hash[..],
            &forged.entry_hash[..],
        ],
    )
    .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(
        seq, 4,
        "the forged 3 links; the displaced entry at 4 does not: {reason}"
    );
}

#[test]
fn unanchored_entries_can_be_rewritten_consistently_which_the_report_shows() {
    // The documented limit: after the last checkpoint only the chain protects the entries,
    // and the report says how far the signature reaches.
    let (_dir, path, l) = fixture();
    rewrite_chain(&path, &l, |es| es[7].counterparty = "probation".into());
    let report = verify(&l).unwrap();
    assert_eq!((report.entries, report.anchored_seq), (8, 6));
}

#[test]
fn truncating_the_ledger_below_a_checkpoint_is_caught() {
    let (_dir, path, l) = fixture();
    // Drop 5..=8: the checkpoint at 6 says there were at least six.
    raw(&path)
        .execute("DELETE FROM entries WHERE seq >= 5", [])
        .unwrap();
    // Now its own class (spec/ledger.md §7), naming the entries the signed head proves.
    let e = verify(&l).unwrap_err();
    assert!(
        matches!(
            e,
            LedgerError::RolledBack {
                present: 4,
                signed: 6,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("entries 5..=6 are missing"), "{e}");
    assert!(e.to_string().contains("truncated"), "{e}");
    // So is the high-water mark, with the checkpoint rows deleted too.
    raw(&path).execute("DELETE FROM checkpoints", []).unwrap();
    assert!(matches!(
        verify(&l),
        Err(LedgerError::RolledBack {
            present: 4,
            signed: 6,
            ..
        })
    ));

    // Dropping only the unanchored tail is not detectable by the file alone.
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute("DELETE FROM entries WHERE seq >= 7", [])
        .unwrap();
    assert_eq!(verify(&l).unwrap().entries, 6);
}

#[test]
fn editing_a_checkpoint_is_caught_at_its_entry() {
    for (sql, seq) in [
        ("UPDATE checkpoints SET time = time + 1", 6),
        ("UPDATE checkpoints SET seq = 5", 5),
        ("UPDATE checkpoints SET head = zeroblob(32)", 6),
        ("UPDATE checkpoints SET signature = randomblob(64)", 6),
    ] {
        let (_dir, path, l) = fixture();
        raw(&path).execute(sql, []).unwrap();
        let (bad, reason) = tampered(verify(&l));
        assert_eq!(bad, seq, "{sql}: {reason}");
        assert!(reason.contains("does not verify"), "{sql}: {reason}");
    }
}

#[test]
fn a_forged_checkpoint_beyond_the_end_is_a_bad_signature_not_a_truncation() {
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute(
            "INSERT INTO checkpoints (seq, head, time, signature) \
             SELECT 50, head, time, signature FROM checkpoints",
            [],
        )
        .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 50);
    assert!(reason.contains("does not verify"), "{reason}");
}

#[test]
fn the_first_bad_entry_wins_between_chain_and_checkpoint_problems() {
    // A chain problem at 3 and a bad checkpoint at 6: 3 is reported.
    let (_dir, path, l) = fixture();
    edit_column(&path, "purpose", 3);
    raw(&path)
        .execute("UPDATE checkpoints SET time = time + 1", [])
        .unwrap();
    assert_eq!(tampered(verify(&l)).0, 3);

    // A bad checkpoint at 6 and a chain problem at 8: 6 is reported.
    let (_dir, path, l) = fixture();
    edit_column(&path, "purpose", 8);
    raw(&path)
        .execute("UPDATE checkpoints SET time = time + 1", [])
        .unwrap();
    assert_eq!(tampered(verify(&l)).0, 6);
}

#[test]
fn rows_are_checked_in_sequence_order_whatever_the_storage_order() {
    // Rebuild the table without its constraints, rows stored in reverse order: still a
    // valid ledger. Then a duplicate sequence number is an inserted row.
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute_batch(
            "CREATE TABLE e2 AS SELECT * FROM entries ORDER BY seq DESC;
             DROP TABLE entries;
             ALTER TABLE e2 RENAME TO entries;",
        )
        .unwrap();
    let first_stored: i64 = raw(&path)
        .query_row("SELECT seq FROM entries LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(first_stored, 8);
    assert_eq!(verify(&l).unwrap().entries, 8);

    raw(&path)
        .execute(
            "INSERT INTO entries SELECT * FROM entries WHERE seq = 4",
            [],
        )
        .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 4);
    assert!(reason.contains("second entry"), "{reason}");
}

#[test]
fn a_column_of_the_wrong_type_is_reported_not_panicked_on() {
    // Rebuild without STRICT typing, then store text where a hash belongs.
    let (_dir, path, l) = fixture();
    raw(&path)
        .execute_batch(
            "CREATE TABLE e2 AS SELECT * FROM entries;
             DROP TABLE entries;
             ALTER TABLE e2 RENAME TO entries;
             UPDATE entries SET envelope_hash = 'not a hash' WHERE seq = 2;
             UPDATE entries SET time = -5 WHERE seq = 7;",
        )
        .unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 2);
    assert!(reason.contains("envelope_hash"), "{reason}");
    assert!(matches!(
        l.entries(),
        Err(LedgerError::Tampered { seq: 2, .. })
    ));
}

#[test]
fn a_ledger_relabelled_as_another_agency_does_not_verify() {
    let (_dir, path, l) = fixture();
    drop(l);
    raw(&path)
        .execute("UPDATE ledger_meta SET agency_id = 'other-provider'", [])
        .unwrap();
    assert!(matches!(
        Ledger::open(&path, AGENCY),
        Err(LedgerError::WrongAgency { .. })
    ));
    // Opened under the new name, the chain starts from the wrong genesis.
    let l = Ledger::open(&path, "other-provider").unwrap();
    let (seq, reason) = tampered(verify(&l));
    assert_eq!(seq, 1);
    assert!(reason.contains("genesis"), "{reason}");
}

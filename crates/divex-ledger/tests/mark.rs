//! Signed heads judged at their own time and the high-water mark (spec/ledger.md §3, §4):
//! rotation never invalidates history, a compromised key's later signatures are refused, a
//! ledger shorter than its mark is refused by `verify`, `append` and `checkpoint`, and a v1
//! file is migrated in place and still verifies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use divex_core::testing::AgencyKeysExt;
use divex_fixtures::{Seeds, World};
use divex_ledger::{Checkpoint, Entry, Ledger, LedgerError, SignedHead, genesis_hash};

/// A world of the ledger's agency and the court, seeded (the agency's first keys are
/// [`keys`]).
fn world() -> World {
    World::builder()
        .seeded(Seeds::label("ledger tests"))
        .only([AGENCY, "superior-court"])
        .build()
}

// --- signed heads at their own time ---------------------------------------------------------

#[test]
fn rotation_never_invalidates_history() {
    for revoke in [Some("superseded"), None] {
        let mut w = world();
        let dir = tempfile::tempdir().unwrap();
        let (_, mut l) = ledger_with(dir.path(), 2);
        l.checkpoint(w.key(AGENCY), T0).unwrap();
        w.rotate(AGENCY, T0 + 10 * DAY, revoke);
        for i in 3..=4 {
            l.append(&entry(i)).unwrap();
            l.checkpoint(w.key(AGENCY), T0 + 10 * DAY + i).unwrap();
        }
        let report = l.verify(&w.directory).unwrap();
        assert_eq!(
            (report.entries, report.checkpoints, report.marked_seq),
            (4, 3, 4)
        );
        assert_eq!(report.keys.len(), 2, "{revoke:?}: both keys");
        // One key cannot verify both halves (ledger v1's rule).
        assert!(matches!(
            l.verify_with_key(w.key(AGENCY).public().signing()),
            Err(LedgerError::Tampered { seq: 2, .. })
        ));
    }
}

#[test]
fn a_compromised_key_vouches_for_nothing_it_signed_from_the_compromise_on() {
    let mut w = world();
    let dir = tempfile::tempdir().unwrap();
    let (path, mut l) = ledger_with(dir.path(), 2);
    l.checkpoint(&keys(), T0).unwrap();
    let compromise = T0 + 10 * DAY;
    let stolen = w.rotate(AGENCY, compromise, Some("key_compromise"));
    l.append(&entry(3)).unwrap();
    l.checkpoint(w.key(AGENCY), compromise + DAY).unwrap();
    // Honest: the old key signed before the compromise.
    l.verify(&w.directory).unwrap();

    // The thief re-signs the history with the stolen key, dated after the compromise.
    raw(&path).execute("DELETE FROM checkpoints", []).unwrap();
    l.checkpoint(&stolen, compromise + 2 * DAY).unwrap();
    match l.verify(&w.directory) {
        Err(
            e @ LedgerError::SignerCompromised {
                seq: 3,
                compromised_at,
                ..
            },
        ) => {
            assert_eq!(compromised_at, compromise);
            assert!(e.to_string().contains("compromised"), "{e}");
        }
        other => panic!("expected SignerCompromised, got {other:?}"),
    }
    // Dated exactly at the compromise: refused too; a second before: accepted.
    for (t, ok) in [(compromise, false), (compromise - 1, true)] {
        raw(&path).execute("DELETE FROM checkpoints", []).unwrap();
        std::fs::remove_file(l.mark_path()).unwrap();
        l.checkpoint(&stolen, t).unwrap();
        assert_eq!(l.verify(&w.directory).is_ok(), ok, "{t}");
    }
}

#[test]
fn a_checkpoint_by_a_key_not_certified_at_its_time_is_refused() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let (_, mut l) = ledger_with(dir.path(), 1);
    // Another agency's key, and the agency's key before its certificate starts.
    l.checkpoint(&other_keys(), T0).unwrap();
    let (seq, reason) = tampered(l.verify(&w.directory));
    assert_eq!(seq, 1);
    assert!(reason.contains("not certified"), "{reason}");

    let dir = tempfile::tempdir().unwrap();
    let (_, mut l) = ledger_with(dir.path(), 1);
    l.checkpoint(&keys(), T0 - 2 * 365 * DAY).unwrap();
    let (_, reason) = tampered(l.verify(&w.directory));
    assert!(
        reason.contains("not certified") && reason.contains("at the time"),
        "{reason}"
    );
}

// --- the high-water mark ------------------------------------------------------------------

/// Entries 1..=5, checkpointed (and marked) at 5.
fn marked() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut l) = ledger_with(dir.path(), 5);
    let cp = l.checkpoint(&keys(), T0 + 6 * DAY).unwrap();
    let mark = l.high_water_mark().unwrap().unwrap();
    assert_eq!((mark.seq, mark.head, mark.time), (cp.seq, cp.head, cp.time));
    assert_eq!(mark.kid, keys().public().signing().kid());
    assert!(mark.verify_signature(keys().public().signing()));
    (dir, path, l)
}

#[test]
fn a_ledger_shorter_than_its_mark_is_refused_everywhere() {
    for (sql, present) in [
        (
            "DELETE FROM entries WHERE seq > 3; DELETE FROM checkpoints;",
            3,
        ),
        (
            "DELETE FROM entries WHERE seq > 4; DELETE FROM checkpoints;",
            4,
        ),
        ("DELETE FROM entries; DELETE FROM checkpoints;", 0),
    ] {
        let (_dir, path, mut l) = marked();
        raw(&path).execute_batch(sql).unwrap();
        let rolled_back = |r: Result<_, LedgerError>| match r {
            Err(e @ LedgerError::RolledBack { .. }) => e,
            other => panic!("{sql}: expected RolledBack, got {:?}", other.map(|_| ())),
        };
        let e = rolled_back(verify(&l).map(|_| ()));
        assert!(
            e.to_string()
                .contains(&format!("entries {}..=5 are missing", present + 1)),
            "{e}"
        );
        rolled_back(l.append(&entry(9)).map(|_| ()));
        rolled_back(l.checkpoint(&keys(), T0 + 9 * DAY).map(|_| ()));
        assert_eq!(l.head().unwrap().0, present, "nothing appended");
        assert_eq!(
            l.high_water_mark().unwrap().unwrap().seq,
            5,
            "the mark stays"
        );
    }
}

#[test]
fn an_older_copy_of_the_file_is_refused() {
    let (dir, path, l) = marked();
    drop(l); // closing the last connection folds the WAL into the file
    let backup = dir.path().join("backup.ledger");
    std::fs::copy(&path, &backup).unwrap();
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    l.append(&entry(6)).unwrap();
    l.checkpoint(&keys(), T0 + 7 * DAY).unwrap();
    drop(l);
    std::fs::copy(&backup, &path).unwrap();
    let l = Ledger::open(&path, AGENCY).unwrap();
    assert!(matches!(
        verify(&l),
        Err(LedgerError::RolledBack {
            present: 5,
            signed: 6,
            ..
        })
    ));
}

#[test]
fn a_ledger_rewritten_at_its_marked_entry_is_forked() {
    let (_dir, path, l) = marked();
    // Rewrite entry 5 consistently (recomputed hash) and drop the checkpoint: only the mark
    // still says what entry 5 was.
    let mut e: Entry = l.entries().unwrap().pop().unwrap();
    e.counterparty = "probation".into();
    e.entry_hash = e.computed_hash();
    let c = raw(&path);
    c.execute(
        "UPDATE entries SET counterparty = ?1, entry_hash = ?2 WHERE seq = 5",
        rusqlite::params![e.counterparty, &e.entry_hash[..]],
    )
    .unwrap();
    c.execute("DELETE FROM checkpoints", []).unwrap();
    assert_eq!(forked(verify(&l)).1, 5);
}

#[test]
fn a_missing_or_invalid_mark_is_refused() {
    let (_dir, _path, l) = marked();
    let mark = l.mark_path().to_path_buf();
    let good = std::fs::read(&mark).unwrap();

    std::fs::remove_file(&mark).unwrap();
    assert!(matches!(
        verify(&l),
        Err(LedgerError::HeadMarkMissing { entries: 5, .. })
    ));
    // The ledger's own appends do not need the directory, and go on without a mark...
    // ...but verification, which the CLI runs before every append, does not.

    for (bytes, why) in [
        (b"not a signed head".to_vec(), "not strict CBOR"),
        (
            {
                let mut b = good.clone();
                let n = b.len();
                b[n - 1] ^= 1;
                b
            },
            "does not verify",
        ),
        (
            SignedHead::sign("other-agency", 5, [0; 32], T0, &keys()).to_bytes(),
            "other-agency",
        ),
        (
            SignedHead::sign(AGENCY, 5, [0; 32], T0, &other_keys()).to_bytes(),
            "not certified",
        ),
    ] {
        std::fs::write(&mark, &bytes).unwrap();
        match verify(&l) {
            Err(e @ LedgerError::HeadMarkInvalid { .. }) => {
                assert!(e.to_string().contains(why), "{why}: {e}")
            }
            other => panic!("{why}: expected HeadMarkInvalid, got {other:?}"),
        }
    }
    std::fs::write(&mark, &good).unwrap();
    assert_eq!(verify(&l).unwrap().marked_seq, 5);
}

#[test]
fn a_deleted_ledger_file_is_not_a_new_ledger_while_its_mark_remains() {
    let (dir, path, l) = marked();
    let w = world();
    drop(l);
    std::fs::remove_file(&path).unwrap();
    for ext in ["ledger-wal", "ledger-shm"] {
        let _ = std::fs::remove_file(path.with_extension(ext));
    }
    assert!(matches!(
        Ledger::check_new(&path, AGENCY, &w.directory),
        Err(LedgerError::RolledBack {
            present: 0,
            signed: 5,
            ..
        })
    ));
    assert!(!path.exists(), "check_new creates nothing");
    // Without a mark, or with the mark of an empty ledger, a new ledger may be created.
    let fresh = dir.path().join("fresh.ledger");
    Ledger::check_new(&fresh, AGENCY, &w.directory).unwrap();
    let mut l = Ledger::open(&fresh, AGENCY).unwrap();
    l.checkpoint(&keys(), T0).unwrap();
    drop(l);
    std::fs::remove_file(&fresh).unwrap();
    Ledger::check_new(&fresh, AGENCY, &w.directory).unwrap();
    // Opened anyway (the library creates the file), the ledger refuses appends.
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    assert!(matches!(
        l.append(&entry(1)),
        Err(LedgerError::RolledBack { signed: 5, .. })
    ));
}

#[test]
fn the_mark_never_moves_backwards() {
    let (_dir, path, mut a) = marked();
    let mut b = Ledger::open(&path, AGENCY).unwrap();
    a.append(&entry(6)).unwrap();
    let later = a.checkpoint(&keys(), T0 + 8 * DAY).unwrap();
    // b signs the same head again (a later time), then a mark for seq 6 exists already.
    b.checkpoint(&keys(), T0 + 9 * DAY).unwrap();
    let m = a.high_water_mark().unwrap().unwrap();
    assert_eq!(m.seq, later.seq);
    assert!(m.time >= later.time);
}

#[test]
fn adopting_a_head_needs_the_keys_and_a_ledger_that_verifies() {
    let (_dir, path, mut l) = marked();
    let w = world();
    std::fs::remove_file(l.mark_path()).unwrap();
    let cp = l.adopt(&keys(), &w.directory, T0 + 9 * DAY).unwrap();
    assert_eq!(cp.seq, 5);
    assert_eq!(verify(&l).unwrap().marked_seq, 5);
    // A rollback is not adopted.
    raw(&path)
        .execute_batch("DELETE FROM entries WHERE seq > 3; DELETE FROM checkpoints;")
        .unwrap();
    assert!(matches!(
        l.adopt(&keys(), &w.directory, T0 + 10 * DAY),
        Err(LedgerError::RolledBack { .. })
    ));
}

// --- v1 files -----------------------------------------------------------------------------

/// The v1 schema, as divex 0.1 created it (checked in: the builder of v1 test files).
const SCHEMA_V1: &str = include_str!("data/schema_v1.sql");

#[test]
fn a_v1_file_is_migrated_in_place_and_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.ledger");
    // Build a v1 ledger: schema 1, three chained entries, a v1 checkpoint at 3.
    let mut prev = genesis_hash(AGENCY);
    let mut v1 = Vec::new();
    {
        let c = raw(&path);
        c.execute_batch(SCHEMA_V1).unwrap();
        c.pragma_update(None, "application_id", 0x6476_786c)
            .unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute("INSERT INTO ledger_meta VALUES (1, ?1, 1)", [AGENCY])
            .unwrap();
        for i in 1..=3u64 {
            let n = entry(i);
            let mut e = Entry {
                seq: i,
                time: n.time,
                direction: n.direction,
                counterparty: n.counterparty.clone(),
                subject_key: divex_ledger::subject_key(&n.subject),
                record_types: vec!["drug_test".into()],
                purpose: n.purpose.to_string(),
                consent_id: n.consent_id.clone(),
                envelope_id: n.envelope_id.0,
                envelope_hash: n.envelope_hash,
                prev_hash: prev,
                entry_hash: [0; 32],
                receipt: None,
            };
            e.entry_hash = e.computed_hash();
            c.execute(
                "INSERT INTO entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                rusqlite::params![
                    e.seq as i64,
                    e.time as i64,
                    e.direction.as_str(),
                    e.counterparty,
                    &e.subject_key[..],
                    "[\"drug_test\"]",
                    e.purpose,
                    e.consent_id,
                    &e.envelope_id[..],
                    &e.envelope_hash[..],
                    &e.prev_hash[..],
                    &e.entry_hash[..],
                ],
            )
            .unwrap();
            prev = e.entry_hash;
            v1.push(e);
        }
        let sig = keys().sign(&Checkpoint::to_be_signed(AGENCY, 3, &prev, T0 + 4 * DAY));
        c.execute(
            "INSERT INTO checkpoints (seq, head, time, signature) VALUES (3, ?1, ?2, ?3)",
            rusqlite::params![&prev[..], (T0 + 4 * DAY) as i64, &sig[..]],
        )
        .unwrap();
    }

    let mut l = Ledger::open(&path, AGENCY).unwrap();
    let version: i64 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2, "migrated");
    assert_eq!(l.entries().unwrap(), v1, "entries read and hash as before");
    let cps = l.checkpoints().unwrap();
    assert_eq!((cps.len(), cps[0].kid), (1, None));
    // The v1 checkpoint verifies under one key, and under the directory (read as having the
    // kid of the key that verifies it) once a mark is adopted.
    assert_eq!(
        l.verify_with_key(keys().public().signing())
            .unwrap()
            .entries,
        3
    );
    let w = world();
    assert!(matches!(
        l.verify(&w.directory),
        Err(LedgerError::HeadMarkMissing { .. })
    ));
    l.adopt(&keys(), &w.directory, T0 + 5 * DAY).unwrap();
    let report = l.verify(&w.directory).unwrap();
    assert_eq!((report.entries, report.checkpoints), (3, 2));
    assert_eq!(report.keys, vec![keys().public().signing().kid()]);
    // The chain goes on.
    assert_eq!(l.append(&entry(4)).unwrap().prev_hash, prev);
    // Opening again migrates nothing twice.
    drop(l);
    Ledger::open(&path, AGENCY).unwrap();
}

#[test]
fn a_new_ledger_can_be_marked_before_its_first_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.ledger");
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    l.mark_empty(&keys(), T0).unwrap();
    let m = l.high_water_mark().unwrap().unwrap();
    assert_eq!((m.seq, m.head), (0, genesis_hash(AGENCY)));
    assert!(l.checkpoints().unwrap().is_empty(), "no checkpoint row");
    assert_eq!(verify(&l).unwrap().marked_seq, 0);
    // An entry appended without a checkpoint (a pending seal completed by another command):
    // ahead of the mark, which is allowed.
    l.append(&entry(1)).unwrap();
    assert_eq!(verify(&l).unwrap().entries, 1);
    // Not over entries; and an existing mark is left alone.
    assert!(matches!(
        l.mark_empty(&keys(), T0 + 1),
        Err(LedgerError::InvalidEntry(_))
    ));
    let other = dir.path().join("other.ledger");
    let mut o = Ledger::open(&other, AGENCY).unwrap();
    o.mark_empty(&keys(), T0).unwrap();
    let first = std::fs::read(o.mark_path()).unwrap();
    o.mark_empty(&keys(), T0 + 5).unwrap();
    assert_eq!(std::fs::read(o.mark_path()).unwrap(), first);
}

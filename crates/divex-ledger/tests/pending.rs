//! Exactly-once recording in the library (spec/ledger.md §6): pending seals, their completion
//! or abandonment, reconciliation with the envelope file as evidence, the retry rule, and
//! receipts appended in a transaction left open.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::Path;

use common::*;
use divex_ledger::{Ledger, LedgerError, PendingSeal};

/// Sealed disclosure `i` (two recipients) with envelope bytes whose hash it carries.
fn sealed_with_bytes(i: u64) -> divex_core::Sealed {
    let mut s = sealed(i, &["superior-court", "probation"]);
    s.envelope = format!("envelope {i}").into_bytes();
    s.envelope_hash = sha(&s.envelope);
    s
}

fn sha(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

fn pending<'a>(s: &'a divex_core::Sealed, out: Option<&'a Path>, digest: u8) -> PendingSeal<'a> {
    PendingSeal {
        sealed: s,
        time: T0,
        output: out,
        request_digest: [digest; 32],
        note: b"{}",
    }
}

#[test]
fn a_pending_seal_is_recorded_only_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut l) = ledger_with(dir.path(), 0);
    let s = sealed_with_bytes(1);
    let out = dir.path().join("1.envelope.cose");
    let lock = l.writer_lock().unwrap();
    l.begin_seal(&lock, &pending(&s, Some(&out), 1)).unwrap();
    assert!(l.has_pending().unwrap());
    assert!(l.entries().unwrap().is_empty(), "pending is not sent");
    std::fs::write(&out, &s.envelope).unwrap();
    let rec = l.finish_seal(&lock, &s.metadata.envelope_id).unwrap();
    assert_eq!(
        rec.entries().iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2]
    );
    drop(rec); // not committed: rolled back
    assert!(l.entries().unwrap().is_empty());
    let rec = l.finish_seal(&lock, &s.metadata.envelope_id).unwrap();
    assert_eq!(rec.commit().unwrap().len(), 2);
    assert!(!l.has_pending().unwrap());
    // The retry rule: recorded, not yet closed, is answered; closed, it is not.
    let again = l.sealed_request(&[1; 32]).unwrap().unwrap();
    assert_eq!(
        (again.envelope_id, again.entries.clone()),
        (s.metadata.envelope_id, vec![1, 2])
    );
    assert_eq!(again.envelope, s.envelope);
    assert!(l.sealed_request(&[2; 32]).unwrap().is_none());
    l.close_seal(&lock, &s.metadata.envelope_id).unwrap();
    assert!(l.sealed_request(&[1; 32]).unwrap().is_none());
    // The same envelope cannot be pending twice.
    assert!(matches!(
        l.begin_seal(&lock, &pending(&s, Some(&out), 1)),
        Err(LedgerError::AlreadyRecorded { .. })
    ));
}

#[test]
fn reconciliation_takes_the_envelope_file_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut l) = ledger_with(dir.path(), 0);
    let lock = l.writer_lock().unwrap();
    let (a, b, c, d) = (
        sealed_with_bytes(1),
        sealed_with_bytes(2),
        sealed_with_bytes(3),
        sealed_with_bytes(4),
    );
    let path = |i: u64| dir.path().join(format!("{i}.envelope.cose"));
    let (pa, pb, pc) = (path(1), path(2), path(3));
    l.begin_seal(&lock, &pending(&a, Some(&pa), 1)).unwrap();
    l.begin_seal(&lock, &pending(&b, Some(&pb), 2)).unwrap();
    l.begin_seal(&lock, &pending(&c, Some(&pc), 3)).unwrap();
    l.begin_seal(&lock, &pending(&d, None, 4)).unwrap();
    std::fs::write(&pa, &a.envelope).unwrap(); // written: disclosed
    std::fs::write(&pc, b"other bytes").unwrap(); // not this envelope
    // b: never written; d: standard output, made before this command started.
    let r = l.reconcile(&lock, T0 + 1).unwrap();
    assert_eq!(r.completed, vec![a.metadata.envelope_id]);
    let mut abandoned = r.abandoned.clone();
    abandoned.sort();
    let mut want = vec![
        b.metadata.envelope_id,
        c.metadata.envelope_id,
        d.metadata.envelope_id,
    ];
    want.sort();
    assert_eq!(abandoned, want);
    let sent: Vec<[u8; 16]> = l.entries().unwrap().iter().map(|e| e.envelope_id).collect();
    assert_eq!(sent, vec![a.metadata.envelope_id.0; 2]);
    assert!(!l.has_pending().unwrap());
    // Completed by reconciliation: its command may not have reported it; a retry gets it.
    assert!(l.sealed_request(&[1; 32]).unwrap().is_some());
    // A standard-output seal made after the command started is left to its process.
    let e = sealed_with_bytes(5);
    l.begin_seal(&lock, &pending(&e, None, 5)).unwrap();
    let r = l.reconcile(&lock, T0 - 1).unwrap();
    assert!(r.completed.is_empty() && r.abandoned.is_empty());
    assert!(l.has_pending().unwrap());
}

#[test]
fn reconciliation_does_not_complete_a_seal_over_a_rolled_back_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut l) = ledger_with(dir.path(), 3);
    l.checkpoint(&keys(), T0).unwrap();
    let lock = l.writer_lock().unwrap();
    let s = sealed_with_bytes(9);
    let out = dir.path().join("9.envelope.cose");
    l.begin_seal(&lock, &pending(&s, Some(&out), 9)).unwrap();
    std::fs::write(&out, &s.envelope).unwrap();
    raw(&path)
        .execute("DELETE FROM entries WHERE seq = 3", [])
        .unwrap();
    assert!(matches!(
        l.reconcile(&lock, T0),
        Err(LedgerError::RolledBack { .. })
    ));
    assert!(matches!(
        l.begin_seal(&lock, &pending(&sealed_with_bytes(10), None, 10)),
        Err(LedgerError::RolledBack { .. })
    ));
}

#[test]
fn the_writer_lock_is_exclusive_and_an_empty_ledger_can_be_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.ledger");
    let a = Ledger::open(&path, AGENCY).unwrap();
    let b = Ledger::open(&path, AGENCY).unwrap();
    let held = a.writer_lock().unwrap();
    let start = std::time::Instant::now();
    let waiter = std::thread::spawn(move || b.writer_lock().map(|_| ()));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!waiter.is_finished(), "the second waits");
    // Removed while the other waits: it records nothing there.
    assert!(a.remove_if_empty(held).unwrap());
    assert!(matches!(
        waiter.join().unwrap(),
        Err(LedgerError::Busy { .. })
    ));
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left"
    );

    // A ledger with an entry is kept.
    let (path, l) = ledger_with(dir.path(), 1);
    let lock = l.writer_lock().unwrap();
    assert!(!l.remove_if_empty(lock).unwrap());
    assert!(path.exists());
}

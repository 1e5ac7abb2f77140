//! Ledger behaviour: replay detection, accounting, checkpoints, persistence, export, and the
//! files `open` refuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use divex_core::consent::Subject;
use divex_core::records::Date;
use divex_core::testing::DateExt;
use divex_core::testing::envelope::{EnvelopeId, SeenEnvelopes};
use divex_ledger::{
    Checkpoint, Direction, Ledger, LedgerError, NewEntry, genesis_hash, subject_key,
};

fn open(dir: &tempfile::TempDir) -> Ledger {
    Ledger::open(&dir.path().join("agency.ledger"), AGENCY).unwrap()
}

fn received(i: u64) -> NewEntry {
    NewEntry {
        direction: Direction::Received,
        ..entry(i)
    }
}

fn sent(i: u64, to: &str, subject: Subject, time: u64) -> NewEntry {
    NewEntry {
        direction: Direction::Sent,
        counterparty: to.into(),
        subject,
        time,
        ..entry(i)
    }
}

// --- replay -----------------------------------------------------------------------------

#[test]
fn a_received_envelope_recorded_twice_is_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    let id = received(1).envelope_id;
    assert!(!l.seen(&id));
    l.append(&received(1)).unwrap();
    assert!(l.seen(&id));

    // Same envelope again, even claimed from another sender or at another time.
    let mut again = received(1);
    again.counterparty = "probation".into();
    again.time += 1;
    match l.append(&again) {
        Err(LedgerError::Replay { envelope_id }) => assert_eq!(envelope_id, id),
        other => panic!("expected Replay, got {other:?}"),
    }
    assert_eq!(l.head().unwrap().0, 1, "nothing written");
    l.checkpoint(&keys(), T0).unwrap();
    assert!(verify(&l).is_ok());
}

#[test]
fn seen_counts_receipts_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    l.append(&sent(2, "superior-court", subject(), T0)).unwrap();
    let id = entry(2).envelope_id;
    assert!(!l.seen(&id), "sending an envelope is not receiving it");
    assert!(!l.seen(&EnvelopeId([0xab; 16])));
    // Receiving an envelope this agency also sent (to itself, say) is allowed once.
    l.append(&NewEntry {
        direction: Direction::Received,
        ..entry(2)
    })
    .unwrap();
    assert!(l.seen(&id));
    // The trait object the envelope layer takes.
    let hook: &dyn SeenEnvelopes = &l;
    assert!(hook.seen(&id));
}

#[test]
fn the_unique_index_stops_a_replay_that_bypasses_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.ledger");
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    l.append(&received(1)).unwrap();
    let err = raw(&path)
        .execute(
            "INSERT INTO entries (seq, time, direction, counterparty, subject_key, record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, entry_hash) SELECT 2, time, direction, counterparty, subject_key, \
             record_types, purpose, consent_id, envelope_id, envelope_hash, prev_hash, \
             entry_hash FROM entries WHERE seq = 1",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("UNIQUE"), "{err}");
}

#[test]
fn a_sent_disclosure_is_recorded_once_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    let recipients = ["superior-court", "district-attorney"];
    let entries = l.record_sent(&sealed(4, &recipients), T0).unwrap();
    assert_eq!(entries.len(), 2);
    for (e, r) in entries.iter().zip(recipients) {
        assert_eq!(e.counterparty, r);
        assert_eq!(e.direction, Direction::Sent);
        assert_eq!(e.envelope_id, entry(4).envelope_id.0);
        assert_eq!(e.envelope_hash, [4; 32]);
        assert_eq!(e.record_types, vec!["drug_test".to_owned()]);
        assert_eq!(e.subject_key, subject_key(&subject()));
    }
    assert_eq!((entries[0].seq, entries[1].seq), (1, 2));
    assert_eq!(entries[1].prev_hash, entries[0].entry_hash);

    // Recording it again is refused whole: nothing is written.
    match l.record_sent(&sealed(4, &recipients), T0) {
        Err(LedgerError::AlreadyRecorded { counterparty, .. }) => {
            assert_eq!(counterparty, "superior-court")
        }
        other => panic!("expected AlreadyRecorded, got {other:?}"),
    }
    // A batch whose second half is a duplicate leaves no first half behind.
    assert!(matches!(
        l.record_sent(&sealed(4, &["probation", "district-attorney"]), T0),
        Err(LedgerError::AlreadyRecorded { .. })
    ));
    assert_eq!(l.head().unwrap().0, 2);
    assert!(
        l.entries()
            .unwrap()
            .iter()
            .all(|e| e.counterparty != "probation")
    );
}

#[test]
fn record_sent_refuses_inconsistent_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    assert!(matches!(
        l.record_sent(&sealed(1, &[]), T0),
        Err(LedgerError::InvalidEntry(_))
    ));
    // A sealed disclosure whose signed consent reference is not the consent its permits
    // name is not one `disclosure::seal` makes: refused.
    let mut other = sealed(1, &["superior-court"]);
    other.metadata.disclosure.consent.id = "c-other-0001".into();
    assert!(matches!(
        l.record_sent(&other, T0),
        Err(LedgerError::InvalidEntry(_))
    ));
    assert_eq!(l.head().unwrap(), (0, genesis_hash(AGENCY)));
}

#[test]
fn invalid_entries_are_refused_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    type Edit = Box<dyn Fn(&mut NewEntry)>;
    // The date of birth, the record types and the purpose are typed: an empty or NUL one
    // cannot be built, so only the text fields and the counts are left to check here.
    let cases: Vec<(&str, Edit)> = vec![
        ("counterparty", Box::new(|e| e.counterparty.clear())),
        ("name", Box::new(|e| e.subject.name = "  \t ".into())),
        ("name", Box::new(|e| e.subject.name = "a\0b".into())),
        ("record type", Box::new(|e| e.record_types.clear())),
        ("consent", Box::new(|e| e.consent_id = "c\0".into())),
        ("time", Box::new(|e| e.time = u64::MAX)),
    ];
    for (what, edit) in cases {
        let mut e = entry(1);
        edit(&mut e);
        match l.append(&e) {
            Err(err @ LedgerError::InvalidEntry(_)) => {
                assert!(err.to_string().contains(what), "{what}: {err}")
            }
            other => panic!("{what}: expected InvalidEntry, got {other:?}"),
        }
    }
    assert_eq!(l.head().unwrap().0, 0);
}

// --- accounting -------------------------------------------------------------------------

#[test]
fn accounting_lists_disclosures_about_the_participant_in_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    let t = |d: u64| T0 + d * DAY;
    l.append(&sent(1, "superior-court", subject(), t(1)))
        .unwrap(); // 1: in
    l.append(&sent(2, "superior-court", sam(), t(2))).unwrap(); // 2: other participant
    l.append(&NewEntry {
        time: t(3),
        ..received(3)
    })
    .unwrap(); // 3: received, not a disclosure by us
    l.append(&sent(4, "district-attorney", subject(), t(4)))
        .unwrap(); // 4: in
    l.append(&sent(
        5,
        "probation",
        Subject {
            name: "Jordan Avery Reyes".into(),
            date_of_birth: Date::parse("1994-03-15").expect("date"),
        },
        t(5),
    ))
    .unwrap(); // 5: same name, another person
    l.append(&sent(6, "probation", subject(), t(9))).unwrap(); // 6: after the period
    l.append(&sent(7, "probation", subject(), t(0))).unwrap(); // 7: before the period

    // The participant writes their name their own way.
    let asker = Subject {
        name: "  JORDAN   avery\treyes ".into(),
        date_of_birth: Date::parse("1994-03-14").expect("date"),
    };
    let got = l.accounting(&asker, t(1), t(4)).unwrap();
    let seqs: Vec<u64> = got.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 4], "bounds are inclusive");
    assert!(got.iter().all(|e| e.direction == Direction::Sent));
    assert_eq!(got[1].counterparty, "district-attorney");

    // The whole history, in ledger order.
    let all: Vec<u64> = l
        .accounting(&asker, 0, u64::MAX)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(all, vec![1, 4, 6, 7]);
    assert!(l.accounting(&asker, t(5), t(4)).unwrap().is_empty());
    assert!(l.accounting(&asker, u64::MAX, u64::MAX).unwrap().is_empty());
    assert_eq!(l.accounting(&sam(), 0, u64::MAX).unwrap().len(), 1);
}

#[test]
fn the_participants_name_is_not_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.ledger");
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    l.append(&entry(1)).unwrap();
    l.checkpoint(&keys(), T0).unwrap();
    let export = l.export().unwrap();
    drop(l);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("agency.ledger-wal")) {
        bytes.extend(wal);
    }
    for hay in [&bytes, &export] {
        assert!(!hay.windows(6).any(|w| w == b"Jordan"));
        assert!(!hay.windows(10).any(|w| w == b"1994-03-14"));
    }
}

// --- checkpoints ------------------------------------------------------------------------

#[test]
fn checkpoints_verify_only_under_the_agencys_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut l) = ledger_with(dir.path(), 3);
    let cp = l.checkpoint(&keys(), T0 + 10).unwrap();
    assert_eq!((cp.seq, cp.head), l.head().unwrap());
    assert!(
        cp.verify_signature(AGENCY, keys().public().signing())
            .is_ok()
    );
    assert!(
        cp.verify_signature("other-agency", keys().public().signing())
            .is_err()
    );

    let report = verify(&l).unwrap();
    assert_eq!(
        (report.entries, report.checkpoints, report.anchored_seq),
        (3, 1, 3)
    );
    assert_eq!(report.head, cp.head);

    let err = l
        .verify_with_key(other_keys().public().signing())
        .unwrap_err();
    match &err {
        LedgerError::Tampered { seq, reason } => {
            assert_eq!(*seq, 3);
            assert!(reason.contains("not the agency's key"), "{reason}");
        }
        other => panic!("expected Tampered, got {other:?}"),
    }
}

#[test]
fn checkpoints_of_an_empty_and_a_growing_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = open(&dir);
    let empty = l.checkpoint(&keys(), T0).unwrap();
    assert_eq!((empty.seq, empty.head), (0, genesis_hash(AGENCY)));
    let report = verify(&l).unwrap();
    assert_eq!(
        (report.entries, report.checkpoints, report.anchored_seq),
        (0, 1, 0)
    );
    for i in 1..=4 {
        l.append(&entry(i)).unwrap();
        l.checkpoint(&keys(), T0 + i).unwrap();
    }
    l.checkpoint(&keys(), T0 + 99).unwrap(); // twice at the same head
    l.append(&entry(5)).unwrap();
    let report = verify(&l).unwrap();
    assert_eq!(
        (report.entries, report.checkpoints, report.anchored_seq),
        (5, 6, 4)
    );
    let seqs: Vec<u64> = l.checkpoints().unwrap().iter().map(|c| c.seq).collect();
    assert_eq!(seqs, vec![0, 1, 2, 3, 4, 4]);
}

#[test]
fn the_checkpoint_signature_covers_the_documented_bytes() {
    use divex_core::testing::codec::{Value, decode};
    let head = [5u8; 32];
    let tbs = Checkpoint::to_be_signed("probation", 12, &head, T0);
    let want = Value::Array(vec![
        Value::from("divex/v1 ledger checkpoint"),
        Value::from("probation"),
        Value::from(12u64),
        Value::bytes(head),
        Value::from(T0),
    ]);
    assert_eq!(decode(&tbs).unwrap(), want);
}

// --- persistence and open ---------------------------------------------------------------

#[test]
fn entries_and_checkpoints_persist_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.ledger");
    let (before, head, cps) = {
        let mut l = Ledger::open(&path, AGENCY).unwrap();
        for i in 1..=5 {
            l.append(&entry(i)).unwrap();
        }
        l.checkpoint(&keys(), T0 + 6).unwrap();
        (
            l.entries().unwrap(),
            l.head().unwrap(),
            l.checkpoints().unwrap(),
        )
    };
    let mut l = Ledger::open(&path, AGENCY).unwrap();
    assert_eq!(l.agency_id(), AGENCY);
    assert_eq!(l.path(), path);
    assert_eq!(l.entries().unwrap(), before);
    assert_eq!(l.head().unwrap(), head);
    assert_eq!(l.checkpoints().unwrap(), cps);
    assert!(l.seen(&entry(1).envelope_id));
    // The chain continues where it stopped.
    let next = l.append(&entry(6)).unwrap();
    assert_eq!(next.seq, 6);
    assert_eq!(next.prev_hash, head.1);
    assert_eq!(verify(&l).unwrap().entries, 6);
    assert!(matches!(
        l.append(&entry(1)),
        Err(LedgerError::Replay { .. })
    ));
}

#[test]
fn two_handles_on_one_file_interleave_safely() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.ledger");
    let mut a = Ledger::open(&path, AGENCY).unwrap();
    let mut b = Ledger::open(&path, AGENCY).unwrap();
    for i in 1..=6u64 {
        let l = if i.is_multiple_of(2) { &mut a } else { &mut b };
        assert_eq!(l.append(&entry(i)).unwrap().seq, i);
        l.checkpoint(&keys(), T0 + i).unwrap();
    }
    // Both handles advanced the one high-water mark.
    assert_eq!(a.high_water_mark().unwrap().unwrap().seq, 6);
    assert_eq!(verify(&a).unwrap().entries, 6);
}

#[test]
fn open_refuses_what_is_not_this_agencys_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.ledger");
    drop(Ledger::open(&path, AGENCY).unwrap());

    match Ledger::open(&path, "probation") {
        Err(e @ LedgerError::WrongAgency { .. }) => {
            assert!(e.to_string().contains("treatment-provider"), "{e}")
        }
        other => panic!("expected WrongAgency, got {other:?}"),
    }
    assert!(matches!(
        Ledger::open(&path, ""),
        Err(LedgerError::InvalidAgencyId)
    ));

    raw(&path).pragma_update(None, "user_version", 3).unwrap();
    assert!(matches!(
        Ledger::open(&path, AGENCY),
        Err(LedgerError::UnsupportedSchema {
            found: 3,
            supported: 2
        })
    ));

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        b"this is not a database, it is a long enough text file",
    )
    .unwrap();
    assert!(matches!(
        Ledger::open(&text, AGENCY),
        Err(LedgerError::NotALedger { .. })
    ));

    let other = dir.path().join("other.db");
    raw(&other).execute("CREATE TABLE t (x)", []).unwrap();
    assert!(matches!(
        Ledger::open(&other, AGENCY),
        Err(LedgerError::NotALedger { .. })
    ));
    // ... and left it alone.
    let n: i64 = raw(&other)
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);

    let missing_dir = dir.path().join("no/such/dir/agency.ledger");
    assert!(matches!(
        Ledger::open(&missing_dir, AGENCY),
        Err(LedgerError::Database { .. })
    ));
}

#[test]
fn the_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _l) = ledger_with(dir.path(), 1);
    let mode: String = raw(&path)
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// The ledger is protected health information (who was disclosed to whom): the file and its
/// SQLite side files are created readable by the owner only, whatever the umask (0022 here
/// and on most systems would otherwise give 0644).
#[cfg(unix)]
#[test]
fn the_file_and_its_side_files_are_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, l) = ledger_with(dir.path(), 3);
    let mut checked = 0;
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        // The side files exist while the connection is open (WAL mode, entries appended).
        let meta = std::fs::metadata(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o600,
            "{} has mode {:o}",
            file.display(),
            meta.permissions().mode() & 0o777
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
    drop(l);
}

// --- export -----------------------------------------------------------------------------

#[test]
fn export_is_json_lines_with_everything_needed_to_reverify() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut l) = ledger_with(dir.path(), 3);
    let cp = l.checkpoint(&keys(), T0 + 9).unwrap();
    let out = String::from_utf8(l.export().unwrap()).unwrap();
    assert!(out.ends_with('\n'));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    assert_eq!(lines.len(), 1 + 3 + 1);
    assert_eq!(lines[0]["format"], "divex-ledger-export");
    assert_eq!(lines[0]["agency_id"], AGENCY);
    assert_eq!(lines[0]["genesis"], hex::encode(genesis_hash(AGENCY)));
    assert_eq!(lines[0]["entries"], 3);
    let entries = l.entries().unwrap();
    for (line, e) in lines[1..4].iter().zip(&entries) {
        assert_eq!(line["type"], "entry");
        assert_eq!(line["seq"], e.seq);
        assert_eq!(line["direction"], e.direction.as_str());
        assert_eq!(line["record_types"][0], "drug_test");
        assert_eq!(line["entry_hash"], hex::encode(e.entry_hash));
        assert_eq!(line["subject_key"], hex::encode(e.subject_key));
    }
    assert_eq!(lines[4]["type"], "checkpoint");
    assert_eq!(lines[4]["signature"], hex::encode(cp.signature));
}

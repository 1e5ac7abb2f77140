//! The rollback matrix (issue #12, reproduced failure 2; spec/ledger.md §4): on a world made by
//! `divex demo --dir`, every way an insider without the keystore passphrase can shorten an
//! agency's ledger — delete its last 1, 2 or 3 entries with or without their checkpoints, empty
//! the file (its tables, its bytes, or the file itself), restore an older copy — is refused by
//! the next `ledger verify`, `seal` and `open` with `rolled_back`, naming the missing entries;
//! swapping two agencies' ledger files is refused as `wrong_agency`. The refused `seal` and
//! `open` write nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use divex_fixtures::T0;

/// The demo's keystore passphrase (`DIVEX_PASSPHRASE` unset).
const DEMO_PASS: &str = "divex-demo";

/// Runs `divex --home home --json args` on the system clock (the demo's certificates are valid
/// around today).
fn divex(home: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_divex"))
        .arg("--home")
        .arg(home)
        .arg("--json")
        .args(args)
        .env("DIVEX_PASSPHRASE", DEMO_PASS)
        .env_remove("DIVEX_HOME")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn ledger(home: &Path, agency: &str) -> PathBuf {
    home.join("agencies").join(agency).join("ledger.sqlite")
}

fn sql(home: &Path, agency: &str, statements: &str) {
    let c = rusqlite::Connection::open(ledger(home, agency)).unwrap();
    c.execute_batch(statements).unwrap();
}

fn entries(home: &Path, agency: &str) -> u64 {
    let c = rusqlite::Connection::open(ledger(home, agency)).unwrap();
    c.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))
        .unwrap() as u64
}

/// Removes SQLite's side files, as someone replacing the database file would.
fn drop_side_files(home: &Path, agency: &str) {
    let l = ledger(home, agency);
    for ext in ["sqlite-wal", "sqlite-shm"] {
        let _ = std::fs::remove_file(l.with_extension(ext));
    }
}

/// The agency appends one more receipt and checkpoints with its own keys, as it would when
/// it goes on working.
fn advance(home: &Path, agency: &str) {
    use divex_core::records::RecordType;
    let ks = std::fs::read(home.join("agencies").join(agency).join("keys.divex")).unwrap();
    let (_, keys) = divex_core::keystore::open_agency(&ks, DEMO_PASS).unwrap();
    let mut l = divex_ledger::Ledger::open(&ledger(home, agency), agency).unwrap();
    let (seq, _) = l.head().unwrap();
    let now = divex_fixtures::T0;
    l.append(&divex_ledger::NewEntry {
        time: now,
        direction: divex_ledger::Direction::Received,
        counterparty: "treatment-provider".into(),
        subject: divex_fixtures::subject(),
        record_types: vec![RecordType::DrugTest],
        purpose: divex_fixtures::CJ_PURPOSE.clone(),
        consent_id: "c-pc1000-0001".into(),
        envelope_id: divex_core::envelope::EnvelopeId([0xa5; 16]),
        envelope_hash: [0x5a; 32],
        receipt: None,
    })
    .unwrap();
    l.checkpoint(&keys, now + 1).unwrap();
    assert_eq!(l.head().unwrap().0, seq + 1);
}

/// How the insider shortens agency `agency`'s ledger; returns the range the refusal must name
/// (`None`: a swap, refused as another agency's file).
#[derive(Debug, Clone, Copy)]
enum Case {
    DeleteLast { k: u64, checkpoints: bool },
    EmptyTables,
    EmptyFile,
    DeleteFile,
    OlderCopy,
    Swap,
}

const CASES: [Case; 11] = [
    Case::DeleteLast {
        k: 1,
        checkpoints: true,
    },
    Case::DeleteLast {
        k: 2,
        checkpoints: true,
    },
    Case::DeleteLast {
        k: 3,
        checkpoints: true,
    },
    Case::DeleteLast {
        k: 1,
        checkpoints: false,
    },
    Case::DeleteLast {
        k: 2,
        checkpoints: false,
    },
    Case::DeleteLast {
        k: 3,
        checkpoints: false,
    },
    Case::EmptyTables,
    Case::EmptyFile,
    Case::DeleteFile,
    Case::OlderCopy,
    Case::Swap,
];

fn apply(home: &Path, agency: &str, other: &str, case: Case) -> Option<String> {
    let n = entries(home, agency);
    match case {
        Case::DeleteLast { k, checkpoints } => {
            let keep = n.saturating_sub(k);
            sql(
                home,
                agency,
                &format!("DELETE FROM entries WHERE seq > {keep};"),
            );
            if checkpoints {
                sql(
                    home,
                    agency,
                    &format!("DELETE FROM checkpoints WHERE seq > {keep};"),
                );
            }
            Some(format!("entries {}..={n}", keep + 1))
        }
        Case::EmptyTables => {
            sql(
                home,
                agency,
                "DELETE FROM entries; DELETE FROM checkpoints;",
            );
            Some(format!("entries 1..={n}"))
        }
        Case::EmptyFile => {
            drop_side_files(home, agency);
            std::fs::write(ledger(home, agency), b"").unwrap();
            Some(format!("entries 1..={n}"))
        }
        Case::DeleteFile => {
            drop_side_files(home, agency);
            std::fs::remove_file(ledger(home, agency)).unwrap();
            Some(format!("entries 1..={n}"))
        }
        Case::OlderCopy => {
            let backup = home.join("backup.sqlite");
            std::fs::copy(ledger(home, agency), &backup).unwrap();
            advance(home, agency);
            drop_side_files(home, agency);
            std::fs::rename(&backup, ledger(home, agency)).unwrap();
            Some(format!("entries {}..={}", n + 1, n + 1))
        }
        Case::Swap => {
            let (a, b) = (ledger(home, agency), ledger(home, other));
            drop_side_files(home, agency);
            drop_side_files(home, other);
            let tmp = home.join("swap.sqlite");
            std::fs::rename(&a, &tmp).unwrap();
            std::fs::rename(&b, &a).unwrap();
            std::fs::rename(&tmp, &b).unwrap();
            None
        }
    }
}

fn expect_refused(what: &str, r: &Run, agency: &str, other: &str, missing: &Option<String>) {
    assert_ne!(r.code, 0, "{what}: accepted\n{}{}", r.stdout, r.stderr);
    let (category, code, exit) = r.error_code();
    let message = &r.stderr;
    match missing {
        Some(range) => {
            assert_eq!(
                (category.as_str(), code.as_str(), exit),
                (Some("ledger"), "rolled_back", EXIT_REFUSED),
                "{what}: {message}"
            );
            assert!(message.contains(range), "{what}: names {range}: {message}");
            assert!(
                message.contains(agency),
                "{what}: names {agency}: {message}"
            );
        }
        None => {
            assert_eq!(
                (category.as_str(), code.as_str()),
                (Some("ledger"), "wrong_agency"),
                "{what}: {message}"
            );
            assert!(
                message.contains(agency) && message.contains(other),
                "{what}: {message}"
            );
        }
    }
}

#[test]
fn every_rollback_of_every_demo_ledger_is_refused_by_verify_seal_and_open() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_divex"))
        .args(["demo", "--dir"])
        .arg(&demo)
        .env_remove("DIVEX_PASSPHRASE")
        .env_remove("DIVEX_HOME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut agencies: Vec<String> = std::fs::read_dir(demo.join("agencies"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    agencies.sort();
    assert_eq!(agencies.len(), 6);
    let envelope = std::fs::read_dir(demo.join("envelopes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .min()
        .unwrap();
    let record = tmp.path().join("drug-test.json");
    std::fs::write(
        &record,
        r#"{"collected_at": 1735000000, "specimen": "urine", "observed": true, "panel": "10-panel",
            "results": [{"analyte": "fentanyl", "result": "negative"}],
            "confirmation": "not_required"}"#,
    )
    .unwrap();

    let mut refused = 0;
    for (i, agency) in agencies.iter().enumerate() {
        let other = &agencies[(i + 1) % agencies.len()];
        for case in CASES {
            let home = tmp.path().join(format!("{agency}-{case:?}"));
            copy_dir(&demo, &home);
            // The honest ledger verifies.
            divex(&home, &["ledger", "verify", "--agency", agency]).ok();
            let missing = apply(&home, agency, other, case);
            let what = format!("{agency}, {case:?}");

            let before = snapshot(&home);
            let verify = divex(&home, &["ledger", "verify", "--agency", agency]);
            expect_refused(&format!("{what}: verify"), &verify, agency, other, &missing);
            let seal = divex(
                &home,
                &[
                    "seal",
                    "--agency",
                    agency,
                    "--to",
                    other,
                    "--consent",
                    "c-pc1000-0001",
                    "--purpose",
                    PURPOSE,
                    "--record-type",
                    "drug_test",
                    "--record",
                    record.to_str().unwrap(),
                    "--subject-name",
                    SUBJECT,
                    "--subject-dob",
                    DOB,
                ],
            );
            expect_refused(&format!("{what}: seal"), &seal, agency, other, &missing);
            let open = divex(
                &home,
                &["open", "--agency", agency, envelope.to_str().unwrap()],
            );
            expect_refused(&format!("{what}: open"), &open, agency, other, &missing);
            assert_unchanged(&before, &home);
            std::fs::remove_dir_all(&home).unwrap();
            refused += 3;
        }
    }
    assert_eq!(refused, 6 * CASES.len() * 3);
}

#[test]
fn a_lost_mark_is_adopted_only_with_the_passphrase_and_never_over_a_rollback() {
    let w = World::new();
    w.seal(&["superior-court"]);
    w.seal(&["probation"]);
    let dir = w.home.join("agencies/treatment-provider");
    let mark = dir.join("ledger.sqlite.head");
    let verify = [
        "--json",
        "ledger",
        "verify",
        "--agency",
        "treatment-provider",
    ];
    let adopt = ["--json", "ledger", "mark", "--agency", "treatment-provider"];

    // A ledger from before marks existed (or restored without its mark).
    std::fs::remove_file(&mark).unwrap();
    assert_eq!(w.run(&verify).error_code().1, "head_mark_missing");
    let record = w.path("drug-test.json");
    let seal = w.seal_args(record.to_str().unwrap(), &["probation"]);
    assert_eq!(
        w.run(&[&["--json"][..], &seal].concat()).error_code().1,
        "head_mark_missing"
    );
    // Not without the passphrase...
    let wrong = run_in(&w.home, T0, "not the passphrase", &adopt);
    assert_eq!(wrong.error_code().2, EXIT_PASSPHRASE);
    assert!(!mark.exists());
    // ...with it, the current head becomes the mark.
    let r = w.run(&adopt).ok();
    assert_eq!(r.json()["marked_seq"], 2);
    assert!(r.stderr.contains("no high-water mark"), "{}", r.stderr);
    assert_eq!(w.run(&verify).ok().json()["marked_seq"], 2);

    // A rolled-back ledger is not adopted: the mark stays.
    let before = std::fs::read(&mark).unwrap();
    rusqlite::Connection::open(dir.join("ledger.sqlite"))
        .unwrap()
        .execute_batch("DELETE FROM entries WHERE seq = 2; DELETE FROM checkpoints WHERE seq >= 2;")
        .unwrap();
    assert_eq!(w.run(&adopt).error_code().1, "rolled_back");
    assert_eq!(std::fs::read(&mark).unwrap(), before);
}

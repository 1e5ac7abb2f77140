//! Exactly-once recording (issue #12, reproduced failure 3; spec/ledger.md §6): `seal` and
//! `open` record nothing when their output cannot be written, and a retry then succeeds once;
//! two concurrent `open`s of one envelope both succeed with one receipt; the same envelope is
//! shown again, a different one under a recorded id is a replay; a seal killed after it was
//! recorded is given again to a retry, not sealed twice; and a command that fails writes
//! nothing (the README's failure contract).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use divex_fixtures::{DAY, T0};

const PROVIDER: &str = "treatment-provider";
const COURT: &str = "superior-court";

/// `divex --home H --now T0 args` with standard output sent to `stdout`.
fn run_to(w: &World, stdout: Stdio, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_divex"))
        .arg("--home")
        .arg(&w.home)
        .arg("--now")
        .arg(T0.to_string())
        .args(args)
        .env("DIVEX_PASSPHRASE", PASS)
        .env("DIVEX_TEST_CLOCK", "1")
        .env("DIVEX_KDF", "fast")
        .env_remove("DIVEX_HOME")
        .envs(env.iter().copied())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn dev_full() -> Stdio {
    Stdio::from(
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap(),
    )
}

fn ledger(w: &World, agency: &str) -> PathBuf {
    w.home.join("agencies").join(agency).join("ledger.sqlite")
}

/// (direction, envelope id hex) of every entry of `agency`'s ledger, if it exists.
fn entries(w: &World, agency: &str) -> Vec<(String, String)> {
    let path = ledger(w, agency);
    if !path.exists() {
        return Vec::new();
    }
    let c = rusqlite::Connection::open(path).unwrap();
    let mut stmt = c
        .prepare("SELECT direction, envelope_id FROM entries ORDER BY seq")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, hex::encode(r.get::<_, Vec<u8>>(1)?)))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn envelopes(w: &World) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(w.home.join("envelopes")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".envelope.cose"))
        .collect();
    v.sort();
    v
}

fn id_of(envelope: &Path) -> String {
    envelope
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".envelope.cose")
        .to_owned()
}

#[test]
fn a_seal_whose_report_cannot_be_written_records_nothing_and_a_retry_seals_once() {
    let w = World::new();
    let record = w.path("drug-test.json");
    let args = w.seal_args(record.to_str().unwrap(), &[COURT, "probation"]);
    let before = snapshot(&w.home);
    let r = run_to(&w, dev_full(), &args, &[]);
    assert_eq!(r.code, EXIT_IO, "{}", r.stderr);
    assert!(r.stderr.contains("standard output"), "{}", r.stderr);
    assert!(entries(&w, PROVIDER).is_empty(), "nothing recorded");
    assert!(envelopes(&w).is_empty(), "no envelope left");
    assert_unchanged(&before, &w.home);

    // The retry seals once: one envelope, one entry per recipient.
    let j = w.run(&[&args[..], &["--json"]].concat()).ok().json();
    let id = j["envelope_id"].as_str().unwrap();
    assert_eq!(envelopes(&w).len(), 1);
    assert_eq!(
        entries(&w, PROVIDER),
        vec![("sent".into(), id.into()), ("sent".into(), id.into())]
    );
    assert_eq!(j["ledger_entries"], serde_json::json!([1, 2]));
}

#[test]
fn an_open_whose_record_cannot_be_written_records_nothing_and_a_retry_opens_once() {
    let w = World::new();
    let env = w.seal(&[COURT]);
    let args = ["open", "--agency", COURT, env.to_str().unwrap()];
    let before = snapshot(&w.home);
    let r = run_to(&w, dev_full(), &args, &[]);
    assert_eq!(r.code, EXIT_IO, "{}", r.stderr);
    assert!(entries(&w, COURT).is_empty(), "nothing recorded");
    assert_unchanged(&before, &w.home);

    let r = w.run(&args).ok();
    assert!(r.stdout.contains("fentanyl") && r.stdout.contains("entry 1 recorded"));
    assert_eq!(entries(&w, COURT).len(), 1);
    // Once more: shown again, still one receipt.
    let r = w.run(&args).ok();
    assert!(r.stdout.contains("shown again"), "{}", r.stdout);
    assert_eq!(entries(&w, COURT).len(), 1);
}

#[test]
fn concurrent_opens_of_one_envelope_both_succeed_with_one_receipt() {
    let w = World::new();
    for round in 0..4 {
        // A record sealed to the court, whose consent the court does not hold yet: both opens
        // import it.
        let record = w.path(&format!("test-{round}.json"));
        std::fs::write(
            &record,
            format!(
                r#"{{"collected_at": {}, "specimen": "urine", "observed": true, "panel": "10-panel",
                    "results": [{{"analyte": "fentanyl", "result": "negative"}}],
                    "confirmation": "not_required"}}"#,
                T0 - DAY + round
            ),
        )
        .unwrap();
        let j = w
            .run(
                &[
                    &w.seal_args(record.to_str().unwrap(), &[COURT])[..],
                    &["--json"],
                ]
                .concat(),
            )
            .ok()
            .json();
        let env = j["envelope"].as_str().unwrap().to_owned();
        let consents = w.home.join("agencies").join(COURT).join("consents");
        let _ = std::fs::remove_dir_all(&consents);
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_divex"))
                .arg("--home")
                .arg(&w.home)
                .args([
                    "--now",
                    &(T0 + 60).to_string(),
                    "--json",
                    "open",
                    "--agency",
                    COURT,
                    &env,
                ])
                .env("DIVEX_PASSPHRASE", PASS)
                .env("DIVEX_TEST_CLOCK", "1")
                .env_remove("DIVEX_HOME")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            assert!(
                o.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let shown_again = [&a, &b]
            .iter()
            .filter(|o| String::from_utf8_lossy(&o.stdout).contains("\"shown_again\": true"))
            .count();
        assert_eq!(
            shown_again, 1,
            "round {round}: one records, one shows again"
        );
        let id = j["envelope_id"].as_str().unwrap();
        let receipts = entries(&w, COURT)
            .into_iter()
            .filter(|(d, e)| d == "received" && e == id)
            .count();
        assert_eq!(receipts, 1, "round {round}");
        assert_eq!(
            std::fs::read_dir(&consents).unwrap().count(),
            1,
            "one consent file"
        );
    }
    w.run(&["ledger", "verify", "--agency", COURT]).ok();
}

#[test]
fn another_envelope_under_a_recorded_id_is_a_replay() {
    let w = World::new();
    let env = w.seal(&[COURT]);
    let id: [u8; 16] = hex::decode(id_of(&env)).unwrap().try_into().unwrap();
    // The court's ledger already holds a receipt of other bytes under this id.
    let ks = std::fs::read(w.home.join("agencies").join(COURT).join("keys.divex")).unwrap();
    let (_, keys) = divex_core::keystore::open_agency(&ks, PASS).unwrap();
    let mut l = divex_ledger::Ledger::open(&ledger(&w, COURT), COURT).unwrap();
    l.append(&divex_ledger::NewEntry {
        time: T0,
        direction: divex_ledger::Direction::Received,
        counterparty: PROVIDER.into(),
        subject: divex_fixtures::subject(),
        record_types: vec![divex_core::records::RecordType::DrugTest],
        purpose: divex_fixtures::CJ_PURPOSE.clone(),
        consent_id: "c-pc1000-0001".into(),
        envelope_id: divex_core::envelope::EnvelopeId(id),
        envelope_hash: [0xee; 32],
        receipt: None,
    })
    .unwrap();
    l.checkpoint(&keys, T0).unwrap();
    drop(l);
    let before = snapshot(&w.home);
    let r = w.run(&["--json", "open", "--agency", COURT, env.to_str().unwrap()]);
    assert_eq!(
        r.error_code(),
        ("envelope".into(), "replay".into(), EXIT_REFUSED)
    );
    assert_unchanged(&before, &w.home);
}

#[test]
fn a_seal_killed_after_it_was_recorded_is_given_again_to_a_retry() {
    let w = World::new();
    let record = w.path("drug-test.json");
    let args = w.seal_args(record.to_str().unwrap(), &[COURT]);
    let args_json = [&args[..], &["--json"]].concat();
    for point in ["seal:reported", "seal:committed", "seal:checkpointed"] {
        let n = entries(&w, PROVIDER).len();
        let r = run_to(
            &w,
            Stdio::piped(),
            &args_json,
            &[("DIVEX_TEST_CRASH_AT", point)],
        );
        assert_ne!(r.code, 0, "{point}: the crash hook stops it");
        let killed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        // The retry gets the same envelope and records nothing new.
        let j = w.run(&args_json).ok();
        assert!(j.stderr.contains("already sealed"), "{point}: {}", j.stderr);
        let j = j.json();
        assert_eq!(j["envelope_id"], killed["envelope_id"], "{point}");
        assert_eq!(entries(&w, PROVIDER).len(), n + 1, "{point}: recorded once");
        // Reported now: the same request again is a new disclosure.
        let again = w.run(&args_json).ok().json();
        assert_ne!(again["envelope_id"], j["envelope_id"], "{point}");
        assert_eq!(entries(&w, PROVIDER).len(), n + 2);
    }
    // The envelope of a seal given again, moved away meanwhile, is written again.
    let r = run_to(
        &w,
        Stdio::piped(),
        &args_json,
        &[("DIVEX_TEST_CRASH_AT", "seal:committed")],
    );
    let killed: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let path = PathBuf::from(killed["envelope"].as_str().unwrap());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    w.run(&args_json).ok();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    w.run(&["ledger", "verify", "--agency", PROVIDER]).ok();
}

#[test]
fn a_command_that_fails_writes_nothing() {
    let w = World::new();
    let env = w.seal(&[COURT]);
    let record = w.path("drug-test.json");
    let record = record.to_str().unwrap();
    let seal = |to: &[&'static str], change: &[(&str, &str)]| -> Vec<String> {
        let mut args: Vec<String> = w
            .seal_args(record, to)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for (flag, value) in change {
            let i = args.iter().position(|a| a == flag).unwrap();
            args[i + 1] = (*value).to_owned();
        }
        args
    };
    let failing: Vec<(&str, Vec<String>, Option<&str>)> = vec![
        ("denied", seal(&["police-lead-unit"], &[]), None),
        (
            "unknown consent",
            seal(&[COURT], &[("--consent", "c-none")]),
            None,
        ),
        (
            "wrong passphrase",
            seal(&[COURT], &[]),
            Some("not the passphrase"),
        ),
        (
            "not for this agency",
            vec![
                "open".into(),
                "--agency".into(),
                "probation".into(),
                env.to_string_lossy().into_owned(),
            ],
            None,
        ),
        (
            "wrong passphrase at open",
            vec![
                "open".into(),
                "--agency".into(),
                COURT.into(),
                env.to_string_lossy().into_owned(),
            ],
            Some("not the passphrase"),
        ),
    ];
    for (what, args, pass) in failing {
        let before = snapshot(&w.home);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_in(&w.home, T0, pass.unwrap_or(PASS), &args);
        assert_ne!(r.code, 0, "{what}: {}", r.stdout);
        assert_unchanged(&before, &w.home);
    }
}

//! The crash test (issue #12, reproduced failure 3; spec/ledger.md §6): `divex seal` and `divex
//! open` are stopped at more than 80 points each — `SIGKILL` after increasing delays spread
//! over a whole run, and an abort at each of their durable steps (the debug builds' hidden
//! `DIVEX_TEST_CRASH_AT` hook, `support::crash_point`). After each, the next command leaves no
//! "sent" entry without its envelope, no envelope without its entry, no pending seal, and no
//! lost receipt: opening the envelope again succeeds and records it exactly once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use divex_fixtures::{DAY, T0};
use sha2::{Digest, Sha256};

const PROVIDER: &str = "treatment-provider";
const COURT: &str = "superior-court";
/// Timed kills per command.
const TIMED: u32 = 80;
const SEAL_STEPS: [&str; 5] = [
    "seal:pending",
    "seal:written",
    "seal:reported",
    "seal:committed",
    "seal:checkpointed",
];
const OPEN_STEPS: [&str; 5] = [
    "open:locked",
    "open:consent",
    "open:reported",
    "open:committed",
    "open:checkpointed",
];

fn divex(w: &World, args: &[&str], crash_at: Option<&str>) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_divex"));
    c.arg("--home")
        .arg(&w.home)
        .args(["--now", &T0.to_string()])
        .args(args)
        .env("DIVEX_PASSPHRASE", PASS)
        .env("DIVEX_TEST_CLOCK", "1")
        .env_remove("DIVEX_HOME")
        .env_remove("DIVEX_TEST_CRASH_AT")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(p) = crash_at {
        c.env("DIVEX_TEST_CRASH_AT", p);
    }
    c
}

/// The `i`-th drug test (a distinct record, so a distinct request).
fn record(w: &World, i: u32) -> PathBuf {
    let p = w.path(&format!("test-{i}.json"));
    std::fs::write(
        &p,
        format!(
            r#"{{"collected_at": {}, "specimen": "urine", "observed": true, "panel": "10-panel",
                "results": [{{"analyte": "fentanyl", "result": "negative"}}],
                "confirmation": "not_required"}}"#,
            T0 - DAY + u64::from(i)
        ),
    )
    .unwrap();
    p
}

fn seal_args(w: &World, i: u32) -> Vec<String> {
    let r = record(w, i);
    w.seal_args(r.to_str().unwrap(), &[COURT])
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// Runs `c` to its end, or kills it (`SIGKILL`) after `delay`.
fn run_or_kill(mut c: Command, delay: Option<Duration>) {
    let mut child: Child = c.spawn().unwrap();
    if let Some(d) = delay {
        std::thread::sleep(d);
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// The seal that follows a crash: it must succeed.
fn seal_ok(w: &World, i: u32) -> String {
    let args = seal_args(w, i);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = w.run(&[&args[..], &["--json"]].concat()).ok();
    r.json()["envelope"].as_str().unwrap().to_owned()
}

fn db(w: &World, agency: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(w.home.join("agencies").join(agency).join("ledger.sqlite")).unwrap()
}

/// No sent entry without its envelope, no envelope without its entry, no pending seal.
fn check_seals(w: &World, what: &str) {
    let c = db(w, PROVIDER);
    let mut sent: BTreeMap<String, [u8; 32]> = BTreeMap::new();
    let mut stmt = c
        .prepare("SELECT envelope_id, envelope_hash FROM entries WHERE direction = 'sent'")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .unwrap()
    {
        let (id, hash) = row.unwrap();
        sent.insert(hex::encode(id), hash.try_into().unwrap());
    }
    let pending: i64 = c
        .query_row("SELECT count(*) FROM pending WHERE done = 0", [], |r| {
            r.get(0)
        })
        .unwrap_or(0); // (no such table: a ledger without pending seals)
    assert_eq!(pending, 0, "{what}: a seal is still pending");
    let mut files: BTreeMap<String, [u8; 32]> = BTreeMap::new();
    for e in std::fs::read_dir(w.home.join("envelopes"))
        .unwrap()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".envelope.cose") {
            files.insert(
                id.to_owned(),
                Sha256::digest(std::fs::read(e.path()).unwrap()).into(),
            );
        }
    }
    assert_eq!(
        sent, files,
        "{what}: the sent entries and the envelopes written differ"
    );
}

/// Where a stopped seal left the provider: `pending` (recorded as pending, no envelope),
/// `written` (pending, envelope in place), or neither (nothing done yet, or recorded).
fn landing(w: &World) -> &'static str {
    let pending: Option<Vec<u8>> = db(w, PROVIDER)
        .query_row("SELECT envelope_id FROM pending WHERE done = 0", [], |r| {
            r.get(0)
        })
        .ok();
    match pending {
        Some(id)
            if w.home
                .join("envelopes")
                .join(format!("{}.envelope.cose", hex::encode(&id)))
                .exists() =>
        {
            "written"
        }
        Some(_) => "pending",
        None => "before or recorded",
    }
}

/// Runs `n` stops of a command: `TIMED` kills after delays spread over 1.3 times its usual
/// duration, then one abort at each of `steps`. `before(i)` prepares run `i` and returns its
/// command line; `after(i)` is the next command and its checks.
fn stops(
    w: &World,
    steps: &[&str],
    before: &dyn Fn(u32) -> Vec<String>,
    after: &dyn Fn(u32, &str),
) -> u32 {
    let run = |i: u32, crash: Option<&str>, delay: Option<Duration>| {
        let args = before(i);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_or_kill(divex(w, &args, crash), delay);
    };
    // Its usual duration, run to its end.
    let start = Instant::now();
    run(0, None, None);
    let usual = start.elapsed();
    after(0, "uninterrupted");
    let mut n = 0;
    for k in 0..TIMED {
        let i = 1 + k;
        let delay = usual.mul_f64(1.3 * f64::from(k) / f64::from(TIMED));
        run(i, None, Some(delay));
        after(i, &format!("killed after {delay:?}"));
        n += 1;
    }
    for (j, step) in steps.iter().enumerate() {
        let i = 1 + TIMED + j as u32;
        run(i, Some(step), None);
        after(i, &format!("aborted at {step}"));
        n += 1;
    }
    n
}

#[test]
fn seal_and_open_stopped_anywhere_leave_a_consistent_ledger() {
    let w = World::new();

    // seal: after each stop, the next seal completes or forgets what the stopped one left.
    // Where the stops landed: nothing done yet, pending without or with its envelope, recorded.
    let landed: std::cell::RefCell<BTreeMap<&str, u32>> = Default::default();
    let seals = stops(&w, &SEAL_STEPS, &|i| seal_args(&w, i), &|i, what| {
        *landed.borrow_mut().entry(landing(&w)).or_default() += 1;
        seal_ok(&w, 10_000 + i);
        check_seals(&w, what);
    });
    assert!(seals >= 80);
    println!("seal stops landed: {:?}", landed.borrow());
    w.run(&["ledger", "verify", "--agency", PROVIDER]).ok();

    // open: each stopped open is of a fresh envelope; opening it again succeeds and leaves
    // exactly one receipt.
    let envelopes: std::cell::RefCell<BTreeMap<u32, String>> = Default::default();
    let opens = stops(
        &w,
        &OPEN_STEPS,
        &|i| {
            let env = seal_ok(&w, 20_000 + i);
            envelopes.borrow_mut().insert(i, env.clone());
            vec!["open".into(), "--agency".into(), COURT.into(), env]
        },
        &|i, what| {
            let env = envelopes.borrow()[&i].clone();
            let r = w.run(&["--json", "open", "--agency", COURT, &env]);
            assert_eq!(r.code, 0, "{what}: the envelope opens again: {}", r.stderr);
            let id = Path::new(&env)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".envelope.cose")
                .to_owned();
            let n: i64 = db(&w, COURT)
                .query_row(
                    "SELECT count(*) FROM entries WHERE direction = 'received' AND envelope_id = ?1",
                    [hex::decode(&id).unwrap()],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{what}: exactly one receipt");
        },
    );
    assert!(opens >= 80);
    w.run(&["ledger", "verify", "--agency", COURT]).ok();
    w.run(&["ledger", "verify", "--agency", PROVIDER]).ok();
    check_seals(&w, "at the end");
}

//! A process killed (SIGKILL) in the middle of appending leaves a ledger that verifies, with
//! contiguous entries and nothing half-written.
//!
//! The test re-runs its own binary as the child, selecting the `child_appender` test and
//! passing the ledger path in an environment variable; without the variable that test does
//! nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use divex_ledger::{Direction, Ledger};

const CHILD_ENV: &str = "DIVEX_LEDGER_CRASH_CHILD";
const RECIPIENTS: [&str; 3] = ["superior-court", "district-attorney", "probation"];

/// In the child: append (checkpointing every 7 entries) until killed.
#[test]
fn child_appender() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return; // not the child
    };
    let mut l = Ledger::open(std::path::Path::new(&path), AGENCY).unwrap();
    let (mut next, _) = l.head().unwrap();
    let keys = keys();
    let mut announced = false;
    loop {
        next += 1;
        if next.is_multiple_of(3) {
            // One transaction of three entries: all or none survive the kill.
            let sent = l
                .record_sent(&sealed(next, &RECIPIENTS), T0 + next)
                .unwrap();
            next = sent.last().unwrap().seq;
        } else {
            let mut e = entry(next);
            e.direction = Direction::Received;
            l.append(&e).unwrap();
        }
        // Checkpoint (and so write the high-water mark) from the first append on, then
        // every 7 entries.
        if !announced || next.is_multiple_of(7) {
            l.checkpoint(&keys, T0 + next).unwrap();
        }
        if !announced {
            println!("CHILD-READY");
            announced = true;
        }
    }
}

#[test]
fn killed_mid_append_the_ledger_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.ledger");
    Ledger::open(&path, AGENCY).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    for round in 0..5u64 {
        let mut child = Command::new(&exe)
            .args([
                "child_appender",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child has committed at least one entry, then let it run.
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("CHILD-READY") => break,
                Some(Ok(_)) => {}
                other => panic!("child ended before appending: {other:?}"),
            }
        }
        std::thread::sleep(Duration::from_millis(60 + 20 * round));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        // Killed by us, not ended by a failure of its own.
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(status.signal(), Some(9), "round {round}: child {status}");
        }
        assert!(!status.success());

        let l = Ledger::open(&path, AGENCY).unwrap();
        let report = verify(&l).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let entries = l.entries().unwrap();
        assert_eq!(entries.len() as u64, report.entries);
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.seq, i as u64 + 1, "contiguous");
        }
        // Each multi-recipient disclosure is there whole or not at all.
        let mut per_envelope = std::collections::BTreeMap::<[u8; 16], usize>::new();
        for e in entries.iter().filter(|e| e.direction == Direction::Sent) {
            *per_envelope.entry(e.envelope_id).or_default() += 1;
        }
        assert!(per_envelope.values().all(|n| *n == RECIPIENTS.len()));
        assert!(
            report.entries > last,
            "round {round}: the child appended ({} -> {})",
            last,
            report.entries
        );
        println!(
            "round {round}: {} entries, {} checkpoints after the kill",
            report.entries, report.checkpoints
        );
        last = report.entries;
    }
}

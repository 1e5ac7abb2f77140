//! Directory freshness (spec/directory.md §5.4, issue #12): the anchor publishes signed,
//! numbered, expiring directory snapshots; a home keeps the latest one per anchor outside
//! `directory.cbor`, so copying an old `directory.cbor` back revives nothing, an older snapshot
//! is refused, a reused sequence is refused, and an expired snapshot is flagged on every command
//! that loads the directory (and refused by `open --require-fresh-directory`).
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
use divex_fixtures::{DAY, T0};

/// `anchor publish` at `now`; returns the snapshot file and its sequence.
fn publish(w: &World, now: u64, extra: &[&str]) -> (PathBuf, u64) {
    let r = w
        .run_at(
            now,
            &[
                &["anchor", "publish", "--name", "county", "--json"][..],
                extra,
            ]
            .concat(),
        )
        .ok();
    let j = r.json();
    (
        PathBuf::from(j["snapshot"].as_str().unwrap()),
        j["sequence"].as_u64().unwrap(),
    )
}

/// The serial of `agency`'s certificate, from `directory list`.
fn serial_of(w: &World, agency: &str) -> String {
    let j = w.run(&["directory", "list", "--json"]).ok().json();
    j["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["agency"] == agency)
        .unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn status_of(home: &Path, now: u64, agency: &str) -> String {
    let j = run_in(home, now, PASS, &["directory", "list", "--json"])
        .ok()
        .json();
    j["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["agency"] == agency)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn revoke(w: &World, now: u64, serial: &str) {
    w.run_at(
        now,
        &[
            "anchor",
            "revoke",
            "--name",
            "county",
            "--serial",
            serial,
            "--reason",
            "key_compromise",
        ],
    )
    .ok();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn an_old_directory_copied_back_does_not_revive_a_revoked_certificate() {
    let w = World::new();
    let env = w.seal(&["superior-court"]);
    let (first, seq1) = publish(&w, T0, &[]);
    assert_eq!(seq1, 1, "the first snapshot of an anchor has sequence 1");

    // An agency's home takes the anchor's first snapshot, pinning its anchor.
    let agency = w.path("agency-home");
    let at = |now: u64, args: &[&str]| run_in(&agency, now, PASS, args);
    let j = at(
        T0 + 1,
        &[
            "directory",
            "import",
            "--trust-anchors",
            s(&first),
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["kind"], "directory snapshot");
    assert_eq!(j["sequence"], 1);
    let old_anchor_dir = std::fs::read(w.home.join("directory.cbor")).unwrap();
    let old_agency_dir = std::fs::read(agency.join("directory.cbor")).unwrap();

    // The provider's key is compromised: the anchor revokes and publishes again.
    revoke(&w, T0 + 10, &serial_of(&w, "treatment-provider"));
    let (second, seq2) = publish(&w, T0 + 20, &[]);
    assert_eq!(seq2, 2, "the next snapshot has the next sequence");
    at(T0 + 30, &["directory", "import", s(&second)]).ok();
    assert_eq!(status_of(&agency, T0 + 30, "treatment-provider"), "revoked");

    // An insider copies the old directory.cbor back, in the agency's home and in the anchor's
    // own home: the certificate stays revoked, and the court still refuses the envelope.
    std::fs::write(agency.join("directory.cbor"), &old_agency_dir).unwrap();
    assert_eq!(status_of(&agency, T0 + 30, "treatment-provider"), "revoked");
    std::fs::write(w.home.join("directory.cbor"), &old_anchor_dir).unwrap();
    assert_eq!(status_of(&w.home, T0 + 30, "treatment-provider"), "revoked");
    w.run_at(T0 + 30, &["open", "--agency", "superior-court", s(&env)])
        .fails(EXIT_REFUSED, "revoked");

    // The older snapshot itself is refused as stale, and changes nothing.
    let before = snapshot(&agency);
    let r = at(T0 + 40, &["directory", "import", s(&first), "--json"]);
    let (category, code, exit) = r.error_code();
    assert_eq!(
        (category, code.as_str(), exit),
        (serde_json::json!("directory"), "stale_bundle", EXIT_REFUSED)
    );
    assert_unchanged(&before, &agency);
    at(T0 + 40, &["directory", "import", s(&first)]).fails(EXIT_REFUSED, "sequence 1");

    // An unsigned bundle (the old directory file) still merges, and lowers nothing: the old
    // snapshot stays refused, the current one is accepted again (identical bytes).
    let old_file = w.path("old-directory.cbor");
    std::fs::write(&old_file, &old_agency_dir).unwrap();
    at(T0 + 50, &["directory", "import", s(&old_file)]).ok();
    at(T0 + 50, &["directory", "import", s(&first)]).fails(EXIT_REFUSED, "stale");
    at(T0 + 50, &["directory", "import", s(&second)]).ok();
    assert_eq!(status_of(&agency, T0 + 50, "treatment-provider"), "revoked");
}

#[test]
fn a_reused_sequence_with_other_bytes_is_refused() {
    let w = World::new();
    // The anchor's home is restored from a backup taken before it published sequence 5, and
    // publishes sequence 5 again with other content.
    let backup = w.path("anchor-backup");
    copy_dir(&w.home, &backup);
    let (five, seq) = publish(&w, T0, &["--sequence", "5"]);
    assert_eq!(seq, 5);
    // The anchor's own home refuses to publish a sequence it already used.
    w.run_at(
        T0 + 1,
        &["anchor", "publish", "--name", "county", "--sequence", "5"],
    )
    .fails(EXIT_USAGE, "--sequence 5");
    let r = run_in(
        &backup,
        T0 + 100,
        PASS,
        &[
            "anchor",
            "publish",
            "--name",
            "county",
            "--sequence",
            "5",
            "--json",
        ],
    )
    .ok();
    let five_again = PathBuf::from(r.json()["snapshot"].as_str().unwrap());
    assert_ne!(
        std::fs::read(&five).unwrap(),
        std::fs::read(&five_again).unwrap()
    );

    let agency = w.path("agency-home");
    let at = |args: &[&str]| run_in(&agency, T0 + 200, PASS, args);
    at(&["directory", "import", "--trust-anchors", s(&five)]).ok();
    // The same bytes again are fine; other bytes under the same sequence are not.
    at(&["directory", "import", s(&five)]).ok();
    let before = snapshot(&agency);
    let r = at(&["directory", "import", s(&five_again), "--json"]);
    assert_eq!(r.error_code().1, "sequence_reused");
    assert_unchanged(&before, &agency);
}

#[test]
fn an_expired_snapshot_is_flagged_and_refused_by_a_fresh_directory_policy() {
    let w = World::new();
    let env = w.seal(&["superior-court"]);
    let open = |now: u64, extra: &[&str]| {
        w.run_at(
            now,
            &[&["open", "--agency", "superior-court", s(&env)][..], extra].concat(),
        )
    };
    // Without any snapshot, the policy cannot be met: the directory's freshness is unknown.
    let r = open(T0 + 1, &["--require-fresh-directory", "--json"]);
    assert_eq!(r.error_code().1, "bundle_expired");
    let (_, seq) = publish(&w, T0 + 2, &["--days", "7"]);
    assert_eq!(seq, 1);
    // Fresh: no warning.
    let r = w.run_at(T0 + 3, &["directory", "list"]).ok();
    // (The harness's test clock prints its own warning line.)
    assert!(
        !r.stderr
            .lines()
            .any(|l| l.starts_with("warning:") && !l.contains("TEST CLOCK")),
        "{}",
        r.stderr
    );
    // Eight days later the snapshot has expired: every command that loads the directory warns.
    let later = T0 + 8 * DAY;
    for args in [
        vec!["directory", "list"],
        vec!["consent", "show", s(&w.consent_file())],
    ] {
        let r = w.run_at(later, &args).ok();
        assert!(
            r.stderr.contains("warning:") && r.stderr.contains("expired"),
            "{args:?}: {}",
            r.stderr
        );
    }
    let j = w
        .run_at(later, &["directory", "list", "--json"])
        .ok()
        .json();
    assert_eq!(j["anchors"][0]["snapshot"]["sequence"], 1);
    assert_eq!(j["anchors"][0]["snapshot"]["expired"], true);
    assert!(j["warnings"][0].as_str().unwrap().contains("expired"));
    // `open` with the freshness policy refuses (and records nothing)...
    let before = snapshot(&w.home);
    let r = open(later, &["--require-fresh-directory", "--json"]);
    assert_eq!(
        r.error_code(),
        (
            serde_json::json!("directory"),
            "bundle_expired".to_owned(),
            EXIT_REFUSED
        )
    );
    assert_unchanged(&before, &w.home);
    // ...without it, it opens, with the warning.
    let r = open(later, &[]).ok();
    assert!(r.stderr.contains("expired"), "{}", r.stderr);
    // A fresh snapshot clears the warning.
    publish(&w, later + 1, &[]);
    let r = w.run_at(later + 2, &["directory", "list"]).ok();
    // (The harness's test clock prints its own warning line.)
    assert!(
        !r.stderr
            .lines()
            .any(|l| l.starts_with("warning:") && !l.contains("TEST CLOCK")),
        "{}",
        r.stderr
    );
}

#[test]
fn publish_refuses_an_expiry_over_31_days() {
    let w = World::new();
    let before = snapshot(&w.home);
    w.run(&["anchor", "publish", "--name", "county", "--days", "32"])
        .fails(EXIT_USAGE, "31");
    assert_unchanged(&before, &w.home);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

//! `divex ledger verify` judges every checkpoint at its own time (issue #12, reproduced failure
//! 4; spec/ledger.md §3.2): an honest ledger verifies after its agency rotated its keys (old
//! certificate revoked `superseded`, or simply expired), and a history re-signed with a key
//! revoked for `key_compromise`, dated after the compromise, is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use divex_fixtures::{DAY, T0};

const PROVIDER: &str = "treatment-provider";
/// When the provider rotates its keys.
const ROTATION: u64 = T0 + 10 * DAY;

/// The provider's certificate serials, oldest first.
fn provider_serials(w: &World, now: u64) -> Vec<String> {
    let list = w.run_at(now, &["--json", "directory", "list"]).ok().json();
    list["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["agency"] == PROVIDER)
        .map(|c| c["serial"].as_str().unwrap().to_owned())
        .collect()
}

/// A world where the provider sealed once with its first key (at T0), then rotated at
/// [`ROTATION`] — a new keystore and certificate, the old keystore kept aside as
/// `keys.old.divex` — and sealed again with its new key a day after the rotation; then, with
/// `revoke`, the anchor revoked the old certificate from `revoke.1` for reason `revoke.0`.
fn rotated(revoke: Option<(&str, u64)>) -> World {
    let w = World::new();
    w.seal(&["superior-court"]);
    let old_serial = provider_serials(&w, T0).remove(0);
    let keystore = w.home.join("agencies").join(PROVIDER).join("keys.divex");
    std::fs::rename(&keystore, keystore.with_file_name("keys.old.divex")).unwrap();
    w.run_at(ROTATION, &["init", "--agency", PROVIDER]).ok();
    let nb = ROTATION.to_string();
    w.run_at(
        ROTATION,
        &[
            "anchor",
            "issue",
            "--name",
            "county",
            "--agency",
            PROVIDER,
            "--agency-name",
            "County Treatment Program",
            "--role",
            "treatment_provider",
            "--part2",
            "--from-keystore",
            PROVIDER,
            "--days",
            "365",
            "--not-before",
            &nb,
        ],
    )
    .ok();
    let record = w.path("drug-test.json");
    w.run_at(
        ROTATION + DAY,
        &w.seal_args(record.to_str().unwrap(), &["probation"]),
    )
    .ok();
    if let Some((reason, at)) = revoke {
        let when = at.max(ROTATION);
        let at = at.to_string();
        w.run_at(
            when,
            &[
                "anchor",
                "revoke",
                "--name",
                "county",
                "--serial",
                &old_serial,
                "--reason",
                reason,
                "--at",
                &at,
            ],
        )
        .ok();
    }
    w
}

fn verify(w: &World, now: u64) -> Run {
    w.run_at(now, &["--json", "ledger", "verify", "--agency", PROVIDER])
}

#[test]
fn an_honest_ledger_verifies_after_its_agency_rotated_its_keys() {
    // Old certificate revoked `superseded` at the rotation.
    let w = rotated(Some(("superseded", ROTATION)));
    let r = verify(&w, ROTATION + 2 * DAY).ok();
    let v = r.json();
    assert_eq!(v["entries"], 2, "{v}");
    assert_eq!(v["checkpoints"], 2, "{v}");
    assert_eq!(
        v["key_ids"].as_array().map(Vec::len),
        Some(2),
        "both keys named: {v}"
    );

    // No revocation: the old certificate simply expires (T0 - 90 days + 365 days); a year
    // later both checkpoints still verify, each under the key certified at its time.
    let w = rotated(None);
    verify(&w, T0 + 400 * DAY).ok();
}

#[test]
fn a_history_re_signed_with_a_compromised_key_after_the_compromise_is_refused() {
    let compromise = ROTATION + 5 * DAY;
    let w = rotated(Some(("key_compromise", compromise)));
    // The honest ledger: the old key signed before the compromise.
    verify(&w, compromise + DAY).ok();

    // Whoever stole the old key rewrites the history: the checkpoints are replaced by one
    // signed with the stolen key, dated after the compromise.
    let dir = w.home.join("agencies").join(PROVIDER);
    let old = std::fs::read(dir.join("keys.old.divex")).unwrap();
    let (_, stolen) = divex_core::keystore::open_agency(&old, PASS).unwrap();
    let ledger_path = dir.join("ledger.sqlite");
    {
        let c = rusqlite::Connection::open(&ledger_path).unwrap();
        c.execute("DELETE FROM checkpoints", []).unwrap();
    }
    let mut l = divex_ledger::Ledger::open(&ledger_path, PROVIDER).unwrap();
    l.checkpoint(&stolen, compromise + 2 * DAY).unwrap();
    drop(l);

    let r = verify(&w, compromise + 3 * DAY);
    let (category, code, exit) = r.error_code();
    assert_eq!(
        (category.as_str(), code.as_str(), exit),
        (Some("ledger"), "signer_compromised", EXIT_REFUSED),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("compromised"), "{}", r.stderr);
}

//! `divex keys rotate` (issue #12, docs/operations.md "Key rotation"): an agency replaces its
//! keys mid-case, exactly as spec/directory.md §7 describes (new keys, a new certificate, the
//! old one revoked `superseded`), and nothing it holds or was sent stops working.
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

/// The court's certificate serials, in the order `directory list` gives them.
fn court_serials(w: &World, now: u64) -> Vec<(String, String)> {
    let j = w.run_at(now, &["directory", "list", "--json"]).ok().json();
    j["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["agency"] == "superior-court")
        .map(|c| {
            (
                c["serial"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_court_rotates_mid_case_and_every_envelope_still_opens() {
    let w = World::new();
    let court = |now: u64, args: &[&str]| w.run_at(now, args);
    let rotation = T0 + DAY;

    // Before the rotation: one envelope opened, one left unopened, both sealed to the old keys.
    let opened_before = w.seal(&["superior-court"]);
    court(
        T0 + 60,
        &[
            "open",
            "--agency",
            "superior-court",
            opened_before.to_str().unwrap(),
        ],
    )
    .ok();
    let unopened = w.seal(&["superior-court"]);
    let old_keystore = std::fs::read(w.home.join("agencies/superior-court/keys.divex")).unwrap();

    // A wrong passphrase rotates nothing.
    let before = snapshot(&w.home);
    let r = run_in(
        &w.home,
        rotation,
        "not the passphrase",
        &["keys", "rotate", "--agency", "superior-court"],
    );
    assert_eq!(r.code, EXIT_PASSPHRASE, "{}", r.stderr);
    assert_unchanged(&before, &w.home);

    // The rotation: new keys in place, the old keystore kept byte for byte.
    let j = court(
        rotation,
        &["keys", "rotate", "--agency", "superior-court", "--json"],
    )
    .ok()
    .json();
    let retired = std::path::PathBuf::from(j["retired_keystore"].as_str().unwrap());
    assert_eq!(std::fs::read(&retired).unwrap(), old_keystore);
    assert_ne!(
        std::fs::read(w.home.join("agencies/superior-court/keys.divex")).unwrap(),
        old_keystore
    );
    assert_ne!(j["signing_key_id"], j["retired_signing_key_id"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&retired).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The anchor certifies the new keys and revokes the old certificate as superseded.
    let nb = rotation.to_string();
    court(
        rotation,
        &[
            "anchor",
            "issue",
            "--name",
            "county",
            "--agency",
            "superior-court",
            "--agency-name",
            "Superior Court",
            "--role",
            "court",
            "--from-keystore",
            "superior-court",
            "--days",
            "365",
            "--not-before",
            &nb,
        ],
    )
    .ok();
    let serials = court_serials(&w, rotation);
    assert_eq!(serials.len(), 2);
    let (old_serial, _) = &serials[0];
    court(
        rotation,
        &[
            "anchor",
            "revoke",
            "--name",
            "county",
            "--serial",
            old_serial,
            "--reason",
            "superseded",
            "--at",
            &nb,
        ],
    )
    .ok();

    // After the rotation: the envelope sealed to the old keys opens with the retired keys;
    // a new one is sealed to the new keys and opens with them.
    let later = rotation + DAY;
    let r = court(
        later,
        &[
            "open",
            "--agency",
            "superior-court",
            unopened.to_str().unwrap(),
            "--json",
        ],
    )
    .ok();
    assert_eq!(r.json()["record_type"], "drug_test");
    let record = w.path("drug-test.json");
    let r = w
        .run_at(
            later,
            &[
                w.seal_args(record.to_str().unwrap(), &["superior-court"]),
                vec!["--json"],
            ]
            .concat(),
        )
        .ok();
    let fresh = r.json()["envelope"].as_str().unwrap().to_owned();
    court(later, &["open", "--agency", "superior-court", &fresh]).ok();

    // The retired keys never sign: an envelope addressed to neither key set is still refused
    // as not addressed to the court's (current) keys.
    let probation_only = w.seal(&["probation"]);
    court(
        later,
        &[
            "open",
            "--agency",
            "superior-court",
            probation_only.to_str().unwrap(),
        ],
    )
    .fails(EXIT_REFUSED, "not addressed to this agency");

    // A second rotation keeps both retired keystores; the first envelope opened is shown
    // again from the ledger (spec/ledger.md §6), not refused as "not addressed to us".
    court(
        later + DAY,
        &["keys", "rotate", "--agency", "superior-court"],
    )
    .ok();
    let retired_count = std::fs::read_dir(w.home.join("agencies/superior-court/retired"))
        .unwrap()
        .count();
    assert_eq!(retired_count, 2);
    let j = court(
        later + DAY,
        &[
            "open",
            "--agency",
            "superior-court",
            opened_before.to_str().unwrap(),
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(j["shown_again"], true, "{j}");

    // The court's ledger holds checkpoints signed with all three keys; each verifies under
    // the key certified when it was signed (spec/ledger.md §3.2).
    let j = court(
        later + DAY,
        &["ledger", "verify", "--agency", "superior-court", "--json"],
    )
    .ok()
    .json();
    assert_eq!(j["entries"], 3, "{j}");
}

#[test]
fn rotating_an_agency_that_does_not_exist_is_not_found() {
    let w = World::new();
    let before = snapshot(&w.home);
    let r = w.run(&["keys", "rotate", "--agency", "no-such-agency"]);
    assert_eq!(r.code, EXIT_IO, "{}", r.stderr);
    assert_unchanged(&before, &w.home);
}

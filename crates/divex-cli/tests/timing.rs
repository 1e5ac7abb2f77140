//! Revocations that cannot be outrun, through the `divex` binary (issue #12, reproduced
//! failure 5; spec/consent.md §5.5, §6.3, §8.3): a revocation imported before its consent is
//! kept pending; `open` refuses an envelope older than `--max-age`; a back-dated case event
//! needs `--court-order`; `--now` is a loudly printed test mode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use divex_fixtures::{CASE, DAY, T0};

/// The example PC 1000 consent, except that the case's disposition does not also expire it:
/// the dismissal ends its irrevocable period, after which a revocation takes effect (rather
/// than the consent simply ending). Created by the provider as `c-pc1000-revocable`; returns
/// its file.
fn revocable_consent(w: &World) -> PathBuf {
    let toml = std::fs::read_to_string(example_toml())
        .unwrap()
        .replace("c-pc1000-0001", "c-pc1000-revocable")
        .replace(
            "date = 2028-03-14\ncase_disposition = \"CR-2026-001234\"",
            "date = 2028-03-14",
        );
    assert!(toml.contains("[expiry]"));
    std::fs::write(w.path("revocable.toml"), toml).unwrap();
    let key = w.path("patient.key");
    let r = w
        .run(&[
            "consent",
            "create",
            "--from",
            w.path("revocable.toml").to_str().unwrap(),
            "--agency",
            "treatment-provider",
            "--patient-key",
            key.to_str().unwrap(),
            "--json",
        ])
        .ok();
    PathBuf::from(r.json()["file"].as_str().unwrap())
}

/// The court's dismissal of the case, signed at `at`; returns its file.
fn dismissal(w: &World, at: u64, extra: &[&str]) -> Run {
    let out = w.path(&format!("dismissal-{at}.event.cose"));
    w.run_at(
        at,
        &[
            &[
                "consent",
                "event",
                "--agency",
                "superior-court",
                "--case",
                CASE,
                "--outcome",
                "dismissed",
                "--out",
                out.to_str().unwrap(),
                "--json",
            ][..],
            extra,
        ]
        .concat(),
    )
}

#[test]
fn a_revocation_imported_before_its_consent_refuses_a_later_disclosure() {
    let w = World::new();
    let consent = revocable_consent(&w);
    let consent = consent.to_str().unwrap();
    // The court dismisses the case: the consent becomes revocable. Probation learns of it.
    let event = dismissal(&w, T0 + 10, &[]).ok().json()["file"]
        .as_str()
        .unwrap()
        .to_owned();
    w.run_at(
        T0 + 20,
        &["consent", "import", "--agency", "probation", &event],
    )
    .ok();
    // The participant revokes; the provider is not told (the file is written elsewhere).
    let revocation = w.path("revocation.cose");
    w.run_at(
        T0 + 30,
        &[
            "consent",
            "revoke",
            "--consent",
            consent,
            "--patient-key",
            w.path("patient.key").to_str().unwrap(),
            "--out",
            revocation.to_str().unwrap(),
        ],
    )
    .ok();
    // Probation receives the revocation before the consent: kept pending.
    let r = w
        .run_at(
            T0 + 40,
            &[
                "consent",
                "import",
                "--agency",
                "probation",
                revocation.to_str().unwrap(),
                "--json",
            ],
        )
        .ok();
    assert_eq!(r.json()["pending_revocations"], 1, "{}", r.stdout);
    // Showing the consent judges the pending revocation against it.
    let r = w
        .run_at(
            T0 + 41,
            &[
                "consent",
                "show",
                consent,
                "--agency",
                "probation",
                "--json",
            ],
        )
        .ok();
    assert_eq!(r.json()["holdings"]["revocations"], 1, "{}", r.stdout);
    // Then the consent itself.
    w.run_at(
        T0 + 50,
        &["consent", "import", "--agency", "probation", consent],
    )
    .ok();
    // The provider, who has not heard of the revocation, discloses after it: probation
    // refuses to release.
    let record = w.path("drug-test.json");
    let mut args = w.seal_args(record.to_str().unwrap(), &["probation"]);
    set(&mut args, "--consent", "c-pc1000-revocable");
    args.push("--json");
    let env = w.run_at(T0 + 60, &args).ok().json()["envelope"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w.run_at(T0 + 70, &["--json", "open", "--agency", "probation", &env]);
    let (category, code, exit) = r.error_code();
    assert_eq!(
        (category.as_str(), code.as_str(), exit),
        (Some("denied"), "revoked", EXIT_REFUSED),
        "{}",
        r.stderr
    );
}

#[test]
fn a_pending_revocation_refuses_an_envelope_that_brings_its_consent() {
    let w = World::new();
    let consent = revocable_consent(&w);
    let consent = consent.to_str().unwrap();
    let event = dismissal(&w, T0 + 10, &[]).ok().json()["file"]
        .as_str()
        .unwrap()
        .to_owned();
    w.run_at(
        T0 + 20,
        &["consent", "import", "--agency", "probation", &event],
    )
    .ok();
    let revocation = w.path("revocation.cose");
    w.run_at(
        T0 + 30,
        &[
            "consent",
            "revoke",
            "--consent",
            consent,
            "--patient-key",
            w.path("patient.key").to_str().unwrap(),
            "--out",
            revocation.to_str().unwrap(),
        ],
    )
    .ok();
    w.run_at(
        T0 + 40,
        &[
            "consent",
            "import",
            "--agency",
            "probation",
            revocation.to_str().unwrap(),
        ],
    )
    .ok();
    // Probation never imports the consent: it arrives attached to the envelope.
    let record = w.path("drug-test.json");
    let mut args = w.seal_args(record.to_str().unwrap(), &["probation"]);
    set(&mut args, "--consent", "c-pc1000-revocable");
    args.push("--json");
    let env = w.run_at(T0 + 60, &args).ok().json()["envelope"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&w.home);
    let r = w.run_at(T0 + 70, &["--json", "open", "--agency", "probation", &env]);
    let (_, code, exit) = r.error_code();
    assert_eq!(
        (code.as_str(), exit),
        ("revoked", EXIT_REFUSED),
        "{}",
        r.stderr
    );
    assert_unchanged(&before, &w.home);
}

#[test]
fn open_refuses_an_envelope_older_than_its_maximum_age() {
    let w = World::new();
    let env = w.seal(&["superior-court"]);
    let env = env.to_str().unwrap();
    let before = snapshot(&w.home);
    // Opened 100 days after it was sealed: too old by default (30 days).
    let r = w.run_at(
        T0 + 100 * DAY,
        &["--json", "open", "--agency", "superior-court", env],
    );
    let (category, code, exit) = r.error_code();
    assert_eq!(
        (category.as_str(), code.as_str(), exit),
        (Some("disclosure"), "too_old", EXIT_REFUSED),
        "{}",
        r.stderr
    );
    let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert!(
        e["error"]["hint"].as_str().unwrap().contains("--max-age"),
        "{e}"
    );
    assert_unchanged(&before, &w.home);
    // An envelope known to have been delayed: the recipient raises the bound.
    let j = w
        .run_at(
            T0 + 100 * DAY,
            &[
                "--json",
                "open",
                "--agency",
                "superior-court",
                env,
                "--max-age",
                "120",
            ],
        )
        .ok()
        .json();
    assert_eq!(j["issued_at"], T0, "{j}");
    assert_eq!(j["issued_out_of_order"], false, "{j}");
    // Once recorded, the same envelope is an archive: shown again months later without the
    // age bound and without a new entry (spec/consent.md §8.3, spec/ledger.md §6).
    let j = w
        .run_at(
            T0 + 200 * DAY,
            &["--json", "open", "--agency", "superior-court", env],
        )
        .ok()
        .json();
    assert_eq!(j["shown_again"], true, "{j}");
    assert_eq!(j["ledger_entry"], 1, "{j}");
}

#[test]
fn a_back_dated_case_event_needs_a_court_order() {
    let w = World::new();
    // The court signs a dismissal dated 60 days ago: refused, writing nothing.
    let before = snapshot(&w.home);
    let back = (T0 - 60 * DAY).to_string();
    let r = dismissal(&w, T0, &["--at", &back]);
    let (category, code, exit) = r.error_code();
    assert_eq!(
        (category.as_str(), code.as_str(), exit),
        (Some("consent"), "back_dated", EXIT_REFUSED),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--court-order"), "{}", r.stderr);
    assert_unchanged(&before, &w.home);
    // On a court order it is signed, and the order is printed.
    let r = dismissal(&w, T0, &["--at", &back, "--court-order", "ORDER-2026-77"]).ok();
    assert!(
        r.stderr.contains("COURT ORDER ORDER-2026-77"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json()["court_order"], "ORDER-2026-77", "{}", r.stdout);
    let event = r.json()["file"].as_str().unwrap().to_owned();
    // Another agency importing it needs the order too.
    let import = |extra: &[&str]| {
        w.run(
            &[
                &["consent", "import", "--agency", "treatment-provider"][..],
                extra,
                &[event.as_str()],
            ]
            .concat(),
        )
    };
    import(&[]).fails(EXIT_REFUSED, "more than 30 days before its import");
    let r = import(&["--court-order", "ORDER-2026-77"]).ok();
    assert!(
        r.stderr.contains("warning: COURT ORDER ORDER-2026-77"),
        "{}",
        r.stderr
    );
    // Once held, it is loaded by every command without the order (it was bounded, or
    // ordered, when imported).
    let r = w
        .run_at(
            T0 + 100,
            &[
                "consent",
                "show",
                w.consent_file().to_str().unwrap(),
                "--agency",
                "treatment-provider",
                "--json",
            ],
        )
        .ok();
    assert_eq!(
        r.json()["holdings"]["case_events"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{}",
        r.stdout
    );
}

/// Runs `divex` on `w`'s home with `args`, with `DIVEX_TEST_CLOCK=1` only if `test_clock`
/// (the test harness always sets it).
fn run_raw(w: &World, args: &[&str], test_clock: bool) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_divex"));
    c.arg("--home")
        .arg(&w.home)
        .args(args)
        .env("DIVEX_PASSPHRASE", PASS)
        .env("DIVEX_KDF", "fast")
        .env_remove("DIVEX_HOME")
        .env_remove("DIVEX_TEST_CLOCK");
    if test_clock {
        c.env("DIVEX_TEST_CLOCK", "1");
    }
    let out = c.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn now_is_a_test_mode_that_says_so() {
    let w = World::new();
    let now = T0.to_string();
    // Without DIVEX_TEST_CLOCK=1, setting the clock is refused.
    let before = snapshot(&w.home);
    let r = run_raw(&w, &["--now", &now, "directory", "list"], false);
    r.fails(EXIT_USAGE, "DIVEX_TEST_CLOCK=1");
    let r = run_raw(&w, &["--json", "--now", &now, "directory", "list"], false);
    let (_, code, exit) = r.error_code();
    assert_eq!((code.as_str(), exit), ("usage", EXIT_USAGE), "{}", r.stderr);
    assert_unchanged(&before, &w.home);
    // With it, every command says so: on standard error...
    let r = run_raw(&w, &["--now", &now, "directory", "list"], true).ok();
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("warning: TEST CLOCK") && l.contains(&now)),
        "{}",
        r.stderr
    );
    // ... also when it fails ...
    let r = run_raw(
        &w,
        &[
            "--now",
            &now,
            "open",
            "--agency",
            "probation",
            "missing.cose",
        ],
        true,
    );
    assert!(r.stderr.starts_with("warning: TEST CLOCK"), "{}", r.stderr);
    assert_eq!(r.code, EXIT_IO, "{}", r.stderr);
    // ... and with --json in the output, while a failure's standard error stays one JSON
    // object.
    let r = run_raw(&w, &["--json", "--now", &now, "directory", "list"], true).ok();
    assert_eq!(r.json()["test_clock"]["now"], T0, "{}", r.stdout);
    let r = run_raw(
        &w,
        &[
            "--json",
            "--now",
            &now,
            "open",
            "--agency",
            "probation",
            "missing.cose",
        ],
        true,
    );
    let (_, code, _) = r.error_code();
    assert_eq!(code, "not_found");
    // Without --now, nothing is said.
    let r = run_raw(&w, &["directory", "list"], true).ok();
    assert!(!r.stderr.contains("TEST CLOCK"), "{}", r.stderr);
}

#[test]
fn an_envelope_shown_again_is_not_judged_against_later_ones() {
    let w = World::new();
    let record = w.path("drug-test.json");
    let seal_at = |t: u64| {
        let r = w
            .run_at(
                t,
                &[
                    w.seal_args(record.to_str().unwrap(), &["superior-court"]),
                    vec!["--json"],
                ]
                .concat(),
            )
            .ok();
        r.json()["envelope"].as_str().unwrap().to_owned()
    };
    let first = seal_at(T0);
    let second = seal_at(T0 + DAY);
    let open = |t: u64, env: &str| {
        w.run_at(t, &["--json", "open", "--agency", "superior-court", env])
            .ok()
            .json()
    };
    // The later envelope arrives first; the earlier one is then flagged as issued out of order.
    assert_eq!(open(T0 + 2 * DAY, &second)["issued_out_of_order"], false);
    let j = open(T0 + 2 * DAY, &first);
    assert_eq!(j["issued_out_of_order"], true, "{j}");
    // Shown again, it is the record already kept, not a new arrival to order.
    let j = open(T0 + 3 * DAY, &first);
    assert_eq!(j["shown_again"], true, "{j}");
    assert_eq!(j["issued_out_of_order"], false, "{j}");
}

//! The exit codes and error codes documented in `crates/divex-cli/README.md` ("Exit codes",
//! "Error codes") are what the binary returns: a representative failure for every row of the
//! three tables, run with `--json`, and each one's exit code, category and code compared with
//! the README's rows (issue #12 §6). The tables are read from the README itself, so the
//! documentation and the binary cannot drift apart again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeSet;

use common::*;
use divex_fixtures::T0;

/// The README's three tables.
struct Documented {
    /// "Exit codes": code → meaning.
    exit_codes: Vec<(i32, String)>,
    /// "Error codes", library errors: (category, classes named or empty for "any"/"any
    /// other", exit code).
    categories: Vec<(String, Vec<String>, i32)>,
    /// "Error codes", failures of the command line itself: code → exit code.
    cli_codes: Vec<(String, i32)>,
}

fn documented() -> Documented {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Exit codes").expect("an Exit codes section");
    let end = start
        + readme[start..]
            .find("## The home")
            .expect("the next section");
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let mut d = Documented {
        exit_codes: vec![],
        categories: vec![],
        cli_codes: vec![],
    };
    for line in readme[start..end].lines() {
        let cells: Vec<&str> = line
            .strip_prefix('|')
            .and_then(|l| l.strip_suffix('|'))
            .map(|l| l.split('|').map(str::trim).collect())
            .unwrap_or_default();
        match cells[..] {
            [code, meaning] => {
                if let Ok(code) = code.parse() {
                    d.exit_codes.push((code, meaning.to_owned()));
                }
            }
            // `| `usage` | 2 | meaning |`: a command-line code.
            [code, exit, _meaning] if code.starts_with('`') && exit.parse::<i32>().is_ok() => {
                d.cli_codes
                    .push((ticked(code).remove(0), exit.parse().unwrap()));
            }
            // `| `seal` | `crypto` | 1 |`: a category, its classes ("any": none), exit code.
            [category, classes, exit] if category.starts_with('`') => {
                d.categories.push((
                    ticked(category).remove(0),
                    ticked(classes),
                    exit.parse().unwrap(),
                ));
            }
            _ => {}
        }
    }
    assert_eq!(d.exit_codes.len(), 6, "the Exit codes table");
    assert!(d.categories.len() >= 11, "the category table");
    assert!(d.cli_codes.len() >= 8, "the command-line code table");
    d
}

impl Documented {
    /// The exit code the README gives a failure of `category` (None: the command line) and
    /// `code`.
    fn exit_for(&self, category: Option<&str>, code: &str) -> i32 {
        match category {
            Some(category) => {
                let rows: Vec<_> = self
                    .categories
                    .iter()
                    .filter(|(c, _, _)| c == category)
                    .collect();
                assert!(!rows.is_empty(), "category {category} is not documented");
                rows.iter()
                    .find(|(_, classes, _)| classes.iter().any(|c| c == code))
                    .or_else(|| rows.iter().find(|(_, classes, _)| classes.is_empty()))
                    .unwrap_or_else(|| panic!("no row for {category}/{code}"))
                    .2
            }
            None => {
                self.cli_codes
                    .iter()
                    .find(|(c, _)| c == code)
                    .unwrap_or_else(|| panic!("command-line code {code} is not documented"))
                    .1
            }
        }
    }
}

/// What one failure reported.
#[derive(Debug)]
struct Seen {
    what: &'static str,
    category: Option<String>,
    code: String,
    exit: i32,
}

fn seen(what: &'static str, r: &Run) -> Seen {
    let v: serde_json::Value = serde_json::from_str(r.stderr.trim())
        .unwrap_or_else(|e| panic!("{what}: not a JSON error ({e}):\n{}", r.stderr));
    let e = &v["error"];
    assert_eq!(e["exit_code"], r.code, "{what}: {v}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {v}"
    );
    Seen {
        what,
        category: e["category"].as_str().map(str::to_owned),
        code: e["code"].as_str().unwrap().to_owned(),
        exit: r.code,
    }
}

/// Rows with no failure the command line can reach: sealing failing in the cryptography
/// itself, a ledger-level replay (`open` reports the envelope's own `replay` first), and the
/// catch-all `failure`.
const UNREACHABLE: [(&str, &str); 3] = [("seal", "crypto"), ("ledger", "replay"), ("", "failure")];

/// A provider ledger of two entries, checkpointed and marked, changed by an insider in each
/// way spec/ledger.md §7 names (each on the intact ledger), then a history signed with a key
/// reported compromised before it.
fn ledger_refusals(all: &mut Vec<Seen>) {
    const PROVIDER: &str = "treatment-provider";
    let w = World::new();
    w.seal(&["superior-court"]);
    w.seal(&["probation"]);
    let dir = w.home.join("agencies").join(PROVIDER);
    let (ledger, mark) = (dir.join("ledger.sqlite"), dir.join("ledger.sqlite.head"));
    let (intact, intact_mark) = (
        std::fs::read(&ledger).unwrap(),
        std::fs::read(&mark).unwrap(),
    );
    let verify = || w.run(&["--json", "ledger", "verify", "--agency", PROVIDER]);
    let restore = || {
        std::fs::write(&ledger, &intact).unwrap();
        std::fs::write(&mark, &intact_mark).unwrap();
    };
    let sql = |statements: &str| {
        rusqlite::Connection::open(&ledger)
            .unwrap()
            .execute_batch(statements)
            .unwrap();
    };

    sql("DELETE FROM entries WHERE seq = 2; DELETE FROM checkpoints WHERE seq = 2;");
    all.push(seen("a ledger shorter than its high-water mark", &verify()));
    restore();

    // Entry 2 rewritten with a recomputed hash: the chain is consistent, the signed heads
    // are not reached.
    let l = divex_ledger::Ledger::open(&ledger, PROVIDER).unwrap();
    let mut e = l.entries().unwrap().pop().unwrap();
    drop(l);
    e.counterparty = "district-attorney".into();
    e.entry_hash = e.computed_hash();
    sql(&format!(
        "UPDATE entries SET counterparty = 'district-attorney', entry_hash = x'{}' WHERE seq = 2;",
        hex::encode(e.entry_hash)
    ));
    all.push(seen("a ledger rewritten below its signed head", &verify()));
    restore();

    std::fs::remove_file(&mark).unwrap();
    all.push(seen("a ledger without its high-water mark", &verify()));
    restore();
    std::fs::write(&mark, b"not a signed head").unwrap();
    all.push(seen("an altered high-water mark", &verify()));
    restore();

    // A counterparty recorded the provider's head at entry 1; the provider then truncated
    // its ledger to nothing and re-signed it (`ledger mark`).
    let witness = w.path("court-witness.sqlite");
    {
        let l = divex_ledger::Ledger::open(&ledger, PROVIDER).unwrap();
        let first = l.entries().unwrap().remove(0);
        let second = l.entries().unwrap().remove(1);
        drop(l);
        let mut court = divex_ledger::Ledger::open(&witness, "superior-court").unwrap();
        court
            .append(&divex_ledger::NewEntry {
                time: T0,
                direction: divex_ledger::Direction::Received,
                counterparty: PROVIDER.into(),
                subject: divex_fixtures::subject(),
                record_types: vec![divex_core::records::RecordType::DrugTest],
                purpose: divex_fixtures::CJ_PURPOSE.clone(),
                consent_id: second.consent_id.clone(),
                envelope_id: divex_core::envelope::EnvelopeId(second.envelope_id),
                envelope_hash: second.envelope_hash,
                receipt: Some(divex_ledger::Receipt {
                    issued_at: T0,
                    issued_out_of_order: false,
                    sender_head: Some((1, first.entry_hash)),
                }),
            })
            .unwrap();
    }
    sql("DELETE FROM entries; DELETE FROM checkpoints;");
    std::fs::remove_file(&mark).unwrap();
    w.run(&["ledger", "mark", "--agency", PROVIDER]).ok();
    all.push(seen(
        "a ledger truncated below a head a counterparty witnessed",
        &w.run(&[
            "--json",
            "ledger",
            "verify",
            "--agency",
            PROVIDER,
            "--witness",
            witness.to_str().unwrap(),
        ]),
    ));
    restore();

    // The provider's key reported compromised a day before it signed its checkpoints.
    let list = w.run(&["--json", "directory", "list"]).ok().json();
    let serial = list["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["agency"] == PROVIDER)
        .unwrap()["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = (T0 - 86_400).to_string();
    w.run(&[
        "anchor",
        "revoke",
        "--name",
        "county",
        "--serial",
        &serial,
        "--reason",
        "key_compromise",
        "--at",
        &at,
    ])
    .ok();
    all.push(seen("a ledger signed with a compromised key", &verify()));
}

#[test]
fn every_documented_exit_code_is_what_the_binary_returns() {
    let doc = documented();
    let w = World::new();
    let record = w.path("drug-test.json");
    let record = record.to_str().unwrap();
    let text = w.path("text.cose");
    std::fs::write(&text, "hello, not a divex file\n").unwrap();
    let text = text.to_str().unwrap();
    fn json<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [&["--json"][..], args].concat()
    }
    let seal = |to: &[&str], change: &[(&str, &str)], extra: &[&str]| {
        let mut args = w.seal_args(record, to);
        for (flag, value) in change {
            set(&mut args, flag, value);
        }
        w.run(&json(&[&args[..], extra].concat()))
    };
    let mut all = Vec::new();

    // Success.
    let ok = w.run(&["directory", "list"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    // The command line's own failures.
    all.push(seen(
        "an unknown subcommand",
        &w.run(&json(&["frobnicate"])),
    ));
    all.push(seen(
        "a date that is not a date",
        &seal(&["probation"], &[("--subject-dob", "1994-13-14")], &[]),
    ));
    std::fs::write(w.path("bad.toml"), "id = [unterminated\n").unwrap();
    let bad_toml = w.path("bad.toml");
    all.push(seen(
        "a malformed consent TOML",
        &w.run(&json(&[
            "consent",
            "create",
            "--from",
            bad_toml.to_str().unwrap(),
            "--agency",
            "treatment-provider",
        ])),
    ));
    all.push(seen(
        "a missing record file",
        &seal(&["probation"], &[("--record", "/no/such/record.json")], &[]),
    ));
    all.push(seen(
        "an output file that exists",
        &w.run(&json(&["init", "--agency", "probation"])),
    ));
    all.push(seen(
        "a new passphrase refused",
        &run_in(
            &w.home,
            T0,
            "short",
            &json(&["init", "--agency", "newcomer"]),
        ),
    ));
    all.push(seen(
        "importing a file that is not a statement",
        &w.run(&json(&["consent", "import", "--agency", "probation", text])),
    ));
    #[cfg(target_os = "linux")]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_divex"))
            .args([
                "--home",
                w.home.to_str().unwrap(),
                "--json",
                "directory",
                "list",
            ])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let r = Run {
            code: out.status.code().unwrap(),
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        all.push(seen("standard output on a full disk", &r));
    }

    // Library errors, one or more per category.
    all.push(seen(
        "a purpose the consent does not permit",
        &seal(&["probation"], &[("--purpose", "research")], &[]),
    ));
    all.push(seen(
        "an agency not in the directory",
        &seal(&["nobody"], &[], &[]),
    ));
    all.push(seen(
        "a reference where the consent requires its copy",
        &seal(&["probation"], &[], &["--reference"]),
    ));
    all.push(seen(
        "a recipient named twice",
        &seal(&["probation", "probation"], &[], &[]),
    ));
    all.push(seen(
        "a file that is not a consent",
        &w.run(&json(&["consent", "show", text])),
    ));
    all.push(seen(
        "a file that is not a divex file, inspected",
        &w.run(&json(&["inspect", text])),
    ));
    all.push(seen(
        "a public bundle that is not one",
        &w.run(&json(&[
            "anchor",
            "issue",
            "--name",
            "county",
            "--agency",
            "newcomer",
            "--agency-name",
            "Newcomer",
            "--role",
            "court",
            "--bundle",
            text,
            "--days",
            "10",
        ])),
    ));
    for (name, body) in [
        ("unknown-field.json", r#"{"colour": "blue"}"#),
        ("syntax.json", r#"{"collected_at": "#),
    ] {
        std::fs::write(w.path(name), body).unwrap();
        let p = w.path(name);
        all.push(seen(
            "a record that is not a record",
            &seal(&["probation"], &[("--record", p.to_str().unwrap())], &[]),
        ));
    }
    all.push(seen(
        "a wrong passphrase",
        &run_in(
            &w.home,
            T0,
            "not the passphrase",
            &json(&w.seal_args(record, &["probation"])),
        ),
    ));
    let envelope = w.seal(&["probation"]);
    let envelope = envelope.to_str().unwrap();
    let open = ["open", "--agency", "probation", envelope];
    // Another envelope under this envelope's id was received before (spec/ledger.md §6: the
    // same envelope opened twice is only shown again).
    {
        let id: [u8; 16] = hex::decode(
            std::path::Path::new(envelope)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .trim_end_matches(".envelope.cose"),
        )
        .unwrap()
        .try_into()
        .unwrap();
        let ks = std::fs::read(w.home.join("agencies/probation/keys.divex")).unwrap();
        let (_, keys) = divex_core::keystore::open_agency(&ks, PASS).unwrap();
        let mut l = divex_ledger::Ledger::open(
            &w.home.join("agencies/probation/ledger.sqlite"),
            "probation",
        )
        .unwrap();
        l.append(&divex_ledger::NewEntry {
            time: T0,
            direction: divex_ledger::Direction::Received,
            counterparty: "treatment-provider".into(),
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
    }
    all.push(seen(
        "another envelope under a recorded envelope id",
        &w.run(&json(&open)),
    ));
    let bytes = std::fs::read(envelope).unwrap();
    std::fs::write(w.path("cut.cose"), &bytes[..bytes.len() / 2]).unwrap();
    let cut = w.path("cut.cose");
    all.push(seen(
        "a truncated envelope",
        &w.run(&json(&[
            "open",
            "--agency",
            "probation",
            cut.to_str().unwrap(),
        ])),
    ));
    // A ledger edited outside divex (as in tests/cli.rs), and a file that is not a ledger.
    let ledger = w.home.join("agencies/treatment-provider/ledger.sqlite");
    let mut db = std::fs::read(&ledger).unwrap();
    let at = db
        .windows(PURPOSE.len())
        .position(|x| x == PURPOSE.as_bytes())
        .unwrap();
    db[at] = b'X';
    std::fs::write(&ledger, &db).unwrap();
    let _ = std::fs::remove_file(ledger.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(ledger.with_extension("sqlite-shm"));
    all.push(seen(
        "a tampered ledger",
        &w.run(&json(&[
            "ledger",
            "verify",
            "--agency",
            "treatment-provider",
        ])),
    ));
    std::fs::write(
        w.home.join("agencies/superior-court/ledger.sqlite"),
        "not a database, a text file long enough to be read as one",
    )
    .unwrap();
    all.push(seen(
        "a ledger file that is not a ledger",
        &w.run(&json(&["ledger", "verify", "--agency", "superior-court"])),
    ));
    ledger_refusals(&mut all);
    // Last: a damaged keystore.
    let ks = w.home.join("agencies/district-attorney/keys.divex");
    let bytes = std::fs::read(&ks).unwrap();
    std::fs::write(&ks, &bytes[..40]).unwrap();
    all.push(seen(
        "a damaged keystore",
        &w.run(&json(&[
            "seal",
            "--agency",
            "district-attorney",
            "--to",
            "probation",
            "--consent",
            "c",
            "--purpose",
            PURPOSE,
            "--record-type",
            "drug_test",
            "--record",
            record,
            "--subject-name",
            SUBJECT,
            "--subject-dob",
            DOB,
        ])),
    ));

    // Every failure's exit code is the README's.
    for s in &all {
        assert_eq!(
            s.exit,
            doc.exit_for(s.category.as_deref(), &s.code),
            "{}: {s:?}",
            s.what
        );
    }
    // Every row of every table was exercised, save the unreachable ones.
    let reached: BTreeSet<(String, String)> = all
        .iter()
        .map(|s| (s.category.clone().unwrap_or_default(), s.code.clone()))
        .collect();
    let unreachable = |c: &str, code: &str| UNREACHABLE.contains(&(c, code));
    for (category, classes, exit) in &doc.categories {
        if classes.is_empty() {
            let named: Vec<&String> = doc
                .categories
                .iter()
                .filter(|(c, _, _)| c == category)
                .flat_map(|(_, cl, _)| cl)
                .collect();
            assert!(
                reached
                    .iter()
                    .any(|(c, code)| c == category && !named.contains(&code)),
                "no failure of category {category} (exit {exit}) was tried"
            );
        }
        for class in classes {
            assert!(
                unreachable(category, class)
                    || reached.contains(&(category.clone(), class.clone())),
                "no failure {category}/{class} (exit {exit}) was tried"
            );
        }
    }
    for (code, exit) in &doc.cli_codes {
        assert!(
            unreachable("", code) || reached.contains(&(String::new(), code.clone())),
            "no command-line failure {code} (exit {exit}) was tried"
        );
    }
    let exits: BTreeSet<i32> = all.iter().map(|s| s.exit).chain([ok.code]).collect();
    for (code, meaning) in &doc.exit_codes {
        assert!(
            exits.contains(code),
            "exit code {code} ({meaning}) never seen"
        );
    }
    // `divex --help` lists the same codes with the same first words.
    let help = w.run(&["--help"]).ok();
    for (code, meaning) in &doc.exit_codes {
        let first: String = meaning
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            help.stdout.contains(&format!("  {code}  {first}")),
            "--help lacks exit code {code} ({first}):\n{}",
            help.stdout
        );
    }
}

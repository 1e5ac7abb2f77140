//! `divex ledger verify --witness` (spec/ledger.md §5.3): the provider truncates its ledger and
//! re-signs it with its own keys (`divex ledger mark`), so that its own verification is
//! satisfied again — and the court's ledger, which recorded the provider's signed head with
//! each disclosure, proves the truncation.
//!
//! Until envelopes carry the sender's head (envelope profile v2, spec/ledger.md §5.1), `divex
//! open` records no head; the court's witness ledger is written here with the library, the
//! head of each disclosure taken from the provider's ledger as the envelope would carry it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use divex_fixtures::T0;
use divex_ledger::{Direction, Ledger, NewEntry, Receipt};

const PROVIDER: &str = "treatment-provider";
const COURT: &str = "superior-court";

#[test]
fn a_truncation_the_sender_re_signed_is_proved_by_the_witness() {
    let w = World::new();
    for _ in 0..3 {
        w.seal(&[COURT]);
    }
    let provider = w.home.join("agencies").join(PROVIDER).join("ledger.sqlite");
    let witness = w.path("court-witness.sqlite");
    {
        let sent = Ledger::open(&provider, PROVIDER)
            .unwrap()
            .entries()
            .unwrap();
        let mut court = Ledger::open(&witness, COURT).unwrap();
        let mut head = (0, divex_ledger::genesis_hash(PROVIDER));
        for e in &sent {
            court
                .append(&NewEntry {
                    time: e.time + 60,
                    direction: Direction::Received,
                    counterparty: PROVIDER.into(),
                    subject: divex_fixtures::subject(),
                    record_types: vec![divex_core::records::RecordType::DrugTest],
                    purpose: divex_fixtures::CJ_PURPOSE.clone(),
                    consent_id: e.consent_id.clone(),
                    envelope_id: divex_core::envelope::EnvelopeId(e.envelope_id),
                    envelope_hash: e.envelope_hash,
                    receipt: Some(Receipt {
                        issued_at: e.time,
                        issued_out_of_order: false,
                        sender_head: Some(head),
                    }),
                })
                .unwrap();
            head = (e.seq, e.entry_hash);
        }
    }
    let verify = |extra: &[&str]| {
        let w_arg = witness.to_str().unwrap();
        let mut args = vec![
            "--json",
            "ledger",
            "verify",
            "--agency",
            PROVIDER,
            "--witness",
            w_arg,
        ];
        args.extend(extra);
        w.run(&args)
    };
    let honest = verify(&[]).ok().json();
    assert_eq!(honest["witnesses"][0]["agency"], COURT);
    assert_eq!(honest["witnesses"][0]["heads"], 3);
    assert_eq!(honest["witnesses"][0]["proved_seq"], 2);
    assert_eq!(
        honest["witnesses"][0]["discrepancies"],
        serde_json::json!([])
    );

    // The provider drops its last two disclosures and re-signs what is left with its keys.
    rusqlite::Connection::open(&provider)
        .unwrap()
        .execute_batch("DELETE FROM entries WHERE seq >= 2; DELETE FROM checkpoints;")
        .unwrap();
    std::fs::remove_file(provider.with_file_name("ledger.sqlite.head")).unwrap();
    w.run(&["ledger", "mark", "--agency", PROVIDER]).ok();
    w.run(&["ledger", "verify", "--agency", PROVIDER]).ok();

    // The witness proves it.
    let r = verify(&[]);
    let (category, code, exit) = r.error_code();
    assert_eq!(
        (category.as_str(), code.as_str(), exit),
        (Some("ledger"), "truncated", EXIT_REFUSED),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("entries 2..=2") && r.stderr.contains(COURT),
        "{}",
        r.stderr
    );
    // Without --json too; and the witness file is only read.
    let before = std::fs::read(&witness).unwrap();
    let text = w.run_at(
        T0,
        &[
            "ledger",
            "verify",
            "--agency",
            PROVIDER,
            "--witness",
            witness.to_str().unwrap(),
        ],
    );
    assert_eq!(text.code, EXIT_REFUSED, "{}", text.stderr);
    assert_eq!(std::fs::read(&witness).unwrap(), before);
}

#[test]
fn a_witness_that_is_not_a_ledger_is_refused() {
    let w = World::new();
    w.seal(&[COURT]);
    let text = w.path("notes.txt");
    std::fs::write(&text, "a text file long enough to be taken for a database").unwrap();
    let r = w.run(&[
        "--json",
        "ledger",
        "verify",
        "--agency",
        PROVIDER,
        "--witness",
        text.to_str().unwrap(),
    ]);
    assert_eq!(r.error_code().1, "not_a_ledger");
    let missing = w.path("missing.sqlite");
    let r = w.run(&[
        "--json",
        "ledger",
        "verify",
        "--agency",
        PROVIDER,
        "--witness",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(r.error_code().1, "not_found");
}

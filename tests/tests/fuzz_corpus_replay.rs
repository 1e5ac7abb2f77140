//! The fuzz corpora and every spec-vector byte field, replayed through the fuzz targets'
//! invariants as an ordinary `cargo test`: a regression the fuzzer once found fails here
//! without a fuzzer.
//!
//! The checks are the very code the targets run: `fuzz/src/lib.rs` is compiled into this test
//! as the module `divex_fuzz`. A broken invariant panics, which fails the test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../../fuzz/src/lib.rs"]
mod divex_fuzz;

use divex_fuzz::{Outcome, TARGETS};

/// Every file of `fuzz/corpus/<target>/` through `<target>`'s check; no target's corpus may
/// be empty.
#[test]
fn every_corpus_file_keeps_its_target_invariants() {
    divex_fuzz::warm_up();
    let mut report = Vec::new();
    for target in TARGETS {
        let files = divex_fuzz::corpus(target);
        assert!(
            !files.is_empty(),
            "fuzz/corpus/{target}/ is empty or missing: run \
             `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpora`"
        );
        let mut accepted = 0;
        for (path, data) in &files {
            // The path is printed by the panic hook's location only; name it on failure.
            let outcome = std::panic::catch_unwind(|| divex_fuzz::run(target, data))
                .unwrap_or_else(|_| panic!("{target}: invariant broken by {}", path.display()));
            if outcome == Outcome::Accepted {
                accepted += 1;
            }
        }
        report.push(format!(
            "{target}: {} files, {accepted} accepted",
            files.len()
        ));
    }
    println!("{}", report.join("\n"));
}

/// Every hex byte field of `spec/vectors/**/*.json` through every byte-oriented target (and
/// through `record_decode` under every record type), whatever folder it comes from.
#[test]
fn every_vector_byte_field_keeps_every_invariant() {
    divex_fuzz::warm_up();
    let fields = divex_fuzz::vector_fields();
    assert!(
        fields.iter().any(|f| f.folder == "envelope"),
        "no envelope vectors found under spec/vectors"
    );
    for f in &fields {
        let name = format!("{}:{}", f.file, f.key);
        for target in TARGETS {
            match target {
                "disclosure_roundtrip" => {}
                "record_decode" => {
                    for rt in divex_core::records::RecordType::ALL {
                        divex_fuzz::record_decode(&divex_fuzz::record_input(rt, &f.bytes));
                    }
                }
                _ => {
                    std::panic::catch_unwind(|| divex_fuzz::run(target, &f.bytes))
                        .unwrap_or_else(|_| panic!("{target}: invariant broken by {name}"));
                }
            }
        }
        for (decoder, run) in divex_fuzz::decoders() {
            std::panic::catch_unwind(|| run(&f.bytes))
                .unwrap_or_else(|_| panic!("{decoder} panicked on {name}"));
        }
    }
    println!("{} vector byte fields replayed", fields.len());
}

/// The seeds (fixtures, sample records, vectors) through their targets, and the invariants
/// are not vacuous: every target accepts some seed, and every genuine envelope opens.
#[test]
fn seeds_are_accepted_where_genuine() {
    divex_fuzz::warm_up();
    let seeds = divex_fuzz::seeds();
    for target in TARGETS {
        let list = &seeds[target];
        let accepted = list
            .iter()
            .filter(|s| divex_fuzz::run(target, s) == Outcome::Accepted)
            .count();
        assert!(
            accepted > 0,
            "{target}: no seed is accepted, the invariants are vacuous"
        );
        println!("{target}: {} seeds, {accepted} accepted", list.len());
    }
    let e = divex_fuzz::envelopes();
    assert!(e.genuine.len() >= 2, "the vectors have genuine envelopes");
    for env in &e.genuine {
        assert_eq!(divex_fuzz::envelope_open(env), Outcome::Accepted);
    }
    let c = divex_fuzz::consents();
    for consent in [&c.pc1000, &c.lead] {
        assert_eq!(divex_fuzz::consent_verify(consent), Outcome::Accepted);
    }
    for st in &c.statements {
        assert_eq!(divex_fuzz::statement_verify(st), Outcome::Accepted);
    }
    for cert in &c.certificates {
        assert_eq!(divex_fuzz::certificate_parse(cert), Outcome::Accepted);
    }
    for r in divex_fuzz::sample_records() {
        let input = divex_fuzz::record_input(r.record_type(), &r.to_bytes());
        assert_eq!(
            divex_fuzz::record_decode(&input),
            Outcome::Accepted,
            "{r:?}"
        );
    }
}

/// The forgery checks fire: a one-byte change anywhere in a genuine envelope, consent,
/// statement or certificate is never accepted (exhaustive over every byte position).
#[test]
fn every_single_byte_change_of_a_genuine_document_is_refused() {
    divex_fuzz::warm_up();
    let e = divex_fuzz::envelopes();
    let c = divex_fuzz::consents();
    let mut cases: Vec<(&str, &[u8])> = e
        .genuine
        .iter()
        .map(|g| ("envelope_open", g.as_slice()))
        .collect();
    cases.push(("consent_verify", &c.pc1000));
    cases.extend(
        c.statements
            .iter()
            .map(|s| ("statement_verify", s.as_slice())),
    );
    for (target, genuine) in cases {
        for i in 0..genuine.len() {
            let mut m = genuine.to_vec();
            m[i] ^= 0x01;
            assert_eq!(
                divex_fuzz::run(target, &m),
                Outcome::Rejected,
                "{target}: flipping bit 0 of byte {i} was accepted"
            );
        }
    }
}

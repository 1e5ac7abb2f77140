//! A treatment provider seals a drug-test result to the court, probation and the district
//! attorney; each of them opens it; an agency outside the audience cannot.
//!
//! ```text
//! cargo run -p divex-examples --example seal_three_agencies
//! ```
#![forbid(unsafe_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use divex_core::envelope::{self, OpenOptions, SealOptions};
use divex_core::records::RecordType;
use divex_fixtures::{DAY, World, disclosure};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();

    // A county trust anchor certifies each agency's freshly generated keys; every agency holds
    // the resulting directory and resolves senders through it (the shared fixtures' world).
    let world = World::builder()
        .only([
            "treatment-provider",
            "superior-court",
            "probation",
            "district-attorney",
            "lead-case-manager",
        ])
        .validity(now - DAY, now + 365 * DAY)
        .try_build()?;
    let provider = world.key("treatment-provider");
    let court = world.key("superior-court");
    let probation = world.key("probation");
    let da = world.key("district-attorney");
    let lead = world.key("lead-case-manager");

    // Purpose, consent reference, record type, labels and notice: what the recipients may do
    // with the record, signed with it.
    let disclosure = disclosure(RecordType::DrugTest);
    let record =
        br#"{"collected":"2026-11-20","specimen":"urine","observed":true,"result":"negative"}"#;

    let sealed = envelope::seal(
        provider,
        &[
            court.public().clone(),
            probation.public().clone(),
            da.public().clone(),
        ],
        &disclosure,
        record,
        now,
        SealOptions::default(),
    )
    .map(|s| s.bytes)?;
    println!(
        "sealed {} bytes of record into a {}-byte envelope for 3 agencies",
        record.len(),
        sealed.len()
    );

    for (name, keys) in [
        ("superior court", court),
        ("probation", probation),
        ("district attorney", da),
    ] {
        let opened = envelope::open(
            &sealed,
            keys,
            &world.directory,
            now,
            &OpenOptions::default(),
        )?;
        assert_eq!(opened.payload, record);
        println!(
            "{name:>17}: opened envelope {} from {} ({}, purpose {}, labels {:?})",
            opened.metadata.envelope_id,
            opened.sender.agency_id,
            opened.metadata.disclosure.record_type,
            opened.metadata.disclosure.purpose,
            opened.metadata.disclosure.labels,
        );
    }

    match envelope::open(
        &sealed,
        lead,
        &world.directory,
        now,
        &OpenOptions::default(),
    ) {
        Err(e) => println!("LEAD case manager: refused as expected: {e}"),
        Ok(_) => return Err("an agency outside the audience opened the envelope".into()),
    }
    Ok(())
}

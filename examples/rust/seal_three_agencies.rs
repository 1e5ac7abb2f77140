//! A treatment provider seals a drug-test result to the court, probation and the district
//! attorney; each of them opens it; an agency outside the audience cannot.
//!
//! ```text
//! cargo run -p divex-examples --example seal_three_agencies
//! ```
#![forbid(unsafe_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use divex_core::envelope::{self, ConsentRef, Disclosure, StaticResolver};
use divex_core::envelope::{OpenOptions, SealOptions};
use divex_core::keys::AgencyKeys;
use divex_core::records::RecordType;
use divex_core::vocab::{NoticeCode, Purpose, SecurityLabel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();

    // Each agency generates its keys once and publishes its public bundle.
    let provider = AgencyKeys::generate();
    let court = AgencyKeys::generate();
    let probation = AgencyKeys::generate();
    let da = AgencyKeys::generate();
    let lead = AgencyKeys::generate();

    // The recipients trust the provider's signing key (issue 3 replaces this with the
    // certified agency directory).
    let mut directory = StaticResolver::new();
    directory.insert(
        "county-treatment-program",
        provider.public().signing().clone(),
    );

    let disclosure = Disclosure {
        purpose: Purpose::from_static("cj-monitor-conditional-release"),
        consent: ConsentRef {
            id: "consent-pc1000-0001".into(),
            digest: [0x11; 32],
        },
        record_type: RecordType::DrugTest,
        labels: vec![
            SecurityLabel::PART2,
            SecurityLabel::from_static("no-criminal-use"),
        ],
        notice: NoticeCode::from_static("part2-short"),
        redacted: vec![],
    };
    let record =
        br#"{"collected":"2026-11-20","specimen":"urine","observed":true,"result":"negative"}"#;

    let sealed = envelope::seal(
        &provider,
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
        ("superior court", &court),
        ("probation", &probation),
        ("district attorney", &da),
    ] {
        let opened = envelope::open(&sealed, keys, &directory, now, &OpenOptions::default())?;
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

    match envelope::open(&sealed, &lead, &directory, now, &OpenOptions::default()) {
        Err(e) => println!("LEAD case manager: refused as expected: {e}"),
        Ok(_) => return Err("an agency outside the audience opened the envelope".into()),
    }
    Ok(())
}

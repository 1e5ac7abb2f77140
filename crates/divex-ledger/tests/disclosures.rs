//! The ledger with real disclosures: `record_sent` from `divex_core::seal`, `record_received`
//! from `divex_core::open`, and the ledger as `open`'s replay guard.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::{CONSENT, T0};
use divex_core::consent::ConsentSet;
use divex_core::decision::MinimumNecessary;
use divex_core::envelope::{OpenError, OpenOptions};
use divex_core::{ConsentCopy, DisclosureError, SealRequest};
use divex_fixtures::{CJ_PURPOSE, ConsentBuilder, World, drug_test, subject};
use divex_ledger::{Direction, Ledger, LedgerError};

#[test]
fn a_disclosure_is_recorded_by_sender_and_recipients_and_replays_are_refused() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let mut consents = ConsentSet::new();
    consents
        .import_consent(
            ConsentBuilder::pc1000(&w).sign(&w).unwrap().as_bytes(),
            &w.directory,
            T0,
        )
        .unwrap();

    // The provider seals a drug test to the court and the DA and records it.
    let subject = subject();
    let record = drug_test();
    let sealed = divex_core::seal(
        w.key("treatment-provider"),
        &w.directory,
        &consents,
        &SealRequest {
            recipients: &["superior-court", "district-attorney"],
            subject: &subject,
            purpose: &CJ_PURPOSE,
            consent_id: CONSENT,
            record: &record,
            minimum_necessary: MinimumNecessary::Refuse,
            consent_copy: ConsentCopy::Attach,
            ledger_head: None,
        },
        T0,
    )
    .unwrap();
    let mut provider =
        Ledger::open(&dir.path().join("provider.ledger"), "treatment-provider").unwrap();
    let sent = provider.record_sent(&sealed, T0).unwrap();
    let to: Vec<&str> = sent.iter().map(|e| e.counterparty.as_str()).collect();
    assert_eq!(to, ["superior-court", "district-attorney"]);
    provider
        .checkpoint(w.key("treatment-provider"), T0)
        .unwrap();
    provider.verify(&w.directory).unwrap();

    // The court opens it with its ledger as the replay guard, and records the receipt.
    let mut court = Ledger::open(&dir.path().join("court.ledger"), "superior-court").unwrap();
    let open = |court: &Ledger| {
        divex_core::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &ConsentSet::new(),
            T0 + 60,
            &OpenOptions {
                seen: Some(court),
                ..OpenOptions::default()
            },
        )
    };
    let received = open(&court).unwrap();
    let entry = court.record_received(&received, T0 + 60).unwrap();
    assert_eq!(entry.direction, Direction::Received);
    assert_eq!(entry.counterparty, "treatment-provider");
    assert_eq!(entry.record_types, ["drug_test"]);
    assert_eq!(entry.purpose, CJ_PURPOSE.as_str());
    assert_eq!(entry.consent_id, CONSENT);
    assert_eq!(entry.envelope_id, sealed.metadata.envelope_id.0);
    assert_eq!(entry.envelope_hash, sealed.envelope_hash);
    // The hashes the two agencies recorded agree: the ledgers can be reconciled.
    assert_eq!(entry.envelope_hash, sent[0].envelope_hash);

    // The same envelope again: `open` refuses it through the ledger ...
    assert!(matches!(
        open(&court),
        Err(DisclosureError::Envelope(OpenError::Replay { envelope_id })) if envelope_id == sealed.metadata.envelope_id
    ));
    // ... and the ledger refuses to record it twice even if a caller skipped the hook.
    assert!(matches!(
        court.record_received(&received, T0 + 61),
        Err(LedgerError::Replay { .. })
    ));
    court.checkpoint(w.key("superior-court"), T0 + 120).unwrap();
    let report = court.verify(&w.directory).unwrap();
    assert_eq!((report.entries, report.anchored_seq), (1, 1));

    // The participant's accounting, from the provider: both recipients.
    let accounting = provider.accounting(&subject, T0, T0).unwrap();
    assert_eq!(accounting, sent);
    // The court only received: it disclosed nothing.
    assert!(court.accounting(&subject, 0, u64::MAX).unwrap().is_empty());
}

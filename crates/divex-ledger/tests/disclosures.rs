//! The ledger with real disclosures: `record_sent` from `disclosure::seal`, `record_received`
//! from `disclosure::open`, and the ledger as `open`'s replay guard.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;

use common::{DAY, T0, jordan};
use divex_core::consent::{
    Capacity, Case, ConsentDirective, ConsentSet, EventTrigger, Expiry, Information, Notice,
    NoticeForm, Party, Redisclosure, Regime, Revocability, SignMethod, SignedConsent, Signer,
    StatementSigner,
};
use divex_core::decision::MinimumNecessary;
use divex_core::directory::{AnchorKeys, CertificateRequest, Directory, Role};
use divex_core::disclosure::{self, ConsentCopy, DisclosureError, SealRequest};
use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::records::{DrugTest, Record, RecordType, Specimen, TestResult, Tier};
use divex_ledger::{Direction, Ledger, LedgerError};

const PURPOSE: &str = "cj-monitor-conditional-release";
const CONSENT: &str = "c-pc1000-0001";
const CASE: &str = "CR-2026-001234";

struct World {
    directory: Directory,
    keys: BTreeMap<&'static str, AgencyKeys>,
    patient: PersonalKey,
}

fn world() -> World {
    let anchor = AnchorKeys::generate("county-justice-it").unwrap();
    let mut directory = Directory::new();
    directory.add_anchor(anchor.public()).unwrap();
    let mut keys = BTreeMap::new();
    for (id, role, part2) in [
        ("superior-court", Role::Court, false),
        ("district-attorney", Role::Prosecutor, false),
        ("treatment-provider", Role::TreatmentProvider, true),
    ] {
        let k = AgencyKeys::generate();
        let cert = anchor
            .issue(&CertificateRequest {
                agency_id: id.into(),
                name: id.replace('-', " "),
                roles: vec![role],
                part2_program: part2,
                keys: k.public().clone(),
                not_before: T0 - 365 * DAY,
                not_after: T0 + 365 * DAY,
            })
            .unwrap();
        directory.add_certificate(cert.as_bytes()).unwrap();
        keys.insert(id, k);
    }
    World {
        directory,
        keys,
        patient: PersonalKey::generate(),
    }
}

/// A PC 1000 §2.35 consent: provider → court and DA.
fn consent(w: &World) -> Vec<u8> {
    let d = ConsentDirective {
        id: CONSENT.into(),
        version: 1,
        supersedes: None,
        regime: Regime::Part2CriminalJustice,
        regulatory_basis: vec!["42CFRPart2".into(), "CA-PC-1000".into()],
        subject: jordan(),
        disclosers: vec![Party::Agency("treatment-provider".into())],
        recipients: vec![
            Party::Agency("superior-court".into()),
            Party::Agency("district-attorney".into()),
        ],
        purposes: vec![PURPOSE.into()],
        information: Information {
            record_types: vec![RecordType::DrugTest],
            fields: BTreeMap::new(),
            tiers: vec![Tier::T1, Tier::T2],
            excluded_record_types: vec![],
            data_period: None,
            description: "Drug test results in the PC 1000 program".into(),
        },
        effective: T0 - 30 * DAY,
        expiry: Expiry {
            date: Some(T0 + 300 * DAY),
            event: Some(EventTrigger {
                case_ref: CASE.into(),
            }),
        },
        revocation: Revocability::RevocableAfter(Expiry {
            date: None,
            event: Some(EventTrigger {
                case_ref: CASE.into(),
            }),
        }),
        redisclosure: Redisclosure::CjOfficialDutiesOnly,
        use_restrictions: vec![],
        notice: Notice {
            form: NoticeForm::Short,
            attach_consent: true,
        },
        case: Some(Case {
            case_ref: CASE.into(),
            authority: "superior-court".into(),
        }),
        signers: vec![
            Signer {
                capacity: Capacity::Patient,
                name: "Jordan Avery Reyes".into(),
                method: SignMethod::Electronic,
                key: Some(*w.patient.public().as_bytes()),
                agency_id: None,
                authority: None,
            },
            Signer {
                capacity: Capacity::WitnessingAgency,
                name: "treatment provider".into(),
                method: SignMethod::Electronic,
                key: Some(*w.keys["treatment-provider"].public().signing().as_bytes()),
                agency_id: Some("treatment-provider".into()),
                authority: None,
            },
        ],
        source_document: None,
        signed_at: T0 - 30 * DAY,
    };
    let signers: Vec<&dyn StatementSigner> = vec![&w.patient, &w.keys["treatment-provider"]];
    SignedConsent::sign(&d, &signers)
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn drug_test() -> Record {
    Record::from(
        DrugTest::new(T0 - DAY, Specimen::Urine, true, "10-panel")
            .with_result("fentanyl", TestResult::Negative),
    )
}

#[test]
fn a_disclosure_is_recorded_by_sender_and_recipients_and_replays_are_refused() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let mut consents = ConsentSet::new();
    consents
        .import_consent(&consent(&w), &w.directory, T0)
        .unwrap();

    // The provider seals a drug test to the court and the DA and records it.
    let subject = jordan();
    let record = drug_test();
    let sealed = disclosure::seal(
        &w.keys["treatment-provider"],
        &w.directory,
        &consents,
        &SealRequest {
            recipients: &["superior-court", "district-attorney"],
            subject: &subject,
            purpose: PURPOSE,
            consent_id: CONSENT,
            record: &record,
            minimum_necessary: MinimumNecessary::Refuse,
            consent_copy: ConsentCopy::Attach,
        },
        T0,
    )
    .unwrap();
    let mut provider =
        Ledger::open(&dir.path().join("provider.ledger"), "treatment-provider").unwrap();
    let sent = provider
        .record_sent(&sealed, &subject, "drug_test", PURPOSE, CONSENT, T0)
        .unwrap();
    let to: Vec<&str> = sent.iter().map(|e| e.counterparty.as_str()).collect();
    assert_eq!(to, ["superior-court", "district-attorney"]);
    provider
        .checkpoint(&w.keys["treatment-provider"], T0)
        .unwrap();
    provider
        .verify(w.keys["treatment-provider"].public().signing())
        .unwrap();

    // The court opens it with its ledger as the replay guard, and records the receipt.
    let mut court = Ledger::open(&dir.path().join("court.ledger"), "superior-court").unwrap();
    let open = |court: &Ledger| {
        disclosure::open(
            &sealed.envelope,
            &w.keys["superior-court"],
            &w.directory,
            &ConsentSet::new(),
            T0 + 60,
            Some(court),
        )
    };
    let received = open(&court).unwrap();
    let entry = court.record_received(&received, T0 + 60).unwrap();
    assert_eq!(entry.direction, Direction::Received);
    assert_eq!(entry.counterparty, "treatment-provider");
    assert_eq!(entry.record_types, ["drug_test"]);
    assert_eq!(entry.purpose, PURPOSE);
    assert_eq!(entry.consent_id, CONSENT);
    assert_eq!(entry.envelope_id, sealed.envelope_id.0);
    assert_eq!(entry.envelope_hash, sealed.envelope_hash);
    // The hashes the two agencies recorded agree: the ledgers can be reconciled.
    assert_eq!(entry.envelope_hash, sent[0].envelope_hash);

    // The same envelope again: `open` refuses it through the ledger ...
    assert!(matches!(
        open(&court),
        Err(DisclosureError::Replay { envelope_id }) if envelope_id == sealed.envelope_id
    ));
    // ... and the ledger refuses to record it twice even if a caller skipped the hook.
    assert!(matches!(
        court.record_received(&received, T0 + 61),
        Err(LedgerError::Replay { .. })
    ));
    court
        .checkpoint(&w.keys["superior-court"], T0 + 120)
        .unwrap();
    let report = court
        .verify(w.keys["superior-court"].public().signing())
        .unwrap();
    assert_eq!((report.entries, report.anchored_seq), (1, 1));

    // The participant's accounting, from the provider: both recipients.
    let accounting = provider.accounting(&subject, T0, T0).unwrap();
    assert_eq!(accounting, sent);
    // The court only received: it disclosed nothing.
    assert!(court.accounting(&subject, 0, u64::MAX).unwrap().is_empty());
}

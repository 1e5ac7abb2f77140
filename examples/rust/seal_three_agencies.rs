//! A treatment provider seals a drug-test result to the court, probation and the district
//! attorney under the participant's §2.35 consent; each of them opens it; an agency outside the
//! audience cannot.
//!
//! ```text
//! cargo run -p divex-examples --example seal_three_agencies
//! ```
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use divex_core::consent::{
    Capacity, Case, ConsentDirective, ConsentSet, EventTrigger, Expiry, Information, Notice,
    NoticeForm, Party, Redisclosure, Regime, Revocability, SignMethod, SignedConsent, Signer,
    StatementSigner, Subject,
};
use divex_core::decision::MinimumNecessary;
use divex_core::directory::{AnchorKeys, CertificateRequest, Directory, Role};
use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::records::{
    AnalyteResult, Date, DrugTest, Record, RecordType, Specimen, TestResult, Tier,
};
use divex_core::vocab::Purpose;
use divex_core::{ConsentCopy, OpenOptions, SealRequest};

const DAY: u64 = 86_400;
const PROVIDER: &str = "county-treatment-program";
const COURT: &str = "superior-court";
const PROBATION: &str = "probation";
const DA: &str = "district-attorney";
const LEAD: &str = "lead-case-manager";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();

    // The county's justice-IT authority certifies every agency; each agency pins the anchor
    // and holds the directory of certificates.
    let anchor = AnchorKeys::generate("County Justice IT")?;
    let mut directory = Directory::new();
    directory.add_anchor(anchor.public())?;
    let mut agencies = BTreeMap::new();
    for (id, name, role, part2_program) in [
        (
            PROVIDER,
            "County Treatment Program",
            Role::TreatmentProvider,
            true,
        ),
        (COURT, "Superior Court", Role::Court, false),
        (PROBATION, "County Probation", Role::Probation, false),
        (DA, "District Attorney", Role::Prosecutor, false),
        (LEAD, "LEAD Case Management", Role::LeadCaseManager, false),
    ] {
        let keys = AgencyKeys::generate();
        let cert = anchor.issue(&CertificateRequest {
            agency_id: id.into(),
            name: name.into(),
            roles: vec![role],
            part2_program,
            keys: keys.public().clone(),
            not_before: now - DAY,
            not_after: now + 365 * DAY,
        })?;
        directory.add_certificate(cert.as_bytes())?;
        agencies.insert(id, keys);
    }
    let key = |id: &str| agencies.get(id).ok_or("unknown agency");

    // The participant signs a §2.35 consent at intake, witnessed by the provider: drug tests
    // to the court, probation and the DA, to monitor the conditional release.
    let participant = PersonalKey::generate();
    let subject = Subject {
        name: "Jordan Avery Reyes".into(),
        date_of_birth: Date::new(1994, 3, 14)?,
    };
    let purpose = Purpose::from_static("cj-monitor-conditional-release");
    let consent = ConsentDirective {
        id: "consent-pc1000-0001".into(),
        version: 1,
        supersedes: None,
        regime: Regime::Part2CriminalJustice,
        regulatory_basis: vec!["42CFRPart2".into(), "CA-PC-1000".into()],
        subject: subject.clone(),
        disclosers: vec![Party::Agency(PROVIDER.into())],
        recipients: [COURT, PROBATION, DA]
            .map(|a| Party::Agency(a.into()))
            .to_vec(),
        purposes: vec![purpose.clone()],
        information: Information {
            record_types: vec![RecordType::DrugTest],
            fields: BTreeMap::new(),
            tiers: vec![Tier::T1, Tier::T2],
            excluded_record_types: vec![],
            data_period: None,
            description: "Drug test results in the PC 1000 program".into(),
        },
        effective: now - 60,
        expiry: Expiry {
            date: Some(now + 540 * DAY),
            event: None,
        },
        revocation: Revocability::RevocableAfter(Expiry {
            date: None,
            event: Some(EventTrigger {
                case_ref: "CR-2026-0042".into(),
            }),
        }),
        redisclosure: Redisclosure::CjOfficialDutiesOnly,
        use_restrictions: vec![],
        notice: Notice {
            form: NoticeForm::Short,
            attach_consent: true,
        },
        case: Some(Case {
            case_ref: "CR-2026-0042".into(),
            authority: COURT.into(),
        }),
        signers: vec![
            Signer {
                capacity: Capacity::Patient,
                name: subject.name.clone(),
                method: SignMethod::Electronic,
                key: Some(*participant.public().as_bytes()),
                agency_id: None,
                authority: None,
            },
            Signer {
                capacity: Capacity::WitnessingAgency,
                name: "County Treatment Program".into(),
                method: SignMethod::Electronic,
                key: Some(*key(PROVIDER)?.public().signing().as_bytes()),
                agency_id: Some(PROVIDER.into()),
                authority: None,
            },
        ],
        source_document: None,
        signed_at: now - 60,
    };
    let signers: [&dyn StatementSigner; 2] = [&participant, key(PROVIDER)?];
    let signed = SignedConsent::sign(&consent, &signers)?;
    let mut provider_consents = ConsentSet::new();
    provider_consents.import_consent(signed.as_bytes(), &directory, now)?;

    // The provider seals a negative, observed urine test to the three justice agencies. The
    // consent engine checks it for every recipient first.
    let test = DrugTest {
        results: vec![AnalyteResult {
            analyte: "fentanyl".into(),
            result: TestResult::Negative,
        }],
        ..DrugTest::new(now - DAY, Specimen::Urine, true, "10-panel")
    };
    let record = Record::from(test);
    let sealed = divex_core::seal(
        key(PROVIDER)?,
        &directory,
        &provider_consents,
        &SealRequest {
            recipients: &[COURT, PROBATION, DA],
            subject: &subject,
            purpose: &purpose,
            consent_id: &consent.id,
            record: &record,
            minimum_necessary: MinimumNecessary::Refuse,
            consent_copy: ConsentCopy::Attach,
            ledger_head: None,
        },
        now,
    )?;
    println!(
        "sealed a {} into a {}-byte envelope for 3 agencies",
        record.record_type(),
        sealed.envelope.len()
    );

    // Each recipient opens it: every envelope check, then the consent (whose copy travels
    // with the envelope) again.
    for id in [COURT, PROBATION, DA] {
        let received = divex_core::open(
            &sealed.envelope,
            key(id)?,
            &directory,
            &ConsentSet::new(),
            now,
            &OpenOptions::default(),
        )?;
        assert_eq!(received.record, record);
        println!(
            "{id:>17}: opened envelope {} from {} ({}, purpose {}, labels {:?})",
            received.metadata.envelope_id,
            received.sender.agency_id,
            received.metadata.disclosure.record_type,
            received.metadata.disclosure.purpose,
            received.metadata.disclosure.labels,
        );
    }

    match divex_core::open(
        &sealed.envelope,
        key(LEAD)?,
        &directory,
        &ConsentSet::new(),
        now,
        &OpenOptions::default(),
    ) {
        Err(e) => println!("LEAD case manager: refused as expected: {e}"),
        Ok(_) => return Err("an agency outside the audience opened the envelope".into()),
    }
    Ok(())
}

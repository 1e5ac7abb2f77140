//! The facade as the bindings see it: a consent described as JSON, a drug test sealed to the
//! court and opened there, the ledger, the COSE-HPKE layer, keystores, and the failure
//! classes with the core's codes and messages. (The foreign-language suites run the same
//! story through the generated bindings: bindings/python/tests.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::Arc;

use divex_ffi::*;
use divex_fixtures::{CASE, DAY};

mod common;

use common::*;

fn drug_test() -> Arc<Record> {
    Record::new(TypedRecord::DrugTest {
        record: DrugTest {
            collected_at: T0 - DAY,
            specimen: "urine".into(),
            observed: true,
            panel: "10-panel".into(),
            results: vec![AnalyteResult {
                analyte: "fentanyl".into(),
                result: "negative".into(),
            }],
            confirmation: Some("not_required".into()),
            program_outcome: None,
            prescription_consistent: None,
        },
    })
    .unwrap()
}

#[test]
fn drug_test_from_provider_to_court_through_the_facade() {
    let w = world();
    let signed = sign_consent(
        consent_json(&w, true),
        vec![w.provider.clone()],
        vec![w.patient.clone()],
    )
    .unwrap();
    let consents = ConsentSet::new();
    let info = consents
        .import_consent(signed, w.directory.clone(), T0)
        .unwrap();
    assert_eq!(info.regime, Regime::Part2CriminalJustice);
    // The directive reads back in the shape it was given.
    let back: serde_json::Value = serde_json::from_str(&info.directive_json).unwrap();
    assert_eq!(
        back["signers"][0]["key"],
        hex::encode(w.patient.public_key())
    );

    let record = drug_test();
    let sealed = seal_disclosure(
        w.provider.clone(),
        w.directory.clone(),
        consents.clone(),
        record.clone(),
        request(&["superior-court"], ConsentCopy::Attach),
        T0,
    )
    .unwrap();
    assert_eq!(sealed.recipients(), ["superior-court"]);

    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("court.sqlite");
    let ledger =
        Ledger::open(path.to_string_lossy().into_owned(), "superior-court".into()).unwrap();
    let got = open_disclosure(
        sealed.envelope(),
        w.court.clone(),
        w.directory.clone(),
        T0,
        None,
        Some(ledger.clone()),
        MAX_AGE,
    )
    .unwrap();
    assert_eq!(*got.record(), *record);
    assert_eq!(got.sender().agency_id, "treatment-provider");
    assert_eq!(got.metadata().envelope_id, sealed.envelope_id());
    ledger.record_received(got, T0).unwrap();
    let replay = open_disclosure(
        sealed.envelope(),
        w.court.clone(),
        w.directory.clone(),
        T0,
        None,
        Some(ledger.clone()),
        MAX_AGE,
    )
    .unwrap_err();
    assert_eq!(replay.code(), "replay");
    assert!(matches!(replay, DivexError::Envelope { .. }));
    assert_eq!(
        ledger.verify(w.court.signing_public_key()).unwrap().entries,
        1
    );

    // Each failure class with the core's code and message.
    let not_for_me = open_disclosure(
        sealed.envelope(),
        w.probation.clone(),
        w.directory.clone(),
        T0,
        None,
        None,
        MAX_AGE,
    )
    .unwrap_err();
    assert_eq!(
        not_for_me,
        DivexError::Envelope {
            code: "not_for_me".into(),
            detail: format!(
                "this envelope is not addressed to this agency's key (key id {})",
                hex::encode(w.probation.encryption_key_id())
            ),
        }
    );
    let clinical = Record::from_json(
        RecordType::ClinicalDetail,
        r#"{"diagnoses": ["F11.20"]}"#.into(),
    )
    .unwrap();
    let denied = seal_disclosure(
        w.provider.clone(),
        w.directory.clone(),
        consents,
        clinical,
        request(&["superior-court"], ConsentCopy::Attach),
        T0,
    )
    .unwrap_err();
    assert!(
        matches!(&denied, DivexError::Denied { code, recipient, .. }
            if code == "record_type_not_permitted" && recipient == "superior-court"),
        "{denied:?}"
    );
    let unknown = sign_consent(
        consent_json(&w, true).replacen("\"version\"", "\"colour\":\"blue\",\"version\"", 1),
        vec![w.provider.clone()],
        vec![w.patient.clone()],
    )
    .unwrap_err();
    assert!(matches!(&unknown, DivexError::InvalidInput { code, .. } if code == "json"));
}

/// Revocations that cannot be outrun, through the facade (spec/consent.md §5.5, §6.3,
/// §8.3): a revocation imported before its consent is kept pending, a back-dated case event
/// needs the unbounded import, and an envelope older than `max_age_seconds` is refused.
#[test]
fn pending_revocations_back_dated_events_and_envelope_age_through_the_facade() {
    let w = world();
    let court = ConsentSet::new();
    let revocation = w
        .patient
        .sign_consent_revocation(CONSENT_ID.into(), T0, "written".into())
        .unwrap();
    let pending = court
        .import_revocation(revocation, w.directory.clone(), T0)
        .unwrap();
    assert!(
        pending.pending && pending.consent_digest.is_empty(),
        "{pending:?}"
    );
    assert!(court.revocations().is_empty());
    let signed = sign_consent(
        consent_json(&w, true),
        vec![w.provider.clone()],
        vec![w.patient.clone()],
    )
    .unwrap();
    let info = court
        .import_consent(signed.clone(), w.directory.clone(), T0)
        .unwrap();
    let held = court.revocations();
    assert_eq!(held.len(), 1);
    assert!(!held[0].pending && held[0].consent_digest == info.digest);

    let event = w
        .court
        .sign_case_event(CASE.into(), DispositionOutcome::Dismissed, T0 - 31 * DAY)
        .unwrap();
    let e = court
        .import_event(event.clone(), w.directory.clone(), T0)
        .unwrap_err();
    assert!(
        matches!(&e, DivexError::Consent { code, .. } if code == "back_dated"),
        "{e:?}"
    );
    court
        .import_event_without_date_bound(event, w.directory.clone(), T0)
        .unwrap();

    let provider = ConsentSet::new();
    provider
        .import_consent(signed, w.directory.clone(), T0)
        .unwrap();
    let sealed = seal_disclosure(
        w.provider.clone(),
        w.directory.clone(),
        provider,
        drug_test(),
        request(&["superior-court"], ConsentCopy::Attach),
        T0,
    )
    .unwrap();
    let open_at = |now: u64, max_age: u64| {
        open_disclosure(
            sealed.envelope(),
            w.court.clone(),
            w.directory.clone(),
            now,
            None,
            None,
            max_age,
        )
    };
    let e = open_at(T0 + 31 * DAY, MAX_AGE).unwrap_err();
    assert!(
        matches!(&e, DivexError::Disclosure { code, .. } if code == "too_old"),
        "{e:?}"
    );
    let got = open_at(T0 + 31 * DAY, 0).unwrap();
    assert!(!got.issued_out_of_order());
}

/// The anchor's side of the facade (the shared world is built in Rust and handed over as a
/// bundle): a certificate issued through it is added to a directory, which then serves it as
/// the agency's current certificate.
#[test]
fn an_anchor_certifies_an_agency_through_the_facade() {
    let anchor = AnchorKeys::generate("County Justice IT".into()).unwrap();
    let directory = Directory::new();
    directory.add_anchor(anchor.trust_anchor()).unwrap();
    let keys = AgencyKeys::generate();
    let certificate = anchor
        .issue_certificate(CertificateRequest {
            agency_id: "treatment-provider".into(),
            name: "Treatment Provider".into(),
            roles: vec![Role::TreatmentProvider],
            part2_program: true,
            public_bundle: keys.public_bundle(),
            not_before: T0 - DAY,
            not_after: T0 + 365 * DAY,
        })
        .unwrap();
    let info = directory.add_certificate(certificate.clone()).unwrap();
    assert_eq!(info.agency_id, "treatment-provider");
    assert_eq!(info.roles, [Role::TreatmentProvider]);
    assert!(info.part2_program);
    let current = directory
        .current_certificate("treatment-provider".into(), T0)
        .unwrap();
    assert_eq!(current.certificate, certificate);
    assert_eq!(current.public_bundle, keys.public_bundle());
}

#[test]
fn cose_hpke_layer_round_trip_and_refusals() {
    let court = AgencyKeys::generate();
    let ct = hpke_encrypt(
        court.encryption_public_key(),
        b"payload".to_vec(),
        b"aad".to_vec(),
    )
    .unwrap();
    let pair = court.encryption_key_pair();
    assert_eq!(pair.key_id(), court.encryption_key_id());
    let open = |aad: &[u8], info: &[u8]| {
        hpke_decrypt(
            ct.clone(),
            pair.clone(),
            court.encryption_key_id(),
            aad.to_vec(),
            info.to_vec(),
            vec![],
        )
    };
    assert_eq!(open(b"aad", b"").unwrap(), b"payload");
    assert_eq!(open(b"other", b"").unwrap_err().code(), "decrypt");
    assert_eq!(open(b"aad", b"info").unwrap_err().code(), "key_unwrap");
    let err = hpke_encrypt(vec![0; 32], vec![], vec![]).unwrap_err();
    assert_eq!(err.code(), "low_order_encryption_key");
}

#[test]
fn keystores_open_with_their_passphrase_only() {
    let keys = AgencyKeys::generate();
    let ks = keys
        .export_keystore("probation".into(), "pw".into(), KdfProfile::Fast)
        .unwrap();
    let info = keystore_info(ks.clone()).unwrap();
    assert_eq!(
        (info.kind, info.id.as_str()),
        (KeystoreKind::Agency, "probation")
    );
    let again = AgencyKeys::from_keystore(ks.clone(), "pw".into()).unwrap();
    assert_eq!(again.public_bundle(), keys.public_bundle());
    let wrong = AgencyKeys::from_keystore(ks.clone(), "nope".into()).unwrap_err();
    assert_eq!(wrong.code(), "wrong_passphrase");
    let kind = PersonalKey::from_keystore(ks, "pw".into()).unwrap_err();
    assert_eq!(kind.code(), "wrong_kind");
}

/// Every record type of the catalogue crosses the boundary typed: each spec vector's valid
/// record reads back as its `TypedRecord` and builds the same record again, and the typed
/// path refuses a bad value with exactly the error the JSON path gives.
#[test]
fn every_record_type_crosses_the_boundary_typed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/vectors/records");
    let mut covered = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if v["expect"] != "ok" {
            continue;
        }
        let rt = parse_record_type(v["record_type"].as_str().unwrap().to_owned()).unwrap();
        let bytes = hex::decode(v["input"].as_str().unwrap()).unwrap();
        let record = Record::from_bytes(rt, bytes.clone()).unwrap();
        let typed = record.typed().unwrap();
        let again = Record::new(typed.clone()).unwrap();
        assert_eq!(again, record, "{rt:?}");
        assert_eq!(again.to_bytes(), bytes, "{rt:?}");
        assert_eq!(again.typed().unwrap(), typed, "{rt:?}");
        covered.push(rt);
    }
    covered.sort();
    let mut all = record_types();
    all.sort();
    assert_eq!(covered, all, "a valid vector for every record type");

    let attendance = |status: &str, hours: Option<u32>| TypedRecord::Attendance {
        record: Attendance {
            date: "2026-09-20".into(),
            service_type: "group".into(),
            status: status.into(),
            hours_tenths: hours,
            cumulative_hours_tenths: None,
        },
    };
    let json = |status: &str| {
        format!(r#"{{"date": "2026-09-20", "service_type": "group", "status": "{status}"}}"#)
    };
    assert_eq!(
        Record::new(attendance("sleeping", None)).unwrap_err(),
        Record::from_json(RecordType::Attendance, json("sleeping")).unwrap_err()
    );
    let e = Record::new(attendance("absent", Some(10))).unwrap_err();
    assert_eq!(e.code(), "invalid_value");
    assert_eq!(
        e.to_string(),
        "field `hours_tenths` of the attendance record is invalid: expected 0 (or no hours) \
         when the status is absent or excused"
    );
    let present = Record::new(attendance("present", None)).unwrap();
    assert_eq!(
        present,
        Record::from_json(RecordType::Attendance, json("present")).unwrap()
    );
    assert_eq!(present.fields().len(), 3);
    assert!(present.fields().iter().all(|f| f.kind != FieldKind::Count));
    let kinds: Vec<FieldKind> = record_schema(RecordType::Attendance)
        .into_iter()
        .map(|f| f.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Date,
            FieldKind::Vocabulary,
            FieldKind::Vocabulary,
            FieldKind::Count,
            FieldKind::Count
        ]
    );
}

/// What prints is never protected health information, and the checked text of a request is
/// refused with the core's class before anything is sealed.
#[test]
fn printing_hides_values_and_bad_tokens_are_invalid_input() {
    let w = world();
    assert_eq!(
        format!("{} {:?}", subject(), subject()),
        "Subject(..) Subject(..)"
    );
    let record = drug_test();
    assert_eq!(
        format!("{record} {record:?}"),
        "Record(drug_test) Record(drug_test)"
    );
    let debug = format!("{:?}", w.provider);
    assert!(
        debug.contains(&hex::encode(w.provider.signing_key_id())),
        "{debug}"
    );

    let consents = ConsentSet::new();
    consents
        .import_consent(
            sign_consent(
                consent_json(&w, true),
                vec![w.provider.clone()],
                vec![w.patient.clone()],
            )
            .unwrap(),
            w.directory.clone(),
            T0,
        )
        .unwrap();
    let mut bad_date = request(&["superior-court"], ConsentCopy::Attach);
    bad_date.subject.date_of_birth = "1994-02-30".into();
    let e = seal_disclosure(
        w.provider.clone(),
        w.directory.clone(),
        consents,
        record,
        bad_date,
        T0,
    )
    .unwrap_err();
    assert!(
        matches!(&e, DivexError::InvalidInput { code, .. } if code == "invalid_date"),
        "{e:?}"
    );
}

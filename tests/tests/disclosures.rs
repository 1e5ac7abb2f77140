//! End-to-end disclosures through `disclosure::seal` and `disclosure::open`: a PC 1000 case and
//! a LEAD case, with a refused over-share, a redacted one, reliance on a consent later
//! revoked, reference mode, tampered obligations and replays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use divex_core::consent::{ConsentSet, RevocationStatement, Subject};
use divex_core::decision::{DenyReason, MinimumNecessary};
use divex_core::envelope::LedgerHead;
use divex_core::error::Classified;
use divex_core::records::{ClinicalDetail, Record, RecordType};
use divex_core::testing::RecordExt;
use divex_core::testing::envelope::{self, ConsentRef, OpenError};
use divex_core::testing::envelope::{OpenOptions, SealOptions};
use divex_core::vocab::NoticeCode;
use divex_core::vocab::SecurityLabel;
use divex_core::{ConsentCopy, DisclosureError, Received, SealRequest, Sealed};
use divex_fixtures::*;

/// A consent set holding `consent`, signed, as checked at `T0`.
fn held(w: &World, consent: &ConsentBuilder) -> ConsentSet {
    let mut set = ConsentSet::new();
    set.import_consent(consent.sign(w).unwrap().as_bytes(), &w.directory, T0)
        .unwrap();
    set
}

/// A request under the PC 1000 consent (`c-pc1000-0001`, purpose [`CJ_PURPOSE`]).
fn pc1000_request<'a>(
    recipients: &'a [&'a str],
    record: &'a Record,
    subject: &'a Subject,
) -> SealRequest<'a> {
    seal_request(recipients, &CJ_PURPOSE, "c-pc1000-0001", record, subject)
}

/// The treatment provider, holding `set`, seals `req` at `T0`.
fn provider_seal(
    w: &World,
    set: &ConsentSet,
    req: &SealRequest<'_>,
) -> Result<Sealed, DisclosureError> {
    divex_core::seal(w.key("treatment-provider"), &w.directory, set, req, T0)
}

/// Agency `who` opens `envelope` at `T0` holding no consent of its own (the attached copy is
/// all it has) and without a replay guard.
fn open_holding_nothing(
    w: &World,
    envelope: &[u8],
    who: &str,
) -> Result<Received, DisclosureError> {
    divex_core::open(
        envelope,
        w.key(who),
        &w.directory,
        &ConsentSet::new(),
        T0,
        &OpenOptions::default(),
    )
}

#[test]
fn pc1000_drug_test_reaches_court_and_da_with_the_law_attached() {
    let w = World::new();
    let provider_set = held(&w, &ConsentBuilder::pc1000(&w));
    let record = drug_test();
    let subj = subject();
    let sealed = provider_seal(
        &w,
        &provider_set,
        &pc1000_request(&["superior-court", "district-attorney"], &record, &subj),
    )
    .unwrap();
    assert_eq!(sealed.permits.len(), 2);
    assert!(sealed.metadata.disclosure.redacted.is_empty());

    // The court holds no consent of its own: the attached copy is verified from its bytes.
    for who in ["superior-court", "district-attorney"] {
        let got = open_holding_nothing(&w, &sealed.envelope, who).unwrap();
        assert_eq!(got.record, record);
        assert_eq!(got.sender.agency_id, "treatment-provider");
        assert_eq!(got.subject, subj);
        assert_eq!(got.consent.id(), "c-pc1000-0001");
        assert_eq!(
            got.metadata.disclosure.labels,
            [
                "42CFRPart2",
                "no-criminal-use",
                "redisclosure-cj-official-duties"
            ]
        );
        assert_eq!(got.metadata.disclosure.notice, "part2-notice-short");
        assert!(
            got.notice
                .starts_with("42 CFR part 2 prohibits unauthorized use")
        );
        assert_eq!(got.metadata.envelope_id, sealed.metadata.envelope_id);
        assert_eq!(got.envelope_hash, sealed.envelope_hash);
    }
    // Probation is not among this envelope's recipients.
    assert!(matches!(
        open_holding_nothing(&w, &sealed.envelope, "probation"),
        Err(DisclosureError::Envelope(OpenError::NotForMe { .. }))
    ));
}

#[test]
fn over_share_of_clinical_detail_to_the_court_is_refused() {
    let w = World::new();
    let set = held(&w, &ConsentBuilder::pc1000(&w));
    let clinical = Record::from(ClinicalDetail::new(["F11.20"]));
    let subj = subject();
    let err = provider_seal(
        &w,
        &set,
        &pc1000_request(&["superior-court"], &clinical, &subj),
    )
    .unwrap_err();
    assert!(
        matches!(&err, DisclosureError::Denied { recipient, reason: DenyReason::RecordTypeNotPermitted { .. } } if recipient == "superior-court"),
        "{err}"
    );
    // A field outside the consent's allow-list is refused by default, naming the field...
    let narrow = ConsentBuilder::pc1000(&w).fields(
        RecordType::DrugTest,
        ["collected_at", "specimen", "observed", "panel", "results"],
    );
    let set = held(&w, &narrow);
    let record = drug_test();
    let err = provider_seal(
        &w,
        &set,
        &pc1000_request(&["superior-court"], &record, &subj),
    )
    .unwrap_err();
    assert!(err.to_string().contains("field confirmation"), "{err}");
    // ... and removed, with the removal signed into the metadata, in redact mode.
    let sealed = provider_seal(
        &w,
        &set,
        &SealRequest {
            minimum_necessary: MinimumNecessary::Redact,
            ..pc1000_request(&["superior-court"], &record, &subj)
        },
    )
    .unwrap();
    assert_eq!(sealed.metadata.disclosure.redacted, ["confirmation"]);
    let got = open_holding_nothing(&w, &sealed.envelope, "superior-court").unwrap();
    assert_eq!(got.metadata.disclosure.redacted, ["confirmation"]);
    assert!(
        got.record
            .present_fields()
            .iter()
            .all(|f| f.name != "confirmation")
    );
    assert_eq!(got.record, record.redact(&["confirmation"]).unwrap());
}

#[test]
fn lead_update_carries_no_adverse_action_and_revocation_stops_new_disclosures() {
    let w = World::new();
    let consent = ConsentBuilder::lead(&w);
    let cm_set = held(&w, &consent);
    let record = lead_status();
    let subj = subject();
    let req = seal_request(
        &["police-lead-unit"],
        &LEAD_PURPOSE,
        "c-lead-0007",
        &record,
        &subj,
    );
    let sealed =
        divex_core::seal(w.key("lead-case-manager"), &w.directory, &cm_set, &req, T0).unwrap();

    // The participant revokes the next day; the police unit learns of it.
    let revocation = RevocationStatement {
        consent_id: "c-lead-0007".into(),
        revoked_at: T0 + DAY,
        method: "written".into(),
    }
    .sign(&w.patient)
    .unwrap();
    let mut police_set = held(&w, &consent);
    police_set
        .import_revocation(&revocation, &w.directory, T0 + 2 * DAY)
        .unwrap();

    // Reliance: sealed while the consent was in force, so it may still be opened.
    let got = divex_core::open(
        &sealed.envelope,
        w.key("police-lead-unit"),
        &w.directory,
        &police_set,
        T0 + 2 * DAY,
        &OpenOptions::default(),
    )
    .unwrap();
    assert!(
        got.metadata
            .disclosure
            .labels
            .contains(&SecurityLabel::NO_ADVERSE_ACTION)
    );
    assert!(
        got.permit
            .obligations
            .labels
            .contains(&SecurityLabel::NO_ADVERSE_ACTION)
    );

    // A new disclosure after the revocation is refused at seal...
    let mut cm_after = cm_set.clone();
    cm_after
        .import_revocation(&revocation, &w.directory, T0 + 2 * DAY)
        .unwrap();
    let err = divex_core::seal(
        w.key("lead-case-manager"),
        &w.directory,
        &cm_after,
        &req,
        T0 + 2 * DAY,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DisclosureError::Denied {
                reason: DenyReason::Revoked { .. },
                ..
            }
        ),
        "{err}"
    );
    // ... and an envelope dated after the revocation (sealed by a case manager who had not
    // heard of it) is refused by the recipient who has.
    let late = divex_core::seal(
        w.key("lead-case-manager"),
        &w.directory,
        &cm_set,
        &req,
        T0 + 2 * DAY,
    )
    .unwrap();
    let err = divex_core::open(
        &late.envelope,
        w.key("police-lead-unit"),
        &w.directory,
        &police_set,
        T0 + 2 * DAY,
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DisclosureError::Denied {
                reason: DenyReason::Revoked { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn recipient_outside_the_consent_is_refused_at_seal_and_at_open() {
    let w = World::new();
    let set = held(&w, &ConsentBuilder::pc1000(&w));
    let record = drug_test();
    let subj = subject();
    let err = provider_seal(
        &w,
        &set,
        &pc1000_request(&["superior-court", "police-lead-unit"], &record, &subj),
    )
    .unwrap_err();
    assert!(
        matches!(&err, DisclosureError::Denied { recipient, reason: DenyReason::RecipientNotNamed { .. } } if recipient == "police-lead-unit"),
        "{err}"
    );

    // A sender that bypasses the engine (sealing with the envelope layer directly) is caught
    // by the recipient's own evaluation.
    let consent = set.get("c-pc1000-0001").unwrap();
    let payload = divex_core::testing::codec::encode(
        &divex_core::testing::codec::Value::map([
            (
                divex_core::testing::codec::Value::from("consent"),
                divex_core::testing::codec::Value::bytes(consent.as_bytes()),
            ),
            (
                divex_core::testing::codec::Value::from("notice"),
                "42 CFR part 2 prohibits unauthorized use or disclosure of these records.".into(),
            ),
            (
                divex_core::testing::codec::Value::from("record"),
                record.to_value(),
            ),
            (
                divex_core::testing::codec::Value::from("subject"),
                divex_core::testing::codec::to_value(&subj).unwrap(),
            ),
        ])
        .unwrap(),
    );
    let bypass = |recipient: &str, labels: Vec<SecurityLabel>| {
        envelope::seal(
            w.key("treatment-provider"),
            &[w.key(recipient).public().clone()],
            &envelope::Disclosure {
                purpose: CJ_PURPOSE.clone(),
                consent: ConsentRef {
                    id: consent.id().into(),
                    digest: *consent.digest(),
                },
                record_type: RecordType::DrugTest,
                labels,
                notice: NoticeCode::from_static("part2-notice-short"),
                redacted: vec![],
            },
            &payload,
            T0,
            SealOptions::default(),
        )
        .map(|s| s.bytes)
        .unwrap()
    };
    let full_labels: Vec<SecurityLabel> = vec![
        SecurityLabel::PART2,
        SecurityLabel::NO_CRIMINAL_USE,
        SecurityLabel::REDISCLOSURE_CJ_DUTIES,
    ];
    let to_police = bypass("police-lead-unit", full_labels.clone());
    let err = open_holding_nothing(&w, &to_police, "police-lead-unit").unwrap_err();
    assert!(
        matches!(
            err,
            DisclosureError::Denied {
                reason: DenyReason::RecipientNotNamed { .. },
                ..
            }
        ),
        "{err}"
    );
    // Dropping the Part 2 labels is caught too.
    let unlabelled = bypass("superior-court", vec![]);
    let err = open_holding_nothing(&w, &unlabelled, "superior-court").unwrap_err();
    assert!(
        matches!(err, DisclosureError::ObligationsNotMet(_)),
        "{err}"
    );
    // With everything in order the same path opens.
    assert!(
        open_holding_nothing(&w, &bypass("superior-court", full_labels), "superior-court").is_ok()
    );
}

#[test]
fn reference_mode_needs_a_consent_that_allows_it_and_a_recipient_that_holds_it() {
    let w = World::new();
    let record = drug_test();
    let subj = subject();
    let set = held(&w, &ConsentBuilder::pc1000(&w));
    let by_ref = SealRequest {
        consent_copy: ConsentCopy::Reference,
        ..pc1000_request(&["superior-court"], &record, &subj)
    };
    assert!(matches!(
        provider_seal(&w, &set, &by_ref),
        Err(DisclosureError::CopyRequired { .. })
    ));
    let allows = ConsentBuilder::pc1000(&w).attach_consent(false);
    let set = held(&w, &allows);
    let sealed = provider_seal(&w, &set, &by_ref).unwrap();
    let err = open_holding_nothing(&w, &sealed.envelope, "superior-court").unwrap_err();
    assert!(
        matches!(err, DisclosureError::ConsentUnavailable { .. }),
        "{err}"
    );
    let court_set = held(&w, &allows);
    assert!(
        divex_core::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &court_set,
            T0,
            &OpenOptions::default()
        )
        .is_ok()
    );
}

#[test]
fn replay_and_expired_sender_certificate_are_refused() {
    let w = World::new();
    let set = held(&w, &ConsentBuilder::pc1000(&w));
    let record = drug_test();
    let subj = subject();
    let sealed = provider_seal(
        &w,
        &set,
        &pc1000_request(&["superior-court"], &record, &subj),
    )
    .unwrap();
    let seen = SeenSet([sealed.metadata.envelope_id].into_iter().collect());
    assert!(matches!(
        divex_core::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &set,
            T0,
            &OpenOptions {
                seen: Some(&seen),
                ..OpenOptions::default()
            }
        ),
        Err(DisclosureError::Envelope(OpenError::Replay { .. }))
    ));
    // Four years later every certificate in this world has expired.
    assert!(matches!(
        divex_core::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &set,
            T0 + 4 * 365 * DAY,
            &OpenOptions::default()
        ),
        Err(DisclosureError::Envelope(OpenError::UntrustedSender { .. }))
    ));
}

/// spec/ledger.md §5.1, spec/envelope.md §15: a sender that states its ledger head seals
/// envelope profile v2, and every recipient is released the head the sender signed; without
/// a head the envelope is profile v1 and releases none.
#[test]
fn the_senders_ledger_head_travels_signed_to_every_recipient() {
    let w = World::new();
    let set = held(&w, &ConsentBuilder::pc1000(&w));
    let record = drug_test();
    let subj = subject();
    let head = LedgerHead {
        seq: 7,
        hash: [0x42; 32],
    };
    let recipients = ["superior-court", "district-attorney"];
    let sealed = provider_seal(
        &w,
        &set,
        &SealRequest {
            ledger_head: Some(head),
            ..pc1000_request(&recipients, &record, &subj)
        },
    )
    .unwrap();
    assert_eq!(sealed.metadata.ledger_head, Some(head));
    for who in recipients {
        let got = open_holding_nothing(&w, &sealed.envelope, who).unwrap();
        assert_eq!(got.metadata.ledger_head, Some(head), "{who}");
        assert_eq!(got.record, record);
    }
    let v1 = provider_seal(&w, &set, &pc1000_request(&recipients, &record, &subj)).unwrap();
    assert_eq!(v1.metadata.ledger_head, None);
    let got = open_holding_nothing(&w, &v1.envelope, "superior-court").unwrap();
    assert_eq!(got.metadata.ledger_head, None);
    // A sequence number no ledger can hold is refused before anything is sealed.
    let err = provider_seal(
        &w,
        &set,
        &SealRequest {
            ledger_head: Some(LedgerHead {
                seq: u64::MAX,
                hash: [0; 32],
            }),
            ..pc1000_request(&recipients, &record, &subj)
        },
    )
    .unwrap_err();
    assert_eq!(err.class(), "ledger_head_out_of_range", "{err}");
}

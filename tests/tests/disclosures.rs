//! End-to-end disclosures through `disclosure::seal` and `disclosure::open`: a PC 1000 case and
//! a LEAD case, with a refused over-share, a redacted one, reliance on a consent later
//! revoked, reference mode, tampered obligations and replays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use divex_conformance::SeenSet;
use divex_conformance::world::*;
use divex_core::consent::{ConsentSet, RevocationStatement};
use divex_core::decision::{DenyReason, MinimumNecessary};
use divex_core::disclosure::{self, ConsentCopy, DisclosureError, SealRequest};
use divex_core::envelope::{self, ConsentRef, OpenError};
use divex_core::records::{ClinicalDetail, Record, RecordType};

fn held(w: &World, consents: &[&divex_core::consent::ConsentDirective]) -> ConsentSet {
    let mut set = ConsentSet::new();
    for d in consents {
        set.import_consent(&w.sign(d).unwrap(), &w.directory, T0)
            .unwrap();
    }
    set
}

fn request<'a>(
    recipients: &'a [&'a str],
    purpose: &'a str,
    consent_id: &'a str,
    record: &'a Record,
    subject: &'a divex_core::consent::Subject,
) -> SealRequest<'a> {
    SealRequest {
        recipients,
        subject,
        purpose,
        consent_id,
        record,
        minimum_necessary: MinimumNecessary::Refuse,
        consent_copy: ConsentCopy::Attach,
    }
}

#[test]
fn pc1000_drug_test_reaches_court_and_da_with_the_law_attached() {
    let w = World::new();
    let provider_set = held(&w, &[&pc1000(&w)]);
    let record = drug_test();
    let subj = subject();
    let sealed = disclosure::seal(
        w.key("treatment-provider"),
        &w.directory,
        &provider_set,
        &request(
            &["superior-court", "district-attorney"],
            CJ_PURPOSE,
            "c-pc1000-0001",
            &record,
            &subj,
        ),
        T0,
    )
    .unwrap();
    assert_eq!(sealed.permits.len(), 2);
    assert!(sealed.redacted.is_empty());

    // The court holds no consent of its own: the attached copy is verified from its bytes.
    for who in ["superior-court", "district-attorney"] {
        let got = disclosure::open(
            &sealed.envelope,
            w.key(who),
            &w.directory,
            &ConsentSet::new(),
            T0,
            None,
        )
        .unwrap();
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
        assert_eq!(got.metadata.envelope_id, sealed.envelope_id);
        assert_eq!(got.envelope_hash, sealed.envelope_hash);
    }
    // Probation is not among this envelope's recipients.
    assert!(matches!(
        disclosure::open(
            &sealed.envelope,
            w.key("probation"),
            &w.directory,
            &ConsentSet::new(),
            T0,
            None
        ),
        Err(DisclosureError::Envelope(OpenError::NotForMe { .. }))
    ));
}

#[test]
fn over_share_of_clinical_detail_to_the_court_is_refused() {
    let w = World::new();
    let set = held(&w, &[&pc1000(&w)]);
    let clinical = Record::from(ClinicalDetail::new(["F11.20"]));
    let subj = subject();
    let err = disclosure::seal(
        w.key("treatment-provider"),
        &w.directory,
        &set,
        &request(
            &["superior-court"],
            CJ_PURPOSE,
            "c-pc1000-0001",
            &clinical,
            &subj,
        ),
        T0,
    )
    .unwrap_err();
    assert!(
        matches!(&err, DisclosureError::Denied { recipient, reason: DenyReason::RecordTypeNotPermitted { .. } } if recipient == "superior-court"),
        "{err}"
    );
    // A field outside the consent's allow-list is refused by default, naming the field...
    let mut narrow = pc1000(&w);
    narrow.information.fields.insert(
        RecordType::DrugTest,
        ["collected_at", "specimen", "observed", "panel", "results"]
            .map(String::from)
            .to_vec(),
    );
    let set = held(&w, &[&narrow]);
    let record = drug_test();
    let err = disclosure::seal(
        w.key("treatment-provider"),
        &w.directory,
        &set,
        &request(
            &["superior-court"],
            CJ_PURPOSE,
            "c-pc1000-0001",
            &record,
            &subj,
        ),
        T0,
    )
    .unwrap_err();
    assert!(err.to_string().contains("field confirmation"), "{err}");
    // ... and removed, with the removal signed into the metadata, in redact mode.
    let sealed = disclosure::seal(
        w.key("treatment-provider"),
        &w.directory,
        &set,
        &SealRequest {
            minimum_necessary: MinimumNecessary::Redact,
            ..request(
                &["superior-court"],
                CJ_PURPOSE,
                "c-pc1000-0001",
                &record,
                &subj,
            )
        },
        T0,
    )
    .unwrap();
    assert_eq!(sealed.redacted, ["confirmation"]);
    let got = disclosure::open(
        &sealed.envelope,
        w.key("superior-court"),
        &w.directory,
        &ConsentSet::new(),
        T0,
        None,
    )
    .unwrap();
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
    let consent = lead(&w);
    let cm_set = held(&w, &[&consent]);
    let record = lead_status();
    let subj = subject();
    let req = request(
        &["police-lead-unit"],
        LEAD_PURPOSE,
        "c-lead-0007",
        &record,
        &subj,
    );
    let sealed =
        disclosure::seal(w.key("lead-case-manager"), &w.directory, &cm_set, &req, T0).unwrap();

    // The participant revokes the next day; the police unit learns of it.
    let revocation = RevocationStatement {
        consent_id: "c-lead-0007".into(),
        revoked_at: T0 + DAY,
        method: "written".into(),
    }
    .sign(&w.patient)
    .unwrap();
    let mut police_set = held(&w, &[&consent]);
    police_set
        .import_revocation(&revocation, &w.directory, T0 + 2 * DAY)
        .unwrap();

    // Reliance: sealed while the consent was in force, so it may still be opened.
    let got = disclosure::open(
        &sealed.envelope,
        w.key("police-lead-unit"),
        &w.directory,
        &police_set,
        T0 + 2 * DAY,
        None,
    )
    .unwrap();
    assert!(
        got.metadata
            .disclosure
            .labels
            .contains(&"no-adverse-action".to_string())
    );
    assert!(
        got.permit
            .obligations
            .labels
            .contains(&"no-adverse-action".to_string())
    );

    // A new disclosure after the revocation is refused at seal...
    let mut cm_after = cm_set.clone();
    cm_after
        .import_revocation(&revocation, &w.directory, T0 + 2 * DAY)
        .unwrap();
    let err = disclosure::seal(
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
    let late = disclosure::seal(
        w.key("lead-case-manager"),
        &w.directory,
        &cm_set,
        &req,
        T0 + 2 * DAY,
    )
    .unwrap();
    let err = disclosure::open(
        &late.envelope,
        w.key("police-lead-unit"),
        &w.directory,
        &police_set,
        T0 + 2 * DAY,
        None,
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
    let set = held(&w, &[&pc1000(&w)]);
    let record = drug_test();
    let subj = subject();
    let err = disclosure::seal(
        w.key("treatment-provider"),
        &w.directory,
        &set,
        &request(
            &["superior-court", "police-lead-unit"],
            CJ_PURPOSE,
            "c-pc1000-0001",
            &record,
            &subj,
        ),
        T0,
    )
    .unwrap_err();
    assert!(
        matches!(&err, DisclosureError::Denied { recipient, reason: DenyReason::RecipientNotNamed { .. } } if recipient == "police-lead-unit"),
        "{err}"
    );

    // A sender that bypasses the engine (sealing with the envelope layer directly) is caught
    // by the recipient's own evaluation.
    let consent = set.get("c-pc1000-0001").unwrap();
    let payload = divex_core::codec::encode(
        &divex_core::codec::Value::map([
            (
                divex_core::codec::Value::from("consent"),
                divex_core::codec::Value::bytes(consent.as_bytes()),
            ),
            (
                divex_core::codec::Value::from("notice"),
                "42 CFR part 2 prohibits unauthorized use or disclosure of these records.".into(),
            ),
            (divex_core::codec::Value::from("record"), record.to_value()),
            (
                divex_core::codec::Value::from("subject"),
                divex_core::codec::to_value(&subj).unwrap(),
            ),
        ])
        .unwrap(),
    );
    let bypass = |recipient: &str, labels: Vec<String>| {
        envelope::seal(
            w.key("treatment-provider"),
            &[w.key(recipient).public().clone()],
            &envelope::Disclosure {
                purpose: CJ_PURPOSE.into(),
                consent: ConsentRef {
                    id: consent.id().into(),
                    digest: *consent.digest(),
                },
                record_type: "drug_test".into(),
                labels,
                notice: "part2-notice-short".into(),
                redacted: vec![],
            },
            &payload,
            T0,
        )
        .unwrap()
    };
    let full_labels: Vec<String> = [
        "42CFRPart2",
        "no-criminal-use",
        "redisclosure-cj-official-duties",
    ]
    .map(String::from)
    .to_vec();
    let to_police = bypass("police-lead-unit", full_labels.clone());
    let err = disclosure::open(
        &to_police,
        w.key("police-lead-unit"),
        &w.directory,
        &ConsentSet::new(),
        T0,
        None,
    )
    .unwrap_err();
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
    let err = disclosure::open(
        &unlabelled,
        w.key("superior-court"),
        &w.directory,
        &ConsentSet::new(),
        T0,
        None,
    )
    .unwrap_err();
    assert!(
        matches!(err, DisclosureError::ObligationsNotMet(_)),
        "{err}"
    );
    // With everything in order the same path opens.
    assert!(
        disclosure::open(
            &bypass("superior-court", full_labels),
            w.key("superior-court"),
            &w.directory,
            &ConsentSet::new(),
            T0,
            None
        )
        .is_ok()
    );
}

#[test]
fn reference_mode_needs_a_consent_that_allows_it_and_a_recipient_that_holds_it() {
    let w = World::new();
    let record = drug_test();
    let subj = subject();
    let set = held(&w, &[&pc1000(&w)]);
    let by_ref = SealRequest {
        consent_copy: ConsentCopy::Reference,
        ..request(
            &["superior-court"],
            CJ_PURPOSE,
            "c-pc1000-0001",
            &record,
            &subj,
        )
    };
    assert!(matches!(
        disclosure::seal(w.key("treatment-provider"), &w.directory, &set, &by_ref, T0),
        Err(DisclosureError::CopyRequired { .. })
    ));
    let mut allows = pc1000(&w);
    allows.notice.attach_consent = false;
    let set = held(&w, &[&allows]);
    let sealed =
        disclosure::seal(w.key("treatment-provider"), &w.directory, &set, &by_ref, T0).unwrap();
    let err = disclosure::open(
        &sealed.envelope,
        w.key("superior-court"),
        &w.directory,
        &ConsentSet::new(),
        T0,
        None,
    )
    .unwrap_err();
    assert!(
        matches!(err, DisclosureError::ConsentUnavailable { .. }),
        "{err}"
    );
    let court_set = held(&w, &[&allows]);
    assert!(
        disclosure::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &court_set,
            T0,
            None
        )
        .is_ok()
    );
}

#[test]
fn replay_and_expired_sender_certificate_are_refused() {
    let w = World::new();
    let set = held(&w, &[&pc1000(&w)]);
    let record = drug_test();
    let subj = subject();
    let sealed = disclosure::seal(
        w.key("treatment-provider"),
        &w.directory,
        &set,
        &request(
            &["superior-court"],
            CJ_PURPOSE,
            "c-pc1000-0001",
            &record,
            &subj,
        ),
        T0,
    )
    .unwrap();
    let seen = SeenSet([sealed.envelope_id].into_iter().collect());
    assert!(matches!(
        disclosure::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &set,
            T0,
            Some(&seen)
        ),
        Err(DisclosureError::Replay { .. })
    ));
    // Four years later every certificate in this world has expired.
    assert!(matches!(
        disclosure::open(
            &sealed.envelope,
            w.key("superior-court"),
            &w.directory,
            &set,
            T0 + 4 * 365 * DAY,
            None
        ),
        Err(DisclosureError::Envelope(OpenError::UntrustedSender { .. }))
    ));
}

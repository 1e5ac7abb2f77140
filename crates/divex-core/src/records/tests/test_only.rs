//! The test-only record type (`TestOnlyNote`, declared by one `#[cfg(test)]` catalogue entry
//! and its cross-field rules in `rules.rs`, nothing else) goes everywhere the thirteen real
//! types go: builders, validation, strict encoding and decoding with field-named errors,
//! redaction, periods, and the consent engine's record-type and field allow-lists.

use std::collections::BTreeMap;

use super::*;
use crate::consent::{
    AgencyFacts, Capacity, ConsentDirective, Expiry, Information, Notice, NoticeForm, Party,
    Redisclosure, Regime, Revocability, SignMethod, SignedConsent, Signer, StatementSigner,
    Subject, VerifiedConsent,
};
use crate::decision::{self, Decision, DenyReason, Facts, MinimumNecessary, Request};
use crate::directory::{AnchorKeys, CertificateRequest, Directory, Role};
use crate::error::Classified;
use crate::keys::{AgencyKeys, PersonalKey};
use crate::vocab::{FieldName, Purpose};

const RT: RecordType = RecordType::TestOnlyNote;

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn full() -> Record {
    TestOnlyNote::new(date("2026-09-20"), "relapse prevention")
        .with_follow_up(date("2026-09-27"))
        .with_tag("F11.20 in remission")
        .with_tag("housing")
        .into()
}

fn minimal() -> Record {
    TestOnlyNote::new(date("2026-09-20"), "intake").into()
}

fn map_of(r: &Record) -> Map {
    r.to_value().as_map().unwrap().clone()
}

/// `m` with `field` set to `v`.
fn with(m: &Map, field: &str, v: Value) -> Value {
    let mut out = Map::new();
    for (k, val) in m.iter().filter(|(k, _)| k.as_text() != Some(field)) {
        out.insert(k.clone(), val.clone()).unwrap();
    }
    out.insert(Value::from(field), v).unwrap();
    Value::Map(out)
}

#[test]
fn the_entry_makes_a_fourteenth_record_type() {
    assert_eq!(RecordType::ALL.len(), 14);
    assert_eq!(RecordType::ALL.last(), Some(&RT));
    assert_eq!(RT.as_str(), "test_only_note");
    assert_eq!(RecordType::parse("test_only_note"), Some(RT));
    assert_eq!(RT.to_string(), "test_only_note");
    assert_eq!(codec::to_value(&RT).unwrap(), Value::from("test_only_note"));
    assert!(!RT.is_justice_data());
    let schema: Vec<_> = RT
        .schema()
        .iter()
        .map(|f| (f.name, f.tier, f.required, f.kind.as_str()))
        .collect();
    assert_eq!(
        schema,
        [
            ("date", Tier::T2, true, "date"),
            ("topic", Tier::T2, true, "short_text"),
            ("follow_up", Tier::T2, false, "date"),
            ("tags", Tier::T3, false, "text_list"),
        ]
    );
    assert_eq!(full().record_type(), RT);
}

#[test]
fn it_round_trips_byte_identically() {
    for r in [full(), minimal()] {
        r.validate().unwrap();
        let bytes = r.to_bytes();
        assert_eq!(Record::from_bytes(RT, &bytes).unwrap(), r);
        assert_eq!(Record::from_value(RT, &r.to_value()).unwrap(), r);
        assert_eq!(Record::from_bytes(RT, &bytes).unwrap().to_bytes(), bytes);
    }
    assert_eq!(
        codec::diagnostic(&minimal().to_value()),
        r#"{"date": "2026-09-20", "topic": "intake"}"#
    );
    let names: Vec<_> = full().present_fields().iter().map(|f| f.name).collect();
    assert_eq!(names, ["date", "topic", "follow_up", "tags"]);
    // Its bytes are not another type's record, nor another type's bytes its.
    assert!(Record::from_bytes(RecordType::CounselingNote, &full().to_bytes()).is_err());
    let note = Record::from(CounselingNote::new(date("2026-09-20"), "n"));
    assert!(Record::from_bytes(RT, &note.to_bytes()).is_err());
}

#[test]
fn its_decoding_errors_name_the_type_and_field() {
    let m = map_of(&full());
    let refuse = |v: Value| {
        let e = Record::from_value(RT, &v).unwrap_err();
        assert_eq!(Record::from_bytes(RT, &codec::encode(&v)).unwrap_err(), e);
        e
    };
    assert_eq!(
        refuse(with(&m, "mood", Value::from("fine"))).to_string(),
        "the test_only_note record has no field `mood`"
    );
    let mut no_topic = Map::new();
    for (k, v) in m.iter().filter(|(k, _)| k.as_text() != Some("topic")) {
        no_topic.insert(k.clone(), v.clone()).unwrap();
    }
    assert_eq!(
        refuse(Value::Map(no_topic)),
        RecordError::MissingField {
            record: RT,
            field: "topic"
        }
    );
    assert_eq!(
        refuse(with(&m, "follow_up", Value::from(7u64))),
        RecordError::InvalidValue {
            record: RT,
            field: "follow_up",
            expected: "a date as text YYYY-MM-DD"
        }
    );
    assert_eq!(
        refuse(with(&m, "tags", Value::Null)).class(),
        "invalid_value"
    );
    assert_eq!(
        refuse(with(
            &m,
            "topic",
            Value::from("x".repeat(MAX_SHORT_TEXT + 1))
        )),
        RecordError::TooLong {
            record: RT,
            field: "topic",
            max_bytes: MAX_SHORT_TEXT
        }
    );
    assert_eq!(
        refuse(with(&m, "tags", Value::Array(vec![]))).class(),
        "invalid_value"
    );
    assert!(matches!(
        refuse(Value::from("a note")),
        RecordError::NotAMap { record: RT }
    ));
}

#[test]
fn its_cross_field_rule_runs_after_the_field_checks() {
    let early = TestOnlyNote::new(date("2026-09-20"), "t").with_follow_up(date("2026-09-19"));
    assert_eq!(
        Record::from(early.clone()).validate(),
        Err(RecordError::DateOrder {
            record: RT,
            earlier: "date",
            later: "follow_up"
        })
    );
    // Two faults: the field's own check comes first (spec/records.md §5 step 5).
    let both = early.with_tag("\u{7}");
    assert_eq!(
        both.validate(),
        Err(RecordError::InvalidValue {
            record: RT,
            field: "tags",
            expected: "text without control characters"
        })
    );
    let same_day = TestOnlyNote::new(date("2026-09-20"), "t").with_follow_up(date("2026-09-20"));
    assert_eq!(same_day.validate(), Ok(()));
}

#[test]
fn it_redacts_and_has_a_period() {
    let r = full();
    let redacted = r.redact(&["tags", "follow_up"]).unwrap();
    assert_eq!(redacted, minimal_with_topic("relapse prevention"));
    assert_eq!(
        r.redact(&["topic"]),
        Err(RecordError::RequiredField {
            record: RT,
            field: "topic"
        })
    );
    assert!(matches!(
        r.redact(&["nope"]),
        Err(RecordError::UnknownField { record: RT, .. })
    ));
    let d = date("2026-09-20");
    assert_eq!(r.period(), Some((d, d)));
}

fn minimal_with_topic(topic: &str) -> Record {
    TestOnlyNote::new(date("2026-09-20"), topic).into()
}

// =============================================================================================
// The consent engine: a §2.31 consent from a treatment provider to a court permitting the
// test-only type, with a field allow-list.

const T0: u64 = 1_790_000_000;
const DAY: u64 = 86_400;
static PURPOSE: Purpose = Purpose::from_static("care-coordination");

struct Parties {
    directory: Directory,
    provider: AgencyKeys,
    patient: PersonalKey,
}

impl Parties {
    fn new() -> Parties {
        let anchor = AnchorKeys::generate("test county").unwrap();
        let mut directory = Directory::new();
        directory.add_anchor(anchor.public()).unwrap();
        let provider = AgencyKeys::generate();
        for (id, role, part2, keys) in [
            ("provider", Role::TreatmentProvider, true, &provider),
            ("court", Role::Court, false, &AgencyKeys::generate()),
        ] {
            let cert = anchor
                .issue(&CertificateRequest {
                    agency_id: id.into(),
                    name: id.into(),
                    roles: vec![role],
                    part2_program: part2,
                    keys: keys.public().clone(),
                    not_before: T0 - 365 * DAY,
                    not_after: T0 + 365 * DAY,
                })
                .unwrap();
            directory.add_certificate(cert.as_bytes()).unwrap();
        }
        Parties {
            directory,
            provider,
            patient: PersonalKey::generate(),
        }
    }

    fn facts(&self, id: &str) -> AgencyFacts {
        AgencyFacts::from_certificate(self.directory.current_certificate(id, T0).unwrap())
    }

    /// A §2.31 consent for `record_types`, with `fields` as the test-only type's allow-list
    /// (when it is one of them) and tiers T2 only, signed and verified.
    fn consent(&self, record_types: Vec<RecordType>, fields: &[&str]) -> VerifiedConsent {
        let allow = fields.iter().map(|f| FieldName::new(*f).unwrap()).collect();
        let fields = if record_types.contains(&RT) {
            BTreeMap::from([(RT, allow)])
        } else {
            BTreeMap::new()
        };
        let directive = ConsentDirective {
            id: "c-test-only".into(),
            version: 1,
            supersedes: None,
            regime: Regime::Part2General,
            regulatory_basis: vec!["42CFRPart2".into()],
            subject: subject(),
            disclosers: vec![Party::Agency("provider".into())],
            recipients: vec![Party::Agency("court".into())],
            purposes: vec![PURPOSE.clone()],
            information: Information {
                record_types,
                fields,
                tiers: vec![Tier::T2],
                excluded_record_types: vec![],
                data_period: None,
                description: "Notes of the test-only type".into(),
            },
            effective: T0 - DAY,
            expiry: Expiry {
                date: Some(T0 + 30 * DAY),
                event: None,
            },
            revocation: Revocability::AtWill,
            redisclosure: Redisclosure::Prohibited,
            use_restrictions: vec![],
            notice: Notice {
                form: NoticeForm::Short,
                attach_consent: true,
            },
            case: None,
            signers: vec![
                Signer {
                    capacity: Capacity::Patient,
                    name: "Jordan Avery Reyes".into(),
                    method: SignMethod::Electronic,
                    key: Some(*self.patient.public().as_bytes()),
                    agency_id: None,
                    authority: None,
                },
                Signer {
                    capacity: Capacity::WitnessingAgency,
                    name: "provider".into(),
                    method: SignMethod::Electronic,
                    key: Some(*self.provider.public().signing().as_bytes()),
                    agency_id: Some("provider".into()),
                    authority: None,
                },
            ],
            source_document: None,
            signed_at: T0 - DAY,
        };
        let signers: [&dyn StatementSigner; 2] = [&self.patient, &self.provider];
        let signed = SignedConsent::sign(&directive, &signers).unwrap();
        SignedConsent::verify(signed.as_bytes(), &self.directory, T0).unwrap()
    }

    fn decide(
        &self,
        consent: &VerifiedConsent,
        record: &Record,
        mode: MinimumNecessary,
    ) -> Decision {
        let (sender, recipient, subject) = (self.facts("provider"), self.facts("court"), subject());
        let fields = record.present_fields();
        decision::decide(
            &Facts {
                consents: std::slice::from_ref(consent),
                revocations: &[],
                events: &[],
            },
            &Request {
                sender: &sender,
                recipient: &recipient,
                subject: &subject,
                purpose: &PURPOSE,
                record_type: record.record_type(),
                fields: &fields,
                period: record.period(),
                time: T0,
                consent_id: None,
                minimum_necessary: mode,
            },
        )
    }
}

fn subject() -> Subject {
    Subject {
        name: "Jordan Avery Reyes".into(),
        date_of_birth: "1994-03-14".parse().unwrap(),
    }
}

#[test]
fn the_consent_engine_permits_it_by_type_and_fields() {
    let p = Parties::new();
    let consent = p.consent(vec![RT], &["date", "topic", "follow_up"]);
    let note = Record::from(
        TestOnlyNote::new(date("2026-09-20"), "relapse prevention")
            .with_follow_up(date("2026-09-27")),
    );
    let Decision::Permit(permit) = p.decide(&consent, &note, MinimumNecessary::Refuse) else {
        panic!("the consent permits the test-only type");
    };
    assert_eq!(permit.consent_id, "c-test-only");
    assert!(permit.obligations.redactions.is_empty());
}

#[test]
fn the_consent_engine_refuses_or_redacts_fields_it_does_not_permit() {
    let p = Parties::new();
    let consent = p.consent(vec![RT], &["date", "topic", "follow_up"]);
    // `tags` is tier T3 and not on the allow-list.
    let Decision::Deny(reason) = p.decide(&consent, &full(), MinimumNecessary::Refuse) else {
        panic!("tags are not permitted");
    };
    assert_eq!(
        reason,
        DenyReason::FieldNotPermitted {
            consent_id: "c-test-only".into(),
            record_type: "test_only_note",
            field: "tags",
            tier: "t3",
        }
    );
    let Decision::Permit(permit) = p.decide(&consent, &full(), MinimumNecessary::Redact) else {
        panic!("redact mode removes the tags");
    };
    assert_eq!(permit.obligations.redactions, ["tags"]);
    // A required field off the allow-list cannot be redacted away.
    let narrow = p.consent(vec![RT], &["date"]);
    let Decision::Deny(reason) = p.decide(&narrow, &minimal(), MinimumNecessary::Redact) else {
        panic!("the topic is required");
    };
    assert_eq!(reason.class(), "required_field_not_permitted");
}

#[test]
fn the_consent_engine_denies_it_when_the_type_is_not_permitted() {
    let p = Parties::new();
    let consent = p.consent(vec![RecordType::Attendance, RT], &["date", "topic"]);
    assert!(matches!(
        p.decide(&consent, &minimal(), MinimumNecessary::Refuse),
        Decision::Permit(_)
    ));
    let other = p.consent(vec![RecordType::Attendance], &["date"]);
    let Decision::Deny(reason) = p.decide(&other, &minimal(), MinimumNecessary::Refuse) else {
        panic!("the consent does not list the type");
    };
    assert_eq!(
        reason,
        DenyReason::RecordTypeNotPermitted {
            consent_id: "c-test-only".into(),
            record_type: "test_only_note",
        }
    );
}

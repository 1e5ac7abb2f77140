//! Typed records (`divex_core::records`, spec/records.md): round trips, schema coverage,
//! strict decoding, validation rules and redaction, for all thirteen record types.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeSet;

use divex_core::records::{Date, RecordType};
use divex_core::testing::codec::{self, CodecError, Map, Value};
use divex_core::testing::records::*;
use divex_core::testing::{RecordExt, RecordTypeExt};

// =============================================================================================
// Examples

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// A record of type `rt` with every field present.
fn full(rt: RecordType) -> Record {
    match rt {
        RecordType::Referral => Referral::new(
            "REF-2026-0107",
            ReferralSource::Pc1000Order,
            "superior-court-dept-12",
            date("2026-03-02"),
        )
        .with_charge_ref("HS11350(a)")
        .with_charge_ref("HS11364")
        .with_intake_deadline(date("2026-03-16"))
        .with_case_ref("CR-2026-0042")
        .into(),
        RecordType::IntakeStatus => IntakeStatus::new(date("2026-03-05"))
            .with_completed_date(date("2026-03-06"))
            .with_recommended_asam_level(AsamLevel::Level2_1)
            .into(),
        RecordType::Enrollment => {
            Enrollment::new("county-iop", AsamLevel::Level2_1, date("2026-03-09"))
                .with_expected_length_days(365)
                .with_phase(1)
                .into()
        }
        RecordType::Attendance => Attendance::new(
            date("2026-03-10"),
            ServiceType::Group,
            AttendanceStatus::Present,
        )
        .with_hours_tenths(15)
        .with_cumulative_hours_tenths(120)
        .into(),
        RecordType::DrugTest => DrugTest::new(1_790_000_000, Specimen::Urine, true, "10-panel")
            .with_result("fentanyl", TestResult::Negative)
            .with_result("buprenorphine", TestResult::Positive)
            .with_confirmation(Confirmation::ConfirmedPositive)
            .with_program_outcome(ProgramOutcome::Tampered)
            .with_prescription_consistent(true)
            .into(),
        RecordType::ProgressReport => ProgressReport::new(
            date("2026-03-01"),
            date("2026-03-31"),
            ComplianceStatus::Partial,
        )
        .with_engagement("Attends groups; engaged in individual sessions.\nImproving.")
        .with_goals_met(2)
        .with_barrier("transportation")
        .with_barrier("childcare")
        .with_recommended_response(RecommendedResponse::ServiceAdjustment)
        .into(),
        RecordType::CourtResponse => CourtResponse::new(date("2026-04-02"))
            .with_phase_change(PhaseChange::Advance)
            .with_incentive("praise from the bench")
            .with_sanction("essay")
            .with_service_adjustment("add bus pass")
            .with_next_hearing(date("2026-05-07"))
            .into(),
        RecordType::CourtEvent => CourtEvent::new(
            "CR-2026-0042",
            date("2026-03-02"),
            CourtEventKind::ConditionsSet,
        )
        .with_condition("complete a certified program")
        .with_condition("no new offences")
        .into(),
        RecordType::Discharge => Discharge::new(date("2026-09-30"), DischargeReason::Completed)
            .with_program_recommendation(ProgramRecommendation::Dismiss)
            .into(),
        RecordType::CaseDisposition => CaseDisposition::new(
            "CR-2026-0042",
            date("2026-10-15"),
            Disposition::Dismissed,
            true,
        )
        .into(),
        RecordType::LeadStatus => LeadStatus::new(LeadEngagement::Engaged)
            .with_as_of(date("2026-03-31"))
            .with_contacts(4)
            .with_plan_domain(PlanDomain::Housing)
            .with_plan_domain(PlanDomain::SubstanceUse)
            .with_barrier("no phone")
            .into(),
        RecordType::ClinicalDetail => ClinicalDetail::new(["F11.20", "F10.10"])
            .with_as_of(date("2026-03-06"))
            .with_moud(Moud::Buprenorphine)
            .with_co_occurring("F32.A")
            .into(),
        RecordType::CounselingNote => CounselingNote::new(
            date("2026-03-12"),
            "Discussed triggers.\n\tPlan: daily check-ins.",
        )
        .into(),
    }
}

/// A record of type `rt` with only its required fields.
fn minimal(rt: RecordType) -> Record {
    match rt {
        RecordType::Referral => Referral::new(
            "R1",
            ReferralSource::SocialContact,
            "city-pd",
            date("2026-01-01"),
        )
        .into(),
        RecordType::IntakeStatus => IntakeStatus::new(date("2026-01-01")).into(),
        RecordType::Enrollment => {
            Enrollment::new("p", AsamLevel::Level1_0, date("2026-01-01")).into()
        }
        RecordType::Attendance => Attendance::new(
            date("2026-01-01"),
            ServiceType::Individual,
            AttendanceStatus::Absent,
        )
        .into(),
        RecordType::DrugTest => DrugTest::new(0, Specimen::Breath, false, "ethanol")
            .with_result("ethanol", TestResult::Negative)
            .into(),
        RecordType::ProgressReport => ProgressReport::new(
            date("2026-01-01"),
            date("2026-01-01"),
            ComplianceStatus::Compliant,
        )
        .into(),
        RecordType::CourtResponse => CourtResponse::new(date("2026-01-01")).into(),
        RecordType::CourtEvent => {
            CourtEvent::new("C1", date("2026-01-01"), CourtEventKind::Hearing).into()
        }
        RecordType::Discharge => Discharge::new(date("2026-01-01"), DischargeReason::Other).into(),
        RecordType::CaseDisposition => {
            CaseDisposition::new("C1", date("2026-01-01"), Disposition::RecordSealed, false).into()
        }
        RecordType::LeadStatus => LeadStatus::new(LeadEngagement::NotLocated).into(),
        RecordType::ClinicalDetail => ClinicalDetail::new(["F11.20"]).into(),
        RecordType::CounselingNote => CounselingNote::new(date("2026-01-01"), "n").into(),
    }
}

fn map_of(r: &Record) -> Map {
    r.to_value().as_map().unwrap().clone()
}

fn keys(m: &Map) -> BTreeSet<String> {
    m.keys().map(|k| k.as_text().unwrap().to_owned()).collect()
}

/// `m` with `field` replaced (or inserted) by `v`.
fn with(m: &Map, field: &str, v: Value) -> Value {
    let mut out = Map::new();
    for (k, val) in m.iter() {
        if k.as_text() != Some(field) {
            out.insert(k.clone(), val.clone()).unwrap();
        }
    }
    out.insert(Value::from(field), v).unwrap();
    Value::Map(out)
}

/// `m` without `field`.
fn without(m: &Map, field: &str) -> Value {
    let mut out = Map::new();
    for (k, val) in m.iter() {
        if k.as_text() != Some(field) {
            out.insert(k.clone(), val.clone()).unwrap();
        }
    }
    Value::Map(out)
}

/// Both entry points refuse `v` with the same error, and the message quotes no value.
fn refuse(rt: RecordType, v: &Value) -> RecordError {
    let e = Record::from_value(rt, v).expect_err("from_value accepted");
    assert_eq!(
        Record::from_bytes(rt, &codec::encode(v)).expect_err("from_bytes accepted"),
        e
    );
    assert_no_secret(&e);
    e
}

const SECRET: &str = "SECRET-Jane-Doe-positive-fentanyl";

fn assert_no_secret(e: &RecordError) {
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains("SECRET"), "error quotes a value: {text}");
        assert!(!text.contains("Jane"), "error quotes a value: {text}");
    }
}

// =============================================================================================
// Record types, tiers, schemas

#[test]
fn record_type_tokens_round_trip_and_match_serde() {
    let tokens: BTreeSet<_> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(tokens.len(), 13);
    for rt in RecordType::ALL {
        assert_eq!(RecordType::parse(rt.as_str()), Some(rt));
        assert_eq!(codec::to_value(&rt).unwrap(), Value::from(rt.as_str()));
        assert_eq!(
            codec::from_value::<RecordType>(&Value::from(rt.as_str())).unwrap(),
            rt
        );
        assert_eq!(rt.to_string(), rt.as_str());
        assert_eq!(full(rt).record_type(), rt);
        assert_eq!(minimal(rt).record_type(), rt);
    }
    assert_eq!(RecordType::parse("Drug_Test"), None);
    assert_eq!(RecordType::parse(""), None);
    assert_eq!(RecordType::DrugTest.as_str(), "drug_test");
    assert_eq!(RecordType::CounselingNote.as_str(), "counseling_note");
}

#[test]
fn tier_tokens_round_trip_and_match_serde() {
    let expected = ["t1", "t2", "t3", "cj", "lead"];
    for (&tier, token) in Tier::ALL.iter().zip(expected) {
        assert_eq!(tier.as_str(), token);
        assert_eq!(Tier::parse(token), Some(tier));
        assert_eq!(codec::to_value(&tier).unwrap(), Value::from(token));
        assert_eq!(
            codec::from_value::<Tier>(&Value::from(token)).unwrap(),
            tier
        );
    }
    assert_eq!(Tier::parse("T1"), None);
}

#[test]
fn justice_data_is_exactly_the_all_cj_types() {
    for rt in RecordType::ALL {
        let all_cj = rt.schema().iter().all(|f| f.tier == Tier::Cj);
        let any_cj = rt.schema().iter().any(|f| f.tier == Tier::Cj);
        assert_eq!(rt.is_justice_data(), all_cj, "{rt}");
        assert_eq!(all_cj, any_cj, "{rt} mixes CJ with other tiers");
    }
    let justice: Vec<_> = RecordType::ALL
        .into_iter()
        .filter(RecordType::is_justice_data)
        .collect();
    assert_eq!(
        justice,
        [
            RecordType::Referral,
            RecordType::CourtResponse,
            RecordType::CourtEvent,
            RecordType::CaseDisposition
        ]
    );
}

#[test]
fn tiers_follow_the_catalogue() {
    let tiers = |rt: RecordType| -> BTreeSet<Tier> { rt.schema().iter().map(|f| f.tier).collect() };
    let set = |t: &[Tier]| t.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(tiers(RecordType::IntakeStatus), set(&[Tier::T2]));
    assert_eq!(tiers(RecordType::Enrollment), set(&[Tier::T1]));
    assert_eq!(tiers(RecordType::Attendance), set(&[Tier::T1]));
    assert_eq!(tiers(RecordType::DrugTest), set(&[Tier::T2]));
    assert_eq!(tiers(RecordType::ProgressReport), set(&[Tier::T2]));
    assert_eq!(tiers(RecordType::Discharge), set(&[Tier::T1, Tier::T2]));
    assert_eq!(tiers(RecordType::LeadStatus), set(&[Tier::T1, Tier::Lead]));
    assert_eq!(tiers(RecordType::ClinicalDetail), set(&[Tier::T3]));
    assert_eq!(tiers(RecordType::CounselingNote), set(&[Tier::T3]));
    let tier_of = |rt: RecordType, f: &str| rt.field(f).unwrap().tier;
    assert_eq!(tier_of(RecordType::Discharge, "date"), Tier::T1);
    assert_eq!(tier_of(RecordType::Discharge, "reason"), Tier::T2);
    assert_eq!(
        tier_of(RecordType::Discharge, "program_recommendation"),
        Tier::T2
    );
    assert_eq!(tier_of(RecordType::LeadStatus, "status"), Tier::T1);
    for f in ["contacts", "plan_domains", "barriers"] {
        assert_eq!(tier_of(RecordType::LeadStatus, f), Tier::Lead);
    }
    assert!(RecordType::Referral.field("nope").is_none());
}

#[test]
fn schema_covers_exactly_the_serialized_fields() {
    for rt in RecordType::ALL {
        let schema: BTreeSet<String> = rt.schema().iter().map(|f| f.name.to_owned()).collect();
        let required: BTreeSet<String> = rt
            .schema()
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.to_owned())
            .collect();
        assert_eq!(
            keys(&map_of(&full(rt))),
            schema,
            "{rt}: full example vs schema"
        );
        assert_eq!(
            keys(&map_of(&minimal(rt))),
            required,
            "{rt}: minimal example vs required fields"
        );
        let present: Vec<_> = full(rt).present_fields().iter().map(|f| f.name).collect();
        let in_order: Vec<_> = rt.schema().iter().map(|f| f.name).collect();
        assert_eq!(present, in_order, "{rt}: present_fields in schema order");
        let present_min: BTreeSet<String> = minimal(rt)
            .present_fields()
            .iter()
            .map(|f| f.name.to_owned())
            .collect();
        assert_eq!(present_min, required, "{rt}");
    }
}

// =============================================================================================
// Round trips and strict decoding

#[test]
fn every_type_round_trips_byte_identically() {
    for rt in RecordType::ALL {
        for r in [full(rt), minimal(rt)] {
            r.validate().unwrap_or_else(|e| panic!("{rt}: {e}"));
            let bytes = r.to_bytes();
            assert_eq!(bytes, codec::encode(&r.to_value()));
            let back = Record::from_bytes(rt, &bytes).unwrap_or_else(|e| panic!("{rt}: {e}"));
            assert_eq!(back, r, "{rt}");
            assert_eq!(back.to_bytes(), bytes, "{rt}: re-encoding differs");
            assert_eq!(Record::from_value(rt, &r.to_value()).unwrap(), r);
            // The same bytes through the generic strict decoder agree.
            assert_eq!(codec::decode(&bytes).unwrap(), r.to_value());
        }
    }
}

#[test]
fn golden_attendance_encoding() {
    // spec/records.md §3 example.
    let r = Record::from(
        Attendance::new(
            date("2026-03-10"),
            ServiceType::Group,
            AttendanceStatus::Present,
        )
        .with_hours_tenths(15),
    );
    let expected = concat!(
        "a4",
        "6464617465",
        "6a323032362d30332d3130",
        "66737461747573",
        "6770726573656e74",
        "6c686f7572735f74656e746873",
        "0f",
        "6c736572766963655f74797065",
        "6567726f7570",
    );
    assert_eq!(hex::encode(r.to_bytes()), expected);
    assert_eq!(
        codec::diagnostic(&r.to_value()),
        r#"{"date": "2026-03-10", "status": "present", "hours_tenths": 15, "service_type": "group"}"#
    );
}

#[test]
fn decoding_as_the_wrong_type_fails() {
    for rt in RecordType::ALL {
        let bytes = full(rt).to_bytes();
        for other in RecordType::ALL {
            if other != rt {
                let e = Record::from_bytes(other, &bytes).unwrap_err();
                assert!(
                    matches!(
                        e,
                        RecordError::UnknownField { .. }
                            | RecordError::MissingField { .. }
                            | RecordError::InvalidValue { .. }
                    ),
                    "{rt} as {other}: {e:?}"
                );
            }
        }
    }
}

#[test]
fn refuses_unknown_fields() {
    for rt in RecordType::ALL {
        let m = map_of(&full(rt));
        let e = refuse(rt, &with(&m, "zzz_extra", Value::from(1u64)));
        assert_eq!(
            e,
            RecordError::UnknownField {
                record: rt,
                field: "zzz_extra".into()
            }
        );
        // A key that could be data is not echoed.
        let e = refuse(rt, &with(&m, SECRET, Value::from(1u64)));
        assert_eq!(
            e,
            RecordError::UnknownField {
                record: rt,
                field: "(not a field name)".into()
            }
        );
        // A non-text key.
        let mut m2 = m.clone();
        m2.insert(Value::from(1u64), Value::from("x")).unwrap();
        assert!(matches!(
            refuse(rt, &Value::Map(m2)),
            RecordError::UnknownField { .. }
        ));
    }
    // A field of another type.
    let m = map_of(&full(RecordType::Attendance));
    assert!(matches!(
        refuse(RecordType::Attendance, &with(&m, "note", Value::from("x"))),
        RecordError::UnknownField { .. }
    ));
}

#[test]
fn refuses_missing_required_fields() {
    for rt in RecordType::ALL {
        let m = map_of(&full(rt));
        for f in rt.schema().iter().filter(|f| f.required) {
            assert_eq!(
                refuse(rt, &without(&m, f.name)),
                RecordError::MissingField {
                    record: rt,
                    field: f.name
                },
                "{rt}.{}",
                f.name
            );
        }
    }
}

#[test]
fn refuses_explicit_null() {
    for rt in RecordType::ALL {
        let m = map_of(&full(rt));
        for f in rt.schema() {
            let e = refuse(rt, &with(&m, f.name, Value::Null));
            assert!(
                matches!(e, RecordError::InvalidValue { record, field, .. } if record == rt && field == f.name),
                "{rt}.{}: {e:?}",
                f.name
            );
        }
    }
}

fn major(v: &Value) -> u8 {
    codec::encode(v)[0] >> 5
}

#[test]
fn refuses_wrong_types() {
    let candidates = [
        Value::from(7u64),
        Value::from(-7i64),
        Value::from(SECRET),
        Value::bytes(SECRET.as_bytes()),
        Value::Array(vec![Value::from(SECRET)]),
        Value::Array(vec![Value::from(3u64)]),
        Value::map([(Value::from("analyte"), Value::from(SECRET))]).unwrap(),
        Value::Bool(true),
        Value::Tag(0, Box::new(Value::from("2026-01-01"))),
    ];
    for rt in RecordType::ALL {
        let m = map_of(&full(rt));
        for f in rt.schema() {
            let original = m.get(&Value::from(f.name)).unwrap();
            for candidate in &candidates {
                let same_major = major(candidate) == major(original);
                // Same CBOR major type is not a type error (vocabulary and ranges are
                // tested separately), except arrays whose items have the wrong type.
                if same_major && !matches!(candidate, Value::Array(_)) {
                    continue;
                }
                let v = with(&m, f.name, candidate.clone());
                match Record::from_value(rt, &v) {
                    Ok(_) => {
                        // Only a list of free text accepts ["SECRET..."].
                        assert!(
                            matches!(candidate, Value::Array(a) if a[0].as_text().is_some()),
                            "{rt}.{} accepted {candidate:?}",
                            f.name
                        );
                    }
                    Err(e) => {
                        assert_no_secret(&e);
                        assert!(
                            matches!(
                                &e,
                                RecordError::InvalidValue { field, .. } if *field == f.name
                            ),
                            "{rt}.{} with {candidate:?}: {e:?}",
                            f.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn refuses_values_outside_every_vocabulary() {
    let vocab_fields: &[(RecordType, &str)] = &[
        (RecordType::Referral, "source"),
        (RecordType::IntakeStatus, "recommended_asam_level"),
        (RecordType::Enrollment, "level_of_care"),
        (RecordType::Attendance, "service_type"),
        (RecordType::Attendance, "status"),
        (RecordType::DrugTest, "specimen"),
        (RecordType::DrugTest, "confirmation"),
        (RecordType::DrugTest, "program_outcome"),
        (RecordType::ProgressReport, "status"),
        (RecordType::ProgressReport, "recommended_response"),
        (RecordType::CourtResponse, "phase_change"),
        (RecordType::CourtEvent, "event"),
        (RecordType::Discharge, "reason"),
        (RecordType::Discharge, "program_recommendation"),
        (RecordType::CaseDisposition, "disposition"),
        (RecordType::LeadStatus, "status"),
        (RecordType::ClinicalDetail, "moud"),
    ];
    for &(rt, field) in vocab_fields {
        let m = map_of(&full(rt));
        let original = m.get(&Value::from(field)).unwrap().as_text().unwrap();
        for bad in [SECRET, "", "Other", "2", "1.5", " urine"] {
            let e = refuse(rt, &with(&m, field, Value::from(bad)));
            match e {
                RecordError::InvalidValue {
                    record,
                    field: f,
                    expected,
                } => {
                    assert_eq!((record, f), (rt, field));
                    assert!(expected.contains(original), "{expected} lists {original}");
                }
                other => panic!("{rt}.{field}: {other:?}"),
            }
        }
    }
    // Vocabulary items inside lists and maps.
    let m = map_of(&full(RecordType::LeadStatus));
    let e = refuse(
        RecordType::LeadStatus,
        &with(
            &m,
            "plan_domains",
            Value::Array(vec![Value::from("housing"), Value::from(SECRET)]),
        ),
    );
    assert!(matches!(
        e,
        RecordError::InvalidValue {
            field: "plan_domains",
            ..
        }
    ));
    let m = map_of(&full(RecordType::DrugTest));
    let result = |analyte: Value, result: Value| {
        Value::map([
            (Value::from("analyte"), analyte),
            (Value::from("result"), result),
        ])
        .unwrap()
    };
    for bad in [
        result(Value::from("fentanyl"), Value::from(SECRET)),
        result(Value::from(1u64), Value::from("negative")),
        Value::map([
            (Value::from("analyte"), Value::from("x")),
            (Value::from("result"), Value::from("negative")),
            (Value::from("cutoff"), Value::from(300u64)),
        ])
        .unwrap(),
        Value::map([(Value::from("analyte"), Value::from("x"))]).unwrap(),
    ] {
        let e = refuse(
            RecordType::DrugTest,
            &with(&m, "results", Value::Array(vec![bad])),
        );
        assert!(
            matches!(
                e,
                RecordError::InvalidValue {
                    field: "results",
                    ..
                }
            ),
            "{e:?}"
        );
    }
}

#[test]
fn refuses_malformed_dates_and_out_of_range_integers() {
    let m = map_of(&full(RecordType::Attendance));
    for bad in [
        "2026-02-30",
        "2026-3-10",
        "10/03/2026",
        "2026-03-10T00:00:00Z",
        SECRET,
    ] {
        let e = refuse(RecordType::Attendance, &with(&m, "date", Value::from(bad)));
        assert!(
            matches!(e, RecordError::InvalidValue { field: "date", .. }),
            "{e:?}"
        );
    }
    let e = refuse(
        RecordType::Attendance,
        &with(&m, "hours_tenths", Value::from(1u64 << 32)),
    );
    assert!(matches!(
        e,
        RecordError::InvalidValue {
            field: "hours_tenths",
            ..
        }
    ));
    let e = refuse(
        RecordType::Attendance,
        &with(&m, "hours_tenths", Value::from(-1i64)),
    );
    assert!(matches!(
        e,
        RecordError::InvalidValue {
            field: "hours_tenths",
            ..
        }
    ));
    let m = map_of(&full(RecordType::DrugTest));
    let e = refuse(
        RecordType::DrugTest,
        &with(&m, "collected_at", Value::from(MAX_TIMESTAMP + 1)),
    );
    assert!(matches!(
        e,
        RecordError::InvalidValue {
            field: "collected_at",
            ..
        }
    ));
}

#[test]
fn refuses_non_canonical_cbor() {
    let r = Record::from(
        Attendance::new(
            date("2026-03-10"),
            ServiceType::Group,
            AttendanceStatus::Present,
        )
        .with_hours_tenths(15),
    );
    let good = r.to_bytes();
    // hours_tenths 15 as 0x18 0x0f instead of 0x0f.
    let pos = good.windows(1).position(|w| w == [0x0f]).unwrap();
    let mut long = good.clone();
    long.splice(pos..=pos, [0x18, 0x0f]);
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &long),
        Err(RecordError::Codec(CodecError::NonShortestArgument { .. }))
    ));
    // Trailing byte.
    let mut trailing = good.clone();
    trailing.push(0x00);
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &trailing),
        Err(RecordError::Codec(CodecError::TrailingBytes { .. }))
    ));
    // Indefinite-length map.
    let mut indefinite = good.clone();
    indefinite[0] = 0xbf;
    indefinite.push(0xff);
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &indefinite),
        Err(RecordError::Codec(CodecError::IndefiniteLength { .. }))
    ));
    // Keys out of bytewise order (length-first order puts "status" before "hours_tenths").
    let entries = [
        ("date", Value::from("2026-03-10")),
        ("status", Value::from("present")),
        ("service_type", Value::from("group")),
        ("hours_tenths", Value::from(15u64)),
    ];
    let mut unsorted = vec![0xa4];
    for (k, v) in &entries {
        codec::encode_into(&Value::from(*k), &mut unsorted);
        codec::encode_into(v, &mut unsorted);
    }
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &unsorted),
        Err(RecordError::Codec(CodecError::KeyOrder { .. }))
    ));
    // Duplicate key.
    let mut dup = vec![0xa5];
    for (k, v) in [
        ("date", Value::from("2026-03-10")),
        ("date", Value::from("2026-03-10")),
        ("status", Value::from("present")),
        ("hours_tenths", Value::from(15u64)),
        ("service_type", Value::from("group")),
    ] {
        codec::encode_into(&Value::from(k), &mut dup);
        codec::encode_into(&v, &mut dup);
    }
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &dup),
        Err(RecordError::Codec(CodecError::DuplicateKey { .. }))
    ));
    // Truncated, empty, a float, not a map.
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &good[..good.len() - 1]),
        Err(RecordError::Codec(CodecError::Truncated { .. }))
    ));
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &[]),
        Err(RecordError::Codec(CodecError::Truncated { .. }))
    ));
    let float = hex::decode("a46464617465f93c00").unwrap();
    assert!(matches!(
        Record::from_bytes(RecordType::Attendance, &float),
        Err(RecordError::Codec(_))
    ));
    assert_eq!(
        Record::from_bytes(RecordType::Attendance, &[0x80]),
        Err(RecordError::NotAMap {
            record: RecordType::Attendance
        })
    );
    // Tagged record.
    let mut tagged = vec![0xd8, 0x18];
    tagged.extend_from_slice(&good);
    assert_eq!(
        Record::from_bytes(RecordType::Attendance, &tagged),
        Err(RecordError::NotAMap {
            record: RecordType::Attendance
        })
    );
}

#[test]
fn decode_limits_bound_input_but_not_valid_records() {
    let long = "x".repeat(MAX_SHORT_TEXT);
    let mut referral = Referral::new(
        long.clone(),
        ReferralSource::ArrestDiversion,
        long.clone(),
        date("2026-01-01"),
    )
    .with_case_ref(long.clone());
    let mut test = DrugTest::new(MAX_TIMESTAMP, Specimen::Hair, true, long.clone());
    let mut lead = LeadStatus::new(LeadEngagement::Engaged).with_contacts(MAX_CONTACTS);
    let mut progress = ProgressReport::new(
        date("2026-01-01"),
        date("2026-12-31"),
        ComplianceStatus::NonCompliant,
    )
    .with_engagement("é".repeat(MAX_SUMMARY_TEXT / 2));
    let mut event = CourtEvent::new(long.clone(), date("2026-01-01"), CourtEventKind::Hearing);
    for i in 0..MAX_LIST_ITEMS {
        let item = format!("{i:03}{}", &long[3..]);
        referral = referral.with_charge_ref(item.clone());
        test = test.with_result(item.clone(), TestResult::PositiveDilute);
        lead = lead.with_barrier(item.clone());
        progress = progress.with_barrier(item.clone());
        event = event.with_condition(item);
    }
    for d in PlanDomain::ALL {
        lead = lead.with_plan_domain(*d);
    }
    let codes: Vec<String> = (0..MAX_LIST_ITEMS)
        .map(|i| format!("T{i:02}.1X1A"))
        .collect();
    let clinical = ClinicalDetail::new(codes.clone());
    let note = CounselingNote::new(date("2026-01-01"), "ü".repeat(MAX_NOTE_TEXT / 2));
    let records: Vec<Record> = vec![
        referral.into(),
        test.into(),
        lead.into(),
        progress.into(),
        event.into(),
        clinical.into(),
        note.into(),
    ];
    for r in records {
        let bytes = r.to_bytes();
        assert!(bytes.len() < DECODE_LIMITS.max_input / 2, "{}", bytes.len());
        assert_eq!(Record::from_bytes(r.record_type(), &bytes).unwrap(), r);
    }
    // An oversized input is refused before it is parsed.
    let huge = vec![0u8; DECODE_LIMITS.max_input + 1];
    assert!(matches!(
        Record::from_bytes(RecordType::CounselingNote, &huge),
        Err(RecordError::Codec(CodecError::LimitExceeded {
            what: "input",
            ..
        }))
    ));
    // Just over a schema limit is reported by field, not as a codec limit.
    let too_many = LeadStatus::new(LeadEngagement::Engaged);
    let too_many = (0..=MAX_LIST_ITEMS).fold(too_many, |s, i| s.with_barrier(format!("b{i}")));
    let r = Record::from(too_many);
    let e = Record::from_bytes(RecordType::LeadStatus, &r.to_bytes()).unwrap_err();
    assert_eq!(
        e,
        RecordError::TooMany {
            record: RecordType::LeadStatus,
            field: "barriers",
            max_items: MAX_LIST_ITEMS
        }
    );
    let note = Record::from(CounselingNote::new(
        date("2026-01-01"),
        "a".repeat(MAX_NOTE_TEXT + 1),
    ));
    assert_eq!(
        Record::from_bytes(RecordType::CounselingNote, &note.to_bytes()).unwrap_err(),
        RecordError::TooLong {
            record: RecordType::CounselingNote,
            field: "note",
            max_bytes: MAX_NOTE_TEXT
        }
    );
}

// =============================================================================================
// Validation rules

/// `r` is invalid with `expected`, through `validate` and through decoding.
fn invalid(r: impl Into<Record>, expected: RecordError) {
    let r = r.into();
    assert_eq!(r.validate(), Err(expected.clone()), "validate {r:?}");
    assert_eq!(
        Record::from_bytes(r.record_type(), &r.to_bytes()),
        Err(expected),
        "from_bytes"
    );
}

fn invalid_field(r: impl Into<Record>, field: &'static str) {
    let r = r.into();
    match r.validate() {
        Err(RecordError::InvalidValue { field: f, .. }) if f == field => {}
        other => panic!("expected InvalidValue for {field}, got {other:?}"),
    }
    assert_eq!(
        Record::from_bytes(r.record_type(), &r.to_bytes()).unwrap_err(),
        r.validate().unwrap_err()
    );
}

#[test]
fn date_order_rules() {
    let order = |record, earlier, later| RecordError::DateOrder {
        record,
        earlier,
        later,
    };
    invalid(
        Referral::new("R", ReferralSource::Probation, "prob", date("2026-03-02"))
            .with_intake_deadline(date("2026-03-01")),
        order(RecordType::Referral, "referral_date", "intake_deadline"),
    );
    invalid(
        IntakeStatus::new(date("2026-03-05")).with_completed_date(date("2026-03-04")),
        order(RecordType::IntakeStatus, "scheduled_date", "completed_date"),
    );
    invalid(
        ProgressReport::new(
            date("2026-04-01"),
            date("2026-03-31"),
            ComplianceStatus::Compliant,
        ),
        order(RecordType::ProgressReport, "period_start", "period_end"),
    );
    invalid(
        CourtResponse::new(date("2026-04-02")).with_next_hearing(date("2025-04-02")),
        order(RecordType::CourtResponse, "date", "next_hearing"),
    );
    // The same day is in order.
    Record::from(
        Referral::new("R", ReferralSource::Probation, "prob", date("2026-03-02"))
            .with_intake_deadline(date("2026-03-02")),
    )
    .validate()
    .unwrap();
    Record::from(CourtResponse::new(date("2026-04-02")).with_next_hearing(date("2026-04-02")))
        .validate()
        .unwrap();
    let e = order(RecordType::IntakeStatus, "scheduled_date", "completed_date");
    assert_eq!(
        e.to_string(),
        "field `completed_date` of the intake_status record is before `scheduled_date`"
    );
}

#[test]
fn referral_rules() {
    let base = || {
        Referral::new(
            "R",
            ReferralSource::SocialContact,
            "city-pd",
            date("2026-01-05"),
        )
    };
    invalid_field(base().with_charge_ref("PC647(f)"), "charge_refs");
    invalid_field(
        Referral::new("", ReferralSource::Probation, "p", date("2026-01-05")),
        "referral_id",
    );
    invalid_field(
        Referral::new("R\u{0}", ReferralSource::Probation, "p", date("2026-01-05")),
        "referral_id",
    );
    invalid_field(
        Referral::new("R\n2", ReferralSource::Probation, "p", date("2026-01-05")),
        "referral_id",
    );
    invalid(
        Referral::new(
            "R",
            ReferralSource::Probation,
            "p".repeat(257),
            date("2026-01-05"),
        ),
        RecordError::TooLong {
            record: RecordType::Referral,
            field: "referring_agency",
            max_bytes: MAX_SHORT_TEXT,
        },
    );
    // Length counts bytes: 128 two-byte characters fit, 129 do not.
    Record::from(base().with_case_ref("é".repeat(128)))
        .validate()
        .unwrap();
    invalid(
        base().with_case_ref("é".repeat(129)),
        RecordError::TooLong {
            record: RecordType::Referral,
            field: "case_ref",
            max_bytes: MAX_SHORT_TEXT,
        },
    );
    let mut r = Referral::new(
        "R",
        ReferralSource::ArrestDiversion,
        "pd",
        date("2026-01-05"),
    );
    r.charge_refs = Some(vec![]);
    invalid_field(r.clone(), "charge_refs");
    r.charge_refs = Some(vec!["A".into(), "A".into()]);
    invalid_field(r, "charge_refs");
}

#[test]
fn enrollment_and_attendance_rules() {
    let e = || Enrollment::new("p", AsamLevel::Level3_5, date("2026-01-01"));
    invalid_field(e().with_expected_length_days(0), "expected_length_days");
    invalid_field(
        e().with_expected_length_days(MAX_EXPECTED_LENGTH_DAYS + 1),
        "expected_length_days",
    );
    invalid_field(e().with_phase(MAX_PHASE + 1), "phase");
    Record::from(e().with_phase(0).with_expected_length_days(1))
        .validate()
        .unwrap();

    let a = |status| Attendance::new(date("2026-01-01"), ServiceType::Residential, status);
    invalid_field(
        a(AttendanceStatus::Present).with_hours_tenths(241),
        "hours_tenths",
    );
    invalid_field(
        a(AttendanceStatus::Absent).with_hours_tenths(10),
        "hours_tenths",
    );
    invalid_field(
        a(AttendanceStatus::Excused).with_hours_tenths(1),
        "hours_tenths",
    );
    Record::from(a(AttendanceStatus::Absent).with_hours_tenths(0))
        .validate()
        .unwrap();
    invalid_field(
        a(AttendanceStatus::Late)
            .with_hours_tenths(20)
            .with_cumulative_hours_tenths(10),
        "cumulative_hours_tenths",
    );
    invalid_field(
        a(AttendanceStatus::Late).with_cumulative_hours_tenths(MAX_CUMULATIVE_TENTHS + 1),
        "cumulative_hours_tenths",
    );
    Record::from(
        a(AttendanceStatus::Late)
            .with_hours_tenths(240)
            .with_cumulative_hours_tenths(240),
    )
    .validate()
    .unwrap();
}

#[test]
fn drug_test_rules() {
    let t = || DrugTest::new(1_790_000_000, Specimen::OralFluid, true, "5-panel");
    invalid(
        t(),
        RecordError::MissingOneOf {
            record: RecordType::DrugTest,
            fields: "results (non-empty), program_outcome",
        },
    );
    Record::from(t().with_program_outcome(ProgramOutcome::Refused))
        .validate()
        .unwrap();
    invalid_field(
        t().with_result("opiates", TestResult::Negative)
            .with_program_outcome(ProgramOutcome::Missed),
        "results",
    );
    invalid_field(
        t().with_result("opiates", TestResult::Negative)
            .with_program_outcome(ProgramOutcome::Refused),
        "results",
    );
    Record::from(
        t().with_result("creatinine", TestResult::Substituted)
            .with_program_outcome(ProgramOutcome::Tampered),
    )
    .validate()
    .unwrap();
    invalid_field(
        t().with_result("opiates", TestResult::Negative)
            .with_result("opiates", TestResult::Positive),
        "results",
    );
    invalid_field(t().with_result("", TestResult::Negative), "results");
    let mut big = DrugTest::new(MAX_TIMESTAMP + 1, Specimen::Blood, true, "p")
        .with_result("a", TestResult::Invalid);
    invalid_field(big.clone(), "collected_at");
    big.collected_at = MAX_TIMESTAMP;
    Record::from(big).validate().unwrap();
    let many = (0..=MAX_LIST_ITEMS).fold(t(), |t, i| {
        t.with_result(format!("a{i}"), TestResult::Rejected)
    });
    invalid(
        many,
        RecordError::TooMany {
            record: RecordType::DrugTest,
            field: "results",
            max_items: MAX_LIST_ITEMS,
        },
    );
    let mut no_panel = t().with_result("x", TestResult::Negative);
    no_panel.panel = String::new();
    invalid_field(no_panel, "panel");
}

#[test]
fn progress_court_and_lead_rules() {
    let p = || {
        ProgressReport::new(
            date("2026-01-01"),
            date("2026-01-31"),
            ComplianceStatus::Compliant,
        )
    };
    invalid(
        p().with_engagement("x".repeat(MAX_SUMMARY_TEXT + 1)),
        RecordError::TooLong {
            record: RecordType::ProgressReport,
            field: "engagement",
            max_bytes: MAX_SUMMARY_TEXT,
        },
    );
    invalid_field(p().with_engagement("bell\u{7}"), "engagement");
    invalid_field(p().with_engagement(""), "engagement");
    invalid_field(p().with_goals_met(MAX_GOALS + 1), "goals_met");
    invalid_field(p().with_barrier("a").with_barrier("a"), "barriers");
    invalid(
        p().with_barrier("x".repeat(MAX_SHORT_TEXT + 1)),
        RecordError::TooLong {
            record: RecordType::ProgressReport,
            field: "barriers",
            max_bytes: MAX_SHORT_TEXT,
        },
    );

    invalid_field(
        CourtResponse::new(date("2026-01-01")).with_sanction(""),
        "sanction",
    );
    invalid(
        CourtResponse::new(date("2026-01-01")).with_incentive("x".repeat(300)),
        RecordError::TooLong {
            record: RecordType::CourtResponse,
            field: "incentive",
            max_bytes: MAX_SHORT_TEXT,
        },
    );
    invalid_field(
        CourtEvent::new("", date("2026-01-01"), CourtEventKind::Appearance),
        "case_ref",
    );
    let mut ev = CourtEvent::new("C", date("2026-01-01"), CourtEventKind::ConditionsSet);
    ev.conditions = Some(vec![]);
    invalid_field(ev, "conditions");
    invalid_field(
        CaseDisposition::new("", date("2026-01-01"), Disposition::Dismissed, true),
        "case_ref",
    );

    let l = || LeadStatus::new(LeadEngagement::NotEngaged);
    invalid_field(l().with_contacts(MAX_CONTACTS + 1), "contacts");
    invalid_field(
        l().with_plan_domain(PlanDomain::Legal)
            .with_plan_domain(PlanDomain::Legal),
        "plan_domains",
    );
    let mut empty = l();
    empty.plan_domains = Some(vec![]);
    invalid_field(empty, "plan_domains");
    invalid_field(l().with_barrier("tab\there"), "barriers");
}

#[test]
fn clinical_and_counseling_rules() {
    invalid_field(ClinicalDetail::new(Vec::<String>::new()), "diagnoses");
    invalid_field(ClinicalDetail::new(["opioid use disorder"]), "diagnoses");
    invalid_field(ClinicalDetail::new(["f11.20"]), "diagnoses");
    invalid_field(ClinicalDetail::new(["F11.20", "F11.20"]), "diagnoses");
    invalid_field(
        ClinicalDetail::new(["F11.20"]).with_co_occurring("depression"),
        "co_occurring",
    );
    let many: Vec<String> = (0..=MAX_LIST_ITEMS)
        .map(|i| format!("F{:02}", i % 100))
        .collect();
    invalid(
        ClinicalDetail::new(many),
        RecordError::TooMany {
            record: RecordType::ClinicalDetail,
            field: "diagnoses",
            max_items: MAX_LIST_ITEMS,
        },
    );
    invalid_field(CounselingNote::new(date("2026-01-01"), ""), "note");
    invalid_field(
        CounselingNote::new(date("2026-01-01"), "esc\u{1b}[2J"),
        "note",
    );
    Record::from(CounselingNote::new(date("2026-01-01"), "a\r\nb\tc"))
        .validate()
        .unwrap();
    Record::from(CounselingNote::new(
        date("2026-01-01"),
        "a".repeat(MAX_NOTE_TEXT),
    ))
    .validate()
    .unwrap();
}

#[test]
fn error_messages_name_record_and_field() {
    let e = Record::from(
        Attendance::new(
            date("2026-01-01"),
            ServiceType::Other,
            AttendanceStatus::Absent,
        )
        .with_hours_tenths(30),
    )
    .validate()
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("attendance") && msg.contains("hours_tenths"),
        "{msg}"
    );
    assert!(!msg.contains("30"), "{msg}");
    let e = RecordError::MissingField {
        record: RecordType::DrugTest,
        field: "specimen",
    };
    assert_eq!(
        e.to_string(),
        "the drug_test record is missing its required field `specimen`"
    );
    let e = RecordError::RequiredField {
        record: RecordType::Discharge,
        field: "reason",
    };
    assert_eq!(
        e.to_string(),
        "field `reason` of the discharge record is required and cannot be redacted"
    );
}

// =============================================================================================
// Redaction

#[test]
fn redact_removes_optional_fields_and_refuses_required_ones() {
    for rt in RecordType::ALL {
        let r = full(rt);
        let optional: Vec<&str> = rt
            .schema()
            .iter()
            .filter(|f| !f.required)
            .map(|f| f.name)
            .collect();
        // One optional field at a time.
        for name in &optional {
            match r.redact(&[*name]) {
                Ok(red) => {
                    let present: BTreeSet<_> =
                        red.present_fields().iter().map(|f| f.name).collect();
                    assert!(!present.contains(name), "{rt}.{name} still present");
                    assert_eq!(present.len(), rt.schema().len() - 1, "{rt}.{name}");
                    assert_eq!(Record::from_bytes(rt, &red.to_bytes()).unwrap(), red);
                }
                Err(e) => panic!("{rt}.{name}: {e}"),
            }
        }
        // All optional fields at once leave exactly the required ones.
        let red = r.redact(&optional).unwrap();
        let present: BTreeSet<_> = red.present_fields().iter().map(|f| f.name).collect();
        let required: BTreeSet<_> = rt
            .schema()
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect();
        assert_eq!(present, required, "{rt}");
        // Required fields cannot be redacted.
        for f in rt.schema().iter().filter(|f| f.required) {
            assert_eq!(
                r.redact(&[f.name]),
                Err(RecordError::RequiredField {
                    record: rt,
                    field: f.name
                })
            );
        }
        // Unknown names are refused (and not echoed when they could be data).
        assert_eq!(
            r.redact(&["not_a_field"]),
            Err(RecordError::UnknownField {
                record: rt,
                field: "not_a_field".into()
            })
        );
        assert_eq!(
            r.redact(&[SECRET]),
            Err(RecordError::UnknownField {
                record: rt,
                field: "(not a field name)".into()
            })
        );
        // Redacting nothing, or an absent optional field, changes nothing.
        assert_eq!(r.redact(&[]).unwrap(), r);
        assert_eq!(minimal(rt).redact(&optional).unwrap(), minimal(rt));
    }
}

#[test]
fn redact_refuses_to_produce_an_invalid_record() {
    let missed = Record::from(
        DrugTest::new(1_790_000_000, Specimen::Urine, false, "10-panel")
            .with_program_outcome(ProgramOutcome::Missed)
            .with_confirmation(Confirmation::NotRequired),
    );
    assert!(matches!(
        missed.redact(&["program_outcome"]),
        Err(RecordError::MissingOneOf { .. })
    ));
    let red = missed.redact(&["confirmation"]).unwrap();
    assert_eq!(
        red.present_fields()
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>(),
        [
            "collected_at",
            "specimen",
            "observed",
            "panel",
            "results",
            "program_outcome"
        ]
    );
}

#[test]
fn redaction_to_a_tier_allow_list() {
    // A justice recipient gets T1 and T2 fields; T3 and LEAD fields are dropped.
    let allowed = [Tier::T1, Tier::T2];
    for rt in RecordType::ALL {
        let r = full(rt);
        let drop: Vec<&str> = r
            .present_fields()
            .iter()
            .filter(|f| !allowed.contains(&f.tier))
            .map(|f| f.name)
            .collect();
        match r.redact(&drop) {
            Ok(red) => assert!(
                red.present_fields()
                    .iter()
                    .all(|f| allowed.contains(&f.tier))
            ),
            Err(RecordError::RequiredField { field, .. }) => {
                // Required fields of other tiers: the record as a whole is not disclosable.
                assert!(
                    !allowed.contains(&rt.field(field).unwrap().tier),
                    "{rt}.{field}"
                );
            }
            Err(e) => panic!("{rt}: {e}"),
        }
    }
}

// =============================================================================================
// Periods

#[test]
fn record_periods() {
    let one = |s| Some((date(s), date(s)));
    assert_eq!(full(RecordType::Referral).period(), one("2026-03-02"));
    assert_eq!(
        full(RecordType::IntakeStatus).period(),
        Some((date("2026-03-05"), date("2026-03-06")))
    );
    assert_eq!(
        minimal(RecordType::IntakeStatus).period(),
        one("2026-01-01")
    );
    assert_eq!(full(RecordType::DrugTest).period(), one("2026-09-21"));
    assert_eq!(minimal(RecordType::DrugTest).period(), one("1970-01-01"));
    assert_eq!(
        full(RecordType::ProgressReport).period(),
        Some((date("2026-03-01"), date("2026-03-31")))
    );
    assert_eq!(full(RecordType::CourtResponse).period(), one("2026-04-02"));
    assert_eq!(full(RecordType::LeadStatus).period(), one("2026-03-31"));
    assert_eq!(minimal(RecordType::LeadStatus).period(), None);
    assert_eq!(minimal(RecordType::ClinicalDetail).period(), None);
    for rt in RecordType::ALL {
        if let Some((a, b)) = full(rt).period() {
            assert!(a <= b, "{rt}");
        } else {
            panic!("{rt}: full example has no period");
        }
    }
}

// =============================================================================================
// Mutations: whatever the decoder accepts re-encodes to the same bytes.

mod mutations {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn accepted_mutants_reencode_identically(
            type_index in 0usize..13,
            use_full in any::<bool>(),
            edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let rt = RecordType::ALL[type_index];
            let r = if use_full { full(rt) } else { minimal(rt) };
            let mut bytes = r.to_bytes();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Ok(back) = Record::from_bytes(rt, &bytes) {
                prop_assert_eq!(back.to_bytes(), bytes);
                prop_assert!(back.validate().is_ok());
            }
        }
    }
}

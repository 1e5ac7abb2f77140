//! The consent engine against a table of legal scenarios (spec/consent.md §9). Each row names
//! the situation, the section of law it encodes, and the expected outcome. Consents,
//! revocations and case events are really signed and verified against a real directory; the
//! rows then ask the pure decision engine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use divex_core::consent::{
    AgencyFacts, Capacity, CaseEvent, ConsentSet, DispositionOutcome, EventTrigger, Expiry,
    NoticeForm, Party, Redisclosure, Regime, Revocability, RevocationStatement, SourceDocument,
    StatementSigner, Subject, UseRestriction,
};
use divex_core::decision::{self, Decision, MinimumNecessary, Request};
use divex_core::directory::{CertificateRequest, Directory, Role};
use divex_core::keys::AgencyKeys;
use divex_core::records::{
    ClinicalDetail, CounselingNote, Record, RecordType, Referral, ReferralSource, Tier,
};
use divex_core::testing::{AgencyFactsExt, DateExt};

use divex_core::error::Classified;
use divex_core::records::Date;
use divex_core::vocab::Purpose;
use divex_core::vocab::SecurityLabel;
use divex_fixtures::*;

/// What happened.
#[derive(Debug)]
enum Outcome {
    Permit(decision::Permit),
    Deny(&'static str),
    /// Refused before the engine: a consent, statement or certificate did not verify.
    Refused(String),
}

#[derive(Debug)]
enum Expect {
    Permit,
    Deny(&'static str),
    Refused(&'static str),
}

/// A disclosure question.
struct Ask<'a> {
    from: &'a str,
    to: &'a str,
    purpose: Purpose,
    record: Record,
    time: u64,
    consent: Option<&'a str>,
    mode: MinimumNecessary,
    subject: Subject,
}

impl<'a> Ask<'a> {
    fn new(from: &'a str, to: &'a str, purpose: Purpose, record: Record) -> Ask<'a> {
        Ask {
            from,
            to,
            purpose,
            record,
            time: T0,
            consent: None,
            mode: MinimumNecessary::Refuse,
            subject: subject(),
        }
    }

    fn pc1000(to: &'a str) -> Ask<'a> {
        Ask::new("treatment-provider", to, CJ_PURPOSE.clone(), drug_test())
    }

    fn lead() -> Ask<'a> {
        Ask::new(
            "lead-case-manager",
            "police-lead-unit",
            LEAD_PURPOSE.clone(),
            lead_status(),
        )
    }

    fn at(mut self, t: u64) -> Self {
        self.time = t;
        self
    }

    fn relying_on(mut self, id: &'a str) -> Self {
        self.consent = Some(id);
        self
    }
}

struct Setup<'w> {
    w: &'w World,
    set: ConsentSet,
    /// A directory other than the world's (for revocations made in a row).
    dir: Option<&'w Directory>,
}

impl<'w> Setup<'w> {
    fn new(w: &'w World) -> Setup<'w> {
        Setup {
            w,
            set: ConsentSet::new(),
            dir: None,
        }
    }

    fn consent(self, c: ConsentBuilder) -> Result<Self, String> {
        let w = self.w;
        self.import(&signed(w, c)?, &w.directory, T0)
    }

    /// Imports the signed consent `bytes` as checked against `dir` at `now` (where a row needs
    /// other bytes, another directory or another time than [`Setup::consent`]).
    fn import(mut self, bytes: &[u8], dir: &Directory, now: u64) -> Result<Self, String> {
        self.set
            .import_consent(bytes, dir, now)
            .map_err(|e| format!("{e}"))?;
        Ok(self)
    }

    fn revocation(mut self, id: &str, at: u64, by: &dyn StatementSigner) -> Result<Self, String> {
        let bytes = RevocationStatement {
            consent_id: id.into(),
            revoked_at: at,
            method: "written".into(),
        }
        .sign(by)
        .map_err(|e| format!("{e}"))?;
        self.set
            .import_revocation(&bytes, &self.w.directory, T0.max(at))
            .map_err(|e| format!("{e}"))?;
        Ok(self)
    }

    fn disposition(mut self, by: &str, case_ref: &str, at: u64) -> Result<Self, String> {
        let bytes = CaseEvent {
            case_ref: case_ref.into(),
            outcome: DispositionOutcome::Dismissed,
            effective_at: at,
        }
        .sign(self.w.key(by))
        .map_err(|e| format!("{e}"))?;
        self.set
            .import_event(&bytes, &self.w.directory, T0.max(at))
            .map_err(|e| format!("{e}"))?;
        Ok(self)
    }

    /// A dismissal dated `at`, imported at `T0` on a court order: admitted whatever its date
    /// (spec/consent.md §6.3, the override of the back-dating bound).
    fn disposition_on_court_order(mut self, case_ref: &str, at: u64) -> Result<Self, String> {
        let bytes = CaseEvent {
            case_ref: case_ref.into(),
            outcome: DispositionOutcome::Dismissed,
            effective_at: at,
        }
        .sign(self.w.key("superior-court"))
        .map_err(|e| format!("{e}"))?;
        self.set
            .import_event_without_date_bound(&bytes, &self.w.directory, T0)
            .map_err(|e| format!("{e}"))?;
        Ok(self)
    }

    fn ask(&self, a: Ask<'_>) -> Result<Outcome, String> {
        let facts = |id: &str| {
            self.dir
                .unwrap_or(&self.w.directory)
                .current_certificate(id, a.time)
                .map(AgencyFacts::from_certificate)
                .map_err(|e| format!("{e}"))
        };
        let sender = facts(a.from)?;
        let recipient = facts(a.to)?;
        let fields = a.record.present_fields();
        let req = Request {
            sender: &sender,
            recipient: &recipient,
            subject: &a.subject,
            purpose: &a.purpose,
            record_type: a.record.record_type(),
            fields: &fields,
            period: a.record.period(),
            time: a.time,
            consent_id: a.consent,
            minimum_necessary: a.mode,
        };
        Ok(
            match decision::decide(&decision::Facts::from(&self.set), &req) {
                Decision::Permit(p) => Outcome::Permit(p),
                Decision::Deny(r) => Outcome::Deny(r.class()),
            },
        )
    }
}

type Row = (
    &'static str,
    &'static str,
    Expect,
    fn(&World) -> Result<Outcome, String>,
);

fn run(w: &World, f: fn(&World) -> Result<Outcome, String>) -> Outcome {
    f(w).unwrap_or_else(Outcome::Refused)
}

/// The consent `c` signs, as bytes (a refusal as its message).
fn signed(w: &World, c: ConsentBuilder) -> Result<Vec<u8>, String> {
    c.sign(w)
        .map(|s| s.as_bytes().to_vec())
        .map_err(|e| format!("{e}"))
}

/// The LEAD consent re-pointed: the treatment provider discloses (and witnesses) to `to`.
fn provider_lead(w: &World, to: &str) -> ConsentBuilder {
    ConsentBuilder::lead(w)
        .disclosers([Party::Agency("treatment-provider".into())])
        .recipients([Party::Agency(to.into())])
        .witness(w.witness("treatment-provider"))
}

/// Version 2 of the PC 1000 consent, superseding version 1, in effect two days before `T0`.
fn pc1000_v2(w: &World) -> ConsentBuilder {
    ConsentBuilder::pc1000(w)
        .next_version("c-pc1000-0001-v2")
        .dated(T0 - 2 * DAY)
}

/// The world's directory with agency `id`'s certificate revoked (key compromise) a day
/// before `T0`.
fn directory_revoking(w: &World, id: &str) -> Directory {
    let mut dir = w.directory.clone();
    let serial = dir.current_certificate(id, T0).unwrap().serial();
    dir.add_revocation(
        w.anchor
            .revoke(serial, T0 - DAY, "key_compromise")
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    dir
}

fn rows() -> Vec<Row> {
    use Expect::*;
    vec![
        // --- §2.35 criminal-justice consent (PC 1000) ---------------------------------------
        (
            "provider reports a drug test to the court under the PC 1000 consent",
            "42 CFR §2.35(a)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "provider reports a drug test to the district attorney",
            "42 CFR §2.35(a)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("district-attorney"))
            },
        ),
        (
            "probation, designated by role, receives attendance",
            "42 CFR §2.35(a)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::new(
                        "treatment-provider",
                        "probation",
                        CJ_PURPOSE.clone(),
                        attendance(),
                    ))
            },
        ),
        (
            "§2.35 revocation before the disposition is refused: disclosure continues",
            "42 CFR §2.35(c)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "§2.35 revocation after the court's signed dismissal takes effect",
            "42 CFR §2.35(c)",
            Deny("revoked"),
            // A consent that expires by date only, so that the dismissal ends the
            // irrevocable period without also expiring the consent.
            |w| {
                let d = ConsentBuilder::pc1000(w).expiry_event(None);
                Setup::new(w)
                    .consent(d)?
                    .disposition("superior-court", CASE, T0 - 10 * DAY)?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "a refused revocation leaves no trace after the dismissal",
            "DOMAIN §5; 42 CFR §2.35(c)",
            Deny("expired"),
            // Revoked while irrevocable, then dismissed: the dismissal also expires this consent
            // (its expiry event), so the answer is expired, not revoked.
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .revocation("c-pc1000-0001", T0 - 20 * DAY, &w.patient)?
                    .disposition("superior-court", CASE, T0 - 10 * DAY)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "a refused revocation does not revive when the period ends (no expiry event)",
            "DOMAIN §5",
            Permit,
            |w| {
                let d = ConsentBuilder::pc1000(w).expiry_event(None);
                Setup::new(w)
                    .consent(d)?
                    .revocation("c-pc1000-0001", T0 - 20 * DAY, &w.patient)?
                    .disposition("superior-court", CASE, T0 - 10 * DAY)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "a disposition signed by another court does not end the irrevocable period",
            "DOMAIN §5 (who may sign an event)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .disposition("other-court", CASE, T0 - 10 * DAY)?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "police cannot sign a case disposition",
            "DOMAIN §5 (who may sign an event)",
            Refused("court or prosecutor"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .disposition("police-lead-unit", CASE, T0 - 10 * DAY)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "§2.35 cap: a later stated date yields to the final disposition",
            "42 CFR §2.35(c)",
            Deny("revoked"),
            |w| {
                let d = ConsentBuilder::pc1000(w).expiry_event(None).revocation(
                    Revocability::RevocableAfter(Expiry {
                        date: Some(T0 + 400 * DAY),
                        event: None,
                    }),
                );
                Setup::new(w)
                    .consent(d)?
                    .disposition("superior-court", CASE, T0 - 10 * DAY)?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "§2.35 consent becomes revocable on its stated date",
            "42 CFR §2.35(c)",
            Deny("revoked"),
            |w| {
                let d =
                    ConsentBuilder::pc1000(w).revocation(Revocability::RevocableAfter(Expiry {
                        date: Some(T0 - 8 * DAY),
                        event: None,
                    }));
                Setup::new(w)
                    .consent(d)?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "the consent expires by date",
            "42 CFR §2.31(a)(7)",
            Deny("expired"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("superior-court").at(T0 + 541 * DAY))
            },
        ),
        (
            "the consent expires with the final disposition (expiry event)",
            "42 CFR §2.31(a)(7), §2.35(c)",
            Deny("expired"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .disposition("superior-court", CASE, T0 - DAY)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "a consent not yet in effect",
            "42 CFR §2.31(a)(7)",
            Deny("not_yet_effective"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("superior-court").at(T0 - 31 * DAY))
            },
        ),
        (
            "wrong purpose",
            "42 CFR §2.31(a)(5)",
            Deny("purpose_not_permitted"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::new(
                        "treatment-provider",
                        "superior-court",
                        Purpose::from_static("research"),
                        drug_test(),
                    ))
            },
        ),
        (
            "recipient not named (police)",
            "42 CFR §2.31(a)(4)",
            Deny("recipient_not_named"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("police-lead-unit"))
            },
        ),
        (
            "§2.35 recipient without a justice role (a LEAD case manager named by id)",
            "42 CFR §2.35(a)",
            Deny("recipient_not_justice"),
            |w| {
                let d = ConsentBuilder::pc1000(w)
                    .add_recipient(Party::Agency("lead-case-manager".into()));
                Setup::new(w)
                    .consent(d)?
                    .ask(Ask::pc1000("lead-case-manager"))
            },
        ),
        (
            "§2.35 consent naming a non-justice role as recipient is deficient",
            "42 CFR §2.35(a)",
            Refused("monitoring duty"),
            |w| {
                let d = ConsentBuilder::pc1000(w).add_recipient(Party::Role(Role::Police));
                Setup::new(w).consent(d)?.ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "sender not a named discloser",
            "DOMAIN §5; 42 CFR §2.31(a)(2)",
            Deny("sender_not_named"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::new(
                        "other-provider",
                        "superior-court",
                        CJ_PURPOSE.clone(),
                        drug_test(),
                    ))
            },
        ),
        (
            "clinical detail (T3) to a court under the §2.35 consent",
            "42 CFR §2.13(a), §2.35",
            Deny("record_type_not_permitted"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::new(
                        "treatment-provider",
                        "superior-court",
                        CJ_PURPOSE.clone(),
                        Record::from(ClinicalDetail::new(["F11.20"])),
                    ))
            },
        ),
        (
            "a §2.35 consent that permits T3 clinical detail is deficient",
            "42 CFR §2.13(a), §2.35",
            Refused("clinical detail"),
            |w| {
                let d = ConsentBuilder::pc1000(w).add_tier(Tier::T3);
                Setup::new(w).consent(d)?.ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "clinical detail under a §2.31 consent permitting the type but not tier T3",
            "42 CFR §2.13(a)",
            Deny("required_field_not_permitted"),
            |w| {
                let d =
                    provider_lead(w, "superior-court").add_record_type(RecordType::ClinicalDetail);
                Setup::new(w).consent(d)?.ask(Ask::new(
                    "treatment-provider",
                    "superior-court",
                    LEAD_PURPOSE.clone(),
                    Record::from(ClinicalDetail::new(["F11.20"])),
                ))
            },
        ),
        (
            "minimum necessary: an optional field outside the allow-list is refused",
            "42 CFR §2.13(a)",
            Deny("field_not_permitted"),
            |w| {
                let d = ConsentBuilder::pc1000(w).fields(
                    RecordType::DrugTest,
                    ["collected_at", "specimen", "observed", "panel", "results"],
                );
                Setup::new(w).consent(d)?.ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "minimum necessary: in redact mode the field is removed and recorded",
            "42 CFR §2.13(a)",
            Permit,
            |w| {
                let d = ConsentBuilder::pc1000(w).fields(
                    RecordType::DrugTest,
                    ["collected_at", "specimen", "observed", "panel", "results"],
                );
                let out = Setup::new(w).consent(d)?.ask(Ask {
                    mode: MinimumNecessary::Redact,
                    ..Ask::pc1000("superior-court")
                })?;
                match &out {
                    Outcome::Permit(p) => assert_eq!(p.obligations.redactions, ["confirmation"]),
                    other => panic!("{other:?}"),
                }
                Ok(out)
            },
        ),
        (
            "minimum necessary: a required field outside the allow-list cannot be redacted",
            "42 CFR §2.13(a)",
            Deny("required_field_not_permitted"),
            |w| {
                let d = ConsentBuilder::pc1000(w)
                    .fields(RecordType::DrugTest, ["collected_at", "specimen"]);
                Setup::new(w).consent(d)?.ask(Ask {
                    mode: MinimumNecessary::Redact,
                    ..Ask::pc1000("superior-court")
                })
            },
        ),
        (
            "record dates outside the consent's data period",
            "42 CFR §2.31(a)(3)",
            Deny("outside_data_period"),
            |w| {
                let d = ConsentBuilder::pc1000(w).data_period(T0 - 400 * DAY, T0 - 100 * DAY);
                Setup::new(w).consent(d)?.ask(Ask::pc1000("superior-court"))
            },
        ),
        // --- Counseling notes -------------------------------------------------------------
        (
            "counseling notes under a general consent",
            "42 CFR §2.31(b)",
            Deny("counseling_notes_need_own_consent"),
            |w| {
                let d = provider_lead(w, "other-provider").tiers([Tier::T1, Tier::T2, Tier::T3]);
                Setup::new(w).consent(d)?.ask(Ask::new(
                    "treatment-provider",
                    "other-provider",
                    LEAD_PURPOSE.clone(),
                    Record::from(CounselingNote::new(date(T0 - DAY), "session note")),
                ))
            },
        ),
        (
            "counseling notes under their own consent",
            "42 CFR §2.31(b)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::counseling_notes(w))?
                    .ask(Ask::new(
                        "treatment-provider",
                        "other-provider",
                        CARE_PURPOSE.clone(),
                        Record::from(CounselingNote::new(date(T0 - DAY), "session note")),
                    ))
            },
        ),
        (
            "a consent combining counseling notes with other records is deficient",
            "42 CFR §2.31(b)",
            Refused("counseling notes"),
            |w| {
                let d = ConsentBuilder::pc1000(w)
                    .regime(Regime::Part2General)
                    .revocation(Revocability::AtWill)
                    .add_record_type(RecordType::CounselingNote);
                Setup::new(w).consent(d)?.ask(Ask::pc1000("superior-court"))
            },
        ),
        // --- LEAD (§2.31, revocable at will) -----------------------------------------------
        (
            "LEAD engagement update to the police LEAD unit carries no-adverse-action",
            "LEAD; 42 CFR §2.31",
            Permit,
            |w| {
                let out = Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .ask(Ask::lead())?;
                if let Outcome::Permit(p) = &out {
                    assert!(
                        p.obligations
                            .labels
                            .contains(&SecurityLabel::NO_ADVERSE_ACTION)
                    );
                    assert!(
                        p.obligations
                            .labels
                            .contains(&SecurityLabel::NO_CRIMINAL_USE)
                    );
                    assert!(p.obligations.labels.contains(&SecurityLabel::PART2));
                }
                Ok(out)
            },
        ),
        (
            "LEAD social-contact consent revoked at will",
            "42 CFR §2.31(a)(6)",
            Deny("revoked"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .revocation("c-lead-0007", T0 - DAY, &w.patient)?
                    .ask(Ask::lead())
            },
        ),
        (
            "an envelope issued before a revocation and opened after it stays lawful",
            "DOMAIN §5 (reliance)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .revocation("c-lead-0007", T0 + DAY, &w.patient)?
                    .ask(Ask::lead())
            },
        ),
        (
            "a new disclosure after the revocation is refused",
            "DOMAIN §5 (reliance)",
            Deny("revoked"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .revocation("c-lead-0007", T0 + DAY, &w.patient)?
                    .ask(Ask::lead().at(T0 + 2 * DAY))
            },
        ),
        (
            "a revocation recorded by the witnessing agency",
            "42 CFR §2.31(a)(6)",
            Deny("revoked"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .revocation("c-lead-0007", T0 - DAY, w.key("lead-case-manager"))?
                    .ask(Ask::lead())
            },
        ),
        (
            "a revocation signed by a stranger is refused",
            "DOMAIN §5 (signed statements)",
            Refused("does not list"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .revocation("c-lead-0007", T0 - DAY, &w.stranger)?
                    .ask(Ask::lead())
            },
        ),
        (
            "only an irrevocable regime may restrict revocation",
            "42 CFR §2.31(a)(6)",
            Refused("only a §2.35 consent"),
            |w| {
                let d = ConsentBuilder::lead(w).revocation(Revocability::RevocableAfter(Expiry {
                    date: Some(T0 + DAY),
                    event: None,
                }));
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        // --- Combining consents -----------------------------------------------------------
        (
            "two applicable consents where one denies (deny-overrides)",
            "spec/consent.md §7 (deny-overrides)",
            Deny("excluded"),
            |w| {
                let narrow = ConsentBuilder::pc1000(w)
                    .id("c-pc1000-da-limits")
                    .recipients([Party::Agency("district-attorney".into())])
                    .record_types([RecordType::Attendance])
                    .excluded_record_types([RecordType::DrugTest]);
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .consent(narrow)?
                    .ask(Ask::pc1000("district-attorney"))
            },
        ),
        (
            "an expired consent does not vote against a valid one",
            "DOMAIN §5 (deny-overrides counts only consents in force)",
            Permit,
            |w| {
                let old = ConsentBuilder::pc1000(w)
                    .id("c-pc1000-old")
                    .dated(T0 - 300 * DAY)
                    .expiry(Expiry {
                        date: Some(T0 - 100 * DAY),
                        event: None,
                    })
                    .record_types([RecordType::Attendance])
                    .excluded_record_types([RecordType::DrugTest]);
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .consent(old)?
                    .ask(Ask::pc1000("district-attorney"))
            },
        ),
        (
            "a superseded version no longer applies",
            "DOMAIN §3 (versions)",
            Deny("superseded"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .consent(pc1000_v2(w))?
                    .ask(Ask::pc1000("superior-court").relying_on("c-pc1000-0001"))
            },
        ),
        (
            "the superseding version applies",
            "DOMAIN §3 (versions)",
            Permit,
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .consent(pc1000_v2(w))?
                    .ask(Ask::pc1000("superior-court").relying_on("c-pc1000-0001-v2"))
            },
        ),
        (
            "a revocation of version 1 revokes its successor",
            "DOMAIN §3; 42 CFR §2.31(a)(6)",
            Deny("revoked"),
            |w| {
                let v2 = ConsentBuilder::lead(w).next_version("c-lead-0007-v2");
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .consent(v2)?
                    .revocation("c-lead-0007", T0 - DAY, &w.patient)?
                    .ask(Ask::lead().relying_on("c-lead-0007-v2"))
            },
        ),
        (
            "a post-dated revocation is refused (it could act after the irrevocable period)",
            "DOMAIN §5; 42 CFR §2.35(c)",
            Refused("after the current time"),
            |w| {
                let s = Setup::new(w).consent(ConsentBuilder::pc1000(w))?;
                let bytes = RevocationStatement {
                    consent_id: "c-pc1000-0001".into(),
                    revoked_at: T0 + 100 * DAY,
                    method: "written".into(),
                }
                .sign(&w.patient)
                .map_err(|e| format!("{e}"))?;
                let mut set = s.set;
                set.import_revocation(&bytes, &w.directory, T0)
                    .map_err(|e| format!("{e}"))?;
                Setup { w, set, dir: None }.ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "an at-will successor cannot replace an irrevocable §2.35 consent",
            "42 CFR §2.35(c)",
            Permit,
            |w| {
                let v2 = provider_lead(w, "superior-court")
                    .id("c-pc1000-0001-v2")
                    .version(2)
                    .supersedes("c-pc1000-0001");
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .consent(v2)?
                    .revocation("c-pc1000-0001-v2", T0 - DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court").relying_on("c-pc1000-0001"))
            },
        ),
        (
            "terminating diversion is not a final disposition",
            "42 CFR §2.35(c)",
            Permit,
            |w| {
                let bytes = CaseEvent {
                    case_ref: CASE.into(),
                    outcome: DispositionOutcome::DiversionTerminated,
                    effective_at: T0 - 10 * DAY,
                }
                .sign(w.key("superior-court"))
                .map_err(|e| format!("{e}"))?;
                let mut s = Setup::new(w).consent(ConsentBuilder::pc1000(w))?;
                s.set
                    .import_event(&bytes, &w.directory, T0)
                    .map_err(|e| format!("{e}"))?;
                s.revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "an agency matching only a discloser class cannot record a revocation",
            "42 CFR §2.31(a)(6)",
            Refused("does not list"),
            |w| {
                let d = ConsentBuilder::lead(w).add_discloser(Party::Role(Role::TreatmentProvider));
                Setup::new(w)
                    .consent(d)?
                    .revocation("c-lead-0007", T0 - DAY, w.key("other-provider"))?
                    .ask(Ask::lead())
            },
        ),
        (
            "a second consent reusing an id held for another participant is refused",
            "spec/consent.md §2 (consent ids)",
            Refused("already held"),
            |w| {
                let other = ConsentBuilder::lead(w).subject(Subject {
                    name: "Sam Other".into(),
                    date_of_birth: Date::parse("1990-01-01").expect("date"),
                });
                Setup::new(w)
                    .consent(ConsentBuilder::lead(w))?
                    .consent(other)?
                    .ask(Ask::lead())
            },
        ),
        (
            "an intermediary designated by class is deficient",
            "42 CFR §2.31(a)(4)",
            Refused("intermediary"),
            |w| {
                let d = ConsentBuilder::lead(w).add_recipient(Party::Role(Role::Intermediary));
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "a record without dates under a consent limited to a data period",
            "42 CFR §2.31(a)(3)",
            Deny("outside_data_period"),
            |w| {
                let d = ConsentBuilder::lead(w).data_period(T0 - 30 * DAY, T0 + 30 * DAY);
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "no consent at all: default deny",
            "42 CFR §2.33; spec/consent.md §7",
            Deny("no_consent"),
            |w| Setup::new(w).ask(Ask::pc1000("superior-court")),
        ),
        (
            "the relied-on consent is unknown",
            "spec/consent.md §7",
            Deny("unknown_consent"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("superior-court").relying_on("c-missing"))
            },
        ),
        // --- Signatures and identity ------------------------------------------------------
        (
            "a parent signs for a minor (representative's signature)",
            "42 CFR §2.14, §2.31(a)(8)",
            Permit,
            |w| {
                let d = ConsentBuilder::lead(w).patient_signer(w.parent_signer());
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "a representative who states no authority makes the consent deficient",
            "42 CFR §2.14-2.15",
            Refused("authority"),
            |w| {
                let d = ConsentBuilder::lead(w)
                    .edit(|d| d.signers[0].capacity = Capacity::Representative);
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "a wet-ink signature witnessed by the program",
            "42 CFR §2.31(a)(8)",
            Permit,
            |w| {
                let d = ConsentBuilder::lead(w).wet_ink(SourceDocument {
                    sha256: [0x5a; 32],
                    media_type: "application/pdf".into(),
                });
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "a forged consent signature (scope widened after signing)",
            "DOMAIN §5 (altered consents)",
            Refused("does not verify"),
            |w| {
                let d = ConsentBuilder::lead(w);
                let bytes = signed(w, d.clone())?;
                // Swap the signed payload for a wider one, keeping the signatures.
                let v = divex_core::testing::codec::decode(&bytes).unwrap();
                let mut msg =
                    divex_core::testing::cose::Sign::from_value(&v, true, &Default::default())
                        .unwrap();
                let wider = d.add_recipient(Party::Role(Role::Prosecutor)).build();
                msg.payload = divex_core::testing::codec::to_vec(&wider).unwrap();
                Setup::new(w)
                    .import(&msg.to_bytes(), &w.directory, T0)?
                    .ask(Ask::lead())
            },
        ),
        (
            "a consent missing its expiration is deficient when created",
            "42 CFR §2.31(a)(7)",
            Refused("expiration"),
            |w| {
                let d = ConsentBuilder::lead(w).expiry(Expiry {
                    date: None,
                    event: None,
                });
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "an expiry event that is not the consent's own case is deficient",
            "42 CFR §2.35(c)",
            Refused("own case"),
            |w| {
                let d = ConsentBuilder::pc1000(w).expiry_event(Some("CR-2019-000001"));
                Setup::new(w).consent(d)?.ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "a consent missing the patient's signature is deficient",
            "42 CFR §2.31(a)(8)",
            Refused("patient or an authorised representative"),
            |w| {
                let d = ConsentBuilder::lead(w).edit(|d| {
                    d.signers.remove(0);
                });
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "a consent for another participant",
            "42 CFR §2.31(a)(1)",
            Deny("other_participant"),
            |w| {
                Setup::new(w).consent(ConsentBuilder::lead(w))?.ask(Ask {
                    subject: Subject {
                        name: "Sam Other".into(),
                        date_of_birth: Date::parse("1990-01-01").expect("date"),
                    },
                    ..Ask::lead()
                })
            },
        ),
        (
            "the same participant named with different spacing and case",
            "42 CFR §2.31(a)(1)",
            Permit,
            |w| {
                Setup::new(w).consent(ConsentBuilder::lead(w))?.ask(Ask {
                    subject: Subject {
                        name: " jordan  avery REYES".into(),
                        date_of_birth: Date::parse("1994-03-14").expect("date"),
                    },
                    ..Ask::lead()
                })
            },
        ),
        // --- Part 2 scope -----------------------------------------------------------------
        (
            "a Part 2 program's records under a HIPAA authorisation",
            "42 CFR §2.2, §2.31",
            Deny("part2_consent_required"),
            |w| {
                let d = provider_lead(w, "other-provider")
                    .regime(Regime::Hipaa)
                    .record_types([RecordType::Attendance]);
                Setup::new(w).consent(d)?.ask(Ask::new(
                    "treatment-provider",
                    "other-provider",
                    LEAD_PURPOSE.clone(),
                    attendance(),
                ))
            },
        ),
        (
            "justice data (a referral) from the court under a state-law release",
            "DOMAIN §4 (CJ tier)",
            Permit,
            |w| {
                // The parties designated by role, not by id.
                let d = ConsentBuilder::state_release(w)
                    .disclosers([Party::Role(Role::Court)])
                    .recipients([Party::Role(Role::TreatmentProvider)])
                    .record_types([RecordType::Referral]);
                Setup::new(w).consent(d)?.ask(Ask::new(
                    "superior-court",
                    "treatment-provider",
                    REFERRAL_PURPOSE.clone(),
                    Record::from(
                        Referral::new(
                            "R-1",
                            ReferralSource::Pc1000Order,
                            "superior-court",
                            date(T0 - 3 * DAY),
                        )
                        .with_case_ref(CASE),
                    ),
                ))
            },
        ),
        // --- Certificates -----------------------------------------------------------------
        (
            "the witnessing agency's certificate is revoked",
            "spec/directory.md; DOMAIN §5",
            Refused("revoked"),
            |w| {
                let dir = directory_revoking(w, "lead-case-manager");
                Setup::new(w)
                    .import(&signed(w, ConsentBuilder::lead(w))?, &dir, T0)?
                    .ask(Ask::lead())
            },
        ),
        (
            "the recipient's certificate is revoked",
            "spec/directory.md §7",
            Refused("revoked"),
            |w| {
                let dir = directory_revoking(w, "superior-court");
                let set = Setup::new(w).consent(ConsentBuilder::pc1000(w))?.set;
                Setup {
                    w,
                    set,
                    dir: Some(&dir),
                }
                .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "the sender's certificate has expired",
            "spec/directory.md §7",
            Refused("expired"),
            |w| {
                Setup::new(w)
                    .consent(ConsentBuilder::pc1000(w))?
                    .ask(Ask::pc1000("superior-court").at(T0 + 4 * 365 * DAY))
            },
        ),
        (
            "a consent witnessed while the certificate was valid survives its expiry",
            "spec/consent.md §4; spec/directory.md",
            Permit,
            |w| {
                Setup::new(w)
                    .import(
                        &signed(w, ConsentBuilder::lead(w))?,
                        &w.directory,
                        T0 + 4 * 365 * DAY,
                    )?
                    .ask(Ask::lead())
            },
        ),
        (
            "a consent dated before the witness was certified is refused",
            "spec/consent.md §4",
            Refused("not valid when the consent was signed"),
            |w| {
                let d = ConsentBuilder::lead(w).dated(T0 - 400 * DAY);
                Setup::new(w).consent(d)?.ask(Ask::lead())
            },
        ),
        (
            "a rotated key: a consent witnessed with the old key still verifies",
            "spec/directory.md (rotation)",
            Permit,
            |w| {
                let mut dir = w.directory.clone();
                let new_keys = AgencyKeys::generate();
                let cert = w
                    .anchor
                    .issue(&CertificateRequest {
                        agency_id: "lead-case-manager".into(),
                        name: "lead case manager".into(),
                        roles: vec![Role::LeadCaseManager],
                        part2_program: false,
                        keys: new_keys.public().clone(),
                        not_before: T0 - DAY,
                        not_after: T0 + 3 * 365 * DAY,
                    })
                    .unwrap();
                dir.add_certificate(cert.as_bytes()).unwrap();
                assert_eq!(
                    dir.current_certificate("lead-case-manager", T0)
                        .unwrap()
                        .keys(),
                    new_keys.public()
                );
                Setup::new(w)
                    .import(&signed(w, ConsentBuilder::lead(w))?, &dir, T0)?
                    .ask(Ask::lead())
            },
        ),
        (
            "a second county's probation, pinned beside the first, does not receive under role:probation",
            "spec/directory.md §3.3 (roles across anchors)",
            Deny("recipient_not_named"),
            |w| {
                let dir = with_second_county(w);
                let setup = Setup {
                    dir: Some(&dir),
                    ..Setup::new(w).consent(ConsentBuilder::pc1000(w))?
                };
                setup.ask(Ask::pc1000("other-county-probation"))
            },
        ),
        (
            "the consent's own county's probation still receives with a second county pinned",
            "spec/directory.md §3.3 (roles across anchors)",
            Permit,
            |w| {
                let dir = with_second_county(w);
                let setup = Setup {
                    dir: Some(&dir),
                    ..Setup::new(w).consent(ConsentBuilder::pc1000(w))?
                };
                setup.ask(Ask::pc1000("probation"))
            },
        ),
        (
            "a disposition back-dated to 1970 is refused at import",
            "spec/consent.md §6.3 (date bounds)",
            Refused("more than 30 days before its import"),
            |w| {
                let d = ConsentBuilder::pc1000(w).expiry_event(None);
                Setup::new(w)
                    .consent(d)?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .disposition("superior-court", CASE, 0)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
        (
            "a disposition dated before the consent was signed does not end its irrevocable period",
            "42 CFR §2.35(c); spec/consent.md §6.3 (date bounds)",
            Permit,
            // Even admitted on a court order, a disposition dated 1970 cannot make a
            // revocation made during the irrevocable period effective.
            |w| {
                let d = ConsentBuilder::pc1000(w).expiry_event(None);
                Setup::new(w)
                    .consent(d)?
                    .revocation("c-pc1000-0001", T0 - 5 * DAY, &w.patient)?
                    .disposition_on_court_order(CASE, 0)?
                    .ask(Ask::pc1000("superior-court"))
            },
        ),
    ]
}

/// The world's directory with a second county's anchor pinned, which certifies its own
/// probation department, `other-county-probation`.
fn with_second_county(w: &World) -> Directory {
    let mut dir = w.directory.clone();
    let other = divex_core::directory::AnchorKeys::generate("other-county-justice-it").unwrap();
    dir.add_anchor(other.public()).unwrap();
    let cert = other
        .issue(&CertificateRequest {
            agency_id: "other-county-probation".into(),
            name: "Other County Probation".into(),
            roles: vec![Role::Probation],
            part2_program: false,
            keys: AgencyKeys::generate().public().clone(),
            not_before: T0 - DAY,
            not_after: T0 + 365 * DAY,
        })
        .unwrap();
    dir.add_certificate(cert.as_bytes()).unwrap();
    dir
}

#[test]
fn legal_scenario_table() {
    let w = World::new();
    let rows = rows();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let mut failures = Vec::new();
    for (situation, section, expect, f) in &rows {
        let got = run(&w, *f);
        let ok = match (expect, &got) {
            (Expect::Permit, Outcome::Permit(_)) => true,
            (Expect::Deny(code), Outcome::Deny(c)) => code == c,
            (Expect::Refused(needle), Outcome::Refused(msg)) => msg.contains(needle),
            _ => false,
        };
        let verdict = match &got {
            Outcome::Permit(_) => "permit".to_string(),
            Outcome::Deny(c) => format!("deny ({c})"),
            Outcome::Refused(m) => format!("refused ({m})"),
        };
        println!(
            "{:<4} {situation} [{section}] -> {verdict}",
            if ok { "ok" } else { "FAIL" }
        );
        if !ok {
            failures.push(format!("{situation}: expected {expect:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn part2_obligations_come_from_the_law() {
    // The PC 1000 consent lists no use restrictions; the permit still carries §2.12(d) and
    // the Part 2 label, the §2.35(d) redisclosure rule and the §2.32 notice.
    let w = World::new();
    let s = Setup::new(&w).consent(ConsentBuilder::pc1000(&w)).unwrap();
    let Outcome::Permit(p) = s.ask(Ask::pc1000("superior-court")).unwrap() else {
        panic!("expected a permit")
    };
    assert_eq!(
        p.obligations.labels,
        [
            "42CFRPart2",
            "no-criminal-use",
            "redisclosure-cj-official-duties"
        ]
    );
    assert_eq!(
        p.obligations.use_restrictions,
        [UseRestriction::NoCriminalUseAgainstPatient]
    );
    assert_eq!(
        p.obligations.redisclosure,
        Redisclosure::CjOfficialDutiesOnly
    );
    assert_eq!(p.obligations.notice, Some(NoticeForm::Short));
    assert!(p.obligations.attach_consent);
}

#[test]
fn a_patient_signing_with_the_witness_key_is_refused_when_signed() {
    // spec/consent.md §3.2 row 26a: the reuse is a `validate` rule with its own class,
    // checked after row 26 and before row 27, so `SignedConsent::sign` refuses it too.
    use divex_core::consent::{ConsentError, SignedConsent};
    let w = World::new();
    let d = ConsentBuilder::pc1000(&w)
        .edit(|d| d.signers[0].key = d.signers[1].key)
        .build();
    let keys: Vec<&dyn StatementSigner> = vec![w.key("treatment-provider")];
    assert_eq!(
        SignedConsent::sign(&d, &keys).unwrap_err(),
        ConsentError::SignerKeyReused
    );
    // A row 27 deficiency is not reached...
    let mut later = d.clone();
    later.expiry.event = Some(EventTrigger {
        case_ref: "CR-OTHER".into(),
    });
    assert_eq!(later.validate(), Err(ConsentError::SignerKeyReused));
    later.signers[0].key = Some(*w.patient.public().as_bytes());
    assert!(matches!(
        later.validate(),
        Err(ConsentError::Deficient {
            element: "expiration event",
            ..
        })
    ));
    // ...and a row 26 deficiency is reported first.
    let mut earlier = d.clone();
    earlier.signed_at = earlier.effective + 2 * DAY;
    assert!(matches!(
        earlier.validate(),
        Err(ConsentError::Deficient {
            element: "signature date",
            ..
        })
    ));
}

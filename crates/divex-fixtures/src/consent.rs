//! A builder for consent directives: start from a regime preset, override any element
//! fluently, then [`ConsentBuilder::build`] the directive or [`ConsentBuilder::sign`] it.
//!
//! The presets are the consents of the diversion story, dated relative to [`T0`] and signed by
//! the world's participant with the discloser as witness. `build` does not validate: tests
//! build deficient directives on purpose; `sign` validates, as `SignedConsent::sign` does.

use std::collections::BTreeMap;

use divex_core::consent::{
    Case, ConsentDirective, ConsentError, EventTrigger, Expiry, Information, Notice, NoticeForm,
    Party, Period, Redisclosure, Regime, Revocability, SignMethod, SignedConsent, Signer,
    SourceDocument, Subject, UseRestriction,
};
use divex_core::directory::Role;
use divex_core::records::{RecordType, Tier};
use divex_core::testing::{codec, json};
use divex_core::vocab::{FieldName, Purpose};

use crate::records::{minor_subject, subject};
use crate::{CARE_PURPOSE, CASE, CJ_PURPOSE, DAY, LEAD_PURPOSE, REFERRAL_PURPOSE, T0, World};

/// Builds a [`ConsentDirective`] from a regime preset.
///
/// ```
/// use divex_core::consent::{Party, SignedConsent};
/// use divex_fixtures::{ConsentBuilder, DAY, T0, World};
///
/// let w = World::new();
/// let d = ConsentBuilder::pc1000(&w)
///     .case("CR-2026-000999", "superior-court")
///     .add_recipient(Party::Agency("other-court".into()))
///     .dated(T0 - 2 * DAY)
///     .build();
/// assert_eq!(d.expiry.event.as_ref().map(|e| e.case_ref.as_str()), Some("CR-2026-000999"));
/// assert_eq!(d.recipients.len(), 4);
///
/// let signed = ConsentBuilder::lead(&w).sign(&w).unwrap();
/// let verified = SignedConsent::verify(signed.as_bytes(), &w.directory, T0).unwrap();
/// assert_eq!(verified.directive().id, "c-lead-0007");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentBuilder {
    directive: ConsentDirective,
}

/// What every preset shares: version 1 of a consent for the participant, signed by them and
/// witnessed electronically by `witness`, with the short notice attached to every disclosure.
/// Each preset states the rest.
fn common(w: &World, witness: &str) -> ConsentDirective {
    ConsentDirective {
        id: String::new(),
        version: 1,
        supersedes: None,
        regime: Regime::Part2General,
        regulatory_basis: vec!["42CFRPart2".into()],
        subject: subject(),
        disclosers: vec![Party::Agency(witness.into())],
        recipients: vec![],
        purposes: vec![],
        information: Information {
            record_types: vec![],
            fields: BTreeMap::new(),
            tiers: vec![],
            excluded_record_types: vec![],
            data_period: None,
            description: String::new(),
        },
        effective: T0,
        expiry: Expiry {
            date: None,
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
        signers: vec![w.patient_signer(), w.witness(witness)],
        source_document: None,
        signed_at: T0,
    }
}

fn agencies<const N: usize>(ids: [&str; N]) -> Vec<Party> {
    ids.iter().map(|id| Party::Agency((*id).into())).collect()
}

fn information(record_types: Vec<RecordType>, tiers: Vec<Tier>, description: &str) -> Information {
    Information {
        record_types,
        fields: BTreeMap::new(),
        tiers,
        excluded_record_types: vec![],
        data_period: None,
        description: description.into(),
    }
}

impl ConsentBuilder {
    /// The PC 1000 §2.35 consent `c-pc1000-0001`: treatment-provider → superior-court,
    /// district-attorney and probation (by role) to monitor the conditional release
    /// ([`CJ_PURPOSE`]); intake, enrollment, attendance, drug tests, progress and discharge
    /// (tiers T1, T2); for case [`CASE`] with superior-court as its authority, irrevocable until
    /// the case's final disposition, expiring at it or 540 days after [`T0`]; signed 30 days
    /// before [`T0`].
    pub fn pc1000(w: &World) -> ConsentBuilder {
        let case = || EventTrigger {
            case_ref: CASE.into(),
        };
        ConsentBuilder {
            directive: ConsentDirective {
                id: "c-pc1000-0001".into(),
                regime: Regime::Part2CriminalJustice,
                regulatory_basis: vec!["42CFRPart2".into(), "CA-PC-1000".into()],
                recipients: vec![
                    Party::Agency("superior-court".into()),
                    Party::Agency("district-attorney".into()),
                    Party::Role(Role::Probation),
                ],
                purposes: vec![CJ_PURPOSE.clone()],
                information: information(
                    vec![
                        RecordType::IntakeStatus,
                        RecordType::Enrollment,
                        RecordType::Attendance,
                        RecordType::DrugTest,
                        RecordType::ProgressReport,
                        RecordType::Discharge,
                    ],
                    vec![Tier::T1, Tier::T2],
                    "Attendance, drug test results and progress in the PC 1000 program",
                ),
                effective: T0 - 30 * DAY,
                expiry: Expiry {
                    date: Some(T0 + 540 * DAY),
                    event: Some(case()),
                },
                revocation: Revocability::RevocableAfter(Expiry {
                    date: None,
                    event: Some(case()),
                }),
                redisclosure: Redisclosure::CjOfficialDutiesOnly,
                case: Some(Case {
                    case_ref: CASE.into(),
                    authority: "superior-court".into(),
                }),
                signed_at: T0 - 30 * DAY,
                ..common(w, "treatment-provider")
            },
        }
    }

    /// The LEAD social-contact §2.31 consent `c-lead-0007`: lead-case-manager → the police
    /// LEAD unit for care coordination ([`LEAD_PURPOSE`]); LEAD status only (tiers T1, LEAD);
    /// revocable at will, no redisclosure, no adverse action; expiring 365 days after [`T0`];
    /// signed 10 days before [`T0`].
    pub fn lead(w: &World) -> ConsentBuilder {
        ConsentBuilder {
            directive: ConsentDirective {
                id: "c-lead-0007".into(),
                recipients: agencies(["police-lead-unit"]),
                purposes: vec![LEAD_PURPOSE.clone()],
                information: information(
                    vec![RecordType::LeadStatus],
                    vec![Tier::T1, Tier::Lead],
                    "Engagement with the LEAD case manager and barriers",
                ),
                effective: T0 - 10 * DAY,
                expiry: Expiry {
                    date: Some(T0 + 365 * DAY),
                    event: None,
                },
                use_restrictions: vec![UseRestriction::NoAdverseAction],
                signed_at: T0 - 10 * DAY,
                ..common(w, "lead-case-manager")
            },
        }
    }

    /// A §2.31(b) consent of its own for counseling notes, `c-notes-0001`:
    /// treatment-provider → other-provider for care coordination ([`CARE_PURPOSE`]);
    /// counseling notes only (tier T3); revocable at will, no redisclosure; expiring 365 days
    /// after [`T0`]; signed 10 days before [`T0`].
    pub fn counseling_notes(w: &World) -> ConsentBuilder {
        ConsentBuilder {
            directive: ConsentDirective {
                id: "c-notes-0001".into(),
                regime: Regime::Part2CounselingNotes,
                recipients: agencies(["other-provider"]),
                purposes: vec![CARE_PURPOSE.clone()],
                information: information(
                    vec![RecordType::CounselingNote],
                    vec![Tier::T3],
                    "The counselor's session notes, kept apart from the record",
                ),
                effective: T0 - 10 * DAY,
                expiry: Expiry {
                    date: Some(T0 + 365 * DAY),
                    event: None,
                },
                signed_at: T0 - 10 * DAY,
                ..common(w, "treatment-provider")
            },
        }
    }

    /// A §2.31 consent `c-minor-0003` for a minor ([`crate::minor_subject`]) signed by their
    /// parent ([`World::parent_signer`]): treatment-provider → probation for juvenile
    /// probation monitoring; enrollment and attendance (tier T1); revocable at will, no
    /// redisclosure; expiring 180 days after [`T0`]; signed 30 days before [`T0`].
    pub fn minor(w: &World) -> ConsentBuilder {
        let mut directive = ConsentDirective {
            id: "c-minor-0003".into(),
            subject: minor_subject(),
            recipients: agencies(["probation"]),
            purposes: vec![Purpose::from_static("juvenile-probation-monitoring")],
            information: information(
                vec![RecordType::Enrollment, RecordType::Attendance],
                vec![Tier::T1],
                "Enrollment and attendance in the adolescent outpatient program",
            ),
            effective: T0 - 30 * DAY,
            expiry: Expiry {
                date: Some(T0 + 180 * DAY),
                event: None,
            },
            signed_at: T0 - 30 * DAY,
            ..common(w, "treatment-provider")
        };
        if let Some(first) = directive.signers.first_mut() {
            *first = w.parent_signer();
        }
        ConsentBuilder { directive }
    }

    /// A state-law release (no Part 2 regime) `c-release-0001` for justice data flowing to
    /// treatment: superior-court → treatment-provider for the treatment referral
    /// ([`REFERRAL_PURPOSE`]); referral, court responses, court events and the case disposition
    /// (tier CJ); revocable at will, no redisclosure; expiring 540 days after [`T0`]; signed 30
    /// days before [`T0`], witnessed by the court.
    pub fn state_release(w: &World) -> ConsentBuilder {
        ConsentBuilder {
            directive: ConsentDirective {
                id: "c-release-0001".into(),
                regime: Regime::StateOnly,
                regulatory_basis: vec!["CA-PC-1000".into()],
                recipients: agencies(["treatment-provider"]),
                purposes: vec![REFERRAL_PURPOSE.clone()],
                information: information(
                    vec![
                        RecordType::Referral,
                        RecordType::CourtResponse,
                        RecordType::CourtEvent,
                        RecordType::CaseDisposition,
                    ],
                    vec![Tier::Cj],
                    "The PC 1000 referral, the court's responses and orders, and the case \
                     disposition",
                ),
                effective: T0 - 30 * DAY,
                expiry: Expiry {
                    date: Some(T0 + 540 * DAY),
                    event: None,
                },
                signed_at: T0 - 30 * DAY,
                ..common(w, "superior-court")
            },
        }
    }

    /// The directive as built so far.
    pub fn directive(&self) -> &ConsentDirective {
        &self.directive
    }

    /// The directive, unvalidated (a test may build a deficient one on purpose).
    pub fn build(self) -> ConsentDirective {
        self.directive
    }

    /// The directive as JSON, the form a foreign caller gives the bindings (byte strings as
    /// hex).
    ///
    /// # Panics
    ///
    /// If the directive cannot be encoded (it always can: it is made of encodable fields).
    pub fn json(&self) -> String {
        json::to_json_text(&codec::to_value(&self.directive).expect("an encodable directive"))
    }

    /// Validates the directive and signs it with the world's keys of its signers: the
    /// participant (or the parent) and the witnessing agency.
    pub fn sign(&self, w: &World) -> Result<SignedConsent, ConsentError> {
        w.sign(&self.directive)
    }

    /// Changes anything else in the directive.
    pub fn edit(mut self, f: impl FnOnce(&mut ConsentDirective)) -> Self {
        f(&mut self.directive);
        self
    }

    /// The id of this version.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.directive.id = id.into();
        self
    }

    /// The version number.
    pub fn version(mut self, version: u32) -> Self {
        self.directive.version = version;
        self
    }

    /// The id of the version this one supersedes.
    pub fn supersedes(mut self, id: impl Into<String>) -> Self {
        self.directive.supersedes = Some(id.into());
        self
    }

    /// The next version of this consent, with id `id`: its version is one higher and it
    /// supersedes the current id.
    pub fn next_version(mut self, id: impl Into<String>) -> Self {
        let previous = std::mem::replace(&mut self.directive.id, id.into());
        self.directive.supersedes = Some(previous);
        self.directive.version += 1;
        self
    }

    /// The regime.
    pub fn regime(mut self, regime: Regime) -> Self {
        self.directive.regime = regime;
        self
    }

    /// The regulatory basis codes.
    pub fn regulatory_basis<const N: usize>(mut self, codes: [&str; N]) -> Self {
        self.directive.regulatory_basis = codes.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// The participant (the signers are left as they are).
    pub fn subject(mut self, subject: Subject) -> Self {
        self.directive.subject = subject;
        self
    }

    /// Who may disclose (the witness is left as it is: see [`ConsentBuilder::witness`]).
    pub fn disclosers(mut self, parties: impl IntoIterator<Item = Party>) -> Self {
        self.directive.disclosers = parties.into_iter().collect();
        self
    }

    /// Adds a discloser.
    pub fn add_discloser(mut self, party: Party) -> Self {
        self.directive.disclosers.push(party);
        self
    }

    /// Who may receive.
    pub fn recipients(mut self, parties: impl IntoIterator<Item = Party>) -> Self {
        self.directive.recipients = parties.into_iter().collect();
        self
    }

    /// Adds a recipient.
    pub fn add_recipient(mut self, party: Party) -> Self {
        self.directive.recipients.push(party);
        self
    }

    /// The purposes.
    pub fn purposes(mut self, purposes: impl IntoIterator<Item = Purpose>) -> Self {
        self.directive.purposes = purposes.into_iter().collect();
        self
    }

    /// The permitted record types.
    pub fn record_types(mut self, types: impl IntoIterator<Item = RecordType>) -> Self {
        self.directive.information.record_types = types.into_iter().collect();
        self
    }

    /// Adds a permitted record type.
    pub fn add_record_type(mut self, record_type: RecordType) -> Self {
        self.directive.information.record_types.push(record_type);
        self
    }

    /// Allows only `fields` of `record_type` (the minimum-necessary allow-list).
    pub fn fields<const N: usize>(
        mut self,
        record_type: RecordType,
        fields: [&'static str; N],
    ) -> Self {
        self.directive
            .information
            .fields
            .insert(record_type, fields.map(FieldName::from_static).to_vec());
        self
    }

    /// The permitted tiers.
    pub fn tiers(mut self, tiers: impl IntoIterator<Item = Tier>) -> Self {
        self.directive.information.tiers = tiers.into_iter().collect();
        self
    }

    /// Adds a permitted tier.
    pub fn add_tier(mut self, tier: Tier) -> Self {
        self.directive.information.tiers.push(tier);
        self
    }

    /// The record types this consent expressly refuses.
    pub fn excluded_record_types(mut self, types: impl IntoIterator<Item = RecordType>) -> Self {
        self.directive.information.excluded_record_types = types.into_iter().collect();
        self
    }

    /// The period of treatment the information may come from.
    pub fn data_period(mut self, from: u64, to: u64) -> Self {
        self.directive.information.data_period = Some(Period { from, to });
        self
    }

    /// The description of the information, as on the signed form.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.directive.information.description = description.into();
        self
    }

    /// When it takes effect.
    pub fn effective(mut self, t: u64) -> Self {
        self.directive.effective = t;
        self
    }

    /// When it was signed.
    pub fn signed_at(mut self, t: u64) -> Self {
        self.directive.signed_at = t;
        self
    }

    /// Signed at `t` and in effect from then.
    pub fn dated(self, t: u64) -> Self {
        self.effective(t).signed_at(t)
    }

    /// When it expires.
    pub fn expiry(mut self, expiry: Expiry) -> Self {
        self.directive.expiry = expiry;
        self
    }

    /// The expiry date (`None`: none).
    pub fn expiry_date(mut self, t: Option<u64>) -> Self {
        self.directive.expiry.date = t;
        self
    }

    /// The expiry event: the final disposition of case `case_ref` (`None`: none).
    pub fn expiry_event(mut self, case_ref: Option<&str>) -> Self {
        self.directive.expiry.event = case_ref.map(|c| EventTrigger { case_ref: c.into() });
        self
    }

    /// How it may be revoked.
    pub fn revocation(mut self, revocation: Revocability) -> Self {
        self.directive.revocation = revocation;
        self
    }

    /// The redisclosure rule.
    pub fn redisclosure(mut self, rule: Redisclosure) -> Self {
        self.directive.redisclosure = rule;
        self
    }

    /// The use restrictions beyond those the law imposes.
    pub fn use_restrictions(
        mut self,
        restrictions: impl IntoIterator<Item = UseRestriction>,
    ) -> Self {
        self.directive.use_restrictions = restrictions.into_iter().collect();
        self
    }

    /// Whether the consent must travel with every disclosure (the notice's form is kept).
    pub fn attach_consent(mut self, attach: bool) -> Self {
        self.directive.notice.attach_consent = attach;
        self
    }

    /// The case `case_ref` with `authority` the agency whose disposition ends it; every event
    /// that ends the consent or its irrevocable period follows it to the new case.
    pub fn case(mut self, case_ref: &str, authority: &str) -> Self {
        let d = &mut self.directive;
        let triggers = [
            d.expiry.event.as_mut(),
            match &mut d.revocation {
                Revocability::RevocableAfter(e) => e.event.as_mut(),
                _ => None,
            },
        ];
        for trigger in triggers.into_iter().flatten() {
            trigger.case_ref = case_ref.into();
        }
        d.case = Some(Case {
            case_ref: case_ref.into(),
            authority: authority.into(),
        });
        self
    }

    /// The signers, in order.
    pub fn signers(mut self, signers: impl IntoIterator<Item = Signer>) -> Self {
        self.directive.signers = signers.into_iter().collect();
        self
    }

    /// The first signer: the participant, or who signs for them.
    pub fn patient_signer(self, signer: Signer) -> Self {
        self.replace_signer(0, signer)
    }

    /// The second signer: the witnessing agency (e.g. [`World::witness`]).
    pub fn witness(self, signer: Signer) -> Self {
        self.replace_signer(1, signer)
    }

    fn replace_signer(mut self, i: usize, signer: Signer) -> Self {
        match self.directive.signers.get_mut(i) {
            Some(s) => *s = signer,
            None => self.directive.signers.push(signer),
        }
        self
    }

    /// The participant signed the paper form in ink, witnessed by the program: the first
    /// signer signs with no key, and `document` identifies the scanned form.
    pub fn wet_ink(mut self, document: SourceDocument) -> Self {
        if let Some(s) = self.directive.signers.first_mut() {
            s.method = SignMethod::WetInkWitnessed;
            s.key = None;
        }
        self.directive.source_document = Some(document);
        self
    }
}

impl From<ConsentBuilder> for ConsentDirective {
    fn from(b: ConsentBuilder) -> ConsentDirective {
        b.build()
    }
}

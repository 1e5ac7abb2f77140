//! A world of certified agencies, a participant and the two consents of the diversion story
//! (PC 1000 §2.35 and LEAD §2.31), shared by the scenario table and end-to-end tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::BTreeMap;

use divex_core::consent::{
    AgencyFacts, Capacity, Case, ConsentDirective, EventTrigger, Expiry, Information, Notice,
    NoticeForm, Party, Redisclosure, Regime, Revocability, SignMethod, SignedConsent, Signer,
    StatementSigner, Subject, UseRestriction,
};
use divex_core::directory::{AgencyCertificate, AnchorKeys, CertificateRequest, Directory, Role};
use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::records::{
    Attendance, AttendanceStatus, Confirmation, Date, DrugTest, LeadEngagement, LeadStatus, Record,
    RecordType, ServiceType, Specimen, TestResult, Tier,
};
use divex_core::testing::{AgencyFactsExt, AnchorKeysExt, DateExt, PersonalKeyExt};
use divex_core::vocab::Purpose;

pub const DAY: u64 = 86_400;
/// 2026-09-21.
pub const T0: u64 = 1_790_000_000;
pub const CASE: &str = "CR-2026-001234";
pub static CJ_PURPOSE: Purpose = Purpose::from_static("cj-monitor-conditional-release");
pub static LEAD_PURPOSE: Purpose = Purpose::from_static("lead-care-coordination");

pub const AGENCIES: [(&str, Role, bool); 9] = [
    ("superior-court", Role::Court, false),
    ("other-court", Role::Court, false),
    ("district-attorney", Role::Prosecutor, false),
    ("probation", Role::Probation, false),
    ("treatment-provider", Role::TreatmentProvider, true),
    ("other-provider", Role::TreatmentProvider, true),
    ("police-lead-unit", Role::Police, false),
    ("lead-case-manager", Role::LeadCaseManager, false),
    ("rotated-provider", Role::TreatmentProvider, true),
];

/// The validity of the world's certificates: a year before [`T0`] to three years after it
/// ([`WorldBuilder::not_before`] starts one later).
pub const VALIDITY: (u64, u64) = (T0 - 365 * DAY, T0 + 3 * 365 * DAY);

/// The agencies, the directory and the people who sign.
#[allow(missing_debug_implementations)]
pub struct World {
    pub anchor: AnchorKeys,
    pub directory: Directory,
    pub keys: BTreeMap<&'static str, AgencyKeys>,
    /// Every certificate the anchor issued while building the world, in issue order.
    pub certificates: Vec<AgencyCertificate>,
    pub patient: PersonalKey,
    pub parent: PersonalKey,
    pub stranger: PersonalKey,
}

/// The [`crate::rng`] purposes a seeded world draws from, one stream per key and serial, so
/// that the world is the same byte for byte on every run whatever else is drawn.
///
/// An agency's keys are always [`crate::agency`]`(id)`, the keys of the envelope vectors.
#[derive(Debug, Clone, Copy)]
pub struct Seeds {
    /// The purpose of the anchor key's stream.
    pub anchor: &'static str,
    /// Prefix of a certificate serial's stream; the agency id follows it.
    pub serial: &'static str,
    /// Prefix of a person's stream; `patient`, `parent` or `stranger` follows it.
    pub person: &'static str,
}

/// Where a world's keys and certificate serials come from.
#[derive(Debug, Clone, Copy)]
enum Randomness {
    /// The operating system's CSPRNG: a fresh world every time.
    Os,
    /// One seeded stream per draw, named by [`Seeds`].
    Seeded(Seeds),
}

impl Randomness {
    fn anchor(self, name: &str) -> AnchorKeys {
        match self {
            Randomness::Os => AnchorKeys::generate(name),
            Randomness::Seeded(s) => AnchorKeys::generate_with_rng(name, &mut crate::rng(s.anchor)),
        }
        .expect("anchor")
    }

    fn agency(self, id: &str) -> AgencyKeys {
        match self {
            Randomness::Os => AgencyKeys::generate(),
            Randomness::Seeded(_) => crate::agency(id),
        }
    }

    fn issue(self, anchor: &AnchorKeys, request: &CertificateRequest) -> AgencyCertificate {
        match self {
            Randomness::Os => anchor.issue(request),
            Randomness::Seeded(s) => anchor.issue_with_rng(
                request,
                &mut crate::rng(&format!("{}{}", s.serial, request.agency_id)),
            ),
        }
        .expect("certificate")
    }

    fn person(self, who: &str) -> PersonalKey {
        match self {
            Randomness::Os => PersonalKey::generate(),
            Randomness::Seeded(s) => {
                PersonalKey::generate_with_rng(&mut crate::rng(&format!("{}{who}", s.person)))
            }
        }
    }
}

/// Builds a [`World`]: which agencies the anchor certifies, for how long, and whether the keys
/// come from the operating system or from fixed seeds. Starts from [`World::new`]'s choices:
/// the OS CSPRNG, the anchor `county-justice-it`, the nine [`AGENCIES`], [`VALIDITY`].
#[derive(Debug, Clone)]
pub struct WorldBuilder {
    randomness: Randomness,
    anchor_name: &'static str,
    agencies: Vec<(&'static str, Role, bool)>,
    /// Agencies whose certificate starts later than [`VALIDITY`]'s start.
    not_before: BTreeMap<&'static str, u64>,
}

impl Default for WorldBuilder {
    fn default() -> Self {
        WorldBuilder {
            randomness: Randomness::Os,
            anchor_name: "county-justice-it",
            agencies: AGENCIES.to_vec(),
            not_before: BTreeMap::new(),
        }
    }
}

impl WorldBuilder {
    /// Draws every key and serial from the seeded streams `seeds` names (see [`Seeds`]).
    pub fn seeded(mut self, seeds: Seeds) -> Self {
        self.randomness = Randomness::Seeded(seeds);
        self
    }

    /// The trust anchor's name.
    pub fn anchor_name(mut self, name: &'static str) -> Self {
        self.anchor_name = name;
        self
    }

    /// Also certifies agency `id` in `role` (`part2`: whether it is a Part 2 program).
    pub fn agency(mut self, id: &'static str, role: Role, part2: bool) -> Self {
        self.agencies.push((id, role, part2));
        self
    }

    /// Does not certify agency `id`.
    pub fn without(mut self, id: &str) -> Self {
        self.agencies.retain(|(a, ..)| *a != id);
        self
    }

    /// Starts agency `id`'s certificate at `t` instead of at the start of [`VALIDITY`].
    pub fn not_before(mut self, id: &'static str, t: u64) -> Self {
        self.not_before.insert(id, t);
        self
    }

    /// The anchor, the certified agencies in order, then the patient, the parent and the
    /// stranger.
    pub fn build(self) -> World {
        let r = self.randomness;
        let anchor = r.anchor(self.anchor_name);
        let mut directory = Directory::new();
        directory.add_anchor(anchor.public()).unwrap();
        let mut keys = BTreeMap::new();
        let mut certificates = Vec::new();
        for (id, role, part2) in self.agencies {
            let k = r.agency(id);
            let cert = r.issue(
                &anchor,
                &CertificateRequest {
                    agency_id: id.into(),
                    name: id.replace('-', " "),
                    roles: vec![role],
                    part2_program: part2,
                    keys: k.public().clone(),
                    not_before: self.not_before.get(id).copied().unwrap_or(VALIDITY.0),
                    not_after: VALIDITY.1,
                },
            );
            directory.add_certificate(cert.as_bytes()).unwrap();
            certificates.push(cert);
            keys.insert(id, k);
        }
        World {
            anchor,
            directory,
            keys,
            certificates,
            patient: r.person("patient"),
            parent: r.person("parent"),
            stranger: r.person("stranger"),
        }
    }
}

impl World {
    /// A fresh world from the operating system's CSPRNG (see [`WorldBuilder`] for the rest).
    pub fn new() -> World {
        World::builder().build()
    }

    /// A builder starting from [`World::new`]'s choices.
    pub fn builder() -> WorldBuilder {
        WorldBuilder::default()
    }

    /// The certificate the anchor issued to `id` while building the world.
    pub fn certificate(&self, id: &str) -> &AgencyCertificate {
        self.certificates
            .iter()
            .find(|c| c.agency_id() == id)
            .expect("certified agency")
    }

    pub fn key(&self, id: &str) -> &AgencyKeys {
        &self.keys[id]
    }

    pub fn facts(&self, id: &str, t: u64) -> AgencyFacts {
        AgencyFacts::from_certificate(self.directory.current_certificate(id, t).unwrap())
    }

    pub fn witness(&self, id: &str) -> Signer {
        Signer {
            capacity: Capacity::WitnessingAgency,
            name: id.replace('-', " "),
            method: SignMethod::Electronic,
            key: Some(*self.key(id).public().signing().as_bytes()),
            agency_id: Some(id.into()),
            authority: None,
        }
    }

    pub fn patient_signer(&self) -> Signer {
        Signer {
            capacity: Capacity::Patient,
            name: "Jordan Avery Reyes".into(),
            method: SignMethod::Electronic,
            key: Some(*self.patient.public().as_bytes()),
            agency_id: None,
            authority: None,
        }
    }

    /// Signs with the patient, the parent and every agency (each signer picks its key).
    pub fn sign(&self, d: &ConsentDirective) -> Result<Vec<u8>, String> {
        let mut signers: Vec<&dyn StatementSigner> = vec![&self.patient, &self.parent];
        for k in self.keys.values() {
            signers.push(k);
        }
        SignedConsent::sign(d, &signers)
            .map(|s| s.as_bytes().to_vec())
            .map_err(|e| format!("{e}"))
    }
}

pub fn subject() -> Subject {
    Subject {
        name: "Jordan Avery Reyes".into(),
        date_of_birth: Date::parse("1994-03-14").expect("date"),
    }
}

/// The PC 1000 §2.35 consent: provider → court, DA, probation; irrevocable until the final
/// disposition of the case.
pub fn pc1000(w: &World) -> ConsentDirective {
    ConsentDirective {
        id: "c-pc1000-0001".into(),
        version: 1,
        supersedes: None,
        regime: Regime::Part2CriminalJustice,
        regulatory_basis: vec!["42CFRPart2".into(), "CA-PC-1000".into()],
        subject: subject(),
        disclosers: vec![Party::Agency("treatment-provider".into())],
        recipients: vec![
            Party::Agency("superior-court".into()),
            Party::Agency("district-attorney".into()),
            Party::Role(Role::Probation),
        ],
        purposes: vec![CJ_PURPOSE.clone()],
        information: Information {
            record_types: vec![
                RecordType::IntakeStatus,
                RecordType::Enrollment,
                RecordType::Attendance,
                RecordType::DrugTest,
                RecordType::ProgressReport,
                RecordType::Discharge,
            ],
            fields: BTreeMap::new(),
            tiers: vec![Tier::T1, Tier::T2],
            excluded_record_types: vec![],
            data_period: None,
            description: "Attendance, drug test results and progress in the PC 1000 program".into(),
        },
        effective: T0 - 30 * DAY,
        expiry: Expiry {
            date: Some(T0 + 540 * DAY),
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
        signers: vec![w.patient_signer(), w.witness("treatment-provider")],
        source_document: None,
        signed_at: T0 - 30 * DAY,
    }
}

/// The LEAD social-contact §2.31 consent: case manager → police LEAD unit, revocable at will.
pub fn lead(w: &World) -> ConsentDirective {
    ConsentDirective {
        id: "c-lead-0007".into(),
        version: 1,
        supersedes: None,
        regime: Regime::Part2General,
        regulatory_basis: vec!["42CFRPart2".into()],
        subject: subject(),
        disclosers: vec![Party::Agency("lead-case-manager".into())],
        recipients: vec![Party::Agency("police-lead-unit".into())],
        purposes: vec![LEAD_PURPOSE.clone()],
        information: Information {
            record_types: vec![RecordType::LeadStatus],
            fields: BTreeMap::new(),
            tiers: vec![Tier::T1, Tier::Lead],
            excluded_record_types: vec![],
            data_period: None,
            description: "Engagement with the LEAD case manager and barriers".into(),
        },
        effective: T0 - 10 * DAY,
        expiry: Expiry {
            date: Some(T0 + 365 * DAY),
            event: None,
        },
        revocation: Revocability::AtWill,
        redisclosure: Redisclosure::Prohibited,
        use_restrictions: vec![UseRestriction::NoAdverseAction],
        notice: Notice {
            form: NoticeForm::Short,
            attach_consent: true,
        },
        case: None,
        signers: vec![w.patient_signer(), w.witness("lead-case-manager")],
        source_document: None,
        signed_at: T0 - 10 * DAY,
    }
}

pub fn date(t: u64) -> Date {
    Date::from_unix_seconds(t).unwrap()
}

pub fn drug_test() -> Record {
    Record::from(
        DrugTest::new(T0 - DAY, Specimen::Urine, true, "10-panel")
            .with_result("fentanyl", TestResult::Negative)
            .with_confirmation(Confirmation::NotRequired),
    )
}

pub fn attendance() -> Record {
    Record::from(Attendance::new(
        date(T0 - DAY),
        ServiceType::Group,
        AttendanceStatus::Present,
    ))
}

pub fn lead_status() -> Record {
    Record::from(LeadStatus::new(LeadEngagement::Engaged).with_contacts(3))
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

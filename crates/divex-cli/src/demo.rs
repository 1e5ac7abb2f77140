//! `divex demo`: a PC 1000 diversion case and a LEAD referral, played end to end with real
//! keys, signed consents, sealed envelopes and one SQLite ledger per agency (issue 4, item 3).
//!
//! The story runs on a simulated clock that starts on 2025-01-06 and moves forward a few days
//! per step; every core and ledger call takes that time as a parameter, so two runs print the
//! same timeline except for random keys, envelope ids and hashes. The dates lie in the past, and
//! the certificates stay valid for five years, so that the other subcommands accept what is
//! left in `--dir` today (`divex open` of a demo envelope then reports a replay: the demo
//! already recorded every receipt in the recipients' ledgers).
//!
//! The cast:
//!
//! * a trust anchor (`county-justice-it`) certifying six agencies: the superior court, the
//!   district attorney, probation, a certified treatment provider (a 42 CFR Part 2 program),
//!   a police LEAD unit and a LEAD case manager;
//! * three signed consents: a state-law release (CA PC 1000) for the court's justice data
//!   flowing to treatment, the participant's §2.35 criminal-justice consent (provider → court,
//!   DA, probation; irrevocable until the final disposition) and a §2.31 LEAD consent (case
//!   manager → police LEAD unit; revocable at will; no adverse action).
//!
//! Every disclosure goes through [`divex_core::disclosure::seal`] and
//! [`divex_core::disclosure::open`]; every send and every receipt is recorded in the ledgers
//! of the agencies involved; refusals print the consent engine's reason.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use divex_core::consent::{
    CaseEvent, ConsentError, ConsentSet, DispositionOutcome, Expiry, RevocationStatement, Subject,
    UseRestriction,
};
use divex_core::decision::{self, MinimumNecessary};
use divex_core::directory::{DirectoryError, Role};
use divex_core::disclosure::{self, ConsentCopy, DisclosureError, SealRequest};
use divex_core::envelope::{OpenError, SeenEnvelopes};
use divex_core::keys::AgencyKeys;
use divex_core::records::{
    AsamLevel, Attendance, AttendanceStatus, CaseDisposition, ClinicalDetail, ComplianceStatus,
    Confirmation, CourtResponse, Date, Discharge, DischargeReason, Disposition, DrugTest,
    Enrollment, LeadEngagement, LeadStatus, Moud, PhaseChange, PlanDomain, ProgramRecommendation,
    ProgressReport, RecommendedResponse, Record, RecordType, Referral, ReferralSource, ServiceType,
    Specimen, TestResult,
};
use divex_fixtures::{
    CJ_PURPOSE, ConsentBuilder, DAY, LEAD_PURPOSE, REFERRAL_PURPOSE, World, subject,
};
use divex_ledger::{Direction, Ledger};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::fsutil;
use crate::home::Home;
use crate::keystore::{self, KdfProfile};
use crate::passphrase;
use divex_core::envelope::OpenOptions;
use divex_core::error::Classified;
use divex_core::vocab::{Purpose, SecurityLabel};

/// The passphrase of the demo keystores when `DIVEX_PASSPHRASE` is not set. Public on
/// purpose: the demo's keys protect nothing.
pub const DEMO_PASSPHRASE: &str = "divex-demo";

/// 2025-01-06 09:00 UTC, the day the court grants diversion.
const START: u64 = 1_736_154_000;
const CASE: &str = "CR-2025-000417";
const ANCHOR: &str = "county-justice-it";

const RELEASE_ID: &str = "c-pc1000-release-0001";
const PC1000_ID: &str = "c-pc1000-0001";
const LEAD_ID: &str = "c-lead-0001";

const COURT: &str = "superior-court";
const DA: &str = "district-attorney";
const PROBATION: &str = "probation";
const PROVIDER: &str = "treatment-provider";
const POLICE: &str = "police-lead-unit";
const CASE_MANAGER: &str = "lead-case-manager";

/// One agency of the cast: directory id, short name for file names, display name, role,
/// and whether it is a 42 CFR Part 2 program.
struct Cast {
    id: &'static str,
    short: &'static str,
    name: &'static str,
    role: Role,
    part2_program: bool,
}

const CAST: [Cast; 6] = [
    Cast {
        id: COURT,
        short: "court",
        name: "Superior Court, drug court calendar",
        role: Role::Court,
        part2_program: false,
    },
    Cast {
        id: DA,
        short: "da",
        name: "Office of the District Attorney",
        role: Role::Prosecutor,
        part2_program: false,
    },
    Cast {
        id: PROBATION,
        short: "probation",
        name: "County Probation Department",
        role: Role::Probation,
        part2_program: false,
    },
    Cast {
        id: PROVIDER,
        short: "provider",
        name: "Harbor Recovery Services (certified PC 1211 program)",
        role: Role::TreatmentProvider,
        part2_program: true,
    },
    Cast {
        id: POLICE,
        short: "police",
        name: "Police Department LEAD Unit",
        role: Role::Police,
        part2_program: false,
    },
    Cast {
        id: CASE_MANAGER,
        short: "case-manager",
        name: "LEAD Case Management",
        role: Role::LeadCaseManager,
        part2_program: false,
    },
];

fn short_name(id: &str) -> &str {
    CAST.iter().find(|c| c.id == id).map_or(id, |c| c.short)
}

/// Runs the demo: sets up the cast in `dir` (or a temporary directory), plays the story, and
/// writes the timeline, the participant's accounting of disclosures and every ledger's
/// verification to `out` (as one JSON document with `json`).
///
/// A `dir` that exists must be empty: the demo never writes over files it did not create.
pub fn run(dir: Option<&Path>, json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let passphrase = Zeroizing::new(
        std::env::var(passphrase::ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| DEMO_PASSPHRASE.to_owned()),
    );
    match dir {
        Some(d) => {
            prepare_dir(d)?;
            let report = play(d, &passphrase)?;
            report.write(out, json, Some(d))
        }
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("divex-demo-")
                .tempdir()
                .map_err(|e| CliError::io(&std::env::temp_dir(), "a temporary directory", e))?;
            let report = play(tmp.path(), &passphrase)?;
            report.write(out, json, None)
        }
    }
}

/// Creates `d`, or checks that it is an empty directory.
fn prepare_dir(d: &Path) -> Result<(), CliError> {
    let problem = if !d.exists() {
        None
    } else if !d.is_dir() {
        Some("is not a directory")
    } else if fs::read_dir(d)
        .map_err(|e| CliError::io(d, "the demo directory", e))?
        .next()
        .is_some()
    {
        Some("is not empty")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(CliError::Usage(format!(
            "{} {problem}: the demo creates fresh keystores, ledgers and envelopes and never writes over files it did not make; give --dir a new or empty directory",
            d.display()
        )));
    }
    create_dir(d)
}

/// Sets up the cast under `root`, plays the story and collects what the report prints.
fn play(root: &Path, passphrase: &str) -> Result<Report, CliError> {
    let mut story = Story::set_up(Home::new(root), passphrase)?;
    story.play()?;
    story.finish()
}

// ---------------------------------------------------------------------------------------------
// The story

/// One agency: its own ledger and the consents, revocations and events it holds (its keys are
/// in the story's [`World`]).
struct Agency {
    cast: &'static Cast,
    ledger: Ledger,
    consents: ConsentSet,
}

/// What happened at one step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A consent, revocation or event was signed and handed to the agencies concerned.
    Signed,
    /// An envelope was sealed, sent, opened by every recipient and recorded in the ledgers.
    Sent,
    /// The consent engine refused.
    Refused,
    /// A signed statement was accepted but changes nothing.
    NoEffect,
    /// A signed statement took effect.
    InEffect,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Signed => "SIGNED",
            Outcome::Sent => "SENT",
            Outcome::Refused => "REFUSED",
            Outcome::NoEffect => "NO EFFECT",
            Outcome::InEffect => "IN EFFECT",
        }
    }
}

/// One line of the timeline.
struct Event {
    time: u64,
    actor: String,
    recipients: Vec<String>,
    outcome: Outcome,
    what: String,
    record_type: Option<&'static str>,
    consent_id: Option<String>,
    labels: Vec<String>,
    envelope: Option<String>,
    envelope_id: Option<String>,
    reason_code: Option<&'static str>,
    reason: Option<String>,
    notes: Vec<String>,
}

impl Event {
    fn new(time: u64, actor: &str, outcome: Outcome, what: impl Into<String>) -> Event {
        Event {
            time,
            actor: actor.to_owned(),
            recipients: Vec::new(),
            outcome,
            what: what.into(),
            record_type: None,
            consent_id: None,
            labels: Vec::new(),
            envelope: None,
            envelope_id: None,
            reason_code: None,
            reason: None,
            notes: Vec::new(),
        }
    }

    fn to(mut self, recipients: &[&str]) -> Event {
        self.recipients = recipients.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    fn note(mut self, note: impl Into<String>) -> Event {
        self.notes.push(note.into());
        self
    }
}

/// A disclosure to attempt.
struct Send<'a> {
    from: &'static str,
    to: &'a [&'static str],
    /// Short word for the envelope's file name, e.g. `attendance`.
    slug: &'static str,
    what: String,
    record: Record,
    purpose: &'static Purpose,
    consent_id: &'static str,
}

/// The agencies, the participant and the simulated clock.
struct Story {
    home: Home,
    /// The anchor, the certified cast with their keys, the directory and the participant's key
    /// (the shared fixtures' world, from the operating system's randomness).
    world: World,
    agencies: BTreeMap<&'static str, Agency>,
    subject: Subject,
    /// The simulated time, seconds since the Unix epoch.
    now: u64,
    /// Envelopes written so far (numbers the files).
    envelopes: u32,
    timeline: Vec<Event>,
    /// The discharge envelope, re-presented to the court to show replay detection.
    discharge: Option<Vec<u8>>,
}

fn agency<'a>(
    agencies: &'a BTreeMap<&'static str, Agency>,
    id: &str,
) -> Result<&'a Agency, CliError> {
    agencies.get(id).ok_or_else(|| unknown_agency(id))
}

fn agency_mut<'a>(
    agencies: &'a mut BTreeMap<&'static str, Agency>,
    id: &str,
) -> Result<&'a mut Agency, CliError> {
    agencies.get_mut(id).ok_or_else(|| unknown_agency(id))
}

/// Agency `id`'s keys.
fn keys<'a>(world: &'a World, id: &str) -> Result<&'a AgencyKeys, CliError> {
    world.keys.get(id).ok_or_else(|| unknown_agency(id))
}

fn unknown_agency(id: &str) -> CliError {
    DirectoryError::UnknownAgency {
        agency_id: id.to_owned(),
    }
    .into()
}

/// The calendar date of a simulated time (the story's dates are all in 2025).
fn date(t: u64) -> Result<Date, CliError> {
    Date::from_unix_seconds(t)
        .ok_or_else(|| CliError::Other("the simulated clock left the calendar".into()))
}

fn day(t: u64) -> String {
    Date::from_unix_seconds(t).map_or_else(|| t.to_string(), |d| d.to_string())
}

/// Creates `dir` and its parents, private to the user (a home holds keys and PHI).
fn create_dir(dir: &Path) -> Result<(), CliError> {
    fsutil::create_dir_private(dir).map_err(|e| CliError::io(dir, "a demo directory", e))
}

fn create_parent(path: &Path) -> Result<(), CliError> {
    path.parent().map_or(Ok(()), create_dir)
}

/// Writes a new file atomically (never over an existing one).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    fsutil::write_atomic(path, bytes, false)
        .map(|_| ())
        .map_err(|e| CliError::io(path, "a demo file", e))
}

impl Story {
    /// The trust anchor, the six certified agencies with their keystores and ledgers, and
    /// the directory file.
    fn set_up(home: Home, passphrase: &str) -> Result<Story, CliError> {
        let now = START;
        let world = CAST
            .iter()
            .fold(
                World::builder()
                    .anchor_name(ANCHOR)
                    .agencies(CAST.iter().map(|c| (c.id, c.role, c.part2_program)))
                    // Valid from a month before the story until five years after it, so that
                    // the envelopes left in --dir can be opened and verified today.
                    .validity(now - 36 * DAY, now + 5 * 365 * DAY),
                |world, c| world.named(c.id, c.name),
            )
            .try_build()?;
        let anchor_path = home.anchor_keystore(ANCHOR);
        create_parent(&anchor_path)?;
        keystore::create_anchor(&anchor_path, &world.anchor, passphrase, KdfProfile::Fast)?;

        let mut agencies = BTreeMap::new();
        for cast in &CAST {
            let keystore_path = home.keystore(cast.id);
            create_parent(&keystore_path)?;
            keystore::create_agency(
                &keystore_path,
                cast.id,
                keys(&world, cast.id)?,
                passphrase,
                KdfProfile::Fast,
            )?;
            create_dir(&home.consents_dir(cast.id))?;
            let ledger_path = home.ledger(cast.id);
            create_parent(&ledger_path)?;
            let ledger = Ledger::open(&ledger_path, cast.id)?;
            agencies.insert(
                cast.id,
                Agency {
                    cast,
                    ledger,
                    consents: ConsentSet::new(),
                },
            );
        }
        write_file(&home.directory_file(), &world.directory.to_bytes())?;
        create_dir(&home.envelopes_dir())?;
        Ok(Story {
            home,
            world,
            agencies,
            subject: subject(),
            now,
            envelopes: 0,
            timeline: Vec::new(),
            discharge: None,
        })
    }

    /// Moves the simulated clock forward.
    fn advance(&mut self, days: u64) {
        self.now += days * DAY;
    }

    fn push(&mut self, event: Event) {
        self.timeline.push(event);
    }

    /// The whole story, in order.
    fn play(&mut self) -> Result<(), CliError> {
        self.diversion_granted()?;
        self.intake_and_enrollment()?;
        self.attendance_and_drug_test()?;
        self.over_share_refused()?;
        self.early_revocation_has_no_effect()?;
        self.lead_engagement()?;
        self.progress_report()?;
        self.court_response()?;
        self.lead_update()?;
        self.discharge_completed()?;
        self.replay_refused()?;
        self.case_dismissed()?;
        self.participant_revokes()?;
        self.further_disclosure_refused()
    }

    // --- steps -------------------------------------------------------------------------------

    /// Day 0: the court grants PC 1000 diversion; the participant signs the state-law release
    /// for the court's referral, and the court refers them to the certified program.
    fn diversion_granted(&mut self) -> Result<(), CliError> {
        let release = self.release_directive();
        self.sign_consent(&release, &[COURT, PROVIDER])?;
        self.push(
            Event::new(
                self.now,
                "participant",
                Outcome::Signed,
                format!("state-law release {RELEASE_ID} (CA PC 1000), witnessed by the court"),
            )
            .to(&[COURT, PROVIDER])
            .note("covers justice data flowing to treatment: referral, court responses and orders, the disposition (tier CJ)")
            .note("a referral is justice data the court creates, not a record of a Part 2 program, so 42 CFR Part 2 does not require its consent; the participant's release under CA PC 1000 is the lawful basis")
        );
        let referral = Referral::new(
            "REF-2025-0117",
            ReferralSource::Pc1000Order,
            COURT,
            date(self.now)?,
        )
        .with_charge_ref("HS11350(a)")
        .with_intake_deadline(date(self.now + 14 * DAY)?)
        .with_case_ref(CASE);
        self.disclose(Send {
            from: COURT,
            to: &[PROVIDER],
            slug: "referral",
            what: format!(
                "referral: PC 1000 order on case {CASE}, charge HS11350(a), intake by {}",
                day(self.now + 14 * DAY)
            ),
            record: referral.into(),
            purpose: &REFERRAL_PURPOSE,
            consent_id: RELEASE_ID,
        })
    }

    /// Day 7: intake; the participant signs the §2.35 consent; the provider reports the
    /// enrollment to the court, the DA and probation.
    fn intake_and_enrollment(&mut self) -> Result<(), CliError> {
        self.advance(7);
        let consent = self.pc1000_directive();
        self.sign_consent(&consent, &[PROVIDER, COURT, DA, PROBATION])?;
        self.push(
            Event::new(
                self.now,
                "participant",
                Outcome::Signed,
                format!("PC 1000 consent {PC1000_ID} (42 CFR §2.35), witnessed by the provider"),
            )
            .to(&[PROVIDER, COURT, DA, PROBATION])
            .note("treatment-provider may disclose enrollment, attendance, drug tests, progress and discharge (tiers T1, T2) to the court, the DA and probation, to monitor the conditional release")
            .note(format!("irrevocable until the final disposition of {CASE} (§2.35(c)); expires {}", day(self.now + 540 * DAY))),
        );
        let enrollment =
            Enrollment::new("PC 1000 outpatient", AsamLevel::Level1_0, date(self.now)?)
                .with_expected_length_days(180)
                .with_phase(1);
        self.disclose(Send {
            from: PROVIDER,
            to: &[COURT, DA, PROBATION],
            slug: "enrollment",
            what: format!(
                "enrollment: PC 1000 outpatient, ASAM level 1.0, admitted {}, phase 1",
                day(self.now)
            ),
            record: enrollment.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })
    }

    /// Day 15: the first group session and drug test, reported to the court and probation.
    fn attendance_and_drug_test(&mut self) -> Result<(), CliError> {
        self.advance(8);
        let session = self.now - DAY;
        let attendance = Attendance::new(
            date(session)?,
            ServiceType::Group,
            AttendanceStatus::Present,
        )
        .with_hours_tenths(15)
        .with_cumulative_hours_tenths(45);
        self.disclose(Send {
            from: PROVIDER,
            to: &[COURT, PROBATION],
            slug: "attendance",
            what: format!(
                "attendance: group session {}, present, 1.5 h (4.5 h so far)",
                day(session)
            ),
            record: attendance.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })?;
        self.drug_test("drug-test")
    }

    /// A negative, observed urine test collected the day before, reported within 48 hours.
    fn drug_test(&mut self, slug: &'static str) -> Result<(), CliError> {
        let collected = self.now - DAY;
        let test = DrugTest::new(collected, Specimen::Urine, true, "10-panel")
            .with_result("fentanyl", TestResult::Negative)
            .with_result("amphetamines", TestResult::Negative)
            .with_result("opiates", TestResult::Negative)
            .with_confirmation(Confirmation::NotRequired);
        self.disclose(Send {
            from: PROVIDER,
            to: &[COURT, PROBATION],
            slug,
            what: format!(
                "drug test: observed urine collected {}, 10-panel, all negative",
                day(collected)
            ),
            record: test.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })
    }

    /// Day 18: clinical detail to the court is an over-share; the engine refuses to seal it.
    fn over_share_refused(&mut self) -> Result<(), CliError> {
        self.advance(3);
        let clinical = ClinicalDetail::new(["F11.20"])
            .with_as_of(date(self.now)?)
            .with_moud(Moud::Buprenorphine);
        self.disclose(Send {
            from: PROVIDER,
            to: &[COURT],
            slug: "clinical-detail",
            what: "clinical detail (diagnosis F11.20, buprenorphine) to the court: an over-share"
                .into(),
            record: clinical.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })
    }

    /// Day 21: the participant asks to revoke during the irrevocable period; the statement is
    /// accepted as signed but has no effect, then or later, and the next test still goes out.
    fn early_revocation_has_no_effect(&mut self) -> Result<(), CliError> {
        self.advance(3);
        let effect = self.revoke(PC1000_ID, &[PROVIDER, COURT, DA, PROBATION], "early")?;
        let event = Event::new(
            self.now,
            "participant",
            if effect.is_some() {
                Outcome::InEffect
            } else {
                Outcome::NoEffect
            },
            format!("revocation of {PC1000_ID}, signed with the participant's key"),
        )
        .to(&[PROVIDER, COURT, DA, PROBATION]);
        self.push(event.note(format!(
            "a §2.35 consent is irrevocable until the final disposition of {CASE} (§2.35(c)): the revocation has no effect, now or later"
        )));
        self.advance(1);
        self.drug_test("drug-test")
    }

    /// Day 36: a police social-contact referral to LEAD; the participant signs a §2.31
    /// consent and the case manager shares engagement with the police LEAD unit.
    fn lead_engagement(&mut self) -> Result<(), CliError> {
        self.advance(14);
        let consent = self.lead_directive();
        self.sign_consent(&consent, &[CASE_MANAGER, POLICE])?;
        self.push(
            Event::new(
                self.now,
                "participant",
                Outcome::Signed,
                format!("LEAD consent {LEAD_ID} (42 CFR §2.31), witnessed by the case manager"),
            )
            .to(&[CASE_MANAGER, POLICE])
            .note("after a social-contact referral by the police LEAD unit (no arrest, no case): engagement and barriers only, revocable at will, no adverse action"),
        );
        let status = LeadStatus::new(LeadEngagement::Engaged)
            .with_as_of(date(self.now)?)
            .with_contacts(3)
            .with_plan_domain(PlanDomain::Housing)
            .with_barrier("no phone");
        self.disclose(Send {
            from: CASE_MANAGER,
            to: &[POLICE],
            slug: "lead-status",
            what: "LEAD status: engaged, 3 contacts, plan domain housing, barrier \"no phone\""
                .into(),
            record: status.into(),
            purpose: &LEAD_PURPOSE,
            consent_id: LEAD_ID,
        })
    }

    /// Day 84: the provider's progress report to the court team.
    fn progress_report(&mut self) -> Result<(), CliError> {
        self.advance(48);
        let from = START + 7 * DAY;
        let to = self.now - 3 * DAY;
        let report = ProgressReport::new(date(from)?, date(to)?, ComplianceStatus::Compliant)
            .with_engagement("attends every group; every test negative")
            .with_goals_met(2)
            .with_recommended_response(RecommendedResponse::PhaseAdvance);
        self.disclose(Send {
            from: PROVIDER,
            to: &[COURT, DA, PROBATION],
            slug: "progress-report",
            what: format!(
                "progress report {} to {}: compliant, 2 goals met, recommends a phase advance",
                day(from),
                day(to)
            ),
            record: report.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })
    }

    /// Day 87: the court's response at the review hearing, back to the provider.
    fn court_response(&mut self) -> Result<(), CliError> {
        self.advance(3);
        let next = self.now + 60 * DAY;
        let response = CourtResponse::new(date(self.now)?)
            .with_phase_change(PhaseChange::Advance)
            .with_incentive("recognition in open court")
            .with_next_hearing(date(next)?);
        self.disclose(Send {
            from: COURT,
            to: &[PROVIDER],
            slug: "court-response",
            what: format!(
                "court response: phase advance, recognition in open court, next hearing {}",
                day(next)
            ),
            record: response.into(),
            purpose: &REFERRAL_PURPOSE,
            consent_id: RELEASE_ID,
        })
    }

    /// Day 98: a second LEAD update.
    fn lead_update(&mut self) -> Result<(), CliError> {
        self.advance(11);
        let status = LeadStatus::new(LeadEngagement::Engaged)
            .with_as_of(date(self.now)?)
            .with_contacts(7)
            .with_plan_domain(PlanDomain::Housing)
            .with_plan_domain(PlanDomain::Income);
        self.disclose(Send {
            from: CASE_MANAGER,
            to: &[POLICE],
            slug: "lead-status",
            what: "LEAD status: engaged, 7 contacts, plan domains housing and income".into(),
            record: status.into(),
            purpose: &LEAD_PURPOSE,
            consent_id: LEAD_ID,
        })
    }

    /// Day 189: the participant completes the program; discharge with a recommendation to
    /// dismiss.
    fn discharge_completed(&mut self) -> Result<(), CliError> {
        self.advance(91);
        let discharge = Discharge::new(date(self.now)?, DischargeReason::Completed)
            .with_program_recommendation(ProgramRecommendation::Dismiss);
        self.disclose(Send {
            from: PROVIDER,
            to: &[COURT, DA, PROBATION],
            slug: "discharge",
            what: "discharge: completed, exit conference held; the program recommends dismissal"
                .into(),
            record: discharge.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })
    }

    /// Day 190: the discharge envelope is presented to the court a second time; its ledger
    /// already holds the envelope id, so `open` refuses it as a replay.
    fn replay_refused(&mut self) -> Result<(), CliError> {
        self.advance(1);
        let Some(envelope) = self.discharge.clone() else {
            return Ok(());
        };
        let court = agency(&self.agencies, COURT)?;
        let seen: &dyn SeenEnvelopes = &court.ledger;
        let result = disclosure::open(
            &envelope,
            keys(&self.world, COURT)?,
            &self.world.directory,
            &court.consents,
            self.now,
            &OpenOptions {
                seen: Some(seen),
                ..OpenOptions::default()
            },
        );
        let mut event = Event::new(
            self.now,
            PROVIDER,
            Outcome::Refused,
            "the discharge envelope, delivered to the court a second time",
        )
        .to(&[COURT]);
        event.record_type = Some(RecordType::Discharge.as_str());
        match result {
            Err(e @ DisclosureError::Envelope(OpenError::Replay { .. })) => {
                event.reason_code = Some("replay");
                event.reason = Some(e.to_string());
            }
            Err(e) => return Err(e.into()),
            Ok(_) => {
                event.outcome = Outcome::Sent;
                event = event.note("unexpectedly opened a second time");
            }
        }
        self.push(event.note("the court's ledger already holds this envelope id"));
        Ok(())
    }

    /// Day 203: the court dismisses the case and signs the disposition; every agency on the
    /// case imports it, which ends the §2.35 consent's irrevocable period.
    fn case_dismissed(&mut self) -> Result<(), CliError> {
        self.advance(13);
        let bytes = CaseEvent {
            case_ref: CASE.into(),
            outcome: DispositionOutcome::Dismissed,
            effective_at: self.now,
        }
        .sign(keys(&self.world, COURT)?)?;
        let holders = [COURT, DA, PROBATION, PROVIDER];
        for id in holders {
            let a = agency_mut(&mut self.agencies, id)?;
            a.consents
                .import_event(&bytes, &self.world.directory, self.now)?;
            write_file(
                &self
                    .home
                    .consents_dir(id)
                    .join(format!("{CASE}-dismissed.event.cose")),
                &bytes,
            )?;
        }
        self.push(
            Event::new(
                self.now,
                COURT,
                Outcome::Signed,
                format!("final disposition of {CASE}: dismissed (a signed case event)"),
            )
            .to(&[DA, PROBATION, PROVIDER])
            .note(format!("the court is the authority for {CASE}, so its signed disposition counts"))
            .note(format!("{PC1000_ID} is now revocable: §2.35(c) caps irrevocability at the final disposition")),
        );
        let disposition = CaseDisposition::new(CASE, date(self.now)?, Disposition::Dismissed, true);
        self.disclose(Send {
            from: COURT,
            to: &[PROVIDER],
            slug: "case-disposition",
            what: format!("case disposition: {CASE} dismissed, final"),
            record: disposition.into(),
            purpose: &REFERRAL_PURPOSE,
            consent_id: RELEASE_ID,
        })
    }

    /// Day 210: the participant revokes the §2.35 consent; now it takes effect.
    fn participant_revokes(&mut self) -> Result<(), CliError> {
        self.advance(7);
        let effect = self.revoke(PC1000_ID, &[PROVIDER, COURT, DA, PROBATION], "final")?;
        let mut event = Event::new(
            self.now,
            "participant",
            if effect.is_some() {
                Outcome::InEffect
            } else {
                Outcome::NoEffect
            },
            format!("revocation of {PC1000_ID}, signed with the participant's key"),
        )
        .to(&[PROVIDER, COURT, DA, PROBATION]);
        if let Some(at) = effect {
            event = event.note(format!(
                "revoked as of {}: no new disclosure may rely on it; envelopes sealed before stay lawful to open (reliance)",
                day(at)
            ));
        }
        self.push(event);
        Ok(())
    }

    /// Day 217: the provider tries to report an aftercare session; refused, the consent was
    /// revoked.
    fn further_disclosure_refused(&mut self) -> Result<(), CliError> {
        self.advance(7);
        let session = self.now - DAY;
        let attendance = Attendance::new(
            date(session)?,
            ServiceType::Group,
            AttendanceStatus::Present,
        )
        .with_hours_tenths(15);
        self.disclose(Send {
            from: PROVIDER,
            to: &[PROBATION],
            slug: "aftercare-attendance",
            what: format!("attendance: aftercare group {}", day(session)),
            record: attendance.into(),
            purpose: &CJ_PURPOSE,
            consent_id: PC1000_ID,
        })
    }

    // --- mechanics ---------------------------------------------------------------------------

    /// Seals `s`; if the engine permits, writes the envelope, has every recipient open it and
    /// records the send and each receipt in the ledgers. A refusal is a timeline entry, not
    /// an error.
    fn disclose(&mut self, s: Send<'_>) -> Result<(), CliError> {
        let record_type = s.record.record_type().as_str();
        let request = SealRequest {
            recipients: s.to,
            subject: &self.subject,
            purpose: s.purpose,
            consent_id: s.consent_id,
            record: &s.record,
            minimum_necessary: MinimumNecessary::Refuse,
            consent_copy: ConsentCopy::Attach,
        };
        let sender = agency(&self.agencies, s.from)?;
        let mut event = Event::new(self.now, s.from, Outcome::Sent, s.what).to(s.to);
        event.record_type = Some(record_type);
        event.consent_id = Some(s.consent_id.to_owned());
        let sealed = match disclosure::seal(
            keys(&self.world, s.from)?,
            &self.world.directory,
            &sender.consents,
            &request,
            self.now,
        ) {
            Ok(sealed) => sealed,
            Err(DisclosureError::Denied { recipient, reason }) => {
                event.outcome = Outcome::Refused;
                event.reason_code = Some(reason.class());
                event.reason = Some(format!("disclosure to {recipient} refused: {reason}"));
                self.push(event.note("nothing was sealed, sent or recorded"));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        agency_mut(&mut self.agencies, s.from)?
            .ledger
            .record_sent(&sealed, self.now)?;

        self.envelopes += 1;
        let recipients: Vec<&str> = s.to.iter().map(|r| short_name(r)).collect();
        let file = format!(
            "{:02}-{}-{}-to-{}.envelope.cose",
            self.envelopes,
            short_name(s.from),
            s.slug,
            recipients.join("-")
        );
        write_file(&self.home.envelopes_dir().join(&file), &sealed.envelope)?;

        let mut restrictions = Vec::new();
        for r in s.to {
            let a = agency_mut(&mut self.agencies, r)?;
            let seen: &dyn SeenEnvelopes = &a.ledger;
            let received = disclosure::open(
                &sealed.envelope,
                keys(&self.world, r)?,
                &self.world.directory,
                &a.consents,
                self.now,
                &OpenOptions {
                    seen: Some(seen),
                    ..OpenOptions::default()
                },
            )?;
            a.ledger.record_received(&received, self.now)?;
            restrictions = received
                .permit
                .obligations
                .use_restrictions
                .iter()
                .map(|u| restriction_words(*u))
                .collect();
        }
        if record_type == RecordType::Discharge.as_str() {
            self.discharge = Some(sealed.envelope.clone());
        }
        event.labels = sealed
            .metadata
            .disclosure
            .labels
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect();
        event.envelope = Some(format!("envelopes/{file}"));
        event.envelope_id = Some(sealed.metadata.envelope_id.to_hex());
        // Part 2 records travel with the §2.32 notice; justice data under a state-law release
        // does not need one.
        let checked = if sealed
            .metadata
            .disclosure
            .labels
            .contains(&SecurityLabel::PART2)
        {
            "sender, consent copy and §2.32 notice verified"
        } else {
            "sender and consent copy verified"
        };
        let mut note = format!(
            "opened by {}: {checked}; recorded in the sender's and every recipient's ledger",
            s.to.join(", ")
        );
        if !restrictions.is_empty() {
            note.push_str(&format!("; use restricted: {}", restrictions.join(", ")));
        }
        self.push(event.note(note));
        Ok(())
    }

    /// Signs `consent` with the participant's key and the witnessing agency's key, gives it
    /// to `holders` and files it in their consent folders.
    fn sign_consent(&mut self, consent: &ConsentBuilder, holders: &[&str]) -> Result<(), CliError> {
        let signed = consent.sign(&self.world)?;
        let id = &consent.directive().id;
        for holder in holders {
            let a = agency_mut(&mut self.agencies, holder)?;
            a.consents
                .import_consent(signed.as_bytes(), &self.world.directory, self.now)?;
            write_file(
                &self
                    .home
                    .consents_dir(holder)
                    .join(format!("{id}.consent.cose")),
                signed.as_bytes(),
            )?;
        }
        Ok(())
    }

    /// The participant signs a revocation of `consent_id` dated now; `holders` import it.
    /// Returns when it took effect, as the provider's consent engine sees it (`None`: no
    /// effect).
    fn revoke(
        &mut self,
        consent_id: &str,
        holders: &[&str],
        tag: &str,
    ) -> Result<Option<u64>, CliError> {
        let bytes = RevocationStatement {
            consent_id: consent_id.to_owned(),
            revoked_at: self.now,
            method: "written".into(),
        }
        .sign(&self.world.patient)?;
        for id in holders {
            let a = agency_mut(&mut self.agencies, id)?;
            a.consents
                .import_revocation(&bytes, &self.world.directory, self.now)?;
            write_file(
                &self
                    .home
                    .consents_dir(id)
                    .join(format!("{consent_id}-{tag}.revocation.cose")),
                &bytes,
            )?;
        }
        let provider = agency(&self.agencies, PROVIDER)?;
        let consent =
            provider
                .consents
                .get(consent_id)
                .ok_or_else(|| ConsentError::ConsentNotHeld {
                    consent_id: consent_id.to_owned(),
                })?;
        Ok(
            decision::revoked_at(consent, &decision::Facts::from(&provider.consents))
                .filter(|t| *t == self.now),
        )
    }

    // --- consents ----------------------------------------------------------------------------

    /// The state-law release for justice data flowing to treatment (tier CJ). Such records
    /// do not come from a Part 2 program, so Part 2 does not require its consent for them; a
    /// non-§2.35 release is revocable at will.
    fn release_directive(&self) -> ConsentBuilder {
        ConsentBuilder::state_release(&self.world)
            .id(RELEASE_ID)
            .dated(self.now)
            .expiry_date(Some(self.now + 540 * DAY))
    }

    /// The PC 1000 §2.35 consent: provider → court, DA, probation; irrevocable until the
    /// court's signed final disposition; expires after 18 months, the longest a PC 1000
    /// program may run. It deliberately does not expire at the disposition, so that the
    /// participant's revocation, not an expiry, is what ends it in the story.
    fn pc1000_directive(&self) -> ConsentBuilder {
        ConsentBuilder::pc1000(&self.world)
            .case(CASE, COURT)
            .dated(self.now)
            .expiry(Expiry {
                date: Some(self.now + 540 * DAY),
                event: None,
            })
            .description(
                "Enrollment, attendance, drug test results, progress and discharge in the \
                 PC 1000 program",
            )
    }

    /// The LEAD §2.31 consent: case manager → police LEAD unit; revocable at will; nothing
    /// shared may be used for adverse action.
    fn lead_directive(&self) -> ConsentBuilder {
        ConsentBuilder::lead(&self.world)
            .id(LEAD_ID)
            .dated(self.now)
            .expiry_date(Some(self.now + 365 * DAY))
    }

    // --- the end -----------------------------------------------------------------------------

    /// Signs a checkpoint in every ledger, then reads the accountings and verifies every
    /// ledger.
    fn finish(mut self) -> Result<Report, CliError> {
        for (id, a) in self.agencies.iter_mut() {
            a.ledger.checkpoint(keys(&self.world, id)?, self.now)?;
        }
        // §2.24: the disclosures made under consent in the last three years.
        let from = self.now.saturating_sub(3 * 365 * DAY);
        let to = self.now + DAY;
        let mut accounting = Vec::new();
        for id in [PROVIDER, CASE_MANAGER] {
            let a = agency(&self.agencies, id)?;
            let rows = a
                .ledger
                .accounting(&self.subject, from, to)?
                .into_iter()
                .filter(|e| e.direction == Direction::Sent)
                .map(|e| AccountingRow {
                    time: e.time,
                    recipient: e.counterparty.clone(),
                    description: e
                        .record_types
                        .iter()
                        .map(|t| describe(t))
                        .collect::<Vec<_>>()
                        .join("; "),
                    purpose: e.purpose.clone(),
                    consent_id: e.consent_id.clone(),
                })
                .collect();
            accounting.push((id, rows));
        }
        let mut ledgers = Vec::new();
        for cast in &CAST {
            let a = agency(&self.agencies, cast.id)?;
            let report = a
                .ledger
                .verify(keys(&self.world, cast.id)?.public().signing())?;
            ledgers.push(LedgerRow {
                agency: a.cast.id,
                entries: report.entries,
                checkpoints: report.checkpoints,
                head: hex(&report.head),
            });
        }
        Ok(Report {
            subject: self.subject,
            timeline: self.timeline,
            accounting,
            ledgers,
        })
    }
}

fn restriction_words(u: UseRestriction) -> &'static str {
    match u {
        UseRestriction::NoCriminalUseAgainstPatient => "no-criminal-use (§2.12(d))",
        UseRestriction::NoAdverseAction => "no-adverse-action (LEAD)",
    }
}

/// "Drug test (drug_test)" for the accounting's description column.
fn describe(record_type: &str) -> String {
    let words = match RecordType::parse(record_type) {
        Some(RecordType::Referral) => "Referral",
        Some(RecordType::IntakeStatus) => "Intake status",
        Some(RecordType::Enrollment) => "Enrollment",
        Some(RecordType::Attendance) => "Attendance",
        Some(RecordType::DrugTest) => "Drug test result",
        Some(RecordType::ProgressReport) => "Progress report",
        Some(RecordType::CourtResponse) => "Court response",
        Some(RecordType::CourtEvent) => "Court event",
        Some(RecordType::Discharge) => "Discharge",
        Some(RecordType::CaseDisposition) => "Case disposition",
        Some(RecordType::LeadStatus) => "LEAD engagement status",
        Some(RecordType::ClinicalDetail) => "Clinical detail",
        Some(RecordType::CounselingNote) => "Counseling note",
        None => return record_type.to_owned(),
    };
    format!("{words} ({record_type})")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// The report

struct AccountingRow {
    time: u64,
    recipient: String,
    description: String,
    purpose: String,
    consent_id: String,
}

struct LedgerRow {
    agency: &'static str,
    entries: u64,
    checkpoints: u64,
    head: String,
}

/// Everything the demo prints.
struct Report {
    subject: Subject,
    timeline: Vec<Event>,
    accounting: Vec<(&'static str, Vec<AccountingRow>)>,
    ledgers: Vec<LedgerRow>,
}

const NOTE: &str = "demo keystores use a fast KDF and a public passphrase (\"divex-demo\" unless DIVEX_PASSPHRASE is set); they are for demonstration only";

impl Report {
    fn write(&self, out: &mut dyn Write, json: bool, dir: Option<&Path>) -> Result<(), CliError> {
        if json {
            serde_json::to_writer_pretty(&mut *out, &self.to_json(dir))
                .map_err(std::io::Error::from)?;
            writeln!(out)?;
            return Ok(());
        }
        self.write_text(out, dir)
    }

    fn write_text(&self, out: &mut dyn Write, dir: Option<&Path>) -> Result<(), CliError> {
        writeln!(
            out,
            "divex demo: a PC 1000 diversion and a LEAD referral, end to end"
        )?;
        writeln!(out, "note: {NOTE}.")?;
        writeln!(out)?;
        writeln!(out, "Setup")?;
        writeln!(out, "  trust anchor  {ANCHOR}")?;
        for (i, c) in CAST.iter().enumerate() {
            let label = if i == 0 { "agencies" } else { "" };
            let part2 = if c.part2_program {
                ", Part 2 program"
            } else {
                ""
            };
            writeln!(
                out,
                "  {label:<12}  {:<20} {}{part2}: {}",
                c.id,
                c.role.as_str(),
                c.name
            )?;
        }
        writeln!(
            out,
            "  participant   {}, born {}; case {CASE}",
            self.subject.name, self.subject.date_of_birth
        )?;
        match dir {
            Some(d) => writeln!(out, "  files         {}", d.display())?,
            None => writeln!(
                out,
                "  files         a temporary directory, removed at the end (use --dir DIR to keep them)"
            )?,
        }

        writeln!(out)?;
        writeln!(out, "Timeline")?;
        for e in &self.timeline {
            write_event(out, e)?;
        }

        for (agency, rows) in &self.accounting {
            writeln!(out)?;
            writeln!(
                out,
                "Accounting of disclosures for {} (42 CFR §2.24), from the {agency} ledger",
                self.subject.name
            )?;
            writeln!(
                out,
                "  {:<10}  {:<18}  {:<36}  purpose",
                "date", "recipient", "description (record types)"
            )?;
            for r in rows {
                writeln!(
                    out,
                    "  {:<10}  {:<18}  {:<36}  {}",
                    day(r.time),
                    r.recipient,
                    r.description,
                    r.purpose
                )?;
            }
        }

        writeln!(out)?;
        writeln!(out, "Ledger verification (divex ledger verify)")?;
        writeln!(
            out,
            "  {:<20}  {:>7}  {:>11}  head",
            "agency", "entries", "checkpoints"
        )?;
        for l in &self.ledgers {
            writeln!(
                out,
                "  {:<20}  {:>7}  {:>11}  {}…  ok",
                l.agency,
                l.entries,
                l.checkpoints,
                l.head.get(..16).unwrap_or(&l.head)
            )?;
        }
        if let Some(d) = dir {
            writeln!(out)?;
            let home = d.display();
            writeln!(out, "Everything stays in {home}. Try:")?;
            writeln!(
                out,
                "  divex --home {home} ledger verify --agency {PROVIDER}"
            )?;
            writeln!(
                out,
                "  divex --home {home} ledger accounting --agency {PROVIDER} --subject-name \"{}\" --subject-dob {}",
                self.subject.name, self.subject.date_of_birth
            )?;
            writeln!(
                out,
                "  divex inspect {}",
                Home::new(d)
                    .envelopes_dir()
                    .join(first_envelope(&self.timeline))
                    .display()
            )?;
        }
        Ok(())
    }

    fn to_json(&self, dir: Option<&Path>) -> Value {
        let agencies: Vec<Value> = CAST
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "name": c.name,
                    "role": c.role.as_str(),
                    "part2_program": c.part2_program,
                })
            })
            .collect();
        let timeline: Vec<Value> = self.timeline.iter().map(event_json).collect();
        let accounting: serde_json::Map<String, Value> = self
            .accounting
            .iter()
            .map(|(agency, rows)| {
                let rows: Vec<Value> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "date": day(r.time),
                            "time": r.time,
                            "recipient": r.recipient,
                            "description": r.description,
                            "purpose": r.purpose,
                            "consent_id": r.consent_id,
                        })
                    })
                    .collect();
                ((*agency).to_owned(), Value::Array(rows))
            })
            .collect();
        let ledgers: Vec<Value> = self
            .ledgers
            .iter()
            .map(|l| {
                json!({
                    "agency": l.agency,
                    "ok": true,
                    "entries": l.entries,
                    "checkpoints": l.checkpoints,
                    "head": l.head,
                })
            })
            .collect();
        json!({
            "note": NOTE,
            "dir": dir.map(|d| d.display().to_string()),
            "trust_anchor": ANCHOR,
            "agencies": agencies,
            "participant": {
                "name": self.subject.name,
                "date_of_birth": self.subject.date_of_birth,
            },
            "case": CASE,
            "timeline": timeline,
            "accounting": accounting,
            "ledgers": ledgers,
        })
    }
}

fn first_envelope(timeline: &[Event]) -> String {
    timeline
        .iter()
        .find_map(|e| e.envelope.as_deref())
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

fn write_event(out: &mut dyn Write, e: &Event) -> Result<(), CliError> {
    let arrow = if e.recipients.is_empty() {
        String::new()
    } else {
        format!(" → {}", e.recipients.join(", "))
    };
    writeln!(
        out,
        "  {}  {:<9}  {}{arrow}",
        day(e.time),
        e.outcome.as_str(),
        e.actor
    )?;
    const PAD: &str = "                         ";
    writeln!(out, "{PAD}{}", e.what)?;
    if let Some(c) = &e.consent_id {
        writeln!(out, "{PAD}consent   {c}")?;
    }
    if !e.labels.is_empty() {
        writeln!(out, "{PAD}labels    {}", e.labels.join(", "))?;
    }
    if let Some(f) = &e.envelope {
        writeln!(out, "{PAD}envelope  {f}")?;
    }
    if let (Some(code), Some(reason)) = (e.reason_code, &e.reason) {
        writeln!(out, "{PAD}reason    [{code}] {reason}")?;
    }
    for n in &e.notes {
        writeln!(out, "{PAD}· {n}")?;
    }
    Ok(())
}

fn event_json(e: &Event) -> Value {
    json!({
        "date": day(e.time),
        "time": e.time,
        "actor": e.actor,
        "recipients": e.recipients,
        "outcome": e.outcome.as_str().to_lowercase().replace(' ', "_"),
        "what": e.what,
        "record_type": e.record_type,
        "consent_id": e.consent_id,
        "labels": e.labels,
        "envelope": e.envelope,
        "envelope_id": e.envelope_id,
        "reason_code": e.reason_code,
        "reason": e.reason,
        "notes": e.notes,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use divex_core::directory::Directory;

    #[test]
    fn demo_plays_the_story_and_every_ledger_verifies() {
        // An existing, empty directory is accepted.
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let mut out = Vec::new();
        run(Some(d), false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for needle in [
            "note: demo keystores use a fast KDF and a public passphrase",
            "SENT       superior-court → treatment-provider",
            "referral: PC 1000 order",
            "REFUSED    treatment-provider → superior-court",
            "[record_type_not_permitted] disclosure to superior-court refused: record type clinical_detail",
            "NO EFFECT  participant",
            "no-adverse-action",
            "[replay]",
            "final disposition of CR-2025-000417: dismissed",
            "IN EFFECT  participant",
            "[revoked] disclosure to probation refused: consent c-pc1000-0001 was revoked",
            "Accounting of disclosures for Jordan Avery Reyes (42 CFR §2.24), from the treatment-provider ledger",
            "from the lead-case-manager ledger",
            "LEAD engagement status (lead_status)",
            "Ledger verification",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }

        // Every ledger verifies against the agency's certified key, independently of the
        // demo's own report, and holds a checkpoint.
        let home = Home::new(d);
        let directory = Directory::from_bytes(&fs::read(home.directory_file()).unwrap()).unwrap();
        for c in &CAST {
            let cert = directory.current_certificate(c.id, START).unwrap();
            let ledger = Ledger::open(&home.ledger(c.id), c.id).unwrap();
            let report = ledger.verify(cert.keys().signing()).unwrap();
            assert!(report.entries > 0, "{}", c.id);
            assert_eq!(report.checkpoints, 1, "{}", c.id);
            assert!(
                text.contains(&format!("{}…  ok", &hex(&report.head)[..16])),
                "{}: {text}",
                c.id
            );
            assert!(home.keystore(c.id).is_file());
        }
        assert!(home.anchor_keystore(ANCHOR).is_file());
        assert!(
            home.envelopes_dir()
                .join("01-court-referral-to-provider.envelope.cose")
                .is_file()
        );
        assert!(
            home.consents_dir(PROVIDER)
                .join("c-pc1000-0001.consent.cose")
                .is_file()
        );
    }

    #[test]
    fn demo_json_is_one_document_and_a_non_empty_dir_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("new");
        let mut out = Vec::new();
        run(Some(&d), true, &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["ledgers"].as_array().unwrap().len(), 6);
        let outcomes: Vec<&str> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["outcome"].as_str().unwrap())
            .collect();
        for o in ["signed", "sent", "refused", "no_effect", "in_effect"] {
            assert!(outcomes.contains(&o), "{o}");
        }
        assert!(
            !v["accounting"]["treatment-provider"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            v["accounting"]["lead-case-manager"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let err = run(Some(&d), false, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("is not empty"), "{err}");
    }
}

//! The story's steps, in order, each a few simulated days after the last.

use divex_core::DisclosureError;
use divex_core::consent::{CaseEvent, DispositionOutcome};
use divex_core::envelope::{OpenError, OpenOptions, SeenEnvelopes};
use divex_core::records::{
    AnalyteResult, AsamLevel, Attendance, AttendanceStatus, CaseDisposition, ClinicalDetail,
    ComplianceStatus, Confirmation, CourtResponse, Discharge, DischargeReason, Disposition,
    DrugTest, Enrollment, LeadEngagement, LeadStatus, Moud, PhaseChange, PlanDomain,
    ProgramRecommendation, ProgressReport, RecommendedResponse, RecordType, Referral,
    ReferralSource, ServiceType, Specimen, TestResult,
};
use divex_core::vocab::Vocabulary;
use divex_fixtures::{CJ_PURPOSE, DAY, LEAD_PURPOSE, REFERRAL_PURPOSE};

use super::disclose::Send;
use super::report::{Event, Outcome};
use super::world::{Story, agency, agency_mut, keys};
use super::{
    CASE, CASE_MANAGER, COURT, DA, LEAD_ID, PC1000_ID, POLICE, PROBATION, PROVIDER, RELEASE_ID,
    START, date, day, replace_file, write_file,
};
use crate::error::CliError;
use crate::keyring::RETIRED_SUFFIX;
use crate::keystore::{self, KdfProfile};

impl Story {
    /// The whole story, in order.
    pub(super) fn play(&mut self) -> Result<(), CliError> {
        self.diversion_granted()?;
        self.intake_and_enrollment()?;
        self.attendance_and_drug_test()?;
        self.over_share_refused()?;
        self.early_revocation_has_no_effect()?;
        self.lead_engagement()?;
        self.progress_report()?;
        self.court_response()?;
        self.court_rotates_keys()?;
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
        let referral = Referral {
            charge_refs: Some(vec!["HS11350(a)".into()]),
            intake_deadline: Some(date(self.now + 14 * DAY)?),
            case_ref: Some(CASE.into()),
            ..Referral::new(
                "REF-2025-0117",
                ReferralSource::Pc1000Order,
                COURT,
                date(self.now)?,
            )
        };
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
        let enrollment = Enrollment {
            expected_length_days: Some(180),
            phase: Some(1),
            ..Enrollment::new("PC 1000 outpatient", AsamLevel::Level1_0, date(self.now)?)
        };
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
        let attendance = Attendance {
            hours_tenths: Some(15),
            cumulative_hours_tenths: Some(45),
            ..Attendance::new(
                date(session)?,
                ServiceType::Group,
                AttendanceStatus::Present,
            )
        };
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
        let negative = |analyte: &str| AnalyteResult {
            analyte: analyte.into(),
            result: TestResult::Negative,
        };
        let test = DrugTest {
            results: vec![
                negative("fentanyl"),
                negative("amphetamines"),
                negative("opiates"),
            ],
            confirmation: Some(Confirmation::NotRequired),
            ..DrugTest::new(collected, Specimen::Urine, true, "10-panel")
        };
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
        let clinical = ClinicalDetail {
            as_of: Some(date(self.now)?),
            moud: Some(Moud::Buprenorphine),
            ..ClinicalDetail::new(["F11.20"])
        };
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
        let status = LeadStatus {
            as_of: Some(date(self.now)?),
            contacts: Some(3),
            plan_domains: Some(vec![PlanDomain::Housing]),
            barriers: Some(vec!["no phone".into()]),
            ..LeadStatus::new(LeadEngagement::Engaged)
        };
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
        let report = ProgressReport {
            engagement: Some("attends every group; every test negative".into()),
            goals_met: Some(2),
            recommended_response: Some(RecommendedResponse::PhaseAdvance),
            ..ProgressReport::new(date(from)?, date(to)?, ComplianceStatus::Compliant)
        };
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
        let response = CourtResponse {
            phase_change: Some(PhaseChange::Advance),
            incentive: Some("recognition in open court".into()),
            next_hearing: Some(date(next)?),
            ..CourtResponse::new(date(self.now)?)
        };
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

    /// Mid-case, the court rotates its keys exactly as spec/directory.md §7 describes: it
    /// signs a checkpoint of its ledger with the key it is retiring, then `divex keys rotate`
    /// keeps the old keystore as retired, the anchor certifies the new keys and revokes the
    /// old certificate `superseded`, and the directory is redistributed. Nothing the court
    /// signed before stops counting: the release it witnessed, its ledger checkpoint.
    fn court_rotates_keys(&mut self) -> Result<(), CliError> {
        self.advance(2);
        let retiring = keys(&self.world, COURT)?;
        agency_mut(&mut self.agencies, COURT)?
            .ledger
            .checkpoint(retiring, self.now)?;
        let at = self.now + 3600;
        let old = self.world.rotate(COURT, at, Some("superseded"));
        let old_kid = old.public().signing().kid().to_string();
        let retired = self
            .home
            .retired_keystores(COURT)
            .join(format!("{old_kid}{RETIRED_SUFFIX}"));
        keystore::rotate_agency(
            &self.home.keystore(COURT),
            &retired,
            COURT,
            keys(&self.world, COURT)?,
            &self.passphrase,
            KdfProfile::Fast,
        )?;
        replace_file(
            &self.home.directory_file(),
            &self.world.directory.to_bytes(),
        )?;
        let new_kid = keys(&self.world, COURT)?
            .public()
            .signing()
            .kid()
            .to_string();
        self.push(
            Event::new(
                at,
                COURT,
                Outcome::Rotated,
                format!("keys rotated: signing key {} → {}", &old_kid[..8], &new_kid[..8]),
            )
            .to(&[PROVIDER, DA, PROBATION])
            .note("divex keys rotate: the old keystore is kept under retired/ to open envelopes sealed to it, and never signs again")
            .note("the anchor certified the new keys and revoked the old certificate as superseded; every agency received the new directory")
            .note("what the court signed with the old key stays valid, judged at its own time: the release it witnessed, its ledger checkpoint"),
        );
        Ok(())
    }

    /// Day 98: a second LEAD update.
    fn lead_update(&mut self) -> Result<(), CliError> {
        self.advance(11);
        let status = LeadStatus {
            as_of: Some(date(self.now)?),
            contacts: Some(7),
            plan_domains: Some(vec![PlanDomain::Housing, PlanDomain::Income]),
            ..LeadStatus::new(LeadEngagement::Engaged)
        };
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
        let discharge = Discharge {
            program_recommendation: Some(ProgramRecommendation::Dismiss),
            ..Discharge::new(date(self.now)?, DischargeReason::Completed)
        };
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
        let result = divex_core::open(
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
        let attendance = Attendance {
            hours_tenths: Some(15),
            ..Attendance::new(
                date(session)?,
                ServiceType::Group,
                AttendanceStatus::Present,
            )
        };
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
}

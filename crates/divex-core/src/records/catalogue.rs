//! **The record catalogue**: the one declaration of every record type (spec/records.md §4).
//!
//! Each entry gives the type's documentation, its token, the short summary its
//! [`RecordType`] and [`Record`] variants carry, the fields that give its period, the name of
//! its cross-field rules in `rules.rs` (if it has any) and, for every field in schema order:
//! its documentation, name (and CBOR name when it differs), `required` or `optional`, kind
//! (with the kind's bounds: text size, count range and message, vocabulary), tier, how it is
//! set (`new`, or the name of its `with_*` builder) and its description. Everything else —
//! structs, builders, schema tables, shape and field checks, the [`Record`] enum, decoding,
//! periods — is generated from it by `define_records!` (`macros.rs`).
//!
//! Adding a record type is one entry here, plus its cross-field rules in `rules.rs` if it has
//! any, plus its rule in spec/records.cddl (a test holds the CDDL to this table). The
//! bindings (`divex-ffi`, Python, Kotlin) and the fuzz targets read the catalogue through
//! [`record_catalogue!`](crate::record_catalogue) and need no edit.

use super::vocabularies::{
    AsamLevel, AttendanceStatus, ComplianceStatus, Confirmation, CourtEventKind, DischargeReason,
    Disposition, LeadEngagement, Moud, PhaseChange, PlanDomain, ProgramOutcome,
    ProgramRecommendation, RecommendedResponse, ReferralSource, ServiceType, Specimen,
};
use super::{
    MAX_CONTACTS, MAX_CUMULATIVE_TENTHS, MAX_EXPECTED_LENGTH_DAYS, MAX_GOALS, MAX_PHASE,
    MAX_SESSION_TENTHS,
};

/// Invokes the macro `$callback` with the record catalogue: one entry per record type, in
/// catalogue order (see `crates/divex-core/src/records/catalogue.rs` for the entry format),
/// followed by any tokens given after the callback's name. Other crates (the FFI, fuzzing)
/// use it to generate per-type code without restating the list of types or fields.
///
/// Kinds name vocabularies and limits by their bare names (`vocabulary(Specimen)`,
/// `count(0, MAX_PHASE, "…")`); a callback that emits them must import them from
/// `divex_core::records`.
#[doc(hidden)]
#[macro_export]
macro_rules! record_catalogue {
    ($callback:ident $(, $($extra:tt)*)?) => {
        $callback! {
            /// A referral to treatment (tier CJ). Flows from police, court or probation to a
            /// provider.
            ///
            /// ```
            /// use divex_core::records::{Referral, ReferralSource, Record};
            ///
            /// let r = Referral::new("REF-1", ReferralSource::Pc1000Order, "superior-court", "2026-03-02".parse()?)
            ///     .with_charge_ref("HS11350(a)")
            ///     .with_intake_deadline("2026-03-16".parse()?)
            ///     .with_case_ref("CR-2026-0042");
            /// Record::from(r).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            Referral {
                token: "referral",
                summary: "A referral to treatment (police, court, probation → provider). Tier CJ.",
                period: (referral_date),
                rules: referral,
                fields: {
                    /// The referring agency's id for the referral (CJ).
                    referral_id: required short_text, Cj, new,
                        "the referring agency's id for the referral";
                    /// Where the referral comes from (CJ).
                    source: required vocabulary(ReferralSource), Cj, new,
                        "arrest_diversion, social_contact, pc1000_order or probation";
                    /// Agency id of the referring agency (CJ).
                    referring_agency: required short_text, Cj, new,
                        "agency id of the referring agency";
                    /// Date of the referral (CJ).
                    referral_date: required date, Cj, new, "date of the referral";
                    /// References to the charges (CJ); never for a social-contact referral.
                    charge_refs: optional text_list, Cj, with_charge_ref,
                        "references to the charges (never for a social-contact referral)";
                    /// Date by which intake must happen, not before `referral_date` (CJ).
                    intake_deadline: optional date, Cj, with_intake_deadline,
                        "date by which intake must happen (not before referral_date)";
                    /// The court or prosecutor case reference (CJ).
                    case_ref: optional short_text, Cj, with_case_ref,
                        "the court or prosecutor case reference";
                }
            }

            /// Intake/assessment status (tier T2): scheduled and completed dates and the
            /// recommended ASAM level of care. Never a diagnosis (that is
            /// [`ClinicalDetail`]).
            ///
            /// ```
            /// use divex_core::records::{AsamLevel, IntakeStatus, Record};
            ///
            /// let i = IntakeStatus::new("2026-03-05".parse()?)
            ///     .with_completed_date("2026-03-06".parse()?)
            ///     .with_recommended_asam_level(AsamLevel::Level1_0);
            /// Record::from(i).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            IntakeStatus {
                token: "intake_status",
                summary: "Intake/assessment status (provider → court). Tier T2.",
                period: (scheduled_date, completed_date),
                rules: intake_status,
                fields: {
                    /// Date the intake/assessment is scheduled (T2).
                    scheduled_date: required date, T2, new,
                        "date the intake/assessment is scheduled";
                    /// Date it was completed, not before `scheduled_date` (T2).
                    completed_date: optional date, T2, with_completed_date,
                        "date it was completed (not before scheduled_date)";
                    /// Recommended ASAM level of care (T2).
                    recommended_asam_level: optional vocabulary(AsamLevel), T2,
                        with_recommended_asam_level,
                        "recommended ASAM level of care (no diagnosis)";
                }
            }

            /// Enrollment in a program (tier T1).
            ///
            /// ```
            /// use divex_core::records::{AsamLevel, Enrollment, Record};
            ///
            /// let e = Enrollment::new("county-op-program", AsamLevel::Level2_1, "2026-03-09".parse()?)
            ///     .with_expected_length_days(365)
            ///     .with_phase(1);
            /// Record::from(e).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            Enrollment {
                token: "enrollment",
                summary: "Enrollment in a program (provider → court/probation). Tier T1.",
                period: (admission_date),
                fields: {
                    /// The program's name or id (T1).
                    program: required short_text, T1, new, "the program's name or id";
                    /// ASAM level of care (T1).
                    level_of_care: required vocabulary(AsamLevel), T1, new, "ASAM level of care";
                    /// Date of admission (T1).
                    admission_date: required date, T1, new, "date of admission";
                    /// Expected length in days, 1 to [`MAX_EXPECTED_LENGTH_DAYS`] (T1).
                    ///
                    /// [`MAX_EXPECTED_LENGTH_DAYS`]: crate::records::MAX_EXPECTED_LENGTH_DAYS
                    expected_length_days: optional count(
                        1, MAX_EXPECTED_LENGTH_DAYS, "a number of days from 1 to 3650"
                    ), T1, with_expected_length_days, "expected length in days";
                    /// Current phase, 0 to [`MAX_PHASE`] (T1).
                    ///
                    /// [`MAX_PHASE`]: crate::records::MAX_PHASE
                    phase: optional count(0, MAX_PHASE, "a phase number from 0 to 99"), T1,
                        with_phase, "current program phase";
                }
            }

            /// One attendance entry (tier T1). Hours are in tenths of an hour (`15` = 1.5
            /// hours).
            ///
            /// ```
            /// use divex_core::records::{Attendance, AttendanceStatus, Record, ServiceType};
            ///
            /// let a = Attendance::new("2026-03-10".parse()?, ServiceType::Group, AttendanceStatus::Present)
            ///     .with_hours_tenths(15)
            ///     .with_cumulative_hours_tenths(120);
            /// Record::from(a).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            Attendance {
                token: "attendance",
                summary: "One attendance entry (provider → court/probation). Tier T1.",
                period: (date),
                rules: attendance,
                fields: {
                    /// Date of the service (T1).
                    date: required date, T1, new, "date of the service";
                    /// Kind of service (T1).
                    service_type: required vocabulary(ServiceType), T1, new, "kind of service";
                    /// Attendance status (T1).
                    status: required vocabulary(AttendanceStatus), T1, new,
                        "present, absent, late or excused";
                    /// Hours attended in tenths of an hour, 0 to [`MAX_SESSION_TENTHS`]; 0 when
                    /// absent or excused (T1).
                    ///
                    /// [`MAX_SESSION_TENTHS`]: crate::records::MAX_SESSION_TENTHS
                    hours_tenths: optional count(
                        0, MAX_SESSION_TENTHS, "tenths of an hour from 0 to 240"
                    ), T1, with_hours_tenths, "hours attended, in tenths of an hour";
                    /// Hours attended in the program so far, including this entry, in tenths
                    /// of an hour, at most [`MAX_CUMULATIVE_TENTHS`] (T1).
                    ///
                    /// [`MAX_CUMULATIVE_TENTHS`]: crate::records::MAX_CUMULATIVE_TENTHS
                    cumulative_hours_tenths: optional count(
                        0, MAX_CUMULATIVE_TENTHS, "tenths of an hour from 0 to 100000"
                    ), T1, with_cumulative_hours_tenths,
                        "hours attended in the program so far, in tenths of an hour";
                }
            }

            /// One drug test (tier T2). `collected_at` is seconds since the Unix epoch (UTC).
            ///
            /// Either `results` is non-empty or `program_outcome` is present; a missed or
            /// refused test has no results.
            ///
            /// ```
            /// use divex_core::records::{DrugTest, ProgramOutcome, Record, Specimen};
            ///
            /// let missed = DrugTest::new(1_790_000_000, Specimen::Urine, false, "10-panel")
            ///     .with_program_outcome(ProgramOutcome::Missed);
            /// Record::from(missed).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            DrugTest {
                token: "drug_test",
                summary: "One drug test (provider/lab → court). Tier T2.",
                period: (collected_at),
                rules: drug_test,
                fields: {
                    /// Collection time, seconds since the Unix epoch, at most
                    /// [`MAX_TIMESTAMP`] (T2).
                    ///
                    /// [`MAX_TIMESTAMP`]: crate::records::MAX_TIMESTAMP
                    collected_at: required timestamp, T2, new,
                        "collection time, seconds since the Unix epoch";
                    /// Specimen type (T2).
                    specimen: required vocabulary(Specimen), T2, new, "specimen type";
                    /// Whether collection was observed (T2).
                    observed: required bool, T2, new, "whether collection was observed";
                    /// The test panel, e.g. `10-panel` (T2).
                    panel: required short_text, T2, new, "the test panel";
                    /// Per-analyte results, analytes unique (T2).
                    results: required analyte_results, T2, with_result,
                        "per-analyte results (empty only with a program outcome)";
                    /// Confirmation-testing status (T2).
                    confirmation: optional vocabulary(Confirmation), T2, with_confirmation,
                        "confirmation testing status";
                    /// Outcome decided by the program: missed, refused, tampered (T2).
                    program_outcome: optional vocabulary(ProgramOutcome), T2,
                        with_program_outcome, "missed, refused or tampered";
                    /// Whether a positive result is consistent with a prescription (T2).
                    prescription_consistent: optional bool, T2, with_prescription_consistent,
                        "whether a positive result is consistent with a prescription";
                }
            }

            /// A progress report for a period (tier T2).
            ///
            /// ```
            /// use divex_core::records::{ComplianceStatus, ProgressReport, Record, RecommendedResponse};
            ///
            /// let p = ProgressReport::new("2026-03-01".parse()?, "2026-03-31".parse()?, ComplianceStatus::Compliant)
            ///     .with_goals_met(2)
            ///     .with_barrier("transportation")
            ///     .with_recommended_response(RecommendedResponse::Incentive);
            /// Record::from(p).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            ProgressReport {
                token: "progress_report",
                summary: "A progress report for a period (provider → court team). Tier T2.",
                period: (period_start, period_end),
                rules: progress_report,
                fields: {
                    /// First day of the period (T2).
                    period_start: required date, T2, new, "first day of the reporting period";
                    /// Last day of the period, not before `period_start` (T2).
                    period_end: required date, T2, new, "last day of the reporting period";
                    /// Compliance status (T2).
                    status: required vocabulary(ComplianceStatus), T2, new,
                        "compliant, partial or non_compliant";
                    /// Short summary of engagement, at most [`MAX_SUMMARY_TEXT`] bytes (T2).
                    ///
                    /// [`MAX_SUMMARY_TEXT`]: crate::records::MAX_SUMMARY_TEXT
                    engagement: optional summary_text, T2, with_engagement,
                        "short summary of engagement";
                    /// Number of treatment-plan goals met, at most [`MAX_GOALS`] (T2).
                    ///
                    /// [`MAX_GOALS`]: crate::records::MAX_GOALS
                    goals_met: optional count(0, MAX_GOALS, "a number of goals from 0 to 1000"),
                        T2, with_goals_met, "number of treatment-plan goals met";
                    /// Barriers to progress, short texts (T2).
                    barriers: optional text_list, T2, with_barrier,
                        "barriers to progress, short texts";
                    /// The provider's recommended court response (T2).
                    recommended_response: optional vocabulary(RecommendedResponse), T2,
                        with_recommended_response, "the provider's recommended court response";
                }
            }

            /// The court's response to a participant's progress (tier CJ).
            ///
            /// ```
            /// use divex_core::records::{CourtResponse, PhaseChange, Record};
            ///
            /// let r = CourtResponse::new("2026-04-02".parse()?)
            ///     .with_phase_change(PhaseChange::Advance)
            ///     .with_incentive("praise from the bench")
            ///     .with_next_hearing("2026-05-07".parse()?);
            /// Record::from(r).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            CourtResponse {
                token: "court_response",
                summary: "The court's response to progress (court → provider). Tier CJ.",
                period: (date),
                rules: court_response,
                fields: {
                    /// Date of the response (CJ).
                    date: required date, Cj, new, "date of the response";
                    /// Phase change ordered (CJ).
                    phase_change: optional vocabulary(PhaseChange), Cj, with_phase_change,
                        "advance or demote";
                    /// Incentive given, short text (CJ).
                    incentive: optional short_text, Cj, with_incentive, "incentive given";
                    /// Sanction imposed, short text (CJ).
                    sanction: optional short_text, Cj, with_sanction, "sanction imposed";
                    /// Service adjustment ordered, short text (CJ).
                    service_adjustment: optional short_text, Cj, with_service_adjustment,
                        "service adjustment ordered";
                    /// Date of the next hearing, not before `date` (CJ).
                    next_hearing: optional date, Cj, with_next_hearing,
                        "date of the next hearing (not before date)";
                }
            }

            /// A court event or order (tier CJ).
            ///
            /// ```
            /// use divex_core::records::{CourtEvent, CourtEventKind, Record};
            ///
            /// let e = CourtEvent::new("CR-2026-0042", "2026-03-02".parse()?, CourtEventKind::DiversionGranted)
            ///     .with_condition("complete a certified program");
            /// Record::from(e).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            CourtEvent {
                token: "court_event",
                summary: "A court event or order (court → provider). Tier CJ.",
                period: (date),
                fields: {
                    /// The court case reference (CJ).
                    case_ref: required short_text, Cj, new, "the court case reference";
                    /// Date of the event (CJ).
                    date: required date, Cj, new, "date of the event";
                    /// Kind of event or order (CJ).
                    event: required vocabulary(CourtEventKind), Cj, new,
                        "kind of event or order";
                    /// Conditions set, short texts (CJ).
                    conditions: optional text_list, Cj, with_condition,
                        "conditions set, short texts";
                }
            }

            /// Discharge from a program: the date is tier T1, the reason and recommendation
            /// T2.
            ///
            /// ```
            /// use divex_core::records::{Discharge, DischargeReason, ProgramRecommendation, Record};
            ///
            /// let d = Discharge::new("2026-09-30".parse()?, DischargeReason::Completed)
            ///     .with_program_recommendation(ProgramRecommendation::Dismiss);
            /// Record::from(d).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            Discharge {
                token: "discharge",
                summary: "Discharge from a program (provider → court). Tiers T1 and T2.",
                period: (date),
                fields: {
                    /// Date of discharge (T1).
                    date: required date, T1, new, "date of discharge";
                    /// Reason for discharge (T2).
                    reason: required vocabulary(DischargeReason), T2, new,
                        "reason for discharge";
                    /// The program's recommendation to the court (T2).
                    program_recommendation: optional vocabulary(ProgramRecommendation), T2,
                        with_program_recommendation,
                        "the program's recommendation to the court";
                }
            }

            /// The disposition of a case (tier CJ). Signed by the case's authority it is an
            /// event that moves consents along (DOMAIN.md §3, §5): it ends a §2.35 consent's
            /// irrevocable period.
            ///
            /// ```
            /// use divex_core::records::{CaseDisposition, Disposition, Record};
            ///
            /// let d = CaseDisposition::new("CR-2026-0042", "2026-10-15".parse()?, Disposition::Dismissed, true);
            /// Record::from(d).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            CaseDisposition {
                token: "case_disposition",
                summary: "The disposition of the case (court → provider); an event for \
                          consents. Tier CJ.",
                period: (date),
                fields: {
                    /// The court case reference (CJ).
                    case_ref: required short_text, Cj, new, "the court case reference";
                    /// Date of the disposition (CJ).
                    date: required date, Cj, new, "date of the disposition";
                    /// The disposition (CJ).
                    disposition: required vocabulary(Disposition), Cj, new,
                        "dismissed, diversion_terminated or record_sealed";
                    /// Whether this is the final disposition of the case (CJ); encoded as
                    /// `final`.
                    is_final as "final": required bool, Cj, new,
                        "whether this is the final disposition of the case";
                }
            }

            /// LEAD engagement status (the status and date are tier T1; contacts, plan
            /// domains and barriers are tier LEAD and carry `no_adverse_action`).
            ///
            /// ```
            /// use divex_core::records::{LeadEngagement, LeadStatus, PlanDomain, Record};
            ///
            /// let s = LeadStatus::new(LeadEngagement::Engaged)
            ///     .with_as_of("2026-03-31".parse()?)
            ///     .with_contacts(4)
            ///     .with_plan_domain(PlanDomain::Housing)
            ///     .with_barrier("no phone");
            /// Record::from(s).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            LeadStatus {
                token: "lead_status",
                summary: "LEAD engagement status (case manager → LEAD team). Tiers T1 and LEAD.",
                period: (as_of),
                fields: {
                    /// Date the status describes (T1).
                    as_of: optional date, T1, with_as_of, "date the status describes";
                    /// Engagement status (T1).
                    status: required vocabulary(LeadEngagement), T1, new,
                        "engaged, not_engaged or not_located";
                    /// Number of contacts, at most [`MAX_CONTACTS`] (LEAD).
                    ///
                    /// [`MAX_CONTACTS`]: crate::records::MAX_CONTACTS
                    contacts: optional count(
                        0, MAX_CONTACTS, "a number of contacts from 0 to 100000"
                    ), Lead, with_contacts, "number of contacts in the period";
                    /// Domains of the case plan, each at most once (LEAD).
                    plan_domains: optional vocabulary_list(
                        PlanDomain,
                        "a list of plan domains: each one of housing income health \
                         substance_use legal family other"
                    ), Lead, with_plan_domain, "domains of the case plan";
                    /// Barriers to engagement, short texts (LEAD).
                    barriers: optional text_list, Lead, with_barrier,
                        "barriers to engagement, short texts";
                }
            }

            /// Clinical detail (tier T3; denied to justice recipients by default, DOMAIN.md §2
            /// minimum necessary). Diagnoses and co-occurring conditions are ICD-10-CM codes.
            ///
            /// ```
            /// use divex_core::records::{ClinicalDetail, Moud, Record};
            ///
            /// let c = ClinicalDetail::new(["F11.20"])
            ///     .with_moud(Moud::Buprenorphine)
            ///     .with_co_occurring("F32.A");
            /// Record::from(c).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            ClinicalDetail {
                token: "clinical_detail",
                summary: "Clinical detail, denied to justice recipients by default. Tier T3.",
                period: (as_of),
                fields: {
                    /// Date the detail describes (T3).
                    as_of: optional date, T3, with_as_of, "date the detail describes";
                    /// Diagnoses, ICD-10-CM codes, at least one, each at most once (T3).
                    diagnoses: required code_list, T3, new, "diagnoses as ICD-10-CM codes";
                    /// Medication for opioid use disorder (T3).
                    moud: optional vocabulary(Moud), T3, with_moud,
                        "medication for opioid use disorder";
                    /// Co-occurring conditions, ICD-10-CM codes (T3).
                    co_occurring: optional code_list, T3, with_co_occurring,
                        "co-occurring conditions as ICD-10-CM codes";
                }
            }

            /// A Part 2 counseling note (tier T3). Counseling notes need their own consent
            /// (`part2_counseling_notes`) and are never combined with other record types
            /// (DOMAIN.md §2).
            ///
            /// ```
            /// use divex_core::records::{CounselingNote, Record};
            ///
            /// let n = CounselingNote::new("2026-03-12".parse()?, "Session notes.\nDiscussed triggers.");
            /// Record::from(n).validate()?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            CounselingNote {
                token: "counseling_note",
                summary: "A Part 2 counseling note: needs its own consent and is never \
                          combined with other record types. Tier T3.",
                period: (date),
                fields: {
                    /// Date of the counseling session (T3).
                    date: required date, T3, new, "date of the counseling session";
                    /// The note, at most [`MAX_NOTE_TEXT`] bytes; line breaks and tabs allowed
                    /// (T3).
                    ///
                    /// [`MAX_NOTE_TEXT`]: crate::records::MAX_NOTE_TEXT
                    note: required note_text, T3, new, "the counseling note";
                }
            }

            $($($extra)*)?
        }
    };
}

record_catalogue!(
    define_records,
    /// A record type that exists only in divex-core's own unit tests. It shows what adding a
    /// record type takes: this entry and its cross-field rules (`rules::test_only_note`);
    /// `records/tests/test_only.rs` takes it through encoding, decoding, redaction and the
    /// consent engine.
    #[cfg(test)]
    TestOnlyNote {
        token: "test_only_note",
        summary: "A record type for divex-core's unit tests only. Tiers T2 and T3.",
        period: (date),
        rules: test_only_note,
        fields: {
            /// Date of the note (T2).
            date: required date, T2, new, "date of the note";
            /// The note's topic (T2).
            topic: required short_text, T2, new, "the note's topic";
            /// Date of the follow-up, not before `date` (T2).
            follow_up: optional date, T2, with_follow_up,
                "date of the follow-up (not before date)";
            /// Clinical tags (T3).
            tags: optional text_list, T3, with_tag, "clinical tags, short texts";
        }
    }
);

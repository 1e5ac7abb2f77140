//! The cross-field rules of the record types (spec/records.md §5): the only per-type code
//! written by hand. A record type's entry in the catalogue names its function here
//! (`rules: referral`); `validate` runs it after every field's own checks, so a rule can rely
//! on each field being well-formed on its own.

use super::CourtResponse;
use super::checks::Check;
use super::{
    Attendance, AttendanceStatus, DrugTest, IntakeStatus, ProgramOutcome, ProgressReport,
    RecordError, RecordType, Referral, ReferralSource,
};

/// `intake_deadline` not before `referral_date`; no charge references on a social-contact
/// referral (there was no arrest).
pub(super) fn referral(r: &Referral, c: &Check) -> Result<(), RecordError> {
    c.date_order(
        "referral_date",
        r.referral_date,
        "intake_deadline",
        r.intake_deadline,
    )?;
    if r.source == ReferralSource::SocialContact && r.charge_refs.is_some() {
        return Err(c.invalid(
            "charge_refs",
            "no charge references on a social-contact referral (there was no arrest)",
        ));
    }
    Ok(())
}

/// `completed_date` not before `scheduled_date`.
pub(super) fn intake_status(r: &IntakeStatus, c: &Check) -> Result<(), RecordError> {
    c.date_order(
        "scheduled_date",
        r.scheduled_date,
        "completed_date",
        r.completed_date,
    )
}

/// No hours when absent or excused; the cumulative hours include this entry's.
pub(super) fn attendance(r: &Attendance, c: &Check) -> Result<(), RecordError> {
    let no_attendance = matches!(
        r.status,
        AttendanceStatus::Absent | AttendanceStatus::Excused
    );
    if no_attendance && r.hours_tenths.is_some_and(|h| h != 0) {
        return Err(c.invalid(
            "hours_tenths",
            "0 (or no hours) when the status is absent or excused",
        ));
    }
    if let (Some(h), Some(cum)) = (r.hours_tenths, r.cumulative_hours_tenths)
        && cum < h
    {
        return Err(c.invalid(
            "cumulative_hours_tenths",
            "at least hours_tenths (the total includes this entry)",
        ));
    }
    Ok(())
}

/// Results or a program outcome; none when the test was missed or refused. (Unique
/// analytes are a check of the `results` field itself.)
pub(super) fn drug_test(r: &DrugTest, c: &Check) -> Result<(), RecordError> {
    match r.program_outcome {
        None if r.results.is_empty() => Err(RecordError::MissingOneOf {
            record: RecordType::DrugTest,
            fields: "results (non-empty), program_outcome",
        }),
        Some(ProgramOutcome::Missed | ProgramOutcome::Refused) if !r.results.is_empty() => Err(c
            .invalid(
                "results",
                "no results when the program outcome is missed or refused",
            )),
        _ => Ok(()),
    }
}

/// `period_end` not before `period_start`.
pub(super) fn progress_report(r: &ProgressReport, c: &Check) -> Result<(), RecordError> {
    c.date_order(
        "period_start",
        r.period_start,
        "period_end",
        Some(r.period_end),
    )
}

/// `next_hearing` not before `date`.
pub(super) fn court_response(r: &CourtResponse, c: &Check) -> Result<(), RecordError> {
    c.date_order("date", r.date, "next_hearing", r.next_hearing)
}

/// `follow_up` not before `date` (the test-only record type's rule).
#[cfg(test)]
pub(super) fn test_only_note(r: &super::TestOnlyNote, c: &Check) -> Result<(), RecordError> {
    c.date_order("date", r.date, "follow_up", r.follow_up)
}

//! The standard participant and the records every suite discloses about them.

use divex_core::consent::Subject;
use divex_core::records::{
    Attendance, AttendanceStatus, Confirmation, Date, DrugTest, LeadEngagement, LeadStatus, Record,
    ServiceType, Specimen, TestResult,
};

use crate::{DAY, T0};

/// The name of the participant's parent, who signs for a minor ([`crate::World::parent_signer`]).
pub(crate) const PARENT: &str = "Maria Reyes";

/// The participant of every story: Jordan Avery Reyes, born 1994-03-14.
pub fn subject() -> Subject {
    Subject {
        name: "Jordan Avery Reyes".into(),
        date_of_birth: civil(1994, 3, 14),
    }
}

/// A minor participant: Sam Rivera Reyes, born 2011-05-02, for whom a parent signs
/// ([`crate::ConsentBuilder::minor`]).
pub fn minor_subject() -> Subject {
    Subject {
        name: "Sam Rivera Reyes".into(),
        date_of_birth: civil(2011, 5, 2),
    }
}

/// The calendar date (UTC) of `t`, seconds since the Unix epoch.
///
/// # Panics
///
/// If `t` is past the last date the records can hold.
pub fn date(t: u64) -> Date {
    Date::from_unix_seconds(t).expect("a date the records can hold")
}

fn civil(year: u16, month: u8, day: u8) -> Date {
    Date::new(year, month, day).expect("a valid calendar date")
}

/// The day before [`T0`]'s drug test: observed urine, 10-panel, fentanyl negative, no
/// confirmation required.
pub fn drug_test() -> Record {
    Record::from(
        DrugTest::new(T0 - DAY, Specimen::Urine, true, "10-panel")
            .with_result("fentanyl", TestResult::Negative)
            .with_confirmation(Confirmation::NotRequired),
    )
}

/// Present at a group session the day before [`T0`].
pub fn attendance() -> Record {
    Record::from(Attendance::new(
        date(T0 - DAY),
        ServiceType::Group,
        AttendanceStatus::Present,
    ))
}

/// Engaged with the LEAD case manager, three contacts.
pub fn lead_status() -> Record {
    Record::from(LeadStatus::new(LeadEngagement::Engaged).with_contacts(3))
}

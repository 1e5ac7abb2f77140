//! The closed vocabularies of the record catalogue (spec/records.md §4): enums whose values
//! are fixed text tokens.
//!
//! Every vocabulary is declared once, as a table of variants and tokens, by the
//! [`vocabulary!`] macro (after rustls' `enum_builder!` and coset's `iana_registry!`). What
//! generic code needs of any vocabulary — its values, tokens, the message naming them — is the
//! [`Vocabulary`] trait (`divex_core::vocab`, shared by every closed token set of the
//! protocol), so the shape pre-check, the CDDL test and the bindings treat every vocabulary
//! alike.

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::vocab::Vocabulary;

/// Declares a closed vocabulary: the enum (serialised as its tokens), its [`Vocabulary`]
/// implementation and `Display`. One table row per value: doc comment, variant, token.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl Vocabulary for $name {
            const NAME: &'static str = stringify!($name);
            const ALL: &'static [$name] = &[$($name::$variant),+];
            const TOKENS: &'static [&'static str] = &[$($text),+];
            const EXPECTED: &'static str = concat!($what, ": one of", $(" ", $text),+);

            fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// Where a referral comes from (DOMAIN.md §1, §4).
    ReferralSource ("a referral source") {
        /// LEAD arrest diversion.
        ArrestDiversion = "arrest_diversion",
        /// LEAD social-contact referral, without an arrest (no charges).
        SocialContact = "social_contact",
        /// A California PC 1000 pretrial-diversion order.
        Pc1000Order = "pc1000_order",
        /// Probation.
        Probation = "probation",
    }
}

vocabulary! {
    /// ASAM Criteria (3rd edition) level of care.
    AsamLevel ("an ASAM level of care") {
        /// 0.5 Early intervention.
        Level0_5 = "0.5",
        /// 1.0 Outpatient services.
        Level1_0 = "1.0",
        /// 2.1 Intensive outpatient services.
        Level2_1 = "2.1",
        /// 2.5 Partial hospitalization services.
        Level2_5 = "2.5",
        /// 3.1 Clinically managed low-intensity residential services.
        Level3_1 = "3.1",
        /// 3.3 Clinically managed population-specific high-intensity residential services.
        Level3_3 = "3.3",
        /// 3.5 Clinically managed high-intensity residential services.
        Level3_5 = "3.5",
        /// 3.7 Medically monitored intensive inpatient services.
        Level3_7 = "3.7",
        /// 4.0 Medically managed intensive inpatient services.
        Level4_0 = "4.0",
    }
}

vocabulary! {
    /// Kind of service an attendance entry is for.
    ServiceType ("a service type") {
        /// Individual session.
        Individual = "individual",
        /// Group session.
        Group = "group",
        /// Intensive outpatient session.
        IntensiveOutpatient = "intensive_outpatient",
        /// Residential day.
        Residential = "residential",
        /// Case-management contact.
        CaseManagement = "case_management",
        /// Any other service.
        Other = "other",
    }
}

vocabulary! {
    /// Attendance status.
    AttendanceStatus ("an attendance status") {
        /// Attended.
        Present = "present",
        /// Did not attend.
        Absent = "absent",
        /// Attended late.
        Late = "late",
        /// Absence excused.
        Excused = "excused",
    }
}

vocabulary! {
    /// Drug-test specimen type.
    Specimen ("a specimen type") {
        /// Urine.
        Urine = "urine",
        /// Oral fluid.
        OralFluid = "oral_fluid",
        /// Breath (alcohol).
        Breath = "breath",
        /// Blood.
        Blood = "blood",
        /// Sweat patch.
        SweatPatch = "sweat_patch",
        /// Hair.
        Hair = "hair",
    }
}

vocabulary! {
    /// Per-analyte drug-test result.
    TestResult ("a test result") {
        /// Negative.
        Negative = "negative",
        /// Negative, specimen dilute.
        NegativeDilute = "negative_dilute",
        /// Positive.
        Positive = "positive",
        /// Positive, specimen dilute.
        PositiveDilute = "positive_dilute",
        /// Specimen adulterated.
        Adulterated = "adulterated",
        /// Specimen substituted.
        Substituted = "substituted",
        /// Result invalid.
        Invalid = "invalid",
        /// Specimen rejected by the laboratory.
        Rejected = "rejected",
    }
}

vocabulary! {
    /// Confirmation-testing status of a drug test.
    Confirmation ("a confirmation status") {
        /// No confirmation needed.
        NotRequired = "not_required",
        /// Confirmation requested, result pending.
        Pending = "pending",
        /// Confirmed positive.
        ConfirmedPositive = "confirmed_positive",
        /// Confirmation came back negative.
        ConfirmedNegative = "confirmed_negative",
    }
}

vocabulary! {
    /// A drug-test outcome decided by the program rather than the laboratory.
    ProgramOutcome ("a program outcome") {
        /// The participant missed the test.
        Missed = "missed",
        /// The participant refused the test.
        Refused = "refused",
        /// The participant tampered with the test.
        Tampered = "tampered",
    }
}

vocabulary! {
    /// Compliance status of a progress report.
    ComplianceStatus ("a compliance status") {
        /// Compliant.
        Compliant = "compliant",
        /// Partly compliant.
        Partial = "partial",
        /// Not compliant.
        NonCompliant = "non_compliant",
    }
}

vocabulary! {
    /// The court response a provider recommends.
    RecommendedResponse ("a recommended response") {
        /// Continue as is.
        Continue = "continue",
        /// An incentive.
        Incentive = "incentive",
        /// A sanction.
        Sanction = "sanction",
        /// Adjust services.
        ServiceAdjustment = "service_adjustment",
        /// Advance to the next phase.
        PhaseAdvance = "phase_advance",
        /// Discharge.
        Discharge = "discharge",
    }
}

vocabulary! {
    /// A change of program phase ordered by the court.
    PhaseChange ("a phase change") {
        /// Advance to the next phase.
        Advance = "advance",
        /// Return to an earlier phase.
        Demote = "demote",
    }
}

vocabulary! {
    /// Kind of court event or order.
    CourtEventKind ("a court event") {
        /// A hearing.
        Hearing = "hearing",
        /// An appearance.
        Appearance = "appearance",
        /// Diversion granted.
        DiversionGranted = "diversion_granted",
        /// Diversion terminated.
        DiversionTerminated = "diversion_terminated",
        /// Conditions set.
        ConditionsSet = "conditions_set",
    }
}

vocabulary! {
    /// Reason for discharge from a program.
    DischargeReason ("a discharge reason") {
        /// Completed the program.
        Completed = "completed",
        /// Transferred to another program.
        Transferred = "transferred",
        /// Stopped attending.
        DroppedOut = "dropped_out",
        /// Terminated by the program.
        Terminated = "terminated",
        /// Incarcerated.
        Incarcerated = "incarcerated",
        /// Died.
        Died = "died",
        /// Another reason.
        Other = "other",
    }
}

vocabulary! {
    /// The program's recommendation to the court at discharge (PC 1000: a positive
    /// recommendation leads to dismissal).
    ProgramRecommendation ("a program recommendation") {
        /// Dismiss the charges.
        Dismiss = "dismiss",
        /// Continue diversion.
        Continue = "continue",
        /// Terminate diversion.
        Terminate = "terminate",
        /// The program makes no recommendation (encoded `none`).
        NoRecommendation = "none",
    }
}

vocabulary! {
    /// Disposition of a case.
    Disposition ("a disposition") {
        /// Charges dismissed.
        Dismissed = "dismissed",
        /// Diversion terminated.
        DiversionTerminated = "diversion_terminated",
        /// Record sealed.
        RecordSealed = "record_sealed",
    }
}

vocabulary! {
    /// LEAD engagement status.
    LeadEngagement ("a LEAD status") {
        /// Engaged with the case manager.
        Engaged = "engaged",
        /// Located but not engaged.
        NotEngaged = "not_engaged",
        /// Not located.
        NotLocated = "not_located",
    }
}

vocabulary! {
    /// Domain of a LEAD case plan.
    PlanDomain ("a plan domain") {
        /// Housing.
        Housing = "housing",
        /// Income.
        Income = "income",
        /// Health.
        Health = "health",
        /// Substance use.
        SubstanceUse = "substance_use",
        /// Legal.
        Legal = "legal",
        /// Family.
        Family = "family",
        /// Other.
        Other = "other",
    }
}

vocabulary! {
    /// Medication for opioid use disorder.
    Moud ("a medication for OUD") {
        /// Buprenorphine.
        Buprenorphine = "buprenorphine",
        /// Methadone.
        Methadone = "methadone",
        /// Naltrexone.
        Naltrexone = "naltrexone",
        /// No medication for OUD (encoded `none`).
        NoMedication = "none",
    }
}

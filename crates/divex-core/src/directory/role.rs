//! What an agency is, as its certificate states (spec/directory.md §3.3).

use std::fmt;

use super::DirectoryError;
use crate::vocab::Vocabulary;

/// What an agency is, as its certificate states. Encoded as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// A court (e.g. a drug or treatment court).
    Court,
    /// A prosecutor's office.
    Prosecutor,
    /// A probation department.
    Probation,
    /// A parole authority.
    Parole,
    /// A police department.
    Police,
    /// A LEAD (Let Everyone Advance with Dignity) case-management program.
    LeadCaseManager,
    /// A treatment provider (often a 42 CFR Part 2 program).
    TreatmentProvider,
    /// A relay or other intermediary that routes envelopes it cannot read.
    Intermediary,
}

/// Every role in the encoding order of spec/directory.md §3 (ascending by name); a role's
/// token is its name as encoded in certificates (`"lead_case_manager"`, ...).
impl Vocabulary for Role {
    const NAME: &'static str = "Role";
    const ALL: &'static [Role] = &[
        Role::Court,
        Role::Intermediary,
        Role::LeadCaseManager,
        Role::Parole,
        Role::Police,
        Role::Probation,
        Role::Prosecutor,
        Role::TreatmentProvider,
    ];
    const TOKENS: &'static [&'static str] = &[
        "court",
        "intermediary",
        "lead_case_manager",
        "parole",
        "police",
        "probation",
        "prosecutor",
        "treatment_provider",
    ];
    const EXPECTED: &'static str = "a role: one of court intermediary lead_case_manager parole \
                                    police probation prosecutor treatment_provider";

    fn as_str(&self) -> &'static str {
        match self {
            Role::Court => "court",
            Role::Prosecutor => "prosecutor",
            Role::Probation => "probation",
            Role::Parole => "parole",
            Role::Police => "police",
            Role::LeadCaseManager => "lead_case_manager",
            Role::TreatmentProvider => "treatment_provider",
            Role::Intermediary => "intermediary",
        }
    }
}

impl Role {
    const NAMES: &'static str = "court, intermediary, lead_case_manager, parole, police, \
                                 probation, prosecutor, treatment_provider";

    /// Whether this role is one of the criminal-justice recipients that 42 CFR §2.35 allows a
    /// Part 2 program to disclose to for monitoring a referred patient: court, prosecutor,
    /// probation, parole.
    pub(crate) fn is_justice_monitor(&self) -> bool {
        matches!(
            self,
            Role::Court | Role::Prosecutor | Role::Probation | Role::Parole
        )
    }
}

impl PartialOrd for Role {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Roles order by the bytes of their names, the order in which certificates list them.
impl Ord for Role {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().as_bytes().cmp(other.as_str().as_bytes())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = DirectoryError;
    fn from_str(s: &str) -> Result<Role, DirectoryError> {
        Role::parse(s).ok_or(DirectoryError::UnknownRole {
            expected: Role::NAMES,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::codec::{self, Value};

    #[test]
    fn roles_names_and_order() {
        for &r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(
                codec::to_value(&r).unwrap(),
                Value::from(r.as_str()),
                "serde name of {r}"
            );
        }
        let mut sorted = Role::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, Role::ALL);
        assert!(Role::ALL.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
        let monitors: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(Role::is_justice_monitor)
            .collect();
        assert_eq!(
            monitors,
            [Role::Court, Role::Parole, Role::Probation, Role::Prosecutor]
        );
        assert_eq!(Role::parse("Court"), None);
        assert!(matches!(
            "judge".parse::<Role>(),
            Err(DirectoryError::UnknownRole { .. })
        ));
    }
}

//! The cast and the story's state: the trust anchor, the six certified agencies with their
//! keystores and ledgers, the participant and the simulated clock.

use std::collections::BTreeMap;

use divex_core::consent::{ConsentSet, Subject};
use divex_core::directory::{DirectoryError, Role};
use divex_core::keys::AgencyKeys;
use divex_fixtures::{DAY, World, subject};
use divex_ledger::Ledger;
use zeroize::Zeroizing;

use super::report::Event;
use super::{
    ANCHOR, CASE_MANAGER, COURT, DA, POLICE, PROBATION, PROVIDER, START, create_dir, create_parent,
    write_file,
};
use crate::error::CliError;
use crate::home::Home;
use crate::keystore::{self, KdfProfile};

/// One agency of the cast: directory id, short name for file names, display name, role,
/// and whether it is a 42 CFR Part 2 program.
pub(super) struct Cast {
    pub(super) id: &'static str,
    pub(super) short: &'static str,
    pub(super) name: &'static str,
    pub(super) role: Role,
    pub(super) part2_program: bool,
}

pub(super) const CAST: [Cast; 6] = [
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

pub(super) fn short_name(id: &str) -> &str {
    CAST.iter().find(|c| c.id == id).map_or(id, |c| c.short)
}

/// One agency: its own ledger and the consents, revocations and events it holds (its keys are
/// in the story's [`World`]).
pub(super) struct Agency {
    pub(super) cast: &'static Cast,
    pub(super) ledger: Ledger,
    pub(super) consents: ConsentSet,
}

/// The agencies, the participant and the simulated clock.
pub(super) struct Story {
    pub(super) home: Home,
    /// The anchor, the certified cast with their keys, the directory and the participant's key
    /// (the shared fixtures' world, from the operating system's randomness).
    pub(super) world: World,
    pub(super) agencies: BTreeMap<&'static str, Agency>,
    pub(super) subject: Subject,
    /// The simulated time, seconds since the Unix epoch.
    pub(super) now: u64,
    /// Envelopes written so far (numbers the files).
    pub(super) envelopes: u32,
    pub(super) timeline: Vec<Event>,
    /// The discharge envelope, re-presented to the court to show replay detection.
    pub(super) discharge: Option<Vec<u8>>,
    /// The keystores' passphrase (the court's rotation writes a new keystore).
    pub(super) passphrase: Zeroizing<String>,
}

pub(super) fn agency<'a>(
    agencies: &'a BTreeMap<&'static str, Agency>,
    id: &str,
) -> Result<&'a Agency, CliError> {
    agencies.get(id).ok_or_else(|| unknown_agency(id))
}

pub(super) fn agency_mut<'a>(
    agencies: &'a mut BTreeMap<&'static str, Agency>,
    id: &str,
) -> Result<&'a mut Agency, CliError> {
    agencies.get_mut(id).ok_or_else(|| unknown_agency(id))
}

/// Agency `id`'s keys.
pub(super) fn keys<'a>(world: &'a World, id: &str) -> Result<&'a AgencyKeys, CliError> {
    world.keys.get(id).ok_or_else(|| unknown_agency(id))
}

pub(super) fn unknown_agency(id: &str) -> CliError {
    DirectoryError::UnknownAgency {
        agency_id: id.to_owned(),
    }
    .into()
}

impl Story {
    /// The trust anchor, the six certified agencies with their keystores and ledgers, and
    /// the directory file.
    pub(super) fn set_up(home: Home, passphrase: &str) -> Result<Story, CliError> {
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
            passphrase: Zeroizing::new(passphrase.to_owned()),
        })
    }

    /// Moves the simulated clock forward.
    pub(super) fn advance(&mut self, days: u64) {
        self.now += days * DAY;
    }

    pub(super) fn push(&mut self, event: Event) {
        self.timeline.push(event);
    }
}

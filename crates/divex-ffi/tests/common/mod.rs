//! The facade's test world, shared by `tests/facade.rs` and `benches/ffi_native.rs`: the
//! fixtures' world (`divex-fixtures`: a trust anchor and its certified agencies, the
//! participant) handed to the facade as a foreign caller receives it — the directory as a
//! bundle, the keys in keystores — and the participant's PC 1000 §2.35 consent from the
//! fixtures' builder, described as JSON.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::sync::Arc;

use divex_core::keystore::{self, KdfProfile};
use divex_ffi::*;
use divex_fixtures::{CJ_PURPOSE, ConsentBuilder};

pub use divex_fixtures::T0;

/// The id of the fixtures' PC 1000 consent.
pub const CONSENT_ID: &str = "c-pc1000-0001";

/// The passphrase of the keystores the facade loads its keys from.
const PASSPHRASE: &str = "facade test world";

/// The certified agencies, their directory and the participant's personal key, as facade
/// objects, and the fixtures' world they come from.
pub struct World {
    pub directory: Arc<Directory>,
    pub provider: Arc<AgencyKeys>,
    pub court: Arc<AgencyKeys>,
    pub probation: Arc<AgencyKeys>,
    pub patient: Arc<PersonalKey>,
    pub fixtures: divex_fixtures::World,
}

/// A fresh world with keys from the OS generator.
pub fn world() -> World {
    let fixtures = divex_fixtures::World::new();
    let agency = |id: &str| {
        let sealed =
            keystore::seal_agency(id, fixtures.key(id), PASSPHRASE, KdfProfile::Fast).unwrap();
        AgencyKeys::from_keystore(sealed, PASSPHRASE.into()).unwrap()
    };
    let provider = agency("treatment-provider");
    let court = agency("superior-court");
    let probation = agency("probation");
    let patient =
        keystore::seal_personal("patient", &fixtures.patient, PASSPHRASE, KdfProfile::Fast)
            .unwrap();
    World {
        directory: Directory::from_bytes(fixtures.directory.to_bytes()).unwrap(),
        provider,
        court,
        probation,
        patient: PersonalKey::from_keystore(patient, PASSPHRASE.into()).unwrap(),
        fixtures,
    }
}

/// The fixtures' PC 1000 consent (provider → court, DA and probation) as JSON.
/// `attach_consent` is the notice's requirement to attach the consent to every disclosure.
pub fn consent_json(w: &World, attach_consent: bool) -> String {
    ConsentBuilder::pc1000(&w.fixtures)
        .attach_consent(attach_consent)
        .json()
}

/// The participant the consent names.
pub fn subject() -> Subject {
    let s = divex_fixtures::subject();
    Subject {
        name: s.name,
        date_of_birth: s.date_of_birth.to_string(),
    }
}

/// A seal request under the consent for `recipients`.
pub fn request(recipients: &[&str], consent_copy: ConsentCopy) -> SealRequest {
    SealRequest {
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        subject: subject(),
        purpose: CJ_PURPOSE.clone(),
        consent_id: CONSENT_ID.into(),
        minimum_necessary: MinimumNecessary::Refuse,
        consent_copy,
        ledger_head: None,
    }
}

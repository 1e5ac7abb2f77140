//! A world of certified agencies and the people who sign: a trust anchor, the agencies it
//! certifies (with their roles, Part 2 flag and validity), the directory holding them, every
//! agency's keys, and the participant, a parent and a stranger.
//!
//! The keys and certificate serials come either from the operating system (a fresh world every
//! time) or from seeded streams ([`Seeds`]), so that a seeded world — and every vector made
//! from it — is the same byte for byte on every run.

use std::collections::BTreeMap;

use divex_core::consent::{
    AgencyFacts, Capacity, ConsentDirective, ConsentError, SignMethod, SignedConsent, Signer,
    StatementSigner,
};
use divex_core::directory::{
    AgencyCertificate, AnchorKeys, CertificateRequest, Directory, DirectoryError, Role,
};
use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::testing::{AgencyFactsExt, AnchorKeysExt, PersonalKeyExt};

use crate::records::{PARENT, subject};
use crate::seed::{agency, rng};
use crate::{DAY, T0};

/// The agencies of the standard world: directory id, role, and whether it is a 42 CFR Part 2
/// program.
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

/// The validity of the standard world's certificates: a year before [`T0`] to three years
/// after it ([`WorldBuilder::validity`] and [`WorldBuilder::not_before`] change it).
pub const VALIDITY: (u64, u64) = (T0 - 365 * DAY, T0 + 3 * 365 * DAY);

/// The agencies, the directory and the people who sign.
#[allow(missing_debug_implementations)] // holds secret keys; never printed
pub struct World {
    /// The trust anchor that certified every agency.
    pub anchor: AnchorKeys,
    /// A directory trusting [`World::anchor`] and holding every certificate it issued.
    pub directory: Directory,
    /// Every certified agency's keys, by directory id.
    pub keys: BTreeMap<&'static str, AgencyKeys>,
    /// Every certificate the anchor issued while building the world, in issue order.
    pub certificates: Vec<AgencyCertificate>,
    /// The participant ([`crate::subject`]).
    pub patient: PersonalKey,
    /// The participant's parent (who signs for a minor).
    pub parent: PersonalKey,
    /// A person no consent lists.
    pub stranger: PersonalKey,
}

/// The seeded streams ([`crate::rng`] purposes) a seeded world draws from, one per key and
/// serial, so that the world is the same byte for byte on every run whatever else is drawn.
///
/// An agency's keys are always [`crate::agency`]`(id)`, the keys of the envelope vectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeds {
    /// The purpose of the anchor key's stream.
    pub anchor: String,
    /// Prefix of a certificate serial's stream; the agency id follows it.
    pub serial: String,
    /// Prefix of a person's stream; `patient`, `parent` or `stranger` follows it.
    pub person: String,
}

impl Seeds {
    /// The streams of a world seeded from `label`: `"<label> anchor"` for the anchor,
    /// `"<label> certificate <id>"` for agency `id`'s serial and `"<label> <who>"` for a
    /// person.
    ///
    /// ```
    /// let s = divex_fixtures::Seeds::label("fuzz");
    /// assert_eq!((s.anchor.as_str(), s.serial.as_str(), s.person.as_str()),
    ///            ("fuzz anchor", "fuzz certificate ", "fuzz "));
    /// ```
    pub fn label(label: &str) -> Seeds {
        Seeds {
            anchor: format!("{label} anchor"),
            serial: format!("{label} certificate "),
            person: format!("{label} "),
        }
    }
}

/// Where a world's keys and certificate serials come from.
#[derive(Debug, Clone)]
enum Randomness {
    /// The operating system's CSPRNG: a fresh world every time.
    Os,
    /// One seeded stream per draw, named by [`Seeds`].
    Seeded(Seeds),
}

impl Randomness {
    fn anchor(&self, name: &str) -> Result<AnchorKeys, DirectoryError> {
        match self {
            Randomness::Os => AnchorKeys::generate(name),
            Randomness::Seeded(s) => AnchorKeys::generate_with_rng(name, &mut rng(&s.anchor)),
        }
    }

    fn agency(&self, id: &str) -> AgencyKeys {
        match self {
            Randomness::Os => AgencyKeys::generate(),
            Randomness::Seeded(_) => agency(id),
        }
    }

    fn issue(
        &self,
        anchor: &AnchorKeys,
        request: &CertificateRequest,
    ) -> Result<AgencyCertificate, DirectoryError> {
        match self {
            Randomness::Os => anchor.issue(request),
            Randomness::Seeded(s) => anchor.issue_with_rng(
                request,
                &mut rng(&format!("{}{}", s.serial, request.agency_id)),
            ),
        }
    }

    fn person(&self, who: &str) -> PersonalKey {
        match self {
            Randomness::Os => PersonalKey::generate(),
            Randomness::Seeded(s) => {
                PersonalKey::generate_with_rng(&mut rng(&format!("{}{who}", s.person)))
            }
        }
    }
}

/// One agency the anchor certifies.
#[derive(Debug, Clone)]
struct Member {
    id: &'static str,
    role: Role,
    part2: bool,
}

/// Builds a [`World`]: which agencies the anchor certifies, under which names, for how long,
/// and whether the keys come from the operating system or from fixed seeds. Starts from
/// [`World::new`]'s choices: the OS CSPRNG, the anchor `county-justice-it`, the nine
/// [`AGENCIES`] named after their ids, [`VALIDITY`].
///
/// ```
/// use divex_core::directory::Role;
/// use divex_fixtures::{T0, World};
///
/// let w = World::builder()
///     .only(["treatment-provider", "superior-court"])
///     .agency("county-jail", Role::Intermediary, false)
///     .named("county-jail", "County Jail Health Services")
///     .build();
/// assert_eq!(w.certificates.len(), 3);
/// assert_eq!(w.witness("county-jail").name, "County Jail Health Services");
/// assert!(w.directory.current_certificate("superior-court", T0).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct WorldBuilder {
    randomness: Randomness,
    anchor_name: &'static str,
    agencies: Vec<Member>,
    /// Display names other than the id with its hyphens as spaces.
    names: BTreeMap<&'static str, &'static str>,
    validity: (u64, u64),
    /// Agencies whose certificate starts later than the world's validity.
    not_before: BTreeMap<&'static str, u64>,
    /// Agencies whose certificate ends earlier than the world's validity.
    not_after: BTreeMap<&'static str, u64>,
}

impl Default for WorldBuilder {
    fn default() -> Self {
        WorldBuilder {
            randomness: Randomness::Os,
            anchor_name: "county-justice-it",
            agencies: AGENCIES
                .iter()
                .map(|&(id, role, part2)| Member { id, role, part2 })
                .collect(),
            names: BTreeMap::new(),
            validity: VALIDITY,
            not_before: BTreeMap::new(),
            not_after: BTreeMap::new(),
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
        self.agencies.push(Member { id, role, part2 });
        self
    }

    /// Certifies exactly `agencies` (id, role, Part 2 flag), in order, instead of the ones
    /// chosen so far.
    pub fn agencies(
        mut self,
        agencies: impl IntoIterator<Item = (&'static str, Role, bool)>,
    ) -> Self {
        self.agencies = agencies
            .into_iter()
            .map(|(id, role, part2)| Member { id, role, part2 })
            .collect();
        self
    }

    /// Does not certify agency `id`.
    pub fn without(mut self, id: &str) -> Self {
        self.agencies.retain(|m| m.id != id);
        self
    }

    /// Certifies only the agencies in `ids` (of those chosen so far), in their order so far.
    pub fn only<const N: usize>(mut self, ids: [&str; N]) -> Self {
        self.agencies.retain(|m| ids.contains(&m.id));
        self
    }

    /// Certifies agency `id` under the display name `name` (by default its id with the
    /// hyphens as spaces). The name is also the one [`World::witness`] signs with.
    pub fn named(mut self, id: &'static str, name: &'static str) -> Self {
        self.names.insert(id, name);
        self
    }

    /// Every certificate runs from `not_before` to `not_after` instead of [`VALIDITY`].
    pub fn validity(mut self, not_before: u64, not_after: u64) -> Self {
        self.validity = (not_before, not_after);
        self
    }

    /// Starts agency `id`'s certificate at `t` instead of at the start of the validity.
    pub fn not_before(mut self, id: &'static str, t: u64) -> Self {
        self.not_before.insert(id, t);
        self
    }

    /// Ends agency `id`'s certificate at `t` instead of at the end of the validity.
    pub fn not_after(mut self, id: &'static str, t: u64) -> Self {
        self.not_after.insert(id, t);
        self
    }

    /// Builds the world: the anchor, the certified agencies in order, then the patient, the
    /// parent and the stranger.
    ///
    /// # Panics
    ///
    /// If a certificate cannot be issued or added (an invalid id or name, or a validity that
    /// ends before it starts): a bug in the fixture that asked for it. [`WorldBuilder::try_build`]
    /// returns the error instead.
    pub fn build(self) -> World {
        self.try_build()
            .expect("the world's anchor certifies its agencies")
    }

    /// Builds the world, returning the directory's refusal of an anchor or certificate.
    pub fn try_build(self) -> Result<World, DirectoryError> {
        let r = &self.randomness;
        let anchor = r.anchor(self.anchor_name)?;
        let mut directory = Directory::new();
        directory.add_anchor(anchor.public())?;
        let mut keys = BTreeMap::new();
        let mut certificates = Vec::new();
        for Member { id, role, part2 } in self.agencies {
            let k = r.agency(id);
            let cert = r.issue(
                &anchor,
                &CertificateRequest {
                    agency_id: id.into(),
                    name: self
                        .names
                        .get(id)
                        .map_or_else(|| id.replace('-', " "), |n| (*n).to_owned()),
                    roles: vec![role],
                    part2_program: part2,
                    keys: k.public().clone(),
                    not_before: self.not_before.get(id).copied().unwrap_or(self.validity.0),
                    not_after: self.not_after.get(id).copied().unwrap_or(self.validity.1),
                },
            )?;
            directory.add_certificate(cert.as_bytes())?;
            certificates.push(cert);
            keys.insert(id, k);
        }
        Ok(World {
            anchor,
            directory,
            keys,
            certificates,
            patient: r.person("patient"),
            parent: r.person("parent"),
            stranger: r.person("stranger"),
        })
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

    /// The certificate the anchor last issued to `id` (while building the world, or at its
    /// latest [`World::rotate`]).
    ///
    /// # Panics
    ///
    /// If the world has no agency `id`.
    pub fn certificate(&self, id: &str) -> &AgencyCertificate {
        self.certificates
            .iter()
            .rev()
            .find(|c| c.agency_id() == id)
            .expect("certified agency")
    }

    /// Rotates agency `id`'s keys at `at`, as spec/directory.md §7 "Rotation" describes: new
    /// keys (from the operating system), a new certificate for the same agency id, name,
    /// roles and Part 2 flag from `at` to three years later, added to the directory; and,
    /// with `revoke_old` = `Some(reason)`, the previous certificate revoked at `at` for that
    /// reason (`superseded`, `key_compromise`, …). The new keys become [`World::key`]`(id)`;
    /// the old ones are returned (an agency keeps them to open envelopes sealed to them).
    ///
    /// # Panics
    ///
    /// If the world has no agency `id`, or the anchor or directory refuses the certificate
    /// or revocation.
    pub fn rotate(&mut self, id: &str, at: u64, revoke_old: Option<&str>) -> AgencyKeys {
        let old = self.certificate(id).clone();
        let keys = AgencyKeys::generate();
        let cert = self
            .anchor
            .issue(&CertificateRequest {
                agency_id: old.agency_id().to_owned(),
                name: old.name().to_owned(),
                roles: old.roles().to_vec(),
                part2_program: old.part2_program(),
                keys: keys.public().clone(),
                not_before: at,
                not_after: at + 3 * 365 * DAY,
            })
            .expect("the anchor issues the new certificate");
        self.directory
            .add_certificate(cert.as_bytes())
            .expect("the directory accepts the new certificate");
        self.certificates.push(cert);
        if let Some(reason) = revoke_old {
            let r = self
                .anchor
                .revoke(old.serial(), at, reason)
                .expect("the anchor revokes the old certificate");
            self.directory
                .add_revocation(r.as_bytes())
                .expect("the directory accepts the revocation");
        }
        let slot = self.keys.get_mut(id).expect("certified agency");
        std::mem::replace(slot, keys)
    }

    /// Agency `id`'s keys.
    ///
    /// # Panics
    ///
    /// If the world has no agency `id`.
    pub fn key(&self, id: &str) -> &AgencyKeys {
        self.keys.get(id).expect("certified agency")
    }

    /// What the consent engine knows of agency `id` at `t`, from its current certificate.
    ///
    /// # Panics
    ///
    /// If agency `id` has no certificate valid at `t`.
    pub fn facts(&self, id: &str, t: u64) -> AgencyFacts {
        AgencyFacts::from_certificate(
            self.directory
                .current_certificate(id, t)
                .expect("a current certificate"),
        )
    }

    /// Agency `id` as the witnessing signer of a consent: its certified name and signing key.
    pub fn witness(&self, id: &str) -> Signer {
        Signer {
            capacity: Capacity::WitnessingAgency,
            name: self.certificate(id).name().to_owned(),
            method: SignMethod::Electronic,
            key: Some(*self.key(id).public().signing().as_bytes()),
            agency_id: Some(id.into()),
            authority: None,
        }
    }

    /// The participant as the signer of their own consent.
    pub fn patient_signer(&self) -> Signer {
        Signer {
            capacity: Capacity::Patient,
            name: subject().name,
            method: SignMethod::Electronic,
            key: Some(*self.patient.public().as_bytes()),
            agency_id: None,
            authority: None,
        }
    }

    /// The participant's parent signing for them as a minor, stating their authority.
    pub fn parent_signer(&self) -> Signer {
        Signer {
            capacity: Capacity::Parent,
            name: PARENT.into(),
            method: SignMethod::Electronic,
            key: Some(*self.parent.public().as_bytes()),
            agency_id: None,
            authority: Some("parent of minor patient".into()),
        }
    }

    /// Validates `d` and signs it; each listed signer's key is picked from the patient, the
    /// parent and every agency (a wet-ink signer needs none).
    pub fn sign(&self, d: &ConsentDirective) -> Result<SignedConsent, ConsentError> {
        let mut signers: Vec<&dyn StatementSigner> = vec![&self.patient, &self.parent];
        for k in self.keys.values() {
            signers.push(k);
        }
        SignedConsent::sign(d, &signers)
    }
}

impl Default for World {
    fn default() -> Self {
        World::new()
    }
}

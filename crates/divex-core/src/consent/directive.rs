//! The consent directive's model (spec/consent.md §2): the regime, the participant, the
//! parties, the information permitted, expiry and revocability, notice, the case and the
//! signers. Its required elements are checked by `validate`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codec;
use crate::directory::{AgencyCertificate, Role};
use crate::keys::KeyId;
use crate::records::{Date, RecordType, Tier};
use crate::vocab::{FieldName, NoticeCode, Purpose};

/// The legal regime a consent is given under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Regime {
    /// 42 CFR §2.31 consent, revocable at will.
    #[serde(rename = "part2_2_31")]
    Part2General,
    /// 42 CFR §2.35 criminal-justice consent.
    #[serde(rename = "part2_2_35")]
    Part2CriminalJustice,
    /// 42 CFR Part 2 consent for counseling notes (their own consent).
    #[serde(rename = "part2_counseling_notes")]
    Part2CounselingNotes,
    /// HIPAA authorisation (not Part 2 data).
    #[serde(rename = "hipaa")]
    Hipaa,
    /// A state-law-only release (not Part 2 data).
    #[serde(rename = "state_only")]
    StateOnly,
}

impl Regime {
    /// Whether this is a 42 CFR Part 2 regime.
    pub(crate) fn is_part2(self) -> bool {
        matches!(
            self,
            Regime::Part2General | Regime::Part2CriminalJustice | Regime::Part2CounselingNotes
        )
    }

    /// The section cited for this regime.
    pub fn citation(self) -> &'static str {
        match self {
            Regime::Part2General => "42 CFR §2.31",
            Regime::Part2CriminalJustice => "42 CFR §2.35",
            Regime::Part2CounselingNotes => "42 CFR §2.31(b) (counseling notes)",
            Regime::Hipaa => "45 CFR §164.508",
            Regime::StateOnly => "state law",
        }
    }
}

/// The participant the consent is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Full name.
    pub name: String,
    /// Date of birth (encoded `YYYY-MM-DD`).
    pub date_of_birth: Date,
}

impl Subject {
    /// The name as divex compares it: split on whitespace, each word lower-cased (Unicode
    /// lower case), joined with single spaces. This is the one normalisation of participant
    /// names: [`Subject::same_person`] compares it, and the ledger hashes it into its subject
    /// key, so two subjects that are the same person are also one participant there.
    ///
    /// ```
    /// use divex_core::consent::Subject;
    ///
    /// let s = Subject {
    ///     name: "  Jordan\tAvery  REYES ".into(),
    ///     date_of_birth: "1994-03-14".parse()?,
    /// };
    /// assert_eq!(s.normalised_name(), "jordan avery reyes");
    /// # Ok::<(), divex_core::records::InvalidDate>(())
    /// ```
    pub fn normalised_name(&self) -> String {
        self.name
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether two subject descriptions name the same participant (names compared as
    /// [`Subject::normalised_name`]: trimmed, spaces collapsed, case ignored; date of birth
    /// exactly).
    pub fn same_person(&self, other: &Subject) -> bool {
        self.normalised_name() == other.normalised_name()
            && self.date_of_birth == other.date_of_birth
    }
}

/// A party named in a consent: a specific agency, or a class of agencies by certified role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The agency with this directory id.
    Agency(String),
    /// Any agency certified with this role (e.g. "any certified treatment provider").
    Role(Role),
}

impl Party {
    /// Whether the certified agency `agency` is designated by this entry of a consent whose
    /// jurisdiction — the anchor that certified its witnessing agency — is `jurisdiction`.
    ///
    /// A role is a statement of the anchor that certified it (spec/directory.md §3.3), so a
    /// party named by role designates only agencies certified with that role by the
    /// consent's own anchor; an agency certified elsewhere must be named by id.
    pub(crate) fn designates(&self, agency: &AgencyFacts, jurisdiction: &KeyId) -> bool {
        match self {
            Party::Agency(id) => *id == agency.agency_id,
            Party::Role(role) => agency.roles.contains(role) && agency.anchor == *jurisdiction,
        }
    }
}

/// What the directory certifies about an agency, as the consent engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyFacts {
    /// Directory id.
    pub agency_id: String,
    /// Certified roles.
    pub roles: Vec<Role>,
    /// Whether it is a Part 2 program.
    pub part2_program: bool,
    /// The key id of the trust anchor that issued the certificate: whose statement the roles
    /// are (spec/directory.md §3.3).
    pub anchor: KeyId,
}

impl AgencyFacts {
    /// The facts a certificate states.
    pub(crate) fn from_certificate(cert: &AgencyCertificate) -> AgencyFacts {
        AgencyFacts {
            agency_id: cert.agency_id().to_owned(),
            roles: cert.roles().to_vec(),
            part2_program: cert.part2_program(),
            anchor: cert.issuer(),
        }
    }

    /// Whether the agency holds a role with a §2.35 monitoring duty.
    pub(crate) fn is_justice_monitor(&self) -> bool {
        self.roles.iter().any(|r| r.is_justice_monitor())
    }
}

/// A date range given in seconds since the Unix epoch and applied at day granularity: a
/// record is inside when its dates fall on the UTC calendar days from `from`'s day through
/// `to`'s day, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Start.
    pub from: u64,
    /// End.
    pub to: u64,
}

/// The information a consent permits (the "specific description" of §2.31(a)(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Information {
    /// Permitted record types.
    pub record_types: Vec<RecordType>,
    /// Per-type field allow-list. A type without an entry allows every field of a permitted
    /// tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<RecordType, Vec<FieldName>>,
    /// Permitted sensitivity tiers.
    pub tiers: Vec<Tier>,
    /// Record types this consent expressly refuses (a "deny" under deny-overrides).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_record_types: Vec<RecordType>,
    /// The period of treatment the information may come from (stated for the participant;
    /// see spec/consent.md §6 for how it is applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_period: Option<Period>,
    /// Human description, as on the signed form.
    pub description: String,
}

/// An event that can end a consent or its irrevocable period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTrigger {
    /// The case whose final disposition is the event.
    pub case_ref: String,
}

/// When a consent expires: a date, an event, or whichever comes first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expiry {
    /// Expiry date (seconds since the Unix epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<u64>,
    /// Expiry event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventTrigger>,
}

/// How a consent may be revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocability {
    /// At any time (§2.31).
    AtWill,
    /// Only once a date has passed or an event has happened (§2.35); in any case once the
    /// case's final disposition is recorded.
    RevocableAfter(Expiry),
}

/// What recipients may do with the information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redisclosure {
    /// No redisclosure (§2.32 default).
    Prohibited,
    /// Only to carry out official duties on this case (§2.35(d)).
    CjOfficialDutiesOnly,
}

/// Use restrictions that travel with the data as labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UseRestriction {
    /// §2.12(d): no use to bring or investigate charges against the patient.
    NoCriminalUseAgainstPatient,
    /// LEAD: nothing shared may be used for adverse action against the participant.
    NoAdverseAction,
}

/// The §2.32 notice form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeForm {
    /// "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
    Short,
    /// The long-form statement of §2.32(a)(1).
    Long,
}

impl NoticeForm {
    /// The notice code carried in envelope metadata.
    pub fn code(self) -> NoticeCode {
        match self {
            NoticeForm::Short => NoticeCode::PART2_SHORT,
            NoticeForm::Long => NoticeCode::PART2_LONG,
        }
    }

    /// The statement itself.
    pub(crate) fn text(self) -> &'static str {
        match self {
            NoticeForm::Short => {
                "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
            }
            NoticeForm::Long => {
                "This record which has been disclosed to you is protected by federal \
                 confidentiality rules (42 CFR part 2). These rules prohibit you from using or \
                 disclosing this record, or testimony that describes the information contained \
                 in this record, in any civil, criminal, administrative, or legislative \
                 proceedings by any Federal, State, or local authority, against the patient, \
                 unless authorized by the consent of the patient, except as provided at 42 CFR \
                 2.12(c)(5) or as authorized by a court in accordance with 42 CFR 2.64 or 2.65. \
                 In addition, the Part 2 regulations prohibit you from using or disclosing this \
                 record or testimony to criminally investigate or prosecute a Part 2 patient, \
                 except as provided at 42 CFR 2.66 or 2.67. A general authorization for the \
                 release of medical or other information is NOT sufficient to meet the required \
                 elements of written consent to further use or redisclose this record."
            }
        }
    }
}

/// Which notice accompanies disclosures and whether the consent copy goes with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// The statement.
    pub form: NoticeForm,
    /// Attach the signed consent to every disclosure (§2.32(b)); otherwise a reference is
    /// allowed when the recipient already holds it.
    pub attach_consent: bool,
}

/// The case a §2.35 consent is tied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Case number.
    pub case_ref: String,
    /// Directory id of the authority whose signed disposition counts for this case (the
    /// court for a court case; the prosecutor for pre-filing diversion).
    pub authority: String,
}

/// In what capacity someone signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// The patient.
    Patient,
    /// A parent of a minor patient.
    Parent,
    /// A court-appointed guardian.
    Guardian,
    /// Another authorised representative (e.g. of a deceased or incapacitated patient).
    Representative,
    /// The agency that witnessed and recorded the signature.
    WitnessingAgency,
}

impl Capacity {
    /// Whether this capacity can consent for the patient.
    pub(crate) fn speaks_for_patient(self) -> bool {
        !matches!(self, Capacity::WitnessingAgency)
    }
}

/// How a signature was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignMethod {
    /// An Ed25519 signature by the signer's own key (e.g. a key made for this consent on
    /// the program's signing tablet).
    Electronic,
    /// A wet-ink signature on the paper form, witnessed by the agency; the form's hash is in
    /// `source_document` and the witnessing agency's signature covers it.
    WetInkWitnessed,
}

/// One signer of the consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// Capacity.
    pub capacity: Capacity,
    /// Name as signed.
    pub name: String,
    /// Method.
    pub method: SignMethod,
    /// Ed25519 public key (required for electronic signatures and for the witnessing
    /// agency, whose certified signing key it must be).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_key")]
    pub key: Option<[u8; 32]>,
    /// For the witnessing agency: its directory id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    /// For representatives: the authority they sign under (e.g. "parent of minor").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

/// Hash and media type of the signed paper or PDF form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDocument {
    /// SHA-256 of the document.
    #[serde(with = "codec::bytes_array")]
    pub sha256: [u8; 32],
    /// Its media type, e.g. `application/pdf`.
    pub media_type: String,
}

/// A consent directive (DOMAIN.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDirective {
    /// Unique id of this version.
    pub id: String,
    /// Version number (1 for the first).
    pub version: u32,
    /// Id of the version this one supersedes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    /// Regime.
    pub regime: Regime,
    /// Regulatory basis codes, e.g. `42CFRPart2`, `CA-PC-1000`.
    pub regulatory_basis: Vec<String>,
    /// The participant (§2.31(a)(1)).
    pub subject: Subject,
    /// Who may disclose (§2.31(a)(2)).
    pub disclosers: Vec<Party>,
    /// Who may receive (§2.31(a)(4)).
    pub recipients: Vec<Party>,
    /// Purposes (§2.31(a)(5)).
    pub purposes: Vec<Purpose>,
    /// What may be disclosed (§2.31(a)(3)).
    pub information: Information,
    /// When it takes effect.
    pub effective: u64,
    /// When it expires (§2.31(a)(7)).
    pub expiry: Expiry,
    /// How it may be revoked (§2.31(a)(6)).
    pub revocation: Revocability,
    /// Redisclosure rule.
    pub redisclosure: Redisclosure,
    /// Use restrictions beyond those the law imposes anyway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub use_restrictions: Vec<UseRestriction>,
    /// Notice.
    pub notice: Notice,
    /// The case (required for §2.35).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<Case>,
    /// Signers (§2.31(a)(8)).
    pub signers: Vec<Signer>,
    /// The signed form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_document: Option<SourceDocument>,
    /// When it was signed (§2.31(a)(9)).
    pub signed_at: u64,
}

mod opt_key {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match k {
            Some(k) => s.serialize_bytes(k),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        match ciborium::Value::deserialize(d)? {
            ciborium::Value::Bytes(b) => b
                .try_into()
                .map(Some)
                .map_err(|_| serde::de::Error::custom("key must be 32 bytes")),
            _ => Err(serde::de::Error::custom("expected a byte string")),
        }
    }
}

impl ConsentDirective {
    /// Keys of the signers who speak for the patient (they may sign revocations).
    pub(crate) fn patient_signer_keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.signers
            .iter()
            .filter(|s| s.capacity.speaks_for_patient())
            .filter_map(|s| s.key.as_ref())
    }

    /// The witnessing agency's id.
    pub(crate) fn witness_agency(&self) -> Option<&str> {
        self.signers
            .iter()
            .find(|s| s.capacity == Capacity::WitnessingAgency)
            .and_then(|s| s.agency_id.as_deref())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// spec/directory.md §3.3: a role designates only agencies the consent's own anchor
    /// certified; an agency id designates its agency whoever certified it.
    #[test]
    fn a_role_designates_only_within_the_consents_jurisdiction() {
        let (county, other) = (
            KeyId::from_bytes(&[1; 16]).unwrap(),
            KeyId::from_bytes(&[2; 16]).unwrap(),
        );
        let probation = |anchor| AgencyFacts {
            agency_id: "probation".into(),
            roles: vec![Role::Probation],
            part2_program: false,
            anchor,
        };
        let by_role = Party::Role(Role::Probation);
        let by_id = Party::Agency("probation".into());
        assert!(by_role.designates(&probation(county), &county));
        assert!(!by_role.designates(&probation(other), &county));
        assert!(by_id.designates(&probation(other), &county));
        assert!(!Party::Role(Role::Court).designates(&probation(county), &county));
    }
}

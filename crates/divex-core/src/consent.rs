//! Consent directives (42 CFR Part 2), their revocations, and the case events that move them
//! along (spec/consent.md).
//!
//! A [`ConsentDirective`] is the machine-readable form of the participant's signed consent
//! (DOMAIN.md §3). It is carried as a `COSE_Sign` (tag 98) with one signature per signer: the
//! patient or an authorised representative, and the witnessing agency. Scope is read only
//! from the signed bytes; a consent changed after signing is a forgery, not a narrower or
//! wider consent.
//!
//! Three regimes are encoded:
//!
//! * **§2.31** ([`Regime::Part2General`]) — revocable at will.
//! * **§2.35** ([`Regime::Part2CriminalJustice`]) — recipients only justice agencies with a
//!   monitoring duty on the case; irrevocable until a stated date or event, and no later than
//!   the case's final disposition; redisclosure only for official duties on that case.
//! * **Counseling notes** ([`Regime::Part2CounselingNotes`]) — their own consent, never
//!   combined with other record types.
//!
//! A consent missing a required element is refused when it is signed ([`SignedConsent::sign`])
//! and again whenever it is used ([`SignedConsent::verify`]).
//!
//! Revocations ([`RevocationStatement`]) and case events ([`CaseEvent`]) are separately signed
//! statements. Whether a revocation takes effect, and when a consent stops applying, is
//! decided by [`crate::decision`], a pure function of verified consents, revocations, events
//! and a request.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec::{self, CodecError, DecodeLimits, Map, Value};
use crate::cose::{self, ProtectedHeader, alg, label};
use crate::directory::{AgencyCertificate, Directory, Role};
use crate::keys::{AgencyKeys, KeyId, SigningPublicKey};
use crate::records::{RecordType, Tier};

/// `typ` of a signed consent directive.
pub const CONSENT_TYP: &str = "application/divex-consent+cbor";
/// `typ` of a signed revocation statement.
pub const REVOCATION_TYP: &str = "application/divex-consent-revocation+cbor";
/// `typ` of a signed case event.
pub const CASE_EVENT_TYP: &str = "application/divex-case-event+cbor";

/// Largest signed consent accepted, in bytes.
pub const MAX_CONSENT_BYTES: usize = 64 * 1024;
/// Largest signed revocation or case event accepted, in bytes.
pub const MAX_STATEMENT_BYTES: usize = 4 * 1024;
/// Most entries in any list of a consent (parties, purposes, record types, signers...).
pub const MAX_LIST: usize = 32;

const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_CONSENT_BYTES,
    max_depth: 12,
    max_items: 256,
    max_string: MAX_CONSENT_BYTES,
};

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
    pub fn is_part2(self) -> bool {
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
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
}

impl Subject {
    /// Whether two subject descriptions name the same participant (name compared after
    /// trimming, collapsing spaces and ignoring case; date of birth exactly).
    pub fn same_person(&self, other: &Subject) -> bool {
        fn norm(s: &str) -> String {
            s.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" ")
        }
        norm(&self.name) == norm(&other.name) && self.date_of_birth == other.date_of_birth
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
    /// Whether the certified agency `agency` is designated by this entry.
    pub fn designates(&self, agency: &AgencyFacts) -> bool {
        match self {
            Party::Agency(id) => *id == agency.agency_id,
            Party::Role(role) => agency.roles.contains(role),
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
}

impl AgencyFacts {
    /// The facts a certificate states.
    pub fn from_certificate(cert: &AgencyCertificate) -> AgencyFacts {
        AgencyFacts {
            agency_id: cert.agency_id().to_owned(),
            roles: cert.roles().to_vec(),
            part2_program: cert.part2_program(),
        }
    }

    /// Whether the agency holds a role with a §2.35 monitoring duty.
    pub fn is_justice_monitor(&self) -> bool {
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
    pub fields: BTreeMap<RecordType, Vec<String>>,
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

/// The notice code carried by disclosures that are not Part 2 records.
pub const NO_PART2_NOTICE: &str = "no-part2-notice";

impl NoticeForm {
    /// The notice code carried in envelope metadata.
    pub fn code(self) -> &'static str {
        match self {
            NoticeForm::Short => "part2-notice-short",
            NoticeForm::Long => "part2-notice-long",
        }
    }

    /// The statement itself.
    pub fn text(self) -> &'static str {
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
    pub fn speaks_for_patient(self) -> bool {
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
    pub purposes: Vec<String>,
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

/// Why a consent, revocation or event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// Not strict CBOR or not the expected schema.
    #[error("the consent document is malformed: {0}")]
    Malformed(#[from] CodecError),
    /// The COSE structure is wrong.
    #[error("the consent document is not a valid signed divex document: {0}")]
    Structure(&'static str),
    /// Larger than the limit.
    #[error("the consent document is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// A required element is missing or invalid (a facially deficient consent).
    #[error("the consent is deficient: {element} {problem} ({citation})")]
    Deficient {
        /// The element (e.g. "recipients").
        element: &'static str,
        /// What is wrong.
        problem: &'static str,
        /// The section requiring it.
        citation: &'static str,
    },
    /// A listed signer did not sign, or a signature does not verify.
    #[error(
        "the consent signature of the {capacity:?} does not verify; the consent is forged or altered"
    )]
    BadSignature {
        /// Whose signature.
        capacity: Capacity,
    },
    /// A signature by a key that is not a listed signer.
    #[error("the consent carries a signature by a key it does not list as a signer")]
    UnexpectedSigner,
    /// The witnessing agency is not certified with that key.
    #[error(
        "the witnessing agency {agency_id} is not certified with the key that signed: {reason}"
    )]
    UncertifiedWitness {
        /// Agency id.
        agency_id: String,
        /// Why.
        reason: String,
    },
    /// Signing was asked without a key for a listed signer.
    #[error("no key was supplied for the {capacity:?} signer")]
    MissingSignerKey {
        /// The signer lacking a key.
        capacity: Capacity,
    },
    /// A revocation or event names a consent, case or signer it does not match.
    #[error("the statement does not apply: {0}")]
    NotApplicable(&'static str),
    /// A revocation or case event's signature does not verify.
    #[error("the {what}'s signature does not verify; it is forged or altered")]
    BadStatementSignature {
        /// "revocation" or "case event".
        what: &'static str,
    },
    /// A statement dated later than now (beyond the allowed clock skew).
    #[error("the {what} is dated {at}, after the current time {now}; check the clocks")]
    FutureDated {
        /// What was dated.
        what: &'static str,
        /// Its date.
        at: u64,
        /// The time of verification.
        now: u64,
    },
    /// A different consent with the same id is already held.
    #[error("a different consent with id {id} is already held; consent ids must be unique")]
    ConflictingId {
        /// The id.
        id: String,
    },
    /// The agency that signed a revocation or case event is known but not trusted now
    /// (certificate expired, revoked or not yet valid).
    #[error("the signer of the {what} is not trusted: {reason}")]
    UntrustedSigner {
        /// "revocation" or "case event".
        what: &'static str,
        /// The directory's reason.
        reason: String,
    },
    /// A revocation names a consent this agency does not hold.
    #[error(
        "the revocation is for consent {consent_id}, which this agency does not hold; import the consent first"
    )]
    ConsentNotHeld {
        /// The consent named.
        consent_id: String,
    },
    /// The same key signs as the patient (or representative) and as the witnessing agency.
    #[error(
        "the witnessing agency's key also signs for the patient; the patient must sign with their own key"
    )]
    SignerKeyReused,
}

impl ConsentError {
    /// A stable snake_case name for the error (used by vectors, bindings and the CLI).
    pub fn class(&self) -> &'static str {
        match self {
            ConsentError::Malformed(_) => "malformed",
            ConsentError::Structure(_) => "structure",
            ConsentError::TooLarge { .. } => "too_large",
            ConsentError::Deficient { .. } => "deficient",
            ConsentError::BadSignature { .. } => "bad_signature",
            ConsentError::UnexpectedSigner => "unexpected_signer",
            ConsentError::UncertifiedWitness { .. } => "uncertified_witness",
            ConsentError::MissingSignerKey { .. } => "missing_signer_key",
            ConsentError::NotApplicable(_) => "not_applicable",
            ConsentError::BadStatementSignature { .. } => "bad_statement_signature",
            ConsentError::FutureDated { .. } => "future_dated",
            ConsentError::ConflictingId { .. } => "conflicting_id",
            ConsentError::UntrustedSigner { .. } => "untrusted_signer",
            ConsentError::SignerKeyReused => "signer_key_reused",
            ConsentError::ConsentNotHeld { .. } => "consent_not_held",
        }
    }
}

/// The certificate of the agency that signed a statement, valid at `now`: an unknown key is
/// [`ConsentError::UnexpectedSigner`], a known but untrusted one
/// [`ConsentError::UntrustedSigner`] with the directory's reason.
fn statement_signer<'d>(
    directory: &'d Directory,
    kid: &KeyId,
    what: &'static str,
    now: u64,
) -> Result<&'d AgencyCertificate, ConsentError> {
    directory
        .certificate_by_signing_kid(kid, now)
        .map_err(|e| match e {
            crate::directory::DirectoryError::UnknownKey { .. } => ConsentError::UnexpectedSigner,
            other => ConsentError::UntrustedSigner {
                what,
                reason: other.to_string(),
            },
        })
}

fn deficient(element: &'static str, problem: &'static str, citation: &'static str) -> ConsentError {
    ConsentError::Deficient {
        element,
        problem,
        citation,
    }
}

fn unique<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, x)| !items.iter().skip(i + 1).any(|y| y == x))
}

fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Directory agency ids: `[a-z0-9._-]{1,64}` (spec/directory.md).
fn is_agency_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn is_date(s: &str) -> bool {
    crate::records::Date::parse(s).is_ok() && is_date_shape(s)
}

fn is_date_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && matches!(s.get(5..7).and_then(|m| m.parse::<u8>().ok()), Some(1..=12))
        && matches!(
            s.get(8..10).and_then(|d| d.parse::<u8>().ok()),
            Some(1..=31)
        )
}

impl ConsentDirective {
    /// Checks every required element of the regime; a deficient consent is refused when it
    /// is signed and whenever it is used.
    pub fn validate(&self) -> Result<(), ConsentError> {
        use Regime::*;
        const A: &str = "42 CFR §2.31(a)";
        const CJ: &str = "42 CFR §2.35";
        if !is_token(&self.id, 128) {
            return Err(deficient("id", "must be a token of 1-128 characters", A));
        }
        if self.version == 0 {
            return Err(deficient("version", "must be at least 1", A));
        }
        match (&self.supersedes, self.version) {
            (Some(_), 1) => return Err(deficient("supersedes", "is set on version 1", A)),
            (None, v) if v > 1 => {
                return Err(deficient("supersedes", "is required after version 1", A));
            }
            (Some(s), _) if !is_token(s, 128) || *s == self.id => {
                return Err(deficient("supersedes", "must name another consent id", A));
            }
            _ => {}
        }
        if self.subject.name.trim().is_empty() || self.subject.name.len() > 256 {
            return Err(deficient(
                "patient name",
                "is missing",
                "42 CFR §2.31(a)(1)",
            ));
        }
        if !is_date(&self.subject.date_of_birth) {
            return Err(deficient(
                "date of birth",
                "must be YYYY-MM-DD",
                "42 CFR §2.31(a)(1)",
            ));
        }
        let bounded = |n: usize| (1..=MAX_LIST).contains(&n);
        if !bounded(self.disclosers.len()) {
            return Err(deficient(
                "disclosers",
                "must name 1-32 agencies or classes",
                "42 CFR §2.31(a)(2)",
            ));
        }
        if !bounded(self.recipients.len()) {
            return Err(deficient(
                "recipients",
                "must name 1-32 agencies or classes",
                "42 CFR §2.31(a)(4)",
            ));
        }
        for p in self.disclosers.iter().chain(&self.recipients) {
            match p {
                Party::Agency(id) if !is_agency_id(id) => {
                    return Err(deficient(
                        "parties",
                        "agency ids must be directory ids ([a-z0-9._-], 1-64 characters)",
                        A,
                    ));
                }
                // §2.31(a)(4)(ii): an intermediary must be named, with its members.
                Party::Role(Role::Intermediary) => {
                    return Err(deficient(
                        "recipients",
                        "an intermediary must be named, not designated by class",
                        "42 CFR §2.31(a)(4)",
                    ));
                }
                _ => {}
            }
        }
        if !bounded(self.purposes.len()) || self.purposes.iter().any(|p| !is_token(p, 64)) {
            return Err(deficient(
                "purposes",
                "must list 1-32 purpose tokens",
                "42 CFR §2.31(a)(5)",
            ));
        }
        if self.regulatory_basis.len() > MAX_LIST
            || self.regulatory_basis.iter().any(|p| !is_token(p, 64))
        {
            return Err(deficient("regulatory basis", "must be codes", A));
        }
        let info = &self.information;
        if !bounded(info.record_types.len()) {
            return Err(deficient(
                "information",
                "must permit at least one record type",
                "42 CFR §2.31(a)(3)",
            ));
        }
        if info.description.trim().is_empty() || info.description.len() > 2048 {
            return Err(deficient(
                "information",
                "must describe the information in words",
                "42 CFR §2.31(a)(3)",
            ));
        }
        if info.tiers.is_empty() {
            return Err(deficient(
                "information",
                "must permit at least one sensitivity tier",
                "42 CFR §2.13(a)",
            ));
        }
        if !unique(&info.record_types)
            || !unique(&info.tiers)
            || !unique(&info.excluded_record_types)
            || info.excluded_record_types.len() > MAX_LIST
        {
            return Err(deficient(
                "information",
                "lists a record type or tier twice",
                A,
            ));
        }
        for (rt, fields) in &info.fields {
            if fields.is_empty() || fields.len() > 64 || !unique(fields) {
                return Err(deficient(
                    "information",
                    "a field allow-list must name 1-64 distinct fields",
                    "42 CFR §2.13(a)",
                ));
            }
            if !info.record_types.contains(rt) {
                return Err(deficient(
                    "information",
                    "has a field allow-list for a record type it does not permit",
                    A,
                ));
            }
            for f in fields {
                if !rt.schema().iter().any(|s| s.name == f) {
                    return Err(deficient(
                        "information",
                        "allows a field the record type does not have",
                        A,
                    ));
                }
            }
        }
        if info
            .excluded_record_types
            .iter()
            .any(|t| info.record_types.contains(t))
        {
            return Err(deficient(
                "information",
                "both permits and excludes a record type",
                A,
            ));
        }
        if let Some(doc) = &self.source_document
            && (doc.media_type.is_empty() || doc.media_type.len() > 128)
        {
            return Err(deficient("source document", "needs a media type", A));
        }
        if self.signers.iter().any(|s| {
            s.authority
                .as_ref()
                .is_some_and(|a| a.trim().is_empty() || a.len() > 256)
        }) {
            return Err(deficient(
                "signature",
                "a representative's authority must be stated in 1-256 characters",
                "42 CFR §2.14-2.15",
            ));
        }
        if let Some(p) = info.data_period
            && p.from >= p.to
        {
            return Err(deficient(
                "information",
                "data period ends before it starts",
                A,
            ));
        }
        if self.expiry.date.is_none() && self.expiry.event.is_none() {
            return Err(deficient(
                "expiration",
                "needs a date or an event",
                "42 CFR §2.31(a)(7)",
            ));
        }
        if let Some(d) = self.expiry.date
            && d <= self.effective
        {
            return Err(deficient(
                "expiration",
                "is not after the effective date",
                "42 CFR §2.31(a)(7)",
            ));
        }
        // Signers: someone who speaks for the patient, and each signer well formed.
        if !bounded(self.signers.len()) {
            return Err(deficient("signature", "is missing", "42 CFR §2.31(a)(8)"));
        }
        if !self.signers.iter().any(|s| s.capacity.speaks_for_patient()) {
            return Err(deficient(
                "signature",
                "needs the patient or an authorised representative",
                "42 CFR §2.31(a)(8)",
            ));
        }
        for s in &self.signers {
            if s.name.trim().is_empty() || s.name.len() > 256 {
                return Err(deficient(
                    "signature",
                    "a signer has no name",
                    "42 CFR §2.31(a)(8)",
                ));
            }
            match (s.capacity, s.method) {
                (Capacity::WitnessingAgency, _) => {
                    if s.key.is_none()
                        || s.method != SignMethod::Electronic
                        || s.agency_id.as_deref().is_none_or(|a| !is_agency_id(a))
                    {
                        return Err(deficient(
                            "signature",
                            "the witnessing agency needs its id and signing key",
                            A,
                        ));
                    }
                }
                (c, SignMethod::Electronic) => {
                    if s.key.is_none() {
                        return Err(deficient(
                            "signature",
                            "an electronic signer needs a key",
                            A,
                        ));
                    }
                    if !matches!(c, Capacity::Patient) && s.authority.is_none() {
                        return Err(deficient(
                            "signature",
                            "a representative must state their authority",
                            "42 CFR §2.31(a)(8), §2.14-2.15",
                        ));
                    }
                }
                (c, SignMethod::WetInkWitnessed) => {
                    if self.source_document.is_none() {
                        return Err(deficient(
                            "signature",
                            "a wet-ink signature needs the signed form's hash",
                            A,
                        ));
                    }
                    if !matches!(c, Capacity::Patient) && s.authority.is_none() {
                        return Err(deficient(
                            "signature",
                            "a representative must state their authority",
                            "42 CFR §2.31(a)(8), §2.14-2.15",
                        ));
                    }
                }
            }
        }
        let witnesses = self
            .signers
            .iter()
            .filter(|s| s.capacity == Capacity::WitnessingAgency)
            .count();
        if witnesses != 1 {
            return Err(deficient(
                "signature",
                "needs exactly one witnessing agency",
                "spec/consent.md §4",
            ));
        }
        if self.signed_at > self.effective.saturating_add(86_400) {
            return Err(deficient(
                "signature date",
                "is after the consent takes effect",
                "42 CFR §2.31(a)(9)",
            ));
        }

        let witness_key = self
            .signers
            .iter()
            .find(|s| s.capacity == Capacity::WitnessingAgency)
            .and_then(|s| s.key);
        if self.patient_signer_keys().any(|k| Some(*k) == witness_key) {
            return Err(ConsentError::SignerKeyReused);
        }
        // Events are a case's final disposition: they need the case (and its authority).
        let triggers = [
            self.expiry.event.as_ref(),
            match &self.revocation {
                Revocability::RevocableAfter(until) => until.event.as_ref(),
                Revocability::AtWill => None,
            },
        ];
        for t in triggers.into_iter().flatten() {
            if self.case.as_ref().is_none_or(|c| c.case_ref != t.case_ref) {
                return Err(deficient(
                    "expiration event",
                    "must be the final disposition of the consent's own case",
                    "42 CFR §2.31(a)(7), §2.35(c)",
                ));
            }
        }
        // Counseling notes: their own consent, never combined (DOMAIN.md §2).
        let has_notes = info.record_types.contains(&RecordType::CounselingNote);
        match (self.regime, has_notes) {
            (Part2CounselingNotes, _) if info.record_types != [RecordType::CounselingNote] => {
                return Err(deficient(
                    "information",
                    "a counseling-notes consent covers counseling notes only",
                    "42 CFR §2.31(b)",
                ));
            }
            (r, true) if r != Part2CounselingNotes => {
                return Err(deficient(
                    "information",
                    "counseling notes need their own consent",
                    "42 CFR §2.31(b)",
                ));
            }
            _ => {}
        }
        match self.regime {
            Part2CriminalJustice => {
                let Some(case) = &self.case else {
                    return Err(deficient("case", "is required", CJ));
                };
                if !is_token(&case.case_ref, 64) || !is_agency_id(&case.authority) {
                    return Err(deficient("case", "needs a case number and authority", CJ));
                }
                for r in &self.recipients {
                    if let Party::Role(role) = r
                        && !role.is_justice_monitor()
                    {
                        return Err(deficient(
                            "recipients",
                            "may only be justice agencies with a monitoring duty",
                            "42 CFR §2.35(a)",
                        ));
                    }
                }
                let Revocability::RevocableAfter(until) = &self.revocation else {
                    return Err(deficient(
                        "revocation",
                        "must state when the consent becomes revocable",
                        "42 CFR §2.35(c)",
                    ));
                };
                if until.date.is_none() && until.event.is_none() {
                    return Err(deficient(
                        "revocation",
                        "needs a date or an event",
                        "42 CFR §2.35(c)",
                    ));
                }
                if self.redisclosure != Redisclosure::CjOfficialDutiesOnly
                    && self.redisclosure != Redisclosure::Prohibited
                {
                    return Err(deficient("redisclosure", "too broad", "42 CFR §2.35(d)"));
                }
                if info.tiers.contains(&Tier::T3) {
                    return Err(deficient(
                        "information",
                        "justice monitoring receives compliance data, not clinical detail",
                        "42 CFR §2.13(a), §2.35",
                    ));
                }
            }
            _ => {
                if self.redisclosure != Redisclosure::Prohibited {
                    return Err(deficient(
                        "redisclosure",
                        "only a §2.35 consent may allow redisclosure for official duties",
                        "42 CFR §2.32, §2.35(d)",
                    ));
                }
                if self.revocation != Revocability::AtWill {
                    return Err(deficient(
                        "revocation",
                        "only a §2.35 consent may be irrevocable",
                        "42 CFR §2.31(a)(6)",
                    ));
                }
            }
        }
        Ok(())
    }

    /// Keys of the signers who speak for the patient (they may sign revocations).
    pub fn patient_signer_keys(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.signers
            .iter()
            .filter(|s| s.capacity.speaks_for_patient())
            .filter_map(|s| s.key.as_ref())
    }

    /// The witnessing agency's id.
    pub fn witness_agency(&self) -> Option<&str> {
        self.signers
            .iter()
            .find(|s| s.capacity == Capacity::WitnessingAgency)
            .and_then(|s| s.agency_id.as_deref())
    }
}

/// Something that can sign a consent or statement: an agency, or a person's key.
pub trait StatementSigner {
    /// The public key.
    fn signing_public(&self) -> &SigningPublicKey;
    /// Signs `message` with Ed25519.
    fn sign_message(&self, message: &[u8]) -> [u8; 64];
}

impl StatementSigner for AgencyKeys {
    fn signing_public(&self) -> &SigningPublicKey {
        self.public().signing()
    }
    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        self.sign(message)
    }
}

impl StatementSigner for crate::keys::PersonalKey {
    fn signing_public(&self) -> &SigningPublicKey {
        self.public()
    }
    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        self.sign(message)
    }
}

fn typ_header(typ: &str) -> ProtectedHeader {
    let mut m = Map::new();
    let _ = m.insert(Value::from(label::TYP), Value::from(typ));
    ProtectedHeader::new(m)
}

fn signer_header(kid: &KeyId) -> ProtectedHeader {
    let mut m = Map::new();
    let _ = m.insert(Value::from(label::ALG), Value::from(alg::ED25519));
    let _ = m.insert(Value::from(label::KID), Value::bytes(kid.as_bytes()));
    ProtectedHeader::new(m)
}

fn signer_kid(h: &ProtectedHeader) -> Result<KeyId, ConsentError> {
    let m = h.map();
    if m.len() != 2 || m.get_label(label::ALG).and_then(Value::as_i64) != Some(alg::ED25519) {
        return Err(ConsentError::Structure(
            "each signature must have exactly alg Ed25519 (-19) and kid",
        ));
    }
    m.get_label(label::KID)
        .and_then(Value::as_bytes)
        .and_then(|b| KeyId::from_bytes(b).ok())
        .ok_or(ConsentError::Structure(
            "signature kid must be a 16-byte key id",
        ))
}

/// A signed consent: the exact `COSE_Sign` bytes, and the directive they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedConsent {
    bytes: Vec<u8>,
    directive: ConsentDirective,
}

impl SignedConsent {
    /// Validates `directive` and signs it with one key per listed signer (the witnessing
    /// agency's keys included). Wet-ink signers need no key.
    pub fn sign(
        directive: &ConsentDirective,
        keys: &[&dyn StatementSigner],
    ) -> Result<SignedConsent, ConsentError> {
        directive.validate()?;
        let payload = codec::to_vec(directive)?;
        let mut msg = cose::Sign {
            protected: typ_header(CONSENT_TYP),
            unprotected: Map::new(),
            payload,
            signatures: Vec::new(),
        };
        for s in &directive.signers {
            let Some(pk) = s.key else { continue };
            let key = keys
                .iter()
                .find(|k| *k.signing_public().as_bytes() == pk)
                .ok_or(ConsentError::MissingSignerKey {
                    capacity: s.capacity,
                })?;
            let protected = signer_header(&key.signing_public().kid());
            let signature = key
                .sign_message(&msg.to_be_signed(protected.as_bytes(), &[]))
                .to_vec();
            msg.signatures.push(cose::Signature {
                protected,
                unprotected: Map::new(),
                signature,
            });
        }
        Ok(SignedConsent {
            bytes: msg.to_bytes(),
            directive: directive.clone(),
        })
    }

    /// The signed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The directive (only meaningful after [`SignedConsent::verify`]).
    pub fn directive(&self) -> &ConsentDirective {
        &self.directive
    }

    /// Parses, checks every signature and the witness's certificate, and re-validates the
    /// directive. `now` is used for the directory lookup of the witnessing agency.
    pub fn verify(
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedConsent, ConsentError> {
        if bytes.len() > MAX_CONSENT_BYTES {
            return Err(ConsentError::TooLarge {
                size: bytes.len(),
                limit: MAX_CONSENT_BYTES,
            });
        }
        let v = codec::decode_with(bytes, &LIMITS)?;
        let msg = cose::Sign::from_value(&v, true, &LIMITS).map_err(|e| match e {
            cose::CoseError::Codec(c) => ConsentError::Malformed(c),
            cose::CoseError::Structure(s) => ConsentError::Structure(s),
            _ => ConsentError::Structure("invalid COSE_Sign"),
        })?;
        if msg.protected.map().len() != 1
            || msg
                .protected
                .map()
                .get_label(label::TYP)
                .and_then(Value::as_text)
                != Some(CONSENT_TYP)
            || !msg.unprotected.is_empty()
        {
            return Err(ConsentError::Structure(
                "not a divex consent (protected typ must be application/divex-consent+cbor)",
            ));
        }
        let directive: ConsentDirective = codec::from_slice_with(&msg.payload, &LIMITS)?;
        directive.validate()?;

        // One signature per keyed signer, in signer order, and nothing else.
        let keyed: Vec<&Signer> = directive
            .signers
            .iter()
            .filter(|s| s.key.is_some())
            .collect();
        if msg.signatures.len() != keyed.len() {
            return Err(if msg.signatures.len() > keyed.len() {
                ConsentError::UnexpectedSigner
            } else {
                ConsentError::BadSignature {
                    capacity: keyed
                        .get(msg.signatures.len())
                        .map_or(Capacity::Patient, |s| s.capacity),
                }
            });
        }
        if directive.signed_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(ConsentError::FutureDated {
                what: "consent",
                at: directive.signed_at,
                now,
            });
        }
        for (signer, sig) in keyed.iter().zip(&msg.signatures) {
            let bad = ConsentError::BadSignature {
                capacity: signer.capacity,
            };
            let pk = signer.key.as_ref().ok_or(bad.clone())?;
            let key = SigningPublicKey::from_bytes(pk).map_err(|_| bad.clone())?;
            if !sig.unprotected.is_empty() || signer_kid(&sig.protected)? != key.kid() {
                return Err(ConsentError::UnexpectedSigner);
            }
            key.verify(
                &msg.to_be_signed(sig.protected.as_bytes(), &[]),
                &sig.signature,
            )
            .map_err(|_| bad)?;
            if signer.capacity == Capacity::WitnessingAgency {
                let agency_id = signer.agency_id.clone().unwrap_or_default();
                witness_certificate(directory, &key.kid(), &agency_id, directive.signed_at, now)
                    .map_err(|reason| ConsentError::UncertifiedWitness { agency_id, reason })?;
            }
        }
        let digest = Sha256::digest(bytes).into();
        Ok(VerifiedConsent {
            signed: SignedConsent {
                bytes: bytes.to_vec(),
                directive,
            },
            digest,
        })
    }
}

/// The certificate under which the witnessing agency signed: issued to `agency_id` for this
/// key, valid when the consent was signed, and not revoked as of `now`. A certificate that
/// merely expired since does not invalidate consents witnessed while it was valid (agencies
/// rotate keys; consents outlive them); a revoked one does, whatever its reason, because a
/// compromised key could have back-dated a signature.
fn witness_certificate<'d>(
    directory: &'d Directory,
    kid: &KeyId,
    agency_id: &str,
    signed_at: u64,
    now: u64,
) -> Result<&'d AgencyCertificate, String> {
    let mut reason = String::from("no certificate in the directory has this key");
    for cert in directory
        .certificates()
        .filter(|c| c.keys().signing().kid() == *kid)
    {
        if cert.agency_id() != agency_id {
            reason = "the key is certified to another agency".into();
        } else if !cert.is_valid_at(signed_at) {
            reason = "its certificate was not valid when the consent was signed".into();
        } else if let Some(r) = directory
            .revocations_of(cert)
            .find(|r| r.is_effective_at(now))
        {
            reason = format!(
                "its certificate was revoked at {} ({})",
                r.revoked_at(),
                r.reason()
            );
        } else {
            return Ok(cert);
        }
    }
    Err(reason)
}

/// Allowed clock difference for dates in signed statements, in seconds.
pub const MAX_CLOCK_SKEW: u64 = 300;

/// A consent whose signatures, witness certificate and required elements were checked.
/// Only [`SignedConsent::verify`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedConsent {
    signed: SignedConsent,
    digest: [u8; 32],
}

impl VerifiedConsent {
    /// The directive.
    pub fn directive(&self) -> &ConsentDirective {
        &self.signed.directive
    }

    /// The exact signed bytes (the consent copy attached to disclosures).
    pub fn as_bytes(&self) -> &[u8] {
        &self.signed.bytes
    }

    /// SHA-256 of the signed bytes (the consent reference digest).
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The consent id.
    pub fn id(&self) -> &str {
        &self.signed.directive.id
    }
}

impl fmt::Display for VerifiedConsent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.directive();
        write!(
            f,
            "consent {} v{} ({})",
            d.id,
            d.version,
            d.regime.citation()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Signed statements: revocations and case events (COSE_Sign1).

fn sign_statement<T: Serialize>(
    typ: &str,
    body: &T,
    key: &dyn StatementSigner,
) -> Result<Vec<u8>, ConsentError> {
    let mut m = Map::new();
    let _ = m.insert(Value::from(label::ALG), Value::from(alg::ED25519));
    let _ = m.insert(
        Value::from(label::KID),
        Value::bytes(key.signing_public().kid().as_bytes()),
    );
    let _ = m.insert(Value::from(label::TYP), Value::from(typ));
    let protected = ProtectedHeader::new(m);
    let payload = codec::to_vec(body)?;
    let signature = key
        .sign_message(&cose::sig_structure(protected.as_bytes(), &[], &payload))
        .to_vec();
    Ok(cose::Sign1 {
        protected,
        unprotected: Map::new(),
        payload,
        signature,
    }
    .to_bytes())
}

/// A parsed (not yet verified) statement: its signer kid, body and the signed message.
fn parse_statement<T>(bytes: &[u8], typ: &str) -> Result<(KeyId, T, cose::Sign1), ConsentError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    if bytes.len() > MAX_STATEMENT_BYTES {
        return Err(ConsentError::TooLarge {
            size: bytes.len(),
            limit: MAX_STATEMENT_BYTES,
        });
    }
    let v = codec::decode_with(bytes, &LIMITS)?;
    let msg = cose::Sign1::from_value(&v, true, &LIMITS).map_err(|e| match e {
        cose::CoseError::Codec(c) => ConsentError::Malformed(c),
        cose::CoseError::Structure(s) => ConsentError::Structure(s),
        _ => ConsentError::Structure("invalid COSE_Sign1"),
    })?;
    let p = msg.protected.map();
    if p.len() != 3
        || p.get_label(label::ALG).and_then(Value::as_i64) != Some(alg::ED25519)
        || p.get_label(label::TYP).and_then(Value::as_text) != Some(typ)
        || !msg.unprotected.is_empty()
    {
        return Err(ConsentError::Structure(
            "wrong statement type or headers (alg -19, kid and typ required)",
        ));
    }
    let kid = p
        .get_label(label::KID)
        .and_then(Value::as_bytes)
        .and_then(|b| KeyId::from_bytes(b).ok())
        .ok_or(ConsentError::Structure("kid must be a 16-byte key id"))?;
    let body: T = codec::from_slice_with(&msg.payload, &LIMITS)?;
    Ok((kid, body, msg))
}

fn verify_statement(msg: &cose::Sign1, key: &SigningPublicKey) -> bool {
    key.verify(&msg.to_be_signed(&[]), &msg.signature).is_ok()
}

/// The participant's (or a representative's, or a recording agency's) revocation of a
/// consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationStatement {
    /// The consent revoked (all its versions are revoked with it).
    pub consent_id: String,
    /// When the participant revoked.
    pub revoked_at: u64,
    /// How it was communicated (e.g. "written", "oral-recorded").
    pub method: String,
}

impl RevocationStatement {
    /// Signs the statement.
    pub fn sign(&self, key: &dyn StatementSigner) -> Result<Vec<u8>, ConsentError> {
        if !is_token(&self.consent_id, 128) || !is_token(&self.method, 64) {
            return Err(ConsentError::Structure(
                "revocation consent id and method must be tokens",
            ));
        }
        sign_statement(REVOCATION_TYP, self, key)
    }

    /// Verifies a revocation against the consent it names. It must be signed by a signer
    /// who speaks for the patient, or by a certified agency named as a discloser or as the
    /// witness (recording a revocation the participant made in person).
    pub fn verify(
        bytes: &[u8],
        consent: &VerifiedConsent,
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedRevocation, ConsentError> {
        let (kid, body, msg): (KeyId, RevocationStatement, _) =
            parse_statement(bytes, REVOCATION_TYP)?;
        let d = consent.directive();
        if body.consent_id != d.id {
            return Err(ConsentError::NotApplicable(
                "the revocation names another consent",
            ));
        }
        if !is_token(&body.method, 64) {
            return Err(ConsentError::Structure("revocation method must be a token"));
        }
        // A post-dated revocation could take effect once an irrevocable period ends, which
        // would let a revocation refused today act later (DOMAIN.md §5).
        if body.revoked_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(ConsentError::FutureDated {
                what: "revocation",
                at: body.revoked_at,
                now,
            });
        }
        let bad = ConsentError::BadStatementSignature { what: "revocation" };
        // A key that speaks for the patient?
        for pk in d.patient_signer_keys() {
            let key = SigningPublicKey::from_bytes(pk).map_err(|_| bad.clone())?;
            if key.kid() == kid {
                return if verify_statement(&msg, &key) {
                    Ok(VerifiedRevocation {
                        statement: body,
                        consent_digest: *consent.digest(),
                        by_agency: None,
                    })
                } else {
                    Err(bad)
                };
            }
        }
        // A certified agency that recorded it?
        let cert = statement_signer(directory, &kid, "revocation", now)?;
        // Only the witness or a discloser named by id may record a revocation; a class
        // ("any treatment provider") would let unrelated agencies revoke.
        let id = cert.agency_id();
        let may_record = d.witness_agency() == Some(id)
            || d.disclosers
                .iter()
                .any(|p| matches!(p, Party::Agency(a) if a == id));
        if !may_record {
            return Err(ConsentError::UnexpectedSigner);
        }
        if !verify_statement(&msg, cert.keys().signing()) {
            return Err(bad);
        }
        Ok(VerifiedRevocation {
            statement: body,
            consent_digest: *consent.digest(),
            by_agency: Some(id.to_owned()),
        })
    }
}

/// A revocation whose signature was checked against its consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRevocation {
    statement: RevocationStatement,
    consent_digest: [u8; 32],
    by_agency: Option<String>,
}

impl VerifiedRevocation {
    /// The statement.
    pub fn statement(&self) -> &RevocationStatement {
        &self.statement
    }

    /// The digest of the consent it was verified against.
    pub fn consent_digest(&self) -> &[u8; 32] {
        &self.consent_digest
    }

    /// The agency that recorded it, if not signed by the participant's own key.
    pub fn recorded_by(&self) -> Option<&str> {
        self.by_agency.as_deref()
    }
}

/// The outcome a case event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispositionOutcome {
    /// Charges dismissed (e.g. after PC 1000 completion).
    Dismissed,
    /// Diversion terminated; criminal proceedings resume.
    DiversionTerminated,
    /// Record sealed.
    RecordSealed,
    /// The prosecutor's decision not to file (pre-filing diversion).
    NotFiled,
    /// Sentence imposed after diversion was terminated and the case resumed.
    Sentenced,
}

impl DispositionOutcome {
    /// Whether the outcome ends the case (a final disposition, 42 CFR §2.35(c)). Terminating
    /// diversion does not: criminal proceedings resume.
    pub fn is_final(self) -> bool {
        !matches!(self, DispositionOutcome::DiversionTerminated)
    }
}

/// A case authority's signed statement of a case's final disposition: the event that ends
/// a §2.35 consent's irrevocable period and can expire consents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEvent {
    /// The case.
    pub case_ref: String,
    /// The outcome.
    pub outcome: DispositionOutcome,
    /// When it took effect.
    pub effective_at: u64,
}

impl CaseEvent {
    /// Signs the event (by the court or prosecutor with authority over the case).
    pub fn sign(&self, authority: &AgencyKeys) -> Result<Vec<u8>, ConsentError> {
        if !is_token(&self.case_ref, 64) {
            return Err(ConsentError::Structure("case reference must be a token"));
        }
        sign_statement(CASE_EVENT_TYP, self, authority)
    }

    /// Verifies an event's signature against the directory. Whether the signer is the
    /// authority for a given consent's case is decided per consent by the decision engine.
    pub fn verify(
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedEvent, ConsentError> {
        let (kid, body, msg): (KeyId, CaseEvent, _) = parse_statement(bytes, CASE_EVENT_TYP)?;
        if !is_token(&body.case_ref, 64) {
            return Err(ConsentError::Structure("case reference must be a token"));
        }
        if body.effective_at > now.saturating_add(MAX_CLOCK_SKEW) {
            return Err(ConsentError::FutureDated {
                what: "case event",
                at: body.effective_at,
                now,
            });
        }
        let cert = statement_signer(directory, &kid, "case event", now)?;
        if !cert.has_role(Role::Court) && !cert.has_role(Role::Prosecutor) {
            return Err(ConsentError::NotApplicable(
                "only a court or prosecutor records a case disposition",
            ));
        }
        if !verify_statement(&msg, cert.keys().signing()) {
            return Err(ConsentError::BadStatementSignature { what: "case event" });
        }
        Ok(VerifiedEvent {
            event: body,
            signer: AgencyFacts::from_certificate(cert),
        })
    }
}

/// A case event whose signature and signer certificate were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    event: CaseEvent,
    signer: AgencyFacts,
}

impl VerifiedEvent {
    /// The event.
    pub fn event(&self) -> &CaseEvent {
        &self.event
    }

    /// The certified agency that signed it.
    pub fn signer(&self) -> &AgencyFacts {
        &self.signer
    }
}

/// The verified consents, revocations and case events an agency holds: what the decision
/// engine reasons over. Everything enters through a `verify`.
#[derive(Debug, Clone, Default)]
pub struct ConsentSet {
    consents: Vec<VerifiedConsent>,
    revocations: Vec<VerifiedRevocation>,
    events: Vec<VerifiedEvent>,
}

impl ConsentSet {
    /// An empty set.
    pub fn new() -> ConsentSet {
        ConsentSet::default()
    }

    /// Verifies and adds a signed consent (idempotent for the same bytes); returns it.
    pub fn import_consent(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<VerifiedConsent, ConsentError> {
        let c = SignedConsent::verify(bytes, directory, now)?;
        self.insert_consent(c.clone())?;
        Ok(c)
    }

    /// Adds an already verified consent (idempotent). Consent ids are unique within a set:
    /// a different consent under an id already held is refused, so that revocations, the
    /// relied-on consent and version chains can never be confused.
    pub fn insert_consent(&mut self, c: VerifiedConsent) -> Result<(), ConsentError> {
        match self.consents.iter().find(|x| x.id() == c.id()) {
            Some(x) if x.digest == c.digest => Ok(()),
            Some(_) => Err(ConsentError::ConflictingId {
                id: c.id().to_owned(),
            }),
            None => {
                self.consents.push(c);
                Ok(())
            }
        }
    }

    /// Verifies a revocation against the consent it names (which must already be in the
    /// set) and adds it. Whether it takes effect is the decision engine's call.
    pub fn import_revocation(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<&VerifiedRevocation, ConsentError> {
        let (_, body, _): (KeyId, RevocationStatement, _) = parse_statement(bytes, REVOCATION_TYP)?;
        let consent = self
            .consents
            .iter()
            .find(|c| c.id() == body.consent_id)
            .ok_or_else(|| ConsentError::ConsentNotHeld {
                consent_id: body.consent_id.clone(),
            })?;
        let r = RevocationStatement::verify(bytes, consent, directory, now)?;
        self.revocations.push(r);
        self.revocations
            .last()
            .ok_or(ConsentError::Structure("revocation"))
    }

    /// Verifies and adds a case event.
    pub fn import_event(
        &mut self,
        bytes: &[u8],
        directory: &Directory,
        now: u64,
    ) -> Result<&VerifiedEvent, ConsentError> {
        let e = CaseEvent::verify(bytes, directory, now)?;
        self.events.push(e);
        self.events.last().ok_or(ConsentError::Structure("event"))
    }

    /// The consent with this id, if held.
    pub fn get(&self, id: &str) -> Option<&VerifiedConsent> {
        self.consents.iter().find(|c| c.id() == id)
    }

    /// All consents held.
    pub fn consents(&self) -> &[VerifiedConsent] {
        &self.consents
    }

    /// All revocations held.
    pub fn revocations(&self) -> &[VerifiedRevocation] {
        &self.revocations
    }

    /// All events held.
    pub fn events(&self) -> &[VerifiedEvent] {
        &self.events
    }

    /// The facts for [`crate::decision::decide`].
    pub fn facts(&self) -> crate::decision::Facts<'_> {
        crate::decision::Facts {
            consents: &self.consents,
            revocations: &self.revocations,
            events: &self.events,
        }
    }
}

//! Consent-scoped disclosures (`divex_core::seal` and `divex_core::open`): seal a record to named agencies if
//! the consent engine permits it for every one of them, and open one, releasing the record
//! only when every envelope check and the consent re-evaluation pass. Also the envelope layer
//! alone ([`open_envelope`]), as the spec vectors exercise it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use divex_core::consent::{AgencyFacts, Subject as CoreSubject};
use divex_core::decision::{MinimumNecessary as CoreMinimum, Obligations as CoreObligations};
use divex_core::envelope::{EnvelopeId, EnvelopeLimits, Metadata, OpenOptions, SeenEnvelopes};
use divex_core::vocab::Vocabulary;
// `open_envelope` runs the envelope layer without consents, as the envelope spec vectors do;
// that layer is not divex-core's API but its test surface.
use divex_core::keys::{KeyId, SigningPublicKey};
use divex_core::records::Date;
use divex_core::testing::envelope::{self, ResolveError, Sender, SenderResolver};
use divex_core::vocab::{NoticeCode, Purpose};
use divex_core::{self as core, ConsentCopy as CoreCopy};

use crate::consent::{ConsentInfo, ConsentSet, consent_info, token};
use crate::directory::{Directory, lock};
use crate::error::{DivexError, Result, array};
use crate::keys::AgencyKeys;
use crate::ledger::Ledger;
use crate::records::Record;

/// The participant a disclosure is about.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Subject {
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
}

impl TryFrom<Subject> for CoreSubject {
    type Error = DivexError;
    fn try_from(s: Subject) -> Result<Self> {
        let date_of_birth = s.date_of_birth.parse::<Date>()?;
        Ok(CoreSubject {
            name: s.name,
            date_of_birth,
        })
    }
}

impl From<&CoreSubject> for Subject {
    fn from(s: &CoreSubject) -> Self {
        Subject {
            name: s.name.clone(),
            date_of_birth: s.date_of_birth.to_string(),
        }
    }
}

/// What to do with record fields the consent does not permit (42 CFR §2.13(a)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MinimumNecessary {
    /// Refuse the disclosure, naming the field (the default).
    Refuse,
    /// Remove the optional fields that are not permitted; the removal is signed into the
    /// envelope's metadata.
    Redact,
}

/// Whether the signed consent travels with the disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConsentCopy {
    /// Attach the signed consent (the default; required unless the consent allows a
    /// reference).
    Attach,
    /// Send only the consent id and digest: the recipients already hold the consent.
    Reference,
}

/// A disclosure to seal.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SealRequest {
    /// Directory ids of the receiving agencies.
    pub recipients: Vec<String>,
    /// The participant.
    pub subject: Subject,
    /// Purpose of use, e.g. `cj-monitor-conditional-release`.
    pub purpose: String,
    /// The consent relied on (held in the sender's consent set).
    pub consent_id: String,
    /// Refuse or redact fields the consent does not permit.
    pub minimum_necessary: MinimumNecessary,
    /// Attach the consent or reference it.
    pub consent_copy: ConsentCopy,
}

/// The signed metadata of an envelope (its inner protected header, spec/envelope.md §2).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EnvelopeMetadata {
    /// 16-byte random envelope id.
    pub envelope_id: Vec<u8>,
    /// When it was sealed (Unix seconds).
    pub issued_at: u64,
    /// The recipients' encryption key ids, ascending.
    pub audience: Vec<Vec<u8>>,
    /// Purpose of use.
    pub purpose: String,
    /// The consent relied on.
    pub consent_id: String,
    /// SHA-256 of that signed consent.
    pub consent_digest: Vec<u8>,
    /// Record type token.
    pub record_type: String,
    /// Security labels, e.g. `42CFRPart2`, `no-criminal-use`.
    pub labels: Vec<String>,
    /// The §2.32 notice code (`part2-notice-short`, `part2-notice-long`, `no-part2-notice`).
    pub notice: String,
    /// Fields removed under minimum necessary.
    pub redacted: Vec<String>,
}

fn metadata(m: &Metadata) -> EnvelopeMetadata {
    let d = &m.disclosure;
    EnvelopeMetadata {
        envelope_id: m.envelope_id.0.to_vec(),
        issued_at: m.issued_at,
        audience: m.audience.iter().map(|k| k.as_bytes().to_vec()).collect(),
        purpose: d.purpose.to_string(),
        consent_id: d.consent.id.clone(),
        consent_digest: d.consent.digest.to_vec(),
        record_type: d.record_type.to_string(),
        labels: strings(&d.labels),
        notice: d.notice.to_string(),
        redacted: strings(&d.redacted),
    }
}

/// What the directory certifies about an agency.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgencyFactsInfo {
    /// Directory id.
    pub agency_id: String,
    /// Certified roles.
    pub roles: Vec<String>,
    /// 42 CFR Part 2 program flag.
    pub part2_program: bool,
}

fn facts(f: &AgencyFacts) -> AgencyFactsInfo {
    AgencyFactsInfo {
        agency_id: f.agency_id.clone(),
        roles: f.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        part2_program: f.part2_program,
    }
}

/// What the law and the consent oblige the recipient to do with a released record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Obligations {
    /// The §2.32 notice code (`no-part2-notice` for records that are not Part 2 records).
    pub notice: String,
    /// Whether the consent copy had to travel with the record.
    pub attach_consent: bool,
    /// Security labels, sorted.
    pub labels: Vec<String>,
    /// Redisclosure rule: `prohibited` or `cj_official_duties_only`.
    pub redisclosure: String,
    /// Use restrictions (`no_criminal_use_against_patient`, `no_adverse_action`), sorted.
    pub use_restrictions: Vec<String>,
}

fn obligations(o: &CoreObligations) -> Obligations {
    Obligations {
        notice: o
            .notice
            .map_or(NoticeCode::NO_PART2_NOTICE, |n| n.code())
            .to_string(),
        attach_consent: o.attach_consent,
        labels: strings(&o.labels),
        redisclosure: token(&o.redisclosure),
        use_restrictions: o.use_restrictions.iter().map(token).collect(),
    }
}

/// A sealed disclosure: the envelope to send, and what the sender's ledger records.
#[derive(Debug, uniffi::Object)]
pub struct SealedDisclosure {
    pub(crate) inner: core::Sealed,
}

#[uniffi::export]
impl SealedDisclosure {
    /// The envelope bytes (one envelope for every recipient).
    pub fn envelope(&self) -> Vec<u8> {
        self.inner.envelope.clone()
    }

    /// The 16-byte envelope id.
    pub fn envelope_id(&self) -> Vec<u8> {
        self.inner.metadata.envelope_id.0.to_vec()
    }

    /// SHA-256 of the envelope (what every ledger records).
    pub fn envelope_hash(&self) -> Vec<u8> {
        self.inner.envelope_hash.to_vec()
    }

    /// The recipients, each with a permit.
    pub fn recipients(&self) -> Vec<String> {
        self.inner.permits.iter().map(|(a, _)| a.clone()).collect()
    }

    /// Security labels carried.
    pub fn labels(&self) -> Vec<String> {
        strings(&self.inner.metadata.disclosure.labels)
    }

    /// Fields removed under minimum necessary.
    pub fn redacted(&self) -> Vec<String> {
        strings(&self.inner.metadata.disclosure.redacted)
    }

    /// The consent relied on.
    pub fn consent_id(&self) -> String {
        self.inner.metadata.disclosure.consent.id.clone()
    }

    /// The purpose of use.
    pub fn purpose(&self) -> String {
        self.inner.metadata.disclosure.purpose.to_string()
    }

    /// The record type token.
    pub fn record_type(&self) -> String {
        self.inner.metadata.disclosure.record_type.to_string()
    }

    /// The participant.
    pub fn subject(&self) -> Subject {
        (&self.inner.subject).into()
    }
}

/// A released disclosure: every envelope check and the consent engine passed.
#[derive(Debug, uniffi::Object)]
pub struct ReceivedDisclosure {
    pub(crate) inner: core::Received,
}

#[uniffi::export]
impl ReceivedDisclosure {
    /// The sending agency, as certified.
    pub fn sender(&self) -> AgencyFactsInfo {
        facts(&self.inner.sender)
    }

    /// The participant.
    pub fn subject(&self) -> Subject {
        (&self.inner.subject).into()
    }

    /// The record.
    pub fn record(&self) -> Arc<Record> {
        Record::wrap(self.inner.record.clone())
    }

    /// The signed metadata.
    pub fn metadata(&self) -> EnvelopeMetadata {
        metadata(&self.inner.metadata)
    }

    /// The §2.32 notice statement that accompanied the record (empty for non-Part 2 data).
    pub fn notice(&self) -> String {
        self.inner.notice.clone()
    }

    /// The consent the disclosure relied on, as verified.
    pub fn consent(&self) -> ConsentInfo {
        consent_info(&self.inner.consent)
    }

    /// What the recipient must do with the record.
    pub fn obligations(&self) -> Obligations {
        obligations(&self.inner.permit.obligations)
    }

    /// The sender's signed inner `COSE_Sign1`: non-repudiable evidence of what was disclosed.
    pub fn signed(&self) -> Vec<u8> {
        self.inner.signed.clone()
    }

    /// SHA-256 of the envelope.
    pub fn envelope_hash(&self) -> Vec<u8> {
        self.inner.envelope_hash.to_vec()
    }
}

/// Seals `record` from `sender` to `request.recipients`, if the consent engine permits the
/// disclosure to every one of them at `now` (Unix seconds).
#[uniffi::export]
pub fn seal_disclosure(
    sender: Arc<AgencyKeys>,
    directory: Arc<Directory>,
    consents: Arc<ConsentSet>,
    record: Arc<Record>,
    request: SealRequest,
    now: u64,
) -> Result<Arc<SealedDisclosure>> {
    let subject = CoreSubject::try_from(request.subject)?;
    let purpose = request.purpose.parse::<Purpose>()?;
    let recipients: Vec<&str> = request.recipients.iter().map(String::as_str).collect();
    let d = directory.get();
    let set = lock(&consents.inner);
    let sealed = core::seal(
        &sender.inner,
        &d,
        &set,
        &core::SealRequest {
            recipients: &recipients,
            subject: &subject,
            purpose: &purpose,
            consent_id: &request.consent_id,
            record: &record.inner,
            minimum_necessary: match request.minimum_necessary {
                MinimumNecessary::Refuse => CoreMinimum::Refuse,
                MinimumNecessary::Redact => CoreMinimum::Redact,
            },
            consent_copy: match request.consent_copy {
                ConsentCopy::Attach => CoreCopy::Attach,
                ConsentCopy::Reference => CoreCopy::Reference,
            },
        },
        now,
    )?;
    Ok(Arc::new(SealedDisclosure { inner: sealed }))
}

/// Opens a disclosure addressed to `me` at `now`: every envelope check, then the consent
/// engine as of the envelope's issue time. With a `ledger`, an envelope already recorded as
/// received is refused as a replay (record the receipt with [`Ledger::record_received`]).
#[uniffi::export]
pub fn open_disclosure(
    envelope: Vec<u8>,
    me: Arc<AgencyKeys>,
    directory: Arc<Directory>,
    consents: Arc<ConsentSet>,
    now: u64,
    ledger: Option<Arc<Ledger>>,
) -> Result<Arc<ReceivedDisclosure>> {
    let d = directory.get();
    let set = lock(&consents.inner);
    let guard = ledger.as_ref().map(|l| l.get());
    let seen = guard.as_deref().map(|l| l as &dyn SeenEnvelopes);
    let options = OpenOptions {
        seen,
        ..OpenOptions::default()
    };
    let received = core::open(&envelope, &me.inner, &d, &set, now, &options)?;
    Ok(Arc::new(ReceivedDisclosure { inner: received }))
}

/// A sender the envelope layer knows, for [`open_envelope`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KnownSender {
    /// The agency's id.
    pub agency_id: String,
    /// Its 32-byte Ed25519 public key.
    pub signing_public_key: Vec<u8>,
    /// `None` (the default): trusted. Otherwise the key is known but not trusted now (an
    /// expired or revoked certificate, for example), and an envelope it signed is refused as
    /// `untrusted_sender` with this reason.
    #[uniffi(default = None)]
    pub untrusted: Option<String>,
}

/// The resolver [`open_envelope`] builds from its `senders`.
struct KnownSenders(BTreeMap<KeyId, (Sender, Option<String>)>);

impl SenderResolver for KnownSenders {
    fn resolve(&self, kid: &KeyId, _now: u64) -> std::result::Result<Sender, ResolveError> {
        match self.0.get(kid) {
            None => Err(ResolveError::Unknown),
            Some((_, Some(reason))) => Err(ResolveError::NotTrusted(reason.clone())),
            Some((sender, None)) => Ok(sender.clone()),
        }
    }
}

/// An envelope that passed every check of the envelope layer.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OpenedEnvelope {
    /// The signer, as `senders` named it.
    pub sender_agency_id: String,
    /// The signed metadata.
    pub metadata: EnvelopeMetadata,
    /// The payload.
    pub payload: Vec<u8>,
    /// The signed inner `COSE_Sign1`.
    pub signed: Vec<u8>,
    /// SHA-256 of the envelope.
    pub envelope_hash: Vec<u8>,
}

struct SeenIds(BTreeSet<EnvelopeId>);

impl SeenEnvelopes for SeenIds {
    fn seen(&self, id: &EnvelopeId) -> bool {
        self.0.contains(id)
    }
}

/// The envelope layer alone (spec/envelope.md §7, checks 1-16 and 18): opens `envelope` for
/// `me`, knowing exactly the signing keys in `senders` (trusted unless marked `untrusted`),
/// refusing the ids in `seen_envelope_ids` as replays, and refusing envelopes over
/// `max_envelope_bytes` (default 16 MiB, at most 256 MiB). No directory and no consent engine:
/// this is what the envelope spec vectors exercise; applications use [`open_disclosure`].
#[uniffi::export(default(max_envelope_bytes = None))]
pub fn open_envelope(
    envelope: Vec<u8>,
    me: Arc<AgencyKeys>,
    senders: Vec<KnownSender>,
    now: u64,
    seen_envelope_ids: Vec<Vec<u8>>,
    max_envelope_bytes: Option<u64>,
) -> Result<OpenedEnvelope> {
    let mut known = BTreeMap::new();
    for s in senders {
        let key = SigningPublicKey::from_bytes(&s.signing_public_key)?;
        let sender = Sender {
            agency_id: s.agency_id,
            key,
        };
        known.insert(sender.key.kid(), (sender, s.untrusted));
    }
    let resolver = KnownSenders(known);
    let mut limits = EnvelopeLimits::default();
    if let Some(n) = max_envelope_bytes {
        // Larger than the address space is larger than the cap `open` clamps to anyway.
        limits.max_envelope_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    let seen = SeenIds(
        seen_envelope_ids
            .iter()
            .map(|id| array("envelope id", id).map(EnvelopeId))
            .collect::<Result<_>>()?,
    );
    let opened = envelope::open(
        &envelope,
        &me.inner,
        &resolver,
        now,
        &OpenOptions {
            limits,
            seen: Some(&seen),
            ..OpenOptions::default()
        },
    )?;
    Ok(OpenedEnvelope {
        sender_agency_id: opened.sender.agency_id,
        metadata: metadata(&opened.metadata),
        payload: opened.payload,
        signed: opened.signed,
        envelope_hash: opened.envelope_hash.to_vec(),
    })
}

/// Token values (labels, field names) as the strings the bindings carry.
fn strings<T: AsRef<str>>(items: &[T]) -> Vec<String> {
    items.iter().map(|t| t.as_ref().to_owned()).collect()
}

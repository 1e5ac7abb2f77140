//! Consent-scoped disclosures (`divex_core::disclosure`): seal a record to named agencies if
//! the consent engine permits it for every one of them, and open one, releasing the record
//! only when every envelope check and the consent re-evaluation pass. Also the envelope layer
//! alone ([`open_envelope`]), as the spec vectors exercise it.
//!
//! Every call delegates to the core; the records here are the core's values with byte strings
//! as bytes, the core's enums and checked text types ([`crate::tokens`]) as they are.

use std::collections::BTreeSet;
use std::sync::Arc;

use divex_core::consent::{
    AgencyFacts as CoreAgencyFacts, Redisclosure, Subject as CoreSubject, UseRestriction,
};
use divex_core::decision::{MinimumNecessary, Obligations as CoreObligations};
use divex_core::directory::Role;
use divex_core::envelope::{
    EnvelopeId, EnvelopeLimits, LedgerHead as CoreLedgerHead, Metadata, OpenOptions, SeenEnvelopes,
};
use divex_core::keys::SigningPublicKey;
use divex_core::records::{Date, RecordType};
use divex_core::testing::envelope::{self, StaticResolver};
use divex_core::vocab::{FieldName, NoticeCode, Purpose, SecurityLabel};
use divex_core::{self as core, ConsentCopy};

use crate::consent::{ConsentInfo, ConsentSet, consent_info};
use crate::directory::{Directory, lock};
use crate::error::{DivexError, Result, array};
use crate::keys::AgencyKeys;
use crate::ledger::Ledger;
use crate::records::Record;

/// The participant a disclosure is about. It prints as `Subject(..)` in every language: a name
/// and a date of birth are protected health information.
///
/// The date of birth is text here, read with the core's date parser when the subject is used
/// (an [`crate::DivexError::InvalidInput`] `invalid_date` if it is no date): a checked custom
/// type would make printing a subject with a bad date fail, since the bindings lift the whole
/// record before they call its `Display`.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct Subject {
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subject(..)")
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subject(..)")
    }
}

impl TryFrom<Subject> for CoreSubject {
    type Error = DivexError;
    fn try_from(s: Subject) -> Result<Self> {
        Ok(CoreSubject {
            name: s.name,
            date_of_birth: s.date_of_birth.parse::<Date>()?,
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

/// What to do with record fields the consent does not permit (42 CFR §2.13(a)); the core's
/// enum.
#[uniffi::remote(Enum)]
pub enum MinimumNecessary {
    /// Refuse the disclosure, naming the field (the default).
    Refuse,
    /// Remove the optional fields that are not permitted; the removal is signed into the
    /// envelope's metadata.
    Redact,
}

/// Whether the signed consent travels with the disclosure; the core's enum.
#[uniffi::remote(Enum)]
pub enum ConsentCopy {
    /// Attach the signed consent (the default; required unless the consent allows a
    /// reference).
    Attach,
    /// Send only the consent id and digest: the recipients already hold the consent.
    Reference,
}

/// What recipients may do with the information; the core's enum.
#[uniffi::remote(Enum)]
pub enum Redisclosure {
    /// No redisclosure (§2.32 default).
    Prohibited,
    /// Only to carry out official duties on this case (§2.35(d)).
    CjOfficialDutiesOnly,
}

/// A use restriction that travels with the data as labels; the core's enum.
#[uniffi::remote(Enum)]
pub enum UseRestriction {
    /// §2.12(d): no use to bring or investigate charges against the patient.
    NoCriminalUseAgainstPatient,
    /// LEAD: nothing shared may be used for adverse action against the participant.
    NoAdverseAction,
}

/// A ledger head: the sequence number and hash of the last entry of an agency's ledger,
/// `(0, genesis)` for an empty one (spec/ledger.md §2). In an envelope (profile v2,
/// spec/envelope.md §15) it is the sender's head before the disclosure was recorded.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LedgerHead {
    /// Sequence number of the last entry (0 for an empty ledger); at most 2^63 − 1.
    pub seq: u64,
    /// The entry's 32-byte SHA-256 hash (the ledger's genesis hash when it is empty).
    pub hash: Vec<u8>,
}

impl From<CoreLedgerHead> for LedgerHead {
    fn from(h: CoreLedgerHead) -> Self {
        LedgerHead {
            seq: h.seq,
            hash: h.hash.to_vec(),
        }
    }
}

impl TryFrom<LedgerHead> for CoreLedgerHead {
    type Error = DivexError;
    fn try_from(h: LedgerHead) -> Result<Self> {
        Ok(CoreLedgerHead {
            seq: h.seq,
            hash: array("ledger head hash", &h.hash)?,
        })
    }
}

/// A disclosure to seal.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SealRequest {
    /// Directory ids of the receiving agencies.
    pub recipients: Vec<String>,
    /// The participant.
    pub subject: Subject,
    /// Purpose of use, e.g. `cj-monitor-conditional-release`.
    pub purpose: Purpose,
    /// The consent relied on (held in the sender's consent set).
    pub consent_id: String,
    /// Refuse or redact fields the consent does not permit.
    pub minimum_necessary: MinimumNecessary,
    /// Attach the consent or reference it.
    pub consent_copy: ConsentCopy,
    /// The sender's ledger head before this disclosure is recorded: given, the envelope is
    /// profile v2 and carries it signed to every recipient; `None` (the default), profile v1.
    #[uniffi(default = None)]
    pub ledger_head: Option<LedgerHead>,
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
    pub purpose: Purpose,
    /// The consent relied on.
    pub consent_id: String,
    /// SHA-256 of that signed consent.
    pub consent_digest: Vec<u8>,
    /// The record type.
    pub record_type: RecordType,
    /// Security labels, e.g. `42CFRPart2`, `no-criminal-use`.
    pub labels: Vec<SecurityLabel>,
    /// The §2.32 notice code (`part2-notice-short`, `part2-notice-long`, `no-part2-notice`).
    pub notice: NoticeCode,
    /// Fields removed under minimum necessary.
    pub redacted: Vec<FieldName>,
    /// The sender's ledger head before it recorded this disclosure: present in a profile v2
    /// envelope (spec/envelope.md §15), `None` in a v1 envelope.
    pub ledger_head: Option<LedgerHead>,
}

impl From<&Metadata> for EnvelopeMetadata {
    fn from(m: &Metadata) -> Self {
        let d = &m.disclosure;
        EnvelopeMetadata {
            envelope_id: m.envelope_id.0.to_vec(),
            issued_at: m.issued_at,
            audience: m.audience.iter().map(|k| k.as_bytes().to_vec()).collect(),
            purpose: d.purpose.clone(),
            consent_id: d.consent.id.clone(),
            consent_digest: d.consent.digest.to_vec(),
            record_type: d.record_type,
            labels: d.labels.clone(),
            notice: d.notice.clone(),
            redacted: d.redacted.clone(),
            ledger_head: m.ledger_head.map(LedgerHead::from),
        }
    }
}

/// What the directory certifies about an agency (the core's `AgencyFacts`, with the
/// issuing anchor's key id as bytes, like `CertificateInfo`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AgencyFacts {
    /// Directory id.
    pub agency_id: String,
    /// Certified roles.
    pub roles: Vec<Role>,
    /// 42 CFR Part 2 program flag.
    pub part2_program: bool,
    /// Key id (16 bytes) of the trust anchor that issued the certificate: whose statement
    /// the roles are.
    pub issuer_key_id: Vec<u8>,
}

impl From<&CoreAgencyFacts> for AgencyFacts {
    fn from(f: &CoreAgencyFacts) -> AgencyFacts {
        AgencyFacts {
            agency_id: f.agency_id.clone(),
            roles: f.roles.clone(),
            part2_program: f.part2_program,
            issuer_key_id: f.anchor.as_bytes().to_vec(),
        }
    }
}

/// What the law and the consent oblige the recipient to do with a released record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Obligations {
    /// The §2.32 notice code (`no-part2-notice` for records that are not Part 2 records).
    pub notice: NoticeCode,
    /// Whether the consent copy had to travel with the record.
    pub attach_consent: bool,
    /// Security labels, sorted.
    pub labels: Vec<SecurityLabel>,
    /// The redisclosure rule.
    pub redisclosure: Redisclosure,
    /// Use restrictions, sorted.
    pub use_restrictions: Vec<UseRestriction>,
}

impl From<&CoreObligations> for Obligations {
    fn from(o: &CoreObligations) -> Self {
        Obligations {
            notice: o.notice_code(),
            attach_consent: o.attach_consent,
            labels: o.labels.clone(),
            redisclosure: o.redisclosure,
            use_restrictions: o.use_restrictions.clone(),
        }
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

    /// The signed metadata, exactly as the recipients will read it.
    pub fn metadata(&self) -> EnvelopeMetadata {
        (&self.inner.metadata).into()
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
    pub fn sender(&self) -> AgencyFacts {
        (&self.inner.sender).into()
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
        (&self.inner.metadata).into()
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
        (&self.inner.permit.obligations).into()
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
    let recipients: Vec<&str> = request.recipients.iter().map(String::as_str).collect();
    let subject = CoreSubject::try_from(request.subject)?;
    let ledger_head = request.ledger_head.map(TryFrom::try_from).transpose()?;
    let sealed = core::seal(
        &sender.inner,
        &directory.get(),
        &lock(&consents.inner),
        &core::SealRequest {
            recipients: &recipients,
            subject: &subject,
            purpose: &request.purpose,
            consent_id: &request.consent_id,
            record: &record.inner,
            minimum_necessary: request.minimum_necessary,
            consent_copy: request.consent_copy,
            ledger_head,
        },
        now,
    )?;
    Ok(Arc::new(SealedDisclosure { inner: sealed }))
}

/// Opens a disclosure addressed to `me` at `now`: every envelope check, then the consent
/// engine as of the envelope's issue time. `consents` are the consents this agency already
/// holds (needed only when the sender referenced rather than attached the consent). With a
/// `ledger`, an envelope already recorded as received is refused as a replay (record the
/// receipt with [`Ledger::record_received`]).
#[uniffi::export(default(consents = None, ledger = None))]
pub fn open_disclosure(
    envelope: Vec<u8>,
    me: Arc<AgencyKeys>,
    directory: Arc<Directory>,
    now: u64,
    consents: Option<Arc<ConsentSet>>,
    ledger: Option<Arc<Ledger>>,
) -> Result<Arc<ReceivedDisclosure>> {
    let held = consents.as_ref().map(|c| lock(&c.inner));
    let none = divex_core::consent::ConsentSet::new();
    let ledger = ledger.as_ref().map(|l| l.get());
    let options = OpenOptions {
        seen: ledger.as_deref().map(|l| l as &dyn SeenEnvelopes),
        ..OpenOptions::default()
    };
    let received = core::open(
        &envelope,
        &me.inner,
        &directory.get(),
        held.as_deref().unwrap_or(&none),
        now,
        &options,
    )?;
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

/// The envelope layer alone (spec/envelope.md §7, checks 1-16 and 18): opens `envelope` for
/// `me`, knowing exactly the signing keys in `senders` (trusted unless marked `untrusted`),
/// refusing the ids in `seen_envelope_ids` as replays, and refusing envelopes over
/// `max_envelope_bytes` (default 16 MiB, at most 256 MiB). No directory and no consent engine:
/// this is what the envelope spec vectors exercise; applications use [`open_disclosure`].
#[uniffi::export(default(seen_envelope_ids = [], max_envelope_bytes = None))]
pub fn open_envelope(
    envelope: Vec<u8>,
    me: Arc<AgencyKeys>,
    senders: Vec<KnownSender>,
    now: u64,
    seen_envelope_ids: Vec<Vec<u8>>,
    max_envelope_bytes: Option<u64>,
) -> Result<OpenedEnvelope> {
    let mut resolver = StaticResolver::new();
    for s in senders {
        let key = SigningPublicKey::from_bytes(&s.signing_public_key)?;
        match s.untrusted {
            None => resolver.insert(s.agency_id, key),
            Some(reason) => resolver.insert_untrusted(s.agency_id, key, reason),
        }
    }
    let seen = seen_envelope_ids
        .iter()
        .map(|id| array("envelope id", id).map(EnvelopeId))
        .collect::<Result<BTreeSet<_>>>()?;
    let mut limits = EnvelopeLimits::default();
    if let Some(n) = max_envelope_bytes {
        // Larger than the address space is larger than the cap `open` clamps to anyway.
        limits.max_envelope_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
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
        metadata: (&opened.metadata).into(),
        payload: opened.payload,
        signed: opened.signed,
        envelope_hash: opened.envelope_hash.to_vec(),
    })
}

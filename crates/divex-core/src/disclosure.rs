//! Consent-scoped disclosures: the envelope with the consent engine, the record catalogue and
//! the agency directory plugged in (spec/consent.md §8).
//!
//! [`seal`] builds only what the decision engine permits for **every** recipient: it
//! resolves each recipient's certificate, checks the record field by field (refusing, or in
//! redact mode removing and recording, what the consent does not allow), and attaches the
//! §2.32 notice, the consent copy (or a reference, when the consent allows it and the sender
//! asks), and the labels the law requires.
//!
//! [`open`] runs every envelope check, then re-evaluates the consent as of the envelope's
//! issue time — an envelope sealed while its consent was in force stays lawful to open after
//! a later revocation — and releases nothing the engine denies. The replay hook runs last,
//! as spec/envelope.md §7 orders.
//!
//! The payload inside the signed `COSE_Sign1` is the map
//! `{"consent": bstr (optional), "notice": tstr, "record": {...}, "subject": {...}}`.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use crate::codec::{self, CodecError, DecodeLimits, Map, Value};
use crate::consent::{
    AgencyFacts, ConsentError, ConsentSet, SignedConsent, Subject, VerifiedConsent,
};
use crate::decision::{self, Decision, DenyReason, Facts, MinimumNecessary, Permit, Request};
use crate::directory::{Directory, DirectoryError};
use crate::envelope::{
    self, ConsentRef, LedgerHead, Metadata, OpenError, OpenOptions, ResolveError, SealError,
    SealOptions, SealedEnvelope, Sender, SenderResolver,
};
use crate::error::{Classified, ErrorCategory};
use crate::keys::{AgencyKeys, KeyId};
use crate::records::{Record, RecordError};
use crate::vocab::{FieldName, Purpose, SecurityLabel};

/// Whether to attach the signed consent or send a reference to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentCopy {
    /// Attach the signed consent (the default, and required unless the consent allows a
    /// reference).
    Attach,
    /// Send only the consent id and digest: the recipient already holds the consent.
    Reference,
}

/// A disclosure to seal.
#[derive(Debug, Clone)]
pub struct SealRequest<'a> {
    /// Directory ids of the receiving agencies.
    pub recipients: &'a [&'a str],
    /// The participant.
    pub subject: &'a Subject,
    /// Purpose of use.
    pub purpose: &'a Purpose,
    /// The consent relied on.
    pub consent_id: &'a str,
    /// The record.
    pub record: &'a Record,
    /// Refuse (default) or redact fields the consent does not permit.
    pub minimum_necessary: MinimumNecessary,
    /// Attach the consent or reference it.
    pub consent_copy: ConsentCopy,
    /// The sender's ledger head *before* this disclosure's entries are appended
    /// (spec/ledger.md §5.1): `Some` seals envelope profile v2, which signs the head in for
    /// every recipient; `None` seals profile v1 (spec/envelope.md §15).
    pub ledger_head: Option<LedgerHead>,
}

/// A sealed disclosure, with everything the sender's ledger records about it: the signed
/// metadata (envelope id, issue time, audience, purpose, consent reference, record type,
/// labels, notice, redacted fields), the participant and each recipient's permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The envelope bytes.
    pub envelope: Vec<u8>,
    /// The signed metadata, exactly as the recipients will read it.
    pub metadata: Metadata,
    /// SHA-256 of the envelope.
    pub envelope_hash: [u8; 32],
    /// The participant the record is about (in the encrypted payload, not the metadata).
    pub subject: Subject,
    /// The permit obtained for each recipient (agency id, permit), in request order.
    pub permits: Vec<(String, Permit)>,
}

/// A received and released disclosure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The sending agency's certified facts.
    pub sender: AgencyFacts,
    /// The participant.
    pub subject: Subject,
    /// The record.
    pub record: Record,
    /// The signed metadata; in a profile v2 envelope with the sender's ledger head
    /// (`metadata.ledger_head`, spec/ledger.md §5.2: what the receipt records).
    pub metadata: Metadata,
    /// The permit the engine gave on re-evaluation.
    pub permit: Permit,
    /// The §2.32 notice text that accompanied the record.
    pub notice: String,
    /// The consent relied on.
    pub consent: VerifiedConsent,
    /// The signed inner message (evidence).
    pub signed: Vec<u8>,
    /// SHA-256 of the envelope.
    pub envelope_hash: [u8; 32],
}

/// Why a disclosure was not sealed or not released.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisclosureError {
    /// The consent engine denied the disclosure to this recipient.
    #[error("disclosure to {recipient} refused: {reason}")]
    Denied {
        /// The recipient (on open: this agency).
        recipient: String,
        /// The engine's reason.
        reason: DenyReason,
    },
    /// The record is invalid.
    #[error("the record is invalid: {0}")]
    Record(#[from] RecordError),
    /// A directory lookup failed (unknown, expired or revoked agency).
    #[error("{0}")]
    Directory(#[from] DirectoryError),
    /// The consent could not be verified.
    #[error("{0}")]
    Consent(#[from] ConsentError),
    /// Sealing failed.
    #[error("{0}")]
    Seal(#[from] SealError),
    /// An envelope check failed (spec/envelope.md §7).
    #[error("{0}")]
    Envelope(#[from] OpenError),
    /// The signed payload is not a divex disclosure.
    #[error("the disclosure payload is malformed: {0}")]
    Payload(&'static str),
    /// The attached consent is not the one the signed metadata references.
    #[error("the attached consent does not match the consent reference the sender signed")]
    ConsentMismatch,
    /// The disclosure references a consent this agency does not hold.
    #[error(
        "the disclosure references consent {consent_id}, which this agency does not hold; ask the sender to attach it"
    )]
    ConsentUnavailable {
        /// The consent referenced.
        consent_id: String,
    },
    /// The consent requires its copy to be attached, but a reference was requested.
    #[error("consent {consent_id} requires its copy to travel with every disclosure")]
    CopyRequired {
        /// The consent.
        consent_id: String,
    },
    /// The sender dropped a label, notice or redaction record the law requires.
    #[error("the sender's metadata omits what the consent requires: {0}")]
    ObligationsNotMet(&'static str),
}

impl Classified for DisclosureError {
    /// The wrapped error's category and class; [`ErrorCategory::Denied`] with the deny
    /// reason's class for a denial; [`ErrorCategory::Disclosure`] for the rest.
    fn category(&self) -> ErrorCategory {
        match self {
            DisclosureError::Denied { reason, .. } => reason.category(),
            DisclosureError::Record(e) => e.category(),
            DisclosureError::Directory(e) => e.category(),
            DisclosureError::Consent(e) => e.category(),
            DisclosureError::Seal(e) => e.category(),
            DisclosureError::Envelope(e) => e.category(),
            DisclosureError::Payload(_)
            | DisclosureError::ConsentMismatch
            | DisclosureError::ConsentUnavailable { .. }
            | DisclosureError::CopyRequired { .. }
            | DisclosureError::ObligationsNotMet(_) => ErrorCategory::Disclosure,
        }
    }

    fn class(&self) -> &'static str {
        match self {
            DisclosureError::Denied { reason, .. } => reason.class(),
            DisclosureError::Record(e) => e.class(),
            DisclosureError::Directory(e) => e.class(),
            DisclosureError::Consent(e) => e.class(),
            DisclosureError::Seal(e) => e.class(),
            DisclosureError::Envelope(e) => e.class(),
            DisclosureError::Payload(_) => "payload",
            DisclosureError::ConsentMismatch => "consent_mismatch",
            DisclosureError::ConsentUnavailable { .. } => "consent_unavailable",
            DisclosureError::CopyRequired { .. } => "copy_required",
            DisclosureError::ObligationsNotMet(_) => "obligations_not_met",
        }
    }
}

const PAYLOAD_LIMITS: DecodeLimits = DecodeLimits {
    max_input: 16 * 1024 * 1024,
    max_depth: 12,
    max_items: 4096,
    max_string: 16 * 1024 * 1024,
};

fn payload_value(
    subject: &Subject,
    record: &Record,
    notice: &str,
    copy: Option<&[u8]>,
) -> Result<Vec<u8>, CodecError> {
    let mut m = Map::new();
    if let Some(c) = copy {
        m.insert(Value::from("consent"), Value::bytes(c))?;
    }
    m.insert(Value::from("notice"), Value::from(notice))?;
    m.insert(Value::from("record"), record.to_value())?;
    m.insert(Value::from("subject"), codec::to_value(subject)?)?;
    Ok(codec::encode(&Value::Map(m)))
}

/// Seals `req.record` from `sender` to the named recipients, if the consent engine permits
/// the disclosure to every one of them.
pub fn seal(
    sender: &AgencyKeys,
    directory: &Directory,
    consents: &ConsentSet,
    req: &SealRequest<'_>,
    now: u64,
) -> Result<Sealed, DisclosureError> {
    req.record.validate()?;
    let me = directory.certificate_by_signing_kid(&sender.public().signing().kid(), now)?;
    let sender_facts = AgencyFacts::from_certificate(me);
    let consent = consents
        .get(req.consent_id)
        .ok_or_else(|| DisclosureError::Denied {
            recipient: req.recipients.join(", "),
            reason: DenyReason::UnknownConsent {
                consent_id: req.consent_id.to_owned(),
            },
        })?;
    let facts = Facts::from(consents);
    let fields = req.record.present_fields();

    let mut bundles = Vec::with_capacity(req.recipients.len());
    let mut permits = Vec::with_capacity(req.recipients.len());
    for agency_id in req.recipients {
        let cert = directory.current_certificate(agency_id, now)?;
        let recipient = AgencyFacts::from_certificate(cert);
        let request = Request {
            sender: &sender_facts,
            recipient: &recipient,
            subject: req.subject,
            purpose: req.purpose,
            record_type: req.record.record_type(),
            fields: &fields,
            period: req.record.period(),
            time: now,
            consent_id: Some(req.consent_id),
            minimum_necessary: req.minimum_necessary,
        };
        match decision::decide(&facts, &request) {
            Decision::Permit(p) => permits.push(((*agency_id).to_owned(), p)),
            Decision::Deny(reason) => {
                return Err(DisclosureError::Denied {
                    recipient: (*agency_id).to_owned(),
                    reason,
                });
            }
        }
        bundles.push(cert.keys().clone());
    }

    // Redact once for all recipients (everyone receives the same bytes).
    let redacted: Vec<FieldName> = permits
        .iter()
        .flat_map(|(_, p)| p.obligations.redactions.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let record = if redacted.is_empty() {
        req.record.clone()
    } else {
        let names: Vec<&str> = redacted.iter().map(FieldName::as_str).collect();
        req.record.redact(&names)?
    };
    let labels: Vec<SecurityLabel> = permits
        .iter()
        .flat_map(|(_, p)| p.obligations.labels.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let first = permits
        .first()
        .map(|(_, p)| p.clone())
        .ok_or(SealError::NoRecipients)?;
    let must_attach = permits.iter().any(|(_, p)| p.obligations.attach_consent);
    let copy = match (req.consent_copy, must_attach) {
        (ConsentCopy::Attach, _) => Some(consent.as_bytes()),
        (ConsentCopy::Reference, false) => None,
        (ConsentCopy::Reference, true) => {
            return Err(DisclosureError::CopyRequired {
                consent_id: consent.id().to_owned(),
            });
        }
    };
    let payload = payload_value(req.subject, &record, first.obligations.notice_text(), copy)
        .map_err(|_| DisclosureError::Payload("could not encode the payload"))?;
    let disclosure = envelope::Disclosure {
        purpose: req.purpose.clone(),
        consent: ConsentRef {
            id: consent.id().to_owned(),
            digest: *consent.digest(),
        },
        record_type: record.record_type(),
        labels,
        notice: first.obligations.notice_code(),
        redacted,
    };
    let SealedEnvelope { bytes, metadata } = envelope::seal(
        sender,
        &bundles,
        &disclosure,
        &payload,
        now,
        SealOptions {
            ledger_head: req.ledger_head,
            ..SealOptions::default()
        },
    )?;
    Ok(Sealed {
        envelope_hash: sha256(&bytes),
        envelope: bytes,
        metadata,
        subject: req.subject.clone(),
        permits,
    })
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(b).into()
}

struct Payload {
    subject: Subject,
    record: Value,
    notice: String,
    consent: Option<Vec<u8>>,
}

fn parse_payload(bytes: &[u8]) -> Result<Payload, DisclosureError> {
    let v = codec::decode_with(bytes, &PAYLOAD_LIMITS)
        .map_err(|_| DisclosureError::Payload("not strict CBOR"))?;
    let m = v.as_map().ok_or(DisclosureError::Payload("not a map"))?;
    for k in m.keys() {
        if !matches!(
            k.as_text(),
            Some("consent" | "notice" | "record" | "subject")
        ) {
            return Err(DisclosureError::Payload("unknown payload field"));
        }
    }
    let subject = m
        .get(&Value::from("subject"))
        .ok_or(DisclosureError::Payload("no subject"))
        .and_then(|v| {
            codec::from_value::<Subject>(v).map_err(|_| DisclosureError::Payload("bad subject"))
        })?;
    let record = m
        .get(&Value::from("record"))
        .cloned()
        .ok_or(DisclosureError::Payload("no record"))?;
    let notice = m
        .get(&Value::from("notice"))
        .and_then(Value::as_text)
        .ok_or(DisclosureError::Payload("no notice"))?
        .to_owned();
    let consent = match m.get(&Value::from("consent")) {
        None => None,
        Some(v) => Some(
            v.as_bytes()
                .ok_or(DisclosureError::Payload(
                    "consent copy must be a byte string",
                ))?
                .to_vec(),
        ),
    };
    Ok(Payload {
        subject,
        record,
        notice,
        consent,
    })
}

/// The directory as the envelope's sender resolver, keeping the facts of the certificate it
/// found: the sender is resolved once, and the consent engine judges that very certificate.
struct CertifiedSender<'a> {
    directory: &'a Directory,
    facts: OnceCell<AgencyFacts>,
}

impl SenderResolver for CertifiedSender<'_> {
    fn resolve(&self, kid: &KeyId, now: u64) -> Result<Sender, ResolveError> {
        let cert = self.directory.resolve_certificate(kid, now)?;
        // `open` resolves one signer per envelope; a second call could only repeat it.
        let _ = self.facts.set(AgencyFacts::from_certificate(cert));
        Ok(Sender {
            agency_id: cert.agency_id().to_owned(),
            key: cert.keys().signing().clone(),
        })
    }
}

/// Opens a disclosure addressed to `me`: the envelope checks of spec/envelope.md §7 steps
/// 1-16, then the consent engine as of the envelope's issue time (step 17), then the replay
/// hook of `options` (step 18); nothing is released unless all of them passed.
pub fn open(
    envelope_bytes: &[u8],
    me: &AgencyKeys,
    directory: &Directory,
    consents: &ConsentSet,
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Received, DisclosureError> {
    let resolver = CertifiedSender {
        directory,
        facts: OnceCell::new(),
    };
    let verified = envelope::verify(envelope_bytes, me, &resolver, now, options)?;
    let opened = verified.opened();
    let sender = resolver
        .facts
        .into_inner()
        .ok_or(OpenError::UnknownSender {
            kid: opened.sender.key.kid(),
        })?;
    // My certificate as it was when the envelope was sealed to it: keys rotated away since, or
    // a certificate that has since expired, still open what was sealed to them (spec/consent.md
    // §8.3 step 3).
    let my_cert = directory.certificate_by_encryption_kid(
        &me.public().encryption().kid(),
        opened.metadata.issued_at,
    )?;
    let recipient = AgencyFacts::from_certificate(my_cert);

    let payload = parse_payload(&opened.payload)?;
    let md = &opened.metadata;
    let record_type = md.disclosure.record_type;
    let record = Record::from_value(record_type, &payload.record)?;

    // The consent: the attached copy (verified here, from the signed bytes only) or the one
    // this agency already holds.
    let reference = &md.disclosure.consent;
    let consent = match &payload.consent {
        Some(copy) => SignedConsent::verify(copy, directory, now)?,
        None => consents.get(&reference.id).cloned().ok_or_else(|| {
            DisclosureError::ConsentUnavailable {
                consent_id: reference.id.clone(),
            }
        })?,
    };
    if consent.id() != reference.id || consent.digest() != &reference.digest {
        return Err(DisclosureError::ConsentMismatch);
    }
    let mut all = consents.clone();
    all.insert_consent(consent.clone())
        .map_err(|_| DisclosureError::ConsentMismatch)?;

    // Re-evaluate as of the issue time (reliance), field by field, refusing anything extra.
    let fields = record.present_fields();
    let request = Request {
        sender: &sender,
        recipient: &recipient,
        subject: &payload.subject,
        purpose: &md.disclosure.purpose,
        record_type,
        fields: &fields,
        period: record.period(),
        time: md.issued_at,
        consent_id: Some(&reference.id),
        minimum_necessary: MinimumNecessary::Refuse,
    };
    let permit = match decision::decide(&Facts::from(&all), &request) {
        // The permit must come from the very consent the sender signed a reference to.
        Decision::Permit(p) if p.consent_digest == reference.digest => p,
        Decision::Permit(_) => return Err(DisclosureError::ConsentMismatch),
        Decision::Deny(reason) => {
            return Err(DisclosureError::Denied {
                recipient: recipient.agency_id,
                reason,
            });
        }
    };
    // The law's obligations must have travelled with the data.
    if !permit
        .obligations
        .labels
        .iter()
        .all(|l| md.disclosure.labels.contains(l))
    {
        return Err(DisclosureError::ObligationsNotMet(
            "a required security label",
        ));
    }
    if md.disclosure.notice != permit.obligations.notice_code()
        || payload.notice != permit.obligations.notice_text()
    {
        return Err(DisclosureError::ObligationsNotMet("the §2.32 notice"));
    }
    if permit.obligations.attach_consent && payload.consent.is_none() {
        return Err(DisclosureError::ObligationsNotMet("the consent copy"));
    }
    let present: Vec<&str> = fields.iter().map(|f| f.name).collect();
    if md
        .disclosure
        .redacted
        .iter()
        .any(|r| present.contains(&r.as_str()) || record_type.field(r.as_str()).is_none())
    {
        return Err(DisclosureError::ObligationsNotMet(
            "the redaction record (a listed field is present or unknown)",
        ));
    }

    let (subject, notice) = (payload.subject, payload.notice);
    // 18. Replay, only once the consent check passed; then 19, release.
    let opened = verified.release(options.seen)?;
    Ok(Received {
        sender,
        subject,
        record,
        metadata: opened.metadata,
        permit,
        notice,
        consent,
        signed: opened.signed,
        envelope_hash: opened.envelope_hash,
    })
}

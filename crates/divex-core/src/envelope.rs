//! The divex envelope (profile v1, spec/envelope.md): a `COSE_Sign1` signed by the sending
//! agency, carrying the disclosure metadata in its protected header, encrypted as a
//! `COSE_Encrypt` to one COSE-HPKE recipient per receiving agency.
//!
//! ```text
//! COSE_Encrypt (tag 96)                                   what a relay sees
//!   protected   {1: 24, kc: HKDF(CEK)}                    key commitment
//!   unprotected {5: iv}
//!   ciphertext  ChaCha20/Poly1305(CEK, Enc_structure with external_aad = SHA-256(recipients))
//!   recipients  [[{1: 50, 4: kid}, {-4: ek}, HPKE(CEK)], ...]   sorted by kid
//!     plaintext = COSE_Sign1 (tag 18)                     what only recipients see
//!       protected {1: -19, 4: sender kid, envelope id, issued-at, audience, purpose,
//!                  consent reference, record type, labels, notice, redacted fields,
//!                  profile version, kc}
//!       payload   the disclosure
//! ```
//!
//! [`open`] runs the checks in the order of spec/envelope.md §7 and releases nothing until all
//! of them pass; each failed check has its own [`OpenError`] variant.
//!
//! ```
//! use divex_core::envelope::{self, ConsentRef, Disclosure, StaticResolver};
//! use divex_core::keys::AgencyKeys;
//!
//! let provider = AgencyKeys::generate();
//! let court = AgencyKeys::generate();
//! let now = 1_790_000_000;
//! let disclosure = Disclosure {
//!     purpose: "cj-monitor-conditional-release".into(),
//!     consent: ConsentRef { id: "consent-2026-0042".into(), digest: [7; 32] },
//!     record_type: "drug_test".into(),
//!     labels: vec!["42CFRPart2".into()],
//!     notice: "part2-short".into(),
//!     redacted: vec![],
//! };
//! let sealed = envelope::seal(&provider, &[court.public().clone()], &disclosure, b"result: negative", now)?;
//!
//! let mut senders = StaticResolver::new();
//! senders.insert("provider-1", provider.public().signing().clone());
//! let opened = envelope::open(&sealed, &court, &senders, now)?;
//! assert_eq!(opened.payload, b"result: negative");
//! assert_eq!(opened.sender.agency_id, "provider-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use hkdf::Hkdf;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::codec::{self, CodecError, DecodeLimits, Map, Value};
use crate::cose::{self, CoseError, HpkeParams, ProtectedHeader, Recipient, Sign1, alg, label};
use crate::keys::{AgencyKeys, KEY_ID_LEN, KeyId, PublicBundle, SigningPublicKey};

/// Private COSE header labels of the divex profile (spec/envelope.md §2). All are in the
/// private-use range (< -65536).
pub mod labels {
    /// Key commitment, bstr .size 32 (layer-0 protected and inner protected).
    pub const KEY_COMMITMENT: i64 = -65537;
    /// Envelope id, bstr .size 16.
    pub const ENVELOPE_ID: i64 = -65538;
    /// Issued-at, uint seconds since the Unix epoch.
    pub const ISSUED_AT: i64 = -65539;
    /// Audience: the recipients' encryption key ids, ascending, unique.
    pub const AUDIENCE: i64 = -65540;
    /// Purpose of use, token.
    pub const PURPOSE: i64 = -65541;
    /// Consent reference: [consent id, SHA-256 of the signed consent].
    pub const CONSENT_REF: i64 = -65542;
    /// Record type, token.
    pub const RECORD_TYPE: i64 = -65543;
    /// Security labels (DS4P-style), tokens, ascending, unique.
    pub const SECURITY_LABELS: i64 = -65544;
    /// §2.32 notice code, token.
    pub const NOTICE: i64 = -65545;
    /// Envelope profile version, uint (1).
    pub const PROFILE: i64 = -65546;
    /// Fields removed from the record under the minimum-necessary rule (42 CFR §2.13(a)):
    /// tokens, ascending, unique; empty when nothing was redacted.
    pub const REDACTED: i64 = -65547;
}

/// The envelope profile version this crate writes and reads.
pub const PROFILE_VERSION: u64 = 1;
/// Length of an envelope id.
pub const ENVELOPE_ID_LEN: usize = 16;
/// Length of the key commitment.
pub const KEY_COMMITMENT_LEN: usize = 32;
/// HKDF `info` of the key commitment.
pub const KEY_COMMITMENT_INFO: &[u8] = b"divex/v1 key commitment";
/// Longest token (purpose, record type, label, notice) in bytes.
pub const MAX_TOKEN_LEN: usize = 64;
/// Longest consent id in bytes.
pub const MAX_CONSENT_ID_LEN: usize = 128;
/// Most security labels on one envelope.
pub const MAX_LABELS: usize = 32;

/// Size bounds applied by [`open_with`] and [`seal`] (spec/envelope.md §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeLimits {
    /// Largest envelope accepted, in bytes.
    pub max_envelope_bytes: usize,
    /// Most recipients in one envelope.
    pub max_recipients: usize,
}

impl EnvelopeLimits {
    /// The defaults: 16 MiB, 64 recipients.
    pub const DEFAULT: EnvelopeLimits = EnvelopeLimits {
        max_envelope_bytes: 16 * 1024 * 1024,
        max_recipients: 64,
    };
    /// The largest values a caller may configure: 256 MiB, 1024 recipients.
    pub const SAFE_MAX: EnvelopeLimits = EnvelopeLimits {
        max_envelope_bytes: 256 * 1024 * 1024,
        max_recipients: 1024,
    };
    /// Nesting depth of a valid envelope is at most 5; 8 leaves room and nothing more.
    pub const MAX_DEPTH: usize = 8;

    /// These limits capped at [`EnvelopeLimits::SAFE_MAX`].
    pub fn clamped(self) -> EnvelopeLimits {
        EnvelopeLimits {
            max_envelope_bytes: self
                .max_envelope_bytes
                .min(Self::SAFE_MAX.max_envelope_bytes),
            max_recipients: self.max_recipients.clamp(1, Self::SAFE_MAX.max_recipients),
        }
    }

    fn codec(self) -> DecodeLimits {
        DecodeLimits {
            max_input: self.max_envelope_bytes,
            max_depth: Self::MAX_DEPTH,
            // The safe maximum, not the configured one, so that a count between the two is
            // reported precisely as `TooManyRecipients` rather than as a codec limit.
            max_items: Self::SAFE_MAX.max_recipients,
            max_string: self.max_envelope_bytes,
        }
    }
}

impl Default for EnvelopeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A 16-byte random envelope id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvelopeId(pub [u8; ENVELOPE_ID_LEN]);

impl EnvelopeId {
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnvelopeId({})", self.to_hex())
    }
}

impl fmt::Display for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A reference to the consent a disclosure relies on. Opaque to the envelope layer: the
/// consent engine gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRef {
    /// The consent's id.
    pub id: String,
    /// SHA-256 of the signed consent bytes.
    pub digest: [u8; 32],
}

/// What the sender states about a disclosure (the caller's part of the metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    /// Purpose of use, e.g. `cj-monitor-conditional-release`.
    pub purpose: String,
    /// The consent relied on.
    pub consent: ConsentRef,
    /// Record type, e.g. `drug_test`.
    pub record_type: String,
    /// Security labels (sorted and de-duplicated when sealed).
    pub labels: Vec<String>,
    /// §2.32 notice code.
    pub notice: String,
    /// Record fields removed for minimum necessary (sorted and de-duplicated when sealed).
    pub redacted: Vec<String>,
}

/// The complete signed metadata of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Random envelope id.
    pub envelope_id: EnvelopeId,
    /// Seconds since the Unix epoch when sealed.
    pub issued_at: u64,
    /// The recipients' encryption key ids, ascending.
    pub audience: Vec<KeyId>,
    /// The sender's statement.
    pub disclosure: Disclosure,
}

/// Why [`seal`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// No recipient was given.
    #[error("an envelope needs at least one recipient")]
    NoRecipients,
    /// More recipients than the limit.
    #[error("{count} recipients exceed the limit of {limit}")]
    TooManyRecipients {
        /// Recipients given.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The same recipient key was given twice.
    #[error("recipient {kid} is listed twice")]
    DuplicateRecipient {
        /// The repeated encryption key id.
        kid: KeyId,
    },
    /// A metadata field is empty, too long or has characters outside `[A-Za-z0-9._:-]`.
    #[error("the {field} is not a valid token (1-{max} characters of A-Z a-z 0-9 . _ : -)")]
    InvalidField {
        /// Which field.
        field: &'static str,
        /// Its maximum length.
        max: usize,
    },
    /// The sealed envelope would exceed the size limit.
    #[error("the envelope would be {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Size it would have.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A cryptographic operation failed.
    #[error("encryption failed")]
    Crypto,
}

/// Which layer of the envelope a structural error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layer {
    /// The outer `COSE_Encrypt` (layer 0).
    Content,
    /// A `COSE_recipient` (layer 1).
    Recipient,
    /// The inner signed `COSE_Sign1`.
    Signed,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Content => "encryption layer",
            Layer::Recipient => "recipient layer",
            Layer::Signed => "signed layer",
        })
    }
}

/// Why [`open`] refused an envelope. The variants follow the check order of
/// spec/envelope.md §7; [`OpenError::class`] gives the stable name used by the spec vectors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The input is larger than the configured limit.
    #[error(
        "the envelope is {size} bytes, over the limit of {limit}; refuse it or raise the limit"
    )]
    TooLarge {
        /// Input size.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The bytes are not strict deterministic CBOR.
    #[error("the {layer} is not valid divex CBOR ({source}); the envelope is corrupted or forged")]
    Malformed {
        /// Where.
        layer: Layer,
        /// What the codec found.
        source: CodecError,
    },
    /// The CBOR is not the COSE structure the profile requires.
    #[error("the {layer} does not have the divex envelope structure: {reason}")]
    Structure {
        /// Where.
        layer: Layer,
        /// What is wrong.
        reason: &'static str,
    },
    /// An algorithm other than the profile's.
    #[error("the {layer} uses algorithm {alg}, which divex does not accept")]
    UnsupportedAlgorithm {
        /// Where.
        layer: Layer,
        /// The algorithm found.
        alg: i64,
    },
    /// A required header parameter is absent.
    #[error("the {layer} lacks required header {label}")]
    MissingHeader {
        /// Where.
        layer: Layer,
        /// The missing label.
        label: i64,
    },
    /// A header parameter the profile does not allow (including `crit`).
    #[error("the {layer} carries header {label} that divex does not accept")]
    UnexpectedHeader {
        /// Where.
        layer: Layer,
        /// The label, in diagnostic notation.
        label: String,
    },
    /// More recipients than the configured limit.
    #[error("the envelope has {count} recipients, over the limit of {limit}")]
    TooManyRecipients {
        /// Recipients present.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// None of the recipients is this agency's encryption key.
    #[error("this envelope is not addressed to this agency's key (key id {kid})")]
    NotForMe {
        /// Our encryption key id.
        kid: KeyId,
    },
    /// The encapsulated key is a low-order point; HPKE would agree on an all-zero secret.
    #[error("the envelope's key exchange is degenerate (low-order ephemeral key); it is forged")]
    NonContributoryKey,
    /// HPKE could not decrypt our copy of the content key.
    #[error("this agency's copy of the content key does not decrypt; the envelope was altered")]
    KeyUnwrap,
    /// The content key does not match the commitment every recipient sees.
    #[error(
        "the content key does not match the envelope's key commitment; the sender gave recipients different keys"
    )]
    KeyCommitment,
    /// The content does not decrypt (altered ciphertext, IV, header or recipients list).
    #[error("the envelope content does not decrypt; it was altered in transit")]
    Decrypt,
    /// The signing key is not known to the sender resolver (directory).
    #[error("the sender's signing key {kid} is not in the directory")]
    UnknownSender {
        /// The signer's key id.
        kid: KeyId,
    },
    /// The signing key is known but not trusted now (expired, revoked, not yet valid).
    #[error("the sender's signing key {kid} is not trusted: {reason}")]
    UntrustedSender {
        /// The signer's key id.
        kid: KeyId,
        /// Why, from the resolver.
        reason: String,
    },
    /// The Ed25519 signature does not verify (strict rules).
    #[error("the sender's signature is invalid; the envelope is forged or altered")]
    BadSignature,
    /// The signed audience differs from the recipients the envelope is encrypted to.
    #[error(
        "the signed audience does not match the envelope's recipients; it was forwarded or re-addressed"
    )]
    AudienceMismatch,
    /// The signed key commitment differs from the outer one: the signed content was
    /// re-encrypted under another content key.
    #[error("the signed content was re-encrypted by someone other than the signer")]
    Reencrypted,
    /// The envelope claims to be issued later than `now` plus the allowed clock skew.
    #[error("the envelope is dated {issued_at}, after the current time {now}; check the clocks")]
    IssuedInFuture {
        /// Claimed issue time.
        issued_at: u64,
        /// The time `open` was given.
        now: u64,
    },
    /// The envelope id was seen before.
    #[error("envelope {envelope_id} was already received; this is a replay")]
    Replay {
        /// The repeated id.
        envelope_id: EnvelopeId,
    },
}

impl OpenError {
    /// The stable class name used in spec vectors (`expect:`) and by bindings.
    pub fn class(&self) -> &'static str {
        match self {
            OpenError::TooLarge { .. } => "too_large",
            OpenError::Malformed { .. } => "malformed",
            OpenError::Structure { .. } => "structure",
            OpenError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            OpenError::MissingHeader { .. } => "missing_header",
            OpenError::UnexpectedHeader { .. } => "unexpected_header",
            OpenError::TooManyRecipients { .. } => "too_many_recipients",
            OpenError::NotForMe { .. } => "not_for_me",
            OpenError::NonContributoryKey => "non_contributory_key",
            OpenError::KeyUnwrap => "key_unwrap",
            OpenError::KeyCommitment => "key_commitment",
            OpenError::Decrypt => "decrypt",
            OpenError::UnknownSender { .. } => "unknown_sender",
            OpenError::UntrustedSender { .. } => "untrusted_sender",
            OpenError::BadSignature => "bad_signature",
            OpenError::AudienceMismatch => "audience_mismatch",
            OpenError::Reencrypted => "reencrypted",
            OpenError::IssuedInFuture { .. } => "issued_in_future",
            OpenError::Replay { .. } => "replay",
        }
    }
}

/// A sender as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// The agency's id in the directory.
    pub agency_id: String,
    /// Its signing key.
    pub key: SigningPublicKey,
}

/// Why a resolver could not vouch for a signing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The key is unknown.
    #[error("unknown signing key")]
    Unknown,
    /// The key is known but not trusted at this time.
    #[error("{0}")]
    NotTrusted(String),
}

/// Looks up the agency behind a signing key id (the directory does this in divex; tests and
/// small deployments can use [`StaticResolver`]).
pub trait SenderResolver {
    /// The sender whose signing key has id `kid`, if trusted at `now`.
    fn resolve(&self, kid: &KeyId, now: u64) -> Result<Sender, ResolveError>;
}

/// A fixed map from signing key to agency id.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    senders: BTreeMap<KeyId, Sender>,
}

impl StaticResolver {
    /// An empty resolver.
    pub fn new() -> StaticResolver {
        StaticResolver::default()
    }

    /// Trusts `key` as agency `agency_id`.
    pub fn insert(&mut self, agency_id: impl Into<String>, key: SigningPublicKey) {
        self.senders.insert(
            key.kid(),
            Sender {
                agency_id: agency_id.into(),
                key,
            },
        );
    }
}

impl SenderResolver for StaticResolver {
    fn resolve(&self, kid: &KeyId, _now: u64) -> Result<Sender, ResolveError> {
        self.senders.get(kid).cloned().ok_or(ResolveError::Unknown)
    }
}

/// The caller-supplied "seen envelope ids" hook for replay detection (the ledger implements
/// it).
pub trait SeenEnvelopes {
    /// Whether an envelope with this id was already received.
    fn seen(&self, id: &EnvelopeId) -> bool;
}

/// Options for [`open_with`].
#[derive(Clone, Copy)]
pub struct OpenOptions<'a> {
    /// Size bounds.
    pub limits: EnvelopeLimits,
    /// Replay hook; `None` skips the replay check.
    pub seen: Option<&'a dyn SeenEnvelopes>,
    /// How far in the future `issued_at` may be, in seconds (clock skew). Default 300.
    pub max_clock_skew: u64,
}

impl Default for OpenOptions<'_> {
    fn default() -> Self {
        OpenOptions {
            limits: EnvelopeLimits::DEFAULT,
            seen: None,
            max_clock_skew: 300,
        }
    }
}

impl fmt::Debug for OpenOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("limits", &self.limits)
            .field("seen", &self.seen.is_some())
            .field("max_clock_skew", &self.max_clock_skew)
            .finish()
    }
}

/// A successfully opened envelope. Produced only when every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Who signed it, as the resolver identified them.
    pub sender: Sender,
    /// The signed metadata.
    pub metadata: Metadata,
    /// The disclosure payload.
    pub payload: Vec<u8>,
    /// The exact signed inner `COSE_Sign1` bytes: non-repudiable evidence of what was sent.
    pub signed: Vec<u8>,
    /// SHA-256 of the whole envelope (what the ledgers of sender and recipients record).
    pub envelope_hash: [u8; 32],
}

// ---------------------------------------------------------------------------------------------
// Building blocks (public so that tests and the vector generator can assemble hostile
// envelopes from the same parts).

/// `HKDF-SHA256(salt = empty, ikm = CEK, info = "divex/v1 key commitment", L = 32)`.
pub fn key_commitment(cek: &[u8]) -> [u8; KEY_COMMITMENT_LEN] {
    let hk = Hkdf::<Sha256>::new(None, cek);
    let mut out = [0u8; KEY_COMMITMENT_LEN];
    // 32 bytes is far below HKDF-SHA256's 8160-byte maximum.
    let _ = hk.expand(KEY_COMMITMENT_INFO, &mut out);
    out
}

/// SHA-256 of the encoded recipients array: layer 0's `external_aad`.
pub fn recipients_digest(recipients: &[Recipient]) -> [u8; 32] {
    let v = Value::Array(recipients.iter().map(Recipient::to_value).collect());
    Sha256::digest(codec::encode(&v)).into()
}

fn is_token(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

impl Disclosure {
    fn validate(&self) -> Result<(), SealError> {
        let check = |ok: bool, field: &'static str, max: usize| {
            if ok {
                Ok(())
            } else {
                Err(SealError::InvalidField { field, max })
            }
        };
        check(
            is_token(&self.purpose, MAX_TOKEN_LEN),
            "purpose",
            MAX_TOKEN_LEN,
        )?;
        check(
            is_token(&self.record_type, MAX_TOKEN_LEN),
            "record type",
            MAX_TOKEN_LEN,
        )?;
        check(
            is_token(&self.notice, MAX_TOKEN_LEN),
            "notice code",
            MAX_TOKEN_LEN,
        )?;
        check(
            is_token(&self.consent.id, MAX_CONSENT_ID_LEN),
            "consent id",
            MAX_CONSENT_ID_LEN,
        )?;
        check(self.labels.len() <= MAX_LABELS, "label list", MAX_LABELS)?;
        for l in &self.labels {
            check(is_token(l, MAX_TOKEN_LEN), "security label", MAX_TOKEN_LEN)?;
        }
        check(
            self.redacted.len() <= MAX_LABELS,
            "redacted field list",
            MAX_LABELS,
        )?;
        for l in &self.redacted {
            check(
                is_token(l, MAX_TOKEN_LEN),
                "redacted field name",
                MAX_TOKEN_LEN,
            )?;
        }
        Ok(())
    }
}

impl Metadata {
    /// The inner protected header: `alg`, the sender's `kid`, the metadata labels and the key
    /// commitment.
    pub fn to_protected_map(
        &self,
        sender_kid: &KeyId,
        commitment: &[u8; KEY_COMMITMENT_LEN],
    ) -> Map {
        let tokens = |list: &[String]| {
            Value::Array(sorted_tokens(list).into_iter().map(Value::from).collect())
        };
        let entries = [
            (label::ALG, Value::from(alg::ED25519)),
            (label::KID, Value::bytes(sender_kid.as_bytes())),
            (labels::KEY_COMMITMENT, Value::bytes(commitment)),
            (labels::ENVELOPE_ID, Value::bytes(self.envelope_id.0)),
            (labels::ISSUED_AT, Value::from(self.issued_at)),
            (
                labels::AUDIENCE,
                Value::Array(
                    self.audience
                        .iter()
                        .map(|k| Value::bytes(k.as_bytes()))
                        .collect(),
                ),
            ),
            (
                labels::PURPOSE,
                Value::from(self.disclosure.purpose.as_str()),
            ),
            (
                labels::CONSENT_REF,
                Value::Array(vec![
                    Value::from(self.disclosure.consent.id.as_str()),
                    Value::bytes(self.disclosure.consent.digest),
                ]),
            ),
            (
                labels::RECORD_TYPE,
                Value::from(self.disclosure.record_type.as_str()),
            ),
            (labels::SECURITY_LABELS, tokens(&self.disclosure.labels)),
            (labels::REDACTED, tokens(&self.disclosure.redacted)),
            (labels::NOTICE, Value::from(self.disclosure.notice.as_str())),
            (labels::PROFILE, Value::from(PROFILE_VERSION)),
        ];
        let mut m = Map::new();
        for (k, v) in entries {
            // Labels are distinct constants.
            let _ = m.insert(Value::from(k), v);
        }
        m
    }
}

/// Signs `payload` with `metadata` as the inner `COSE_Sign1`; returns its encoding.
pub fn sign_inner(
    sender: &AgencyKeys,
    metadata: &Metadata,
    commitment: &[u8; KEY_COMMITMENT_LEN],
    payload: &[u8],
) -> Vec<u8> {
    let protected = ProtectedHeader::new(
        metadata.to_protected_map(&sender.public().signing().kid(), commitment),
    );
    let signature = sender.sign(&cose::sig_structure(protected.as_bytes(), &[], payload));
    // Sign1 { protected, unprotected: {}, payload, signature }.to_bytes(), without copying the
    // payload into a Sign1 first.
    cose::encode_sign1(protected.as_bytes(), &Map::new(), payload, &signature)
}

/// One HPKE-4-KE recipient carrying `cek` for `recipient`.
pub fn wrap_for<R: CryptoRng>(
    recipient: &PublicBundle,
    cek: &[u8],
    rng: &mut R,
) -> Result<Recipient, SealError> {
    let enc = recipient.encryption();
    let mut pm = Map::new();
    let _ = pm.insert(Value::from(label::ALG), Value::from(alg::HPKE_4_KE));
    let _ = pm.insert(Value::from(label::KID), Value::bytes(enc.kid().as_bytes()));
    let protected = ProtectedHeader::new(pm);
    let (ek, ciphertext) = cose::hpke_wrap(
        enc,
        protected.as_bytes(),
        alg::CHACHA20_POLY1305,
        HpkeParams::default(),
        cek,
        rng,
    )
    .map_err(|_| SealError::Crypto)?;
    let mut um = Map::new();
    let _ = um.insert(Value::from(label::EK), Value::bytes(ek));
    Ok(Recipient {
        protected,
        unprotected: um,
        ciphertext,
    })
}

/// Encrypts `inner` under `cek` as layer 0 for the given (already sorted) recipients.
pub fn encrypt_layer<R: CryptoRng>(
    inner: &[u8],
    cek: &[u8],
    commitment: &[u8; KEY_COMMITMENT_LEN],
    recipients: Vec<Recipient>,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let mut pm = Map::new();
    let _ = pm.insert(Value::from(label::ALG), Value::from(alg::CHACHA20_POLY1305));
    let _ = pm.insert(
        Value::from(labels::KEY_COMMITMENT),
        Value::bytes(commitment),
    );
    let protected = ProtectedHeader::new(pm);
    let mut iv = [0u8; cose::IV_LEN];
    rng.fill_bytes(&mut iv);
    // The recipients array is encoded once: its SHA-256 is layer 0's external_aad, and the
    // same bytes end the envelope.
    let encoded_recipients = codec::encode(&Value::Array(
        recipients.iter().map(Recipient::to_value).collect(),
    ));
    let digest: [u8; 32] = Sha256::digest(&encoded_recipients).into();
    let aad = cose::enc_structure(protected.as_bytes(), &digest);
    let ciphertext = cose::aead_seal(cek, &iv, &aad, inner).map_err(|_| SealError::Crypto)?;
    let mut um = Map::new();
    let _ = um.insert(Value::from(label::IV), Value::bytes(iv));
    Ok(cose::encode_encrypt(
        protected.as_bytes(),
        &um,
        &ciphertext,
        &encoded_recipients,
    ))
}

// ---------------------------------------------------------------------------------------------
// seal

/// Seals `payload` from `sender` to `recipients` with the OS CSPRNG. `now` is the issue time
/// (seconds since the Unix epoch).
pub fn seal(
    sender: &AgencyKeys,
    recipients: &[PublicBundle],
    disclosure: &Disclosure,
    payload: &[u8],
    now: u64,
) -> Result<Vec<u8>, SealError> {
    seal_with_rng(
        sender,
        recipients,
        disclosure,
        payload,
        now,
        &mut crate::rng::os(),
    )
}

/// [`seal`] with a caller-supplied CSPRNG (for reproducible test vectors).
pub fn seal_with_rng<R: CryptoRng>(
    sender: &AgencyKeys,
    recipients: &[PublicBundle],
    disclosure: &Disclosure,
    payload: &[u8],
    now: u64,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    seal_detailed_with_rng(sender, recipients, disclosure, payload, now, rng).map(|(b, _)| b)
}

/// [`seal_with_rng`], also returning the signed metadata (envelope id, audience...) so that
/// the sender can record the disclosure.
pub fn seal_detailed_with_rng<R: CryptoRng>(
    sender: &AgencyKeys,
    recipients: &[PublicBundle],
    disclosure: &Disclosure,
    payload: &[u8],
    now: u64,
    rng: &mut R,
) -> Result<(Vec<u8>, Metadata), SealError> {
    let limits = EnvelopeLimits::DEFAULT;
    disclosure.validate()?;
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    if recipients.len() > limits.max_recipients {
        return Err(SealError::TooManyRecipients {
            count: recipients.len(),
            limit: limits.max_recipients,
        });
    }
    let mut sorted: Vec<&PublicBundle> = recipients.iter().collect();
    sorted.sort_by_key(|b| b.encryption().kid());
    for w in sorted.windows(2) {
        if let [a, b] = w
            && a.encryption().kid() == b.encryption().kid()
        {
            return Err(SealError::DuplicateRecipient {
                kid: a.encryption().kid(),
            });
        }
    }
    // Rough size bound before doing any work: payload, fixed headers, ~150 bytes a recipient.
    let estimate = payload.len() + 1024 + 160 * sorted.len();
    if estimate > limits.max_envelope_bytes {
        return Err(SealError::TooLarge {
            size: estimate,
            limit: limits.max_envelope_bytes,
        });
    }

    let mut cek = Zeroizing::new([0u8; cose::CEK_LEN]);
    rng.fill_bytes(cek.as_mut());
    let commitment = key_commitment(cek.as_ref());
    let mut id = [0u8; ENVELOPE_ID_LEN];
    rng.fill_bytes(&mut id);

    let metadata = Metadata {
        envelope_id: EnvelopeId(id),
        issued_at: now,
        audience: sorted.iter().map(|b| b.encryption().kid()).collect(),
        disclosure: Disclosure {
            labels: sorted_tokens(&disclosure.labels),
            redacted: sorted_tokens(&disclosure.redacted),
            ..disclosure.clone()
        },
    };
    let inner = sign_inner(sender, &metadata, &commitment, payload);
    let stanzas = sorted
        .iter()
        .map(|b| wrap_for(b, cek.as_ref(), rng))
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = encrypt_layer(&inner, cek.as_ref(), &commitment, stanzas, rng)?;
    // Never hand out an envelope that `open` would refuse as too large.
    if bytes.len() > limits.max_envelope_bytes {
        return Err(SealError::TooLarge {
            size: bytes.len(),
            limit: limits.max_envelope_bytes,
        });
    }
    Ok((bytes, metadata))
}

// ---------------------------------------------------------------------------------------------
// open

/// Opens an envelope addressed to `me`, with default [`OpenOptions`] (no replay hook).
pub fn open(
    envelope: &[u8],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
) -> Result<Opened, OpenError> {
    open_with(envelope, me, senders, now, &OpenOptions::default())
}

/// Opens an envelope addressed to `me`, running every check of spec/envelope.md §7 in order.
pub fn open_with(
    envelope: &[u8],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Opened, OpenError> {
    let pending = open_to_signature(envelope, me, senders, now, options)?;
    // 13. verify_strict.
    pending
        .sender
        .key
        .verify(&pending.to_be_signed(), &pending.inner.sign1.signature)
        .map_err(|_| OpenError::BadSignature)?;
    pending.finish(envelope, now, options)
}

/// Opens many envelopes addressed to `me`; element `i` of the result is exactly what
/// [`open_with`] returns for `envelopes[i]` (spec/envelope.md §6.6).
///
/// Steps 1-12 and 14-19 of spec/envelope.md §7 run per envelope as in [`open_with`]. Step 13,
/// the Ed25519 signature check, runs as one batch verification over every envelope that
/// reached it and whose signature the batch equation decides exactly as `verify_strict` does
/// (`R` and `A` torsion-free, `R` canonical and not the identity, `S` reduced); every other
/// signature, and every signature of a batch that fails, is verified on its own with
/// `verify_strict`, so a bad envelope is named individually and never takes good ones down
/// with it. Batching saves scalar multiplications in the signature check only; the X25519 of
/// each envelope's HPKE stanza is not batched (BENCHMARKS.md has what that means for
/// throughput).
pub fn open_many(
    envelopes: &[&[u8]],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Vec<Result<Opened, OpenError>> {
    let pending: Vec<Result<Pending, OpenError>> = envelopes
        .iter()
        .map(|e| open_to_signature(e, me, senders, now, options))
        .collect();
    let messages: Vec<Option<Vec<u8>>> = pending
        .iter()
        .map(|p| p.as_ref().ok().map(Pending::to_be_signed))
        .collect();
    let items: Vec<batch::Item<'_>> = pending
        .iter()
        .zip(&messages)
        .filter_map(|(p, m)| match (p, m) {
            (Ok(p), Some(m)) => Some(batch::Item {
                key: &p.sender.key,
                message: m,
                signature: &p.inner.sign1.signature,
            }),
            _ => None,
        })
        .collect();
    let mut verdicts = batch::verify(&items, &mut crate::rng::os()).into_iter();
    pending
        .into_iter()
        .zip(envelopes)
        .map(|(p, envelope)| {
            let p = p?;
            // `items` holds one entry per envelope that reached step 13, in order.
            if verdicts.next() != Some(true) {
                return Err(OpenError::BadSignature);
            }
            p.finish(envelope, now, options)
        })
        .collect()
}

/// An envelope that passed steps 1-12 of spec/envelope.md §7: the signature is next.
struct Pending {
    outer: Outer,
    inner: Inner,
    sender: Sender,
    inner_bytes: Zeroizing<Vec<u8>>,
}

impl Pending {
    /// The Sig_structure the inner signature must verify over (§6.1).
    fn to_be_signed(&self) -> Vec<u8> {
        self.inner.sign1.to_be_signed(&[])
    }

    /// Steps 14-19, once the signature verified.
    fn finish(
        self,
        envelope: &[u8],
        now: u64,
        options: &OpenOptions<'_>,
    ) -> Result<Opened, OpenError> {
        let Pending {
            outer,
            inner,
            sender,
            mut inner_bytes,
        } = self;
        // 14. Audience equals the outer recipient set (and so contains me).
        if inner.metadata.audience != outer.recipient_kids {
            return Err(OpenError::AudienceMismatch);
        }
        // 15. The signed commitment equals the outer one.
        if !bool::from(inner.commitment.ct_eq(&outer.commitment)) {
            return Err(OpenError::Reencrypted);
        }
        // 16. Clock.
        if inner.metadata.issued_at > now.saturating_add(options.max_clock_skew) {
            return Err(OpenError::IssuedInFuture {
                issued_at: inner.metadata.issued_at,
                now,
            });
        }

        // 17. Consent is evaluated by the consent engine (spec/consent.md) once it is attached.

        // 18. Replay.
        if let Some(seen) = options.seen
            && seen.seen(&inner.metadata.envelope_id)
        {
            return Err(OpenError::Replay {
                envelope_id: inner.metadata.envelope_id,
            });
        }

        // 19. Release.
        let Inner {
            sign1, metadata, ..
        } = inner;
        Ok(Opened {
            sender,
            metadata,
            payload: sign1.payload,
            // Released to the caller: moved out, not copied.
            signed: std::mem::take(&mut *inner_bytes),
            envelope_hash: Sha256::digest(envelope).into(),
        })
    }
}

/// Steps 1-12 of spec/envelope.md §7, in order.
fn open_to_signature(
    envelope: &[u8],
    me: &AgencyKeys,
    senders: &dyn SenderResolver,
    now: u64,
    options: &OpenOptions<'_>,
) -> Result<Pending, OpenError> {
    let limits = options.limits.clamped();

    // 1-6. Size, strict decode and profile check of the outer layers.
    if envelope.len() > limits.max_envelope_bytes {
        return Err(OpenError::TooLarge {
            size: envelope.len(),
            limit: limits.max_envelope_bytes,
        });
    }
    let climits = limits.codec();
    let outer = parse_outer(envelope, &climits, &limits)?;

    // 7. Find my recipient by kid (recipients are sorted: binary search).
    let my_kid = me.public().encryption().kid();
    let idx = outer
        .recipient_kids
        .binary_search(&my_kid)
        .map_err(|_| OpenError::NotForMe { kid: my_kid })?;
    let mine = outer
        .msg
        .recipients
        .get(idx)
        .ok_or(OpenError::NotForMe { kid: my_kid })?;
    let ek = outer
        .eks
        .get(idx)
        .ok_or(OpenError::NotForMe { kid: my_kid })?;

    // 8. HPKE open of the content key (rejects non-contributory ek).
    let cek = cose::hpke_unwrap(
        me.encryption(),
        ek,
        mine.protected.as_bytes(),
        alg::CHACHA20_POLY1305,
        HpkeParams::default(),
        &mine.ciphertext,
    )
    .map_err(|e| match e {
        CoseError::NonContributoryKey => OpenError::NonContributoryKey,
        _ => OpenError::KeyUnwrap,
    })?;
    if cek.len() != cose::CEK_LEN {
        return Err(OpenError::KeyUnwrap);
    }

    // 9. Key commitment.
    let expected = key_commitment(&cek);
    if !bool::from(expected.ct_eq(&outer.commitment)) {
        return Err(OpenError::KeyCommitment);
    }

    // 10. AEAD open of layer 0, bound to every recipient stanza.
    let digest = match received_recipients(envelope, &outer.msg) {
        Some(bytes) => Sha256::digest(bytes).into(),
        None => recipients_digest(&outer.msg.recipients),
    };
    let aad = cose::enc_structure(outer.msg.protected.as_bytes(), &digest);
    let inner_bytes = Zeroizing::new(
        cose::aead_open(&cek, &outer.iv, &aad, &outer.msg.ciphertext)
            .map_err(|_| OpenError::Decrypt)?,
    );
    drop(cek);

    // 11. Strict decode of the inner COSE_Sign1.
    let inner = parse_inner(&inner_bytes, &climits)?;

    // 12. Signer known and trusted.
    let sender = senders
        .resolve(&inner.sender_kid, now)
        .map_err(|e| match e {
            ResolveError::Unknown => OpenError::UnknownSender {
                kid: inner.sender_kid,
            },
            ResolveError::NotTrusted(reason) => OpenError::UntrustedSender {
                kid: inner.sender_kid,
                reason,
            },
        })?;
    if sender.key.kid() != inner.sender_kid {
        return Err(OpenError::UnknownSender {
            kid: inner.sender_kid,
        });
    }
    Ok(Pending {
        outer,
        inner,
        sender,
        inner_bytes,
    })
}

/// The recipients array exactly as received. The envelope decoded strictly (shortest heads,
/// canonical map order, nothing trailing), so its encoding is the re-encoding of what was
/// decoded, and the recipients array, the last element, is the suffix that follows the tag,
/// the array head and the first three elements. Hashing this suffix gives the same digest as
/// [`recipients_digest`] without re-encoding every stanza.
fn received_recipients<'a>(envelope: &'a [u8], msg: &cose::Encrypt) -> Option<&'a [u8]> {
    const MAJOR_BYTES: u8 = 2;
    const MAJOR_TAG: u8 = 6;
    let mut prefix = Vec::with_capacity(48);
    codec::write_head(&mut prefix, MAJOR_TAG, cose::TAG_ENCRYPT);
    codec::write_array_head(&mut prefix, 4);
    codec::write_bytes(&mut prefix, msg.protected.as_bytes());
    codec::encode_into(&Value::Map(msg.unprotected.clone()), &mut prefix);
    codec::write_head(&mut prefix, MAJOR_BYTES, msg.ciphertext.len() as u64);
    let start = prefix.len().checked_add(msg.ciphertext.len())?;
    // The prefix is what the envelope starts with; anything else means the assumption does
    // not hold, and the caller re-encodes instead.
    let (head, _) = envelope.split_at_checked(prefix.len())?;
    if head != prefix.as_slice() {
        return None;
    }
    envelope.get(start..)
}

struct Outer {
    msg: cose::Encrypt,
    commitment: [u8; KEY_COMMITMENT_LEN],
    iv: [u8; cose::IV_LEN],
    recipient_kids: Vec<KeyId>,
    eks: Vec<[u8; cose::EK_LEN]>,
}

fn structure(layer: Layer) -> impl Fn(CoseError) -> OpenError {
    move |e| match e {
        CoseError::Codec(source) => OpenError::Malformed { layer, source },
        CoseError::Structure(reason) => OpenError::Structure { layer, reason },
        _ => OpenError::Structure {
            layer,
            reason: "invalid field",
        },
    }
}

/// Checks that `m` has exactly the labels in `allowed` (all required).
fn exact_labels(m: &Map, layer: Layer, required: &[i64]) -> Result<(), OpenError> {
    for k in m.keys() {
        let ok = k.as_i64().is_some_and(|l| required.contains(&l));
        if !ok {
            return Err(OpenError::UnexpectedHeader {
                layer,
                label: codec::diagnostic(k),
            });
        }
    }
    for l in required {
        if m.get_label(*l).is_none() {
            return Err(OpenError::MissingHeader { layer, label: *l });
        }
    }
    Ok(())
}

fn check_alg(m: &Map, layer: Layer, expected: i64) -> Result<(), OpenError> {
    match m.get_label(label::ALG) {
        None => Err(OpenError::MissingHeader {
            layer,
            label: label::ALG,
        }),
        Some(v) => match v.as_i64() {
            Some(a) if a == expected => Ok(()),
            Some(a) => Err(OpenError::UnsupportedAlgorithm { layer, alg: a }),
            None => Err(OpenError::Structure {
                layer,
                reason: "alg must be an integer",
            }),
        },
    }
}

fn fixed<const N: usize>(
    v: Option<&Value>,
    layer: Layer,
    reason: &'static str,
) -> Result<[u8; N], OpenError> {
    v.and_then(Value::as_bytes)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(OpenError::Structure { layer, reason })
}

fn parse_outer(
    bytes: &[u8],
    climits: &DecodeLimits,
    limits: &EnvelopeLimits,
) -> Result<Outer, OpenError> {
    let v = codec::decode_with(bytes, climits).map_err(|source| OpenError::Malformed {
        layer: Layer::Content,
        source,
    })?;
    // Count recipients before parsing them.
    if let Value::Tag(_, body) = &v
        && let Some(n) = body
            .as_array()
            .and_then(|a| a.get(3))
            .and_then(Value::as_array)
            .map(<[Value]>::len)
        && n > limits.max_recipients
    {
        return Err(OpenError::TooManyRecipients {
            count: n,
            limit: limits.max_recipients,
        });
    }
    let msg =
        cose::Encrypt::from_owned_value(v, true, climits).map_err(structure(Layer::Content))?;

    let p = msg.protected.map();
    check_alg(p, Layer::Content, alg::CHACHA20_POLY1305)?;
    exact_labels(p, Layer::Content, &[label::ALG, labels::KEY_COMMITMENT])?;
    exact_labels(&msg.unprotected, Layer::Content, &[label::IV])?;
    let commitment = fixed::<KEY_COMMITMENT_LEN>(
        p.get_label(labels::KEY_COMMITMENT),
        Layer::Content,
        "key commitment must be a 32-byte bstr",
    )?;
    let iv = fixed::<{ cose::IV_LEN }>(
        msg.unprotected.get_label(label::IV),
        Layer::Content,
        "IV must be a 12-byte bstr",
    )?;
    if msg.ciphertext.len() < cose::TAG_LEN {
        return Err(OpenError::Structure {
            layer: Layer::Content,
            reason: "ciphertext is shorter than the AEAD tag",
        });
    }

    let mut recipient_kids = Vec::with_capacity(msg.recipients.len());
    let mut eks = Vec::with_capacity(msg.recipients.len());
    for r in &msg.recipients {
        let rp = r.protected.map();
        check_alg(rp, Layer::Recipient, alg::HPKE_4_KE)?;
        exact_labels(rp, Layer::Recipient, &[label::ALG, label::KID])?;
        exact_labels(&r.unprotected, Layer::Recipient, &[label::EK])?;
        let kid = fixed::<KEY_ID_LEN>(
            rp.get_label(label::KID),
            Layer::Recipient,
            "kid must be a 16-byte bstr",
        )?;
        let ek = fixed::<{ cose::EK_LEN }>(
            r.unprotected.get_label(label::EK),
            Layer::Recipient,
            "ek must be a 32-byte bstr",
        )?;
        if r.ciphertext.len() != cose::CEK_LEN + cose::TAG_LEN {
            return Err(OpenError::Structure {
                layer: Layer::Recipient,
                reason: "encrypted content key must be 48 bytes",
            });
        }
        let kid = KeyId::from_bytes(&kid).map_err(|_| OpenError::Structure {
            layer: Layer::Recipient,
            reason: "kid must be a 16-byte bstr",
        })?;
        if let Some(prev) = recipient_kids.last()
            && *prev >= kid
        {
            return Err(OpenError::Structure {
                layer: Layer::Recipient,
                reason: "recipients must be sorted by kid without duplicates",
            });
        }
        recipient_kids.push(kid);
        eks.push(ek);
    }
    Ok(Outer {
        msg,
        commitment,
        iv,
        recipient_kids,
        eks,
    })
}

struct Inner {
    sign1: Sign1,
    sender_kid: KeyId,
    commitment: [u8; KEY_COMMITMENT_LEN],
    metadata: Metadata,
}

fn token(v: Option<&Value>, max: usize, reason: &'static str) -> Result<String, OpenError> {
    match v.and_then(Value::as_text) {
        Some(s) if is_token(s, max) => Ok(s.to_owned()),
        _ => Err(OpenError::Structure {
            layer: Layer::Signed,
            reason,
        }),
    }
}

/// A sorted, duplicate-free array of at most [`MAX_LABELS`] tokens.
fn token_list(v: Option<&Value>, reason: &'static str) -> Result<Vec<String>, OpenError> {
    let err = OpenError::Structure {
        layer: Layer::Signed,
        reason,
    };
    let items = v
        .and_then(Value::as_array)
        .filter(|a| a.len() <= MAX_LABELS)
        .ok_or(err.clone())?;
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let t = token(Some(item), MAX_TOKEN_LEN, reason)?;
        if out
            .last()
            .is_some_and(|prev| prev.as_bytes() >= t.as_bytes())
        {
            return Err(err);
        }
        out.push(t);
    }
    Ok(out)
}

/// Tokens sorted bytewise without duplicates, as the metadata carries them.
fn sorted_tokens(list: &[String]) -> Vec<String> {
    let mut v = list.to_vec();
    v.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    v.dedup();
    v
}

fn parse_inner(bytes: &[u8], climits: &DecodeLimits) -> Result<Inner, OpenError> {
    let layer = Layer::Signed;
    let v = codec::decode_with(bytes, climits)
        .map_err(|source| OpenError::Malformed { layer, source })?;
    let sign1 = Sign1::from_owned_value(v, true, climits).map_err(structure(layer))?;
    let p = sign1.protected.map();
    check_alg(p, layer, alg::ED25519)?;
    exact_labels(
        p,
        layer,
        &[
            label::ALG,
            label::KID,
            labels::KEY_COMMITMENT,
            labels::ENVELOPE_ID,
            labels::ISSUED_AT,
            labels::AUDIENCE,
            labels::PURPOSE,
            labels::CONSENT_REF,
            labels::RECORD_TYPE,
            labels::SECURITY_LABELS,
            labels::NOTICE,
            labels::PROFILE,
            labels::REDACTED,
        ],
    )?;
    exact_labels(&sign1.unprotected, layer, &[])?;
    if p.get_label(labels::PROFILE).and_then(Value::as_u64) != Some(PROFILE_VERSION) {
        return Err(OpenError::Structure {
            layer,
            reason: "unknown envelope profile version",
        });
    }
    let sender_kid = KeyId::from_bytes(&fixed::<KEY_ID_LEN>(
        p.get_label(label::KID),
        layer,
        "kid must be a 16-byte bstr",
    )?)
    .map_err(|_| OpenError::Structure {
        layer,
        reason: "kid must be a 16-byte bstr",
    })?;
    let commitment = fixed::<KEY_COMMITMENT_LEN>(
        p.get_label(labels::KEY_COMMITMENT),
        layer,
        "key commitment must be a 32-byte bstr",
    )?;
    let envelope_id = EnvelopeId(fixed::<ENVELOPE_ID_LEN>(
        p.get_label(labels::ENVELOPE_ID),
        layer,
        "envelope id must be a 16-byte bstr",
    )?);
    let issued_at = p
        .get_label(labels::ISSUED_AT)
        .and_then(Value::as_u64)
        .ok_or(OpenError::Structure {
            layer,
            reason: "issued-at must be an unsigned integer",
        })?;
    let audience_v = p
        .get_label(labels::AUDIENCE)
        .and_then(Value::as_array)
        .ok_or(OpenError::Structure {
            layer,
            reason: "audience must be an array",
        })?;
    let mut audience = Vec::with_capacity(audience_v.len());
    for a in audience_v {
        let kid =
            a.as_bytes()
                .and_then(|b| KeyId::from_bytes(b).ok())
                .ok_or(OpenError::Structure {
                    layer,
                    reason: "audience entries must be 16-byte key ids",
                })?;
        audience.push(kid);
    }
    let consent_v = p
        .get_label(labels::CONSENT_REF)
        .and_then(Value::as_array)
        .filter(|a| a.len() == 2)
        .ok_or(OpenError::Structure {
            layer,
            reason: "consent reference must be [id, digest]",
        })?;
    let consent = ConsentRef {
        id: token(
            consent_v.first(),
            MAX_CONSENT_ID_LEN,
            "consent id must be a token",
        )?,
        digest: fixed::<32>(
            consent_v.get(1),
            layer,
            "consent digest must be a 32-byte bstr",
        )?,
    };
    let sec_labels = token_list(
        p.get_label(labels::SECURITY_LABELS),
        "security labels must be a sorted, duplicate-free array of at most 32 tokens",
    )?;
    let redacted = token_list(
        p.get_label(labels::REDACTED),
        "redacted fields must be a sorted, duplicate-free array of at most 32 tokens",
    )?;
    let metadata = Metadata {
        envelope_id,
        issued_at,
        audience,
        disclosure: Disclosure {
            purpose: token(
                p.get_label(labels::PURPOSE),
                MAX_TOKEN_LEN,
                "purpose must be a token",
            )?,
            consent,
            record_type: token(
                p.get_label(labels::RECORD_TYPE),
                MAX_TOKEN_LEN,
                "record type must be a token",
            )?,
            labels: sec_labels,
            redacted,
            notice: token(
                p.get_label(labels::NOTICE),
                MAX_TOKEN_LEN,
                "notice must be a token",
            )?,
        },
    };
    Ok(Inner {
        sign1,
        sender_kid,
        commitment,
        metadata,
    })
}

// ---------------------------------------------------------------------------------------------
// Batch verification of inner signatures (spec/envelope.md §6.6)

mod batch {
    use std::collections::BTreeMap;

    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
    use rand_core::CryptoRng;
    use sha2::{Digest, Sha512};

    use crate::keys::SigningPublicKey;

    /// Fewer batchable signatures than this are verified one by one: the batch equation only
    /// pays for itself once its fixed costs are shared.
    const MIN_BATCH: usize = 2;

    /// One signature to check: `verify_strict(key, message, signature)`.
    pub(super) struct Item<'a> {
        pub(super) key: &'a SigningPublicKey,
        pub(super) message: &'a [u8],
        pub(super) signature: &'a [u8],
    }

    /// A signature admitted to the batch equation.
    struct Candidate {
        /// Index into the items.
        item: usize,
        /// Index into the distinct keys.
        key: usize,
        r: EdwardsPoint,
        s: Scalar,
        k: Scalar,
    }

    /// Whether a point is in the prime-order subgroup: `[L]P = O`, computed as
    /// `[L - 1]P + P` (vartime: every point here is public).
    fn torsion_free(p: &EdwardsPoint) -> bool {
        let l_minus_one = -Scalar::ONE;
        (EdwardsPoint::vartime_double_scalar_mul_basepoint(&l_minus_one, p, &Scalar::ZERO) + p)
            .is_identity()
    }

    /// Whether the y coordinate of an encoded point is below p = 2^255 - 19 (bit 255, the
    /// sign of x, is ignored). Encodings with y >= p decode to the point of y - p, but are
    /// never the re-encoding `verify_strict` compares with.
    fn canonical_y(b: &[u8; 32]) -> bool {
        let mut top = *b;
        if let Some(last) = top.last_mut() {
            *last &= 0x7f;
        }
        // y >= p iff y is one of p, ..., 2^255 - 1: bytes ed..ff, ff × 30, 7f.
        let (first, rest) = top.split_first().unwrap_or((&0, &[]));
        let (last, middle) = rest.split_last().unwrap_or((&0, &[]));
        !(*first >= 0xed && middle.iter().all(|&m| m == 0xff) && *last == 0x7f)
    }

    /// A point that the batch equation may use in place of `verify_strict`'s checks: it
    /// decodes, its encoding is canonical, it is torsion-free and it is not the identity
    /// (the only torsion-free point of small order).
    fn batchable_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
        if !canonical_y(bytes) {
            return None;
        }
        let p = CompressedEdwardsY(*bytes).decompress()?;
        (!p.is_small_order() && torsion_free(&p)).then_some(p)
    }

    /// Per distinct signing key: its point if batchable, and the accumulated `Σ z·k`.
    struct Keys {
        index: BTreeMap<[u8; 32], Option<usize>>,
        points: Vec<EdwardsPoint>,
        coefficients: Vec<Scalar>,
    }

    impl Keys {
        fn slot(&mut self, key: &SigningPublicKey) -> Option<usize> {
            if let Some(slot) = self.index.get(key.as_bytes()) {
                return *slot;
            }
            let slot = batchable_point(key.as_bytes()).map(|a| {
                self.points.push(a);
                self.coefficients.push(Scalar::ZERO);
                self.points.len() - 1
            });
            self.index.insert(*key.as_bytes(), slot);
            slot
        }
    }

    fn candidate(item: usize, it: &Item<'_>, keys: &mut Keys) -> Option<Candidate> {
        let sig: &[u8; 64] = it.signature.try_into().ok()?;
        let (r_bytes, s_bytes) = sig.split_at(32);
        let r_bytes: [u8; 32] = r_bytes.try_into().ok()?;
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes.try_into().ok()?))?;
        let key = keys.slot(it.key)?;
        let r = batchable_point(&r_bytes)?;
        let digest = Sha512::new()
            .chain_update(r_bytes)
            .chain_update(it.key.as_bytes())
            .chain_update(it.message)
            .finalize();
        let wide: [u8; 64] = digest.into();
        Some(Candidate {
            item,
            key,
            r,
            s,
            k: Scalar::from_bytes_mod_order_wide(&wide),
        })
    }

    /// A uniformly random 128-bit scalar.
    fn coefficient<R: CryptoRng + ?Sized>(rng: &mut R) -> Scalar {
        let mut z = [0u8; 16];
        rng.fill_bytes(&mut z);
        Scalar::from(u128::from_le_bytes(z))
    }

    /// The verdict of `verify_strict` for every item, computed with one batch equation over
    /// the items that admit it (spec/envelope.md §6.6) and individually for the rest, and for
    /// all of them if the batch equation fails.
    pub(super) fn verify<R: CryptoRng + ?Sized>(items: &[Item<'_>], rng: &mut R) -> Vec<bool> {
        let mut keys = Keys {
            index: BTreeMap::new(),
            points: Vec::new(),
            coefficients: Vec::new(),
        };
        let candidates: Vec<Candidate> = items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| candidate(i, it, &mut keys))
            .collect();
        let mut accepted = vec![false; items.len()];
        if candidates.len() >= MIN_BATCH {
            // Σ z_i·s_i·B − Σ z_i·R_i − Σ_A (Σ_{i: A_i = A} z_i·k_i)·A = O
            let mut b = Scalar::ZERO;
            let mut r_scalars = Vec::with_capacity(candidates.len());
            for c in &candidates {
                let z = coefficient(rng);
                b += z * c.s;
                r_scalars.push(-z);
                if let Some(acc) = keys.coefficients.get_mut(c.key) {
                    *acc -= z * c.k;
                }
            }
            let scalars = std::iter::once(b)
                .chain(r_scalars)
                .chain(keys.coefficients.iter().copied());
            let points = std::iter::once(ED25519_BASEPOINT_POINT)
                .chain(candidates.iter().map(|c| c.r))
                .chain(keys.points.iter().copied());
            if EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity() {
                for c in &candidates {
                    if let Some(a) = accepted.get_mut(c.item) {
                        *a = true;
                    }
                }
            }
        }
        items
            .iter()
            .zip(accepted)
            .map(|(it, ok)| ok || it.key.verify(it.message, it.signature).is_ok())
            .collect()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn canonical_y_boundaries() {
            let mut p = [0xffu8; 32];
            p[0] = 0xed;
            p[31] = 0x7f;
            assert!(!canonical_y(&p), "p itself");
            p[31] = 0xff;
            assert!(!canonical_y(&p), "p with the sign bit");
            p[0] = 0xec;
            assert!(canonical_y(&p), "p - 1");
            let mut one = [0u8; 32];
            one[0] = 1;
            assert!(canonical_y(&one));
            assert!(!canonical_y(&[0xff; 32]));
        }

        #[test]
        fn basepoint_is_torsion_free_and_mixed_points_are_not() {
            assert!(torsion_free(&ED25519_BASEPOINT_POINT));
            let eight_torsion = curve25519_dalek::constants::EIGHT_TORSION;
            for (i, t) in eight_torsion.iter().enumerate() {
                assert_eq!(torsion_free(&(ED25519_BASEPOINT_POINT + t)), i == 0);
            }
        }
    }
}

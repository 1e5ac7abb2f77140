//! Why sealing or opening an envelope failed: one variant per check of spec/envelope.md §7.

use std::fmt;

use super::metadata::EnvelopeId;
use crate::codec::CodecError;
use crate::error::classified;
use crate::keys::KeyId;

/// Why [`seal`](super::seal()) refused.
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
    /// The ledger head's sequence number is larger than any ledger holds (2^63 − 1,
    /// spec/envelope.md §15.2).
    #[error(
        "the ledger head's sequence number {seq} is over the largest a ledger holds (2^63 - 1); pass the ledger's own head"
    )]
    LedgerHeadOutOfRange {
        /// The sequence number given.
        seq: u64,
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

/// Why [`open`](crate::open()) refused an envelope. The variants follow the check order of
/// spec/envelope.md §7; `OpenError::class` ([`crate::error::Classified`]) gives the stable name used by the spec vectors.
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

classified!(OpenError, Envelope, |e| match e {
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
});

classified!(SealError, Seal, |e| match e {
    SealError::NoRecipients => "no_recipients",
    SealError::TooManyRecipients { .. } => "too_many_recipients",
    SealError::DuplicateRecipient { .. } => "duplicate_recipient",
    SealError::InvalidField { .. } => "invalid_field",
    SealError::LedgerHeadOutOfRange { .. } => "ledger_head_out_of_range",
    SealError::TooLarge { .. } => "too_large",
    SealError::Crypto => "crypto",
});

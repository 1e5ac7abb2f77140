//! The one error type every fallible divex-ffi call returns.
//!
//! Each variant is a *failure class* a caller acts on differently; `code` is the core's stable
//! snake_case name of the failure inside that class (`OpenError::class`,
//! `DirectoryError::class`, `ConsentError::class`, `RecordError::class`, `DenyReason::code`,
//! and names defined here for the errors that have none), and `detail` is the core's own
//! message (its `Display`), never a secret or a record value.
//!
//! The variants carry named fields rather than a tuple so that every language sees the same
//! names; the field is called `detail`, not `message`, because a `message` field collides
//! with `Throwable.message` in the generated Kotlin (mozilla/uniffi-rs#1434).

use divex_core::consent::ConsentError;
use divex_core::cose::CoseError;
use divex_core::directory::DirectoryError;
use divex_core::disclosure::DisclosureError;
use divex_core::envelope::{OpenError, SealError};
use divex_core::keys::KeyError;
use divex_core::records::RecordError;
use divex_ledger::LedgerError;

/// Why a divex call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DivexError {
    /// An envelope check of spec/envelope.md §7 failed (`code` = `OpenError::class`, e.g.
    /// `not_for_me`, `bad_signature`, `replay`), or the COSE-HPKE encryption layer refused a
    /// message (`malformed`, `structure`, `length`, `non_contributory_key`, `key_unwrap`,
    /// `decrypt`, `encrypt`).
    #[error("{detail}")]
    Envelope {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// Sealing was refused before any consent question (`no_recipients`,
    /// `too_many_recipients`, `duplicate_recipient`, `invalid_field`, `too_large`, `crypto`).
    #[error("{detail}")]
    Seal {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// The consent engine denied the disclosure (`code` = `DenyReason::code`, e.g.
    /// `revoked`, `record_type_not_permitted`, `field_not_permitted`).
    #[error("{detail}")]
    Denied {
        /// Stable reason code.
        code: String,
        /// The recipient the disclosure was refused to (on open: this agency).
        recipient: String,
        /// The core's message.
        detail: String,
    },
    /// A consent, consent revocation or case event was refused (`code` =
    /// `ConsentError::class`, e.g. `deficient`, `bad_signature`, `future_dated`).
    #[error("{detail}")]
    Consent {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// The disclosure around a valid envelope is not acceptable (`payload`,
    /// `consent_mismatch`, `consent_unavailable`, `copy_required`, `obligations_not_met`).
    #[error("{detail}")]
    Disclosure {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// A record was refused (`code` = `RecordError::class`, e.g. `unknown_field`,
    /// `invalid_value`, `missing_field`). Messages name fields, never values.
    #[error("{detail}")]
    Record {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// A certificate, revocation, trust anchor or directory was refused, or a directory
    /// query found no trustworthy answer (`code` = `DirectoryError::class`, e.g.
    /// `unknown_anchor`, `expired`, `revoked`, `unknown_agency`).
    #[error("{detail}")]
    Directory {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// A public key or signature was refused (`length`, `invalid_signing_key`,
    /// `non_canonical_signing_key`, `weak_signing_key`, `low_order_encryption_key`,
    /// `bad_signature`, `malformed_bundle`, `malformed`).
    #[error("{detail}")]
    Key {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// The disclosure ledger failed (`database`, `not_a_ledger`, `unsupported_schema`,
    /// `invalid_agency_id`, `wrong_agency`, `replay`, `already_recorded`, `invalid_entry`,
    /// `tampered`).
    #[error("{detail}")]
    Ledger {
        /// Stable class name.
        code: String,
        /// The ledger's message.
        detail: String,
    },
    /// An encrypted keystore could not be opened or written (`wrong_passphrase`,
    /// `corrupted`, `wrong_kind`, `kdf`).
    #[error("{detail}")]
    Keystore {
        /// Stable class name.
        code: String,
        /// What went wrong (never the passphrase or a secret).
        detail: String,
    },
    /// An argument is not what the call takes (`json`, `length`, `unknown_record_type`,
    /// `argument`).
    #[error("{detail}")]
    InvalidInput {
        /// Stable class name.
        code: String,
        /// What is wrong.
        detail: String,
    },
}

/// The result of every fallible call.
pub type Result<T, E = DivexError> = std::result::Result<T, E>;

impl DivexError {
    /// An [`DivexError::InvalidInput`].
    pub(crate) fn invalid(code: &str, detail: impl Into<String>) -> DivexError {
        DivexError::InvalidInput {
            code: code.to_owned(),
            detail: detail.into(),
        }
    }

    /// A [`DivexError::Keystore`].
    pub(crate) fn keystore(code: &str, detail: impl Into<String>) -> DivexError {
        DivexError::Keystore {
            code: code.to_owned(),
            detail: detail.into(),
        }
    }

    /// The stable class name of any variant.
    pub fn code(&self) -> &str {
        match self {
            DivexError::Envelope { code, .. }
            | DivexError::Seal { code, .. }
            | DivexError::Denied { code, .. }
            | DivexError::Consent { code, .. }
            | DivexError::Disclosure { code, .. }
            | DivexError::Record { code, .. }
            | DivexError::Directory { code, .. }
            | DivexError::Key { code, .. }
            | DivexError::Ledger { code, .. }
            | DivexError::Keystore { code, .. }
            | DivexError::InvalidInput { code, .. } => code,
        }
    }
}

/// A fixed-size byte argument of the wrong length.
pub(crate) fn length(what: &str, expected: usize, actual: usize) -> DivexError {
    DivexError::invalid(
        "length",
        format!("{what} must be {expected} bytes, got {actual}"),
    )
}

/// `bytes` as an array of `N`, or [`DivexError::InvalidInput`] naming `what`.
pub(crate) fn array<const N: usize>(what: &str, bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| length(what, N, bytes.len()))
}

impl From<OpenError> for DivexError {
    fn from(e: OpenError) -> Self {
        DivexError::Envelope {
            code: e.class().to_owned(),
            detail: e.to_string(),
        }
    }
}

fn seal_code(e: &SealError) -> &'static str {
    match e {
        SealError::NoRecipients => "no_recipients",
        SealError::TooManyRecipients { .. } => "too_many_recipients",
        SealError::DuplicateRecipient { .. } => "duplicate_recipient",
        SealError::InvalidField { .. } => "invalid_field",
        SealError::TooLarge { .. } => "too_large",
        SealError::Crypto => "crypto",
        _ => "seal",
    }
}

impl From<SealError> for DivexError {
    fn from(e: SealError) -> Self {
        DivexError::Seal {
            code: seal_code(&e).to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<CoseError> for DivexError {
    fn from(e: CoseError) -> Self {
        let code = match &e {
            CoseError::Codec(_) => "malformed",
            CoseError::Structure(_) => "structure",
            CoseError::Length { .. } => "length",
            CoseError::NonContributoryKey => "non_contributory_key",
            CoseError::KeyUnwrap => "key_unwrap",
            CoseError::Decrypt => "decrypt",
            CoseError::Encrypt => "encrypt",
            _ => "encryption_layer",
        };
        DivexError::Envelope {
            code: code.to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<ConsentError> for DivexError {
    fn from(e: ConsentError) -> Self {
        DivexError::Consent {
            code: e.class().to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<RecordError> for DivexError {
    fn from(e: RecordError) -> Self {
        DivexError::Record {
            code: e.class().to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<DirectoryError> for DivexError {
    fn from(e: DirectoryError) -> Self {
        DivexError::Directory {
            code: e.class().to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<KeyError> for DivexError {
    fn from(e: KeyError) -> Self {
        let code = match &e {
            KeyError::Length { .. } => "length",
            KeyError::InvalidSigningKey => "invalid_signing_key",
            KeyError::NonCanonicalSigningKey => "non_canonical_signing_key",
            KeyError::WeakSigningKey => "weak_signing_key",
            KeyError::LowOrderEncryptionKey => "low_order_encryption_key",
            KeyError::BadSignature => "bad_signature",
            KeyError::MalformedBundle(_) => "malformed_bundle",
            KeyError::Codec(_) => "malformed",
            _ => "key",
        };
        DivexError::Key {
            code: code.to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<LedgerError> for DivexError {
    fn from(e: LedgerError) -> Self {
        let code = match &e {
            LedgerError::Database { .. } => "database",
            LedgerError::NotALedger { .. } => "not_a_ledger",
            LedgerError::UnsupportedSchema { .. } => "unsupported_schema",
            LedgerError::InvalidAgencyId => "invalid_agency_id",
            LedgerError::WrongAgency { .. } => "wrong_agency",
            LedgerError::Replay { .. } => "replay",
            LedgerError::AlreadyRecorded { .. } => "already_recorded",
            LedgerError::InvalidEntry(_) => "invalid_entry",
            LedgerError::Tampered { .. } => "tampered",
            _ => "ledger",
        };
        DivexError::Ledger {
            code: code.to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<DisclosureError> for DivexError {
    fn from(e: DisclosureError) -> Self {
        let detail = e.to_string();
        let other = |code: &str| DivexError::Disclosure {
            code: code.to_owned(),
            detail: detail.clone(),
        };
        match e {
            DisclosureError::Denied { recipient, reason } => DivexError::Denied {
                code: reason.code().to_owned(),
                recipient,
                detail,
            },
            DisclosureError::Record(r) => DivexError::Record {
                code: r.class().to_owned(),
                detail,
            },
            DisclosureError::Directory(d) => d.into(),
            DisclosureError::Consent(c) => c.into(),
            DisclosureError::Seal(s) => s.into(),
            DisclosureError::Envelope(o) => o.into(),
            DisclosureError::Payload(_) => other("payload"),
            DisclosureError::ConsentMismatch => other("consent_mismatch"),
            DisclosureError::ConsentUnavailable { .. } => other("consent_unavailable"),
            DisclosureError::CopyRequired { .. } => other("copy_required"),
            DisclosureError::ObligationsNotMet(_) => other("obligations_not_met"),
            _ => other("disclosure"),
        }
    }
}

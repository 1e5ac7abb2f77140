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

use divex_core::DisclosureError;
use divex_core::consent::ConsentError;
use divex_core::directory::DirectoryError;
use divex_core::envelope::{OpenError, SealError};
use divex_core::error::{Classified, ErrorCategory, JsonError};
use divex_core::keys::KeyError;
use divex_core::keystore::KeystoreError;
use divex_core::records::{InvalidDate, RecordError};
// Only the COSE-HPKE interop functions (`hpke.rs`) meet it.
use divex_core::testing::cose::CoseError;
use divex_core::vocab::InvalidToken;
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

impl DivexError {
    /// The one mapping from the core's class table ([`Classified`]) to the variants of this
    /// error: the category picks the variant, the class is the `code`, the message the
    /// `detail`. The `match` is exhaustive over [`ErrorCategory`] (which is not
    /// `#[non_exhaustive]`), so a new category cannot fall through to a generic code, and
    /// every core error's class is given once, by the core.
    fn classified(e: &dyn Classified, recipient: Option<String>) -> DivexError {
        let code = e.class().to_owned();
        let detail = e.to_string();
        match e.category() {
            ErrorCategory::Envelope => DivexError::Envelope { code, detail },
            ErrorCategory::Seal => DivexError::Seal { code, detail },
            ErrorCategory::Denied => DivexError::Denied {
                code,
                recipient: recipient.unwrap_or_default(),
                detail,
            },
            ErrorCategory::Consent => DivexError::Consent { code, detail },
            ErrorCategory::Disclosure => DivexError::Disclosure { code, detail },
            ErrorCategory::Record => DivexError::Record { code, detail },
            ErrorCategory::Directory => DivexError::Directory { code, detail },
            ErrorCategory::Key => DivexError::Key { code, detail },
            ErrorCategory::Keystore => DivexError::Keystore { code, detail },
            ErrorCategory::Ledger => DivexError::Ledger { code, detail },
            ErrorCategory::Input => DivexError::InvalidInput { code, detail },
        }
    }
}

/// `From` for every error type the facade's calls can meet, each through
/// [`DivexError::classified`].
macro_rules! from_classified {
    ($($t:ty),+ $(,)?) => {
        $(
            impl From<$t> for DivexError {
                fn from(e: $t) -> Self {
                    DivexError::classified(&e, None)
                }
            }
        )+
    };
}

from_classified!(
    OpenError,
    SealError,
    CoseError,
    ConsentError,
    RecordError,
    DirectoryError,
    KeyError,
    KeystoreError,
    JsonError,
    InvalidToken,
    InvalidDate,
    LedgerError,
);

/// A denial carries the agency it was refused to; everything else maps by class alone.
impl From<DisclosureError> for DivexError {
    fn from(e: DisclosureError) -> Self {
        let recipient = if let DisclosureError::Denied { recipient, .. } = &e {
            Some(recipient.clone())
        } else {
            None
        };
        DivexError::classified(&e, recipient)
    }
}

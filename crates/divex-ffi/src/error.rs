//! The one error type every fallible divex-ffi call returns.
//!
//! Its variants are the categories of the core's class table ([`ErrorCategory`]) and its
//! `code` is the class the core error gives itself ([`Classified::class`]); the codes are
//! listed there, next to each error (and, for the envelope, in spec/envelope.md §7), never
//! here. `detail` is the core's own message (its `Display`), never a secret or a record value.
//! The `divex` CLI's `--json` `code` and the Python and Kotlin exceptions (generated from this
//! type: one exception class per variant) carry the same classes.
//!
//! The mapping is exhaustive by construction: every core error reaches this type through
//! [`DivexError::classified`], a `match` over [`ErrorCategory`] with no catch-all (the enum is
//! deliberately not `#[non_exhaustive]`), and [`DivexError::category`] is its inverse — a test
//! walks every category through both.
//!
//! The variants carry named fields rather than a tuple so that every language sees the same
//! names; the field is called `detail`, not `message`, because a `message` field collides
//! with `Throwable.message` in the generated Kotlin (mozilla/uniffi-rs#1434).

use divex_core::DisclosureError;
use divex_core::consent::ConsentError;
use divex_core::directory::DirectoryError;
use divex_core::envelope::{OpenError, SealError};
use divex_core::error::JsonError;
use divex_core::error::{Classified, ErrorCategory};
use divex_core::keys::KeyError;
use divex_core::keystore::KeystoreError;
use divex_core::records::{InvalidDate, RecordError, UnknownRecordType};
use divex_core::testing::cose::CoseError;
use divex_core::vocab::InvalidToken;
use divex_ledger::LedgerError;

/// Why a divex call failed: the variant is the failure's category, `code` its stable class
/// (the core's class table, `divex_core::error`), `detail` the core's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DivexError {
    /// An envelope check of spec/envelope.md §7 failed, or the COSE-HPKE encryption layer
    /// refused a message.
    #[error("{detail}")]
    Envelope {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// Sealing was refused before any consent question.
    #[error("{detail}")]
    Seal {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// The consent engine denied the disclosure (`code` is the engine's reason).
    #[error("{detail}")]
    Denied {
        /// Stable reason code.
        code: String,
        /// The recipient the disclosure was refused to (on open: this agency).
        recipient: String,
        /// The core's message.
        detail: String,
    },
    /// A consent, consent revocation or case event was refused.
    #[error("{detail}")]
    Consent {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// The disclosure around a valid envelope is not acceptable.
    #[error("{detail}")]
    Disclosure {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// A record was refused. Messages name fields, never values.
    #[error("{detail}")]
    Record {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// A certificate, revocation, trust anchor or directory was refused, or a directory
    /// query found no trustworthy answer.
    #[error("{detail}")]
    Directory {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// A public key or signature was refused.
    #[error("{detail}")]
    Key {
        /// Stable class name.
        code: String,
        /// The core's message.
        detail: String,
    },
    /// The disclosure ledger failed or found tampering.
    #[error("{detail}")]
    Ledger {
        /// Stable class name.
        code: String,
        /// The ledger's message.
        detail: String,
    },
    /// An encrypted keystore could not be opened or written.
    #[error("{detail}")]
    Keystore {
        /// Stable class name.
        code: String,
        /// What went wrong (never the passphrase or a secret).
        detail: String,
    },
    /// An argument is not what the call takes (a token, a date, JSON, a length).
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
    /// The one mapping from the core's class table ([`Classified`]) to the variants of this
    /// error: the category picks the variant, the class is the `code`, the message the
    /// `detail`. The `match` is exhaustive over [`ErrorCategory`] (which is not
    /// `#[non_exhaustive]`), so a new category cannot fall through to a generic code, and
    /// every core error's class is given once, by the core.
    pub(crate) fn classified(e: &dyn Classified, recipient: Option<String>) -> DivexError {
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

    /// The category of the core's class table this error belongs to (the inverse of the
    /// mapping above).
    pub fn category(&self) -> ErrorCategory {
        match self {
            DivexError::Envelope { .. } => ErrorCategory::Envelope,
            DivexError::Seal { .. } => ErrorCategory::Seal,
            DivexError::Denied { .. } => ErrorCategory::Denied,
            DivexError::Consent { .. } => ErrorCategory::Consent,
            DivexError::Disclosure { .. } => ErrorCategory::Disclosure,
            DivexError::Record { .. } => ErrorCategory::Record,
            DivexError::Directory { .. } => ErrorCategory::Directory,
            DivexError::Key { .. } => ErrorCategory::Key,
            DivexError::Keystore { .. } => ErrorCategory::Keystore,
            DivexError::Ledger { .. } => ErrorCategory::Ledger,
            DivexError::InvalidInput { .. } => ErrorCategory::Input,
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

/// A byte argument of the wrong length for a fixed-size value (a secret, a serial, an id): the
/// one refusal the facade makes itself, as it turns a foreign byte string into the core's
/// array types.
pub(crate) fn length(what: &str, expected: usize, actual: usize) -> DivexError {
    DivexError::InvalidInput {
        code: "length".to_owned(),
        detail: format!("{what} must be {expected} bytes, got {actual}"),
    }
}

/// `bytes` as an array of `N`, or [`DivexError::InvalidInput`] naming `what`.
pub(crate) fn array<const N: usize>(what: &str, bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| length(what, N, bytes.len()))
}

/// `From` for every error type the facade's calls can meet, each through
/// [`DivexError::classified`]. A core call whose error type is missing here does not compile.
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
    UnknownRecordType,
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

#[cfg(test)]
mod tests;

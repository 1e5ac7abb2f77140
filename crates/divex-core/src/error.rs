//! The one error class table: every divex error states, once and next to its definition,
//! which **category** of failure it is and its stable snake_case **class** within it.
//!
//! The class is the name the spec vectors' `expect` field, the CLI's `--json` `code`, and the
//! Python and Kotlin exceptions' `code` all use; the category is what a caller branches on
//! first (and what the bindings turn into an exception type). Front ends map errors through
//! [`Classified`] alone, so they never restate a class, and [`ErrorCategory`] is deliberately
//! *not* `#[non_exhaustive]`: a front end matches it exhaustively, so a new category fails to
//! compile there instead of falling into a catch-all. A new variant of a core error must be
//! given its class in that error's own `match`, which is exhaustive inside this crate.
//!
//! Besides the trait and the categories, this module holds the two errors several concepts
//! share: [`CodecError`] (bytes that are not strict deterministic CBOR, the cause inside the
//! record, key, certificate, consent and envelope errors) and [`JsonError`] (a JSON
//! description of a record or a consent that cannot be read).
//!
//! ```
//! use divex_core::error::{Classified, ErrorCategory};
//! use divex_core::envelope::OpenError;
//!
//! let e = OpenError::BadSignature;
//! assert_eq!((e.category(), e.class()), (ErrorCategory::Envelope, "bad_signature"));
//! ```

pub use crate::codec::CodecError;
pub use crate::json::JsonError;

/// The family a failure belongs to: what a caller acts on first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCategory {
    /// An envelope check of spec/envelope.md §7 failed, or the COSE-HPKE layer refused a
    /// message: the envelope is corrupted, forged, replayed or not for this agency.
    Envelope,
    /// Sealing was refused before any consent question (recipients, sizes, metadata).
    Seal,
    /// The consent engine denied the disclosure.
    Denied,
    /// A consent, consent revocation or case event was refused.
    Consent,
    /// The disclosure around a valid envelope is not acceptable (payload, consent copy,
    /// obligations).
    Disclosure,
    /// A record was refused.
    Record,
    /// A certificate, revocation, trust anchor or directory was refused, or a directory
    /// query found no trustworthy answer.
    Directory,
    /// A public key or signature was refused.
    Key,
    /// An encrypted keystore could not be opened or written.
    Keystore,
    /// The disclosure ledger failed or found tampering.
    Ledger,
    /// An argument is not what the call takes (a token, a date, JSON, CBOR).
    Input,
}

impl ErrorCategory {
    /// Every category.
    pub const ALL: [ErrorCategory; 11] = [
        ErrorCategory::Envelope,
        ErrorCategory::Seal,
        ErrorCategory::Denied,
        ErrorCategory::Consent,
        ErrorCategory::Disclosure,
        ErrorCategory::Record,
        ErrorCategory::Directory,
        ErrorCategory::Key,
        ErrorCategory::Keystore,
        ErrorCategory::Ledger,
        ErrorCategory::Input,
    ];

    /// The category's snake_case name (`envelope`, `seal`, `denied`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Envelope => "envelope",
            ErrorCategory::Seal => "seal",
            ErrorCategory::Denied => "denied",
            ErrorCategory::Consent => "consent",
            ErrorCategory::Disclosure => "disclosure",
            ErrorCategory::Record => "record",
            ErrorCategory::Directory => "directory",
            ErrorCategory::Key => "key",
            ErrorCategory::Keystore => "keystore",
            ErrorCategory::Ledger => "ledger",
            ErrorCategory::Input => "input",
        }
    }
}

impl std::fmt::Display for ErrorCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A divex error: its category and its stable class. Implemented by every error type of
/// divex-core (and of divex-ledger); the message is the type's `Display`, written for an
/// operator and free of secrets and record values.
pub trait Classified: std::error::Error {
    /// The family of the failure.
    fn category(&self) -> ErrorCategory;
    /// The stable snake_case class within the category (spec vectors, CLI, bindings).
    fn class(&self) -> &'static str;
}

/// Implements [`Classified`] with one category and an exhaustive `match` giving each
/// variant's class.
macro_rules! classified {
    ($t:ty, $category:ident, |$e:ident| $class:expr) => {
        impl $crate::error::Classified for $t {
            fn category(&self) -> $crate::error::ErrorCategory {
                $crate::error::ErrorCategory::$category
            }
            fn class(&self) -> &'static str {
                let $e = self;
                $class
            }
        }
    };
}
pub(crate) use classified;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_have_distinct_names() {
        let mut names: Vec<&str> = ErrorCategory::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCategory::ALL.len());
    }
}

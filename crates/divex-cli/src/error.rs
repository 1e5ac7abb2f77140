//! The command line's one error type, its documented exit codes, and the hint printed with
//! each failure.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | general failure (for example an output file already exists) |
//! | 2 | usage: bad arguments, or a malformed input file (TOML, JSON, date) |
//! | 3 | refused by a security, trust or consent check (envelope, signature, certificate, consent decision, replay, ledger verification) |
//! | 4 | wrong passphrase (or no passphrase available) |
//! | 5 | file not found, or another I/O error |
//!
//! Messages are for the person at the terminal: what went wrong in plain words, and a hint
//! saying what to do. They never contain a passphrase, a secret key or record content.

use std::io;
use std::path::{Path, PathBuf};

use divex_core::codec::CodecError;
use divex_core::consent::ConsentError;
use divex_core::directory::DirectoryError;
use divex_core::disclosure::DisclosureError;
use divex_core::envelope::{OpenError, SealError};
use divex_core::keys::KeyError;
use divex_core::keystore::KeystoreError as FormatError;
use divex_core::records::RecordError;
use divex_ledger::LedgerError;

use crate::keystore::KeystoreError;
use divex_core::error::Classified;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a failure not covered by another code.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad arguments or a malformed input file.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: refused by a security, trust or consent check.
pub const EXIT_REFUSED: u8 = 3;
/// Exit code: wrong passphrase.
pub const EXIT_PASSPHRASE: u8 = 4;
/// Exit code: file not found or another I/O error.
pub const EXIT_IO: u8 = 5;

/// The exit-code table shown at the end of `divex --help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  general failure (for example an output file already exists)
  2  usage: bad arguments, or a malformed input file (TOML, JSON, date)
  3  refused by a security, trust or consent check (envelope, signature,
     certificate, consent decision, replay, ledger verification)
  4  wrong passphrase (or no passphrase available)
  5  file not found, or another I/O error

Environment:
  DIVEX_HOME        default for --home (otherwise ./divex-home)
  DIVEX_PASSPHRASE  keystore passphrase (otherwise prompted on the terminal)
  DIVEX_KDF         default keystore KDF profile: interactive (default) or fast
                    (fast is for tests and demos only, never for real keys)";

/// Everything a `divex` command can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
    /// An input file (TOML, JSON, a date) is malformed.
    #[error("{what} is not valid: {reason}")]
    InvalidInput {
        /// What was read, e.g. "the consent description consent.toml".
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A file or directory does not exist.
    #[error("{what} not found at {}", path.display())]
    NotFound {
        /// What was looked for ("keystore of agency 'x'", "directory", ...).
        what: String,
        /// Where.
        path: PathBuf,
        /// What to do.
        hint: String,
    },
    /// An output file already exists.
    #[error("{} already exists; divex does not overwrite it", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// No passphrase could be read, or a new one was refused.
    #[error("{0}")]
    Passphrase(String),
    /// A keystore could not be created or opened.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The directory refused a certificate, revocation or anchor, or a lookup found no
    /// trustworthy answer.
    #[error("{0}")]
    Directory(#[from] DirectoryError),
    /// A consent, consent revocation or case event was refused.
    #[error("{0}")]
    Consent(#[from] ConsentError),
    /// A disclosure was not sealed or not released.
    #[error("{0}")]
    Disclosure(#[from] DisclosureError),
    /// An envelope check failed.
    #[error("{0}")]
    Open(#[from] OpenError),
    /// Sealing failed.
    #[error("{0}")]
    Seal(#[from] SealError),
    /// A record is invalid.
    #[error("{0}")]
    Record(#[from] RecordError),
    /// A key or public bundle is invalid.
    #[error("{0}")]
    Key(#[from] KeyError),
    /// Bytes are not strict divex CBOR.
    #[error("not valid divex CBOR: {0}")]
    Codec(#[from] CodecError),
    /// The ledger failed or did not verify.
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// A security check refused, with a reason in words.
    #[error("{0}")]
    Refused(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl From<io::Error> for CliError {
    fn from(source: io::Error) -> CliError {
        CliError::Io {
            path: PathBuf::new(),
            source,
        }
    }
}

impl From<toml::de::Error> for CliError {
    fn from(e: toml::de::Error) -> CliError {
        CliError::InvalidInput {
            what: "the TOML file".into(),
            reason: e.to_string(),
        }
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> CliError {
        // serde_json's messages can quote input; keep only the position and the category.
        CliError::InvalidInput {
            what: "the JSON input".into(),
            reason: format!(
                "{} at line {}, column {}",
                match e.classify() {
                    serde_json::error::Category::Io => "read error",
                    serde_json::error::Category::Syntax => "syntax error",
                    serde_json::error::Category::Data => "unexpected data",
                    serde_json::error::Category::Eof => "unexpected end of input",
                },
                e.line(),
                e.column()
            ),
        }
    }
}

impl CliError {
    /// An I/O error on `path`, mapping "not found" to [`CliError::NotFound`] and "already
    /// exists" to [`CliError::Exists`].
    pub fn io(path: &Path, what: &str, source: io::Error) -> CliError {
        match source.kind() {
            io::ErrorKind::NotFound => CliError::NotFound {
                what: what.to_owned(),
                path: path.to_path_buf(),
                hint: "check the path".into(),
            },
            io::ErrorKind::AlreadyExists => CliError::Exists {
                path: path.to_path_buf(),
            },
            _ => CliError::Io {
                path: path.to_path_buf(),
                source,
            },
        }
    }

    /// The documented exit code (see the module documentation).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::InvalidInput { .. } => EXIT_USAGE,
            CliError::Record(_) | CliError::Key(_) => EXIT_USAGE,
            CliError::Seal(SealError::InvalidField { .. }) => EXIT_USAGE,
            CliError::Disclosure(DisclosureError::Seal(SealError::InvalidField { .. })) => {
                EXIT_USAGE
            }
            CliError::NotFound { .. } | CliError::Io { .. } => EXIT_IO,
            CliError::Exists { .. } => EXIT_FAILURE,
            CliError::Passphrase(_) => EXIT_PASSPHRASE,
            CliError::Keystore(k) => match k {
                KeystoreError::Format {
                    source: FormatError::WrongPassphrase,
                    ..
                } => EXIT_PASSPHRASE,
                KeystoreError::NotFound { .. } | KeystoreError::Io { .. } => EXIT_IO,
                KeystoreError::Exists { .. } => EXIT_FAILURE,
                KeystoreError::Corrupted { .. }
                | KeystoreError::Format {
                    source: FormatError::Corrupted { .. } | FormatError::WrongKind { .. },
                    ..
                } => EXIT_REFUSED,
                _ => EXIT_FAILURE,
            },
            CliError::Directory(_)
            | CliError::Consent(_)
            | CliError::Disclosure(_)
            | CliError::Open(_)
            | CliError::Codec(_)
            | CliError::Refused(_) => EXIT_REFUSED,
            CliError::Seal(_) => EXIT_FAILURE,
            CliError::Ledger(e) => ledger_exit_code(e),
            CliError::Other(_) => EXIT_FAILURE,
        }
    }

    /// A stable machine-readable name for the error (the `--json` error object's `"code"`).
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "usage",
            CliError::InvalidInput { .. } => "invalid_input",
            CliError::NotFound { .. } => "not_found",
            CliError::Exists { .. } => "exists",
            CliError::Io { .. } => "io",
            CliError::Passphrase(_) => "passphrase",
            CliError::Keystore(KeystoreError::Format {
                source: FormatError::WrongPassphrase,
                ..
            }) => "wrong_passphrase",
            CliError::Keystore(KeystoreError::NotFound { .. }) => "not_found",
            CliError::Keystore(KeystoreError::Exists { .. }) => "exists",
            CliError::Keystore(_) => "keystore",
            CliError::Directory(e) => e.class(),
            CliError::Consent(_) => "consent",
            CliError::Disclosure(DisclosureError::Denied { reason, .. }) => reason.class(),
            CliError::Disclosure(DisclosureError::Envelope(e)) | CliError::Open(e) => e.class(),
            CliError::Disclosure(DisclosureError::Directory(e)) => e.class(),
            CliError::Disclosure(_) => "disclosure",
            CliError::Seal(_) => "seal",
            CliError::Record(_) => "invalid_record",
            CliError::Key(_) => "invalid_key",
            CliError::Codec(_) => "malformed",
            CliError::Ledger(LedgerError::Tampered { .. }) => "ledger_tampered",
            CliError::Ledger(LedgerError::Replay { .. }) => "replay",
            CliError::Ledger(_) => "ledger",
            CliError::Refused(_) => "refused",
            CliError::Other(_) => "failure",
        }
    }

    /// What to do about it, in words.
    pub fn hint(&self) -> Option<String> {
        let s = |x: &str| Some(x.to_owned());
        match self {
            CliError::Usage(_) => s("see `divex --help` or `divex <command> --help`"),
            CliError::InvalidInput { .. } => s("fix the file and run the command again"),
            CliError::NotFound { hint, .. } => Some(hint.clone()),
            CliError::Exists { .. } => {
                s("choose another output path with --out, or move the existing file away")
            }
            CliError::Io { .. } => s("check the path and its permissions"),
            CliError::Passphrase(_) => None,
            CliError::Keystore(k) => match k {
                KeystoreError::Format {
                    source: FormatError::WrongPassphrase,
                    ..
                } => s(
                    "check the passphrase (DIVEX_PASSPHRASE, if set, is used instead of a prompt)",
                ),
                KeystoreError::NotFound { .. } => s(
                    "check --agency and --home; create an agency keystore with `divex init --agency ID`",
                ),
                KeystoreError::Exists { .. } => {
                    s("this agency or anchor already has keys; use another id or --home")
                }
                KeystoreError::Corrupted { .. }
                | KeystoreError::Format {
                    source: FormatError::Corrupted { .. },
                    ..
                } => s("restore the keystore from your backup; divex will not guess"),
                _ => None,
            },
            CliError::Directory(e) => match e {
                DirectoryError::UnknownAgency { .. } => s(
                    "import the agency's certificate with `divex directory import FILE`, or check the id with `divex directory list`",
                ),
                DirectoryError::UnknownAnchor { .. } => s(
                    "compare the anchor's fingerprint with the issuing authority's, then import it with `divex directory import --trust-anchors FILE`",
                ),
                DirectoryError::Expired { .. }
                | DirectoryError::Revoked { .. }
                | DirectoryError::NotYetValid { .. } => {
                    s("ask the trust anchor for a current certificate (`divex anchor issue`)")
                }
                _ => s("the file was refused; obtain a fresh copy from its issuer"),
            },
            CliError::Consent(_) => s(
                "check the consent with `divex consent show FILE`; a signed consent cannot be edited, only re-signed",
            ),
            CliError::Disclosure(d) => match d {
                DisclosureError::Denied { .. } => s(
                    "the consent does not permit this disclosure; check it with `divex consent show`, or use --redact for optional fields",
                ),
                DisclosureError::ConsentUnavailable { .. } => s(
                    "import the consent with `divex consent import --agency ID FILE`, or ask the sender to attach it",
                ),
                DisclosureError::Envelope(e) => open_hint(e),
                DisclosureError::Directory(_) => s(
                    "check the agencies with `divex directory list`; import current certificates with `divex directory import`",
                ),
                _ => s("the disclosure was refused; nothing was released or written"),
            },
            CliError::Open(e) => open_hint(e),
            CliError::Seal(_) => None,
            CliError::Record(_) => s(
                "fix the record JSON: field names and values must follow spec/records.md for the record type",
            ),
            CliError::Key(_) => s("the key or bundle file is damaged; obtain a fresh copy"),
            CliError::Codec(_) => s("the file is damaged or not a divex file"),
            CliError::Ledger(e) => ledger_hint(e),
            CliError::Refused(_) | CliError::Other(_) => None,
        }
    }
}

fn open_hint(e: &OpenError) -> Option<String> {
    let s = |x: &str| Some(x.to_owned());
    match e {
        OpenError::UnknownSender { .. } | OpenError::UntrustedSender { .. } => s(
            "the sender is not certified in this directory; import its certificate with `divex directory import` if you trust it",
        ),
        OpenError::NotForMe { .. } => s("this envelope is addressed to other agencies"),
        OpenError::IssuedInFuture { .. } => s("check this computer's clock"),
        _ => s("the envelope is damaged or forged; ask the sender to send it again"),
    }
}

fn ledger_exit_code(e: &LedgerError) -> u8 {
    match e {
        LedgerError::Tampered { .. } | LedgerError::Replay { .. } => EXIT_REFUSED,
        _ => EXIT_FAILURE,
    }
}

fn ledger_hint(e: &LedgerError) -> Option<String> {
    match e {
        LedgerError::Tampered { .. } => Some(
            "the ledger was altered; keep the file as evidence and restore it from a backup".into(),
        ),
        LedgerError::Replay { .. } => {
            Some("this envelope was already opened and recorded in the ledger".into())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_documented() {
        for (code, word) in [
            (EXIT_OK, "success"),
            (EXIT_FAILURE, "general failure"),
            (EXIT_USAGE, "usage"),
            (EXIT_REFUSED, "refused"),
            (EXIT_PASSPHRASE, "wrong passphrase"),
            (EXIT_IO, "file not found"),
        ] {
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {code}  {word}")),
                "{code}"
            );
        }
    }

    #[test]
    fn classes_map_to_codes() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), EXIT_USAGE);
        assert_eq!(
            CliError::Keystore(KeystoreError::Format {
                path: PathBuf::new(),
                source: FormatError::WrongPassphrase,
            })
            .exit_code(),
            EXIT_PASSPHRASE
        );
        assert_eq!(
            CliError::Open(OpenError::BadSignature).exit_code(),
            EXIT_REFUSED
        );
        assert_eq!(
            CliError::io(Path::new("x"), "x", io::ErrorKind::NotFound.into()).exit_code(),
            EXIT_IO
        );
        assert_eq!(
            CliError::Ledger(LedgerError::Tampered {
                seq: 1,
                reason: String::new()
            })
            .exit_code(),
            EXIT_REFUSED
        );
    }
}

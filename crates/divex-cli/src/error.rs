//! The command line's one error type, its documented exit codes, and the hint printed with
//! each failure.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | general failure (for example an output file already exists, or a ledger file that is not a ledger) |
//! | 2 | usage: bad arguments, or a malformed input you wrote (consent TOML, record JSON, a date, a token, a public key bundle, a file `inspect` does not recognise) |
//! | 3 | refused by a security, trust or consent check (a damaged or forged envelope, consent, statement, directory file or keystore; a signature, certificate, consent decision, replay, ledger verification) |
//! | 4 | wrong passphrase (or no passphrase available, or a new one refused) |
//! | 5 | file not found, or another I/O error |
//!
//! A library error's exit code follows its category (`divex_core::error::ErrorCategory`):
//! `envelope`, `denied`, `consent`, `disclosure` and `directory` are 3; `record`, `key`,
//! `input` and `seal` are 2 (a `seal` that failed in the cryptography itself, 1); `keystore`
//! is 4 for a wrong passphrase and 3 otherwise; `ledger` is 3 for a ledger that fails
//! verification (tampered, rolled back, forked, truncated below a witnessed head, without a
//! valid high-water mark, signed with a compromised key) or a replay, and 1 otherwise
//! ([`library_exit_code`]).
//!
//! With `--json`, a failure is `{"error": {"category", "code", "exit_code", "message",
//! "hint"}}` on standard error. For a library error `code` is its stable class
//! (`Classified::class`: the name the spec vectors and the Python and Kotlin exceptions use)
//! and `category` its category; a failure of the command line itself has a `null` category
//! and one of the codes `usage`, `invalid_input`, `not_found`, `exists`, `io`, `passphrase`,
//! `refused`, `failure`.
//!
//! Messages are for the person at the terminal: what went wrong in plain words, and a hint
//! saying what to do. They never contain a passphrase, a secret key or record content.

use std::io;
use std::path::{Path, PathBuf};

use divex_core::DisclosureError;
use divex_core::consent::ConsentError;
use divex_core::directory::DirectoryError;
use divex_core::envelope::{OpenError, SealError};
use divex_core::keys::KeyError;
use divex_core::keystore::KeystoreError as FormatError;
use divex_core::records::RecordError;
use divex_ledger::LedgerError;

use crate::keystore::KeystoreError;
use divex_core::error::{Classified, ErrorCategory};

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
  2  usage: bad arguments, or a malformed input you wrote (consent TOML,
     record JSON, a date, a token, a public key bundle)
  3  refused by a security, trust or consent check (a damaged or forged
     envelope, consent, directory file or keystore; signature, certificate,
     consent decision, replay, ledger verification)
  4  wrong passphrase (or no passphrase available, or a new one refused)
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
    /// The ledger failed or did not verify.
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// A library error reported with what it concerns (a file, a step): the message names
    /// it; the code, category and exit code are the library error's ([`CliError::library`]).
    #[error("{message}")]
    Library {
        /// The message, naming what was refused.
        message: String,
        /// The library error's category.
        category: ErrorCategory,
        /// The library error's class.
        class: &'static str,
    },
    /// A check of the command line itself refused, with a reason in words.
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

    /// The library error this is, as its category and stable class (spec/, `Classified`);
    /// `None` for a failure of the command line itself (arguments, files, the terminal).
    pub fn classified(&self) -> Option<(ErrorCategory, &'static str)> {
        fn of(e: &dyn Classified) -> Option<(ErrorCategory, &'static str)> {
            Some((e.category(), e.class()))
        }
        match self {
            CliError::Usage(_)
            | CliError::InvalidInput { .. }
            | CliError::NotFound { .. }
            | CliError::Exists { .. }
            | CliError::Io { .. }
            | CliError::Passphrase(_)
            | CliError::Refused(_)
            | CliError::Other(_) => None,
            CliError::Keystore(k) => match k {
                KeystoreError::Format { source, .. } => of(source),
                // The file is not a keystore: what the format calls a corrupted keystore.
                KeystoreError::Corrupted { .. } => Some((ErrorCategory::Keystore, "corrupted")),
                KeystoreError::NotFound { .. }
                | KeystoreError::Exists { .. }
                | KeystoreError::Io { .. } => None,
            },
            CliError::Library {
                category, class, ..
            } => Some((*category, class)),
            CliError::Directory(e) => of(e),
            CliError::Consent(e) => of(e),
            CliError::Disclosure(e) => of(e),
            CliError::Open(e) => of(e),
            CliError::Seal(e) => of(e),
            CliError::Record(e) => of(e),
            CliError::Key(e) => of(e),
            CliError::Ledger(e) => of(e),
        }
    }

    /// The documented exit code (see the module documentation): a library error's follows its
    /// category ([`library_exit_code`]).
    pub fn exit_code(&self) -> u8 {
        if let Some((category, class)) = self.classified() {
            return library_exit_code(category, class);
        }
        match self {
            CliError::Usage(_) | CliError::InvalidInput { .. } => EXIT_USAGE,
            CliError::NotFound { .. } | CliError::Io { .. } => EXIT_IO,
            CliError::Keystore(KeystoreError::NotFound { .. } | KeystoreError::Io { .. }) => {
                EXIT_IO
            }
            CliError::Exists { .. } | CliError::Keystore(KeystoreError::Exists { .. }) => {
                EXIT_FAILURE
            }
            CliError::Passphrase(_) => EXIT_PASSPHRASE,
            CliError::Refused(_) => EXIT_REFUSED,
            _ => EXIT_FAILURE,
        }
    }

    /// A stable machine-readable name for the error (the `--json` error object's `"code"`):
    /// a library error's class — the name the spec vectors and the Python and Kotlin
    /// exceptions use — or, for a failure of the command line itself, one of `usage`,
    /// `invalid_input`, `not_found`, `exists`, `io`, `passphrase`, `refused`, `failure`.
    pub fn code(&self) -> &'static str {
        if let Some((_, class)) = self.classified() {
            return class;
        }
        match self {
            CliError::Usage(_) => "usage",
            CliError::InvalidInput { .. } => "invalid_input",
            CliError::NotFound { .. } | CliError::Keystore(KeystoreError::NotFound { .. }) => {
                "not_found"
            }
            CliError::Exists { .. } | CliError::Keystore(KeystoreError::Exists { .. }) => "exists",
            CliError::Io { .. } | CliError::Keystore(KeystoreError::Io { .. }) => "io",
            CliError::Passphrase(_) => "passphrase",
            CliError::Refused(_) => "refused",
            _ => "failure",
        }
    }

    /// The category of a library error (the `--json` error object's `"category"`), `None`
    /// for a failure of the command line itself.
    pub fn category(&self) -> Option<ErrorCategory> {
        self.classified().map(|(category, _)| category)
    }

    /// A library error `e` reported with a message that names what it concerns (a file, a
    /// step): the message is `message`, the code and exit code are `e`'s.
    pub fn library(e: &dyn Classified, message: String) -> CliError {
        CliError::Library {
            message,
            category: e.category(),
            class: e.class(),
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
                DirectoryError::StaleBundle { .. } => s(
                    "this home already holds a newer snapshot of the anchor; import the anchor's current snapshot, and never restore old directory files",
                ),
                DirectoryError::SequenceReused { .. } => s(
                    "tell the anchor's operators: two different snapshots carry one sequence (was the anchor's home restored from a backup?)",
                ),
                DirectoryError::BundleExpired { .. } => s(
                    "import the anchor's current snapshot with `divex directory import FILE` (the anchor publishes one with `divex anchor publish`)",
                ),
                DirectoryError::InvalidSnapshot(_) => {
                    s("ask the anchor to publish again with `divex anchor publish`")
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
                DisclosureError::TooOld { .. } => s(
                    "if the envelope was delayed in transit, open it with --max-age DAYS; otherwise ask the sender to check its clock and send it again",
                ),
                DisclosureError::RevocationPending { .. } => s(
                    "import the consent the pending revocation names (`divex consent import --agency ID FILE`) so that the revocation is judged",
                ),
                DisclosureError::ReorderedAcrossRevocation { .. } => s(
                    "the sender's clock went back across a revocation; ask the sender to check its clock",
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
            CliError::Ledger(e) => ledger_hint(e),
            // A refused input file: fix it; a refused security check: the message says why.
            CliError::Library { category, .. } => match category {
                ErrorCategory::Input | ErrorCategory::Record | ErrorCategory::Key => {
                    s("fix the file and run the command again")
                }
                _ => None,
            },
            CliError::Refused(_) | CliError::Other(_) => None,
        }
    }
}

/// The exit code of a library error, by its category: refusals by a security, trust or
/// consent check are 3, malformed input (records, keys, tokens, dates, CBOR) and arguments the
/// seal step refuses are 2. Three categories span two rows of the table: a keystore the
/// passphrase does not open is 4 (any other refused keystore 3); a ledger is 3 when its
/// verification or the replay check refused, 1 when it failed; sealing is 1 when the
/// cryptography itself failed.
pub fn library_exit_code(category: ErrorCategory, class: &str) -> u8 {
    match category {
        ErrorCategory::Envelope
        | ErrorCategory::Denied
        | ErrorCategory::Consent
        | ErrorCategory::Disclosure
        | ErrorCategory::Directory => EXIT_REFUSED,
        ErrorCategory::Record | ErrorCategory::Key | ErrorCategory::Input => EXIT_USAGE,
        ErrorCategory::Seal => match class {
            "crypto" => EXIT_FAILURE,
            _ => EXIT_USAGE,
        },
        ErrorCategory::Keystore => match class {
            "wrong_passphrase" => EXIT_PASSPHRASE,
            _ => EXIT_REFUSED,
        },
        ErrorCategory::Ledger => match class {
            "tampered" | "replay" | "rolled_back" | "forked" | "head_mark_missing"
            | "head_mark_invalid" | "signer_compromised" | "truncated" => EXIT_REFUSED,
            _ => EXIT_FAILURE,
        },
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
        OpenError::Replay { .. } => {
            s("this envelope was already opened and recorded in the ledger")
        }
        _ => s("the envelope is damaged or forged; ask the sender to send it again"),
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
        LedgerError::Truncated { .. } => Some(
            "a counterparty holds this agency's signed statement that its ledger was longer: entries were removed after they were disclosed, even if the ledger's own signatures verify. Keep the file as evidence".into(),
        ),
        LedgerError::SenderHeadRegressed { .. } => Some(
            "the sender's ledger shrank since its last disclosure to this agency; nothing was released or recorded. Ask the sender to explain".into(),
        ),
        LedgerError::RolledBack { .. } | LedgerError::Forked { .. } => Some(
            "the ledger lost or changed entries its agency signed for; nothing was recorded. Keep the file as evidence and restore a copy that reaches its high-water mark".into(),
        ),
        LedgerError::HeadMarkMissing { .. } => Some(
            "restore the ledger's high-water mark (the .head file beside it) from the agency's backup; for a ledger written before divex kept marks, adopt its current head with `divex ledger mark --agency ID`".into(),
        ),
        LedgerError::HeadMarkInvalid { .. } => Some(
            "restore the ledger's high-water mark (the .head file beside it) from the agency's backup; keep the altered one as evidence".into(),
        ),
        LedgerError::SignerCompromised { .. } => Some(
            "the key that signed this history was reported compromised; treat the entries after the compromise as untrusted and rebuild them from the counterparties' ledgers".into(),
        ),
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
        assert_eq!(CliError::Usage("x".into()).code(), "usage");
        let wrong = CliError::Keystore(KeystoreError::Format {
            path: PathBuf::new(),
            source: FormatError::WrongPassphrase,
        });
        assert_eq!(wrong.exit_code(), EXIT_PASSPHRASE);
        assert_eq!(wrong.code(), "wrong_passphrase");
        assert_eq!(wrong.category(), Some(ErrorCategory::Keystore));
        assert_eq!(
            CliError::Open(OpenError::BadSignature).exit_code(),
            EXIT_REFUSED
        );
        let missing = CliError::io(Path::new("x"), "x", io::ErrorKind::NotFound.into());
        assert_eq!(missing.exit_code(), EXIT_IO);
        assert_eq!((missing.code(), missing.category()), ("not_found", None));
        let tampered = CliError::Ledger(LedgerError::Tampered {
            seq: 1,
            reason: String::new(),
        });
        assert_eq!(tampered.exit_code(), EXIT_REFUSED);
        assert_eq!(tampered.code(), "tampered");
    }

    /// Every library error reports its own class and category, as the spec vectors and the
    /// bindings do: the command line restates none of them.
    #[test]
    fn library_errors_report_their_own_class() {
        let record = RecordError::MissingOneOf {
            record: divex_core::records::RecordType::DrugTest,
            fields: "results or program_outcome",
        };
        let errors: Vec<(CliError, &dyn Classified)> = vec![
            (CliError::Record(record.clone()), &record),
            (
                CliError::Key(KeyError::WeakSigningKey),
                &KeyError::WeakSigningKey,
            ),
            (
                CliError::Consent(ConsentError::SignerKeyReused),
                &ConsentError::SignerKeyReused,
            ),
            (
                CliError::Seal(SealError::NoRecipients),
                &SealError::NoRecipients,
            ),
            (
                CliError::Disclosure(DisclosureError::ConsentMismatch),
                &DisclosureError::ConsentMismatch,
            ),
            (
                CliError::Open(OpenError::AudienceMismatch),
                &OpenError::AudienceMismatch,
            ),
        ];
        for (cli, core) in &errors {
            assert_eq!(cli.code(), core.class(), "{cli}");
            assert_eq!(cli.category(), Some(core.category()), "{cli}");
            assert_eq!(
                cli.exit_code(),
                library_exit_code(core.category(), core.class()),
                "{cli}"
            );
        }
        let e = ConsentError::SignerKeyReused;
        let framed = CliError::library(&e, format!("consent.cose does not verify: {e}"));
        assert_eq!(framed.code(), "signer_key_reused");
        assert_eq!(framed.exit_code(), EXIT_REFUSED);
        assert!(
            framed
                .to_string()
                .starts_with("consent.cose does not verify: ")
        );
    }

    #[test]
    fn exit_codes_follow_the_category() {
        for category in ErrorCategory::ALL {
            let code = library_exit_code(category, "any");
            let expected = match category {
                ErrorCategory::Envelope
                | ErrorCategory::Denied
                | ErrorCategory::Consent
                | ErrorCategory::Disclosure
                | ErrorCategory::Directory
                | ErrorCategory::Keystore => EXIT_REFUSED,
                ErrorCategory::Record
                | ErrorCategory::Key
                | ErrorCategory::Input
                | ErrorCategory::Seal => EXIT_USAGE,
                ErrorCategory::Ledger => EXIT_FAILURE,
            };
            assert_eq!(code, expected, "{category}");
        }
        assert_eq!(
            library_exit_code(ErrorCategory::Keystore, "wrong_passphrase"),
            EXIT_PASSPHRASE
        );
        assert_eq!(
            library_exit_code(ErrorCategory::Ledger, "replay"),
            EXIT_REFUSED
        );
        assert_eq!(
            library_exit_code(ErrorCategory::Seal, "crypto"),
            EXIT_FAILURE
        );
    }
}

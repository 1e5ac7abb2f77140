//! Helpers shared by the commands (and usable by the demo): loading the directory, keys and an
//! agency's consent holdings from a [`Home`], and building reports.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use divex_core::consent::{ConsentSet, ImportedRevocation};
use divex_core::directory::Directory;
use divex_core::directory::MAX_DIRECTORY_BYTES;
use divex_core::error::Classified;
use divex_core::keys::AgencyKeys;
use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::fsutil;
use crate::home::Home;
use crate::keyring;

/// Suffix of a signed consent in a consents folder.
pub const CONSENT_SUFFIX: &str = ".consent.cose";
/// Suffix of a consent revocation.
pub const REVOCATION_SUFFIX: &str = ".revocation.cose";
/// Suffix of a case event.
pub const EVENT_SUFFIX: &str = ".event.cose";
/// Suffix of a held signed directory snapshot.
const SNAPSHOT_SUFFIX: &str = ".snapshot.cose";

/// What a command prints: a human text and the same facts as JSON.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// For people.
    pub human: String,
    /// For `--json`.
    pub json: serde_json::Value,
    /// Warnings, printed on standard error (and included in the JSON as `"warnings"`).
    pub warnings: Vec<String>,
}

impl Report {
    /// A report.
    pub fn new(human: String, json: serde_json::Value) -> Report {
        Report {
            human,
            json,
            warnings: Vec::new(),
        }
    }

    /// Adds a warning.
    pub fn warn(mut self, w: impl Into<String>) -> Report {
        self.warnings.push(w.into());
        self
    }
}

/// Aligned `key: value` lines.
#[derive(Debug, Default)]
pub struct Lines(Vec<(String, String)>);

impl Lines {
    /// Empty.
    pub fn new() -> Lines {
        Lines(Vec::new())
    }

    /// Adds a line.
    pub fn add(&mut self, k: impl Into<String>, v: impl Into<String>) -> &mut Lines {
        self.0.push((k.into(), v.into()));
        self
    }

    /// The text, keys padded to one width.
    pub fn render(&self) -> String {
        let w = self
            .0
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let mut s = String::new();
        for (k, v) in &self.0 {
            let _ = writeln!(s, "{k:<w$}  {v}", w = w + 1, k = format!("{k}:"));
        }
        s
    }
}

/// Reads a file of at most `max` bytes; a missing file is [`CliError::NotFound`] naming
/// `what`.
pub fn read_file(path: &Path, what: &str, max: usize) -> Result<Vec<u8>, CliError> {
    fsutil::read_bounded(path, max as u64).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CliError::NotFound {
            what: what.to_owned(),
            path: path.to_path_buf(),
            hint: "check the path".into(),
        },
        std::io::ErrorKind::InvalidData => CliError::InvalidInput {
            what: format!("{what} {}", path.display()),
            reason: e.to_string(),
        },
        _ => CliError::io(path, what, e),
    })
}

/// Refuses early (before any passphrase prompt or work) when an output already exists.
pub fn ensure_absent(path: &Path) -> Result<(), CliError> {
    if path.exists() {
        Err(CliError::Exists {
            path: path.to_path_buf(),
        })
    } else {
        Ok(())
    }
}

/// Stages `bytes` for `path` (see [`fsutil::stage`]), mapping errors.
pub fn stage(path: &Path, bytes: &[u8], overwrite: bool) -> Result<fsutil::Staged, CliError> {
    fsutil::stage(path, bytes, overwrite).map_err(|e| CliError::io(path, "output file", e))
}

/// Commits staged files in order.
pub fn commit_all(staged: Vec<fsutil::Staged>) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::with_capacity(staged.len());
    for s in staged {
        let p = s.path().to_path_buf();
        out.push(s.commit().map_err(|e| CliError::io(&p, "output file", e))?);
    }
    Ok(out)
}

/// The home's directory, which must exist, with the signed snapshots the home holds merged in
/// (spec/directory.md §5.4), and a warning for each held snapshot that does not verify (it is
/// skipped). [`freshness_warnings`] judges the result's age.
///
/// Merging the held snapshots on every load is what makes an old `directory.cbor` copied back
/// harmless: what the latest snapshot of each anchor says is always in the directory.
pub fn load_directory(home: &Home) -> Result<(Directory, Vec<String>), CliError> {
    let path = home.directory_file();
    if !path.exists() {
        return Err(CliError::NotFound {
            what: "the agency directory".into(),
            path,
            hint: "create a trust anchor with `divex anchor create`, or import the county's \
                   directory with `divex directory import --trust-anchors FILE` (check --home)"
                .into(),
        });
    }
    let bytes = read_file(&path, "the agency directory", MAX_DIRECTORY_BYTES)?;
    let mut dir = Directory::from_bytes(&bytes)?;
    let mut notes = Vec::new();
    for p in files_with_suffix(&home.snapshots_dir(), SNAPSHOT_SUFFIX)? {
        let merged = match read_file(&p, "a directory snapshot", MAX_DIRECTORY_BYTES) {
            Ok(b) => dir.merge(&b).map_err(|e| e.class()),
            Err(e) => Err(e.code()),
        };
        if let Err(class) = merged {
            notes.push(format!(
                "{} skipped: it does not verify ({class}); the directory may miss that anchor's \
                 revocations — import the anchor's current snapshot with `divex directory import`",
                p.display()
            ));
        }
    }
    Ok((dir, notes))
}

/// The home's directory as [`load_directory`] reads it, or an empty one (and no warnings) if
/// the file does not exist yet.
pub fn load_directory_or_empty(home: &Home) -> Result<(Directory, Vec<String>), CliError> {
    if home.directory_file().exists() {
        load_directory(home)
    } else {
        Ok((Directory::new(), Vec::new()))
    }
}

/// A warning for every anchor whose latest held snapshot has expired at `now`
/// (spec/directory.md §5.4): the directory may miss revocations published since.
pub fn freshness_warnings(dir: &Directory, now: u64) -> Vec<String> {
    dir.snapshots()
        .filter_map(|s| dir.check_fresh(&s.anchor, now).err())
        .map(|e| format!("{e}: import its current snapshot with `divex directory import`"))
        .collect()
}

/// Refuses a directory that lacks a current signed snapshot of any pinned anchor (the
/// freshness policy of `open --require-fresh-directory`, spec/directory.md §5.4).
pub fn require_fresh(dir: &Directory, now: u64) -> Result<(), CliError> {
    for a in dir.anchors() {
        dir.check_fresh(&a.kid(), now)?;
    }
    Ok(())
}

/// Stages the directory file (replacing it).
pub fn stage_directory(home: &Home, dir: &Directory) -> Result<fsutil::Staged, CliError> {
    stage(&home.directory_file(), &dir.to_bytes(), true)
}

/// Opens agency `agency_id`'s keystore, prompting for (or reading) its passphrase. The
/// keystore must exist before anything is asked.
pub fn open_agency_keys(home: &Home, agency_id: &str) -> Result<AgencyKeys, CliError> {
    let path = keyring::current_keystore(home, agency_id)?;
    let pass = keyring::ask_passphrase(agency_id)?;
    keyring::open_checked(&path, agency_id, &pass)
}

/// The environment variable of the crash test hook ([`crash_point`]).
pub const CRASH_ENV: &str = "DIVEX_TEST_CRASH_AT";

/// **Test hook, debug builds only.** When the environment variable `DIVEX_TEST_CRASH_AT`
/// names this point, the process aborts here at once — no destructor, no flush, no cleanup —
/// as a crash or a `SIGKILL` would stop it. The crash test (`tests/crash.rs`) uses it to stop
/// `seal` and `open` between each of their durable steps; release builds compile it to nothing.
pub fn crash_point(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os(CRASH_ENV).is_some_and(|v| v == name) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Writes `bytes` to `path` durably (a temporary file in the same directory, `fsync`,
/// `rename`, `fsync` of the directory), never over an existing file.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    commit_all(vec![stage(path, bytes, false)?]).map(|_| ())
}

/// Whether `path` holds exactly `bytes` (an identical existing output counts as written).
pub fn holds(path: &Path, bytes: &[u8]) -> bool {
    fsutil::read_bounded(path, bytes.len() as u64).is_ok_and(|b| b == bytes)
}

/// The first 8 bytes of SHA-256, in hex: a short, stable file-name tag.
pub fn hash8(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes).get(..8).unwrap_or_default())
}

/// The files in `dir` ending in `suffix`, sorted by name.
fn files_with_suffix(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, CliError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CliError::io(dir, "a folder of held files", e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix) && !n.starts_with('.'))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The warning for a held file that is skipped: its name and the class of the refusal, never
/// what it says (a consent's contents are participant data).
fn skipped(path: &Path, class: &str) -> String {
    format!(
        "{} skipped: it does not verify ({class}); commands go on without it — remove it or replace it with a good copy",
        path.display()
    )
}

/// Every consent, revocation and case event agency `agency_id` holds that verifies (consents
/// first, then revocations, then events), and a warning for each held file that does not.
///
/// Held items are judged at their own time (spec/directory.md §7.1), so a key rotation or a
/// certificate's expiry does not make one fail. A file that still fails — corrupted or
/// altered, signed by a key the directory does not know or by one revoked as compromised,
/// unreadable — is **skipped with a warning** naming the file and the refusal's class, and
/// the command goes on: one unusable item never stops unrelated disclosures. Skipping is what
/// a verifier does with any statement it cannot authenticate (a revocation that does not
/// verify is no evidence that the participant revoked).
///
/// A revocation of a consent the agency does not hold is kept **pending** (spec/consent.md
/// §5.5), with a note: it is judged when the consent arrives (imported, or attached to an
/// envelope), and until then nothing is sealed or released under that consent. Case events
/// are loaded without the 30-day back-dating bound of a new import (§6.3): the agency bounded
/// them when it first imported them (`divex consent import`, or `--court-order`).
pub fn load_consents(
    home: &Home,
    agency_id: &str,
    directory: &Directory,
    now: u64,
) -> Result<(ConsentSet, Vec<String>), CliError> {
    let dir = home.consents_dir(agency_id);
    let mut set = ConsentSet::new();
    let mut notes = Vec::new();
    let kinds: [(&str, &str, usize); 3] = [
        (
            CONSENT_SUFFIX,
            "a consent",
            divex_core::consent::MAX_CONSENT_BYTES,
        ),
        (
            REVOCATION_SUFFIX,
            "a revocation",
            divex_core::consent::MAX_STATEMENT_BYTES,
        ),
        (
            EVENT_SUFFIX,
            "a case event",
            divex_core::consent::MAX_STATEMENT_BYTES,
        ),
    ];
    for (suffix, what, max) in kinds {
        for p in files_with_suffix(&dir, suffix)? {
            let b = match read_file(&p, what, max) {
                Ok(b) => b,
                Err(e) => {
                    notes.push(skipped(&p, e.code()));
                    continue;
                }
            };
            let imported = match suffix {
                CONSENT_SUFFIX => set.import_consent(&b, directory, now).map(|_| true),
                REVOCATION_SUFFIX => set
                    .import_revocation(&b, directory, now)
                    .map(|r| matches!(r, ImportedRevocation::Verified(_))),
                _ => set
                    .import_event_without_date_bound(&b, directory, now)
                    .map(|_| true),
            };
            match imported {
                Ok(true) => {}
                Ok(false) => notes.push(format!(
                    "{} revokes a consent this agency does not hold yet: kept pending, and applied when the consent arrives; nothing is disclosed under that consent until then",
                    p.display()
                )),
                Err(e) => notes.push(skipped(&p, e.class())),
            }
        }
    }
    Ok((set, notes))
}

/// A serde enum's wire name (`cj_official_duties_only`, ...).
pub fn wire_name<T: serde::Serialize>(t: &T) -> String {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

/// Tokens (purposes, labels, field names) as one comma-separated line.
pub fn join<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

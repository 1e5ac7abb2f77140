//! An agency's keys across rotations.
//!
//! The **current** keystore (`agencies/<id>/keys.divex`) signs everything the agency sends and
//! receives new envelopes. `divex keys rotate` replaces it and keeps the replaced file,
//! unchanged, as a **retired** keystore (`agencies/<id>/retired/<signing key id>.keys.divex`):
//! retired keys never sign again, but an envelope sealed to them before the directory learned
//! the new certificate still opens (spec/directory.md §7 "Rotation").
//!
//! The passphrase is asked once per command; retired keystores keep the passphrase they had
//! when they were retired (a rotation does not change it), and are opened only when the current
//! keys are not among an envelope's recipients.

use std::path::PathBuf;

use divex_core::DisclosureError;
use divex_core::envelope::OpenError;
use divex_core::keys::AgencyKeys;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::home::Home;
use crate::keystore::{self, KeystoreError};
use crate::passphrase::passphrase;

/// Suffix of a retired keystore file.
pub const RETIRED_SUFFIX: &str = ".keys.divex";

/// An agency's current keys, and the retired keystores it may fall back on to open an
/// envelope.
pub struct Keyring {
    agency_id: String,
    current: AgencyKeys,
    retired: Vec<PathBuf>,
    passphrase: Zeroizing<String>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("agency_id", &self.agency_id)
            .field("retired", &self.retired.len())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Opens agency `agency_id`'s current keystore (asking for its passphrase) and lists its
    /// retired keystores (opened only when needed).
    pub fn open(home: &Home, agency_id: &str) -> Result<Keyring, CliError> {
        let path = current_keystore(home, agency_id)?;
        let pass = ask_passphrase(agency_id)?;
        let current = open_checked(&path, agency_id, &pass)?;
        Ok(Keyring {
            agency_id: agency_id.to_owned(),
            current,
            retired: retired_keystores(home, agency_id)?,
            passphrase: pass,
        })
    }

    /// The current keys: the only ones that sign.
    pub fn current(&self) -> &AgencyKeys {
        &self.current
    }

    /// Runs `open` with the current keys and, when the envelope is not addressed to them
    /// ([`OpenError::NotForMe`]), with each retired keystore's keys in turn. The first answer
    /// other than "not addressed to these keys" is returned; if no key matches, the current
    /// keys' refusal.
    pub fn open_envelope<T>(
        &self,
        open: impl Fn(&AgencyKeys) -> Result<T, DisclosureError>,
    ) -> Result<T, CliError> {
        let first = match open(&self.current) {
            Err(e) if not_for_me(&e) => e,
            other => return other.map_err(CliError::from),
        };
        for path in &self.retired {
            let keys = open_checked(path, &self.agency_id, &self.passphrase)?;
            match open(&keys) {
                Err(e) if not_for_me(&e) => continue,
                other => return other.map_err(CliError::from),
            }
        }
        Err(first.into())
    }
}

fn not_for_me(e: &DisclosureError) -> bool {
    matches!(e, DisclosureError::Envelope(OpenError::NotForMe { .. }))
}

/// The path of agency `agency_id`'s current keystore, which must exist before anything is
/// asked.
pub fn current_keystore(home: &Home, agency_id: &str) -> Result<PathBuf, CliError> {
    let path = home.keystore(agency_id);
    if !path.exists() {
        return Err(CliError::NotFound {
            what: format!("the keystore of agency '{agency_id}'"),
            path,
            hint: format!(
                "check --agency and --home (now {}); create the agency with `divex init --agency {agency_id}`",
                home.root.display()
            ),
        });
    }
    Ok(path)
}

/// Prompts for (or reads) agency `agency_id`'s keystore passphrase.
pub fn ask_passphrase(agency_id: &str) -> Result<Zeroizing<String>, CliError> {
    Ok(Zeroizing::new(passphrase(
        &format!("Passphrase for agency {agency_id}: "),
        false,
    )?))
}

/// Opens the agency keystore at `path` and checks that it holds `agency_id`'s keys.
pub fn open_checked(
    path: &std::path::Path,
    agency_id: &str,
    pass: &str,
) -> Result<AgencyKeys, CliError> {
    let (id, keys) = keystore::open_agency(path, pass)?;
    if id != agency_id {
        return Err(CliError::Keystore(KeystoreError::Corrupted {
            path: path.to_path_buf(),
            reason: format!("it holds the keys of agency '{id}'"),
        }));
    }
    Ok(keys)
}

/// The retired keystores of `agency_id`, in file-name order.
fn retired_keystores(home: &Home, agency_id: &str) -> Result<Vec<PathBuf>, CliError> {
    let dir = home.retired_keystores(agency_id);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CliError::io(&dir, "the retired keystores folder", e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CliError::io(&dir, "the retired keystores folder", e))?;
        let path = entry.path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(RETIRED_SUFFIX) && !n.starts_with('.'))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

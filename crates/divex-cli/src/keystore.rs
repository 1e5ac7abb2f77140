//! Keystore files: an agency's, a trust anchor's or a person's secret keys at rest.
//!
//! The keystore *format* — Argon2id (RFC 9106) over the passphrase, ChaCha20-Poly1305 over the
//! secret, an authenticated header, bounded KDF parameters — is
//! [`divex_core::keystore`], shared with the bindings (a key made with `divex init` opens in
//! Python or Kotlin and the other way round). This module adds what a command line needs
//! around it: files written atomically (a temporary file, then a rename) with mode 0600 on
//! Unix, never over an existing file, read with a size bound, and errors that name the file.
//!
//! [`KdfProfile::Interactive`] (the default) costs 64 MiB and 3 passes; [`KdfProfile::Fast`]
//! (1 MiB, 1 pass) exists for tests and the demo only and is **not for production keys**: the
//! profile is recorded in the header, and `divex` warns whenever it creates one.

use std::io;
use std::path::{Path, PathBuf};

use divex_core::directory::AnchorKeys;
use divex_core::keys::{AgencyKeys, PersonalKey};
use divex_core::keystore::{self as format, KeystoreError as FormatError};
pub use divex_core::keystore::{KdfProfile, KeystoreInfo, MAX_KEYSTORE_BYTES};

use crate::fsutil;

/// Why a keystore file could not be created or opened. Never carries secret bytes or the
/// passphrase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// No keystore at the path.
    #[error("no keystore at {}", path.display())]
    NotFound {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A file already exists where the keystore would be written.
    #[error("a keystore already exists at {}; divex never overwrites keys", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The keystore format refused the file's contents or the keys to seal: a wrong
    /// passphrase (a header altered on disk fails the same way: the header is
    /// authenticated), a corrupted file, another kind of key, a failed key derivation.
    #[error("{}", describe(.path, .source))]
    Format {
        /// The keystore.
        path: PathBuf,
        /// What the format refused.
        source: FormatError,
    },
    /// The file is not a keystore this command can use: too large to be one, or it holds
    /// another agency's keys than its place in the home says.
    #[error("the keystore {} is corrupted or not a divex keystore: {reason}", path.display())]
    Corrupted {
        /// The keystore.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing the file failed.
    #[error("cannot access the keystore {}: {source}", path.display())]
    Io {
        /// The keystore.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// The message of [`KeystoreError::Format`]: the core's, with the file named.
fn describe(path: &Path, e: &FormatError) -> String {
    let path = path.display();
    match e {
        FormatError::WrongPassphrase => format!("the passphrase does not open the keystore {path}"),
        FormatError::Corrupted { reason } => {
            format!("the keystore {path} is corrupted or not a divex keystore: {reason}")
        }
        FormatError::WrongKind { expected, found } => {
            format!("the keystore {path} holds {found} keys, not {expected} keys")
        }
        // The rest (key derivation, sealing arguments) are about the passphrase or the id,
        // not the file: the core's message as it is.
        other => other.to_string(),
    }
}

/// Attaches `path` to a refusal of the keystore format.
fn at(path: &Path) -> impl Fn(FormatError) -> KeystoreError + '_ {
    |source| KeystoreError::Format {
        path: path.to_path_buf(),
        source,
    }
}

/// The keystore file's bytes, bounded by [`MAX_KEYSTORE_BYTES`].
fn read(path: &Path) -> Result<Vec<u8>, KeystoreError> {
    fsutil::read_bounded(path, MAX_KEYSTORE_BYTES as u64).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => KeystoreError::NotFound {
            path: path.to_path_buf(),
        },
        io::ErrorKind::InvalidData => KeystoreError::Corrupted {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        _ => KeystoreError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })
}

/// Writes the keystore `seal` makes to `path`, which must not exist (checked before the key
/// derivation is paid for, and again by the atomic write).
fn create(
    path: &Path,
    seal: impl FnOnce() -> Result<Vec<u8>, FormatError>,
) -> Result<(), KeystoreError> {
    if path.exists() {
        return Err(KeystoreError::Exists {
            path: path.to_path_buf(),
        });
    }
    let bytes = seal().map_err(at(path))?;
    match fsutil::write_atomic(path, &bytes, false) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(KeystoreError::Exists {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(KeystoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads a keystore's public header without the passphrase (see [`KeystoreInfo`]).
pub fn read_info(path: &Path) -> Result<KeystoreInfo, KeystoreError> {
    KeystoreInfo::from_bytes(&read(path)?).map_err(at(path))
}

/// Writes a new agency keystore for `agency_id` at `path`, encrypted under `passphrase`.
/// Refuses to overwrite an existing file; writes atomically (temporary file, then rename)
/// with mode 0600 on Unix.
pub fn create_agency(
    path: &Path,
    agency_id: &str,
    keys: &AgencyKeys,
    passphrase: &str,
    kdf: KdfProfile,
) -> Result<(), KeystoreError> {
    create(path, || {
        format::seal_agency(agency_id, keys, passphrase, kdf)
    })
}

/// Opens an agency keystore: its agency id and keys. [`FormatError::WrongPassphrase`] when
/// the passphrase (or the authenticated header) does not match.
pub fn open_agency(path: &Path, passphrase: &str) -> Result<(String, AgencyKeys), KeystoreError> {
    format::open_agency(&read(path)?, passphrase).map_err(at(path))
}

/// Replaces the agency keystore at `path` with one holding `keys` (a key rotation), after
/// keeping the old file byte for byte at `retired` (spec/directory.md §7: the old keys still
/// open envelopes sealed to them). Both writes are atomic and 0600; `retired` is never
/// overwritten, except that an identical copy left by an interrupted rotation counts as
/// written. Returns nothing until both files are in place.
pub fn rotate_agency(
    path: &Path,
    retired: &Path,
    agency_id: &str,
    keys: &AgencyKeys,
    passphrase: &str,
    kdf: KdfProfile,
) -> Result<(), KeystoreError> {
    let old = read(path)?;
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| KeystoreError::Io { path: p, source }
    };
    match read(retired) {
        Ok(existing) if existing == old => {}
        Ok(_) => {
            return Err(KeystoreError::Exists {
                path: retired.to_path_buf(),
            });
        }
        Err(KeystoreError::NotFound { .. }) => {
            fsutil::write_atomic(retired, &old, false).map_err(io_err(retired))?;
        }
        Err(e) => return Err(e),
    }
    let bytes = format::seal_agency(agency_id, keys, passphrase, kdf).map_err(at(path))?;
    fsutil::write_atomic(path, &bytes, true).map_err(io_err(path))?;
    Ok(())
}

/// Writes a new trust-anchor keystore (see [`create_agency`] for the guarantees).
pub fn create_anchor(
    path: &Path,
    anchor: &AnchorKeys,
    passphrase: &str,
    kdf: KdfProfile,
) -> Result<(), KeystoreError> {
    create(path, || format::seal_anchor(anchor, passphrase, kdf))
}

/// Opens a trust-anchor keystore.
pub fn open_anchor(path: &Path, passphrase: &str) -> Result<AnchorKeys, KeystoreError> {
    format::open_anchor(&read(path)?, passphrase).map_err(at(path))
}

/// Writes a new personal keystore (a participant's or representative's signing key) labelled
/// `label` (see [`create_agency`] for the guarantees).
pub fn create_personal(
    path: &Path,
    label: &str,
    key: &PersonalKey,
    passphrase: &str,
    kdf: KdfProfile,
) -> Result<(), KeystoreError> {
    create(path, || format::seal_personal(label, key, passphrase, kdf))
}

/// Opens a personal keystore: its label and key.
pub fn open_personal(
    path: &Path,
    passphrase: &str,
) -> Result<(String, PersonalKey), KeystoreError> {
    format::open_personal(&read(path)?, passphrase).map_err(at(path))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use divex_core::testing::AgencyKeysExt;

    use super::*;

    #[test]
    fn agency_round_trip_and_wrong_passphrase() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/keys.divex");
        let keys = AgencyKeys::generate();
        create_agency(&p, "county-court", &keys, "correct horse", KdfProfile::Fast).unwrap();
        let (id, back) = open_agency(&p, "correct horse").unwrap();
        assert_eq!(id, "county-court");
        assert_eq!(back.public(), keys.public());
        let wrong = open_agency(&p, "wrong horse").unwrap_err();
        assert!(matches!(
            wrong,
            KeystoreError::Format {
                source: FormatError::WrongPassphrase,
                ..
            }
        ));
        assert_eq!(
            wrong.to_string(),
            format!("the passphrase does not open the keystore {}", p.display())
        );
        assert!(matches!(
            create_agency(&p, "county-court", &keys, "x", KdfProfile::Fast),
            Err(KeystoreError::Exists { .. })
        ));
        let kind = open_anchor(&p, "correct horse").unwrap_err();
        assert!(matches!(
            kind,
            KeystoreError::Format {
                source: FormatError::WrongKind { .. },
                ..
            }
        ));
        assert_eq!(
            kind.to_string(),
            format!(
                "the keystore {} holds agency keys, not anchor keys",
                p.display()
            )
        );
        let info = read_info(&p).unwrap();
        assert_eq!(info.agency_bundle().as_ref(), Some(keys.public()));
        assert_eq!(info.profile, KdfProfile::Fast);
    }

    #[test]
    fn secrets_are_not_in_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("keys.divex");
        let keys = AgencyKeys::generate();
        create_agency(&p, "x", &keys, "pass phrase", KdfProfile::Fast).unwrap();
        let file = std::fs::read(&p).unwrap();
        let secret = keys.expose_secret_bytes();
        for chunk in secret.chunks(16) {
            assert!(!file.windows(16).any(|w| w == chunk));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn header_is_authenticated() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("keys.divex");
        let keys = AgencyKeys::generate();
        create_agency(&p, "court-a", &keys, "pass phrase", KdfProfile::Fast).unwrap();
        // Rename the agency inside the header (same length): the AEAD refuses.
        let file = std::fs::read(&p).unwrap();
        let pos = file
            .windows(7)
            .position(|w| w == b"court-a")
            .expect("id in header");
        let mut bad = file.clone();
        bad[pos + 6] = b'b';
        std::fs::write(&p, &bad).unwrap();
        assert!(matches!(
            open_agency(&p, "pass phrase"),
            Err(KeystoreError::Format {
                source: FormatError::WrongPassphrase,
                ..
            })
        ));
        // Truncation is corruption, not a wrong passphrase.
        std::fs::write(&p, &file[..file.len() - 3]).unwrap();
        let e = open_agency(&p, "pass phrase").unwrap_err();
        assert!(matches!(
            e,
            KeystoreError::Format {
                source: FormatError::Corrupted { .. },
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            format!(
                "the keystore {} is corrupted or not a divex keystore: not strict CBOR",
                p.display()
            )
        );
        // So is a file too large to be a keystore, refused before it is read whole.
        std::fs::write(&p, vec![0; MAX_KEYSTORE_BYTES + 1]).unwrap();
        assert!(matches!(
            open_agency(&p, "pass phrase"),
            Err(KeystoreError::Corrupted { .. })
        ));
        assert!(matches!(
            open_agency(&d.path().join("none"), "pass phrase"),
            Err(KeystoreError::NotFound { .. })
        ));
    }

    #[test]
    fn anchor_and_personal_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let a = AnchorKeys::generate("County Justice IT").unwrap();
        let pa = d.path().join("anchor.key");
        create_anchor(&pa, &a, "pass phrase", KdfProfile::Fast).unwrap();
        let back = open_anchor(&pa, "pass phrase").unwrap();
        assert_eq!(back.public(), a.public());
        let k = PersonalKey::generate();
        let pp = d.path().join("patient.key");
        create_personal(&pp, "Jordan", &k, "pass phrase", KdfProfile::Fast).unwrap();
        let (label, back) = open_personal(&pp, "pass phrase").unwrap();
        assert_eq!(label, "Jordan");
        assert_eq!(back.public(), k.public());
        // A label too long for a keystore that would open again writes nothing.
        let long = d.path().join("long.key");
        let e = create_personal(
            &long,
            &"x".repeat(5000),
            &k,
            "pass phrase",
            KdfProfile::Fast,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            KeystoreError::Format {
                source: FormatError::IdTooLong,
                ..
            }
        ));
        assert!(!long.exists());
    }
}

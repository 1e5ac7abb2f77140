//! Encrypted keystores: an agency's, a trust anchor's or a person's secret keys at rest.
//!
//! Secrets are only ever written encrypted (ARCHITECTURE.md §4): the key is derived from the
//! passphrase with **Argon2id** (RFC 9106) and the secret bytes are sealed with
//! **ChaCha20-Poly1305**. The header — magic, version, kind, id, public key, KDF parameters,
//! salt and nonce — is the AEAD's associated data, so changing any of it makes the file fail
//! to open exactly as a wrong passphrase does.
//!
//! The file is strict deterministic CBOR:
//!
//! ```text
//! keystore = {
//!   "ciphertext": bstr,          ; ChaCha20-Poly1305(key, nonce, aad = header bytes, secret) ‖ tag
//!   "header": bstr .cbor header, ; the exact bytes authenticated as AAD
//! }
//! header = {
//!   "id": tstr,                  ; agency id, anchor display name, or a person's label
//!   "kdf": {"alg": "argon2id", "m_kib": uint, "p": uint, "profile": "interactive" / "fast",
//!           "t": uint, "version": 19},
//!   "kind": "agency" / "anchor" / "personal",
//!   "magic": "divex-keystore",
//!   "nonce": bstr .size 12,
//!   "public": bstr,              ; public bundle (agency), anchor (anchor), Ed25519 key (personal)
//!   "salt": bstr .size 16,
//!   "version": 1,
//! }
//! ```
//!
//! The secret is 64 bytes for an agency (Ed25519 seed ‖ X25519 scalar), 32 for an anchor or a
//! person (Ed25519 seed). Every temporary copy of the derived key and the secret is zeroized.
//!
//! [`KdfProfile::Interactive`] (the default) costs 64 MiB and 3 passes; [`KdfProfile::Fast`]
//! (1 MiB, 1 pass) exists for tests and the demo only and is **not for production keys**: the
//! profile is recorded in the header, and `divex` warns whenever it creates one.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use divex_core::codec::{self, DecodeLimits, Map, Value};
use divex_core::cose;
use divex_core::directory::{AnchorKeys, TrustAnchor};
use divex_core::keys::{AgencyKeys, PersonalKey, PublicBundle, SigningPublicKey};
use rand_core::Rng;
use zeroize::Zeroizing;

use crate::fsutil;

/// Value of the header's `"magic"` entry.
pub const MAGIC: &str = "divex-keystore";
/// Keystore format version.
pub const VERSION: u64 = 1;
/// Argon2 version 0x13, the only one accepted.
const ARGON2_VERSION: u64 = 0x13;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// Largest keystore file accepted.
pub const MAX_KEYSTORE_BYTES: usize = 4096;
/// Largest memory cost accepted when opening (1 GiB): a hostile file cannot make `open` eat
/// the machine.
const MAX_M_KIB: u64 = 1024 * 1024;
/// Most passes accepted when opening.
const MAX_T: u64 = 16;
/// Most lanes accepted when opening.
const MAX_P: u64 = 8;

const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_KEYSTORE_BYTES,
    max_depth: 3,
    max_items: 16,
    max_string: MAX_KEYSTORE_BYTES,
};

/// What a keystore holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystoreKind {
    /// An agency's signing and encryption keys.
    Agency,
    /// A trust anchor's signing key.
    Anchor,
    /// A person's signing key (a participant or representative signing consents and
    /// revocations, e.g. on a program's signing tablet).
    Personal,
}

impl KeystoreKind {
    /// The kind's name in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            KeystoreKind::Agency => "agency",
            KeystoreKind::Anchor => "anchor",
            KeystoreKind::Personal => "personal",
        }
    }

    fn parse(s: &str) -> Option<KeystoreKind> {
        [
            KeystoreKind::Agency,
            KeystoreKind::Anchor,
            KeystoreKind::Personal,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    fn secret_len(self) -> usize {
        match self {
            KeystoreKind::Agency => 64,
            KeystoreKind::Anchor | KeystoreKind::Personal => 32,
        }
    }
}

impl fmt::Display for KeystoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How expensive the passphrase key derivation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KdfProfile {
    /// Argon2id, 64 MiB, 3 passes, 1 lane: the default for every real keystore.
    #[default]
    Interactive,
    /// Argon2id, 1 MiB, 1 pass, 1 lane: for tests and the demo only. **Not for production
    /// keys** — a stolen file protected this way yields to a fast offline guessing attack.
    Fast,
}

impl KdfProfile {
    /// The profile's name (`interactive` or `fast`).
    pub fn as_str(self) -> &'static str {
        match self {
            KdfProfile::Interactive => "interactive",
            KdfProfile::Fast => "fast",
        }
    }

    /// The profile named `s`, if any.
    pub fn parse(s: &str) -> Option<KdfProfile> {
        match s {
            "interactive" => Some(KdfProfile::Interactive),
            "fast" => Some(KdfProfile::Fast),
            _ => None,
        }
    }

    /// (memory in KiB, passes, lanes).
    fn params(self) -> (u64, u64, u64) {
        match self {
            KdfProfile::Interactive => (64 * 1024, 3, 1),
            KdfProfile::Fast => (1024, 1, 1),
        }
    }
}

/// Why a keystore could not be created or opened. Never carries secret bytes or the
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
    /// The passphrase does not open the keystore (the AEAD tag does not verify). A header
    /// altered on disk fails the same way: the header is authenticated.
    #[error("the passphrase does not open the keystore {}", path.display())]
    WrongPassphrase {
        /// The keystore.
        path: PathBuf,
    },
    /// The file is not a well-formed divex keystore.
    #[error("the keystore {} is corrupted or not a divex keystore: {reason}", path.display())]
    Corrupted {
        /// The keystore.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The keystore holds another kind of key.
    #[error("the keystore {} holds {found} keys, not {expected} keys", path.display())]
    WrongKind {
        /// The keystore.
        path: PathBuf,
        /// What was asked for.
        expected: KeystoreKind,
        /// What it holds.
        found: KeystoreKind,
    },
    /// The key derivation failed (parameters out of range).
    #[error("the passphrase key derivation failed: {0}")]
    Kdf(String),
    /// Reading or writing the file failed.
    #[error("cannot access the keystore {}: {source}", path.display())]
    Io {
        /// The keystore.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

/// A keystore's public header, readable without the passphrase.
///
/// The header is authenticated only when the keystore is opened: until then treat `public` as
/// a claim (it is what `divex anchor issue --from-keystore` certifies, on the operator's word
/// that the file is the agency's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoreInfo {
    /// What the keystore holds.
    pub kind: KeystoreKind,
    /// The agency id, anchor display name or person's label.
    pub id: String,
    /// The encoded public side: a [`PublicBundle`] (agency), a [`TrustAnchor`] (anchor), or
    /// a 32-byte Ed25519 key (personal).
    pub public: Vec<u8>,
    /// The KDF profile it was created with.
    pub profile: KdfProfile,
}

struct Kdf {
    m_kib: u64,
    t: u64,
    p: u64,
    profile: KdfProfile,
}

struct Parsed {
    info: KeystoreInfo,
    header_bytes: Vec<u8>,
    kdf: Kdf,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

fn text(k: &str) -> Value {
    Value::from(k)
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    kdf: &Kdf,
) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
    let to_u32 = |v: u64| u32::try_from(v).map_err(|_| KeystoreError::Kdf("parameter".into()));
    let params = argon2::Params::new(to_u32(kdf.m_kib)?, to_u32(kdf.t)?, to_u32(kdf.p)?, Some(32))
        .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|e| KeystoreError::Kdf(e.to_string()))?;
    Ok(key)
}

fn header_value(
    kind: KeystoreKind,
    id: &str,
    public: &[u8],
    kdf: &Kdf,
    salt: &[u8],
    nonce: &[u8],
) -> Result<Value, codec::CodecError> {
    let kdf_map = Value::map([
        (text("alg"), text("argon2id")),
        (text("m_kib"), Value::from(kdf.m_kib)),
        (text("p"), Value::from(kdf.p)),
        (text("profile"), text(kdf.profile.as_str())),
        (text("t"), Value::from(kdf.t)),
        (text("version"), Value::from(ARGON2_VERSION)),
    ])?;
    Value::map([
        (text("id"), text(id)),
        (text("kdf"), kdf_map),
        (text("kind"), text(kind.as_str())),
        (text("magic"), text(MAGIC)),
        (text("nonce"), Value::bytes(nonce)),
        (text("public"), Value::bytes(public)),
        (text("salt"), Value::bytes(salt)),
        (text("version"), Value::from(VERSION)),
    ])
}

fn write_keystore(
    path: &Path,
    kind: KeystoreKind,
    id: &str,
    public: &[u8],
    secret: &[u8],
    passphrase: &str,
    profile: KdfProfile,
) -> Result<(), KeystoreError> {
    let io_err = |source| KeystoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.exists() {
        return Err(KeystoreError::Exists {
            path: path.to_path_buf(),
        });
    }
    let (m_kib, t, p) = profile.params();
    let kdf = Kdf {
        m_kib,
        t,
        p,
        profile,
    };
    let mut rng = divex_core::rng::os();
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    let corrupt = |reason: &str| KeystoreError::Corrupted {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let header = header_value(kind, id, public, &kdf, &salt, &nonce)
        .map_err(|_| corrupt("cannot encode the header"))?;
    let header_bytes = codec::encode(&header);
    let key = derive_key(passphrase, &salt, &kdf)?;
    let ciphertext = cose::aead_seal(key.as_ref(), &nonce, &header_bytes, secret)
        .map_err(|_| corrupt("encryption failed"))?;
    let file = Value::map([
        (text("ciphertext"), Value::bytes(&ciphertext)),
        (text("header"), Value::bytes(&header_bytes)),
    ])
    .map_err(|_| corrupt("cannot encode the keystore"))?;
    match fsutil::write_atomic(path, &codec::encode(&file), false) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(KeystoreError::Exists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(io_err(e)),
    }
}

fn parse(path: &Path) -> Result<Parsed, KeystoreError> {
    let bytes = match fsutil::read_bounded(path, MAX_KEYSTORE_BYTES as u64) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(KeystoreError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            return Err(KeystoreError::Corrupted {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
        Err(source) => {
            return Err(KeystoreError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_bytes(&bytes).map_err(|reason| KeystoreError::Corrupted {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    })
}

/// Whether `bytes` look like a keystore (for `divex inspect`), with its public header.
pub fn info_from_bytes(bytes: &[u8]) -> Option<KeystoreInfo> {
    parse_bytes(bytes).ok().map(|p| p.info)
}

fn exact_keys(m: &Map, keys: &[&str]) -> bool {
    m.len() == keys.len() && keys.iter().all(|k| m.get(&text(k)).is_some())
}

fn get_bytes<'a>(m: &'a Map, k: &str) -> Option<&'a [u8]> {
    m.get(&text(k)).and_then(Value::as_bytes)
}

fn parse_bytes(bytes: &[u8]) -> Result<Parsed, &'static str> {
    let v = codec::decode_with(bytes, &LIMITS).map_err(|_| "not strict CBOR")?;
    let m = v.as_map().ok_or("not a CBOR map")?;
    if !exact_keys(m, &["ciphertext", "header"]) {
        return Err("must have exactly \"ciphertext\" and \"header\"");
    }
    let ciphertext = get_bytes(m, "ciphertext")
        .ok_or("\"ciphertext\" must be a byte string")?
        .to_vec();
    let header_bytes = get_bytes(m, "header")
        .ok_or("\"header\" must be a byte string")?
        .to_vec();
    let h =
        codec::decode_with(&header_bytes, &LIMITS).map_err(|_| "the header is not strict CBOR")?;
    let h = h.as_map().ok_or("the header is not a map")?;
    if !exact_keys(
        h,
        &[
            "id", "kdf", "kind", "magic", "nonce", "public", "salt", "version",
        ],
    ) {
        return Err("the header does not have the keystore fields");
    }
    if h.get(&text("magic")).and_then(Value::as_text) != Some(MAGIC) {
        return Err("not a divex keystore (wrong magic)");
    }
    if h.get(&text("version")).and_then(Value::as_u64) != Some(VERSION) {
        return Err("unsupported keystore version");
    }
    let kind = h
        .get(&text("kind"))
        .and_then(Value::as_text)
        .and_then(KeystoreKind::parse)
        .ok_or("unknown keystore kind")?;
    let id = h
        .get(&text("id"))
        .and_then(Value::as_text)
        .ok_or("\"id\" must be text")?
        .to_owned();
    let public = get_bytes(h, "public")
        .ok_or("\"public\" must be a byte string")?
        .to_vec();
    let salt: [u8; SALT_LEN] = get_bytes(h, "salt")
        .and_then(|b| b.try_into().ok())
        .ok_or("the salt must be 16 bytes")?;
    let nonce: [u8; NONCE_LEN] = get_bytes(h, "nonce")
        .and_then(|b| b.try_into().ok())
        .ok_or("the nonce must be 12 bytes")?;
    let k = h
        .get(&text("kdf"))
        .and_then(Value::as_map)
        .ok_or("\"kdf\" must be a map")?;
    if !exact_keys(k, &["alg", "m_kib", "p", "profile", "t", "version"])
        || k.get(&text("alg")).and_then(Value::as_text) != Some("argon2id")
        || k.get(&text("version")).and_then(Value::as_u64) != Some(ARGON2_VERSION)
    {
        return Err("the key derivation must be Argon2id version 19");
    }
    let num = |name: &str, max: u64| {
        k.get(&text(name))
            .and_then(Value::as_u64)
            .filter(|v| (1..=max).contains(v))
    };
    let m_kib = num("m_kib", MAX_M_KIB).ok_or("Argon2 memory cost out of range")?;
    let t = num("t", MAX_T).ok_or("Argon2 pass count out of range")?;
    let p = num("p", MAX_P).ok_or("Argon2 lane count out of range")?;
    let profile = k
        .get(&text("profile"))
        .and_then(Value::as_text)
        .and_then(KdfProfile::parse)
        .ok_or("unknown KDF profile")?;
    Ok(Parsed {
        info: KeystoreInfo {
            kind,
            id,
            public,
            profile,
        },
        header_bytes,
        kdf: Kdf {
            m_kib,
            t,
            p,
            profile,
        },
        salt,
        nonce,
        ciphertext,
    })
}

/// Decrypts the secret of a keystore of `expected` kind.
fn open_secret(
    path: &Path,
    passphrase: &str,
    expected: KeystoreKind,
) -> Result<(KeystoreInfo, Zeroizing<Vec<u8>>), KeystoreError> {
    let parsed = parse(path)?;
    if parsed.info.kind != expected {
        return Err(KeystoreError::WrongKind {
            path: path.to_path_buf(),
            expected,
            found: parsed.info.kind,
        });
    }
    let key = derive_key(passphrase, &parsed.salt, &parsed.kdf)?;
    let secret = cose::aead_open(
        key.as_ref(),
        &parsed.nonce,
        &parsed.header_bytes,
        &parsed.ciphertext,
    )
    .map(Zeroizing::new)
    .map_err(|_| KeystoreError::WrongPassphrase {
        path: path.to_path_buf(),
    })?;
    if secret.len() != expected.secret_len() {
        return Err(KeystoreError::Corrupted {
            path: path.to_path_buf(),
            reason: "the secret has the wrong length".into(),
        });
    }
    Ok((parsed.info, secret))
}

fn mismatch(path: &Path) -> KeystoreError {
    KeystoreError::Corrupted {
        path: path.to_path_buf(),
        reason: "the public key in the header does not match the secret key".into(),
    }
}

/// Reads a keystore's public header without the passphrase (see [`KeystoreInfo`]).
pub fn read_info(path: &Path) -> Result<KeystoreInfo, KeystoreError> {
    parse(path).map(|p| p.info)
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
    let secret = keys.expose_secret_bytes();
    write_keystore(
        path,
        KeystoreKind::Agency,
        agency_id,
        &keys.public().to_bytes(),
        secret.as_ref(),
        passphrase,
        kdf,
    )
}

/// Opens an agency keystore: its agency id and keys. [`KeystoreError::WrongPassphrase`] when
/// the passphrase (or the authenticated header) does not match.
pub fn open_agency(path: &Path, passphrase: &str) -> Result<(String, AgencyKeys), KeystoreError> {
    let (info, secret) = open_secret(path, passphrase, KeystoreKind::Agency)?;
    let mut arr = Zeroizing::new([0u8; 64]);
    arr.copy_from_slice(&secret);
    let keys = AgencyKeys::from_secret_bytes(&arr);
    if keys.public().to_bytes() != info.public {
        return Err(mismatch(path));
    }
    Ok((info.id, keys))
}

/// Writes a new trust-anchor keystore (see [`create_agency`] for the guarantees).
pub fn create_anchor(
    path: &Path,
    anchor: &AnchorKeys,
    passphrase: &str,
    kdf: KdfProfile,
) -> Result<(), KeystoreError> {
    let secret = anchor.expose_secret_bytes();
    let public = anchor.public();
    write_keystore(
        path,
        KeystoreKind::Anchor,
        public.name(),
        &public.to_bytes(),
        secret.as_ref(),
        passphrase,
        kdf,
    )
}

/// Opens a trust-anchor keystore.
pub fn open_anchor(path: &Path, passphrase: &str) -> Result<AnchorKeys, KeystoreError> {
    let (info, secret) = open_secret(path, passphrase, KeystoreKind::Anchor)?;
    let mut arr = Zeroizing::new([0u8; 32]);
    arr.copy_from_slice(&secret);
    let anchor = AnchorKeys::from_secret_bytes(&info.id, &arr).map_err(|_| mismatch(path))?;
    if anchor.public().to_bytes() != info.public {
        return Err(mismatch(path));
    }
    Ok(anchor)
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
    let secret = key.expose_secret_bytes();
    write_keystore(
        path,
        KeystoreKind::Personal,
        label,
        key.public().as_bytes(),
        secret.as_ref(),
        passphrase,
        kdf,
    )
}

/// Opens a personal keystore: its label and key.
pub fn open_personal(
    path: &Path,
    passphrase: &str,
) -> Result<(String, PersonalKey), KeystoreError> {
    let (info, secret) = open_secret(path, passphrase, KeystoreKind::Personal)?;
    let mut arr = Zeroizing::new([0u8; 32]);
    arr.copy_from_slice(&secret);
    let key = PersonalKey::from_secret_bytes(&arr);
    if key.public().as_bytes().as_slice() != info.public.as_slice() {
        return Err(mismatch(path));
    }
    Ok((info.id, key))
}

impl KeystoreInfo {
    /// The agency's public bundle, for an agency keystore.
    pub fn agency_bundle(&self) -> Option<PublicBundle> {
        (self.kind == KeystoreKind::Agency)
            .then(|| PublicBundle::from_bytes(&self.public).ok())
            .flatten()
    }

    /// The anchor's public side, for an anchor keystore.
    pub fn anchor(&self) -> Option<TrustAnchor> {
        (self.kind == KeystoreKind::Anchor)
            .then(|| TrustAnchor::from_bytes(&self.public).ok())
            .flatten()
    }

    /// The person's public key, for a personal keystore.
    pub fn personal_key(&self) -> Option<SigningPublicKey> {
        (self.kind == KeystoreKind::Personal)
            .then(|| SigningPublicKey::from_bytes(&self.public).ok())
            .flatten()
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
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
        assert!(matches!(
            open_agency(&p, "wrong horse"),
            Err(KeystoreError::WrongPassphrase { .. })
        ));
        assert!(matches!(
            create_agency(&p, "county-court", &keys, "x", KdfProfile::Fast),
            Err(KeystoreError::Exists { .. })
        ));
        assert!(matches!(
            open_anchor(&p, "correct horse"),
            Err(KeystoreError::WrongKind { .. })
        ));
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
            Err(KeystoreError::WrongPassphrase { .. })
        ));
        // Truncation is corruption, not a wrong passphrase.
        std::fs::write(&p, &file[..file.len() - 3]).unwrap();
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
    }
}

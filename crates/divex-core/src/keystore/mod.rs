//! Encrypted keystores: an agency's, a trust anchor's or a person's secret keys at rest.
//!
//! Secrets leave the library only sealed under a passphrase (ARCHITECTURE.md §4): the key is
//! derived from the passphrase with **Argon2id** (RFC 9106) and the secret bytes are sealed
//! with **ChaCha20-Poly1305** (the AEAD the envelope's content layer uses). The header — magic, version, kind, id,
//! public key, KDF parameters, salt and nonce — is the AEAD's associated data, so changing any
//! of it makes the keystore fail to open exactly as a wrong passphrase does.
//!
//! This module is the format, once, for every front end (the `divex` command line writes it
//! to files, the foreign-language bindings hand it over as bytes), the way age keeps its
//! passphrase-encrypted identities in the library: bytes in, keys out, no I/O. Randomness
//! (salt and nonce) comes from the operating system's CSPRNG (tests that need reproducible
//! keystores supply their own through `divex_core::testing`).
//!
//! The bytes are strict deterministic CBOR:
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
//! person (Ed25519 seed). Every temporary copy of the derived key and the secret is zeroized;
//! the passphrase is borrowed, never copied, and never appears in an error.
//!
//! [`KdfProfile::Interactive`] (the default) costs 64 MiB and 3 passes; [`KdfProfile::Fast`]
//! (1 MiB, 1 pass) exists for tests and demos only and is **not for production keys**: the
//! profile is recorded in the header. Opening accepts only bounded parameters (at most 1 GiB,
//! 16 passes, 8 lanes), so a hostile keystore cannot make [`open_agency`] eat the machine.
//!
//! ```
//! use divex_core::keys::AgencyKeys;
//! use divex_core::keystore::{self, KdfProfile, KeystoreError, KeystoreInfo, KeystoreKind};
//!
//! let keys = AgencyKeys::generate();
//! let sealed = keystore::seal_agency(
//!     "county-court",
//!     &keys,
//!     "correct horse battery staple",
//!     KdfProfile::Fast, // tests only
//! )?;
//! // The header is readable without the passphrase (and unauthenticated until opened).
//! let info = KeystoreInfo::from_bytes(&sealed)?;
//! assert_eq!((info.kind, info.id.as_str()), (KeystoreKind::Agency, "county-court"));
//!
//! let (id, opened) = keystore::open_agency(&sealed, "correct horse battery staple")?;
//! assert_eq!((id.as_str(), opened.public()), ("county-court", keys.public()));
//! assert!(matches!(
//!     keystore::open_agency(&sealed, "wrong"),
//!     Err(KeystoreError::WrongPassphrase)
//! ));
//! # Ok::<(), KeystoreError>(())
//! ```

use crate::vocab::Vocabulary;
use std::fmt;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::codec::{self, DecodeLimits, Map, Value};
use crate::cose;
use crate::directory::{AnchorKeys, TrustAnchor};
use crate::keys::{AgencyKeys, PersonalKey, PublicBundle, SigningPublicKey};

/// Value of the header's `"magic"` entry.
const MAGIC: &str = "divex-keystore";
/// Keystore format version.
const VERSION: u64 = 1;
/// Largest keystore accepted, and written: [`seal_agency`] refuses an id so long that the
/// keystore would not open again.
pub const MAX_KEYSTORE_BYTES: usize = 4096;
/// Argon2 version 0x13, the only one accepted.
const ARGON2_VERSION: u64 = 0x13;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// Length of the derived ChaCha20-Poly1305 key.
const KEY_LEN: usize = 32;
/// Largest memory cost accepted when opening (1 GiB): a hostile keystore cannot make opening
/// eat the machine.
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

/// What a keystore holds; its token is the kind's name in the header (`agency`, `anchor` or
/// `personal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeystoreKind {
    /// An agency's signing and encryption keys ([`AgencyKeys`]).
    Agency,
    /// A trust anchor's signing key ([`AnchorKeys`]).
    Anchor,
    /// A person's signing key ([`PersonalKey`]: a participant or representative signing
    /// consents and revocations, e.g. on a program's signing tablet).
    Personal,
}

impl Vocabulary for KeystoreKind {
    const NAME: &'static str = "KeystoreKind";
    const ALL: &'static [KeystoreKind] = &[
        KeystoreKind::Agency,
        KeystoreKind::Anchor,
        KeystoreKind::Personal,
    ];
    const TOKENS: &'static [&'static str] = &["agency", "anchor", "personal"];
    const EXPECTED: &'static str = "a keystore kind: one of agency anchor personal";

    fn as_str(&self) -> &'static str {
        match self {
            KeystoreKind::Agency => "agency",
            KeystoreKind::Anchor => "anchor",
            KeystoreKind::Personal => "personal",
        }
    }
}

impl KeystoreKind {
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

/// How expensive the passphrase key derivation is; its token is the profile's name
/// (`interactive` or `fast`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KdfProfile {
    /// Argon2id, 64 MiB, 3 passes, 1 lane: the default for every real keystore.
    #[default]
    Interactive,
    /// Argon2id, 1 MiB, 1 pass, 1 lane: for tests and demos only. **Not for production
    /// keys** — a stolen keystore protected this way yields to a fast offline guessing attack.
    Fast,
}

impl Vocabulary for KdfProfile {
    const NAME: &'static str = "KdfProfile";
    const ALL: &'static [KdfProfile] = &[KdfProfile::Interactive, KdfProfile::Fast];
    const TOKENS: &'static [&'static str] = &["interactive", "fast"];
    const EXPECTED: &'static str = "a KDF profile: one of interactive fast";

    fn as_str(&self) -> &'static str {
        match self {
            KdfProfile::Interactive => "interactive",
            KdfProfile::Fast => "fast",
        }
    }
}

impl KdfProfile {
    /// The Argon2id parameters the profile writes.
    fn kdf(self) -> Kdf {
        let (m_kib, t, p) = match self {
            KdfProfile::Interactive => (64 * 1024, 3, 1),
            KdfProfile::Fast => (1024, 1, 1),
        };
        Kdf {
            m_kib,
            t,
            p,
            profile: self,
        }
    }
}

impl fmt::Display for KdfProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a keystore could not be sealed or opened. Never carries secret bytes or the
/// passphrase.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeystoreError {
    /// The passphrase does not open the keystore (the AEAD tag does not verify). A header
    /// altered after sealing fails the same way: the header is authenticated.
    #[error("the passphrase does not open the keystore")]
    WrongPassphrase,
    /// The bytes are not a well-formed divex keystore (or the header names other public keys
    /// than the secret has).
    #[error("the keystore is corrupted or not a divex keystore: {reason}")]
    Corrupted {
        /// What is wrong, in words (never a value from the keystore).
        reason: &'static str,
    },
    /// The keystore holds another kind of key than was asked for.
    #[error("the keystore holds {found} keys, not {expected} keys")]
    WrongKind {
        /// What was asked for.
        expected: KeystoreKind,
        /// What it holds.
        found: KeystoreKind,
    },
    /// The passphrase key derivation failed (its parameters are out of Argon2's range).
    #[error("the passphrase key derivation failed: {reason}")]
    Kdf {
        /// Argon2's description of the problem (parameters only, never the passphrase).
        reason: String,
    },
    /// Sealing was asked for with an empty passphrase.
    #[error("the passphrase must not be empty")]
    EmptyPassphrase,
    /// The id (agency id, anchor name or label) is so long that the keystore would exceed
    /// [`MAX_KEYSTORE_BYTES`] and never open again.
    #[error("the keystore id is too long")]
    IdTooLong,
}

impl crate::error::Classified for KeystoreError {
    /// [`ErrorCategory::Keystore`] for a keystore that does not open or cannot be derived;
    /// [`ErrorCategory::Input`] (class `argument`) for a sealing argument the caller must
    /// change ([`KeystoreError::EmptyPassphrase`], [`KeystoreError::IdTooLong`]).
    ///
    /// [`ErrorCategory::Keystore`]: crate::error::ErrorCategory::Keystore
    /// [`ErrorCategory::Input`]: crate::error::ErrorCategory::Input
    fn category(&self) -> crate::error::ErrorCategory {
        use crate::error::ErrorCategory;
        match self {
            KeystoreError::WrongPassphrase
            | KeystoreError::Corrupted { .. }
            | KeystoreError::WrongKind { .. }
            | KeystoreError::Kdf { .. } => ErrorCategory::Keystore,
            KeystoreError::EmptyPassphrase | KeystoreError::IdTooLong => ErrorCategory::Input,
        }
    }

    fn class(&self) -> &'static str {
        match self {
            KeystoreError::WrongPassphrase => "wrong_passphrase",
            KeystoreError::Corrupted { .. } => "corrupted",
            KeystoreError::WrongKind { .. } => "wrong_kind",
            KeystoreError::Kdf { .. } => "kdf",
            KeystoreError::EmptyPassphrase | KeystoreError::IdTooLong => "argument",
        }
    }
}

fn corrupted(reason: &'static str) -> KeystoreError {
    KeystoreError::Corrupted { reason }
}

/// The error for a keystore whose header names other public keys than its secret has.
fn mismatch() -> KeystoreError {
    corrupted("the public key in the header does not match the secret key")
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
    /// The KDF profile it was sealed with.
    pub profile: KdfProfile,
}

impl KeystoreInfo {
    /// Reads a keystore's header without the passphrase (see [`KeystoreInfo`]); the whole
    /// keystore must be well-formed ([`KeystoreError::Corrupted`] otherwise).
    pub fn from_bytes(keystore: &[u8]) -> Result<KeystoreInfo, KeystoreError> {
        parse(keystore).map(|p| p.info)
    }

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

// ---------------------------------------------------------------------------------------------
// Sealing and opening, per kind.

/// Seals an agency's keys under `passphrase`, labelled with its directory id; salt and nonce
/// come from the operating system's CSPRNG. Refuses an empty passphrase and an id too long to
/// open again.
pub fn seal_agency(
    agency_id: &str,
    keys: &AgencyKeys,
    passphrase: &str,
    profile: KdfProfile,
) -> Result<Vec<u8>, KeystoreError> {
    seal_agency_with_rng(agency_id, keys, passphrase, profile, &mut crate::rng::os())
}

/// [`seal_agency`] with salt and nonce from `rng` (reproducible keystores in tests, through
/// `divex_core::testing`).
pub(crate) fn seal_agency_with_rng<R: CryptoRng + ?Sized>(
    agency_id: &str,
    keys: &AgencyKeys,
    passphrase: &str,
    profile: KdfProfile,
    rng: &mut R,
) -> Result<Vec<u8>, KeystoreError> {
    let secret = keys.expose_secret_bytes();
    seal(
        KeystoreKind::Agency,
        agency_id,
        &keys.public().to_bytes(),
        secret.as_ref(),
        passphrase,
        profile,
        rng,
    )
}

/// Opens an agency keystore: its agency id and keys. [`KeystoreError::WrongPassphrase`] when
/// the passphrase (or the authenticated header) does not match.
pub fn open_agency(
    keystore: &[u8],
    passphrase: &str,
) -> Result<(String, AgencyKeys), KeystoreError> {
    let (info, secret) = open(keystore, passphrase, KeystoreKind::Agency)?;
    let secret: Zeroizing<[u8; 64]> = secret_array(&secret)?;
    let keys = AgencyKeys::from_secret_bytes(&secret);
    if keys.public().to_bytes() != info.public {
        return Err(mismatch());
    }
    Ok((info.id, keys))
}

/// Seals a trust anchor's key under `passphrase`, labelled with the anchor's name (see
/// [`seal_agency`]).
pub fn seal_anchor(
    anchor: &AnchorKeys,
    passphrase: &str,
    profile: KdfProfile,
) -> Result<Vec<u8>, KeystoreError> {
    seal_anchor_with_rng(anchor, passphrase, profile, &mut crate::rng::os())
}

/// [`seal_anchor`] with salt and nonce from `rng`.
pub(crate) fn seal_anchor_with_rng<R: CryptoRng + ?Sized>(
    anchor: &AnchorKeys,
    passphrase: &str,
    profile: KdfProfile,
    rng: &mut R,
) -> Result<Vec<u8>, KeystoreError> {
    let secret = anchor.expose_secret_bytes();
    let public = anchor.public();
    seal(
        KeystoreKind::Anchor,
        public.name(),
        &public.to_bytes(),
        secret.as_ref(),
        passphrase,
        profile,
        rng,
    )
}

/// Opens a trust-anchor keystore.
pub fn open_anchor(keystore: &[u8], passphrase: &str) -> Result<AnchorKeys, KeystoreError> {
    let (info, secret) = open(keystore, passphrase, KeystoreKind::Anchor)?;
    let seed: Zeroizing<[u8; 32]> = secret_array(&secret)?;
    let anchor = AnchorKeys::from_secret_bytes(&info.id, &seed).map_err(|_| mismatch())?;
    if anchor.public().to_bytes() != info.public {
        return Err(mismatch());
    }
    Ok(anchor)
}

/// Seals a person's signing key (a participant's or representative's) under `passphrase`,
/// labelled `label` (see [`seal_agency`]).
pub fn seal_personal(
    label: &str,
    key: &PersonalKey,
    passphrase: &str,
    profile: KdfProfile,
) -> Result<Vec<u8>, KeystoreError> {
    seal_personal_with_rng(label, key, passphrase, profile, &mut crate::rng::os())
}

/// [`seal_personal`] with salt and nonce from `rng`.
pub(crate) fn seal_personal_with_rng<R: CryptoRng + ?Sized>(
    label: &str,
    key: &PersonalKey,
    passphrase: &str,
    profile: KdfProfile,
    rng: &mut R,
) -> Result<Vec<u8>, KeystoreError> {
    let secret = key.expose_secret_bytes();
    seal(
        KeystoreKind::Personal,
        label,
        key.public().as_bytes(),
        secret.as_ref(),
        passphrase,
        profile,
        rng,
    )
}

/// Opens a personal keystore: its label and key.
pub fn open_personal(
    keystore: &[u8],
    passphrase: &str,
) -> Result<(String, PersonalKey), KeystoreError> {
    let (info, secret) = open(keystore, passphrase, KeystoreKind::Personal)?;
    let seed: Zeroizing<[u8; 32]> = secret_array(&secret)?;
    let key = PersonalKey::from_secret_bytes(&seed);
    if key.public().as_bytes().as_slice() != info.public.as_slice() {
        return Err(mismatch());
    }
    Ok((info.id, key))
}

/// The opened secret as a fixed-size array (its length was checked against the kind).
fn secret_array<const N: usize>(secret: &[u8]) -> Result<Zeroizing<[u8; N]>, KeystoreError> {
    let mut arr = Zeroizing::new([0u8; N]);
    if secret.len() != N {
        return Err(corrupted("the secret has the wrong length"));
    }
    arr.copy_from_slice(secret);
    Ok(arr)
}

// ---------------------------------------------------------------------------------------------
// The format.

/// Argon2id parameters, as written in (or read from) a header.
struct Kdf {
    m_kib: u64,
    t: u64,
    p: u64,
    profile: KdfProfile,
}

/// A well-formed keystore, not yet opened.
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
) -> Result<Zeroizing<[u8; KEY_LEN]>, KeystoreError> {
    let kdf_error = |e: &dyn fmt::Display| KeystoreError::Kdf {
        reason: e.to_string(),
    };
    let to_u32 = |v: u64| u32::try_from(v).map_err(|e| kdf_error(&e));
    let params = argon2::Params::new(
        to_u32(kdf.m_kib)?,
        to_u32(kdf.t)?,
        to_u32(kdf.p)?,
        Some(KEY_LEN),
    )
    .map_err(|e| kdf_error(&e))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|e| kdf_error(&e))?;
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

/// Seals `secret` under `passphrase`. The salt is drawn before the nonce (the order is part
/// of what makes a seeded keystore reproducible).
fn seal<R: CryptoRng + ?Sized>(
    kind: KeystoreKind,
    id: &str,
    public: &[u8],
    secret: &[u8],
    passphrase: &str,
    profile: KdfProfile,
    rng: &mut R,
) -> Result<Vec<u8>, KeystoreError> {
    if passphrase.is_empty() {
        return Err(KeystoreError::EmptyPassphrase);
    }
    let kdf = profile.kdf();
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    // The maps have fixed, distinct keys: encoding cannot fail.
    let encode = |_| corrupted("cannot encode the header");
    let header = header_value(kind, id, public, &kdf, &salt, &nonce).map_err(encode)?;
    let header_bytes = codec::encode(&header);
    let key = derive_key(passphrase, &salt, &kdf)?;
    let ciphertext = cose::aead_seal(key.as_ref(), &nonce, &header_bytes, secret)
        .map_err(|_| corrupted("encryption failed"))?;
    let keystore = Value::map([
        (text("ciphertext"), Value::bytes(&ciphertext)),
        (text("header"), Value::bytes(&header_bytes)),
    ])
    .map_err(encode)?;
    let bytes = codec::encode(&keystore);
    if bytes.len() > MAX_KEYSTORE_BYTES {
        return Err(KeystoreError::IdTooLong);
    }
    Ok(bytes)
}

/// Opens a keystore of `expected` kind: its header and the secret, whose length is checked.
fn open(
    keystore: &[u8],
    passphrase: &str,
    expected: KeystoreKind,
) -> Result<(KeystoreInfo, Zeroizing<Vec<u8>>), KeystoreError> {
    let parsed = parse(keystore)?;
    if parsed.info.kind != expected {
        return Err(KeystoreError::WrongKind {
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
    .map_err(|_| KeystoreError::WrongPassphrase)?;
    if secret.len() != expected.secret_len() {
        return Err(corrupted("the secret has the wrong length"));
    }
    Ok((parsed.info, secret))
}

fn exact_keys(m: &Map, keys: &[&str]) -> bool {
    m.len() == keys.len() && keys.iter().all(|k| m.get(&text(k)).is_some())
}

fn get_bytes<'a>(m: &'a Map, k: &str) -> Option<&'a [u8]> {
    m.get(&text(k)).and_then(Value::as_bytes)
}

fn parse(bytes: &[u8]) -> Result<Parsed, KeystoreError> {
    if bytes.len() > MAX_KEYSTORE_BYTES {
        return Err(corrupted("larger than 4096 bytes"));
    }
    let v = codec::decode_with(bytes, &LIMITS).map_err(|_| corrupted("not strict CBOR"))?;
    let m = v.as_map().ok_or(corrupted("not a CBOR map"))?;
    if !exact_keys(m, &["ciphertext", "header"]) {
        return Err(corrupted("must have exactly \"ciphertext\" and \"header\""));
    }
    let ciphertext = get_bytes(m, "ciphertext")
        .ok_or(corrupted("\"ciphertext\" must be a byte string"))?
        .to_vec();
    let header_bytes = get_bytes(m, "header")
        .ok_or(corrupted("\"header\" must be a byte string"))?
        .to_vec();
    let h = codec::decode_with(&header_bytes, &LIMITS)
        .map_err(|_| corrupted("the header is not strict CBOR"))?;
    let h = h.as_map().ok_or(corrupted("the header is not a map"))?;
    if !exact_keys(
        h,
        &[
            "id", "kdf", "kind", "magic", "nonce", "public", "salt", "version",
        ],
    ) {
        return Err(corrupted("the header does not have the keystore fields"));
    }
    if h.get(&text("magic")).and_then(Value::as_text) != Some(MAGIC) {
        return Err(corrupted("not a divex keystore (wrong magic)"));
    }
    if h.get(&text("version")).and_then(Value::as_u64) != Some(VERSION) {
        return Err(corrupted("unsupported keystore version"));
    }
    let kind = h
        .get(&text("kind"))
        .and_then(Value::as_text)
        .and_then(KeystoreKind::parse)
        .ok_or(corrupted("unknown keystore kind"))?;
    let id = h
        .get(&text("id"))
        .and_then(Value::as_text)
        .ok_or(corrupted("\"id\" must be text"))?
        .to_owned();
    let public = get_bytes(h, "public")
        .ok_or(corrupted("\"public\" must be a byte string"))?
        .to_vec();
    let salt: [u8; SALT_LEN] = get_bytes(h, "salt")
        .and_then(|b| b.try_into().ok())
        .ok_or(corrupted("the salt must be 16 bytes"))?;
    let nonce: [u8; NONCE_LEN] = get_bytes(h, "nonce")
        .and_then(|b| b.try_into().ok())
        .ok_or(corrupted("the nonce must be 12 bytes"))?;
    let k = h
        .get(&text("kdf"))
        .and_then(Value::as_map)
        .ok_or(corrupted("\"kdf\" must be a map"))?;
    if !exact_keys(k, &["alg", "m_kib", "p", "profile", "t", "version"])
        || k.get(&text("alg")).and_then(Value::as_text) != Some("argon2id")
        || k.get(&text("version")).and_then(Value::as_u64) != Some(ARGON2_VERSION)
    {
        return Err(corrupted("the key derivation must be Argon2id version 19"));
    }
    // Bounded before any memory is spent on the derivation.
    let num = |name: &str, max: u64| {
        k.get(&text(name))
            .and_then(Value::as_u64)
            .filter(|v| (1..=max).contains(v))
    };
    let m_kib = num("m_kib", MAX_M_KIB).ok_or(corrupted("Argon2 memory cost out of range"))?;
    let t = num("t", MAX_T).ok_or(corrupted("Argon2 pass count out of range"))?;
    let p = num("p", MAX_P).ok_or(corrupted("Argon2 lane count out of range"))?;
    let profile = k
        .get(&text("profile"))
        .and_then(Value::as_text)
        .and_then(KdfProfile::parse)
        .ok_or(corrupted("unknown KDF profile"))?;
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

#[cfg(test)]
mod tests;

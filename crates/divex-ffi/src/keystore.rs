//! Encrypted keystores: secret keys leave the library only sealed under a passphrase
//! (ARCHITECTURE.md §4) — Argon2id (RFC 9106) derives a key that seals the secret with
//! ChaCha20-Poly1305 ([`divex_core::cose::aead_seal`]).
//!
//! The bytes are the keystore *file format* of the `divex` command line
//! (`crates/divex-cli/src/keystore.rs`), so a key made with `divex init` opens here and the
//! other way round:
//!
//! ```text
//! keystore = {"ciphertext": bstr, "header": bstr .cbor header}
//! header   = {"id": tstr, "kdf": {"alg": "argon2id", "m_kib", "p", "profile", "t",
//!             "version": 19}, "kind": "agency" / "anchor" / "personal",
//!             "magic": "divex-keystore", "nonce": bstr .size 12, "public": bstr,
//!             "salt": bstr .size 16, "version": 1}
//! ```
//!
//! The header is the AEAD's associated data: altering any of it fails exactly as a wrong
//! passphrase does. The format is implemented twice (here and in the CLI, which the ffi
//! crate may not depend on); it should move to one shared module (see the report of issue 5).

use divex_core::codec::{self, DecodeLimits, Map, Value};
use divex_core::cose;
use zeroize::Zeroizing;

use crate::error::{DivexError, Result};

const MAGIC: &str = "divex-keystore";
const VERSION: u64 = 1;
const ARGON2_VERSION: u64 = 0x13;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
/// Largest keystore accepted.
const MAX_KEYSTORE_BYTES: usize = 4096;
/// Bounds on the parameters a (possibly hostile) keystore may ask for when opened: 1 GiB,
/// 16 passes, 8 lanes.
const MAX_M_KIB: u64 = 1024 * 1024;
const MAX_T: u64 = 16;
const MAX_P: u64 = 8;

const LIMITS: DecodeLimits = DecodeLimits {
    max_input: MAX_KEYSTORE_BYTES,
    max_depth: 3,
    max_items: 16,
    max_string: MAX_KEYSTORE_BYTES,
};

/// How expensive the passphrase key derivation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KdfProfile {
    /// Argon2id, 64 MiB, 3 passes, 1 lane: for every real key.
    Interactive,
    /// Argon2id, 1 MiB, 1 pass: for tests and demos only. **Not for production keys** — a
    /// stolen keystore protected this way yields to fast offline guessing.
    Fast,
}

impl KdfProfile {
    fn as_str(self) -> &'static str {
        match self {
            KdfProfile::Interactive => "interactive",
            KdfProfile::Fast => "fast",
        }
    }

    fn parse(s: &str) -> Option<KdfProfile> {
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

/// What a keystore holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeystoreKind {
    /// An agency's signing and encryption keys ([`crate::AgencyKeys`]).
    Agency,
    /// A trust anchor's signing key ([`crate::AnchorKeys`]).
    Anchor,
    /// A person's signing key ([`crate::PersonalKey`]).
    Personal,
}

impl KeystoreKind {
    fn as_str(self) -> &'static str {
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

/// A keystore's public header, readable without the passphrase. It is authenticated only
/// when the keystore is opened: until then it is a claim.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeystoreInfo {
    /// What it holds.
    pub kind: KeystoreKind,
    /// The agency id, anchor name or person's label.
    pub id: String,
    /// The public side: the public bundle (agency), the anchor encoding (anchor) or the
    /// 32-byte Ed25519 key (personal).
    pub public_key: Vec<u8>,
    /// The KDF profile it was written with.
    pub profile: KdfProfile,
}

/// Reads a keystore's public header without the passphrase.
#[uniffi::export]
pub fn keystore_info(keystore: Vec<u8>) -> Result<KeystoreInfo> {
    parse(&keystore).map(|p| p.info)
}

struct Kdf {
    m_kib: u64,
    t: u64,
    p: u64,
}

struct Parsed {
    info: KeystoreInfo,
    header_bytes: Vec<u8>,
    kdf: Kdf,
    salt: Vec<u8>,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
}

fn text(k: &str) -> Value {
    Value::from(k)
}

fn corrupted(reason: &str) -> DivexError {
    DivexError::keystore(
        "corrupted",
        format!("the keystore is corrupted or not a divex keystore: {reason}"),
    )
}

fn derive_key(passphrase: &str, salt: &[u8], kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>> {
    let kdf_error = |e: &dyn std::fmt::Display| {
        DivexError::keystore("kdf", format!("the passphrase key derivation failed: {e}"))
    };
    let to_u32 = |v: u64| u32::try_from(v).map_err(|e| kdf_error(&e));
    let params = argon2::Params::new(to_u32(kdf.m_kib)?, to_u32(kdf.t)?, to_u32(kdf.p)?, Some(32))
        .map_err(|e| kdf_error(&e))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|e| kdf_error(&e))?;
    Ok(key)
}

/// Seals `secret` under `passphrase`.
pub(crate) fn seal(
    kind: KeystoreKind,
    id: &str,
    public: &[u8],
    secret: &[u8],
    passphrase: &str,
    profile: KdfProfile,
) -> Result<Vec<u8>> {
    if passphrase.is_empty() {
        return Err(DivexError::invalid(
            "argument",
            "the passphrase must not be empty",
        ));
    }
    let (m_kib, t, p) = profile.params();
    let kdf = Kdf { m_kib, t, p };
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    let mut rng = divex_core::rng::os();
    rand_core::Rng::fill_bytes(&mut rng, &mut salt);
    rand_core::Rng::fill_bytes(&mut rng, &mut nonce);
    let encode = |_| corrupted("cannot encode the header");
    let kdf_map = Value::map([
        (text("alg"), text("argon2id")),
        (text("m_kib"), Value::from(m_kib)),
        (text("p"), Value::from(p)),
        (text("profile"), text(profile.as_str())),
        (text("t"), Value::from(t)),
        (text("version"), Value::from(ARGON2_VERSION)),
    ])
    .map_err(encode)?;
    let header = Value::map([
        (text("id"), text(id)),
        (text("kdf"), kdf_map),
        (text("kind"), text(kind.as_str())),
        (text("magic"), text(MAGIC)),
        (text("nonce"), Value::bytes(nonce)),
        (text("public"), Value::bytes(public)),
        (text("salt"), Value::bytes(salt)),
        (text("version"), Value::from(VERSION)),
    ])
    .map_err(encode)?;
    let header_bytes = codec::encode(&header);
    let key = derive_key(passphrase, &salt, &kdf)?;
    let ciphertext = cose::aead_seal(key.as_ref(), &nonce, &header_bytes, secret)?;
    let file = Value::map([
        (text("ciphertext"), Value::bytes(&ciphertext)),
        (text("header"), Value::bytes(&header_bytes)),
    ])
    .map_err(encode)?;
    let bytes = codec::encode(&file);
    if bytes.len() > MAX_KEYSTORE_BYTES {
        return Err(DivexError::invalid(
            "argument",
            "the keystore id is too long",
        ));
    }
    Ok(bytes)
}

/// Opens a keystore of `expected` kind: its header and the secret.
pub(crate) fn open(
    keystore: &[u8],
    passphrase: &str,
    expected: KeystoreKind,
) -> Result<(KeystoreInfo, Zeroizing<Vec<u8>>)> {
    let parsed = parse(keystore)?;
    if parsed.info.kind != expected {
        return Err(DivexError::keystore(
            "wrong_kind",
            format!(
                "the keystore holds {} keys, not {} keys",
                parsed.info.kind.as_str(),
                expected.as_str()
            ),
        ));
    }
    let key = derive_key(passphrase, &parsed.salt, &parsed.kdf)?;
    let secret = cose::aead_open(
        key.as_ref(),
        &parsed.nonce,
        &parsed.header_bytes,
        &parsed.ciphertext,
    )
    .map(Zeroizing::new)
    .map_err(|_| {
        DivexError::keystore(
            "wrong_passphrase",
            "the passphrase does not open the keystore",
        )
    })?;
    if secret.len() != expected.secret_len() {
        return Err(corrupted("the secret has the wrong length"));
    }
    Ok((parsed.info, secret))
}

/// The error for a keystore whose header names other public keys than its secret has.
pub(crate) fn mismatch() -> DivexError {
    corrupted("the public key in the header does not match the secret key")
}

fn exact_keys(m: &Map, keys: &[&str]) -> bool {
    m.len() == keys.len() && keys.iter().all(|k| m.get(&text(k)).is_some())
}

fn get_bytes<'a>(m: &'a Map, k: &str) -> Option<&'a [u8]> {
    m.get(&text(k)).and_then(Value::as_bytes)
}

fn parse(bytes: &[u8]) -> Result<Parsed> {
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
    let salt = get_bytes(h, "salt")
        .filter(|b| b.len() == SALT_LEN)
        .ok_or(corrupted("the salt must be 16 bytes"))?
        .to_vec();
    let nonce = get_bytes(h, "nonce")
        .filter(|b| b.len() == NONCE_LEN)
        .ok_or(corrupted("the nonce must be 12 bytes"))?
        .to_vec();
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
            public_key: public,
            profile,
        },
        header_bytes,
        kdf: Kdf { m_kib, t, p },
        salt,
        nonce,
        ciphertext,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let secret = [7u8; 32];
        let ks = seal(
            KeystoreKind::Personal,
            "patient",
            &[1; 32],
            &secret,
            "pw",
            KdfProfile::Fast,
        )
        .unwrap();
        let (info, got) = open(&ks, "pw", KeystoreKind::Personal).unwrap();
        assert_eq!(info.id, "patient");
        assert_eq!(got.as_slice(), &secret);
        assert_eq!(
            open(&ks, "other", KeystoreKind::Personal)
                .unwrap_err()
                .code(),
            "wrong_passphrase"
        );
        assert_eq!(
            open(&ks, "pw", KeystoreKind::Agency).unwrap_err().code(),
            "wrong_kind"
        );
        for i in 0..ks.len() {
            let mut bad = ks.clone();
            bad[i] ^= 1;
            assert!(
                open(&bad, "pw", KeystoreKind::Personal).is_err(),
                "byte {i}"
            );
        }
    }
}

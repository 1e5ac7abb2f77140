//! HPKE (RFC 9180) for the one suite divex uses: DHKEM(X25519, HKDF-SHA256) (KEM 0x0020),
//! HKDF-SHA256 (KDF 0x0001), ChaCha20Poly1305 (AEAD 0x0003), base mode (0x00), single shot
//! (sequence number 0). This is the HPKE inside COSE-HPKE HPKE-4-KE (spec/envelope.md §5.1).
//!
//! Why divex has its own: a general HPKE library derives the recipient's public key from its
//! secret key on every open (for the KEM context `enc || pkRm`), and derives the ephemeral
//! public key twice on every seal. Each is a fixed-base scalar multiplication, about a third of
//! an X25519 Diffie-Hellman. Here the recipient's public key comes from the
//! [`EncryptionKeyPair`] that already holds it, and the ephemeral public key is computed once.
//! The Diffie-Hellman itself is [`x25519`], the RFC 7748 function evaluated on the Edwards
//! form where that is possible (same output, about a third faster than the ladder).
//! Everything else is RFC 9180 to the letter, and the output is byte-identical to the `hpke`
//! crate's for the same randomness (both draw 32 bytes and run `DeriveKeyPair` on them):
//! checked against RFC 9180 A.2.1 and, on random inputs, against the `hpke` crate
//! (`tests/dhkem_interop.rs`).
//!
//! ```text
//! Encap(pkR):  skE = DeriveKeyPair(32 random bytes)      §7.1.3
//!              dh = X25519(skE, pkR), refused if all zero
//!              enc = X25519(skE, 9)                        computed once
//!              shared_secret = ExtractAndExpand(dh, enc || pkR)
//! Decap(enc):  dh = X25519(skR, enc), refused if all zero
//!              shared_secret = ExtractAndExpand(dh, enc || pkR)   pkR as stored, not recomputed
//! KeySchedule: key, base_nonce from shared_secret and info (mode 0, empty psk and psk_id)
//! Seal/Open:   ChaCha20Poly1305(key, base_nonce, aad, pt)  (sequence number 0)
//! ```
//!
//! Secrets (ephemeral scalar, DH output, shared secret, AEAD key) live in
//! [`zeroize::Zeroizing`] buffers or zeroizing dalek types. The HMAC states that HKDF keeps
//! internally are not erased by the `hkdf` crate; they are derived from, but do not reveal,
//! the shared secret.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use curve25519_dalek::montgomery::MontgomeryPoint;
use hkdf::{Hkdf, HkdfExtract};
use hpke::Serializable;
use rand_core::CryptoRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{EncryptionKeyPair, EncryptionPublicKey};

/// KEM identifier of DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1).
pub const KEM_ID: u16 = 0x0020;
/// KDF identifier of HKDF-SHA256 (RFC 9180 §7.2).
pub const KDF_ID: u16 = 0x0001;
/// AEAD identifier of ChaCha20Poly1305 (RFC 9180 §7.3).
pub const AEAD_ID: u16 = 0x0003;
/// Length of the encapsulated key `enc` (Nenc): an X25519 public key.
pub const ENC_LEN: usize = 32;
/// Length of the AEAD tag appended to every ciphertext (Nt).
pub const TAG_LEN: usize = 16;

/// `suite_id` of the KEM: `"KEM" || I2OSP(kem_id, 2)` (RFC 9180 §4.1).
const KEM_SUITE_ID: &[u8; 5] = b"KEM\x00\x20";
/// `suite_id` of the key schedule and AEAD:
/// `"HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2)` (RFC 9180 §5.1).
const HPKE_SUITE_ID: &[u8; 10] = b"HPKE\x00\x20\x00\x01\x00\x03";
/// RFC 9180 §4 `"HPKE-v1"`.
const VERSION_LABEL: &[u8] = b"HPKE-v1";
/// `mode_base`.
const MODE_BASE: u8 = 0x00;
/// Nsecret = Nh = Nk = Nsk = 32.
const N32: usize = 32;
/// Nn.
const NONCE_LEN: usize = 12;

/// `psk_id_hash = LabeledExtract("", "psk_id_hash", "")` for this suite: a constant in base
/// mode (the psk id is empty), so it is not recomputed on every operation. The unit test
/// `psk_id_hash_constant_is_labeled_extract` recomputes it.
const PSK_ID_HASH: [u8; N32] = [
    0x43, 0x1d, 0xf6, 0xcd, 0x95, 0xe1, 0x1f, 0xf4, 0x9d, 0x70, 0x13, 0x56, 0x3b, 0xaf, 0x7f, 0x11,
    0x58, 0x8c, 0x75, 0xa6, 0x61, 0x1e, 0xe2, 0xa4, 0x40, 0x4a, 0x49, 0x30, 0x6a, 0xe4, 0xcf, 0xc5,
];

/// Why an HPKE operation failed. Carries no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HpkeError {
    /// The X25519 result was all zero: the peer's key (`pkR` on seal, `enc` on open) is a
    /// low-order point. RFC 9180 §7.1.4 requires aborting.
    #[error("the X25519 key agreement is non-contributory (low-order public key)")]
    NonContributory,
    /// The ciphertext does not authenticate under the derived key (wrong recipient key,
    /// altered `enc`, info, aad or ciphertext).
    #[error("the HPKE ciphertext does not decrypt")]
    Open,
    /// Encryption failed (never expected with valid inputs).
    #[error("HPKE encryption failed")]
    Seal,
}

// ---------------------------------------------------------------------------------------------
// Labeled KDF (RFC 9180 §4)

/// `LabeledExtract(salt = "", label, ikm) = Extract("", "HPKE-v1" || suite_id || label || ikm)`;
/// returns the PRK and the HKDF state keyed with it (for `LabeledExpand`).
fn labeled_extract(
    salt: &[u8],
    suite_id: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> (Zeroizing<[u8; N32]>, Hkdf<Sha256>) {
    let mut ctx = HkdfExtract::<Sha256>::new(Some(salt));
    ctx.input_ikm(VERSION_LABEL);
    ctx.input_ikm(suite_id);
    ctx.input_ikm(label);
    ctx.input_ikm(ikm);
    let (prk, hkdf) = ctx.finalize();
    let mut out = Zeroizing::new([0u8; N32]);
    out.iter_mut().zip(prk.iter()).for_each(|(o, p)| *o = *p);
    (out, hkdf)
}

/// `LabeledExpand(prk, label, info, L) =
/// Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)` with `L = out.len()`.
/// Returns `None` only for an output length HKDF-SHA256 cannot produce (never, for the fixed
/// lengths used here).
fn labeled_expand(
    prk: &Hkdf<Sha256>,
    suite_id: &[u8],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Option<()> {
    let len = u16::try_from(out.len()).ok()?.to_be_bytes();
    prk.expand_multi_info(&[&len, VERSION_LABEL, suite_id, label, info], out)
        .ok()
}

// ---------------------------------------------------------------------------------------------
// DHKEM(X25519, HKDF-SHA256) (RFC 9180 §4.1, §7.1.3)

/// `DeriveKeyPair(ikm)`'s secret half: `sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm),
/// "sk", "", 32)`. X25519 clamps it when used (RFC 7748), as `DeserializePrivateKey` would.
fn derive_secret(ikm: &[u8]) -> Option<StaticSecret> {
    let (_, dkp_prk) = labeled_extract(&[], KEM_SUITE_ID, b"dkp_prk", ikm);
    let mut sk = Zeroizing::new([0u8; N32]);
    labeled_expand(&dkp_prk, KEM_SUITE_ID, b"sk", &[], sk.as_mut())?;
    Some(StaticSecret::from(*sk))
}

/// The X25519 function of RFC 7748 §5, `X25519(k, u)`: the same 32 bytes as
/// `x25519_dalek::x25519` for every `k` and every 32-byte `u`, computed faster.
///
/// When `u` is the u-coordinate of a point on Curve25519 (not on its twist), the point is
/// mapped to edwards25519 (`y = (u - 1)/(u + 1)`, either sign of x: both give the same
/// u-coordinate after multiplication), multiplied there by the clamped scalar in constant time
/// (curve25519-dalek's variable-base multiplication, which uses its AVX2 backend where the
/// CPU has it), and mapped back (`u = (1 + y)/(1 - y)`, the identity to 0, as the ladder
/// gives). That is about a third cheaper than the Montgomery ladder. Twist points and
/// `u = -1` (which has no Edwards image) take the ladder. The branch depends on the public
/// `u` only. Checked against `x25519_dalek::x25519` on the 518 Wycheproof X25519 cases and on
/// random inputs (`tests/dhkem_interop.rs`).
pub fn x25519(k: &[u8; 32], u: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let m = MontgomeryPoint(*u);
    match m.to_edwards(0) {
        Some(p) => {
            let mut q = p.mul_clamped(*k);
            let out = Zeroizing::new(q.to_montgomery().to_bytes());
            q.zeroize();
            out
        }
        None => Zeroizing::new(x25519_dalek::x25519(*k, *u)),
    }
}

/// `DH(sk, pk)`, refusing the all-zero output (RFC 9180 §7.1.4) in constant time.
fn dh(sk: &StaticSecret, pk: &[u8; N32]) -> Result<Zeroizing<[u8; N32]>, HpkeError> {
    let out = x25519(sk.as_bytes(), pk);
    if bool::from(out.ct_eq(&[0u8; N32])) {
        return Err(HpkeError::NonContributory);
    }
    Ok(out)
}

/// `ExtractAndExpand(dh, kem_context = enc || pkRm)`.
fn extract_and_expand(
    dh: &[u8; N32],
    enc: &[u8; ENC_LEN],
    pk_r: &[u8; N32],
) -> Option<Zeroizing<[u8; N32]>> {
    let (_, eae_prk) = labeled_extract(&[], KEM_SUITE_ID, b"eae_prk", dh);
    let mut kem_context = [0u8; ENC_LEN + N32];
    let (e, r) = kem_context.split_at_mut(ENC_LEN);
    e.copy_from_slice(enc);
    r.copy_from_slice(pk_r);
    let mut shared = Zeroizing::new([0u8; N32]);
    labeled_expand(
        &eae_prk,
        KEM_SUITE_ID,
        b"shared_secret",
        &kem_context,
        shared.as_mut(),
    )?;
    Some(shared)
}

// ---------------------------------------------------------------------------------------------
// Key schedule (RFC 9180 §5.1), base mode, no exporter secret (single shot never exports)

/// The AEAD key and base nonce for `shared_secret` and `info`.
fn key_schedule(
    shared_secret: &[u8; N32],
    info: &[u8],
) -> Option<(Zeroizing<[u8; N32]>, [u8; NONCE_LEN])> {
    let (info_hash, _) = labeled_extract(&[], HPKE_SUITE_ID, b"info_hash", info);
    // key_schedule_context = mode || psk_id_hash || info_hash
    let mut context = [0u8; 1 + 2 * N32];
    let (mode, hashes) = context.split_at_mut(1);
    let (psk, inf) = hashes.split_at_mut(N32);
    mode.fill(MODE_BASE);
    psk.copy_from_slice(&PSK_ID_HASH);
    inf.copy_from_slice(info_hash.as_ref());
    // secret = LabeledExtract(shared_secret, "secret", psk = "")
    let (_, secret) = labeled_extract(shared_secret, HPKE_SUITE_ID, b"secret", &[]);
    let mut key = Zeroizing::new([0u8; N32]);
    labeled_expand(&secret, HPKE_SUITE_ID, b"key", &context, key.as_mut())?;
    let mut base_nonce = [0u8; NONCE_LEN];
    labeled_expand(
        &secret,
        HPKE_SUITE_ID,
        b"base_nonce",
        &context,
        &mut base_nonce,
    )?;
    Some((key, base_nonce))
}

fn aead(key: &[u8; N32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&(*key).into())
}

// ---------------------------------------------------------------------------------------------
// Single-shot seal and open (RFC 9180 §6.1)

/// `SealBase(pkR, info, aad, pt)` with the ephemeral secret `sk_e` given: returns `(enc, ct)`.
/// The deterministic core of [`seal`]; crate-internal, because reusing an ephemeral secret
/// across messages would be catastrophic. Exercised against RFC 9180 A.2.1 by this module's
/// unit tests.
pub(crate) fn seal_with_ephemeral(
    sk_e: &StaticSecret,
    pk_r: &[u8; N32],
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
) -> Result<([u8; ENC_LEN], Vec<u8>), HpkeError> {
    let dh = dh(sk_e, pk_r)?;
    // The ephemeral public key, computed exactly once.
    let enc = PublicKey::from(sk_e).to_bytes();
    let shared = extract_and_expand(&dh, &enc, pk_r).ok_or(HpkeError::Seal)?;
    let (key, nonce) = key_schedule(&shared, info).ok_or(HpkeError::Seal)?;
    let ct = aead(&key)
        .encrypt(&nonce.into(), Payload { msg: pt, aad })
        .map_err(|_| HpkeError::Seal)?;
    Ok((enc, ct))
}

/// `SealBase(pkR, info, aad, pt)` (RFC 9180 §6.1): a fresh ephemeral key from 32 bytes of
/// `rng` through `DeriveKeyPair` (exactly as the `hpke` crate draws it, so that the same
/// generator state gives the same `enc` and ciphertext). Returns `(enc, ct)` with
/// `ct.len() = pt.len() + 16`.
///
/// `pk_r` was validated on import, so [`HpkeError::NonContributory`] cannot happen with it;
/// it is still checked, as RFC 9180 requires.
pub fn seal<R: CryptoRng + ?Sized>(
    pk_r: &EncryptionPublicKey,
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
    rng: &mut R,
) -> Result<([u8; ENC_LEN], Vec<u8>), HpkeError> {
    let mut ikm = Zeroizing::new([0u8; N32]);
    rng.fill_bytes(ikm.as_mut());
    let sk_e = derive_secret(ikm.as_ref()).ok_or(HpkeError::Seal)?;
    seal_with_ephemeral(&sk_e, pk_r.as_bytes(), info, aad, pt)
}

/// `OpenBase(enc, skR, info, aad, ct)` (RFC 9180 §6.1). The recipient's public key in the KEM
/// context is the one `key` holds, not recomputed from the secret. A low-order `enc` is
/// [`HpkeError::NonContributory`] (before any key derivation); every other failure is
/// [`HpkeError::Open`].
pub fn open(
    key: &EncryptionKeyPair,
    enc: &[u8; ENC_LEN],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    // The key pair keeps its secret as the `hpke` crate's X25519 type (crate::keys); its
    // bytes are the clamped scalar.
    let bytes = Zeroizing::new(<[u8; N32]>::from(key.hpke_secret().to_bytes()));
    let sk_r = StaticSecret::from(*bytes);
    open_with_secret(&sk_r, key.public().as_bytes(), enc, info, aad, ct)
}

/// [`open`] with the secret and public key given separately (`pk_r` must be `sk_r`'s).
fn open_with_secret(
    sk_r: &StaticSecret,
    pk_r: &[u8; N32],
    enc: &[u8; ENC_LEN],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    let dh = dh(sk_r, enc)?;
    let shared = extract_and_expand(&dh, enc, pk_r).ok_or(HpkeError::Open)?;
    let (key, nonce) = key_schedule(&shared, info).ok_or(HpkeError::Open)?;
    if ct.len() < TAG_LEN {
        return Err(HpkeError::Open);
    }
    aead(&key)
        .decrypt(&nonce.into(), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| HpkeError::Open)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    /// RFC 9180 A.2.1 (`shared/vectors/hpke-rfc9180/`), DHKEM(X25519, HKDF-SHA256),
    /// HKDF-SHA256, ChaCha20Poly1305, base mode, sequence number 0. Inlined so that the unit
    /// test needs no file; `tests/dhkem_interop.rs` runs the same vector from the shared file.
    struct A21 {
        info: &'static str,
        sk_em: &'static str,
        pk_em: &'static str,
        sk_rm: &'static str,
        pk_rm: &'static str,
        key: &'static str,
        base_nonce: &'static str,
        aad: &'static str,
        pt: &'static str,
        ct: &'static str,
    }

    const A2_1: A21 = A21 {
        info: "4f6465206f6e2061204772656369616e2055726e",
        sk_em: "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600",
        pk_em: "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
        sk_rm: "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
        pk_rm: "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
        key: "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
        base_nonce: "5c4d98150661b848853b547f",
        aad: "436f756e742d30",
        pt: "4265617574792069732074727574682c20747275746820626561757479",
        ct: "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28",
    };

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn h32(s: &str) -> [u8; 32] {
        h(s).try_into().unwrap()
    }

    #[test]
    fn psk_id_hash_constant_is_labeled_extract() {
        let (prk, _) = labeled_extract(&[], HPKE_SUITE_ID, b"psk_id_hash", &[]);
        assert_eq!(*prk, PSK_ID_HASH);
    }

    #[test]
    fn suite_ids_are_built_from_the_algorithm_ids() {
        let mut kem = b"KEM".to_vec();
        kem.extend_from_slice(&KEM_ID.to_be_bytes());
        assert_eq!(kem, KEM_SUITE_ID);
        let mut hpke = b"HPKE".to_vec();
        for id in [KEM_ID, KDF_ID, AEAD_ID] {
            hpke.extend_from_slice(&id.to_be_bytes());
        }
        assert_eq!(hpke, HPKE_SUITE_ID);
    }

    #[test]
    fn rfc9180_a_2_1_seal_with_the_vector_ephemeral_key() {
        let v = A2_1;
        let sk_e = StaticSecret::from(h32(v.sk_em));
        let (enc, ct) =
            seal_with_ephemeral(&sk_e, &h32(v.pk_rm), &h(v.info), &h(v.aad), &h(v.pt)).unwrap();
        assert_eq!(enc, h32(v.pk_em), "enc = pkEm");
        assert_eq!(ct, h(v.ct));
    }

    #[test]
    fn rfc9180_a_2_1_key_schedule() {
        let v = A2_1;
        // Encap side and decap side agree on the shared secret and both give key, base_nonce.
        let sk_e = StaticSecret::from(h32(v.sk_em));
        let pk_r = h32(v.pk_rm);
        let dh_e = dh(&sk_e, &pk_r).unwrap();
        let sk_r = StaticSecret::from(h32(v.sk_rm));
        let dh_r = dh(&sk_r, &h32(v.pk_em)).unwrap();
        assert_eq!(*dh_e, *dh_r);
        let shared = extract_and_expand(&dh_e, &h32(v.pk_em), &pk_r).unwrap();
        let (key, nonce) = key_schedule(&shared, &h(v.info)).unwrap();
        assert_eq!(*key, h32(v.key));
        assert_eq!(nonce.to_vec(), h(v.base_nonce));
    }

    #[test]
    fn rfc9180_a_2_1_open() {
        let v = A2_1;
        let me = EncryptionKeyPair::from_secret_bytes(&h32(v.sk_rm));
        assert_eq!(me.public().as_bytes(), &h32(v.pk_rm));
        let pt = open(&me, &h32(v.pk_em), &h(v.info), &h(v.aad), &h(v.ct)).unwrap();
        assert_eq!(pt.as_slice(), h(v.pt).as_slice());
        // Any other aad, info or a flipped ciphertext bit fails as Open.
        assert_eq!(
            open(&me, &h32(v.pk_em), &h(v.info), b"", &h(v.ct)).map(|p| p.to_vec()),
            Err(HpkeError::Open)
        );
        assert_eq!(
            open(&me, &h32(v.pk_em), b"", &h(v.aad), &h(v.ct)).map(|p| p.to_vec()),
            Err(HpkeError::Open)
        );
        let mut ct = h(v.ct);
        if let Some(b) = ct.first_mut() {
            *b ^= 1;
        }
        assert_eq!(
            open(&me, &h32(v.pk_em), &h(v.info), &h(v.aad), &ct).map(|p| p.to_vec()),
            Err(HpkeError::Open)
        );
        assert_eq!(
            open(&me, &h32(v.pk_em), &h(v.info), &h(v.aad), &[0u8; 15]).map(|p| p.to_vec()),
            Err(HpkeError::Open)
        );
    }

    #[test]
    fn low_order_enc_and_recipient_are_non_contributory() {
        let me = EncryptionKeyPair::from_secret_bytes(&[7u8; 32]);
        let mut one = [0u8; 32];
        one[0] = 1;
        for u in [[0u8; 32], one] {
            assert_eq!(
                open(&me, &u, b"", b"", &[0u8; 48]).map(|p| p.to_vec()),
                Err(HpkeError::NonContributory)
            );
            let sk_e = StaticSecret::from([9u8; 32]);
            assert_eq!(
                seal_with_ephemeral(&sk_e, &u, b"", b"", b"x"),
                Err(HpkeError::NonContributory)
            );
        }
    }

    #[test]
    fn seal_open_round_trip() {
        let me = EncryptionKeyPair::from_secret_bytes(&[3u8; 32]);
        let mut rng = crate::rng::os();
        let (enc, ct) = seal(me.public(), b"info", b"aad", b"content key", &mut rng).unwrap();
        assert_eq!(ct.len(), 11 + TAG_LEN);
        let pt = open(&me, &enc, b"info", b"aad", &ct).unwrap();
        assert_eq!(pt.as_slice(), b"content key");
    }
}

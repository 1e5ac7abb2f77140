//! divex's own HPKE (`divex_core::testing::dhkem`: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20Poly1305, base mode, single shot) against RFC 9180 and the `hpke` crate.
//!
//! * RFC 9180 A.2.1 from `shared/vectors/hpke-rfc9180/` (beside the checkout, or
//!   `$DIVEX_SHARED_VECTORS`): the vector's ciphertext opens to its plaintext and every
//!   alteration is refused. (The seal direction with the vector's fixed ephemeral key runs in
//!   the unit tests of `dhkem`, where the deterministic entry point is visible.)
//! * Random inputs: for the same seeded generator, `dhkem::seal` and the `hpke` crate's
//!   `single_shot_seal_with_rng` produce byte-identical `enc` and ciphertext (both draw 32
//!   bytes and run RFC 9180 `DeriveKeyPair` on them); each opens the other's output; and
//!   `cose::hpke_wrap` / `hpke_unwrap` agree with the `hpke` crate the same way.
//! * `dhkem::x25519` (X25519 on the Edwards form) equals `x25519_dalek::x25519` and the
//!   expected shared secret on all 518 Wycheproof X25519 cases (twist points, non-canonical
//!   and low-order u, bit 255 set) and on random inputs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::PathBuf;

use divex_core::testing::cose::{self, HpkeParams};
use divex_core::testing::dhkem::{self, HpkeError};
use divex_core::testing::keys::EncryptionKeyPair;
use hpke::{Deserializable, Serializable};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::Deserialize;

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;

fn vectors_dir() -> PathBuf {
    match std::env::var_os("DIVEX_SHARED_VECTORS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    }
}

#[derive(Deserialize)]
struct Rfc9180Vector {
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    mode: u8,
    info: String,
    #[serde(rename = "pkEm")]
    pk_em: String,
    #[serde(rename = "skRm")]
    sk_rm: String,
    #[serde(rename = "pkRm")]
    pk_rm: String,
    enc: String,
    encryptions: Vec<Rfc9180Encryption>,
}

#[derive(Deserialize)]
struct Rfc9180Encryption {
    seq: u64,
    aad: String,
    pt: String,
    ct: String,
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn rfc9180_a_2_1_opens_with_dhkem() {
    let path = vectors_dir().join("hpke-rfc9180/x25519_sha256_chacha20poly1305_base.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "RFC 9180 vector {} is missing ({e}); set DIVEX_SHARED_VECTORS",
            path.display()
        )
    });
    let v: Rfc9180Vector = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v.kem_id, v.kdf_id, v.aead_id, v.mode),
        (dhkem::KEM_ID, dhkem::KDF_ID, dhkem::AEAD_ID, 0)
    );
    assert_eq!(v.enc, v.pk_em, "in DHKEM, enc is the ephemeral public key");
    let me = EncryptionKeyPair::from_secret_bytes(&unhex(&v.sk_rm).try_into().unwrap());
    assert_eq!(me.public().as_bytes().to_vec(), unhex(&v.pk_rm));
    let enc: [u8; 32] = unhex(&v.enc).try_into().unwrap();
    let info = unhex(&v.info);
    let first = v.encryptions.iter().find(|e| e.seq == 0).unwrap();
    let (aad, pt, ct) = (unhex(&first.aad), unhex(&first.pt), unhex(&first.ct));
    assert_eq!(
        dhkem::open(&me, &enc, &info, &aad, &ct).unwrap().as_slice(),
        pt.as_slice()
    );
    // Every single-bit flip of enc, info, aad or ciphertext is refused.
    let refused = |enc: &[u8; 32], info: &[u8], aad: &[u8], ct: &[u8]| {
        matches!(
            dhkem::open(&me, enc, info, aad, ct),
            Err(HpkeError::Open | HpkeError::NonContributory)
        )
    };
    for bit in 0..256 {
        let mut e = enc;
        e[bit / 8] ^= 1 << (bit % 8);
        assert!(refused(&e, &info, &aad, &ct), "enc bit {bit}");
    }
    for bit in 0..info.len() * 8 {
        let mut i = info.clone();
        i[bit / 8] ^= 1 << (bit % 8);
        assert!(refused(&enc, &i, &aad, &ct), "info bit {bit}");
    }
    for bit in 0..aad.len() * 8 {
        let mut a = aad.clone();
        a[bit / 8] ^= 1 << (bit % 8);
        assert!(refused(&enc, &info, &a, &ct), "aad bit {bit}");
    }
    for bit in 0..ct.len() * 8 {
        let mut c = ct.clone();
        c[bit / 8] ^= 1 << (bit % 8);
        assert!(refused(&enc, &info, &aad, &c), "ciphertext bit {bit}");
    }
}

#[derive(Deserialize)]
struct WycheproofXdh {
    #[serde(rename = "testGroups")]
    test_groups: Vec<XdhGroup>,
}

#[derive(Deserialize)]
struct XdhGroup {
    tests: Vec<XdhCase>,
}

#[derive(Deserialize)]
struct XdhCase {
    #[serde(rename = "tcId")]
    tc_id: u64,
    public: String,
    private: String,
    shared: String,
}

#[test]
fn x25519_on_the_edwards_form_matches_wycheproof_and_the_ladder() {
    let path = vectors_dir().join("wycheproof/x25519_test.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is missing ({e})", path.display()));
    let file: WycheproofXdh = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for case in file.test_groups.iter().flat_map(|g| &g.tests) {
        let (Ok(u), Ok(k)) = (
            <[u8; 32]>::try_from(unhex(&case.public)),
            <[u8; 32]>::try_from(unhex(&case.private)),
        ) else {
            panic!("tcId {}: not 32-byte inputs", case.tc_id);
        };
        let ours = dhkem::x25519(&k, &u);
        assert_eq!(ours.to_vec(), unhex(&case.shared), "tcId {}", case.tc_id);
        assert_eq!(*ours, x25519_dalek::x25519(k, u), "tcId {}", case.tc_id);
        checked += 1;
    }
    assert_eq!(checked, 518, "every case");
}

/// The `hpke` crate's single-shot seal with a generator seeded by `seed`.
fn hpke_seal(
    pk_r: &[u8; 32],
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
    seed: [u8; 32],
) -> (Vec<u8>, Vec<u8>) {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(pk_r).unwrap();
    let (enc, ct) = hpke::single_shot_seal_with_rng::<Aead, Kdf, Kem>(
        &hpke::OpModeS::Base,
        &pk,
        info,
        pt,
        aad,
        &mut ChaCha20Rng::from_seed(seed),
    )
    .unwrap();
    (enc.to_bytes().to_vec(), ct)
}

fn hpke_open(sk_r: &[u8; 32], enc: &[u8], info: &[u8], aad: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
    let sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(sk_r).unwrap();
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).unwrap();
    hpke::single_shot_open::<Aead, Kdf, Kem>(&hpke::OpModeR::Base, &sk, &enc, info, ct, aad).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn x25519_matches_the_ladder_on_random_inputs(
        k in any::<[u8; 32]>(),
        u in any::<[u8; 32]>(),
        peer in any::<[u8; 32]>(),
    ) {
        // A random u is on the curve or on the twist with about equal probability; a public
        // key is always on the curve.
        prop_assert_eq!(*dhkem::x25519(&k, &u), x25519_dalek::x25519(k, u));
        let on_curve = x25519_dalek::x25519(peer, x25519_dalek::X25519_BASEPOINT_BYTES);
        prop_assert_eq!(*dhkem::x25519(&k, &on_curve), x25519_dalek::x25519(k, on_curve));
        let mut high = on_curve;
        high[31] |= 0x80;
        prop_assert_eq!(*dhkem::x25519(&k, &high), x25519_dalek::x25519(k, high));
    }

    #[test]
    fn dhkem_is_byte_identical_to_the_hpke_crate(
        sk_r in any::<[u8; 32]>(),
        seed in any::<[u8; 32]>(),
        info in proptest::collection::vec(any::<u8>(), 0..96),
        aad in proptest::collection::vec(any::<u8>(), 0..48),
        pt in proptest::collection::vec(any::<u8>(), 0..160),
    ) {
        let me = EncryptionKeyPair::from_secret_bytes(&sk_r);
        let pk_r = *me.public().as_bytes();

        // Same generator state: same ephemeral key, same enc, same ciphertext.
        let (enc, ct) =
            dhkem::seal(me.public(), &info, &aad, &pt, &mut ChaCha20Rng::from_seed(seed)).unwrap();
        let (h_enc, h_ct) = hpke_seal(&pk_r, &info, &aad, &pt, seed);
        prop_assert_eq!(enc.to_vec(), h_enc);
        prop_assert_eq!(&ct, &h_ct);

        // Each opens the other's output (here the same bytes, but through both code paths).
        prop_assert_eq!(
            hpke_open(&sk_r, &enc, &info, &aad, &ct),
            Some(pt.clone())
        );
        let mut other_seed = seed;
        other_seed[0] ^= 0x80;
        let (h_enc2, h_ct2) = hpke_seal(&pk_r, &info, &aad, &pt, other_seed);
        let h_enc2: [u8; 32] = h_enc2.try_into().unwrap();
        prop_assert_eq!(
            dhkem::open(&me, &h_enc2, &info, &aad, &h_ct2).unwrap().to_vec(),
            pt.clone()
        );

        // A different aad is refused by both.
        let mut bad_aad = aad.clone();
        bad_aad.push(0);
        prop_assert!(hpke_open(&sk_r, &enc, &info, &bad_aad, &ct).is_none());
        prop_assert_eq!(
            dhkem::open(&me, &enc, &info, &bad_aad, &ct).map(|p| p.to_vec()),
            Err(HpkeError::Open)
        );
    }

    #[test]
    fn cose_hpke_layer_matches_the_hpke_crate(
        sk_r in any::<[u8; 32]>(),
        seed in any::<[u8; 32]>(),
        kid in any::<[u8; 16]>(),
        cek in any::<[u8; 32]>(),
    ) {
        let me = EncryptionKeyPair::from_secret_bytes(&sk_r);
        // A divex recipient protected header {1: 50, 4: kid} and its Recipient_structure.
        let mut protected = vec![0xa2, 0x01, 0x18, 0x32, 0x04, 0x50];
        protected.extend_from_slice(&kid);
        let info = cose::recipient_structure(cose::alg::CHACHA20_POLY1305, &protected, &[]);
        let (ek, ct) = cose::hpke_wrap(
            me.public(),
            &protected,
            cose::alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            &cek,
            &mut ChaCha20Rng::from_seed(seed),
        )
        .unwrap();
        let (h_ek, h_ct) = hpke_seal(me.public().as_bytes(), &info, &[], &cek, seed);
        prop_assert_eq!(ek.to_vec(), h_ek);
        prop_assert_eq!(&ct, &h_ct);
        let unwrapped = cose::hpke_unwrap(
            &me,
            &ek,
            &protected,
            cose::alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            &ct,
        )
        .unwrap();
        prop_assert_eq!(unwrapped.as_slice(), cek.as_slice());
    }
}

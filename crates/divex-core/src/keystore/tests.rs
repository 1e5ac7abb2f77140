#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;

use rand_chacha::ChaCha20Rng;
use rand_core::{SeedableRng, TryCryptoRng, TryRng};

use super::*;
use crate::error::Classified;

const PASS: &str = "correct horse battery staple";

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([7; 32])
}

/// A keystore written before the format moved into the core, and what it must open to.
struct Written {
    name: &'static str,
    bytes: &'static [u8],
    kind: KeystoreKind,
    id: &'static str,
    profile: KdfProfile,
    /// The key id of its public side (the anchor's fingerprint for an anchor).
    kid: &'static str,
}

/// Keystores written before the format moved into the core: by `divex init`, `divex anchor
/// create` and `divex consent patient-key` (the `cli-` files) and by the bindings'
/// `export_keystore` (the `ffi-` files), all under [`PASS`]. Each is listed with its id and
/// the key id its public side must have (as `divex inspect` printed it when it was written).
const WRITTEN_BEFORE: &[Written] = &[
    Written {
        name: "cli-agency-fast",
        bytes: include_bytes!("testdata/cli-agency-fast.divex"),
        kind: KeystoreKind::Agency,
        id: "county-court",
        profile: KdfProfile::Fast,
        kid: "77ea787a31d253215eb2bec97febb09f",
    },
    Written {
        name: "cli-agency-interactive",
        bytes: include_bytes!("testdata/cli-agency-interactive.divex"),
        kind: KeystoreKind::Agency,
        id: "probation",
        profile: KdfProfile::Interactive,
        kid: "7bee5ca30effd82a9745805d6acce311",
    },
    Written {
        name: "cli-anchor-fast",
        bytes: include_bytes!("testdata/cli-anchor-fast.divex"),
        kind: KeystoreKind::Anchor,
        id: "County Justice IT",
        profile: KdfProfile::Fast,
        kid: "210c76e604e29d89ada8825034a1c8fc",
    },
    Written {
        name: "cli-personal-fast",
        bytes: include_bytes!("testdata/cli-personal-fast.divex"),
        kind: KeystoreKind::Personal,
        id: "Jordan",
        profile: KdfProfile::Fast,
        kid: "3fc42093a749a54765afc292b89d1909",
    },
    Written {
        name: "ffi-agency-fast",
        bytes: include_bytes!("testdata/ffi-agency-fast.divex"),
        kind: KeystoreKind::Agency,
        id: "treatment-provider",
        profile: KdfProfile::Fast,
        kid: "2dd3946a0a14c06103b4c31a462a0eaf",
    },
    Written {
        name: "ffi-anchor-fast",
        bytes: include_bytes!("testdata/ffi-anchor-fast.divex"),
        kind: KeystoreKind::Anchor,
        id: "State Anchor",
        profile: KdfProfile::Fast,
        kid: "3a2e41a422af9d57a6677070a8b1e3d8",
    },
    Written {
        name: "ffi-personal-fast",
        bytes: include_bytes!("testdata/ffi-personal-fast.divex"),
        kind: KeystoreKind::Personal,
        id: "guardian",
        profile: KdfProfile::Fast,
        kid: "d9b0c6899a895b8ddb694be0736c8ee1",
    },
];

/// An "RNG" that hands out the given bytes in order: re-sealing with the salt and nonce of an
/// existing keystore must reproduce it byte for byte.
struct Replay(Vec<u8>);

impl TryRng for Replay {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert!(dst.len() <= self.0.len(), "the replay ran out of bytes");
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

impl TryCryptoRng for Replay {}

#[test]
fn keystores_written_before_open_and_reseal_to_the_same_bytes() {
    for &Written {
        name,
        bytes,
        kind,
        id,
        profile,
        kid,
    } in WRITTEN_BEFORE
    {
        let info = KeystoreInfo::from_bytes(bytes).unwrap();
        assert_eq!(
            (info.kind, info.id.as_str(), info.profile),
            (kind, id, profile)
        );
        let parsed = parse(bytes).unwrap();
        let replay = || Replay([parsed.salt.as_slice(), &parsed.nonce].concat());
        let resealed = match kind {
            KeystoreKind::Agency => {
                let (got_id, keys) = open_agency(bytes, PASS).unwrap();
                assert_eq!(got_id, id);
                assert_eq!(keys.public().signing().kid().to_hex(), kid, "{name}");
                assert_eq!(info.agency_bundle().as_ref(), Some(keys.public()));
                seal_agency_with_rng(id, &keys, PASS, profile, &mut replay()).unwrap()
            }
            KeystoreKind::Anchor => {
                let anchor = open_anchor(bytes, PASS).unwrap();
                assert_eq!(anchor.public().name(), id);
                assert_eq!(anchor.kid().to_hex(), kid, "{name}");
                assert_eq!(info.anchor(), Some(anchor.public()));
                seal_anchor_with_rng(&anchor, PASS, profile, &mut replay()).unwrap()
            }
            KeystoreKind::Personal => {
                let (label, key) = open_personal(bytes, PASS).unwrap();
                assert_eq!(label, id);
                assert_eq!(key.public().kid().to_hex(), kid, "{name}");
                assert_eq!(info.personal_key().as_ref(), Some(key.public()));
                seal_personal_with_rng(id, &key, PASS, profile, &mut replay()).unwrap()
            }
        };
        assert_eq!(resealed, bytes, "{name} re-sealed differently");
        assert_eq!(
            open_agency(bytes, "not the passphrase").err(),
            Some(match kind {
                KeystoreKind::Agency => KeystoreError::WrongPassphrase,
                found => KeystoreError::WrongKind {
                    expected: KeystoreKind::Agency,
                    found,
                },
            }),
            "{name}"
        );
    }
}

#[test]
fn seeded_sealing_is_reproducible() {
    let keys = AgencyKeys::generate_with_rng(&mut rng());
    let a = seal_agency_with_rng("court-a", &keys, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    let b = seal_agency_with_rng("court-a", &keys, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    assert_eq!(a, b);
    let c = seal_agency_with_rng(
        "court-a",
        &keys,
        PASS,
        KdfProfile::Fast,
        &mut crate::rng::os(),
    )
    .unwrap();
    assert_ne!(a, c, "a fresh salt and nonce from the OS");
    assert_eq!(open_agency(&c, PASS).unwrap().1.public(), keys.public());
}

#[test]
fn agency_round_trip_and_refusals() {
    let keys = AgencyKeys::generate();
    let ks =
        seal_agency_with_rng("county-court", &keys, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    let (id, back) = open_agency(&ks, PASS).unwrap();
    assert_eq!(id, "county-court");
    assert_eq!(back.public(), keys.public());
    assert_eq!(
        open_agency(&ks, "wrong horse").err(),
        Some(KeystoreError::WrongPassphrase)
    );
    assert_eq!(
        open_anchor(&ks, PASS).err(),
        Some(KeystoreError::WrongKind {
            expected: KeystoreKind::Anchor,
            found: KeystoreKind::Agency
        })
    );
    let info = KeystoreInfo::from_bytes(&ks).unwrap();
    assert_eq!(info.agency_bundle().as_ref(), Some(keys.public()));
    assert_eq!((info.anchor(), info.personal_key()), (None, None));
    assert_eq!(info.profile, KdfProfile::Fast);
}

#[test]
fn anchor_and_personal_round_trip() {
    let a = AnchorKeys::generate("County Justice IT").unwrap();
    let ks = seal_anchor_with_rng(&a, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    assert_eq!(open_anchor(&ks, PASS).unwrap().public(), a.public());
    let k = PersonalKey::generate();
    let ks = seal_personal_with_rng("Jordan", &k, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    let (label, back) = open_personal(&ks, PASS).unwrap();
    assert_eq!(label, "Jordan");
    assert_eq!(back.public(), k.public());
}

#[test]
fn secrets_are_not_in_the_keystore() {
    let keys = AgencyKeys::generate();
    let ks = seal_agency_with_rng("x", &keys, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    let secret = keys.expose_secret_bytes();
    for chunk in secret.chunks(16) {
        assert!(!ks.windows(16).any(|w| w == chunk));
    }
    assert!(!ks.windows(PASS.len()).any(|w| w == PASS.as_bytes()));
}

#[test]
fn the_header_is_authenticated() {
    let keys = AgencyKeys::generate();
    let ks = seal_agency_with_rng("court-a", &keys, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    // Rename the agency inside the header (same length): the AEAD refuses.
    let pos = ks.windows(7).position(|w| w == b"court-a").unwrap();
    let mut bad = ks.clone();
    bad[pos + 6] = b'b';
    assert_eq!(
        open_agency(&bad, PASS).err(),
        Some(KeystoreError::WrongPassphrase)
    );
    // Truncation is corruption, not a wrong passphrase.
    assert_eq!(
        open_agency(&ks[..ks.len() - 3], PASS).err(),
        Some(KeystoreError::Corrupted {
            reason: "not strict CBOR"
        })
    );
    // No single flipped bit anywhere goes unnoticed.
    let k = PersonalKey::generate();
    let ks = seal_personal_with_rng("patient", &k, "pw", KdfProfile::Fast, &mut rng()).unwrap();
    for i in 0..ks.len() {
        let mut bad = ks.clone();
        bad[i] ^= 1;
        assert!(open_personal(&bad, "pw").is_err(), "byte {i}");
    }
}

/// `ks` with its header's KDF entry `name` set to `value` (the header re-encoded).
fn with_kdf(ks: &[u8], name: &str, value: u64) -> Vec<u8> {
    let v = codec::decode(ks).unwrap();
    let m = v.as_map().unwrap();
    let h = codec::decode(get_bytes(m, "header").unwrap()).unwrap();
    let mut header = Map::new();
    for (k, v) in h.as_map().unwrap().iter() {
        let v = if k.as_text() == Some("kdf") {
            let mut kdf = Map::new();
            for (kk, kv) in v.as_map().unwrap().iter() {
                let kv = if kk.as_text() == Some(name) {
                    Value::from(value)
                } else {
                    kv.clone()
                };
                kdf.insert(kk.clone(), kv).unwrap();
            }
            Value::Map(kdf)
        } else {
            v.clone()
        };
        header.insert(k.clone(), v).unwrap();
    }
    let out = Value::map([
        (
            text("ciphertext"),
            m.get(&text("ciphertext")).unwrap().clone(),
        ),
        (
            text("header"),
            Value::bytes(codec::encode(&Value::Map(header))),
        ),
    ])
    .unwrap();
    codec::encode(&out)
}

#[test]
fn hostile_kdf_parameters_are_refused_before_deriving() {
    let k = PersonalKey::generate();
    let ks = seal_personal_with_rng("p", &k, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    // The unchanged re-encoding still opens: the helper changes only what it is asked to.
    assert!(open_personal(&with_kdf(&ks, "m_kib", 1024), PASS).is_ok());
    for (name, value, reason) in [
        ("m_kib", MAX_M_KIB + 1, "Argon2 memory cost out of range"),
        ("m_kib", 0, "Argon2 memory cost out of range"),
        ("t", MAX_T + 1, "Argon2 pass count out of range"),
        ("p", MAX_P + 1, "Argon2 lane count out of range"),
        (
            "version",
            0x10,
            "the key derivation must be Argon2id version 19",
        ),
    ] {
        let bad = with_kdf(&ks, name, value);
        assert_eq!(
            KeystoreInfo::from_bytes(&bad).err(),
            Some(KeystoreError::Corrupted { reason }),
            "{name} = {value}"
        );
    }
    // In range for the format but not for Argon2 (memory below 8 KiB per lane): a KDF error,
    // which names the parameter, never the passphrase.
    let e = open_personal(&with_kdf(&ks, "m_kib", 1), PASS).unwrap_err();
    assert_eq!(e.class(), "kdf");
    assert!(!e.to_string().contains(PASS), "{e}");
}

#[test]
fn oversized_input_and_arguments_are_refused() {
    let big = vec![0u8; MAX_KEYSTORE_BYTES + 1];
    assert_eq!(
        KeystoreInfo::from_bytes(&big).err(),
        Some(KeystoreError::Corrupted {
            reason: "larger than 4096 bytes"
        })
    );
    let k = PersonalKey::generate();
    assert_eq!(
        seal_personal_with_rng("p", &k, "", KdfProfile::Fast, &mut rng()).err(),
        Some(KeystoreError::EmptyPassphrase)
    );
    let long = "x".repeat(MAX_KEYSTORE_BYTES);
    let e = seal_personal_with_rng(&long, &k, PASS, KdfProfile::Fast, &mut rng()).unwrap_err();
    assert_eq!(e, KeystoreError::IdTooLong);
    assert_eq!(e.category(), crate::error::ErrorCategory::Input);
    // The longest id that fits still opens.
    let fits = "x".repeat(MAX_KEYSTORE_BYTES - 400);
    let ks = seal_personal_with_rng(&fits, &k, PASS, KdfProfile::Fast, &mut rng()).unwrap();
    assert_eq!(open_personal(&ks, PASS).unwrap().0, fits);
}

#[test]
fn classes_are_the_codes_the_bindings_report() {
    for (e, class, argument) in [
        (KeystoreError::WrongPassphrase, "wrong_passphrase", false),
        (corrupted("x"), "corrupted", false),
        (
            KeystoreError::WrongKind {
                expected: KeystoreKind::Agency,
                found: KeystoreKind::Anchor,
            },
            "wrong_kind",
            false,
        ),
        (
            KeystoreError::Kdf {
                reason: "memory cost is too small".into(),
            },
            "kdf",
            false,
        ),
        (KeystoreError::EmptyPassphrase, "argument", true),
        (KeystoreError::IdTooLong, "argument", true),
    ] {
        assert_eq!(
            (
                e.class(),
                e.category() == crate::error::ErrorCategory::Input
            ),
            (class, argument),
            "{e}"
        );
    }
}

#[test]
fn names_round_trip() {
    for k in [
        KeystoreKind::Agency,
        KeystoreKind::Anchor,
        KeystoreKind::Personal,
    ] {
        assert_eq!(KeystoreKind::parse(k.as_str()), Some(k));
        assert_eq!(k.to_string(), k.as_str());
    }
    for p in [KdfProfile::Interactive, KdfProfile::Fast] {
        assert_eq!(KdfProfile::parse(p.as_str()), Some(p));
    }
    assert_eq!(KdfProfile::default(), KdfProfile::Interactive);
    assert_eq!(KdfProfile::parse("slow"), None);
}

//! `envelope::open_many` decides every envelope exactly as `envelope::open_with` does on its
//! own (spec/envelope.md §6.6), on valid envelopes and on crafted signatures around the
//! cofactor ("Taming the many EdDSAs", Chalkias, Garillot, Nikolaenko 2020): small-order and
//! mixed-order R and A, low-order residues, non-canonical R and S, and plain forgeries, mixed
//! with envelopes that fail before and after the signature check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use divex_core::error::Classified;
use divex_core::keys::{AgencyKeys, SigningPublicKey};
use divex_core::records::RecordType;
use divex_core::testing::codec::Map;
use divex_core::testing::cose::{self, ProtectedHeader, Sign1};
use divex_core::testing::envelope::SealOptions;
use divex_core::testing::envelope::{
    self, Disclosure, EnvelopeId, Metadata, OpenError, OpenOptions, Opened, StaticResolver,
};
use divex_core::testing::{AgencyKeysExt, MetadataExt};
use divex_fixtures::{SeenSet, T0 as NOW};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha512};

fn disclosure() -> Disclosure {
    divex_fixtures::disclosure(RecordType::DrugTest)
}

fn random_scalar(rng: &mut ChaCha20Rng) -> Scalar {
    let mut wide = [0u8; 64];
    rng.fill_bytes(&mut wide);
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// `k = SHA-512(R || A || M) mod L`.
fn challenge(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
    let h: [u8; 64] = Sha512::new()
        .chain_update(r)
        .chain_update(a)
        .chain_update(m)
        .finalize()
        .into();
    Scalar::from_bytes_mod_order_wide(&h)
}

/// A signer with secret scalar `a` and public key `A = aB + T_A` (mixed order when
/// `T_A` is not the identity), able to produce arbitrary signatures.
struct Crafter {
    a: Scalar,
    a_bytes: [u8; 32],
    key: SigningPublicKey,
}

impl Crafter {
    fn new(rng: &mut ChaCha20Rng, torsion: &EdwardsPoint) -> Crafter {
        let a = random_scalar(rng);
        let point = ED25519_BASEPOINT_POINT * a + torsion;
        let a_bytes = point.compress().to_bytes();
        let key = SigningPublicKey::from_bytes(&a_bytes).expect("mixed-order keys import");
        Crafter { a, a_bytes, key }
    }

    fn torsion_a(&self) -> EdwardsPoint {
        // A - aB.
        curve25519_dalek::edwards::CompressedEdwardsY(self.a_bytes)
            .decompress()
            .unwrap()
            - ED25519_BASEPOINT_POINT * self.a
    }

    /// `R = rB + t` (encoded as `r_bytes` if given), `s = r + k·a`.
    fn sign_with(&self, rng: &mut ChaCha20Rng, t: &EdwardsPoint, m: &[u8]) -> Vec<u8> {
        let r = random_scalar(rng);
        let r_bytes = (ED25519_BASEPOINT_POINT * r + t).compress().to_bytes();
        let k = challenge(&r_bytes, &self.a_bytes, m);
        let s = r + k * self.a;
        [r_bytes.as_slice(), s.as_bytes()].concat()
    }

    /// A signature with the given R encoding and `s = k·a` (so `[s]B - [k]A = -k·T_A`).
    fn sign_fixed_r(&self, r_bytes: [u8; 32], m: &[u8]) -> Vec<u8> {
        let k = challenge(&r_bytes, &self.a_bytes, m);
        let s = k * self.a;
        [r_bytes.as_slice(), s.as_bytes()].concat()
    }

    /// A signature valid under the cofactorless equation although A is mixed-order: pick
    /// `R = rB + t` with `t = -k·T_A` (k depends on R, so try until it matches).
    fn sign_cancelling(&self, rng: &mut ChaCha20Rng, m: &[u8]) -> Vec<u8> {
        let t_a = self.torsion_a();
        loop {
            let r = random_scalar(rng);
            for t in EIGHT_TORSION {
                let r_bytes = (ED25519_BASEPOINT_POINT * r + t).compress().to_bytes();
                let k = challenge(&r_bytes, &self.a_bytes, m);
                if t == -(t_a * k) {
                    let s = r + k * self.a;
                    return [r_bytes.as_slice(), s.as_bytes()].concat();
                }
            }
        }
    }
}

/// An envelope to `me` whose inner signature is whatever `sign` returns for the
/// Sig_structure, with `signer` as the sender kid.
fn craft(
    me: &AgencyKeys,
    signer: &SigningPublicKey,
    rng: &mut ChaCha20Rng,
    sign: impl FnOnce(&[u8], &mut ChaCha20Rng) -> Vec<u8>,
) -> Vec<u8> {
    let mut cek = [0u8; 32];
    rng.fill_bytes(&mut cek);
    let commitment = envelope::key_commitment(&cek);
    let mut id = [0u8; 16];
    rng.fill_bytes(&mut id);
    let metadata = Metadata {
        envelope_id: EnvelopeId(id),
        issued_at: NOW,
        audience: vec![me.public().encryption().kid()],
        disclosure: disclosure(),
        ledger_head: None,
    };
    let protected = ProtectedHeader::new(metadata.to_protected_map(&signer.kid(), &commitment));
    let payload = b"result: negative".to_vec();
    let tbs = cose::sig_structure(protected.as_bytes(), &[], &payload);
    let signature = sign(&tbs, rng);
    let inner = Sign1 {
        protected,
        unprotected: Map::new(),
        payload,
        signature,
    }
    .to_bytes();
    let stanza = envelope::wrap_for(me.public(), &cek, rng).unwrap();
    envelope::encrypt_layer(&inner, &cek, &commitment, vec![stanza], rng).unwrap()
}

fn class(r: &Result<Opened, OpenError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.class(),
    }
}

/// Opens `envelopes` both ways and requires identical results, element by element.
fn same_verdicts(
    envelopes: &[Vec<u8>],
    me: &AgencyKeys,
    resolver: &StaticResolver,
    options: &OpenOptions<'_>,
) -> Vec<Result<Opened, OpenError>> {
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    let single: Vec<_> = refs
        .iter()
        .map(|e| envelope::open(e, me, resolver, NOW, options))
        .collect();
    // The batch coefficients are random: run it a few times.
    for round in 0..3 {
        let many = envelope::open_many(&refs, me, resolver, NOW, options);
        assert_eq!(many.len(), single.len());
        for (i, (m, s)) in many.iter().zip(&single).enumerate() {
            assert_eq!(
                m, s,
                "round {round}, envelope {i}: open_many differs from open_with"
            );
        }
    }
    single
}

#[test]
fn one_thousand_valid_envelopes_open_identically() {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let me = AgencyKeys::generate_with_rng(&mut rng);
    let others: Vec<AgencyKeys> = (0..2)
        .map(|_| AgencyKeys::generate_with_rng(&mut rng))
        .collect();
    let senders: Vec<AgencyKeys> = (0..3)
        .map(|_| AgencyKeys::generate_with_rng(&mut rng))
        .collect();
    let mut resolver = StaticResolver::new();
    for (i, s) in senders.iter().enumerate() {
        resolver.insert(format!("sender-{i}"), s.public().signing().clone());
    }
    let mut audience = vec![me.public().clone()];
    audience.extend(others.iter().map(|k| k.public().clone()));
    let envelopes: Vec<Vec<u8>> = (0..1000)
        .map(|i| {
            let payload = format!("record {i}").into_bytes();
            envelope::seal(
                &senders[i % senders.len()],
                &audience[..1 + i % 3],
                &disclosure(),
                &payload,
                NOW,
                SealOptions {
                    rng: Some(&mut rng),
                    ..SealOptions::default()
                },
            )
            .map(|s| s.bytes)
            .unwrap()
        })
        .collect();
    let results = same_verdicts(&envelopes, &me, &resolver, &OpenOptions::default());
    assert!(results.iter().all(Result::is_ok));
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            r.as_ref().unwrap().payload,
            format!("record {i}").into_bytes()
        );
    }
}

#[test]
fn crafted_signatures_get_the_single_verdict() {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let me = AgencyKeys::generate_with_rng(&mut rng);
    let stranger = AgencyKeys::generate_with_rng(&mut rng);
    let honest = AgencyKeys::generate_with_rng(&mut rng);
    let plain = Crafter::new(&mut rng, &EIGHT_TORSION[0]);
    let mixed = Crafter::new(&mut rng, &EIGHT_TORSION[1]); // A with an order-8 component
    let mixed4 = Crafter::new(&mut rng, &EIGHT_TORSION[2]); // A with an order-4 component
    let mut resolver = StaticResolver::new();
    resolver.insert("honest", honest.public().signing().clone());
    resolver.insert("plain", plain.key.clone());
    resolver.insert("mixed", mixed.key.clone());
    resolver.insert("mixed4", mixed4.key.clone());

    // (expected class, envelope)
    let mut cases: Vec<(&str, &str, Vec<u8>)> = Vec::new();
    let valid = |rng: &mut ChaCha20Rng| {
        envelope::seal(
            &honest,
            &[me.public().clone()],
            &disclosure(),
            b"fine",
            NOW,
            SealOptions {
                rng: Some(rng),
                ..SealOptions::default()
            },
        )
        .map(|s| s.bytes)
        .unwrap()
    };
    for _ in 0..20 {
        cases.push(("valid, honest", "ok", valid(&mut rng)));
    }
    // Crafted with our own scalar, torsion-free A and R: valid.
    for _ in 0..10 {
        let e = craft(&me, &plain.key, &mut rng, |m, r| {
            plain.sign_with(r, &EIGHT_TORSION[0], m)
        });
        cases.push(("valid, crafted", "ok", e));
    }
    // Low-order residue: R = rB + T (T of order 2, 4, 8), s = r + ka. The cofactored
    // equation holds, the cofactorless one does not; a cofactorless batch with random
    // coefficients would accept 1/2 to 1/8 of these.
    for t in EIGHT_TORSION.iter().skip(1) {
        for _ in 0..8 {
            let e = craft(&me, &plain.key, &mut rng, |m, r| plain.sign_with(r, t, m));
            cases.push(("residue in R", "bad_signature", e));
        }
    }
    // Mixed-order A, R cancelling its torsion: valid for verify_strict (CCTV's accepted
    // `low_order_component_A` + `low_order_component_R` cases).
    for c in [&mixed, &mixed4] {
        for _ in 0..6 {
            let e = craft(&me, &c.key, &mut rng, |m, r| c.sign_cancelling(r, m));
            cases.push(("mixed A, cancelling R", "ok", e));
        }
        // Mixed-order A, torsion-free R: residue -k·T_A, refused unless k·T_A = O.
        for _ in 0..8 {
            let e = craft(&me, &c.key, &mut rng, |m, r| {
                c.sign_with(r, &EIGHT_TORSION[0], m)
            });
            cases.push(("mixed A, residue", "depends", e));
        }
    }
    // Small-order R with s = k·a: the cofactorless equation holds for R = identity, but
    // verify_strict refuses small-order R.
    for t in EIGHT_TORSION {
        let e = craft(&me, &plain.key, &mut rng, |m, _| {
            plain.sign_fixed_r(t.compress().to_bytes(), m)
        });
        cases.push(("small-order R", "bad_signature", e));
    }
    // Non-canonical encodings of the identity as R (y = 1 + p; sign bit on x = 0).
    let mut y_plus_p = [0xffu8; 32];
    y_plus_p[0] = 0xee;
    y_plus_p[31] = 0x7f;
    let mut negative_zero = [0u8; 32];
    negative_zero[0] = 1;
    negative_zero[31] = 0x80;
    for r_bytes in [y_plus_p, negative_zero] {
        let e = craft(&me, &plain.key, &mut rng, |m, _| {
            plain.sign_fixed_r(r_bytes, m)
        });
        cases.push(("non-canonical R", "bad_signature", e));
    }
    // S + L: not reduced.
    for _ in 0..4 {
        let e = craft(&me, &plain.key, &mut rng, |m, r| {
            let mut sig = plain.sign_with(r, &EIGHT_TORSION[0], m);
            let mut carry = 0u16;
            let l = Scalar::ZERO - Scalar::ONE; // L - 1
            let l_bytes = l.as_bytes();
            for (i, b) in sig[32..].iter_mut().enumerate() {
                let add = u16::from(l_bytes[i]) + u16::from(i == 0);
                let v = u16::from(*b) + add + carry;
                *b = v as u8;
                carry = v >> 8;
            }
            sig
        });
        cases.push(("S + L", "bad_signature", e));
    }
    // Plain forgeries: a flipped bit, another key's signature, an empty signature.
    for bit in [0usize, 100, 300, 511] {
        let e = craft(&me, &plain.key, &mut rng, |m, r| {
            let mut sig = plain.sign_with(r, &EIGHT_TORSION[0], m);
            sig[bit / 8] ^= 1 << (bit % 8);
            sig
        });
        cases.push(("flipped bit", "bad_signature", e));
    }
    let e = craft(&me, &plain.key, &mut rng, |m, _| stranger.sign(m).to_vec());
    cases.push(("other key", "bad_signature", e));
    let e = craft(&me, &plain.key, &mut rng, |_, _| Vec::new());
    cases.push(("empty", "bad_signature", e));
    // Failures before and after the signature check.
    let e = craft(&me, stranger.public().signing(), &mut rng, |m, _| {
        stranger.sign(m).to_vec()
    });
    cases.push(("unknown sender", "unknown_sender", e));
    let mut broken = valid(&mut rng);
    let last = broken.len() - 40;
    broken[last] ^= 1;
    cases.push(("altered wrapped key", "key_unwrap", broken));
    let replayed = valid(&mut rng);
    let replayed_id = envelope::open(&replayed, &me, &resolver, NOW, &OpenOptions::default())
        .unwrap()
        .metadata
        .envelope_id;
    cases.push(("replayed", "replay", replayed));
    let not_mine = envelope::seal(
        &honest,
        &[stranger.public().clone()],
        &disclosure(),
        b"x",
        NOW,
        SealOptions {
            rng: Some(&mut rng),
            ..SealOptions::default()
        },
    )
    .map(|s| s.bytes)
    .unwrap();
    cases.push(("not for me", "not_for_me", not_mine));

    // Shuffle so that bad signatures sit among good ones in every batch.
    for i in (1..cases.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        cases.swap(i, j);
    }
    let seen = SeenSet([replayed_id].into());
    let options = OpenOptions {
        seen: Some(&seen),
        ..OpenOptions::default()
    };
    let envelopes: Vec<Vec<u8>> = cases.iter().map(|c| c.2.clone()).collect();
    let results = same_verdicts(&envelopes, &me, &resolver, &options);
    let mut mixed_residue = [0usize; 2];
    for ((what, expect, _), r) in cases.iter().zip(&results) {
        if *expect == "depends" {
            mixed_residue[usize::from(r.is_ok())] += 1;
            assert!(matches!(class(r), "ok" | "bad_signature"), "{what}: {r:?}");
        } else {
            assert_eq!(class(r), *expect, "{what}");
        }
    }
    // With A's torsion of order 8 or 4 and k random, the residue -k·T_A vanishes for some
    // and not for others: both outcomes occur.
    assert!(mixed_residue[0] > 0, "no refused mixed-A residue case");

    // Each refused signature in a batch of two with a valid one: here a cofactorless batch
    // without the torsion rule would accept a residue of order 2 half of the time.
    let good = cases
        .iter()
        .zip(&results)
        .find(|(c, r)| r.is_ok() && c.0 == "valid, honest")
        .map(|(c, _)| c.2.clone())
        .unwrap();
    for ((what, _, e), r) in cases.iter().zip(&results) {
        if class(r) == "bad_signature" {
            let pair = [good.clone(), e.clone()];
            let verdicts = same_verdicts(&pair, &me, &resolver, &options);
            assert!(verdicts[0].is_ok() && verdicts[1].is_err(), "{what}");
        }
    }

    // And the subsets alone, including a batch that is all bad and one that is all good.
    for filter in ["ok", "bad_signature"] {
        let subset: Vec<Vec<u8>> = cases
            .iter()
            .zip(&results)
            .filter(|(_, r)| class(r) == filter)
            .map(|(c, _)| c.2.clone())
            .collect();
        assert!(subset.len() > 10);
        same_verdicts(&subset, &me, &resolver, &options);
    }
}

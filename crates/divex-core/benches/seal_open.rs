//! divex `seal` / `open` / `open_many` against the primitives they are built from and against
//! two peers, in one run. `scripts/bench.sh` (or `cargo bench -p divex-core --bench
//! seal_open`) produces every table of BENCHMARKS.md.
//!
//! Part 1 (criterion, wall clock): every operation below as a criterion benchmark, for the
//! HTML reports and criterion's own change detection. `DIVEX_BENCH_TABLES_ONLY=1` skips it.
//!
//! Part 2 (the tables): criterion does not hand its estimates back, so the tables come from a
//! separate measurement of the same closures: per operation a warm-up and a calibration, then
//! `BATCHES` timed batches run round-robin over all operations (so that background load hits
//! them alike), each batch timed in **thread CPU time** (`CLOCK_THREAD_CPUTIME_ID`: time the
//! benchmark thread was on a core, which time slices lost to other processes on a shared
//! machine do not inflate), and the median of the per-iteration batch means. The tables are
//! printed and written to `target/divex-bench/tables.md`.
//!
//! * floor: seal = Ed25519 sign + n·(X25519 keygen + X25519 DH) + ChaCha20-Poly1305 seal;
//!   open = X25519 DH + ChaCha20-Poly1305 open + Ed25519 verify_strict; sign and verify over a
//!   Sig_structure of the envelope's size, AEAD over the payload.
//! * peers: `age` (X25519 recipients) + a separate Ed25519 signature over the payload, and the
//!   `hpke` crate composed by hand (sign, one ChaCha20-Poly1305 over payload‖signature, the
//!   content key sealed to every recipient with `hpke::single_shot_seal`).
//! * `open_many` against sequential `open_with` on 1000 valid envelopes.
//! * sizes: envelope overhead for 1, 4 and 16 recipients, consent copy excluded and included.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use criterion::{BenchmarkId, Criterion, Throughput};
use divex_core::keys::{AgencyKeys, PublicBundle};
use divex_core::records::RecordType;
use divex_core::testing::codec::{self, Map, Value};
use divex_core::testing::cose::{self, HpkeParams, ProtectedHeader, alg};
use divex_core::testing::envelope::SealOptions;
use divex_core::testing::envelope::{
    self, Disclosure, EnvelopeId, Metadata, OpenOptions, StaticResolver, key_commitment,
};
use divex_core::testing::{AgencyKeysExt, MetadataExt};
use divex_fixtures::{Fleet, disclosure};
use ed25519_dalek::{Signature, Signer, SigningKey};
use hkdf::Hkdf;
use hpke::{Deserializable, Serializable};
use rand_core::Rng;
use sha2::{Digest, Sha256};
use x25519_dalek::{EphemeralSecret, PublicKey, StaticSecret};

/// Issue time of every envelope (and the `now` given to `open`).
const NOW: u64 = 1_790_000_000;
/// Payload sizes.
const SIZES: [usize; 2] = [1024, 64 * 1024];
/// Recipient counts.
const COUNTS: [usize; 3] = [1, 4, 16];
/// Envelopes for `open_many`.
const MANY: usize = 1000;

type HpkeKem = hpke::kem::X25519HkdfSha256;
type HpkeKdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::ChaCha20Poly1305;

fn size_name(size: usize) -> &'static str {
    if size == 1024 { "1KiB" } else { "64KiB" }
}

fn size_idx(size: usize) -> usize {
    usize::from(size != 1024)
}

fn count_idx(n: usize) -> usize {
    match n {
        1 => 0,
        4 => 1,
        _ => 2,
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// Inputs of the primitives at one payload size.
struct Prim {
    /// The real inner Sig_structure of a one-recipient envelope with this payload.
    sig_structure: Vec<u8>,
    ed_sig: Signature,
    payload: Vec<u8>,
    aead_ct: Vec<u8>,
}

/// The `age` + Ed25519 peer.
struct AgePeer {
    identities: Vec<age::x25519::Identity>,
    recipients: Vec<age::x25519::Recipient>,
    /// `[size][count]`.
    sealed: Vec<Vec<Vec<u8>>>,
}

/// The hand-made `hpke` composition: the recipients' keys in the `hpke` crate's types.
struct HpkePeer {
    secrets: Vec<<HpkeKem as hpke::Kem>::PrivateKey>,
    publics: Vec<<HpkeKem as hpke::Kem>::PublicKey>,
    /// `[size][count]`.
    sealed: Vec<Vec<Vec<u8>>>,
}

struct Fixture {
    sender: AgencyKeys,
    /// Sixteen recipients, sorted by encryption kid (the order of the envelope's recipients).
    recipients: Vec<AgencyKeys>,
    bundles: Vec<PublicBundle>,
    resolver: StaticResolver,
    disclosure: Disclosure,
    /// `[size][count]`.
    sealed: Vec<Vec<Vec<u8>>>,
    /// `MANY` one-recipient 1 KiB envelopes for the first recipient.
    many: Vec<Vec<u8>>,
    prim: Vec<Prim>,
    ed_key: SigningKey,
    x_static: StaticSecret,
    x_peer: PublicKey,
    aead_key: [u8; 32],
    aead_iv: [u8; 12],
    aead_aad: Vec<u8>,
    hkdf: Hkdf<Sha256>,
    cek: [u8; 32],
    hpke_protected: Vec<u8>,
    hpke_ek: [u8; 32],
    hpke_ct: Vec<u8>,
    age: AgePeer,
    hpke: HpkePeer,
}

impl Fixture {
    fn new() -> Fixture {
        let mut rng = divex_core::testing::rng::os();
        let Fleet {
            sender,
            recipients,
            bundles,
            resolver,
        } = Fleet::generate(16);
        let disclosure = disclosure(RecordType::DrugTest);
        let ed_key = SigningKey::generate(&mut rng);

        let mut aead_key = [0u8; 32];
        rng.fill_bytes(&mut aead_key);
        let mut aead_iv = [0u8; 12];
        rng.fill_bytes(&mut aead_iv);
        // A layer-0 shaped Enc_structure: protected {1: 24, kc}, external_aad = a SHA-256.
        let aead_aad = cose::enc_structure(&[0x5a; 43], &[0x33; 32]);

        let mut sealed = Vec::new();
        let mut prim = Vec::new();
        for size in SIZES {
            let mut payload = vec![0u8; size];
            rng.fill_bytes(&mut payload);
            let mut by_count = Vec::new();
            for n in COUNTS {
                let env = envelope::seal(
                    &sender,
                    &bundles[..n],
                    &disclosure,
                    &payload,
                    NOW,
                    SealOptions::default(),
                )
                .map(|s| s.bytes)
                .unwrap();
                for me in [&recipients[0], &recipients[n - 1]] {
                    let opened =
                        envelope::open(&env, me, &resolver, NOW, &OpenOptions::default()).unwrap();
                    assert_eq!(opened.payload, payload);
                }
                by_count.push(env);
            }
            sealed.push(by_count);
            // The Sig_structure exactly as `seal` builds it for one recipient.
            let metadata = Metadata {
                envelope_id: EnvelopeId([0x11; envelope::ENVELOPE_ID_LEN]),
                issued_at: NOW,
                audience: vec![bundles[0].encryption().kid()],
                disclosure: disclosure.clone(),
                ledger_head: None,
            };
            let protected = ProtectedHeader::new(
                metadata.to_protected_map(&sender.public().signing().kid(), &[0x22; 32]),
            );
            let sig_structure = cose::sig_structure(protected.as_bytes(), &[], &payload);
            let ed_sig = ed_key.sign(&sig_structure);
            let aead_ct = cose::aead_seal(&aead_key, &aead_iv, &aead_aad, &payload).unwrap();
            prim.push(Prim {
                sig_structure,
                ed_sig,
                payload,
                aead_ct,
            });
        }
        let many = (0..MANY)
            .map(|_| {
                envelope::seal(
                    &sender,
                    &bundles[..1],
                    &disclosure,
                    &prim[0].payload,
                    NOW,
                    SealOptions::default(),
                )
                .map(|s| s.bytes)
                .unwrap()
            })
            .collect();

        let x_static = StaticSecret::random_from_rng(&mut rng);
        let x_peer = PublicKey::from(&StaticSecret::random_from_rng(&mut rng));
        let mut ikm = [0u8; 32];
        rng.fill_bytes(&mut ikm);
        let hkdf = Hkdf::<Sha256>::new(None, &ikm);
        let mut cek = [0u8; 32];
        rng.fill_bytes(&mut cek);
        let hpke_protected = vec![0xa1, 0x01, 0x18, 0x32];
        let (hpke_ek, hpke_ct) = cose::hpke_wrap(
            recipients[0].public().encryption(),
            &hpke_protected,
            alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            &cek,
            &mut rng,
        )
        .unwrap();

        let identities: Vec<age::x25519::Identity> =
            (0..16).map(|_| age::x25519::Identity::generate()).collect();
        let age_recipients: Vec<age::x25519::Recipient> =
            identities.iter().map(|i| i.to_public()).collect();
        let hpke_secrets: Vec<<HpkeKem as hpke::Kem>::PrivateKey> = recipients
            .iter()
            .map(|k| {
                <HpkeKem as hpke::Kem>::PrivateKey::from_bytes(
                    k.encryption().expose_secret_bytes().as_ref(),
                )
                .unwrap()
            })
            .collect();
        let hpke_publics = recipients
            .iter()
            .map(|k| {
                <HpkeKem as hpke::Kem>::PublicKey::from_bytes(k.public().encryption().as_bytes())
                    .unwrap()
            })
            .collect();
        let mut f = Fixture {
            sender,
            recipients,
            bundles,
            resolver,
            disclosure,
            sealed,
            many,
            prim,
            ed_key,
            x_static,
            x_peer,
            aead_key,
            aead_iv,
            aead_aad,
            hkdf,
            cek,
            hpke_protected,
            hpke_ek,
            hpke_ct,
            age: AgePeer {
                identities,
                recipients: age_recipients,
                sealed: Vec::new(),
            },
            hpke: HpkePeer {
                secrets: hpke_secrets,
                publics: hpke_publics,
                sealed: Vec::new(),
            },
        };
        for size in SIZES {
            let mut a = Vec::new();
            let mut h = Vec::new();
            for n in COUNTS {
                let sealed_age = age_seal(&f, size, n);
                let sealed_hpke = hpke_seal(&f, size, n);
                for i in [0, n - 1] {
                    assert_eq!(age_open(&f, &sealed_age, i), f.prim[size_idx(size)].payload);
                    assert_eq!(
                        hpke_open(&f, &sealed_hpke, n, i),
                        f.prim[size_idx(size)].payload
                    );
                }
                a.push(sealed_age);
                h.push(sealed_hpke);
            }
            f.age.sealed.push(a);
            f.hpke.sealed.push(h);
        }
        f
    }

    fn sealed(&self, size: usize, n: usize) -> &[u8] {
        &self.sealed[size_idx(size)][count_idx(n)]
    }

    fn prim(&self, size: usize) -> &Prim {
        &self.prim[size_idx(size)]
    }
}

// ---------------------------------------------------------------------------------------------
// The operations, shared by criterion and the tables.

fn op_seal(f: &Fixture, size: usize, n: usize) {
    black_box(
        envelope::seal(
            &f.sender,
            black_box(&f.bundles[..n]),
            &f.disclosure,
            black_box(&f.prim(size).payload),
            NOW,
            SealOptions::default(),
        )
        .map(|s| s.bytes)
        .unwrap(),
    );
}

/// Opens the (size, n) envelope as recipient `who` (0 = first in kid order, n - 1 = last).
fn op_open(f: &Fixture, size: usize, n: usize, who: usize) {
    black_box(
        envelope::open(
            black_box(f.sealed(size, n)),
            &f.recipients[who],
            &f.resolver,
            NOW,
            &OpenOptions::default(),
        )
        .unwrap(),
    );
}

fn op_open_sequential(f: &Fixture) {
    let options = OpenOptions::default();
    for e in &f.many {
        black_box(envelope::open(e, &f.recipients[0], &f.resolver, NOW, &options).unwrap());
    }
}

fn op_open_many(f: &Fixture, refs: &[&[u8]]) {
    let options = OpenOptions::default();
    let out = envelope::open_many(refs, &f.recipients[0], &f.resolver, NOW, &options);
    assert!(out.iter().all(Result::is_ok));
    black_box(out);
}

fn op_sign(f: &Fixture, size: usize) {
    black_box(f.ed_key.sign(black_box(&f.prim(size).sig_structure)));
}

fn op_verify(f: &Fixture, size: usize) {
    let p = f.prim(size);
    f.ed_key
        .verifying_key()
        .verify_strict(black_box(&p.sig_structure), black_box(&p.ed_sig))
        .unwrap();
}

fn op_x25519_keygen() {
    let sk = EphemeralSecret::random_from_rng(&mut divex_core::testing::rng::os());
    black_box(PublicKey::from(&sk));
}

fn op_x25519_dh(f: &Fixture) {
    black_box(f.x_static.diffie_hellman(black_box(&f.x_peer)));
}

fn op_x25519_dh_divex(f: &Fixture) {
    black_box(divex_core::testing::dhkem::x25519(
        f.x_static.as_bytes(),
        black_box(f.x_peer.as_bytes()),
    ));
}

fn op_aead_seal(f: &Fixture, cipher: &ChaCha20Poly1305, size: usize) {
    let nonce = chacha20poly1305::Nonce::from(f.aead_iv);
    let msg = Payload {
        msg: black_box(&f.prim(size).payload),
        aad: &f.aead_aad,
    };
    black_box(cipher.encrypt(&nonce, msg).unwrap());
}

fn op_aead_open(f: &Fixture, cipher: &ChaCha20Poly1305, size: usize) {
    let nonce = chacha20poly1305::Nonce::from(f.aead_iv);
    let msg = Payload {
        msg: black_box(&f.prim(size).aead_ct),
        aad: &f.aead_aad,
    };
    black_box(cipher.decrypt(&nonce, msg).unwrap());
}

fn op_sha256(f: &Fixture, size: usize) {
    black_box(Sha256::digest(black_box(&f.prim(size).payload)));
}

fn op_hkdf_expand(f: &Fixture) {
    let mut out = [0u8; 32];
    f.hkdf
        .expand(black_box(envelope::KEY_COMMITMENT_INFO), &mut out)
        .unwrap();
    black_box(out);
}

fn op_key_commitment(f: &Fixture) {
    black_box(key_commitment(black_box(&f.cek)));
}

fn op_hpke_wrap(f: &Fixture) {
    black_box(
        cose::hpke_wrap(
            f.recipients[0].public().encryption(),
            &f.hpke_protected,
            alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            black_box(&f.cek),
            &mut divex_core::testing::rng::os(),
        )
        .unwrap(),
    );
}

fn op_hpke_unwrap(f: &Fixture) {
    black_box(
        cose::hpke_unwrap(
            f.recipients[0].encryption(),
            black_box(&f.hpke_ek),
            &f.hpke_protected,
            alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            &f.hpke_ct,
        )
        .unwrap(),
    );
}

fn op_hpke_crate_seal(f: &Fixture) {
    black_box(
        hpke::single_shot_seal::<HpkeAead, HpkeKdf, HpkeKem>(
            &hpke::OpModeS::Base,
            &f.hpke.publics[0],
            &f.hpke_protected,
            black_box(&f.cek),
            &[],
        )
        .unwrap(),
    );
}

fn op_hpke_crate_open(f: &Fixture) {
    let enc = <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(&f.hpke_ek).unwrap();
    let info = cose::recipient_structure(alg::CHACHA20_POLY1305, &f.hpke_protected, &[]);
    black_box(
        hpke::single_shot_open::<HpkeAead, HpkeKdf, HpkeKem>(
            &hpke::OpModeR::Base,
            &f.hpke.secrets[0],
            &enc,
            &info,
            black_box(&f.hpke_ct),
            &[],
        )
        .unwrap(),
    );
}

// --- Peer 1: age (X25519 recipients) + a separate Ed25519 signature ------------------------

/// Signs the payload, appends the signature, encrypts both with age to `n` recipients.
fn age_seal(f: &Fixture, size: usize, n: usize) -> Vec<u8> {
    let payload = &f.prim(size).payload;
    let sig = f.ed_key.sign(payload).to_bytes();
    let recipients = f.age.recipients[..n]
        .iter()
        .map(|r| r as &dyn age::Recipient);
    let encryptor = age::Encryptor::with_recipients(recipients).unwrap();
    let mut out = Vec::with_capacity(payload.len() + 256 * n);
    let mut w = encryptor.wrap_output(&mut out).unwrap();
    w.write_all(payload).unwrap();
    w.write_all(&sig).unwrap();
    w.finish().unwrap();
    out
}

/// Decrypts as recipient `who` (age tries the stanzas in order), then verifies the signature.
fn age_open(f: &Fixture, sealed: &[u8], who: usize) -> Vec<u8> {
    let d = age::Decryptor::new_buffered(sealed).unwrap();
    let mut r = d
        .decrypt(std::iter::once(
            &f.age.identities[who] as &dyn age::Identity,
        ))
        .unwrap();
    let mut pt = Vec::with_capacity(sealed.len());
    r.read_to_end(&mut pt).unwrap();
    let (payload, sig) = pt.split_at(pt.len() - 64);
    let sig = Signature::from_bytes(sig.try_into().unwrap());
    f.ed_key
        .verifying_key()
        .verify_strict(payload, &sig)
        .unwrap();
    payload.to_vec()
}

fn op_age_seal(f: &Fixture, size: usize, n: usize) {
    black_box(age_seal(f, size, n));
}

fn op_age_open(f: &Fixture, size: usize, n: usize, who: usize) {
    black_box(age_open(
        f,
        &f.age.sealed[size_idx(size)][count_idx(n)],
        who,
    ));
}

// --- Peer 2: the hpke crate composed by hand -------------------------------------------------
// Layout: n × (enc 32 ‖ wrapped CEK 48) ‖ nonce-0 ChaCha20-Poly1305(CEK, payload ‖ signature).

fn hpke_seal(f: &Fixture, size: usize, n: usize) -> Vec<u8> {
    let payload = &f.prim(size).payload;
    let sig = f.ed_key.sign(payload).to_bytes();
    let mut cek = [0u8; 32];
    divex_core::testing::rng::os().fill_bytes(&mut cek);
    let mut out = Vec::with_capacity(payload.len() + 80 * n + 96);
    for pk in &f.hpke.publics[..n] {
        let (enc, wrapped) = hpke::single_shot_seal::<HpkeAead, HpkeKdf, HpkeKem>(
            &hpke::OpModeS::Base,
            pk,
            b"",
            &cek,
            b"",
        )
        .unwrap();
        out.extend_from_slice(&enc.to_bytes());
        out.extend_from_slice(&wrapped);
    }
    let mut pt = Vec::with_capacity(payload.len() + 64);
    pt.extend_from_slice(payload);
    pt.extend_from_slice(&sig);
    let cipher = ChaCha20Poly1305::new(&cek.into());
    let ct = cipher
        .encrypt(&chacha20poly1305::Nonce::from([0; 12]), pt.as_slice())
        .unwrap();
    out.extend_from_slice(&ct);
    out
}

/// Opens as recipient `who`, who knows its stanza's index (no search).
fn hpke_open(f: &Fixture, sealed: &[u8], n: usize, who: usize) -> Vec<u8> {
    let stanza = &sealed[80 * who..80 * who + 80];
    let enc = <HpkeKem as hpke::Kem>::EncappedKey::from_bytes(&stanza[..32]).unwrap();
    let cek = hpke::single_shot_open::<HpkeAead, HpkeKdf, HpkeKem>(
        &hpke::OpModeR::Base,
        &f.hpke.secrets[who],
        &enc,
        b"",
        &stanza[32..],
        b"",
    )
    .unwrap();
    let cipher = ChaCha20Poly1305::new_from_slice(&cek).unwrap();
    let pt = cipher
        .decrypt(&chacha20poly1305::Nonce::from([0; 12]), &sealed[80 * n..])
        .unwrap();
    let (payload, sig) = pt.split_at(pt.len() - 64);
    let sig = Signature::from_bytes(sig.try_into().unwrap());
    f.ed_key
        .verifying_key()
        .verify_strict(payload, &sig)
        .unwrap();
    payload.to_vec()
}

fn op_hpke_peer_seal(f: &Fixture, size: usize, n: usize) {
    black_box(hpke_seal(f, size, n));
}

fn op_hpke_peer_open(f: &Fixture, size: usize, n: usize, who: usize) {
    black_box(hpke_open(
        f,
        &f.hpke.sealed[size_idx(size)][count_idx(n)],
        n,
        who,
    ));
}

fn raw_cipher(f: &Fixture) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new_from_slice(&f.aead_key).unwrap()
}

/// Openers measured for an `n`-recipient envelope: (label, index).
fn openers(n: usize) -> Vec<(&'static str, usize)> {
    if n == 1 {
        vec![("only", 0)]
    } else {
        vec![("first", 0), ("last", n - 1)]
    }
}

// ---------------------------------------------------------------------------------------------
// Criterion groups

fn criterion_groups(c: &mut Criterion, f: &Fixture) {
    let cipher = raw_cipher(f);
    for size in SIZES {
        let mut g = c.benchmark_group(format!("envelope_{}", size_name(size)));
        g.throughput(Throughput::Bytes(size as u64));
        for n in COUNTS {
            g.bench_function(BenchmarkId::new("divex_seal", n), |b| {
                b.iter(|| op_seal(f, size, n));
            });
            g.bench_function(BenchmarkId::new("age_sig_seal", n), |b| {
                b.iter(|| op_age_seal(f, size, n));
            });
            g.bench_function(BenchmarkId::new("hpke_sig_seal", n), |b| {
                b.iter(|| op_hpke_peer_seal(f, size, n));
            });
            for (who, i) in openers(n) {
                let id = format!("{n}_{who}");
                g.bench_function(BenchmarkId::new("divex_open", &id), |b| {
                    b.iter(|| op_open(f, size, n, i));
                });
                g.bench_function(BenchmarkId::new("age_sig_open", &id), |b| {
                    b.iter(|| op_age_open(f, size, n, i));
                });
                g.bench_function(BenchmarkId::new("hpke_sig_open", &id), |b| {
                    b.iter(|| op_hpke_peer_open(f, size, n, i));
                });
            }
        }
        g.finish();

        let mut g = c.benchmark_group(format!("primitives_{}", size_name(size)));
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("ed25519_sign", |b| b.iter(|| op_sign(f, size)));
        g.bench_function("ed25519_verify_strict", |b| b.iter(|| op_verify(f, size)));
        g.bench_function("chacha20poly1305_seal", |b| {
            b.iter(|| op_aead_seal(f, &cipher, size));
        });
        g.bench_function("chacha20poly1305_open", |b| {
            b.iter(|| op_aead_open(f, &cipher, size));
        });
        g.bench_function("sha256", |b| b.iter(|| op_sha256(f, size)));
        g.finish();
    }
    let mut g = c.benchmark_group("primitives");
    g.bench_function("x25519_keygen", |b| b.iter(op_x25519_keygen));
    g.bench_function("x25519_dh", |b| b.iter(|| op_x25519_dh(f)));
    g.bench_function("x25519_dh_divex_edwards", |b| {
        b.iter(|| op_x25519_dh_divex(f));
    });
    g.bench_function("hkdf_sha256_expand_32B", |b| b.iter(|| op_hkdf_expand(f)));
    g.bench_function("key_commitment", |b| b.iter(|| op_key_commitment(f)));
    g.bench_function("cose_hpke_wrap", |b| b.iter(|| op_hpke_wrap(f)));
    g.bench_function("cose_hpke_unwrap", |b| b.iter(|| op_hpke_unwrap(f)));
    g.bench_function("hpke_crate_seal", |b| b.iter(|| op_hpke_crate_seal(f)));
    g.bench_function("hpke_crate_open", |b| b.iter(|| op_hpke_crate_open(f)));
    g.finish();

    let refs: Vec<&[u8]> = f.many.iter().map(Vec::as_slice).collect();
    let mut g = c.benchmark_group("open_1000_envelopes");
    g.sample_size(10);
    g.throughput(Throughput::Elements(MANY as u64));
    g.bench_function("sequential_open", |b| b.iter(|| op_open_sequential(f)));
    g.bench_function("open_many", |b| b.iter(|| op_open_many(f, &refs)));
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Median tables in thread CPU time

#[derive(Clone, Copy)]
struct Budget {
    warm_up: Duration,
    total: Duration,
    batches: usize,
}

impl Budget {
    const TABLE: Budget = Budget {
        warm_up: Duration::from_millis(60),
        total: Duration::from_millis(300),
        batches: 31,
    };
    /// `cargo test --benches`: run each operation once, as a smoke test.
    const SMOKE: Budget = Budget {
        warm_up: Duration::ZERO,
        total: Duration::ZERO,
        batches: 1,
    };
}

/// Thread CPU time in nanoseconds.
fn cpu_ns() -> u128 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u128::from(t.tv_sec.unsigned_abs()) * 1_000_000_000 + u128::from(t.tv_nsec.unsigned_abs())
}

struct Timed<'a> {
    op: Box<dyn FnMut() + 'a>,
    iters: u64,
    samples: Vec<f64>,
    wall: Vec<f64>,
}

/// Operations timed round-robin, so that background load affects all alike.
#[derive(Default)]
struct Bench<'a> {
    ops: Vec<Timed<'a>>,
}

impl<'a> Bench<'a> {
    fn add(&mut self, op: impl FnMut() + 'a) -> usize {
        self.ops.push(Timed {
            op: Box::new(op),
            iters: 1,
            samples: Vec::new(),
            wall: Vec::new(),
        });
        self.ops.len() - 1
    }

    fn run(&mut self, budget: Budget) {
        let batch_ns = budget.total.as_nanos() as f64 / budget.batches as f64;
        for t in &mut self.ops {
            let start = cpu_ns();
            let mut n = 0u64;
            loop {
                (t.op)();
                n += 1;
                if cpu_ns() - start >= budget.warm_up.as_nanos() {
                    break;
                }
            }
            let per_iter = (cpu_ns() - start) as f64 / n as f64;
            t.iters = ((batch_ns / per_iter.max(1.0)) as u64).max(1);
        }
        for _ in 0..budget.batches {
            for t in &mut self.ops {
                let wall = Instant::now();
                let start = cpu_ns();
                for _ in 0..t.iters {
                    (t.op)();
                }
                t.samples.push((cpu_ns() - start) as f64 / t.iters as f64);
                t.wall
                    .push(wall.elapsed().as_nanos() as f64 / t.iters as f64);
            }
        }
    }

    fn median_of(v: &[f64]) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        match s.len() {
            0 => f64::NAN,
            l if l % 2 == 1 => s[l / 2],
            l => (s[l / 2 - 1] + s[l / 2]) / 2.0,
        }
    }

    /// Median thread CPU time per iteration of operation `i`, in nanoseconds.
    fn median(&self, i: usize) -> f64 {
        Self::median_of(&self.ops[i].samples)
    }

    /// Median wall-clock time per iteration of operation `i`, in nanoseconds.
    fn median_wall(&self, i: usize) -> f64 {
        Self::median_of(&self.ops[i].wall)
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.1} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

/// The signed consent attached to a disclosure in the size table: the PC 1000 §2.35 consent of
/// spec/vectors/consent/001 (signed by the participant, witnessed), as a recipient receives it.
fn consent_copy() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/vectors/consent/001-consent-ok-pc1000-2-35.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    hex::decode(v["input"].as_str().unwrap()).unwrap()
}

/// A disclosure-shaped payload: `{"record": bstr}` or `{"consent": bstr, "record": bstr}`.
fn disclosure_payload(record: &[u8], consent: Option<&[u8]>) -> Vec<u8> {
    let mut m = Map::new();
    let _ = m.insert(Value::from("record"), Value::bytes(record));
    if let Some(c) = consent {
        let _ = m.insert(Value::from("consent"), Value::bytes(c));
    }
    codec::encode(&Value::Map(m))
}

fn size_table(f: &Fixture, out: &mut String) {
    let record = &f.prim(1024).payload;
    let consent = consent_copy();
    let _ = writeln!(
        out,
        "\n### Envelope size (1 KiB record; consent copy = spec/vectors/consent/001, {} B)\n",
        consent.len()
    );
    let _ = writeln!(
        out,
        "| recipients | envelope, consent referenced | overhead over the 1 KiB record | \
         envelope, consent attached | overhead incl. consent copy | per added recipient |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
    let mut prev: Option<(usize, usize)> = None;
    for n in COUNTS {
        let without = envelope::seal(
            &f.sender,
            &f.bundles[..n],
            &f.disclosure,
            &disclosure_payload(record, None),
            NOW,
            SealOptions::default(),
        )
        .map(|s| s.bytes)
        .unwrap()
        .len();
        let with = envelope::seal(
            &f.sender,
            &f.bundles[..n],
            &f.disclosure,
            &disclosure_payload(record, Some(&consent)),
            NOW,
            SealOptions::default(),
        )
        .map(|s| s.bytes)
        .unwrap()
        .len();
        let per = prev.map_or("—".to_owned(), |(pn, plen)| {
            format!("{:.1}", (without - plen) as f64 / (n - pn) as f64)
        });
        let _ = writeln!(
            out,
            "| {n} | {without} B | {} B | {with} B | {} B | {per} |",
            without - record.len(),
            with - record.len()
        );
        prev = Some((n, without));
    }
}

fn tables(f: &Fixture, budget: Budget, print: bool) {
    let cipher = raw_cipher(f);
    let refs: Vec<&[u8]> = f.many.iter().map(Vec::as_slice).collect();
    let mut b = Bench::default();

    // Primitives.
    let keygen = b.add(op_x25519_keygen);
    let dh = b.add(|| op_x25519_dh(f));
    let dh_divex = b.add(|| op_x25519_dh_divex(f));
    let hkdf = b.add(|| op_hkdf_expand(f));
    let commit = b.add(|| op_key_commitment(f));
    let wrap = b.add(|| op_hpke_wrap(f));
    let unwrap = b.add(|| op_hpke_unwrap(f));
    let hpke_seal_c = b.add(|| op_hpke_crate_seal(f));
    let hpke_open_c = b.add(|| op_hpke_crate_open(f));
    let mut per_size = Vec::new();
    for size in SIZES {
        let cipher = &cipher;
        per_size.push((
            size,
            b.add(move || op_sign(f, size)),
            b.add(move || op_verify(f, size)),
            b.add(move || op_aead_seal(f, cipher, size)),
            b.add(move || op_aead_open(f, cipher, size)),
            b.add(move || op_sha256(f, size)),
        ));
    }
    // Envelope and peers: (size, n, seal ids, open ids per opener).
    struct Row {
        size: usize,
        n: usize,
        seal: [usize; 3],
        open: Vec<(&'static str, [usize; 3])>,
    }
    let mut rows = Vec::new();
    for size in SIZES {
        for n in COUNTS {
            let seal = [
                b.add(move || op_seal(f, size, n)),
                b.add(move || op_age_seal(f, size, n)),
                b.add(move || op_hpke_peer_seal(f, size, n)),
            ];
            let open = openers(n)
                .into_iter()
                .map(|(who, i)| {
                    (
                        who,
                        [
                            b.add(move || op_open(f, size, n, i)),
                            b.add(move || op_age_open(f, size, n, i)),
                            b.add(move || op_hpke_peer_open(f, size, n, i)),
                        ],
                    )
                })
                .collect();
            rows.push(Row {
                size,
                n,
                seal,
                open,
            });
        }
    }
    let seq = b.add(|| op_open_sequential(f));
    let many = b.add(|| op_open_many(f, &refs));

    b.run(budget);
    if !print {
        return;
    }
    let m = |i: usize| b.median(i);
    let mut out = String::new();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let _ = writeln!(
        out,
        "Medians of {} batches (~{} ms per operation), thread CPU time, operations interleaved \
         round-robin. Load average at the end of the run: {}",
        budget.batches,
        budget.total.as_millis(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    let _ = writeln!(out, "\n### Primitives\n");
    let _ = writeln!(out, "| primitive | median (CPU) | median (wall) |");
    let _ = writeln!(out, "|---|---:|---:|");
    let mut prim_row = |name: String, i: usize| {
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            fmt_ns(b.median(i)),
            fmt_ns(b.median_wall(i))
        );
    };
    prim_row(
        "X25519 key generation (EphemeralSecret + PublicKey)".into(),
        keygen,
    );
    prim_row("X25519 DH (x25519-dalek, Montgomery ladder)".into(), dh);
    prim_row(
        "X25519 DH as divex computes it (dhkem::x25519, Edwards form)".into(),
        dh_divex,
    );
    prim_row("HKDF-SHA256 expand, 32 B".into(), hkdf);
    prim_row(
        "key commitment (HKDF-SHA256 extract + expand)".into(),
        commit,
    );
    prim_row("cose::hpke_wrap (divex DHKEM, 32 B CEK)".into(), wrap);
    prim_row("cose::hpke_unwrap (divex DHKEM, 32 B CEK)".into(), unwrap);
    prim_row("hpke crate single_shot_seal (32 B)".into(), hpke_seal_c);
    prim_row("hpke crate single_shot_open (32 B)".into(), hpke_open_c);
    for &(size, sign, verify, aseal, aopen, sha) in &per_size {
        let sig_len = f.prim(size).sig_structure.len();
        let s = size_name(size);
        prim_row(format!("Ed25519 sign ({sig_len} B Sig_structure)"), sign);
        prim_row(format!("Ed25519 verify_strict ({sig_len} B)"), verify);
        prim_row(format!("ChaCha20-Poly1305 seal {s}"), aseal);
        prim_row(format!("ChaCha20-Poly1305 open {s}"), aopen);
        prim_row(format!("SHA-256 {s}"), sha);
    }

    let floor_of = |size: usize| {
        let &(_, sign, verify, aseal, aopen, _) = per_size.iter().find(|p| p.0 == size).unwrap();
        (m(sign), m(verify), m(aseal), m(aopen))
    };
    let _ = writeln!(out, "\n### divex against its primitive floor\n");
    let _ = writeln!(
        out,
        "seal floor = sign + n·(X25519 keygen + DH) + AEAD seal; open floor = DH + AEAD open + \
         verify_strict, with x25519-dalek's DH (the issue's definition). floor′ is the same sum \
         with divex's own, faster X25519 (dhkem::x25519): the overhead over what divex itself \
         computes.\n"
    );
    let _ = writeln!(
        out,
        "| operation | payload | recipients | divex | floor | divex / floor | floor′ | divex / floor′ |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let (sign, verify, aseal, aopen) = floor_of(r.size);
        let seal_floor = |dh: f64| sign + r.n as f64 * (m(keygen) + dh) + aseal;
        let open_floor = |dh: f64| dh + aopen + verify;
        let s = size_name(r.size);
        let v = m(r.seal[0]);
        let (f1, f2) = (seal_floor(m(dh)), seal_floor(m(dh_divex)));
        let _ = writeln!(
            out,
            "| seal | {s} | {} | {} | {} | {:.2} | {} | {:.2} |",
            r.n,
            fmt_ns(v),
            fmt_ns(f1),
            v / f1,
            fmt_ns(f2),
            v / f2
        );
        for (who, ids) in &r.open {
            let v = m(ids[0]);
            let (f1, f2) = (open_floor(m(dh)), open_floor(m(dh_divex)));
            let _ = writeln!(
                out,
                "| open as {who} | {s} | {} | {} | {} | {:.2} | {} | {:.2} |",
                r.n,
                fmt_ns(v),
                fmt_ns(f1),
                v / f1,
                fmt_ns(f2),
                v / f2
            );
        }
    }

    let _ = writeln!(out, "\n### divex against peers (same job, same run)\n");
    let _ = writeln!(
        out,
        "age + sig = `age` 0.12 X25519 recipients + Ed25519 signature over the payload (age \
         finds its stanza by trial decryption); hpke + sig = `hpke` 0.15 single-shot per \
         recipient + one ChaCha20-Poly1305 + Ed25519 (opener knows its stanza index).\n"
    );
    let _ = writeln!(
        out,
        "| operation | payload | recipients | divex | age + sig | divex / age | hpke + sig | \
         divex / hpke |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
    let mut peer_row = |op: String, s: &str, n: usize, ids: &[usize; 3]| {
        let (d, a, h) = (m(ids[0]), m(ids[1]), m(ids[2]));
        let _ = writeln!(
            out,
            "| {op} | {s} | {n} | {} | {} | {:.2} | {} | {:.2} |",
            fmt_ns(d),
            fmt_ns(a),
            d / a,
            fmt_ns(h),
            d / h
        );
    };
    for r in &rows {
        let s = size_name(r.size);
        peer_row("seal".into(), s, r.n, &r.seal);
        for (who, ids) in &r.open {
            peer_row(format!("open as {who}"), s, r.n, ids);
        }
    }

    let _ = writeln!(
        out,
        "\n### open_many against sequential open ({MANY} valid 1 KiB envelopes)\n"
    );
    let _ = writeln!(out, "| | time for {MANY} | envelopes/s | speed-up |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let (s_ns, m_ns) = (m(seq), m(many));
    let _ = writeln!(
        out,
        "| sequential `open_with` | {} | {:.0} | 1.00 |",
        fmt_ns(s_ns),
        MANY as f64 * 1e9 / s_ns
    );
    let _ = writeln!(
        out,
        "| `open_many` | {} | {:.0} | {:.2} |",
        fmt_ns(m_ns),
        MANY as f64 * 1e9 / m_ns,
        s_ns / m_ns
    );

    size_table(f, &mut out);

    println!("\n{out}");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/divex-bench");
    if std::fs::create_dir_all(dir).is_ok() {
        let _ = std::fs::write(format!("{dir}/tables.md"), &out);
        println!("(written to target/divex-bench/tables.md)");
    }
}

// ---------------------------------------------------------------------------------------------

/// Whether criterion will be in benchmark mode (mirrors `Criterion::configure_from_args`):
/// `--bench` given, and none of `--test`, `--list`, `--profile-time`.
fn benchmark_mode() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    has("--bench") && !has("--test") && !has("--list") && !has("--profile-time")
}

fn main() {
    let fixture = Fixture::new();
    let tables_only = std::env::var_os("DIVEX_BENCH_TABLES_ONLY").is_some_and(|v| v == "1");
    if !(tables_only && benchmark_mode()) {
        let mut criterion = Criterion::default()
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(10)
            .configure_from_args();
        criterion_groups(&mut criterion, &fixture);
        criterion.final_summary();
    }
    if benchmark_mode() {
        tables(&fixture, Budget::TABLE, true);
    } else {
        tables(&fixture, Budget::SMOKE, false);
    }
}

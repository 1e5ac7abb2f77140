//! `envelope::seal` / `envelope::open` against the primitives they are built from.
//!
//! Run with `cargo bench -p divex-core --bench seal_open`. The criterion groups come first;
//! afterwards (in benchmark mode only) a table of medians compares each envelope operation
//! with its "primitive floor":
//!
//! * seal floor (n recipients) = Ed25519 sign + n · (X25519 keygen + X25519 DH) + AEAD(1 KiB)
//! * open floor                = X25519 DH + AEAD(1 KiB) + Ed25519 verify_strict
//!
//! Criterion does not hand its estimates back to the caller, so the table comes from a small
//! separate measurement: per operation, a warm-up, then 30 timed batches filling ~200 ms, and
//! the median of the per-iteration batch means.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use criterion::{BenchmarkId, Criterion, Throughput};
use divex_core::cose::{self, HpkeParams, ProtectedHeader, alg};
use divex_core::envelope::{
    self, ConsentRef, Disclosure, EnvelopeId, Metadata, StaticResolver, key_commitment,
};
use divex_core::keys::{AgencyKeys, PublicBundle};
use ed25519_dalek::{Signer, SigningKey};
use hkdf::Hkdf;
use rand_core::Rng;
use sha2::{Digest, Sha256};
use x25519_dalek::{EphemeralSecret, PublicKey, StaticSecret};

/// Issue time of every envelope (and the `now` given to `open`).
const NOW: u64 = 1_790_000_000;
/// Payload size.
const PAYLOAD_LEN: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Fixtures

struct Fixture {
    sender: AgencyKeys,
    /// Four recipients, sorted by encryption kid (the order of the envelope's recipients).
    recipients: Vec<AgencyKeys>,
    bundles1: Vec<PublicBundle>,
    bundles4: Vec<PublicBundle>,
    resolver: StaticResolver,
    disclosure: Disclosure,
    payload: Vec<u8>,
    sealed1: Vec<u8>,
    sealed4: Vec<u8>,
    /// The real inner `Sig_structure` of a one-recipient envelope with this payload.
    sig_structure: Vec<u8>,
    // Primitive inputs.
    ed_key: SigningKey,
    ed_sig: ed25519_dalek::Signature,
    x_static: StaticSecret,
    x_peer: PublicKey,
    aead_key: [u8; 32],
    aead_iv: [u8; 12],
    aead_aad: Vec<u8>,
    aead_ct: Vec<u8>,
    hkdf: Hkdf<Sha256>,
    cek: [u8; 32],
    hpke_protected: Vec<u8>,
    hpke_ek: [u8; 32],
    hpke_ct: Vec<u8>,
}

impl Fixture {
    fn new() -> Fixture {
        let mut rng = divex_core::rng::os();
        let sender = AgencyKeys::generate();
        let mut recipients: Vec<AgencyKeys> = (0..4).map(|_| AgencyKeys::generate()).collect();
        recipients.sort_by_key(|k| k.public().encryption().kid());
        let bundles4: Vec<PublicBundle> = recipients.iter().map(|k| k.public().clone()).collect();
        let bundles1: Vec<PublicBundle> = bundles4.iter().take(1).cloned().collect();

        let mut resolver = StaticResolver::new();
        resolver.insert("provider-1", sender.public().signing().clone());
        let disclosure = Disclosure {
            purpose: "cj-monitor-conditional-release".into(),
            consent: ConsentRef {
                id: "consent-2026-0042".into(),
                digest: [7; 32],
            },
            record_type: "drug_test".into(),
            labels: vec!["42CFRPart2".into()],
            notice: "part2-short".into(),
            redacted: vec![],
        };
        let mut payload = vec![0u8; PAYLOAD_LEN];
        rng.fill_bytes(&mut payload);

        let sealed1 = envelope::seal(&sender, &bundles1, &disclosure, &payload, NOW).unwrap();
        let sealed4 = envelope::seal(&sender, &bundles4, &disclosure, &payload, NOW).unwrap();
        for (sealed, who) in [
            (&sealed1, recipients.first()),
            (&sealed4, recipients.first()),
            (&sealed4, recipients.last()),
        ] {
            let opened = envelope::open(sealed, who.unwrap(), &resolver, NOW).unwrap();
            assert_eq!(opened.payload, payload);
        }

        // The Sig_structure exactly as `seal` builds it for one recipient.
        let metadata = Metadata {
            envelope_id: EnvelopeId([0x11; envelope::ENVELOPE_ID_LEN]),
            issued_at: NOW,
            audience: bundles1.iter().map(|b| b.encryption().kid()).collect(),
            disclosure: disclosure.clone(),
        };
        let protected = ProtectedHeader::new(
            metadata.to_protected_map(&sender.public().signing().kid(), &[0x22; 32]),
        );
        let sig_structure = cose::sig_structure(protected.as_bytes(), &[], &payload);

        let ed_key = SigningKey::generate(&mut rng);
        let ed_sig = ed_key.sign(&sig_structure);

        let x_static = StaticSecret::random_from_rng(&mut rng);
        let x_peer = PublicKey::from(&StaticSecret::random_from_rng(&mut rng));

        let mut aead_key = [0u8; 32];
        rng.fill_bytes(&mut aead_key);
        let mut aead_iv = [0u8; 12];
        rng.fill_bytes(&mut aead_iv);
        // A layer-0 shaped Enc_structure: protected {1: 24}, external_aad = a SHA-256.
        let aead_aad = cose::enc_structure(&[0xa1, 0x01, 0x18, 0x18], &[0x33; 32]);
        let aead_ct = cose::aead_seal(&aead_key, &aead_iv, &aead_aad, &payload).unwrap();

        let mut ikm = [0u8; 32];
        rng.fill_bytes(&mut ikm);
        let hkdf = Hkdf::<Sha256>::new(None, &ikm);

        let mut cek = [0u8; 32];
        rng.fill_bytes(&mut cek);
        let first = recipients.first().unwrap();
        let hpke_protected = vec![0xa1, 0x01, 0x18, 0x32];
        let (hpke_ek, hpke_ct) = cose::hpke_wrap(
            first.public().encryption(),
            &hpke_protected,
            alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            &cek,
            &mut rng,
        )
        .unwrap();

        Fixture {
            sender,
            recipients,
            bundles1,
            bundles4,
            resolver,
            disclosure,
            payload,
            sealed1,
            sealed4,
            sig_structure,
            ed_key,
            ed_sig,
            x_static,
            x_peer,
            aead_key,
            aead_iv,
            aead_aad,
            aead_ct,
            hkdf,
            cek,
            hpke_protected,
            hpke_ek,
            hpke_ct,
        }
    }

    fn first(&self) -> &AgencyKeys {
        self.recipients.first().unwrap()
    }

    fn last(&self) -> &AgencyKeys {
        self.recipients.last().unwrap()
    }

    fn bundles(&self, n: usize) -> &[PublicBundle] {
        if n == 1 {
            &self.bundles1
        } else {
            &self.bundles4
        }
    }

    fn sealed(&self, n: usize) -> &[u8] {
        if n == 1 { &self.sealed1 } else { &self.sealed4 }
    }
}

// ---------------------------------------------------------------------------------------------
// The operations, shared by the criterion groups and the table.

fn op_seal(f: &Fixture, n: usize) {
    black_box(
        envelope::seal(
            &f.sender,
            black_box(f.bundles(n)),
            &f.disclosure,
            black_box(&f.payload),
            NOW,
        )
        .unwrap(),
    );
}

fn op_open(f: &Fixture, n: usize, me: &AgencyKeys) {
    black_box(envelope::open(black_box(f.sealed(n)), me, &f.resolver, NOW).unwrap());
}

fn op_ed25519_sign(f: &Fixture) {
    black_box(f.ed_key.sign(black_box(&f.sig_structure)));
}

fn op_ed25519_verify_strict(f: &Fixture) {
    f.ed_key
        .verifying_key()
        .verify_strict(black_box(&f.sig_structure), black_box(&f.ed_sig))
        .unwrap();
}

fn op_x25519_keygen_static() {
    let sk = StaticSecret::random_from_rng(&mut divex_core::rng::os());
    black_box(PublicKey::from(&sk));
}

fn op_x25519_keygen_ephemeral() {
    let sk = EphemeralSecret::random_from_rng(&mut divex_core::rng::os());
    black_box(PublicKey::from(&sk));
}

fn op_x25519_dh(f: &Fixture) {
    black_box(f.x_static.diffie_hellman(black_box(&f.x_peer)));
}

fn op_aead_seal_cose(f: &Fixture) {
    black_box(
        cose::aead_seal(&f.aead_key, &f.aead_iv, &f.aead_aad, black_box(&f.payload)).unwrap(),
    );
}

fn op_aead_seal_raw(f: &Fixture, cipher: &ChaCha20Poly1305) {
    let nonce = chacha20poly1305::Nonce::from(f.aead_iv);
    let msg = Payload {
        msg: black_box(&f.payload),
        aad: &f.aead_aad,
    };
    black_box(cipher.encrypt(&nonce, msg).unwrap());
}

fn op_aead_open_raw(f: &Fixture, cipher: &ChaCha20Poly1305) {
    let nonce = chacha20poly1305::Nonce::from(f.aead_iv);
    let msg = Payload {
        msg: black_box(&f.aead_ct),
        aad: &f.aead_aad,
    };
    black_box(cipher.decrypt(&nonce, msg).unwrap());
}

fn op_sha256(f: &Fixture) {
    black_box(Sha256::digest(black_box(&f.payload)));
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
            f.first().public().encryption(),
            &f.hpke_protected,
            alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            black_box(&f.cek),
            &mut divex_core::rng::os(),
        )
        .unwrap(),
    );
}

fn op_hpke_unwrap(f: &Fixture) {
    black_box(
        cose::hpke_unwrap(
            f.first().encryption(),
            black_box(&f.hpke_ek),
            &f.hpke_protected,
            alg::CHACHA20_POLY1305,
            HpkeParams::default(),
            &f.hpke_ct,
        )
        .unwrap(),
    );
}

fn raw_cipher(f: &Fixture) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new_from_slice(&f.aead_key).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Criterion groups

fn bench_envelope(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("envelope");
    g.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    for n in [1usize, 4] {
        g.bench_function(
            BenchmarkId::new("seal_1KiB", format!("{n}_recipients")),
            |b| {
                b.iter(|| op_seal(f, n));
            },
        );
    }
    g.bench_function(BenchmarkId::new("open_1KiB", "1_recipient"), |b| {
        b.iter(|| op_open(f, 1, f.first()));
    });
    g.bench_function(BenchmarkId::new("open_1KiB", "4_recipients_first"), |b| {
        b.iter(|| op_open(f, 4, f.first()));
    });
    g.bench_function(BenchmarkId::new("open_1KiB", "4_recipients_last"), |b| {
        b.iter(|| op_open(f, 4, f.last()));
    });
    g.finish();
}

fn bench_primitives(c: &mut Criterion, f: &Fixture) {
    let cipher = raw_cipher(f);
    let mut g = c.benchmark_group("primitives");
    let sig_len = f.sig_structure.len();
    g.bench_function(format!("ed25519_sign_{sig_len}B"), |b| {
        b.iter(|| op_ed25519_sign(f));
    });
    g.bench_function(format!("ed25519_verify_strict_{sig_len}B"), |b| {
        b.iter(|| op_ed25519_verify_strict(f));
    });
    g.bench_function("x25519_keygen_static", |b| {
        b.iter(op_x25519_keygen_static);
    });
    g.bench_function("x25519_keygen_ephemeral", |b| {
        b.iter(op_x25519_keygen_ephemeral);
    });
    g.bench_function("x25519_dh", |b| b.iter(|| op_x25519_dh(f)));
    g.bench_function("hkdf_sha256_expand_32B", |b| b.iter(|| op_hkdf_expand(f)));
    g.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    g.bench_function("chacha20poly1305_seal_1KiB_cose", |b| {
        b.iter(|| op_aead_seal_cose(f));
    });
    g.bench_function("chacha20poly1305_seal_1KiB_raw", |b| {
        b.iter(|| op_aead_seal_raw(f, &cipher));
    });
    g.bench_function("chacha20poly1305_open_1KiB_raw", |b| {
        b.iter(|| op_aead_open_raw(f, &cipher));
    });
    g.bench_function("sha256_1KiB", |b| b.iter(|| op_sha256(f)));
    g.finish();
}

fn bench_layers(c: &mut Criterion, f: &Fixture) {
    let mut g = c.benchmark_group("layers");
    g.bench_function("hpke_wrap_cek", |b| b.iter(|| op_hpke_wrap(f)));
    g.bench_function("hpke_unwrap_cek", |b| b.iter(|| op_hpke_unwrap(f)));
    g.bench_function("key_commitment", |b| b.iter(|| op_key_commitment(f)));
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Median table

#[derive(Clone, Copy)]
struct Budget {
    warm_up: Duration,
    total: Duration,
    batches: usize,
}

impl Budget {
    const TABLE: Budget = Budget {
        warm_up: Duration::from_millis(50),
        total: Duration::from_millis(200),
        batches: 30,
    };
    /// `cargo test --benches`: run each operation once, as a smoke test.
    const SMOKE: Budget = Budget {
        warm_up: Duration::ZERO,
        total: Duration::ZERO,
        batches: 1,
    };
}

/// One operation of the table: its closure, batch size and per-iteration batch means.
struct Timed<'a> {
    op: Box<dyn FnMut() + 'a>,
    iters: u64,
    samples: Vec<f64>,
}

/// Times a set of operations. Each is warmed up and calibrated so that `budget.batches`
/// batches fill `budget.total`; the batches are then run round-robin (one batch of every
/// operation per round), so that background load affects all operations alike and the
/// ratios between them stay meaningful.
#[derive(Default)]
struct Bench<'a> {
    ops: Vec<Timed<'a>>,
}

impl<'a> Bench<'a> {
    /// Adds an operation; returns its index for [`Bench::median`].
    fn add(&mut self, op: impl FnMut() + 'a) -> usize {
        self.ops.push(Timed {
            op: Box::new(op),
            iters: 1,
            samples: Vec::new(),
        });
        self.ops.len() - 1
    }

    fn run(&mut self, budget: Budget) {
        let batch_ns = budget.total.as_nanos() as f64 / budget.batches as f64;
        for t in &mut self.ops {
            let start = Instant::now();
            let mut n = 0u64;
            loop {
                (t.op)();
                n += 1;
                if start.elapsed() >= budget.warm_up {
                    break;
                }
            }
            let per_iter = start.elapsed().as_nanos() as f64 / n as f64;
            t.iters = ((batch_ns / per_iter.max(1.0)) as u64).max(1);
            t.samples = Vec::with_capacity(budget.batches);
        }
        for _ in 0..budget.batches {
            for t in &mut self.ops {
                let start = Instant::now();
                for _ in 0..t.iters {
                    (t.op)();
                }
                t.samples
                    .push(start.elapsed().as_nanos() as f64 / t.iters as f64);
            }
        }
    }

    /// Median per-iteration time of operation `i`, in nanoseconds.
    fn median(&self, i: usize) -> f64 {
        let Some(t) = self.ops.get(i) else {
            return f64::NAN;
        };
        let mut s = t.samples.clone();
        s.sort_by(f64::total_cmp);
        let mid = s.len() / 2;
        match (s.get(mid), s.len() % 2) {
            (Some(m), 1) => *m,
            (Some(m), _) => (m + s.get(mid.wrapping_sub(1)).copied().unwrap_or(*m)) / 2.0,
            (None, _) => f64::NAN,
        }
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn print_table(f: &Fixture, budget: Budget, print: bool) {
    let cipher = raw_cipher(f);
    let mut b = Bench::default();

    // Primitives.
    let sign = b.add(|| op_ed25519_sign(f));
    let verify = b.add(|| op_ed25519_verify_strict(f));
    let keygen_static = b.add(op_x25519_keygen_static);
    let keygen_eph = b.add(op_x25519_keygen_ephemeral);
    let dh = b.add(|| op_x25519_dh(f));
    let aead_cose = b.add(|| op_aead_seal_cose(f));
    let aead_seal = b.add(|| op_aead_seal_raw(f, &cipher));
    let aead_open = b.add(|| op_aead_open_raw(f, &cipher));
    let sha = b.add(|| op_sha256(f));
    let hkdf = b.add(|| op_hkdf_expand(f));
    // Layers.
    let commit = b.add(|| op_key_commitment(f));
    let wrap = b.add(|| op_hpke_wrap(f));
    let unwrap = b.add(|| op_hpke_unwrap(f));
    // Envelope.
    let seal1 = b.add(|| op_seal(f, 1));
    let seal4 = b.add(|| op_seal(f, 4));
    let open1 = b.add(|| op_open(f, 1, f.first()));
    let open4_first = b.add(|| op_open(f, 4, f.first()));
    let open4_last = b.add(|| op_open(f, 4, f.last()));

    b.run(budget);
    let m = |i| b.median(i);
    let sign = m(sign);
    let verify = m(verify);
    let keygen_static = m(keygen_static);
    let keygen_eph = m(keygen_eph);
    let dh = m(dh);
    let aead_cose = m(aead_cose);
    let aead_seal = m(aead_seal);
    let aead_open = m(aead_open);
    let sha = m(sha);
    let hkdf = m(hkdf);
    let commit = m(commit);
    let wrap = m(wrap);
    let unwrap = m(unwrap);
    let seal1 = m(seal1);
    let seal4 = m(seal4);
    let open1 = m(open1);
    let open4_first = m(open4_first);
    let open4_last = m(open4_last);

    if !print {
        return;
    }
    let seal_floor = |n: f64| sign + n * (keygen_eph + dh) + aead_seal;
    let open_floor = dh + aead_open + verify;
    let sig_len = f.sig_structure.len();

    println!();
    println!(
        "divex seal/open vs primitive floor — median of {} batches, ~{} ms per operation, \
         operations interleaved round-robin",
        budget.batches,
        budget.total.as_millis()
    );
    println!();
    println!("{:<46} {:>11}", "primitive", "median");
    let prims = [
        (format!("ed25519 sign ({sig_len} B Sig_structure)"), sign),
        (format!("ed25519 verify_strict ({sig_len} B)"), verify),
        (
            "x25519 keygen (StaticSecret + PublicKey)".to_owned(),
            keygen_static,
        ),
        (
            "x25519 keygen (EphemeralSecret + PublicKey)".to_owned(),
            keygen_eph,
        ),
        ("x25519 DH".to_owned(), dh),
        (
            "chacha20poly1305 seal 1 KiB (cose::aead_seal)".to_owned(),
            aead_cose,
        ),
        (
            "chacha20poly1305 seal 1 KiB (raw crate)".to_owned(),
            aead_seal,
        ),
        (
            "chacha20poly1305 open 1 KiB (raw crate)".to_owned(),
            aead_open,
        ),
        ("sha256 1 KiB".to_owned(), sha),
        ("hkdf-sha256 expand 32 B".to_owned(), hkdf),
        ("key_commitment (hkdf extract+expand)".to_owned(), commit),
        ("cose::hpke_wrap (32 B CEK)".to_owned(), wrap),
        ("cose::hpke_unwrap (32 B CEK)".to_owned(), unwrap),
    ];
    for (name, ns) in &prims {
        println!("{name:<46} {:>11}", fmt_ns(*ns));
    }
    println!();
    println!(
        "{:<46} {:>11} {:>11} {:>7}",
        "envelope operation (1 KiB payload)", "median", "floor", "ratio"
    );
    let rows = [
        ("seal, 1 recipient", seal1, seal_floor(1.0)),
        ("seal, 4 recipients", seal4, seal_floor(4.0)),
        ("open, 1 recipient", open1, open_floor),
        (
            "open, 4 recipients, as first (kid order)",
            open4_first,
            open_floor,
        ),
        (
            "open, 4 recipients, as last (kid order)",
            open4_last,
            open_floor,
        ),
    ];
    for (name, ns, floor) in rows {
        println!(
            "{name:<46} {:>11} {:>11} {:>6.2}x",
            fmt_ns(ns),
            fmt_ns(floor),
            ns / floor
        );
    }
    println!();
    println!(
        "seal floor = sign + n·(x25519 ephemeral keygen + DH) + AEAD seal 1 KiB (raw); \
         open floor = DH + AEAD open 1 KiB (raw) + verify_strict"
    );
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
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    bench_envelope(&mut criterion, &fixture);
    bench_primitives(&mut criterion, &fixture);
    bench_layers(&mut criterion, &fixture);
    criterion.final_summary();

    if benchmark_mode() {
        print_table(&fixture, Budget::TABLE, true);
    } else {
        print_table(&fixture, Budget::SMOKE, false);
    }
}

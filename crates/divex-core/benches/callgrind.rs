//! A fixed workload for instruction-count profiles (wall-clock on a shared machine is noisy;
//! callgrind's counts are deterministic). Not a criterion bench: it runs one named operation
//! `DIVEX_PROFILE_ITERS` times (default 20) inside `measured`, so that callgrind can count
//! just that function:
//!
//! ```text
//! cargo bench -p divex-core --bench callgrind --no-run
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*' \
//!     target/release/deps/callgrind-<hash> seal-1KiB-4
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | head -60
//! ```
//!
//! Operations: `seal-<size>-<n>`, `open-<size>-<n>-first`, `open-<size>-<n>-last` (size
//! `1KiB` or `64KiB`, n 1, 4 or 16), `open-many-<count>` / `open-seq-<count>`, and the
//! primitives `sign-1KiB`, `verify-1KiB`, `x25519-keygen`, `x25519-dh`, `aead-seal-1KiB`,
//! `aead-open-1KiB`, `x25519-dh-edwards` (divex's X25519), `hpke-crate-seal`,
//! `hpke-crate-open`, `hpke-dhkem-seal`, `hpke-dhkem-open` (one 32-byte HPKE single shot),
//! `torsion-ct`, `torsion-vartime` (the torsion check of batch verification).
//! `DIVEX_PROFILE_TIME=1` also prints the wall-clock time per iteration.
//! `scripts/bench.sh --profile` runs the main ones and prints instructions per operation.
//! Without an argument (as under `cargo test --benches`) it runs a few operations once as a
//! smoke test.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use divex_core::keys::{AgencyKeys, PublicBundle};
use divex_core::records::RecordType;
use divex_core::testing::AgencyKeysExt;
use divex_core::testing::envelope::SealOptions;
use divex_core::testing::envelope::{self, Disclosure, OpenOptions, StaticResolver};
use divex_fixtures::{Fleet, disclosure};
use ed25519_dalek::{Signer, SigningKey};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use x25519_dalek::{PublicKey, StaticSecret};

const NOW: u64 = 1_790_000_000;

/// The `seal_open` bench's workload: a sender and sixteen recipients (a [`Fleet`]) and the
/// drug-test disclosure statement every envelope signs.
struct World {
    sender: AgencyKeys,
    recipients: Vec<AgencyKeys>,
    bundles: Vec<PublicBundle>,
    resolver: StaticResolver,
    disclosure: Disclosure,
}

impl World {
    fn new(rng: &mut ChaCha20Rng) -> World {
        let Fleet {
            sender,
            recipients,
            bundles,
            resolver,
        } = Fleet::generate_with_rng(16, rng);
        World {
            sender,
            recipients,
            bundles,
            resolver,
            disclosure: disclosure(RecordType::DrugTest),
        }
    }

    /// The first `n` recipients' bundles (sorted, so the envelope's order).
    fn bundles(&self, n: usize) -> &[PublicBundle] {
        self.bundles.get(..n).unwrap()
    }
}

fn size_of(s: &str) -> usize {
    match s {
        "1KiB" => 1024,
        "64KiB" => 64 * 1024,
        _ => panic!("size must be 1KiB or 64KiB"),
    }
}

#[inline(never)]
fn measured(iters: usize, op: &mut dyn FnMut()) {
    let start = std::time::Instant::now();
    for _ in 0..iters {
        op();
    }
    if std::env::var_os("DIVEX_PROFILE_TIME").is_some() {
        eprintln!(
            "{:.1} µs per iteration",
            start.elapsed().as_secs_f64() * 1e6 / iters as f64
        );
    }
}

fn run(name: &str, iters: usize) {
    let mut rng = ChaCha20Rng::from_seed([42; 32]);
    let w = World::new(&mut rng);
    let parts: Vec<&str> = name.split('-').collect();
    match parts.as_slice() {
        ["seal", size, n] => {
            let payload = vec![0x5a; size_of(size)];
            let n: usize = n.parse().unwrap();
            measured(iters, &mut || {
                black_box(
                    envelope::seal(
                        &w.sender,
                        w.bundles(n),
                        &w.disclosure,
                        &payload,
                        NOW,
                        SealOptions {
                            rng: Some(&mut rng),
                            ..SealOptions::default()
                        },
                    )
                    .map(|s| s.bytes)
                    .unwrap(),
                );
            });
        }
        ["open", size, n, which] => {
            let payload = vec![0x5a; size_of(size)];
            let n: usize = n.parse().unwrap();
            let sealed = envelope::seal(
                &w.sender,
                w.bundles(n),
                &w.disclosure,
                &payload,
                NOW,
                SealOptions {
                    rng: Some(&mut rng),
                    ..SealOptions::default()
                },
            )
            .map(|s| s.bytes)
            .unwrap();
            let me = match *which {
                "first" => w.recipients.first().unwrap(),
                "last" => w.recipients.get(n - 1).unwrap(),
                _ => panic!("first or last"),
            };
            measured(iters, &mut || {
                black_box(
                    envelope::open(
                        black_box(&sealed),
                        me,
                        &w.resolver,
                        NOW,
                        &OpenOptions::default(),
                    )
                    .unwrap(),
                );
            });
        }
        ["open", mode @ ("many" | "seq"), count] => {
            let count: usize = count.parse().unwrap();
            let payload = vec![0x5a; 1024];
            let me = w.recipients.first().unwrap();
            let sealed: Vec<Vec<u8>> = (0..count)
                .map(|_| {
                    envelope::seal(
                        &w.sender,
                        w.bundles(1),
                        &w.disclosure,
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
            let refs: Vec<&[u8]> = sealed.iter().map(Vec::as_slice).collect();
            let options = OpenOptions::default();
            let many = *mode == "many";
            measured(iters, &mut || {
                if many {
                    black_box(envelope::open_many(&refs, me, &w.resolver, NOW, &options));
                } else {
                    for e in &refs {
                        black_box(envelope::open(e, me, &w.resolver, NOW, &options).ok());
                    }
                }
            });
        }
        ["sign", "1KiB"] | ["verify", "1KiB"] => {
            let key = SigningKey::from_bytes(&[9; 32]);
            let msg = vec![0x5a; 1024 + 290];
            let sig = key.sign(&msg);
            let vk = key.verifying_key();
            if parts.first() == Some(&"sign") {
                measured(iters, &mut || {
                    black_box(key.sign(black_box(&msg)));
                });
            } else {
                measured(iters, &mut || {
                    vk.verify_strict(black_box(&msg), &sig).unwrap();
                });
            }
        }
        ["x25519", "keygen"] => measured(iters, &mut || {
            let sk = StaticSecret::random_from_rng(&mut rng);
            black_box(PublicKey::from(&sk));
        }),
        ["x25519", "dh", "edwards"] => {
            let sk = [3u8; 32];
            let pk = PublicKey::from(&StaticSecret::from([4; 32]));
            let m = curve25519_dalek::montgomery::MontgomeryPoint(pk.to_bytes());
            measured(iters, &mut || {
                let e = black_box(&m).to_edwards(0).unwrap();
                black_box(e.mul_clamped(sk).to_montgomery());
            });
        }
        ["hpke", lib, dir] => {
            type Kem = hpke::kem::X25519HkdfSha256;
            type Kdf = hpke::kdf::HkdfSha256;
            type A = hpke::aead::ChaCha20Poly1305;
            use hpke::{Deserializable, Serializable};
            let me = w.recipients.first().unwrap();
            let pk = me.public().encryption();
            let info = [0x42u8; 42];
            let cek = [7u8; 32];
            let (enc, ct) =
                divex_core::testing::dhkem::seal(pk, &info, &[], &cek, &mut rng).unwrap();
            let h_pk = <Kem as hpke::Kem>::PublicKey::from_bytes(pk.as_bytes()).unwrap();
            let h_sk = <Kem as hpke::Kem>::PrivateKey::from_bytes(
                me.encryption().expose_secret_bytes().as_ref(),
            )
            .unwrap();
            let h_enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&enc).unwrap();
            match (*lib, *dir) {
                ("crate", "seal") => measured(iters, &mut || {
                    black_box(
                        hpke::single_shot_seal_with_rng::<A, Kdf, Kem>(
                            &hpke::OpModeS::Base,
                            &h_pk,
                            &info,
                            &cek,
                            &[],
                            &mut rng,
                        )
                        .unwrap()
                        .0
                        .to_bytes(),
                    );
                }),
                ("crate", "open") => measured(iters, &mut || {
                    black_box(
                        hpke::single_shot_open::<A, Kdf, Kem>(
                            &hpke::OpModeR::Base,
                            &h_sk,
                            &h_enc,
                            &info,
                            &ct,
                            &[],
                        )
                        .unwrap(),
                    );
                }),
                ("dhkem", "seal") => measured(iters, &mut || {
                    black_box(
                        divex_core::testing::dhkem::seal(pk, &info, &[], &cek, &mut rng).unwrap(),
                    );
                }),
                ("dhkem", "open") => measured(iters, &mut || {
                    black_box(
                        divex_core::testing::dhkem::open(me.encryption(), &enc, &info, &[], &ct)
                            .unwrap(),
                    );
                }),
                _ => panic!("hpke-crate|dhkem-seal|open"),
            }
        }
        ["torsion", kind] => {
            use curve25519_dalek::scalar::Scalar;
            use curve25519_dalek::traits::IsIdentity;
            let p = curve25519_dalek::constants::ED25519_BASEPOINT_POINT * Scalar::from(12345u64);
            let ct = *kind == "ct";
            measured(iters, &mut || {
                let q = black_box(&p);
                if ct {
                    black_box(q.is_torsion_free());
                } else {
                    let l1 = -Scalar::ONE;
                    black_box(
                        (curve25519_dalek::edwards::EdwardsPoint::vartime_double_scalar_mul_basepoint(
                            &l1,
                            q,
                            &Scalar::ZERO,
                        ) + q)
                            .is_identity(),
                    );
                }
            });
        }
        ["x25519", "dh"] => {
            let sk = StaticSecret::from([3; 32]);
            let pk = PublicKey::from(&StaticSecret::from([4; 32]));
            measured(iters, &mut || {
                black_box(sk.diffie_hellman(black_box(&pk)));
            });
        }
        ["aead", dir, "1KiB"] => {
            let cipher = ChaCha20Poly1305::new(&[1; 32].into());
            let nonce = chacha20poly1305::Nonce::from([2; 12]);
            let mut msg = vec![0u8; 1024];
            rng.fill_bytes(&mut msg);
            let aad = [3u8; 88];
            let ct = cipher
                .encrypt(
                    &nonce,
                    Payload {
                        msg: &msg,
                        aad: &aad,
                    },
                )
                .unwrap();
            let seal = *dir == "seal";
            measured(iters, &mut || {
                if seal {
                    black_box(
                        cipher
                            .encrypt(
                                &nonce,
                                Payload {
                                    msg: &msg,
                                    aad: &aad,
                                },
                            )
                            .unwrap(),
                    );
                } else {
                    black_box(
                        cipher
                            .decrypt(
                                &nonce,
                                Payload {
                                    msg: &ct,
                                    aad: &aad,
                                },
                            )
                            .unwrap(),
                    );
                }
            });
        }
        _ => panic!("unknown operation {name}"),
    }
}

fn main() {
    let iters: usize = std::env::var("DIVEX_PROFILE_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let ops: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if ops.is_empty() {
        for op in [
            "seal-1KiB-1",
            "open-1KiB-4-first",
            "open-1KiB-4-last",
            "open-many-4",
            "open-seq-4",
            "sign-1KiB",
            "verify-1KiB",
            "x25519-keygen",
            "x25519-dh",
            "aead-seal-1KiB",
            "aead-open-1KiB",
            "x25519-dh-edwards",
            "hpke-crate-seal",
            "hpke-dhkem-open",
            "torsion-ct",
        ] {
            run(op, 1);
        }
        return;
    }
    for op in ops {
        run(&op, iters);
    }
}

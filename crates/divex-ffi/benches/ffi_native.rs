//! The native half of the Python comparison in BENCHMARKS.md: the facade's own functions
//! (`seal_disclosure`, `open_disclosure`, `open_envelope`) called from Rust, on the same world,
//! record and method as `bindings/python/bench/bench_python.py` calls them through the Python
//! bindings. Their ratio is the bindings' overhead: the Python wrapper layer, uniffi's
//! marshalling of arguments and results, and the interpreter — nothing of divex's own work,
//! which both sides run identically.
//!
//! Method (the same as the divex-core `seal_open` tables): each operation is warmed up and
//! calibrated, then timed in 31 batches of ~10 ms, round-robin over the operations, in thread
//! CPU time; the median per-iteration time is reported. Output: a table on stdout and
//! `target/divex-bench/ffi-native.json` (`{"operation": nanoseconds, ...}`), which the Python
//! bench reads.
//!
//! `cargo bench -p divex-ffi --bench ffi_native` (run by `scripts/bench.sh`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;
use std::sync::Arc;

use divex_ffi::*;

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;

/// The encoded size of the benchmark record (the 1 KiB payload).
const RECORD_SIZE: usize = 1024;
const BATCHES: usize = 31;
const BATCH_NS: f64 = 10e6;
const WARM_UP_NS: u128 = 60_000_000;

/// The shared test world with the consent, referenced rather than attached (a 1 KiB payload),
/// held by the provider.
fn consents(w: &World) -> Arc<ConsentSet> {
    let signed = sign_consent(
        consent_json(w, false),
        vec![w.provider.clone()],
        vec![w.patient.clone()],
    )
    .unwrap();
    let consents = ConsentSet::new();
    consents
        .import_consent(signed, w.directory.clone(), T0)
        .unwrap();
    consents
}

/// A progress report whose encoding is exactly `RECORD_SIZE` bytes: the engagement summary is
/// padded until it is (the Python bench builds the same record the same way).
fn record() -> Arc<Record> {
    let build = |engagement: String| {
        Record::new(TypedRecord::ProgressReport {
            record: ProgressReport {
                period_start: "2026-09-01".into(),
                period_end: "2026-09-15".into(),
                status: "compliant".into(),
                engagement: Some(engagement),
                goals_met: Some(3),
                barriers: Some(vec!["transportation".into()]),
                recommended_response: Some("continue".into()),
            },
        })
        .unwrap()
    };
    let base = "Attended every group and individual session; ".to_owned();
    let short = build(base.clone()).to_bytes().len();
    let mut text = base;
    // Text heads grow at 24 and 256 bytes; adjust until the size is exact.
    let mut want = text.len() + RECORD_SIZE - short;
    loop {
        text.truncate(0);
        while text.len() < want {
            text.push_str("engaged in counselling, goals on track. ");
        }
        text.truncate(want);
        let len = build(text.clone()).to_bytes().len();
        if len == RECORD_SIZE {
            return build(text);
        }
        want = want + RECORD_SIZE - len;
    }
}

fn cpu_ns() -> u128 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u128::from(t.tv_sec.unsigned_abs()) * 1_000_000_000 + u128::from(t.tv_nsec.unsigned_abs())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let l = v.len();
    if l % 2 == 1 {
        v[l / 2]
    } else {
        (v[l / 2 - 1] + v[l / 2]) / 2.0
    }
}

/// Round-robin batches in thread CPU time; the median nanoseconds per iteration of each op.
/// A named operation to time.
type Op<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn measure(ops: &mut [Op<'_>]) -> Vec<f64> {
    let mut iters = Vec::new();
    for (_, op) in ops.iter_mut() {
        let start = cpu_ns();
        let mut n = 0u64;
        while cpu_ns() - start < WARM_UP_NS {
            op();
            n += 1;
        }
        let per = (cpu_ns() - start) as f64 / n as f64;
        iters.push(((BATCH_NS / per) as u64).max(1));
    }
    let mut samples = vec![Vec::new(); ops.len()];
    for _ in 0..BATCHES {
        for (i, (_, op)) in ops.iter_mut().enumerate() {
            let start = cpu_ns();
            for _ in 0..iters[i] {
                op();
            }
            samples[i].push((cpu_ns() - start) as f64 / iters[i] as f64);
        }
    }
    samples.into_iter().map(median).collect()
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or `--list` from the harness is not supported.
    let w = world();
    let provider_consents = consents(&w);
    let record = record();
    assert_eq!(record.to_bytes().len(), RECORD_SIZE);
    let seal = || {
        seal_disclosure(
            w.provider.clone(),
            w.directory.clone(),
            provider_consents.clone(),
            record.clone(),
            request(&["superior-court"], ConsentCopy::Reference),
            T0,
        )
        .unwrap()
    };
    let sealed = seal().envelope();
    let court_consents = ConsentSet::new();
    for c in provider_consents.consents() {
        court_consents
            .import_consent(c.consent, w.directory.clone(), T0)
            .unwrap();
    }
    let opened = open_disclosure(
        sealed.clone(),
        w.court.clone(),
        w.directory.clone(),
        T0,
        Some(court_consents.clone()),
        None,
        MAX_AGE,
    )
    .unwrap();
    assert_eq!(opened.record().to_bytes(), record.to_bytes());
    let senders = vec![KnownSender {
        agency_id: "treatment-provider".into(),
        signing_public_key: w.provider.signing_public_key(),
        untrusted: None,
    }];

    let mut ops: Vec<Op<'_>> = vec![
        ("seal_disclosure", Box::new(|| drop(black_box(seal())))),
        (
            "open_disclosure",
            Box::new(|| {
                black_box(
                    open_disclosure(
                        black_box(sealed.clone()),
                        w.court.clone(),
                        w.directory.clone(),
                        T0,
                        Some(court_consents.clone()),
                        None,
                        MAX_AGE,
                    )
                    .unwrap(),
                );
            }),
        ),
        (
            "open_envelope",
            Box::new(|| {
                black_box(
                    open_envelope(
                        black_box(sealed.clone()),
                        w.court.clone(),
                        senders.clone(),
                        T0,
                        Vec::new(),
                        None,
                    )
                    .unwrap(),
                );
            }),
        ),
    ];
    let medians = measure(&mut ops);

    println!(
        "\nfacade functions called from Rust (1 KiB progress report, one recipient; \
         envelope {} B; thread CPU time, median of {BATCHES} batches)",
        sealed.len()
    );
    let mut json = serde_json::Map::new();
    for ((name, _), ns) in ops.iter().zip(&medians) {
        println!("  {name:<16} {:>9.1} µs", ns / 1000.0);
        json.insert((*name).into(), serde_json::json!(ns));
    }
    json.insert("envelope_bytes".into(), serde_json::json!(sealed.len()));
    json.insert("record_bytes".into(), serde_json::json!(RECORD_SIZE));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/divex-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ffi-native.json");
    std::fs::write(&path, serde_json::Value::Object(json).to_string()).unwrap();
    println!("  written to {}", path.display());
}

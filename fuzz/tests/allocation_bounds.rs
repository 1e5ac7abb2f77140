//! Resource bound: decoding hostile bytes allocates at most a documented multiple of their
//! size.
//!
//! A counting global allocator measures, for every decoder entry point of
//! `divex_fuzz::decoders()` and every input (each corpus file, each spec-vector byte field,
//! each seed, and hand-built worst-case shapes), the **total** bytes requested while the
//! decoder runs (every `alloc`, and the new size of every `realloc`) and the **peak** of live
//! bytes above what was live before the call. It asserts
//!
//! ```text
//! total ≤ TOTAL_K × input length + TOTAL_C        peak ≤ PEAK_K × input length + PEAK_C
//! ```
//!
//! and prints the largest ratios seen, per decoder. The constants and the measurements behind
//! them are in fuzz/README.md ("Allocation bound").
//!
//! This test lives in the fuzz crate, not in the main workspace's `tests/`, because a
//! `GlobalAlloc` implementation needs `unsafe impl`, which the main workspace forbids.
//! Run: `cargo test --manifest-path fuzz/Cargo.toml --test allocation_bounds -- --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Bytes of allocation allowed per input byte, over all allocations of one decoder call.
/// Measured worst: 85.8 (`cose::Encrypt::from_value` on 1024 empty recipients: the decoded
/// `Value` tree, 32 bytes an item and 96 a map entry with amortised growth, plus the parsed
/// copy); real documents ≤ 34 (`SignedConsent::verify`).
const TOTAL_K: usize = 128;
/// Fixed allowance of one decoder call. Dominated by the codec's up-front reservation of up
/// to 256 entries per container **at every nesting level** before any entry is decoded:
/// 256 × 96 B = 24 KiB a level, × `DecodeLimits::DEFAULT.max_depth` 16 = 384 KiB from a
/// 576-byte input (measured 393 233 B). Real documents need ≤ 57 KiB. See fuzz/README.md.
const TOTAL_C: usize = 512 * 1024;
/// Live bytes allowed per input byte at the peak of one decoder call (measured worst 55.9).
const PEAK_K: usize = 64;
/// Fixed allowance at the peak (the same nested reservations are all live at once).
const PEAK_C: usize = 512 * 1024;

/// Counts bytes for the thread that set `TRACKING` (the test runs single-threaded inside).
struct Counting;

static ENABLED: AtomicBool = AtomicBool::new(false);
static TOTAL: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
}

fn tracking() -> bool {
    ENABLED.load(Ordering::Relaxed) && TRACKING.try_with(Cell::get).unwrap_or(false)
}

fn grew(n: usize) {
    TOTAL.fetch_add(n, Ordering::Relaxed);
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(n: usize) {
    // Frees of memory allocated before tracking began may exceed what was counted.
    let _ = LIVE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
        Some(l.saturating_sub(n))
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are atomics and the thread-local is only read (`try_with`, so never during its
// own destruction).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if tracking() {
            grew(layout.size());
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if tracking() {
            grew(layout.size());
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if tracking() {
            shrank(layout.size());
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if tracking() {
            shrank(layout.size());
            grew(new_size);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (total bytes allocated, peak live bytes above the starting point) of one call.
fn measure(f: impl FnOnce()) -> (usize, usize) {
    TOTAL.store(0, Ordering::Relaxed);
    LIVE.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    TRACKING.with(|t| t.set(true));
    f();
    TRACKING.with(|t| t.set(false));
    (TOTAL.load(Ordering::Relaxed), PEAK.load(Ordering::Relaxed))
}

/// Adversarial shapes: the cheapest encodings of the most decoded structure.
fn worst_cases() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for n in [1_000usize, 4_096] {
        // An array of n zero integers: one byte each, one `Value` each.
        let mut a = vec![0x99, (n >> 8) as u8, n as u8];
        a.extend(std::iter::repeat_n(0x00, n));
        out.push((format!("array of {n} zeros"), a));
        // A map of n entries 0..n → 0 (keys sorted, each key its own encoded-key buffer).
        let mut m = vec![0xb9, (n >> 8) as u8, n as u8];
        for k in 0..n {
            match k {
                0..=23 => m.push(k as u8),
                24..=255 => m.extend([0x18, k as u8]),
                _ => m.extend([0x19, (k >> 8) as u8, k as u8]),
            }
            m.push(0x00);
        }
        out.push((format!("map of {n} small entries"), m));
        // An array of n empty arrays (each an empty Vec plus its Value).
        let mut e = vec![0x99, (n >> 8) as u8, n as u8];
        e.extend(std::iter::repeat_n(0x80, n));
        out.push((format!("array of {n} empty arrays"), e));
    }
    // Containers nested to the depth limit, each declaring 256 entries but holding one: every
    // level reserves room for 256 before its first entry is decoded. The filler makes the
    // "each entry takes at least one byte" checks pass at every level.
    for depth in [8usize, 16] {
        let mut maps = Vec::new();
        let mut arrays = Vec::new();
        for _ in 0..depth {
            maps.extend([0xb9, 0x01, 0x00, 0x00]);
            arrays.extend([0x99, 0x01, 0x00]);
        }
        maps.extend(std::iter::repeat_n(0x00, 512));
        arrays.extend(std::iter::repeat_n(0x00, 256));
        out.push((format!("{depth} nested maps declaring 256 entries"), maps));
        out.push((format!("{depth} nested arrays declaring 256 items"), arrays));
    }
    // Tags nested to the depth limit around a zero.
    let mut t = vec![0xc6; 15];
    t.push(0x00);
    out.push(("15 nested tags".into(), t));
    // A tagged COSE_Encrypt shell with 1024 minimal recipients (the SAFE_MAX count).
    let mut env = vec![0xd8, 0x60, 0x84, 0x40, 0xa0, 0x40, 0x99, 0x04, 0x00];
    for _ in 0..1024 {
        env.extend([0x83, 0x40, 0xa0, 0x40]);
    }
    out.push(("COSE_Encrypt with 1024 empty recipients".into(), env));
    // A record map at the record limits: 256 entries.
    let mut r = vec![0x0a, 0xb9, 0x01, 0x00];
    for k in 0..256usize {
        r.extend([0x62, b'a' + (k / 26) as u8, b'a' + (k % 26) as u8, 0x00]);
    }
    out.push(("record map of 256 entries".into(), r));
    out
}

#[test]
fn decoding_allocates_at_most_a_multiple_of_the_input() {
    divex_fuzz::warm_up();
    // Three groups: 0 = documents (every seed: fixtures, sample records, spec-vector byte
    // fields), 1 = the committed corpus files (including what the fuzzer found),
    // 2 = hand-built worst-case shapes.
    let mut inputs: Vec<(usize, String, Vec<u8>)> = Vec::new();
    let seeds = divex_fuzz::seeds();
    for target in divex_fuzz::TARGETS {
        for seed in &seeds[target] {
            inputs.push((0, format!("seed of {target}"), seed.clone()));
        }
    }
    for target in divex_fuzz::TARGETS {
        for (path, data) in divex_fuzz::corpus(target) {
            inputs.push((1, path.display().to_string(), data));
        }
    }
    inputs.extend(worst_cases().into_iter().map(|(w, d)| (2, w, d)));
    let count = |g: usize| inputs.iter().filter(|i| i.0 == g).count();
    assert!(count(1) > 100, "the corpora are there");

    let decoders = divex_fuzz::decoders();
    // Warm every decoder once (lazy statics inside dependencies, thread-locals).
    for (_, run) in &decoders {
        let _ = run(&[0xa0]);
    }
    ENABLED.store(true, Ordering::Relaxed);

    let mut failures = Vec::new();
    println!(
        "per group: max total/len and peak/len over inputs >= 1 KiB; max total bytes over \
         inputs < 1 KiB"
    );
    println!(
        "{:<34} | {:^26} | {:^26} | {:^26}",
        "decoder", "documents", "corpus files", "worst-case shapes"
    );
    for (name, run) in &decoders {
        // Per group: [total/len, peak/len, small-input total].
        let mut stats = [[0f64; 3]; 3];
        for (group, what, data) in &inputs {
            let (total, peak) = measure(|| {
                let _ = run(data);
            });
            let len = data.len();
            let st = &mut stats[*group];
            if len >= 1024 {
                st[0] = st[0].max(total as f64 / len as f64);
                st[1] = st[1].max(peak as f64 / len as f64);
            } else {
                st[2] = st[2].max(total as f64);
            }
            if total > TOTAL_K * len + TOTAL_C {
                failures.push(format!(
                    "{name} on {what} ({len} bytes): {total} bytes allocated in total > \
                     {TOTAL_K} × {len} + {TOTAL_C}"
                ));
            }
            if peak > PEAK_K * len + PEAK_C {
                failures.push(format!(
                    "{name} on {what} ({len} bytes): peak {peak} live bytes > \
                     {PEAK_K} × {len} + {PEAK_C}"
                ));
            }
        }
        let cell = |s: [f64; 3]| format!("{:>6.1} {:>6.1} {:>10}", s[0], s[1], s[2] as usize);
        println!(
            "{name:<34} | {} | {} | {}",
            cell(stats[0]),
            cell(stats[1]),
            cell(stats[2])
        );
    }
    ENABLED.store(false, Ordering::Relaxed);
    println!(
        "{} inputs: {} documents, {} corpus files, {} worst-case shapes",
        inputs.len(),
        count(0),
        count(1),
        count(2)
    );
    assert!(
        failures.is_empty(),
        "allocation bound exceeded:\n{}",
        failures.join("\n")
    );
}

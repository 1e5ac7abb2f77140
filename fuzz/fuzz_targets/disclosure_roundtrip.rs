//! Fuzz target `disclosure_roundtrip`: Structure-aware: fuzzer-chosen attendance / drug-test fields, seal, open, same payload.
//! The invariants are in `divex_fuzz::disclosure_roundtrip` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::disclosure_roundtrip(data);
});

//! Fuzz target `envelope_open`: `envelope::open` with fixed keys: never panics, never succeeds on a non-genuine envelope.
//! The invariants are in `divex_fuzz::envelope_open` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::envelope_open(data);
});

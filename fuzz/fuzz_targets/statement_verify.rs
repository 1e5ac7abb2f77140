//! Fuzz target `statement_verify`: Consent revocations and case events: parse and verify, only genuine statements verify.
//! The invariants are in `divex_fuzz::statement_verify` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::statement_verify(data);
});

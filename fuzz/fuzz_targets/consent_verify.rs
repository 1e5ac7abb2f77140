//! Fuzz target `consent_verify`: `SignedConsent::verify` against a fixed directory: accepts only the genuinely signed consents.
//! The invariants are in `divex_fuzz::consent_verify` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::consent_verify(data);
});

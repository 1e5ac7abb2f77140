//! Fuzz target `envelope_parse`: COSE_Encrypt / COSE_Sign1 / COSE_Sign parsing (tagged and untagged) and re-encoding identity.
//! The invariants are in `divex_fuzz::envelope_parse` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::envelope_parse(data);
});

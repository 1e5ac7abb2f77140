//! Fuzz target `record_decode`: First byte selects the record type, the rest goes to `Record::from_bytes`; re-encoding identity.
//! The invariants are in `divex_fuzz::record_decode` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::record_decode(data);
});

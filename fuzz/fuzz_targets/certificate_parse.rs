//! Fuzz target `certificate_parse`: Agency certificates, certificate revocations, directory bundles, anchors and key bundles.
//! The invariants are in `divex_fuzz::certificate_parse` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::certificate_parse(data);
});

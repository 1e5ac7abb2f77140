//! Fuzz target `codec_roundtrip`: Strict CBOR: whatever `codec::decode` accepts re-encodes to the identical bytes.
//! The invariants are in `divex_fuzz::codec_roundtrip` (fuzz/src/lib.rs) and fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = divex_fuzz::codec_roundtrip(data);
});

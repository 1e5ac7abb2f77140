//! `uniffi-bindgen`, built from the workspace's own uniffi version, so that the generated
//! Python and Kotlin code always matches the scaffolding compiled into `divex-ffi`.
//!
//! ```text
//! cargo run --bin uniffi-bindgen -- generate --library target/release/libdivex_ffi.so \
//!     --language kotlin --out-dir target/bindings/kotlin
//! ```
//!
//! maturin runs it the same way when it builds the Python package (bindings/python).

fn main() {
    uniffi::uniffi_bindgen_main();
}

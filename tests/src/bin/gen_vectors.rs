//! Writes the envelope spec vectors to `spec/vectors/envelope/` (one scenario per file),
//! replacing what is there. Run from anywhere in the repository:
//!
//! ```text
//! cargo run -p divex-conformance --bin gen-vectors
//! ```
//!
//! The output is a pure function of fixed seeds; the `vectors` test fails if the committed
//! files differ from what this produces.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/envelope");
    if let Err(e) = write(&dir) {
        eprintln!("gen-vectors: could not write {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn write(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(path)?;
        }
    }
    let vectors = divex_conformance::generate();
    for (i, v) in vectors.iter().enumerate() {
        std::fs::write(
            dir.join(divex_conformance::file_name(i, v)),
            divex_conformance::to_file(v),
        )?;
    }
    println!(
        "gen-vectors: wrote {} vectors to {}",
        vectors.len(),
        dir.display()
    );
    Ok(())
}

//! Writes the spec vectors, one scenario per file, replacing what is there:
//!
//! * `spec/vectors/envelope/` — envelopes ([`divex_conformance::generate`]);
//! * `spec/vectors/directory/`, `spec/vectors/consent/`, `spec/vectors/records/` — the domain
//!   artifacts ([`divex_conformance::domain_vectors::generate`]).
//!
//! Run from anywhere in the repository:
//!
//! ```text
//! cargo run -p divex-conformance --bin gen-vectors
//! ```
//!
//! The output is a pure function of fixed seeds; the `vectors` and `domain_vectors` tests fail
//! if the committed files differ from what this produces.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use divex_conformance::domain_vectors;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors");
    let envelope: Vec<(String, String)> = divex_conformance::generate()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                divex_conformance::file_name(i, v),
                divex_conformance::to_file(v),
            )
        })
        .collect();
    let mut folders = vec![("envelope", envelope)];
    for (folder, vectors) in domain_vectors::generate() {
        let files = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (domain_vectors::file_name(i, v), domain_vectors::to_file(v)))
            .collect();
        folders.push((folder, files));
    }
    for (folder, files) in folders {
        let dir = root.join(folder);
        if let Err(e) = write(&dir, &files) {
            eprintln!("gen-vectors: could not write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
        println!(
            "gen-vectors: wrote {} vectors to {}",
            files.len(),
            dir.display()
        );
    }
    ExitCode::SUCCESS
}

/// Replaces every `.json` file in `dir` with `files` (name, contents).
fn write(dir: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(path)?;
        }
    }
    for (name, contents) in files {
        std::fs::write(dir.join(name), contents)?;
    }
    Ok(())
}

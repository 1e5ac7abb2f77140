//! Writes the seed corpora: `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpora`.
//!
//! For every fuzz target, every seed of `divex_fuzz::seeds()` (the fixtures' genuine
//! documents, sample records and every hex byte field of `spec/vectors/**/*.json`) is written
//! to `fuzz/corpus/<target>/<first 16 hex digits of its SHA-256>`. Files already there (inputs
//! the fuzzer found, crash regressions) are kept, renamed to the same content-hash scheme, so
//! that a file libFuzzer or `cargo fuzz cmin` named by SHA-1 and a seed with the same bytes
//! collapse into one. Nothing else is deleted.
#![allow(clippy::expect_used)]

use std::path::Path;

fn normalise(dir: &Path) -> (usize, usize) {
    let (mut renamed, mut duplicates) = (0, 0);
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    for path in paths {
        let data = std::fs::read(&path).expect("read corpus file");
        let want = dir.join(divex_fuzz::corpus_file_name(&data));
        if path == want {
            continue;
        }
        if want.exists() {
            std::fs::remove_file(&path).expect("remove duplicate");
            duplicates += 1;
        } else {
            std::fs::rename(&path, &want).expect("rename");
            renamed += 1;
        }
    }
    (renamed, duplicates)
}

fn main() {
    divex_fuzz::warm_up();
    for (target, seeds) in divex_fuzz::seeds() {
        let dir = divex_fuzz::corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("create corpus directory");
        let (renamed, duplicates) = normalise(&dir);
        let mut written = 0;
        for seed in &seeds {
            let path = dir.join(divex_fuzz::corpus_file_name(seed));
            if !path.exists() {
                std::fs::write(&path, seed).expect("write seed");
                written += 1;
            }
        }
        println!(
            "{target}: {} seeds ({written} new); {renamed} files renamed, {duplicates} duplicates \
             removed; {} files in {}",
            seeds.len(),
            std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0),
            dir.display()
        );
    }
}

#!/usr/bin/env bash
# Runs every divex check: formatting, lints, all tests (unit, property, third-party and spec
# vectors, attack matrix, doctests), docs, benches compile, examples run.
# Needs: a Rust toolchain via rustup (rust-toolchain.toml pins stable with rustfmt and clippy)
# and ../shared/vectors beside the checkout (or DIVEX_SHARED_VECTORS).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install stable --profile minimal --component rustfmt,clippy
cargo --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace"
cargo test --workspace

step "cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "cargo bench --no-run"
cargo bench --workspace --no-run --quiet

step "examples"
cargo run --quiet -p divex-examples --example seal_three_agencies

step "all checks passed"

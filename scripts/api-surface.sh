#!/usr/bin/env bash
# Counts the public API items reachable from a crate's root (default divex-core), from
# rustdoc's JSON output (scripts/api_surface.py says what counts). rustdoc's JSON backend is
# unstable; RUSTC_BOOTSTRAP lets the pinned stable toolchain produce it.
# Usage: scripts/api-surface.sh [crate] [--list]
set -euo pipefail
cd "$(dirname "$0")/.."
crate="${1:-divex-core}"
shift || true
RUSTC_BOOTSTRAP=1 cargo rustdoc --quiet -p "$crate" --lib -- -Z unstable-options --output-format json
python3 scripts/api_surface.py "target/doc/${crate//-/_}.json" "$@"

#!/usr/bin/env bash
# Builds the Python package `divex` from source (`pip install ./bindings/python`: maturin
# compiles crates/divex-ffi and generates the uniffi bindings with crates/uniffi-bindgen),
# then runs its pytest suite (the PC 1000 flow, every error class, every spec vector,
# interop with python-cwt) and the Python example.
#
# Needs: Python >= 3.10 with venv and pip, a Rust toolchain (rustup), and PyPI for maturin,
# pytest and cwt (python-cwt). Everything goes into a virtual environment under target/.
#
#   DIVEX_PYTHON          the Python to use (default: python3)
#   DIVEX_PYTHON_VENV     the virtual environment (default: target/python-venv)
#   DIVEX_PYTHON_PROFILE  the cargo profile of the library (default: dev, which reuses what
#                         `cargo test` built; `release` is what a plain `pip install` builds)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

venv="${DIVEX_PYTHON_VENV:-target/python-venv}"
./scripts/python-env.sh
venv="$(cd "$venv" && pwd)"

step "python: pytest bindings/python/tests"
# Run from the repository root with the venv's pytest, so that `import divex` is the
# installed package, never the source folder.
"$venv/bin/pytest" -q -p no:cacheprovider bindings/python/tests

step "python: examples/python/drug_test_to_court.py"
"$venv/bin/python" examples/python/drug_test_to_court.py

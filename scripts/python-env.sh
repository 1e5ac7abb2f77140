#!/usr/bin/env bash
# Creates (once) the virtual environment of the Python bindings and installs into it maturin,
# pytest, python-cwt and the `divex` package built from source (`pip install ./bindings/python`:
# maturin compiles crates/divex-ffi and generates the uniffi bindings with crates/uniffi-bindgen).
# Used by scripts/test-python.sh (tests) and scripts/bench.sh (the Python benchmark).
#
#   DIVEX_PYTHON          the Python to use (default: python3)
#   DIVEX_PYTHON_VENV     the virtual environment (default: target/python-venv)
#   DIVEX_PYTHON_PROFILE  the cargo profile of the library (default: dev, which reuses what
#                         `cargo test` built; `release` is what a plain `pip install` builds)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

python="${DIVEX_PYTHON:-python3}"
venv="${DIVEX_PYTHON_VENV:-target/python-venv}"
profile="${DIVEX_PYTHON_PROFILE:-dev}"

step "python: virtual environment ($venv)"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
venv="$(cd "$venv" && pwd)"
# The venv's tools first (the maturin build backend runs the `maturin` executable).
export PATH="$venv/bin:$PATH"
"$venv/bin/python" --version
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.16,<2" "pytest>=8" "cwt>=3.3,<4"

step "python: pip install ./bindings/python (cargo profile $profile)"
MATURIN_PEP517_ARGS="--profile $profile" \
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation ./bindings/python

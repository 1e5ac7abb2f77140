#!/usr/bin/env bash
# Reproduces every table of BENCHMARKS.md in one run:
#   scripts/bench.sh              criterion benches + the tables (target/divex-bench/tables.md)
#   scripts/bench.sh --tables     the tables only (DIVEX_BENCH_TABLES_ONLY=1), a few minutes less
#   Both end with the Python comparison (divex-ffi's ffi_native bench, then
#   bindings/python/bench/bench_python.py in target/python-venv with a release build of the
#   bindings; DIVEX_BENCH_SKIP_PYTHON=1 skips it).
#   scripts/bench.sh --profile    instruction counts per operation with callgrind (needs valgrind;
#                                 deterministic, unlike wall clock on a shared machine)
# The machine description (lscpu, load, date) is printed first and saved beside the tables.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/divex-bench
mkdir -p "$out"
{
  echo "date (UTC): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "rustc: $(rustc --version)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Hypervisor vendor|L2 cache|L3 cache):' || true
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

case "${1:-}" in
  --profile)
    command -v valgrind >/dev/null || { echo "valgrind is needed for --profile" >&2; exit 1; }
    exe="$(cargo bench -p divex-core --bench callgrind --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -n 1)"
    iters="${DIVEX_PROFILE_ITERS:-10}"
    printf '\n| operation | instructions per operation (open-seq/open-many: per 100 envelopes) |\n|---|---:|\n' \
      | tee "$out/instructions.md"
    for op in x25519-keygen x25519-dh x25519-dh-edwards sign-1KiB verify-1KiB aead-seal-1KiB \
              aead-open-1KiB hpke-crate-seal hpke-dhkem-seal hpke-crate-open hpke-dhkem-open \
              torsion-vartime seal-1KiB-1 seal-1KiB-4 seal-1KiB-16 open-1KiB-1-first \
              open-1KiB-16-first open-1KiB-16-last open-seq-100 open-many-100; do
      n="$iters"
      case "$op" in open-seq-*|open-many-*) n=1 ;; esac
      total="$(DIVEX_PROFILE_ITERS="$n" valgrind --tool=callgrind --collect-atstart=no \
        --toggle-collect='*measured*' --callgrind-out-file=/dev/null "$exe" "$op" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')"
      echo "| $op | $((total / n)) |" | tee -a "$out/instructions.md"
    done
    ;;
  --tables)
    DIVEX_BENCH_TABLES_ONLY=1 cargo bench -p divex-core --bench seal_open
    ;;
  *)
    cargo bench -p divex-core --bench seal_open
    ;;
esac

if [[ "${1:-}" != --profile && "${DIVEX_BENCH_SKIP_PYTHON:-0}" != 1 ]]; then
  # Python: the facade's functions called from Rust, then the same calls through the Python
  # bindings (release build) and python-cwt doing the same job (bindings/python/bench).
  cargo bench -p divex-ffi --bench ffi_native
  DIVEX_PYTHON_PROFILE=release ./scripts/python-env.sh
  venv="${DIVEX_PYTHON_VENV:-target/python-venv}"
  "$venv/bin/python" bindings/python/bench/bench_python.py
  printf '\n### Python (1 KiB, one recipient)\n\n' >>"$out/tables.md"
  cat "$out/python.md" >>"$out/tables.md"
fi
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

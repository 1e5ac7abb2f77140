#!/usr/bin/env bash
# The long fuzzing campaign: every cargo-fuzz target until it has used a given amount of CPU
# time (default 30 CPU-minutes), a number of targets at a time (default: one per core).
#
#   fuzz/campaign.sh [CPU_SECONDS_PER_TARGET] [PARALLEL]        (from the repository root)
#
# Each target runs as one libFuzzer process (ASan build of `cargo fuzz build`) over its committed
# corpus, writing new inputs to a scratch directory so that `fuzz/corpus/` is only read. A
# watchdog reads the process's own CPU time (utime + stime from /proc) and sends SIGINT when the
# budget is spent, so other load on the machine lengthens the wall time but not the work done.
# Results go to $DIVEX_FUZZ_OUT (default /tmp/divex-fuzz): <target>.log, the new inputs in
# <target>/, crash artifacts in artifacts/<target>/, and summary.tsv with one line per target:
#   target  cpu_s  wall_s  execs  execs_per_cpu_s  cov  ft  corpus_units  crashes
# The script exits non-zero if any target left a crash, leak, timeout or OOM artifact.
set -euo pipefail

BUDGET="${1:-1800}"
PARALLEL="${2:-$(nproc)}"
OUT="${DIVEX_FUZZ_OUT:-/tmp/divex-fuzz}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

export RUSTC_BOOTSTRAP=1
echo "campaign: building the targets (cargo fuzz build, ASan)" >&2
cargo fuzz build >&2
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
BIN_DIR="fuzz/target/$TRIPLE/release"
mapfile -t TARGETS < <(cargo fuzz list)
mkdir -p "$OUT/artifacts"
TICKS="$(getconf CLK_TCK)"

cpu_ticks() { # utime + stime of a live process, in clock ticks
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

run_target() {
  local t="$1" start end pid ticks=0 crashes
  mkdir -p "$OUT/$t" "$OUT/artifacts/$t"
  start="$(date +%s)"
  echo "campaign: $t started ($(date -u +%H:%M:%S) UTC, budget ${BUDGET} CPU-s)" >&2
  "$BIN_DIR/$t" "$OUT/$t" "fuzz/corpus/$t" \
    -dict=fuzz/cbor.dict -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_total_time=$((BUDGET * 4)) -artifact_prefix="$OUT/artifacts/$t/" \
    >"$OUT/$t.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    ticks="$(cpu_ticks "$pid")"
    if [ "$ticks" -ge $((BUDGET * TICKS)) ]; then
      kill -INT "$pid" 2>/dev/null || true
      break
    fi
    sleep 5
  done
  wait "$pid" || true
  end="$(date +%s)"
  # The last status line carries the totals: "#<execs> <event> cov: <n> ft: <n> corp: <n>/..."
  local last execs cov ft corp
  last="$(grep -E '^#[0-9]+' "$OUT/$t.log" | tail -n 1 || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t.log" | tail -n 1)"
  [ -n "$execs" ] || execs="$(echo "$last" | sed -E 's/^#([0-9]+).*/\1/')"
  cov="$(echo "$last" | sed -nE 's/.* cov: ([0-9]+).*/\1/p')"
  ft="$(echo "$last" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')"
  corp="$(echo "$last" | sed -nE 's/.* corp: ([0-9]+).*/\1/p')"
  crashes="$(find "$OUT/artifacts/$t" -type f | wc -l)"
  local cpu=$((ticks / TICKS))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$cpu" "$((end - start))" "${execs:-?}" \
    "$(( ${execs:-0} / (cpu > 0 ? cpu : 1) ))" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" \
    >>"$OUT/summary.tsv"
  echo "campaign: $t done: ${cpu} CPU-s, ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, $crashes crash artifact(s)" >&2
}

printf 'target\tcpu_s\twall_s\texecs\texecs_per_cpu_s\tcov\tft\tcorpus_units\tcrashes\n' >"$OUT/summary.tsv"
# A simple pool: PARALLEL lanes, each taking every PARALLEL-th target.
for ((lane = 0; lane < PARALLEL; lane++)); do
  (
    for ((i = lane; i < ${#TARGETS[@]}; i += PARALLEL)); do
      run_target "${TARGETS[$i]}"
    done
  ) &
done
wait
column -t -s $'\t' "$OUT/summary.tsv" >&2
if [ -n "$(find "$OUT/artifacts" -type f)" ]; then
  echo "campaign: crash artifacts in $OUT/artifacts" >&2
  exit 1
fi

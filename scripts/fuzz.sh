#!/bin/sh
# Builds the libFuzzer harnesses (clang, ASan + UBSan; docs/fuzzing.md) and runs them.
#
#   scripts/fuzz.sh                         # every harness for 20 s (the CI run)
#   scripts/fuzz.sh --seconds 600 netfile   # one harness for 10 minutes
#   scripts/fuzz.sh --runs 10000000         # the long campaign: 10 million inputs per harness
#
# Options: --seconds N | --runs N, --work DIR (new corpus entries, crash artifacts, logs; default
# build-fuzz/work), --no-build. Harness names: netfile edec bitstream config image image_stream
# dataset. Exits 1 if a harness found a crash, a leak, a timeout or ran out of memory; prints one
# line per harness: inputs executed, seconds, coverage (edges), features, corpus size, and how
# many inputs took over 1 s (kept as slow-unit-* artifacts, not failures).
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${ENCVP_FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER=20
RUNS=""
WORK=""
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
HARNESSES=${*:-"netfile edec bitstream config image image_stream dataset"}
WORK=${WORK:-$BUILD_DIR/work}

if [ "$BUILD" = 1 ]; then
  if ! command -v clang++ >/dev/null 2>&1; then
    echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
    exit 2
  fi
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DENCVP_FUZZ=ON -DENCVP_BUILD_TESTS=OFF -DENCVP_BUILD_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" --target encvp_fuzzers -j"$(nproc)" >/dev/null
fi

# Inputs larger than this are not generated (the seeds are smaller; big inputs only slow the search).
max_len() {
  case "$1" in
    netfile|edec) echo 32768 ;;
    dataset) echo 12292 ;;  # four CIFAR records
    *) echo 8192 ;;
  esac
}

# The dataset harness writes a scratch file: keep it in memory when /dev/shm exists.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
printf '%-13s %12s %8s %8s %8s %8s  %s\n' harness inputs seconds edges features corpus result
for h in $HARNESSES; do
  bin="$BUILD_DIR/tests/fuzz/fuzz_$h"
  [ -x "$bin" ] || { echo "fuzz.sh: no harness $bin" >&2; exit 2; }
  mkdir -p "$WORK/$h" "$WORK/artifacts"
  log="$WORK/$h.log"
  if [ -n "$RUNS" ]; then limit="-runs=$RUNS"; else limit="-max_total_time=$SECONDS_PER"; fi
  t0=$(date +%s)
  rc=0
  "$bin" "$limit" -max_len="$(max_len "$h")" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -report_slow_units=1 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$h-" \
    "$WORK/$h" "tests/fuzz/corpus/$h" >"$log" 2>&1 || rc=$?
  t1=$(date +%s)
  inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  edges=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  feats=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
  # Inputs over 1 s are not failures (over 10 s is a timeout), but often a tiny file that makes a
  # reader do work out of proportion to its size: libFuzzer keeps them as slow-unit-* artifacts.
  slow=$(grep -c 'slow-unit-' "$log" || true)
  if [ "$rc" = 0 ]; then result=ok; else result="FAILED (rc $rc, see $log)"; failed=1; fi
  [ "$slow" = 0 ] || result="$result; $slow slow inputs (over 1 s) in $WORK/artifacts/$h-slow-unit-*"
  printf '%-13s %12s %8s %8s %8s %8s  %s\n' "$h" "${inputs:-?}" "$((t1 - t0))" "${edges:-?}" "${feats:-?}" "${corp:-?}" "$result"
done
exit $failed

#!/bin/sh
# A design-space sweep (`encvp explore`, docs/estimation-model.md) split into N shards that run at
# the same time, with GNU parallel on several hosts or as local processes, then merged into OUT
# (results.csv with the Pareto front of all configurations, summary.json, plots).
#
#   scripts/explore-shards-parallel.sh SWEEP OUT N [encvp explore options...]
#
# Shard i runs `encvp explore --sweep SWEEP --out OUT/shard-i --shard i/N --no-plot [options]`
# (the configurations whose index % N == i), its log in OUT/shard-i.log; then
# `encvp explore --merge OUT/shard-0 ... OUT/shard-(N-1) --out OUT`.
#   * ENCVP_HOSTS=FILE and GNU parallel installed: `parallel --sshloginfile FILE` runs the shards on
#     the hosts of FILE (one ssh login per line; "4/node07" runs 4 shards at once on node07, ":" is
#     this machine; default one shard per host at a time). The hosts must see this folder at the
#     same path (a shared file system): every shard starts in the current folder (--workdir .).
#   * otherwise: N local processes (a note says why when ENCVP_HOSTS was given).
#
# Examples:
#   scripts/explore-shards-parallel.sh configs/sweeps/encoder-dse.json dse 2 --timing-only
#   ENCVP_HOSTS=hosts.txt scripts/explore-shards-parallel.sh configs/sweeps/encoder-dse.json dse 16
#
# Options after N go to every shard's `encvp explore --sweep` (e.g. --timing-only, --images 64,
# --encoder.clock 400MHz); --no-plot also skips the merge's plots. Environment: ENCVP (the encvp
# binary; default build/platform/encvp of this checkout), ENCVP_HOSTS, ENCVP_SHARD_JOBS (workers
# per shard: default local cores / N, at least 1; with hosts 0, one per core of each host).
# Exit status: 0 when every shard and the merge succeeded, else the highest failing status (1: a
# configuration failed, its row says why; 2: bad input).
set -eu

me=explore-shards-parallel.sh
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if [ $# -lt 3 ]; then
  usage >&2
  exit 2
fi
SWEEP=$1 OUT=$2 N=$3
shift 3
case "$N" in '' | *[!0-9]*) echo "$me: N must be a positive integer, got '$N'" >&2; exit 2 ;; esac
if [ "$N" -lt 1 ]; then echo "$me: N must be at least 1" >&2; exit 2; fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ENCVP=${ENCVP:-$ROOT/build/platform/encvp}
if [ ! -x "$ENCVP" ]; then echo "$me: $ENCVP is not executable (build first: scripts/build.sh)" >&2; exit 2; fi
# The shards always get --no-plot: take it out of the options (it may be given once only).
has_jobs=0 no_plot=""
for a do
  shift
  case "$a" in
    --no-plot) no_plot=--no-plot; continue ;;
    --jobs | --jobs=*) has_jobs=1 ;;
  esac
  set -- "$@" "$a"
done
# A bad sweep file fails here, once, not in every shard.
"$ENCVP" explore --sweep "$SWEEP" --out "$OUT" --dry-run "$@" >/dev/null
mkdir -p "$OUT"

mode=local
if [ -n "${ENCVP_HOSTS:-}" ]; then
  if ! command -v parallel >/dev/null 2>&1; then
    echo "$me: ENCVP_HOSTS is set but GNU parallel is not installed: running $N local processes" >&2
  elif [ ! -r "$ENCVP_HOSTS" ]; then
    echo "$me: cannot read ENCVP_HOSTS='$ENCVP_HOSTS': running $N local processes" >&2
  else
    mode=hosts
  fi
fi

status=0
if [ "$mode" = hosts ]; then
  # The command line for the remote shells, every word quoted; {} is the shard index.
  q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
  cmd="$(q "$ENCVP") explore --sweep $(q "$SWEEP") --out $(q "$OUT")/shard-{} --shard {}/$N --no-plot"
  [ "$has_jobs" = 1 ] || cmd="$cmd --jobs ${ENCVP_SHARD_JOBS:-0}"
  for a in "$@"; do cmd="$cmd $(q "$a")"; done
  cmd="$cmd >$(q "$OUT")/shard-{}.log 2>&1"
  echo "$me: $N shards on the hosts of $ENCVP_HOSTS (GNU parallel; job log $OUT/parallel.joblog)"
  seq 0 $((N - 1)) | parallel --sshloginfile "$ENCVP_HOSTS" --workdir . --jobs 1 \
    --joblog "$OUT/parallel.joblog" "$cmd" || status=1
else
  cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
  jobs=${ENCVP_SHARD_JOBS:-$((cores / N))}
  [ "$jobs" -ge 1 ] || jobs=1
  echo "$me: $N shards as local processes ($jobs workers each)"
  run_shard() {
    s=$1
    shift
    if [ "$has_jobs" = 1 ]; then
      "$ENCVP" explore --sweep "$SWEEP" --out "$OUT/shard-$s" --shard "$s/$N" --no-plot "$@"
    else
      "$ENCVP" explore --sweep "$SWEEP" --out "$OUT/shard-$s" --shard "$s/$N" --no-plot --jobs "$jobs" "$@"
    fi
  }
  pids=""
  i=0
  while [ "$i" -lt "$N" ]; do
    run_shard "$i" "$@" >"$OUT/shard-$i.log" 2>&1 &
    pids="$pids $!"
    i=$((i + 1))
  done
  i=0
  for p in $pids; do
    if wait "$p"; then rc=0; else rc=$?; fi
    if [ "$rc" -ne 0 ]; then
      echo "$me: shard $i/$N exited with status $rc (see $OUT/shard-$i.log)" >&2
      [ "$rc" -le "$status" ] || status=$rc
    fi
    i=$((i + 1))
  done
fi

# Every shard's summary line, then the merge.
i=0
set --
while [ "$i" -lt "$N" ]; do
  if [ ! -f "$OUT/shard-$i/results.csv" ]; then
    echo "$me: shard $i/$N left no $OUT/shard-$i/results.csv (see $OUT/shard-$i.log); not merging" >&2
    exit 1
  fi
  echo "shard $i/$N: $(grep '^results' "$OUT/shard-$i.log" | sed 's/^results *//')"
  set -- "$@" "$OUT/shard-$i"
  i=$((i + 1))
done
if "$ENCVP" explore --merge "$@" --out "$OUT" $no_plot; then rc=0; else rc=$?; fi
[ "$rc" -le "$status" ] || status=$rc
exit "$status"

#!/bin/sh
# Trains the ablation configs (configs/train/ablation-*.json) and collects them into the ablation
# table and the accuracy-versus-memory plot (docs/training.md, "Ablations"; results in docs/results.md).
#
#   scripts/ablation.sh                                   # the full 30-epoch ablation (~15 h on 2 cores)
#   scripts/ablation.sh --epochs 8 --train-subset 15000 --jobs 2   # the short schedule (~2 h)
#   scripts/ablation.sh --threads 1 mixed act2            # only these two, one after the other
#
# Options: --epochs N and --train-subset N (override every config: the LR schedule is recomputed for
# N epochs; 0 = all 45,000 training images), --jobs N (runs side by side, one thread each; default 1
# run with 2 threads), --threads N, --out DIR (run directories and the table; default runs/ablation),
# --report-only. Names select configs (ablation-NAME.json; default all). Runs resume from
# DIR/<name>/last.pt, so an interrupted ablation continues where it stopped; the report covers every
# run in DIR.
set -eu
cd "$(dirname "$0")/.."
EPOCHS=""
SUBSET=""
JOBS=1
OUT=runs/ablation
TRAIN=1
THREADS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) EPOCHS=$2; shift 2 ;;
    --train-subset) SUBSET=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --report-only) TRAIN=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "ablation.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
CONFIGS=""
if [ $# = 0 ]; then
  CONFIGS=$(ls configs/train/ablation-*.json)
else
  for n in "$@"; do
    f=configs/train/ablation-$n.json
    [ -f "$f" ] || { echo "ablation.sh: no config $f" >&2; exit 2; }
    CONFIGS="$CONFIGS $f"
  done
fi
case "$JOBS" in ''|*[!0-9]*|0) echo "ablation.sh: --jobs must be a positive integer" >&2; exit 2 ;; esac
PY=/usr/bin/python3
export PYTHONPATH=sw/train
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$OUT"
if [ -z "$THREADS" ]; then if [ "$JOBS" = 1 ]; then THREADS=2; else THREADS=1; fi; fi

if [ "$TRAIN" = 1 ]; then
  # One queue per job: config i goes to job i mod JOBS.
  pids=""
  for j in $(seq 0 $((JOBS - 1))); do
    (
      k=0
      for cfg in $CONFIGS; do
        if [ $((k % JOBS)) = "$j" ]; then
          name=$(basename "$cfg" .json)
          set -- --config "$cfg" --out "$OUT/$name" --resume --threads "$THREADS"
          [ -z "$EPOCHS" ] || set -- "$@" --epochs "$EPOCHS"
          [ -z "$SUBSET" ] || set -- "$@" --train-subset "$SUBSET"
          echo "ablation.sh: training $name ($*)"
          "$PY" -m encvp_train.train "$@" >"$OUT/$name.stdout" 2>&1 ||
            { echo "ablation.sh: $name failed, see $OUT/$name.stdout" >&2; exit 1; }
        fi
        k=$((k + 1))
      done
    ) &
    pids="$pids $!"
  done
  failed=0
  for p in $pids; do wait "$p" || failed=1; done
  [ "$failed" = 0 ] || { echo "ablation.sh: a training run failed" >&2; exit 1; }
fi

"$PY" -m encvp_train.report "$OUT"/ablation-*/ --test --markdown "$OUT/ablation.md" \
  --json "$OUT/ablation.json" --plot "$OUT/accuracy-vs-memory.png"
echo "ablation.sh: table $OUT/ablation.md, plot $OUT/accuracy-vs-memory.png"

#!/bin/sh
# One prepared, time-boxed training session on a lent GPU machine (docs/training.md, "On a GPU").
#
#   scripts/device-train.sh --stage                       # here: the training data -> .device
#   scripts/device-train.sh --minutes 8 --out "$OUT" --work /tmp/w JOB...   # there (carry .device)
#
# A JOB is cifar:CONFIG (encvp_train.train) or codec:CONFIG (encvp_train.train_compress); without
# any, the GPU schedules of the shipped networks run: cifar:configs/train/cifar10-1mb-gpu.json and
# codec:configs/train/kodak-025-gpu.json. All jobs train AT THE SAME TIME on the one device (small
# networks leave a big GPU mostly idle, so several runs side by side cost little more than one),
# each with the whole time budget: its trainer fits its schedule into it after the first epoch or
# evaluation round (--time-budget). Run folders go to WORK (default: OUT); every 45 s and at the
# end each is packed into OUT/<config name>.tgz (logs + best.pt without optimizer state, see
# scripts/device_pack.py), so a session cut short by its time limit still returns its best weights.
# A job still running 60 s past the budget is stopped. Export and check the networks here
# afterwards (docs/training.md). The same commands run on the CPU, only slower (--device cpu).
#
# --stage copies the CIFAR-10 JPEG archives and the training photos (~31 MiB) from the shared data
# folder into the git-ignored .device/data. Runs that continue a shipped network start from its
# committed .enet/.edec (train.init_from, encvp_train.warmstart), which travel with the tree.
# Jobs that need another job's result (a distillation teacher) go in a second invocation after the
# first, e.g. `A && scripts/device-train.sh ... cifar:STUDENT`, with codecs beside both in a third
# one in the background (docs/training.md, "On a GPU").
# Options: --minutes M (training time, default 8), --device D (auto), --threads N (per job,
# default 2), --data DIR (.device/data), --out DIR (runs/device), --work DIR, --src DIR (the
# shared data folder, for --stage).
set -eu
cd "$(dirname "$0")/.."
MINUTES=8
DEVICE=auto
DATA=.device/data
OUT=runs/device
WORK=""
STAGE=0
THREADS=2
SRC=${ENCVP_DATA:-../shared/data}
JOBS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --stage) STAGE=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    cifar:*|codec:*) JOBS="$JOBS $1"; shift ;;
    *) echo "device-train.sh: unknown argument $1 (a job is cifar:CONFIG or codec:CONFIG)" >&2; exit 2 ;;
  esac
done
[ -n "$JOBS" ] || JOBS="cifar:configs/train/cifar10-1mb-gpu.json codec:configs/train/kodak-025-gpu.json"
[ -n "$WORK" ] || WORK=$OUT
if [ "$STAGE" = 0 ]; then
  for j in $JOBS; do   # every config checked before anything starts
    [ -f "${j#*:}" ] || { echo "device-train.sh: $j: no such config" >&2; exit 2; }
  done
fi

# Debian's interpreter where it has torch, else the first python3 on PATH (the device's).
PY=""
for c in /usr/bin/python3 python3; do
  if "$c" -c "import torch" >/dev/null 2>&1; then PY=$c; break; fi
done
[ -n "$PY" ] || { echo "device-train.sh: no python3 with torch" >&2; exit 2; }

if [ "$STAGE" = 1 ]; then
  for f in cifar10-jpeg/cifar10-train-jpeg.tar.xz cifar10-jpeg/cifar10-test-jpeg.tar.xz; do
    [ -f "$SRC/$f" ] || { echo "device-train.sh: no $SRC/$f (--src names the shared data folder)" >&2; exit 2; }
  done
  [ -d "$SRC/photos-train" ] || { echo "device-train.sh: no $SRC/photos-train" >&2; exit 2; }
  mkdir -p "$DATA/cifar10-jpeg" "$DATA/photos-train"
  cp "$SRC"/cifar10-jpeg/*.tar.xz "$DATA/cifar10-jpeg/"
  cp "$SRC"/photos-train/* "$DATA/photos-train/"
  echo "device-train.sh: staged $(du -sh .device | cut -f1) in .device; carry \".device\" to the device"
  exit 0
fi

T0=$(date +%s)
BUDGET=$("$PY" -c "import sys; print(max(30, int(float(sys.argv[1]) * 60)))" "$MINUTES")
mkdir -p "$OUT" "$WORK"
export PYTHONPATH=sw/train OMP_WAIT_POLICY=PASSIVE ENCVP_CACHE="${ENCVP_CACHE:-$WORK/cache}" PYTHONUNBUFFERED=1
"$PY" -c "import torch; print('device-train.sh: torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu only')"
echo "device-train.sh: jobs:$JOBS; ${BUDGET} s each, side by side; runs in $WORK, archives in $OUT"

# CIFAR is decoded once (~15 s) before the jobs start, so they do not race on the cache.
case "$JOBS" in *cifar:*)
  "$PY" -c "import sys, encvp_train.data as D; D.load_split('train', sys.argv[1], 'jpeg')" "$DATA" ;;
esac

PIDS=""
RUNS=""
for j in $JOBS; do
  kind=${j%%:*}
  cfg=${j#*:}
  name=$(basename "$cfg" .json)
  used=$(( $(date +%s) - T0 ))
  b=$(( BUDGET - used ))
  [ "$b" -ge 20 ] || b=20
  if [ "$kind" = cifar ]; then mod=encvp_train.train; else mod=encvp_train.train_compress; fi
  "$PY" -m "$mod" --config "$cfg" --out "$WORK/$name" --resume --data "$DATA" --device "$DEVICE" \
    --time-budget "$b" --threads "$THREADS" >"$WORK/$name.stdout" 2>&1 &
  PIDS="$PIDS $!"
  RUNS="$RUNS $WORK/$name"
  echo "device-train.sh: started $kind $name (pid $!, budget $b s)"
done

pack() { "$PY" scripts/device_pack.py "$OUT" $RUNS || true; }
# Helpers write nowhere: an orphaned sleep holding our stdout would keep a caller's pipe open.
( while sleep 45; do pack; done ) >/dev/null 2>&1 &
PACKER=$!
( sleep $(( BUDGET + 60 )); for p in $PIDS; do kill "$p" 2>/dev/null || true; done ) >/dev/null 2>&1 &
KILLER=$!

rc=0
for p in $PIDS; do
  wait "$p" || rc=1
done
for h in "$PACKER" "$KILLER"; do
  pkill -P "$h" 2>/dev/null || true
  kill "$h" 2>/dev/null || true
done
pack
for r in $RUNS; do
  echo "== $r"
  tail -n 2 "$r/train.log" 2>/dev/null || tail -n 5 "$r.stdout"
done
echo "device-train.sh: $(( $(date +%s) - T0 )) s in all"
[ "$rc" = 0 ] || echo "device-train.sh: a job failed or was stopped, see the stdout in its archive" >&2
exit $rc

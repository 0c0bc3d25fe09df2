#!/bin/sh
# One prepared, time-boxed training session on a lent GPU machine (docs/training.md, "On a GPU").
#
#   scripts/device-train.sh --stage                 # here: copy the training data into .device/data
#   scripts/device-train.sh --minutes 8 --out "$OUT"   # there (carry .device): train both networks
#
# --stage copies the CIFAR-10 JPEG archives and the training photos (~31 MiB, under the 64 MiB a
# device call carries) from the shared data folder into the git-ignored .device/data. A run trains
# the CIFAR network (configs/train/cifar10-1mb.json) and then the 0.25 bpp codec
# (configs/train/kodak-025.json), each with its schedule fitted into its share of the time
# (--time-budget of the trainers), exports both, and leaves run folders, logs and networks in OUT
# (default runs/device). The same commands run on the CPU, only slower (--device cpu).
# Options: --minutes M (total, default 8), --cifar-share F (default 0.5), --device D (default auto),
# --threads N (default 8), --data DIR (default .device/data), --out DIR, --cifar-config FILE,
# --codec-config FILE (other experiments, or tiny ones for a dry run), --stage, --src DIR (the
# shared data folder, for --stage).
set -eu
cd "$(dirname "$0")/.."
MINUTES=8
SHARE=0.5
DEVICE=auto
DATA=.device/data
OUT=runs/device
STAGE=0
THREADS=8
CIFAR_CFG=configs/train/cifar10-1mb.json
CODEC_CFG=configs/train/kodak-025.json
SRC=${ENCVP_DATA:-../shared/data}
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --cifar-share) SHARE=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --cifar-config) CIFAR_CFG=$2; shift 2 ;;
    --codec-config) CODEC_CFG=$2; shift 2 ;;
    --stage) STAGE=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "device-train.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ "$STAGE" = 1 ]; then
  for f in cifar10-jpeg/cifar10-train-jpeg.tar.xz cifar10-jpeg/cifar10-test-jpeg.tar.xz; do
    [ -f "$SRC/$f" ] || { echo "device-train.sh: no $SRC/$f (--src names the shared data folder)" >&2; exit 2; }
  done
  [ -d "$SRC/photos-train" ] || { echo "device-train.sh: no $SRC/photos-train" >&2; exit 2; }
  mkdir -p "$DATA/cifar10-jpeg" "$DATA/photos-train"
  cp "$SRC"/cifar10-jpeg/*.tar.xz "$DATA/cifar10-jpeg/"
  cp "$SRC"/photos-train/* "$DATA/photos-train/"
  echo "device-train.sh: staged $(du -sh "$DATA" | cut -f1) in $DATA; carry \".device\" to the device"
  exit 0
fi

# Debian's interpreter where it has torch, else the first python3 on PATH (the device's).
PY=""
for c in /usr/bin/python3 python3; do
  if "$c" -c "import torch" >/dev/null 2>&1; then PY=$c; break; fi
done
[ -n "$PY" ] || { echo "device-train.sh: no python3 with torch" >&2; exit 2; }
budget() { "$PY" -c "import sys; print(max(30, int(float(sys.argv[1]) * 60 * float(sys.argv[2]))))" "$MINUTES" "$1"; }
CIFAR_S=$(budget "$SHARE")
CODEC_S=$(budget "$("$PY" -c "import sys; print(1 - float(sys.argv[1]))" "$SHARE")")
mkdir -p "$OUT"
export PYTHONPATH=sw/train OMP_WAIT_POLICY=PASSIVE ENCVP_CACHE="$OUT/cache"
"$PY" -c "import torch; print('device-train.sh: torch', torch.__version__, 'cuda' if torch.cuda.is_available() else 'cpu only')"
echo "device-train.sh: CIFAR network for ${CIFAR_S} s, then the codec for ${CODEC_S} s, into $OUT"

# A failed stage does not stop the next one: the time on a lent machine is counted.
rc=0
C=$(basename "$CIFAR_CFG" .json)
K=$(basename "$CODEC_CFG" .json)
"$PY" -m encvp_train.train --config "$CIFAR_CFG" --out "$OUT/$C" --resume \
  --data "$DATA" --device "$DEVICE" --time-budget "$CIFAR_S" --threads "$THREADS" >"$OUT/$C.stdout" 2>&1 || rc=1
"$PY" -m encvp_train.export --checkpoint "$OUT/$C/best.pt" -o "$OUT/$C.enet" \
  --data "$DATA" >>"$OUT/$C.stdout" 2>&1 || rc=1
"$PY" -m encvp_train.train_compress --config "$CODEC_CFG" --out "$OUT/$K" --resume \
  --data "$DATA" --device "$DEVICE" --time-budget "$CODEC_S" --threads "$THREADS" >"$OUT/$K.stdout" 2>&1 || rc=1
"$PY" -m encvp_train.export_compress --checkpoint "$OUT/$K/best.pt" -o "$OUT/$K.enet" \
  --log "$OUT/$K/train.log" --data "$DATA" >>"$OUT/$K.stdout" 2>&1 || rc=1
rm -rf "$OUT/cache"
tail -n 3 "$OUT/$C/train.log" "$OUT/$K/train.log" 2>/dev/null || true
[ "$rc" = 0 ] || echo "device-train.sh: a stage failed, see $OUT/*.stdout" >&2
exit $rc

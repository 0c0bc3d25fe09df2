#!/bin/sh
# usage: scripts/prepare-data.sh [test] [train]   (default: both)
# Unpacks the shared CIFAR-10 JPEG archives into .data/cifar10-jpeg/{train,test}/<class>/ so that
# `encvp classify --dataset .data/cifar10-jpeg/test` can read them. The data directory defaults
# to ../shared/data (override with ENCVP_DATA). Idempotent.
set -eu
cd "$(dirname "$0")/.."
DATA=${ENCVP_DATA:-../shared/data}
OUT=.data/cifar10-jpeg
mkdir -p "$OUT"
splits=${*:-test train}
for split in $splits; do
  archive="$DATA/cifar10-jpeg/cifar10-$split-jpeg.tar.xz"
  if [ -d "$OUT/$split" ]; then
    echo "prepare-data: $OUT/$split already present"
  elif [ -f "$archive" ]; then
    echo "prepare-data: unpacking $archive"
    tar -xJf "$archive" -C "$OUT"
  else
    echo "prepare-data: $archive not found (set ENCVP_DATA to the shared data directory)" >&2
    exit 1
  fi
done

#!/bin/sh
# Classifies 1,000 images of the shared CIFAR-10 JPEG test copy on the VP, checked against the
# golden model. Exits 77 (skipped) when the data is not on this machine.
# usage: classify_shared_data.sh ENCVP SOURCE_DIR
set -eu
encvp=$1
src=$2
data=${ENCVP_DATA:-$src/../shared/data}
archive=$data/cifar10-jpeg/cifar10-test-jpeg.tar.xz
test_dir=$src/.data/cifar10-jpeg/test
if [ ! -d "$test_dir" ]; then
  if [ ! -f "$archive" ]; then
    echo "SKIP: CIFAR-10 JPEG test archive not found at $archive (set ENCVP_DATA)"
    exit 77
  fi
  ENCVP_DATA=$data "$src/scripts/prepare-data.sh" test
fi
"$encvp" classify --dataset "$test_dir" --limit 1000 --check

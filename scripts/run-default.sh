#!/bin/sh
# The main job on the built-in defaults: installs dependencies, builds, then classifies the bundled
# CIFAR-10 sample images with the bundled network on the full virtual platform (firmware, DMA,
# interrupts, timing), checked image by image against the golden model.
set -eu
cd "$(dirname "$0")/.."
./scripts/build.sh
BUILD_DIR=${ENCVP_BUILD_DIR:-build}
exec "$BUILD_DIR/platform/encvp" classify --check --report "$BUILD_DIR/classify-report.json" "$@"

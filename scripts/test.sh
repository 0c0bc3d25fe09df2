#!/bin/sh
# The whole test suite: installs dependencies, builds (Release), runs every CTest test
# (GoogleTest unit and integration tests, golden checks, CLI checks, firmware portability,
# register-map freshness, the training flow's Python tests).
set -eu
cd "$(dirname "$0")/.."
./scripts/build.sh
BUILD_DIR=${ENCVP_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" -j"$(nproc)" --output-on-failure --timeout 600 "$@"

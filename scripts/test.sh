#!/bin/sh
# The whole test suite: installs dependencies, builds (Release), runs every CTest test
# (GoogleTest unit and integration tests, golden checks, CLI and hostile-input checks, fuzz-harness
# replays, firmware portability, register-map freshness, the training flow's Python tests), then
# the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (scripts/test-sanitize.sh).
#
#   scripts/test.sh                       # both (what .ci/run runs)
#   ENCVP_SANITIZE_TESTS=0 scripts/test.sh  # the Release suite only (a quick local run)
#
# Extra arguments go to ctest (both runs), e.g. scripts/test.sh -R dma_test
set -eu
cd "$(dirname "$0")/.."
./scripts/build.sh
BUILD_DIR=${ENCVP_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" -j"$(nproc)" --output-on-failure --timeout 600 "$@"
if [ "${ENCVP_SANITIZE_TESTS:-1}" != 0 ]; then
  ./scripts/test-sanitize.sh "$@"
fi

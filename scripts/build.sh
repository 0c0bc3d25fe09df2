#!/bin/sh
# Installs the Debian packages encvp needs (if missing), configures a Release build in ./build and
# builds everything with all cores. Extra arguments go to CMake's configure step.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${ENCVP_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"

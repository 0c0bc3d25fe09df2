#!/bin/sh
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (ENCVP_SANITIZE=ON), in its own
# build directory (build-asan). Run by .ci/run after the normal suite. Extra arguments go to ctest.
#
# The training flow's Python tests (label "python") are left out: they run no instrumented code
# and take minutes. SystemC's coroutine threads switch stacks behind ASan's back: ASan is told not
# to track fake stacks for use-after-return (detect_stack_use_after_return=0), and scope checking is
# compiled out (CMakeLists.txt). Leak checking stays on with suppressions (tests/sanitizers/lsan.supp)
# for what SystemC keeps until exit and for what lives on the stack of a process that never returns
# (a halted core's firmware thread); the suppressions match whole stacks, so allocations are
# unwound with the slow, complete unwinder (fast_unwind_on_malloc=0: the fast one stops at the
# coroutine boundary). A 32 MB quarantine keeps the memory-bound tests meaningful.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${ENCVP_ASAN_BUILD_DIR:-build-asan}
# -O1 with line tables: compiles about twice as fast as -O2 -g, and keeps the reports readable.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENCVP_SANITIZE=ON -DENCVP_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
export ASAN_OPTIONS="detect_stack_use_after_return=0:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:abort_on_error=1:fast_unwind_on_malloc=0:quarantine_size_mb=32"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$BUILD_DIR" -j"$(nproc)" --output-on-failure --timeout 1200 -LE python "$@"

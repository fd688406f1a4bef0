#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in build-san/.
# Usage: tests/sanitize.sh [ctest arguments...]     (CI runs it after tests/run.sh)
#
# Only rd's own code is instrumented (LibTorch, OpenCV and libstdc++ come from Debian as they
# are). Any report fails the test that triggered it: halt_on_error and UBSan's
# -fno-sanitize-recover make a report an abnormal exit. Leak checking is off: LibTorch and
# OpenMP keep thread pools and registries alive until exit, which LeakSanitizer reports as
# leaks of memory rd never owned.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
BUILD_DIR=${BUILD_DIR:-build-san} RD_SANITIZE=ON exec tests/run.sh "$@"

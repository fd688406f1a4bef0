#!/usr/bin/env bash
# The project's test command: installs what it needs on Debian 12 or 13, builds, runs every test.
# Usage: tests/run.sh [ctest arguments...]   (BUILD_DIR, RD_SANITIZE=ON honoured)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRD_SANITIZE="${RD_SANITIZE:-OFF}" >/dev/null
cmake --build "$BUILD_DIR"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$(nproc)" "$@"

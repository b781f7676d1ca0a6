#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole test command: installs what is missing, builds twice (gcc release with
# -Werror; clang with ASan+UBSan and libFuzzer), and runs every test in both builds.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh --test

jobs=$(nproc)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== release build (gcc)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$jobs"

echo "== sanitizer build (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	-DSBC_SANITIZE=ON -DSBC_FUZZ=ON >/dev/null
cmake --build build/asan -j"$jobs"

# Daemon tests start real processes on a shared 2-core machine: a test that fails is run
# once more, and fails the suite if it fails again (ctest prints both attempts).
echo "== tests, release build"
ctest --test-dir build/release --output-on-failure -j"$jobs" --repeat until-pass:2

echo "== tests, sanitizer build (fuzz targets run for ${SBC_FUZZ_SECONDS:-15}s each)"
ctest --test-dir build/asan --output-on-failure -j"$jobs" --repeat until-pass:2

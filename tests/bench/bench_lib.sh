# SPDX-License-Identifier: BSD-2-Clause
# Shared by the call benchmarks (bench_calls.sh, bench_soak.sh): finds the source and build
# directories, sources the end-to-end harness, and reads sipp's final counts.
# Sourced by bash scripts in tests/bench; SBC_BUILD_DIR defaults to build/release.

SBC_SOURCE_DIR=${SBC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SBC_BUILD_DIR=${SBC_BUILD_DIR:-$SBC_SOURCE_DIR/build/release}
# The harness changes directory: make both absolute.
SBC_SOURCE_DIR=$(cd "$SBC_SOURCE_DIR" && pwd)
SBC_BUILD_DIR=$(cd "$SBC_BUILD_DIR" && pwd)
export SBC_SOURCE_DIR SBC_BUILD_DIR
. "$SBC_SOURCE_DIR/tests/daemon/e2e/lib.sh"

# sipp_count FILE WHAT [DEFAULT]: a count from the last screen sipp printed to FILE (WHAT:
# "Successful call", "Failed call"...), DEFAULT (0) when there is none.
sipp_count() {
	local v
	v=$(awk -F'|' -v w="$2" 'index($0, w) { gsub(/ /, "", $3); print $3 }' "$1" 2>/dev/null | tail -1)
	echo "${v:-${3:-0}}"
}

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fails listing every dependency cycle between the source files under SOURCE_DIR/DIR...:
# which file uses which (symbols, from the build's objects: deps_symbols.sh) and which
# header includes which (deps_headers.sh). A file that calls back into the file that
# calls it is a design to change (STYLE.md, Layout).
# Usage: check_cycles.sh BUILD_DIR SOURCE_DIR DIR...
set -euo pipefail
export LC_ALL=C
[ $# -ge 3 ] || { echo "usage: $0 BUILD_DIR SOURCE_DIR DIR..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$1
src=$2
shift 2

# cycles_of TITLE EDGES: prints TITLE and the cycles of EDGES; 1 if there are any.
cycles_of() {
	local title=$1 edges=$2 nodes out
	[ -n "$edges" ] || { echo "$title: no edges"; return 0; }
	nodes=$(awk '{ print $1; print $2 }' <<<"$edges" | sort -u)
	out=$(awk -f "$here/cycles.awk" <(echo "$nodes") <(echo "$edges"))
	if [ -z "$out" ]; then
		echo "$title: no cycles ($(wc -l <<<"$nodes") files, $(awk '{ print $1, $2 }' \
			<<<"$edges" | sort -u | wc -l) edges)"
		return 0
	fi
	echo "$title: $(grep -c -- ' -> .* -> ' <<<"$out" || true) cycles:"
	echo "$out"
	return 1
}

sym_edges=$("$here/deps_symbols.sh" "$build" "$src" "$@")
hdr_edges=$("$here/deps_headers.sh" "$src" "$@")
rc=0
cycles_of "source files (symbol references in the objects)" "$sym_edges" || rc=1
cycles_of "headers (#include \"...\")" "$hdr_edges" || rc=1
exit $rc

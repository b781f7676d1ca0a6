#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Which project header includes which: the #include "..." lines of every header under
# SOURCE_DIR/DIR...
# Usage: deps_headers.sh SOURCE_DIR DIR...
# Prints one edge per line: "FROM TO" (paths relative to SOURCE_DIR).
#
# An include resolves like the compiler's quote form would: beside the including
# header first; otherwise the project header whose path ends with the included path,
# as pick.awk chooses among several. One still ambiguous is reported on stderr and
# makes no edge; one that names no project header (system or test headers) is no edge.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 SOURCE_DIR DIR..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
src=$1
shift
cd "$src"
headers=$(find "$@" -name '*.h' -type f | LC_ALL=C sort)
[ -n "$headers" ] || exit 0

# Each header's name once (first file), then its include lines.
while read -r h; do
	echo "H $h"
	awk -v h="$h" '/^[ \t]*#[ \t]*include[ \t]*"/ {
		s = $0
		sub(/^[^"]*"/, "", s)
		sub(/".*/, "", s)
		print "I", h, s
	}' "$h"
done <<<"$headers" | awk "$(cat "$here/pick.awk")"'
	function dirname(p) { if (p !~ /\//) return ""; sub(/\/[^\/]*$/, "", p); return p }
	# a/b/../c -> a/c, ./x -> x
	function normal(p,    n, i, k, part, outp) {
		n = split(p, part, "/")
		k = 0
		for (i = 1; i <= n; i++) {
			if (part[i] == "." || part[i] == "")
				continue
			if (part[i] == ".." && k > 0 && outp[k] != "..") {
				k--
				continue
			}
			outp[++k] = part[i]
		}
		p = ""
		for (i = 1; i <= k; i++)
			p = p (i > 1 ? "/" : "") outp[i]
		return p
	}
	$1 == "H" { is_h[$2] = 1; hs[++nh] = $2; next }
	{ inc[++ni] = $2 " " $3 }
	END {
		for (i = 1; i <= ni; i++) {
			split(inc[i], f, " ")
			from = f[1]
			want = f[2]
			d = dirname(from)
			to = normal((d == "" ? "" : d "/") want)
			if (!(to in is_h)) {
				# the project headers whose path ends with the included one
				split("", cand)
				n = 0
				for (k = 1; k <= nh; k++)
					if (hs[k] == want || substr(hs[k], length(hs[k]) - length(want)) == "/" want)
						cand[++n] = hs[k]
				if (n == 0)
					continue    # a system or test header
				to = arch_pick(from, cand, n)
				if (to == "") {
					printf "deps_headers: %s: \"%s\" matches %d headers; no edge\n",
					    from, want, n > "/dev/stderr"
					continue
				}
			}
			if (to != from)
				print from, to
		}
	}' | LC_ALL=C sort -u

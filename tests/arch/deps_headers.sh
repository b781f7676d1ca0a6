#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Which project header includes which: the #include "..." lines of every header under
# SOURCE_DIR/DIR...
# Usage: deps_headers.sh SOURCE_DIR DIR...
# Prints one edge per line: "FROM TO" (paths relative to SOURCE_DIR).
#
# An include resolves like the compiler's quote form would: beside the including
# header first; otherwise the project header whose path ends with the included path,
# preferring one in the includer's own top-level folder, then one outside the daemons'
# folders. One still ambiguous is reported on stderr and makes no edge; one that names
# no project header (system or test headers) is no edge.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 SOURCE_DIR DIR..." >&2; exit 2; }
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
done <<<"$headers" | awk '
	function top(p) { sub(/\/.*/, "", p); return p }
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
				to = ""
				for (pass = 1; pass <= 3 && to == ""; pass++) {
					n = 0
					for (k = 1; k <= nh; k++) {
						c = hs[k]
						if (c != want && substr(c, length(c) - length(want)) != "/" want)
							continue
						if ((pass == 1 && top(c) == top(from)) ||
						    (pass == 2 && top(c) != "mediad" && top(c) != "sigproxy") ||
						    pass == 3) {
							n++
							cand = c
						}
					}
					if (n == 1)
						to = cand
					else if (n > 1)
						break
				}
				if (to == "" && n > 1) {
					printf "deps_headers: %s: \"%s\" matches %d headers; no edge\n",
					    from, want, n > "/dev/stderr"
					continue
				}
			}
			if (to != "" && to != from)
				print from, to
		}
	}' | LC_ALL=C sort -u

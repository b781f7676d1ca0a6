#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Which source file uses which, from the objects of a build: an object's undefined
# symbols (nm) resolved to the source file whose object defines them as globals.
# Usage: deps_symbols.sh BUILD_DIR SOURCE_DIR DIR...
# Prints one edge per line: "FROM TO SYMBOL" (paths relative to SOURCE_DIR), for the
# sources under SOURCE_DIR/DIR... listed in BUILD_DIR/compile_commands.json.
#
# Static functions and variables are local symbols (nm "t", "d"...) and never resolve a
# reference, so two files with a static function of the same name are no edge. A global
# defined in more than one file (main in each daemon) resolves as pick.awk says; a
# reference still ambiguous is reported on stderr and makes no edge.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 BUILD_DIR SOURCE_DIR DIR..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
build=$1
src=$2
shift 2
db=$build/compile_commands.json
[ -f "$db" ] || { echo "$0: no $db (CMAKE_EXPORT_COMPILE_COMMANDS)" >&2; exit 2; }

# "OBJECT SOURCE" for each compiled file under the chosen folders. CMake writes one key
# per line; the object is the "output" key when present, else the command's -o argument.
objects=$(awk -v src="$src" -v dirs="$*" '
	function val(s) {
		sub(/^[^:]*:[ \t]*"/, "", s)
		sub(/",?[ \t]*$/, "", s)
		return s
	}
	function flush(   n, i, t, o, rel, k, nd, d) {
		if (file == "")
			return
		o = out
		if (o == "") {
			n = split(cmd, t, /[ \t]+/)
			for (i = 1; i < n; i++)
				if (t[i] == "-o")
					o = t[i + 1]
		}
		if (o != "" && o !~ /^\//)
			o = dir "/" o
		if (index(file, src "/") == 1 && o != "") {
			rel = substr(file, length(src) + 2)
			nd = split(dirs, d, / /)
			for (k = 1; k <= nd; k++)
				if (index(rel, d[k] "/") == 1) {
					print o, rel
					break
				}
		}
		file = cmd = out = dir = ""
	}
	/^[ \t]*\{/ { flush() }
	/^[ \t]*"directory":/ { dir = val($0) }
	/^[ \t]*"command":/ { cmd = val($0) }
	/^[ \t]*"file":/ { file = val($0) }
	/^[ \t]*"output":/ { out = val($0) }
	END { flush() }
' "$db" | sort -u)
[ -n "$objects" ] || { echo "$0: no objects for $* in $db" >&2; exit 2; }

# "D SOURCE SYMBOL" for each global definition, "U SOURCE SYMBOL" for each reference.
while read -r obj file; do
	[ -f "$obj" ] || { echo "$0: $obj (of $file) not built" >&2; exit 2; }
	nm -P -g "$obj" | awk -v f="$file" '
		$2 == "U" || $2 == "w" || $2 == "v" { print "U", f, $1; next }
		$2 ~ /^[A-Z]$/ { print "D", f, $1 }'
done <<<"$objects" | awk "$(cat "$here/pick.awk")"'
	$1 == "D" {
		if (!(($3, $2) in seen)) {
			seen[$3, $2] = 1
			ndef[$3]++
			def[$3, ndef[$3]] = $2
		}
		next
	}
	{ use[++nuse] = $2 " " $3 }
	END {
		for (i = 1; i <= nuse; i++) {
			split(use[i], u, " ")
			from = u[1]
			sym = u[2]
			if (!(sym in ndef))
				continue        # libc, libraries, the sanitizers
			split("", cand)
			for (k = 1; k <= ndef[sym]; k++)
				cand[k] = def[sym, k]
			to = arch_pick(from, cand, ndef[sym])
			if (to == "") {
				printf "deps_symbols: %s: %s is defined in %d files; no edge\n",
				    from, sym, ndef[sym] > "/dev/stderr"
				continue
			}
			if (to != from)
				print from, to, sym
		}
	}' | sort -u

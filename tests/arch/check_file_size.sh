#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Fails listing every C source or header under SOURCE_DIR/DIR... longer than LIMIT
# lines: split before a file passes ~700 lines (STYLE.md, Layout).
# Usage: check_file_size.sh LIMIT SOURCE_DIR DIR...
set -euo pipefail
export LC_ALL=C
[ $# -ge 3 ] || { echo "usage: $0 LIMIT SOURCE_DIR DIR..." >&2; exit 2; }
limit=$1
cd "$2"
shift 2
files=$(find "$@" \( -name '*.c' -o -name '*.h' \) -type f | sort)
[ -n "$files" ] || { echo "no C files under $*" >&2; exit 2; }
# wc -l counts newlines; a last line without one still counts here.
over=$(while read -r f; do
	awk -v f="$f" -v limit="$limit" 'END { if (NR > limit) print NR, f }' "$f"
done <<<"$files")
if [ -n "$over" ]; then
	echo "$(wc -l <<<"$over") of $(wc -l <<<"$files") files exceed $limit lines (split them):"
	sort -rn <<<"$over" | awk '{ printf "  %-40s %5d\n", $2, $1 }'
	exit 1
fi
echo "all $(wc -l <<<"$files") files have at most $limit lines"

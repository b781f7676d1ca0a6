#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The layout checks can fail and can pass: check_cycles.sh on tests/arch/fixture finds
# exactly the cycles planted there (expected_cycles.txt) and none in the acyclic part;
# cycles.awk lists every cycle of a complete graph and stops at its cap;
# check_file_size.sh fails over the limit and passes under it.
# Usage: test_arch_selftest.sh BUILD_DIR SOURCE_DIR
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
build=$1
src=$2
fx=tests/arch/fixture
. "$here/../lib/tap.sh"

# The statics named like another file's globals are in the objects, as local symbols:
# what makes the "no edge" checks below mean something.
for f in cyclic/c.c:b_fn acyclic/h.c:g_fn; do
	obj=$(find "$build" -path "*arch_fixture.dir*" -name "$(basename "${f%%:*}").o" | head -1)
	ok "fixture: ${f%%:*} has its static ${f##*:} as a local symbol" \
		grep -qx "${f##*:} t" <(nm -P "$obj" 2>/dev/null | awk '{ print $1, $2 }')
done

out=$("$here/check_cycles.sh" "$build" "$src" $fx/cyclic 2>&1)
rc=$?
ok "cyclic fixture: check_cycles fails" test $rc = 1
ok "cyclic fixture: exactly the planted cycles, with the uses along them" \
	diff -u "$here/fixture/expected_cycles.txt" <(echo "$out")

out=$("$here/check_cycles.sh" "$build" "$src" $fx/acyclic 2>&1)
rc=$?
ok "acyclic fixture: check_cycles passes" test $rc = 0
ok "acyclic fixture: the g.c -> h.c edge is seen, the static g_fn makes none" \
	grep -qx 'source files (symbol references in the objects): no cycles (2 files, 1 edges)' \
	<<<"$out"
ok "acyclic fixture: the g.h -> h.h include is seen" \
	grep -qx 'headers (#include "..."): no cycles (2 files, 1 edges)' <<<"$out"

# K4, every node to every other: 6 two-cycles + 8 three-cycles + 6 four-cycles.
k4_nodes=$(printf '%s\n' a b c d)
k4_edges=$(for x in a b c d; do for y in a b c d; do [ $x = $y ] || echo "$x $y"; done; done)
out=$(awk -f "$here/cycles.awk" <(echo "$k4_nodes") <(echo "$k4_edges"))
ok "cycles.awk: K4 has 20 cycles, each listed once" \
	test "$(grep -c ' -> ' <<<"$out")" = 20 -a "$(sort <<<"$out" | uniq -d | wc -l)" = 0
ok "cycles.awk: a 4-cycle is listed from its smallest node" \
	grep -qx '  a -> b -> c -> d -> a' <<<"$out"
out=$(awk -v max_cycles=5 -f "$here/cycles.awk" <(echo "$k4_nodes") <(echo "$k4_edges"))
ok "cycles.awk: stops at max_cycles and says so" \
	test "$(grep -c ' -> ' <<<"$out")" = 5 -a "$(grep -c 'listing stopped after 5' <<<"$out")" = 1
out=$(awk -f "$here/cycles.awk" <(printf '%s\n' a b c) <(printf 'a b\nb c\na c\n'))
ok "cycles.awk: a DAG has no cycles" test -z "$out"

out=$("$here/check_file_size.sh" 10 "$src" $fx 2>&1)
rc=$?
ok "file size: fails over the limit" test $rc = 1
ok "file size: names an offender with its length" \
	grep -Eq "^  $fx/cyclic/c.c +$(awk 'END { print NR }' "$src/$fx/cyclic/c.c")\$" <<<"$out"
ok "file size: leaves short files out" eval '! grep -q "acyclic/h.h" <<<"$out"'
out=$("$here/check_file_size.sh" 700 "$src" $fx 2>&1)
ok "file size: passes under the limit" test $? = 0

echo "1..$N"
[ "$FAIL" = 0 ]

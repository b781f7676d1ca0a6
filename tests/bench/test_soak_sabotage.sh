#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The soak's checks can fail: bench_soak.sh --smoke with a call mediad is never told to
# delete, a dialog record without a TTL, and the backend stopped for 4 s (SIGSTOP), all
# during the main run, must fail and name exactly what was left over (mediad's fds, ports
# and calls held, keys, keys without TTL) and the failed calls, and nothing else.
set -u
SBC_SOURCE_DIR=${SBC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SBC_SOURCE_DIR/tests/lib/tap.sh"
OUT=$(mktemp "${TMPDIR:-/tmp}/soak-sabotage.XXXXXX")
trap 'rm -f "$OUT"' EXIT

"$SBC_SOURCE_DIR/tests/bench/bench_soak.sh" --smoke --sabotage call,key,stall >"$OUT" 2>&1
RC=$?
failed() { grep -qE "^$1 .*FAIL" "$OUT"; }
passed() { grep -qE "^$1 " "$OUT" && ! failed "$1"; }
ok "the run fails (exit $RC)" [ "$RC" = 1 ]
ok "the sabotage happened" grep -q '^# sabotage: an offer to mediad that nobody deletes (answered)' "$OUT"
ok "mediad open fds: growth found" failed "mediad open fds"
ok "mediad ports in use: growth found" failed "mediad ports in use"
ok "mediad calls held: growth found" failed "mediad calls held"
ok "Redis keys: growth found" failed "Redis keys \(DBSIZE\)"
ok "Redis keys without TTL: growth found" failed "Redis keys without TTL"
ok "sigproxy open fds: no growth" passed "sigproxy open fds"
ok "nothing else failed" [ "$(grep -c 'FAIL' "$OUT")" = 7 ]
ok "the backend was stopped" grep -q '^# sabotage: the backend stopped for 4 s' "$OUT"
ok "failed calls found" grep -q '^FAIL - failed calls at most' "$OUT"
ok "every call ended" grep -q '^ok   - every call answered or failed' "$OUT"
ok "the growth check failed" grep -q '^FAIL - nothing left over by the warm-up, no growth beyond' "$OUT"
echo "1..$N"
if [ "$FAIL" -ne 0 ]; then
	sed 's/^/# /' "$OUT"
	exit 1
fi

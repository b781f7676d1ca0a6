#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A moved call continues its SRTP sessions even when sigproxy's Redis is slow: the old
# mediad's record (the callers' keys, rollover counters and indexes) must be read before
# anything can replace it. The new mediad writes the call's record afresh as soon as it has
# the caller's offer, so sigproxy may not re-INVITE the caller before its read of the old
# record has come back. Here every byte between sigproxy and Redis takes 150 ms each way
# (unix_delay.pl) while the mediads reach Redis directly: a read sent "first" but answered
# late finds the new mediad's record, with no index in it, and the callers, whose sequence
# numbers wrapped (rollover counter 1), would fail authentication on every packet after
# the move (as in one run of e2e_failover_netns, the race without the delay).
#   Real processes: redis-server, two mediads, sigproxy (drained_calls = move), e2e_ua
# playing both parties of four calls with real SRTP media; md2 drained first so that every
# call lands on md1, then md1 drained: every call moves to md2.
set -u
. "$(dirname "$0")/lib.sh"
UA=$BUILD/tests/e2e_ua
need redis-server redis-cli perl "$SIGPROXY" "$MEDIAD" "$UA"

SIP_IN=$(e2e_ip 2)
SIP_OUT=$(e2e_ip 1)
CALLER=$(e2e_ip 10)
BACK=$(e2e_ip 20)
CALLS=4

redis_start || { echo "redis-server did not start" >&2; exit 1; }
SLOW=$DIR/redis-slow.sock
perl "$E2E_DIR_SRC/unix_delay.pl" "$SLOW" "$REDIS_SOCK" 150 170 2>"$DIR/unix_delay.err" &
PIDS+=($!)
wait_for 5 test -S "$SLOW" || { echo "unix_delay.pl did not start" >&2; cat "$DIR/unix_delay.err" >&2; exit 1; }
ok "the slow path really is slow (a PING takes 300 ms or more)" bash -c "
	t0=\$(date +%s%3N); redis-cli -s '$SLOW' ping | grep -q PONG || exit 1
	test \$((\$(date +%s%3N) - t0)) -ge 300"

mediad_start md1 "$(e2e_ip 31)" "$(e2e_ip 32)" 34000 || exit 1
mediad_start md2 "$(e2e_ip 41)" "$(e2e_ip 42)" 35000 || exit 1
MD1=e2e-md1-$$
MD2=e2e-md2-$$
# the reply deadline well above the delay: slow, not hung
SP_UDP_REDIS=$'unix_socket = '"$SLOW"$'\ncommand_timeout_ms = 3000' \
	SP_MEDIA_EXTRA="drained_calls = move" sigproxy_udp_start mv "$SIP_OUT" "$SIP_IN" "$BACK" || exit 1
LOG=$DIR/sigproxy-mv.log
ok "sigproxy sees both mediads" wait_for 10 bash -c \
	"grep -q 'mediad_added id=$MD1' '$LOG' && grep -q 'mediad_added id=$MD2' '$LOG'"
rcli hset "sbc:mediad:$MD2" drain yes drain_by test >/dev/null
ok "md2 drained: new calls go to md1 only" wait_for 5 grep -q "mediad_drained id=$MD2" "$LOG"

# the callers' sequence numbers wrap within a second: rollover counter 1 before the move
ua_start ua "$SIP_OUT" "$CALLER" "$BACK" 8011001 $CALLS -d 9000 -q 65500
ok "$CALLS calls up, media both ways" wait_for 15 grep -q ua_media_up "$DIR/ua.out"
mapfile -t CIDS < <(ua_callids ua)
ok "every call on md1" wait_for 5 bash -c 'for c in "$@"; do [ "$(redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:call:$c" mediad)" = "'"$MD1"'" ] || exit 1; done' _ "${CIDS[@]}"
rcli hdel "sbc:mediad:$MD2" drain drain_by >/dev/null
ok "md2 undrained" wait_for 5 grep -q "mediad_undrained id=$MD2" "$LOG"
# md1's records name the wrapped rollover counter (a store on every wrap)
ok "md1's records name each caller's rollover counter 1" wait_for 5 bash -c '
	for c in "$@"; do
		redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:media:$c" a_m1_rx_index | grep -q "roc=1" || exit 1
	done' _ "${CIDS[@]}"

T=$(ms_now)
rcli hset "sbc:mediad:$MD1" drain yes drain_by test >/dev/null
ok "md1 drained" wait_for 5 grep -q "mediad_drained id=$MD1" "$LOG"
ok "all $CALLS calls moved to md2" wait_for 15 bash -c \
	"test \$(grep -c 'call_moved from=$MD1 to=$MD2' '$LOG') = $CALLS"
ok "nothing failed" bash -c "! grep -q move_failed '$LOG'"
ok "md2 continued every caller's SRTP session from md1's record" \
	test "$(grep -c 'srtp_resume_moved' "$DIR/mediad-md2.log")" = $CALLS

wait "$UA_PID"
UA_RC=$?
e2e_forget "$UA_PID"
ok "every call answered and ended (rc $UA_RC)" test "$UA_RC" = 0
for i in $(seq 0 $((CALLS - 1))); do
	l=$(grep "^ua_call i=$i " "$DIR/ua.out")
	# a packet or two fail at the switch (the new key reaches the caller in the ACK)
	ok "call $i: media bit-exact, SRTP failures only at the switch ($(field "$l" authfail))" \
		test "$(field "$l" bad)" = 0 -a "$(field "$l" authfail)" -le 4
	ok "call $i: the caller's media reached the callee after the move" \
		test "$(field "$l" last_s2r)" -gt "$((T + 3000))"
done
ok "md2 dropped no caller packet for authentication after the move" \
	bash -c "test \$(grep -c 'relay_drop reason=auth' '$DIR/mediad-md2.log') -le $CALLS"
e2e_finish

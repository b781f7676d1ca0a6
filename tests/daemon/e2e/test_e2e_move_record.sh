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
#   2. The old mediad comes back: new calls on md2 (md1 still drained, then undrained); md2
# frozen (SIGSTOP) and its Redis connection cut (its own path to Redis, killed), so its
# calls move to md1; then the path back and md2 thawed. md2 reconnects and rewrites every
# call it holds, as after any Redis outage; those records are md1's now: each write must
# be refused (md2 lets its copy go, call_moved_away), not land as md2's. Landed, md1's
# record would name md2 (a restart of md1 would not restore the call; md2's later
# timeout would delete the record as its own).
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
# md2 reaches Redis by a path of its own (no delay), for phase 2 to cut
MD2_PATH=$DIR/redis-md2.sock
md2_path() {
	perl "$E2E_DIR_SRC/unix_delay.pl" "$MD2_PATH" "$REDIS_SOCK" 0 170 2>>"$DIR/unix_delay.err" &
	MD2_PATH_PID=$!
	PIDS+=("$MD2_PATH_PID")
	wait_for 5 test -S "$MD2_PATH"
}
md2_path || { echo "md2's path to Redis did not start" >&2; exit 1; }
MEDIAD_REDIS="unix_socket = $MD2_PATH" mediad_start md2 "$(e2e_ip 41)" "$(e2e_ip 42)" 35000 || exit 1
MD2_PID=$MEDIAD_PID
MD1=e2e-md1-$$
MD2=e2e-md2-$$
# the reply deadline well above the delay: slow, not hung
SP_UDP_REDIS=$'unix_socket = '"$SLOW"$'\ncommand_timeout_ms = 3000' \
	SP_MEDIA_EXTRA=$'drained_calls = move\nmediad_dead_ms = 1000\nmediad_up_after = 2' \
	sigproxy_udp_start mv "$SIP_OUT" "$SIP_IN" "$BACK" || exit 1
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

# calls_ok NAME T PID MAX: the calls of e2e_ua NAME (PID) after it ended; T the move, MAX
# the SRTP failures allowed at the caller
calls_ok() {
	local name=$1 t=$2 pid=$3 max=$4 rc i l
	wait "$pid"
	rc=$?
	e2e_forget "$pid"
	ok "$name: every call answered and ended (rc $rc)" test "$rc" = 0
	for i in $(seq 0 $((CALLS - 1))); do
		l=$(grep "^ua_call i=$i " "$DIR/$name.out")
		# a packet or two fail at the switch (the new key reaches the caller in the ACK)
		ok "$name: call $i: media bit-exact, SRTP failures only at the switch ($(field "$l" authfail))" \
			test "$(field "$l" bad)" = 0 -a "$(field "$l" authfail)" -le "$max"
		ok "$name: call $i: media both ways after the move" \
			test "$(field "$l" last_s2r)" -gt "$((t + 3000))" -a "$(field "$l" last_r2s)" -gt "$((t + 3000))"
	done
}
calls_ok ua "$T" "$UA_PID" 4
ok "md2 dropped no caller packet for authentication after the move" \
	bash -c "test \$(grep -c 'relay_drop reason=auth' '$DIR/mediad-md2.log') -le $CALLS"

# ---- 2. md2 frozen and cut from Redis; its calls move to md1; md2 back ----
ua_start ua2 "$SIP_OUT" "$CALLER" "$BACK" 8011101 $CALLS -d 14000 -q 65500
U2=$UA_PID
ok "2: $CALLS new calls up" wait_for 15 grep -q ua_media_up "$DIR/ua2.out"
mapfile -t C2 < <(ua_callids ua2)
ok "2: every call on md2 (md1 still drained)" wait_for 5 bash -c 'for c in "$@"; do [ "$(redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:media:$c" owner)" = "'"$MD2"'" ] || exit 1; done' _ "${C2[@]}"
rcli hdel "sbc:mediad:$MD1" drain drain_by >/dev/null
ok "2: md1 undrained" wait_for 5 grep -q "mediad_undrained id=$MD1" "$LOG"
sleep 1
T2=$(ms_now)
kill -STOP "$MD2_PID"
e2e_stop "$MD2_PATH_PID"
ok "2: md2 frozen, its path to Redis gone" bash -c "! redis-cli -s '$MD2_PATH' ping >/dev/null 2>&1"
ok "2: sigproxy finds md2 lost" wait_for 10 grep -q "mediad_lost id=$MD2" "$LOG"
ok "2: all $CALLS calls moved to md1" wait_for 15 bash -c \
	"test \$(grep -c 'call_moved from=$MD2 to=$MD1' '$LOG') = $CALLS"
TM=$(ms_now)
ok "2: md1 continued every caller's SRTP session from md2's record" wait_for 5 bash -c \
	"test \$(grep -c 'srtp_resume_moved' '$DIR/mediad-md1.log') = $CALLS"
# md1's records, as they are before md2 comes back
owners() {
	local c
	for c in "${C2[@]}"; do printf '%s ' "$(rcli hget "sbc:media:$c" owner)"; done
}
ok "2: md1 owns every record ($(owners))" wait_for 5 bash -c \
	"for c in ${C2[*]}; do [ \"\$(redis-cli -s '$REDIS_SOCK' hget sbc:media:\$c owner)\" = '$MD1' ] || exit 1; done"
md2_path || { echo "md2's path to Redis did not come back" >&2; exit 1; }
kill -CONT "$MD2_PID"
ok "2: md2 thawed reconnects to Redis" wait_for 10 bash -c \
	"test \$(grep -c redis_connected '$DIR/mediad-md2.log') -ge 2"
ok "2: md2's rewrite of each moved call is refused: it lets them go" wait_for 10 bash -c \
	"test \$(grep -c 'call_moved_away owner=$MD1' '$DIR/mediad-md2.log') = $CALLS"
sleep 1
ok "2: md1 still owns every record ($(owners)), with its indexes" bash -c \
	"for c in ${C2[*]}; do
		[ \"\$(redis-cli -s '$REDIS_SOCK' hget sbc:media:\$c owner)\" = '$MD1' ] || exit 1
		redis-cli -s '$REDIS_SOCK' hget sbc:media:\$c a_m1_rx_index | grep -q 'roc=1' || exit 1
	done"
ok "2: md2's calls index names none of them; md1's names all" bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' scard 'sbc:mediad_calls:$MD2')\" = 0 &&
	 test \"\$(redis-cli -s '$REDIS_SOCK' scard 'sbc:mediad_calls:$MD1')\" = $CALLS"
ok "2: md2 holds no call" bash -c \
	"grep 'call_moved_away' '$DIR/mediad-md2.log' | wc -l | grep -q '^$CALLS\$' &&
	 ! grep -q 'event_sent type=media_timeout' '$DIR/mediad-md2.log'"
# md2, thawed, first relays what queued in its sockets while it was frozen, until the move
# (TM at the latest): the callee's packets (one per 20 ms) under md2's key, which the
# caller, on md1's key now, drops
calls_ok ua2 "$T2" "$U2" $(((TM - T2) / 20 + 10))
ok "no media record left at the end" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' eval \"return #redis.call('keys', ARGV[1])\" 0 'sbc:media:*')\" = 0"
e2e_finish

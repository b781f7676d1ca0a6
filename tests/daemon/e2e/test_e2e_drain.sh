#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Draining a mediad for maintenance, with real processes: redis-server, two mediads, sigproxy,
# and e2e_ua playing both parties of each call with real media.
#  1. drained_calls = stay (the default): calls on both mediads; md1 drained the way sbcctl
#     does it (drain = yes in its registration). New calls all go to md2; md1's call keeps its
#     media without a pause and without a re-INVITE. A typo'd flag (drain = maybe) drains nothing.
#  2. md2 drained by its own signal (SIGUSR2) too: no mediad for new calls, 503 with
#     Retry-After; md1 undrained (the flag removed): new calls go to md1 again.
#  3. drained_calls = move (sigproxy restarted so): md1 drained again, with sbcctl drain itself
#     (the flag and its sbc:control request, carried out by the hangup part's consumer): its
#     calls move to md2 (re-INVITEs), media flows on, and md1 holds no call any more.
set -u
. "$(dirname "$0")/lib.sh"
UA=$BUILD/tests/e2e_ua
CTL=$BUILD/deploy/sbcctl/sbcctl
need redis-server redis-cli "$SIGPROXY" "$MEDIAD" "$UA" "$CTL" rtpengine-ng-client perl

SIP_IN=$(e2e_ip 2)
SIP_OUT=$(e2e_ip 1)
CALLER=$(e2e_ip 10)
BACK=$(e2e_ip 20)
CALLER2=$(e2e_ip 11)
BACK2=$(e2e_ip 21)

redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start md1 "$(e2e_ip 31)" "$(e2e_ip 32)" 32000 || exit 1
MD1_NG=$MEDIAD_NG
mediad_start md2 "$(e2e_ip 41)" "$(e2e_ip 42)" 33000 || exit 1
MD2_NG=$MEDIAD_NG
MD2_PID=$MEDIAD_PID
MD1=e2e-md1-$$
MD2=e2e-md2-$$
SP_ROUTE2=$BACK2 sigproxy_udp_start drain "$SIP_OUT" "$SIP_IN" "$BACK" || exit 1
SP1=$SP_PID
ok "sigproxy sees both mediads" wait_for 10 bash -c \
	"grep -q 'mediad_added id=$MD1' '$DIR/sigproxy-drain.log' && grep -q 'mediad_added id=$MD2' '$DIR/sigproxy-drain.log'"
# ua NAME FIRST_USER N [args]: e2e_ua (UA_PID); users 8012... on the second pair of
# addresses (a second e2e_ua at the same time)
ua() {
	local c=$CALLER b=$BACK
	case $2 in 8012*) c=$CALLER2 b=$BACK2 ;; esac
	ua_start "$1" "$SIP_OUT" "$c" "$b" "$2" "$3" "${@:4}"
}
cids() { ua_callids "$1"; }
mediad_of() { rcli hget "sbc:call:$1" mediad; }

# ---- 1. drained the way sbcctl does it; calls stay ----
ua ua1 8011001 2 -d 14000
U1=$UA_PID
ok "1: two calls up" wait_for 10 grep -q ua_media_up "$DIR/ua1.out"
mapfile -t C1 < <(cids ua1)
ok "1: one on each mediad" test "$(mediad_of "${C1[0]}")" != "$(mediad_of "${C1[1]}")"
rcli hset "sbc:mediad:$MD1" drain maybe >/dev/null
sleep 1
ok "1: a typo'd flag drains nothing" bash -c "! grep -q 'mediad_drained id=$MD1' '$DIR/sigproxy-drain.log'"
rcli hset "sbc:mediad:$MD1" drain yes drain_by alice >/dev/null
ok "1: sigproxy reads the drain flag" wait_for 5 grep -q "mediad_drained id=$MD1 by=alice" "$DIR/sigproxy-drain.log"
T1=$(ms_now)
ua ua2 8012011 4 -d 3000
wait "$UA_PID"
e2e_forget "$UA_PID"
mapfile -t C2 < <(cids ua2)
ok "1: four new calls answered" test "${#C2[@]}" = 4
ok "1: ... all on md2" bash -c 'for c in "$@"; do [ "$(redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:call:$c" mediad)" = "'"$MD2"'" ] || exit 1; done' _ "${C2[@]}"
wait "$U1"
e2e_forget "$U1"
for i in 0 1; do
	l=$(grep "^ua_call i=$i " "$DIR/ua1.out")
	ok "1: call $i kept its media without a pause (longest gap $(field "$l" gap_s2r)/$(field "$l" gap_r2s) ms)" \
		test "$(field "$l" gap_s2r)" -lt 300 -a "$(field "$l" gap_r2s)" -lt 300 -a \
		"$(field "$l" last_s2r)" -gt "$((T1 + 4000))"
	ok "1: call $i: no re-INVITE, nothing lost" test "$(field "$l" reinv_caller)/$(field "$l" reinv_callee)/$(field "$l" bad)/$(field "$l" authfail)" = 0/0/0/0
done

# ---- 2. both drained: no mediad; md1 undrained ----
kill -USR2 "$MD2_PID"
ok "2: md2 drained by SIGUSR2: its registration says so" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:mediad:$MD2' drain)/\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:mediad:$MD2' drain_by)\" = yes/mediad"
ok "2: sigproxy reads it" wait_for 5 grep -q "mediad_drained id=$MD2" "$DIR/sigproxy-drain.log"
ua ua3 8011021 1 -d 2000
wait "$UA_PID"
e2e_forget "$UA_PID"
ok "2: no mediad left for a new call: refused" bash -c "! grep -q ua_answered '$DIR/ua3.out'"
ok "2: ... with 503 (no healthy mediad)" grep -q "no_mediad" "$DIR/sigproxy-drain.log"
rcli hdel "sbc:mediad:$MD1" drain drain_by >/dev/null
ok "2: md1 undrained" wait_for 5 grep -q "mediad_undrained id=$MD1" "$DIR/sigproxy-drain.log"
ua ua4 8011031 2 -d 2000
wait "$UA_PID"
e2e_forget "$UA_PID"
mapfile -t C4 < <(cids ua4)
ok "2: new calls go to md1 again" bash -c '[ $# = 2 ] && for c in "$@"; do [ "$(redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:call:$c" mediad)" = "'"$MD1"'" ] || exit 1; done' _ "${C4[@]}"

# ---- 3. drained_calls = move ----
e2e_stop "$SP1"
rcli hdel "sbc:mediad:$MD2" drain drain_by >/dev/null
# md2 keeps saying drain (its signal): a new md2 takes its place, undrained
e2e_stop "$MD2_PID"
mediad_start md2 "$(e2e_ip 41)" "$(e2e_ip 42)" 33000 || exit 1
SP_MEDIA_EXTRA="drained_calls = move" sigproxy_udp_start drain2 "$SIP_OUT" "$SIP_IN" "$BACK" || exit 1
ok "3: sigproxy (drained_calls = move) sees both" wait_for 10 bash -c \
	"grep -q 'mediad_added id=$MD1' '$DIR/sigproxy-drain2.log' && grep -q 'mediad_added id=$MD2' '$DIR/sigproxy-drain2.log'"
ua ua5 8011041 4 -d 12000
U5=$UA_PID
ok "3: four calls up" wait_for 10 grep -q ua_media_up "$DIR/ua5.out"
mapfile -t C5 < <(cids ua5)
n1=0
for c in "${C5[@]}"; do [ "$(mediad_of "$c")" = "$MD1" ] && n1=$((n1 + 1)); done
ok "3: some on md1 ($n1)" test "$n1" -ge 1
T3=$(ms_now)
"$CTL" --redis "$REDIS_SOCK" drain "$MD1" >"$DIR/ctl-drain.out" 2>&1
ok "3: sbcctl drain md1: exit 0" bash -c "test $? = 0 && grep -q '^mediad $MD1 drained: no new calls' '$DIR/ctl-drain.out'"
ok "3: its request carried out by one consumer, acknowledged" wait_for 5 bash -c \
	"grep -q 'mediad_drained id=$MD1 by=' '$DIR/sigproxy-drain2.log' &&
	 test \"\$(redis-cli -s '$REDIS_SOCK' xpending sbc:control sigproxy | head -1)\" = 0 &&
	 test \"\$(redis-cli -s '$REDIS_SOCK' xlen sbc:control)\" -ge 1"
ok "3: md1's calls moved to md2" wait_for 10 bash -c \
	"test \$(grep -c 'call_moved from=$MD1 to=$MD2' '$DIR/sigproxy-drain2.log') = $n1"
md1_empty() { [ "$(mediad_calls "$MD1_NG")" = 0 ]; }
ok "3: md1 holds no call (the old media deleted there)" wait_for 5 md1_empty
wait "$U5"
e2e_forget "$U5"
worst=0
for i in 0 1 2 3; do
	l=$(grep "^ua_call i=$i " "$DIR/ua5.out")
	echo "# $l"
	# as in the failover test: the new mediad's key reaches the caller with the ACK, a
	# packet or two sent before it fail authentication there (slower under ASan)
	ok "3: call $i: media on to the end, bit-exact, CSeq order kept, SRTP failures only at the switch ($(field "$l" authfail))" \
		test "$(field "$l" last_s2r)" -gt "$((T3 + 4000))" -a "$(field "$l" bad)" = 0 -a \
		"$(field "$l" authfail)" -le 4 -a "$(field "$l" cseq_errors)" = 0
	g=$(field "$l" gap_s2r)
	[ "$g" -gt "$worst" ] && worst=$g
done
echo "# drain with drained_calls = move: longest media gap $worst ms"
ok "3: the move of a live mediad's calls costs at most a short gap ($worst ms)" test "$worst" -lt 1000
ok "every line both daemons wrote is event key=value" \
	perl "$E2E_DIR_SRC/log_format.pl" "$DIR"/sigproxy-*.log "$DIR"/mediad-*.log
e2e_finish

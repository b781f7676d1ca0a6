#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Media-host failover, in network namespaces this test creates (and deletes): a "lab"
# namespace with a bridge holding sigproxy and both parties of every call (e2e_ua: SRTP caller,
# RTP callee, real media both ways), and two mediads, each in a namespace of its own joined to
# the bridge by a veth. Redis is shared through its unix socket.
#  1. Six calls spread over both mediads; md1 is killed with SIGKILL: its calls move to md2
#     (re-INVITE without SDP to the caller, the new offer to the callee, ACK with the answer)
#     and media flows again on every call; the calls on md2 never notice. The time from the
#     kill to the first packet each way is printed (README "Reliability").
#  2. md1 comes back (a new process); md2's veth is deleted and its namespace removed, the
#     process alive and still writing to Redis (a partition, not a crash): every call moves to
#     md1. When md2 later times out the calls it can no longer relay, its media_timeout events
#     are refused (the calls' media is on md1 now) and its deletes spare md1's records; a
#     write of md2's to a moved call's record is refused (it names md1), and md2 lets the
#     call go at once.
#  3. The calls end normally (the callers' BYEs): CSeq order held on both legs although the
#     SBC sent re-INVITEs of its own, records ended, no media left anywhere.
# The callers keep their SDES keys across the moves and their RTP sequence numbers wrapped
# before the first fault: each new mediad continues their SRTP sessions (rollover counter 1)
# from the old mediad's record; starting afresh would fail every packet they send.
# Exits 77 (skip) when network namespaces cannot be made.
set -u
. "$(dirname "$0")/lib.sh"
UA=$BUILD/tests/e2e_ua
CTL=$BUILD/deploy/sbcctl/sbcctl
need redis-server redis-cli ip "$SIGPROXY" "$MEDIAD" "$UA" "$CTL"

NS=sbcfo$$
LAB=$NS-lab
NET=10.98.0
SIP_OUT=$NET.1
SIP_IN=$NET.2
CALLER=$NET.10
BACK=$NET.20
CALLS=6

netns_cleanup() {
	e2e_cleanup
	local n
	for n in "$LAB" "$NS-md1" "$NS-md2"; do ip netns del "$n" 2>/dev/null; done
}
trap netns_cleanup EXIT

if ! ip netns add "$LAB" 2>/dev/null; then
	echo "1..0 # SKIP network namespaces not usable here (needs root / CAP_NET_ADMIN)"
	exit 77
fi
lab() { ip netns exec "$LAB" "$@"; }
set -e
ip -n "$LAB" link set lo up
ip -n "$LAB" link add br0 type bridge
ip -n "$LAB" link set br0 up
for ip in $SIP_OUT $SIP_IN $CALLER $BACK; do
	ip -n "$LAB" addr add "$ip/24" dev br0
done
# md_ns N: namespace md<N> on the bridge, its outside address .3N (ng too) and inside .3N+1
md_ns() {
	local ns=$NS-md$1
	ip netns add "$ns"
	ip link add "vmd$1$$" netns "$LAB" type veth peer name eth0 netns "$ns"
	ip -n "$LAB" link set "vmd$1$$" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "$NET.$((30 + 10 * $1))/24" dev eth0
	ip -n "$ns" addr add "$NET.$((31 + 10 * $1))/24" dev eth0
}
md_ns 1
md_ns 2
set +e
redis_start || { echo "redis-server did not start" >&2; exit 1; }

# md_start N: mediad N in its namespace (media_timeout 4 s, so that a cut-off one times its
# calls out during the test)
md_start() {
	local n=$1 out=$NET.$((30 + 10 * $1)) in=$NET.$((31 + 10 * $1))
	cat >"$DIR/mediad-md$n.ini" <<EOF
[mediad]
id = e2e-fo-md$n-$$
ng_listen = $out:2223
ng_allow = $NET.0/24
workers = 1
log_level = info
media_timeout = 4
[interface outside]
address = $out
port_min = 30000
port_max = 30199
encryption = optional
[interface inside]
address = $in
port_min = 30200
port_max = 30399
encryption = off
[redis]
enabled = yes
unix_socket = $REDIS_SOCK
registration_ttl = 3
registration_interval_ms = 250
EOF
	ip netns exec "$NS-md$n" "$MEDIAD" -c "$DIR/mediad-md$n.ini" >>"$DIR/mediad-md$n.log" 2>&1 &
	MD_PID=$!
	PIDS+=("$MD_PID")
	wait_for 10 bash -c "grep -c mediad_ready '$DIR/mediad-md$n.log' | grep -q '^$2\$'"
}
md_start 1 1 || { cat "$DIR/mediad-md1.log" >&2; exit 1; }
MD1_PID=$MD_PID
md_start 2 1 || { cat "$DIR/mediad-md2.log" >&2; exit 1; }
MD2_PID=$MD_PID
MD1=e2e-fo-md1-$$
MD2=e2e-fo-md2-$$

# detection tuned for a quick test; FO_* give other figures (the defaults: FO_REFRESH_MS=2000
# FO_DEAD_MS=2000 FO_NG_TIMEOUT_MS=300 FO_NG_RETRIES=2)
SP_NS=$LAB SP_ACL=$NET.0/24 SP_NG_TIMEOUT_MS=${FO_NG_TIMEOUT_MS:-200} \
	SP_NG_RETRIES=${FO_NG_RETRIES:-1} SP_REFRESH_MS=${FO_REFRESH_MS:-250} \
	SP_MEDIA_EXTRA=$'mediad_up_after = 2\nmediad_dead_ms = '"${FO_DEAD_MS:-1000}" \
	sigproxy_udp_start fo "$SIP_OUT" "$SIP_IN" "$BACK" || exit 1
ok "sigproxy sees both mediads" wait_for 10 bash -c \
	"grep -q 'mediad_added id=$MD1' '$DIR/sigproxy-fo.log' && grep -q 'mediad_added id=$MD2' '$DIR/sigproxy-fo.log'"

rec() { redis-cli -s "$REDIS_SOCK" hget "sbc:call:$1" "$2"; }
# on_md ID: how many of the calls' records name mediad ID
on_md() {
	local c n=0
	for c in "${CIDS[@]}"; do [ "$(rec "$c" mediad)" = "$1" ] && n=$((n + 1)); done
	echo "$n"
}
# gap_after LINE T DIR: in a "ua_gaps" line, the end (wall ms) of the first gap of direction
# DIR that covers wall time T (it starts at the last packet before T)
gap_after() {
	sed -n "s/.* gaps_$3=\([^ ]*\).*/\1/p" <<<"$1" | tr ',' '\n' |
		awk -F- -v k="$2" '$1 <= k + 100 && $2 > k { print $2; exit }'
}

# the callers' sequence numbers wrap within a second: their rollover counter is 1 long before
# the first move, and the new mediad must continue their SRTP sessions, not start afresh
UA_NS=$LAB ua_start ua "$SIP_OUT" "$CALLER" "$BACK" 8011001 $CALLS -d 24000 -q 65500
ok "$CALLS calls up, media both ways on every one" wait_for 10 grep -q ua_media_up "$DIR/ua.out"
mapfile -t CIDS < <(ua_callids ua)
N1=$(on_md "$MD1")
N2=$(on_md "$MD2")
echo "# calls on md1: $N1, on md2: $N2"
ok "the calls are spread over both mediads" test "$N1" -ge 1 -a "$N2" -ge 1 -a $((N1 + N2)) = $CALLS
ok "mediad's calls index names md1's calls" \
	test "$(redis-cli -s "$REDIS_SOCK" scard "sbc:mediad_calls:$MD1")" = "$N1"
sleep 1.5

# ---- 1. md1 dies ----
K1=$(ms_now)
kill -KILL "$MD1_PID"
wait "$MD1_PID" 2>/dev/null
e2e_forget "$MD1_PID"
echo "# md1 killed at $K1"
ok "1: sigproxy finds md1 lost" wait_for 10 grep -q "mediad_lost id=$MD1" "$DIR/sigproxy-fo.log"
ok "1: md1's $N1 calls moved to md2" wait_for 15 bash -c \
	"test \$(grep -c 'call_moved from=$MD1 to=$MD2' '$DIR/sigproxy-fo.log') = $N1"
all_on() { [ "$(on_md "$1")" = $CALLS ]; }
ok "1: every record names md2" wait_for 5 all_on "$MD2"
# the live-calls index as an operator reads it (sbcctl beside sigproxy, where the mediads'
# ng addresses are reachable): every moved call on md2, md2 holding its media
ctl_on() {
	lab "$CTL" --redis "$REDIS_SOCK" --json calls 2>/dev/null | perl -MJSON::PP -e 'local $/;
		my $j = decode_json(<STDIN>); my @c = @{$j->{calls}};
		exit !(@c == $ARGV[1] && !grep { $_->{mediad} ne $ARGV[0] || $_->{media} ne "ok" } @c)' "$1" "$CALLS"
}
ok "1: sbcctl calls: all $CALLS live, each on md2 with its media there" wait_for 5 ctl_on "$MD2"
ok "1: md1's calls index is empty" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' scard 'sbc:mediad_calls:$MD1')\" = 0"
ok "1: nothing failed" bash -c "! grep -q 'move_failed' '$DIR/sigproxy-fo.log'"
sleep 2

# ---- 2. md1 back, md2 cut off (alive, still on Redis) ----
md_start 1 2 || { cat "$DIR/mediad-md1.log" >&2; exit 1; }
# back up (pinged again), or added afresh when its expired registration had been forgotten
ok "2: sigproxy takes md1 again" wait_for 10 bash -c \
	"grep -q 'mediad_up id=$MD1' '$DIR/sigproxy-fo.log' ||
	 test \$(grep -c 'mediad_added id=$MD1' '$DIR/sigproxy-fo.log') -ge 2"
sleep 1
K2=$(ms_now)
ip -n "$LAB" link del "vmd2$$"
ip netns del "$NS-md2"
echo "# md2 cut off at $K2"
ok "2: md2 is still running (a partition, not a crash)" kill -0 "$MD2_PID"
ok "2: sigproxy finds md2 lost" wait_for 10 grep -q "mediad_lost id=$MD2" "$DIR/sigproxy-fo.log"
ok "2: all $CALLS calls moved to md1" wait_for 15 bash -c \
	"test \$(grep -c 'call_moved from=$MD2 to=$MD1' '$DIR/sigproxy-fo.log') = $CALLS"
ok "2: every record names md1" wait_for 5 all_on "$MD1"
# md2 lets each call go one of two ways: an index refresh still due from before the cut
# is refused (the record is md1's: call_moved_away), or it times the call out
md2_gone() {
	test $(($(grep -c 'event_sent type=media_timeout' "$DIR/mediad-md2.log") +
		$(grep -c "call_moved_away owner=$MD1" "$DIR/mediad-md2.log"))) = $CALLS
}
ok "2: md2, cut off, lets every call go (times it out and says so, or finds it moved)" \
	wait_for 10 md2_gone
TO2=$(grep -c 'event_sent type=media_timeout' "$DIR/mediad-md2.log")
echo "# md2 timed out $TO2 calls and found $((CALLS - TO2)) moved"
ok "2: its events are refused: the calls' media is on md1" wait_for 5 bash -c \
	"test \$(grep -c 'hangup_refused request=media_timeout reason=wrong_mediad' '$DIR/sigproxy-fo.log') = $TO2"
sleep 0.5
ok "2: every call still answered, every media record md1's" bash -c '
	for c in "$@"; do
		[ "$(redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:call:$c" state)" = answered ] || exit 1
		[ "$(redis-cli -s "'"$REDIS_SOCK"'" hget "sbc:media:$c" owner)" = "'"$MD1"'" ] || exit 1
	done' _ "${CIDS[@]}"

# ---- 3. the calls end normally ----
wait "$UA_PID"
UA_RC=$?
e2e_forget "$UA_PID"
ok "3: every call was answered (rc $UA_RC)" test "$UA_RC" = 0
worst1=0
worst2=0
for i in $(seq 0 $((CALLS - 1))); do
	l=$(grep "^ua_call i=$i " "$DIR/ua.out")
	g=$(grep "^ua_gaps i=$i " "$DIR/ua.out")
	c=${CIDS[$i]}
	# the new mediad sends with its own key from the moment it has the callee's answer;
	# the caller learns that key from the ACK a moment later: a packet or two in between
	# fail authentication there (and are dropped, as any SRTP receiver drops them)
	ok "3: call $i: media bit-exact, SRTP failures only at the switch ($(field "$l" authfail))" \
		test "$(field "$l" bad)" = 0 -a "$(field "$l" authfail)" -le 4
	ok "3: call $i: CSeq order held on both legs (re-INVITEs of the SBC's own, BYE after)" \
		test "$(field "$l" cseq_errors)" = 0
	ok "3: call $i: ended by the caller's BYE" wait_for 5 bash -c \
		"test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$c' state)\" = ended"
	for d in s2r r2s; do
		for k in "$K1" "$K2"; do
			e=$(gap_after "$g" "$k" "$d")
			if [ -n "$e" ]; then
				t=$((e - k))
				echo "# call $i $d: media back $t ms after the fault at $k"
				[ "$k" = "$K1" ] && [ $t -gt $worst1 ] && worst1=$t
				[ "$k" = "$K2" ] && [ $t -gt $worst2 ] && worst2=$t
			fi
		done
	done
	last=$(field "$l" last_s2r)
	ok "3: call $i: media flowed after both faults" test "$last" -gt "$((K2 + 3000))"
done
echo "# time to media after md1 died (SIGKILL): worst $worst1 ms; after md2 was cut off: worst $worst2 ms"
ok "1: media back on every call within 5 s of the kill ($worst1 ms)" test "$worst1" -gt 0 -a "$worst1" -lt 5000
ok "2: media back on every call within 5 s of the cut ($worst2 ms)" test "$worst2" -gt 0 -a "$worst2" -lt 5000
ok "each move re-INVITEd the caller without an offer" \
	test "$(grep -o 'offerless=[0-9]*' "$DIR/ua.out" | awk -F= '{ n += $2 } END { print n }')" = $((N1 + CALLS))
ok "no media record left at the end" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' eval \"return #redis.call('keys', ARGV[1])\" 0 'sbc:media:*')\" = 0"
ok "sigproxy still running" kill -0 "$SP_PID"
ok "every line both daemons wrote is event key=value" \
	perl "$E2E_DIR_SRC/log_format.pl" "$DIR"/sigproxy-*.log "$DIR"/mediad-*.log
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Two sigproxy instances behind one shared address, as keepalived runs them, in network
# namespaces this test creates (and deletes): a "lab" namespace with a bridge holding the
# caller, the backends and mediad; instance A and instance B each in a namespace of its own
# on that bridge. A holds the floating outside and inside addresses; B is a hot standby
# bound to them already (net.ipv4.ip_nonlocal_bind in its namespace). Two calls go up
# through A. Then A is killed with SIGKILL, the addresses move to B (ip addr del/add, and a
# neighbour flush standing in for keepalived's gratuitous ARP), and B alone, from the
# records in Redis, carries: call 1's re-INVITE, UPDATE with SDP and INFO from the caller,
# the backend's re-INVITE, UPDATE and INFO, media re-offered through mediad each time and
# still flowing, the caller's BYE; call 2's BYE from the backend. Exits 77 (skip) when
# network namespaces cannot be made. Argument "replace": both instances run with
# [dialog] call_id_replace, so B must also map the backends' Call-IDs back from Redis.
set -u
REPLACE=${1:-}
. "$(dirname "$0")/lib.sh"
need sipp redis-server redis-cli ip perl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

NS=sbcto$$
LAB=$NS-lab
NSA=$NS-a
NSB=$NS-b
NET=10.99.0
MD_OUT=$NET.1		# mediad's outside interface (and ng)
MD_IN=$NET.2		# mediad's inside interface
CALLER1=$NET.10
CALLER2=$NET.11
BACK1=$NET.20
BACK2=$NET.21
VIP_OUT=$NET.100	# the shared outside address, advertised by both instances
VIP_IN=$NET.200		# the shared inside address
A_IP=$NET.101
B_IP=$NET.102

netns_cleanup() {
	e2e_cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip netns del "$LAB" 2>/dev/null
}
trap netns_cleanup EXIT

if ! ip netns add "$LAB" 2>/dev/null; then
	echo "1..0 # SKIP network namespaces not usable here (needs root / CAP_NET_ADMIN)"
	exit 77
fi
ip netns add "$NSA" && ip netns add "$NSB" || { echo "netns add failed" >&2; exit 1; }
lab() { ip netns exec "$LAB" "$@"; }
set -e
ip -n "$LAB" link set lo up
ip -n "$LAB" link add br0 type bridge
ip -n "$LAB" link set br0 up
for ip in $MD_OUT $MD_IN $CALLER1 $CALLER2 $BACK1 $BACK2; do
	ip -n "$LAB" addr add "$ip/24" dev br0
done
for n in a b; do
	ns=$NS-$n
	ip link add "veth$n$$" netns "$LAB" type veth peer name eth0 netns "$ns"
	ip -n "$LAB" link set "veth$n$$" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
done
ip -n "$NSA" addr add "$A_IP/24" dev eth0
ip -n "$NSB" addr add "$B_IP/24" dev eth0
ip -n "$NSA" addr add "$VIP_OUT/24" dev eth0
ip -n "$NSA" addr add "$VIP_IN/24" dev eth0
# the standby binds the shared addresses before it holds them, as under keepalived
ip netns exec "$NSB" sysctl -q -w net.ipv4.ip_nonlocal_bind=1
set +e

redis_start || { echo "redis-server did not start" >&2; exit 1; }
# mediad in the lab, found by both instances through its registration in Redis
cat >"$DIR/mediad.ini" <<EOF
[mediad]
id = e2e-to-$$
ng_listen = $MD_OUT:2223
ng_allow = $NET.0/24
workers = 1
log_level = info
[interface outside]
address = $MD_OUT
port_min = 30000
port_max = 30199
encryption = optional
[interface inside]
address = $MD_IN
port_min = 30200
port_max = 30399
encryption = off
[redis]
enabled = yes
unix_socket = $REDIS_SOCK
registration_ttl = 5
registration_interval_ms = 500
EOF
# not through lab(): a function in the background is a subshell, and $! would be its pid
ip netns exec "$LAB" "$MEDIAD" -c "$DIR/mediad.ini" >"$DIR/mediad-a.log" 2>&1 &
MEDIAD_PID=$!
PIDS+=("$MEDIAD_PID")
wait_for 10 grep -q mediad_ready "$DIR/mediad-a.log" || { cat "$DIR/mediad-a.log" >&2; exit 1; }

# sigproxy_ns NAME NAMESPACE: both instances alike but for the id; every one advertises
# the shared addresses in its Via and Record-Route
sigproxy_ns() {
	cat >"$DIR/sigproxy-$1.ini" <<EOF
[sigproxy]
id = e2e-to-$1-$$
log_level = info
metrics_listen = 127.0.0.1:9101
call_ttl_ended = 120
[listener outside-udp]
transport = udp
address = $VIP_OUT:5060
advertise = $VIP_OUT
side = outside
acl = $NET.0/24
[listener inside-udp]
transport = udp
address = $VIP_IN:5060
advertise = $VIP_IN
side = inside
acl = $NET.0/24
[media]
mediad_refresh_ms = 500
; the lab's caller speaks UDP: its SDES keys may (in production they come over TLS)
outside_sdes_requires_tls = no
[redis]
unix_socket = $REDIS_SOCK
[health]
probe = no
holddown_ms = 0
[route one]
match = ^8011\d+\$
target = sip:$BACK1:5060
[route two]
match = ^8012\d+\$
target = sip:$BACK2:5060
${REPLACE:+[dialog]
call_id_replace = yes}
EOF
	ip netns exec "$2" "$SIGPROXY" -c "$DIR/sigproxy-$1.ini" >"$DIR/sigproxy-$1.log" 2>&1 &
	SP_PID=$!
	PIDS+=("$SP_PID")
	wait_for 10 grep -q sigproxy_started "$DIR/sigproxy-$1.log" || { cat "$DIR/sigproxy-$1.log" >&2; return 1; }
	wait_for 10 grep -q mediad_added "$DIR/sigproxy-$1.log"
}
sigproxy_ns a "$NSA" || exit 1
A_PID=$SP_PID
sigproxy_ns b "$NSB" || exit 1
B_PID=$SP_PID

KEY=$(srtp_key AES_CM_128_HMAC_SHA1_80)
KEY2=$(srtp_key AES_CM_128_HMAC_SHA1_32)
# peer NAME IP ROLE XML HOLD_MS [sipp args...]: a sipp in the lab, UDP
peer() {
	local name=$1 ip=$2 role=$3 xml=$4 hold=$5
	shift 5
	mkdir -p "$DIR/$name"
	if [ "$role" = uas ]; then
		(cd "$DIR/$name" && exec ip netns exec "$LAB" timeout 50 sipp -sf "$E2E_DIR_SRC/$xml.xml" \
			-i "$ip" -p 5060 -m 1 -d "$hold" -timeout 45s -set mip "$ip" -set mport 42000 \
			-trace_err -trace_logs -trace_msg "$@" >sipp.out 2>&1) &
	else
		(cd "$DIR/$name" && exec ip netns exec "$LAB" timeout 50 sipp -sf "$E2E_DIR_SRC/$xml.xml" \
			-i "$ip" -p 5060 -t u1 "$VIP_OUT:5060" -m 1 -d "$hold" -timeout 45s \
			$(sipp_sets "$E2E_DIR_SRC/$xml.xml" domain sbc.example.test mip "$ip" mport 40000 \
			suite AES_CM_128_HMAC_SHA1_80 key "$KEY" key2 "$KEY2" dir sendrecv ver 1 ctp udp \
			cport 5060) -trace_err -trace_logs -trace_msg "$@" >sipp.out 2>&1) &
	fi
	PEER_PID=$!
	PIDS+=("$PEER_PID")
}
# media NAME_UAC NAME_UAS LABEL_UAC LABEL_UAS SEQ: SRTP caller <-> RTP backend, both ways
media() {
	local r b
	wait_for 15 bash -c "grep -qs '$3 ' '$DIR/$1'/*_logs.log && grep -qs '$4 ' '$DIR/$2'/*_logs.log" || return 1
	r=$(sed -n "s/.*$3 callid=[^ ]* relay=\([^ ]*\) tag=[0-9]* suite=[^ ]* key=\([^ ]*\).*/\1 \2/p" "$DIR/$1"/*_logs.log | tail -1)
	b=$(sed -n "s/.*$4 relay=\([^ ]*\).*/\1/p" "$DIR/$2"/*_logs.log | tail -1)
	read -r relay akey <<<"$r"
	lab "$E2E_MEDIA" -s AES_CM_128_HMAC_SHA1_80 -k "$KEY" -K "$akey" -a "$CALLER1:40000" \
		-A "$relay" -b "$BACK1:42000" -B "$b" -n 40 -i 5 -q "$5" >>"$DIR/$1/media.out" 2>&1
}
callid() { sed -n 's/^Call-ID: *//p' "$DIR/$1"/*_messages.log | head -1 | tr -d '\r'; }

# call 1: every in-dialog request both ways after its pause; call 2: the backend hangs up later
peer back1 "$BACK1" uas uas_dialog 0
UAS1=$PEER_PID
peer back2 "$BACK2" uas uas_rbye 9000
UAS2=$PEER_PID
sleep 0.3
peer call1 "$CALLER1" uac uac_dialog 6000 -s 8011001
UAC1=$PEER_PID
peer call2 "$CALLER2" uac uac_rbye 0 -s 8012001
UAC2=$PEER_PID
ok "call 1 up through A, media both ways" media call1 back1 MEDIA1 BACKEND1 1
ok "call 2 up through A" wait_for 10 grep -qs 'MEDIA1 ' "$DIR"/call2/uac_rbye_*_logs.log
CID1=$(callid call1)
CID2=$(callid call2)
echo "# call 1 $CID1, call 2 $CID2"
ok "A set up both calls" bash -c "grep -q 'call_answered .*call_id=$CID1' '$DIR/sigproxy-a.log' &&
	grep -q 'call_answered .*call_id=$CID2' '$DIR/sigproxy-a.log'"
ok "B has seen neither call" bash -c "! grep -q 'call_id=' '$DIR/sigproxy-b.log'"
offers0=$(grep -c "call_offer .*call_id=$CID1" "$DIR/mediad-a.log")

# A dies; the shared addresses move to B
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
e2e_forget "$A_PID"
ip -n "$NSA" addr del "$VIP_OUT/24" dev eth0
ip -n "$NSA" addr del "$VIP_IN/24" dev eth0
ip -n "$NSB" addr add "$VIP_OUT/24" dev eth0
ip -n "$NSB" addr add "$VIP_IN/24" dev eth0
ip -n "$LAB" neigh flush dev br0
ok "A is gone (SIGKILL)" bash -c "! kill -0 $A_PID 2>/dev/null"
echo "# takeover at $(date +%T.%N)"

ok "after takeover, call 1: re-INVITE and UPDATE answered with mediad's SRTP, media both ways" \
	media call1 back1 MEDIA3 BACKEND3 1000
wait "$UAC1"
rc1=$?
wait "$UAS1"
rs1=$?
ok "call 1: the caller's re-INVITE, UPDATE, INFO, BYE through B; the backend's offers as SRTP (rc $rc1)" \
	test "$rc1" = 0
ok "call 1: the backend's re-INVITE, UPDATE, INFO through B; the caller's offers as plain RTP (rc $rs1)" \
	test "$rs1" = 0
wait "$UAC2"
rc2=$?
wait "$UAS2"
rs2=$?
e2e_forget "$UAC1" "$UAS1" "$UAC2" "$UAS2"
ok "call 2: the backend's BYE reached the caller through B (rc $rc2/$rs2)" test "$rc2" = 0 -a "$rs2" = 0
ok "B read both calls from Redis" bash -c "grep -q 'call_loaded from=redis .*call_id=$CID1' '$DIR/sigproxy-b.log' &&
	grep -q 'call_loaded from=redis .*call_id=$CID2' '$DIR/sigproxy-b.log'"
ok "B took both BYEs" bash -c "grep -q 'bye_in call_id=$CID1' '$DIR/sigproxy-b.log' &&
	grep -q 'bye_in call_id=$CID2' '$DIR/sigproxy-b.log'"
offers1=$(grep -c "call_offer .*call_id=$CID1" "$DIR/mediad-a.log")
ok "mediad re-offered call 1 four times after the takeover ($offers0 -> $offers1)" \
	test $((offers1 - offers0)) -ge 4
ok "B refused nothing" bash -c "! grep -q sip_refused '$DIR/sigproxy-b.log'"
ok "both records ended by B, media gone" wait_for 5 bash -c "
	for c in '$CID1' '$CID2'; do
		[ \"\$(redis-cli -s '$REDIS_SOCK' hget \"sbc:call:\$c\" state)\" = ended ] || exit 1
		[ \"\$(redis-cli -s '$REDIS_SOCK' hget \"sbc:call:\$c\" instance)\" = e2e-to-b-$$ ] || exit 1
		[ \"\$(redis-cli -s '$REDIS_SOCK' exists \"sbc:media:\$c\")\" = 0 ] || exit 1
	done"
if [ -n "$REPLACE" ]; then
	ok "the backends saw Call-IDs of the SBC's own, mapped back by B after the takeover" bash -c "
		grep -h '^Call-ID:' '$DIR'/back1/*_messages.log '$DIR'/back2/*_messages.log | sort -u |
			grep -qv 'sbcleg-' && exit 1
		grep -q '^Call-ID: sbcleg-' '$DIR'/back1/*_messages.log"
fi
ok "B still running" kill -0 "$B_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

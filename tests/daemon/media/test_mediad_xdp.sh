#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mediad's xdp I/O style over veth (native XDP) between two network namespaces this test
# makes and removes: mediad in one (its outside and inside addresses on its veth end), the
# sbc-test-peer parties in the other. Calls must relay bit-exact with the AF_XDP sockets
# carrying the packets (the peer checks mediad's stop line), in both call directions, with
# re-key, hold and forged SRTP; kill -9 must leave no XDP program behind (the next mediad
# attaches again); a second mediad on the same veth cannot take it and falls back to batched.
#   test_mediad_xdp.sh PEER MEDIAD [peer args...]
set -u
peer=$1
mediad=$2
shift 2
SBC_BUILD_DIR=${SBC_BUILD_DIR:-$(dirname "$mediad")/..}
SBC_SOURCE_DIR=${SBC_SOURCE_DIR:-$(dirname "$0")/../../..}
export SBC_BUILD_DIR SBC_SOURCE_DIR
. "$(dirname "$0")/../e2e/lib.sh"
need ip

# Names of this run only: namespaces and veth ends (15 characters at most).
id=$(( $$ % 100000 ))
NS_M=sbc-xdp-m-$id
NS_P=sbc-xdp-p-$id
VM=sxm$id
VP=sxp$id
# Documentation addresses, only ever inside these two namespaces.
BASE=198.51.100
netns_cleanup() {
	ip netns del "$NS_M" 2>/dev/null
	ip netns del "$NS_P" 2>/dev/null
}
trap 'e2e_cleanup; netns_cleanup' EXIT

ip netns add "$NS_M" && ip netns add "$NS_P" &&
	ip link add "$VM" netns "$NS_M" type veth peer name "$VP" netns "$NS_P" &&
	ip -n "$NS_M" addr add "$BASE.1/24" dev "$VM" &&
	ip -n "$NS_M" addr add "$BASE.2/24" dev "$VM" &&
	ip -n "$NS_P" addr add "$BASE.3/24" dev "$VP" &&
	ip -n "$NS_P" addr add "$BASE.4/24" dev "$VP" &&
	ip -n "$NS_M" link set lo up && ip -n "$NS_P" link set lo up &&
	ip -n "$NS_M" link set "$VM" up && ip -n "$NS_P" link set "$VP" up
ok "two namespaces joined by a veth pair" test $? -eq 0

# mediad runs in NS_M: the wrapper execs it there (the peer's PID is mediad's).
cat >"$DIR/mediad-in-ns" <<EOT
#!/bin/sh
exec ip netns exec $NS_M "$mediad" "\$@"
EOT
chmod +x "$DIR/mediad-in-ns"
run_peer() {  # run_peer NAME ARGS...: sbc-test-peer in NS_P against mediad in NS_M
	local name=$1
	shift
	ip netns exec "$NS_P" timeout 60 "$peer" --mediad "$DIR/mediad-in-ns" --addr-base "$BASE" \
		--quiet "$@" >"$DIR/peer-$name.out" 2>&1
}

ok "xdp: calls bit-exact, SRTP caller, the AF_XDP sockets carry them" \
	run_peer srtp --io xdp --calls 4 --packets 200 --rate 100 "$@"
ok "xdp: RTP caller, AEAD_AES_256_GCM" \
	run_peer rtp --io xdp --rtp-caller --suite AEAD_AES_256_GCM --calls 4 --packets 200 --rate 100
ok "xdp: re-key mid-call" run_peer rekey --io xdp --rekey --packets 300 --rate 150
ok "xdp: hold and resume" run_peer hold --io xdp --hold --packets 300 --rate 150
ok "xdp: RFC 4733 events untouched" run_peer dtmf --io xdp --dtmf --packets 200 --rate 100
ok "xdp: forged and replayed SRTP dropped and counted" \
	run_peer forge --io xdp --forge --calls 2 --packets 200 --rate 100
ok "xdp: kill -9 mid-call, the restarted mediad attaches again and media resumes" \
	run_peer kill9 --io xdp --calls 2 --packets 450 --rate 50 --initial-seq 65300 --rtcp \
		--kill-restart 6000
ok "io = auto picks xdp on a veth (and the AF_XDP sockets carry the call)" \
	run_peer auto --io auto=xdp --calls 1 --packets 50 --rate 100
# While one mediad holds the veth, a second one (other addresses on the same veth) asking for
# xdp cannot attach, and with auto falls back to batched saying so.
ip -n "$NS_M" addr add "$BASE.11/24" dev "$VM"
cat >"$DIR/second.ini" <<EOT
[mediad]
ng_listen = $BASE.11:0
io = auto
[interface outside]
address = $BASE.11
port_min = 40000
port_max = 40099
[redis]
enabled = no
EOT
ip netns exec "$NS_M" "$mediad" -c "$DIR/second.ini" >"$DIR/mediad-first-holder.log" 2>&1 &
first=$!
PIDS+=("$first")
wait_for 10 grep -q mediad_ready "$DIR/mediad-first-holder.log"
ok "a mediad holds the veth with xdp" grep -q 'mediad_ready .* io=xdp ' "$DIR/mediad-first-holder.log"
ok "... its XDP program is on the veth" bash -c "ip -n '$NS_M' link show '$VM' | grep -q 'prog/xdp'"
sed -i "s/$BASE.11/$BASE.12/g; s/40000/40100/; s/40099/40199/" "$DIR/second.ini"
ip -n "$NS_M" addr add "$BASE.12/24" dev "$VM"
ip netns exec "$NS_M" "$mediad" -c "$DIR/second.ini" >"$DIR/mediad-second.log" 2>&1 &
second=$!
PIDS+=("$second")
wait_for 10 grep -q mediad_ready "$DIR/mediad-second.log"
ok "a second mediad on that veth falls back to batched, saying why" \
	grep -q 'mediad_ready .* io=batched .*io_fallback="xdp: .*native XDP attach' \
	"$DIR/mediad-second.log"
e2e_stop "$second"
e2e_stop "$first"
ok "no XDP program left on the veth after the mediads" \
	bash -c "! ip -n '$NS_M' link show '$VM' | grep -q 'prog/xdp'"
e2e_finish

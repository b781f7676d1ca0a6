#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mediad's io key: -t accepts the styles and refuses anything else; with the privileges io =
# auto on loopback runs batched (lo has no native XDP, said in the start line) and io = xdp
# refuses to start there; without them (root stripped of every capability) auto falls back to
# sockets, says why in its start line and still relays a call bit-exact, while an explicit
# io = batched refuses to start rather than pretend.
#   test_mediad_io.sh PEER MEDIAD
set -u
peer=$1
mediad=$2
SBC_BUILD_DIR=${SBC_BUILD_DIR:-$(dirname "$mediad")/..}
SBC_SOURCE_DIR=${SBC_SOURCE_DIR:-$(dirname "$0")/../../..}
export SBC_BUILD_DIR SBC_SOURCE_DIR
. "$(dirname "$0")/../e2e/lib.sh"
need setpriv

NOCAPS=(setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all --)
# for bash -c (an array is not exported)
nocaps() { setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"; }
export -f nocaps

conf() {  # conf FILE IO: a minimal mediad.ini on this run's addresses
	cat >"$1" <<EOT
[mediad]
ng_listen = 127.0.0.1:0
io = $2
[interface outside]
address = $(e2e_ip 1)
port_min = 44000
port_max = 44099
[redis]
enabled = no
EOT
}

for io in auto sockets batched xdp; do
	conf "$DIR/t-$io.ini" "$io"
	ok "-t accepts io = $io" bash -c "'$mediad' -t -c '$DIR/t-$io.ini' | grep -q '^io = $io'"
done
for bad in xpd batch "sockets batched" ""; do
	conf "$DIR/bad.ini" "$bad"
	ok "-t refuses io = '$bad' naming the key" \
		bash -c "! '$mediad' -t -c '$DIR/bad.ini' >'$DIR/bad.out' 2>&1 && grep -q 'io' '$DIR/bad.out'"
done

# start IO LOG [wrapper command...]: runs mediad until its ready line or its exit; prints
# nothing. The wrapper is a command that execs (setpriv), not a shell function: a function
# in the background is a subshell, $! its pid, and mediad would outlive the cleanup.
start() {
	local io=$1 log=$2 pid
	shift 2
	conf "$DIR/$io.ini" "$io"
	"$@" "$mediad" -c "$DIR/$io.ini" >"$log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for 10 bash -c "grep -q mediad_ready '$log' || ! kill -0 $pid 2>/dev/null"
	LAST_PID=$pid
}

start auto "$DIR/mediad-auto.log"
ok "io = auto with the privileges on loopback runs batched" \
	grep -q 'mediad_ready .* io=batched ' "$DIR/mediad-auto.log"
ok "... saying why not xdp (lo has no native XDP)" \
	grep -q 'io_fallback="xdp: lo: native XDP attach: .*no native XDP' "$DIR/mediad-auto.log"
e2e_stop "$LAST_PID"
start xdp "$DIR/mediad-xdp-lo.log"
ok "io = xdp on loopback refuses to start, naming the interface" \
	bash -c "! kill -0 $LAST_PID 2>/dev/null && grep -q 'startup_failed step=relay_alloc .*io=xdp .*detail=\"lo: native XDP' \
		'$DIR/mediad-xdp-lo.log'"

start auto "$DIR/mediad-auto-nocaps.log" "${NOCAPS[@]}"
ok "io = auto without capabilities falls back to sockets" \
	grep -q 'mediad_ready .* io=sockets .*io_fallback="batched: .*CAP_BPF' \
	"$DIR/mediad-auto-nocaps.log"
e2e_stop "$LAST_PID"

start batched "$DIR/mediad-batched-nocaps.log" "${NOCAPS[@]}"
ok "io = batched without capabilities refuses to start" \
	bash -c "! kill -0 $LAST_PID 2>/dev/null && ! grep -q mediad_ready '$DIR/mediad-batched-nocaps.log'"
ok "... and says why" grep -q 'startup_failed step=relay_alloc .*io=batched reason="Operation not permitted"' \
	"$DIR/mediad-batched-nocaps.log"

# A whole call through the fallback: the peer spawns mediad (and redis) without capabilities.
ok "calls relay bit-exact on the fallback (sbc-test-peer --io auto, no capabilities)" \
	bash -c "nocaps '$peer' --mediad '$mediad' --io auto --quiet --calls 4 --packets 100 \
		--rate 100 >'$DIR/peer-nocaps.out' 2>&1"
ok "... and the peer cannot get batched there" \
	bash -c "! nocaps '$peer' --mediad '$mediad' --io batched --quiet --calls 1 --packets 20 \
		--rate 100 >'$DIR/peer-nocaps-batched.out' 2>&1 &&
		grep -q 'mediad did not become ready' '$DIR/peer-nocaps-batched.out'"
e2e_finish

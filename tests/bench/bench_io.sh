#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The relay I/O styles against each other and rtpengine (issue #13): one generator
# (bench_relay -n, the in-process generator driving an external relay over ng: every caller
# and every callee on one socket each, sendmmsg/recvmmsg) against mediad with io = sockets,
# batched (and xdp with --veth) and Debian's rtpengine (userspace, one thread), in one run.
# 20 ms PCMU, AES_CM_128_HMAC_SHA1_80 on the caller side, both directions; the relay on
# core 1, the generator on core 0. Per relay and call count: CPU per relayed packet (the
# relay process's utime+stime), p50/p99 one-way latency through the relay (two hops, the
# generator's own wait included) and loss, the median of --repeat runs by CPU; then the bare
# forward floor of each style (bench_forward_floor -S). With --veth the relay sits in a
# network namespace of its own and the generator in another, joined by a veth pair (native
# XDP), made and removed by the run.
#
#   bench_io.sh [--calls "400 1000"] [--duration S] [--repeat N] [--veth] [--no-rtpengine]
#               [--smoke]
#   env: SBC_BUILD_DIR (default ./build/release)
set -u
build=${SBC_BUILD_DIR:-$(dirname "$0")/../../build/release}
gen=$build/tests/bench_relay
floor=$build/tests/bench_forward_floor
mediad=$build/mediad/mediad
steps="400 1000" duration=5 repeat=3 veth=0 with_rtpengine=1 smoke=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--calls) steps=$2; shift ;;
	--duration) duration=$2; shift ;;
	--repeat) repeat=$2; shift ;;
	--veth) veth=1 ;;
	--no-rtpengine) with_rtpengine=0 ;;
	--smoke) smoke=1; steps=20; duration=1; repeat=1 ;;
	*) echo "usage: $0 [--calls LIST] [--duration S] [--repeat N] [--veth] [--no-rtpengine]" \
		"[--smoke]" >&2; exit 2 ;;
	esac
	shift
done
[[ -x $gen && -x $mediad ]] || { echo "no $gen or $mediad (set SBC_BUILD_DIR)" >&2; exit 2; }
command -v rtpengine >/dev/null || with_rtpengine=0
tmp=$(mktemp -d /tmp/bench-io.XXXXXX)
relay_pid=
in_m= in_p=
cleanup() {
	[[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null && wait "$relay_pid" 2>/dev/null
	rm -rf "$tmp"
	if [[ $veth -eq 1 ]]; then
		ip netns del "$ns_m" 2>/dev/null
		ip netns del "$ns_p" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

styles="sockets batched"
# A private loopback slice of this run, or documentation addresses inside two namespaces.
base="127.$((150 + $$ % 50)).$((1 + ($$ / 50) % 250))"
if [[ $veth -eq 1 ]]; then
	styles="sockets batched xdp"
	base=198.51.100
	ns_m=sbc-bio-m-$$ ns_p=sbc-bio-p-$$
	ip netns add "$ns_m" && ip netns add "$ns_p" &&
		ip link add "sbim$$" netns "$ns_m" type veth peer name "sbip$$" netns "$ns_p" &&
		for a in 1 2 5; do ip -n "$ns_m" addr add "$base.$a/24" dev "sbim$$"; done &&
		ip -n "$ns_p" addr add "$base.3/24" dev "sbip$$" &&
		ip -n "$ns_m" link set lo up && ip -n "$ns_p" link set lo up &&
		ip -n "$ns_m" link set "sbim$$" up && ip -n "$ns_p" link set "sbip$$" up ||
		{ echo "cannot make the namespaces (root?)" >&2; exit 2; }
	in_m="ip netns exec $ns_m"
	in_p="ip netns exec $ns_p"
fi
# A core each, at a real-time priority (SCHED_FIFO 10) so that the machine's other work
# cannot take the core from under a run; neither spins, so they leave the rest alone.
gen_cpu= relay_cpu=
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
	gen_cpu="taskset -c 0"
	relay_cpu="taskset -c 1"
	if chrt -f 10 true 2>/dev/null; then
		gen_cpu+=" chrt -f 10"
		relay_cpu+=" chrt -f 10"
	fi
fi

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -1; }

# relay_start NAME: a fresh relay on core 1, ng on $base.5:2223; sets relay_pid.
relay_start() {
	local name=$1
	if [[ $name == rtpengine ]]; then
		$in_m $relay_cpu rtpengine --foreground --config-file=none --table=-1 --num-threads=1 \
			--interface="outside/$base.1" --interface="inside/$base.2" \
			--listen-ng="$base.5:2223" --port-min=20000 --port-max=39999 \
			--timeout=60 --delete-delay=0 --log-level=3 --log-stderr >"$tmp/relay.log" 2>&1 &
	else
		cat >"$tmp/mediad.ini" <<EOT
[mediad]
ng_listen = $base.5:2223
ng_allow = 127.0.0.0/8, $base.0/24
workers = 1
io = ${name#mediad-}
media_timeout = 0
log_level = warn
[interface outside]
address = $base.1
port_min = 20000
port_max = 29999
encryption = required
[interface inside]
address = $base.2
port_min = 30000
port_max = 39999
encryption = off
[redis]
enabled = no
EOT
		$in_m $relay_cpu "$mediad" -c "$tmp/mediad.ini" >"$tmp/relay.log" 2>&1 &
	fi
	relay_pid=$!
	sleep 0.5
	kill -0 "$relay_pid" 2>/dev/null || { cat "$tmp/relay.log" >&2; return 1; }
}
relay_stop() {
	kill "$relay_pid" 2>/dev/null
	wait "$relay_pid" 2>/dev/null
	relay_pid=
}

# one NAME CALLS: prints "cpu loss p50 p99 pps" of one run
one() {
	local out
	relay_start "$1" || return 1
	out=$($in_p $gen_cpu "$gen" -n "$base.5:2223" -p "$relay_pid" -a "$base.3" -c "$2" \
		-s "$duration" -l 100 -t 2>"$tmp/gen.err")
	relay_stop
	[[ -n $(field relay_cpu_us_per_pkt "$out") ]] || { cat "$tmp/gen.err" >&2; return 1; }
	echo "$(field relay_cpu_us_per_pkt "$out") $(field loss_pct "$out") $(field p50 "$out")" \
		"$(field p99 "$out") $(field relayed_pps "$out")"
}

echo "bench_io: 20 ms PCMU, AES_CM_128_HMAC_SHA1_80 <-> RTP, both directions, ${duration}s per" \
	"run, median of $repeat by CPU; $( [[ $veth -eq 1 ]] && echo veth || echo loopback );" \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-15s %6s %9s %14s %8s %9s %9s\n' relay calls pkt/s cpu_us/pkt loss_% p50_us p99_us
relays="$(for s in $styles; do printf 'mediad-%s ' "$s"; done)"
[[ $with_rtpengine -eq 1 ]] && relays+="rtpengine"
status=0
for r in $relays; do
	for calls in $steps; do
		rows=
		for ((i = 0; i < repeat; i++)); do
			row=$(one "$r" "$calls") || { status=1; continue; }
			rows+="$row"$'\n'
		done
		[[ -n $rows ]] || { echo "$r calls=$calls: no run" >&2; continue; }
		med=$(printf '%s' "$rows" | sort -n | sed -n "$(( ($(printf '%s' "$rows" | wc -l) + 1) / 2 ))p")
		read -r cpu loss p50 p99 pps <<<"$med"
		printf '%-15s %6s %9s %14s %8s %9s %9s\n' "$r" "$calls" "$pps" "$cpu" "$loss" "$p50" "$p99"
	done
done
if [[ $smoke -eq 0 && -x $floor ]]; then
	echo "bare forward floor (bench_forward_floor -S: one SRTP protect a packet, no relay logic;" \
		"forwarder and generator threads of one process, unpinned)"
	ns=()
	[[ $veth -eq 1 ]] && ns=(-N "$ns_m,$ns_p" -a "$base.1,$base.3")
	for s in $styles; do
		for calls in $steps; do
			echo "  $($floor -c "$calls" -s "$duration" -S -i "$s" "${ns[@]}" |
				sed 's/^bench_forward_floor: //')"
		done
	done
fi
exit $status

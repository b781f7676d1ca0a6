#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the SBC on this machine for development: installs what is missing, builds,
# generates development certificates, starts a private redis-server, mediad and
# sigproxy with the example configuration (rewritten for loopback), and stays in the
# foreground until Ctrl-C, which stops all three.
#   SBC_RUN_DIR   state, logs and certificates (default: run/ in the clone)
#   SBC_DEV_IP    loopback address everything listens on (default 127.0.0.1)
#   SBC_DOMAIN    SIP domain of the development certificate (default sbc.localhost)
#   SBC_REDIS_PORT  port of the private redis-server (default 6391)
#   SBC_BUILD_DIR   use the daemons already built there (no install, no build: tests)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
run=${SBC_RUN_DIR:-$top/run}
ip=${SBC_DEV_IP:-127.0.0.1}
domain=${SBC_DOMAIN:-sbc.localhost}
redis_port=${SBC_REDIS_PORT:-6391}

mkdir -p "$run/redis" "$run/log"
# One instance per run directory: a second one would truncate nothing (logs are appended)
# but would fight the first for its ports and its redis.
exec 9>>"$run/run-dev.lock"
if ! flock -n 9; then
	echo "run-dev: already running with $run (pid $(cat "$run/run-dev.pid" 2>/dev/null || echo ?)); stop it first" >&2
	exit 1
fi
echo $$ > "$run/run-dev.pid"

if [ -n "${SBC_BUILD_DIR:-}" ]; then
	build=$(cd "$SBC_BUILD_DIR" && pwd)
else
	build=$top/build/release
	bash deploy/install-deps.sh
	# The daemons and sbcctl: the build directory keeps whatever else (tests) it was configured with.
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target mediad sigproxy sbcctl
fi

if [ ! -f "$run/certs/server-chain.pem" ]; then
	bash deploy/certs/make-certs.sh -o "$run/certs" -s "IP:$ip" -c dev-client "$domain"
fi

bash deploy/dev-config.sh "$run" "$run/certs" "$redis_port" "$ip"

pids=()
cleanup() {
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -f "$run/run-dev.pid"
	echo "run-dev: stopped"
}
trap cleanup EXIT INT TERM

# Logs are appended: an earlier run's lines stay, each run starts with a marker.
for f in redis mediad sigproxy; do
	echo "==== run-dev start $(date -u +%Y-%m-%dT%H:%M:%SZ) pid $$" >> "$run/log/$f.log"
done
redis-server --port "$redis_port" --bind "$ip" --dir "$run/redis" \
	--save '' --appendonly no >>"$run/log/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	redis-cli -h "$ip" -p "$redis_port" ping >/dev/null 2>&1 && break
	sleep 0.1
done

"$build/mediad/mediad" -c "$run/mediad.ini" 2>>"$run/log/mediad.log" &
pids+=($!)
"$build/sigproxy/sigproxy" -c "$run/sigproxy.ini" 2>>"$run/log/sigproxy.log" &
pids+=($!)
sleep 1
for pid in "${pids[@]}"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "run-dev: a daemon failed to start; logs in $run/log:" >&2
		tail -n 20 "$run/log/"*.log >&2
		exit 1
	fi
done

# The banner's listeners and routes come from the configuration the daemons read.
listeners=$(awk -F' *= *' '
	/^\[listener /	{ name = $0; sub(/^\[listener /, "", name); sub(/\].*/, "", name); next }
	/^\[/		{ name = "" }
	name != "" && $1 == "transport"	{ t[name] = $2 }
	name != "" && $1 == "address"	{ a[name] = $2 }
	name != "" && $1 == "side"	{ s[name] = $2 }
	END { for (n in a) printf "  %-19s %s %s (%s)\n", "listener " n, toupper(t[n]), a[n], s[n] }
' "$run/sigproxy.ini" | sort)
routes=$(awk -F' *= *' '
	# A number that matches the rule: the pattern with \d and [0-9] as 0 and anchors dropped.
	function example(re) {
		gsub(/\\d|\[0-9\]/, "0", re); gsub(/[\^$]/, "", re); gsub(/[+*?]/, "", re)
		return re
	}
	function flush() {
		if (name != "")
			printf "  route %-13s Request-URI user %s -> %s\n  %-19s dial e.g. sip:%s@%s\n",
			    name, match_re, targets, "", example(match_re), sip_addr
	}
	/^\[route /	{ flush(); name = $0; sub(/^\[route /, "", name); sub(/\].*/, "", name);
			  match_re = ""; targets = ""; next }
	/^\[/		{ flush(); name = ""; next }
	name != "" && $1 == "match"	{ match_re = $2 }
	name != "" && $1 == "target"	{ targets = targets (targets == "" ? "" : ", then ") $2 }
	END { flush() }
' sip_addr="$ip:5061;transport=tls" "$run/sigproxy.ini")

cat <<INFO

sbc is running (Ctrl-C stops it). Logs (appended): $run/log/{redis,mediad,sigproxy}.log

TLS certificate for "$domain", CA $run/certs/ca.crt
$listeners
$routes
  mediad ng           $ip:2223 (rtpengine-ng-client --proxy-address=$ip --proxy-port=2223 ping)
  metrics             http://$ip:9101/metrics (sigproxy), http://$ip:9102/metrics (mediad)
  redis               $ip:$redis_port

Look at calls with sbcctl (the operator CLI; --json for scripts):
  $build/deploy/sbcctl/sbcctl -c $run/sigproxy.ini calls              live calls
  $build/deploy/sbcctl/sbcctl -c $run/sigproxy.ini show <call-id>     one call (keys masked)
  $build/deploy/sbcctl/sbcctl -c $run/sigproxy.ini hangup <call-id>   BYE both parties
  compliance record of every ended call: $run/calls.json
or with redis-cli:
  redis-cli -h $ip -p $redis_port zrange sbc:calls 0 -1             live calls (sigproxy)
  redis-cli -h $ip -p $redis_port hgetall sbc:call:<call-id>        state, tags, route, mediad, suites
  redis-cli -h $ip -p $redis_port --scan --pattern 'sbc:media:*'    media sessions (mediad)
  redis-cli -h $ip -p $redis_port hgetall sbc:mediad:mediad1        mediad registration and load
  redis-cli -h $ip -p $redis_port smembers sbc:mediads              the registered mediads
Test the TLS certificate:
  openssl s_client -connect $ip:5061 -CAfile $run/certs/ca.crt -verify_hostname $domain -verify_return_error </dev/null
INFO
wait -n "${pids[@]}"
echo "run-dev: a daemon exited; see $run/log" >&2
exit 1

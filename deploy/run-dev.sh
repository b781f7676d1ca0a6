#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs the SBC on this machine for development: installs what is missing, builds,
# generates development certificates, starts a private redis-server, mediad and
# sigproxy with the example configuration (rewritten for loopback), and stays in the
# foreground until Ctrl-C, which stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
run=$top/run
domain=${SBC_DOMAIN:-sbc.localhost}
redis_port=${SBC_REDIS_PORT:-6391}

bash deploy/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSBC_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)"

mkdir -p "$run/redis" "$run/log"
if [ ! -f "$run/certs/server-chain.pem" ]; then
	bash deploy/certs/make-certs.sh -o "$run/certs" -s IP:127.0.0.1 -c dev-client "$domain"
fi

bash deploy/dev-config.sh "$run" "$run/certs" "$redis_port"

pids=()
cleanup() {
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	echo "run-dev: stopped"
}
trap cleanup EXIT INT TERM

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$run/redis" \
	--save '' --appendonly no >"$run/log/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
	sleep 0.1
done

build/release/mediad/mediad -c "$run/mediad.ini" 2>"$run/log/mediad.log" &
pids+=($!)
build/release/sigproxy/sigproxy -c "$run/sigproxy.ini" 2>"$run/log/sigproxy.log" &
pids+=($!)
sleep 1
for pid in "${pids[@]}"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "run-dev: a daemon failed to start; logs in $run/log:" >&2
		tail -n 20 "$run/log/"*.log >&2
		exit 1
	fi
done

cat <<INFO

sbc is running (Ctrl-C stops it). Logs: $run/log/{redis,mediad,sigproxy}.log

  SIP/TLS (outside)   127.0.0.1:5061   certificate for "$domain", CA $run/certs/ca.crt
  SIP/UDP (outside)   127.0.0.1:5070
  SIP/UDP (inside)    127.0.0.1:5080
  routes              Request-URI user ^8011dd\$ -> sip:127.0.0.1:5090, then sip:127.0.0.1:5091
  mediad ng           127.0.0.1:2223 (rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port=2223 ping)
  metrics             http://127.0.0.1:9101/metrics (sigproxy), http://127.0.0.1:9102/metrics (mediad)
  redis               127.0.0.1:$redis_port

Look at calls with redis-cli:
  redis-cli -p $redis_port --scan --pattern 'sbc:call:*'     dialogs (sigproxy)
  redis-cli -p $redis_port hgetall sbc:call:<call-id>        state, tags, route, mediad, suites
  redis-cli -p $redis_port --scan --pattern 'sbc:media:*'    media sessions (mediad)
  redis-cli -p $redis_port hgetall sbc:mediad:mediad1        mediad registration and load
  redis-cli -p $redis_port smembers sbc:mediads              the registered mediads
Test the TLS certificate:
  openssl s_client -connect 127.0.0.1:5061 -CAfile $run/certs/ca.crt -verify_hostname $domain -verify_return_error </dev/null
INFO
wait -n "${pids[@]}"
echo "run-dev: a daemon exited; see $run/log" >&2
exit 1

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's run command as a newcomer uses it: deploy/run-dev.sh starts redis, mediad and
# sigproxy, prints the listeners and routes as configured with a number to dial, refuses a
# second instance on the same run directory without touching the first one's logs, and
# stops all three on SIGTERM (Ctrl-C's SIGINT runs the same trap; a background job of a
# non-interactive shell ignores SIGINT, so the test sends TERM). Runs on a loopback address of its own with the daemons
# of the build under test (SBC_BUILD_DIR: no install, no build).
set -u
. "$(dirname "$0")/e2e/lib.sh"

IP=$(e2e_ip 1)
RUN=$DIR/run
REDIS_PORT=$((20000 + $$ % 20000))

SBC_RUN_DIR=$RUN SBC_DEV_IP=$IP SBC_REDIS_PORT=$REDIS_PORT SBC_BUILD_DIR=$BUILD \
	setsid bash "$SRC/deploy/run-dev.sh" >"$DIR/first.out" 2>&1 &
FIRST=$!
PIDS+=("$FIRST")

banner() { grep -q 'sbc is running' "$DIR/first.out"; }
ok "run-dev prints its banner" wait_for 60 banner
ok "the banner lists the TLS listener as configured" \
	grep -q "listener outside-tls TLS $IP:5061 (outside)" "$DIR/first.out"
ok "the banner prints the route's pattern unmangled" \
	grep -qF 'route ivr           Request-URI user ^8011\d\d$ -> sip:'"$IP"':5090, then sip:'"$IP"':5091' \
	"$DIR/first.out"
ok "the banner says what number to dial" \
	grep -qF "dial e.g. sip:801100@$IP:5061;transport=tls" "$DIR/first.out"
ok "mediad answers on the ng address the banner prints" \
	wait_for 10 bash -c "timeout 5 rtpengine-ng-client --proxy-address=$IP --proxy-port=2223 ping 2>/dev/null | grep -q pong"
ok "the TLS listener presents the development certificate for the SIP domain" \
	bash -c "openssl s_client -connect $IP:5061 -CAfile $RUN/certs/ca.crt -verify_hostname sbc.localhost \
		-verify_return_error </dev/null 2>&1 | grep -q 'Verify return code: 0'"

mediad_lines=$(wc -l < "$RUN/log/mediad.log")
SBC_RUN_DIR=$RUN SBC_DEV_IP=$IP SBC_REDIS_PORT=$REDIS_PORT SBC_BUILD_DIR=$BUILD \
	timeout 30 bash "$SRC/deploy/run-dev.sh" >"$DIR/second.out" 2>&1
rc=$?
ok "a second instance on the same run directory is refused (rc=$rc)" [ "$rc" -ne 0 ]
ok "it says why, naming the running one" grep -q "already running with $RUN (pid $FIRST)" "$DIR/second.out"
ok "the first instance's logs are intact (no truncation, no NUL bytes)" \
	bash -c "[ \$(wc -l < '$RUN/log/mediad.log') -ge $mediad_lines ] && ! grep -qaP '\x00' '$RUN/log/mediad.log' '$RUN/log/sigproxy.log'"
ok "the first instance still answers" \
	bash -c "timeout 5 rtpengine-ng-client --proxy-address=$IP --proxy-port=2223 ping 2>/dev/null | grep -q pong"

daemons=$(pgrep -s "$FIRST" -d ' ' -x 'redis-server|mediad|sigproxy')
ok "three daemons run in the session of run-dev ($daemons)" [ "$(echo "$daemons" | wc -w)" -eq 3 ]
kill -TERM "$FIRST"
gone() { for p in $daemons; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
ok "SIGTERM to run-dev stops redis, mediad and sigproxy" wait_for 15 gone
ok "run-dev says it stopped" wait_for 5 grep -q 'run-dev: stopped' "$DIR/first.out"

# A second start appends: both start markers are in each log.
SBC_RUN_DIR=$RUN SBC_DEV_IP=$IP SBC_REDIS_PORT=$REDIS_PORT SBC_BUILD_DIR=$BUILD \
	setsid bash "$SRC/deploy/run-dev.sh" >"$DIR/third.out" 2>&1 &
THIRD=$!
PIDS+=("$THIRD")
third_banner() { grep -q 'sbc is running' "$DIR/third.out"; }
ok "run-dev starts again on the same run directory" wait_for 60 third_banner
ok "logs are appended across runs (two start markers)" \
	bash -c "[ \$(grep -c '^==== run-dev start' '$RUN/log/sigproxy.log') -eq 2 ]"
kill -TERM "$THIRD"
wait_for 15 grep -q 'run-dev: stopped' "$DIR/third.out"
e2e_finish

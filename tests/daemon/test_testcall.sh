#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's "Make a test call": deploy/run-dev.sh with this build's daemons, then
# deploy/testcall/testcall.sh, whose baresip caller reaches the outside TLS listener with
# SRTP and whose baresip callee answers on the route's target with plain RTP. The call must
# be established with audio both ways, SRTP on the outside leg (mediad's log and the dialog
# record name the suite), and a number no route takes must fail.
set -u
. "$(dirname "$0")/e2e/lib.sh"
need baresip

IP=$(e2e_ip 1)
RUN=$DIR/run
REDIS_PORT=$((20000 + ($$ + 7) % 20000))
export SBC_RUN_DIR=$RUN SBC_DEV_IP=$IP SBC_REDIS_PORT=$REDIS_PORT SBC_BUILD_DIR=$BUILD

setsid bash "$SRC/deploy/run-dev.sh" >"$DIR/run-dev.out" 2>&1 &
RUNDEV=$!
PIDS+=("$RUNDEV")
banner() { grep -q 'sbc is running' "$DIR/run-dev.out"; }
ok "run-dev is up" wait_for 60 banner

TESTCALL_SECONDS=5 bash "$SRC/deploy/testcall/testcall.sh" >"$DIR/testcall.out" 2>&1
rc=$?
sed 's/^/# /' "$DIR/testcall.out"
ok "testcall.sh reports success (rc=$rc)" [ "$rc" -eq 0 ]
ok "the caller's call was established" grep -q 'caller: .*Call established' "$DIR/testcall.out"
ok "the callee received audio" grep -qE 'callee: .*audio=[1-9]' "$DIR/testcall.out"
ok "the caller received audio" grep -qE 'caller: .*audio=[1-9]' "$DIR/testcall.out"
ok "mediad bridged SRTP (caller) to plain RTP (callee)" \
	grep -qE 'call_answer .*offerer_suite=AES_CM_128_HMAC_SHA1_(80|32) answerer_suite=none' \
	"$RUN/log/mediad.log"
cid=$(redis-cli -h "$IP" -p "$REDIS_PORT" --scan --pattern 'sbc:call:*' | head -1)
ok "the dialog record names the caller's suite ($cid)" \
	bash -c "redis-cli -h $IP -p $REDIS_PORT hget '$cid' caller_crypto | grep -q AES_CM_128"
ok "the dialog record says the call ended" \
	wait_for 5 bash -c "redis-cli -h $IP -p $REDIS_PORT hget '$cid' state | grep -qx ended"

# A number no route takes: no call, and testcall says so.
TESTCALL_SECONDS=3 bash "$SRC/deploy/testcall/testcall.sh" 999 >"$DIR/testcall-404.out" 2>&1
rc=$?
ok "a number no route takes fails (rc=$rc)" [ "$rc" -ne 0 ]
ok "the caller saw it refused" grep -qE 'session closed: 404' "$DIR/testcall-404.out"

kill -TERM "$RUNDEV"
wait_for 15 grep -q 'run-dev: stopped' "$DIR/run-dev.out"
e2e_finish

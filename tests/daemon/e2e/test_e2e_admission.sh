#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Call admission and the outbound connection budget, with real processes (redis-server,
# mediad, sigproxy, sipp callers and backends):
#   - a route with max_calls = 2: a third concurrent call gets 503 with Retry-After, and a
#     call after the first two ended is admitted again (BYE gives the place back);
#   - a route with max_cps = 2: of 6 calls at once, 2 are admitted, 4 get 503 with
#     Retry-After: 1; a second later calls are admitted again;
#   - a route whose two targets have target_max_calls = 1: the second call goes to the
#     second target, the third gets 503 with Retry-After, no backend sees it;
#   - a failed call gives its place back (max_calls = 1, a backend that answers 486);
#   - inbound connections at max_conns_in do not stop a call to a TCP backend: outbound
#     connections have a budget of their own.
set -u
. "$(dirname "$0")/lib.sh"
FLOOD=$BUILD/tests/e2e_flood
need sipp stunnel4 redis-server redis-cli openssl "$SIGPROXY" "$MEDIAD" "$FLOOD"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
SIP_IN_IP=$(e2e_ip 6)
BACK_A=$(e2e_ip 40)
BACK_B=$(e2e_ip 41)
BACK_C=$(e2e_ip 42)
BACK_D=$(e2e_ip 43)
BACK_E=$(e2e_ip 44)
SIP_B_IP=$(e2e_ip 50)
SIP_B_IN_IP=$(e2e_ip 51)
BACK_T=$(e2e_ip 52)
FILL_IP=$(e2e_ip 53)
RETRY=7	# lib.sh's sigproxy retry_after

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36800 || exit 1
SP_EXTRA="[route cap2]
match = ^8071\\d+\$
max_calls = 2
target = sip:$BACK_A:5060
[route cps2]
match = ^8072\\d+\$
max_cps = 2
target = sip:$BACK_B:5060
[route tgt1]
match = ^8073\\d+\$
target_max_calls = 1
target = sip:$BACK_C:5060
target = sip:$BACK_D:5060
[route capfail]
match = ^8075\\d+\$
max_calls = 1
target = sip:$BACK_E:5060"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$(e2e_ip 5):5060" || exit 1
A_PID=$SIGPROXY_PID
A_METRICS=$SP_METRICS
# Instance b: room for 4 inbound connections only; its route goes to a TCP backend.
SP_EXTRA="[limits]
max_conns_in = 4
max_conns_out = 4
max_conns_per_source = 0
header_timeout_ms = 30000"
sigproxy_start b "$SIP_B_IP" "$SIP_B_IN_IP" "sip:$BACK_T:5060;transport=tcp" || exit 1
B_PID=$SIGPROXY_PID
B_METRICS=$SP_METRICS
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ."
sleep 1

# mget PORT NAME [LABELS]: one sample of a sigproxy's /metrics (0 when absent).
mget() {
	local v
	v=$(metric_get "$1" "$2${3:+{$3\}}")
	echo "${v:-0}"
}
refused() { mget "$A_METRICS" sigproxy_calls_refused_total "reason=\"$1\""; }

# backend NAME IP COUNT [XML] [sipp args...]: a sipp UAS in the background ($BPID)
backend() {
	local name=$1 ip=$2 n=$3 xml=${4:-uas_call}
	shift 4 2>/dev/null || shift $#
	mkdir -p "$DIR/$name"
	(cd "$DIR/$name" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/$xml.xml" -i "$ip" -p 5060 -m "$n" \
		$(sipp_sets "$E2E_DIR_SRC/$xml.xml" mip "$ip" mport 41000) -timeout 35s "$@" \
		-trace_err -trace_logs -trace_msg >uas.out 2>&1) &
	BPID=$!
	PIDS+=("$BPID")
}
# caller NAME TO USER COUNT HOLD_MS [XML]: COUNT calls at once over UDP (plain RTP: keys
# never travel over UDP outside); waits for them
caller() {
	local name=$1 to=$2 user=$3 n=$4 hold=$5 xml=${6:-uac_admit}
	mkdir -p "$DIR/$name"
	(cd "$DIR/$name" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/$xml.xml" -t u1 -i "$CALLER_IP" -p 0 \
		"$to" -s "$user" -m "$n" -l "$n" -r 200 -d "$hold" -timeout 30s \
		$(sipp_sets "$E2E_DIR_SRC/$xml.xml" domain sbc.example.test mip "$CALLER_IP" mport 40000) \
		-trace_err -trace_logs -trace_msg >uac.out 2>&1)
}
answered() { cat "$DIR/$1"/*_logs.log 2>/dev/null | grep -c 'ANSWERED '; }
refusals() { cat "$DIR/$1"/*_logs.log 2>/dev/null | grep -c 'REFUSED '; }
retry_afters() { cat "$DIR/$1"/*_logs.log 2>/dev/null | sed -n 's/.*REFUSED .*retry_after=\([0-9]*\).*/\1/p' | sort -u | tr '\n' ' '; }
invites() { cat "$DIR/$1"/*_messages.log 2>/dev/null | tr -d '\r' | grep -c '^INVITE '; }

# ---- max_calls = 2 on a route ----
backend cap-back "$BACK_A" 3
CAPB=$BPID
caller cap-held "$SIP_IP:5060" 8071001 2 4000 &
HELD=$!
sleep 1.5
caller cap-third "$SIP_IP:5060" 8071002 1 100
ok "max_calls=2: a third concurrent call is refused ($(refusals cap-third) refused, $(answered cap-third) answered)" \
	test "$(refusals cap-third)" = 1 -a "$(answered cap-third)" = 0
ok "max_calls=2: the 503 carries Retry-After: $RETRY (got $(retry_afters cap-third))" \
	test "$(retry_afters cap-third)" = "$RETRY "
wait "$HELD"
ok "max_calls=2: the two held calls were answered and completed ($(answered cap-held))" \
	test "$(answered cap-held)" = 2
caller cap-after "$SIP_IP:5060" 8071003 1 100
ok "max_calls=2: after they hung up, a new call is admitted (BYE gave the places back)" \
	test "$(answered cap-after)" = 1
wait "$CAPB"
ok "max_calls=2: the backend saw exactly 3 INVITEs (sipp rc $?, got $(invites cap-back))" \
	test "$(invites cap-back)" = 3
ok "max_calls=2: counted (sigproxy_calls_refused_total{reason=\"route_max_calls\"} $(refused route_max_calls))" \
	test "$(refused route_max_calls)" = 1
ok "max_calls=2: logged with the route" \
	grep -q 'invite_refused status=503 reason=route_max_calls route=cap2' "$DIR/sigproxy-a.log"

# ---- max_cps = 2 on a route ----
backend cps-back "$BACK_B" 3
CPSB=$BPID
caller cps-burst "$SIP_IP:5060" 8072001 6 300
ok "max_cps=2: of 6 calls at once 2 are admitted ($(answered cps-burst))" test "$(answered cps-burst)" = 2
ok "max_cps=2: 4 get 503 ($(refusals cps-burst))" test "$(refusals cps-burst)" = 4
ok "max_cps=2: with Retry-After: 1 (got $(retry_afters cps-burst))" test "$(retry_afters cps-burst)" = "1 "
sleep 1.2
caller cps-later "$SIP_IP:5060" 8072002 1 100
ok "max_cps=2: a second later a call is admitted again" test "$(answered cps-later)" = 1
wait "$CPSB"
ok "max_cps=2: the backend saw 3 INVITEs (got $(invites cps-back))" test "$(invites cps-back)" = 3
ok "max_cps=2: counted ($(refused route_max_cps))" test "$(refused route_max_cps)" = 4

# ---- target_max_calls = 1, two targets ----
backend tgt-c "$BACK_C" 1
TC=$BPID
backend tgt-d "$BACK_D" 1
TD=$BPID
caller tgt-held "$SIP_IP:5060" 8073001 2 4000 &
HELD=$!
sleep 1.5
caller tgt-third "$SIP_IP:5060" 8073002 1 100
ok "target_max_calls=1: with both targets busy a third call is refused ($(refusals tgt-third))" \
	test "$(refusals tgt-third)" = 1
ok "target_max_calls=1: the 503 carries Retry-After: $RETRY (got $(retry_afters tgt-third))" \
	test "$(retry_afters tgt-third)" = "$RETRY "
wait "$HELD"
ok "target_max_calls=1: the first two calls were answered, one by each target ($(answered tgt-held))" \
	test "$(answered tgt-held)" = 2
wait "$TC"
wait "$TD"
ok "target_max_calls=1: each backend saw one INVITE (c $(invites tgt-c), d $(invites tgt-d))" \
	test "$(invites tgt-c)" = 1 -a "$(invites tgt-d)" = 1
ok "target_max_calls=1: the busy target was skipped for its limit" \
	grep -q "target_skipped target=sip:$BACK_C:5060 reason=target_max_calls" "$DIR/sigproxy-a.log"
ok "target_max_calls=1: counted ($(refused target_max_calls))" test "$(refused target_max_calls)" = 1

# ---- a failed call gives its place back ----
backend fail-back "$BACK_E" 2 uas_486
FB=$BPID
caller fail-calls "$SIP_IP:5060" 8075001 1 100
caller fail-calls2 "$SIP_IP:5060" 8075002 1 100
wait "$FB"
busy() { cat "$DIR/$1"/*_logs.log 2>/dev/null | grep -c 'BUSY '; }
ok "max_calls=1: after a call failed (486) the next one is admitted and reaches the backend (busy $(busy fail-calls)+$(busy fail-calls2), refused $(refusals fail-calls2))" \
	test "$(busy fail-calls)" = 1 -a "$(busy fail-calls2)" = 1 -a "$(refusals fail-calls2)" = 0

# ---- inbound full, outbound still has its budget (instance b) ----
timeout 30 "$FLOOD" -m tcp-idle -t "$SIP_B_IP:5060" -s "$FILL_IP" -n 6 -H 6000 >"$DIR/fill.out" 2>&1 &
FILL=$!
sleep 1
ok "instance b: inbound connections at max_conns_in (gauge $(mget "$B_METRICS" sigproxy_conns_open 'dir="in"'))" \
	test "$(mget "$B_METRICS" sigproxy_conns_open 'dir="in"')" = 4
ok "instance b: the connections over it refused and counted ($(mget "$B_METRICS" sigproxy_limit_drops_total 'reason="max_conns"'))" \
	test "$(mget "$B_METRICS" sigproxy_limit_drops_total 'reason="max_conns"')" -ge 2
backend tcp-back "$BACK_T" 1 uas_tcp -t t1
TB=$BPID
sleep 0.3
caller tcp-call "$SIP_B_IP:5060" 8011001 1 1500 &
TCALL=$!
sleep 0.8
OUT=$(mget "$B_METRICS" sigproxy_conns_open 'dir="out"')
wait "$TCALL"
ok "instance b: a call to a TCP backend is answered while inbound is full (outbound budget)" \
	test "$(answered tcp-call)" = 1
ok "instance b: ... over one outbound connection (gauge $OUT during the call)" test "$OUT" = 1
wait "$TB"
ok "instance b: the TCP backend completed its call (sipp rc $?)" test "$(invites tcp-back)" = 1
wait "$FILL"

ok "sigproxy a still running" kill -0 "$A_PID"
ok "sigproxy b still running" kill -0 "$B_PID"
e2e_finish

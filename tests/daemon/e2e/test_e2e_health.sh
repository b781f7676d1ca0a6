#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Backend health through the whole SBC (sigproxy + mediad + redis-server, OPTIONS responders
# as backends): a backend dead since start is down after down_after probe periods and OPTIONS
# to the SBC then get 503 (Retry-After) while it is the route's only backend, 200 once it
# answered up_after probes; one lost probe is not a verdict; a backend answering 403 is up
# with probe_up_on = any and down with 200; a replayed old answer and forged answers (guessed
# branches, from the backend's own address) count for nothing; a route with probe = no is
# never probed and judged by passive detection; a second instance with probing off agrees
# through sbc:backend:<name>; typos and contradictions in the keys are refused by -t.
set -u
. "$(dirname "$0")/lib.sh"
need redis-server redis-cli rtpengine-ng-client openssl perl "$SIGPROXY" "$MEDIAD"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
SIP_IN_IP=$(e2e_ip 6)
DEAD_IP=$(e2e_ip 20)	# nothing listens until the test starts a responder
LOSSY_IP=$(e2e_ip 21)	# 200 to every probe but the 4th
ANY_IP=$(e2e_ip 22)	# 403 to every probe, route probe_up_on = any
STRICT_IP=$(e2e_ip 23)	# 403 to every probe, probe_up_on = 200 ([health])
REPLAY_IP=$(e2e_ip 24)	# answers two probes, then replays the second answer
FORGE_IP=$(e2e_ip 25)	# nothing listens; forged answers come from this address
PASSIVE_IP=$(e2e_ip 26)	# route probe = no: never probed
STOP_IP=$(e2e_ip 27)	# answers until it gets SIGSTOP, again after SIGCONT
SP_IP2=$(e2e_ip 30)
SP_IN_IP2=$(e2e_ip 31)
OPT=$E2E_DIR_SRC/sip_options.pl
INTERVAL=300
DOWN_AFTER=3
UP_AFTER=2

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 37000 || exit 1

# responder NAME IP CODE [options]: a backend answering OPTIONS on IP:5060
responder() {
	local name=$1 ip=$2 code=$3
	shift 3
	perl "$OPT" respond "$ip:5060" "$code" "$DIR/resp-$name.log" "$@" >"$DIR/resp-$name.out" 2>&1 &
	PIDS+=("$!")
	eval "RESP_$name=$!"
}
responder lossy "$LOSSY_IP" 200 drop=4
responder any "$ANY_IP" 403
responder strict "$STRICT_IP" 403
responder replay "$REPLAY_IP" 200 replay_after=2
responder passive "$PASSIVE_IP" 200
responder stop "$STOP_IP" 200
touch "$DIR/resp-passive.log"
sleep 0.3

SP_HEALTH="probe = yes
interval_ms = $INTERVAL
down_after = $DOWN_AFTER
up_after = $UP_AFTER
probe_up_on = 200
holddown_ms = 0"
SP_EXTRA="[route dead]
match = ^8081\\d+\$
target = sip:$DEAD_IP:5060
[route lossy]
match = ^8082\\d+\$
target = sip:$LOSSY_IP:5060
[route err-any]
match = ^8083\\d+\$
probe_up_on = any
target = sip:$ANY_IP:5060
[route err-strict]
match = ^8084\\d+\$
target = sip:$STRICT_IP:5060
[route replay]
match = ^8085\\d+\$
target = sip:$REPLAY_IP:5060
[route forged]
match = ^8086\\d+\$
target = sip:$FORGE_IP:5060
[route passive]
match = ^8087\\d+\$
probe = no
target = sip:$PASSIVE_IP:5060
[route stop]
match = ^8088\\d+\$
target = sip:$STOP_IP:5060"
t_start=$(date +%s%3N)
# forged answers to "probes" of the silent FORGE_IP backend, from its own address, from
# before the first probe until well after the verdict is due
perl "$OPT" forge "$FORGE_IP" "$SIP_IN_IP:5060" 150 >"$DIR/forge.out" 2>&1 &
FORGER=$!
PIDS+=("$FORGER")
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$DEAD_IP:5060" || exit 1
A_PID=$SIGPROXY_PID
A_METRICS=$SP_METRICS
# the second instance: same Redis and routes, no probes of its own
SP_HEALTH="probe = no
interval_ms = $INTERVAL
holddown_ms = 0" sigproxy_start b "$SP_IP2" "$SP_IN_IP2" "sip:$DEAD_IP:5060" || exit 1
B_PID=$SIGPROXY_PID
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ."

ask() { perl "$OPT" ask "$CALLER_IP" "$1:5060" "$2"; }
# says SIP_IP USER EXPECTED: OPTIONS for USER to the instance on SIP_IP answers EXPECTED
says() { [ "$(ask "$1" "$2" | cut -d' ' -f1)" = "$3" ]; }
bkey() { echo "sbc:backend:sip:$1:5060"; }
hget() { rcli hget "$(bkey "$1")" "$2"; }
LOG_A=$DIR/sigproxy-a.log
LOG_B=$DIR/sigproxy-b.log

# ---- dead since start: down after DOWN_AFTER periods, from "unknown" ----
ok "dead: marked down from unknown after $DOWN_AFTER failed probes" wait_for 10 \
	grep -q "backend_down target=sip:$DEAD_IP:5060 was=unknown failed_probes=$DOWN_AFTER" "$LOG_A"
t_down=$(date +%s%3N)
echo "# dead backend down $((t_down - t_start)) ms after sigproxy was started (periods of $INTERVAL ms)"
ok "dead: failures 1 and 2 were no verdict (logged before the down)" bash -c \
	"f1=\$(grep -n 'backend_probe_failed target=sip:$DEAD_IP:5060 result=\"no answer\" failed=1 ' '$LOG_A' | head -1 | cut -d: -f1)
	 f2=\$(grep -n 'backend_probe_failed target=sip:$DEAD_IP:5060 result=\"no answer\" failed=2 ' '$LOG_A' | head -1 | cut -d: -f1)
	 d=\$(grep -n 'backend_down target=sip:$DEAD_IP:5060' '$LOG_A' | head -1 | cut -d: -f1)
	 [ -n \"\$f1\" ] && [ -n \"\$f2\" ] && [ -n \"\$d\" ] && [ \"\$f1\" -lt \"\$f2\" ] && [ \"\$f2\" -lt \"\$d\" ]"
ok "dead: sbc:backend:<name> says down, with the counts and who saw it" bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$DEAD_IP")' state)\" = down ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$DEAD_IP")' instance)\" = 'e2e-a-$$' ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$DEAD_IP")' last_probe)\" = timeout ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$DEAD_IP")' fail)\" -ge $DOWN_AFTER ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' ttl '$(bkey "$DEAD_IP")')\" -gt 0 ]"
r=$(ask "$SIP_IP" 8081001)
ok "dead: OPTIONS to the SBC for its route get 503 with Retry-After ($r)" test "$r" = "503 retry-after=7"
ok "dead: the other instance (probe = no) answers 503 too, from the shared state" \
	wait_for 5 says "$SP_IP2" 8081001 503
ok "dead: the other instance logged the state it took over" \
	grep -q "backend_shared target=sip:$DEAD_IP:5060 state=down by=e2e-a-$$" "$LOG_B"

# ---- the dead backend comes up: up after UP_AFTER answered probes ----
t_up0=$(date +%s%3N)
responder dead "$DEAD_IP" 200
wait_for 5 grep -q '^1 answered' "$DIR/resp-dead.log"
r=$(ask "$SIP_IP" 8081001)
ok "dead->up: one answered probe is no verdict yet: still 503 ($r)" test "$r" = "503 retry-after=7"
ok "dead->up: up after $UP_AFTER answered probes" wait_for 10 \
	grep -q "backend_up target=sip:$DEAD_IP:5060 was=down answered_probes=$UP_AFTER" "$LOG_A"
ok "dead->up: OPTIONS to the SBC for its route get 200" wait_for 3 says "$SIP_IP" 8081001 200
t_up=$(date +%s%3N)
ok "dead->up: and to the other instance" wait_for 5 says "$SP_IP2" 8081001 200
t_up_b=$(date +%s%3N)
echo "# backend back: 200 from the probing instance after $((t_up - t_up0)) ms, from the other after $((t_up_b - t_up0)) ms"

# ---- one lost probe is not a verdict ----
ok "lossy: up" wait_for 10 grep -q "backend_up target=sip:$LOSSY_IP:5060 was=unknown" "$LOG_A"
ok "lossy: the responder ignored its 4th probe and answered 3 more after it" \
	wait_for 10 bash -c "grep -q '^4 dropped' '$DIR/resp-lossy.log' && [ \$(grep -c answered '$DIR/resp-lossy.log') -ge 6 ]"
ok "lossy: that probe counted as one failure" \
	grep -q "backend_probe_failed target=sip:$LOSSY_IP:5060 result=\"no answer\" failed=1 " "$LOG_A"
ok "lossy: never marked down" bash -c "! grep -q 'backend_down target=sip:$LOSSY_IP:5060' '$LOG_A'"
ok "lossy: up in Redis" test "$(hget "$LOSSY_IP" state)" = up
ok "lossy: OPTIONS for its route 200" says "$SIP_IP" 8082001 200

# ---- a backend process frozen (SIGSTOP) and thawed (SIGCONT) ----
ok "frozen: up" wait_for 10 grep -q "backend_up target=sip:$STOP_IP:5060 was=unknown" "$LOG_A"
kill -STOP "$RESP_stop"
t0=$(ms_now)
ok "frozen: down after $DOWN_AFTER unanswered probes" wait_for 10 \
	grep -q "backend_down target=sip:$STOP_IP:5060 was=up failed_probes=$DOWN_AFTER" "$LOG_A"
echo "# frozen backend down after $(($(ms_now) - t0)) ms"
ok "frozen: OPTIONS for its route 503" says "$SIP_IP" 8088001 503
kill -CONT "$RESP_stop"
ok "thawed: up after $UP_AFTER answered probes (the stale answers it sends first count once)" \
	wait_for 10 grep -q "backend_up target=sip:$STOP_IP:5060 was=down answered_probes=$UP_AFTER" "$LOG_A"
ok "thawed: OPTIONS for its route 200" wait_for 3 says "$SIP_IP" 8088001 200

# ---- 403 to OPTIONS: up with probe_up_on = any, down with 200 ----
ok "403, probe_up_on = any: up" wait_for 5 grep -q "backend_up target=sip:$ANY_IP:5060 was=unknown answered_probes=$UP_AFTER last=\"403\"" "$LOG_A"
ok "403, probe_up_on = 200: down" wait_for 5 grep -q "backend_down target=sip:$STRICT_IP:5060 was=unknown failed_probes=$DOWN_AFTER last=\"403\"" "$LOG_A"
ok "403: Redis says up / down, last probe 403" bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$ANY_IP")' state)\" = up ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$ANY_IP")' probe_up_on)\" = any ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$STRICT_IP")' state)\" = down ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$STRICT_IP")' last_probe)\" = 403 ]"
ok "403: OPTIONS to the SBC: 200 for the 'any' route" says "$SIP_IP" 8083001 200
ok "403: OPTIONS to the SBC: 503 for the '200' route" says "$SIP_IP" 8084001 503
ok "403: the other instance agrees on both" bash -c \
	"perl '$OPT' ask '$CALLER_IP' '$SP_IP2:5060' 8083001 | grep -q '^200' &&
	 perl '$OPT' ask '$CALLER_IP' '$SP_IP2:5060' 8084001 | grep -q '^503'"

# ---- replayed and forged answers count for nothing ----
ok "replay: up on its two real answers" wait_for 5 grep -q "backend_up target=sip:$REPLAY_IP:5060" "$LOG_A"
ok "replay: down again while it only replays the old answer" \
	wait_for 10 grep -q "backend_down target=sip:$REPLAY_IP:5060 was=up failed_probes=$DOWN_AFTER" "$LOG_A"
ok "replay: it did replay (>= $DOWN_AFTER times)" bash -c "[ \$(grep -c replayed '$DIR/resp-replay.log') -ge $DOWN_AFTER ]"
wait "$FORGER"
frc=$?
e2e_forget "$FORGER"
ok "forged: 150 answers with guessed branches sent from the backend's own address (rc $frc)" \
	test "$frc" = 0
drops=$( (exec 3<>"/dev/tcp/127.0.0.1/$A_METRICS" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) |
	awk '$1 == "sigproxy_drops_total" { print $2 }')
ok "forged: they reached the SBC and were dropped (drops counted: $drops)" test "${drops:-0}" -ge 100
ok "forged: the silent backend went down all the same" \
	grep -q "backend_down target=sip:$FORGE_IP:5060 was=unknown failed_probes=$DOWN_AFTER" "$LOG_A"
ok "forged: and was never up" bash -c "! grep -q 'backend_up target=sip:$FORGE_IP:5060' '$LOG_A'"

# ---- probe = no on a route: never probed, passive detection only ----
ok "passive: its backend got no OPTIONS" test ! -s "$DIR/resp-passive.log"
ok "passive: no state of ours in Redis" test "$(hget "$PASSIVE_IP" state)" = ""
ok "passive: OPTIONS for its route 200 (nothing known against it)" says "$SIP_IP" 8087001 200

ok "metrics: backends by state" bash -c \
	"(exec 3<>/dev/tcp/127.0.0.1/$A_METRICS && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) |
	 grep -q '^sigproxy_backends{state=\"down\"} [1-9]'"

# ---- configuration: typos and contradictions are refused by -t, naming the key ----
refused() {
	local key=$1 ini=$DIR/bad.ini
	shift
	{ sed -n '1,/^\[route e2e\]/p' "$DIR/sigproxy-a.ini" | sed '$d'; printf '%s\n' "$@"; } >"$ini"
	"$SIGPROXY" -c "$ini" -t >"$DIR/bad.out" 2>&1 && return 1
	grep -q "$key" "$DIR/bad.out"
}
ok "-t: probe_up_on = 2OO refused" refused "probe_up_on" "[route x]" "match = ^1" \
	"target = sip:192.0.2.1" "probe_up_on = 2OO"
ok "-t: answer_timeout_ms = 50 refused" refused "answer_timeout_ms" "[route x]" "match = ^1" \
	"target = sip:192.0.2.1" "answer_timeout_ms = 50"
ok "-t: timer_c_ms = 999 refused" refused "timer_c_ms" "[route x]" "match = ^1" \
	"target = sip:192.0.2.1" "timer_c_ms = 999"
ok "-t: answer_timout_ms (typo) refused with the right name" refused "did you mean answer_timeout_ms" \
	"[route x]" "match = ^1" "target = sip:192.0.2.1" "answer_timout_ms = 3000"
ok "-t: one target probed two ways by two routes refused" refused "route y.*probe_up_on.*also in route x" \
	"[route x]" "match = ^1" "target = sip:192.0.2.1" "[route y]" "match = ^2" \
	"target = sip:192.0.2.1" "probe_up_on = any"
ok "-t: the run's own configuration passes" bash -c "'$SIGPROXY' -c '$DIR/sigproxy-a.ini' -t >'$DIR/good.out' 2>&1"

SIGPROXY_PID=$A_PID
ok "sigproxy a still running" kill -0 "$A_PID"
ok "sigproxy b still running" kill -0 "$B_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The route's INVITE timers through the whole SBC (sigproxy + mediad + redis-server, sipp
# backends, a TLS caller): a backend that answers 100 Trying and then hangs is CANCELled
# after answer_timeout_ms and the call completes on the next target; that target is then
# held down (the next call goes straight to the second target, also for another instance
# reading sbc:backend:<name>); Timer C (timer_c_ms), restarted by each provisional, ends
# a backend that rang and went silent, long before the answer timeout.
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
HANG_IP=$(e2e_ip 7)	# 100 Trying, then nothing
RING_IP=$(e2e_ip 8)	# 180, 180 1.5 s later, then nothing
STUNNEL_ACCEPT=$CALLER_IP:5071
ANSWER_MS=3000
TIMER_C_MS=2000

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
# 8071: the hanging backend first (answer timeout 3 s, the seed's FreeSWITCH call_timeout);
# 8072: the ringing backend first (Timer C 2 s, answer timeout far away).
SP_HEALTH="probe = no
holddown_ms = 60000"
SP_EXTRA="[route hang-first]
match = ^8071\\d+\$
timeout_ms = 2000
answer_timeout_ms = $ANSWER_MS
target = sip:$HANG_IP:5060
target = sip:$BACK_IP:5060
[route ring-first]
match = ^8072\\d+\$
timeout_ms = 2000
answer_timeout_ms = 20000
timer_c_ms = $TIMER_C_MS
target = sip:$RING_IP:5060
target = sip:$BACK_IP:5060"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ."
sleep 1

# at_ms WHAT NAME: the time the backend NAME logged "WHAT got ..." (ms, integer part)
at_ms() { sed -n "s/.* got $1 at_ms=\([0-9]*\).*/\1/p" "$DIR"/"$2"/*_logs.log | head -1; }
metric() {
	local port=$SP_METRICS
	(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3) |
		awk -v k="$1" '$1 == k { print $2 }'
}
bkey() { echo "sbc:backend:sip:$1:5060"; }

# hung_call LABEL NAME IP XML USER: a call whose first target is the sipp backend NAME (XML) on
# IP, the second answering; checks media and completion; sets BACK_RC (NAME's sipp), AFTER_MS
# (INVITE to CANCEL at NAME; empty without a CANCEL) and ANSWERED_MS.
hung_call() {
	local label=$1 name=$2 ip=$3 xml=$4 user=$5 t0 t1 back inv can
	side_uas "$name" "$ip" "$xml"
	back=$SIDE_PID
	sleep 0.2
	t0=$(ms_now)
	CALL_USER=$user call_start "$name-call" uac_call uas_call AES_CM_128_HMAC_SHA1_80
	ok "$label: media flows through the second target" call_media MEDIA1 BACKEND1
	t1=$(ms_now)
	call_wait
	wait "$back"
	BACK_RC=$?
	e2e_forget "$back"
	ok "$label: call completed (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
	inv=$(at_ms INVITE "$name")
	can=$(at_ms CANCEL "$name")
	AFTER_MS=
	[ -n "$inv" ] && [ -n "$can" ] && AFTER_MS=$((can - inv))
	ANSWERED_MS=$((t1 - t0))
	echo "# $name: INVITE at $inv, CANCEL at $can (${AFTER_MS:-no CANCEL}); answered after $ANSWERED_MS ms"
}
in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# ---- 100 Trying, then nothing: CANCEL after answer_timeout_ms, the next target answers ----
hung_call "answer timeout" hang "$HANG_IP" uas_hang 8071001
ok "answer timeout: the CANCEL reached the hanging backend, which answered 200 and 487 (sipp rc $BACK_RC)" \
	test -n "$AFTER_MS" -a "$BACK_RC" = 0
ok "answer timeout: CANCEL ${AFTER_MS:-never} ms after the INVITE (want ${ANSWER_MS}..$((ANSWER_MS + 1500)))" \
	in_range "$AFTER_MS" $((ANSWER_MS - 20)) $((ANSWER_MS + 1500))
ok "answer timeout: logged as such" \
	grep -q "failover_timeout timer=answer target=sip:$HANG_IP:5060 after_ms=$ANSWER_MS" "$DIR/sigproxy-a.log"
ok "answer timeout: the target is held down" \
	grep -q "backend_holddown target=sip:$HANG_IP:5060 ms=60000 reason=\"no answer\"" "$DIR/sigproxy-a.log"
ok "answer timeout: the hold-down is in Redis for the other instances" bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$HANG_IP")' holddown_by)\" = 'e2e-a-$$' ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget '$(bkey "$HANG_IP")' holddown_reason)\" = 'no answer' ]"

# ---- the held-down target is skipped: the next call goes straight to the second ----
side_uas hang2 "$HANG_IP" uas_hang
HANG2=$SIDE_PID
sleep 0.2
t0=$(ms_now)
CALL_USER=8071002 call_start held uac_call uas_call AES_CM_128_HMAC_SHA1_80
ok "held down: media flows through the second target" call_media MEDIA1 BACKEND1
t1=$(ms_now)
call_wait
ok "held down: call completed (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "held down: answered at once ($((t1 - t0)) ms), no timer waited out" test $((t1 - t0)) -lt 2000
ok "held down: the hanging backend got no INVITE" bash -c "! grep -qs 'HANG got INVITE' '$DIR'/hang2/*_logs.log"
ok "held down: logged as skipped" grep -q "target_skipped target=sip:$HANG_IP:5060 reason=down" "$DIR/sigproxy-a.log"
e2e_stop "$HANG2"

# A second instance on the same Redis, without probes, never sent a call to the hanging
# backend: it skips it too, from the hold-down the first instance wrote (OPTIONS for the
# route's number is still 200: the second target is fine).
SP_IP2=$(e2e_ip 9)
SP_IN_IP2=$(e2e_ip 10)
A_PID=$SIGPROXY_PID
A_METRICS=$SP_METRICS
sigproxy_start b "$SP_IP2" "$SP_IN_IP2" "sip:$BACK_IP:5060" || exit 1
SIGPROXY_PID=$A_PID
SP_METRICS=$A_METRICS
stunnel_client d "$CALLER_IP:5072" "$SP_IP2:5061" sbc.example.test || { cat "$DIR/stunnel-d.log" >&2; exit 1; }
side_uas hang3 "$HANG_IP" uas_hang
HANG3=$SIDE_PID
sleep 0.2
t0=$(ms_now)
STUNNEL_ACCEPT=$CALLER_IP:5072 CALL_USER=8071003 call_start held-b uac_call uas_call AES_CM_128_HMAC_SHA1_80
ok "other instance: media flows through the second target" call_media MEDIA1 BACKEND1
t1=$(ms_now)
call_wait
ok "other instance: call completed (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "other instance: answered at once ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 2000
ok "other instance: skipped the target the first one held down" \
	grep -q "target_skipped target=sip:$HANG_IP:5060 reason=down" "$DIR/sigproxy-b.log"
ok "other instance: the hanging backend got no INVITE" bash -c "! grep -qs 'HANG got INVITE' '$DIR'/hang3/*_logs.log"
e2e_stop "$HANG3"

# ---- 180, 180 after 1.5 s, then nothing: Timer C (2 s, restarted by the second 180) ----
hung_call "Timer C" ring "$RING_IP" uas_ring_hang 8072001
ok "Timer C: the CANCEL reached the ringing backend (sipp rc $BACK_RC)" test -n "$AFTER_MS" -a "$BACK_RC" = 0
ok "Timer C: CANCEL ${AFTER_MS:-never} ms after the INVITE: 1500 + $TIMER_C_MS (restarted by the second 180), not 20000" \
	in_range "$AFTER_MS" $((1500 + TIMER_C_MS - 20)) $((1500 + TIMER_C_MS + 1500))
ok "Timer C: logged as such" \
	grep -q "failover_timeout timer=timer_c target=sip:$RING_IP:5060 after_ms=$TIMER_C_MS" "$DIR/sigproxy-a.log"
m_ans=$(metric 'sigproxy_invite_timeouts_total{timer="answer"}')
m_c=$(metric 'sigproxy_invite_timeouts_total{timer="timer_c"}')
ok "metrics: one answer timeout ($m_ans) and one Timer C ($m_c) counted" test "$m_ans" = 1 -a "$m_c" = 1

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Call flows through the whole SBC beyond the basic call: failover (silent first target,
# 503 first target, all targets failing), CANCEL before answer, late offer, hold and resume
# with media checked after the resume, and a second sigproxy instance (same Redis) that
# takes over the BYE of a call the first one set up; the mediad registry (a mediad whose
# registration expires is marked down and leaves the set sbc:mediads).
# Arguments choose the parts: failover allfail cancel late hold takeover registry (default: all).
set -u
PARTS=" ${*:-failover allfail cancel late hold takeover registry} "
part() { [[ "$PARTS" == *" $1 "* ]]; }
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
SILENT_IP=$(e2e_ip 7)
B503_IP=$(e2e_ip 8)
B500_IP=$(e2e_ip 9)
REFUSED_IP=$(e2e_ip 13)	# nothing listens there: a TCP connect is refused
STUNNEL_ACCEPT=$CALLER_IP:5071
TMO=2000

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
# Routes by user prefix: 8011 plain, 8021 silent then good, 8031 503 then good,
# 8041 503 then 500 (all fail), 8061 TCP connect refused then good.
SP_TIMEOUT_MS=$TMO
SP_EXTRA="[route silent-first]
match = ^8021\\d+\$
timeout_ms = $TMO
target = sip:$SILENT_IP:5060
target = sip:$BACK_IP:5060
[route busy-first]
match = ^8031\\d+\$
timeout_ms = $TMO
target = sip:$B503_IP:5060
target = sip:$BACK_IP:5060
[route all-fail]
match = ^8041\\d+\$
timeout_ms = $TMO
target = sip:$B503_IP:5060
target = sip:$B500_IP:5060
[route refused-first]
match = ^8061\\d+\$
timeout_ms = $TMO
target = sip:$REFUSED_IP:5060;transport=tcp
target = sip:$BACK_IP:5060"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ."
sleep 1

media_gone() {
	[ "$(rcli exists "sbc:media:$1")" = 0 ] && [ "$(mediad_calls)" = 0 ]
}

if part failover; then
# ---- failover: first target silent -> timeout, then the next ----
side_uas silent "$SILENT_IP" uas_silent
SILENT=$SIDE_PID
sleep 0.2
t0=$(ms_now)
CALL_USER=8021001 call_start silent-first uac_call uas_call AES_CM_128_HMAC_SHA1_80
ok "failover/silent: media flows through the second target" call_media MEDIA1 BACKEND1
t1=$(ms_now)
call_wait
ok "failover/silent: the silent target got the INVITE" grep -qs "SILENT got INVITE" "$DIR"/silent/uas_silent_*_logs.log
ok "failover/silent: call completed (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "failover/silent: next target tried only after the ${TMO} ms timeout (answer after $((t1 - t0)) ms)" \
	test $((t1 - t0)) -ge "$TMO"
e2e_stop "$SILENT"
ok "failover/silent: nothing left in mediad after BYE" wait_for 5 media_gone "$CALL_ID"

# ---- failover: first target 503 -> the next at once ----
side_uas busy "$B503_IP" uas_503
BUSY=$SIDE_PID
sleep 0.2
t0=$(ms_now)
CALL_USER=8031001 call_start busy-first uac_call uas_call AES_CM_128_HMAC_SHA1_80
ok "failover/503: media flows through the second target" call_media MEDIA1 BACKEND1
t1=$(ms_now)
call_wait
wait "$BUSY"
ok "failover/503: the first target got the INVITE and answered 503 (sipp rc $?)" \
	grep -qs "BACKEND-503 got INVITE" "$DIR"/busy/uas_503_*_logs.log
e2e_forget "$BUSY"
ok "failover/503: call completed (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "failover/503: next target at once, not after the timeout (answer after $((t1 - t0)) ms)" \
	test $((t1 - t0)) -lt "$TMO"
ok "failover/503: nothing left in mediad after BYE" wait_for 5 media_gone "$CALL_ID"

# ---- failover: first target refuses the TCP connect -> the next at once ----
t0=$(ms_now)
CALL_USER=8061001 call_start refused-first uac_call uas_call AES_CM_128_HMAC_SHA1_80
ok "failover/refused: media flows through the second target" call_media MEDIA1 BACKEND1
t1=$(ms_now)
call_wait
ok "failover/refused: call completed (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "failover/refused: next target at once, not after the timeout (answer after $((t1 - t0)) ms)" \
	test $((t1 - t0)) -lt "$TMO"
ok "failover/refused: the refused connect failed the branch" \
	grep -q "target_conn_failed .*target=sip:$REFUSED_IP:5060;transport=tcp .*Connection refused" "$DIR/sigproxy-a.log"
ok "failover/refused: nothing left in mediad after BYE" wait_for 5 media_gone "$CALL_ID"
fi

if part allfail; then
# ---- all targets fail: best response upstream, mediad call deleted ----
side_uas fail1 "$B503_IP" uas_503
F1=$SIDE_PID
side_uas fail2 "$B500_IP" uas_500
F2=$SIDE_PID
sleep 0.2
mkdir -p "$DIR/allfail"
(cd "$DIR/allfail" && timeout 30 sipp -sf "$E2E_DIR_SRC/uac_fail.xml" -t t1 -i "$CALLER_IP" -p 0 \
	"$STUNNEL_ACCEPT" -s 8041001 -m 1 -timeout 25s \
	$(sipp_sets "$E2E_DIR_SRC/uac_fail.xml" domain sbc.example.test mip "$CALLER_IP" mport 40000 \
	suite AES_CM_128_HMAC_SHA1_80 key "$(srtp_key AES_CM_128_HMAC_SHA1_80)") \
	-trace_err -trace_msg >uac.out 2>&1)
rc=$?
final=$(grep -h -o '^SIP/2.0 [3-6][0-9][0-9]' "$DIR"/allfail/uac_fail_*_messages.log | tail -1 | cut -d' ' -f2)
cid=$(sed -n 's/^Call-ID: *//p' "$DIR"/allfail/uac_fail_*_messages.log | head -1 | tr -d '\r')
ok "all fail: caller got a final 5xx (rc $rc, final ${final:-none})" test "$rc" = 0 -a -n "$final"
ok "all fail: both targets were tried" bash -c "grep -qs 'BACKEND-503 got INVITE' '$DIR'/fail1/*_logs.log && grep -qs 'BACKEND-500 got INVITE' '$DIR'/fail2/*_logs.log"
ok "all fail: best response is one the targets gave (500 or 503), got $final" \
	bash -c "[ '$final' = 500 ] || [ '$final' = 503 ]"
ok "all fail: mediad call deleted (call-id $cid)" wait_for 5 media_gone "$cid"
wait "$F1" "$F2" 2>/dev/null
e2e_forget "$F1" "$F2"
fi

if part cancel; then
# ---- CANCEL before answer ----
CALL_USER=8011001 call_start cancel uac_cancel uas_cancel AES_CM_128_HMAC_SHA1_80
call_wait
cid=$(sed -n 's/^Call-ID: *//p' "$DIR"/cancel/uac_cancel_*_messages.log | head -1 | tr -d '\r')
ok "CANCEL: caller got 200 for CANCEL and 487 (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "CANCEL: the backend got the CANCEL and answered 487 (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "CANCEL: mediad call deleted" wait_for 5 media_gone "$cid"
ok "CANCEL: dialog record not left active" bash -c \
	"s=\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$cid' state); [ \"\$s\" != answered ] && [ \"\$s\" != early ]"
fi

if part late; then
# ---- late offer: offer in the 200, answer in the ACK ----
CALL_USER=8011001 call_start late uac_late uas_late AES_CM_128_HMAC_SHA1_80
ok "late offer: media both ways bit-exact" call_media MEDIA1 BACKEND1
call_wait
ok "late offer: caller got an SRTP offer in the 200 (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "late offer: backend got a plain RTP answer in the ACK (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "late offer: nothing left in mediad after BYE" wait_for 5 media_gone "$CALL_ID"
fi

if part hold; then
# ---- hold and resume (re-INVITEs), media after the resume ----
CALL_USER=8011001 CALL_HOLD_MS=2500 call_start hold uac_hold uas_hold AES_CM_128_HMAC_SHA1_80 \
	-set dir2 sendonly -set dir3 sendrecv -set ver2 2 -set ver3 3
ok "hold/resume: media both ways bit-exact after the resume" call_media MEDIA3 BACKEND3 1000
k1=$(sed -n 's/.*MEDIA1 .* key=\([^ ]*\).*/\1/p' "$DIR"/hold/uac_*_logs.log)
ok "hold/resume: our key unchanged across re-INVITEs" test -n "$k1" -a "$k1" = "$CALL_AKEY"
call_wait
ok "hold/resume: caller saw SRTP answers to all three offers (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "hold/resume: backend saw sendonly, then sendrecv, plain RTP (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "hold/resume: nothing left in mediad after BYE" wait_for 5 media_gone "$CALL_ID"
fi

if part takeover; then
# The first instance dies after the call is up; the second starts on the same addresses
# with the same Redis and must handle the caller's BYE from the dialog record alone. The
# caller's TLS connection died with the first instance: the BYE comes from a new sipp
# over a new TLS connection, with the dialog the first sipp logged.
CALL_USER=8011001 call_start takeover uac_rbye uas_call AES_CM_128_HMAC_SHA1_80
ok "takeover: media through the first instance" call_media MEDIA1 BACKEND1
ok "takeover: dialog record written by the first instance" \
	test -n "$(rcli hget "sbc:call:$CALL_ID" state)"
dlg=$(grep -h 'DIALOG ruri=' "$DIR"/takeover/uac_rbye_*_logs.log | head -1 | tr -d '\r')
ruri=$(sed -n 's/.*DIALOG ruri=\([^ ]*\) .*/\1/p' <<<"$dlg")
route=$(sed -n 's/.*Route: *\(.*\) totag.*/\1/p' <<<"$dlg" | sed 's/ *$//')
ttag=$(sed -n 's/.*totag;tag=\([^ ;]*\).*/\1/p' <<<"$dlg")
ftag=$(grep -h -m1 '^From:.*tag=' "$DIR"/takeover/uac_rbye_*_messages.log | sed 's/.*tag=\([^ ;\r]*\).*/\1/' | tr -d '\r')
echo "# dialog: ruri=$ruri route=$route ftag=$ftag ttag=$ttag"
kill -KILL "$SIGPROXY_PID"
e2e_stop "$SIGPROXY_PID"
e2e_stop "$CALL_UAC_PID"
sigproxy_start b "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
mkdir -p "$DIR/takeover-bye"
(cd "$DIR/takeover-bye" && timeout 20 sipp -sf "$E2E_DIR_SRC/uac_bye.xml" -t t1 -i "$CALLER_IP" -p 0 \
	"$STUNNEL_ACCEPT" -s 8011001 -m 1 -timeout 15s -set domain sbc.example.test -set ruri "$ruri" \
	-set route "$route" -cid_str "$CALL_ID" -set ftag "$ftag" -set ttag "$ttag" \
	-trace_err -trace_msg >uac.out 2>&1)
rc=$?
wait "$CALL_UAS_PID"
UAS_RC=$?
e2e_forget "$CALL_UAS_PID" "$CALL_UAC_PID"
ok "takeover: second instance took the BYE" grep -q "bye_in call_id=$CALL_ID" "$DIR/sigproxy-b.log"
ok "takeover: caller's BYE answered 200 through the second instance (sipp rc $rc)" test "$rc" = 0
ok "takeover: backend got the BYE and the call completed (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "takeover: mediad call deleted by the second instance" wait_for 5 media_gone "$CALL_ID"
ok "takeover: dialog record ended with a TTL" wait_for 5 bash -c \
	"t=\$(redis-cli -s '$REDIS_SOCK' ttl 'sbc:call:$CALL_ID'); [ \"\$t\" -gt 0 ]"
fi

if part registry; then
# A mediad that registers and dies: its hash expires, sigproxy forgets it and drops its
# id from the set; an id left in the set without any registration is dropped too.
ok "registry: our mediad is in sbc:mediads" bash -c \
	"redis-cli -s '$REDIS_SOCK' smembers sbc:mediads | grep -qx 'e2e-a-$$'"
rcli hset "sbc:mediad:ghost-$$" id "ghost-$$" ng 127.0.0.1:9 load 100 >/dev/null
rcli expire "sbc:mediad:ghost-$$" 2 >/dev/null
rcli sadd sbc:mediads "ghost-$$" "stale-$$" >/dev/null
ok "registry: sigproxy picks up a registered mediad from the set" \
	wait_for 5 grep -q "mediad_added id=ghost-$$" "$DIR/sigproxy-a.log"
ok "registry: its registration expires: removed from the pool (no more calls, no pings)" \
	wait_for 8 grep -q "mediad_removed id=ghost-$$ reason=registration-" "$DIR/sigproxy-a.log"
ok "registry: expired and stale ids leave the set, ours stays" wait_for 5 bash -c \
	"m=\$(redis-cli -s '$REDIS_SOCK' smembers sbc:mediads); [ \"\$m\" = 'e2e-a-$$' ]"
fi

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

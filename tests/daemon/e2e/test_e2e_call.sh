#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Basic calls through the whole SBC: a caller over TLS (sipp behind a verifying stunnel
# client) offering SRTP with each suite, sigproxy + mediad + redis-server, a sipp backend on
# UDP with plain RTP; media both ways checked bit-exact by e2e_media; BYE from either side
# must close the dialog record and remove the mediad call. Every line both daemons log is in
# the "event key=value" format.
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
STUNNEL_ACCEPT=$CALLER_IP:5071

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
# sigproxy finds mediad through its registration in Redis
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	echo "# mediad registration not seen in redis"
sleep 1

# one_call UAC UAS SUITE WHO: a complete call with every check; WHO says who hangs up.
one_call() {
	local uac=$1 uas=$2 suite=$3 who=$4 what="$3, $4 hangs up" st ttl
	CALL_HOLD_MS=3000 call_start "$suite-$who" "$uac" "$uas" "$suite"
	# call_media waits for the answer on both sides before it checks the media
	call_media MEDIA1 BACKEND1
	rc=$?
	st=$(rcli hget "sbc:call:$CALL_ID" state 2>/dev/null)
	ok "$what: dialog record sbc:call:<id> during the call (state=$st)" test -n "$st"
	ok "$what: mediad record sbc:media:<id> during the call" \
		test "$(rcli exists "sbc:media:$CALL_ID")" = 1
	ok "$what: mediad holds one call" test "$(mediad_calls)" = 1
	ok "$what: media both ways bit-exact, SRTP leg encrypted" test "$rc" = 0
	sed 's/^/# /' "$DIR/$suite-$who/media.out" 2>/dev/null
	ok "$what: answer has our suite and the offer's tag 1 (got ${CALL_ASUITE:-} tag ${CALL_ATAG:-})" \
		test "${CALL_ASUITE:-}" = "$suite" -a "${CALL_ATAG:-}" = 1
	ok "$what: answer key is not the caller's key" test "${CALL_AKEY:-x}" != "$CALL_KEY"
	call_wait
	ok "$what: caller saw RTP/SAVP + exactly one a=crypto, call completed (sipp rc $UAC_RC)" test "$UAC_RC" = 0
	ok "$what: backend saw RTP/AVP and no a=crypto, call completed (sipp rc $UAS_RC)" test "$UAS_RC" = 0
	ok "$what: mediad call gone after BYE (sbc:media:<id> deleted)" \
		wait_for 5 bash -c "test \"\$(redis-cli -s '$REDIS_SOCK' exists 'sbc:media:$CALL_ID')\" = 0"
	ok "$what: ng list empty after BYE" wait_for 5 mediad_empty
	ok "$what: dialog record ended and given a TTL" wait_for 5 bash -c \
		"t=\$(redis-cli -s '$REDIS_SOCK' ttl 'sbc:call:$CALL_ID'); s=\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CALL_ID' state); [ \"\$t\" -gt 0 ] && [ \"\$t\" -le 120 ] && [ -n \"\$s\" ]"
	st=$(rcli hget "sbc:call:$CALL_ID" state 2>/dev/null)
	echo "# $what: final state=$st ttl=$(rcli ttl "sbc:call:$CALL_ID")"
}

one_call uac_call uas_call AES_CM_128_HMAC_SHA1_80 caller
one_call uac_rbye uas_rbye AES_CM_128_HMAC_SHA1_80 backend
for s in AES_CM_128_HMAC_SHA1_32 AEAD_AES_128_GCM AEAD_AES_256_GCM AES_256_CM_HMAC_SHA1_80; do
	one_call uac_call uas_call "$s" caller
done
ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
ok "no SRTP key in the sigproxy log" bash -c "! grep -q '$CALL_KEY' '$DIR/sigproxy-a.log'"
# Every line both daemons wrote during these calls is "event key=value ..." with values
# that hold spaces or quotes quoted (log_quote): a log shipper can split them all.
perl "$E2E_DIR_SRC/log_format.pl" "$DIR/sigproxy-a.log" "$DIR/mediad-a.log" >"$DIR/log_format.out" 2>&1
rc=$?
ok "every log line of both daemons (at ${SP_LOG_LEVEL:-info}/${MEDIAD_LOG_LEVEL:-info}) is event key=value ($(tail -1 "$DIR/log_format.out"))" \
	test "$rc" = 0
grep '^bad line' "$DIR/log_format.out" | sed 's/^/# /'
e2e_finish

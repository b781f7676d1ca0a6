#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Encryption enforced end to end: sigproxy with outside_policy = required (SDES keys over TLS
# only outside, the default), mediad with the outside interface required and the inside off.
# A plain offer over TLS and an SRTP offer over UDP are refused with 488 and reach nobody
# inside; best-effort SRTP (RTP/AVP with a=crypto, RFC 8643) over TLS is answered with one
# key and its media flow SRTP outside, RTP inside, bit-exact; a mixed offer (SRTP audio,
# plain video) goes through with the video refused (port 0).
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl perl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 51)
OUT_IP=$(e2e_ip 52)
IN_IP=$(e2e_ip 53)
CALLER_IP=$(e2e_ip 54)
BACK_IP=$(e2e_ip 55)
SIP_IN_IP=$(e2e_ip 56)
STUNNEL_ACCEPT=$CALLER_IP:5071

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_OUTSIDE_ENC=required mediad_start a "$OUT_IP" "$IN_IP" 48000 || exit 1
SP_OUTSIDE_POLICY=required sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	echo "# mediad registration not seen in redis"
sleep 1
SPLOG=$DIR/sigproxy-a.log

sp_metric() { metric_get "$SP_METRICS" "$1"; }

# The backend address as a bare UDP sink while a call must not reach it: sink_start, sink_count.
sink_start() {
	perl -MIO::Socket::IP -e '
		my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => 5060, Proto => "udp")
			or die "bind: $!";
		$| = 1;
		while (1) { my $b; $s->recv($b, 65535); print length($b), "\n" }' "$BACK_IP" \
		>"$DIR/sink.out" 2>&1 &
	SINK_PID=$!
	PIDS+=("$SINK_PID")
	sleep 0.3
}
sink_count() { grep -c '^[0-9]' "$DIR/sink.out"; }

# refused NAME TRANSPORT DEST PROFILE ATTR: one caller offer that must get exactly 488.
refused() {
	local name=$1 tp=$2 dest=$3
	mkdir -p "$DIR/$name"
	printf 'SEQUENTIAL\n%s;%s\n' "$4" "$5" >"$DIR/$name/fields.csv"
	(cd "$DIR/$name" && exec timeout 30 sipp -sf "$E2E_DIR_SRC/uac_enc_refused.xml" -t "$tp" \
		-i "$CALLER_IP" -p 0 "$dest" -s 8011001 -m 1 -timeout 20s -inf fields.csv \
		$(sipp_sets "$E2E_DIR_SRC/uac_enc_refused.xml" domain sbc.example.test mip "$CALLER_IP" \
		mport 40000) -trace_err -trace_msg >uac.out 2>&1)
}

KEY=$(srtp_key AES_CM_128_HMAC_SHA1_80)
sink_start
# ---- a required outside offered plain RTP over TLS ----
refused plain t1 "$STUNNEL_ACCEPT" RTP/AVP a=ptime:20
rc=$?
ok "required outside, plain RTP offered over TLS: 488 (sipp rc $rc)" test "$rc" = 0
ok "... logged as a policy refusal of that side" \
	grep -q 'policy_reject side=outside policy=required media=1 reason="offer plain RTP on a side that requires SRTP"' "$SPLOG"
# ---- SDES keys over plain UDP on the outside (outside_sdes_requires_tls = yes) ----
refused udpkeys u1 "$SIP_IP:5060" RTP/SAVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$KEY"
rc_udp=$?
ok "SRTP offered over UDP outside: 488 (sipp rc $rc_udp)" test "$rc_udp" = 0
ok "... one log line names side and transport" \
	grep -q 'sdes_refused side=outside transport=udp direction=in reason="SDES keys received over udp; outside_sdes_requires_tls = yes"' "$SPLOG"
ok "... and no key reaches the log" bash -c "! grep -qF '$KEY' '$SPLOG' '$DIR/mediad-a.log'"
ok "... counted (sigproxy_sdes_tls_rejects_total)" test "$(sp_metric sigproxy_sdes_tls_rejects_total)" = 1
# OSRTP keys over UDP are keys as well
refused udposrtp u1 "$SIP_IP:5060" RTP/AVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$KEY"
rc=$?
ok "best-effort SRTP keys over UDP outside: 488 too (sipp rc $rc)" test "$rc" = 0
sleep 0.5
ok "nothing of the refused calls was forwarded inside (datagrams at the backend: $(sink_count))" \
	test "$(sink_count)" = 0
ok "no mediad was asked about the refused calls" test "$(mediad_calls)" = 0
e2e_stop "$SINK_PID"

# ---- best-effort SRTP (RFC 8643) over TLS: answered with one key, SRTP outside ----
CALL_HOLD_MS=3000 call_start osrtp uac_osrtp uas_call AES_CM_128_HMAC_SHA1_80
call_media MEDIA1 BACKEND1
rc=$?
sed 's/^/# /' "$DIR/osrtp/media.out" 2>/dev/null
ok "OSRTP: media both ways bit-exact, SRTP outside, RTP inside" test "$rc" = 0
ok "OSRTP: the answer's key is ours, under the offer's tag 1 (tag ${CALL_ATAG:-})" \
	test "${CALL_ATAG:-}" = 1 -a "${CALL_AKEY:-$CALL_KEY}" != "$CALL_KEY"
ok "OSRTP: the dialog record shows the caller's leg encrypted" \
	test "$(rcli hget "sbc:call:$CALL_ID" caller_crypto)" = AES_CM_128_HMAC_SHA1_80
call_wait
ok "OSRTP: caller saw RTP/AVP with exactly one a=crypto, call completed (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "OSRTP: backend saw RTP/AVP without a=crypto, call completed (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "OSRTP: mediad call gone after BYE" wait_for 5 mediad_empty

# ---- SRTP audio with a plain video line on the required outside: decided per line ----
CALL_HOLD_MS=3000 call_start mixed uac_mixed uas_mixed AES_CM_128_HMAC_SHA1_80
call_media MEDIA1 BACKEND1
rc=$?
sed 's/^/# /' "$DIR/mixed/media.out" 2>/dev/null
ok "mixed: audio media both ways bit-exact" test "$rc" = 0
call_wait
ok "mixed: caller got SRTP audio with one key and the video refused (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "mixed: backend got the audio and the video with port 0, no key (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "mixed: the refused line is logged" \
	grep -q 'policy_line_refused side=outside policy=required media=2 reason="plain RTP on a side that requires SRTP"' "$SPLOG"
ok "mixed: sigproxy_policy_lines_rejected_total counts it" \
	test "$(sp_metric sigproxy_policy_lines_rejected_total)" -ge 1

# a typo in the new keys is refused by -t, not read as something else
sed 's/^outside_policy = required$/outside_policy = required\noutside_sdes_requires_tls = maybe/' \
	"$DIR/sigproxy-a.ini" >"$DIR/typo.ini"
out=$("$SIGPROXY" -c "$DIR/typo.ini" -t 2>&1)
rc=$?
ok "outside_sdes_requires_tls = maybe: -t exits 1 naming the key (rc $rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'media.outside_sdes_requires_tls' <<<\"\$1\"" _ "$out"

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
ok "no SRTP key in the sigproxy log" bash -c "! grep -qF '$CALL_KEY' '$SPLOG'"
e2e_finish

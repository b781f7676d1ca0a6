#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Torture both ways (issue #11): the RFC 4475 messages and our own modern ones (tests/data/
# torture: huge headers, many Vias, NUL bytes, UTF-8 display names, compact forms, folded
# lines, duplicate headers, multipart, RFC 2543) over UDP, TCP and TLS to the outside
# listener and over UDP and TCP to the inside one; then torture responses from a backend
# (UTF-8 reason, compact and folded headers, 30 kB header, NUL, duplicate To, a status out
# of range, a short body, a multipart 183). sigproxy stays up, valid messages are carried,
# invalid ones are refused with 4xx or dropped and counted, and nothing that reached the
# backend or came back to the caller is broken SIP.
set -u
. "$(dirname "$0")/lib.sh"
need perl stunnel4 redis-server redis-cli openssl "$SIGPROXY" "$MEDIAD"

SIP_IP=$(e2e_ip 91)
OUT_IP=$(e2e_ip 92)
IN_IP=$(e2e_ip 93)
CLIENT_IP=$(e2e_ip 94)
BACK_IP=$(e2e_ip 95)
SIP_IN_IP=$(e2e_ip 96)
STUNNEL_ACCEPT=$CLIENT_IP:5071
DATA=$SRC/tests/data
SINK=$DIR/backend.log
SEND=$E2E_DIR_SRC/torture_send.pl

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 45000 || exit 1
perl "$E2E_DIR_SRC/torture_backend.pl" "$BACK_IP" "$SINK" >"$DIR/backend.out" 2>&1 &
PIDS+=("$!")
SP_TIMEOUT_MS=500
SP_EXTRA="[listener inside-tcp]
transport = tcp
address = $SIP_IN_IP:5060
side = inside
acl = 127.0.0.0/8
[route any]
match = .*
timeout_ms = 500
target = sip:$BACK_IP:5060"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	echo "# mediad registration not seen in redis"
sleep 1

# ---- requests: every message, every transport, both sides ----
for pass in "udp out $SIP_IP:5060" "tcp out $SIP_IP:5060" "tcp tls-out $STUNNEL_ACCEPT" \
	"udp in $SIP_IN_IP:5060" "tcp in $SIP_IN_IP:5060"; do
	read -r proto label dst <<<"$pass"
	[ "$label" = in ] && label="$proto-in" || { [ "$label" = out ] && label="$proto-out"; }
	perl "$SEND" send "$proto" "$dst" "$CLIENT_IP" "$label" "$SP_METRICS" "$SINK" "$DIR/outcomes" \
		"$DATA/rfc4475_expect.txt" "$DATA/rfc4475" "$DATA/torture_expect.txt" "$DATA/torture"
	ok "$label: every RFC 4475 and modern torture message handled as expected" test $? = 0
	ok "$label: sigproxy still running" kill -0 "$SIGPROXY_PID"
done

# ---- responses from the backend ----
invite() {	# invite NAME KIND [body-file]: a valid INVITE asking the backend for response KIND
	local name=$1 kind=$2
	{
		printf 'INVITE sip:8011001@sbc.example.test SIP/2.0\r\nVia: SIP/2.0/UDP @LOCAL@;branch=z9hG4bK-%s\r\n' "$name"
		printf 'Max-Forwards: 70\r\nFrom: <sip:caller@example.test>;tag=%s\r\n' "$name"
		printf 'To: <sip:8011001@sbc.example.test>\r\nCall-ID: resp-%s@e2e\r\nCSeq: 1 INVITE\r\n' "$name"
		printf 'Contact: <sip:caller@@LOCAL@>\r\nX-Torture-Response: %s\r\n' "$kind"
		if [ -n "${3:-}" ]; then
			printf 'Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n'
			cat "$3"
		else
			printf 'Content-Length: 0\r\n\r\n'
		fi
	} >"$DIR/$name.sip"
	ONESHOT_ALL=$DIR/caller.log perl "$E2E_DIR_SRC/sip_oneshot.pl" udp "$CLIENT_IP" "$SIP_IP:5060" \
		"$DIR/$name.sip" 4 >"$DIR/$name.out" 2>&1
	sed -n 's/^final=//p' "$DIR/$name.out"
}
drops() { metric_get "$SP_METRICS" sigproxy_drops_total; }

st=$(invite utf8 r_utf8)
ok "UTF-8 reason phrase: forwarded ($st)" test "$st" = 486
ok "UTF-8 reason phrase: unchanged" grep -q "^SIP/2.0 486 Besetzt $(printf '\xe2\x80\x93') sp$(printf '\xc3\xa4')ter" "$DIR/utf8.out"
for k in compact folded huge many; do
	st=$(invite "$k" "r_$k")
	ok "response with $k headers: forwarded ($st)" test "$st" = 486
done
ok "folded header lines: forwarded as they came" grep -q '^ "folded over"' "$DIR/folded.out"
huge=$(grep -a '^X-Huge: ' "$DIR/huge.out" | tr -d '\r')
ok "30 kB header in a response: carried whole (${#huge} bytes)" test "${#huge}" = 30008
for k in nul dupto status cl; do
	d0=$(drops)
	st=$(invite "$k" "r_$k")
	ok "invalid response ($k): never forwarded, the caller gets the SBC's own 408 ($st)" test "$st" = 408
	ok "invalid response ($k): dropped and counted" test "$(drops)" -gt "$d0"
done
printf 'v=0\r\no=c 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 45900 RTP/AVP 0\r\n' \
	"$CLIENT_IP" "$CLIENT_IP" >"$DIR/offer.sdp"
st=$(invite mp183 r_183mp "$DIR/offer.sdp")
ok "multipart 183 then 486 ($st)" test "$st" = 486
r183=$(perl -0ne 'print $1 if /=== \d+\n(SIP\/2\.0 183 .*?)(?:\n=== |\z)/s' "$DIR/caller.log")
ok "multipart 183: forwarded multipart/mixed with its boundary" \
	bash -c "grep -q '^Content-Type: multipart/mixed;boundary=bb' <<<\"\$1\"" _ "$r183"
ok "multipart 183: the ISUP part as the backend sent it" \
	bash -c "grep -q '^ACM 8011001' <<<\"\$1\" && grep -q 'Content-Disposition: signal;handling=optional' <<<\"\$1\"" _ "$r183"
ok "multipart 183: the SDP part is mediad's (its outside address, not the backend's)" \
	bash -c "grep -q '^c=IN IP4 $OUT_IP' <<<\"\$1\" && ! grep -q '^c=IN IP4 $BACK_IP\|^m=audio 45990' <<<\"\$1\"" _ "$r183"

# ---- nothing broken went either way ----
perl "$SEND" check "$SINK" backend
ok "everything the backend got is well-formed SIP" test $? = 0
cat "$DIR"/outcomes.responses >>"$DIR/caller.log" 2>/dev/null
# what the backend answered, as the callers got it through us (our own answers to broken
# requests echo their headers, as RFC 3261 §8.2.6.2 wants)
perl "$SEND" check "$DIR/caller.log" callers ';tag=torture1'
ok "everything the backend sent back through us is well-formed SIP" test $? = 0
ok "sigproxy still running after everything" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

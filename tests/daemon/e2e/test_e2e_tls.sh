#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# TLS at the edge of the SBC: mutual TLS accepts a client signed by our CA and refuses one
# signed by another CA (and one without a certificate); an outbound TLS target whose
# certificate names do not match is refused with one log line naming CN, SANs and the
# expected name; TLS 1.0 is refused by default while TLS 1.2 works.
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server openssl "$SIGPROXY" "$MEDIAD"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CLIENT_IP=$(e2e_ip 4)
SIP_IN_IP=$(e2e_ip 6)
WRONG_IP=$(e2e_ip 10)
MTLS_IP=$(e2e_ip 11)
MTLS_IN_IP=$(e2e_ip 12)

certs_make sbc.example.test alice || { cat "$DIR/certs.out" >&2; exit 1; }
# Another CA with a client certificate of the same name: must be refused.
"$SRC/deploy/certs/make-certs.sh" -o "$DIR/rogue" -d 30 -c alice rogue.example.test >"$DIR/rogue.out" 2>&1 ||
	{ cat "$DIR/rogue.out" >&2; exit 1; }
# A certificate from our own CA, but for another name: the mismatching TLS target.
mkdir -p "$DIR/wrong"
cp "$DIR"/certs/ca.* "$DIR"/certs/intermediate.* "$DIR/wrong/"
"$SRC/deploy/certs/make-certs.sh" -o "$DIR/wrong" -d 30 wrong.example.test >"$DIR/wrong.out" 2>&1 ||
	{ cat "$DIR/wrong.out" >&2; exit 1; }

redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
# No timeout_ms: the 3 s default, which a failed connect must not wait for. REFUSED_IP has
# nothing listening on its TCP port: the connect is refused.
REFUSED_IP=$(e2e_ip 13)
SP_EXTRA="[route tls-wrong-name]
match = ^8051\\d+\$
target = sip:$WRONG_IP:5061;transport=tls

[route tcp-refused]
match = ^8052\\d+\$
target = sip:$REFUSED_IP:5060;transport=tcp"
# The failing calls below offer SRTP over UDP (uac_fail.xml, sipp -t u1): keys over UDP are
# allowed here, this test is about the outbound TLS and TCP legs.
SP_MEDIA_EXTRA="outside_sdes_requires_tls = no"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$(e2e_ip 5):5060" || exit 1
A_PID=$SIGPROXY_PID
SP_EXTRA=
SP_MEDIA_EXTRA=
SP_EXTRA_LISTENER="tls_verify_peer = yes"
sigproxy_start m "$MTLS_IP" "$MTLS_IN_IP" "sip:$(e2e_ip 5):5060" || exit 1
MTLS_PID=$SIGPROXY_PID


# ---- mutual TLS ----
ok "mTLS: client signed by our CA is accepted (OPTIONS answered)" \
	answered "$MTLS_IP:5061" -cert "$DIR/certs/client-alice.crt" -cert_chain "$DIR/certs/client-alice-chain.pem" -key "$DIR/certs/client-alice.key"
ok "mTLS: sigproxy logged the verified client certificate" \
	grep -q 'tls_established dir=in .*peer_cert=verified subject_cn="alice"' "$DIR/sigproxy-m.log"
ok "mTLS: client signed by another CA is refused" \
	refused "$MTLS_IP:5061" -cert "$DIR/rogue/client-alice.crt" -cert_chain "$DIR/rogue/client-alice-chain.pem" -key "$DIR/rogue/client-alice.key"
ok "mTLS: client without a certificate is refused" refused "$MTLS_IP:5061"
ok "mTLS: refusals logged with the peer address" \
	bash -c "test \$(grep -c 'tls_handshake_failed dir=in .*peer=$CLIENT_IP' '$DIR/sigproxy-m.log') -ge 2"
ok "no mTLS: a client without a certificate is accepted on the plain TLS listener" answered "$SIP_IP:5061"

# ---- protocol versions ----
ok "TLS 1.2 accepted" answered "$SIP_IP:5061" -tls1_2
ok "TLS 1.0 refused by default" refused "$SIP_IP:5061" -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
ok "TLS 1.0 refusal logged as an unsupported protocol" grep -q "tls_handshake_failed dir=in .*peer=$CLIENT_IP.*unsupported protocol" "$DIR/sigproxy-a.log"

# ---- outbound TLS to a target whose certificate names do not match ----
cat >"$DIR/stunnel-wrong.conf" <<EOF
foreground = yes
pid =
debug = 5
output = $DIR/stunnel-wrong.log
[wrong]
accept = $WRONG_IP:5061
connect = $WRONG_IP:5062
cert = $DIR/wrong/server-chain.pem
key = $DIR/wrong/server.key
EOF
stunnel4 "$DIR/stunnel-wrong.conf" >"$DIR/stunnel-wrong.out" 2>&1 &
PIDS+=("$!")
wait_for 5 grep -qs 'Configuration successful' "$DIR/stunnel-wrong.log"
# fail_call DIR USER: one call that must fail; sets rc and ms (INVITE sent to sipp's end).
fail_call() {
	local t0 t1
	mkdir -p "$DIR/$1"
	t0=$(date +%s%N)
	(cd "$DIR/$1" && timeout 30 sipp -sf "$E2E_DIR_SRC/uac_fail.xml" -t u1 -i "$CLIENT_IP" -p 5060 \
		"$SIP_IP:5060" -s "$2" -m 1 -timeout 25s \
		$(sipp_sets "$E2E_DIR_SRC/uac_fail.xml" domain sbc.example.test mip "$CLIENT_IP" mport 40000 \
		suite AES_CM_128_HMAC_SHA1_80 key "$(srtp_key AES_CM_128_HMAC_SHA1_80)") \
		-trace_err -trace_msg >uac.out 2>&1)
	rc=$?
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
}
# final_status DIR: the status line of the final response sipp received.
final_status() {
	cat "$DIR/$1"/*_messages.log 2>/dev/null | tr -d '\r' | grep -o '^SIP/2.0 [2-6][0-9][0-9]' | head -1
}
fail_call wrongname 8051001
ok "name mismatch: the call to the TLS target fails upstream with an error (sipp rc $rc)" test "$rc" = 0
# The 3 s failover timer must not be what ends it (sipp's own run, ACK and 200 ms pause
# included, takes well under 1 s).
ok "name mismatch: the final response came at once ($ms ms, failover timeout 3000 ms)" test "$ms" -lt 2000
st=$(final_status wrongname)
ok "name mismatch: the local failure (503) goes upstream as 500 (got '$st')" test "$st" = "SIP/2.0 500"
ok "name mismatch: the branch failed on the handshake, not on the timer" \
	grep -q "target_conn_failed .*target=sip:$WRONG_IP:5061;transport=tls .*err=" "$DIR/sigproxy-a.log"
ok "name mismatch: no failover timeout logged" bash -c "! grep -q 'failover_timeout' '$DIR/sigproxy-a.log'"
line=$(grep 'tls_handshake_failed dir=out' "$DIR/sigproxy-a.log" | grep "$WRONG_IP" | head -1)
echo "# $line"
ok "name mismatch: one log line names the subject CN" grep -q 'subject_cn="wrong.example.test"' <<<"$line"
ok "name mismatch: ... the SANs" grep -q 'sans="[^"]*wrong.example.test' <<<"$line"
ok "name mismatch: ... and the expected name" grep -q "expected=\"$WRONG_IP\"" <<<"$line"
ok "name mismatch: no INVITE reached the target" bash -c "! grep -q 'connected remote server' '$DIR/stunnel-wrong.log'"

# ---- outbound TCP to a target that refuses the connection ----
fail_call refused 8052001
ok "TCP refused: the call fails upstream with an error (sipp rc $rc)" test "$rc" = 0
ok "TCP refused: the final response came at once ($ms ms, failover timeout 3000 ms)" test "$ms" -lt 2000
st=$(final_status refused)
ok "TCP refused: the local failure (503) goes upstream as 500 (got '$st')" test "$st" = "SIP/2.0 500"
ok "TCP refused: still no failover timeout logged" bash -c "! grep -q 'failover_timeout' '$DIR/sigproxy-a.log'"

ok "sigproxy still running" kill -0 "$A_PID"
ok "mTLS sigproxy still running" kill -0 "$MTLS_PID"
e2e_finish

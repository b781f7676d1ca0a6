#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# TLS policy of sigproxy against real peers (openssl s_client/s_server, stunnel4, sipp).
# Modes (one or more arguments):
#   inbound   hardened default: CBC/SHA-1/RSA-kx suites and TLS 1.1 refused, AEAD suites
#             and TLS 1.3 accepted, weaker suites only when configured (with a warning);
#             mutual TLS with tls_allow (exact, "*." one label, by CN or SAN) and a CRL
#   outbound  a target by IP with [tls_peer]: a certificate for another name is refused
#             and the call fails over, the right one is accepted with SNI and the peer's
#             client certificate; in-dialog requests reuse that connection
#   reload    SIGHUP with a new certificate while a TLS call is up (the call and its
#             connection survive, new handshakes see the new certificate), a broken
#             certificate or a mismatched key (old context kept, error names the file),
#             a CRL that revokes a client (refused after SIGHUP), the reload metric
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli openssl "$SIGPROXY" "$MEDIAD"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
CLIENT_IP=$(e2e_ip 7)
WEAK_IP=$(e2e_ip 8)
WEAK_IN_IP=$(e2e_ip 9)
WRONG_IP=$(e2e_ip 10)
PEER_IP=$(e2e_ip 11)
STUNNEL_ACCEPT=$CALLER_IP:5071
TLS_OPTIONS_WAIT=1

# leaf DIR NAME CN SAN EKU [rsa]: a certificate from DIR's intermediate, with DIR/NAME-chain.pem.
leaf() {
	local d=$1 n=$2 cn=$3 san=$4 eku=$5 alg=${6:-ec}
	if [ "$alg" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/$n.key" 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key" 2>/dev/null
	fi
	openssl req -new -key "$d/$n.key" -subj "/O=SBC/CN=$cn" -out "$d/$n.csr" 2>/dev/null
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$eku"
		[ -z "$san" ] || echo "subjectAltName=$san"
	} >"$d/$n.ext"
	openssl x509 -req -in "$d/$n.csr" -CA "$d/intermediate.crt" -CAkey "$d/intermediate.key" \
		-CAcreateserial -days 2 -sha256 -extfile "$d/$n.ext" -out "$d/$n.crt" 2>/dev/null &&
		cat "$d/$n.crt" "$d/intermediate.crt" >"$d/$n-chain.pem"
}

# client NAME: s_client arguments presenting client certificate NAME of DIR/certs.
client() { echo -cert "$DIR/certs/$1.crt" -cert_chain "$DIR/certs/$1-chain.pem" -key "$DIR/certs/$1.key"; }
# fingerprint HOST:PORT: SHA-256 fingerprint of the certificate a new handshake gets.
fingerprint() {
	timeout 5 openssl s_client -connect "$1" -bind "$CLIENT_IP:0" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'
}
file_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }
# metric NAME LABELS: a sample of sigproxy's metrics endpoint (SP_METRICS port).
metric() {
	(exec 3<>"/dev/tcp/127.0.0.1/$SP_METRICS" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 &&
		timeout 5 cat <&3) | tr -d '\r' | awk -v k="$1{$2}" '$1 == k { print $2 }'
}

certs_make sbc.example.test alice bob mallory carol.partners.example.test x.y.partners.example.test ||
	{ cat "$DIR/certs.out" >&2; exit 1; }
for c in alice bob mallory carol.partners.example.test x.y.partners.example.test; do
	for f in crt key; do ln -s "client-$c.$f" "$DIR/certs/$c.$f"; done
	ln -s "client-$c-chain.pem" "$DIR/certs/$c-chain.pem"
done
# dave's CN is on no list; his DNS SAN is under *.partners.example.test.
leaf "$DIR/certs" dave "dave-device" "DNS:dave.partners.example.test" clientAuth ||
	{ echo "dave's certificate failed" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
# A mutual TLS listener with the CRL of make-certs.sh (inbound adds tls_allow).
MTLS_LISTENER="[listener mtls]
transport = tls
address = $SIP_IP:5063
side = outside
acl = 127.0.0.0/8
tls_cert = $DIR/certs/server-chain.pem
tls_key = $DIR/certs/server.key
tls_ca = $DIR/certs/ca.crt
tls_crl = $DIR/certs/crl.pem
tls_verify_peer = yes"

# ---------------------------------------------------------------------------------------
mode_inbound() {
	local line
	leaf "$DIR/certs" rsa sbc.example.test "DNS:sbc.example.test" serverAuth rsa ||
		{ echo "RSA certificate failed" >&2; exit 1; }
	"$SRC/deploy/certs/make-certs.sh" -o "$DIR/certs" -r mallory >>"$DIR/certs.out" 2>&1 ||
		{ echo "revocation failed" >&2; exit 1; }
	SP_EXTRA="[listener rsa-tls]
transport = tls
address = $SIP_IP:5062
side = outside
acl = 127.0.0.0/8
tls_cert = $DIR/certs/rsa-chain.pem
tls_key = $DIR/certs/rsa.key
$MTLS_LISTENER
tls_allow = alice, mallory
tls_allow = *.partners.example.test"
	sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
	SP_EXTRA=
	local A=$SIP_IP:5061 R=$SIP_IP:5062 M=$SIP_IP:5063

	# ---- what a TLS 1.2 client that offers only weak suites gets: nothing ----
	ok "default: TLS 1.2 offering only AES128-SHA (RSA key exchange, CBC, SHA-1) refused" \
		refused "$R" -tls1_2 -cipher AES128-SHA
	ok "default: TLS 1.2 offering only ECDHE-RSA-AES128-SHA (CBC, SHA-1) refused" \
		refused "$R" -tls1_2 -cipher ECDHE-RSA-AES128-SHA
	ok "default: TLS 1.2 offering only ECDHE-ECDSA-AES128-SHA (CBC, SHA-1) refused" \
		refused "$A" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
	ok "default: TLS 1.2 offering only ECDHE-ECDSA-AES256-SHA384 (CBC) refused" \
		refused "$A" -tls1_2 -cipher ECDHE-ECDSA-AES256-SHA384
	ok "default: TLS 1.2 offering only AES128-GCM-SHA256 (RSA key exchange) refused" \
		refused "$R" -tls1_2 -cipher AES128-GCM-SHA256
	ok "default: TLS 1.1 refused" refused "$A" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
	ok "refusals logged with the client's address: no shared cipher (5), unsupported protocol (1)" \
		bash -c "test \$(grep -c 'tls_handshake_failed dir=in .*peer=$CLIENT_IP:.*no shared cipher' '$DIR/sigproxy-a.log') = 5 &&
			test \$(grep -c 'tls_handshake_failed dir=in .*peer=$CLIENT_IP:.*unsupported protocol' '$DIR/sigproxy-a.log') = 1"
	# ---- what it accepts ----
	ok "default: TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 accepted" \
		answered "$A" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	ok "default: TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305 accepted" \
		answered "$A" -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
	ok "default: TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384 accepted (RSA certificate)" \
		answered "$R" -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384
	ok "default: TLS 1.3 TLS_AES_128_GCM_SHA256 accepted" \
		answered "$A" -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256
	ok "default: TLS 1.3 TLS_CHACHA20_POLY1305_SHA256 accepted" \
		answered "$A" -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
	ok "default: a client offering everything gets an AEAD suite over TLS 1.2" \
		bash -c "grep 'tls_established dir=in .*peer=$CLIENT_IP.*version=TLSv1.2' '$DIR/sigproxy-a.log' |
			grep -v 'cipher=ECDHE-[A-Z]*-\(AES[0-9]*-GCM\|CHACHA20-POLY1305\)' | grep -q . && exit 1
			grep -q 'tls_established dir=in .*version=TLSv1.2 cipher=ECDHE-ECDSA-AES128-GCM-SHA256' '$DIR/sigproxy-a.log'"
	ok "default: no weak-cipher warning" bash -c "! grep -q tls_weak_ciphers '$DIR/sigproxy-a.log'"

	# ---- mutual TLS: CRL and tls_allow ----
	ok "mTLS allow-list: alice (exact CN) accepted" answered "$M" $(client alice)
	ok "mTLS allow-list: carol.partners.example.test (*. on the CN) accepted" \
		answered "$M" $(client carol.partners.example.test)
	ok "mTLS allow-list: dave (CN not listed, DNS SAN under *.partners) accepted" \
		answered "$M" $(client dave)
	ok "mTLS allow-list: bob (our CA, not on the list) refused" refused "$M" $(client bob)
	line=$(grep 'tls_handshake_failed dir=in listener=mtls' "$DIR/sigproxy-a.log" | grep 'subject_cn="bob"' | head -1)
	echo "# $line"
	ok "mTLS allow-list: one line says why and names bob's subject and SANs" \
		grep -q 'reason="certificate not allowed: no name on tls_allow of mtls" subject_cn="bob" sans="none"' <<<"$line"
	ok "mTLS allow-list: x.y.partners.example.test (two labels under *.) refused" \
		refused "$M" $(client x.y.partners.example.test)
	ok "mTLS allow-list: the refusal names x.y's subject" \
		grep -q 'tls_handshake_failed dir=in listener=mtls .*not allowed.*subject_cn="x.y.partners.example.test"' "$DIR/sigproxy-a.log"
	ok "mTLS CRL: mallory (listed, but revoked) refused" refused "$M" $(client mallory)
	ok "mTLS CRL: the refusal says revoked and names mallory" \
		grep -q 'tls_handshake_failed dir=in listener=mtls .*certificate revoked.*subject_cn="mallory"' "$DIR/sigproxy-a.log"
	ok "mTLS: no certificate at all refused" refused "$M"
	ok "mTLS: accepted clients logged as verified" \
		grep -q 'tls_established dir=in listener=mtls .*peer_cert=verified subject_cn="dave-device"' "$DIR/sigproxy-a.log"

	# ---- weaker suites only when configured, with a warning naming them ----
	SP_EXTRA_LISTENER="tls_ciphers = DEFAULT"
	sigproxy_start w "$WEAK_IP" "$WEAK_IN_IP" "sip:$BACK_IP:5060" || exit 1
	SP_EXTRA_LISTENER=
	line=$(grep 'tls_weak_ciphers name=outside-tls' "$DIR/sigproxy-w.log" | head -1)
	echo "# ${line:0:300}..."
	ok "configured DEFAULT: one warning at start names the weak suites" \
		grep -q 'ECDHE-ECDSA-AES128-SHA(cbc+sha1)' <<<"$line"
	ok "configured DEFAULT: ... RSA key exchange among them" grep -q 'AES128-GCM-SHA256(kx-rsa)' <<<"$line"
	ok "configured DEFAULT: ... and no AEAD ECDHE suite" \
		bash -c "! grep -q 'ECDHE-ECDSA-AES128-GCM-SHA256' <<<'$line'"
	ok "configured DEFAULT: ECDHE-ECDSA-AES128-SHA accepted (the operator asked for it)" \
		answered "$WEAK_IP:5061" -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
	ok "configured DEFAULT: the [tls_client] context (default ciphers) has no warning" \
		bash -c "! grep -q 'tls_weak_ciphers name=client' '$DIR/sigproxy-w.log'"

	# ---- what -t refuses ----
	local bad=$DIR/bad.ini
	sed 's/^tls_allow = alice, mallory/tls_allow = *.com/' "$DIR/sigproxy-a.ini" >"$bad"
	ok "-t: tls_allow = *.com (a whole top-level domain) refused" \
		bash -c "! '$SIGPROXY' -c '$bad' -t >/dev/null 2>'$DIR/t.err' && grep -q 'listener mtls.tls_allow: .*\*.com' '$DIR/t.err'"
	sed 's/^tls_allow = alice, mallory/tls_allow = al*ce/' "$DIR/sigproxy-a.ini" >"$bad"
	ok "-t: a wildcard inside a label refused" \
		bash -c "! '$SIGPROXY' -c '$bad' -t >/dev/null 2>&1"
	sed '/^tls_verify_peer = yes$/d' "$DIR/sigproxy-a.ini" >"$bad"
	ok "-t: tls_allow without tls_verify_peer = yes refused" \
		bash -c "! '$SIGPROXY' -c '$bad' -t >/dev/null 2>'$DIR/t.err' && grep -q 'tls_allow: needs tls_verify_peer = yes' '$DIR/t.err'"
	ok "-t: the sections as written pass" bash -c "'$SIGPROXY' -c '$DIR/sigproxy-a.ini' -t >/dev/null"
	ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
}

# ---------------------------------------------------------------------------------------
mode_outbound() {
	local line t0 ms uac_rc uas_rc uas_pid uac_pid
	# The carrier's server certificate names carrier.example.test only (no IP SAN); the
	# impostor at WRONG_IP has our CA too, with its own IP in a SAN: checked by IP, as a
	# target without [tls_peer] is, it would pass.
	mkdir -p "$DIR/carrier"
	cp "$DIR"/certs/ca.* "$DIR"/certs/intermediate.* "$DIR/carrier/"
	"$SRC/deploy/certs/make-certs.sh" -o "$DIR/carrier" -d 2 carrier.example.test >"$DIR/carrier.out" 2>&1 ||
		{ cat "$DIR/carrier.out" >&2; exit 1; }
	leaf "$DIR/certs" impostor other.example.test "DNS:other.example.test,IP:$WRONG_IP" serverAuth &&
		leaf "$DIR/certs" sbc-client sbc-client.example.test "DNS:sbc-client.example.test" clientAuth ||
		{ echo "certificates failed" >&2; exit 1; }
	mediad_start a "$OUT_IP" "$IN_IP" 36400 || exit 1
	SP_EXTRA="[tls_peer carrier]
server_name = carrier.example.test
tls_cert = $DIR/certs/sbc-client-chain.pem
tls_key = $DIR/certs/sbc-client.key
[route carrier]
match = ^8071\\d+\$
target = sip:$WRONG_IP:5061;transport=tls;tls_peer=carrier
target = sip:$PEER_IP:5061;transport=tls;tls_peer=carrier"
	sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
	SP_EXTRA=
	stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
	# The impostor: a TLS server with nothing behind it.
	printf '%s\n' "foreground = yes" "pid =" "debug = 5" "output = $DIR/stunnel-wrong.log" \
		"[wrong]" "accept = $WRONG_IP:5061" "connect = $WRONG_IP:5062" \
		"cert = $DIR/certs/impostor-chain.pem" "key = $DIR/certs/impostor.key" >"$DIR/stunnel-wrong.conf"
	# The carrier: wants a client certificate from our CA; only with the SNI
	# carrier.example.test does a connection reach the backend (the virtual service).
	printf '%s\n' "foreground = yes" "pid =" "debug = 7" "output = $DIR/stunnel-peer.log" \
		"[front]" "accept = $PEER_IP:5061" "connect = $PEER_IP:5099" \
		"cert = $DIR/carrier/server-chain.pem" "key = $DIR/carrier/server.key" \
		"CAfile = $DIR/certs/ca.crt" "verifyChain = yes" \
		"[carrier]" "sni = front:carrier.example.test" "connect = $BACK_IP:5062" \
		"cert = $DIR/carrier/server-chain.pem" "key = $DIR/carrier/server.key" \
		"CAfile = $DIR/certs/ca.crt" "verifyChain = yes" >"$DIR/stunnel-peer.conf"
	stunnel4 "$DIR/stunnel-wrong.conf" >"$DIR/stunnel-wrong.out" 2>&1 &
	PIDS+=("$!")
	stunnel4 "$DIR/stunnel-peer.conf" >"$DIR/stunnel-peer.out" 2>&1 &
	PIDS+=("$!")
	wait_for 5 grep -qs 'Configuration successful' "$DIR/stunnel-wrong.log"
	wait_for 5 grep -qs 'Configuration successful' "$DIR/stunnel-peer.log"
	wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ."
	sleep 0.5

	mkdir -p "$DIR/peer"
	(cd "$DIR/peer" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/uas_tls_peer.xml" -t t1 -i "$BACK_IP" -p 5062 -m 1 \
		-set mip "$BACK_IP" -set mport "$(free_port "$BACK_IP")" -set cip "$PEER_IP:5061" \
		-timeout 35s -trace_err -trace_logs -trace_msg >uas.out 2>&1) &
	uas_pid=$!
	PIDS+=("$uas_pid")
	sleep 0.3
	t0=$(date +%s%N)
	(cd "$DIR/peer" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/uac_call.xml" -t t1 -i "$CALLER_IP" -p 0 \
		"$STUNNEL_ACCEPT" -s 8071001 -m 1 -d 1000 -timeout 35s \
		$(sipp_sets "$E2E_DIR_SRC/uac_call.xml" domain sbc.example.test mip "$CALLER_IP" \
		mport "$(free_port "$CALLER_IP")" suite AES_CM_128_HMAC_SHA1_80 \
		key "$(srtp_key AES_CM_128_HMAC_SHA1_80)" key2 "$(srtp_key AES_CM_128_HMAC_SHA1_32)" dir sendrecv ver 1) \
		-trace_err -trace_logs -trace_msg >uac.out 2>&1) &
	uac_pid=$!
	PIDS+=("$uac_pid")
	wait_for 15 grep -qs BACKEND1 "$DIR"/peer/uas_*_logs.log
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait "$uac_pid"
	uac_rc=$?
	wait "$uas_pid"
	uas_rc=$?
	e2e_forget "$uac_pid" "$uas_pid"

	line=$(grep "tls_handshake_failed dir=out .*peer=$WRONG_IP:5061" "$DIR/sigproxy-a.log" | head -1)
	echo "# $line"
	ok "impostor (our CA, its IP in a SAN, another name) refused: expected name in the line" \
		grep -q 'expected="carrier.example.test"' <<<"$line"
	ok "impostor: ... with its subject and SANs" \
		grep -q "subject_cn=\"other.example.test\" sans=\"DNS:other.example.test,IP:$WRONG_IP\"" <<<"$line"
	ok "impostor: the branch failed over at once (INVITE at the carrier after $ms ms; timer 3000 ms)" \
		test "$ms" -lt 2500
	ok "impostor: failover logged, no failover timeout" \
		bash -c "grep -q 'target_conn_failed target=sip:$WRONG_IP:5061;transport=tls;tls_peer=carrier' '$DIR/sigproxy-a.log' &&
			grep -q 'invite_forward target=sip:$PEER_IP:5061;transport=tls;tls_peer=carrier try=2' '$DIR/sigproxy-a.log' &&
			! grep -q failover_timeout '$DIR/sigproxy-a.log'"
	ok "impostor: nothing passed its TLS front" bash -c "! grep -q 's_connect: connecting' '$DIR/stunnel-wrong.log'"
	line=$(grep "tls_established dir=out .*peer=$PEER_IP:5061" "$DIR/sigproxy-a.log" | head -1)
	echo "# $line"
	ok "carrier by IP: certificate for carrier.example.test verified against the expected name" \
		grep -q 'peer_cert=verified subject_cn="carrier.example.test" expected="carrier.example.test"' <<<"$line"
	ok "carrier: received SNI carrier.example.test (its virtual service took the connection)" \
		bash -c "grep -q 'SNI: requested servername: carrier.example.test' '$DIR/stunnel-peer.log' &&
			grep -q 's_connect: connecting $BACK_IP:5062' '$DIR/stunnel-peer.log'"
	ok "carrier: got the [tls_peer] client certificate and verified it" \
		grep -q 'Certificate accepted at depth=0: O=SBC, CN=sbc-client.example.test' "$DIR/stunnel-peer.log"
	ok "carrier: the call completed (caller sipp rc $uac_rc)" test "$uac_rc" = 0
	ok "carrier: the backend got INVITE, ACK and BYE through the TLS front (sipp rc $uas_rc)" test "$uas_rc" = 0
	ok "carrier: one TLS connection for the whole dialog (in-dialog requests reuse it)" \
		test "$(grep -c "tls_established dir=out .*peer=$PEER_IP:5061" "$DIR/sigproxy-a.log")" = 1
	ok "carrier: tls_peer never reached the wire" bash -c "! grep -q 'tls_peer' '$DIR'/peer/uas_*_messages.log"

	# ---- typos and contradictions are refused by -t (and at start) ----
	local ini=$DIR/sigproxy-a.ini bad=$DIR/bad.ini
	refuses() {	# refuses SED-SCRIPT MESSAGE
		sed "$1" "$ini" >"$bad"
		! "$SIGPROXY" -c "$bad" -t >/dev/null 2>"$DIR/t.err" && grep -qF -- "$2" "$DIR/t.err" ||
			{ sed 's/^/# /' "$DIR/t.err"; return 1; }
	}
	ok "-t: a target naming no [tls_peer] section" \
		refuses 's/;tls_peer=carrier$/;tls_peer=carier/' "no [tls_peer carier] section"
	ok "-t: tls_peer on a UDP target" \
		refuses "s/^target = sip:$WRONG_IP:5061;transport=tls;/target = sip:$WRONG_IP:5061;transport=udp;/" \
		"tls_peer only on a TLS target"
	ok "-t: one address, two peers" \
		refuses "s/^match = ^8071.*/&\\ntarget = sip:$PEER_IP:5061;transport=tls;tls_peer=other/;
			s/^\\[tls_peer carrier\\]\$/[tls_peer other]\\nserver_name = other.example.test\\n&/" \
		"this address already has tls_peer=other (one address, one peer)"
	ok "-t: a misspelt [tls_peer] key" \
		refuses 's/^server_name = carrier/server_nme = carrier/' "unknown key (did you mean server_name?)"
	ok "-t: server_name without verification" \
		refuses 's/^server_name = carrier.example.test$/&\ntls_verify_peer = no/' "server_name: needs tls_verify_peer = yes"
	ok "-t: half a client certificate" \
		refuses '/^tls_key = .*sbc-client.key$/d' "tls_cert and tls_key go together"
	ok "-t: the configuration as written passes" bash -c "'$SIGPROXY' -c '$ini' -t >/dev/null"
	ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
}

# ---------------------------------------------------------------------------------------
mode_reload() {
	local fp0 fp1 fp2
	mediad_start a "$OUT_IP" "$IN_IP" 36800 || exit 1
	SP_EXTRA=$MTLS_LISTENER
	sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
	SP_EXTRA=
	stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
	wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ."
	sleep 0.5
	# A second server certificate for the same name, from the same CA.
	mkdir -p "$DIR/next"
	cp "$DIR"/certs/ca.* "$DIR"/certs/intermediate.* "$DIR/next/"
	"$SRC/deploy/certs/make-certs.sh" -o "$DIR/next" -d 2 -s "IP:127.0.0.1" sbc.example.test >"$DIR/next.out" 2>&1 ||
		{ cat "$DIR/next.out" >&2; exit 1; }
	fp0=$(file_fingerprint "$DIR/certs/server.crt")
	fp1=$(file_fingerprint "$DIR/next/server.crt")
	ok "before: a handshake gets the first certificate" test "$(fingerprint "$SIP_IP:5061")" = "$fp0"
	ok "before: alice's client certificate accepted" answered "$SIP_IP:5063" $(client alice)

	# ---- a call over TLS is up; the certificate changes under it ----
	CALL_HOLD_MS=6000 call_start reload uac_rbye uas_rbye AES_CM_128_HMAC_SHA1_80
	ok "call answered over TLS" wait_for 15 bash -c "grep -qs 'MEDIA1 ' '$DIR'/reload/uac_*_logs.log && grep -qs 'BACKEND1 ' '$DIR'/reload/uas_*_logs.log"
	cp "$DIR/next/server-chain.pem" "$DIR/certs/server-chain.pem"
	cp "$DIR/next/server.key" "$DIR/certs/server.key"
	kill -HUP "$SIGPROXY_PID"
	ok "SIGHUP: every TLS context reloaded (outside-tls, mtls, client)" \
		wait_for 5 grep -q 'tls_reload contexts_ok=3$' "$DIR/sigproxy-a.log"
	ok "SIGHUP: outside-tls at generation 1" grep -q 'tls_reloaded name=outside-tls generation=1' "$DIR/sigproxy-a.log"
	fp2=$(fingerprint "$SIP_IP:5061")
	echo "# fingerprints: first $fp0, file now $fp1, handshake now $fp2"
	ok "after SIGHUP: a new handshake gets the new certificate" test "$fp2" = "$fp1" -a "$fp1" != "$fp0"
	call_wait
	ok "the call survived: the backend's BYE reached the caller on its old connection (caller rc $UAC_RC)" test "$UAC_RC" = 0
	ok "the call survived: the backend got 200 to its BYE (rc $UAS_RC)" test "$UAS_RC" = 0
	ok "the caller's TLS connection was never redone" \
		test "$(grep -c "tls_established dir=in .*peer=$CALLER_IP:" "$DIR/sigproxy-a.log")" = 1
	ok "metric: sigproxy_tls_reloads_total{result=\"ok\"} 3" test "$(metric sigproxy_tls_reloads_total 'result="ok"')" = 3

	# ---- a broken certificate file: the old context stays ----
	printf '%s\n' "-----BEGIN CERTIFICATE-----" "garbage" "-----END CERTIFICATE-----" >"$DIR/certs/server-chain.pem"
	kill -HUP "$SIGPROXY_PID"
	ok "broken certificate: the error names the file" \
		wait_for 5 grep -q "tls_config_error name=outside-tls file=$DIR/certs/server-chain.pem reason=" "$DIR/sigproxy-a.log"
	ok "broken certificate: error lines with the file and the count" \
		bash -c "grep -q 'err tls_reload_failed name=outside-tls file=$DIR/certs/server-chain.pem ' '$DIR/sigproxy-a.log' &&
			grep -q 'err tls_reload contexts_ok=1 contexts_failed=2' '$DIR/sigproxy-a.log'"
	ok "broken certificate: handshakes still get the last good certificate" test "$(fingerprint "$SIP_IP:5061")" = "$fp1"
	ok "broken certificate: metric result=failed counts both contexts" \
		test "$(metric sigproxy_tls_reloads_total 'result="failed"')" = 2
	# ---- a key that does not belong to the certificate ----
	cp "$DIR/next/server-chain.pem" "$DIR/certs/server-chain.pem"
	cp "$DIR/next/intermediate.key" "$DIR/certs/server.key"
	kill -HUP "$SIGPROXY_PID"
	ok "mismatched key: the error names the key file" \
		wait_for 5 grep -q "tls_reload_failed name=outside-tls file=$DIR/certs/server.key " "$DIR/sigproxy-a.log"
	ok "mismatched key: handshakes still get the last good certificate" test "$(fingerprint "$SIP_IP:5061")" = "$fp1"
	cp "$DIR/next/server.key" "$DIR/certs/server.key"
	# ---- a CRL that revokes alice, read on SIGHUP ----
	"$SRC/deploy/certs/make-certs.sh" -o "$DIR/certs" -r alice >>"$DIR/certs.out" 2>&1
	ok "alice still accepted before the SIGHUP (the CRL in use is the old one)" \
		answered "$SIP_IP:5063" $(client alice)
	kill -HUP "$SIGPROXY_PID"
	ok "SIGHUP: all three contexts reloaded again" \
		wait_for 5 bash -c "test \$(grep -c 'tls_reload contexts_ok=3\$' '$DIR/sigproxy-a.log') = 2"
	ok "new CRL: alice refused" refused "$SIP_IP:5063" $(client alice)
	ok "new CRL: the refusal says revoked" \
		grep -q 'tls_handshake_failed dir=in listener=mtls .*certificate revoked.*subject_cn="alice"' "$DIR/sigproxy-a.log"
	ok "new CRL: bob still accepted" answered "$SIP_IP:5063" $(client bob)
	ok "metric: result=ok now 8 (3, the client twice alone, 3)" \
		test "$(metric sigproxy_tls_reloads_total 'result="ok"')" = 8
	ok "metric: result=failed still 4" test "$(metric sigproxy_tls_reloads_total 'result="failed"')" = 4
	ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
}

for m in "$@"; do
	case $m in
	inbound) mode_inbound ;;
	outbound) mode_outbound ;;
	reload) mode_reload ;;
	*) echo "unknown mode $m" >&2; exit 2 ;;
	esac
done
e2e_finish

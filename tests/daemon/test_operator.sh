#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What the README promises the operator beyond the call flow: sigproxy -t (effective
# configuration; a bad value named by file, line and key), the SIP trace toggled at run time
# by SIGUSR1, and the certificate script: PKCS#12 export, a summary naming every file it
# wrote, the server's SHA-1 thumbprint said as such, RSA keys with --rsa (ECDSA P-256 by
# default), keys for a group with -g; sigproxy serving TLS with the RSA certificate.
set -u
BIN=${SBC_BUILD_DIR:?}/sigproxy/sigproxy
SRC=${SBC_SOURCE_DIR:?}
dir=$(mktemp -d)
pid=
fails=0
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ok() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi; }

# Certificates: PKCS#12 readable with its password file, thumbprint printed correctly.
out=$(bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/certs" -c alice sbc.test 2>&1)
want=$(openssl x509 -in "$dir/certs/server.crt" -noout -fingerprint -sha1 | sed 's/^.*=//')
ok "make-certs says whose SHA-1 thumbprint it prints (the server certificate's, with its CN)" \
	'[[ $out == *"SHA-1 thumbprint of the server certificate (CN=sbc.test): $want"* ]]'
# The summary: "files written:" then one "  name  what" line per file, up to the next
# unindented line. It must name exactly what is in the directory.
listed=$(printf '%s\n' "$out" | awk '/^files written:/ { on = 1; next } on && /^  / { print $1; next } { on = 0 }' | sort)
present=$( (cd "$dir/certs" && ls -1p) | sort)
ok "make-certs lists every file it wrote, PKCS#12 and password files included" \
	'[ -n "$listed" ] && [ "$listed" = "$present" ]'
[ "$listed" = "$present" ] || diff <(echo "$listed") <(echo "$present") | sed 's/^/# /'
ok "the summary names server.p12, client-alice.p12 and their .pass files" \
	'for f in server.p12 server.p12.pass client-alice.p12 client-alice.p12.pass; do grep -qx "$f" <<<"$listed" || exit 1; done'
ok "default keys are ECDSA P-256" \
	'openssl pkey -in "$dir/certs/server.key" -noout -text 2>/dev/null | grep -q "NIST CURVE: P-256" &&
	 [[ $out == *"key type: ECDSA P-256"* ]]'
ok "server.p12 opens with its password file" \
	'openssl pkcs12 -in "$dir/certs/server.p12" -passin file:"$dir/certs/server.p12.pass" -nokeys -noout 2>/dev/null'
ok "server.p12 refuses a wrong password" \
	'! openssl pkcs12 -in "$dir/certs/server.p12" -passin pass:wrong -nokeys -noout 2>/dev/null'

# --rsa [bits]: RSA keys for every certificate (the CA too), chain valid; bad sizes refused.
rsa_out=$(bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/rsa" --rsa -c bob 127.0.0.1 2>&1)
ok "--rsa makes RSA 2048 keys (server, client, CA) and says so" \
	'for k in server client-bob ca intermediate; do openssl pkey -in "$dir/rsa/$k.key" -noout -text 2>/dev/null | grep -q "Private-Key: (2048 bit" || exit 1; done &&
	 [[ $rsa_out == *"key type: RSA 2048"* ]]'
ok "--rsa: the server certificate verifies against the CA through the intermediate" \
	'openssl verify -CAfile "$dir/rsa/ca.crt" -untrusted "$dir/rsa/intermediate.crt" "$dir/rsa/server.crt" >/dev/null 2>&1'
ok "--rsa 3072 before a numeric domain: 3072-bit key, the address is the domain" \
	'bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/rsa3" --rsa 3072 10.9.8.7 >/dev/null 2>&1 &&
	 openssl pkey -in "$dir/rsa3/server.key" -noout -text | grep -q "Private-Key: (3072 bit" &&
	 openssl x509 -in "$dir/rsa3/server.crt" -noout -ext subjectAltName | grep -q "IP Address:10.9.8.7"'
ok "--rsa with a size other than 2048, 3072 or 4096 is refused" \
	'! bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/rsa4" --rsa 1024 sbc.test >/dev/null 2>&1 && [ ! -e "$dir/rsa4/server.key" ]'
ok "-g: leaf keys, PKCS#12 and passwords 0640 to the group; CA keys stay 0600" \
	'bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/grp" -g daemon sbc.test >/dev/null 2>&1 &&
	 [ "$(stat -c "%a %G" "$dir/grp/server.key")" = "640 daemon" ] &&
	 [ "$(stat -c "%a %G" "$dir/grp/server.p12.pass")" = "640 daemon" ] &&
	 [ "$(stat -c "%a" "$dir/grp/ca.key")" = 600 ] && [ "$(stat -c "%a" "$dir/grp/intermediate.key")" = 600 ]'

cat > "$dir/sp.ini" <<INI
[sigproxy]
id = optest
log_level = info
metrics_listen =
[listener in-udp]
transport = udp
address = 127.0.0.1:0
side = outside
acl = 127.0.0.0/8
[listener rsa-tls]
transport = tls
address = 127.0.0.1:0
side = outside
acl = 127.0.0.0/8
tls_cert = $dir/rsa/server-chain.pem
tls_key = $dir/rsa/server.key
tls_ca = $dir/rsa/ca.crt
[media]
mediad = 127.0.0.1:9
[redis]
enabled = no
[health]
probe = no
[route all]
match = .
target = sip:127.0.0.1:9
INI

# -t: effective configuration and exit 0; a bad value: exit 1 naming file, line and key.
out=$("$BIN" -c "$dir/sp.ini" -t 2>&1); rc=$?
ok "sigproxy -t accepts a good file and prints the effective values" \
	'[ $rc -eq 0 ] && [[ $out == *"configuration ok"* ]] && [[ $out == *"[listener in-udp]"* ]]'
sed 's/^transport = udp/transport = carrier-pigeon/' "$dir/sp.ini" > "$dir/bad.ini"
out=$("$BIN" -c "$dir/bad.ini" -t 2>&1); rc=$?
ok "sigproxy -t names file, line and key of a bad value" \
	'[ $rc -eq 1 ] && [[ $out == *"bad.ini:6"* ]] && [[ $out == *"transport"* ]]'

# SIGUSR1 toggles the SIP trace.
"$BIN" -c "$dir/sp.ini" 2> "$dir/sp.log" &
pid=$!
port=
for _ in $(seq 50); do
	port=$(sed -n 's/.*listening listener=in-udp .*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/sp.log")
	[ -n "$port" ] && break
	sleep 0.1
done
ok "sigproxy started and logged its UDP port" '[ -n "$port" ]'
tport=$(sed -n 's/.*listening listener=rsa-tls .*address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/sp.log")
ok "sigproxy serves TLS with the --rsa certificate (the client verifies chain and address)" \
	'[ -n "$tport" ] && timeout 10 openssl s_client -connect "127.0.0.1:$tport" -CAfile "$dir/rsa/ca.crt" \
		-verify_ip 127.0.0.1 -verify_return_error </dev/null 2>&1 | grep -q "Verify return code: 0 (ok)"'
options() {
	printf 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-op%s\r\nMax-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=a%s\r\nTo: <sip:127.0.0.1>\r\nCall-ID: optest-%s\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' \
		"$port" "$1" "$1" "$1" > "/dev/udp/127.0.0.1/$port"
	sleep 0.3
}
traced() { grep -c "sip_trace in .*" "$dir/sp.log"; }
if [ -n "$port" ]; then
	options 1
	ok "no trace while it is off" '[ "$(traced)" -eq 0 ]'
	kill -USR1 "$pid"; sleep 0.2
	options 2
	ok "SIGUSR1 switches the trace on and the message is logged" \
		'grep -q "sip_trace_on" "$dir/sp.log" && [ "$(traced)" -ge 1 ] && grep -q "optest-2" "$dir/sp.log"'
	n=$(traced)
	kill -USR1 "$pid"; sleep 0.2
	options 3
	ok "a second SIGUSR1 switches it off again" \
		'grep -q "sip_trace_off" "$dir/sp.log" && [ "$(traced)" -eq "$n" ] && ! grep -q "optest-3" "$dir/sp.log"'
	ok "sigproxy is still running" 'kill -0 "$pid"'
fi
[ $fails -eq 0 ] || { echo "--- sigproxy log"; cat "$dir/sp.log"; }
exit $((fails > 0))

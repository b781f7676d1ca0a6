#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# What the README promises the operator beyond the call flow: sigproxy -t (effective
# configuration; a bad value named by file, line and key), the SIP trace toggled at run time
# by SIGUSR1, and the certificate script's PKCS#12 export and SHA-1 thumbprint.
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
ok "make-certs prints the server's SHA-1 thumbprint" '[[ $out == *"SHA-1 thumbprint: $want"* ]]'
ok "server.p12 opens with its password file" \
	'openssl pkcs12 -in "$dir/certs/server.p12" -passin file:"$dir/certs/server.p12.pass" -nokeys -noout 2>/dev/null'
ok "server.p12 refuses a wrong password" \
	'! openssl pkcs12 -in "$dir/certs/server.p12" -passin pass:wrong -nokeys -noout 2>/dev/null'

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

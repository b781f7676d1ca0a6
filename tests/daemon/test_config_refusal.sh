#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A configuration that cannot silently mean something else: the real sigproxy and mediad,
# with -t and started for real, refuse a misspelt key or section, crl_file, a listen or
# media address that is not on this host, a route target by host name and a certificate
# with the wrong key. Each exits non-zero naming file:line and the fault, and no daemon
# comes up. The unchanged files pass -t and start, so every refusal is the variant's doing.
# Nothing is ever sent to the documentation addresses: they are only bound to (and fail).
set -u
SP=${SBC_BUILD_DIR:?}/sigproxy/sigproxy
MD=${SBC_BUILD_DIR:?}/mediad/mediad
SRC=${SBC_SOURCE_DIR:?}
. "$SRC/tests/lib/tap.sh"
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

has() { [[ $1 == *"$2"* ]]; }
lacks() { [[ $1 != *"$2"* ]]; }

# Certificates as an operator makes them, and a key that belongs to no certificate.
bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/certs" -s IP:127.0.0.1 sbc.test \
	>"$dir/certs.out" 2>&1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/other.key" 2>/dev/null
out=$(cat "$dir/certs.out")
ok "make-certs.sh names the real key for the CRL (tls_crl), not crl_file" \
	eval 'has "$out" "sigproxy tls_crl" && lacks "$out" "crl_file"'

cat >"$dir/sp.ini" <<INI
[sigproxy]
id = cfgtest
log_level = info
[listener out-tls]
transport = tls
address = 127.0.0.1:0
side = outside
tls_cert = $dir/certs/server-chain.pem
tls_key = $dir/certs/server.key
tls_ca = $dir/certs/ca.crt
tls_crl = $dir/certs/crl.pem
[listener in-udp]
transport = udp
address = 127.0.0.1:0
side = inside
[media]
outside_policy = required
mediad = 127.0.0.1:9
[redis]
enabled = no
password = s3cret-pw
[health]
probe = no
[route ivr]
match = ^8011
target = sip:127.0.0.1:9
INI

cat >"$dir/md.ini" <<INI
[mediad]
id = cfgtest-$$
ng_listen = 127.0.0.1:0
ng_allow = 127.0.0.0/8
[interface outside]
address = 127.0.0.1
port_min = 45000
port_max = 45099
[interface inside]
address = 127.0.0.1
port_min = 45100
port_max = 45199
[redis]
enabled = no
INI

# variant BASE NAME SED-SCRIPT: NAME.ini is BASE.ini edited by SED-SCRIPT.
variant() { sed -e "$3" "$dir/$1.ini" >"$dir/$2.ini"; }

# started BIN FILE READY: runs the daemon; 0 when it logged READY (then it is stopped).
started() {
	local log=$dir/$(basename "$2" .ini).log i
	: >"$log"
	"$1" -c "$2" >"$log" 2>&1 &
	pid=$!
	for i in $(seq 50); do
		grep -q "$3" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q "$3" "$log"; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=
		return 0
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	return 1
}

# refused BIN FILE READY: the daemon exits on its own, non-zero, without READY.
refused() {
	local log=$dir/$(basename "$2" .ini).start.log rc
	timeout 10 "$1" -c "$2" >"$log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! grep -q "$3" "$log"
}

# check_refusal BIN NAME READY OKWORD WHERE MESSAGE: -t and start both refuse NAME.ini,
# -t names WHERE ("NAME.ini:LINE: section.key") and MESSAGE.
check_refusal() {
	local bin=$1 name=$2 ready=$3 okword=$4 where=$5 msg=$6 out rc
	out=$("$bin" -c "$dir/$name.ini" -t 2>&1)
	rc=$?
	ok "$name: -t exits non-zero with \"$name.ini:$where: $msg\"" \
		eval '[ $rc -ne 0 ] && has "$out" "$name.ini:$where: $msg" && lacks "$out" "$okword"'
	[ $rc -ne 0 ] && has "$out" "$name.ini:$where" ||
		printf '%s\n' "$out" | tail -n 2 | sed 's/^/# -t said: /'
	ok "$name: the daemon refuses to start" refused "$bin" "$dir/$name.ini" "$ready"
}

# --- sigproxy ---
out=$("$SP" -c "$dir/sp.ini" -t 2>&1)
rc=$?
ok "sigproxy -t passes the good file" eval '[ $rc -eq 0 ] && has "$out" "configuration ok"'
ok "sigproxy -t prints defaults and masks the password" \
	eval 'has "$out" "retry_after = 5  ; default" && has "$out" "password = ***" &&
	      lacks "$out" "s3cret-pw"'
ok "sigproxy starts with the good file" started "$SP" "$dir/sp.ini" sigproxy_started

variant sp sp_key 's/^outside_policy = required/outside_polcy = required/'
check_refusal "$SP" sp_key sigproxy_started "configuration ok" 17 \
	"media.outside_polcy: unknown key (did you mean outside_policy?)"
variant sp sp_route 's/^\[route ivr\]/[rotue ivr]/'
check_refusal "$SP" sp_route sigproxy_started "configuration ok" 24 \
	"[rotue ivr]: unknown section (did you mean [route ivr]?)"
variant sp sp_listener 's/^\[listener in-udp\]/[listner in-udp]/'
check_refusal "$SP" sp_listener sigproxy_started "configuration ok" 12 \
	"[listner in-udp]: unknown section (did you mean [listener in-udp]?)"
variant sp sp_crl 's/^tls_crl = /crl_file = /'
check_refusal "$SP" sp_crl sigproxy_started "configuration ok" 11 \
	"listener out-tls.crl_file: unknown key (did you mean tls_crl?)"
variant sp sp_addr '14s/.*/address = 192.0.2.1:5060/'
check_refusal "$SP" sp_addr sigproxy_started "configuration ok" 14 \
	"listener in-udp.address: 192.0.2.1:5060 is not an address of this host"
variant sp sp_target 's/^target = .*/target = sip:ivr.example.com:5060/'
check_refusal "$SP" sp_target sigproxy_started "configuration ok" 26 \
	"route ivr.target: \"sip:ivr.example.com:5060\" names host \"ivr.example.com\": only numeric addresses work"
variant sp sp_tlskey "s|^tls_key = .*|tls_key = $dir/other.key|"
check_refusal "$SP" sp_tlskey sigproxy_started "configuration ok" 9 \
	"listener out-tls.tls_key: $dir/other.key does not match the certificate in tls_cert"

# --- mediad ---
out=$("$MD" -c "$dir/md.ini" -t 2>&1)
rc=$?
ok "mediad -t passes the good file" \
	eval '[ $rc -eq 0 ] && has "$out" "configuration OK (2 interfaces)" &&
	      has "$out" "cookie_ttl = 45  ; default"'
ok "mediad starts with the good file" started "$MD" "$dir/md.ini" mediad_ready

variant md md_section 's/^\[interface inside\]/[interfce inside]/'
check_refusal "$MD" md_section mediad_ready "configuration OK" 9 \
	"[interfce inside]: unknown section (did you mean [interface inside]?)"
variant md md_key 's/^ng_allow = /ng_alow = /'
check_refusal "$MD" md_key mediad_ready "configuration OK" 4 \
	"mediad.ng_alow: unknown key (did you mean ng_allow?)"
variant md md_iface '10s/.*/address = 192.0.2.1/'
check_refusal "$MD" md_iface mediad_ready "configuration OK" 10 \
	"interface inside.address: 192.0.2.1 is not an address of this host"
variant md md_ng 's/^ng_listen = .*/ng_listen = 192.0.2.1:2223/'
check_refusal "$MD" md_ng mediad_ready "configuration OK" 3 \
	"mediad.ng_listen: 192.0.2.1:2223 is not an address of this host"

# --- what deploy/ ships: the examples, as run-dev.sh writes them, pass -t ---
mkdir -p "$dir/dev"
bash "$SRC/deploy/dev-config.sh" "$dir/dev" "$dir/certs" 6391
out=$("$SP" -c "$dir/dev/sigproxy.ini" -t 2>&1)
rc=$?
ok "the example sigproxy.ini (as run-dev.sh runs it) passes -t" \
	eval '[ $rc -eq 0 ] && has "$out" "configuration ok"'
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -n 3 | sed 's/^/# /'
out=$("$MD" -c "$dir/dev/mediad.ini" -t 2>&1)
rc=$?
ok "the example mediad.ini (as run-dev.sh runs it) passes -t" \
	eval '[ $rc -eq 0 ] && has "$out" "configuration OK"'
out=$("$MD" -c "$SRC/deploy/examples/mediad.ini" -t 2>&1)
rc=$?
ok "the example mediad.ini as shipped passes -t" \
	eval '[ $rc -eq 0 ] && has "$out" "configuration OK"'

echo "1..$N"
exit $((FAIL > 0))

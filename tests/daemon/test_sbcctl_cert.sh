#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# sbcctl cert check against certificates this test makes with openssl: a good chain (and the
# certificate script's own), an expired one, one not valid yet, one close to expiry, a wrong
# domain, a wildcard (one label only), a CN-only certificate, a SHA-1-signed one, a weak RSA
# key, a chain in the wrong order, a foreign CA, a private key of another certificate;
# thumbprints equal openssl's, --json parses, exit codes 0 / 1 / 2 as documented.
set -u
SRC=${SBC_SOURCE_DIR:?}
CTL=${SBC_BUILD_DIR:?}/deploy/sbcctl/sbcctl
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. "$SRC/tests/lib/tap.sh"
cd "$dir" || exit 1

# ---- a CA (EC P-256, SHA-256) and an openssl ca setup for arbitrary validity dates ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.crt -days 30 -subj "/CN=Test CA/O=sbcctl test" -sha256 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key \
	-out other-ca.crt -days 30 -subj "/CN=Other CA" -sha256 2>/dev/null
mkdir -p newcerts && : >index.txt && echo 1000 >serial
cat >ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF

# leaf NAME SUBJECT SAN START END [md] [keyspec]: a key and a certificate signed by the CA
leaf() {
	local name=$1 subj=$2 san=$3 start=$4 end=$5 md=${6:-sha256} key=${7:-ec:P-256} ext=()
	[ -n "$san" ] && ext=(-addext "subjectAltName=$san")
	case $key in
	ec:*) openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:${key#ec:}" -nodes \
		-keyout "$name.key" -out "$name.csr" -subj "$subj" "${ext[@]}" 2>/dev/null ;;
	rsa:*) openssl req -new -newkey "$key" -nodes -keyout "$name.key" -out "$name.csr" \
		-subj "$subj" "${ext[@]}" 2>/dev/null ;;
	esac
	openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in "$name.csr" \
		-out "$name.crt" -startdate "$start" -enddate "$end" -md "$md" -notext \
		>/dev/null 2>"$name.err"
}
past() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
NOW=$(past now)
leaf good "/CN=sbc.example.test" "DNS:sbc.example.test" "$(past '-1 day')" "$(past '+200 days')"
leaf expired "/CN=sbc.example.test" "DNS:sbc.example.test" 20200101000000Z 20200201000000Z
leaf future "/CN=sbc.example.test" "DNS:sbc.example.test" "$(past '+10 days')" "$(past '+100 days')"
leaf soon "/CN=sbc.example.test" "DNS:sbc.example.test" "$(past '-1 day')" "$(past '+10 days')"
leaf wrong "/CN=sbc.example.test" "DNS:other.example.test" "$NOW" "$(past '+200 days')"
leaf wild "/CN=wild" "DNS:*.example.test" "$NOW" "$(past '+200 days')"
leaf cnonly "/CN=sbc.example.test" "" "$NOW" "$(past '+200 days')"
leaf sha1 "/CN=sbc.example.test" "DNS:sbc.example.test" "$NOW" "$(past '+200 days')" sha1
leaf weak "/CN=sbc.example.test" "DNS:sbc.example.test" "$NOW" "$(past '+200 days')" sha256 rsa:1024
cat ca.crt good.crt >reversed.pem
ok "the test made its certificates" test -s good.crt -a -s expired.crt -a -s sha1.crt -a -s weak.crt

# check NAME FILE [args...]: runs sbcctl cert check, keeps output and exit code
check() {
	local name=$1 file=$2
	shift 2
	"$CTL" cert check "$file" "$@" >"$name.out" 2>"$name.stderr"
	echo $? >"$name.rc"
	"$CTL" --json cert check "$file" "$@" >"$name.json" 2>/dev/null
}
rc() { cat "$1.rc"; }
line() { grep -q -- "$2" "$1.out"; }
json() { perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); '"$2" <"$1.json"; }

check good good.crt --domain sbc.example.test --ca ca.crt --key good.key
ok "good: exit 0" test "$(rc good)" = 0
ok "good: every check ok, result ok" bash -c "! grep -qE '^  (FAIL|WARN)' good.out && grep -q '^result: ok\$' good.out"
ok "good: name found in the SAN" line good "ok    name        sbc.example.test is in the certificate"
ok "good: chain verifies against the CA" line good "verifies against ca.crt"
ok "good: private key matches" line good "private key matches the certificate"
want1=$(openssl x509 -in good.crt -noout -fingerprint -sha1 | sed 's/^.*=//')
want256=$(openssl x509 -in good.crt -noout -fingerprint -sha256 | sed 's/^.*=//')
ok "good: SHA-1 thumbprint as openssl prints it ($want1)" line good "SHA-1      $want1\$"
ok "good: SHA-256 thumbprint as openssl prints it" line good "SHA-256    $want256\$"
ok "good: --json parses, result ok, same thumbprints" \
	json good 'exit !($j->{result} eq "ok" && $j->{sha1} eq "'"$want1"'" && $j->{sha256} eq "'"$want256"'" && @{$j->{checks}} == 6)'

check expired expired.crt --domain sbc.example.test --ca ca.crt
ok "expired: exit 1" test "$(rc expired)" = 1
ok "expired: validity FAIL says expired" line expired "FAIL  validity    expired"
ok "expired: --json says fail, validity fail" \
	json expired 'exit !($j->{result} eq "fail" && (grep { $_->{check} eq "validity" && $_->{result} eq "fail" } @{$j->{checks}}))'
check future future.crt --domain sbc.example.test --ca ca.crt
ok "not valid yet: exit 1, said so" bash -c "test \"\$(cat future.rc)\" = 1 && grep -q 'FAIL  validity    not valid yet' future.out"
check soon soon.crt --domain sbc.example.test --ca ca.crt
ok "10 days left: a warning, exit 0" bash -c "test \"\$(cat soon.rc)\" = 0 && grep -qE 'WARN  validity    (9|10) days left \\(renew soon\\)' soon.out && grep -q 'result: ok, with warnings' soon.out"

check wrong wrong.crt --domain sbc.example.test --ca ca.crt
ok "wrong domain: exit 1" test "$(rc wrong)" = 1
ok "wrong domain: name FAIL lists the SANs" line wrong "FAIL  name        sbc.example.test is not in the certificate (SANs: DNS:other.example.test)"
ok "wrong domain: the CN does not count when there are SANs" bash -c "! grep -q 'ok    name' wrong.out"
check wild wild.crt --domain sbc.example.test --ca ca.crt
ok "wildcard: *.example.test covers sbc.example.test" bash -c "test \"\$(cat wild.rc)\" = 0"
check wild2 wild.crt --domain a.sbc.example.test --ca ca.crt
ok "wildcard: *.example.test does not cover a.sbc.example.test" bash -c "test \"\$(cat wild2.rc)\" = 1 && grep -q 'FAIL  name' wild2.out"
check wild3 wild.crt --domain example.test --ca ca.crt
ok "wildcard: *.example.test does not cover example.test" test "$(rc wild3)" = 1
check cnonly cnonly.crt --domain sbc.example.test --ca ca.crt
ok "CN only, no SAN: the CN counts" bash -c "test \"\$(cat cnonly.rc)\" = 0 && grep -q 'SANs       none' cnonly.out"

check sha1 sha1.crt --domain sbc.example.test --ca ca.crt
ok "SHA-1 signed: exit 1" test "$(rc sha1)" = 1
ok "SHA-1 signed: signature FAIL names SHA1" line sha1 "FAIL  signature   certificate 1 of the chain is signed with SHA1"
check weak weak.crt --domain sbc.example.test --ca ca.crt
ok "RSA 1024: key size FAIL" bash -c "test \"\$(cat weak.rc)\" = 1 && grep -q 'FAIL  key size    RSA 1024 bits is too weak' weak.out"
check reversed reversed.pem --domain sbc.example.test --ca ca.crt
ok "chain in the wrong order: FAIL says how it must be" \
	bash -c "test \"\$(cat reversed.rc)\" = 1 && grep -q 'the file must hold the leaf first' reversed.out"
check foreign good.crt --domain sbc.example.test --ca other-ca.crt
ok "another CA: the chain FAILs with OpenSSL's reason" \
	bash -c "test \"\$(cat foreign.rc)\" = 1 && grep -q 'FAIL  chain       does not verify against other-ca.crt: unable to get local issuer' foreign.out"
check wrongkey good.crt --domain sbc.example.test --ca ca.crt --key wrong.key
ok "another certificate's key: FAIL" bash -c "test \"\$(cat wrongkey.rc)\" = 1 && grep -q 'FAIL  private key wrong.key is not the key of this certificate' wrongkey.out"

# the certificate script's chain (leaf + intermediate) is what sigproxy is given
bash "$SRC/deploy/certs/make-certs.sh" -o "$dir/mc" sbc.example.test >/dev/null 2>&1
check script mc/server-chain.pem --domain sbc.example.test --ca mc/ca.crt --key mc/server.key
ok "make-certs.sh's server chain: ok with 2 certificates" \
	bash -c "test \"\$(cat script.rc)\" = 0 && grep -q 'chain       2 certificates, verifies' script.out"

# usage and setup errors: exit 2, nothing on stdout
check missing "$dir/nonexistent.pem" --domain sbc.example.test
ok "missing file: exit 2 with a reason" bash -c "test \"\$(cat missing.rc)\" = 2 && grep -q 'cannot read' missing.stderr && ! test -s missing.out"
echo "not a certificate" >junk.pem
check junk junk.pem --domain sbc.example.test
ok "a file without a certificate: exit 2" bash -c "test \"\$(cat junk.rc)\" = 2 && grep -q 'holds no PEM certificate' junk.stderr"
check badarg good.crt --domian sbc.example.test
ok "a misspelt option: exit 2 and the usage" bash -c "test \"\$(cat badarg.rc)\" = 2 && grep -q '^usage: sbcctl cert check' badarg.stderr"
# a file name with a newline and an escape sequence prints escaped, on one line
weird=$'good\n\e[31mred.crt'
cp good.crt "$weird"
check weird "$weird" --domain sbc.example.test --ca ca.crt
ok "a file name with a newline and ESC: printed escaped, no raw control byte" \
	bash -c "grep -q '^certificate good\\\\x0a\\\\x1b\\[31mred.crt\$' weird.out && ! grep -q \$'\\e' weird.out"
ok "... and the JSON still parses with the exact name" \
	json weird 'exit !($j->{file} eq "good\n\e[31mred.crt")'

echo "1..$N"
[ "$FAIL" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Makes a CA, an intermediate, a server certificate for a SIP domain, client certificates, chain and PKCS#12 files.
set -eu

usage() {
	cat >&2 <<USAGE
usage: $0 [-o dir] [-d days] [-s extra-san] [-c client-name]... [-p p12-password] [-L] [-f]
          [-g group] [--rsa [bits]] domain
       $0 [-o dir] -r client-name...      (revoke clients, rewrite crl.pem, nothing else)

  domain   the SIP domain: server certificate CN and first SAN (DNS, or IP if numeric)
  -o dir   output directory (default ./certs); created mode 700
  -d days  validity of leaf certificates (default 825)
  -s san   extra subjectAltName, e.g. "DNS:sbc2.example.com" or "IP:192.0.2.10" (repeatable)
  -c name  also make a client certificate for mutual TLS with CN=name (repeatable)
  -p pass  PKCS#12 password (default: random, written to <name>.p12.pass, mode 600)
  -L       PKCS#12 with legacy algorithms (3DES/SHA1) for old platforms
  -f       overwrite existing files (the CA is reused when present unless -f)
  -r name  revoke client-<name>.crt (repeatable) and rewrite crl.pem
  -g group private keys, PKCS#12 files and their passwords readable by this group (0640)
           and the directory 0750: -g sbc for the installed daemons (run as root)
  --rsa [bits]  RSA keys (2048, 3072 or 4096; default 2048) for older IVRs and Windows
           peers; without it, ECDSA P-256 keys. With an existing CA add -f to remake it too.

Files: ca.crt ca.key intermediate.crt intermediate.key
       server.crt server.key server-chain.pem (leaf + intermediate: what the SBC sends)
       server.p12 client-<name>.crt client-<name>.key client-<name>-chain.pem client-<name>.p12
       crl.pem (the intermediate's CRL: sigproxy's tls_crl), crl/ (its database)
sigproxy.ini, [listener <name>] with transport = tls:
       tls_cert = server-chain.pem, tls_key = server.key, tls_ca = ca.crt, tls_crl = crl.pem
USAGE
	exit 2
}

# --rsa [bits] is the one long option; getopts sees the rest.
keytype=ec
rsabits=2048
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--rsa)
		keytype=rsa
		# only a bare number is the size: a numeric domain (10.1.2.3) is not
		case ${2:-} in '' | *[!0-9]*) ;; *) rsabits=$2; shift ;; esac
		shift ;;
	--rsa=*) keytype=rsa; rsabits=${1#--rsa=}; shift ;;
	--) args+=("$@"); break ;;
	*) args+=("$1"); shift ;;
	esac
done
set -- ${args[@]+"${args[@]}"}
case $rsabits in
2048 | 3072 | 4096) ;;
*) echo "$0: --rsa bits must be 2048, 3072 or 4096 (got '$rsabits')" >&2; exit 2 ;;
esac

outdir=./certs
days=825
extra_sans=
clients=
p12pass=
legacy=
force=
revoke=
group=
while getopts "o:d:s:c:p:Lfr:g:h" opt; do
	case $opt in
	o) outdir=$OPTARG ;;
	d) days=$OPTARG ;;
	s) extra_sans="$extra_sans,$OPTARG" ;;
	c) clients="$clients $OPTARG" ;;
	p) p12pass=$OPTARG ;;
	L) legacy=-legacy ;;
	f) force=1 ;;
	r) revoke="$revoke $OPTARG" ;;
	g) group=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 1; }

written=()
# wrote FILE DESCRIPTION: remembered for the summary (every file this run wrote).
wrote() { written+=("$1|$2"); }

# crl_write: the intermediate issues every leaf, so its CRL is the one peers check.
crl_write() {
	mkdir -p crl
	[ -f crl/index.txt ] || : >crl/index.txt
	[ -f crl/crlnumber ] || echo 01 >crl/crlnumber
	printf '%s\n' "[ca]" "default_ca = int" "[int]" "database = crl/index.txt" \
	    "certificate = intermediate.crt" "private_key = intermediate.key" \
	    "default_md = sha256" "default_crl_days = 30" "crlnumber = crl/crlnumber" >crl/ca.cnf
	openssl ca -config crl/ca.cnf -gencrl -out crl.pem 2>/dev/null
	chmod 644 crl.pem
	wrote crl/ "the CRL's database (index.txt, crlnumber, ca.cnf): -r revokes from it"
	wrote crl.pem "CRL of the intermediate (sigproxy tls_crl)"
}

if [ -n "$revoke" ]; then
	[ $# -eq 0 ] || usage
	cd "$outdir"
	[ -f intermediate.key ] || { echo "$0: no CA in $outdir" >&2; exit 1; }
	crl_write
	for r in $revoke; do
		[ -f "client-$r.crt" ] || { echo "$0: no client-$r.crt in $outdir" >&2; exit 1; }
		openssl ca -config crl/ca.cnf -revoke "client-$r.crt" 2>/dev/null
		echo "revoked: client-$r ($(openssl x509 -in "client-$r.crt" -noout -serial))"
	done
	crl_write
	echo "CRL (sigproxy tls_crl): $(pwd)/crl.pem"
	exit 0
fi
[ $# -eq 1 ] || usage
domain=$1
case $domain in
''|*[!A-Za-z0-9.:-]*) echo "$0: invalid domain '$domain'" >&2; exit 2 ;;
esac
case $days in
''|*[!0-9]*) echo "$0: invalid days '$days'" >&2; exit 2 ;;
esac
umask 077
mkdir -p "$outdir"
cd "$outdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A numeric domain gets an IP SAN; names get a DNS SAN.
case $domain in
*[!0-9.]*) case $domain in *:*) first_san="IP:$domain" ;; *) first_san="DNS:$domain" ;; esac ;;
*) first_san="IP:$domain" ;;
esac

# key <file>: an EC P-256 key, accepted by every current SIP stack; RSA with --rsa.
key() {
	if [ "$keytype" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$rsabits" -out "$1" 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
	fi
	wrote "$1" "private key"
}

if [ -n "$force" ] || [ ! -f ca.crt ] || [ ! -f ca.key ]; then
	key ca.key
	openssl req -new -x509 -key ca.key -sha256 -days 3650 -subj "/O=SBC/CN=SBC Root CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
	wrote ca.crt "root CA certificate (give to peers; sigproxy tls_ca)"
	rm -f intermediate.crt
fi
if [ -n "$force" ] || [ ! -f intermediate.crt ] || [ ! -f intermediate.key ]; then
	rm -rf crl crl.pem   # revocations of the old intermediate mean nothing now
	key intermediate.key
	openssl req -new -key intermediate.key -subj "/O=SBC/CN=SBC Intermediate CA" -out "$tmp/int.csr"
	printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
	    "keyUsage=critical,keyCertSign,cRLSign" \
	    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$tmp/int.ext"
	openssl x509 -req -in "$tmp/int.csr" -CA ca.crt -CAkey ca.key \
	    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$tmp/int.ext" -out intermediate.crt 2>/dev/null
	wrote intermediate.crt "intermediate CA certificate (issues every leaf)"
fi

# leaf <name> <cn> <san-or-empty> <extendedKeyUsage> <what the chain file is for>
leaf() {
	key "$1.key"
	openssl req -new -key "$1.key" -subj "/O=SBC/CN=$2" -out "$tmp/$1.csr"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$4"
		echo "subjectKeyIdentifier=hash"
		echo "authorityKeyIdentifier=keyid"
		[ -z "$3" ] || echo "subjectAltName=$3"
	} >"$tmp/$1.ext"
	# random serials (RFC 5280 wants them unpredictable), and no serial file left behind
	openssl x509 -req -in "$tmp/$1.csr" -CA intermediate.crt -CAkey intermediate.key \
	    -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 -extfile "$tmp/$1.ext" -out "$1.crt" 2>/dev/null
	cat "$1.crt" intermediate.crt >"$1-chain.pem"
	wrote "$1.crt" "certificate CN=$2"
	wrote "$1-chain.pem" "certificate + intermediate ($5)"
	pass=$p12pass
	if [ -z "$pass" ]; then
		pass=$(openssl rand -hex 12)
		printf '%s\n' "$pass" >"$1.p12.pass"
		wrote "$1.p12.pass" "password of $1.p12"
	fi
	openssl pkcs12 -export $legacy -in "$1.crt" -inkey "$1.key" -certfile intermediate.crt \
	    -name "$2" -passout "pass:$pass" -out "$1.p12"
	wrote "$1.p12" "PKCS#12: key + certificate + intermediate${legacy:+ (legacy 3DES/SHA1)}"
}

leaf server "$domain" "$first_san$extra_sans" "serverAuth,clientAuth" "sigproxy tls_cert"
for c in $clients; do
	case $c in *[!A-Za-z0-9._-]*) echo "$0: invalid client name '$c'" >&2; exit 2 ;; esac
	leaf "client-$c" "$c" "" "clientAuth" "a mutual TLS client's certificate"
done
chmod 644 ca.crt intermediate.crt ./*.crt ./*-chain.pem
crl_write

# -g: the daemons' group reads what they need: leaf keys, PKCS#12 files and their
# passwords. The CA and intermediate keys stay root's alone.
if [ -n "$group" ]; then
	chgrp "$group" . && chmod 750 .
	for f in server.key server.p12 server.p12.pass client-*.key client-*.p12 client-*.p12.pass; do
		[ -e "$f" ] || continue
		chgrp "$group" "$f" && chmod 640 "$f"
	done
fi

openssl verify -CAfile ca.crt -untrusted intermediate.crt server.crt >/dev/null
echo "directory: $(pwd)"
if [ "$keytype" = rsa ]; then echo "key type: RSA $rsabits"; else echo "key type: ECDSA P-256"; fi
echo "server certificate: CN=$domain SAN=$first_san$extra_sans"
echo "files written:"
for w in "${written[@]}"; do
	printf '  %-28s %s\n' "${w%%|*}" "${w#*|}"
done
echo "sigproxy [listener <name>] with transport = tls:"
echo "  tls_cert = $(pwd)/server-chain.pem"
echo "  tls_key = $(pwd)/server.key"
echo "  tls_ca = $(pwd)/ca.crt"
echo "  tls_crl = $(pwd)/crl.pem"
for c in $clients; do echo "client certificate for mutual TLS: $(pwd)/client-$c-chain.pem key client-$c.key"; done
openssl x509 -in server.crt -noout -fingerprint -sha1 |
	sed "s/^.*=/SHA-1 thumbprint of the server certificate (CN=$domain): /"

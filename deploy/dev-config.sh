#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Writes the example configurations as one development machine runs them into OUTDIR:
# the development certificates of CERTDIR and a private Redis port. deploy/run-dev.sh
# runs what this writes; the tests check it with -t.
# usage: dev-config.sh OUTDIR CERTDIR REDIS_PORT [IP]
#   IP: the loopback address everything listens on instead of 127.0.0.1
set -euo pipefail
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: $0 OUTDIR CERTDIR REDIS_PORT [IP]" >&2; exit 2; }
out=$1 certs=$2 redis_port=$3 ip=${4:-127.0.0.1}
examples=$(dirname "$0")/examples

sed -e "s/^port = 6379/port = $redis_port/" \
    -e "s/127\.0\.0\.1:/$ip:/g; s/^\(address\|host\) = 127\.0\.0\.1\$/\1 = $ip/" \
    "$examples/mediad.ini" > "$out/mediad.ini"
sed -e "s|^tls_cert = .*|tls_cert = $certs/server-chain.pem|" \
    -e "s/127\.0\.0\.1:/$ip:/g; s/^host = 127\.0\.0\.1\$/host = $ip/" \
    -e "s|^tls_key = .*|tls_key = $certs/server.key|" \
    -e "s|^tls_ca = .*|tls_ca = $certs/ca.crt|" \
    -e "s/^port = 6379/port = $redis_port/" \
    -e "s|^file = /var/log/sbc/calls.json|file = $out/calls.json|" \
    "$examples/sigproxy.ini" > "$out/sigproxy.ini"

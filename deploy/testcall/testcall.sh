#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A test call through the SBC that deploy/run-dev.sh runs: baresip as a TLS + SRTP caller on
# the outside and as a plain SIP/UDP + RTP callee on the route's first target, audio from a
# file both ways for a few seconds. Prints what each side saw and exits 0 when the call was
# established and audio arrived at both ends.
#   testcall.sh [NUMBER]       (default 801100, which the example route ^8011\d\d$ takes)
# Environment: SBC_RUN_DIR (default run/ in the clone), SBC_DEV_IP (default 127.0.0.1),
# SBC_DOMAIN (default sbc.localhost), TESTCALL_SECONDS (default 6).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=${SBC_RUN_DIR:-$top/run}
ip=${SBC_DEV_IP:-127.0.0.1}
domain=${SBC_DOMAIN:-sbc.localhost}
number=${1:-801100}
secs=${TESTCALL_SECONDS:-6}

command -v baresip >/dev/null || { echo "testcall: baresip missing (apt-get install baresip-core)" >&2; exit 2; }
[ -f "$run/certs/ca.crt" ] || { echo "testcall: no $run/certs/ca.crt: is deploy/run-dev.sh running?" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sbc-testcall.XXXXXX")
callee_pid=
cleanup() {
	[ -n "$callee_pid" ] && kill "$callee_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# fill DEST SRC: the templates with this run's address, CA, domain and number
fill() {
	sed -e "s|@IP@|$ip|g" -e "s|@CA@|$run/certs/ca.crt|g" -e "s|@DOMAIN@|$domain|g" \
	    -e "s|@NUMBER@|$number|g" -e "s|@HOME@|$(dirname "$1")|g" "$2" > "$1"
}
for who in caller callee; do
	mkdir -p "$dir/$who"
	fill "$dir/$who/config" "$here/$who.conf"
	fill "$dir/$who/accounts" "$here/$who.accounts"
done

baresip -f "$dir/callee" -t $((secs + 10)) >"$dir/callee.out" 2>&1 </dev/null &
callee_pid=$!
sleep 1
baresip -f "$dir/caller" -t "$secs" -e "/dial sip:$number@$domain;transport=tls" \
	>"$dir/caller.out" 2>&1 </dev/null
kill "$callee_pid" 2>/dev/null
wait "$callee_pid" 2>/dev/null
callee_pid=

# baresip redraws one status line with carriage returns: one line each for reading
report() {
	tr '\r' '\n' < "$dir/$1.out" | sed 's/\x1b\[[0-9;]*m//g' |
		grep -E 'Call established|session closed|terminated|incoming rtp|starting mediaenc|audio=[1-9]' |
		grep -v 'audio=0/0' | awk '!/audio=/ && !/mediaenc/ || !seen[$0 ~ /audio=/]++' | sed "s/^/  $1: /"
}
echo "testcall: sip:$number@$domain over TLS to $ip:5061, callee on $ip:5090"
report caller
report callee
rc=0
for who in caller callee; do
	if ! grep -q 'Call established' "$dir/$who.out"; then
		echo "testcall: the $who saw no established call"
		rc=1
	elif ! tr '\r' '\n' < "$dir/$who.out" | grep -qE 'audio=[1-9][0-9]*/[1-9]'; then
		echo "testcall: the $who received no audio"
		rc=1
	fi
done
if [ $rc = 0 ]; then
	echo "testcall: ok: call established, audio both ways (SRTP outside, RTP inside)"
else
	echo "testcall: FAILED; the SBC's logs are in $run/log" >&2
fi
exit $rc

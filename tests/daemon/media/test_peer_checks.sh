#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# sbc-test-peer must fail when the media is wrong: each sabotage breaks one thing and the
# matching check has to report it (exit 1, named failure); bad options exit 2.
set -u
peer=$1
mediad=$2
fails=0

expect_fail() {
	local what=$1 pattern=$2 out rc
	shift 2
	out=$(timeout 50 "$peer" --mediad "$mediad" --media-timeout 0 --packets 120 --rate 200 "$@" 2>&1)
	rc=$?
	if [[ $rc -eq 1 && $out == *"FAIL"* && $out =~ $pattern ]]; then
		echo "ok - $what detected"
	else
		echo "not ok - $what: rc=$rc"
		echo "$out" | head -40 | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}

expect_fail "a lost packet" "packets lost" --sabotage drop
expect_fail "a changed payload" "differs from what was sent" --sabotage corrupt
expect_fail "an unsignalled SRTP key" "packets lost" --sabotage wrongkey
expect_fail "forged packets with a valid tag" "never sent|arrived twice|relay counted" \
	--forge --sabotage genuine-forge
expect_fail "plain payload on the SRTP side" "plain payload of packet" --sabotage unencrypted

for bad in "--suite NULL_HMAC" "--packets 3" "--calls 0" "--rate 0" "--bogus"; do
	# shellcheck disable=SC2086
	timeout 10 "$peer" --mediad "$mediad" $bad >/dev/null 2>&1
	rc=$?
	if [[ $rc -eq 2 ]]; then
		echo "ok - option '$bad' refused"
	else
		echo "not ok - option '$bad' gave rc=$rc"
		fails=$((fails + 1))
	fi
done
# No relay at the ng address: a clear failure, not a hang.
out=$(timeout 20 "$peer" --ng 127.0.0.1:9 --quiet 2>&1)
rc=$?
if [[ $rc -eq 1 && $out == *"ng ping"* ]]; then
	echo "ok - no relay reported"
else
	echo "not ok - no relay: rc=$rc $out"
	fails=$((fails + 1))
fi
exit $((fails > 0))

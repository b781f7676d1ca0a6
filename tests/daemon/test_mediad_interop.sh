#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Drives the real mediad with rtpengine's own ng client (rtpengine-ng-client, Perl,
# from rtpengine-utils): ping, offer, answer, query, list, delete must work unchanged.
set -u

BUILD=${SBC_BUILD_DIR:?SBC_BUILD_DIR not set}
MEDIAD=$BUILD/mediad/mediad
CLIENT=$(command -v rtpengine-ng-client || true)
if [ -z "$CLIENT" ]; then
	echo "rtpengine-ng-client missing (apt-get install rtpengine-utils)" >&2
	exit 1
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/mediad-interop.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$PID" 2>/dev/null
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP

. "$(dirname "$0")/../lib/tap.sh"

# Private loopback addresses so the media ports cannot collide with another test.
O=$((100 + $$ % 100))
P=$((1 + ($$ / 100) % 250))
OUT_IP=127.$O.$P.11
IN_IP=127.$O.$P.12
cat >"$DIR/mediad.ini" <<EOF
[mediad]
id = interop-$$
ng_listen = 127.0.0.1:0
ng_allow = 127.0.0.1
[interface outside]
address = $OUT_IP
port_min = 31000
port_max = 31099
encryption = required
[interface inside]
address = $IN_IP
port_min = 32000
port_max = 32099
encryption = off
[redis]
enabled = no
EOF

"$MEDIAD" -c "$DIR/mediad.ini" >"$DIR/mediad.log" 2>&1 &
PID=$!
PORT=
for _ in $(seq 1 100); do
	PORT=$(sed -n 's/.*mediad_ready .*ng=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$DIR/mediad.log")
	[ -n "$PORT" ] && break
	sleep 0.1
done
if [ -z "$PORT" ]; then
	echo "mediad did not start:" >&2
	cat "$DIR/mediad.log" >&2
	exit 1
fi

ng() {  # ng <command> [options...]: runs the client with a 10 s bound, output in $DIR/out
	timeout 10 "$CLIENT" --proxy-address=127.0.0.1 --proxy-port="$PORT" "$@" >"$DIR/out" 2>&1
}
# The client prints the new SDP between "New SDP:" and the closing marker.
new_sdp() {
	sed -n '/^New SDP:/,/^----->8/p' "$DIR/out" | sed '1,2d;$d'
}
has() { grep -q -- "$1" "$DIR/out"; }
sdp_has() { new_sdp | grep -q -- "$1"; }
sdp_count() { new_sdp | grep -c -- "$1"; }

CALL="interop-$$@test"
SDP_SRTP=$'v=0\r\no=carrier 1000 1 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\nm=audio 20000 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\na=sendrecv\r\n'
SDP_RTP=$'v=0\r\no=ivr 2000 1 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n'

ng ping
ok "ping -> pong" has "result => 'pong'"

ng offer --call-id="$CALL" --from-tag=caller --via-branch=z9hG4bKx --protocol=RTP/AVP \
	--ICE=remove --DTLS=off --replace-origin --replace-session-connection \
	--direction=outside,inside --label=outside --trust-address \
	--received-from=IP4 --received-from=198.51.100.10 --sdp="$SDP_SRTP"
ok "offer: RTP/AVP towards the inside" sdp_has "^m=audio 320[0-9][02468] RTP/AVP 0 101"
ok "offer: inside address" sdp_has "^c=IN IP4 $IN_IP"
ok "offer: no crypto" test "$(sdp_count 'a=crypto')" -eq 0

ng answer --call-id="$CALL" --from-tag=caller --to-tag=ivr --via-branch=z9hG4bKx \
	--ICE=remove --replace-origin --replace-session-connection --label=inside --sdp="$SDP_RTP"
ok "answer: RTP/SAVP towards the caller" sdp_has "^m=audio 310[0-9][02468] RTP/SAVP 0 101"
ok "answer: outside address" sdp_has "^c=IN IP4 $OUT_IP"
ok "answer: exactly one crypto line" test "$(sdp_count 'a=crypto')" -eq 1
ok "answer: offer's tag, first suite" sdp_has "^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"

ng query --call-id="$CALL"
ok "query: both tags" bash -c "grep -q \"caller => {\" '$DIR/out' && grep -q \"ivr => {\" '$DIR/out'"
ok "query: crypto suite" has "'crypto suite' => 'AES_CM_128_HMAC_SHA1_80'"
ok "query: label" has "label => 'outside'"
ok "query: totals" has "totals => {"

ng list
ok "list: the call" has "'$CALL'"

# reverse direction with an SDES option: only the _32 suite is offered
ng offer --call-id="$CALL-b" --from-tag=ivr --protocol=RTP/SAVP --DTLS=off \
	--direction=inside,outside --SDES=no-AES_CM_128_HMAC_SHA1_80 --sdp="$SDP_RTP"
ok "flow B offer: RTP/SAVP" sdp_has "RTP/SAVP 0 101"
ok "flow B offer: SDES no- honoured" test "$(sdp_count 'a=crypto')" -eq 1
ok "flow B offer: the remaining suite" sdp_has "^a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:"

ng query --call-id="nonexistent-$$"
ok "query of an unknown call: error" has 'Error reason: "Unknown call-id"'

ng delete --call-id="$CALL" --from-tag=caller
ok "delete: statistics in the reply" has "totals => {"
ng delete --call-id="$CALL" --from-tag=caller
ok "second delete: warning" has "warning => 'Call-ID not found or tags didn"
ng delete --call-id="$CALL-b" --from-tag=ivr --delete-delay=0
ok "delete with delete-delay 0" has "totals => {"
ng list
ok "list: empty after deletes" bash -c "! grep -q \"interop-$$\" '$DIR/out'"

kill -TERM "$PID"
for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
wait "$PID"
RC=$?
ok "mediad exits cleanly (status $RC)" test "$RC" -eq 0
PID=

echo "1..$N"
if [ "$FAIL" -ne 0 ]; then
	echo "# $FAIL of $N failed; mediad log:"
	sed 's/^/# /' "$DIR/mediad.log"
	exit 1
fi
exit 0

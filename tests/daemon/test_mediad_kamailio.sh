#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Kamailio's rtpengine module drives the real mediad: a sipp caller offers SRTP through
# Kamailio to a sipp IVR, which must see plain RTP at mediad's inside address; the caller
# must get RTP/SAVP with one a=crypto back; BYE deletes the call in mediad.
set -u

BUILD=${SBC_BUILD_DIR:?SBC_BUILD_DIR not set}
SRC=${SBC_SOURCE_DIR:?SBC_SOURCE_DIR not set}
MEDIAD=$BUILD/mediad/mediad
for bin in kamailio sipp rtpengine-ng-client; do
	if ! command -v "$bin" >/dev/null; then
		echo "$bin missing (kamailio, sip-tester, rtpengine-utils)" >&2
		exit 1
	fi
done
MODDIR=$(dirname "$(find /usr/lib -name rtpengine.so -path '*kamailio*' 2>/dev/null | head -1)")
if [ ! -f "$MODDIR/rtpengine.so" ]; then
	echo "kamailio rtpengine module not found" >&2
	exit 1
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/mediad-kamailio.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP

. "$(dirname "$0")/../lib/tap.sh"

# Private loopback addresses: SIP on 5060 and media ports cannot collide with others.
O=$((100 + $$ % 100))
P=$((1 + ($$ / 100) % 250))
KIP=127.$O.$P.21
UAS=127.$O.$P.22
UAC=127.$O.$P.23
OUT_IP=127.$O.$P.24
IN_IP=127.$O.$P.25

cat >"$DIR/mediad.ini" <<EOF
[mediad]
id = kamailio-$$
ng_listen = 127.0.0.1:0
ng_allow = 127.0.0.1
[interface outside]
address = $OUT_IP
port_min = 33000
port_max = 33099
encryption = required
[interface inside]
address = $IN_IP
advertised = 10.0.0.5
port_min = 34000
port_max = 34099
encryption = off
[redis]
enabled = no
EOF
"$MEDIAD" -c "$DIR/mediad.ini" >"$DIR/mediad.log" 2>&1 &
PIDS+=($!)
NGP=
for _ in $(seq 1 100); do
	NGP=$(sed -n 's/.*mediad_ready .*ng=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$DIR/mediad.log")
	[ -n "$NGP" ] && break
	sleep 0.1
done
[ -n "$NGP" ] || { cat "$DIR/mediad.log" >&2; exit 1; }

cat >"$DIR/kamailio.cfg" <<EOF
#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:$KIP:5060
mpath="$MODDIR/"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "rtpengine.so"
modparam("rtpengine", "rtpengine_sock", "udp:127.0.0.1:$NGP")
request_route {
	if (has_totag()) {
		if (loose_route()) {
			if (is_method("BYE")) rtpengine_delete();
			t_relay();
			exit;
		}
		if (is_method("ACK")) { t_relay(); exit; }
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("INVITE")) {
		record_route();
		if (!rtpengine_offer("replace-origin replace-session-connection RTP/AVP ICE=remove DTLS=off direction=outside direction=inside label=outside")) {
			sl_send_reply("500", "mediad offer failed");
			exit;
		}
		t_on_reply("R");
		\$du = "sip:$UAS:5060";
		t_relay();
		exit;
	}
	sl_send_reply("405", "Not allowed");
}
onreply_route[R] {
	if (has_body("application/sdp"))
		rtpengine_answer("replace-origin replace-session-connection label=inside");
}
EOF
kamailio -DD -E -f "$DIR/kamailio.cfg" -Y "$DIR" >"$DIR/kamailio.log" 2>&1 &
PIDS+=($!)
# Kamailio pings every ng node at start-up: wait until it found mediad.
for _ in $(seq 1 100); do
	grep -q "rtpengine instance <udp:127.0.0.1:$NGP> found" "$DIR/kamailio.log" && break
	sleep 0.1
done
ok "kamailio's ping of mediad succeeded" grep -q "rtpengine instance <udp:127.0.0.1:$NGP> found" "$DIR/kamailio.log"

cd "$DIR" || exit 1
timeout 30 sipp -sf "$SRC/tests/daemon/mediad_kamailio_uas.xml" -i "$UAS" -p 5060 -m 1 \
	-timeout 25s -trace_err -trace_logs >"$DIR/uas.out" 2>&1 &
UAS_PID=$!
PIDS+=("$UAS_PID")
sleep 0.3
timeout 30 sipp -sf "$SRC/tests/daemon/mediad_kamailio_uac.xml" -i "$UAC" -p 5060 \
	"$KIP:5060" -m 1 -timeout 20s -trace_err -trace_logs >"$DIR/uac.out" 2>&1
UAC_RC=$?
wait "$UAS_PID"
UAS_RC=$?

ok "caller got RTP/SAVP with one a=crypto (sipp uac status $UAC_RC)" test "$UAC_RC" -eq 0
ok "IVR got RTP/AVP at mediad's inside address (sipp uas status $UAS_RC)" test "$UAS_RC" -eq 0
ok "mediad ran offer, answer and delete" bash -c "grep -q 'command=offer result=ok' '$DIR/mediad.log' && grep -q 'command=answer result=ok' '$DIR/mediad.log' && grep -q 'command=delete result=ok' '$DIR/mediad.log'"
timeout 10 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port="$NGP" list >"$DIR/list" 2>&1
ok "no call left in mediad after BYE" grep -q "calls => \[\]" "$DIR/list"

echo "1..$N"
if [ "$FAIL" -ne 0 ]; then
	echo "# $FAIL of $N failed"
	for f in mediad.log kamailio.log uac.out uas.out list; do
		echo "# --- $f"
		sed 's/^/# /' "$DIR/$f" | tail -40
	done
	cat "$DIR"/*_logs.log "$DIR"/*_errors.log 2>/dev/null | sed 's/^/# /' | tail -20
	exit 1
fi
exit 0

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The SIP trace and key secrecy on a whole TLS + SRTP call (sipp behind stunnel, sigproxy,
# mediad, redis-server, a sipp backend, media both ways), daemons at debug level:
# - the trace file holds whole multi-line messages with direction, transport, listener,
#   addresses and time; HEP3 packets reach a collector (decoded here chunk by chunk, and by
#   sngrep + tshark when installed) with the right addresses, ports, agent id and Call-ID;
# - no key the call used (the caller's two offered keys, the SBC's key from the 200 OK the
#   caller got) is in anything the SBC wrote: both logs, the trace files, the HEP packets,
#   /metrics of both daemons; masked "inline:***" is there instead;
# - logrotate: the file moved away and SIGHUP makes a new one; the filter set at run time
#   through the Redis key sbc:trace keeps only the filtered call (OPTIONS probes absent),
#   a bad filter is refused with the trace unchanged, deleting the key goes back to the
#   configuration.
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli openssl perl curl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
PROBE_IP=$(e2e_ip 7)
HEP_IP=$(e2e_ip 9)
HEP_PORT=9060
SNGREP_PORT=9061
STUNNEL_ACCEPT=$CALLER_IP:5071
TRACE=$DIR/trace/sip-trace.log
mkdir -p "$DIR/trace"

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_LOG_LEVEL=debug MEDIAD_EXTRA="metrics_listen = 127.0.0.1:0" \
	mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
MD_METRICS=$(sed -n 's/.*mediad_ready .*metrics_port=\([0-9]*\).*/\1/p' "$DIR/mediad-a.log" | head -1)

# The collector: decodes, keeps the raw packets, forwards them to sngrep when there is one.
SNGREP=0
if command -v sngrep >/dev/null && command -v tshark >/dev/null; then
	SNGREP=1
fi
perl "$E2E_DIR_SRC/hep_collector.pl" "$HEP_IP" "$HEP_PORT" 110 "$DIR/hep.txt" "$DIR/hep.raw" \
	$([ $SNGREP = 1 ] && echo "$HEP_IP:$SNGREP_PORT") 2>"$DIR/hep.err" &
PIDS+=("$!")
if [ $SNGREP = 1 ]; then
	# with -L sngrep captures no device: the pcap holds only what arrived as HEP
	(cd "$DIR" && exec timeout -s INT 110 sngrep -N -q -L "udp:$HEP_IP:$SNGREP_PORT" \
		-O "$DIR/sngrep.pcap" >"$DIR/sngrep.out" 2>&1) &
	SNGREP_PID=$!
	PIDS+=("$SNGREP_PID")
fi

SP_LOG_LEVEL=debug SP_EXTRA="[trace]
file = $TRACE
hep_collector = $HEP_IP:$HEP_PORT
hep_capture_id = 4242" sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	echo "# mediad registration not seen in redis"
sleep 1

ok "trace off at start: nothing traced yet" bash -c "! test -s '$TRACE'"
kill -USR1 "$SIGPROXY_PID"
ok "SIGUSR1 switches the trace on" wait_for 5 grep -q "sip_trace_on signal=SIGUSR1" "$DIR/sigproxy-a.log"

# probe TAG N: N OPTIONS to sigproxy over UDP from PROBE_IP, Call-ID probe-TAG-i-$$.
probe() {
	perl -MIO::Socket::IP -e '
		my ($from, $to, $tag, $n) = @ARGV;
		my $s = IO::Socket::IP->new(LocalHost => $from, PeerHost => $to, PeerPort => 5060,
			Proto => "udp") or die $!;
		for my $i (1..$n) {
			my $cid = "probe-$tag-$i-$$";
			$s->send("OPTIONS sip:$to SIP/2.0\r\nVia: SIP/2.0/UDP $from:5060;branch=z9hG4bK$cid\r\n" .
				"From: <sip:probe\@$from>;tag=p$i\r\nTo: <sip:$to>\r\nCall-ID: $cid\r\n" .
				"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
			select(undef, undef, undef, 0.05);
		}' "$PROBE_IP" "$SIP_IP" "$1" "$2"
}

# ---- phase A: a whole call, every message traced ----
CALL_HOLD_MS=3000 call_start a uac_call uas_call AES_CM_128_HMAC_SHA1_80
call_media MEDIA1 BACKEND1
media_rc=$?
probe A 3
curl -s --max-time 5 "http://127.0.0.1:$SP_METRICS/metrics" >"$DIR/sp-metrics.txt"
curl -s --max-time 5 "http://127.0.0.1:$MD_METRICS/metrics" >"$DIR/md-metrics.txt"
call_wait
CID_A=${CALL_ID:-none}
ok "call A completed with media both ways (media $media_rc, uac $UAC_RC, uas $UAS_RC)" \
	test "$media_rc" = 0 -a "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "mediad /metrics was read during the call (one call active)" grep -q "^mediad_calls_active 1$" "$DIR/md-metrics.txt"
ok "sigproxy /metrics counts traced messages" grep -q "^sigproxy_trace_messages_total [1-9]" "$DIR/sp-metrics.txt"
sleep 0.5

# trace file: records "#### time dir transport listener=... src -> dst len= bytes= call_id=" + message
hdr_in_invite=$(grep -n "^#### .* in tls listener=outside-tls $CALLER_IP:[0-9]* -> $SIP_IP:5061 len=[0-9]* bytes=[0-9]* call_id=$CID_A\$" "$TRACE" | head -1)
ok "trace file: the caller's INVITE in over TLS, listener, addresses, Call-ID (${hdr_in_invite%%:*})" \
	test -n "$hdr_in_invite"
ok "trace file: the INVITE out to the backend over UDP from the inside listener" \
	grep -q "^#### .* out udp listener=inside-udp $SIP_IN_IP:5060 -> $BACK_IP:5060 .*call_id=$CID_A\$" "$TRACE"
ok "trace file: timestamps are UTC with microseconds" \
	grep -qE '^#### 20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z ' "$TRACE"
# the record after that header: the whole message, many lines, SDP included
rec=$(awk -v n="${hdr_in_invite%%:*}" 'NR > n { if (/^#### /) exit; print }' "$TRACE")
ok "trace file: the INVITE is whole and multi-line ($(wc -l <<<"$rec") lines)" \
	bash -c 'test "$(wc -l <<<"$1")" -ge 20' _ "$rec"
ok "trace file: ... request line, headers, SDP" \
	bash -c 'grep -q "^INVITE sip:8011001@sbc.example.test SIP/2.0" <<<"$1" && grep -q "^Content-Type: application/sdp" <<<"$1" && grep -q "^m=audio [0-9]* RTP/SAVP" <<<"$1"' _ "$rec"
ok "trace file: the offered keys are masked, suite and tag kept" \
	bash -c 'grep -q "^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\*\{40\}" <<<"$1" && grep -q "^a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:\*\{40\}" <<<"$1"' _ "$rec"
ok "trace file: the 200 OK to the caller carries the SBC's crypto line, masked" \
	bash -c "awk '/^#### .* out tls /{p=1; next} /^#### /{p=0} p' '$TRACE' | grep -q '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\*\{40\}'"
ok "trace file: BYE and its 200 both ways" \
	test "$(grep -c "^BYE sip" "$TRACE")" -ge 2
ok "trace file: the OPTIONS probes of phase A (no filter yet)" \
	test "$(grep -c "^#### .* in udp listener=outside-udp $PROBE_IP:[0-9]* -> $SIP_IP:5060 .*call_id=probe-A-" "$TRACE")" = 3

# HEP: every packet decodes; the call's packets carry its Call-ID and the right addresses
n_hep=$(grep -c '^hep ' "$DIR/hep.txt")
ok "HEP: packets received ($n_hep)" test "$n_hep" -ge 12
ok "HEP: every packet has every chunk and consistent lengths" bash -c "! grep '^hep ' '$DIR/hep.txt' | grep -qv ' ok=1\$'"
ok "HEP: protocol type SIP, capture agent 4242, IPv4" \
	bash -c "! grep '^hep ' '$DIR/hep.txt' | grep -v 'family=2 .* type=1 capture=4242 ' | grep -q ."
ok "HEP: the INVITE in over TLS (TCP) from the caller, correlation id = Call-ID" \
	grep -q "^hep family=2 proto=6 src=$CALLER_IP:[0-9]* dst=$SIP_IP:5061 .*corr=$CID_A " "$DIR/hep.txt"
ok "HEP: the INVITE out over UDP from the inside listener to the backend" \
	grep -q "^hep family=2 proto=17 src=$SIP_IN_IP:5060 dst=$BACK_IP:5060 .*corr=$CID_A " "$DIR/hep.txt"
now=$(date +%s)
ok "HEP: timestamps are now" bash -c "grep -o ' sec=[0-9]*' '$DIR/hep.txt' | awk -v now=$now '{ split(\$1, a, \"=\"); if (a[2] < now - 120 || a[2] > now + 5) bad = 1 } END { exit bad }'"
ok "HEP: payloads are the whole messages, keys masked" \
	grep -q '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\*\{40\}' "$DIR/hep.txt"
ok "HEP: the OPTIONS probes of phase A" \
	test "$(grep -c "^hep family=2 proto=17 src=$PROBE_IP:[0-9]* dst=$SIP_IP:5060 .*corr=probe-A-" "$DIR/hep.txt")" = 3

# ---- no key anywhere ----
echo "# keys: caller ${CALL_KEY:0:6}... ${CALL_KEY2:0:6}..., SBC ${CALL_AKEY:0:6}..."
ok "the SBC's key was read from the 200 OK the caller got" test -n "${CALL_AKEY:-}"
outputs=("$DIR/sigproxy-a.log" "$DIR/mediad-a.log" "$DIR"/trace/* "$DIR/hep.raw" "$DIR/hep.txt"
	"$DIR/sp-metrics.txt" "$DIR/md-metrics.txt")
ok "the trace carried the crypto lines (masked), so there was something to leak" \
	bash -c "grep -q 'inline:\*' '$TRACE' && grep -q 'inline:\*' '$DIR/hep.txt'"
for k in "$CALL_KEY" "$CALL_KEY2" "${CALL_AKEY:-x}"; do
	# the key as sent (base64) and its first 16 characters (a key cut by a line limit)
	for f in "${outputs[@]}"; do
		[ -f "$f" ] || continue
		ok "no key ${k:0:6}... in $(basename "$f")" bash -c '! grep -aqF -e "$1" -e "${1:0:16}" "$2"' _ "$k" "$f"
	done
done

# ---- sngrep + tshark: a real HEP client reads what we send ----
if [ $SNGREP = 1 ]; then
	sleep 1
	# timeout passes the INT on to sngrep, which then closes its pcap file
	kill -INT "$SNGREP_PID"
	sleep 1
	e2e_stop "$SNGREP_PID"
	tshark -r "$DIR/sngrep.pcap" -Y sip -T fields -e ip.src -e ip.dst -e sip.Method -e sip.Status-Code \
		-e sip.Call-ID >"$DIR/tshark.txt" 2>"$DIR/tshark.err"
	ok "sngrep + tshark: the call's INVITE from the caller" \
		grep -qP "^$CALLER_IP\t$SIP_IP\tINVITE\t\t$CID_A\$" "$DIR/tshark.txt"
	ok "sngrep + tshark: the 200 OK to the caller" \
		grep -qP "^$SIP_IP\t$CALLER_IP\t\t200\t$CID_A\$" "$DIR/tshark.txt"
	ok "sngrep + tshark: the INVITE to the backend" \
		grep -qP "^$SIP_IN_IP\t$BACK_IP\tINVITE\t\t$CID_A\$" "$DIR/tshark.txt"
	ok "sngrep pcap: no key" bash -c '! grep -aqF -e "$1" -e "$2" -e "$3" "$4"' _ "$CALL_KEY" "$CALL_KEY2" "${CALL_AKEY:-x}" "$DIR/sngrep.pcap"
else
	echo "# sngrep or tshark not installed: the HEP check by a real client is skipped"
fi

# ---- logrotate: move the file, SIGHUP, a new file ----
mv "$TRACE" "$TRACE.1"
kill -HUP "$SIGPROXY_PID"
ok "SIGHUP reopens the trace file" wait_for 5 grep -q "sip_trace_reopened file=$TRACE" "$DIR/sigproxy-a.log"
ok "the new trace file exists" test -f "$TRACE"

# ---- phase B: filter by call, set at run time through Redis ----
CID_B="filtered-$$-1@e2e"
rcli hset sbc:trace on yes call "$CID_B" >/dev/null
ok "the Redis control key is applied" \
	wait_for 5 grep -q "sip_trace_control source=redis key=sbc:trace on=yes call=\"$CID_B\"" "$DIR/sigproxy-a.log"
size1=$(stat -c %s "$TRACE.1")
CALL_HOLD_MS=2000 call_start b uac_call uas_call AES_CM_128_HMAC_SHA1_80 -cid_str "filtered-$$-%u@e2e"
call_media MEDIA1 BACKEND1
probe B 3
call_wait
ok "call B completed (uac $UAC_RC, uas $UAS_RC, Call-ID ${CALL_ID:-?})" test "$UAC_RC" = 0 -a "$UAS_RC" = 0 -a "${CALL_ID:-}" = "$CID_B"
sleep 0.5
ok "filtered trace: call B's INVITE in and out" \
	test "$(grep -c "^#### .* call_id=$CID_B\$" "$TRACE")" -ge 10
ok "filtered trace: nothing but call B" bash -c "! grep '^#### ' '$TRACE' | grep -qv 'call_id=$CID_B\$'"
ok "filtered trace: no OPTIONS probe" bash -c "! grep -q '^OPTIONS ' '$TRACE' && ! grep -q 'probe-B-' '$DIR/hep.txt'"
ok "filtered HEP: call B's messages" test "$(grep -c "^hep .*corr=$CID_B " "$DIR/hep.txt")" -ge 10
ok "the rotated file was not written to after SIGHUP" test "$(stat -c %s "$TRACE.1")" = "$size1"
ok "filtered trace: keys masked" bash -c "grep -q 'inline:\*\{40\}' '$TRACE' && ! grep -aqF -e '$CALL_KEY' -e '$CALL_KEY2' '$TRACE' '$DIR/hep.raw'"

# a filter that does not compile: refused, the trace stays as it was
rcli hset sbc:trace number '([' >/dev/null
ok "a bad filter in Redis is refused with a reason" \
	wait_for 5 grep -q 'sip_trace_control_refused source=redis key=sbc:trace reason="bad regular expression' "$DIR/sigproxy-a.log"
# key gone: back to the configuration (sip_trace = no)
rcli del sbc:trace >/dev/null
ok "deleting the key goes back to the configuration" \
	wait_for 5 grep -q "sip_trace_control source=redis key=sbc:trace state=removed on=no" "$DIR/sigproxy-a.log"
probe C 2
sleep 0.5
ok "trace off again: the probes after it are not traced" \
	bash -c "! grep -q 'probe-C-' '$TRACE' '$DIR/hep.txt'"

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

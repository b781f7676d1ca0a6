#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Metrics an operator can keep, scraped live from both daemons during a real TLS+SRTP call:
# valid Prometheus text (histograms included), the gauges (active calls on both daemons,
# registered and usable mediads, backends, Redis, TLS connections) and histograms (call
# setup, ng round trip) say what happened, no series carries a call_id, mediad's scrape
# does not grow with the calls made, and every metric name the Grafana dashboard
# (deploy/grafana/sbc-overview.json) uses is in the scrapes.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl perl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"
CHECK=$HERE/metrics_check.pl
E2E_DIR_SRC=$SRC/tests/daemon/e2e
DASH=$SRC/deploy/grafana/sbc-overview.json

SIP_IP=$(e2e_ip 1)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
STUNNEL_ACCEPT=$CALLER_IP:5071
certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_EXTRA="metrics_listen = 127.0.0.1:0" mediad_start a "$(e2e_ip 2)" "$(e2e_ip 3)" 39000 || exit 1
sigproxy_start a "$SIP_IP" "$(e2e_ip 6)" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 grep -q "mediad_added" "$DIR/sigproxy-a.log"

# scrape NAME: both daemons' /metrics into $DIR/NAME-{sp,md}.prom, format-checked
scrape() {
	perl "$CHECK" scrape "http://127.0.0.1:$SP_METRICS/metrics" "$DIR/$1-sp.prom" >"$DIR/$1-sp.check" 2>&1
	ok "$1: sigproxy's /metrics is valid Prometheus text $(head -3 "$DIR/$1-sp.check" | tr '\n' ' ')" test $? = 0
	perl "$CHECK" scrape "http://127.0.0.1:$MEDIAD_METRICS/metrics" "$DIR/$1-md.prom" >"$DIR/$1-md.check" 2>&1
	ok "$1: mediad's /metrics is valid Prometheus text $(head -3 "$DIR/$1-md.check" | tr '\n' ' ')" test $? = 0
}
# val NAME SERIES: the value of one series (exact name{labels} or bare name)
val() { awk -v s="$2" '$1 == s { print $2 }' "$DIR/$1-sp.prom" "$DIR/$1-md.prom" | head -1; }

ok "mediad serves /metrics (port ${MEDIAD_METRICS:-none})" test -n "${MEDIAD_METRICS:-}"
scrape idle
ok "idle: no call on either daemon" \
	bash -c "[ '$(val idle sigproxy_calls_active)' = 0 ] && [ '$(val idle mediad_calls_active)' = 0 ]"

CALL_HOLD_MS=4000 call_start one uac_call uas_call AES_CM_128_HMAC_SHA1_80
call_media MEDIA1 BACKEND1
rc=$?
ok "a call with media both ways" test "$rc" = 0
scrape call
ok "during the call: sigproxy_calls_active 1 ($(val call sigproxy_calls_active))" test "$(val call sigproxy_calls_active)" = 1
ok "during the call: mediad_calls_active 1 ($(val call mediad_calls_active))" test "$(val call mediad_calls_active)" = 1
ok "mediads registered 1 and usable 1" \
	bash -c "[ '$(val call sigproxy_mediads_registered)' = 1 ] && [ '$(val call sigproxy_mediads_up)' = 1 ]"
ok "Redis connected on both daemons" \
	bash -c "[ '$(val call sigproxy_redis_up)' = 1 ] && [ '$(val call mediad_redis_up)' = 1 ]"
ok "the caller's TLS connection is counted ($(val call sigproxy_tls_connections))" \
	test "$(val call sigproxy_tls_connections)" -ge 1
ok "backends by state: one known, unknown (probing is off here)" \
	bash -c "[ '$(val call 'sigproxy_backends{state="unknown"}')' = 1 ] && [ '$(val call 'sigproxy_backends{state="up"}')' = 0 ]"
ok "call setup histogram counted the answered call ($(val call sigproxy_call_setup_seconds_count))" \
	test "$(val call sigproxy_call_setup_seconds_count)" = 1
ok "call setup took less than 5 s and the buckets say so" \
	test "$(val call 'sigproxy_call_setup_seconds_bucket{le="5"}')" = 1
ok "ng round trips counted (offer and answer: $(val call sigproxy_ng_rtt_seconds_count))" \
	test "$(val call sigproxy_ng_rtt_seconds_count)" -ge 2
ok "no series with a call_id label, nor the per-stream families" \
	bash -c "! grep -q 'call_id=' '$DIR/call-sp.prom' '$DIR/call-md.prom' && ! grep -q '^mediad_stream_' '$DIR/call-md.prom'"
ok "media counted per worker (packets in > 0)" \
	bash -c "[ \"\$(awk '/^sbc_relay_packets_in_total/ { s += \$2 } END { print s + 0 }' '$DIR/call-md.prom')\" -gt 0 ]"
# Every name the dashboard uses exists now (a histogram by its _bucket/_sum/_count).
perl "$CHECK" names "$DASH" >"$DIR/dash-names" 2>&1
ok "the dashboard is valid JSON with expressions ($(grep -c . "$DIR/dash-names") metric names)" \
	test "$(grep -c . "$DIR/dash-names")" -ge 10
missing=$(while read -r n; do
	grep -qE "^$n(\{| )" "$DIR/call-sp.prom" "$DIR/call-md.prom" || echo "$n"
done <"$DIR/dash-names" | tr '\n' ' ')
ok "every metric the dashboard uses is in the live scrapes (missing: ${missing:-none})" test -z "$missing"
ok "the dashboard uses no call_id label" bash -c "! grep -q call_id '$DASH'"
call_wait
ok "the call completed (sipp $UAC_RC/$UAS_RC)" test "$UAC_RC$UAS_RC" = 00

# Series do not grow with calls: two more calls, same number of mediad lines.
wait_for 5 mediad_empty
scrape after1
for i in 2 3; do
	CALL_HOLD_MS=1000 call_start "more$i" uac_call uas_call AES_CM_128_HMAC_SHA1_32
	call_media MEDIA1 BACKEND1
	call_wait
done
wait_for 5 mediad_empty
scrape after3
n1=$(grep -vc '^#' "$DIR/after1-md.prom")
n3=$(grep -vc '^#' "$DIR/after3-md.prom")
ok "mediad's series do not grow with calls ($n1 after one call, $n3 after three)" test "$n1" = "$n3"
s1=$(grep -vc '^#' "$DIR/after1-sp.prom")
s3=$(grep -vc '^#' "$DIR/after3-sp.prom")
ok "nor sigproxy's ($s1, $s3)" test "$s1" = "$s3"
ok "after the calls: no active call on either daemon" \
	bash -c "[ '$(val after3 sigproxy_calls_active)' = 0 ] && [ '$(val after3 mediad_calls_active)' = 0 ]"
ok "call setup histogram: 3 calls" test "$(val after3 sigproxy_call_setup_seconds_count)" = 3
e2e_finish

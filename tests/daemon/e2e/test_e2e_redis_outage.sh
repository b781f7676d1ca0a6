#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The state store converges after a Redis outage (real redis-server, sigproxy, mediad, sipp):
#  kill: Redis is killed (-9) during two calls, one is hung up while it is away, Redis comes
#        back EMPTY: the ended call is `ended` in sbc:call and gone from sbc:media, the live
#        one is back in both, and a second sigproxy (the first killed) handles its BYE from
#        the rewritten record.
#  stop: Redis is frozen (SIGSTOP): both daemons see it within 500 ms (measured), an INVITE
#        450 ms after the freeze gets 503 with Retry-After; a call hung up during the freeze
#        ends up `ended`/gone after SIGCONT, new calls work again, and a restarted mediad
#        brings back the live call but none of the calls that ended during the outages.
# Arguments choose the parts: kill stop (default: both; stop needs kill's second sigproxy).
set -u
PARTS=" ${*:-kill stop} "
part() { [[ "$PARTS" == *" $1 "* ]]; }
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl perl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
BACK2_IP=$(e2e_ip 7)
STUNNEL_ACCEPT=$CALLER_IP:5071
ms_now() { date +%s%3N; }

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 37000 || exit 1
NG_PORT=$MEDIAD_NG
# the same ng port after a restart: dialog records name it
sed -i "s/^ng_listen = .*/ng_listen = 127.0.0.1:$NG_PORT/" "$DIR/mediad-a.ini"
# calls to 8091... go to the second backend, so that two calls can be up at once
SP_EXTRA="[route second]
match = ^8091\\d+\$
timeout_ms = 2000
target = sip:$BACK2_IP:5060"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." || exit 1
sleep 1

redis_restart_empty() {
	rm -f "$REDIS_SOCK"
	redis_start
}
# state field of a dialog record; "" when there is none
call_state() { rcli hget "sbc:call:$1" state; }
media_exists() { [ "$(rcli exists "sbc:media:$1")" = 1 ]; }
media_absent() { [ "$(rcli exists "sbc:media:$1")" = 0 ]; }
count_in() { grep -c "$1" "$2" 2>/dev/null || true; }
# A short call to the second backend: hung up by the caller after $1 ms. Sets SHORT_*.
short_call() {
	BACK_IP=$BACK2_IP CALL_USER=8091001 CALL_HOLD_MS=$2 call_start "$1" uac_call uas_call AES_CM_128_HMAC_SHA1_80
	BACK_IP=$BACK2_IP call_media MEDIA1 BACKEND1 || return 1
	SHORT_ID=$CALL_ID
}
# One INVITE over UDP from the caller's address; prints "<status> <Retry-After>" of the
# final response (or "none").
invite_probe() {
	perl -MIO::Socket::INET -e '
		my ($src, $dst) = @ARGV;
		my $s = IO::Socket::INET->new(LocalAddr => $src, PeerAddr => "$dst:5060", Proto => "udp") or die;
		my $cid = "probe-" . int(rand(1e9)) . "\@$src";
		my $p = $s->sockport;
		print $s "INVITE sip:8011009\@sbc.example.test SIP/2.0\r\nVia: SIP/2.0/UDP $src:$p;branch=z9hG4bK" .
		    int(rand(1e9)) . "\r\nFrom: <sip:probe\@$src>;tag=p1\r\nTo: <sip:8011009\@sbc.example.test>\r\n" .
		    "Call-ID: $cid\r\nCSeq: 1 INVITE\r\nContact: <sip:probe\@$src:$p>\r\nMax-Forwards: 70\r\n" .
		    "Content-Length: 0\r\n\r\n";
		my $end = time + 3;
		while (time < $end) {
			my $r = "";
			my $rin = ""; vec($rin, fileno($s), 1) = 1;
			last unless select(my $rout = $rin, undef, undef, 0.5);
			$s->recv($r, 65535);
			next unless $r =~ m{^SIP/2\.0 (\d+)};
			my $st = $1;
			next if $st < 200;
			my ($ra) = $r =~ m{\r\nRetry-After: *(\d+)}i;
			print "$st ", ($ra // "-"), "\n";
			exit 0;
		}
		print "none\n";' "$CALLER_IP" "$SIP_IP"
}
# Milliseconds until /metrics of sigproxy shows sigproxy_redis_up 0 (polled every 10 ms).
detect_ms() {
	perl -MHTTP::Tiny -MTime::HiRes=time,sleep -e '
		my ($port, $t0) = @ARGV;
		my $h = HTTP::Tiny->new(timeout => 1);
		while (time * 1000 - $t0 < 5000) {
			my $r = $h->get("http://127.0.0.1:$port/metrics");
			if ($r->{success} && $r->{content} =~ /^sigproxy_redis_up 0$/m) {
				printf "%d\n", time * 1000 - $t0;
				exit 0;
			}
			sleep 0.01;
		}
		print "99999\n";' "$SP_METRICS" "$1"
}

if part kill; then
# ---- Redis killed during two calls, one ends meanwhile, Redis back empty ----
ok "kill: long call up with media" long_call kill-long
KL_ID=$LONG_ID
ok "kill: short call up with media" short_call kill-short 3000
KS_ID=$SHORT_ID
ok "kill: both dialog records answered before the outage" bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$KL_ID' state)\" = answered ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$KS_ID' state)\" = answered ]"
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
e2e_forget "$REDIS_PID"
call_wait
ok "kill: the short call was hung up while Redis was away (caller rc $UAC_RC, backend rc $UAS_RC)" \
	test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "kill: sigproxy logged the loss at warn" grep -q " warn redis_lost" "$DIR/sigproxy-a.log"
ok "kill: mediad logged the loss at warn" grep -q " warn redis_lost" "$DIR/mediad-a.log"
ok "kill: sigproxy kept the end of the call" grep -q "dialog_end_kept key=sbc:call:$KS_ID" "$DIR/sigproxy-a.log"
ok "kill: mediad kept the delete of its record" grep -q "redis_delete_kept" "$DIR/mediad-a.log"
ok "kill: media of the long call flows while Redis is away" long_media 1000
sp_c=$(count_in redis_connected "$DIR/sigproxy-a.log")
md_c=$(count_in redis_connected "$DIR/mediad-a.log")
redis_restart_empty || { echo "redis-server did not restart" >&2; exit 1; }
ok "kill: both daemons reconnected by themselves" wait_for 10 bash -c \
	"[ \$(grep -c redis_connected '$DIR/sigproxy-a.log') -gt $sp_c ] &&
	 [ \$(grep -c redis_connected '$DIR/mediad-a.log') -gt $md_c ]"
sleep 0.5
ok "kill: the call hung up during the outage is ended in sbc:call" test "$(call_state "$KS_ID")" = ended
ok "kill: ... and has a TTL of call_ttl_ended" bash -c \
	"t=\$(redis-cli -s '$REDIS_SOCK' ttl 'sbc:call:$KS_ID'); [ \"\$t\" -gt 0 ] && [ \"\$t\" -le 120 ]"
ok "kill: ... and is gone from sbc:media" media_absent "$KS_ID"
ok "kill: the live call is answered in sbc:call again" test "$(call_state "$KL_ID")" = answered
ok "kill: ... with its tags, route and mediad" bash -c \
	"[ -n \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$KL_ID' to_tag)\" ] &&
	 [ -n \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$KL_ID' mediad_ng)\" ]"
ok "kill: the live call is in sbc:media again, owned by our mediad" test \
	"$(rcli hget "sbc:media:$KL_ID" owner)" = "e2e-a-$$"
ok "kill: mediad registration is back" wait_for 5 bash -c \
	"redis-cli -s '$REDIS_SOCK' smembers sbc:mediads | grep -qx 'e2e-a-$$'"
# A second instance (the first killed) handles the live call's BYE from the rewritten record.
kill -KILL "$SIGPROXY_PID"
e2e_stop "$SIGPROXY_PID"
sigproxy_start b "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
long_bye kill-bye
ok "kill: a second sigproxy answered the caller's BYE from the record (sipp rc $BYE_RC)" test "$BYE_RC" = 0
ok "kill: the backend got that BYE (sipp rc $BYE_UAS_RC)" test "$BYE_UAS_RC" = 0
ok "kill: the live call's media deleted by the second sigproxy" wait_for 5 media_absent "$KL_ID"
ok "kill: ... and its record ended" wait_for 5 bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$KL_ID' state)\" = ended ]"
fi

if part stop; then
# ---- Redis frozen (SIGSTOP): detection, 503, a call ended meanwhile, SIGCONT ----
ok "stop: long call up with media" long_call stop-long
SL_ID=$LONG_ID
# hung up some 3.5 s into the freeze: long after the 500 ms the daemons may take to see it
ok "stop: short call up with media" short_call stop-short 4000
SS_ID=$SHORT_ID
sleep 0.3
md_lost=$(count_in redis_lost "$DIR/mediad-a.log")
t0=$(ms_now)
kill -STOP "$REDIS_PID"
detect_ms "$t0" >"$DIR/detect.out" &
DETECT_PID=$!
now=$(ms_now)
[ $((now - t0)) -lt 450 ] && sleep "$(printf '0.%03d' $((450 - (now - t0))))"
t1=$(ms_now)
r=$(invite_probe)
echo "# INVITE sent $((t1 - t0)) ms after the freeze: $r"
wait "$DETECT_PID"
d=$(cat "$DIR/detect.out")
echo "# sigproxy saw the frozen Redis after $d ms"
ok "stop: sigproxy finds the frozen Redis within 500 ms (took $d ms)" test "$d" -lt 500
ok "stop: an INVITE 450 ms after the freeze gets 503 with Retry-After (got '$r')" test "$r" = "503 7"
ok "stop: mediad logged the loss at warn" wait_for 2 bash -c \
	"[ \$(grep -c ' warn redis_lost' '$DIR/mediad-a.log') -gt $md_lost ]"
call_wait
ok "stop: the short call was hung up during the freeze (caller rc $UAC_RC, backend rc $UAS_RC)" \
	test "$UAC_RC" = 0 -a "$UAS_RC" = 0
ok "stop: ... and its end kept" grep -q "dialog_end_kept key=sbc:call:$SS_ID" "$DIR/sigproxy-b.log"
sp_c=$(count_in redis_connected "$DIR/sigproxy-b.log")
md_c=$(count_in redis_connected "$DIR/mediad-a.log")
kill -CONT "$REDIS_PID"
ok "stop: both daemons reconnected after SIGCONT" wait_for 10 bash -c \
	"[ \$(grep -c redis_connected '$DIR/sigproxy-b.log') -gt $sp_c ] &&
	 [ \$(grep -c redis_connected '$DIR/mediad-a.log') -gt $md_c ]"
sleep 0.5
ok "stop: the call hung up during the freeze is ended in sbc:call" test "$(call_state "$SS_ID")" = ended
ok "stop: ... and gone from sbc:media" media_absent "$SS_ID"
ok "stop: the live call is still answered in both records" bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$SL_ID' state)\" = answered ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' exists 'sbc:media:$SL_ID')\" = 1 ]"
BACK_IP=$BACK2_IP CALL_USER=8091002 CALL_HOLD_MS=500 call_start stop-after uac_call uas_call AES_CM_128_HMAC_SHA1_80
BACK_IP=$BACK2_IP call_media MEDIA1 BACKEND1
rc=$?
call_wait
ok "stop: a new call after SIGCONT completes with media (media rc $rc, caller rc $UAC_RC, backend rc $UAS_RC)" \
	test "$rc" = 0 -a "$UAC_RC" = 0 -a "$UAS_RC" = 0
# A restarted mediad brings back the live call and none that ended during the outages,
# not even one whose media record is still there (a delete that a stopped mediad never got
# acknowledged): its dialog record says ended.
if part kill; then
	rcli hset "sbc:media:$KS_ID" call_id "$KS_ID" owner "e2e-a-$$" state answered version 1 >/dev/null
fi
e2e_stop "$MEDIAD_PID"
"$MEDIAD" -c "$DIR/mediad-a.ini" >>"$DIR/mediad-a.log" 2>&1 &
MEDIAD_PID=$!
PIDS+=("$MEDIAD_PID")
ok "stop: restarted mediad restored the live call" wait_for 5 grep -q "call_restored call_id=$SL_ID" "$DIR/mediad-a.log"
sleep 0.5
ok "stop: ... and none of the calls that ended during the outages" bash -c \
	"! grep -E 'call_restored call_id=($KS_ID|$SS_ID|${KL_ID:-none})' '$DIR/mediad-a.log'"
ok "stop: restarted mediad holds exactly one call" test "$(mediad_calls "$NG_PORT")" = 1
if part kill; then
	ok "stop: a left-over media record of an ended dialog is deleted, not restored" bash -c \
		"grep -q 'call_restore_skipped call_id=$KS_ID' '$DIR/mediad-a.log' &&
		 [ \"\$(redis-cli -s '$REDIS_SOCK' exists 'sbc:media:$KS_ID')\" = 0 ]"
fi
long_bye stop-bye
ok "stop: the live call's BYE after the restarts (sipp rc $BYE_RC, backend rc $BYE_UAS_RC)" \
	test "$BYE_RC" = 0 -a "$BYE_UAS_RC" = 0
ok "stop: its media and record are gone/ended" wait_for 5 bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' exists 'sbc:media:$SL_ID')\" = 0 ] &&
	 [ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$SL_ID' state)\" = ended ]"
fi

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

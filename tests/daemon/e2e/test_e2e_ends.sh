#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Calls the SBC ends itself, with real processes: redis-server, mediad (media_timeout 3 s),
# two sigproxy instances (A and B) sharing Redis, and e2e_ua playing both parties of each call
# (SRTP caller over SIP/UDP, RTP callee) with real media.
#  1. Media timeout: two calls whose media stops get a BYE on both legs with
#     Reason: SIP;cause=408;text="media timeout"; their records say ended/media_timeout, their
#     media is gone, and exactly one instance ended each call.
#  2. Hang-up through sbc:control: unknown, malformed and replayed requests and forged media
#     events (a live call's media, another mediad's name) are refused and logged, the call
#     untouched and its media flowing; the real request ends it with BYE on both legs.
#  3. Any surviving instance: a call set up through A, A killed with SIGKILL, then its media
#     stops: B ends it from Redis (BYE both legs), and picks up what A had left pending.
#  4. A hang-up of a call still ringing: the caller's INVITE gets 480 with the Reason, the
#     callee's is CANCELled.
# Every end also closes the call as any other end does: out of the live-calls index
# sbc:calls, one compliance line (w11's audit part) with the SBC's end_reason.
set -u
. "$(dirname "$0")/lib.sh"
UA=$BUILD/tests/e2e_ua
CTL=$BUILD/deploy/sbcctl/sbcctl
need redis-server redis-cli "$SIGPROXY" "$MEDIAD" "$UA" "$CTL" rtpengine-ng-client

SIP_A=$(e2e_ip 1)
SIP_B=$(e2e_ip 5)
IN_A=$(e2e_ip 2)
IN_B=$(e2e_ip 6)
MD_OUT=$(e2e_ip 3)
MD_IN=$(e2e_ip 4)
CALLER=$(e2e_ip 10)
BACK=$(e2e_ip 20)

redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_EXTRA="media_timeout = 3" mediad_start a "$MD_OUT" "$MD_IN" 31000 || exit 1
MD_ID=e2e-a-$$

SP_UDP_EXTRA="[compliance]
file = $DIR/calls-a.json" sigproxy_udp_start ends-a "$SIP_A" "$IN_A" "$BACK" || exit 1
A_PID=$SP_PID
A_METRICS=$SP_METRICS
SP_UDP_EXTRA="[compliance]
file = $DIR/calls-b.json" sigproxy_udp_start ends-b "$SIP_B" "$IN_B" "$BACK" || exit 1
B_PID=$SP_PID
rec() { redis-cli -s "$REDIS_SOCK" hget "sbc:call:$1" "$2"; }
ua_line() { grep "^ua_call i=$2 " "$DIR/$1.out"; }
xadd() { redis-cli -s "$REDIS_SOCK" xadd "$@" >/dev/null; }
# closed CID REASON: out of the live-calls index, one compliance line (either instance's
# file) naming the reason
closed() {
	wait_for 5 bash -c "test -z \"\$(redis-cli -s '$REDIS_SOCK' zscore sbc:calls '$1')\"" &&
	test "$(cat "$DIR"/calls-*.json 2>/dev/null | CID=$1 perl -MJSON::PP -ne \
		'my $j = decode_json($_); print "$j->{end_reason}\n" if $j->{call_id} eq $ENV{CID}')" = "$2"
}

# ---- 1. media timeout ----
ua_start ua1 "$SIP_A" "$CALLER" "$BACK" 8011001 2 -m 3000 -d 25000 -e
UA1=$UA_PID
ok "1: both calls answered, media both ways" wait_for 10 grep -q ua_media_up "$DIR/ua1.out"
mapfile -t C1 < <(ua_callids ua1)
CID1=${C1[0]:-}
CID2=${C1[1]:-}
wait "$UA1"
e2e_forget "$UA1"
for i in 0 1; do
	l=$(ua_line ua1 $i)
	ok "1: call $i: BYE to the caller with the media timeout Reason" \
		grep -qF 'bye_caller="SIP;cause=408;text="media timeout""' <<<"$l"
	ok "1: call $i: BYE to the callee with the media timeout Reason" \
		grep -qF 'bye_callee="SIP;cause=408;text="media timeout""' <<<"$l"
	ok "1: call $i: media flowed bit-exact before it stopped" \
		test "$(field "$l" rx_s2r)" -gt 20 -a "$(field "$l" rx_r2s)" -gt 20 -a \
		"$(field "$l" bad)" = 0 -a "$(field "$l" authfail)" = 0
	ok "1: call $i: the SBC's BYEs kept the CSeq order" test "$(field "$l" cseq_errors)" = 0
done
for c in "$CID1" "$CID2"; do
	ok "1: $c: record ended, end_reason media_timeout" wait_for 5 bash -c \
		"test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$c' state)/\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$c' end_reason)\" = ended/media_timeout"
	ok "1: $c: media record gone" test "$(redis-cli -s "$REDIS_SOCK" exists "sbc:media:$c")" = 0
	ok "1: $c: out of sbc:calls, one compliance line saying media_timeout" closed "$c" media_timeout
	ok "1: $c: ended by exactly one instance" test "$(cat "$DIR"/sigproxy-*.log |
		grep -c "call_hangup cause=media_timeout .*call_id=$c")" = 1
done
# log_ms FILE PATTERN: wall ms of the first line matching PATTERN (its ISO timestamp)
log_ms() {
	PAT=$2 perl -MTime::Local -ne 'if (index($_, $ENV{PAT}) >= 0 &&
		/^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z/) {
		print timegm($6, $5, $4, $3, $2 - 1, $1) * 1000 + $7, "\n"; exit }' "$1"
}
# the figures: last media packet -> mediad's event -> the BYEs (call_hangup) per call
for i in 0 1; do
	c=${C1[$i]:-}
	last=$(field "$(ua_line ua1 $i)" last_s2r)
	grep "event_sent type=media_timeout" "$DIR/mediad-a.log" | grep -F "call_id=$c" >"$DIR/ev.$i"
	cat "$DIR"/sigproxy-*.log | grep -F "call_id=$c" | grep "call_hangup cause=media_timeout" >"$DIR/bye.$i"
	ev=$(log_ms "$DIR/ev.$i" event_sent)
	bye=$(log_ms "$DIR/bye.$i" call_hangup)
	echo "# call $i: media stopped -> event $((${ev:-0} - ${last:-0})) ms (media_timeout 3 s), event -> BYEs $((${bye:-0} - ${ev:-0})) ms"
	ok "1: call $i: BYEs within 1.5 s of mediad's event ($((${bye:-0} - ${ev:-0})) ms)" \
		test -n "$ev" -a -n "$bye" -a -n "$last" -a "$((bye - ev))" -ge 0 -a "$((bye - ev))" -lt 1500
done
ok "1: mediad said so for both calls" test "$(grep -c 'event_sent type=media_timeout' "$DIR/mediad-a.log")" = 2
ok "1: mediad holds no call" wait_for 5 mediad_empty
ok "1: mediad's calls index is empty" test "$(redis-cli -s "$REDIS_SOCK" scard "sbc:mediad_calls:$MD_ID")" = 0
ok "1: counted" test "$(( $(metric_get "$A_METRICS" 'sigproxy_calls_ended_total{reason="media_timeout"}') +
	$(metric_get "$SP_METRICS" 'sigproxy_calls_ended_total{reason="media_timeout"}') ))" = 2

# ---- 2. hang-up through sbc:control, and what is refused ----
ua_start ua2 "$SIP_A" "$CALLER" "$BACK" 8011003 1 -d 25000 -e
UA2=$UA_PID
ok "2: call up, media both ways" wait_for 10 grep -q ua_media_up "$DIR/ua2.out"
CID3=$(ua_callids ua2)
snap=$(redis-cli -s "$REDIS_SOCK" hgetall "sbc:call:$CID3" | sort)
refused0=$(cat "$DIR"/sigproxy-*.log | grep -c hangup_refused)
xadd sbc:control '*' cmd hangup call_id "no-such-call-$$" by mallory
xadd sbc:control '*' cmd hangpu call_id "$CID3" by mallory
xadd sbc:control '*' cmd hangup by mallory
xadd sbc:control '*' cmd hangup call_id $'evil\r\nBYE sip:x' by mallory
xadd sbc:events '*' type media_timeout call_id "$CID3" mediad "$MD_ID" reason no-media
xadd sbc:events '*' type media_timeout call_id "$CID3" mediad not-its-mediad reason no-media
xadd sbc:events '*' type no_such_event call_id "$CID3"
ok "2: seven forged requests refused and logged" wait_for 10 bash -c \
	"test \$(cat '$DIR'/sigproxy-*.log | grep -c hangup_refused) -ge $((refused0 + 7))"
l=$(cat "$DIR"/sigproxy-*.log)
ok "2: refusal reasons: unknown, malformed, media_alive, wrong_mediad" bash -c "
	grep -q 'hangup_refused request=hangup reason=unknown' <<<\"\$0\" &&
	grep -q 'hangup_refused request=hangpu reason=malformed' <<<\"\$0\" &&
	grep -q 'hangup_refused request=media_timeout reason=media_alive' <<<\"\$0\" &&
	grep -q 'hangup_refused request=media_timeout reason=wrong_mediad' <<<\"\$0\"" "$l"
ok "2: no log line forged by the CRLF in a Call-ID" bash -c "! grep -q '^BYE sip:x' '$DIR'/sigproxy-*.log"
sleep 0.5
ok "2: the call untouched: record byte for byte" test "$(redis-cli -s "$REDIS_SOCK" hgetall "sbc:call:$CID3" | sort)" = "$snap"
ok "2: no BYE reached either party" bash -c "kill -0 $UA2"
ok "2: its media still at mediad" test "$(mediad_calls)" = 1
ok "2: sbcctl lists it" bash -c "'$CTL' --redis '$REDIS_SOCK' calls | grep -qF '$CID3'"
"$CTL" --redis "$REDIS_SOCK" hangup "$CID3" >"$DIR/ctl-hangup.out" 2>&1
ok "2: sbcctl hangup (the one request format): exit 0, ended (hangup)" \
	bash -c "test $? = 0 && grep -q '^call $CID3 ended (hangup), requested by ' '$DIR/ctl-hangup.out'"
wait "$UA2"
e2e_forget "$UA2"
l=$(ua_line ua2 0)
ok "2: hang-up: BYE to the caller with the operator's Reason" \
	grep -qF 'bye_caller="Q.850;cause=16;text="hangup by operator""' <<<"$l"
ok "2: hang-up: BYE to the callee with the operator's Reason" \
	grep -qF 'bye_callee="Q.850;cause=16;text="hangup by operator""' <<<"$l"
ok "2: media flowed to the end without a gap" test "$(field "$l" gap_s2r)" -lt 500 -a "$(field "$l" gap_r2s)" -lt 500
ok "2: record ended, end_reason hangup" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID3' state)/\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID3' end_reason)\" = ended/hangup"
ok "2: media gone" wait_for 5 mediad_empty
ok "2: out of sbc:calls, one compliance line saying hangup" closed "$CID3" hangup
snap=$(redis-cli -s "$REDIS_SOCK" hgetall "sbc:call:$CID3" | sort)
xadd sbc:control '*' cmd hangup call_id "$CID3" by alice
ok "2: the replayed request is refused (the call ended)" wait_for 5 bash -c \
	"cat '$DIR'/sigproxy-*.log | grep -q 'hangup_refused request=hangup reason=unknown .*call_id=$CID3'"
ok "2: ... and changes nothing" test "$(redis-cli -s "$REDIS_SOCK" hgetall "sbc:call:$CID3" | sort)" = "$snap"

# ---- 3. the instance that set the call up is gone: another ends it ----
ua_start ua3 "$SIP_A" "$CALLER" "$BACK" 8011004 1 -m 2500 -d 25000 -e
UA3=$UA_PID
ok "3: call up through A" wait_for 10 grep -q ua_media_up "$DIR/ua3.out"
CID4=$(ua_callids ua3)
# A leaves an entry pending as it dies: B claims it once A stopped reading
xadd sbc:control '*' cmd hangup call_id "pending-of-a-$$" by tester
kill -KILL "$A_PID"
wait "$A_PID" 2>/dev/null
e2e_forget "$A_PID"
wait "$UA3"
e2e_forget "$UA3"
l=$(ua_line ua3 0)
ok "3: B ended A's call: BYE to both with the media timeout Reason" bash -c \
	"grep -q 'bye_caller=\"SIP;cause=408' <<<'$l' && grep -q 'bye_callee=\"SIP;cause=408' <<<'$l'"
ok "3: B did it from the record" grep -q "call_hangup cause=media_timeout .*from=redis.*call_id=$CID4" "$DIR/sigproxy-ends-b.log"
ok "3: record ended by B" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID4' state)/\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID4' end_reason)/\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID4' instance)\" = ended/media_timeout/e2e-ends-b-$$"
ok "3: A's call out of sbc:calls, one compliance line saying media_timeout" closed "$CID4" media_timeout
ok "3: ... written by B" grep -qF "\"call_id\":\"$CID4\"" "$DIR/calls-b.json"
ok "3: B took over what A left pending" wait_for 15 bash -c \
	"grep -q 'reason=unknown .*call_id=pending-of-a-$$' '$DIR/sigproxy-ends-b.log'"
ok "3: nothing left pending in the group" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' xpending sbc:control sigproxy | head -1)\" = 0 &&
	 test \"\$(redis-cli -s '$REDIS_SOCK' xpending sbc:events sigproxy | head -1)\" = 0"
# ---- 4. an operator's hang-up of a call still ringing: the INVITE ends ----
ua_start ua4 "$SIP_B" "$CALLER" "$BACK" 8011005 1 -r 20000 -d 15000 -e
CID5="ua-$UA_PID-0@$CALLER"
ok "4: the call is set up, not answered" wait_for 10 bash -c \
	"case \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID5' state)\" in setup|early) ;; *) exit 1 ;; esac"
sleep 0.5	# the callee's 180 on its way
xadd sbc:control '*' cmd hangup call_id "$CID5" by alice
wait "$UA_PID"
e2e_forget "$UA_PID"
ok "4: the caller's INVITE ends with 480 and the operator's Reason" \
	grep -qF 'ua_failed i=0 status=480 reason="Q.850;cause=16;text="hangup by operator"" cancelled=1' "$DIR/ua4.out"
ok "4: the callee's INVITE was CANCELled (it answered 487)" grep -q 'cancelled=1' "$DIR/ua4.out"
ok "4: record ended, end_reason hangup" wait_for 5 bash -c \
	"test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID5' state)/\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID5' end_reason)\" = ended/hangup"
ok "4: out of sbc:calls, one compliance line saying hangup" closed "$CID5" hangup

ok "B still running" kill -0 "$B_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
ok "every line both daemons wrote is event key=value" \
	perl "$E2E_DIR_SRC/log_format.pl" "$DIR"/sigproxy-*.log "$DIR"/mediad-*.log
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# sbcctl, the operator CLI, against the whole SBC (redis-server, mediad, sigproxy, sipp callers
# over TLS and UDP, sipp backends). Phases, run in the order given:
#   calls   two live calls (TLS + SRTP with media, and plain UDP from a caller whose URI holds a
#           newline and an escape sequence and whose Call-ID holds shell metacharacters): calls
#           and show, plain and --json, keys masked; stale index members removed by the reader;
#           after the calls only live calls are listed; redis MONITOR sees no SCAN or KEYS.
#   drain   drain a mediad: no new call goes to it (503, OPTIONS 503), the flag survives its
#           re-registration, undrain takes calls again; unknown ids refused.
#   trace   trace on/off/default through sbc:trace, bad filters refused before anything changes.
#   hangup  hangup of an answered TLS call (BYE reaches both parties, record and compliance
#           line say hangup), of a ringing call (CANCEL to the backend, 480 to the caller);
#           missing, ended and orphaned calls give a clear error and exit 1; a request
#           written before sigproxy started for a call not up is refused (unknown) and
#           never ends a later call with that Call-ID; forged requests are refused.
# SP_CALL_ID_REPLACE=1: [dialog] call_id_replace (the backend's leg has a Call-ID of the SBC's
# own: the hang-up's BYE to it must carry that one).
set -u
. "$(dirname "$0")/lib.sh"
CTL=$BUILD/deploy/sbcctl/sbcctl
need sipp stunnel4 redis-server redis-cli openssl perl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA" "$CTL"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
PLAIN_IP=$(e2e_ip 7)
BACK2_IP=$(e2e_ip 8)
STUNNEL_ACCEPT=$CALLER_IP:5071
PHASES=("$@")
[ ${#PHASES[@]} -gt 0 ] || PHASES=(calls drain trace hangup)
has_phase() { local p; for p in "${PHASES[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
# a request written before sigproxy starts, for a call not up then, must never end that
# call later (phase hangup checks it): the consumer group refuses it once and acknowledges it
REPLAY_CID="replayed-$$-1@e2e"
rcli xadd sbc:control '*' cmd hangup call_id "$REPLAY_CID" by attacker >/dev/null
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
MD_ID=e2e-a-$$
SP_EXTRA="[route plain]
match = ^8022\\d+\$
target = sip:$BACK2_IP:5060
[compliance]
file = $DIR/calls.json
${SP_CALL_ID_REPLACE:+[dialog]
call_id_replace = yes}" sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' exists 'sbc:mediad:$MD_ID' | grep -q 1" ||
	echo "# mediad registration not seen in redis"
sleep 1
# the INI path (its [redis] unix_socket) for every call of the tool
ctl() { "$CTL" -c "$DIR/sigproxy-a.ini" "$@"; }
json() { perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>); '"$2" <"$1"; }

# plain_call TAG CID USER HOLD_MS: plain UDP caller -> route "plain" -> its own backend
plain_call() {
	mkdir -p "$DIR/$1"
	(cd "$DIR/$1" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/uas_call.xml" -i "$BACK2_IP" -p 5060 \
		-m 1 -set mip "$BACK2_IP" -set mport 40000 -timeout 35s -trace_err -trace_logs \
		>uas.out 2>&1) &
	PLAIN_UAS_PID=$!
	PIDS+=("$PLAIN_UAS_PID")
	sleep 0.2
	(cd "$DIR/$1" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/uac_plain.xml" -i "$PLAIN_IP" -p 5062 \
		"$SIP_IP:5060" -s 8022001 -m 1 -d "$4" -timeout 35s -set domain sbc.example.test \
		-set mip "$PLAIN_IP" -set mport 40002 -set cuser "$3" -cid_str "$2" \
		-trace_err -trace_logs >uac.out 2>&1) &
	PLAIN_UAC_PID=$!
	PIDS+=("$PLAIN_UAC_PID")
}
plain_wait() {
	wait "$PLAIN_UAC_PID"
	PLAIN_UAC_RC=$?
	wait "$PLAIN_UAS_PID"
	PLAIN_UAS_RC=$?
	e2e_forget "$PLAIN_UAC_PID" "$PLAIN_UAS_PID"
}

phase_calls() {
	local weird_cid weird_caller out n mon
	# sipp's %u makes the Call-ID unique; the rest are characters a shell would act on
	weird_cid='x$(touch${IFS}pwned)`;|&"<>\%u@e2e'
	WEIRD_ID='x$(touch${IFS}pwned)`;|&"<>\1@e2e'
	weird_caller='%0Aevil%22%1B[31m'
	redis-cli -s "$REDIS_SOCK" monitor >"$DIR/monitor.log" 2>&1 &
	mon=$!
	PIDS+=("$mon")
	plain_call plain "$weird_cid" "$weird_caller" 9000
	CALL_HOLD_MS=9000 call_start tls uac_call uas_call AES_CM_128_HMAC_SHA1_80
	call_media MEDIA1 BACKEND1
	ok "calls: the TLS call has media both ways (e2e_media rc $?)" test $? = 0
	ok "calls: the plain call is answered" wait_for 5 grep -qs "PLAIN1 callid=" "$DIR/plain"/uac_*_logs.log

	ctl calls >"$DIR/calls.out" 2>"$DIR/calls.err"
	ok "calls: exit 0" test $? = 0
	sed 's/^/# /' "$DIR/calls.out"
	ok "calls: a header, one line per live call, a count" \
		bash -c "test \$(wc -l <'$DIR/calls.out') = 4 && tail -1 '$DIR/calls.out' | grep -q '^2 calls\$'"
	out=$(grep -F -- "$CALL_ID " "$DIR/calls.out")
	ok "calls: the TLS call's line: Call-ID, state, parties, route, target, mediad" \
		bash -c '[[ $1 == *" answered  "*"sip:caller@sbc.example.test"*"sip:8011001@sbc.example.test"*" e2e "*"sip:'"$BACK_IP"':5060"*"'"$MD_ID"'"* ]]' _ "$out"
	ok "calls: ... TLS version and suite of the caller's leg, plain RTP on the callee's" \
		bash -c '[[ $1 == *" tls/TLSv1."[23]"/AES_CM_128_HMAC_SHA1_80  udp/-/plain "* ]]' _ "$out"
	ok "calls: ... packets so far from mediad (40 each way) and no loss" \
		bash -c '[[ $1 == *" 40/40 "*" 0/0" ]]' _ "$out"
	ok "calls: the plain call's line is one escaped line (newline and ESC as \\x0a, \\x1b)" \
		grep -qF 'x$(touch${IFS}pwned)`;|&"<>\x5c1@e2e  ' "$DIR/calls.out"
	ok "calls: ... caller shown escaped, plain on both legs" \
		grep -qF 'sip:\x0aevil"\x1b[31m@sbc.example.test  sip:8022001@sbc.example.test  plain' "$DIR/calls.out"
	ok "calls: no raw control byte in the output" bash -c "! grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]' '$DIR/calls.out'"
	ok "calls: the Call-ID's command substitution ran nowhere" bash -c "! test -e pwned && ! test -e '$DIR/pwned'"

	ctl --json calls >"$DIR/list.json" 2>/dev/null
	ok "calls --json: parses, count 2" json "$DIR/list.json" 'exit !($j->{count} == 2 && @{$j->{calls}} == 2)'
	ok "calls --json: the TLS call: legs, suite, TLS version, packets, media ok" \
		json "$DIR/list.json" 'my ($c) = grep { $_->{call_id} eq q{'"$CALL_ID"'} } @{$j->{calls}};
		exit !($c && $c->{media} eq "ok" && $c->{legs}{caller}{transport} eq "tls" &&
		$c->{legs}{caller}{tls_version} =~ /^TLSv1\.[23]$/ && $c->{legs}{caller}{srtp} eq "AES_CM_128_HMAC_SHA1_80" &&
		$c->{legs}{caller}{packets_in} == 40 && $c->{legs}{callee}{packets_in} == 40 &&
		$c->{legs}{callee}{srtp} eq "plain" && $c->{source} =~ /^'"$CALLER_IP"':\d+$/ &&
		$c->{start_time} =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ && $c->{ruri_user} eq "8011001")'
	ok "calls --json: the weird Call-ID and caller come back byte for byte" \
		json "$DIR/list.json" 'exit !(grep { $_->{call_id} eq q{'"$WEIRD_ID"'} && $_->{caller} eq "sip:\nevil\"\e[31m\@sbc.example.test" } @{$j->{calls}})'

	ctl show "$CALL_ID" >"$DIR/show.out" 2>&1
	ok "show: exit 0, the record, media now, mediad's record" \
		bash -c "test $? = 0 && grep -q '^  caller_tls_version     TLSv1' '$DIR/show.out' && grep -q '^media now (from mediad):' '$DIR/show.out' && grep -q '^media record sbc:media:<id> (keys masked):' '$DIR/show.out'"
	ok "show: SRTP keys masked" grep -q '^  a_m1_rx_key            \*\*\*\*$' "$DIR/show.out"
	ctl --json show "$CALL_ID" >"$DIR/show.json" 2>&1
	ok "show --json: parses; record, media_now, media_record (keys ****)" \
		json "$DIR/show.json" 'exit !($j->{record}{state} eq "answered" && $j->{media_now}{caller}{packets_in} == 40 && $j->{media_record}{a_m1_rx_key} eq "****" && $j->{ttl} > 0)'
	for k in "$CALL_KEY" "$CALL_KEY2" "${CALL_AKEY:-x}"; do
		ok "show: no key of the call (${k:0:6}...) in its output" \
			bash -c '! grep -qF -e "$1" "$2" "$3"' _ "$k" "$DIR/show.out" "$DIR/show.json"
	done
	ctl show "$WEIRD_ID" >"$DIR/show-weird.out" 2>&1
	ok "show: the weird call by its exact Call-ID, escaped" \
		bash -c "test $? = 0 && grep -qF 'caller                 sip:\\x0aevil\"\\x1b[31m@sbc.example.test' '$DIR/show-weird.out'"

	# stale members: an expired record and an ended one are removed by the reader; one listed
	# before the live calls and one after them (the replies of the others must stay theirs)
	rcli zadd sbc:calls 1 "ghost-$$" >/dev/null
	rcli hset "sbc:call:ended-$$" state ended end_reason bye >/dev/null
	rcli zadd sbc:calls 4102444800 "ended-$$" >/dev/null
	ctl calls >"$DIR/calls2.out" 2>&1
	ok "calls: stale members not listed, removed, and said so" \
		bash -c "grep -q '^2 calls (2 ended or expired removed from sbc:calls)\$' '$DIR/calls2.out' && ! grep -q -e ghost- -e ended- '$DIR/calls2.out'"
	ok "calls: ... each live call still with its own record" \
		bash -c "grep -qF '$CALL_ID  ' '$DIR/calls2.out' && grep -F '$CALL_ID  ' '$DIR/calls2.out' | grep -q 'sip:caller@sbc.example.test' && grep -F 'x\$(touch' '$DIR/calls2.out' | grep -q 'sip:8022001@sbc.example.test  plain'"
	ok "calls: ... gone from the index" \
		bash -c "test -z \"\$(redis-cli -s '$REDIS_SOCK' zscore sbc:calls ghost-$$)\" && test -z \"\$(redis-cli -s '$REDIS_SOCK' zscore sbc:calls ended-$$)\""

	call_wait
	plain_wait
	ok "calls: both calls completed (tls $UAC_RC/$UAS_RC, plain $PLAIN_UAC_RC/$PLAIN_UAS_RC)" \
		test "$UAC_RC$UAS_RC$PLAIN_UAC_RC$PLAIN_UAS_RC" = 0000
	ok "calls: after BYE the index is empty" wait_for 5 bash -c "test \"\$(redis-cli -s '$REDIS_SOCK' zcard sbc:calls)\" = 0"
	ctl calls >"$DIR/calls3.out" 2>&1
	ok "calls: ended calls not listed" bash -c "test \$(wc -l <'$DIR/calls3.out') = 2 && grep -q '^0 calls\$' '$DIR/calls3.out'"
	ctl --json calls >"$DIR/calls3.json" 2>&1
	ok "calls --json: count 0" json "$DIR/calls3.json" 'exit !($j->{count} == 0 && @{$j->{calls}} == 0)'
	ctl show "$CALL_ID" >"$DIR/show-ended.out" 2>&1
	ok "show: an ended call's record is still there, with its media summary" \
		bash -c "grep -q '^  state                  ended' '$DIR/show-ended.out' && grep -q '^  caller_packets_in      40' '$DIR/show-ended.out' && grep -q '^media now: call ended' '$DIR/show-ended.out'"
	e2e_stop "$mon"
	ok "MONITOR: the listing read the index (ZRANGE sbc:calls)" grep -q '"ZRANGE" "sbc:calls"' "$DIR/monitor.log"
	ok "MONITOR: sigproxy added and removed the calls (ZADD, ZREM)" \
		bash -c "grep -q '\"ZADD\" \"sbc:calls\"' '$DIR/monitor.log' && grep -q '\"ZREM\" \"sbc:calls\"' '$DIR/monitor.log'"
	n=$(grep -cE '"(SCAN|KEYS)"' "$DIR/monitor.log")
	ok "MONITOR: no SCAN or KEYS while the calls were listed ($n)" test "$n" = 0

	ok "compliance: the weird call's line parses, Call-ID and caller exact" \
		perl -MJSON::PP -ne 'my $j = decode_json($_); $ok = 1 if $j->{call_id} eq q{'"$WEIRD_ID"'} && $j->{caller} eq "sip:\nevil\"\e[31m\@sbc.example.test"; END { exit !$ok }' "$DIR/calls.json"
	ok "compliance: one line per call, no raw control byte" \
		bash -c "test \$(wc -l <'$DIR/calls.json') = 2 && ! grep -qP '[\\x00-\\x1f\\x7f]' '$DIR/calls.json'"

	ctl show "no-such-call-$$" >"$DIR/show-missing.out" 2>&1
	ok "show of a missing call: exit 1 and why" \
		bash -c "test $? = 1 && grep -q \"^sbcctl: no call 'no-such-call-$$': no record\" '$DIR/show-missing.out'"
	ctl show >/dev/null 2>&1
	ok "show without a Call-ID: exit 2" test $? = 2
	"$CTL" --redis "$DIR/nonexistent.sock" calls >/dev/null 2>"$DIR/noredis.err"
	ok "no Redis there: exit 2 and where it looked" \
		bash -c "test $? = 2 && grep -q 'cannot reach Redis at $DIR/nonexistent.sock' '$DIR/noredis.err'"
	"$CTL" -c "$DIR/missing.ini" calls >/dev/null 2>&1
	ok "a missing INI: exit 2" test $? = 2
}

phase_drain() {
	local r
	ctl mediads >"$DIR/mediads.out" 2>&1
	sed 's/^/# /' "$DIR/mediads.out"
	ok "mediads: the mediad, up, not drained, answering pings" \
		grep -qE "^$MD_ID +127\.0\.0\.1:[0-9]+ +up +no +.* [0-9.]+ms " "$DIR/mediads.out"
	ctl drain "nosuch-$$" >/dev/null 2>"$DIR/drain-bad.err"
	ok "drain of an unknown mediad: exit 1, nothing written" \
		bash -c "test $? = 1 && grep -q \"no mediad 'nosuch-$$' registered\" '$DIR/drain-bad.err' && test \"\$(redis-cli -s '$REDIS_SOCK' exists sbc:mediad:nosuch-$$)\" = 0"
	ctl drain "$MD_ID" >"$DIR/drain.out" 2>&1
	ok "drain: exit 0" test $? = 0
	ok "drain: the flag in the registration" test "$(rcli hget "sbc:mediad:$MD_ID" drain)" = yes
	ok "drain: the request in sbc:control" bash -c "redis-cli -s '$REDIS_SOCK' xrevrange sbc:control + - count 1 | grep -q '^drain\$'"
	ok "drain: sigproxy takes it" wait_for 3 grep -q "mediad_drained id=$MD_ID by=" "$DIR/sigproxy-a.log"
	r=$(perl "$E2E_DIR_SRC/sip_invite.pl" "$PLAIN_IP" "$SIP_IP:5060" 8022009 "drained-$$@e2e" 5 | grep final)
	ok "drain: a new call gets 503 ($r)" bash -c '[[ $1 == "final 503 "* ]]' _ "$r"
	r=$(perl "$E2E_DIR_SRC/sip_options.pl" ask "$PLAIN_IP" "$SIP_IP:5060" 8022009)
	ok "drain: OPTIONS to the SBC say 503 with no mediad to take calls ($r)" bash -c '[[ $1 == 503* ]]' _ "$r"
	sleep 1.2	# mediad re-registers every 500 ms
	ok "drain: the flag survives mediad's re-registration" test "$(rcli hget "sbc:mediad:$MD_ID" drain)" = yes
	ctl --json mediads >"$DIR/mediads.json" 2>&1
	ok "mediads --json: drain yes" json "$DIR/mediads.json" 'exit !($j->{mediads}[0]{drain} eq "yes" && $j->{mediads}[0]{id} eq "'"$MD_ID"'")'
	ctl undrain "$MD_ID" >/dev/null 2>&1
	ok "undrain: the flag is gone" test -z "$(rcli hget "sbc:mediad:$MD_ID" drain)"
	ok "undrain: sigproxy takes it" wait_for 3 grep -q "mediad_undrained id=$MD_ID" "$DIR/sigproxy-a.log"
	mkdir -p "$DIR/undrained"
	(cd "$DIR/undrained" && exec timeout 20 sipp -sf "$E2E_DIR_SRC/uas_call.xml" -i "$BACK2_IP" \
		-p 5060 -m 1 -set mip "$BACK2_IP" -set mport 40000 -timeout 15s -trace_err \
		>uas.out 2>&1) &
	SIDE_PID=$!
	PIDS+=("$SIDE_PID")
	sleep 0.2
	r=$(perl "$E2E_DIR_SRC/sip_invite.pl" "$PLAIN_IP" "$SIP_IP:5060" 8022010 "undrained-$$@e2e" 5 | grep final)
	ok "undrain: a new call is answered again ($r)" bash -c '[[ $1 == "final 200 "* ]]' _ "$r"
	wait "$SIDE_PID" 2>/dev/null
	e2e_forget "$SIDE_PID"
}

phase_trace() {
	ctl trace on --call "trace-$$@e2e" --for 60 >/dev/null 2>&1
	ok "trace on: exit 0, sbc:trace set with a TTL" \
		bash -c "test $? = 0 && test \"\$(redis-cli -s '$REDIS_SOCK' hget sbc:trace call)\" = 'trace-$$@e2e' && t=\$(redis-cli -s '$REDIS_SOCK' ttl sbc:trace) && [ \"\$t\" -gt 0 ] && [ \"\$t\" -le 60 ]"
	ok "trace on: every sigproxy applies it" \
		wait_for 3 grep -q "sip_trace_control source=redis key=sbc:trace on=yes call=\"trace-$$@e2e\"" "$DIR/sigproxy-a.log"
	ctl trace >"$DIR/trace.out" 2>&1
	ok "trace: the status says on, the filter, the expiry" \
		bash -c "grep -q '^trace on (every sigproxy, from sbc:trace, expires in' '$DIR/trace.out' && grep -q '^  call   trace-$$@e2e' '$DIR/trace.out'"
	ctl trace on --number '([' >/dev/null 2>"$DIR/trace-bad.err"
	ok "trace on with a bad regular expression: exit 2, nothing changed" \
		bash -c "test $? = 2 && grep -q -- '--number:' '$DIR/trace-bad.err' && test \"\$(redis-cli -s '$REDIS_SOCK' hget sbc:trace call)\" = 'trace-$$@e2e'"
	ctl trace on --peer 'not-a-network' >/dev/null 2>&1
	ok "trace on with a bad peer: exit 2" test $? = 2
	ctl trace on --cal x >/dev/null 2>&1
	ok "trace on with a misspelt option: exit 2" test $? = 2
	ctl trace off >/dev/null 2>&1
	ok "trace off: on=no for every sigproxy" \
		wait_for 3 grep -q 'sip_trace_control source=redis key=sbc:trace on=no call=""' "$DIR/sigproxy-a.log"
	ctl trace default >/dev/null 2>&1
	ok "trace default: the key is gone, back to the configuration" \
		bash -c "test \"\$(redis-cli -s '$REDIS_SOCK' exists sbc:trace)\" = 0"
	ok "trace default: sigproxy says so" wait_for 3 grep -q "sip_trace_control source=redis key=sbc:trace state=removed" "$DIR/sigproxy-a.log"
}

phase_hangup() {
	local t0 t1 r ring
	# the request written before sigproxy started: refused then, a call with that Call-ID stays up
	ok "the request older than the call: refused as unknown" \
		wait_for 3 grep -q "hangup_refused request=hangup reason=unknown by=operator:attacker .*call_id=$REPLAY_CID" "$DIR/sigproxy-a.log"
	CALL_HOLD_MS=2500 call_start replay uac_call uas_call AES_CM_128_HMAC_SHA1_80 -cid_str "replayed-$$-%u@e2e"
	call_media MEDIA1 BACKEND1
	call_wait
	ok "a hangup request older than sigproxy is not run (the call ended by its own BYE)" \
		wait_for 3 bash -c "test \"$UAC_RC$UAS_RC\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$REPLAY_CID' end_reason)\" = 00bye_caller"

	CALL_HOLD_MS=20000 call_start hangup uac_rbye uas_call AES_CM_128_HMAC_SHA1_80
	call_media MEDIA1 BACKEND1
	ok "hangup: the call is up (media both ways)" test $? = 0
	t0=$(ms_now)
	ctl hangup "$CALL_ID" >"$DIR/hangup.out" 2>&1
	r=$?
	t1=$(ms_now)
	ok "hangup: exit 0 within 3 s ($((t1 - t0)) ms)" test "$r" = 0 -a $((t1 - t0)) -lt 3000
	ok "hangup: says the call ended and who asked" grep -q "^call $CALL_ID ended (hangup), requested by " "$DIR/hangup.out"
	call_wait
	ok "hangup: the BYE reached the caller (over its TLS connection) and the backend; both answered (sipp rc $UAC_RC/$UAS_RC)" \
		test "$UAC_RC$UAS_RC" = 00
	if [ -n "${SP_CALL_ID_REPLACE:-}" ]; then
		ok "hangup: the backend's BYE carried the Call-ID of its leg (the SBC's own)" \
			bash -c "grep -A8 '^BYE ' '$DIR/hangup'/uas_*_messages.log | grep -q '^Call-ID: sbcleg-'"
	fi
	ok "hangup: both BYEs answered 200" \
		bash -c "grep -q 'uac_final method=BYE leg=caller status=200 call_id=$CALL_ID' '$DIR/sigproxy-a.log' && grep -q 'uac_final method=BYE leg=callee status=200 call_id=$CALL_ID' '$DIR/sigproxy-a.log'"
	ok "hangup: record ended, reason hangup, out of the index" \
		bash -c "test \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CALL_ID' end_reason)\" = hangup && test -z \"\$(redis-cli -s '$REDIS_SOCK' zscore sbc:calls '$CALL_ID')\""
	ok "hangup: the compliance line says hangup" \
		perl -MJSON::PP -ne 'my $j = decode_json($_); $ok = 1 if $j->{call_id} eq q{'"$CALL_ID"'} && $j->{end_reason} eq "hangup"; END { exit !$ok }' "$DIR/calls.json"
	ok "hangup: mediad's call is gone" wait_for 5 mediad_empty

	ctl hangup "$CALL_ID" >/dev/null 2>"$DIR/hangup2.err"
	ok "hangup of an ended call: exit 1, already ended" \
		bash -c "test $? = 1 && grep -q 'already ended (hangup)' '$DIR/hangup2.err'"
	ctl hangup "nosuch-$$" >/dev/null 2>"$DIR/hangup3.err"
	ok "hangup of a missing call: exit 1, no call" bash -c "test $? = 1 && grep -q \"no call 'nosuch-$$'\" '$DIR/hangup3.err'"
	rcli hset "sbc:call:orphan-$$" state answered instance gone-instance >/dev/null
	ctl hangup "orphan-$$" --wait 1 >/dev/null 2>"$DIR/hangup4.err"
	ok "hangup of a call no running sigproxy holds: exit 1 naming its instance" \
		bash -c "test $? = 1 && grep -q 'not ended within 1 s: its sigproxy (gone-instance) did not act' '$DIR/hangup4.err'"
	ctl --json hangup "orphan-$$" --wait 1 >"$DIR/hangup4.json" 2>/dev/null
	ok "hangup --json of it: parses, result not ended" json "$DIR/hangup4.json" 'exit !($j->{result} eq "not ended")'

	# a ringing call: the INVITE is cancelled, the caller hears 480
	side_uas ring "$BACK_IP" uas_ring_hang
	perl "$E2E_DIR_SRC/sip_invite.pl" "$PLAIN_IP" "$SIP_IP:5060" 8011007 "ring-$$@e2e" 10 >"$DIR/ring.out" &
	ring=$!
	wait_for 5 grep -qs "RING got INVITE" "$DIR/ring"/uas_*_logs.log
	# the backend scenario waits for a CANCEL only after its second 180 (1.5 s in)
	wait_for 5 bash -c "test \$(grep -c '^provisional 180' '$DIR/ring.out') -ge 2"
	# record writes leave in batches (25 ms): the INVITE may reach the backend first
	wait_for 3 bash -c "redis-cli -s '$REDIS_SOCK' hget 'sbc:call:ring-$$@e2e' state | grep -q ."
	ctl hangup "ring-$$@e2e" >"$DIR/hangup-ring.out" 2>&1
	ok "hangup of a ringing call: exit 0" test $? = 0
	wait "$ring"
	ok "hangup of a ringing call: the caller got 480" grep -q '^final 480 Call Ended By Operator' "$DIR/ring.out"
	ok "hangup of a ringing call: the backend got a CANCEL" wait_for 5 grep -qs "RING got CANCEL" "$DIR/ring"/uas_*_logs.log
	wait "$SIDE_PID" 2>/dev/null
	e2e_forget "$SIDE_PID"

	# forged requests: unknown command, missing argument, hostile bytes
	rcli xadd sbc:control '*' cmd reboot by attacker >/dev/null
	rcli xadd sbc:control '*' cmd hangup by attacker >/dev/null
	rcli xadd sbc:control '*' cmd hangup call_id $'x\ny\e[2J' by $'at\ntacker' >/dev/null
	ok "forged requests: refused and counted, each on one escaped line" \
		wait_for 3 bash -c "test \$(grep -c 'hangup_refused request=[a-z]* reason=malformed by=operator:attacker' '$DIR/sigproxy-a.log') = 2"
	ok "forged requests: sigproxy still running" kill -0 "$SIGPROXY_PID"
}

has_phase calls && phase_calls
has_phase drain && phase_drain
has_phase trace && phase_trace
has_phase hangup && phase_hangup
# every line sigproxy wrote (hang-up, BYEs, drain, refused requests with hostile bytes, the
# call summaries) is "event key=value": a log shipper splits them all
perl "$E2E_DIR_SRC/log_format.pl" "$DIR/sigproxy-a.log" >"$DIR/log_format.out" 2>&1
ok "every sigproxy log line is event key=value ($(tail -1 "$DIR/log_format.out"))" test $? = 0
grep '^bad line' "$DIR/log_format.out" | sed 's/^/# /'
ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

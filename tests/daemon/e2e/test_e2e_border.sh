#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The border in a dialog, against the whole SBC (sigproxy + mediad + redis-server) and real
# peers. Parts (arguments; default both):
#   forged  During a live SRTP call, forged in-dialog INVITE/INFO/MESSAGE/BYE/UPDATE/ACK/CANCEL
#           (unknown Call-IDs; the call's Call-ID with wrong tags; right tags from the wrong side;
#           right tags towards an inside address no route names; flood, replay, typo) are each
#           refused with 481/403 and counted; nothing reaches the backend or a decoy inside
#           address; the call's sbc:call: and sbc:media: records stay as they were (but for the
#           SRTP indexes mediad keeps current as packets flow); media keeps
#           flowing; then the call's own re-INVITE, UPDATE, INFO both ways and BYE go through.
#   hiding  With topology hiding on the outside (the default), every message the outside peer
#           receives (calls both ways: INVITE, 180, 200, re-INVITE, UPDATE, INFO, BYE from each
#           side) names no inside address: not the backend, not sigproxy's inside listener, not
#           mediad's inside interface; and the calls complete.
#   callid  (with hiding, SP_CALL_ID_REPLACE=1: [dialog] call_id_replace) The callee's leg of
#           each of those calls carries a Call-ID of the SBC's own, mapped back both ways: the
#           caller never sees it, the backend never sees the caller's, the outside party never
#           sees the inside platform's; sbc:cid:<it> names the call.
set -u
PARTS=" ${*:-forged hiding} "
part() { [[ "$PARTS" == *" $1 "* ]]; }
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl perl "$SIGPROXY" "$MEDIAD" \
	"$E2E_MEDIA"
PROBE="perl $E2E_DIR_SRC/sip_probe.pl"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
OUTPEER_IP=$(e2e_ip 7)		# an outside party the inside platform calls
ATTACK_IP=$(e2e_ip 30)		# an outside host that knows what a sniffer would
INSIDER_IP=$(e2e_ip 31)		# a host on the inside network
DECOY_IP=$(e2e_ip 20)		# an inside address no route and no dialog names
STUNNEL_ACCEPT=$CALLER_IP:5071

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
# calls from the inside platform to 9011... go out to an outside party over UDP
# The attacker sends floods from one address: what this test checks is the dialog check,
# not the per-source rate limits in front of it (e2e_limits_flood does those).
SP_EXTRA="[limits]
exempt = $ATTACK_IP
[route outbound]
match = ^9011\\d+\$
listener = inside-udp
side = outside
target = sip:$OUTPEER_IP:5060
${SP_CALL_ID_REPLACE:+[dialog]
call_id_replace = yes}"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	echo "# mediad registration not seen in redis"
sleep 1

metric() {  # metric NAME_REGEX: sum of the matching sigproxy series
	perl -MIO::Socket::IP -e '
		my $h = IO::Socket::IP->new(PeerHost => "127.0.0.1", PeerPort => $ARGV[0], Proto => "tcp") or exit 1;
		print $h "GET /metrics HTTP/1.0\r\n\r\n"; my $s = 0;
		while (<$h>) { $s += $1 if /^$ARGV[1](?:\{[^}]*\})?\s+(\d+)/ }
		print "$s\n";' "$SP_METRICS" "$1"
}
# probe FROM TO WAIT_MS COUNT: sends the message on stdin, prints the status codes it got
probe() { $PROBE send "$@" -; }
# codes_are WANT GOT...: every response a final WANT (provisionals allowed before it)
codes_are() {
	local want=$1 c seen=0
	shift
	for c in "$@"; do
		case $c in 1??) ;; "$want") seen=$((seen + 1)) ;; *) return 1 ;; esac
	done
	[ "$seen" -ge 1 ]
}
# received_requests FILE: the requests a sipp message log (-trace_msg) shows as received
received_requests() {
	perl -ne 'if (/^\S+ message (received|sent)/) { $in = $1 eq "received"; $first = 1; next }
		next unless $in; if ($first && /\S/) { $req = !/^SIP\/2\.0/; $first = 0 } print if $req' "$1"
}
# no_inside FILE: none of the inside addresses (backend, inside listener, mediad inside) in FILE
no_inside() {
	local ip re
	for ip in "$BACK_IP" "$SIP_IN_IP" "$IN_IP" "$DECOY_IP"; do
		re=$(sed 's/\./\\./g' <<<"$ip")
		if grep -Eq "(^|[^0-9.])$re([^0-9]|$)" "$1"; then
			echo "# $ip in $(basename "$1"):" >&2
			grep -En "(^|[^0-9.])$re([^0-9]|$)" "$1" | head -5 | sed 's/^/#   /' >&2
			return 1
		fi
	done
}

# media_record: the call's sbc:media: fields as "name value" lines, without the SRTP indexes
# (<side>_m<n>_rx_index/_tx_index), which mediad rewrites on its own while packets flow
media_record() {
	rcli --no-raw hgetall "sbc:media:$CID" | paste - - | grep -v '_[rt]x_index"' | sort
}

if part forged; then
# The real call: SRTP caller over TLS, plain RTP backend; the caller pauses 9 s after the
# ACK, then runs its re-INVITE, UPDATE and INFO, the backend its own, and the caller hangs up.
CALL_USER=8011001 CALL_HOLD_MS=9000 call_start forged uac_dialog uas_dialog AES_CM_128_HMAC_SHA1_80
ok "forged: the real call is up, media both ways" call_media MEDIA1 BACKEND1
dlg=$(grep -h 'DIALOG callid=' "$DIR"/forged/uac_dialog_*_logs.log | head -1 | tr -d '\r')
CID=$(sed -n 's/.*callid=\([^ ]*\).*/\1/p' <<<"$dlg")
FT=$(sed -n 's/.* ftag=\([^ ]*\).*/\1/p' <<<"$dlg")
TT=$(sed -n 's/.* ttag=\([^ ]*\).*/\1/p' <<<"$dlg")
echo "# call $CID caller tag $FT callee tag $TT"
ok "forged: dialog known (Call-ID and both tags)" test -n "$CID" -a -n "$FT" -a -n "$TT"
rcli hgetall "sbc:call:$CID" >"$DIR/call.before"
media_record >"$DIR/media.before"
refused0=$(metric sigproxy_refused_total)
$PROBE listen "$DECOY_IP:5060" 8 "$DIR/decoy.out" &
DECOY_PID=$!
PIDS+=("$DECOY_PID")
sleep 0.3

SDP="v=0
o=x 1 1 IN IP4 $ATTACK_IP
s=-
c=IN IP4 $ATTACK_IP
t=0 0
m=audio 40000 RTP/SAVP 0
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
# req METHOD CALL-ID FROM-TAG TO-TAG RURI-HOST ROUTE-LINE [BODY]: a forged request
req() {
	local body=${7:-}
	printf '%s sip:x@%s:5060 SIP/2.0\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKforged{n}%s\n' \
		"$1" "$5" "$ATTACK_IP" "$RANDOM"
	[ -n "$6" ] && printf '%s\n' "$6"
	printf 'From: <sip:a@example.com>;tag=%s\nTo: <sip:b@example.com>%s\nCall-ID: %s\n' \
		"$3" "${4:+;tag=$4}" "$2"
	printf 'CSeq: 7 %s\nMax-Forwards: 70\nContact: <sip:x@%s:5060>\nX-Forged: yes\n' "$1" "$5"
	if [ -n "$body" ]; then printf 'Content-Type: application/sdp\n\n%s\n' "$body"; else printf '\n'; fi
}
OUT_ROUTE="Route: <sip:$SIP_IP:5060;lr>"
IN_ROUTE="Route: <sip:$SIP_IN_IP:5060;lr>"

# unknown Call-IDs from the outside, with our Route and an inside Request-URI (the open relay)
for m in INVITE INFO MESSAGE BYE UPDATE; do
	got=$(req "$m" "forged-$m-$$" ft1 tt1 "$DECOY_IP" "$OUT_ROUTE" \
		"$( [ "$m" = INVITE ] || [ "$m" = UPDATE ] && echo "$SDP")" |
		probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
	ok "forged $m, unknown Call-ID, inside Request-URI: 481 (got $(echo $got))" codes_are 481 $got
done
# the call's Call-ID with wrong tags, with and without our Route
for m in BYE INVITE INFO UPDATE; do
	got=$(req "$m" "$CID" "x$FT" "$TT" "$BACK_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
	ok "forged $m, the call's Call-ID, wrong From tag: 403 (got $(echo $got))" codes_are 403 $got
done
got=$(req BYE "$CID" "$FT" "y$TT" "$BACK_IP" "" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "forged BYE, the call's Call-ID, wrong To tag, no Route: 403 (got $(echo $got))" codes_are 403 $got
# the right tags from the wrong side: the callee's tags sent to the outside, the caller's to the inside
got=$(req BYE "$CID" "$TT" "$FT" "$CALLER_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "forged BYE with the callee's tags from the outside: 403 (got $(echo $got))" codes_are 403 $got
got=$(req BYE "$CID" "$FT" "$TT" "$BACK_IP" "$IN_ROUTE" | probe "$INSIDER_IP" "$SIP_IN_IP:5060" 2000 1)
ok "forged BYE with the caller's tags from the inside: 481 (got $(echo $got))" codes_are 481 $got
# the right tags from the right side, steered at an inside address no route or dialog names
got=$(req INFO "$CID" "$FT" "$TT" "$DECOY_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "forged INFO with the caller's tags, Request-URI at a decoy inside host: 403 (got $(echo $got))" \
	codes_are 403 $got
got=$(req INVITE "$CID" "$FT" "$TT" "$BACK_IP" "$OUT_ROUTE, <sip:$DECOY_IP:5060;lr>" "$SDP" |
	probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "forged re-INVITE with the caller's tags, Route via a decoy inside host: 403 (got $(echo $got))" \
	codes_are 403 $got
# typos: the Call-ID with its last character changed, a tag with one more character
got=$(req BYE "${CID%?}x" "$FT" "$TT" "$BACK_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "BYE with the Call-ID's last character changed: 481 (got $(echo $got))" codes_are 481 $got
got=$(req BYE "$CID" "$FT" "${TT}0" "$BACK_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "BYE with a To tag one character longer: 403 (got $(echo $got))" codes_are 403 $got
# out of any dialog: a MESSAGE with our Route towards the decoy; a CANCEL of nothing
got=$(req MESSAGE "$CID" "$FT" "" "$DECOY_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "MESSAGE without To tag, our Route, inside Request-URI: 403 (got $(echo $got))" codes_are 403 $got
got=$(req CANCEL "$CID" "$FT" "" "$BACK_IP" "" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "CANCEL matching no transaction: 481 (got $(echo $got))" codes_are 481 $got
# forged ACKs are dropped without an answer
got=$(req ACK "$CID" "x$FT" "$TT" "$DECOY_IP" "$OUT_ROUTE" "$SDP" | probe "$ATTACK_IP" "$SIP_IP:5060" 500 1)
ok "forged ACK with SDP and wrong tags: no answer (got $(echo $got))" test "$got" = none
# a flood of forged BYEs from one source: all refused, logged a few times only (sent
# 300 µs apart: a burst beyond the socket buffers would test the kernel, not the SBC)
n0=$(grep -c "sip_refused .*src=$ATTACK_IP:" "$DIR/sigproxy-a.log")
got=$(req BYE "$CID" "f{n}$FT" "$TT" "$BACK_IP" "$OUT_ROUTE" |
	PROBE_GAP_US=300 probe "$ATTACK_IP" "$SIP_IP:5060" 5000 200)
ok "flood of 200 forged BYEs: 200 answers, all 403" test "$(grep -c '^403$' <<<"$got")" = 200
n1=$(grep -c "sip_refused .*src=$ATTACK_IP:" "$DIR/sigproxy-a.log")
ok "flood: the source is logged at most once (lines $n0 -> $n1)" test $((n1 - n0)) -le 1
refused1=$(metric sigproxy_refused_total)
ok "every refusal counted in sigproxy_refused_total ($refused0 -> $refused1)" \
	test $((refused1 - refused0)) -ge 219
for r in tags side route unknown out_of_dialog cancel; do
	ok "refusals with reason=\"$r\" counted" test "$(metric "sigproxy_refused_total\\{reason=\"$r\"\\}")" -gt 0
done

sleep 0.5
rcli hgetall "sbc:call:$CID" >"$DIR/call.after"
media_record >"$DIR/media.after"
ok "the call's sbc:call: record is unchanged" cmp -s "$DIR/call.before" "$DIR/call.after"
ok "the call's sbc:media: record is unchanged (ports, peers, keys; $(wc -l <"$DIR/media.before") lines)" \
	cmp -s "$DIR/media.before" "$DIR/media.after"
ok "the call still answered in Redis" test "$(rcli hget "sbc:call:$CID" state)" = answered
ok "media keeps flowing both ways after the forged requests" call_media MEDIA1 BACKEND1 1000
ok "nothing reached the decoy inside address" bash -c "sleep 0.5; ! test -s '$DIR/decoy.out'"
ok "no forged request reached the backend" bash -c "! grep -qs X-Forged '$DIR'/forged/uas_dialog_*_messages.log"
ok "no forged request reached the caller" bash -c "! grep -qs X-Forged '$DIR'/forged/uac_dialog_*_messages.log"

# the call's own in-dialog requests, both ways, still work; the caller hangs up
ok "after the re-INVITE and UPDATE (mediad's answers), media both ways" call_media MEDIA3 BACKEND3 2000
call_wait
ok "legitimate re-INVITE, UPDATE, INFO and BYE from the caller, answered with SRTP (sipp rc $UAC_RC)" \
	test "$UAC_RC" = 0
ok "legitimate re-INVITE, UPDATE and INFO from the backend, offers as plain RTP (sipp rc $UAS_RC)" \
	test "$UAS_RC" = 0
ok "mediad saw the re-offers (offer/answer for re-INVITE and UPDATE both ways)" \
	test "$(grep -c "call_offer .*call_id=$CID" "$DIR/mediad-a.log")" -ge 5
ok "the call ended: record ended, media gone" wait_for 5 bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:call:$CID' state)\" = ended ] && [ \"\$(redis-cli -s '$REDIS_SOCK' exists 'sbc:media:$CID')\" = 0 ]"
# replayed after the end: the caller's BYE and a re-INVITE with the real tags
got=$(req BYE "$CID" "$FT" "$TT" "$BACK_IP" "$OUT_ROUTE" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "BYE with the real tags replayed after the call ended: 481 (got $(echo $got))" codes_are 481 $got
got=$(req INVITE "$CID" "$FT" "$TT" "$BACK_IP" "$OUT_ROUTE" "$SDP" | probe "$ATTACK_IP" "$SIP_IP:5060" 2000 1)
ok "re-INVITE with the real tags replayed after the call ended: 481 (got $(echo $got))" codes_are 481 $got
wait "$DECOY_PID" 2>/dev/null
e2e_forget "$DECOY_PID"
ok "still nothing at the decoy" bash -c "! test -s '$DIR/decoy.out'"
fi

if part hiding; then
# outside caller over TLS, every in-dialog request both ways, the caller hangs up
CALL_USER=8011002 CALL_HOLD_MS=500 call_start hide-in uac_dialog uas_dialog AES_CM_128_HMAC_SHA1_80
call_wait
ok "hiding: call with re-INVITE, UPDATE, INFO both ways completed (caller rc $UAC_RC)" test "$UAC_RC" = 0
ok "hiding: backend side completed (rc $UAS_RC)" test "$UAS_RC" = 0
msgs=$(ls "$DIR"/hide-in/uac_dialog_*_messages.log 2>/dev/null | head -1)
ok "hiding: the caller got 180, 200s, the backend's INVITE, UPDATE, INFO" bash -c "
	grep -q '^SIP/2.0 180' '$msgs' && grep -q '^SIP/2.0 200' '$msgs' &&
	grep -q '^INVITE sip:caller' '$msgs' && grep -q '^UPDATE sip:caller' '$msgs' &&
	grep -q '^INFO sip:caller' '$msgs'"
ok "hiding: no inside address in anything the caller sent or got" no_inside "$msgs"
ok "hiding: Record-Route towards the caller is the SBC's outside entry alone" bash -c "
	! grep -i '^Record-Route:' '$msgs' | grep -v '<sip:$SIP_IP:5061;transport=tls;lr>' | grep -q ."
ok "hiding: the backend still saw its own route (both Record-Routes)" \
	grep -qs "Record-Route: <sip:$SIP_IN_IP:5060;transport=udp;lr>" "$DIR"/hide-in/uas_dialog_*_messages.log

# the backend hangs up: its BYE reaches the caller without its addresses
CALL_USER=8011003 CALL_HOLD_MS=500 call_start hide-bye uac_rbye uas_rbye AES_CM_128_HMAC_SHA1_80
call_wait
ok "hiding: backend hangs up, both sides complete (rc $UAC_RC/$UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
msgs=$(ls "$DIR"/hide-bye/uac_rbye_*_messages.log 2>/dev/null | head -1)
ok "hiding: the caller got the backend's BYE" grep -q '^BYE ' "$msgs"
ok "hiding: no inside address in what the caller saw of that call" no_inside "$msgs"

# the inside platform calls out: the outside party gets INVITE, re-INVITE, and hangs up
mkdir -p "$DIR/hide-out"
(cd "$DIR/hide-out" && exec timeout 30 sipp -sf "$E2E_DIR_SRC/uas_outside.xml" -i "$OUTPEER_IP" -p 5060 \
	-m 1 -set mip "$OUTPEER_IP" -set mport "$(free_port "$OUTPEER_IP")" -timeout 25s \
	-trace_err -trace_msg >uas.out 2>&1) &
OUTP=$!
PIDS+=("$OUTP")
sleep 0.3
(cd "$DIR/hide-out" && timeout 30 sipp -sf "$E2E_DIR_SRC/uac_inside.xml" -i "$BACK_IP" -p 0 \
	"$SIP_IN_IP:5060" -s 9011001 -m 1 -d 500 -cid_str "%u-%p-inside-call" \
	-set mip "$BACK_IP" -set mport "$(free_port "$BACK_IP")" -timeout 25s \
	-trace_err -trace_msg >uac.out 2>&1)
rc=$?
wait "$OUTP"
orc=$?
e2e_forget "$OUTP"
ok "hiding: inside platform calls out, re-INVITE, outside hangs up (rc $rc/$orc)" test "$rc" = 0 -a "$orc" = 0
msgs=$(ls "$DIR"/hide-out/uas_outside_*_messages.log 2>/dev/null | head -1)
ok "hiding: the outside party got INVITE, re-INVITE and the 200 to its BYE" bash -c "
	test \$(grep -c '^INVITE ' '$msgs') -ge 2 && grep -q '^SIP/2.0 200' '$msgs'"
ok "hiding: no inside address in anything the outside party sent or got" no_inside "$msgs"
received_requests "$msgs" >"$DIR/hide-out/received.txt"
ok "hiding: requests to the outside party carry our Via alone" bash -c "
	grep -qi '^Via:' '$DIR/hide-out/received.txt' && ! grep -i '^Via:' '$DIR/hide-out/received.txt' | grep -qv ' $SIP_IP:5060;'"
ok "hiding: and our Contact" bash -c "
	grep -qi '^Contact:' '$DIR/hide-out/received.txt' && ! grep -i '^Contact:' '$DIR/hide-out/received.txt' | grep -qv 'sip:sbc@$SIP_IP:5060'"
fi

if part callid; then
cid_of() { sed -n 's/^Call-ID: *//p' "$1" | tr -d '\r' | sort -u; }
uac=$(ls "$DIR"/hide-in/uac_dialog_*_messages.log | head -1)
uas=$(ls "$DIR"/hide-in/uas_dialog_*_messages.log | head -1)
c_caller=$(cid_of "$uac")
c_back=$(cid_of "$uas")
echo "# caller leg: $c_caller; backend leg: $c_back"
ok "callid: one Call-ID on each leg, the backend's made by the SBC" bash -c "
	[ \$(wc -l <<<'$c_caller') = 1 ] && [ \$(wc -l <<<'$c_back') = 1 ] &&
	[[ '$c_back' == sbcleg-* ]] && [ '$c_back' != '$c_caller' ]"
ok "callid: sbc:cid:<backend leg's> names the call" test "$(rcli get "sbc:cid:$c_back")" = "$c_caller"
ok "callid: the call's record says which Call-ID its callee leg carries" \
	test "$(rcli hget "sbc:call:$c_caller" callee_call_id)" = "$c_back"
c_in=$(cid_of "$(ls "$DIR"/hide-out/uac_inside_*_messages.log 2>/dev/null | head -1)")
c_out=$(cid_of "$(ls "$DIR"/hide-out/uas_outside_*_messages.log | head -1)")
echo "# inside platform's leg: $c_in; outside party's leg: $c_out"
ok "callid: the outside party never saw the inside platform's Call-ID" bash -c "
	[[ '$c_out' == sbcleg-* ]] && ! grep -q 'inside-call' '$(ls "$DIR"/hide-out/uas_outside_*_messages.log | head -1)'"
fi

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

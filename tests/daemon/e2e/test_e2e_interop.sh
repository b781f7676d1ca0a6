#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# SDP and SIP as real devices send them (issue #11), through the whole SBC (sigproxy with
# outside_policy = required, mediad with the outside interface required), with sipp
# scenarios of our own for the callers and the backends, and media checked bit-exact:
#  - an answer with fewer m= lines than the offer (as sipp's built-in UAS and many IVRs
#    answer: uas_fewer.xml);
#  - an offer whose video has only a malformed key: the video refused alone (port 0);
#  - Microsoft Teams Direct Routing keys (one line, "|2^31|1:1"): MKI both ways;
#  - RFC 5939 capability negotiation (Avaya, AudioCodes): answered with a=acfg;
#  - multipart/mixed SDP + ISUP (SIP-I): the SDP part through mediad, the ISUP part as sent;
#  - an RFC 2543 caller and callee (no tags, no RFC 3261 branch);
#  - bodies it cannot read (RFC 4475 invut, a gzip'd SDP): 415 with Accept;
#  - big but valid: 200 m= lines and a broken SDP (488 with a Warning, never 5xx), a 10 kB
#    Request-URI over UDP and a 60 kB header over TCP (carried);
# and every tolerated deviation counted by kind in both daemons' metrics.
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client openssl perl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 71)
OUT_IP=$(e2e_ip 72)
IN_IP=$(e2e_ip 73)
CALLER_IP=$(e2e_ip 74)
BACK_IP=$(e2e_ip 75)
SIP_IN_IP=$(e2e_ip 76)
STUNNEL_ACCEPT=$CALLER_IP:5071
ONESHOT=$E2E_DIR_SRC/sip_oneshot.pl

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_OUTSIDE_ENC=required MEDIAD_EXTRA="metrics_listen = 127.0.0.1:0" \
	mediad_start a "$OUT_IP" "$IN_IP" 44000 || exit 1
MD_METRICS=$(sed -n 's/.*mediad_ready .*metrics_port=\([0-9]*\).*/\1/p' "$DIR/mediad-a.log" | head -1)
# keys may come over UDP/TCP here: the big-message cases are sent without TLS
SP_OUTSIDE_POLICY=required SP_MEDIA_EXTRA="outside_sdes_requires_tls = no" \
	sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	echo "# mediad registration not seen in redis"
sleep 1
SPLOG=$DIR/sigproxy-a.log
MDLOG=$DIR/mediad-a.log
sp_metric() { metric_get "$SP_METRICS" "$1"; }
md_metric() { metric_get "$MD_METRICS" "$1"; }
tolerated() { md_metric "mediad_sdp_tolerated_total{kind=\"$1\"}"; }
sp_tolerated() { sp_metric "sigproxy_sip_tolerated_total{kind=\"$1\"}"; }

# one_call TAG UAC UAS [sipp args...]: a whole call with media checked; sets MEDIA_RC
one_call() {
	local tag=$1 uac=$2 uas=$3
	shift 3
	CALL_HOLD_MS=2500 call_start "$tag" "$uac" "$uas" AES_CM_128_HMAC_SHA1_80 "$@"
	[ -n "${KEY_PARAMS:-}" ] && CALL_KEY="$CALL_KEY$KEY_PARAMS"
	call_media MEDIA1 BACKEND1
	MEDIA_RC=$?
	sed 's/^/# /' "$DIR/$tag/media.out" 2>/dev/null
	call_wait
}

# ---- an answer with fewer m= lines than the offer ----
one_call fewer uac_av uas_fewer -set vkey "$(srtp_key AES_CM_128_HMAC_SHA1_80)"
ok "fewer m-lines: audio media both ways bit-exact" test "$MEDIA_RC" = 0
ok "fewer m-lines: caller got audio with one key and the video refused, port 0 (sipp rc $UAC_RC)" \
	test "$UAC_RC" = 0
ok "fewer m-lines: backend answered audio only (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "fewer m-lines: counted (mediad_sdp_tolerated_total{kind=\"answer-missing-lines\"} = 1)" \
	test "$(tolerated answer-missing-lines)" = 1
ok "fewer m-lines: logged" grep -q 'sdp_tolerated kind=answer-missing-lines offered=2 answered=1' "$MDLOG"


# ---- one unusable stream: the video's only key is malformed ----
one_call badvideo uac_av uas_video0 -set vkey '@@not-base64@@not-base64@@not-base64@@!'
ok "unusable video: audio media both ways bit-exact" test "$MEDIA_RC" = 0
ok "unusable video: caller got the audio and the video refused alone (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "unusable video: backend got the video with port 0, no key (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "unusable video: counted as a line without a usable key" \
	test "$(md_metric 'mediad_encryption_lines_rejected_total{reason="no-key"}')" -ge 1

# ---- Microsoft Teams Direct Routing: one key line with a lifetime and an MKI ----
KEY_PARAMS='|2^31|1:1' one_call teams uac_teams uas_any
ok "Teams MKI: media both ways bit-exact, every SRTP packet with the MKI" test "$MEDIA_RC" = 0
ok "Teams MKI: the answer carries one key under tag 2 with |2^31|1:1 (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "Teams MKI: backend got plain RTP (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "Teams MKI: counted (kind=\"mki\")" test "$(tolerated mki)" -ge 1

# ---- RFC 5939 capability negotiation ----
one_call capneg uac_capneg uas_any
ok "capneg: media both ways bit-exact (SRTP outside from the acap key)" test "$MEDIA_RC" = 0
ok "capneg: answered RTP/SAVP, one key, a=acfg:1 t=1 a=1, no capability lines (sipp rc $UAC_RC)" \
	test "$UAC_RC" = 0
ok "capneg: backend got plain RTP without capability lines (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "capneg: counted (kind=\"capneg\")" test "$(tolerated capneg)" = 1

# ---- multipart/mixed with an ISUP part ----
one_call multipart uac_multipart uas_multipart
ok "multipart: media both ways bit-exact" test "$MEDIA_RC" = 0
ok "multipart: caller's call completed (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "multipart: backend got multipart/mixed, the SDP rewritten (sipp rc $UAS_RC)" test "$UAS_RC" = 0
isup_part() {
	perl -0ne 'if (/^INVITE .*?(--sbc-isup-1\r?\nContent-Type: application\/ISUP.*?--sbc-isup-1--)/ms) { print $1; exit 0 } exit 1' "$@"
}
sent=$(isup_part "$DIR"/multipart/uac_*_messages.log | od -An -tx1 | tr -d ' \n')
got=$(isup_part "$DIR"/multipart/uas_*_messages.log | od -An -tx1 | tr -d ' \n')
ok "multipart: the ISUP part reached the backend byte for byte (${#got} hex digits)" \
	bash -c "[ -n '$sent' ] && [ '$sent' = '$got' ]"
ok "multipart: no key of the caller in what the backend got" \
	bash -c "! grep -qF '$CALL_KEY' '$DIR'/multipart/uas_*_messages.log"
ok "multipart: counted (sigproxy kind=\"multipart-sdp\")" test "$(sp_tolerated multipart-sdp)" = 1

# ---- RFC 2543 caller and callee ----
one_call legacy uac_legacy uas_legacy
ok "RFC 2543: media both ways bit-exact" test "$MEDIA_RC" = 0
ok "RFC 2543: caller without tags or branch answered, ended by its BYE (sipp rc $UAC_RC)" test "$UAC_RC" = 0
ok "RFC 2543: backend answering without a To tag got INVITE, ACK, BYE (sipp rc $UAS_RC)" test "$UAS_RC" = 0
ok "RFC 2543: counted (sigproxy kind=\"legacy-request\" >= 3: INVITE, ACK, BYE)" \
	test "$(sp_tolerated legacy-request)" -ge 3
ok "RFC 2543: mediad's call gone after the BYE" wait_for 5 mediad_empty

# ---- what must be refused: nothing reaches the backend ----
perl -MIO::Socket::IP -e '
	my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => 5060, Proto => "udp")
		or die "bind: $!";
	$| = 1;
	while (1) { my $b; $s->recv($b, 65535); print length($b), "\n" }' "$BACK_IP" \
	>"$DIR/sink.out" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
sleep 0.3
KEY=$(srtp_key AES_CM_128_HMAC_SHA1_80)
invite_file() {	# invite_file NAME CALLID [extra header lines] < body
	local name=$1 cid=$2 extra=${3:-} ruri=${RURI:-sip:8011001@sbc.example.test}
	{
		printf 'INVITE %s SIP/2.0\r\nVia: SIP/2.0/%s @LOCAL@;branch=z9hG4bK-%s\r\n' "$ruri" "${TP:-UDP}" "$cid"
		printf 'Max-Forwards: 70\r\nFrom: <sip:caller@example.test>;tag=%s\r\n' "$cid"
		printf 'To: <sip:8011001@sbc.example.test>\r\nCall-ID: %s@e2e\r\nCSeq: 1 INVITE\r\n' "$cid"
		printf 'Contact: <sip:caller@@LOCAL@>\r\n%sContent-Length: 0\r\n\r\n' "$extra"
		cat
	} >"$DIR/$name.sip"
}
sdp_of() {	# sdp_of NMEDIA [last line]
	printf 'v=0\r\no=c 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n' "$CALLER_IP" "$CALLER_IP"
	for i in $(seq 1 "$1"); do
		printf 'm=audio %d RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n' \
			$((44800 + 2 * i)) "$KEY"
	done
}
oneshot() { perl "$ONESHOT" "${TP_LC:-udp}" "$CALLER_IP" "$SIP_IP:5060" "$DIR/$1.sip" 5 >"$DIR/$1.out" 2>&1; }
final() { sed -n 's/^final=//p' "$DIR/$1.out"; }

# RFC 4475 §3.3.7 invut, as published: 415 with Accept, before any routing
sed 's/\r$//' "$SRC/tests/data/rfc4475/invut.dat" | perl -pe 's/\n/\r\n/' >"$DIR/invut.sip"
perl -0pi -e 's/^Via: SIP\/2\.0\/UDP [^;]*/Via: SIP\/2.0\/UDP \@LOCAL\@/m; s/^Content-Length:.*$/Content-Length: keep\r/m' "$DIR/invut.sip"
oneshot invut
ok "invut (application/unknownformat): 415 ($(final invut))" test "$(final invut)" = 415
ok "invut: the 415 says what is accepted" grep -q '^Accept: application/sdp, multipart/mixed' "$DIR/invut.out"
sdp_of 1 | gzip -c | invite_file gzip gz1 $'Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n'
oneshot gzip
ok "gzip'd SDP: 415 with Accept-Encoding: identity ($(final gzip))" \
	bash -c "[ '$(final gzip)' = 415 ] && grep -q '^Accept-Encoding: identity' '$DIR/gzip.out'"
printf 'not an SDP at all\r\n' | invite_file noct nct1
oneshot noct
ok "a body without Content-Type that is no SDP: 415 ($(final noct))" test "$(final noct)" = 415
ok "the refused bodies are counted (sigproxy_unsupported_bodies_total = 3)" \
	test "$(sp_metric sigproxy_unsupported_bodies_total)" = 3

# too many media: 488 with a reason, whoever counts them
sdp_of 200 | invite_file m200 m200 $'Content-Type: application/sdp\r\n'
oneshot m200
ok "200 m= lines: 488 ($(final m200))" test "$(final m200)" = 488
ok "200 m= lines: the Warning says why" grep -q '^Warning: 399 sbc "Too many media sections' "$DIR/m200.out"
sdp_of 6 | invite_file m6 m6 $'Content-Type: application/sdp\r\n'
oneshot m6
ok "6 m= lines (more than mediad carries): 488 with mediad's reason ($(final m6))" \
	bash -c "[ '$(final m6)' = 488 ] && grep -q '^Warning: 399 sbc \"Too many media sections (6, at most 4)\"' '$DIR/m6.out'"
{ sdp_of 1; printf 'this line is no SDP\r\n'; } | invite_file trunc trunc1 $'Content-Type: application/sdp\r\n'
oneshot trunc
ok "a broken SDP: 488 with a Warning, not 500 ($(final trunc))" \
	bash -c "[ '$(final trunc)' = 488 ] && grep -q '^Warning: 399 sbc ' '$DIR/trunc.out'"
{
	printf 'v=0\r\no=c 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n' "$CALLER_IP" "$CALLER_IP"
	printf 'm=audio 44810 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:@@bad@@\r\n'
	printf 'm=video 44812 RTP/SAVP 96\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^1000x\r\n' "$KEY"
} | invite_file nokeys nokeys1 $'Content-Type: application/sdp\r\n'
oneshot nokeys
ok "no stream usable (both keys malformed): 488 ($(final nokeys))" test "$(final nokeys)" = 488
sleep 0.5
ok "nothing of the refused requests reached the backend ($(grep -c . "$DIR/sink.out") datagrams)" \
	test "$(grep -c . "$DIR/sink.out")" = 0
e2e_stop "$SINK_PID"

# ---- big but valid: carried to a backend that answers 486 (no media needed) ----
big_backend() {
	mkdir -p "$DIR/$1"
	(cd "$DIR/$1" && exec timeout 20 sipp -sf "$E2E_DIR_SRC/uas_486.xml" -i "$BACK_IP" -p 5060 -m 1 \
		-timeout 15s -trace_msg -trace_err >uas.out 2>&1) &
	BIG_PID=$!
	PIDS+=("$BIG_PID")
	sleep 0.3
}
big_backend ruri
RURI="sip:8011001@sbc.example.test;x=$(head -c 10000 /dev/zero | tr '\0' a)" \
	sdp_of 1 | invite_file ruri ruri10k $'Content-Type: application/sdp\r\n'
oneshot ruri
wait "$BIG_PID"
e2e_forget "$BIG_PID"
ok "10 kB Request-URI over UDP: carried, the backend's 486 came back ($(final ruri))" test "$(final ruri)" = 486
ok "10 kB Request-URI: routed by its user part to the backend (the route rewrites the URI)" \
	bash -c "grep -q '^Call-ID: ruri10k@e2e' '$DIR'/ruri/uas_*_messages.log"
big_backend hdr
printf -v extra 'X-Big: %s\r\nContent-Type: application/sdp\r\n' "$(head -c 60000 /dev/zero | tr '\0' b)"
sdp_of 1 | TP=TCP invite_file hdr hdr60k "$extra"
TP_LC=tcp oneshot hdr
wait "$BIG_PID"
e2e_forget "$BIG_PID"
ok "60 kB header over TCP: carried (over UDP inside), the backend's 486 came back ($(final hdr))" \
	test "$(final hdr)" = 486
big=$(grep -a '^X-Big: ' "$DIR"/hdr/uas_*_messages.log | tr -d '\r')
ok "60 kB header: the backend got it whole (${#big} bytes)" \
	bash -c "[ '${#big}' = 60007 ] && [ '${big//b/}' = 'X-Big: ' ]"

ok "no 5xx sent by sigproxy for any of this ($(sp_metric 'sigproxy_responses_total{class="5xx"}'))" \
	test "$(sp_metric 'sigproxy_responses_total{class="5xx"}')" = 0
# a header so near 64 kB that with our Via and Record-Route no UDP datagram holds it: the
# RFC's 513 with a Warning saying so, not a 500 that blames the SBC (nor silence)
printf -v extra 'X-Big: %s\r\nContent-Type: application/sdp\r\n' "$(head -c 64900 /dev/zero | tr '\0' b)"
sdp_of 1 | TP=TCP invite_file h649 h649 "$extra"
TP_LC=tcp oneshot h649
ok "64.9 kB header over TCP: 513 Message Too Large, not 500 ($(final h649))" test "$(final h649)" = 513
ok "... with a Warning that says why" grep -q '^Warning: 399 sbc "too large once forwarded' "$DIR/h649.out"
ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
ok "no SRTP key of a caller in the logs" bash -c "! grep -qF '$KEY' '$SPLOG' '$MDLOG'"
e2e_finish

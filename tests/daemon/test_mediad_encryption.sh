#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mediad's own encryption guard, driven by rtpengine's ng client (any ng client gets the
# same): outside encryption = required, inside = off. A plain offer on the outside is
# refused with a reason and counted, whatever the request asks; best-effort SRTP (RTP/AVP
# with a=crypto, RFC 8643) is answered with one key; a mixed SDP is decided line by line;
# no key is ever sent inside. Then the same with outside = optional.
set -u
. "$(dirname "$0")/e2e/lib.sh"
need redis-server redis-cli rtpengine-ng-client "$MEDIAD"

OUT_IP=$(e2e_ip 41)
IN_IP=$(e2e_ip 42)
redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_OUTSIDE_ENC=required MEDIAD_EXTRA="metrics_listen = 127.0.0.1:0" mediad_start enc "$OUT_IP" "$IN_IP" 47000 ||
	exit 1
LOG=$DIR/mediad-enc.log
METRICS=$(sed -n 's/.*mediad_ready .*metrics_port=\([0-9]*\).*/\1/p' "$LOG")

ng() {  # ng <command> [options...]: rtpengine-ng-client, 10 s bound, output in $DIR/out
	timeout 10 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port="$MEDIAD_NG" "$@" \
		>"$DIR/out" 2>&1
}
new_sdp() { sed -n '/^New SDP:/,/^----->8/p' "$DIR/out" | sed '1,2d;$d'; }
has() { grep -q -- "$1" "$DIR/out"; }
sdp_has() { new_sdp | grep -q -- "$1"; }
sdp_count() { new_sdp | grep -c -- "$1"; }
metric() { metric_get "$METRICS" "$1"; }

S=$'v=0\r\no=c 1 1 IN IP4 198.51.100.10\r\ns=-\r\nc=IN IP4 198.51.100.10\r\nt=0 0\r\n'
KEY=QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c
KEY2=PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR
PLAIN=$S$'m=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'
OSRTP=$S$'m=audio 20000 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:'$KEY$'\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:'$KEY2$'\r\n'
SAVP=$S$'m=audio 20000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:'$KEY$'\r\n'
MIXED=$S$'m=audio 20000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:'$KEY$'\r\nm=video 20002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n'
IVR=$'v=0\r\no=ivr 2 2 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n'
IVR2=$IVR$'m=video 30002 RTP/AVP 96\r\n'
OFFER=(--from-tag=caller --direction=outside,inside --ICE=remove --DTLS=off)

# ---- plain RTP on the required outside: refused whatever the request says ----
ng offer --call-id="p1-$$" "${OFFER[@]}" --protocol=RTP/AVP --sdp="$PLAIN"
ok "plain offer from the outside: refused, reason names the interface" \
	has "Error reason: \"Plain RTP refused: interface 'outside' requires SRTP (encryption = required)\""
ng offer --call-id="p2-$$" --from-tag=ivr --direction=inside,outside --protocol=RTP/AVP --sdp="$IVR"
ok "plain RTP asked towards the outside: refused" has "Error reason: \"Plain RTP refused: interface 'outside'"
ng offer --call-id="p3-$$" --from-tag=ivr --direction=inside,outside --protocol=RTP/AVP \
	--OSRTP=offer --sdp="$IVR"
ok "OSRTP asked towards the required outside: offered as RTP/SAVP with keys" \
	bash -c "grep -q '^m=audio [0-9]* RTP/SAVP 0' '$DIR/out' && [ \$(grep -c '^a=crypto' '$DIR/out') = 2 ]"
ng delete --call-id="p3-$$" --from-tag=ivr
ok "refusals counted: 2 lines, 2 commands" \
	test "$(metric 'mediad_encryption_lines_rejected_total{reason="plain-on-required"}')/$(metric mediad_encryption_refused_total)" = 2/2
ok "no call held after the refusals" wait_for 2 mediad_empty

# ---- SRTP offered from the off inside: refused; SRTP asked towards it: offered plain ----
ng offer --call-id="s1-$$" --from-tag=ivr --direction=inside,outside --protocol=RTP/SAVP --sdp="$SAVP"
ok "SRTP offered from the inside (off): refused" \
	has "Error reason: \"SRTP refused: interface 'inside' carries plain RTP only (encryption = off)\""
ng offer --call-id="s2-$$" "${OFFER[@]}" --protocol=RTP/SAVP --sdp="$SAVP"
ok "RTP/SAVP asked towards the inside: RTP/AVP there" sdp_has "^m=audio [0-9]* RTP/AVP 0"
ok "... and no key sent inside" test "$(sdp_count 'a=crypto')" -eq 0
ok "stripped key counted" test "$(metric mediad_encryption_keys_stripped_total)" = 1

# ---- best-effort SRTP (RFC 8643) on the required outside: answered with one key ----
ng offer --call-id="o1-$$" "${OFFER[@]}" --protocol=RTP/AVP --sdp="$OSRTP"
ok "OSRTP offer: accepted, RTP/AVP without keys inside" \
	bash -c "grep -q '^New SDP:' '$DIR/out' && [ \$(sed -n '/^New SDP:/,\$p' '$DIR/out' | grep -c a=crypto) = 0 ]"
ng answer --call-id="o1-$$" --from-tag=caller --to-tag=ivr --sdp="$IVR"
ok "OSRTP answer: RTP/AVP towards the caller" sdp_has "^m=audio [0-9]* RTP/AVP 0"
ok "OSRTP answer: exactly one a=crypto, the first offered suite with its tag" \
	bash -c "[ \$(sed -n '/^New SDP:/,/^----->8/p' '$DIR/out' | grep -c a=crypto) = 1 ] &&
		grep -q '^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' '$DIR/out'"
ok "OSRTP answer: a fresh key, not the caller's" bash -c "! grep -q '$KEY' '$DIR/out'"
ng query --call-id="o1-$$"
ok "query: the caller's leg is SRTP (crypto suite, OSRTP flag)" \
	bash -c "grep -q \"'crypto suite' => 'AES_CM_128_HMAC_SHA1_80'\" '$DIR/out' && grep -q \"'OSRTP'\" '$DIR/out'"
ok "redis: the leg is recorded as OSRTP with its keys" wait_for 5 bash -c \
	"[ \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:media:o1-$$' a_m1_osrtp)\" = yes ] &&
	 [ -n \"\$(redis-cli -s '$REDIS_SOCK' hget 'sbc:media:o1-$$' a_m1_tx_key)\" ]"
ok "OSRTP answered counted" test "$(metric 'mediad_osrtp_total{role="answered"}')" = 1

# ---- a mixed SDP on the required outside: decided per line ----
ng offer --call-id="m1-$$" "${OFFER[@]}" --protocol=RTP/AVP --sdp="$MIXED"
ok "mixed offer: audio goes inside" sdp_has "^m=audio [1-9][0-9]* RTP/AVP 0"
ok "mixed offer: the plain video line is refused with port 0" sdp_has "^m=video 0 RTP/AVP 96"
ok "mixed offer: the reply warns about line 2" has "'warning' => 'media refused by encryption policy (port 0): 2'"
ng answer --call-id="m1-$$" --from-tag=caller --to-tag=ivr --sdp="$IVR2"
ok "mixed answer: SRTP audio with one key for the caller" \
	bash -c "grep -q '^m=audio [1-9][0-9]* RTP/SAVP 0' '$DIR/out' && [ \$(grep -c '^a=crypto' '$DIR/out') = 1 ]"
ok "mixed answer: video refused for the caller although the IVR answered a port" \
	sdp_has "^m=video 0 RTP/AVP 96"

# ---- a typo is refused, not read as something else ----
sed 's/^encryption = required$/encryption = requried/' "$DIR/mediad-enc.ini" >"$DIR/typo.ini"
out=$("$MEDIAD" -c "$DIR/typo.ini" -t 2>&1)
rc=$?
ok "encryption = requried: -t exits 1 naming the key (rc $rc)" \
	bash -c "[ $rc = 1 ] && grep -q 'interface outside.encryption' <<<\"\$1\"" _ "$out"

# ---- keys: never in the log ----
ok "no SRTP key in the mediad log" bash -c "! grep -qE '$KEY|$KEY2' '$LOG'"

# ---- outside = optional: plain accepted, OSRTP still answered with a key ----
e2e_stop "$MEDIAD_PID"
MEDIAD_OUTSIDE_ENC=optional mediad_start opt "$OUT_IP" "$IN_IP" 47000 || exit 1
ng offer --call-id="q1-$$" "${OFFER[@]}" --protocol=RTP/AVP --sdp="$PLAIN"
ok "optional outside: a plain offer is accepted" has "^New SDP:"
ng offer --call-id="q2-$$" "${OFFER[@]}" --protocol=RTP/AVP --sdp="$OSRTP"
ng answer --call-id="q2-$$" --from-tag=caller --to-tag=ivr --sdp="$IVR"
ok "optional outside: OSRTP answered with RTP/AVP and one key" \
	bash -c "grep -q '^m=audio [0-9]* RTP/AVP 0' '$DIR/out' && [ \$(grep -c '^a=crypto' '$DIR/out') = 1 ]"
ng offer --call-id="q3-$$" --from-tag=ivr --direction=inside,outside --protocol=RTP/AVP \
	--OSRTP=offer --sdp="$IVR"
ok "optional outside: OSRTP offered there when asked (RTP/AVP with keys)" \
	bash -c "grep -q '^m=audio [0-9]* RTP/AVP 0' '$DIR/out' && [ \$(grep -c '^a=crypto' '$DIR/out') = 2 ]"
e2e_finish

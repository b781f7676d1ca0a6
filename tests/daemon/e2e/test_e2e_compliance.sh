#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The compliance record (sigproxy/audit): a TLS 1.2 + SRTP call with mutual TLS (sipp behind
# stunnel with a client certificate), media the test sends itself (e2e_media, then a second
# burst after a sequence gap, then malformed and forged packets), checked against what the
# test sent: the JSON line (file and syslog), the dialog record's summary fields, the log's
# call_summary line. Then: the file reopened on SIGHUP (logrotate), a failed call's record,
# [compliance] typos refused by -t, a file that cannot be opened refused at start.
# syslog(3) goes to /dev/log: sigproxy runs in a mount namespace of its own whose /dev/log
# is this test's socket (skipped, said so, where namespaces cannot be made).
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-cli openssl perl curl "$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
STUNNEL_ACCEPT=$CALLER_IP:5071
REC=$DIR/records/calls.json
mkdir -p "$DIR/records"
REAL_SIGPROXY=$SIGPROXY

certs_make sbc.example.test alice || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
MD_ID=e2e-a-$$

# ---- syslog: a datagram socket of ours as /dev/log in sigproxy's own mount namespace ----
SYSLOG=0
if unshare -m --propagation private true 2>/dev/null; then
	SYSLOG=1
	perl -MIO::Socket::UNIX -MSocket -e '
		$| = 1;
		my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ARGV[0]) or die "$!\n";
		open(my $o, ">>", $ARGV[1]) or die;
		$o->autoflush(1);
		while (defined $s->recv(my $m, 65536)) { $m =~ s/\n/\\n/g; print $o "$m\n"; }' \
		"$DIR/log.sock" "$DIR/syslog.txt" 2>"$DIR/syslog.err" &
	PIDS+=("$!")
	wait_for 5 test -S "$DIR/log.sock"
	mkdir -p "$DIR/realdev"
	cat >"$DIR/sigproxy-ns.sh" <<NS
#!/bin/sh
# sigproxy with /dev/log -> $DIR/log.sock, in a mount namespace nobody else sees
exec unshare -m --propagation private sh -c '
	mount --rbind /dev "\$0/realdev" && mount -t tmpfs none /dev &&
	for n in null zero random urandom; do touch /dev/\$n && mount --bind "\$0/realdev/\$n" /dev/\$n; done &&
	ln -s "\$0/log.sock" /dev/log && exec "\$@"' "$DIR" "$REAL_SIGPROXY" "\$@"
NS
	chmod +x "$DIR/sigproxy-ns.sh"
	SIGPROXY=$DIR/sigproxy-ns.sh
else
	echo "# cannot make a mount namespace here: the syslog output is not checked"
fi

SP_EXTRA_LISTENER="tls_verify_peer = yes" SP_EXTRA="[compliance]
file = $REC
syslog = yes
syslog_facility = local3" sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
SIGPROXY=$REAL_SIGPROXY
STUNNEL_EXTRA="sslVersionMax = TLSv1.2" stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" \
	sbc.example.test alice || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' exists 'sbc:mediad:$MD_ID' | grep -q 1" ||
	echo "# mediad registration not seen in redis"
sleep 1

# ---- call A: what the test sends, exactly ----
CALL_HOLD_MS=6000 call_start a uac_call uas_call AES_CM_128_HMAC_SHA1_80
call_media MEDIA1 BACKEND1
media_rc=$?
# a second burst after a gap of 59 sequence numbers in both directions: loss 59 per leg
"$E2E_MEDIA" -s "$CALL_ASUITE" -k "$CALL_KEY" -K "$CALL_AKEY" -a "$CALLER_IP:$CALL_CM" \
	-A "$CALL_RELAY_OUT" -b "$BACK_IP:$CALL_BM" -B "$CALL_RELAY_IN" -n 20 -i 5 -q 100 \
	>>"$DIR/a/media.out" 2>&1
media2_rc=$?
# from the caller's own address: 5 malformed datagrams and 3 SRTP packets with a bad tag
perl -MIO::Socket::IP -e '
	my ($from, $to) = @ARGV;
	my ($fh, $fp) = $from =~ /^(.*):(\d+)$/;
	my ($th, $tp) = $to =~ /^(.*):(\d+)$/;
	my $s = IO::Socket::IP->new(LocalHost => $fh, LocalPort => $fp, PeerHost => $th,
		PeerPort => $tp, Proto => "udp") or die "$@";
	$s->send("\x80\x00\x01") for 1 .. 5;
	for my $i (1 .. 3) {
		$s->send(pack("CCnNN", 0x80, 0, 300 + $i, 48000, 0x11111111) . ("\xab" x 170));
	}' "$CALLER_IP:$CALL_CM" "$CALL_RELAY_OUT"
call_wait
CID=${CALL_ID:-none}
ok "call A: media both ways, twice (e2e_media $media_rc, $media2_rc), call completed (uac $UAC_RC, uas $UAS_RC)" \
	test "$media_rc$media2_rc$UAC_RC$UAS_RC" = 0000
sed 's/^/# /' "$DIR/a/media.out"
ok "one record line after call A" wait_for 5 bash -c "test \"\$(wc -l <'$REC' 2>/dev/null)\" = 1"
cp "$REC" "$DIR/a.json"
echo "# $(cat "$DIR/a.json")"

# rec PERL-CONDITION: the condition holds for call A's line ($j, $c caller leg, $e callee leg)
rec() {
	perl -MJSON::PP -ne 'my $j = decode_json($_); next unless $j->{call_id} eq q{'"$CID"'};
		my ($c, $e) = ($j->{legs}{caller}, $j->{legs}{callee}); $n++;
		$ok = 1 if '"$1"'; END { exit !($n == 1 && $ok) }' "$DIR/a.json"
}
ALICE256=$(openssl x509 -in "$DIR/certs/client-alice.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
ISO='^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
ok "record: the call, this instance, route, target, mediad, end reason" \
	rec '$j->{instance} eq "e2e-a-'"$$"'" && $j->{route} eq "e2e" && $j->{target} eq "sip:'"$BACK_IP"':5060" && $j->{mediad} eq "'"$MD_ID"'" && $j->{end_reason} eq "bye_caller"'
ok "record: caller, callee, Request-URI user, the caller's source address" \
	rec '$j->{caller} eq "sip:caller\@sbc.example.test" && $j->{callee} eq "sip:8011001\@sbc.example.test" && $j->{ruri_user} eq "8011001" && $j->{source} =~ /^\Q'"$CALLER_IP"'\E:\d+$/'
ok "record: ISO 8601 times in order, duration the call's hold (about 6 s)" \
	rec '$j->{start} =~ /'"$ISO"'/ && $j->{answer} =~ /'"$ISO"'/ && $j->{end} =~ /'"$ISO"'/ && $j->{start} le $j->{answer} && $j->{answer} le $j->{end} && $j->{time} eq $j->{end} && $j->{duration_s} >= 5 && $j->{duration_s} <= 8'
ok "record: caller leg outside over TLS 1.2 (what stunnel was limited to), an ECDHE AEAD cipher" \
	rec '$c->{side} eq "outside" && $c->{transport} eq "tls" && $c->{tls_version} eq "TLSv1.2" && $c->{tls_cipher} =~ /^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/'
ok "record: the caller's certificate fingerprint is alice's ($ALICE256)" \
	rec '$c->{peer_cert_sha256} eq "'"$ALICE256"'"'
ok "record: caller leg SRTP with the suite the call used" rec '$c->{srtp} eq "AES_CM_128_HMAC_SHA1_80"'
ok "record: caller leg: 68 packets in (40 + 20 + 5 malformed + 3 forged), 60 out" \
	rec '$c->{packets_in} == 68 && $c->{packets_out} == 60'
ok "record: caller leg: drops by reason malformed 5, auth 3, nothing else" \
	rec 'join(",", map { "$_=$c->{drops}{$_}" } sort keys %{$c->{drops}}) eq "auth=3,malformed=5"'
ok "record: caller leg: 59 lost (the gap the test left), forged packets not counted" rec '$c->{lost} == 59'
ok "record: caller leg: bytes (60 x 182 B of SRTP in plus the junk)" \
	rec '$c->{bytes_in} == 60 * 182 + 5 * 3 + 3 * 182 && $c->{bytes_out} == 60 * 182'
ok "record: callee leg inside, UDP, no TLS facts, plain RTP" \
	rec '$e->{side} eq "inside" && $e->{transport} eq "udp" && !defined $e->{tls_version} && !defined $e->{tls_cipher} && !defined $e->{peer_cert_sha256} && $e->{srtp} eq "plain"'
ok "record: callee leg: 60 in, 60 out, 59 lost, no drops" \
	rec '$e->{packets_in} == 60 && $e->{packets_out} == 60 && $e->{lost} == 59 && !%{$e->{drops}} && $e->{bytes_in} == 60 * 172'
ok "record: no key of the call in the file" \
	bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$4"' _ "$CALL_KEY" "$CALL_KEY2" "${CALL_AKEY:-x}" "$REC"

# the dialog record keeps the same summary, with ISO times beside the epoch ones
h() { rcli hget "sbc:call:$CID" "$1"; }
ok "dialog record: the media summary per leg" \
	test "$(h caller_packets_in)/$(h caller_packets_out)/$(h caller_lost)/$(h caller_drops)/$(h caller_media_suite)" = "68/60/59/auth=3,malformed=5/AES_CM_128_HMAC_SHA1_80"
ok "dialog record: callee summary" \
	test "$(h callee_packets_in)/$(h callee_lost)/$(h callee_drops)/$(h callee_media_suite)" = "60/59//plain"
ok "dialog record: TLS facts, fingerprint, ISO times" \
	bash -c "test '$(h caller_tls_version)' = TLSv1.2 && test '$(h caller_cert_sha256)' = '$ALICE256' && [[ '$(h end_time)' =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$ ]] && test '$(h start_time)' = \"\$(date -u -d @$(h start) +%Y-%m-%dT%H:%M:%SZ)\""
ttl=$(rcli ttl "sbc:call:$CID")
ok "dialog record: ended, kept call_ttl_ended (120 s here; $ttl)" test "$ttl" -gt 0 -a "$ttl" -le 120
ok "log: one call_summary line with the same numbers" \
	grep -q "call_summary reason=bye_caller duration_s=[0-9]* caller=tls/AES_CM_128_HMAC_SHA1_80 in=68 out=60 lost=59 drops=auth:3,malformed:5 callee=udp/plain in=60 out=60 lost=59 drops=none call_id=$CID" "$DIR/sigproxy-a.log"
if [ "$SYSLOG" = 1 ]; then
	# <PRI> = local3 (19) * 8 + info (6) = 158
	ok "syslog: the same line, facility local3, ident sbc-compliance" \
		wait_for 3 bash -c "grep -F -- \"\$(cat '$DIR/a.json')\" '$DIR/syslog.txt' | grep -q '^<158>.* sbc-compliance\[$SIGPROXY_PID\]: {'"
fi
curl -s --max-time 5 "http://127.0.0.1:$SP_METRICS/metrics" >"$DIR/metrics.txt"
ok "metrics: one record written, none lost" \
	bash -c "grep -q '^sigproxy_compliance_records_total{result=\"written\"} 1\$' '$DIR/metrics.txt' && grep -q '^sigproxy_compliance_records_total{result=\"lost\"} 0\$' '$DIR/metrics.txt'"

# ---- logrotate (deploy/logrotate/sbc-sigproxy, paths and the reload made this test's) ----
if command -v logrotate >/dev/null; then
	sed -e "s|/var/log/sbc/calls.json|$REC|; s|/var/log/sbc/sip-trace.log|$DIR/records/trace.log|" \
		-e 's/create 0640 sbc sbc/create 0640/' \
		-e "s|systemctl reload sbc-sigproxy.service.*|kill -HUP $SIGPROXY_PID|" \
		"$SRC/deploy/logrotate/sbc-sigproxy" >"$DIR/logrotate.conf"
	logrotate -f -s "$DIR/logrotate.state" "$DIR/logrotate.conf" >"$DIR/logrotate.out" 2>&1
	ok "logrotate rotates the record with the example configuration" test $? = 0
	mv "$REC"-[0-9]* "$REC.1"
else
	echo "# logrotate not installed: moved by hand"
	mv "$REC" "$REC.1"
	kill -HUP "$SIGPROXY_PID"
fi
ok "SIGHUP reopens the compliance file (reload hook compliance)" \
	wait_for 5 bash -c "grep -q 'compliance_reopened file=$REC\$' '$DIR/sigproxy-a.log' && grep -q 'reload_done hook=compliance' '$DIR/sigproxy-a.log'"
CALL_HOLD_MS=500 call_start b uac_call uas_call AES_CM_128_HMAC_SHA1_80
call_media MEDIA1 BACKEND1
call_wait
ok "call B's line is in the new file, alone" wait_for 5 bash -c "test \"\$(wc -l <'$REC' 2>/dev/null)\" = 1 && grep -qF '\"call_id\":\"$CALL_ID\"' '$REC'"
ok "the moved file was not written to" cmp -s "$REC.1" "$DIR/a.json"

# ---- a call that fails: a record too, without an answer ----
CALL_HOLD_MS=500 call_start c uac_fail uas_486 AES_CM_128_HMAC_SHA1_80
wait_for 10 grep -qs "FINAL" "$DIR/c"/uac_*_logs.log
call_wait
ok "a failed call gets its line: not answered, no duration, the reason" \
	wait_for 5 perl -MJSON::PP -ne 'my $j = decode_json($_); $ok = 1 if !defined $j->{answer} && $j->{duration_s} == 0 && $j->{end_reason} eq "all targets failed"; END { exit !$ok }' "$REC"
ok "every line in both files parses" \
	perl -MJSON::PP -ne 'decode_json($_); END { exit 0 }' "$REC" "$REC.1"

# ---- configuration ----
sed -e 's/^syslog_facility = local3/syslog_facilty = local3/' "$DIR/sigproxy-a.ini" >"$DIR/typo.ini"
"$REAL_SIGPROXY" -t -c "$DIR/typo.ini" >"$DIR/typo.out" 2>&1
ok "-t refuses a misspelt [compliance] key, naming the right one" \
	bash -c "test $? = 1 && grep -q 'compliance.syslog_facilty: unknown key (did you mean syslog_facility?)' '$DIR/typo.out'"
sed -e 's/^syslog_facility = local3/syslog_facility = local9/' "$DIR/sigproxy-a.ini" >"$DIR/bad.ini"
"$REAL_SIGPROXY" -t -c "$DIR/bad.ini" >"$DIR/bad.out" 2>&1
ok "-t refuses a facility that does not exist" bash -c "test $? = 1 && grep -q 'compliance.syslog_facility' '$DIR/bad.out'"
"$REAL_SIGPROXY" -t -c "$DIR/sigproxy-a.ini" >"$DIR/t.out" 2>&1
ok "-t prints the [compliance] keys" \
	bash -c "grep -q '^file = $REC' '$DIR/t.out' && grep -q '^syslog_facility = local3' '$DIR/t.out'"
sed -e "s|^file = $REC|file = $DIR/no/such/dir/calls.json|" -e 's/^id = .*/id = nofile/' \
	-e "s/$SIP_IP/$(e2e_ip 9)/" -e "s/$SIP_IN_IP/$(e2e_ip 10)/" \
	-e 's/^metrics_listen = .*/metrics_listen = 127.0.0.1:0/' "$DIR/sigproxy-a.ini" >"$DIR/nofile.ini"
timeout 10 "$REAL_SIGPROXY" -c "$DIR/nofile.ini" >"$DIR/nofile.out" 2>&1
ok "a compliance file that cannot be opened: sigproxy does not start, says which" \
	bash -c "test $? != 0 -a $? != 124 && grep -q 'compliance_file_failed file=$DIR/no/such/dir/calls.json err=\"No such file or directory\"' '$DIR/nofile.out'"

# every line sigproxy wrote (call_summary, compliance_*, reload hooks) is "event key=value"
perl "$E2E_DIR_SRC/log_format.pl" "$DIR/sigproxy-a.log" >"$DIR/log_format.out" 2>&1
ok "every sigproxy log line is event key=value ($(tail -1 "$DIR/log_format.out"))" test $? = 0
grep '^bad line' "$DIR/log_format.out" | sed 's/^/# /'
ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

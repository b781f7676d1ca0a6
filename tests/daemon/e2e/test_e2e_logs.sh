#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Logs cannot be forged or flooded from the network (the real sigproxy and mediad):
# - SIP Call-IDs and ng call-ids holding a newline, a carriage return, an escape sequence,
#   quotes, spaces and bytes that are not UTF-8 come out escaped (\xHH) in the lines that
#   name them, and no line of the logs is anything but "<time> <daemon> <level> ...";
#   the SIP trace written to the log (no trace file configured) is escaped the same way;
# - 10,000 bad requests, 10,000 unparseable datagrams and 10,000 bad ng commands give a
#   few lines each, the rest counted as "suppressed=N", and those counts add up
#   to what the metrics counted.
set -u
. "$(dirname "$0")/lib.sh"
need redis-server redis-cli openssl perl curl "$SIGPROXY" "$MEDIAD"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
PEER_IP=$(e2e_ip 4)
SIP_IN_IP=$(e2e_ip 6)
SPLOG=$DIR/sigproxy-a.log
MDLOG=$DIR/mediad-a.log

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
MEDIAD_EXTRA="metrics_listen = 127.0.0.1:0" mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
MD_METRICS=$(sed -n 's/.*mediad_ready .*metrics_port=\([0-9]*\).*/\1/p' "$MDLOG" | head -1)
# The floods come from one address: the per-source limits would ban it after a hundred
# requests, and what this test checks is the log, not the door (e2e_limits_flood does that).
SP_EXTRA="[limits]
exempt = $PEER_IP" sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$(e2e_ip 5):5060" || exit 1

# sip_send FILE: each record of FILE (perl string syntax, one message per line) as one
# UDP datagram from PEER_IP to sigproxy; sip_flood KIND N: N bad datagrams.
sip_send() {
	perl -MIO::Socket::IP -e '
		my ($from, $to, $file) = @ARGV;
		my $s = IO::Socket::IP->new(LocalHost => $from, PeerHost => $to, PeerPort => 5060,
			Proto => "udp") or die $!;
		open(my $f, "<", $file) or die $!;
		while (my $l = <$f>) {
			chomp $l;
			next if $l eq "";
			my $m = eval $l;
			die $@ if $@;
			$s->send($m);
			select(undef, undef, undef, 0.05);
		}' "$PEER_IP" "$SIP_IP" "$1"
}
sip_flood() {
	perl -MIO::Socket::IP -e '
		my ($from, $to, $kind, $n) = @ARGV;
		my $s = IO::Socket::IP->new(LocalHost => $from, PeerHost => $to, PeerPort => 5060,
			Proto => "udp") or die $!;
		for my $i (1..$n) {
			my $m = $kind eq "bad" ?
				"INVITE sip:8011001\@$to SIP/2.0\r\nVia: SIP/2.0/UDP $from:5060;branch=z9hG4bKf$i\r\n" .
				"From: <sip:a\@$from>;tag=f$i\r\nTo: <sip:8011001\@$to>\r\nCall-ID: flood-$i\r\n" .
				"CSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" :
				"\x01\x02garbage $i\r\n\r\n";
			$s->send($m);
			# paced so that the socket buffer keeps up: the point is the log, not loss
			select(undef, undef, undef, 0.001) if $i % 20 == 0;
		}' "$PEER_IP" "$SIP_IP" "$1" "$2"
}
# one BYE per Call-ID (the log names the Call-ID of every request it handles: "bye_in")
bye() {
	printf '"BYE sip:x\\@%s SIP/2.0\\r\\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s\\r\\nFrom: <sip:a\\@%s>;tag=a\\r\\nTo: <sip:b\\@%s>;tag=b\\r\\nCall-ID: %s\\r\\nCSeq: 2 BYE\\r\\nMax-Forwards: 70\\r\\nContent-Length: 0\\r\\n\\r\\n"\n' \
		"$SIP_IP" "$PEER_IP" "$RANDOM$RANDOM" "$PEER_IP" "$SIP_IP" "$1"
}

# Every line of a log is one event of the daemon: "<time> <daemon> <level> ...", no
# control byte, valid UTF-8.
only_real_lines() {
	perl -e '
		my ($file, $ident) = @ARGV;
		open(my $f, "<:raw", $file) or die $!;
		my $bad = 0;
		while (my $l = <$f>) {
			chomp $l;
			next if $l =~ /^(=+|AddressSanitizer|LeakSanitizer|SUMMARY|\s)/;  # sanitizer reports have their own check
			if ($l !~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z $ident (err|warn|info|debug) \S/ ||
			    $l =~ /[\x00-\x1f\x7f]/ || !utf8::decode(my $c = $l)) {
				print STDERR "# not a line of $ident: $l\n";
				$bad++;
			}
		}
		exit($bad ? 1 : 0);' "$1" "$2"
}

# ---- SIP Call-IDs that try to forge lines, with the trace to the log ----
kill -USR1 "$SIGPROXY_PID"
wait_for 5 grep -q "sip_trace_on" "$SPLOG"
{
	# perl string syntax: \@ is "@", \" is '"'
	# passes validation: then every line while it is handled names it (call_id=...). First:
	# a BYE of no known call is refused with one line per source every 10 s, in its context
	bye 'forge-6-\xff\xfe\xc3\x28\"q\"\@x'
	bye 'forge-1\@x\r\n 2026-01-01T00:00:00.000Z sigproxy err FORGED-FOLDED'
	bye 'forge-2\@x\n2026-01-01T00:00:00.000Z sigproxy err FORGED-LF'
	bye 'forge-3\@x\r2026-01-01T00:00:00.000Z sigproxy err FORGED-CR'
	bye 'forge-4-\xff\xfe\xc3\x28\x1b[31mRED\"q\" a=b\@x'
	bye 'forge-5\@x\x00FORGED-NUL'
} >"$DIR/forge.txt"
sip_send "$DIR/forge.txt"
sleep 1
kill -USR1 "$SIGPROXY_PID"
wait_for 5 grep -q "sip_trace_off" "$SPLOG"
ok "sigproxy: every log line is a real line (no forged line, no control byte, valid UTF-8)" \
	only_real_lines "$SPLOG" sigproxy
ok "sigproxy: no forged event" bash -c "! grep -qE '^[^ ]* sigproxy err FORGED' '$SPLOG'"
ok "sigproxy: the trace logged each message on one escaped line" \
	test "$(grep -c 'sip_trace in transport=udp .*forge-[1-5]' "$SPLOG")" -ge 4
ok "sigproxy: bytes that are not UTF-8 as \\xHH in the Call-ID context, quotes escaped" \
	grep -qF 'reason=unknown status=481 suppressed=0 call_id=forge-6-\xff\xfe\xc3(\"q\"@x' "$SPLOG"
ok "sigproxy: a Call-ID with control bytes is refused, and logged escaped in the trace" \
	grep -qF 'Call-ID: forge-5@x\x00FORGED-NUL\x0d\x0a' "$SPLOG"
ok "sigproxy: the escape sequence as \\xHH in the trace line" grep -qF 'Call-ID: forge-4-\xff\xfe\xc3(\x1b[31mRED\"q\" a=b@x\x0d\x0a' "$SPLOG"
ok "sigproxy: a bare CR in a Call-ID is escaped" grep -qF 'forge-3@x\x0d2026-01-01T00:00:00.000Z' "$SPLOG"
ok "sigproxy: a bare LF in a Call-ID is escaped" grep -qF 'forge-2@x\x0a2026-01-01T00:00:00.000Z' "$SPLOG"
ok "sigproxy: the folded Call-ID's line break is escaped" grep -qF 'forge-1@x\x0d\x0a 2026-01-01T00:00:00.000Z' "$SPLOG"

# ---- ng call-ids that try to forge lines ----
ng_send() {
	perl -MIO::Socket::IP -e '
		my ($port, @ids) = @ARGV;
		my $s = IO::Socket::IP->new(PeerHost => "127.0.0.1", PeerPort => $port, Proto => "udp") or die $!;
		my $n = 0;
		for my $id (@ids) {
			$id = eval "\"$id\"";
			my $m = "forge" . $n++ . " d7:call-id" . length($id) . ":" . $id . "7:command5:querye";
			$s->send($m);
			my $r;
			$s->recv($r, 4096);
			select(undef, undef, undef, 0.05);
		}' "$MEDIAD_NG" "$@"
}
ng_send 'ngforge-1\n2026-01-01T00:00:00.000Z mediad err FORGED-NG' \
	'ngforge-2-\xff\xfe\xc3\x28\x1b[31mRED \"q\"' 'ngforge-3\x00\rFORGED-NUL'
sleep 0.5
ok "mediad: every log line is a real line (no forged line, no control byte, valid UTF-8)" \
	only_real_lines "$MDLOG" mediad
ok "mediad: no forged event" bash -c "! grep -qE '^[^ ]* mediad err FORGED' '$MDLOG'"
ok "mediad: the call-id with a newline, escaped in the context" \
	grep -qF 'call_id=ngforge-1\x0a2026-01-01T00:00:00.000Z\x20mediad\x20err\x20FORGED-NG' "$MDLOG"
ok "mediad: the call-id with bytes that are not UTF-8, escaped" \
	grep -qF 'call_id=ngforge-2-\xff\xfe\xc3(\x1b[31mRED\x20\"q\"' "$MDLOG"
ok "mediad: a NUL does not cut the call-id short" grep -qF 'call_id=ngforge-3\x00\x0dFORGED-NUL' "$MDLOG"

# a call whose ng call-id holds a line break and bytes that are not UTF-8: /metrics names it
# per stream, and must stay valid exposition text (no line of its own, UTF-8)
perl -MIO::Socket::IP -e '
	my ($port, $ip) = @ARGV;
	my $s = IO::Socket::IP->new(PeerHost => "127.0.0.1", PeerPort => $port, Proto => "udp") or die $!;
	my $id = "mforge\r\n# TYPE forged counter\nforged_total 1\n\xff\"";
	my $sdp = "v=0\r\no=- 1 1 IN IP4 $ip\r\ns=-\r\nc=IN IP4 $ip\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
	my $d = "d7:call-id" . length($id) . ":$id" . "7:command5:offer9:directionl7:outside6:insidee" .
		"8:from-tag1:a3:sdp" . length($sdp) . ":$sdp" . "e";
	my $r;
	$s->send("mcall1 $d");
	$s->recv($r, 4096);
	$d = "d7:call-id" . length($id) . ":$id" . "7:command6:answer8:from-tag1:a6:to-tag1:b" .
		"3:sdp" . length($sdp) . ":$sdp" . "e";
	$s->send("mcall2 $d");
	$s->recv($r, 4096);
	print STDERR "# answer reply: ", substr($r, 0, 30), "\n";' "$MEDIAD_NG" "$PEER_IP"
curl -s --max-time 5 "http://127.0.0.1:$MD_METRICS/metrics" >"$DIR/md-metrics.txt"
ok "mediad /metrics was read while the forging call existed, and names no call" \
	bash -c "grep -q '^mediad_calls_active [1-9]' '$DIR/md-metrics.txt' && ! grep -q 'call_id=' '$DIR/md-metrics.txt'"
ok "mediad /metrics: no forged series, every line a comment or a sample, valid UTF-8" \
	perl -e 'open(my $f, "<:raw", $ARGV[0]) or die; my $bad = 0;
		while (<$f>) { chomp; $bad++ if /^forged/ || !/^(# (HELP|TYPE) \S+ .*|[a-z_]+(\{.*\})? \d+)$/ || !utf8::decode(my $c = $_) }
		exit($bad ? 1 : 0)' "$DIR/md-metrics.txt"

# ---- floods ----
# sum_lines FILE EVENT [FROM_LINE]: "lines suppressed total" for EVENT after line FROM_LINE:
# lines about an input each, the counts of suppressed ones, and all lines of EVENT (with the
# timer's "EVENT suppressed=N", which is about no input of its own).
sum_lines() {
	perl -ne 'BEGIN { ($e, $from) = splice(@ARGV, 1); $from //= 0; $l = $s = $t = 0 }
		next if $. <= $from || !/ \Q$e\E[ (]/;
		$t++;
		$s += $1 if / suppressed=(\d+)/;
		$l++ unless / \Q$e\E suppressed=\d+$/;
		END { printf "%d %d %d\n", $l, $s, $t }' "$1" "$2" "${3:-0}"
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'; }
# A slow (sanitizer) build may lose part of a flood in the socket buffer: the checks are
# about what was received, counted by the metrics, and at least 1,000 of it.

b0=$(metric "$SP_METRICS" sigproxy_bad_requests_total)
from=$(wc -l <"$SPLOG")
t0=$(date +%s%N)
sip_flood bad 10000
echo "# 10000 bad requests sent in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
d0=$(metric "$SP_METRICS" sigproxy_drops_total)
sip_flood garbage 10000
sleep 2.5	# the once-a-second timer reports what the last window suppressed
b1=$(metric "$SP_METRICS" sigproxy_bad_requests_total)
d1=$(metric "$SP_METRICS" sigproxy_drops_total)
read -r lines supp total < <(sum_lines "$SPLOG" sip_bad_request "$from")
echo "# sip_bad_request: $total lines ($lines about a request), $supp suppressed, metric $b0 -> $b1"
ok "10,000 bad requests: answered and counted ($((b1 - b0)))" test "$((b1 - b0))" -ge 1000
ok "10,000 bad requests: a bounded number of log lines ($total)" test "$total" -ge 2 -a "$total" -le 80
ok "10,000 bad requests: the lines say how many were suppressed" grep -qE 'sip_bad_request( .*)? suppressed=[0-9]+' "$SPLOG"
ok "10,000 bad requests: lines + suppressed = requests counted ($lines + $supp = $((b1 - b0)))" \
	test "$((lines + supp))" = "$((b1 - b0))"
read -r lines supp total < <(sum_lines "$SPLOG" sip_drop "$from")
echo "# sip_drop: $total lines, $supp suppressed"
ok "10,000 unparseable datagrams: a bounded number of log lines ($total)" test "$total" -ge 2 -a "$total" -le 80
ok "10,000 unparseable datagrams: lines + suppressed = drops counted ($lines + $supp = $((d1 - d0)))" \
	test "$((lines + supp))" = "$((d1 - d0))" -a "$((d1 - d0))" -ge 1000
ok "sigproxy: still every log line a real line" only_real_lines "$SPLOG" sigproxy

n0=$(metric "$MD_METRICS" mediad_ng_errors_total)
perl -MIO::Socket::IP -e '
	my $s = IO::Socket::IP->new(PeerHost => "127.0.0.1", PeerPort => $ARGV[0], Proto => "udp") or die $!;
	for my $i (1..10000) {
		$s->send("c$i d7:command4:pi");	# cut short: not bencode
		select(undef, undef, undef, 0.001) if $i % 20 == 0;
	}' "$MEDIAD_NG"
sleep 2.5
n1=$(metric "$MD_METRICS" mediad_ng_errors_total)
read -r lines supp total < <(sum_lines "$MDLOG" ng_bad_request)
echo "# ng_bad_request: $total lines, $supp suppressed, mediad_ng_errors_total $n0 -> $n1"
ok "10,000 bad ng commands: a bounded number of log lines ($total)" test "$total" -ge 2 -a "$total" -le 80
ok "10,000 bad ng commands: lines + suppressed = errors counted ($lines + $supp = $((n1 - n0)))" \
	test "$((lines + supp))" = "$((n1 - n0))" -a "$((n1 - n0))" -ge 1000
ok "mediad: still every log line a real line" only_real_lines "$MDLOG" mediad

ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

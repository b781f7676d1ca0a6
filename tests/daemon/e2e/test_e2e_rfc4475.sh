#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# RFC 4475 torture messages against a running sigproxy (with mediad and redis-server), over
# UDP and TCP: it stays up and answering, invalid messages get an error or are dropped and
# counted, and nothing invalid reaches the backend (a UDP sink that logs what it gets).
set -u
. "$(dirname "$0")/lib.sh"
need perl redis-server "$SIGPROXY" "$MEDIAD"
DATA=$SRC/tests/data/rfc4475
EXPECT=$SRC/tests/data/rfc4475_expect.txt
[ -d "$DATA" ] || { echo "no $DATA" >&2; exit 1; }
[ -f "$EXPECT" ] || { echo "no $EXPECT" >&2; exit 1; }

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CLIENT_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
export SINK_LOG=$DIR/sink.log

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_start || { echo "redis-server did not start" >&2; exit 1; }
mediad_start a "$OUT_IP" "$IN_IP" 36000 || exit 1
# The backend: logs every datagram, answers requests other than ACK with 486 so that
# forwarded INVITEs end at once.
perl -MIO::Socket::IP -e '
	my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => 5060, Proto => "udp") or die "$!";
	open(my $log, ">>", $ARGV[1]) or die; $log->autoflush(1);
	while (1) {
		my $peer = $s->recv(my $m, 65535) or next;
		print $log "=== ", length($m), "\n$m\n";
		next if $m =~ /^SIP\/2\.0/ || $m =~ /^ACK /;
		my %h; my @via = ($m =~ /^(Via[ \t]*:[^\r\n]*|v[ \t]*:[^\r\n]*)\r?\n/mig);
		my $r = "SIP/2.0 486 Busy Here\r\n" . join("", map { "$_\r\n" } @via);
		for my $n (qw(From To Call-ID CSeq)) { $r .= "$1\r\n" if $m =~ /^($n[ \t]*:[^\r\n]*)/mi }
		$r .= "Content-Length: 0\r\n\r\n";
		$s->send($r, 0, $peer);
	}' "$BACK_IP" "$SINK_LOG" >"$DIR/sink.out" 2>&1 &
PIDS+=("$!")
SP_TIMEOUT_MS=500
SP_EXTRA="[route any]
match = .*
timeout_ms = 500
target = sip:$BACK_IP:5060"
sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1

perl "$E2E_DIR_SRC/rfc4475_send.pl" udp "$SIP_IP" "$CLIENT_IP" "$SP_METRICS" "$DATA" "$EXPECT" "$DIR/outcomes.txt"
ok "UDP: every torture message handled as expected" test $? = 0
perl "$E2E_DIR_SRC/rfc4475_send.pl" tcp "$SIP_IP" "$CLIENT_IP" "$SP_METRICS" "$DATA" "$EXPECT" "$DIR/outcomes.txt"
ok "TCP: every torture message handled as expected" test $? = 0
# rfc4475_send.pl lets clerr/ncl/mcl01 go unanswered on TCP. clerr (a length beyond the
# bytes sent) rightly waits for more; ncl (negative length) and mcl01 (two lengths) are
# malformed as soon as the header section is in: the connection must be closed at once
# (not left to the idle timeout) and the garbage logged, and nothing forwarded.
# stream_closes FILE: prints "closed <ms> <bytes received>" or "open".
stream_closes() {
	perl -MIO::Socket::IP -MIO::Select -MTime::HiRes=time -e '
		my ($ip, $client, $f) = @ARGV;
		open(my $fh, "<:raw", $f) or die "$f: $!"; local $/; my $b = <$fh>; close $fh;
		my $s = IO::Socket::IP->new(PeerHost => $ip, PeerPort => 5060, LocalHost => $client,
			Proto => "tcp", Timeout => 3) or die "connect: $!";
		my $t0 = time; $s->syswrite($b); my $sel = IO::Select->new($s); my $got = 0;
		while ($sel->can_read(3 - (time - $t0))) {
			my $r = $s->sysread(my $c, 65536);
			if (!$r) { printf "closed %d %d\n", (time - $t0) * 1000, $got; exit 0 }
			$got += $r;
		}
		print "open\n";' "$SIP_IP" "$CLIENT_IP" "$1"
}
for f in ncl.dat mcl01.dat; do
	res=$(stream_closes "$DATA/$f")
	echo "# tcp $f: $res"
	ok "TCP $f: connection closed at once, nothing answered ($res)" \
		bash -c "[[ '$res' =~ ^closed\ ([0-9]+)\ 0\$ ]] && [ \${BASH_REMATCH[1]} -lt 1000 ]"
done
ok "TCP: the malformed lengths were logged as stream garbage" \
	grep -q "sip_stream_garbage transport=tcp .*peer=$CLIENT_IP:.*no valid Content-Length" "$DIR/sigproxy-a.log"
ok "sigproxy still running after both passes" kill -0 "$SIGPROXY_PID"
ok "the backend received the valid messages" grep -q "^INVITE" "$SINK_LOG"
e2e_finish

#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Torture messages against a running sigproxy, and what reached the other side. Two modes:
#
#   torture_send.pl send PROTO DST_IP:PORT CLIENT_IP LABEL METRICS_PORT SINK_LOG OUT \
#       EXPECT DIR [EXPECT DIR ...]
#     Sends every message listed in each EXPECT file (from DIR) over PROTO (udp, or tcp: a
#     fresh connection per message, also through a TLS client such as stunnel), reads the
#     answers, and checks the outcome: carry (forwarded: its Call-ID at the backend, the
#     backend's 486 back), accept (not refused as malformed), reject NNN, body NNN (with an
#     Accept header), drop (nothing back, counted in the metrics). Whatever was not to be
#     carried must never reach the backend. TAP lines; exit 1 on any failure.
#
#   torture_send.pl check LOG LABEL [MATCH]
#     Every message in LOG (records "=== <len>" then the bytes, as the sinks write them;
#     with MATCH only those containing that text, e.g. what a backend sent through us)
#     must be well-formed SIP: a start line, header lines with a name and a colon (or folded
#     continuations), no NUL or bare CR/LF, one From/To/Call-ID/CSeq, a Via, and a
#     Content-Length that is the body's length. Nothing sigproxy forwards may be broken.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(time sleep);

my ($N, $FAIL) = (0, 0);
my $label = '';
sub ok {
	my ($c, $what) = @_;
	$N++;
	print(($c ? "ok" : "not ok") . " $N - $label: $what\n");
	$FAIL++ unless $c;
	return $c;
}

sub records {
	my ($f) = @_;
	open(my $fh, '<:raw', $f) or return ();
	local $/;
	my $all = <$fh> // '';
	close $fh;
	my @r;
	while ($all =~ /\G=== (\d+)\n/gc) {
		my $len = $1;
		my $start = pos($all);
		push @r, substr($all, $start, $len);
		pos($all) = $start + $len + 1;
	}
	return @r;
}

sub wellformed {
	my ($m) = @_;
	my ($head, $body) = split /\r\n\r\n/, $m, 2;
	return 'no end of headers' unless defined $body;
	return 'NUL byte in the header section' if $head =~ /\x00/;
	my @lines = split /\r\n/, $head, -1;
	my $start = shift @lines;
	return "bad start line" unless $start =~ /^[A-Za-z]+ \S+ SIP\/2\.0$/ ||
		$start =~ /^SIP\/2\.0 [1-6]\d\d( .*)?$/;
	my %n;
	my $cl;
	for my $l (@lines) {
		return 'bare CR or LF in a header' if $l =~ /[\r\n]/;
		next if $l =~ /^[ \t]/;
		my ($name, $v) = $l =~ /^([A-Za-z0-9!%*_+`'~.-]+)[ \t]*:[ \t]*(.*)$/
			or return "header line without a name: " . substr($l, 0, 40);
		$name = lc $name;
		$name = { f => 'from', t => 'to', i => 'call-id', v => 'via', l => 'content-length' }->{$name} // $name;
		$n{$name}++;
		$cl = $v if $name eq 'content-length';
	}
	for my $h (qw(from to call-id cseq)) {
		return "not one $h" unless ($n{$h} // 0) == 1;
	}
	return 'no Via' unless $n{via};
	return 'no Content-Length' unless defined $cl;
	return "Content-Length $cl for a body of " . length($body) if $cl != length($body);
	return '';
}

my $mode = shift @ARGV // '';
if ($mode eq 'check') {
	my ($logf, $lb, $match) = @ARGV;
	$label = $lb // 'check';
	my @r = grep { !defined $match || index($_, $match) >= 0 } records($logf);
	my $bad = 0;
	for my $m (@r) {
		my $why = wellformed($m);
		next if $why eq '';
		$bad++;
		my ($cid) = $m =~ /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]{0,60})/mi;
		print "# broken (" . ($cid // '?') . "): $why\n";
	}
	ok(@r > 0 && $bad == 0, scalar(@r) . " messages, every one well-formed ($bad broken)");
	exit($FAIL ? 1 : 0);
}
die "usage: torture_send.pl send|check ...\n" unless $mode eq 'send';

my ($proto, $dst, $client, $lb, $mport, $sink, $outf, @pairs) = @ARGV;
die "usage\n" unless @pairs && @pairs % 2 == 0;
$label = $lb;
my ($dh, $dp) = $dst =~ /^(.*):(\d+)$/ or die "DST_IP:PORT\n";

sub metric_sum {
	my $h = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $mport, Proto => 'tcp',
		Timeout => 5) or return -1;
	$h->send("GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
	my ($txt, $sel) = ('', IO::Select->new($h));
	while ($sel->can_read(5)) {
		my $r = $h->sysread(my $c, 65536);
		last unless $r;
		$txt .= $c;
	}
	my $s = 0;
	$s += $1 while $txt =~
	    /^sigproxy_(?:drops|bad_requests|sip_garbage)_total(?:\{[^}]*\})?\s+(\d+)/mg;
	return $s;
}

my $udp;
if ($proto eq 'udp') {
	$udp = IO::Socket::IP->new(LocalHost => $client, LocalPort => 5060, Proto => 'udp')
		or die "bind $client:5060: $!\n";
}

# The ACK of a final failure to our INVITE (RFC 3261 §17.1.1.3), so that it is not
# retransmitted into the next message's exchange.
sub ack_for {
	my ($req, $resp) = @_;
	return '' unless $req =~ /^INVITE (\S+) /;
	my $ruri = $1;
	my ($via) = $req =~ /^((?:Via|v)[ \t]*:[^\r\n]*)/mi;
	my ($from) = $req =~ /^((?:From|f)[ \t]*:[^\r\n]*)/mi;
	my ($to) = $resp =~ /^((?:To|t)[ \t]*:[^\r\n]*)/mi;
	my ($cid) = $req =~ /^((?:Call-ID|i)[ \t]*:[^\r\n]*)/mi;
	my ($cseq) = $req =~ /^CSeq:[ \t]*(\d+)/mi;
	return '' unless $via && $from && $to && $cid && defined $cseq;
	return "ACK $ruri SIP/2.0\r\n$via\r\n$from\r\n$to\r\n$cid\r\nCSeq: $cseq ACK\r\n" .
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
}

# Sends bytes; the status codes of the answers to it (its Call-ID: a retransmission for
# an earlier message does not count) within $wait s, until a final one, and the final's text.
sub exchange {
	my ($bytes, $wait, $cid) = @_;
	my $sock = $udp;
	if ($proto eq 'tcp') {
		$sock = IO::Socket::IP->new(PeerHost => $dh, PeerPort => $dp, LocalHost => $client,
			Proto => 'tcp', Timeout => 3);
		unless ($sock) {
			print "# connect to $dh:$dp failed: $@\n";
			return ([], '');
		}
		my $off = 0;
		while ($off < length $bytes) {
			my $w = $sock->syswrite($bytes, 65536, $off);
			last unless defined $w;
			$off += $w;
		}
	} else {
		$udp->send($bytes, 0, Socket::pack_sockaddr_in($dp, Socket::inet_aton($dh)));
	}
	my $sel = IO::Select->new($sock);
	my $end = time + $wait;
	my @codes;
	my ($final, $buf) = ('', '');
	while ((my $left = $end - time) > 0) {
		last unless $sel->can_read($left);
		my $chunk = '';
		my $r = $sock->sysread($chunk, 70000);
		last if !$r && $proto eq 'tcp';
		$buf .= $chunk;
		while ($buf =~ s/\A(SIP\/2\.0 (\d{3})[^\r\n]*\r\n.*?\r\n\r\n)//s) {
			my ($resp, $code) = ($1, $2);
			my ($cl) = $resp =~ /^(?:Content-Length|l)[ \t]*:[ \t]*(\d+)/mi;
			my ($rcid) = $resp =~ /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]*)/mi;
			my $whole = $resp . ($cl && length($buf) >= $cl ? substr($buf, 0, $cl) : '');
			substr($buf, 0, $cl, '') if $cl && length($buf) >= $cl;
			# every answer as the caller got it, for "check" (nothing broken comes back)
			if (open(my $rl, '>>:raw', "$outf.responses")) {
				print $rl "=== ", length($whole), "\n$whole\n";
				close $rl;
			}
			next if defined $cid && defined $rcid && $rcid ne $cid;
			push @codes, $code;
			$final = $resp if $code >= 200;
		}
		$buf = '' if $proto eq 'udp';
		last if $final ne '';
	}
	if ($final =~ /^SIP\/2\.0 [3-6]/) {
		my $ack = ack_for($bytes, $final);
		if ($ack ne '' && $proto eq 'tcp') {
			$sock->syswrite($ack);
		} elsif ($ack ne '') {
			$udp->send($ack, 0, Socket::pack_sockaddr_in($dp, Socket::inet_aton($dh)));
		}
	}
	close $sock if $proto eq 'tcp';
	return (\@codes, $final);
}

# What the backend got during this run only (the log grows over the passes).
my $sink_base = scalar(my @r0 = records($sink));
sub sink_has {
	my ($cid) = @_;
	my @r = records($sink);
	return scalar grep { index($_, $cid) >= 0 } @r[$sink_base .. $#r];
}

# The same message sent again within 32 s is a retransmission (answered where the first
# came from): every pass makes its Call-IDs and branches its own. Header section only; a
# bare "z9hG4bK" branch stays bare (RFC 4475 badbranch must stay invalid).
sub per_run {
	my ($m) = @_;
	my $sep = index($m, "\r\n\r\n");
	my ($head, $rest) = $sep < 0 ? ($m, '') : (substr($m, 0, $sep), substr($m, $sep));
	$head =~ s/^((?:Call-ID|i)[ \t]*:[ \t]*)([^\r\n]*?)([ \t]*)(?=\r?\n|\z)/$1$2-$label$3/mgi;
	$head =~ s/(;[ \t]*branch[ \t]*=[ \t]*)(z9hG4bK[^;,\s]+|[^z;,\s][^;,\s]*)/$1$2-$label/i;
	return $head . $rest;
}

open(my $out, '>>', $outf) or die "$outf: $!\n";
my %wait_tcp = map { $_ => 1 } qw(clerr.dat ncl.dat mcl01.dat);
my (%refused_cid, $total);
while (my ($expect, $dir) = splice(@pairs, 0, 2)) {
	open(my $ef, '<', $expect) or die "$expect: $!\n";
	while (<$ef>) {
		next if /^\s*(#|$)/;
		my ($f, $outcome, $code) = split;
		$total++;
		open(my $fh, '<:raw', "$dir/$f") or die "$dir/$f: $!\n";
		my $bytes = do { local $/; <$fh> };
		close $fh;
		$bytes = per_run($bytes);
		my ($cid) = $bytes =~ /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/mi;
		my $before = metric_sum();
		my ($codes, $final) = exchange($bytes, $outcome eq 'carry' ? 4 : 1.2, $cid);
		my ($fc) = $final =~ /^SIP\/2\.0 (\d{3})/;
		$fc //= '';
		sleep(0.05);
		my $counted = metric_sum() - $before;
		print $out "$label $f outcome=$outcome expected=$code got=[@$codes] counted=$counted\n";
		if ($outcome eq 'carry') {
			my $seen = 0;
			for (1 .. 20) { last if ($seen = sink_has($cid)); sleep(0.05) }
			ok($seen && $fc eq '486', "$f carried: at the backend (" . ($seen ? 'yes' : 'no') .
				"), its 486 came back (got " . ($fc || 'none') . ")");
			next;
		}
		$refused_cid{$cid} = $f if $outcome ne 'accept' && defined $cid && length($cid) > 3;
		if ($proto eq 'tcp' && $wait_tcp{$f} && !@$codes) {
			ok(1, "$f (Content-Length beyond the data) waits for more on a stream");
		} elsif ($outcome eq 'reject') {
			ok($fc eq $code || ($fc eq '' && $counted > 0),
				"$f refused with $code, or dropped and counted (got " . ($fc || 'none') .
				", counted +$counted)");
		} elsif ($outcome eq 'body') {
			ok($fc eq $code && $final =~ /^Accept: application\/sdp/mi,
				"$f refused with $code and an Accept header (got " . ($fc || 'none') . ")");
		} elsif ($outcome eq 'drop') {
			ok((!@$codes || $fc ne '200') && ($fc ne '' || $counted > 0),
				"$f dropped and counted, or refused (got " . ($fc || 'none') . ", counted +$counted)");
		} else {
			ok($fc ne '400' && $fc ne '500', "$f (valid) not refused as malformed nor 500 (got " .
				($fc || 'none') . ")");
		}
	}
	close $ef;
}
close $out;
sleep(0.3);
my $leaked = 0;
for my $cid (sort keys %refused_cid) {
	next unless sink_has($cid);
	$leaked++;
	print "# $refused_cid{$cid} reached the backend\n";
}
ok($leaked == 0, "none of the refused or dropped messages reached the backend ($leaked did)");
print "# $label: $total messages, $N checks, $FAIL failed\n";
exit($FAIL ? 1 : 0);

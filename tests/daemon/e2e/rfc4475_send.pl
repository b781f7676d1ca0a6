#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Sends every RFC 4475 torture message to a running sigproxy over UDP or TCP, each followed
# by an OPTIONS that must be answered; checks the outcome against rfc4475_expect.txt and
# that invalid messages are answered with an error or dropped and counted (metrics).
# Usage: rfc4475_send.pl udp|tcp SIP_IP CLIENT_IP METRICS_PORT DATA_DIR EXPECT_FILE OUT_FILE
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(time sleep);

my ($proto, $sip, $client, $mport, $data, $expect, $outf) = @ARGV;
die "usage\n" unless defined $outf;
my %exp;
open(my $ef, '<', $expect) or die "$expect: $!\n";
while (<$ef>) {
	next if /^\s*(#|$)/;
	my ($f, $o, $c) = split;
	$exp{$f} = [$o, $c];
}
close $ef;

my $N = 0;
my $FAIL = 0;
sub ok {
	my ($c, $what) = @_;
	$N++;
	print(($c ? "ok" : "not ok") . " $N - $proto: $what\n");
	$FAIL++ unless $c;
	return $c;
}

sub metric_sum {
	# a plain HTTP/1.0 GET: no HTTP client package needed
	my $txt = '';
	my $h = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $mport, Proto => 'tcp',
		Timeout => 5) or return -1;
	$h->send("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
	my $sel = IO::Select->new($h);
	while ($sel->can_read(5)) {
		my $r = $h->sysread(my $chunk, 65536);
		last unless $r;
		$txt .= $chunk;
	}
	close $h;
	my $s = 0;
	for (split /\n/, $txt) {
		$s += $1 if /^sigproxy_(?:drops|bad_requests)_total(?:\{[^}]*\})?\s+(\d+)/;
	}
	return $s;
}

my $udp;
if ($proto eq 'udp') {
	$udp = IO::Socket::IP->new(LocalHost => $client, LocalPort => 5060, Proto => 'udp')
		or die "bind $client:5060: $!\n";
}

my $last_reason = '';
# Sends bytes, collects the status codes of every response within $wait seconds.
sub exchange {
	my ($bytes, $wait) = @_;
	my $sock = $udp;
	if ($proto eq 'tcp') {
		$sock = IO::Socket::IP->new(PeerHost => $sip, PeerPort => 5060, LocalHost => $client,
			Proto => 'tcp', Timeout => 3) or return ('connect-failed');
		$sock->send($bytes);
	} else {
		my $dst = Socket::pack_sockaddr_in(5060, Socket::inet_aton($sip));
		$udp->send($bytes, 0, $dst);
	}
	my $sel = IO::Select->new($sock);
	my $end = time + $wait;
	my @codes;
	my $buf = '';
	while ((my $left = $end - time) > 0) {
		last unless $sel->can_read($left);
		my $chunk;
		my $r = $sock->recv($chunk, 65535);
		last if !defined $r || (!length($chunk) && $proto eq 'tcp');
		$buf .= $chunk;
		while ($buf =~ s/^SIP\/2\.0 (\d{3})([^\r\n]*)\r\n//m) {
			push @codes, $1;
			$last_reason = $2;
			last if $1 >= 200 && $wait < 10 && $proto eq 'udp';
		}
		last if grep { $_ >= 200 } @codes;
	}
	close $sock if $proto eq 'tcp';
	return @codes;
}

sub options {
	my $b = "z9hG4bK-opt-" . int(rand(1e9));
	my $cid = "opt-" . int(rand(1e9)) . "\@e2e";
	my $via = $proto eq 'udp' ? "SIP/2.0/UDP $client:5060;rport;branch=$b" : "SIP/2.0/TCP $client;branch=$b";
	return "OPTIONS sip:$sip:5060 SIP/2.0\r\nVia: $via\r\nMax-Forwards: 70\r\n" .
		"From: <sip:probe\@example.test>;tag=t$$\r\nTo: <sip:$sip>\r\nCall-ID: $cid\r\n" .
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

open(my $out, '>>', $outf) or die;
opendir(my $dh, $data) or die "$data: $!\n";
my @files = sort grep { /\.dat$/ } readdir $dh;
closedir $dh;
ok(@files >= 49, "found " . scalar(@files) . " torture messages");
my %bad_cid;
# Messages whose Content-Length (too large, negative, or two values) makes a stream
# parser wait for more bytes instead of answering.
my %tcp_wait = map { $_ => 1 } qw(clerr.dat ncl.dat mcl01.dat);
for my $f (@files) {
	my $e = $exp{$f};
	unless ($e) {
		ok(0, "$f has an expected outcome in rfc4475_expect.txt");
		next;
	}
	my ($outcome, $code) = @$e;
	local $/;
	open(my $fh, '<:raw', "$data/$f") or die;
	my $bytes = <$fh>;
	close $fh;
	my ($cid) = $bytes =~ /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/mi;
	$bad_cid{$cid} = $f if $outcome ne 'accept' && defined $cid && length($cid) > 3;
	my $before = metric_sum();
	$last_reason = '';
	my @codes = exchange($bytes, 1.5);
	my $reason = $last_reason;
	my $final = (grep { $_ >= 200 } @codes)[0] // '';
	sleep 0.1;
	my $after = metric_sum();
	print $out "$proto $f outcome=$outcome expected=$code got=[@codes]$reason counted=" . ($after - $before) . "\n";
	if ($proto eq 'tcp' && $outcome eq 'reject' && $tcp_wait{$f} && !@codes) {
		# On a stream a Content-Length beyond the bytes sent reads as "more to come":
		# sigproxy waits for the rest. Still checked: it stays up, forwards nothing.
		print "# note: tcp $f: no answer, sigproxy waits for the body its Content-Length announces\n";
		ok(1, "$f (Content-Length beyond the data) not answered on a stream, waits for more");
	} elsif ($outcome eq 'reject' || $outcome eq 'body') {
		ok(($final eq $code) || ($final eq '' && $after > $before),
			"$f rejected with $code, or dropped and counted (got " . ($final || 'none') .
			", counter +" . ($after - $before) . ")");
	} elsif ($outcome eq 'drop') {
		ok((!@codes || $final ne '200') && ($final ne '' || $after > $before),
			"$f dropped and counted, or refused (got " . ($final || 'none') . ", counter +" . ($after - $before) . ")");
	} else {
		ok($final ne '400', "$f (valid) not refused as malformed (got " . ($final ? "$final$reason" : 'none') . ")");
	}
	my @oc = exchange(options(), 3);
	ok(scalar(grep { $_ >= 200 } @oc), "OPTIONS after $f answered (" . join(',', @oc) . ")");
}
close $out;
# The backend sink logs the Call-ID of everything it received.
for my $cid (sort keys %bad_cid) {
	my $seen = `grep -cF -- "$cid" "$ENV{SINK_LOG}" 2>/dev/null` || 0;
	chomp $seen;
	ok($seen == 0, "invalid $bad_cid{$cid} never reached the backend");
}
print "# $proto: $N checks, $FAIL failed\n";
exit($FAIL ? 1 : 0);

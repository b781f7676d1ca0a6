#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A HEP3 collector for the trace test: receives HEP packets on UDP ADDR:PORT for at most
# SECONDS, decodes every chunk, and writes one record per packet to OUT:
#   "hep family=2 proto=17 src=1.2.3.4:5060 dst=... sec=... usec=... type=1 capture=2001
#    corr=<call-id> len=<payload bytes> ok=<1 when every chunk parsed and lengths add up>"
# followed by the payload and a line "end". Raw packets also go to RAW (for grep) and,
# with FORWARD host:port, on to a second collector (sngrep).
# usage: hep_collector.pl ADDR PORT SECONDS OUT RAW [FORWARD]
use strict;
use warnings;
use IO::Socket::IP;
use Socket qw(inet_ntop AF_INET AF_INET6);

my ($addr, $port, $secs, $out, $raw, $fwd) = @ARGV;
my $s = IO::Socket::IP->new(LocalHost => $addr, LocalPort => $port, Proto => 'udp')
	or die "bind $addr:$port: $!";
my $f;
if ($fwd) {
	my ($fh, $fp) = split /:/, $fwd;
	$f = IO::Socket::IP->new(PeerHost => $fh, PeerPort => $fp, Proto => 'udp') or die "fwd: $!";
}
open(my $o, '>', $out) or die "$out: $!";
open(my $r, '>', $raw) or die "$raw: $!";
binmode $r;
$o->autoflush(1);
$r->autoflush(1);
my $end = time + $secs;
$SIG{TERM} = sub { exit 0 };
while (time < $end) {
	my $rin = '';
	vec($rin, fileno($s), 1) = 1;
	next unless select(my $rout = $rin, undef, undef, 0.5);
	my $pkt;
	$s->recv($pkt, 70000) or next;
	print $r $pkt;
	$f->send($pkt) if $f;
	my %c;
	my $ok = 1;
	if (substr($pkt, 0, 4) ne 'HEP3' || length($pkt) < 6) {
		print $o "hep bad-magic\nend\n";
		next;
	}
	my $total = unpack('n', substr($pkt, 4, 2));
	$ok = 0 if $total != length($pkt);
	my $i = 6;
	while ($i + 6 <= length($pkt)) {
		my ($vendor, $type, $len) = unpack('nnn', substr($pkt, $i, 6));
		if ($len < 6 || $i + $len > length($pkt)) { $ok = 0; last; }
		$c{$type} = substr($pkt, $i + 6, $len - 6) if $vendor == 0;
		$i += $len;
	}
	$ok = 0 if $i != length($pkt);
	my $fam = defined $c{1} ? unpack('C', $c{1}) : -1;
	my ($src, $dst) = ('?', '?');
	if ($fam == 2 && defined $c{3} && defined $c{4}) {
		$src = inet_ntop(AF_INET, $c{3});
		$dst = inet_ntop(AF_INET, $c{4});
	} elsif ($fam == 10 && defined $c{5} && defined $c{6}) {
		$src = '[' . inet_ntop(AF_INET6, $c{5}) . ']';
		$dst = '[' . inet_ntop(AF_INET6, $c{6}) . ']';
	} else {
		$ok = 0;
	}
	my $u8 = sub { defined $c{$_[0]} && length($c{$_[0]}) == 1 ? unpack('C', $c{$_[0]}) : do { $ok = 0; -1 } };
	my $u16 = sub { defined $c{$_[0]} && length($c{$_[0]}) == 2 ? unpack('n', $c{$_[0]}) : do { $ok = 0; -1 } };
	my $u32 = sub { defined $c{$_[0]} && length($c{$_[0]}) == 4 ? unpack('N', $c{$_[0]}) : do { $ok = 0; -1 } };
	my $payload = $c{15} // do { $ok = 0; '' };
	printf $o "hep family=%d proto=%d src=%s:%d dst=%s:%d sec=%d usec=%d type=%d capture=%d corr=%s len=%d ok=%d\n",
		$fam, $u8->(2), $src, $u16->(7), $dst, $u16->(8), $u32->(9), $u32->(10), $u8->(11),
		$u32->(12), $c{17} // '-', length($payload), $ok;
	print $o $payload, "end\n";
}

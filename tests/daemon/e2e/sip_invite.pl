#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# One call attempt over UDP with plain RTP, for tests that care about its final answer:
#   sip_invite.pl FROM_IP TO_IP:PORT USER CALL-ID WAIT_S
# Prints one line per response ("provisional 180", "final 503 Service Unavailable") and
# "final 0 timeout" when no final answer came within WAIT_S. A failure is ACKed; a 2xx is
# ACKed and ended with a BYE (answered too), so nothing is left behind.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(time);

$| = 1;
my ($from, $to, $user, $cid, $wait) = @ARGV;
die "usage: sip_invite.pl FROM_IP TO_IP:PORT USER CALL-ID WAIT_S\n" unless defined $wait;
my ($th, $tp) = $to =~ /^(.*):(\d+)$/ or die "want ip:port\n";
my $s = IO::Socket::IP->new(LocalHost => $from, PeerHost => $th, PeerPort => $tp, Proto => 'udp')
	or die "socket: $@\n";
my $lp = $s->sockport;
my $ftag = "t" . int(rand(1e9));
my $br = "z9hG4bK" . int(rand(1e12));
my $sdp = "v=0\r\no=t 1 1 IN IP4 $from\r\ns=-\r\nc=IN IP4 $from\r\nt=0 0\r\n" .
	"m=audio 40100 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
my $common = "From: <sip:tester\@$from>;tag=$ftag\r\nCall-ID: $cid\r\n";
$s->send("INVITE sip:$user\@$th SIP/2.0\r\nVia: SIP/2.0/UDP $from:$lp;branch=$br\r\n" .
	"${common}To: <sip:$user\@$th>\r\nCSeq: 1 INVITE\r\nContact: <sip:tester\@$from:$lp>\r\n" .
	"Max-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: " . length($sdp) .
	"\r\n\r\n$sdp");
my $sel = IO::Select->new($s);
my $end = time + $wait;
while (time < $end) {
	next unless $sel->can_read($end - time);
	my $m;
	$s->recv($m, 65535);
	my ($code, $reason) = $m =~ /^SIP\/2\.0 (\d+) ([^\r\n]*)/ or next;
	my ($cseq) = $m =~ /^CSeq:\s*\d+\s+(\w+)/mi;
	next unless ($cseq // '') eq 'INVITE';
	if ($code < 200) {
		print "provisional $code\n";
		next;
	}
	my ($tohdr) = $m =~ /^(To:[^\r\n]*)/mi;
	if ($code >= 300) {
		$s->send("ACK sip:$user\@$th SIP/2.0\r\nVia: SIP/2.0/UDP $from:$lp;branch=$br\r\n" .
			"$common$tohdr\r\nCSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	} else {
		my @rr = reverse($m =~ /^Record-Route:\s*([^\r\n]*)/mig);
		my $route = @rr ? "Route: " . join(", ", @rr) . "\r\n" : "";
		my ($ct) = $m =~ /^Contact:\s*<([^>]*)>/mi;
		for my $req (["ACK", 1], ["BYE", 2]) {
			$s->send("$req->[0] $ct SIP/2.0\r\nVia: SIP/2.0/UDP $from:$lp;branch=" .
				"z9hG4bK" . int(rand(1e12)) . "\r\n$common$tohdr\r\n$route" .
				"CSeq: $req->[1] $req->[0]\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
		}
	}
	print "final $code $reason\n";
	exit 0;
}
print "final 0 timeout\n";

#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A backend for the torture test: logs every datagram it gets ("=== <len>" then the bytes) and
# answers every request but ACK. An INVITE carrying "X-Torture-Response: <kind>" gets that
# torture response, anything else a plain 486:
#   r_utf8      486 with a UTF-8 reason phrase              (valid: must come back unchanged)
#   r_compact   486 in compact header forms                 (valid)
#   r_folded    486 with folded header lines                (valid)
#   r_huge      486 with a 30 kB header                     (valid)
#   r_many      486 with 80 vendor headers                  (valid)
#   r_183mp     183 with multipart SDP + ISUP, then 486     (valid: SDP through mediad)
#   r_nul       486 with a NUL byte in a header             (invalid: dropped)
#   r_dupto     486 with two To headers                     (invalid: dropped)
#   r_status    "SIP/2.0 99 ..."                            (invalid: dropped)
#   r_cl        486 announcing a body it does not carry     (invalid: dropped)
# Usage: torture_backend.pl IP LOG
use strict;
use warnings;
use IO::Socket::IP;
use Time::HiRes qw(sleep);

my ($ip, $logf) = @ARGV;
die "usage: torture_backend.pl IP LOG\n" unless defined $logf;
my $s = IO::Socket::IP->new(LocalHost => $ip, LocalPort => 5060, Proto => 'udp')
	or die "bind $ip:5060: $!\n";
open(my $log, '>>:raw', $logf) or die "$logf: $!\n";
$log->autoflush(1);

sub hdr_lines {
	my ($m, $name, $compact) = @_;
	my @l;
	my $head = (split /\r\n\r\n/, $m, 2)[0];
	$head =~ s/\r\n[ \t]+/ /g;	# folded lines joined (RFC 3261 §7.3.1)
	for my $line (split /\r\n/, $head) {
		push @l, $line if $line =~ /^(?:$name|$compact)[ \t]*:/i;
	}
	return @l;
}

while (1) {
	my $peer = $s->recv(my $m, 65535) or next;
	print $log "=== ", length($m), "\n$m\n";
	next if $m =~ /^SIP\/2\.0 / || $m =~ /^ACK /;
	my @via = hdr_lines($m, 'Via', 'v');
	my ($from) = hdr_lines($m, 'From', 'f');
	my ($to) = hdr_lines($m, 'To', 't');
	my ($cid) = hdr_lines($m, 'Call-ID', 'i');
	my ($cseq) = hdr_lines($m, 'CSeq', 'CSeq');
	next unless @via && $from && $to && $cid && $cseq;
	$to .= ';tag=torture1' unless $to =~ /;tag=/;
	my ($kind) = $m =~ /^X-Torture-Response:[ \t]*(\S+)/mi;
	$kind //= '';
	my $common = join('', map { "$_\r\n" } @via) . "$from\r\n$to\r\n$cid\r\n$cseq\r\n";
	my $r;
	if ($kind eq 'r_utf8') {
		$r = "SIP/2.0 486 Besetzt \xe2\x80\x93 sp\xc3\xa4ter \xe2\x98\x8e\r\n${common}Content-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_compact') {
		my $c = $common;
		$c =~ s/^Via:/v:/mgi;
		$c =~ s/^From:/f:/mi;
		$c =~ s/^To:/t:/mi;
		$c =~ s/^Call-ID:/i:/mi;
		$r = "SIP/2.0 486 Busy Here\r\n${c}l: 0\r\n\r\n";
	} elsif ($kind eq 'r_folded') {
		$r = "SIP/2.0 486 Busy Here\r\n${common}Warning: 399 backend\r\n \"folded over\"\r\n\t\" two lines\"\r\nContent-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_huge') {
		$r = "SIP/2.0 486 Busy Here\r\n${common}X-Huge: " . ('h' x 30000) . "\r\nContent-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_many') {
		$r = "SIP/2.0 486 Busy Here\r\n$common" . join('', map { "X-Vendor-$_: v$_\r\n" } 1 .. 80) .
			"Content-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_183mp') {
		my ($mip) = $m =~ /^c=IN IP4 ([0-9.]+)/m;
		my $sdp = "v=0\r\no=backend 1 1 IN IP4 $ip\r\ns=-\r\nc=IN IP4 $ip\r\nt=0 0\r\n" .
			"m=audio 45990 RTP/AVP 0\r\n";
		my $body = "--bb\r\nContent-Type: application/sdp\r\n\r\n$sdp\r\n--bb\r\n" .
			"Content-Type: application/ISUP;version=nxv3;base=etsi121\r\n" .
			"Content-Disposition: signal;handling=optional\r\n\r\nACM 8011001\r\n--bb--\r\n";
		my $p = "SIP/2.0 183 Session Progress\r\n${common}Contact: <sip:backend\@$ip:5060>\r\n" .
			"Content-Type: multipart/mixed;boundary=bb\r\nContent-Length: " . length($body) .
			"\r\n\r\n$body";
		$s->send($p, 0, $peer);
		sleep(0.3);
		$r = "SIP/2.0 486 Busy Here\r\n${common}Content-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_nul') {
		$r = "SIP/2.0 486 Busy Here\r\n${common}Server: backend\x00evil\r\nContent-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_dupto') {
		$r = "SIP/2.0 486 Busy Here\r\n${common}To: <sip:other\@example.test>;tag=x\r\nContent-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_status') {
		$r = "SIP/2.0 99 Too Small\r\n${common}Content-Length: 0\r\n\r\n";
	} elsif ($kind eq 'r_cl') {
		$r = "SIP/2.0 486 Busy Here\r\n${common}Content-Length: 50\r\n\r\n";
	} else {
		$r = "SIP/2.0 486 Busy Here\r\n${common}Content-Length: 0\r\n\r\n";
	}
	$s->send($r, 0, $peer);
}

#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# One SIP request from a file to the SBC over UDP or TCP, as a caller would send it:
#   sip_oneshot.pl udp|tcp FROM_IP TO_IP:PORT FILE [WAIT_S]
# In FILE, @LOCAL@ becomes FROM_IP:PORT (the socket's own) and Content-Length is set to the
# body's length (unless the file says "Content-Length: keep"). Every response is read until
# a final one (or WAIT_S, default 5); a final non-2xx answer to an INVITE is ACKed. Prints
# "final=<code>" (0: none) and then the final response's header lines, one per line. With
# ONESHOT_ALL=FILE every response is also appended to FILE whole ("=== <len>" and the bytes).
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(time);

my ($proto, $from, $to, $file, $wait) = @ARGV;
die "usage: sip_oneshot.pl udp|tcp FROM_IP TO_IP:PORT FILE [WAIT_S]\n" unless defined $file;
$wait //= 5;
my ($th, $tp) = $to =~ /^(.*):(\d+)$/ or die "want ip:port\n";
open(my $fh, '<:raw', $file) or die "$file: $!\n";
my $msg = do { local $/; <$fh> };
close $fh;

my $s;
if ($proto eq 'udp') {
	$s = IO::Socket::IP->new(LocalHost => $from, LocalPort => 0, Proto => 'udp')
		or die "bind: $@\n";
} else {
	$s = IO::Socket::IP->new(PeerHost => $th, PeerPort => $tp, LocalHost => $from,
		Proto => 'tcp', Timeout => 3) or die "connect: $@\n";
}
my $local = $from . ':' . $s->sockport;
$msg =~ s/\@LOCAL\@/$local/g;
unless ($msg =~ /^Content-Length: keep\r?$/mi) {
	my ($head, $body) = split /\r\n\r\n/, $msg, 2;
	$body //= '';
	my $l = length $body;
	$head =~ s/^(Content-Length|l)[ \t]*:[^\r\n]*/Content-Length: $l/mi;
	$msg = "$head\r\n\r\n$body";
}
$msg =~ s/^Content-Length: keep\r\n//mi;

sub put {
	my ($m) = @_;
	if ($proto eq 'udp') {
		$s->send($m, 0, Socket::pack_sockaddr_in($tp, Socket::inet_aton($th)));
	} else {
		my $off = 0;
		while ($off < length $m) {
			my $n = $s->syswrite($m, 65536, $off);
			die "write: $!\n" unless defined $n;
			$off += $n;
		}
	}
}
put($msg);

my $sel = IO::Select->new($s);
my $end = time + $wait;
my ($buf, $final, $code) = ('', undef, 0);
while (!defined $final && (my $left = $end - time) > 0) {
	last unless $sel->can_read($left);
	my $chunk = '';
	my $r = $s->sysread($chunk, 70000);
	last if !$r && $proto eq 'tcp';
	$buf .= $chunk;
	# one response per datagram; on a stream, split on the header end (no bodies here)
	while ($buf =~ s/\A(SIP\/2\.0 (\d{3})[^\r\n]*\r\n.*?\r\n\r\n)//s) {
		my ($resp, $c) = ($1, $2);
		my $whole = $resp;
		if ($resp =~ /^(?:Content-Length|l)[ \t]*:[ \t]*(\d+)/mi && $1 > 0) {
			$whole .= substr($buf, 0, $1);
			$buf = substr($buf, $1) if length($buf) >= $1;
		}
		if ($ENV{ONESHOT_ALL} && open(my $all, '>>:raw', $ENV{ONESHOT_ALL})) {
			print $all "=== ", length($whole), "\n$whole\n";
			close $all;
		}
		if ($c >= 200) {
			($final, $code) = ($resp, $c);
			last;
		}
	}
	$buf = '' if $proto eq 'udp';
}
if (defined $final && $code >= 300 && $msg =~ /^INVITE ([^ ]+) /) {
	# RFC 3261 §17.1.1.3: the ACK of a failure, same branch, the response's To
	my $ruri = $1;
	my ($via) = $msg =~ /^(Via:[^\r\n]*)/mi;
	my ($fromh) = $msg =~ /^(From:[^\r\n]*)/mi;
	my ($toh) = $final =~ /^(To:[^\r\n]*)/mi;
	my ($cid) = $msg =~ /^(Call-ID:[^\r\n]*)/mi;
	my ($cseq) = $msg =~ /^CSeq:[ \t]*(\d+)/mi;
	put("ACK $ruri SIP/2.0\r\n$via\r\n$fromh\r\n$toh\r\n$cid\r\nCSeq: $cseq ACK\r\n" .
	    "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n") if $via && $fromh && $toh && $cid;
}
print "final=$code\n";
print map { "$_\n" } split /\r\n/, $final if defined $final;
exit 0;

#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# OPTIONS over UDP for the health tests, three ways:
#   ask FROM_IP TO_IP:PORT USER      one OPTIONS to the SBC; prints "<status> retry-after=<v|none>"
#                                    (status 0: no answer within 2 s)
#   respond IP:PORT CODE LOG [drop=N,M] [replay_after=K]
#                                    a backend answering every OPTIONS with CODE until killed;
#                                    drop: the Nth, Mth... are ignored (lost probes); replay_after:
#                                    from the (K+1)th on, the answer to the Kth is sent again
#                                    instead of a fresh one (a replayed old answer). Logs one
#                                    line per OPTIONS: "<n> <answered|dropped|replayed> <branch>"
#   forge FROM_IP TO_IP:PORT COUNT   COUNT 200 answers to OPTIONS with made-up probe branches
#                                    (forged answers), 20 ms apart
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(sleep);

$| = 1;
my $mode = shift @ARGV // '';

sub sock_at {
	my ($ip, $port) = @_;
	return IO::Socket::IP->new(LocalHost => $ip, LocalPort => $port // 0, Proto => 'udp')
		or die "bind $ip: $@\n";
}

sub hostport {
	my ($hp) = @_;
	my ($h, $p) = $hp =~ /^(.*):(\d+)$/ or die "want ip:port, got $hp\n";
	return ($h, $p);
}

# The answer to request $req: its Via, From, To (with a tag), Call-ID and CSeq.
sub answer_to {
	my ($req, $code) = @_;
	my $hdrs = '';
	for my $l (split /\r\n/, $req) {
		if ($l =~ /^(Via|v|From|f|Call-ID|i|CSeq):/i) {
			$hdrs .= "$l\r\n";
		} elsif ($l =~ /^(To|t):/i) {
			$hdrs .= $l . ($l =~ /;tag=/ ? '' : ';tag=resp') . "\r\n";
		}
	}
	my $reason = $code == 200 ? 'OK' : $code == 403 ? 'Forbidden' : 'Whatever';
	return "SIP/2.0 $code $reason\r\n${hdrs}Content-Length: 0\r\n\r\n";
}

if ($mode eq 'ask') {
	my ($from, $to, $user) = @ARGV;
	my ($th, $tp) = hostport($to);
	my $s = sock_at($from);
	my $lp = $s->sockport;
	my $br = sprintf('z9hG4bKask%08x', int(rand(0xffffffff)));
	my $msg = "OPTIONS sip:$user\@$th:$tp SIP/2.0\r\n" .
		"Via: SIP/2.0/UDP $from:$lp;branch=$br;rport\r\n" .
		"From: <sip:monitor\@$from>;tag=m$$\r\nTo: <sip:$user\@$th>\r\n" .
		"Call-ID: ask-$$-$br\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n" .
		"Content-Length: 0\r\n\r\n";
	my $dst = IO::Socket::IP->new(PeerHost => $th, PeerPort => $tp, Proto => 'udp') or die;
	$s->send($msg, 0, $dst->peername) or die "send: $!\n";
	my $sel = IO::Select->new($s);
	while ($sel->can_read(2)) {
		my $buf;
		$s->recv($buf, 65535);
		next unless $buf =~ /^SIP\/2\.0 (\d{3})/;
		my $st = $1;
		next if $st < 200;
		my $ra = $buf =~ /\r\nRetry-After:\s*(\d+)/i ? $1 : 'none';
		print "$st retry-after=$ra\n";
		exit 0;
	}
	print "0 retry-after=none\n";
	exit 0;
}

if ($mode eq 'respond') {
	my ($at, $code, $log, @opts) = @ARGV;
	my %o = map { split /=/, $_, 2 } @opts;
	my %drop = map { $_ => 1 } split /,/, ($o{drop} // '');
	my $replay_after = $o{replay_after} // 0;
	my ($ip, $port) = hostport($at);
	my $s = sock_at($ip, $port);
	open(my $lf, '>>', $log) or die "$log: $!\n";
	$lf->autoflush(1);
	my ($n, $saved) = (0, undef);
	while (1) {
		my $buf;
		my $peer = $s->recv($buf, 65535);
		next unless defined $peer && $buf =~ /^OPTIONS /;
		$n++;
		my ($br) = $buf =~ /branch=([^;\s]+)/;
		$br //= '-';
		if ($drop{$n}) {
			print $lf "$n dropped $br\n";
			next;
		}
		if ($replay_after && $n > $replay_after && defined $saved) {
			$s->send($saved, 0, $peer);
			print $lf "$n replayed $br\n";
			next;
		}
		my $ans = answer_to($buf, $code);
		$saved = $ans if $n == $replay_after;
		$s->send($ans, 0, $peer);
		print $lf "$n answered $br\n";
	}
}

if ($mode eq 'forge') {
	my ($from, $to, $count) = @ARGV;
	my ($th, $tp) = hostport($to);
	my $s = sock_at($from);
	my $lp = $s->sockport;
	my $dst = IO::Socket::IP->new(PeerHost => $th, PeerPort => $tp, Proto => 'udp') or die;
	for my $i (1 .. $count) {
		my $br = sprintf('z9hG4bKhc%08x%08x', int(rand(0xffffffff)), int(rand(0xffffffff)));
		my $msg = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP $th:$tp;branch=$br\r\n" .
			"From: <sip:sigproxy\@$th>;tag=f$i\r\nTo: <sip:$from:$lp>;tag=x\r\n" .
			"Call-ID: hc-forged-$i\r\nCSeq: $i OPTIONS\r\nContent-Length: 0\r\n\r\n";
		$s->send($msg, 0, $dst->peername);
		sleep(0.02);
	}
	exit 0;
}

die "usage: sip_options.pl ask|respond|forge ...\n";

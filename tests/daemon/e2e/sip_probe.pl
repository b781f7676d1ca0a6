#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A minimal SIP peer over UDP for border tests: sends a crafted request and prints the
# status code of every response to it, or listens on an address and prints the first line
# of every datagram that arrives (a decoy proving that nothing reached it).
#
#   sip_probe.pl send FROM_IP TO_IP:PORT WAIT_MS COUNT FILE
#       FILE ('-': stdin) holds one message, LF or CRLF line ends; "{n}" is replaced by
#       the send number (unique branches), Content-Length is computed. Sends it COUNT
#       times, then prints each response's status code on its own line (until a final
#       one per request or WAIT_MS after the last send); "none" when nothing came.
#       PROBE_GAP_US in the environment: microseconds between sends.
#   sip_probe.pl listen IP:PORT SECONDS OUT_FILE
#       Appends "<first line>" of every datagram received for SECONDS to OUT_FILE.
use strict;
use warnings;
use IO::Socket::IP;
use IO::Select;
use Time::HiRes qw(time);

my $mode = shift // '';

sub hostport {
	my ($s) = @_;
	$s =~ /^(.*):(\d+)$/ or die "need ip:port, got $s\n";
	return ($1, $2);
}

if ($mode eq 'listen') {
	my ($on, $secs, $out) = @ARGV;
	die "usage: listen IP:PORT SECONDS OUT_FILE\n" unless defined $out;
	my ($ip, $port) = hostport($on);
	my $s = IO::Socket::IP->new(LocalHost => $ip, LocalPort => $port, Proto => 'udp',
		ReuseAddr => 1) or die "bind $on: $!\n";
	open(my $fh, '>>', $out) or die "$out: $!\n";
	$fh->autoflush(1);
	my $sel = IO::Select->new($s);
	my $end = time + $secs;
	while ((my $left = $end - time) > 0) {
		next unless $sel->can_read($left);
		my $from = $s->recv(my $buf, 65535) // next;
		my ($first) = split /\r?\n/, $buf, 2;
		print $fh ($first // ''), "\n";
	}
	exit 0;
}

die "usage: send FROM_IP TO_IP:PORT WAIT_MS COUNT FILE | listen IP:PORT SECONDS OUT_FILE\n"
	unless $mode eq 'send' && @ARGV == 5;
my ($from, $to, $wait, $count, $file) = @ARGV;
my ($tip, $tport) = hostport($to);
my $tmpl = do {
	local $/;
	my $fh;
	if ($file eq '-') { $fh = \*STDIN } else { open($fh, '<', $file) or die "$file: $!\n" }
	<$fh>;
};
$tmpl =~ s/\r?\n/\r\n/g;
my $s = IO::Socket::IP->new(LocalHost => $from, LocalPort => 0, PeerHost => $tip,
	PeerPort => $tport, Proto => 'udp') or die "socket $from -> $to: $!\n";
my $sel = IO::Select->new($s);
my ($finals, $any) = (0, 0);

# Reads the responses waiting now, or for up to $t seconds.
sub take {
	my ($t) = @_;
	while ($sel->can_read($t)) {
		$s->recv(my $buf, 65535) // next;
		next unless $buf =~ m{^SIP/2\.0 (\d{3})};
		print "$1\n";
		$any++;
		$finals++ if $1 >= 200;
		return if $t > 0;
	}
}

for my $n (1 .. $count) {
	my $m = $tmpl;
	$m =~ s/\{n\}/$n/g;
	my ($hdr, $body) = split /\r\n\r\n/, $m, 2;
	$body //= '';
	$hdr =~ s/\r\nContent-Length:[^\r]*//i;
	$s->send("$hdr\r\nContent-Length: " . length($body) . "\r\n\r\n$body");
	# answers are read while the flood goes out: our receive buffer must not overflow
	take(0);
	Time::HiRes::usleep($ENV{PROBE_GAP_US}) if $ENV{PROBE_GAP_US};
}
my $end = time + $wait / 1000;
while ($finals < $count && (my $left = $end - time) > 0) {
	take($left);
}
print "none\n" unless $any;
exit 0;

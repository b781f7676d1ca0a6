#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A service manager's notification socket for tests: binds a datagram socket at PATH and
# appends one line per message to OUT: "<monotonic ms> <message, newlines as ' | '>".
# Runs until killed (the test stops it by PID).
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my ($path, $out) = @ARGV;
die "usage: notify_listen.pl SOCKET OUTFILE\n" unless defined $out;
unlink $path;
my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path) or die "bind $path: $!\n";
open(my $fh, '>>', $out) or die "$out: $!\n";
$fh->autoflush(1);
print $fh sprintf("%d listening\n", clock_gettime(CLOCK_MONOTONIC) * 1000);
while (1) {
	my $msg;
	defined $s->recv($msg, 4096) or next;
	$msg =~ s/\n+$//;
	$msg =~ s/\n/ | /g;
	print $fh sprintf("%d %s\n", clock_gettime(CLOCK_MONOTONIC) * 1000, $msg);
}

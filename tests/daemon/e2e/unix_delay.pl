#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A slow path to Redis for one daemon: listens on the unix socket LISTEN, connects each
# client to TARGET, and forwards every byte both ways DELAY_MS after it arrived, in order.
# The client's commands reach Redis late while everyone else's go straight there, so a
# test can make "read, then act on what was read" lose a race it must never lose.
# Runs at most LIFETIME_S seconds (the test stops it sooner, by PID).
#   unix_delay.pl LISTEN TARGET DELAY_MS LIFETIME_S
use strict;
use warnings;
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

my ($listen, $target, $delay_ms, $lifetime) = @ARGV;
die "usage: unix_delay.pl LISTEN TARGET DELAY_MS LIFETIME_S\n" unless defined $lifetime;
my $delay = $delay_ms / 1000;
my $end = time + $lifetime;
unlink $listen;
my $srv = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $listen, Listen => 16)
	or die "unix_delay: listen $listen: $!\n";
my $sel = IO::Select->new($srv);
my %peer;	# fileno -> the socket it forwards to
my %sock;	# fileno -> socket
my %queue;	# fileno of the destination -> [ [due, bytes], ... ]

sub drop {
	my ($s) = @_;
	my $f = fileno $s;
	return unless defined $f;
	my @pair = ($s);
	push @pair, $peer{$f} if defined $peer{$f};
	for my $i (0 .. $#pair) {
		my $x = $pair[$i];
		my $g = fileno $x;
		next unless defined $g;
		$sel->remove($x);
		delete $peer{$g};
		delete $sock{$g};
		delete $queue{$g};
		close $x;
	}
}

while (time < $end) {
	my $now = time;
	# what is due goes out, oldest first (a write error ends that pair)
	for my $f (keys %queue) {
		my $q = $queue{$f};
		while (@$q && $q->[0][0] <= $now) {
			my $s = $sock{$f};
			my $b = shift(@$q)->[1];
			if (!defined $s || !defined syswrite($s, $b)) {
				drop($s) if defined $s;
				last;
			}
		}
	}
	my $wait = 0.05;
	for my $q (values %queue) {
		$wait = $q->[0][0] - $now if @$q && $q->[0][0] - $now < $wait;
	}
	$wait = 0 if $wait < 0;
	for my $s ($sel->can_read($wait)) {
		if ($s == $srv) {
			my $c = $srv->accept or next;
			my $t = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $target);
			if (!$t) { close $c; next; }
			$peer{fileno $c} = $t;
			$peer{fileno $t} = $c;
			$sock{fileno $c} = $c;
			$sock{fileno $t} = $t;
			$sel->add($c, $t);
			next;
		}
		my $n = sysread($s, my $b, 65536);
		if (!$n) {
			drop($s);
			next;
		}
		my $d = $peer{fileno $s};
		push @{$queue{fileno $d}}, [ time + $delay, $b ] if defined $d;
	}
}

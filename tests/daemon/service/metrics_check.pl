#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# metrics_check.pl scrape URL OUT: GET URL into OUT and check the Prometheus text format:
#   every line a "# HELP"/"# TYPE" comment or "name[{labels}] value"; one TYPE per family,
#   before its samples; histograms with ascending le, cumulative counts, +Inf == _count.
# metrics_check.pl names DASHBOARD.json: prints every metric name the dashboard's
#   expressions use (sigproxy_*, mediad_*, sbc_*), one per line.
# Exit 1 with the reasons on stdout when something is wrong.
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;

my $cmd = shift // '';
if ($cmd eq 'scrape') {
	my ($url, $out) = @ARGV;
	my $r = HTTP::Tiny->new(timeout => 5)->get($url);
	$r->{success} or do { print "GET $url: $r->{status} $r->{reason}\n"; exit 1 };
	open(my $fh, '>', $out) or die "$out: $!\n";
	print $fh $r->{content};
	close $fh;
	my (@bad, %type, %seen_sample, %hist);
	for my $l (split /\n/, $r->{content}) {
		if ($l =~ /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) /) { next }
		if ($l =~ /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|untyped)$/) {
			push @bad, "TYPE of $1 twice" if $type{$1}++;
			push @bad, "TYPE of $1 after its samples" if $seen_sample{$1};
			next;
		}
		if ($l =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (\S+)$/) {
			my ($name, $labels, $v) = ($1, $2 // '', $3);
			push @bad, "not a number: $l" unless $v =~ /^(?:[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|\+Inf|NaN)$/i;
			(my $fam = $name) =~ s/_(bucket|sum|count)$//;
			$fam = $name unless $type{$fam};
			push @bad, "sample of $name without TYPE" unless $type{$fam};
			$seen_sample{$fam} = 1;
			if ($name =~ /_bucket$/ && $labels =~ /(?:^|,)le="([^"]+)"/) {
				my $le = $1;
				(my $rest = $labels) =~ s/,?le="[^"]+"//;
				push @{$hist{"$fam\{$rest}"}{b}}, [$le, $v];
			} elsif ($name =~ /_count$/ && $type{$fam} && $fam ne $name) {
				$hist{"$fam\{$labels}"}{count} = $v;
			}
			next;
		}
		push @bad, "bad line: $l";
	}
	for my $h (sort keys %hist) {
		my ($prev_le, $prev_v) = (-1, 0);
		for my $b (@{$hist{$h}{b}}) {
			my $le = $b->[0] eq '+Inf' ? 9**9**9 : $b->[0];
			push @bad, "$h: le not ascending" if $le <= $prev_le;
			push @bad, "$h: bucket counts not cumulative" if $b->[1] < $prev_v;
			($prev_le, $prev_v) = ($le, $b->[1]);
		}
		my $inf = $hist{$h}{b}[-1];
		push @bad, "$h: no +Inf bucket" unless $inf && $inf->[0] eq '+Inf';
		push @bad, "$h: +Inf bucket != _count" unless defined $hist{$h}{count} && $inf && $inf->[1] == $hist{$h}{count};
	}
	print "$_\n" for @bad;
	exit(@bad ? 1 : 0);
} elsif ($cmd eq 'names') {
	my ($file) = @ARGV;
	open(my $fh, '<', $file) or die "$file: $!\n";
	my $d = decode_json(do { local $/; <$fh> });
	my (%names, @exprs);
	my $walk;
	$walk = sub {
		my $x = shift;
		if (ref $x eq 'HASH') {
			push @exprs, $x->{expr} if defined $x->{expr};
			$walk->($_) for values %$x;
		} elsif (ref $x eq 'ARRAY') {
			$walk->($_) for @$x;
		}
	};
	$walk->($d);
	@exprs or do { print "no expr in $file\n"; exit 1 };
	for my $e (@exprs) {
		$names{$1} = 1 while $e =~ /\b((?:sigproxy|mediad|sbc)_[a-z0-9_]+)\b/g;
	}
	print "$_\n" for sort keys %names;
	exit 0;
}
print "usage: metrics_check.pl scrape URL OUT | names DASHBOARD.json\n";
exit 2;

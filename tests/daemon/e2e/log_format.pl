#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# log_format.pl FILE...: every line must be "<UTC time> <daemon> <level> <event> key=value ...",
# each value either one bare word (no space, quote or '=', backslash escapes allowed: an
# escaped network value) or in double quotes with \" and \\ escaped. Prints the lines that are not, exits 1 if any, 2 if no line at all.
use strict;
use warnings;

my $value = qr/(?:(?:[^ "=\\]|\\.)*|"(?:[^"\\]|\\.)*")/;
my $line_re = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?:sigproxy|mediad) (?:err|warn|info|debug) [a-z][a-z0-9_]*(?: [a-z][a-z0-9_.]*=$value)*$/;
my ($bad, $n) = (0, 0);
for my $f (@ARGV) {
	open(my $fh, '<', $f) or die "$f: $!\n";
	while (my $l = <$fh>) {
		chomp $l;
		$n++;
		next if $l =~ $line_re;
		# sanitizer reports are e2e_finish's business, not a log line
		next if $l =~ /^(==\d+==|SUMMARY: |\s+#\d+ )/;
		$bad++;
		print "bad line ($f:$.): $l\n" if $bad <= 20;
	}
}
print "$n lines, $bad not in the event key=value format\n";
exit($bad ? 1 : $n ? 0 : 2);

#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The SDP corpus (tests/unit/sdp_corpus, origins and expected results in its INDEX) through a
# real mediad over ng, the way the SBC deploys it: interface "outside" encryption = required,
# "inside" encryption = off, sigproxy's ng options. Every SDP is tried four ways:
#   offer-out   it is an offer from the outside party (towards the inside: RTP/AVP)
#   offer-in    it is an offer from the inside party (towards the outside: RTP/SAVP)
#   answer-out  it answers from the outside an offer we made it (RTP/SAVP, our keys)
#   answer-in   it answers from the inside an SRTP offer of an outside caller
# and the result must be the INDEX's: "ok:<one letter per m= line of mediad's SDP>" (S: active
# with our key, P: active plain, 0: port 0) or "err:<reason>"; an offer is then answered by
# the other side (plain from the inside, SRTP with our first suite from the outside) and
# what its sender gets follows after ">" (">S0", or ">err:<reason>"). Whatever the result, what
# mediad wrote must never carry a key of the input, a capability-negotiation or ICE line, or
# the input's address on an active line; an answer keeps every line of the offer.
# Usage: test_sdp_corpus.pl [--record]   (--record prints the table instead of checking)
use strict;
use warnings;
use Bencode qw(bencode bdecode);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::IP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep);

$| = 1;
my $record = @ARGV && $ARGV[0] eq '--record';
my $build = $ENV{SBC_BUILD_DIR} or die "SBC_BUILD_DIR not set\n";
my $src = $ENV{SBC_SOURCE_DIR} or die "SBC_SOURCE_DIR not set\n";
my $corpus = "$src/tests/unit/sdp_corpus";
my $mediad_bin = "$build/mediad/mediad";
-x $mediad_bin or die "no $mediad_bin\n";

my ($pid, $tests, $failures) = (undef, 0, 0);
$SIG{ALRM} = sub { die "test timed out\n" };
$SIG{$_} = sub { $SIG{PIPE} = 'IGNORE'; die "caught signal\n" } for qw(INT TERM PIPE HUP);
alarm(100);
END {
	my $rc = $?;
	if (defined $pid) {
		kill('TERM', $pid);
		for (1 .. 50) { last if waitpid($pid, WNOHANG) == $pid; sleep(0.05) }
		kill('KILL', $pid);
		waitpid($pid, 0);
	}
	$? = $rc;
}

sub ok {
	my ($cond, $what) = @_;
	$tests++;
	print(($cond ? "ok" : "not ok") . " $tests - $what\n");
	$failures++ unless $cond;
	return $cond;
}

# ---- the INDEX: file, four expected results, origin ----
my (@files, %exp, %origin);
open(my $ix, '<', "$corpus/INDEX") or die "$corpus/INDEX: $!\n";
while (<$ix>) {
	chomp;
	next if /^\s*(#|$)/;
	my ($f, @r) = split /\s+/, $_, 6;
	my $o = pop @r;
	die "INDEX line without four results and an origin: $_\n" unless @r == 4 && $o;
	push @files, $f;
	$exp{$f} = [@r];
	$origin{$f} = $o;
}
close $ix;

# ---- mediad on addresses of this run (a loopback slice of its own) ----
my $dir = tempdir('sbc-corpus.XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $o = 100 + $$ % 100;
my $p2 = 1 + int($$ / 100) % 250;
my ($out_ip, $in_ip) = ("127.$o.$p2.81", "127.$o.$p2.82");
my $ngs = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0, Proto => 'udp') or die;
my $ngport = $ngs->sockport;
close $ngs;
open(my $ini, '>', "$dir/mediad.ini") or die;
print $ini <<EOF;
[mediad]
id = corpus-$$
ng_listen = 127.0.0.1:$ngport
ng_allow = 127.0.0.0/8
workers = 1
log_level = info
[interface outside]
address = $out_ip
port_min = 46000
port_max = 46999
encryption = required
[interface inside]
address = $in_ip
port_min = 47000
port_max = 47999
encryption = off
[redis]
enabled = no
EOF
close $ini;
$pid = fork() // die;
if ($pid == 0) {
	open(STDOUT, '>', "$dir/mediad.log");
	open(STDERR, '>&', \*STDOUT);
	exec($mediad_bin, '-c', "$dir/mediad.ini") or die;
}
my $sock = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $ngport, Proto => 'udp') or die;
my $sel = IO::Select->new($sock);
my $cookie = 0;
sub ng {
	my ($d) = @_;
	for (1 .. 3) {
		my $c = "c$$-" . ++$cookie;
		$sock->send("$c " . bencode($d));
		next unless $sel->can_read(1);
		my $r;
		$sock->recv($r, 65535);
		$r =~ s/^\S+ // or next;
		return bdecode($r);
	}
	return { result => 'error', 'error-reason' => 'no reply' };
}
my $up = 0;
for (1 .. 50) {
	my $r = ng({ command => 'ping' });
	if (($r->{result} // '') eq 'pong') { $up = 1; last }
	sleep(0.1);
}
ok($up, "mediad answers ng ping") or do { system("cat $dir/mediad.log"); exit 1 };

# sigproxy's options for a request from side $from (policy_ng_dict)
sub ng_req {
	my ($cmd, $cid, $ft, $tt, $sdp, $from, $to, $proto) = @_;
	my %d = (command => $cmd, 'call-id' => $cid, 'from-tag' => $ft, sdp => $sdp,
		direction => [$from, $to], 'transport-protocol' => $proto, ICE => 'remove',
		DTLS => 'off', replace => ['origin', 'session-connection'], 'rtcp-mux' => ['demux'],
		supports => ['load limit'], label => $from);
	$d{'to-tag'} = $tt if defined $tt;
	return ng(\%d);
}

sub short_reason {
	my ($why) = @_;
	my @map = ('Plain RTP refused' => 'plain-refused', 'SRTP refused' => 'srtp-refused',
		'no usable crypto suite' => 'no-crypto', 'Failed to parse SDP' => 'parse',
		'Too many media sections' => 'too-many', 'Unsupported transport protocol' => 'not-rtp',
		'DTLS-SRTP is not supported' => 'dtls', 'Incomplete SDP specification' => 'incomplete',
		'Answer uses a different transport protocol' => 'answer-proto');
	while (my ($p, $s) = splice(@map, 0, 2)) {
		return $s if index($why, $p) == 0;
	}
	$why =~ s/\s+/_/g;
	return $why;
}

# "S0P" for mediad's SDP
sub line_codes {
	my ($sdp) = @_;
	my @m = split /^(?=m=)/m, $sdp;
	shift @m;
	return join '', map { /^m=\S+ 0[ \/]/ ? '0' : /^a=crypto:/m ? 'S' : 'P' } @m;
}

sub types_of {
	my ($sdp) = @_;
	return ($sdp =~ /^m=(\S+)/mg);
}

# An offer with the same media types as $sdp, from the other side: plain from the
# inside, SRTP (one AES_CM_128_HMAC_SHA1_80 key) from the outside.
sub offer_like {
	my ($sdp, $srtp) = @_;
	my $s = "v=0\r\no=corpus 1 1 IN IP4 192.0.2.250\r\ns=-\r\nc=IN IP4 192.0.2.250\r\nt=0 0\r\n";
	my $port = 30000;
	for my $t (types_of($sdp)) {
		my $fmt = $t eq 'audio' ? '0 8 101' : $t eq 'image' ? 't38' : '96';
		my $proto = $t eq 'image' ? 'udptl' : $srtp ? 'RTP/SAVP' : 'RTP/AVP';
		$s .= "m=$t $port $proto $fmt\r\n";
		$s .= "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19XSGVyZSBpcyBhbiBleGFtcGxlIGtleQAA\r\n"
			if $srtp && $t ne 'image';
		$port += 2;
	}
	return $s;
}

# The other side's answer to mediad's offer $sdp: every active line accepted (plain, or
# SRTP answering our tag 1 with a key of its own), refused lines with port 0.
sub answer_to {
	my ($sdp, $srtp) = @_;
	my $s = "v=0\r\no=corpus 2 1 IN IP4 192.0.2.251\r\ns=-\r\nc=IN IP4 192.0.2.251\r\nt=0 0\r\n";
	my $port = 31000;
	for my $m (split /^(?=m=)/m, $sdp) {
		next unless $m =~ /^m=(\S+) (\d+)\S* (\S+) (\S+)/;
		my ($t, $p, $proto, $fmt) = ($1, $2, $3, $4);
		if ($p == 0) {
			$s .= "m=$t 0 $proto $fmt\r\n";
			next;
		}
		$s .= "m=$t $port " . ($srtp ? 'RTP/SAVP' : 'RTP/AVP') . " $fmt\r\n";
		$s .= "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:YW5zd2VyaW5nIHBhcnR5IGtleSAzMCBieXRlcyEh\r\n"
			if $srtp;
		$port += 2;
	}
	return $s;
}

# Properties of anything mediad wrote for input $in: no key, capability or ICE line of
# the input, none of its addresses on an active line. Returns '' or what broke.
sub leaks {
	my ($in, $out) = @_;
	for my $k ($in =~ /inline:([A-Za-z0-9+\/]{16,})/g) {
		return "a key of the input" if index($out, $k) >= 0;
	}
	return "a capability-negotiation line" if $out =~ /^a=(tcap|acap|pcfg|csup|creq):/m;
	return "an ICE line" if $out =~ /^a=(candidate|ice-ufrag|ice-pwd|ice-lite)/m;
	my %addr = map { $_ => 1 } ($in =~ /^c=IN IP[46] ([^\s\/]+)/mg);
	for my $m (split /^(?=m=)/m, $out) {
		next unless $m =~ /^m=\S+ [1-9]/;
		for my $a ($m =~ /^c=IN IP[46] ([^\s\/]+)/mg) {
			return "the input's address $a on an active line"
				if $addr{$a} && $a ne '0.0.0.0' && $a ne '::';
		}
	}
	return '';
}

sub read_sdp {
	my ($f) = @_;
	open(my $fh, '<:raw', "$corpus/$f") or die "$f: $!\n";
	local $/;
	my $s = <$fh>;
	close $fh;
	return $s;
}

my %seen;
my $cn = 0;
for my $f (@files) {
	$seen{$f} = 1;
	my $sdp = read_sdp($f);
	my $nm = () = types_of($sdp);
	my @got;
	for my $case (qw(offer-out offer-in answer-out answer-in)) {
		my $cid = "corpus-" . ++$cn;
		my ($r, $reply_to);
		if ($case eq 'offer-out') {
			$r = ng_req('offer', $cid, 'a', undef, $sdp, 'outside', 'inside', 'RTP/AVP');
		} elsif ($case eq 'offer-in') {
			$r = ng_req('offer', $cid, 'a', undef, $sdp, 'inside', 'outside', 'RTP/SAVP');
		} else {
			my $out = $case eq 'answer-out';
			my $o = offer_like($sdp, !$out);
			my $r0 = ng_req('offer', $cid, 'a', undef, $o, $out ? 'inside' : 'outside',
				$out ? 'outside' : 'inside', $out ? 'RTP/SAVP' : 'RTP/AVP');
			if (($r0->{result} // '') ne 'ok') {
				$r = $r0;
			} else {
				$r = ng_req('answer', $cid, 'a', 'b', $sdp, $out ? 'outside' : 'inside',
					$out ? 'inside' : 'outside', $out ? 'RTP/AVP' : 'RTP/SAVP');
			}
		}
		my $res = ($r->{result} // '') eq 'ok' ? 'ok:' . line_codes($r->{sdp} // '') :
			'err:' . short_reason($r->{'error-reason'} // '?');
		my $back;
		if ($case =~ /^offer/ && ($r->{result} // '') eq 'ok') {
			# the recipient answers; its answer reaches the device as mediad writes it
			my $out = $case eq 'offer-in';
			$back = ng_req('answer', $cid, 'a', 'b', answer_to($r->{sdp}, $out),
				$out ? 'outside' : 'inside', $out ? 'inside' : 'outside',
				$out ? 'RTP/AVP' : 'RTP/SAVP');
			$res .= '>' . (($back->{result} // '') eq 'ok' ? line_codes($back->{sdp} // '') :
				'err:' . short_reason($back->{'error-reason'} // '?'));
		}
		push @got, $res;
		ng({ command => 'delete', 'call-id' => $cid, 'from-tag' => 'a', flags => ['fast'] });
		next if $record;
		ok($res eq $exp{$f}[scalar(@got) - 1],
			"$f $case: $res (INDEX: $exp{$f}[scalar(@got) - 1])");
		next unless ($r->{result} // '') eq 'ok';
		my $bad = leaks($sdp, $r->{sdp} // '');
		$bad ||= leaks($sdp, $back->{sdp} // '') if $back;
		ok($bad eq '', "$f $case: mediad's SDP carries nothing of the input it must not"
			. ($bad ? " ($bad)" : ''));
		ok(length(line_codes($r->{sdp})) == $nm, "$f $case: every m= line kept ($nm)")
			if $case =~ /^answer/ || $case =~ /^offer/;
	}
	printf("%-34s %-18s %-18s %-18s %-18s %s\n", $f, @got, $origin{$f}) if $record;
}
exit 0 if $record;

# The corpus and its INDEX agree: every file has an origin and expectations, and the
# corpus is as large as promised.
opendir(my $dh, $corpus) or die;
my @onDisk = sort grep { /\.sdp$/ } readdir $dh;
closedir $dh;
ok(!grep({ !$seen{$_} } @onDisk), "every corpus file is in the INDEX (" .
	join(' ', grep { !$seen{$_} } @onDisk) . ")");
ok(@files >= 60, scalar(@files) . " device SDPs in the corpus (at least 60)");
ok(kill(0, $pid), "mediad still running after the corpus");
my $log = do { local $/; open(my $l, '<', "$dir/mediad.log") or die; <$l> };
ok($log !~ /AddressSanitizer|LeakSanitizer|runtime error:|SEGV/, "no sanitizer report in mediad's log");
print "1..$tests\n";
exit($failures ? 1 : 0);

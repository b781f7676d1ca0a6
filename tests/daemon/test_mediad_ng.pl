#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Starts the real mediad and a private redis-server and drives mediad over the ng protocol:
# ping, SRTP<->RTP offer/answer in both directions, re-offers, the cookie cache, query/list/
# delete, bad input, the allow list, port exhaustion, Redis state and a Redis outage.
use strict;
use warnings;
use Bencode qw(bencode bdecode);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::IP;
use POSIX qw(:sys_wait_h);
use Socket qw(SOCK_DGRAM);
use Time::HiRes qw(sleep time);

$| = 1;
my $build = $ENV{SBC_BUILD_DIR} or die "SBC_BUILD_DIR not set\n";
my $mediad_bin = "$build/mediad/mediad";
-x $mediad_bin or die "no $mediad_bin\n";

my (%pids, $dir, $failures, $tests);
$failures = 0;
$tests = 0;
$SIG{ALRM} = sub { die "test timed out\n" };
# Any way out goes through END, which kills what this test started.
# A closed stdout must not interrupt the clean-up itself: SIGPIPE is ignored from then on.
$SIG{$_} = sub { $SIG{PIPE} = 'IGNORE'; die "caught signal\n" } for qw(INT TERM PIPE HUP);
alarm(150);

sub stop_pid {
	my ($name, $sig) = @_;
	my $pid = delete $pids{$name} or return undef;
	kill($sig // 'TERM', $pid);
	for (1 .. 100) {
		my $r = waitpid($pid, WNOHANG);
		return $? if $r == $pid;
		sleep(0.05);
	}
	kill('KILL', $pid);
	waitpid($pid, 0);
	return $?;
}

END {
	my $rc = $?;
	$SIG{PIPE} = 'IGNORE';
	for my $n (keys %pids) {
		kill('KILL', $pids{$n});
		waitpid($pids{$n}, 0);
	}
	$? = $rc;
}

# ok(COND, DESCRIPTION). A failed match in list context is an empty list, so the
# description is taken from the end and a missing condition counts as false.
sub ok {
	my $what = pop @_;
	my $cond = @_ ? $_[0] : 0;
	$tests++;
	if ($cond) {
		print "ok $tests - $what\n";
	} else {
		$failures++;
		print "not ok $tests - $what\n";
	}
	return $cond;
}

sub spawn {
	my ($name, $log, @argv) = @_;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>>', $log) or die;
		open(STDERR, '>&', \*STDOUT) or die;
		exec(@argv) or die "exec $argv[0]: $!";
	}
	$pids{$name} = $pid;
	return $pid;
}

sub wait_for {
	my ($what, $secs, $fn) = @_;
	my $end = time() + $secs;
	while (time() < $end) {
		my $r = $fn->();
		return $r if $r;
		sleep(0.05);
	}
	die "timed out waiting for $what\n";
}

sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or return '';
	local $/;
	my $s = <$fh>;
	return $s // '';
}

$dir = tempdir('mediad-ng.XXXXXX', TMPDIR => 1, CLEANUP => 1);

# ---- private redis on a unix socket only ----
my $redis_sock = "$dir/redis.sock";
my @redis_cmd = ('redis-server', '--port', '0', '--unixsocket', $redis_sock,
	'--save', '', '--appendonly', 'no', '--dir', $dir);
sub redis_start {
	unlink($redis_sock);
	spawn('redis', "$dir/redis.log", @redis_cmd);
	wait_for('redis', 10, sub { -S $redis_sock && `redis-cli -s $redis_sock ping 2>/dev/null` =~ /PONG/ });
}
sub redis {
	my (@args) = @_;
	open(my $fh, '-|', 'redis-cli', '-s', $redis_sock, @args) or die;
	local $/;
	my $out = <$fh> // '';
	close($fh);
	return $out;
}
sub hgetall {
	my ($key) = @_;
	my @l = split(/\n/, redis('HGETALL', $key));
	my %h;
	while (@l >= 2) {
		my $k = shift @l;
		$h{$k} = shift @l;
	}
	return \%h;
}
redis_start();

# ---- mediad: private loopback addresses for its media so ports cannot collide ----
my $o = 100 + $$ % 100;
my $p = 1 + int($$ / 100) % 250;
my ($out_ip, $in_ip, $tiny_ip) = ("127.$o.$p.1", "127.$o.$p.2", "127.$o.$p.3");
my $conf = "$dir/mediad.ini";
open(my $cf, '>', $conf) or die;
print $cf <<"EOF";
[mediad]
id = ngtest-$$
ng_listen = 127.0.0.1:0
ng_allow = 127.0.0.1/32, 127.0.0.2/32
workers = 2
log_level = info
metrics_listen = 127.0.0.1:0
[interface outside]
address = $out_ip
port_min = 30000
port_max = 30199
encryption = optional
[interface inside]
address = $in_ip
advertised = 10.0.0.5
port_min = 40000
port_max = 40199
encryption = off
[interface tiny]
address = $tiny_ip
port_min = 50000
port_max = 50003
encryption = off
[redis]
unix_socket = $redis_sock
registration_ttl = 4
registration_interval_ms = 500
EOF
close($cf);

my $mlog = "$dir/mediad.log";
if (my $src = $ENV{SBC_SOURCE_DIR}) {
	my $out = `$mediad_bin -c $src/deploy/examples/mediad.ini -t 2>&1`;
	ok($? == 0 && $out =~ /configuration OK/, 'the shipped example configuration passes -t');
}
# -t on a broken file: exit 1 and an error naming file, line and key
open(my $bf, '>', "$dir/bad.ini") or die;
print $bf "[mediad]\nid = x\n\nworkers = 999\n[interface a]\naddress = 127.0.0.1\n";
close($bf);
my $bad_out = `$mediad_bin -c $dir/bad.ini -t 2>&1`;
my $bad_rc = $? >> 8;
ok($bad_rc == 1 && $bad_out =~ /bad\.ini:4: mediad\.workers: /, 'mediad -t names file, line and key of a bad value')
	or print map { "# $_\n" } "exit $bad_rc, output:", split /\n/, $bad_out;
ok(system("$mediad_bin -c $conf -t >/dev/null 2>&1") == 0, 'mediad -t accepts the test configuration');
spawn('mediad', $mlog, $mediad_bin, '-c', $conf);
my ($ng_port, $metrics_port) = @{wait_for('mediad ready', 10, sub {
	my $l = slurp($mlog);
	return $l =~ /mediad_ready .*ng=127\.0\.0\.1:(\d+) metrics_port=(\d+)/ ? [$1, $2] : undef;
})};

sub client {
	my ($local) = @_;
	my $s = IO::Socket::IP->new(Proto => 'udp', LocalHost => $local // '127.0.0.1',
		PeerHost => '127.0.0.1', PeerPort => $ng_port);
	die "socket: $!" unless $s;
	return $s;
}
my $sock = client();

# Sends raw bytes, returns the raw reply or undef after $timeout seconds.
sub raw_req {
	my ($s, $bytes, $timeout) = @_;
	$s->send($bytes) or die "send: $!";
	my $sel = IO::Select->new($s);
	return undef unless $sel->can_read($timeout // 2);
	my $buf;
	$s->recv($buf, 65536);
	return $buf;
}
my $cookie_n = 0;
sub req {
	my ($dict, %o) = @_;
	my $cookie = $o{cookie} // ('t' . $$ . '_' . ++$cookie_n);
	my $raw = raw_req($o{sock} // $sock, "$cookie " . bencode($dict));
	die "no reply to $dict->{command}\n" unless defined $raw;
	my ($c, $body) = split(/ /, $raw, 2);
	die "cookie mismatch ($c vs $cookie)\n" unless $c eq $cookie;
	my $r = bdecode($body);
	return wantarray ? ($r, $raw) : $r;
}
sub metrics {
	my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $metrics_port) or die;
	print $s "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n";
	local $/;
	my $t = <$s>;
	return $t // '';
}
sub metric {
	my ($text, $re) = @_;
	return $text =~ /^$re (\d+)$/m ? $1 : undef;
}

my $CRLF = "\r\n";
my $sdp_srtp = join($CRLF, 'v=0', 'o=carrier 1000 1 IN IP4 198.51.100.10', 's=-',
	'c=IN IP4 198.51.100.10', 't=0 0', 'm=audio 20000 RTP/SAVP 0 101',
	'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
	'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c',
	'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
	'a=sendrecv', '');
my $sdp_rtp = join($CRLF, 'v=0', 'o=ivr 2000 1 IN IP4 10.0.0.20', 's=-',
	'c=IN IP4 10.0.0.20', 't=0 0', 'm=audio 30000 RTP/AVP 0 101',
	'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
	'a=sendrecv', '');
sub m_port { my ($s) = @_; return $s =~ /^m=audio (\d+) /m ? $1 : -1 }
sub ncrypto { my ($s) = @_; my @l = ($s =~ /^a=crypto:/mg); return scalar @l }

# ---- ping ----
my $r = req({ command => 'ping' });
ok($r->{result} eq 'pong', 'ping answers pong');

# ---- flow A: SRTP outside -> RTP inside ----
my %offer_a = (command => 'offer', 'call-id' => "A-$$", 'from-tag' => 'caller',
	'via-branch' => 'z9hG4bK1', sdp => $sdp_srtp, 'transport-protocol' => 'RTP/AVP',
	ICE => 'remove', DTLS => 'off', replace => ['origin', 'session-connection'],
	direction => ['outside', 'inside'], 'received-from' => ['IP4', '198.51.100.10'],
	flags => ['trust-address', 'some-unknown-flag'], label => 'outside',
	supports => ['load limit'], 'unknown-key' => 'ignored');
my ($ra, $raw_a) = req(\%offer_a, cookie => "A1-$$");
ok($ra->{result} eq 'ok', 'offer SRTP->RTP ok') or print "# $raw_a\n";
my $in_sdp = $ra->{sdp} // '';
my $in_port = m_port($in_sdp);
ok($in_sdp =~ /^c=IN IP4 10\.0\.0\.5\r$/m, 'offer: inside advertised address in c=');
ok($in_sdp =~ /^o=carrier 1000 1 IN IP4 10\.0\.0\.5\r$/m, 'offer: o= replaced');
ok($in_sdp =~ /^m=audio \d+ RTP\/AVP 0 101\r$/m, 'offer: RTP/AVP towards the inside');
ok(ncrypto($in_sdp) == 0, 'offer: no a=crypto towards the inside');
ok($in_port >= 40000 && $in_port <= 40198 && $in_port % 2 == 0, "offer: even inside port ($in_port)");
ok($in_sdp =~ /^a=rtcp:(\d+)\r$/m && $1 == $in_port + 1, 'offer: a=rtcp is port+1');
ok($in_sdp =~ /telephone-event/, 'offer: telephone-event kept');

# retransmission: same cookie, same bytes, not re-run
my (undef, $raw_a2) = req(\%offer_a, cookie => "A1-$$");
ok($raw_a2 eq $raw_a, 'retransmitted offer answered with identical bytes');
my @offers = (slurp($mlog) =~ /call_offer .*call_id=A-$$\b/g);
ok(@offers == 1, 'retransmitted offer was not run twice');
my $m = metrics();
ok((metric($m, 'mediad_ng_cache_hits_total') // 0) >= 1, 'cache hit counted');

# same cookie from another allowed source: a different request, runs as new
my $sock2 = client('127.0.0.2');
my %offer_c = (%offer_a, 'call-id' => "C-$$");
$r = req(\%offer_c, cookie => "A1-$$", sock => $sock2);
ok($r->{result} eq 'ok' && m_port($r->{sdp}) != $in_port, 'same cookie from another source runs as a new call');
# same cookie, same source, different call-id: collision, runs as new, logged
my %offer_d = (%offer_a, 'call-id' => "D-$$");
$r = req(\%offer_d, cookie => "A1-$$");
ok($r->{result} eq 'ok' && m_port($r->{sdp}) != $in_port, 'colliding cookie with another call-id runs as new');
ok(slurp($mlog) =~ /ng_cookie_collision .*call_id=D-$$/, 'cookie collision logged');
$r = req({ command => 'list' });
my %listed = map { $_ => 1 } @{$r->{calls}};
ok($listed{"A-$$"} && $listed{"C-$$"} && $listed{"D-$$"} && @{$r->{calls}} == 3, 'list shows the three calls once each');

# answer from the IVR
my %answer_a = (command => 'answer', 'call-id' => "A-$$", 'from-tag' => 'caller',
	'to-tag' => 'ivr', 'via-branch' => 'z9hG4bK1', sdp => $sdp_rtp, ICE => 'remove',
	replace => ['origin', 'session-connection'], label => 'inside',
	supports => ['load limit']);
$r = req(\%answer_a);
my $out_sdp = $r->{sdp} // '';
my $out_port = m_port($out_sdp);
ok($r->{result} eq 'ok', 'answer ok');
ok($out_sdp =~ /^c=IN IP4 \Q$out_ip\E\r$/m, 'answer: outside address in c=');
ok($out_sdp =~ /^m=audio \d+ RTP\/SAVP 0 101\r$/m, 'answer: RTP/SAVP towards the caller');
ok(ncrypto($out_sdp) == 1, 'answer: exactly one a=crypto');
ok($out_sdp =~ /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+\/]{40})\r$/m,
	'answer: offer\'s tag 1, first suite, a 30-byte key');
my $our_key = $1 // '';
ok($our_key ne 'QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c', 'answer: a fresh key, not the offerer\'s');
ok($out_port >= 30000 && $out_port % 2 == 0, "answer: even outside port ($out_port)");

# re-offer by the caller (hold) keeps ports; the answer keeps our key
my $hold = $sdp_srtp;
$hold =~ s/a=sendrecv/a=sendonly/;
$r = req({ %offer_a, 'to-tag' => 'ivr', sdp => $hold });
ok($r->{result} eq 'ok' && m_port($r->{sdp}) == $in_port, 're-offer keeps the inside port');
ok(($r->{sdp} // '') =~ /a=sendonly/, 're-offer passes sendonly through');
$r = req({ %answer_a, sdp => ($sdp_rtp =~ s/a=sendrecv/a=recvonly/r) });
ok($r->{result} eq 'ok' && m_port($r->{sdp}) == $out_port, 're-answer keeps the outside port');
ok(($r->{sdp} // '') =~ /inline:\Q$our_key\E/, 're-answer keeps our key');

# ---- query ----
$r = req({ command => 'query', 'call-id' => "A-$$" });
ok($r->{result} eq 'ok' && $r->{tags}{caller} && $r->{tags}{ivr}, 'query shows both tags');
my $ct = $r->{tags}{caller} // {};
my $st = $ct->{medias}[0]{streams}[0] // {};
ok(($ct->{label} // '') eq 'outside' && ($ct->{medias}[0]{protocol} // '') eq 'RTP/SAVP',
	'query: label and protocol of the caller');
ok(($st->{'local port'} // -1) == $out_port && ($st->{'crypto suite'} // '') eq 'AES_CM_128_HMAC_SHA1_80',
	'query: local port and crypto suite');
ok(($st->{'advertised endpoint'}{address} // '') eq '198.51.100.10' && ($st->{'advertised endpoint'}{port} // 0) == 20000,
	'query: advertised endpoint');
ok(defined $r->{totals}{RTP}{packets} && defined $r->{created} && defined $r->{'last signal'},
	'query: created, last signal, totals');
$r = req({ command => 'query', 'call-id' => "nope-$$" });
ok($r->{result} eq 'error' && $r->{'error-reason'} eq 'Unknown call-id', 'query of an unknown call');

# ---- Redis state ----
my $h = wait_for('redis call key', 5, sub { my $x = hgetall("sbc:media:A-$$"); $x->{b_tag} ? $x : undef });
ok($h->{owner} eq "ngtest-$$" && $h->{state} eq 'answered', 'redis: owner and state');
ok($h->{a_tag} eq 'caller' && $h->{b_tag} eq 'ivr' && $h->{a_label} eq 'outside', 'redis: tags and labels');
ok($h->{a_m1_suite} eq 'AES_CM_128_HMAC_SHA1_80' && $h->{a_m1_local} eq "$out_ip:$out_port",
	'redis: suite and local port of the outside leg');
ok(($h->{a_m1_tx_key} // '') =~ /^\Q$our_key\E=*$/ && ($h->{a_m1_rx_key} // '') =~ /^QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c/,
	'redis: both SRTP keys, base64');
ok($h->{b_m1_suite} eq 'none' && $h->{b_m1_remote} eq '10.0.0.20:30000', 'redis: plain inside leg');
my $ttl = redis('TTL', "sbc:media:A-$$");
chomp($ttl);
ok($ttl > 0, "redis: call key has a TTL ($ttl)");

# A re-offer that turns the caller's leg from SRTP into plain RTP: the key fields of that
# leg leave the Redis record (HDEL), nothing else does.
{
	my %o = (%offer_a, 'call-id' => "H-$$");
	delete $o{'unknown-key'};
	my $rh = req(\%o);
	$rh = req({ %answer_a, 'call-id' => "H-$$" }) if $rh->{result} eq 'ok';
	my $hk = wait_for('redis H keys', 5, sub { my $x = hgetall("sbc:media:H-$$");
		$x->{a_m1_rx_key} && $x->{b_tag} ? $x : undef });
	ok($hk && $hk->{a_m1_tx_key} && $hk->{a_m1_suite} eq 'AES_CM_128_HMAC_SHA1_80',
		'redis: SRTP keys of the caller leg stored');
	$rh = req({ %o, 'to-tag' => 'ivr', sdp => $sdp_rtp });
	ok($rh->{result} eq 'ok' && ncrypto($rh->{sdp} // '') == 0, 're-offer with plain RTP from the caller');
	$rh = req({ %answer_a, 'call-id' => "H-$$" });
	my $hp = wait_for('redis H keys gone', 5, sub { my $x = hgetall("sbc:media:H-$$");
		!exists $x->{a_m1_rx_key} ? $x : undef });
	ok($hp && !exists $hp->{a_m1_tx_key} && $hp->{a_m1_suite} eq 'none'
		&& $hp->{a_m1_local} eq $hk->{a_m1_local} && $hp->{b_tag} eq 'ivr',
		'redis: the caller leg\'s keys are deleted, its port and the rest of the record stay');
	req({ command => 'delete', 'call-id' => "H-$$" });
}
my $reg = hgetall("sbc:mediad:ngtest-$$");
ok($reg->{ng} eq "127.0.0.1:$ng_port" && defined $reg->{calls} && defined $reg->{load} && $reg->{started},
	'redis: registration with ng address, calls, load, started');
ok(redis('TTL', "sbc:mediad:ngtest-$$") > 0, 'redis: registration has a TTL');
ok(redis('SISMEMBER', 'sbc:mediads', "ngtest-$$") =~ /^1/, 'redis: the id is in the registry set sbc:mediads');
ok(slurp($mlog) !~ /QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|\Q$our_key\E/, 'no SRTP key in the log');

# ---- flow B: RTP inside -> SRTP outside ----
$r = req({ command => 'offer', 'call-id' => "B-$$", 'from-tag' => 'ivr', sdp => $sdp_rtp,
	'transport-protocol' => 'RTP/SAVP', DTLS => 'off', direction => ['inside', 'outside'] });
my $b_sdp = $r->{sdp} // '';
ok($r->{result} eq 'ok' && $b_sdp =~ /^m=audio \d+ RTP\/SAVP 0 101\r$/m, 'flow B offer: RTP/SAVP towards the carrier');
ok(ncrypto($b_sdp) == 2 && $b_sdp =~ /a=crypto:1 AES_CM_128_HMAC_SHA1_80 / && $b_sdp =~ /a=crypto:2 AES_CM_128_HMAC_SHA1_32 /,
	'flow B offer: the two configured suites, tags 1 and 2');
ok($b_sdp !~ /fingerprint|a=setup/, 'flow B offer: no DTLS attributes');
my $carrier = join($CRLF, 'v=0', 'o=c 5 5 IN IP4 198.51.100.20', 's=-', 'c=IN IP4 198.51.100.20',
	't=0 0', 'm=audio 21000 RTP/SAVP 0 101',
	'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR', '');
$r = req({ command => 'answer', 'call-id' => "B-$$", 'from-tag' => 'ivr', 'to-tag' => 'carrier',
	sdp => $sdp_rtp =~ s/RTP\/AVP/RTP\/AVP/r });
ok($r->{result} eq 'error' && $r->{'error-reason'} eq 'no usable crypto suite',
	'flow B: a plain answer to our SRTP offer is refused');
$r = req({ command => 'answer', 'call-id' => "B-$$", 'from-tag' => 'ivr', 'to-tag' => 'carrier', sdp => $carrier });
ok($r->{result} eq 'ok' && ($r->{sdp} // '') =~ /^m=audio \d+ RTP\/AVP 0 101\r$/m && ncrypto($r->{sdp}) == 0,
	'flow B answer: RTP/AVP without crypto towards the IVR');
$h = wait_for('redis B', 5, sub { my $x = hgetall("sbc:media:B-$$"); ($x->{b_m1_suite} // '') ne '' && $x->{state} eq 'answered' ? $x : undef });
ok($h->{b_m1_suite} eq 'AES_CM_128_HMAC_SHA1_32' && $h->{b_m1_tx_tag} eq '2', 'flow B: the carrier\'s choice (tag 2, _32) recorded');

# SRTP offer without a usable crypto line
my $nocrypto = $sdp_srtp =~ s/^a=crypto:.*\r\n//mgr;
$r = req({ %offer_a, 'call-id' => "N-$$", sdp => $nocrypto });
ok($r->{result} eq 'error' && $r->{'error-reason'} eq 'no usable crypto suite', 'RTP/SAVP offer without crypto: error');

# ---- rtcp-mux (RFC 5761): default pass-through, offer, require, demux, reject ----
{
	my $plain = join($CRLF, 'v=0', 'o=c 5 5 IN IP4 198.51.100.20', 's=-', 'c=IN IP4 198.51.100.20',
		't=0 0', 'm=audio 21000 RTP/AVP 0', 'a=sendrecv', '');
	my $with_mux = sub { my ($s) = @_; return $s =~ s/a=sendrecv\r\n/a=sendrecv\r\na=rtcp-mux\r\n/r };
	my $nmux = sub { my ($s) = @_; my @l = (($s // '') =~ /^a=rtcp-mux\r$/mg); return scalar @l };
	my $rtcp_next = sub { my ($s) = @_; return ($s // '') =~ /^a=rtcp:(\d+)\r$/m && $1 == m_port($s) + 1 };
	my $no_rtcp = sub { my ($s) = @_; return ($s // '') !~ /^a=rtcp:/m };
	# the rtcp-mux flag of each party's media and its number of streams, from query
	my $legs = sub {
		my ($id) = @_;
		my $q = req({ command => 'query', 'call-id' => $id });
		my %f;
		for my $t (qw(x y)) {
			my $md = $q->{tags}{$t}{medias}[0] // {};
			my $mux = grep { $_ eq 'rtcp-mux' } @{$md->{flags} // []};
			$f{$t} = ($mux ? 'mux' : 'nomux') . '/' . scalar(@{$md->{streams} // []});
		}
		return "x=$f{x} y=$f{y}";
	};
	my $call = sub {
		my ($id, $osdp, $opts, $asdp) = @_;
		my $ro = req({ command => 'offer', 'call-id' => $id, 'from-tag' => 'x', sdp => $osdp,
			direction => ['inside', 'outside'], %$opts });
		my $ra = defined $asdp ? req({ command => 'answer', 'call-id' => $id, 'from-tag' => 'x',
			'to-tag' => 'y', sdp => $asdp }) : {};
		return ($ro->{result} eq 'ok' ? $ro->{sdp} : "error: $ro->{'error-reason'}",
			!defined $asdp || $ra->{result} eq 'ok' ? $ra->{sdp} : "error: $ra->{'error-reason'}");
	};

	# default: whatever the offerer asked for goes through, the answer decides
	my ($o, $a) = $call->("X1-$$", $sdp_rtp, {}, $plain);
	ok($nmux->($o) == 0 && $rtcp_next->($o), 'rtcp-mux default: no mux offered, a=rtcp port+1');
	ok($legs->("X1-$$") eq 'x=nomux/2 y=nomux/2', 'rtcp-mux default without mux: both legs demuxed');
	($o, $a) = $call->("X2-$$", $with_mux->($sdp_rtp), {}, $with_mux->($plain));
	ok($nmux->($o) == 1 && $no_rtcp->($o), 'rtcp-mux default: the offerer\'s a=rtcp-mux passed on, no a=rtcp');
	ok($nmux->($a) == 1 && $no_rtcp->($a), 'rtcp-mux default: the answerer\'s a=rtcp-mux passed back');
	ok($legs->("X2-$$") eq 'x=mux/1 y=mux/1', 'rtcp-mux default with mux: both legs mux');
	($o, $a) = $call->("X3-$$", $with_mux->($sdp_rtp), {}, $plain);
	ok($nmux->($a) == 0 && $rtcp_next->($a), 'rtcp-mux default: an answer without mux is passed back without');
	ok($legs->("X3-$$") eq 'x=nomux/2 y=nomux/2', 'rtcp-mux default, answer declines: neither leg muxes');

	# offer: a=rtcp-mux towards the recipient although the offerer had none
	($o, $a) = $call->("X4-$$", $sdp_rtp, { 'rtcp-mux' => ['offer'] }, $with_mux->($plain));
	ok($nmux->($o) == 1 && $no_rtcp->($o), 'rtcp-mux offer: a=rtcp-mux added, no a=rtcp') or print "# $o\n";
	ok($o =~ /^a=sendrecv\r\na=rtcp-mux\r$/m, 'rtcp-mux offer: a=rtcp-mux right after the direction');
	ok($nmux->($a) == 0 && $rtcp_next->($a), 'rtcp-mux offer: the offerer (which never offered mux) gets none back')
		or print "# $a\n";
	ok($legs->("X4-$$") eq 'x=nomux/2 y=mux/1', 'rtcp-mux offer, answer accepts: only the recipient\'s leg muxes');
	($o, $a) = $call->("X5-$$", $sdp_rtp, { 'rtcp-mux' => ['offer'] }, $plain);
	ok($nmux->($o) == 1, 'rtcp-mux offer: offered again');
	ok($legs->("X5-$$") eq 'x=nomux/2 y=nomux/2', 'rtcp-mux offer, answer declines: the answer decides, no mux');
	($o) = $call->("X6-$$", $with_mux->($sdp_rtp), { 'rtcp-mux' => ['offer'] });
	ok($nmux->($o) == 1 && $no_rtcp->($o), 'rtcp-mux offer with the offerer\'s own mux: one a=rtcp-mux');
	($o) = $call->("X7-$$", $sdp_rtp, { flags => ['rtcp-mux-offer'] });
	ok($nmux->($o) == 1, 'flag rtcp-mux-offer works as rtcp-mux: [offer]');

	# require: the same SDP towards the recipient
	($o, $a) = $call->("X8-$$", $sdp_rtp, { 'rtcp-mux' => ['require'] }, $with_mux->($plain));
	ok($nmux->($o) == 1 && $no_rtcp->($o), 'rtcp-mux require: a=rtcp-mux added, no a=rtcp') or print "# $o\n";
	ok($nmux->($a) == 0 && $rtcp_next->($a), 'rtcp-mux require: none back to the offerer');
	ok($legs->("X8-$$") eq 'x=nomux/2 y=mux/1', 'rtcp-mux require: the recipient\'s leg muxes');
	($o) = $call->("X9-$$", $sdp_rtp, { 'rtcp-mux' => 'require' });
	ok($nmux->($o) == 1, 'rtcp-mux require as a single string');

	# demux: not passed on, but accepted from the offerer
	($o, $a) = $call->("XA-$$", $with_mux->($sdp_rtp), { 'rtcp-mux' => ['demux'] }, $plain);
	ok($nmux->($o) == 0 && $rtcp_next->($o), 'rtcp-mux demux: a=rtcp-mux stripped, a=rtcp port+1 added')
		or print "# $o\n";
	ok($nmux->($a) == 1 && $no_rtcp->($a), 'rtcp-mux demux: the offerer\'s mux accepted in our answer')
		or print "# $a\n";
	ok($legs->("XA-$$") eq 'x=mux/1 y=nomux/2', 'rtcp-mux demux: the offerer\'s leg muxes, the recipient\'s not');

	# reject: stripped both ways
	($o, $a) = $call->("XB-$$", $with_mux->($sdp_rtp), { 'rtcp-mux' => ['reject'] }, $with_mux->($plain));
	ok($nmux->($o) == 0 && $nmux->($a) == 0 && $rtcp_next->($a), 'rtcp-mux reject: no mux either way');
	ok($legs->("XB-$$") eq 'x=nomux/2 y=nomux/2', 'rtcp-mux reject: neither leg muxes');
	# offer + reject: the reverse of demux
	($o, $a) = $call->("XC-$$", $with_mux->($sdp_rtp), { 'rtcp-mux' => ['offer', 'reject'] }, $with_mux->($plain));
	ok($nmux->($o) == 1 && $nmux->($a) == 0, 'rtcp-mux offer+reject: mux offered on, refused to the offerer');
	ok($legs->("XC-$$") eq 'x=nomux/2 y=mux/1', 'rtcp-mux offer+reject: only the recipient\'s leg muxes');

	# a re-offer cannot change what the running relay does: the recipient keeps its mux
	$r = req({ command => 'offer', 'call-id' => "X4-$$", 'from-tag' => 'x', 'to-tag' => 'y', sdp => $sdp_rtp,
		direction => ['inside', 'outside'], 'rtcp-mux' => ['demux'] });
	ok($r->{result} eq 'ok' && $nmux->($r->{sdp}) == 1, 're-offer keeps advertising the running leg\'s mux');
	$r = req({ command => 'answer', 'call-id' => "X4-$$", 'from-tag' => 'x', 'to-tag' => 'y', sdp => $plain });
	ok($r->{result} eq 'ok' && $legs->("X4-$$") eq 'x=nomux/2 y=mux/1', 're-answer without mux leaves the relay\'s mux as it is');
	req({ command => 'delete', 'call-id' => $_ }) for map { "X$_-$$" } (1 .. 9, 'A', 'B', 'C');

	# RTCP through the relay with rtcp-mux offer: the answerer muxes on its RTP port, the
	# offerer keeps a separate RTCP port; each side's RTCP must reach the other's RTCP address.
	{
		my ($xr, $xc);
		for (1 .. 50) {
			$xr = IO::Socket::IP->new(Proto => 'udp', LocalHost => '127.0.0.1', LocalPort => 0) or die;
			$xc = IO::Socket::IP->new(Proto => 'udp', LocalHost => '127.0.0.1',
				LocalPort => $xr->sockport + 1) and last;
			undef $xr;
		}
		die "no consecutive UDP ports\n" unless $xc;
		my $y = IO::Socket::IP->new(Proto => 'udp', LocalHost => '127.0.0.1', LocalPort => 0) or die;
		my $xsdp = join($CRLF, 'v=0', 'o=x 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
			'm=audio ' . $xr->sockport . ' RTP/AVP 0', '');
		my $ysdp = join($CRLF, 'v=0', 'o=y 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
			'm=audio ' . $y->sockport . ' RTP/AVP 0', 'a=rtcp-mux', '');
		$r = req({ command => 'offer', 'call-id' => "XM-$$", 'from-tag' => 'x', sdp => $xsdp,
			direction => ['outside', 'inside'], 'rtcp-mux' => ['offer'] });
		my $yport = m_port($r->{sdp});
		ok($nmux->($r->{sdp}) == 1, 'media: mux offered to the answerer');
		$r = req({ command => 'answer', 'call-id' => "XM-$$", 'from-tag' => 'x', 'to-tag' => 'y', sdp => $ysdp });
		my $xport = m_port($r->{sdp});
		ok($nmux->($r->{sdp}) == 0 && $rtcp_next->($r->{sdp}), 'media: the offerer keeps a separate RTCP port');
		my $get = sub {
			my ($s) = @_;
			return undef unless IO::Select->new($s)->can_read(1);
			my $b;
			$s->recv($b, 2048);
			return $b;
		};
		my $to = sub { my ($ip, $port) = @_; return Socket::pack_sockaddr_in($port, Socket::inet_aton($ip)) };
		my $rtp = pack('CCnNN', 0x80, 0, 1, 160, 0x1234) . ('x' x 20);
		my $rr_y = pack('CCnN', 0x80, 201, 1, 0xaaaa);   # RTCP RR, no report blocks
		my $rr_x = pack('CCnN', 0x80, 201, 1, 0xbbbb);
		$xr->send($rtp, 0, $to->($out_ip, $xport));
		ok(($get->($y) // '') eq $rtp, 'media: offerer RTP reaches the answerer');
		$y->send($rr_y, 0, $to->($in_ip, $yport));
		ok(($get->($xc) // '') eq $rr_y, 'media: RTCP sent by the answerer on its RTP port reaches the offerer\'s RTCP port');
		$xc->send($rr_x, 0, $to->($out_ip, $xport + 1));
		ok(($get->($y) // '') eq $rr_x, 'media: the offerer\'s RTCP reaches the answerer on its RTP port (muxed)');
		req({ command => 'delete', 'call-id' => "XM-$$" });
	}
}

# ---- errors the protocol defines ----
$r = req({ command => 'answer', 'call-id' => "nope-$$", 'from-tag' => 'a', 'to-tag' => 'b', sdp => $sdp_rtp });
ok($r->{'error-reason'} eq 'Unknown call-id', 'answer for an unknown call');
$r = req({ command => 'offer', 'call-id' => "E-$$", 'from-tag' => 'a' });
ok($r->{'error-reason'} eq 'No SDP body in message', 'offer without SDP');
$r = req({ command => 'offer', 'from-tag' => 'a', sdp => $sdp_rtp });
ok($r->{'error-reason'} eq 'No call-id in message', 'offer without call-id');
$r = req({ command => 'bogus' });
ok($r->{'error-reason'} eq 'Unrecognized command', 'unknown command');
$r = req({ 'call-id' => 'x' });
ok($r->{'error-reason'} eq 'Dictionary contains no key "command"', 'no command key');
$r = req({ command => 'offer', 'call-id' => "E-$$", 'from-tag' => 'a', sdp => "garbage\r\n" });
ok($r->{'error-reason'} eq 'Failed to parse SDP', 'unparsable SDP');

# ---- garbage datagrams ----
my $g = raw_req($sock, "g1 this is not bencode");
ok(defined $g && $g =~ /^g1 / && bdecode(substr($g, 3))->{'error-reason'} eq 'Could not decode bencode dictionary',
	'non-bencode body: error reply');
$g = raw_req($sock, "g2 d7:command4:ping", 2);
ok(defined $g && $g =~ /Could not decode/, 'truncated dictionary: error reply');
$g = raw_req($sock, "nocookie", 0.3);
ok(!defined $g, 'datagram without cookie: dropped without reply');
$g = raw_req($sock, " d7:command4:pinge", 0.3);
ok(!defined $g, 'empty cookie: dropped without reply');
srand(42);
for my $i (1 .. 300) {
	my $len = 1 + int(rand(1400));
	my $junk = join('', map { chr(int(rand(256))) } 1 .. $len);
	$junk = "j$i $junk" if $i % 2;
	$sock->send($junk);
}
$sock->send('j0 d' . ('l' x 5000) . ('e' x 5000) . 'e');   # deep nesting
my $big = 'b1 d7:command4:ping3:pad' . length('x' x 60000) . ':' . ('x' x 60000) . 'e';
$sock->send($big);
my $sel = IO::Select->new($sock);
while ($sel->can_read(0.5)) { my $x; $sock->recv($x, 65536); }
$r = req({ command => 'ping' });
ok($r->{result} eq 'pong', 'still answering after 300 garbage datagrams');

$g = raw_req($sock, 'j1 {"command":"ping"}');
ok(defined $g && $g =~ /^j1 / && bdecode(substr($g, 3))->{'error-reason'} eq 'Invalid NG data format',
	'JSON body: clear error (bencode only)');
$r = req({ command => 'statistics' });
ok($r->{result} eq 'ok' && defined $r->{statistics}{currentstatistics}{sessionsown}
	&& defined $r->{statistics}{totalstatistics}{uptime}, 'statistics subset');
$m = metrics();
ok((metric($m, 'mediad_ng_commands_total\{command="offer"\}') // 0) >= 8
	&& (metric($m, 'mediad_ng_commands_total\{command="answer"\}') // 0) >= 4
	&& (metric($m, 'mediad_ng_errors_total') // 0) >= 5, 'metrics: commands by type and errors');
ok(defined metric($m, 'mediad_calls_active') && (metric($m, 'mediad_calls_active') // 0) >= 3,
	'metrics: active calls');
ok($m !~ /call_id=/ && $m !~ /^mediad_stream_/m,
	'metrics: no per-call series (no call_id label: a scraper would keep every call forever)');

# ---- allow list ----
my $sock9 = client('127.0.0.9');
$g = raw_req($sock9, 'd1 ' . bencode({ command => 'ping' }), 0.5);
ok(!defined $g, 'source outside ng_allow gets no reply');
$m = metrics();
ok((metric($m, 'mediad_ng_dropped_total\{reason="not-allowed"\}') // 0) >= 1, 'not-allowed drop counted');

# ---- port exhaustion on the tiny interface (2 pairs) ----
my @tiny;
for my $i (1 .. 3) {
	$r = req({ %offer_a, 'call-id' => "T$i-$$", direction => ['outside', 'tiny'] });
	push(@tiny, $r);
}
ok($tiny[0]{result} eq 'ok' && $tiny[1]{result} eq 'ok', 'two calls fit the tiny interface');
ok($tiny[2]{result} eq 'error' && $tiny[2]{'error-reason'} eq 'Ran out of ports', 'third call: "Ran out of ports"');
$r = req({ command => 'query', 'call-id' => "T3-$$" });
ok($r->{result} eq 'error', 'the refused call was destroyed');
$r = req({ command => 'ping' });
ok($r->{result} eq 'pong', 'daemon keeps working after exhaustion');
$m = metrics();
ok((metric($m, 'mediad_port_pairs_in_use\{iface="tiny"\}') // -1) == 2 && (metric($m, 'mediad_port_pairs_free\{iface="tiny"\}') // -1) == 0,
	'metrics: tiny interface full');
ok((metric($m, 'mediad_ports_exhausted_total') // 0) >= 1, 'metrics: exhaustion counted');
$r = req({ command => 'delete', 'call-id' => "T1-$$", 'from-tag' => 'caller', flags => ['fast'] });
ok($r->{result} eq 'ok' && !exists $r->{tags}, 'delete with fast: no statistics');
$r = req({ %offer_a, 'call-id' => "T4-$$", direction => ['outside', 'tiny'] });
ok($r->{result} eq 'ok', 'a freed pair is usable again');

# ---- delete ----
$r = req({ command => 'delete', 'call-id' => "A-$$", 'from-tag' => 'caller' });
ok($r->{result} eq 'ok' && $r->{tags}{caller} && $r->{totals}, 'delete returns the call statistics');
ok(wait_for('redis key gone', 5, sub { redis('EXISTS', "sbc:media:A-$$") =~ /^0/ }), 'redis: call key deleted with the call');
$r = req({ command => 'delete', 'call-id' => "A-$$", 'from-tag' => 'caller' });
ok($r->{result} eq 'ok' && ($r->{warning} // '') eq "Call-ID not found or tags didn't match", 'second delete: warning');
$r = req({ command => 'delete', 'call-id' => "C-$$", 'from-tag' => 'someone-else' });
ok(($r->{warning} // '') =~ /not found/, 'delete with a foreign from-tag does not delete');
$r = req({ command => 'delete', 'call-id' => "C-$$", 'delete delay' => 1 });
ok($r->{result} eq 'ok', 'delete with delete delay');
$r = req({ command => 'query', 'call-id' => "C-$$" });
ok($r->{result} eq 'ok', 'call still queryable during the delete delay');
sleep(1.6);
$r = req({ command => 'query', 'call-id' => "C-$$" });
ok($r->{result} eq 'error', 'call gone after the delete delay');

# ---- Redis outage: calls keep flowing, registration comes back ----
stop_pid('redis', 'KILL');
$r = req({ command => 'ping' });
ok($r->{result} eq 'pong', 'ping answered with Redis down');
$r = req({ %offer_a, 'call-id' => "R-$$" });
ok($r->{result} eq 'ok', 'offer works with Redis down');
$r = req({ %answer_a, 'call-id' => "R-$$" });
ok($r->{result} eq 'ok', 'answer works with Redis down');
redis_start();
ok(slurp($mlog) =~ /warn redis_lost server=\S+ reason=/, 'Redis loss logged (a warning naming the server and the reason)');
wait_for('re-registration', 10, sub { redis('EXISTS', "sbc:mediad:ngtest-$$") =~ /^1/ });
ok(1, 'mediad re-registered after Redis came back');
$h = wait_for('call re-synced', 5, sub { my $x = hgetall("sbc:media:R-$$"); $x->{state} ? $x : undef });
ok($h->{state} eq 'answered' && $h->{b_tag} eq 'ivr', 'calls made during the outage re-synced to Redis');

my ($media_roundtrip, $media_port);
# ---- media through the relay: SRTP caller <-> mediad <-> RTP IVR ----
# Proves the control plane hands the relay the right sockets, addresses and keys in the
# right direction (the peer's key decrypts, ours encrypts). Packet-path depth is tested
# by the relay's own tests.
{
	use NGCP::Rtpclient::SRTP;
	my $suite = $NGCP::Rtpclient::SRTP::crypto_suites{AES_CM_128_HMAC_SHA1_80};
	my $caller = IO::Socket::IP->new(Proto => 'udp', LocalHost => '127.0.0.1', LocalPort => 0) or die;
	my $ivr = IO::Socket::IP->new(Proto => 'udp', LocalHost => '127.0.0.1', LocalPort => 0) or die;
	my ($cport, $iport) = ($caller->sockport, $ivr->sockport);
	my $ckey = 'QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c';
	my $csdp = join($CRLF, 'v=0', 'o=c 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
		"m=audio $cport RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$ckey", '');
	my $isdp = join($CRLF, 'v=0', 'o=i 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
		"m=audio $iport RTP/AVP 0", '');
	$r = req({ command => 'offer', 'call-id' => "M-$$", 'from-tag' => 'c', sdp => $csdp,
		'transport-protocol' => 'RTP/AVP', direction => ['outside', 'inside'] });
	my $mi_port = m_port($r->{sdp} // '');
	$r = req({ command => 'answer', 'call-id' => "M-$$", 'from-tag' => 'c', 'to-tag' => 'i', sdp => $isdp });
	my $mo_port = m_port($r->{sdp} // '');
	my ($okey) = (($r->{sdp} // '') =~ /inline:([A-Za-z0-9+\/=]+)/);
	ok($mi_port > 0 && $mo_port > 0 && $okey, 'media call set up');

	my ($ck, $cs) = NGCP::Rtpclient::SRTP::decode_inline_base64($ckey, $suite);
	my ($c_sk, $c_ak, $c_ss) = NGCP::Rtpclient::SRTP::gen_rtp_session_keys($ck, $cs);
	my ($ok_, $os) = NGCP::Rtpclient::SRTP::decode_inline_base64($okey // 'A' x 40, $suite);
	my ($o_sk, $o_ak, $o_ss) = NGCP::Rtpclient::SRTP::gen_rtp_session_keys($ok_, $os);
	my $rtp = sub { my ($seq, $ssrc, $pl) = @_; return pack('CCnNN', 0x80, 0, $seq, $seq * 160, $ssrc) . $pl };
	my $recv = sub {
		my ($s, $t) = @_;
		my $sel = IO::Select->new($s);
		return undef unless $sel->can_read($t // 1);
		my $b;
		my $from = $s->recv($b, 2048);
		return $b;
	};
	my $to_out = Socket::pack_sockaddr_in($mo_port, Socket::inet_aton($out_ip));
	my $to_in = Socket::pack_sockaddr_in($mi_port, Socket::inet_aton($in_ip));

	# Sends n packets each way starting at seq0; returns how many arrived intact.
	$media_roundtrip = sub {
		my ($seq0, $n) = @_;
		my ($fwd, $back) = (0, 0);
		for my $seq ($seq0 .. $seq0 + $n - 1) {
			my $plain = $rtp->($seq, 0x11223344, "caller-audio-$seq" . ("\xd5" x 40));
			my ($srtp) = NGCP::Rtpclient::SRTP::encrypt_rtp($suite, $c_sk, $c_ss, $c_ak, 0, '', 0, 0, 0, $plain);
			$caller->send($srtp, 0, $to_out);
			my $b = $recv->($ivr);
			$fwd++ if defined $b && $b eq $plain;
		}
		for my $seq ($seq0 .. $seq0 + $n - 1) {
			my $plain = $rtp->($seq, 0x55667788, "ivr-audio-$seq" . ("\xd5" x 40));
			$ivr->send($plain, 0, $to_in);
			my $b = $recv->($caller);
			next unless defined $b && length($b) == length($plain) + 10;
			my ($dec, undef, $tag, $hmac) = NGCP::Rtpclient::SRTP::decrypt_rtp($suite, $o_sk, $o_ss, $o_ak, 0, $b);
			$back++ if $dec eq $plain && $tag eq substr($hmac, 0, 10);
		}
		return ($fwd, $back);
	};
	my ($fwd, $back) = $media_roundtrip->(1, 5);
	ok($fwd == 5, "caller SRTP arrives at the IVR as the original RTP ($fwd/5)");
	ok($back == 5, "IVR RTP arrives at the caller as SRTP under our key ($back/5)");

	# a forged packet (bad auth tag) is dropped and counted
	my ($srtp) = NGCP::Rtpclient::SRTP::encrypt_rtp($suite, $c_sk, $c_ss, $c_ak, 0, '', 0, 0, 0,
		$rtp->(6, 0x11223344, 'forged' x 10));
	substr($srtp, -1, 1) = chr(ord(substr($srtp, -1, 1)) ^ 1);
	$caller->send($srtp, 0, $to_out);
	ok(!defined $recv->($ivr, 0.5), 'forged SRTP is not forwarded');
	$r = req({ command => 'query', 'call-id' => "M-$$" });
	my $cst = $r->{tags}{c}{medias}[0]{streams}[0]{stats} // {};
	ok(($cst->{packets} // 0) == 6 && ($cst->{errors} // 0) == 1, 'query: 6 packets in, 1 error on the caller leg');
	my $drops = $r->{tags}{c}{medias}[0]{streams}[0]{drops} // {};
	ok(($drops->{auth} // 0) == 1 && keys(%$drops) == 1, 'query: the error is named: 1 auth drop, no other reason');
	my $idrops = $r->{tags}{i}{medias}[0]{streams}[0]{drops};
	ok(ref($idrops) eq 'HASH' && !%$idrops, 'query: a clean stream shows an empty drops dictionary');
	my $mm = metrics();
	ok($mm =~ /^sbc_relay_drops_total\{worker="\d+",reason="auth"\} [1-9]\d*$/m,
		'metrics: the auth drop counted by reason (per worker, no per-call series)');
	ok($mm !~ /call_id=/, 'metrics: no call_id label after a call with drops');
	my $lr = req({ command => 'list', flags => ['stats'] });
	my $ls = $lr->{stats}{"M-$$"} // {};
	ok(($ls->{totals}{RTP}{packets} // 0) == 11 && ($ls->{drops}{auth} // 0) == 1
		&& ($ls->{'crypto suites'} // [])->[0] eq 'AES_CM_128_HMAC_SHA1_80'
		&& ($ls->{'crypto suites'} // [])->[1] eq '' && ($ls->{'last packet'} // 0) > 0,
		'list with flag stats: totals, drops by reason, suite of each leg, last packet');
	$lr = req({ command => 'list' });
	ok(!exists $lr->{stats} && grep({ $_ eq "M-$$" } @{$lr->{calls}}), 'list without the flag: call-ids only, as rtpengine');
	ok(($r->{totals}{RTP}{packets} // 0) == 11, 'query: RTP totals');
	$media_port = $r->{tags}{c}{medias}[0]{streams}[0]{'local port'};
}

# ---- restart: calls come back from Redis with the same ports and keys ----
{
	my $exit0 = stop_pid('mediad', 'TERM');
	ok(defined $exit0 && $exit0 == 0, 'mediad stops cleanly with calls up');
	ok(redis('EXISTS', "sbc:media:M-$$") =~ /^1/, 'call state stays in Redis over a clean shutdown');
	$mlog = "$dir/mediad2.log";
	spawn('mediad', $mlog, $mediad_bin, '-c', $conf);
	($ng_port) = @{wait_for('mediad ready again', 10, sub {
		my $l = slurp($mlog);
		return $l =~ /mediad_ready .*ng=127\.0\.0\.1:(\d+) metrics_port=(\d+)/ ? [$1, $2] : undef;
	})};
	$sock = client();
	wait_for('call restored', 10, sub { slurp($mlog) =~ /call_restored call_id=M-$$ state=answered/ });
	ok(1, 'call restored from Redis after the restart');
	$r = req({ command => 'query', 'call-id' => "M-$$" });
	ok($r->{result} eq 'ok' && ($r->{tags}{c}{medias}[0]{streams}[0]{'local port'} // -1) == $media_port,
		'restored call keeps its local port');
	my ($fwd, $back) = $media_roundtrip->(20, 3);
	ok($fwd == 3 && $back == 3, "media flows through the restored call with the same keys ($fwd/3, $back/3)");
	$r = req({ command => 'query', 'call-id' => "R-$$" });
	ok($r->{result} eq 'ok', 'the call made during the Redis outage was restored too');
	$r = req({ command => 'delete', 'call-id' => "M-$$" });
	ok($r->{result} eq 'ok' && $r->{tags}, 'restored call deletes normally');
}

# ---- shutdown ----
my $exit = stop_pid('mediad', 'TERM');
ok(defined $exit && $exit == 0, "mediad exits cleanly on SIGTERM (status " . ($exit // 'undef') . ")");
stop_pid('redis', 'TERM');

print "1..$tests\n";
if ($failures) {
	print "# $failures of $tests failed; mediad log follows\n";
	print map { "# $_\n" } split(/\n/, slurp($mlog));
	exit(1);
}
exit(0);

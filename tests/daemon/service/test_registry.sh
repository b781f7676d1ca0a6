#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# mediad's registration at stop, sigproxy's view of it, and Redis missing at start:
# - SIGTERM: mediad leaves sbc:mediads and deletes sbc:mediad:<id> before it exits (the
#   registry no longer has it the moment the process is gone), and sigproxy sends no ng
#   ping to its address after one refresh (the test listens on that address);
# - kill -9 (no goodbye): once the registration expires sigproxy forgets the mediad and
#   does not ping it either;
# - a forged registration (id in the set, hash pointing at the test's socket) is used while
#   it lives and forgotten when its hash goes;
# - Redis unreachable at start: each daemon logs one warning naming the server, the reason
#   and that it retries, however many reconnects fail, and one line when it connects.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
need redis-server redis-cli rtpengine-ng-client perl "$SIGPROXY" "$MEDIAD"

# count_udp ADDR PORT SECONDS: datagrams received on ADDR:PORT for SECONDS
count_udp() {
	perl -MIO::Socket::IP -e '
		my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => $ARGV[1], Proto => "udp")
			or do { print "bind-failed\n"; exit 0 };
		my ($n, $end, $buf) = (0, time + $ARGV[2]);
		my $rin = ""; vec($rin, fileno($s), 1) = 1;
		while ((my $left = $end - time) > 0) {
			select(my $r = $rin, undef, undef, $left) > 0 or last;
			$s->recv($buf, 65535); $n++;
		}
		print "$n\n"' "$1" "$2" "$3"
}
smember() { rcli sismember sbc:mediads "$1"; }

redis_start || { echo "redis-server did not start" >&2; exit 1; }
certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
SIP_IP=$(e2e_ip 1)
sigproxy_start a "$SIP_IP" "$(e2e_ip 6)" "sip:$(e2e_ip 5):5060" || exit 1

# ---- SIGTERM: deregistered at once, no more pings ----
mediad_start a "$(e2e_ip 2)" "$(e2e_ip 3)" 38000 || exit 1
ida=e2e-a-$$
ok "mediad a registered (set and hash)" \
	wait_for 5 bash -c "[ \"\$(redis-cli -s '$REDIS_SOCK' sismember sbc:mediads $ida)\" = 1 ]"
ok "sigproxy uses it" wait_for 5 grep -q "mediad_added id=$ida " "$DIR/sigproxy-a.log"
kill -TERM "$MEDIAD_PID"
wait "$MEDIAD_PID" 2>/dev/null
e2e_forget "$MEDIAD_PID"
# checked the moment the process is gone: nothing has had time to expire
ok "SIGTERM: sbc:mediads no longer holds it when mediad has exited" test "$(smember "$ida")" = 0
ok "SIGTERM: sbc:mediad:<id> deleted" test "$(rcli exists "sbc:mediad:$ida")" = 0
ok "SIGTERM: mediad logged the confirmed deregistration" grep -q "mediad_deregistered id=$ida result=ok" "$DIR/mediad-a.log"
ok "sigproxy forgets it within one refresh (500 ms)" \
	wait_for 2 grep -q "mediad_removed id=$ida reason=registration-gone" "$DIR/sigproxy-a.log"
n=$(count_udp 127.0.0.1 "$MEDIAD_NG" 3)
ok "no ng ping reaches its old address in the 3 s after (got $n)" test "$n" = 0

# ---- kill -9: no goodbye; the registration expires (registration_ttl = 5) ----
mediad_start b "$(e2e_ip 7)" "$(e2e_ip 8)" 38500 || exit 1
idb=e2e-b-$$
ok "mediad b registered and used" wait_for 5 grep -q "mediad_added id=$idb " "$DIR/sigproxy-a.log"
kill -KILL "$MEDIAD_PID"
wait "$MEDIAD_PID" 2>/dev/null
e2e_forget "$MEDIAD_PID"
ok "kill -9: still registered right after (nobody said goodbye)" test "$(smember "$idb")" = 1
ok "kill -9: once the hash expires sigproxy forgets it" \
	wait_for 9 grep -q "mediad_removed id=$idb reason=registration-" "$DIR/sigproxy-a.log"
ok "kill -9: and drops its id from the set" wait_for 3 bash -c "[ \"\$(redis-cli -s '$REDIS_SOCK' sismember sbc:mediads $idb)\" = 0 ]"
n=$(count_udp 127.0.0.1 "$MEDIAD_NG" 3)
ok "kill -9: no ng ping reaches its address afterwards (got $n; before the fix: one every refresh, forever)" test "$n" = 0

# ---- a registration someone else wrote: used while it lives, then forgotten ----
fport=$(free_port 127.0.0.1)
rcli hset "sbc:mediad:forged-$$" id "forged-$$" ng "127.0.0.1:$fport" load 0 >/dev/null
rcli expire "sbc:mediad:forged-$$" 3 >/dev/null
rcli sadd sbc:mediads "forged-$$" >/dev/null
ok "forged registration picked up" wait_for 3 grep -q "mediad_added id=forged-$$ " "$DIR/sigproxy-a.log"
ok "forged registration forgotten when its hash expires" \
	wait_for 6 grep -q "mediad_removed id=forged-$$ " "$DIR/sigproxy-a.log"
n=$(count_udp 127.0.0.1 "$fport" 2)
ok "no ping to the forged address afterwards (got $n)" test "$n" = 0
e2e_stop "$SIGPROXY_PID"

# ---- Redis unreachable at start: one warning each, then a line when it is there ----
rport=$(perl -MIO::Socket::IP -e 'print IO::Socket::IP->new(LocalHost => "127.0.0.1", LocalPort => 0, Proto => "tcp", Listen => 1)->sockport')
cat >"$DIR/mediad-r.ini" <<INI
[mediad]
id = e2e-r-$$
ng_listen = 127.0.0.1:0
ng_allow = 127.0.0.0/8
[interface outside]
address = $(e2e_ip 9)
port_min = 38800
port_max = 38899
[redis]
enabled = yes
host = 127.0.0.1
port = $rport
registration_ttl = 5
registration_interval_ms = 500
INI
"$MEDIAD" -c "$DIR/mediad-r.ini" >"$DIR/mediad-r.log" 2>&1 &
mpid=$!
PIDS+=("$mpid")
sed -e "s|^unix_socket = .*|host = 127.0.0.1\nport = $rport|" -e "s/^id = e2e-a-/id = e2e-r-/" \
	"$DIR/sigproxy-a.ini" >"$DIR/sigproxy-r.ini"
"$SIGPROXY" -c "$DIR/sigproxy-r.ini" >"$DIR/sigproxy-r.log" 2>&1 &
spid=$!
PIDS+=("$spid")
sleep 4   # backoff 100 ms doubling: several failed reconnects by now
for d in mediad sigproxy; do
	log=$DIR/$d-r.log
	n=$(grep -c "redis_unreachable" "$log")
	ok "$d: Redis missing at start: exactly one line ($n) after 4 s of retries" test "$n" = 1
	ok "$d: it is a warning naming server, reason and the retry" \
		grep -q "$d warn redis_unreachable server=127.0.0.1:$rport reason=\"Connection refused\" retrying=yes" "$log"
done
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" >"$DIR/redis-r.log" 2>&1 &
PIDS+=($!)
ok "mediad: connected once Redis is there, and registered" \
	wait_for 10 bash -c "grep -q 'redis_connected server=127.0.0.1:$rport' '$DIR/mediad-r.log' &&
		[ \"\$(redis-cli -p $rport sismember sbc:mediads e2e-r-$$)\" = 1 ]"
ok "sigproxy: connected once Redis is there" wait_for 10 grep -q "redis_connected server=127.0.0.1:$rport" "$DIR/sigproxy-r.log"
for d in mediad sigproxy; do
	ok "$d: still one warning in all" test "$(grep -c redis_unreachable "$DIR/$d-r.log")" = 1
done
e2e_finish

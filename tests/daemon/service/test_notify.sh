#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Both daemons under systemd's notification protocol without systemd: NOTIFY_SOCKET names a
# datagram socket this test listens on (notify_listen.pl), WATCHDOG_USEC asks for pings.
# READY=1 must come only once the daemon serves (its listeners answer at that moment),
# WATCHDOG=1 every WATCHDOG_USEC/2, none while a relay worker of mediad is frozen (ptrace
# stops that one thread) and again after it thaws, none for another process's WATCHDOG_PID;
# SIGHUP gives RELOADING=1 then READY=1 and reloads log_level from a valid file only;
# SIGTERM gives STOPPING=1.
set -u
. "$(dirname "$0")/../e2e/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
FREEZE=$BUILD/tests/sbc-test-freeze-thread
need redis-server redis-cli rtpengine-ng-client perl openssl "$SIGPROXY" "$MEDIAD" "$FREEZE"

# listen NAME: a notification socket; its messages go to $DIR/notify-NAME.out
listen() {
	perl "$HERE/notify_listen.pl" "$DIR/notify-$1.sock" "$DIR/notify-$1.out" &
	PIDS+=($!)
	wait_for 5 test -S "$DIR/notify-$1.sock"
}
msgs() { cut -d' ' -f2- "$DIR/notify-$1.out" | grep -v '^listening$'; }
count() { msgs "$1" | grep -c "^$2\$"; }
# pings NAME FROM_MS TO_MS: monotonic times of WATCHDOG=1 in [FROM, TO)
pings() { awk -v a="$2" -v b="$3" '$2 == "WATCHDOG=1" && $1 >= a && $1 < b { print $1 }' "$DIR/notify-$1.out"; }
now_ms() { perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e 'printf "%d\n", clock_gettime(CLOCK_MONOTONIC) * 1000'; }
# largest gap between consecutive times on stdin
max_gap() { awk 'NR > 1 && $1 - p > g { g = $1 - p } { p = $1 } END { print g + 0 }'; }
# interval_ok WHO NAME SECONDS MIN MAX MAXGAP WHAT: pings of NAME over the next SECONDS
interval_ok() {
	local t0 p n gap
	t0=$(now_ms)
	sleep "$3"
	p=$(pings "$2" "$t0" "$(now_ms)")
	n=$(echo "$p" | grep -c .)
	gap=$(echo "$p" | max_gap)
	ok "$1: WATCHDOG=1 every $7 ($n pings in $3 s, largest gap $gap ms)" \
		bash -c "[ $n -ge $4 ] && [ $n -le $5 ] && [ $gap -le $6 ]"
}

redis_start || { echo "redis-server did not start" >&2; exit 1; }

# ---- mediad ----
listen md
export NOTIFY_SOCKET=$DIR/notify-md.sock WATCHDOG_USEC=1000000
MEDIAD_WORKERS=2 mediad_start a "$(e2e_ip 2)" "$(e2e_ip 3)" 37000 || exit 1
unset NOTIFY_SOCKET WATCHDOG_USEC
# READY=1 is checked the moment it is seen: the ng socket must answer then.
wait_for 5 grep -q "READY=1" "$DIR/notify-md.out"
pong=$(timeout 5 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port="$MEDIAD_NG" ping 2>&1)
ok "mediad: READY=1 sent once, with a STATUS naming the ng address" \
	bash -c "[ \"\$(grep -c 'READY=1' '$DIR/notify-md.out')\" = 1 ] && grep -q 'READY=1 | STATUS=serving ng on 127.0.0.1:$MEDIAD_NG with 2 workers' '$DIR/notify-md.out'"
ok "mediad: when READY=1 arrived the ng socket answered (pong)" bash -c "[[ '$pong' == *pong* ]]"
ok "mediad: READY=1 came after the daemon's own ready line (sockets bound, workers running)" \
	grep -q "mediad_notify_ready watchdog_ms=1000" "$DIR/mediad-a.log"
# (the largest gap must stay under WATCHDOG_USEC: that is what keeps systemd from killing)
interval_ok mediad md 3.2 5 8 999 "500 ms for WATCHDOG_USEC=1 s"

# A frozen relay worker (only that thread stops) withholds the pings; they come back after.
tid=$(grep -l '^relay-1$' /proc/"$MEDIAD_PID"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5)
ok "mediad: relay worker thread relay-1 found (tid ${tid:-none})" test -n "$tid"
"$FREEZE" "$tid" 3000 >"$DIR/freeze.out" 2>&1
# the times the thread really stopped and went on (a loaded machine starts the tool late)
t1=$(awk '$1 == "frozen" { print $3 }' "$DIR/freeze.out")
t2=$(awk '$1 == "thawed" { print $3 }' "$DIR/freeze.out")
sleep 2
t3=$(now_ms)
during=$(pings md $((${t1:-0} + 1600)) "${t2:-0}" | grep -c .)
after=$(pings md "${t2:-0}" "$t3" | grep -c .)
ok "mediad: the freeze held (sbc-test-freeze-thread: $(tr '\n' ' ' <"$DIR/freeze.out"))" \
	bash -c "[ -n '$t1' ] && [ -n '$t2' ] && [ $((${t2:-0} - ${t1:-0})) -ge 2900 ]"
ok "mediad: no WATCHDOG=1 while relay-1 is stuck (from 1.6 s into a 3 s freeze: $during pings)" test "$during" = 0
ok "mediad: pings resume once the worker runs again ($after in 2 s)" test "$after" -ge 2
withheld=$(grep -c 'watchdog_withheld worker=1 ' "$DIR/mediad-a.log")
# once per stall: a loaded machine may add a stall of its own, never one line per ping
ok "mediad: logged the stuck worker ($withheld) and its recovery" \
	bash -c "[ $withheld -ge 1 ] && [ $withheld -le 2 ] && grep -q 'watchdog_resumed worker=1' '$DIR/mediad-a.log'"
grep watchdog_ "$DIR/mediad-a.log" | sed 's/^/# /'
ok "mediad: still serving after the freeze" \
	bash -c "timeout 5 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port=$MEDIAD_NG ping 2>&1 | grep -q pong"

# SIGHUP: a valid file's log_level applies; a broken file changes nothing.
sed -i 's/^log_level = info/log_level = debug/' "$DIR/mediad-a.ini"
kill -HUP "$MEDIAD_PID"
ok "mediad: SIGHUP gives RELOADING=1 then READY=1" \
	wait_for 5 bash -c "msgs() { cut -d' ' -f2- '$DIR/notify-md.out'; }; msgs | grep -A1 '^RELOADING=1\$' | grep -q '^READY=1'"
ok "mediad: SIGHUP reloads log_level from the file" \
	wait_for 5 grep -q "log_level_changed from=info to=debug" "$DIR/mediad-a.log"
echo "typo_key = 1" >>"$DIR/mediad-a.ini"
kill -HUP "$MEDIAD_PID"
ok "mediad: a file that does not validate is refused, naming file, line and key" \
	wait_for 5 grep -q "reload_failed hook=log_level reason=\".*mediad-a.ini:[0-9]*: redis.typo_key: unknown key" "$DIR/mediad-a.log"
ok "mediad: counted as a failed reload, the daemon serves on" \
	bash -c "kill -0 $MEDIAD_PID && [ \"\$(grep -c '^RELOADING=1' <(cut -d' ' -f2- '$DIR/notify-md.out'))\" = 2 ]"

# Another process's WATCHDOG_PID: the pings are not ours to send.
listen md2
grep -v '^typo_key' "$DIR/mediad-a.ini" | sed 's/^id = .*/id = notify-b-'$$'/' >"$DIR/mediad-b.ini"
NOTIFY_SOCKET=$DIR/notify-md2.sock WATCHDOG_USEC=1000000 WATCHDOG_PID=1 \
	"$MEDIAD" -c "$DIR/mediad-b.ini" >"$DIR/mediad-b.log" 2>&1 &
md2=$!
PIDS+=("$md2")
sleep 2
ok "mediad: WATCHDOG_PID of another process: READY=1 but no WATCHDOG=1" \
	bash -c "grep -q 'READY=1' '$DIR/notify-md2.out' && ! grep -q 'WATCHDOG=1' '$DIR/notify-md2.out'"
e2e_stop "$md2"

kill -TERM "$MEDIAD_PID"
wait "$MEDIAD_PID" 2>/dev/null
ok "mediad: SIGTERM gives STOPPING=1" grep -q "STOPPING=1" "$DIR/notify-md.out"
e2e_forget "$MEDIAD_PID"

# ---- sigproxy ----
certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
listen sp
SIP_IP=$(e2e_ip 1)
export NOTIFY_SOCKET=$DIR/notify-sp.sock WATCHDOG_USEC=600000
sigproxy_start a "$SIP_IP" "$(e2e_ip 6)" "sip:$(e2e_ip 5):5060" || exit 1
unset NOTIFY_SOCKET WATCHDOG_USEC
wait_for 5 grep -q "READY=1" "$DIR/notify-sp.out"
# OPTIONS to the UDP listener right after READY: a response of any status proves it serves.
resp=$(perl -MIO::Socket::IP -e '
	my $s = IO::Socket::IP->new(PeerHost => $ARGV[0], PeerPort => 5060, Proto => "udp") or die;
	$s->send("OPTIONS sip:$ARGV[0] SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-n1\r\nMax-Forwards: 70\r\nFrom: <sip:t\@127.0.0.1>;tag=n1\r\nTo: <sip:$ARGV[0]>\r\nCall-ID: notify-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
	my $r = ""; eval { local $SIG{ALRM} = sub { die }; alarm 3; $s->recv($r, 4096); alarm 0 };
	print((split /\r\n/, $r)[0] // "none")' "$SIP_IP")
ok "sigproxy: READY=1 once, and the listeners answered at that moment ($resp)" \
	bash -c "[ \"\$(grep -c 'READY=1' '$DIR/notify-sp.out')\" = 1 ] && [[ '$resp' == SIP/2.0* ]]"
interval_ok sigproxy sp 2.5 6 10 599 "300 ms for WATCHDOG_USEC=600 ms"
# A stopped event loop sends nothing.
kill -STOP "$SIGPROXY_PID"
t1=$(now_ms)
sleep 1.5
kill -CONT "$SIGPROXY_PID"
t2=$(now_ms)
sleep 1.5
stopped=$(pings sp $((t1 + 100)) "$t2" | grep -c .)
again=$(pings sp "$t2" "$(now_ms)" | grep -c .)
# (one ping may leave between the timer firing and SIGSTOP landing, or right at SIGCONT)
ok "sigproxy: no WATCHDOG=1 while stopped (SIGSTOP: $stopped in 1.4 s), pings again after SIGCONT ($again in 1.5 s)" \
	bash -c "[ $stopped -le 1 ] && [ $again -ge 2 ]"
kill -HUP "$SIGPROXY_PID"
ok "sigproxy: SIGHUP gives RELOADING=1 then READY=1 and runs the reload hooks" \
	wait_for 5 bash -c "cut -d' ' -f2- '$DIR/notify-sp.out' | grep -A1 '^RELOADING=1\$' | grep -q '^READY=1' &&
		grep -q 'reload_done hook=log_level' '$DIR/sigproxy-a.log'"
ok "sigproxy: counted in sigproxy_reloads_total" \
	bash -c "curl -s http://127.0.0.1:$SP_METRICS/metrics 2>/dev/null | grep -q '^sigproxy_reloads_total{result=\"ok\"} 1\$' ||
		perl -MIO::Socket::IP -e '\$s=IO::Socket::IP->new(\"127.0.0.1:$SP_METRICS\") or exit 1; print \$s \"GET /metrics HTTP/1.0\r\n\r\n\"; while(<\$s>){ exit 0 if /^sigproxy_reloads_total\{result=\"ok\"\} 1\r?\$/ } exit 1'"
kill -TERM "$SIGPROXY_PID"
wait "$SIGPROXY_PID" 2>/dev/null
ok "sigproxy: SIGTERM gives STOPPING=1" grep -q "STOPPING=1" "$DIR/notify-sp.out"
e2e_forget "$SIGPROXY_PID"
e2e_finish

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Soak benchmark: a long run of calls at a steady rate through sigproxy + mediad + Redis
# (sipp -t t1 behind a verifying stunnel client as the caller, INVITE with an SRTP offer;
# a sipp UAS on UDP as the backend, streaming PCMU into mediad's inside port so that mediad
# relays it as SRTP to the caller's address). Samples every few seconds what would grow
# with a leak: RSS and open fds of sigproxy and mediad, mediad's ports in use, Redis keys
# (by kind) and memory, active calls. The comparison that decides is between two idle
# points: after a warm-up (caches, pools and Redis tables at their working size) and after
# the main run, each time once the calls have ended and the records of ended calls have
# expired (call_ttl_ended is set short for the soak: --ttl-ended, 5 s by default).
#
# Usage: [SBC_BUILD_DIR=build/release] tests/bench/bench_soak.sh [options]
#   --calls N        calls of the main run, after the warm-up (default 200000)
#   --rate R         calls per second, steady (default 120)
#   --hold MS        how long each call lasts once answered (default 1000)
#   --warmup N       warm-up calls before the start sample (default: 60 s of calls,
#                    at most a fifth of --calls)
#   --interval S     seconds between samples (default 30)
#   --ttl-ended S    sigproxy's call_ttl_ended for the run (default 5)
#   --settle S       seconds to wait after the drain before an idle sample (default 50:
#                    longer than sigproxy keeps a finished transaction, 32 s, and mediad
#                    an ng cookie, 45 s, so both idle samples hold persistent state only)
#   --max-growth P   most growth allowed between the two idle samples, % (default 1)
#   --max-failed P   most failed calls allowed, % of all calls (default 0.1)
#   --no-media       the backend sends no RTP
#   --csv FILE       also write every sample to FILE
#   --no-heap        without gdb's malloc_stats() at the idle samples (default: with it
#                    when gdb is installed, except --smoke): heap in use tells a leak
#                    (in use grows) from fragmentation (only the heap's size grows)
#   --sabotage LIST  leaks on purpose during the main run, to show the checks catch it
#                    (comma list): call (an offer to mediad that is never deleted, as when
#                    a delete is lost), key (a dialog record without a TTL), stall (the
#                    backend stopped with SIGSTOP for 4 s: calls fail)
#   --on-idle CMD    runs CMD (with sh -c) just before each idle sample, with SOAK_PHASE
#                    (before, start, end), SIGPROXY_PID, MEDIAD_PID, REDIS_PID, SOAK_DIR in
#                    its environment: e.g. attach a heap profiler (README "Soak")
#   --smoke          500 calls at 50/s in about 30 s (ctest runs this): fails on failed
#                    calls and on any fd, port, key or active-call left over; memory is
#                    printed but not judged (too short for caches to reach their size)
# Exit: 0 when every check passes, 1 otherwise (each failed check is named).
set -u
. "$(dirname "$0")/bench_lib.sh"

SMOKE=0
CALLS=200000
RATE=120
HOLD_MS=1000
WARMUP=
INTERVAL=30
TTL_ENDED=5
SETTLE=50
MAX_GROWTH=1
MAX_FAILED=0.1
MEDIA=1
CSV=
ON_IDLE=
HEAP=1
SABOTAGE=
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--calls) CALLS=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--hold) HOLD_MS=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--interval) INTERVAL=$2; shift ;;
	--ttl-ended) TTL_ENDED=$2; shift ;;
	--settle) SETTLE=$2; shift ;;
	--max-growth) MAX_GROWTH=$2; shift ;;
	--max-failed) MAX_FAILED=$2; shift ;;
	--no-media) MEDIA=0 ;;
	--csv) CSV=$2; shift ;;
	--on-idle) ON_IDLE=$2; shift ;;
	--no-heap) HEAP=0 ;;
	--sabotage) SABOTAGE=,$2,; shift ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
if [ "$SMOKE" = 1 ]; then
	CALLS=500
	RATE=50
	HOLD_MS=500
	WARMUP=100
	INTERVAL=2
	TTL_ENDED=2
	SETTLE=0
	HEAP=0
fi
command -v gdb >/dev/null || HEAP=0
for v in CALLS RATE HOLD_MS INTERVAL TTL_ENDED SETTLE; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -gt 0 -o $v = SETTLE ] ||
		{ echo "${v,,}: a positive integer, please" >&2; exit 2; }
done
if [ -z "$WARMUP" ]; then
	WARMUP=$((RATE * 60))
	[ "$WARMUP" -gt $((CALLS / 5)) ] && WARMUP=$((CALLS / 5))
	[ "$WARMUP" -lt 1 ] && WARMUP=1
fi
need sipp stunnel4 redis-server redis-cli rtpengine-ng-client "$SIGPROXY" "$MEDIAD"

# Memory of a sanitizer build grows by design (ASan's quarantine holds freed blocks).
SANITIZED=0
grep -qa __asan_init "$MEDIAD" && SANITIZED=1
JUDGE_MEMORY=1
[ "$SMOKE" = 1 ] || [ "$SANITIZED" = 1 ] && JUDGE_MEMORY=0
[ "$SANITIZED" = 1 ] && HEAP=0

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
STUNNEL_ACCEPT=$CALLER_IP:5071
CALLER_MPORT=40000
SUITE=AES_CM_128_HMAC_SHA1_80
KEY=$(srtp_key $SUITE)
KEY2=$(srtp_key AES_CM_128_HMAC_SHA1_32)
E2E=$SRC/tests/daemon/e2e
BENCH=$SRC/tests/bench
certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }

# ---- what is sampled ----
proc_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
proc_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# Keys by kind, counted inside Redis: all, sbc:call records of live and of ended calls,
# sbc:media records, keys without a TTL. KEYS is fine here: a few thousand keys at most.
KEYS_LUA='local r = {0, 0, 0, 0, 0}
for _, k in ipairs(redis.call("KEYS", "*")) do
	r[1] = r[1] + 1
	if redis.call("TTL", k) == -1 then r[5] = r[5] + 1 end
	if string.sub(k, 1, 9) == "sbc:call:" then
		if redis.call("HGET", k, "state") == "ended" then r[3] = r[3] + 1 else r[2] = r[2] + 1 end
	elseif string.sub(k, 1, 10) == "sbc:media:" then
		r[4] = r[4] + 1
	end
end
return r'
# sipp's statistics file: the last line's value of column $2
sipp_stat() {
	[ -s "$1" ] || { echo 0; return; }
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ v = $k } END { print v + 0 }' "$1"
}
media_pkts() { cat "$DIR/sink.count" 2>/dev/null || echo "0 0"; }

# sample ARRAY: fills the associative array with one sample of everything.
declare -A S0 S1 S2 SN
on_idle() {
	[ -n "$ON_IDLE" ] || return 0
	SOAK_PHASE=$1 SOAK_DIR=$DIR SIGPROXY_PID=$SIGPROXY_PID MEDIAD_PID=$MEDIAD_PID \
		REDIS_PID=$REDIS_PID sh -c "$ON_IDLE" || echo "# --on-idle failed ($1)" >&2
}
# heap PID LOG: "in-use system" bytes of glibc malloc in PID (gdb calls malloc_stats(), which
# writes to the daemon's stderr, its log): at an idle point only, gdb stops the process.
heap() {
	local off
	off=$(stat -c %s "$2")
	timeout 60 gdb -p "$1" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1 || { echo "- -"; return; }
	tail -c +$((off + 1)) "$2" | awk '/^Total \(incl. mmap\):/ { t = 1; next }
		t && /^system bytes/ { s = $NF } t && /^in use bytes/ { u = $NF; t = 0 }
		END { print (u == "" ? "-" : u), (s == "" ? "-" : s) }'
}
sample() {
	local -n s=$1
	local k r
	if [ "$HEAP" = 1 ] && [ "$1" != SN ]; then
		read -r s[sp_inuse] s[sp_heap] < <(heap "$SIGPROXY_PID" "$DIR/sigproxy-soak.log")
		read -r s[md_inuse] s[md_heap] < <(heap "$MEDIAD_PID" "$DIR/mediad-soak.log")
	fi
	s[t]=$(($(date +%s) - T0))
	s[sp_rss]=$(proc_rss "$SIGPROXY_PID")
	s[sp_fds]=$(proc_fds "$SIGPROXY_PID")
	s[md_rss]=$(proc_rss "$MEDIAD_PID")
	s[md_fds]=$(proc_fds "$MEDIAD_PID")
	read -r s[md_calls] s[md_ports] < <(rcli HMGET "sbc:mediad:$MD_ID" calls ports_in_use | tr '\n' ' ')
	s[dbsize]=$(rcli DBSIZE)
	read -r s[keys] s[k_live] s[k_ended] s[k_media] s[k_nottl] < <(rcli EVAL "$KEYS_LUA" 0 | tr '\n' ' ')
	rcli INFO memory | tr -d '\r' >"$DIR/redis-memory-$1.txt"
	s[r_mem]=$(awk -F: '$1 == "used_memory" { print $2 }' "$DIR/redis-memory-$1.txt")
	s[ok]=$(sipp_stat "$UAC_STAT" 'SuccessfulCall(C)')
	s[failed]=$(sipp_stat "$UAC_STAT" 'FailedCall(C)')
	read -r s[pkts] s[srtp] < <(media_pkts)
	for k in sp_rss sp_fds md_rss md_fds md_calls md_ports dbsize keys r_mem; do
		[[ ${s[$k]:-} =~ ^[0-9]+$ ]] || s[$k]=-1
	done
	r="${s[t]};${s[ok]};${s[failed]};${s[md_calls]};${s[sp_rss]};${s[sp_fds]};${s[md_rss]};${s[md_fds]}"
	r+=";${s[md_ports]};${s[dbsize]};${s[k_live]};${s[k_ended]};${s[k_media]};${s[r_mem]};${s[pkts]}"
	[ -n "$CSV" ] && echo "$1;$r" >>"$CSV"
}
row_header() {
	printf '%7s %8s %6s %6s | %9s %6s | %9s %6s %6s | %6s %5s %5s %5s %9s | %9s\n' \
		"t(s)" "ok" "failed" "active" "sp RSS kB" "fds" "md RSS kB" "fds" "ports" \
		"keys" "live" "ended" "media" "mem kB" "SRTP pkts"
}
row_print() {
	local -n s=$1
	printf '%7s %8s %6s %6s | %9s %6s | %9s %6s %6s | %6s %5s %5s %5s %9s | %9s  %s\n' \
		"${s[t]}" "${s[ok]}" "${s[failed]}" "${s[md_calls]}" "${s[sp_rss]}" "${s[sp_fds]}" \
		"${s[md_rss]}" "${s[md_fds]}" "${s[md_ports]}" "${s[dbsize]}" "${s[k_live]}" \
		"${s[k_ended]}" "${s[k_media]}" "$((s[r_mem] / 1024))" "${s[srtp]}" "${2:-}"
}

# ---- the system under test and the peers ----
[ -n "$CSV" ] && echo "sample;t;ok;failed;active;sp_rss_kb;sp_fds;md_rss_kb;md_fds;md_ports;redis_keys;live;ended;media;redis_mem;pkts" >"$CSV"
redis_start || exit 1
# 2000 ports (1000 pairs) per side: a stall of a few seconds must not run the pool dry.
MEDIAD_WORKERS=2 MEDIAD_LOG_LEVEL=warn MEDIAD_PORT_SPAN=2000 \
	mediad_start soak "$OUT_IP" "$IN_IP" 30000 || exit 1
# The later [sigproxy] keys win over the harness's (call_ttl_ended = 120 there). Every call
# comes from one address (the stunnel client): a trunk, exempt from the per-source limits.
SP_LOG_LEVEL=warn SP_TIMEOUT_MS=3000 SP_EXTRA="[sigproxy]
call_ttl_ended = $TTL_ENDED
[limits]
exempt = $CALLER_IP" sigproxy_start soak "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client soak "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || exit 1
wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' --scan --pattern 'sbc:mediad:*' | grep -q ." ||
	{ echo "mediad did not register" >&2; exit 1; }
MD_ID=$(rcli SMEMBERS sbc:mediads | head -1)

# The caller's media address: mediad sends each call's SRTP here; counts packets, and
# those of the size of a PCMU packet protected with an 80-bit tag (12 + 160 + 10 bytes).
perl -MIO::Socket::IP -e '
	my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => $ARGV[1], Proto => "udp")
		or die "sink: $!";
	my ($n, $srtp, $t, $b) = (0, 0, 0);
	$SIG{TERM} = sub { exit 0 };
	while (defined $s->recv($b, 2048)) {
		$n++;
		$srtp++ if length($b) == 182;
		next if time == $t;
		$t = time;
		open my $f, ">", "$ARGV[2].tmp" or next;
		print $f "$n $srtp\n";
		close $f;
		rename "$ARGV[2].tmp", $ARGV[2];
	}' "$CALLER_IP" "$CALLER_MPORT" "$DIR/sink.count" 2>"$DIR/sink.out" &
PIDS+=($!)

mkdir -p "$DIR/backend"
if [ "$MEDIA" = 1 ]; then
	# 1 s of PCMU silence, looped by sipp's rtpstream for as long as the call lasts
	head -c 8000 /dev/zero | tr '\0' '\377' >"$DIR/backend/silence.pcmu"
	(cd "$DIR/backend" && exec sipp -sf "$BENCH/soak_uas.xml" -i "$BACK_IP" -p 5060 -mi "$BACK_IP" \
		-mp 42000 -trace_err -nostdin >uas.out 2>&1) &
else
	(cd "$DIR/backend" && exec sipp -sf "$E2E/uas_call.xml" -i "$BACK_IP" -p 5060 \
		$(sipp_sets "$E2E/uas_call.xml" mip "$BACK_IP" mport 42000) -trace_err -nostdin >uas.out 2>&1) &
fi
BACKEND_PID=$!
PIDS+=("$BACKEND_PID")
sleep 0.5

# caller NAME CALLS: runs sipp in the background (UAC_PID, UAC_STAT, UAC_OUT); its bound
# leaves room for stalls of the machine (sipp then catches up at up to -l calls at once),
# and a call that waits 15 s for a message fails instead of holding the run.
caller() {
	local d=$DIR/$1 n=$2 secs=$(($2 * 5 / RATE / 4 + 120))
	mkdir -p "$d"
	UAC_STAT=$d/stat.csv
	UAC_OUT=$d/uac.out
	(cd "$d" && exec timeout $((secs + 30)) sipp -sf "$E2E/uac_call.xml" -t t1 -i "$CALLER_IP" -p 0 \
		"$STUNNEL_ACCEPT" -s 8011001 -m "$n" -r "$RATE" -l $((RATE * (HOLD_MS / 1000 + 10))) \
		-d "$HOLD_MS" -timeout "${secs}s" -recv_timeout 15000 -nostdin -trace_stat -stf "$UAC_STAT" -fd 1 \
		$(sipp_sets "$E2E/uac_call.xml" domain sbc.example.test mip "$CALLER_IP" \
		mport "$CALLER_MPORT" suite $SUITE key "$KEY" key2 "$KEY2" dir sendrecv ver 1) \
		-trace_err >"$UAC_OUT" 2>&1) &
	UAC_PID=$!
	PIDS+=("$UAC_PID")
}
# Waits until the calls have ended and their records expired (Redis reclaimed them: DBSIZE
# back at the idle count before any call), at most call_ttl_ended + 15 s; a leak times out.
drain() {
	wait_for $((TTL_ENDED + 15)) bash -c "
		[ \"\$(redis-cli -s '$REDIS_SOCK' DBSIZE)\" -le ${S0[dbsize]} ] &&
		[ \"\$(redis-cli -s '$REDIS_SOCK' HMGET 'sbc:mediad:$MD_ID' calls ports_in_use | tr '\n' ' ')\" = '0 0 ' ]"
	sleep 1
}
# idle ARRAY PHASE LABEL: once idle and settled, the hook, a sample and its row
idle() {
	drain
	sleep "$SETTLE"
	on_idle "$2"
	sample "$1"
	row_print "$1" "$3"
}

# Redis 7 allocates a command's latency histogram (about 24 kB) when the command first
# runs: the sampler's HGET (in KEYS_LUA) must not run first between the idle samples.
rcli HGET sbc:soak:none state >/dev/null
T0=$(date +%s)
UAC_STAT=/nonexistent
echo "== soak: $WARMUP warm-up + $CALLS calls at $RATE calls/s, ${HOLD_MS} ms each," \
	"$([ "$MEDIA" = 1 ] && echo "backend streams PCMU (mediad relays it as SRTP to the caller)" || echo "no media")," \
	"call_ttl_ended = $TTL_ENDED s, a sample every $INTERVAL s, idle samples $SETTLE s after the drain"
echo "   sigproxy pid $SIGPROXY_PID, mediad pid $MEDIAD_PID ($MD_ID), redis-server pid $REDIS_PID" \
	"$([ "$SANITIZED" = 1 ] && echo "(sanitizer build: memory not judged)")"
row_header
on_idle before
sample S0
row_print S0 "idle, before any call"

# warm-up, then the start sample once everything is idle again
caller warmup "$WARMUP"
wait "$UAC_PID"
e2e_forget "$UAC_PID"
W_OK=$(sipp_count "$UAC_OUT" 'Successful call')
W_FAILED=$(sipp_count "$UAC_OUT" 'Failed call')
idle S1 start "idle after the warm-up ($W_OK ok, $W_FAILED failed): start"

caller main "$CALLS"
MAIN_PID=$UAC_PID
if [[ $SABOTAGE == *,call,* ]]; then
	timeout 10 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port="$MEDIAD_NG" offer \
		--call-id=soak-sabotage --from-tag=lost --via-branch=z9hG4bKlost --protocol=RTP/AVP \
		--direction=outside,inside --sdp="$(printf 'v=0\r\no=x 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40010 RTP/SAVP 0\r\na=crypto:1 %s inline:%s\r\n' \
		"$CALLER_IP" "$CALLER_IP" $SUITE "$KEY")" >"$DIR/sabotage.out" 2>&1
	echo "# sabotage: an offer to mediad that nobody deletes ($(grep -q '^New SDP' "$DIR/sabotage.out" &&
		echo answered || echo "not answered"))"
fi
if [[ $SABOTAGE == *,stall,* ]]; then
	kill -STOP "$BACKEND_PID"
	sleep 4
	kill -CONT "$BACKEND_PID"
	echo "# sabotage: the backend stopped for 4 s"
fi
if [[ $SABOTAGE == *,key,* ]]; then
	rcli HSET sbc:call:soak-sabotage state answered >/dev/null
	echo "# sabotage: a dialog record without a TTL"
fi
NEXT=$(($(date +%s) + INTERVAL))
while kill -0 "$MAIN_PID" 2>/dev/null; do
	sleep 0.5
	[ "$(date +%s)" -lt "$NEXT" ] && continue
	NEXT=$((NEXT + INTERVAL))
	sample SN
	row_print SN
done
wait "$MAIN_PID"
MAIN_RC=$?
e2e_forget "$MAIN_PID"
M_OK=$(sipp_count "$UAC_OUT" 'Successful call')
M_FAILED=$(sipp_count "$UAC_OUT" 'Failed call')
idle S2 end "idle after the run: end"

# ---- verdict ----
RC=0
GROWTH_RC=0
check() {  # check DESCRIPTION COMMAND...: a named check that fails the run
	local what=$1
	shift
	if "$@"; then
		echo "ok   - $what"
	else
		echo "FAIL - $what"
		RC=1
	fi
}
# growth FROM TO NAME LABEL JUDGE: a line from sample FROM to sample TO; with JUDGE=1, more
# than MAX_GROWTH % fails (any growth from 0)
growth() {
	local -n x=$1 y=$2
	local a=${x[$3]:-} b=${y[$3]:-} pct verdict=
	if ! [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then
		printf '%-28s %12s %12s %10s %9s %s\n' "$4" "${a:--}" "${b:--}" - - "(not measured)"
		[ "$5" = 1 ] && GROWTH_RC=1
		return
	fi
	pct=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%+.2f%%", (b - a) * 100 / a;
		else if (b > a) print "new"; else print "+0.00%" }')
	if [ "$5" = 1 ]; then
		if awk -v a="$a" -v b="$b" -v m="$MAX_GROWTH" \
			'BEGIN { exit !((a > 0 && (b - a) * 100 > m * a) || (a <= 0 && b > a)) }'; then
			verdict="FAIL (> $MAX_GROWTH%)"
			GROWTH_RC=1
		fi
	else
		verdict="(not judged)"
	fi
	printf '%-28s %12s %12s %+10d %9s %s\n' "$4" "$a" "$b" $((b - a)) "$pct" "$verdict"
}
# What the warm-up left once idle: nothing that counts calls (the start must be clean).
echo "== before any call -> start (idle after the warm-up)"
printf '%-28s %12s %12s %10s %9s\n' "" before start change growth
growth S0 S1 sp_fds "sigproxy open fds" 1
growth S0 S1 md_fds "mediad open fds" 1
growth S0 S1 md_ports "mediad ports in use" 1
growth S0 S1 md_calls "mediad calls held" 1
growth S0 S1 dbsize "Redis keys (DBSIZE)" 1
echo "== start (idle after the warm-up) -> end (idle after $CALLS calls)"
printf '%-28s %12s %12s %10s %9s\n' "" start end change growth
growth S1 S2 sp_rss "sigproxy RSS (kB)" "$JUDGE_MEMORY"
growth S1 S2 sp_fds "sigproxy open fds" 1
growth S1 S2 md_rss "mediad RSS (kB)" "$JUDGE_MEMORY"
growth S1 S2 md_fds "mediad open fds" 1
growth S1 S2 md_ports "mediad ports in use" 1
growth S1 S2 md_calls "mediad calls held" 1
growth S1 S2 dbsize "Redis keys (DBSIZE)" 1
growth S1 S2 k_nottl "Redis keys without TTL" 1
growth S1 S2 r_mem "Redis used_memory (B)" "$JUDGE_MEMORY"
if [ "$HEAP" = 1 ]; then
	growth S1 S2 sp_inuse "sigproxy heap in use (B)" 0
	growth S1 S2 sp_heap "sigproxy heap size (B)" 0
	growth S1 S2 md_inuse "mediad heap in use (B)" 0
	growth S1 S2 md_heap "mediad heap size (B)" 0
fi
TOTAL=$((WARMUP + CALLS))
OK_ALL=$((W_OK + M_OK))
FAILED_ALL=$((W_FAILED + M_FAILED))
echo "== calls: $OK_ALL ok, $FAILED_ALL failed of $TOTAL" \
	"($(awk -v f="$FAILED_ALL" -v n="$TOTAL" 'BEGIN { printf "%.3f", f * 100 / n }')%);" \
	"idle before any call -> end: sigproxy RSS ${S0[sp_rss]} -> ${S2[sp_rss]} kB," \
	"mediad RSS ${S0[md_rss]} -> ${S2[md_rss]} kB"
[ "$MEDIA" = 1 ] && echo "== media: ${S2[pkts]} packets reached the caller's address, ${S2[srtp]} of" \
	"them SRTP-sized (182 B); $(($(stat -c %s "$DIR"/mediad-soak.log) + 0)) B of mediad log," \
	"$(($(stat -c %s "$DIR"/sigproxy-soak.log) + 0)) B of sigproxy log (level warn)"
check "every call answered or failed (sipp exit $MAIN_RC$([ "$MAIN_RC" = 124 ] && echo ": timed out"))" [ $((OK_ALL + FAILED_ALL)) -eq "$TOTAL" ]
check "failed calls at most $MAX_FAILED %" \
	awk -v f="$FAILED_ALL" -v n="$TOTAL" -v m="$MAX_FAILED" 'BEGIN { exit !(f * 100 <= m * n) }'
check "nothing left over by the warm-up, no growth beyond $MAX_GROWTH % from start to end" [ "$GROWTH_RC" = 0 ]
[ "$MEDIA" = 1 ] && check "mediad relayed SRTP to the caller" [ "${S2[srtp]:-0}" -gt 0 ]
check "both daemons still running" kill -0 "$SIGPROXY_PID" "$MEDIAD_PID"
check "no sanitizer report or crash in the daemon logs" \
	bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|SEGV' '$DIR'/sigproxy-*.log '$DIR'/mediad-*.log"
if [ "$RC" != 0 ]; then
	for f in "$DIR"/*.log "$DIR"/*/uac.out "$DIR"/*/*errors.log "$DIR/backend/uas.out"; do
		[ -s "$f" ] || continue
		echo "# --- $f"
		tail -8 "$f" | sed 's/^/# /'
	done
fi
exit $RC

# SPDX-License-Identifier: BSD-2-Clause
# Shared harness for the end-to-end tests and the call benchmark: private temp dir,
# processes tracked and stopped by PID, per-run loopback addresses, TAP-style checks.
# Sourced by bash scripts; expects SBC_BUILD_DIR and SBC_SOURCE_DIR (set by ctest).

E2E_DIR_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${SBC_BUILD_DIR:?SBC_BUILD_DIR not set}
SRC=${SBC_SOURCE_DIR:?SBC_SOURCE_DIR not set}
MEDIAD=$BUILD/mediad/mediad
SIGPROXY=$BUILD/sigproxy/sigproxy
E2E_MEDIA=$BUILD/tests/e2e_media

DIR=$(mktemp -d "${TMPDIR:-/tmp}/sbc-e2e.XXXXXX")
PIDS=()
KEEP_DIR=${E2E_KEEP:-0}

e2e_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
	if [ "$KEEP_DIR" = 1 ]; then
		echo "# kept $DIR" >&2
	else
		rm -rf "$DIR"
	fi
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM PIPE HUP

# Stops one tracked process (TERM, then KILL after 3 s) and forgets it.
e2e_stop() {
	local pid=$1 p keep=()
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for p in "${PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# ok DESCRIPTION COMMAND...: TAP lines, counted in N and FAIL
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/tap.sh"

# Polls a command every 0.1 s for up to $1 seconds.
wait_for() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Prints the tail of every log in DIR and exits with the TAP summary.
e2e_finish() {
	local f p
	# Stop everything first (TERM) so that sanitizer exit reports reach the daemon logs,
	# then any sanitizer report or crash of sigproxy or mediad fails the test.
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	done
	for f in "$DIR"/sigproxy-*.log "$DIR"/mediad-*.log; do
		[ -f "$f" ] || continue
		ok "no sanitizer report or crash in $(basename "$f")" \
			bash -c "! grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|SEGV' '$f'"
	done
	echo "1..$N"
	if [ "$FAIL" -ne 0 ]; then
		echo "# $FAIL of $N failed"
		for f in "$DIR"/*.log "$DIR"/*.out; do
			[ -f "$f" ] || continue
			echo "# --- $(basename "$f")"
			tail -30 "$f" | sed 's/^/# /'
		done
		exit 1
	fi
	exit 0
}

need() {
	local bin
	for bin in "$@"; do
		if ! command -v "$bin" >/dev/null && [ ! -x "$bin" ]; then
			echo "$bin missing" >&2
			exit 1
		fi
	done
}

# A private /24-ish slice of 127/8 per run: SIP on fixed ports cannot collide with
# another test running at the same time. E2E_IP <last octet> prints the address.
E2E_O=$((100 + $$ % 100))
E2E_P=$((1 + ($$ / 100) % 250))
e2e_ip() { echo "127.$E2E_O.$E2E_P.$1"; }

# metric_get PORT NAME: the value of sample NAME (with its labels) from GET /metrics on
# 127.0.0.1:PORT; bash only (a minimal host has no curl).
metric_get() {
	local m
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' >&3
	m=$(cat <&3)
	exec 3<&-
	printf '%s\n' "$m" | awk -v k="$2" '$1 == k { print $2 }'
}

# A free UDP port pair (even, odd+1) on address $1, found by binding port 0.
free_port() {
	perl -MIO::Socket::IP -e '
		for (1..50) {
			my $s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => 0, Proto => "udp") or die;
			my $p = $s->sockport; next if $p % 2 || $p > 65000;
			my $t = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => $p + 1, Proto => "udp") or next;
			print "$p\n"; exit 0;
		}
		exit 1' "$1"
}

# Random SDES inline key for a suite (master key || salt, base64).
srtp_key() {
	case $1 in
	AES_CM_128_HMAC_SHA1_80 | AES_CM_128_HMAC_SHA1_32) openssl rand -base64 30 ;;
	AES_256_CM_HMAC_SHA1_80) openssl rand -base64 46 | tr -d '\n' ;;
	AEAD_AES_128_GCM) openssl rand -base64 28 ;;
	AEAD_AES_256_GCM) openssl rand -base64 44 | tr -d '\n' ;;
	esac
}

# ---- redis-server on a unix socket in DIR (no TCP port to collide on) ----
redis_start() {
	REDIS_SOCK=$DIR/redis.sock
	redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 --save '' \
		--appendonly no --dir "$DIR" >"$DIR/redis.log" 2>&1 &
	REDIS_PID=$!
	PIDS+=("$REDIS_PID")
	wait_for 10 bash -c "redis-cli -s '$REDIS_SOCK' ping 2>/dev/null | grep -q PONG"
}
rcli() { redis-cli -s "$REDIS_SOCK" "$@"; }

# ---- mediad: outside and inside interfaces on addresses of this run ----
# mediad_start NAME OUTSIDE_IP INSIDE_IP PORT_BASE (MEDIAD_EXTRA: more [mediad] keys; MEDIAD_PORT_SPAN ports per interface, default 200;
# the addresses are this run's own, so ranges cannot collide with another test's).
# MEDIAD_OUTSIDE_ENC / MEDIAD_INSIDE_ENC: each interface's encryption (optional / off).
# With metrics_listen in MEDIAD_EXTRA, the port mediad serves /metrics on is in MEDIAD_METRICS.
# MEDIAD_REDIS replaces the [redis] address line (Sentinel tests), as SP_REDIS does for
# sigproxy_start.
mediad_start() {
	local name=$1 out=$2 in=$3 base=$4 log=$DIR/mediad-$1.log ngp=
	# below info there is no ready line to read the port from: pick one and ping it
	case ${MEDIAD_LOG_LEVEL:-info} in info | debug) ;; *) ngp=$(free_port 127.0.0.1) ;; esac
	cat >"$DIR/mediad-$name.ini" <<EOF
[mediad]
id = e2e-$name-$$
ng_listen = 127.0.0.1:${ngp:-0}
ng_allow = 127.0.0.0/8
workers = ${MEDIAD_WORKERS:-1}
log_level = ${MEDIAD_LOG_LEVEL:-info}
${MEDIAD_EXTRA:-}
[interface outside]
address = $out
port_min = $base
port_max = $((base + ${MEDIAD_PORT_SPAN:-200} - 1))
encryption = ${MEDIAD_OUTSIDE_ENC:-optional}
[interface inside]
address = $in
port_min = $((base + ${MEDIAD_PORT_SPAN:-200}))
port_max = $((base + 2 * ${MEDIAD_PORT_SPAN:-200} - 1))
encryption = ${MEDIAD_INSIDE_ENC:-off}
[redis]
enabled = yes
${MEDIAD_REDIS:-unix_socket = $REDIS_SOCK}
registration_ttl = 5
registration_interval_ms = 500
EOF
	"$MEDIAD" -c "$DIR/mediad-$name.ini" >"$log" 2>&1 &
	MEDIAD_PID=$!
	PIDS+=("$MEDIAD_PID")
	MEDIAD_NG=
	for _ in $(seq 1 100); do
		if [ -n "$ngp" ]; then
			timeout 5 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port="$ngp" ping 2>/dev/null |
				grep -q pong && MEDIAD_NG=$ngp
		else
			MEDIAD_NG=$(sed -n 's/.*mediad_ready .*ng=127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" 2>/dev/null)
		fi
		MEDIAD_METRICS=$(sed -n 's/.*mediad_ready .*metrics_port=\([0-9]*\) .*/\1/p' "$log" 2>/dev/null)
		[ -n "$MEDIAD_NG" ] && return 0
		kill -0 "$MEDIAD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "mediad did not start" >&2
	cat "$log" >&2
	return 1
}

# Number of calls mediad holds, from rtpengine's own ng client.
mediad_calls() {
	timeout 10 rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port="${1:-$MEDIAD_NG}" list 2>&1 |
		perl -0ne 'if (/calls => \[(.*?)\]/s) { my $l = $1; my $c = () = $l =~ /\x27[^\x27]*\x27|"[^"]*"/g; print "$c\n" } else { print "error\n" }'
}

# ---- certificates: a CA, a server certificate for DOMAIN, client certs ----
# certs_make DOMAIN [client names...]
certs_make() {
	local domain=$1 args=() c
	shift
	for c in "$@"; do args+=(-c "$c"); done
	"$SRC/deploy/certs/make-certs.sh" -o "$DIR/certs" -d 30 -s "IP:127.0.0.1" "${args[@]}" "$domain" \
		>"$DIR/certs.out" 2>&1
}

# ---- stunnel4 client in front of sipp -t t1: verifies the server chain and name ----
# stunnel_client NAME ACCEPT_IP:PORT CONNECT_IP:PORT CHECKHOST [client-cert-name]
# (STUNNEL_EXTRA: more lines for the service, e.g. "sslVersionMax = TLSv1.2")
stunnel_client() {
	local name=$1 accept=$2 connect=$3 host=$4 client=${5:-} conf=$DIR/stunnel-$1.conf
	cat >"$conf" <<EOF
foreground = yes
pid =
debug = 5
output = $DIR/stunnel-$name.log
[sip]
client = yes
accept = $accept
connect = $connect
CAfile = $DIR/certs/ca.crt
verifyChain = yes
checkHost = $host
sslVersionMin = TLSv1.2
local = ${accept%:*}
${STUNNEL_EXTRA:-}
EOF
	if [ -n "$client" ]; then
		printf 'cert = %s\nkey = %s\n' "$DIR/certs/client-$client-chain.pem" \
			"$DIR/certs/client-$client.key" >>"$conf"
	fi
	stunnel4 "$conf" >>"$DIR/stunnel-$name.out" 2>&1 &
	STUNNEL_PID=$!
	PIDS+=("$STUNNEL_PID")
	wait_for 5 bash -c "grep -q 'Configuration successful' '$DIR/stunnel-$name.log' 2>/dev/null"
}

# ---- a TLS client that speaks one SIP request: openssl s_client from CLIENT_IP ----
# tls_options HOST:PORT [s_client args...]: one OPTIONS over TLS (trusting DIR/certs/ca.crt);
# prints the status line of the answer, nothing when the handshake was refused.
tls_options() {
	local to=$1
	shift
	{
		printf 'OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS %s:5061;branch=z9hG4bK-%s\r\n' "$to" "$CLIENT_IP" "$RANDOM$RANDOM"
		printf 'From: <sip:probe@example.test>;tag=%s\r\nTo: <sip:%s>\r\nCall-ID: tls-%s@e2e\r\n' "$RANDOM" "$to" "$RANDOM$$"
		printf 'CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n'
		sleep "${TLS_OPTIONS_WAIT:-1.5}"
	} | timeout 8 openssl s_client -connect "$to" -bind "$CLIENT_IP:0" -quiet -no_ign_eof \
		-CAfile "$DIR/certs/ca.crt" -verify_return_error "$@" 2>>"$DIR/s_client.out" |
		tr -d '\r' | grep -m1 '^SIP/2.0 '
}
answered() { tls_options "$@" | grep -q '^SIP/2.0 [0-9][0-9][0-9]'; }
refused() { ! answered "$@"; }

# sum of utime+stime (clock ticks) of the given PIDs and all their threads
cpu_ticks() {
	local p t=0 u s
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		read -r u s < <(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12, $13}')
		t=$((t + u + s))
	done
	echo "$t"
}

# ---- sigproxy: TLS + UDP + TCP outside on SIP_IP, UDP inside on INSIDE_IP ----
# sigproxy_start NAME SIP_IP INSIDE_IP TARGET... ; extra INI text in SP_EXTRA_LISTENER
# (appended to the TLS listener), SP_MEDIA_EXTRA (in [media]), SP_EXTRA (appended at the
# end), SP_TIMEOUT_MS, SP_HEALTH (the [health] keys; default: no probes, no hold-down).
sigproxy_start() {
	local name=$1 sip=$2 in=$3 log=$DIR/sigproxy-$1.log t
	local health=${SP_HEALTH:-$'probe = no\nholddown_ms = 0'}
	shift 3
	{
		cat <<EOF2
[sigproxy]
id = e2e-$name-$$
log_level = ${SP_LOG_LEVEL:-info}
metrics_listen = 127.0.0.1:0
call_ttl_ended = 120
retry_after = 7
[listener outside-tls]
transport = tls
address = $sip:5061
side = outside
acl = 127.0.0.0/8
tls_cert = $DIR/certs/server-chain.pem
tls_key = $DIR/certs/server.key
tls_ca = $DIR/certs/ca.crt
${SP_EXTRA_LISTENER:-}
[listener outside-udp]
transport = udp
address = $sip:5060
side = outside
acl = 127.0.0.0/8
[listener outside-tcp]
transport = tcp
address = $sip:5060
side = outside
acl = 127.0.0.0/8
[listener inside-udp]
transport = udp
address = $in:5060
side = inside
acl = 127.0.0.0/8
[media]
outside_policy = ${SP_OUTSIDE_POLICY:-optional}
inside_policy = off
${SP_MEDIA_EXTRA:-}
ng_timeout_ms = 300
ng_retries = 2
mediad_refresh_ms = 500
[redis]
enabled = yes
${SP_REDIS:-unix_socket = $REDIS_SOCK}
[tls_client]
tls_ca = $DIR/certs/ca.crt
tls_verify_peer = yes
[health]
$health
[route e2e]
match = ^8011\d+\$
timeout_ms = ${SP_TIMEOUT_MS:-1500}
side = inside
EOF2
		for t in "$@"; do echo "target = $t"; done
		echo "${SP_EXTRA:-}"
	} >"$DIR/sigproxy-$name.ini"
	"$SIGPROXY" -c "$DIR/sigproxy-$name.ini" >"$log" 2>&1 &
	SIGPROXY_PID=$!
	PIDS+=("$SIGPROXY_PID")
	# at log levels below info there is no start line: wait for the TLS listener instead
	if ! wait_for 10 bash -c "grep -q sigproxy_started '$log' ||
	    { [ '${SP_LOG_LEVEL:-info}' != info ] && [ '${SP_LOG_LEVEL:-info}' != debug ] &&
	      (exec 3<>/dev/tcp/$sip/5061) 2>/dev/null; }"; then
		echo "sigproxy did not start" >&2
		cat "$log" >&2
		return 1
	fi
	SP_METRICS=$(sed -n 's/.*metrics address=[^ ]* port=\([0-9]*\).*/\1/p' "$log" | head -1)
	return 0
}


# ---- one call: sipp backend(s) on BACK_IP, sipp caller through the stunnel client ----
# Needs CALLER_IP, STUNNEL_ACCEPT (ip:port), BACK_IP. Sets CALL_ID, UAC_RC, UAS_RC.
# call_start TAG UAC_XML UAS_XML SUITE [extra uac args...]: starts both sides, returns at once.
call_start() {
	local tag=$1 uac=$2 uas=$3 suite=$4
	shift 4
	CALL_TAG=$tag
	CALL_SUITE=$suite
	CALL_KEY=$(srtp_key "$suite")
	CALL_KEY2=$(srtp_key AES_CM_128_HMAC_SHA1_32)
	CALL_CM=$(free_port "$CALLER_IP")
	CALL_BM=$(free_port "$BACK_IP")
	mkdir -p "$DIR/$tag"
	(cd "$DIR/$tag" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/$uas.xml" -i "$BACK_IP" -p 5060 -m 1 \
		$(sipp_sets "$E2E_DIR_SRC/$uas.xml" mip "$BACK_IP" mport "$CALL_BM") -d "${CALL_HOLD_MS:-2000}" -timeout 35s \
		-trace_err -trace_logs -trace_msg >uas.out 2>&1) &
	CALL_UAS_PID=$!
	PIDS+=("$CALL_UAS_PID")
	sleep 0.2
	(cd "$DIR/$tag" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/$uac.xml" -t t1 -i "$CALLER_IP" -p 0 \
		"$STUNNEL_ACCEPT" -s "${CALL_USER:-8011001}" -m 1 -d "${CALL_HOLD_MS:-2000}" -timeout 35s \
		$(sipp_sets "$E2E_DIR_SRC/$uac.xml" domain sbc.example.test mip "$CALLER_IP" mport "$CALL_CM" \
		suite "$suite" key "$CALL_KEY" key2 "$CALL_KEY2" dir sendrecv ver 1 \
		ctp "${CALL_CTP:-tls}" cport "${CALL_CPORT:-5061}") \
		"$@" -trace_err -trace_logs -trace_msg >uac.out 2>&1) &
	CALL_UAC_PID=$!
	PIDS+=("$CALL_UAC_PID")
}

# sipp refuses -set for a variable its scenario does not use: sipp_sets XML name value...
# prints "-set name value" only for the names the scenario references (values: no spaces).
sipp_sets() {
	local xml=$1
	shift
	while [ $# -ge 2 ]; do
		grep -qF "[\$$1]" "$xml" && printf -- '-set %s %s ' "$1" "$2"
		shift 2
	done
}

# call_media LABEL_UAC LABEL_UAS [first seq]: waits for both log lines, runs e2e_media.
call_media() {
	local lu=$1 lb=$2 seq=${3:-1} r b
	wait_for 15 bash -c "grep -qs '$lu ' '$DIR/$CALL_TAG'/uac_*_logs.log && grep -qs '$lb ' '$DIR/$CALL_TAG'/uas_*_logs.log" || return 1
	r=$(sed -n "s/.*$lu callid=\([^ ]*\) relay=\([^ ]*\) tag=\([0-9]*\) suite=\([^ ]*\) key=\([^ ]*\).*/\1 \2 \3 \4 \5/p" "$DIR/$CALL_TAG"/uac_*_logs.log | tail -1)
	b=$(sed -n "s/.*$lb relay=\([^ ]*\).*/\1/p" "$DIR/$CALL_TAG"/uas_*_logs.log | tail -1)
	read -r CALL_ID CALL_RELAY_OUT CALL_ATAG CALL_ASUITE CALL_AKEY <<<"$r"
	CALL_RELAY_IN=$b
	[ -n "$CALL_AKEY" ] && [ -n "$CALL_RELAY_IN" ] || return 1
	"$E2E_MEDIA" -s "$CALL_ASUITE" -k "$CALL_KEY" -K "$CALL_AKEY" -a "$CALLER_IP:$CALL_CM" \
		-A "$CALL_RELAY_OUT" -b "$BACK_IP:$CALL_BM" -B "$CALL_RELAY_IN" -n "${MEDIA_COUNT:-40}" \
		-i 5 -q "$seq" >>"$DIR/$CALL_TAG/media.out" 2>&1
}

# A background sipp backend on another address: side_uas NAME IP XML (sets SIDE_PID).
side_uas() {
	mkdir -p "$DIR/$1"
	(cd "$DIR/$1" && exec timeout 40 sipp -sf "$E2E_DIR_SRC/$3.xml" -i "$2" -p 5060 -m 1 \
		-timeout 35s -trace_err -trace_logs -trace_msg >uas.out 2>&1) &
	SIDE_PID=$!
	PIDS+=("$SIDE_PID")
}
ms_now() { date +%s%3N; }

# call_wait: waits for both sipp instances; sets UAC_RC and UAS_RC.
call_wait() {
	wait "$CALL_UAC_PID"
	UAC_RC=$?
	wait "$CALL_UAS_PID"
	UAS_RC=$?
	e2e_forget "$CALL_UAC_PID" "$CALL_UAS_PID"
}

e2e_forget() {
	local p q keep=()
	for p in "${PIDS[@]}"; do
		for q in "$@"; do [ "$p" = "$q" ] && continue 2; done
		keep+=("$p")
	done
	PIDS=("${keep[@]}")
}
mediad_empty() { [ "$(mediad_calls)" = 0 ]; }

# ---- a call that outlives a fault (state store tests) ----
# A long call (caller waits for the backend's BYE, which never comes): LONG_* keep its dialog.
long_call() {
	CALL_HOLD_MS=60000 call_start "$1" uac_rbye uas_call AES_CM_128_HMAC_SHA1_80
	call_media MEDIA1 BACKEND1 || return 1
	LONG_ID=$CALL_ID
	LONG_MEDIA=(-s "$CALL_ASUITE" -k "$CALL_KEY" -K "$CALL_AKEY" -a "$CALLER_IP:$CALL_CM"
		-A "$CALL_RELAY_OUT" -b "$BACK_IP:$CALL_BM" -B "$CALL_RELAY_IN" -i 5)
	LONG_UAC=$CALL_UAC_PID
	LONG_UAS=$CALL_UAS_PID
	local dlg
	dlg=$(grep -h 'DIALOG ruri=' "$DIR/$1"/uac_rbye_*_logs.log | head -1 | tr -d '\r')
	LONG_RURI=$(sed -n 's/.*DIALOG ruri=\([^ ]*\) .*/\1/p' <<<"$dlg")
	LONG_ROUTE=$(sed -n 's/.*Route: *\(.*\) totag.*/\1/p' <<<"$dlg" | sed 's/ *$//')
	LONG_TTAG=$(sed -n 's/.*totag;tag=\([^ ;]*\).*/\1/p' <<<"$dlg")
	LONG_FTAG=$(grep -h -m1 '^From:.*tag=' "$DIR/$1"/uac_rbye_*_messages.log | sed 's/.*tag=\([^ ;\r]*\).*/\1/' | tr -d '\r')
	[ -n "$LONG_RURI" ] && [ -n "$LONG_TTAG" ] && [ -n "$LONG_FTAG" ]
}
# More media on the long call, bit-exact both ways, from sequence number $1 on.
long_media() {
	"$E2E_MEDIA" "${LONG_MEDIA[@]}" -n 40 -q "$1" >>"$DIR/long-media.out" 2>&1
}
# The caller's BYE of the long call from a new sipp over a new TLS connection; sets BYE_RC.
long_bye() {
	e2e_stop "$LONG_UAC"
	mkdir -p "$DIR/$1"
	(cd "$DIR/$1" && timeout 20 sipp -sf "$E2E_DIR_SRC/uac_bye.xml" -t t1 -i "$CALLER_IP" -p 0 \
		"$STUNNEL_ACCEPT" -s 8011001 -m 1 -timeout 15s -set domain sbc.example.test \
		-set ruri "$LONG_RURI" -set route "$LONG_ROUTE" -cid_str "$LONG_ID" \
		-set ftag "$LONG_FTAG" -set ttag "$LONG_TTAG" -trace_err -trace_msg >uac.out 2>&1)
	BYE_RC=$?
	wait "$LONG_UAS"
	BYE_UAS_RC=$?
	e2e_forget "$LONG_UAS"
}

# ---- sigproxy over UDP only, for e2e_ua's calls (no TLS: its caller's SDES keys travel
# over UDP) ----
# sigproxy_udp_start NAME OUTSIDE_IP INSIDE_IP CALLEE_IP: route 8011... to CALLEE_IP:5060
# (and 8012... to SP_ROUTE2:5060 when set, for a second e2e_ua at the same time);
# SP_MEDIA_EXTRA: more [media] keys; SP_ACL (127.0.0.0/8); SP_NG_TIMEOUT_MS, SP_NG_RETRIES,
# SP_REFRESH_MS (300, 2, 500); SP_NS: run in that network namespace; SP_UDP_EXTRA: more
# sections at the end; SP_UDP_REDIS: the [redis] keys (default: REDIS_SOCK). Sets SP_PID,
# SP_METRICS.
sigproxy_udp_start() {
	cat >"$DIR/sigproxy-$1.ini" <<EOF2
[sigproxy]
id = e2e-$1-$$
log_level = info
metrics_listen = 127.0.0.1:0
call_ttl_ended = 120
[listener outside-udp]
transport = udp
address = $2:5060
side = outside
acl = ${SP_ACL:-127.0.0.0/8}
[listener inside-udp]
transport = udp
address = $3:5060
side = inside
acl = ${SP_ACL:-127.0.0.0/8}
[media]
outside_sdes_requires_tls = no
ng_timeout_ms = ${SP_NG_TIMEOUT_MS:-300}
ng_retries = ${SP_NG_RETRIES:-2}
mediad_refresh_ms = ${SP_REFRESH_MS:-500}
${SP_MEDIA_EXTRA:-}
[redis]
${SP_UDP_REDIS:-unix_socket = $REDIS_SOCK}
[health]
probe = no
holddown_ms = 0
[route e2e]
match = ^8011\d+\$
target = sip:$4:5060
${SP_ROUTE2:+[route e2e2]
match = ^8012\d+\$
target = sip:$SP_ROUTE2:5060}
${SP_UDP_EXTRA:-}
EOF2
	${SP_NS:+ip netns exec "$SP_NS"} "$SIGPROXY" -c "$DIR/sigproxy-$1.ini" >"$DIR/sigproxy-$1.log" 2>&1 &
	SP_PID=$!
	PIDS+=("$SP_PID")
	wait_for 10 grep -q mediad_added "$DIR/sigproxy-$1.log" || { cat "$DIR/sigproxy-$1.log" >&2; return 1; }
	SP_METRICS=$(sed -n 's/.*metrics address=[^ ]* port=\([0-9]*\).*/\1/p' "$DIR/sigproxy-$1.log" | head -1)
}

# ua_start NAME SBC_IP CALLER_IP CALLEE_IP FIRST_USER N [e2e_ua args...]: e2e_ua in the
# background (UA_PID; UA_NS: in that namespace), its output in DIR/NAME.out
ua_start() {
	local name=$1 sbc=$2 caller=$3 callee=$4 user=$5 n=$6
	shift 6
	${UA_NS:+ip netns exec "$UA_NS"} "$BUILD/tests/e2e_ua" -S "$sbc:5060" -c "$caller" \
		-b "$callee" -n "$n" -u "$user" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" &
	UA_PID=$!
	PIDS+=("$UA_PID")
}
# field LINE KEY: the value of KEY=... in a key=value line (e2e_ua's ua_call, a log line)
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# ua_callids NAME: the Call-IDs of e2e_ua NAME's answered calls, in call order
ua_callids() { sed -n 's/^ua_answered i=[0-9]* callid=//p' "$DIR/$1.out"; }

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Redis without a single point of failure: a master, a replica and three sentinels (real
# redis-server and redis-sentinel processes, AUTH on both, private addresses of this run),
# sigproxy and mediad following the sentinels. kill -9 of the master during calls:
#  - the established call keeps its media and its BYE works after the failover;
#  - new calls succeed again once the sentinels have promoted the replica (the time from
#    the kill to the first successful call is measured and printed);
#  - nothing acknowledged before the kill is lost: the end of a call hung up just before
#    the kill (kept until WAIT saw it on the replica) is `ended` on the new master, and its
#    media record is gone; the live call's records are on the new master.
# Also: a wrong sentinel password never reaches a master; sentinels without master_name
# are refused by -t.
set -u
. "$(dirname "$0")/lib.sh"
need sipp stunnel4 redis-server redis-sentinel redis-cli rtpengine-ng-client openssl perl \
	"$SIGPROXY" "$MEDIAD" "$E2E_MEDIA"

SIP_IP=$(e2e_ip 1)
OUT_IP=$(e2e_ip 2)
IN_IP=$(e2e_ip 3)
CALLER_IP=$(e2e_ip 4)
BACK_IP=$(e2e_ip 5)
SIP_IN_IP=$(e2e_ip 6)
BACK2_IP=$(e2e_ip 7)
M_IP=$(e2e_ip 20)	# the first master
R_IP=$(e2e_ip 21)	# its replica, promoted by the failover
S_IPS=("$(e2e_ip 22)" "$(e2e_ip 23)" "$(e2e_ip 24)")
STUNNEL_ACCEPT=$CALLER_IP:5071
PASS=redis-pw-$$
SPASS=sentinel-pw-$$
ms_now() { date +%s%3N; }

rc_at() { local ip=$1; shift; redis-cli -h "$ip" -p 6379 --user default --pass "$PASS" --no-auth-warning "$@"; }
sc_at() { local ip=$1; shift; redis-cli -h "$ip" -p 26379 --pass "$SPASS" --no-auth-warning "$@"; }

redis_node() {
	local name=$1 ip=$2
	shift 2
	mkdir -p "$DIR/$name"
	redis-server --bind "$ip" --port 6379 --requirepass "$PASS" --masterauth "$PASS" \
		--save '' --appendonly no --dir "$DIR/$name" --replica-announce-ip "$ip" "$@" \
		>"$DIR/$name.log" 2>&1 &
	PIDS+=("$!")
	NODE_PID=$!
	wait_for 10 bash -c "redis-cli -h $ip -p 6379 --pass '$PASS' --no-auth-warning ping 2>/dev/null | grep -q PONG"
}
sentinel_node() {
	local i=$1 ip=${S_IPS[$1]}
	mkdir -p "$DIR/s$i"
	cat >"$DIR/s$i/sentinel.conf" <<EOF
port 26379
bind $ip
dir $DIR/s$i
sentinel announce-ip $ip
requirepass $SPASS
sentinel sentinel-pass $SPASS
sentinel monitor mymaster $M_IP 6379 2
sentinel auth-pass mymaster $PASS
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
sentinel parallel-syncs mymaster 1
EOF
	redis-sentinel "$DIR/s$i/sentinel.conf" >"$DIR/sentinel-$i.log" 2>&1 &
	PIDS+=("$!")
}

# ---- configuration: sentinels need the master's name ----
cat >"$DIR/bad.ini" <<EOF
[sigproxy]
id = bad
[listener l]
transport = udp
address = $SIP_IP:5060
[redis]
sentinels = ${S_IPS[0]}:26379
EOF
ok "config: sentinels without master_name refused by -t" bash -c "! '$SIGPROXY' -t -c '$DIR/bad.ini' >'$DIR/bad.out' 2>&1 && grep -q master_name '$DIR/bad.out'"

certs_make sbc.example.test || { cat "$DIR/certs.out" >&2; exit 1; }
redis_node master "$M_IP" || { echo "master did not start" >&2; exit 1; }
M_PID=$NODE_PID
redis_node replica "$R_IP" --replicaof "$M_IP" 6379 || { echo "replica did not start" >&2; exit 1; }
for i in 0 1 2; do sentinel_node "$i"; done
ok "sentinels see the master, the replica and each other" wait_for 20 bash -c "
	m=\$(redis-cli -h ${S_IPS[0]} -p 26379 --pass '$SPASS' --no-auth-warning sentinel master mymaster 2>/dev/null | tr '\n' ' ')
	[[ \"\$m\" == *'num-slaves 1 '* ]] && [[ \"\$m\" == *'num-other-sentinels 2 '* ]]"

SENT="sentinels = ${S_IPS[0]}:26379 ${S_IPS[1]}:26379 ${S_IPS[2]}:26379"
REDIS_CONF="$SENT
master_name = mymaster
password = $PASS"
MEDIAD_REDIS="$REDIS_CONF
sentinel_password = $SPASS" mediad_start a "$OUT_IP" "$IN_IP" 38000 || exit 1
SP_EXTRA="[route second]
match = ^8091\\d+\$
timeout_ms = 2000
target = sip:$BACK2_IP:5060"
SP_REDIS="$REDIS_CONF
sentinel_password = $SPASS" sigproxy_start a "$SIP_IP" "$SIP_IN_IP" "sip:$BACK_IP:5060" || exit 1
stunnel_client c "$STUNNEL_ACCEPT" "$SIP_IP:5061" sbc.example.test || { cat "$DIR/stunnel-c.log" >&2; exit 1; }
ok "both daemons found the master through the sentinels" wait_for 10 bash -c \
	"grep -q 'redis_connected server=$M_IP:6379' '$DIR/sigproxy-a.log' &&
	 grep -q 'redis_connected server=$M_IP:6379' '$DIR/mediad-a.log'"
ok "mediad registered on the master" wait_for 10 bash -c \
	"redis-cli -h $M_IP -p 6379 --pass '$PASS' --no-auth-warning smembers sbc:mediads | grep -qx 'e2e-a-$$'"
sleep 1

# A third daemon with a wrong sentinel password never gets a master address.
cat >"$DIR/mediad-bad.ini" <<EOF
[mediad]
id = bad-$$
ng_listen = 127.0.0.1:0
[interface outside]
address = $OUT_IP
port_min = 38600
port_max = 38699
[redis]
$REDIS_CONF
sentinel_password = wrong
EOF
"$MEDIAD" -c "$DIR/mediad-bad.ini" >"$DIR/mediad-bad.log" 2>&1 &
BAD_PID=$!
PIDS+=("$BAD_PID")

# ---- calls before the kill: one that lives on, one hung up just before the kill ----
ok "long call up with media" long_call long
L_ID=$LONG_ID

BACK_IP=$BACK2_IP CALL_USER=8091001 CALL_HOLD_MS=300 call_start short uac_call uas_call AES_CM_128_HMAC_SHA1_80
BACK_IP=$BACK2_IP call_media MEDIA1 BACKEND1
call_wait
E_ID=$CALL_ID
ok "short call completed before the kill (caller rc $UAC_RC, backend rc $UAS_RC)" test "$UAC_RC" = 0 -a "$UAS_RC" = 0
# The kill comes right after the caller got the 200 for its BYE: whatever the daemons had
# not seen acknowledged (WAIT 1) by then is still in their backlogs.
t0=$(ms_now)
kill -KILL "$M_PID"
wait "$M_PID" 2>/dev/null
e2e_forget "$M_PID"

# ---- new calls: 503 until the failover, then successful again ----
mkdir -p "$DIR/after"
(cd "$DIR/after" && exec timeout 60 sipp -sf "$E2E_DIR_SRC/uas_call.xml" -i "$BACK2_IP" -p 5060 -m 1 \
	$(sipp_sets "$E2E_DIR_SRC/uas_call.xml" mip "$BACK2_IP" mport 40010) -timeout 55s \
	-trace_err >uas.out 2>&1) &
AFTER_UAS=$!
PIDS+=("$AFTER_UAS")
sleep 0.2
first=0
attempts=0
while [ $(($(ms_now) - t0)) -lt 40000 ]; do
	attempts=$((attempts + 1))
	mkdir -p "$DIR/after/$attempts"
	(cd "$DIR/after/$attempts" && timeout 10 sipp -sf "$E2E_DIR_SRC/uac_call.xml" -t t1 -i "$CALLER_IP" -p 0 \
		"$STUNNEL_ACCEPT" -s 8091002 -m 1 -d 100 -timeout 8s \
		$(sipp_sets "$E2E_DIR_SRC/uac_call.xml" domain sbc.example.test mip "$CALLER_IP" mport 40012 \
		suite AES_CM_128_HMAC_SHA1_80 key "$(srtp_key AES_CM_128_HMAC_SHA1_80)" \
		key2 "$(srtp_key AES_CM_128_HMAC_SHA1_32)" dir sendrecv ver 1) \
		-trace_err -trace_msg >uac.out 2>&1)
	if [ $? = 0 ]; then
		first=$(($(ms_now) - t0))
		break
	fi
	sleep 0.1
done
sw=$(grep -h -m1 'switch-master' "$DIR"/sentinel-*.log | head -1)
echo "# first successful call $first ms after kill -9 of the master ($attempts attempts); sentinel: $sw"
ok "a new call succeeds after the failover (after $first ms, within 40 s)" test "$first" -gt 0
ok "calls before the failover got 503 (not accepted without a record)" bash -c \
	"[ $attempts -gt 1 ] && grep -qs 'SIP/2.0 503' '$DIR'/after/1/*_messages.log"
wait "$AFTER_UAS" 2>/dev/null
e2e_forget "$AFTER_UAS"
ok "sentinels promoted the replica" bash -c \
	"redis-cli -h ${S_IPS[1]} -p 26379 --pass '$SPASS' --no-auth-warning sentinel get-master-addr-by-name mymaster | grep -qx '$R_IP'"
ok "both daemons logged the loss at warn and reconnected to the new master" wait_for 10 bash -c \
	"grep -q ' warn redis_lost server=$M_IP:6379' '$DIR/sigproxy-a.log' &&
	 grep -q ' warn redis_lost server=$M_IP:6379' '$DIR/mediad-a.log' &&
	 grep -q 'redis_connected server=$R_IP:6379' '$DIR/sigproxy-a.log' &&
	 grep -q 'redis_connected server=$R_IP:6379' '$DIR/mediad-a.log'"

# ---- nothing acknowledged before the kill is lost ----
ok "the call ended before the kill is ended on the new master" wait_for 5 bash -c \
	"[ \"\$(redis-cli -h $R_IP -p 6379 --pass '$PASS' --no-auth-warning hget 'sbc:call:$E_ID' state)\" = ended ]"
ok "... and its media record is gone there" test "$(rc_at "$R_IP" exists "sbc:media:$E_ID")" = 0
ok "the live call's records are on the new master" bash -c \
	"[ \"\$(redis-cli -h $R_IP -p 6379 --pass '$PASS' --no-auth-warning hget 'sbc:call:$L_ID' state)\" = answered ] &&
	 [ \"\$(redis-cli -h $R_IP -p 6379 --pass '$PASS' --no-auth-warning hget 'sbc:media:$L_ID' owner)\" = 'e2e-a-$$' ]"

# ---- the operator CLI follows the sentinels named in sigproxy's INI (issue #12) ----
"$BUILD/deploy/sbcctl/sbcctl" -c "$DIR/sigproxy-a.ini" --json calls >"$DIR/sbcctl-calls.json" 2>&1
ok "sbcctl -c sigproxy.ini lists the live call from the new master" \
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		exit !(grep { $_->{call_id} eq q{'"$L_ID"'} && $_->{state} eq "answered" } @{$j->{calls}})' \
	<"$DIR/sbcctl-calls.json"
ok "... and prints no password" bash -c "! grep -qs -e '$PASS' -e '$SPASS' '$DIR/sbcctl-calls.json'"

# ---- the established call kept its media and ends normally ----
ok "the long call's media flows after the failover" long_media 1000
long_bye long-bye
ok "the long call's BYE after the failover (caller rc $BYE_RC, backend rc $BYE_UAS_RC)" \
	test "$BYE_RC" = 0 -a "$BYE_UAS_RC" = 0
ok "... its record ended and its media gone on the new master" wait_for 5 bash -c \
	"[ \"\$(redis-cli -h $R_IP -p 6379 --pass '$PASS' --no-auth-warning hget 'sbc:call:$L_ID' state)\" = ended ] &&
	 [ \"\$(redis-cli -h $R_IP -p 6379 --pass '$PASS' --no-auth-warning exists 'sbc:media:$L_ID')\" = 0 ]"

ok "the mediad with a wrong sentinel password never connected" bash -c \
	"grep -q 'no master from the sentinels' '$DIR/mediad-bad.log' && ! grep -q redis_connected '$DIR/mediad-bad.log'"
ok "the password was never logged" bash -c "! grep -rqs -e '$PASS' -e '$SPASS' '$DIR'/*.log"
ok "sigproxy still running" kill -0 "$SIGPROXY_PID"
ok "mediad still running" kill -0 "$MEDIAD_PID"
e2e_finish

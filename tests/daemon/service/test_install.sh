#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The install path into a throwaway root: `DESTDIR=... cmake --install` puts exactly the
# expected files in place with their modes, never overwrites a configuration;
# deploy/install.sh adds the sbc system user and group to that root's own passwd/group
# (useradd --prefix) and gives /etc/sbc and its secrets to root:sbc, 0750/0640, CA keys
# excepted; --dry-run only prints; the real system's user database is never touched. The
# installed units pass `systemd-analyze verify` and say Type=notify, a watchdog, a reload,
# the sbc user and the hardening the README promises.
set -u
. "$(dirname "$0")/../../lib/tap.sh"
BUILD=${SBC_BUILD_DIR:?}
SRC=${SBC_SOURCE_DIR:?}
T=$(mktemp -d "${TMPDIR:-/tmp}/sbc-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
for bin in systemd-analyze useradd openssl; do
	command -v "$bin" >/dev/null || { echo "$bin missing (install-deps.sh --test)"; exit 1; }
done

# A root with a user database of its own (root only).
newroot() {
	mkdir -p "$1/etc"
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$1/etc/passwd"
	printf 'root:x:0:\n' >"$1/etc/group"
	printf 'root:*:19000:0:99999:7:::\n' >"$1/etc/shadow"
	printf 'root:*::\n' >"$1/etc/gshadow"
	chmod 600 "$1/etc/shadow" "$1/etc/gshadow"
}
host_db=$(cat /etc/passwd /etc/group | sha256sum)

# ---- cmake --install ----
R=$T/root1
newroot "$R"
DESTDIR=$R cmake --install "$BUILD" >"$T/install1.out" 2>&1
ok "cmake --install into DESTDIR succeeds" test $? = 0
files=$(cd "$R" && find . -path ./etc/passwd -o -path ./etc/group -o -path ./etc/shadow \
	-o -path ./etc/gshadow -o -printf '%m %p\n' | sort -k2)
want="755 .
755 ./etc
750 ./etc/sbc
640 ./etc/sbc/mediad.ini
640 ./etc/sbc/sigproxy.ini
755 ./usr
755 ./usr/local
755 ./usr/local/lib
755 ./usr/local/lib/systemd
755 ./usr/local/lib/systemd/system
644 ./usr/local/lib/systemd/system/sbc-mediad.service
644 ./usr/local/lib/systemd/system/sbc-sigproxy.service
755 ./usr/local/sbin
755 ./usr/local/sbin/mediad
755 ./usr/local/sbin/sbc-make-certs
755 ./usr/local/sbin/sbcctl
755 ./usr/local/sbin/sigproxy
755 ./usr/local/share
755 ./usr/local/share/sbc
755 ./usr/local/share/sbc/examples
644 ./usr/local/share/sbc/examples/logrotate-sbc-sigproxy
644 ./usr/local/share/sbc/examples/mediad.ini
644 ./usr/local/share/sbc/examples/sigproxy.ini"
# the temp root itself is 0700 from mktemp's parent: compare below it
ok "exactly the expected files and modes (binaries 755, units 644, /etc/sbc 750, configuration 640)" \
	test "$(echo "$files" | tail -n +2)" = "$(echo "$want" | tail -n +2)"
[ "$(echo "$files" | tail -n +2)" = "$(echo "$want" | tail -n +2)" ] ||
	diff <(echo "$want" | tail -n +2) <(echo "$files" | tail -n +2) | sed 's/^/# /'
ok "the installed configuration is the example" cmp -s "$R/etc/sbc/mediad.ini" "$SRC/deploy/examples/mediad.ini"
ok "the installed mediad passes -t on the installed configuration" \
	bash -c "'$R/usr/local/sbin/mediad' -c '$R/etc/sbc/mediad.ini' -t >'$T/t.out' 2>&1"
ok "the installed certificate script runs" \
	bash -c "'$R/usr/local/sbin/sbc-make-certs' -o '$R/etc/sbc/certs' sip.example.test >'$T/certs.out' 2>&1"

# An operator's configuration survives a reinstall; the example beside it is updated.
echo "; operator's edit" >>"$R/etc/sbc/mediad.ini"
chmod 600 "$R/etc/sbc/mediad.ini"
before=$(sha256sum <"$R/etc/sbc/mediad.ini")
DESTDIR=$R cmake --install "$BUILD" >"$T/install2.out" 2>&1
ok "a second install keeps an existing configuration (content and mode)" \
	bash -c "[ \"\$(sha256sum <'$R/etc/sbc/mediad.ini')\" = '$before' ] && [ \"\$(stat -c %a '$R/etc/sbc/mediad.ini')\" = 600 ]"
ok "and says so" grep -q "Keeping: $R/etc/sbc/mediad.ini" "$T/install2.out"

# ---- units ----
U=$R/usr/local/lib/systemd/system
ok "units start the installed binaries with the installed configuration" \
	bash -c "grep -qx 'ExecStart=/usr/local/sbin/mediad -c /etc/sbc/mediad.ini' '$U/sbc-mediad.service' &&
		grep -qx 'ExecStart=/usr/local/sbin/sigproxy -c /etc/sbc/sigproxy.ini' '$U/sbc-sigproxy.service'"
# systemd-analyze verify checks that the commands exist: point them into the root.
mkdir -p "$T/verify"
for u in sbc-mediad.service sbc-sigproxy.service; do
	sed "s|/usr/local/sbin/|$R/usr/local/sbin/|g" "$U/$u" >"$T/verify/$u"
done
ok "systemd-analyze verify accepts both installed units" \
	bash -c "systemd-analyze verify '$T/verify/sbc-mediad.service' '$T/verify/sbc-sigproxy.service' >'$T/verify.out' 2>&1"
sed 's/^/# /' "$T/verify.out"
for u in sbc-mediad sbc-sigproxy; do
	f=$U/$u.service
	for line in Type=notify NotifyAccess=main WatchdogSec=10 'ExecReload=/bin/kill -HUP $MAINPID' \
		User=sbc Group=sbc NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		PrivateDevices=yes RestrictRealtime=yes MemoryDenyWriteExecute=yes; do
		ok "$u: $line" grep -qxF "$line" "$f"
	done
	# @system-service, plus bpf(2) for mediad's sk_lookup/XDP programs and nothing else
	ok "$u: SystemCallFilter=@system-service" \
		grep -qxE "SystemCallFilter=@system-service( bpf)?" "$f"
	ok "$u: LimitNOFILE set" grep -q '^LimitNOFILE=[0-9]' "$f"
	ok "$u: no Type=simple left" bash -c "! grep -q '^Type=simple' '$f'"
	ok "$u: exposure under 3.0 (systemd-analyze security)" \
		bash -c "systemd-analyze security --offline=true --threshold=30 --no-pager '$T/verify/$u.service' >'$T/sec-$u.out' 2>&1"
	grep "Overall exposure" "$T/sec-$u.out" | sed "s/^/# /"
done
ok "sbc-mediad: only what the batched/xdp media path needs (CAP_BPF CAP_NET_ADMIN CAP_NET_RAW)" \
	bash -c "grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_NET_ADMIN CAP_NET_RAW' '$U/sbc-mediad.service' && grep -qx 'AmbientCapabilities=CAP_BPF CAP_NET_ADMIN CAP_NET_RAW' '$U/sbc-mediad.service'"
ok "sbc-sigproxy: only CAP_NET_BIND_SERVICE (ports 5060/5061)" \
	bash -c "grep -qx 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' '$U/sbc-sigproxy.service' &&
		grep -qx 'AmbientCapabilities=CAP_NET_BIND_SERVICE' '$U/sbc-sigproxy.service'"
ok "sbc-sigproxy: writes only /var/log/sbc" \
	bash -c "[ \"\$(grep '^ReadWritePaths=' '$U/sbc-sigproxy.service')\" = 'ReadWritePaths=/var/log/sbc' ]"

# ---- install.sh: user, group, permissions in the root ----
ok "install.sh --dry-run prints the useradd and changes no user database" \
	bash -c "DESTDIR='$R' bash '$SRC/deploy/install.sh' --build-dir '$BUILD' --dry-run >'$T/dry.out' 2>&1 &&
		grep -q '^+ useradd --system .*--prefix $R sbc' '$T/dry.out' && grep -q '^+ chmod 0750 $R/etc/sbc' '$T/dry.out' &&
		! grep -q '^sbc:' '$R/etc/passwd'"
DESTDIR=$R bash "$SRC/deploy/install.sh" --build-dir "$BUILD" >"$T/sh.out" 2>&1
ok "install.sh into the root succeeds" test $? = 0
uid=$(awk -F: '$1 == "sbc" { print $3 }' "$R/etc/passwd")
gid=$(awk -F: '$1 == "sbc" { print $3 }' "$R/etc/group")
ok "user sbc added to the root's passwd: system uid, own group, no login (uid=$uid gid=$gid)" \
	bash -c "[ -n '$uid' ] && [ '$uid' -lt 1000 ] && [ -n '$gid' ] &&
		grep -q '^sbc:x:$uid:$gid:.*:/nonexistent:/usr/sbin/nologin\$' '$R/etc/passwd'"
ok "the host's user database is untouched" test "$(cat /etc/passwd /etc/group | sha256sum)" = "$host_db"
st() { stat -c '%a %u:%g' "$1"; }
ok "/etc/sbc is 0750 root:sbc" test "$(st "$R/etc/sbc")" = "750 0:$gid"
ok "configuration files are 0640 root:sbc (they may hold the Redis password)" \
	bash -c "[ \"\$(stat -c '%a %u:%g' '$R/etc/sbc/mediad.ini')\" = '640 0:$gid' ] &&
		[ \"\$(stat -c '%a %u:%g' '$R/etc/sbc/sigproxy.ini')\" = '640 0:$gid' ]"
ok "the server key, PKCS#12 and its password file are 0640 root:sbc" \
	bash -c "for f in server.key server.p12 server.p12.pass; do [ \"\$(stat -c '%a %u:%g' '$R/etc/sbc/certs/'\$f)\" = '640 0:$gid' ] || exit 1; done"
ok "the CA keys are not given to sbc" \
	bash -c "[ \"\$(stat -c '%a %u' '$R/etc/sbc/certs/ca.key')\" = '600 0' ] && [ \"\$(stat -c '%a %u' '$R/etc/sbc/certs/intermediate.key')\" = '600 0' ]"
ok "certificates stay world-readable" test "$(stat -c %a "$R/etc/sbc/certs/server-chain.pem")" = 644
DESTDIR=$R bash "$SRC/deploy/install.sh" --build-dir "$BUILD" >"$T/sh2.out" 2>&1
ok "a second install.sh finds the user and adds none" \
	bash -c "grep -q 'user sbc exists' '$T/sh2.out' && [ \"\$(grep -c '^sbc:' '$R/etc/passwd')\" = 1 ]"
ok "install.sh refuses an unknown option" bash -c "! bash '$SRC/deploy/install.sh' --prefx /x >/dev/null 2>&1"

# --prefix: the units follow the binaries.
R2=$T/root2
newroot "$R2"
DESTDIR=$R2 bash "$SRC/deploy/install.sh" --build-dir "$BUILD" --prefix /opt/sbc >"$T/sh3.out" 2>&1
ok "--prefix /opt/sbc: binaries and units there, units start /opt/sbc/sbin/..." \
	bash -c "[ -x '$R2/opt/sbc/sbin/mediad' ] &&
		grep -qx 'ExecStart=/opt/sbc/sbin/mediad -c /etc/sbc/mediad.ini' '$R2/opt/sbc/lib/systemd/system/sbc-mediad.service'"
echo "1..$N"
exit $((FAIL > 0))

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs the SBC from a build: `cmake --install` (binaries, units, example configuration,
# never an existing one), then what needs root: the sbc system user and group, and the
# permissions of the configuration directory (it holds the Redis password and TLS keys).
#
#   deploy/install.sh [--build-dir DIR] [--prefix DIR] [--dry-run]
#
#   --build-dir DIR  the build to install (default build/release; built when absent)
#   --prefix DIR     installation prefix (default: the build's, /usr/local)
#   --dry-run        print the commands that need root instead of running them
#   DESTDIR=/root    install into another root (a chroot, an image, a test): the user is
#                    added to DESTDIR/etc/passwd and group (useradd --prefix), ownership
#                    uses the ids found there, and systemd is not told.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=$src/build/release
prefix=
dry=0
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) build=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--dry-run) dry=1; shift ;;
	-h | --help) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
root=${DESTDIR:-}
root=${root%/}

# run CMD...: runs it, or prints it with --dry-run.
run() {
	if [ $dry = 1 ]; then
		printf '+'; printf ' %q' "$@"; printf '\n'
	else
		"$@"
	fi
}

if [ ! -f "$build/CMakeCache.txt" ]; then
	echo "install.sh: no build in $build; building it"
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSBC_TESTS=OFF
fi
cmake --build "$build" -j"$(nproc)" --target mediad sigproxy
confdir=$(sed -n 's/^SBC_CONFDIR:[A-Z]*=//p' "$build/CMakeCache.txt")
confdir=${confdir:-/etc/sbc}

# Files first (cmake --install honours DESTDIR itself).
if [ -n "$prefix" ]; then
	cmake --install "$build" --prefix "$prefix"
else
	cmake --install "$build"
fi

# The sbc system user and group: no login, no home. In another root, its own passwd.
user_exists() { grep -q '^sbc:' "$root/etc/passwd" 2>/dev/null; }
if user_exists; then
	echo "install.sh: user sbc exists"
else
	args=(--system --user-group --no-create-home --home-dir /nonexistent
		--shell /usr/sbin/nologin --comment "sbc SIP and media daemons")
	[ -n "$root" ] && args+=(--prefix "$root")
	run useradd "${args[@]}" sbc
fi

# Ownership by number, read from the target's own group file (DESTDIR may have other ids).
gid=$(awk -F: '$1 == "sbc" { print $3 }' "$root/etc/group" 2>/dev/null || true)
if [ -z "$gid" ]; then
	[ $dry = 1 ] || { echo "install.sh: group sbc not found in $root/etc/group" >&2; exit 1; }
	gid=sbc
fi

# /etc/sbc: root may write, group sbc may read, nobody else. Secrets (keys, the INI files
# with the Redis password, PKCS#12 passwords) 0640 root:sbc; certificates stay readable.
conf=$root$confdir
run chown "0:$gid" "$conf"
run chmod 0750 "$conf"
for f in "$conf"/*.ini; do
	[ -e "$f" ] || continue
	run chown "0:$gid" "$f"
	run chmod 0640 "$f"
done
if [ -d "$conf/certs" ]; then
	run chown "0:$gid" "$conf/certs"
	run chmod 0750 "$conf/certs"
	# the CA's and intermediate's keys (if kept here at all) are for root alone
	find "$conf/certs" -maxdepth 1 -type f \( -name '*.key' -o -name '*.pass' -o -name '*.p12' \) \
		! -name ca.key ! -name intermediate.key -print0 | while IFS= read -r -d '' f; do
		run chown "0:$gid" "$f"
		run chmod 0640 "$f"
	done
fi

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	run systemctl daemon-reload
fi
cat <<NEXT
install.sh: done. Next:
  1. certificates for your SIP domain, keys readable by the daemons:
       sbc-make-certs -o $confdir/certs -g sbc sip.example.com
  2. edit $confdir/mediad.ini and $confdir/sigproxy.ini (addresses, routes, Redis), then check:
       mediad -c $confdir/mediad.ini -t && sigproxy -c $confdir/sigproxy.ini -t
  3. systemctl enable --now sbc-mediad sbc-sigproxy
NEXT

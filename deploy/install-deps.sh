#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian 12 packages this project needs, only those that are missing.
#   install-deps.sh          build + run dependencies
#   install-deps.sh --test   also what the test suite and benchmarks need
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config
	libosip2-dev libsrtp2-dev libssl-dev libevent-dev libhiredis-dev
	libinih-dev libpcre2-dev libsystemd-dev redis-server openssl libbpf-dev libxdp-dev clang)
test_pkgs=(libcmocka-dev libclang-rt-14-dev sip-tester stunnel4 kamailio
	kamailio-tls-modules rtpengine-daemon libdigest-hmac-perl libcrypt-rijndael-perl
	libbencode-perl libjson-perl
	rtpengine-utils procps iproute2 sngrep tshark redis-sentinel baresip-core systemd passwd
	logrotate curl)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then
	want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: not root; run as root or install: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Package post-install scripts try to start services (redis, rtpengine);
# tests start their own instances, so keep the packaged ones from starting.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod +x "$policy"
	made_policy=1
fi
trap '[ $made_policy = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

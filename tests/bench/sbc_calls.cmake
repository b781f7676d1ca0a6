# SPDX-License-Identifier: BSD-2-Clause
# Call benchmark (tests/bench/bench_calls.sh): sigproxy + mediad + redis-server against
# Kamailio + rtpengine over TLS. ctest runs only its smoke mode (a few calls per system,
# any failed call fails); run the full benchmark by hand:
#   SBC_BUILD_DIR=build SBC_SOURCE_DIR=. tests/bench/bench_calls.sh
sbc_daemon_test(bench_calls_smoke COMMAND ${SBC_TEST_DIR}/bench/bench_calls.sh --smoke
	TIMEOUT 120 LABELS bench)

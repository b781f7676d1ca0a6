# SPDX-License-Identifier: BSD-2-Clause
# Media benchmark (tests/bench/bench_mediad.sh): mediad against rtpengine with the same
# generator. The suite runs only its 1-second smoke mode; run the full sweep by hand:
#   SBC_BUILD_DIR=build/release tests/bench/bench_mediad.sh
sbc_daemon_test(mediad_bench_smoke COMMAND ${SBC_TEST_DIR}/bench/bench_mediad.sh --smoke
	TIMEOUT 60 LABELS bench)

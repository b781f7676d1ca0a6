# SPDX-License-Identifier: BSD-2-Clause
# mediad SDP: parse, rewrite (output must parse again) and a=crypto round trips on fuzzed input.
sbc_fuzz_target(fuzz_sdp SOURCES ${SBC_TEST_DIR}/fuzz/fuzz_sdp.c LIBS mediad_sdp
	SEEDS ${SBC_TEST_DIR}/fuzz/seeds/sdp)

# SPDX-License-Identifier: BSD-2-Clause
# mediad control plane: ng handlers (offer/answer/re-offer/query/delete) on fuzzed input.
sbc_fuzz_target(fuzz_mediad_ng SOURCES ${SBC_TEST_DIR}/fuzz/fuzz_mediad_ng.c LIBS mediad_core
	SEEDS ${SBC_TEST_DIR}/fuzz/seeds/mediad_ng)

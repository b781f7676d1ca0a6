# SPDX-License-Identifier: BSD-2-Clause
# mediad SDP: parser/rewriter over the corpus in unit/sdp_corpus, and a=crypto handling.
sbc_unit_test(test_sdp_crypto SOURCES ${SBC_TEST_DIR}/unit/test_sdp_crypto.c LIBS mediad_sdp)
sbc_unit_test(test_sdp SOURCES ${SBC_TEST_DIR}/unit/test_sdp.c LIBS mediad_sdp sbc_testlib)
target_compile_definitions(test_sdp PRIVATE SDP_CORPUS_DIR="${SBC_TEST_DIR}/unit/sdp_corpus")

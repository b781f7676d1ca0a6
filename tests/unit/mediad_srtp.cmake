# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of mediad's SRTP engine (OpenSSL primitives in libsrtp2) and per-leg contexts.
sbc_unit_test(test_srtp_engine
	SOURCES ${SBC_TEST_DIR}/unit/test_srtp_engine.c
	LIBS mediad_srtp
	TIMEOUT 60)
sbc_unit_test(test_srtp_ctx
	SOURCES ${SBC_TEST_DIR}/unit/test_srtp_ctx.c
	LIBS mediad_srtp
	TIMEOUT 120)

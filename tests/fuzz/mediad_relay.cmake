# SPDX-License-Identifier: BSD-2-Clause
# The relay's per-packet decision on a fixed-key SRTP <-> RTP media.
sbc_fuzz_target(fuzz_packet
	SOURCES ${SBC_TEST_DIR}/fuzz/fuzz_packet.c
	LIBS mediad_relay mediad_srtp mediad_suite sbccommon
	SEEDS ${SBC_TEST_DIR}/fuzz/seeds/packet)

# SPDX-License-Identifier: BSD-2-Clause
# sbc-test-peer: drives mediad over ng as both parties and checks the media end to end.
add_executable(sbc-test-peer
	${SBC_TEST_DIR}/peer/peer_main.c
	${SBC_TEST_DIR}/peer/peer_media.c
	${SBC_TEST_DIR}/peer/peer_ng.c
	${SBC_TEST_DIR}/peer/peer_spawn.c
)
target_include_directories(sbc-test-peer PRIVATE ${SBC_TEST_DIR})
target_link_libraries(sbc-test-peer PRIVATE mediad_srtp mediad_sdp sbcproto sbccommon
	sbc_testlib)

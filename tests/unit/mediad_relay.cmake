# SPDX-License-Identifier: BSD-2-Clause
# The media relay end to end in-process over loopback UDP with real SRTP and 2 workers:
# test_relay (data path) and test_relay_control (latching, re-key, hold, destroy, configs).
sbc_unit_test(test_relay
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_relay.c ${CMAKE_CURRENT_LIST_DIR}/relay_fixture.c
	LIBS mediad_relay mediad_srtp mediad_suite sbccommon
	TIMEOUT 120
	LABELS mediad relay)
sbc_unit_test(test_relay_control
	SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_relay_control.c
		${CMAKE_CURRENT_LIST_DIR}/relay_fixture.c
	LIBS mediad_relay mediad_srtp mediad_suite sbccommon
	TIMEOUT 120
	LABELS mediad relay)

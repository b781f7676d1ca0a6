# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of mediad's control plane: port pool, call model, offer/answer logic.
sbc_unit_test(mediad_core_port_pool SOURCES ${SBC_TEST_DIR}/unit/test_port_pool.c
	LIBS mediad_core)
sbc_unit_test(mediad_core_call SOURCES ${SBC_TEST_DIR}/unit/test_call.c
	LIBS mediad_core)

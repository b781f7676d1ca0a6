# SPDX-License-Identifier: BSD-2-Clause
# sigproxy SIP layer: parser/validator, builders, routing rules, RFC 4475 corpus.
set(SBC_RFC4475_DIR ${CMAKE_SOURCE_DIR}/../shared/testdata/rfc4475)

sbc_unit_test(test_sip_msg SOURCES ${SBC_TEST_DIR}/unit/test_sip_msg.c LIBS sigproxy_sip sbc_testlib)
target_compile_definitions(test_sip_msg PRIVATE SIP_SEED_DIR="${SBC_TEST_DIR}/fuzz/seeds/sip")
sbc_unit_test(test_sip_build SOURCES ${SBC_TEST_DIR}/unit/test_sip_build.c LIBS sigproxy_sip)
sbc_unit_test(test_route SOURCES ${SBC_TEST_DIR}/unit/test_route.c LIBS sigproxy_sip)
sbc_unit_test(test_rfc4475 SOURCES ${SBC_TEST_DIR}/unit/test_rfc4475.c LIBS sigproxy_sip sbc_testlib)
target_compile_definitions(test_rfc4475 PRIVATE
	RFC4475_DIR="${SBC_RFC4475_DIR}"
	EXPECT_FILE="${SBC_TEST_DIR}/unit/rfc4475_expect.txt")

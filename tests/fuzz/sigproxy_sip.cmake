# SPDX-License-Identifier: BSD-2-Clause
# SIP parser/validator/builders under libFuzzer. Seeds: the RFC 4475 corpus (shared/ beside
# the repository) and our own inputs in seeds/sip (regressions fuzzing found, routing shapes).
file(GLOB SBC_SIP_OWN_SEEDS CONFIGURE_DEPENDS ${SBC_TEST_DIR}/fuzz/seeds/sip/*.sip)
sbc_fuzz_target(fuzz_sip SOURCES ${SBC_TEST_DIR}/fuzz/fuzz_sip.c LIBS sigproxy_sip sigproxy_transport
	SEEDS ${CMAKE_SOURCE_DIR}/../shared/testdata/rfc4475)
# The helper takes one seed directory: our own seeds start the writable corpus of the
# libFuzzer run, and are replayed one by one (file arguments) in every build.
file(COPY ${SBC_SIP_OWN_SEEDS} DESTINATION ${CMAKE_CURRENT_BINARY_DIR}/fuzz_sip.corpus)
add_test(NAME fuzz_sip_regress COMMAND fuzz_sip ${SBC_SIP_OWN_SEEDS})
set_tests_properties(fuzz_sip_regress PROPERTIES TIMEOUT 60 LABELS "fuzz")

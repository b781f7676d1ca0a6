# SPDX-License-Identifier: BSD-2-Clause
# sigproxy core: ng client (real UDP sockets), encryption policy, ng request shape, mediad choice.
sbc_unit_test(test_sigproxy_ng SOURCES ${SBC_TEST_DIR}/unit/test_sigproxy_ng.c
	LIBS sigproxy_core TIMEOUT 30)
sbc_unit_test(test_sigproxy_policy SOURCES ${SBC_TEST_DIR}/unit/test_sigproxy_policy.c
	LIBS sigproxy_core TIMEOUT 30)
# The proxy in-process: real UDP peers, a scripted ng peer, a private redis-server.
sbc_unit_test(test_sigproxy_proxy SOURCES ${SBC_TEST_DIR}/unit/test_sigproxy_proxy.c
	LIBS sigproxy_core sbc_testlib TIMEOUT 90)
# The whole proxy message path under libFuzzer (replays the RFC 4475 corpus in other builds).
sbc_fuzz_target(fuzz_sigproxy_proxy SOURCES ${SBC_TEST_DIR}/unit/test_sigproxy_fuzz_proxy.c
	LIBS sigproxy_core SEEDS ${CMAKE_SOURCE_DIR}/../shared/testdata/rfc4475)

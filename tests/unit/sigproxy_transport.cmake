# SPDX-License-Identifier: BSD-2-Clause
# sigproxy transports: ACLs, UDP/TCP framing and connections, TLS (certificates made by
# deploy/certs/make-certs.sh at test start).
sbc_unit_test(test_acl SOURCES unit/test_acl.c LIBS sigproxy_transport)
sbc_unit_test(test_transport SOURCES unit/test_transport.c LIBS sigproxy_transport sbc_testlib)
sbc_unit_test(test_tls SOURCES unit/test_tls.c LIBS sigproxy_transport sbc_testlib TIMEOUT 120)
target_compile_definitions(test_tls PRIVATE SBC_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

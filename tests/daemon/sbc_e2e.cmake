# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests of the whole SBC (sigproxy + mediad + redis-server) with real SIP peers:
# sipp behind an stunnel4 TLS client, sipp UAS backends on UDP, and e2e_media as the
# SRTP caller and plain-RTP backend at once.
add_executable(e2e_media ${SBC_TEST_DIR}/daemon/e2e/e2e_media.c)
target_link_libraries(e2e_media PRIVATE PkgConfig::SRTP2 PkgConfig::OPENSSL)

# Each script starts its own redis-server (unix socket), mediad, sigproxy, stunnel and sipp
# on a loopback slice 127.<pid-derived>.x of its own, and stops them by PID.
sbc_daemon_test(e2e_call COMMAND ${SBC_TEST_DIR}/daemon/e2e/test_e2e_call.sh TIMEOUT 120
	LABELS e2e)
sbc_daemon_test(e2e_failover COMMAND ${SBC_TEST_DIR}/daemon/e2e/test_e2e_flows.sh
	failover allfail cancel registry TIMEOUT 120 LABELS e2e)
sbc_daemon_test(e2e_dialog COMMAND ${SBC_TEST_DIR}/daemon/e2e/test_e2e_flows.sh
	hold takeover TIMEOUT 120 LABELS e2e)
# Late offer with outside_policy = required: sigproxy then offers SRTP to the caller in the
# 200 (with "optional" it offers plain RTP/AVP to a TLS caller; see the e2e report).
sbc_daemon_test(e2e_late_offer COMMAND env SP_OUTSIDE_POLICY=required
	${SBC_TEST_DIR}/daemon/e2e/test_e2e_flows.sh late TIMEOUT 90 LABELS e2e)
sbc_daemon_test(e2e_tls COMMAND ${SBC_TEST_DIR}/daemon/e2e/test_e2e_tls.sh TIMEOUT 90 LABELS e2e)
sbc_daemon_test(e2e_rfc4475 COMMAND ${SBC_TEST_DIR}/daemon/e2e/test_e2e_rfc4475.sh TIMEOUT 150
	LABELS e2e)

# SPDX-License-Identifier: BSD-2-Clause
# The operator's tools: sigproxy -t, the SIGUSR1 SIP trace, the certificate script.
sbc_daemon_test(sigproxy_operator COMMAND ${SBC_TEST_DIR}/daemon/test_operator.sh TIMEOUT 60)
sbc_daemon_test(operator_config_refusal COMMAND ${SBC_TEST_DIR}/daemon/test_config_refusal.sh TIMEOUT 90)

# SPDX-License-Identifier: BSD-2-Clause
# mediad control plane against real processes: the daemon, a private redis-server, and
# rtpengine's own ng client (rtpengine-utils) for wire compatibility.
sbc_daemon_test(mediad_core_ng COMMAND perl ${SBC_TEST_DIR}/daemon/test_mediad_ng.pl
	TIMEOUT 180)
sbc_daemon_test(mediad_core_interop COMMAND ${SBC_TEST_DIR}/daemon/test_mediad_interop.sh
	TIMEOUT 120)
sbc_daemon_test(mediad_core_kamailio COMMAND ${SBC_TEST_DIR}/daemon/test_mediad_kamailio.sh
	TIMEOUT 90)

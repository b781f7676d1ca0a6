# SPDX-License-Identifier: BSD-2-Clause
# Integration tests of common/ against real processes (redis-server).

add_executable(test_redis_reconnect ${SBC_TEST_DIR}/daemon/test_redis_reconnect.c)
target_link_libraries(test_redis_reconnect PRIVATE sbccommon sbc_testlib)
sbc_daemon_test(common_redis_reconnect COMMAND test_redis_reconnect TIMEOUT 60)

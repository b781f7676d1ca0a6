# SPDX-License-Identifier: BSD-2-Clause
# Unit tests of common/ (config, addr, log, metrics) and the shared test helper library.

# Reusable test helpers: processes (lib/proc.h), redis-server (lib/redis_server.h), files (lib/file_load.h),
# event loops (lib/evloop.h).
add_library(sbc_testlib STATIC
	${SBC_TEST_DIR}/lib/proc.c
	${SBC_TEST_DIR}/lib/redis_server.c
	${SBC_TEST_DIR}/lib/file_load.c
	${SBC_TEST_DIR}/lib/evloop.c
)
target_include_directories(sbc_testlib PUBLIC ${SBC_TEST_DIR})
target_link_libraries(sbc_testlib PUBLIC PkgConfig::LIBEVENT)

# Allocation failure injection (lib/oom_wrap.h); only for tests linked with the --wrap flags.
add_library(sbc_oom_wrap STATIC ${SBC_TEST_DIR}/lib/oom_wrap.c)
target_include_directories(sbc_oom_wrap PUBLIC ${SBC_TEST_DIR})
set(SBC_OOM_WRAP_FLAGS -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup)

sbc_unit_test(common_config SOURCES ${SBC_TEST_DIR}/unit/test_config.c
	LIBS sbccommon sbc_testlib sbc_oom_wrap)
# test_oom makes each allocation in config.c fail in turn through these wrappers.
target_link_options(common_config PRIVATE ${SBC_OOM_WRAP_FLAGS})

sbc_unit_test(common_config_table SOURCES ${SBC_TEST_DIR}/unit/test_config_table.c LIBS sbccommon)

sbc_unit_test(common_addr SOURCES ${SBC_TEST_DIR}/unit/test_addr.c LIBS sbccommon)

sbc_unit_test(common_metrics SOURCES ${SBC_TEST_DIR}/unit/test_metrics.c
	LIBS sbccommon sbc_oom_wrap)
target_link_options(common_metrics PRIVATE ${SBC_OOM_WRAP_FLAGS})

sbc_unit_test(common_log SOURCES ${SBC_TEST_DIR}/unit/test_log.c LIBS sbccommon)

sbc_unit_test(common_strbuf_sock SOURCES ${SBC_TEST_DIR}/unit/test_strbuf_sock.c LIBS sbccommon)

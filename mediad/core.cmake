# SPDX-License-Identifier: BSD-2-Clause
# mediad_core: the control plane (config, ng server, calls, ports, Redis state, stats);
# mediad: the daemon.
add_library(mediad_core STATIC
	${CMAKE_CURRENT_LIST_DIR}/call.c
	${CMAKE_CURRENT_LIST_DIR}/call_restore.c
	${CMAKE_CURRENT_LIST_DIR}/call_stats.c
	${CMAKE_CURRENT_LIST_DIR}/call_store.c
	${CMAKE_CURRENT_LIST_DIR}/mediad_config.c
	${CMAKE_CURRENT_LIST_DIR}/ng_delete.c
	${CMAKE_CURRENT_LIST_DIR}/ng_offer.c
	${CMAKE_CURRENT_LIST_DIR}/ng_opts.c
	${CMAKE_CURRENT_LIST_DIR}/ng_query.c
	${CMAKE_CURRENT_LIST_DIR}/ng_server.c
	${CMAKE_CURRENT_LIST_DIR}/port_pool.c
)
target_include_directories(mediad_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(mediad_core PUBLIC mediad_relay mediad_sdp mediad_srtp mediad_suite
	sbcproto sbccommon PkgConfig::LIBEVENT PkgConfig::HIREDIS Threads::Threads)

add_executable(mediad ${CMAKE_CURRENT_LIST_DIR}/main.c)
target_link_libraries(mediad PRIVATE mediad_core)

# SPDX-License-Identifier: BSD-2-Clause
# sigproxy_core: transactions, dialogs, ng client, mediad pool, health, policy; executable sigproxy.
add_library(sigproxy_core STATIC
	sigproxy_config.c
	daemon.c
	proxy.c
	txn_invite.c
	txn_noninvite.c
	dialog.c
	ng_client.c
	mediad_pool.c
	media.c
	media_policy.c
	health.c
)
target_include_directories(sigproxy_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(sigproxy_core PUBLIC sigproxy_sip sigproxy_transport sbcproto sbccommon
	PkgConfig::LIBEVENT PkgConfig::HIREDIS)

add_executable(sigproxy main.c)
target_link_libraries(sigproxy PRIVATE sigproxy_core)

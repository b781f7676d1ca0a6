# SPDX-License-Identifier: BSD-2-Clause
# sigproxy_sip: SIP parsing (libosip2) and validation, message building, routing rules.
add_library(sigproxy_sip STATIC
	sip_msg.c
	sip_access.c
	sip_validate.c
	sip_build.c
	route.c
)
target_include_directories(sigproxy_sip PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(sigproxy_sip PUBLIC PkgConfig::OSIP2 PkgConfig::PCRE2 sbccommon
	Threads::Threads)

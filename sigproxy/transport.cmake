# SPDX-License-Identifier: BSD-2-Clause
# sigproxy_transport: UDP/TCP/TLS listeners and connections, TLS contexts, source ACLs.
add_library(sigproxy_transport STATIC
	acl.c
	tls.c
	transport.c
	transport_stream.c
	transport_udp.c
)
target_include_directories(sigproxy_transport PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(sigproxy_transport PUBLIC sbccommon PkgConfig::LIBEVENT PkgConfig::OPENSSL)

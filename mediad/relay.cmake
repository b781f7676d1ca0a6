# SPDX-License-Identifier: BSD-2-Clause
# mediad_relay: worker threads, media sockets, the SRTP <-> RTP packet path.
add_library(mediad_relay STATIC
	${CMAKE_CURRENT_LIST_DIR}/relay_media.c
	${CMAKE_CURRENT_LIST_DIR}/relay_srtp.c
	${CMAKE_CURRENT_LIST_DIR}/relay_stream.c
	${CMAKE_CURRENT_LIST_DIR}/relay_worker.c
)
target_include_directories(mediad_relay PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(mediad_relay PUBLIC mediad_srtp mediad_suite sbccommon
	PkgConfig::LIBEVENT Threads::Threads)

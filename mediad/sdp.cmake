# SPDX-License-Identifier: BSD-2-Clause
# mediad_sdp: SDP parsing into a verbatim line model, rewriting for the recipient, a=crypto (SDES).
add_library(mediad_sdp STATIC
	sdp.c
	sdp_crypto.c
	sdp_rewrite.c
)
target_include_directories(mediad_sdp PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mediad_sdp PUBLIC mediad_suite sbccommon)

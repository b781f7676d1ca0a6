# SPDX-License-Identifier: BSD-2-Clause
# mediad_srtp: libsrtp2 with OpenSSL EVP primitives, and per-leg SRTP contexts.
add_library(mediad_srtp STATIC
	srtp_ctx.c
	srtp_engine.c
	srtp_ossl.c
)
target_include_directories(mediad_srtp PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mediad_srtp PUBLIC mediad_suite PkgConfig::SRTP2
	PkgConfig::OPENSSL sbccommon Threads::Threads)

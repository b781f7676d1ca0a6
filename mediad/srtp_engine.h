/* SPDX-License-Identifier: BSD-2-Clause */
/* Process-wide libsrtp2 set-up: OpenSSL EVP primitives replace Debian's slow NSS ones. */
#ifndef SBC_MEDIAD_SRTP_ENGINE_H
#define SBC_MEDIAD_SRTP_ENGINE_H

enum srtp_engine_impl {
	SRTP_ENGINE_NONE = 0,	/* not initialised */
	SRTP_ENGINE_OPENSSL,	/* AES-ICM, AES-GCM, HMAC-SHA1 from OpenSSL (default) */
	SRTP_ENGINE_LIBSRTP,	/* libsrtp's own build (NSS on Debian), for comparison */
};

/*
 * srtp_init() plus the OpenSSL replacements, then libsrtp's self tests of
 * every replaced type.  Idempotent and thread-safe; call once at start-up
 * before any thread relays media.  Returns 0, EIO if libsrtp or a self
 * test failed (the process must not relay SRTP then), EBUSY if the
 * engine was already initialised with SRTP_ENGINE_LIBSRTP.
 */
int srtp_engine_init(void);

/*
 * Same with a chosen implementation (SRTP_ENGINE_LIBSRTP keeps libsrtp's
 * own primitives: for tests and benchmarks).  The choice is global to the
 * process and final: EBUSY if a different one is already active, EINVAL
 * for SRTP_ENGINE_NONE or an unknown value.
 */
int srtp_engine_init_impl(enum srtp_engine_impl impl);

/* The active implementation, SRTP_ENGINE_NONE before init. */
enum srtp_engine_impl srtp_engine_active(void);
const char *srtp_engine_impl_name(enum srtp_engine_impl impl);

/*
 * Run libsrtp's self tests (srtp_cipher_type_self_test /
 * srtp_auth_type_self_test) on the types the active implementation
 * registered.  Returns 0, EIO on a failure, ENXIO before init.
 */
int srtp_engine_self_test(void);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* OpenSSL-backed libsrtp2 primitive types, private to the SRTP engine and its tests. */
#ifndef SBC_MEDIAD_SRTP_OSSL_INT_H
#define SBC_MEDIAD_SRTP_OSSL_INT_H

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

/* Each carries its own known-answer tests (test_data) for libsrtp's self test. */
extern const srtp_cipher_type_t srtp_ossl_aes_icm_128;
extern const srtp_cipher_type_t srtp_ossl_aes_icm_256;
extern const srtp_cipher_type_t srtp_ossl_aes_gcm_128;
extern const srtp_cipher_type_t srtp_ossl_aes_gcm_256;
extern const srtp_auth_type_t srtp_ossl_hmac_sha1;

/*
 * libsrtp's built-in types (NSS-backed on Debian).  libsrtp2.so exports
 * them although its headers do not declare them; we use them only to
 * self-test the SRTP_ENGINE_LIBSRTP choice and, in tests, to check the
 * OpenSSL types against them.
 */
extern const srtp_cipher_type_t srtp_aes_icm_128;
extern const srtp_cipher_type_t srtp_aes_icm_256;
extern const srtp_cipher_type_t srtp_aes_gcm_128;
extern const srtp_cipher_type_t srtp_aes_gcm_256;
extern const srtp_auth_type_t srtp_hmac;

#endif

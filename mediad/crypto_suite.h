/* SPDX-License-Identifier: BSD-2-Clause */
/* SDES crypto suites mediad supports (RFC 4568, 6188, 7714): names and key sizes. */
#ifndef SBC_MEDIAD_CRYPTO_SUITE_H
#define SBC_MEDIAD_CRYPTO_SUITE_H

#include <stdbool.h>
#include <stddef.h>

enum crypto_suite {
	CRYPTO_SUITE_NONE = 0,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	CRYPTO_SUITE_AEAD_AES_128_GCM,
	CRYPTO_SUITE_AEAD_AES_256_GCM,
	CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
	CRYPTO_SUITE_COUNT,
};

/* Longest master key + salt of any supported suite: AES-256 (32) + 14. */
#define CRYPTO_MAX_KEY_SALT 46

struct crypto_suite_info {
	enum crypto_suite suite;
	const char *name;          /* as written in a=crypto */
	size_t key_len;            /* master key bytes */
	size_t salt_len;           /* master salt bytes */
	size_t rtp_auth_tag_len;   /* bytes appended to SRTP packets (GCM: 16) */
	size_t rtcp_auth_tag_len;  /* bytes appended to SRTCP (_32 suites use 80-bit for RTCP) */
	bool aead;
};

/* NULL for CRYPTO_SUITE_NONE or out of range. */
const struct crypto_suite_info *crypto_suite_info(enum crypto_suite s);
/* Exact, case-sensitive name match as RFC 4568 requires; CRYPTO_SUITE_NONE if unknown. */
enum crypto_suite crypto_suite_from_name(const char *name, size_t len);
const char *crypto_suite_name(enum crypto_suite s);  /* "none" for NONE */

/* An SDES key: master key followed by master salt. */
struct crypto_key {
	enum crypto_suite suite;
	unsigned char key_salt[CRYPTO_MAX_KEY_SALT];
	size_t key_salt_len;       /* key_len + salt_len of the suite */
};

#endif

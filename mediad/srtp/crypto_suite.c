/* SPDX-License-Identifier: BSD-2-Clause */
/* The table of supported SDES suites. */
#include <string.h>

#include "srtp.h"

static const struct crypto_suite_info suites[CRYPTO_SUITE_COUNT] = {
	[CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80] = { CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
	    "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, false },
	/* RFC 4568 6.2.1: the _32 suite keeps an 80-bit tag on SRTCP. */
	[CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32] = { CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	    "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, false },
	[CRYPTO_SUITE_AEAD_AES_128_GCM] = { CRYPTO_SUITE_AEAD_AES_128_GCM,
	    "AEAD_AES_128_GCM", 16, 12, 16, 16, true },
	[CRYPTO_SUITE_AEAD_AES_256_GCM] = { CRYPTO_SUITE_AEAD_AES_256_GCM,
	    "AEAD_AES_256_GCM", 32, 12, 16, 16, true },
	[CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80] = { CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
	    "AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, false },
};

const struct crypto_suite_info *
crypto_suite_info(enum crypto_suite s)
{
	if (s <= CRYPTO_SUITE_NONE || s >= CRYPTO_SUITE_COUNT)
		return NULL;
	return &suites[s];
}

enum crypto_suite
crypto_suite_from_name(const char *name, size_t len)
{
	for (int i = CRYPTO_SUITE_NONE + 1; i < CRYPTO_SUITE_COUNT; i++) {
		if (strlen(suites[i].name) == len && memcmp(suites[i].name, name, len) == 0)
			return (enum crypto_suite)i;
	}
	return CRYPTO_SUITE_NONE;
}

const char *
crypto_suite_name(enum crypto_suite s)
{
	const struct crypto_suite_info *i = crypto_suite_info(s);

	return i ? i->name : "none";
}

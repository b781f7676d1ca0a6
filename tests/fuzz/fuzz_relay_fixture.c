/* SPDX-License-Identifier: BSD-2-Clause */
/* What the relay targets share: suites, fixed keys, sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_relay_fixture.h"

const enum crypto_suite fuzz_suites[FUZZ_NSUITES] = {
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	CRYPTO_SUITE_AEAD_AES_128_GCM,
	CRYPTO_SUITE_AEAD_AES_256_GCM,
	CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
};

void
fuzz_fixed_key(struct crypto_key *k, enum crypto_suite s, uint8_t seed)
{
	const struct crypto_suite_info *si = crypto_suite_info(s);

	memset(k, 0, sizeof(*k));
	k->suite = s;
	k->key_salt_len = si->key_len + si->salt_len;
	for (size_t i = 0; i < k->key_salt_len; i++)
		k->key_salt[i] = (uint8_t)(seed + i * 31u);
}

int
fuzz_udp_fd(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("fuzz: socket");
		abort();
	}
	return fd;
}

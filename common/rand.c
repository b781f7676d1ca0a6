/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CSPRNG bytes from getrandom(2), retried on EINTR and short reads. Small requests
 * (branches, tags, SRTP keys: several per call) are served from a per-thread block
 * of kernel randomness refilled 256 bytes at a time instead of one system call each;
 * bytes handed out are wiped from the block, and a forked child starts empty.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "rand.h"

#define RAND_POOL 256

static _Thread_local unsigned char pool[RAND_POOL];
static _Thread_local size_t pool_left;      /* unused bytes at the end of pool */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static int
kernel_bytes(unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child must not hand out the bytes its parent will also use. */
static void
pool_forget(void)
{
	explicit_bzero(pool, sizeof(pool));
	pool_left = 0;
}

static void
atfork_register(void)
{
	(void)pthread_atfork(NULL, NULL, pool_forget);
}

int
rand_bytes(void *buf, size_t len)
{
	int err;

	if (len > RAND_POOL / 4)
		return kernel_bytes(buf, len);
	(void)pthread_once(&atfork_once, atfork_register);
	if (pool_left < len) {
		err = kernel_bytes(pool, sizeof(pool));
		if (err) {
			pool_left = 0;
			return err;
		}
		pool_left = sizeof(pool);
	}
	pool_left -= len;
	memcpy(buf, pool + pool_left, len);
	explicit_bzero(pool + pool_left, len);
	return 0;
}

uint64_t
rand_u64(void)
{
	uint64_t v;

	if (rand_bytes(&v, sizeof(v)) != 0)
		abort();
	return v;
}

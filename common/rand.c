/* SPDX-License-Identifier: BSD-2-Clause */
/* CSPRNG bytes from getrandom(2), retried on EINTR and short reads. */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "rand.h"

int
rand_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

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

uint64_t
rand_u64(void)
{
	uint64_t v;

	if (rand_bytes(&v, sizeof(v)) != 0)
		abort();
	return v;
}

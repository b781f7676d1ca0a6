/* SPDX-License-Identifier: BSD-2-Clause */
/* Test helper: read a corpus or seed file whole (see file_load.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/file_load.h"

char *
file_load(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	char *buf = NULL;
	FILE *f;
	long n;
	int err = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		err = errno;
		goto out;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL) {
		err = ENOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		err = EIO;
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
 out:
	fclose(f);
	if (buf == NULL)
		errno = err;
	return buf;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* RESP encoding of a command into a reused buffer (what redis.c hands to hiredis). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "redis_resp.h"

/* Decimal digits of v, written backwards from end; returns the first digit. */
static char *
fmt_uint(char *end, size_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

/* Appends "<c><v>\r\n" at p; returns the new end. */
static char *
resp_head(char *p, char c, size_t v)
{
	char tmp[24], *d = fmt_uint(tmp + sizeof(tmp), v);
	size_t n = (size_t)(tmp + sizeof(tmp) - d);

	*p++ = c;
	memcpy(p, d, n);
	p += n;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/*
 * RESP encoding of argv into *bufp, grown as needed. hiredis's own formatter
 * calls sprintf per argument, which cost more than the rest of a command write.
 */
int
resp_encode(char **bufp, size_t *capp, int argc, const char **argv, const size_t *argvlen,
    size_t *lenp)
{
	/* "*" + up to 20 digits + CRLF, and the NUL hiredis reads up to (see below). */
	size_t need = 24, len, i;
	char *p;

	for (i = 0; i < (size_t)argc; i++) {
		len = argvlen ? argvlen[i] : strlen(argv[i]);
		need += len + 25;   /* "$" + up to 20 digits + 2 CRLF */
	}
	if (need > *capp) {
		size_t cap = need < 1024 ? 1024 : need;

		p = malloc(cap);
		if (p == NULL)
			return ENOMEM;
		if (*bufp != NULL) {
			/* earlier commands may have carried AUTH or SRTP keys */
			explicit_bzero(*bufp, *capp);
			free(*bufp);
		}
		*bufp = p;
		*capp = cap;
	}
	p = resp_head(*bufp, '*', (size_t)argc);
	for (i = 0; i < (size_t)argc; i++) {
		len = argvlen ? argvlen[i] : strlen(argv[i]);
		p = resp_head(p, '$', len);
		memcpy(p, argv[i], len);
		p += len;
		*p++ = '\r';
		*p++ = '\n';
	}
	*lenp = (size_t)(p - *bufp);
	/*
	 * hiredis parses the command it is handed as a C string (strchr for '$' and CR,
	 * and a look at the byte after the first argument): without this NUL it reads on
	 * into whatever an earlier, longer command left in the reused buffer.
	 */
	*p = '\0';
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* RESP encoding of a command into a reused buffer (what redis.c hands to hiredis). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/*
 * Commands whose callback hiredis calls more than once (or keeps forever): our
 * exactly-once wrapper would be used after free, so they are refused.
 */
bool
resp_cmd_is_streaming(const char *name, size_t len)
{
	static const char *const streaming[] = {
		"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
		"SUNSUBSCRIBE", "MONITOR", NULL,
	};
	unsigned i;

	for (i = 0; streaming[i] != NULL; i++)
		if (strlen(streaming[i]) == len && strncasecmp(streaming[i], name, len) == 0)
			return true;
	return false;
}

/* First argument of a RESP array "*N\r\n$L\r\nNAME\r\n..."; false if malformed. */
bool
resp_first_arg(const char *cmd, size_t len, const char **name, size_t *namelen)
{
	const char *p = cmd, *end = cmd + len, *nl;
	unsigned long l;
	char *e;

	if (len < 4 || *p != '*' || (nl = memchr(p, '\n', len)) == NULL)
		return false;
	p = nl + 1;
	if (p >= end || *p != '$')
		return false;
	l = strtoul(p + 1, &e, 10);
	if (e + 2 > end || e[0] != '\r' || e[1] != '\n' || l > (size_t)(end - (e + 2)))
		return false;
	*name = e + 2;
	*namelen = l;
	return true;
}

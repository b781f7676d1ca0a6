/* SPDX-License-Identifier: BSD-2-Clause */
/* The stream framer: where one SIP message ends in a TCP/TLS byte stream (Content-Length). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "transport.h"

static bool
hname_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

int
tp_frame(const char *buf, size_t len, size_t *skip, size_t *msglen)
{
	size_t s = 0, i, hdrlen = 0, line, clen = 0;
	bool have_cl = false;

	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	buf += s;
	len -= s;
	if (len == 0)
		return ENODATA;
	/* Reject binary garbage at once instead of waiting for 64 KiB of it. */
	for (i = 0; i < len && i < TP_MAX_HEADER; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if ((ch < 0x20 && ch != '\r' && ch != '\n' && ch != '\t') || ch == 0x7f)
			return EBADMSG;
		if (ch == '\n' && i >= 3 && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r') {
			hdrlen = i + 1;
			break;
		}
	}
	if (hdrlen == 0)
		return len >= TP_MAX_HEADER ? EMSGSIZE : ENODATA;
	/* Skip the start line, then look at each header line's name. */
	for (line = 0; line < hdrlen && buf[line] != '\n'; line++)
		;
	line++;
	while (line + 2 < hdrlen) {
		size_t end = line, nlen, v;
		const char *colon;

		while (end < hdrlen && buf[end] != '\n')
			end++;
		/* Folded continuation lines start with SP/HT and carry no name. */
		if (buf[line] != ' ' && buf[line] != '\t') {
			colon = memchr(buf + line, ':', end - line);
			if (colon != NULL) {
				nlen = (size_t)(colon - (buf + line));
				while (nlen > 0 && (buf[line + nlen - 1] == ' ' ||
				    buf[line + nlen - 1] == '\t'))
					nlen--;
				if (hname_is(buf + line, nlen, "Content-Length") ||
				    hname_is(buf + line, nlen, "l")) {
					size_t val = 0, digits = 0;

					v = (size_t)(colon - buf) + 1;
					while (v < end && (buf[v] == ' ' || buf[v] == '\t'))
						v++;
					while (v < end && buf[v] >= '0' && buf[v] <= '9') {
						if (val > TP_MAX_BODY)
							return EMSGSIZE;
						val = val * 10 + (size_t)(buf[v] - '0');
						v++;
						digits++;
					}
					while (v < end && (buf[v] == ' ' || buf[v] == '\t' ||
					    buf[v] == '\r'))
						v++;
					if (digits == 0 || v != end)
						return EBADMSG;
					if (have_cl && val != clen)
						return EBADMSG;
					have_cl = true;
					clen = val;
				}
			}
		}
		line = end + 1;
	}
	if (!have_cl)
		return EBADMSG;
	if (clen > TP_MAX_BODY)
		return EMSGSIZE;
	if (len < hdrlen + clen)
		return ENODATA;
	*msglen = hdrlen + clen;
	return 0;
}

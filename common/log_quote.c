/* SPDX-License-Identifier: BSD-2-Clause */
/* Values of key=value log fields: bare when they are one plain word, quoted and escaped otherwise. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* A byte that may stand in a bare value: printable ASCII but space, quote, backslash, '='. */
static bool
word_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

const char *
log_quote(char *buf, size_t size, const char *s)
{
	return log_quote_n(buf, size, s, s != NULL ? strlen(s) : 0);
}

const char *
log_quote_n(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, o = 0;
	bool word = true;

	if (size < 8)
		return "\"\"";
	if (s == NULL)
		s = "", len = 0;
	for (i = 0; i < len && word; i++)
		word = word_byte((unsigned char)s[i]);
	if (word && len > 0 && len < size) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[5];
		size_t n;

		if (c == '"' || c == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			esc[0] = (char)c, esc[1] = '\0', n = 1;
		/* Room for this, then "..." and the closing quote and NUL if more follows. */
		if (o + n + (i + 1 < len ? 5 : 2) > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

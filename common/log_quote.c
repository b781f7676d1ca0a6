/* SPDX-License-Identifier: BSD-2-Clause */
/* Values of key=value log fields: bare when they are one plain word, quoted and escaped otherwise. */
#include <stdbool.h>
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
	size_t i, n;
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
	/* The escaping of every other log value (log_esc.c), between quotes of our own. */
	buf[0] = '"';
	n = log_esc_into(buf + 1, size - 2, s, len, LOG_ESC_QUOTES);
	buf[1 + n] = '"';
	buf[2 + n] = '\0';
	return buf;
}

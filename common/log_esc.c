/* SPDX-License-Identifier: BSD-2-Clause */
/* Escaping of untrusted bytes for log lines: no control byte, no invalid UTF-8, bounded length. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "utf8.h"

static const char hex[] = "0123456789abcdef";

size_t
log_esc_into(char *out, size_t size, const char *in, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, i = 0;
	bool cut = false;

	if (size == 0)
		return 0;
	/* room for "..." and the NUL, so a cut value still says it was cut */
	while (i < len) {
		unsigned char c = s[i];
		char tmp[4];
		size_t need, u = 0;

		if (c == '\0' && (flags & LOG_ESC_NUL_ENDS))
			break;
		if ((c >= 0x20 && c < 0x7f && !((flags & LOG_ESC_QUOTES) && (c == '"' || c == '\\')) &&
		    !((flags & LOG_ESC_SPACE) && c == ' ')) ||
		    ((flags & LOG_ESC_KEEP_LINES) && (c == '\r' || c == '\n' || c == '\t'))) {
			tmp[0] = (char)c;
			need = 1;
		} else if (c >= 0x80 && (u = utf8_len(s + i, len - i)) > 0) {
			need = u;
		} else if ((flags & LOG_ESC_QUOTES) && (c == '"' || c == '\\')) {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			need = 2;
		} else {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[c >> 4];
			tmp[3] = hex[c & 15];
			need = 4;
		}
		if (o + need + 4 > size) {
			cut = true;
			break;
		}
		memcpy(out + o, u > 0 ? (const char *)s + i : tmp, need);
		o += need;
		i += u > 0 ? u : 1;
	}
	if (cut && size >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < size ? o : size - 1] = '\0';
	return o < size ? o : size - 1;
}

static const char *
esc_value(char *buf, size_t size, const char *s, size_t len, unsigned flags)
{
	if (s == NULL)
		s = "";
	if (len == (size_t)-1)
		len = strlen(s);
	log_esc_into(buf, size, s, len, flags);
	return buf;
}

const char *
log_esc(char *buf, size_t size, const char *s, size_t len)
{
	return esc_value(buf, size, s, len, LOG_ESC_QUOTES);
}

const char *
log_esc_word(char *buf, size_t size, const char *s, size_t len)
{
	return esc_value(buf, size, s, len, LOG_ESC_QUOTES | LOG_ESC_SPACE);
}

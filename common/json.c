/* SPDX-License-Identifier: BSD-2-Clause */
/* JSON string escaping over a bounded buffer. */
#include <string.h>

#include "json.h"
#include "utf8.h"

void
json_str(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, u;
	char esc[7];

	strbuf_append(sb, "\"", 1);
	while (i < len) {
		/* printable ASCII goes out in runs: most values are nothing else */
		for (run = i; run < len && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' &&
		    p[run] != '\\'; run++)
			;
		if (run > i) {
			strbuf_append(sb, s + i, run - i);
			i = run;
			continue;
		}
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			strbuf_append(sb, esc, 2);
			i++;
		} else if (p[i] >= 0x80 && (u = utf8_len(p + i, len - i)) > 0) {
			strbuf_append(sb, s + i, u);
			i += u;
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 15];
			strbuf_append(sb, esc, 6);
			i++;
		}
	}
	strbuf_append(sb, "\"", 1);
}

void
json_cstr(struct strbuf *sb, const char *s)
{
	if (s == NULL)
		strbuf_puts(sb, "null");
	else
		json_str(sb, s, strlen(s));
}

void
json_key(struct strbuf *sb, const char *key)
{
	json_cstr(sb, key);
	strbuf_append(sb, ":", 1);
}

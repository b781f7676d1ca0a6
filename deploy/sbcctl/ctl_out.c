/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl's output: values escaped for a terminal (a Call-ID with a newline or an escape
 * sequence stays one harmless line) and JSON for scripts (common/json), durations, and
 * which fields are secrets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sbcctl.h"
#include "strbuf.h"
#include "utf8.h"

const char *
ctl_esc(char *buf, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, u;

	if (s == NULL)
		s = "-", p = (const unsigned char *)s;
	while (*p != '\0' && o + 5 < size) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			buf[o++] = (char)*p++;
		} else if (*p >= 0x80 && (u = utf8_len(p, strlen((const char *)p))) > 0) {
			if (o + u + 1 >= size)
				break;
			memcpy(buf + o, p, u);
			o += u;
			p += u;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[*p >> 4];
			buf[o++] = hex[*p & 15];
			p++;
		}
	}
	if (*p != '\0' && size > 4)
		o = o < size - 4 ? o : size - 4, memcpy(buf + o, "...", 3), o += 3;
	buf[o] = '\0';
	return buf;
}

void
ctl_json_str(struct ctl *x, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0, size = len * 6 + 8;
	struct strbuf b;
	char *buf;

	/* every byte escapes to at most 6 ("\u00XX"): the value is never cut */
	buf = malloc(size);
	if (buf == NULL) {
		fputs("null", x->out);
		return;
	}
	strbuf_init(&b, buf, size);
	json_cstr(&b, s);
	fputs(buf, x->out);
	free(buf);
}

void
ctl_json_key(struct ctl *x, const char *key)
{
	ctl_json_str(x, key);
	fputc(':', x->out);
}

void
ctl_json_kv(struct ctl *x, bool *first, const char *key, const char *value)
{
	if (!*first)
		fputc(',', x->out);
	*first = false;
	ctl_json_key(x, key);
	ctl_json_str(x, value);
}

void
ctl_json_ku(struct ctl *x, bool *first, const char *key, uint64_t value)
{
	if (!*first)
		fputc(',', x->out);
	*first = false;
	ctl_json_key(x, key);
	fprintf(x->out, "%llu", (unsigned long long)value);
}

const char *
ctl_age(char *buf, size_t size, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		snprintf(buf, size, "%lldd%02lld:%02lld", (long long)(secs / 86400),
		    (long long)(secs % 86400 / 3600), (long long)(secs % 3600 / 60));
	else
		snprintf(buf, size, "%02lld:%02lld:%02lld", (long long)(secs / 3600),
		    (long long)(secs % 3600 / 60), (long long)(secs % 60));
	return buf;
}

bool
ctl_field_secret(const char *field)
{
	/* sbc:media:<id> holds SRTP keys as <side>_m<n>_rx_key / _tx_key (and any future *key*) */
	return strstr(field, "key") != NULL || strstr(field, "password") != NULL ||
	    strstr(field, "secret") != NULL;
}

void
ctl_json_media(struct ctl *x, bool *first, const struct ng_leg *m)
{
	unsigned i;

	ctl_json_kv(x, first, "srtp", m->suite[0] ? m->suite : "plain");
	ctl_json_ku(x, first, "packets_in", m->packets_in);
	ctl_json_ku(x, first, "bytes_in", m->bytes_in);
	ctl_json_ku(x, first, "packets_out", m->packets_out);
	ctl_json_ku(x, first, "bytes_out", m->bytes_out);
	ctl_json_ku(x, first, "lost", m->lost);
	fputs(",\"drops\":{", x->out);
	for (i = 0; i < m->ndrops; i++) {
		if (i > 0)
			fputc(',', x->out);
		ctl_json_key(x, m->drops[i].reason);
		fprintf(x->out, "%llu", (unsigned long long)m->drops[i].count);
	}
	fputc('}', x->out);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The builders' output: a bounded buffer with sticky overflow, and the text helpers they share. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sip_int.h"

void
sip_wbuf_put(struct sip_wbuf *w, const char *s, size_t n)
{
	if (w->overflow || n >= w->size - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

void
sip_wbuf_str(struct sip_wbuf *w, const char *s)
{
	sip_wbuf_put(w, s, strlen(s));
}

void
sip_wbuf_fmt(struct sip_wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->p + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->size - w->len) {
		w->overflow = true;
		return;
	}
	w->len += (size_t)n;
}

int
sip_wbuf_finish(struct sip_wbuf *w, size_t *len)
{
	if (w->overflow || w->len >= w->size)
		return ENOSPC;
	w->p[w->len] = '\0';
	*len = w->len;
	return 0;
}

bool
sip_has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* Header lines supplied by the caller: complete lines, each ending in CRLF. */
bool
sip_extra_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return true;
	n = strlen(s);
	return n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n' && strstr(s, "\r\n\r\n") == NULL;
}

/*
 * Index of the first c in v[0, n) outside double quotes (a backslash escapes within
 * them) and, with brackets, outside <...>; n when there is none.
 */
static size_t
unquoted_scan(const char *v, size_t n, char c, bool brackets)
{
	bool inq = false, inb = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (inq && v[i] == '\\') {
			i++;
			continue;
		}
		if (v[i] == '"')
			inq = !inq;
		else if (!inq && brackets && v[i] == '<')
			inb = true;
		else if (!inq && brackets && v[i] == '>')
			inb = false;
		else if (!inq && !inb && v[i] == c)
			return i;
	}
	return n;
}

/* Length of the first element of a comma list (commas inside quotes or <> do not count). */
size_t
sip_list_first_len(const char *v, size_t n)
{
	size_t i = unquoted_scan(v, n, ',', true);

	while (i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t'))
		i--;
	return i;
}

void
sip_wbuf_hdr(struct sip_wbuf *w, const char *name, const char *v, size_t n)
{
	sip_wbuf_str(w, name);
	sip_wbuf_str(w, ": ");
	sip_wbuf_put(w, v, n);
	sip_wbuf_str(w, "\r\n");
}

uint16_t
sip_default_port(enum tp_proto tp)
{
	return tp == TP_TLS ? 5061 : 5060;
}

void
sip_wbuf_hostport(struct sip_wbuf *w, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL && host[0] != '[')
		sip_wbuf_fmt(w, "[%s]", host);
	else
		sip_wbuf_str(w, host);
	if (port != 0)
		sip_wbuf_fmt(w, ":%u", (unsigned)port);
}

void
sip_wbuf_body_headers(struct sip_wbuf *w, const char *ctype, size_t body_len)
{
	if (ctype != NULL)
		sip_wbuf_fmt(w, "Content-Type: %s\r\n", ctype);
	sip_wbuf_fmt(w, "Content-Length: %zu\r\n\r\n", body_len);
}

void
sip_wbuf_via(struct sip_wbuf *w, const struct sip_hop *via, const char *branch)
{
	const char *t = tp_proto_name(via->transport);

	/* the one name, upper case as RFC 3261 writes sent-protocol */
	sip_wbuf_str(w, "Via: SIP/2.0/");
	while (*t != '\0') {
		char up = (char)toupper((unsigned char)*t++);

		sip_wbuf_put(w, &up, 1);
	}
	sip_wbuf_str(w, " ");
	sip_wbuf_hostport(w, via->host, via->port);
	sip_wbuf_fmt(w, ";branch=%s\r\n", branch);
}

void
sip_wbuf_rr_entry(struct sip_wbuf *w, const struct sip_hop *h)
{
	sip_wbuf_str(w, "<sip:");
	sip_wbuf_hostport(w, h->host, h->port != 0 ? h->port : sip_default_port(h->transport));
	sip_wbuf_fmt(w, ";transport=%s;lr>", tp_proto_name(h->transport));
}

void
sip_wbuf_contact_once(struct sip_wbuf *w, const char *uri, bool *done)
{
	if (!*done)
		sip_wbuf_fmt(w, "Contact: <%s>\r\n", uri);
	*done = true;
}

const char *
sip_unquoted_chr(const char *v, size_t n, char c)
{
	size_t i = unquoted_scan(v, n, c, false);

	return i < n ? v + i : NULL;
}

bool
sip_call_id_ok(const char *s)
{
	return s == NULL || (*s != '\0' && strpbrk(s, " \t\r\n") == NULL);
}

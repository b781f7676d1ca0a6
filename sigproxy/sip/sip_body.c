/* SPDX-License-Identifier: BSD-2-Clause */
/* A message body as the proxy sees it: SDP, a multipart with one SDP part, or something else. */

/*
 * Only SDP goes through mediad, and only mediad's SDP ever leaves: a body is classified
 * before anything is done with it. A multipart body (RFC 2046, RFC 5621: ISUP from carriers,
 * PIDF-LO from emergency gateways) is split on its boundary; its one application/sdp
 * part is what mediad sees, and the other parts are carried byte for byte around the
 * rewritten SDP. A body of a type we do not understand is not parsed as SDP: an offer
 * in it is answered 415 with Accept (RFC 3261 §21.4.13, RFC 4475 §3.3.7 "invut").
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip_int.h"

#define BOUNDARY_MAX 70		/* RFC 2046 §5.1.1 */

static bool
is_lws(char c)
{
	return c == ' ' || c == '\t';
}

/* Case-insensitive "type/subtype" of a Content-Type value (parameters ignored). */
static bool
ctype_is(const char *v, const char *want)
{
	size_t n = strlen(want);

	while (is_lws(*v))
		v++;
	return strncasecmp(v, want, n) == 0 && (v[n] == '\0' || v[n] == ';' || is_lws(v[n]));
}

static bool
ctype_is_multipart(const char *v)
{
	while (is_lws(*v))
		v++;
	return strncasecmp(v, "multipart/", 10) == 0;
}

/* The boundary parameter of a Content-Type value (quoted or token) into buf; false if none. */
static bool
ctype_boundary(const char *v, char *buf, size_t size)
{
	const char *p = v;

	while ((p = strchr(p, ';')) != NULL) {
		const char *s = ++p;
		size_t n = 0;

		while (is_lws(*s))
			s++;
		if (strncasecmp(s, "boundary", 8) != 0)
			continue;
		s += 8;
		while (is_lws(*s))
			s++;
		if (*s++ != '=')
			continue;
		while (is_lws(*s))
			s++;
		if (*s == '"') {
			for (s++; *s != '\0' && *s != '"' && n + 1 < size; s++)
				buf[n++] = *s;
			if (*s != '"')
				return false;
		} else {
			for (; *s != '\0' && *s != ';' && !is_lws(*s) && n + 1 < size; s++)
				buf[n++] = *s;
		}
		buf[n] = '\0';
		return n > 0 && n <= BOUNDARY_MAX;
	}
	return false;
}

/* Next occurrence of "--boundary" at a line start in [p, end), or NULL. */
static const char *
find_delim(const char *body, const char *p, const char *end, const char *b, size_t bl)
{
	while (p + 2 + bl <= end) {
		const char *q = memmem(p, (size_t)(end - p), "--", 2);

		if (q == NULL || q + 2 + bl > end)
			return NULL;
		/* at a line start, and the whole boundary: "--b" is not "--bc" */
		if ((q == body || q[-1] == '\n') && memcmp(q + 2, b, bl) == 0 &&
		    (q + 2 + bl == end || strchr("-\r\n \t", q[2 + bl]) != NULL))
			return q;
		p = q + 1;
	}
	return NULL;
}

/* A header value of vl bytes at v, leading blanks skipped, into buf. */
static void
header_value(const char *v, size_t vl, char *buf, size_t size)
{
	while (vl > 0 && is_lws(*v)) {
		v++;
		vl--;
	}
	snprintf(buf, size, "%.*s", (int)vl, v);
}

/* The part headers in [p, end) (up to the blank line): its Content-Type, or "" if none. */
static const char *
part_headers(const char *p, const char *end, const char **content, char *ctype, size_t size)
{
	ctype[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (nl == NULL)
			return "part without an end of headers";
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			*content = nl + 1;
			return NULL;
		}
		if (n > 13 && strncasecmp(p, "Content-Type:", 13) == 0)
			header_value(p + 13, n - 13, ctype, size);
		else if (n > 2 && (p[0] == 'c' || p[0] == 'C') && p[1] == ':')
			header_value(p + 2, n - 2, ctype, size);	/* compact Content-Type */
		else if (n > 17 && strncasecmp(p, "Content-Encoding:", 17) == 0)
			return "encoded part";
		p = nl + 1;
	}
	return "part without an end of headers";
}

/*
 * The multipart body: its one SDP part located (b->sdp, b->head_len, b->tail_off), or
 * none. Returns NULL, or why the body cannot be carried (two SDP parts, nested
 * multipart, no closing delimiter...).
 */
static const char *
multipart_split(struct sip_body *b, const char *ctype)
{
	const char *body = b->body, *end = b->body + b->len, *p, *next, *content, *why;
	char bnd[BOUNDARY_MAX + 2], pct[128];
	size_t bl;
	bool closed = false;

	if (!ctype_boundary(ctype, bnd, sizeof(bnd)))
		return "multipart without a boundary";
	bl = strlen(bnd);
	p = find_delim(body, body, end, bnd, bl);
	if (p == NULL)
		return "multipart without its boundary";
	while (!closed) {
		p += 2 + bl;
		if (p + 2 <= end && p[0] == '-' && p[1] == '-')
			break;	/* close-delimiter right away: no more parts */
		/* transport padding, then the line end of the delimiter line */
		while (p < end && is_lws(*p))
			p++;
		if (p < end && *p == '\r')
			p++;
		if (p >= end || *p != '\n')
			return "malformed multipart delimiter";
		p++;
		next = find_delim(body, p, end, bnd, bl);
		if (next == NULL)
			return "multipart without a closing delimiter";
		why = part_headers(p, next, &content, pct, sizeof(pct));
		if (why != NULL)
			return why;
		if (ctype_is_multipart(pct))
			return "nested multipart";
		if (ctype_is(pct, "application/sdp")) {
			const char *cend = next;

			if (b->sdp != NULL)
				return "multipart with two SDP parts";
			/* the CRLF before the delimiter belongs to the delimiter */
			if (cend > content && cend[-1] == '\n')
				cend--;
			if (cend > content && cend[-1] == '\r')
				cend--;
			b->sdp = content;
			b->sdp_len = (size_t)(cend - content);
			b->head_len = (size_t)(content - body);
			b->tail_off = (size_t)(cend - body);
		}
		p = next;
		closed = p + 2 + bl + 2 <= end && p[2 + bl] == '-' && p[3 + bl] == '-';
	}
	return NULL;
}

int
sip_body_parse(const struct sip_msg *m, struct sip_body *b)
{
	const char *ctype = NULL, *enc = NULL, *why;

	memset(b, 0, sizeof(*b));
	b->body = sip_msg_body(m, &b->len);
	if (b->len == 0)
		return 0;
	(void)sip_msg_header(m, "Content-Type", 0, &ctype);
	b->ctype = ctype;
	if (sip_msg_header(m, "Content-Encoding", 0, &enc) == 0 && strcasecmp(enc, "identity") != 0) {
		b->kind = SIP_BODY_UNSUPPORTED;
		b->encoding = true;
		b->why = "Content-Encoding other than identity";
		return 0;
	}
	if (ctype == NULL) {
		/* RFC 3261 §20.15 wants a Content-Type; an SDP without one is still an SDP */
		if (b->len >= 4 && memcmp(b->body, "v=0", 3) == 0 &&
		    (b->body[3] == '\r' || b->body[3] == '\n')) {
			b->kind = SIP_BODY_SDP;
			b->sdp = b->body;
			b->sdp_len = b->len;
			b->no_ctype = true;
			return 0;
		}
		b->kind = SIP_BODY_UNSUPPORTED;
		b->why = "body without Content-Type";
		return 0;
	}
	if (ctype_is(ctype, "application/sdp")) {
		b->kind = SIP_BODY_SDP;
		b->sdp = b->body;
		b->sdp_len = b->len;
		return 0;
	}
	if (ctype_is_multipart(ctype)) {
		why = multipart_split(b, ctype);
		if (why != NULL) {
			b->kind = SIP_BODY_UNSUPPORTED;
			b->why = why;
			b->sdp = NULL;
			b->sdp_len = 0;
			return 0;
		}
		b->kind = b->sdp != NULL ? SIP_BODY_MULTIPART : SIP_BODY_OTHER;
		return 0;
	}
	b->kind = SIP_BODY_UNSUPPORTED;
	b->why = "Content-Type the proxy does not understand";
	return 0;
}

int
sip_msg_body_replace_sdp(const struct sip_msg *m, const char *sdp, size_t len, char **outp,
    size_t *lenp, const char **ctypep)
{
	struct sip_body b;

	(void)sip_body_parse(m, &b);
	return sip_body_with_sdp(&b, sdp, len, outp, lenp, ctypep);
}

int
sip_body_with_sdp(const struct sip_body *b, const char *sdp, size_t len, char **outp,
    size_t *lenp, const char **ctypep)
{
	size_t tail, n;
	char *out;

	if (b->kind != SIP_BODY_MULTIPART) {
		out = malloc(len + 1);
		if (out == NULL)
			return ENOMEM;
		memcpy(out, sdp, len);
		out[len] = '\0';
		*outp = out;
		*lenp = len;
		*ctypep = "application/sdp";
		return 0;
	}
	/* the other parts, their headers and the delimiters exactly as received */
	tail = b->len - b->tail_off;
	n = b->head_len + len + tail;
	out = malloc(n + 1);
	if (out == NULL)
		return ENOMEM;
	memcpy(out, b->body, b->head_len);
	memcpy(out + b->head_len, sdp, len);
	memcpy(out + b->head_len + len, b->body + b->tail_off, tail);
	out[n] = '\0';
	*outp = out;
	*lenp = n;
	*ctypep = b->ctype;
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Which messages the trace keeps: by Call-ID, by number (regex on URI users), by peer network. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trace.h"

/* As route.c bounds a route's regex: backtracking steps and depth of one match. */
#define TRACE_MATCH_LIMIT	100000u
#define TRACE_DEPTH_LIMIT	10000u

struct trace_filter {
	char *call;			/* NULL: any */
	pcre2_code *number;		/* NULL: any */
	pcre2_match_data *md;
	pcre2_match_context *mctx;	/* the limits above */
	struct acl *peer;		/* NULL: any */
};

void
trace_filter_free(struct trace_filter *f)
{
	if (f == NULL)
		return;
	free(f->call);
	pcre2_match_data_free(f->md);
	pcre2_match_context_free(f->mctx);
	pcre2_code_free(f->number);
	acl_free(f->peer);
	free(f);
}

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

int
trace_filter_parse(struct trace_filter **fp, const char *call, const char *number,
    const char *peer, char *msg, size_t size)
{
	struct trace_filter *f = NULL;
	const char *bad = NULL;
	size_t badlen = 0;
	int err = 0;

	if (!set(call) && !set(number) && !set(peer)) {
		*fp = NULL;
		return 0;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return ENOMEM;
	if (set(call) && (f->call = strdup(call)) == NULL) {
		err = ENOMEM;
		goto out;
	}
	if (set(number)) {
		PCRE2_SIZE off;
		int ec;

		/* bounded like the routing rules: a filter must not cost more than a route */
		f->number = pcre2_compile((PCRE2_SPTR)number, PCRE2_ZERO_TERMINATED, 0, &ec, &off,
		    NULL);
		if (f->number == NULL) {
			char em[120];

			pcre2_get_error_message(ec, (PCRE2_UCHAR *)em, sizeof(em));
			snprintf(msg, size, "bad regular expression at offset %zu: %s", (size_t)off,
			    em);
			err = EINVAL;
			goto out;
		}
		f->md = pcre2_match_data_create_from_pattern(f->number, NULL);
		f->mctx = pcre2_match_context_create(NULL);
		if (f->md == NULL || f->mctx == NULL) {
			err = ENOMEM;
			goto out;
		}
		pcre2_set_match_limit(f->mctx, TRACE_MATCH_LIMIT);
		pcre2_set_depth_limit(f->mctx, TRACE_DEPTH_LIMIT);
	}
	if (set(peer) && acl_parse(&f->peer, peer, &bad, &badlen)) {
		snprintf(msg, size, "bad network \"%.*s\"", (int)badlen, bad ? bad : "");
		err = EINVAL;
		goto out;
	}
 out:
	if (err)
		trace_filter_free(f);
	else
		*fp = f;
	return err;
}

/* Whether the header line at p (up to e) is named name or its compact form. */
static bool
hdr_is(const char *p, const char *e, const char *name, char compact, const char **val)
{
	size_t nl = strlen(name);
	const char *q;

	if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0)
		q = p + nl;
	else if (compact && e - p > 1 && tolower((unsigned char)*p) == compact)
		q = p + 1;
	else
		return false;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= e || *q != ':')
		return false;
	*val = q + 1;
	return true;
}

int
trace_hdr_find(const char *buf, size_t len, const char *name, char compact, const char **val,
    size_t *vlen)
{
	const char *p = buf, *end = buf + len, *e, *v;

	/* the start line is no header */
	e = memchr(p, '\n', len);
	if (e == NULL)
		return ENOENT;
	for (p = e + 1; p < end; p = e + 1) {
		e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if (p == e || (p + 1 == e && *p == '\r'))
			break;	/* end of the header section */
		if (!hdr_is(p, e, name, compact, &v))
			continue;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*val = v;
		*vlen = (size_t)(e - v);
		return 0;
	}
	return ENOENT;
}

/* The user part of the first sip:, sips: or tel: URI in s; false when there is none. */
static bool
uri_user(const char *s, size_t n, const char **u, size_t *ulen)
{
	size_t i, j;

	for (i = 0; i + 4 <= n; i++) {
		size_t sl;

		if (strncasecmp(s + i, "sip:", 4) == 0)
			sl = 4;
		else if (i + 5 <= n && strncasecmp(s + i, "sips:", 5) == 0)
			sl = 5;
		else if (strncasecmp(s + i, "tel:", 4) == 0)
			sl = 4;
		else
			continue;
		for (j = i + sl; j < n && s[j] != '@' && s[j] != '>' && s[j] != ' ' &&
		    s[j] != ',' && s[j] != '\r' && s[j] != '\n' && !(sl == 4 &&
		    tolower((unsigned char)s[i]) == 't' && s[j] == ';'); j++)
			;
		/* tel: is all user; sip: without '@' names a host only */
		if (tolower((unsigned char)s[i]) == 't' || (j < n && s[j] == '@')) {
			*u = s + i + sl;
			*ulen = j - i - sl;
			return true;
		}
		return false;
	}
	return false;
}

static bool
number_match(const struct trace_filter *f, const char *s, size_t n)
{
	const char *u;
	size_t ul;

	if (!uri_user(s, n, &u, &ul))
		return false;
	return pcre2_match(f->number, (PCRE2_SPTR)u, ul, 0, 0, f->md, f->mctx) >= 0;
}

bool
trace_filter_match(const struct trace_filter *f, const struct trace_msg *m)
{
	const char *v, *eol;
	size_t vl;

	if (f == NULL)
		return true;
	if (f->peer != NULL && (m->peer == NULL || !acl_allows(f->peer, m->peer)))
		return false;
	if (f->call != NULL && (trace_hdr_find(m->buf, m->len, "call-id", 'i', &v, &vl) ||
	    vl != strlen(f->call) || memcmp(v, f->call, vl) != 0))
		return false;
	if (f->number == NULL)
		return true;
	/* Request-URI: the start line of a request, "METHOD URI SIP/2.0" */
	eol = memchr(m->buf, '\n', m->len);
	if (eol != NULL && !(m->len > 4 && memcmp(m->buf, "SIP/", 4) == 0) &&
	    number_match(f, m->buf, (size_t)(eol - m->buf)))
		return true;
	if (trace_hdr_find(m->buf, m->len, "from", 'f', &v, &vl) == 0 && number_match(f, v, vl))
		return true;
	if (trace_hdr_find(m->buf, m->len, "to", 't', &v, &vl) == 0 && number_match(f, v, vl))
		return true;
	return false;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Proxy validation of a parsed SIP message: what libosip2 lets through but RFC 3261/4475 reject. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip_int.h"

static bool
is_lws(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
skip_lws(const char *v, size_t n, size_t i)
{
	while (i < n && is_lws(v[i]))
		i++;
	return i;
}

/* Characters of a parameter value that is not quoted: token plus what hosts need. */
static bool
is_pvalue_char(unsigned char c)
{
	return sip_is_token_char(c) || c == ':' || c == '[' || c == ']' || c == '/' ||
	    c == '@' || c == '&' || c == '$' || c == '?' || c == '(' || c == ')' ||
	    c >= 0x80;
}

/* quoted-string starting at v[i] == '"'; returns the index after it or 0 when unterminated. */
static size_t
skip_quoted(const char *v, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (v[i] == '\\') {
			i++;
			continue;
		}
		if (v[i] == '"')
			return i + 1;
	}
	return 0;
}

/*
 * *(SWS ";" SWS token [SWS "=" SWS (token / host / quoted-string)]) from v[*ip];
 * stops at the end or, for lists, at ','. Returns NULL or a reason.
 */
static const char *
check_params(const char *v, size_t n, size_t *ip, bool list)
{
	size_t i = *ip, s;

	for (;;) {
		i = skip_lws(v, n, i);
		if (i >= n || (list && v[i] == ','))
			break;
		if (v[i] != ';')
			return "garbage after a header value";
		i = skip_lws(v, n, i + 1);
		s = i;
		while (i < n && sip_is_token_char((unsigned char)v[i]))
			i++;
		if (i == s)
			return "empty header parameter";
		i = skip_lws(v, n, i);
		if (i < n && v[i] == '=') {
			i = skip_lws(v, n, i + 1);
			if (i < n && v[i] == '"') {
				i = skip_quoted(v, n, i);
				if (i == 0)
					return "unterminated quoted string in a parameter";
			} else {
				s = i;
				while (i < n && is_pvalue_char((unsigned char)v[i]))
					i++;
				if (i == s)
					return "empty parameter value";
			}
		}
	}
	*ip = i;
	return NULL;
}

/* A URI with a scheme and no whitespace or delimiters in [s, e). */
static const char *
check_uri(const char *v, size_t s, size_t e, bool bracketed)
{
	size_t i, colon = 0;

	if (s == e)
		return "empty URI";
	for (i = s; i < e; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == 0x7f)
			return "whitespace or delimiter inside a URI";
		if (c == ':' && colon == 0)
			colon = i;
		if (c == '?' && !bracketed)
			return "URI with headers outside <>";
	}
	if (colon == 0)
		return "URI without a scheme";
	/* sip/sips: every ";" in hostport and params starts a named parameter. */
	if ((colon - s == 3 && strncasecmp(v + s, "sip", 3) == 0) ||
	    (colon - s == 4 && strncasecmp(v + s, "sips", 4) == 0)) {
		size_t hp = colon + 1;

		for (i = colon + 1; i < e; i++)
			if (v[i] == '@')
				hp = i + 1;
		for (i = hp; i < e && v[i] != '?'; i++)
			if (v[i] == ';' && (i + 1 >= e || v[i + 1] == ';' || v[i + 1] == '=' ||
			    v[i + 1] == '?'))
				return "empty URI parameter";
	}
	for (i = s; i < colon; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(i > s && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
			return "bad URI scheme";
	}
	return NULL;
}

/* name-addr / addr-spec [params], or a list of them (Contact, Route, Record-Route). */
static const char *
check_addr(const char *v, size_t n, bool list, bool star)
{
	const char *why;
	size_t i = 0, j, s;

	for (;;) {
		i = skip_lws(v, n, i);
		if (i >= n)
			return "empty address";
		if (star && v[i] == '*') {
			i = skip_lws(v, n, i + 1);
			if (i != n)
				return "Contact * with other values";
			return NULL;
		}
		if (v[i] == '"') {
			i = skip_quoted(v, n, i);
			if (i == 0)
				return "unterminated quoted string in display name";
			i = skip_lws(v, n, i);
			if (i >= n || v[i] != '<')
				return "display name without <URI>";
		} else {
			for (j = i; j < n && (sip_is_token_char((unsigned char)v[j]) ||
			    is_lws(v[j])); j++)
				;
			if (j < n && v[j] == '<')
				i = j;
		}
		if (v[i] == '<') {
			s = i + 1;
			for (j = s; j < n && v[j] != '>'; j++)
				;
			if (j >= n)
				return "unterminated <URI>";
			why = check_uri(v, s, j, true);
			if (why != NULL)
				return why;
			i = j + 1;
		} else {
			s = i;
			for (j = s; j < n && v[j] != ';' && !(list && v[j] == ',') &&
			    !is_lws(v[j]); j++)
				;
			why = check_uri(v, s, j, false);
			if (why != NULL)
				return why;
			i = j;
		}
		why = check_params(v, n, &i, list);
		if (why != NULL)
			return why;
		if (i >= n)
			return NULL;
		i++;	/* ',' */
	}
}

/* Via: 1#(protocol SWS "/" SWS version SWS "/" SWS transport LWS sent-by *params). */
static const char *
check_via(const char *v, size_t n)
{
	const char *why;
	size_t i = 0, s;
	int part;

	for (;;) {
		i = skip_lws(v, n, i);
		for (part = 0; part < 3; part++) {
			if (part > 0) {
				i = skip_lws(v, n, i);
				if (i >= n || v[i] != '/')
					return "malformed Via protocol";
				i = skip_lws(v, n, i + 1);
			}
			s = i;
			while (i < n && sip_is_token_char((unsigned char)v[i]))
				i++;
			if (i == s)
				return "malformed Via protocol";
		}
		s = i;
		i = skip_lws(v, n, i);
		if (i == s)
			return "malformed Via sent-by";
		s = i;
		while (i < n && (sip_is_token_char((unsigned char)v[i]) || v[i] == ':' ||
		    v[i] == '[' || v[i] == ']'))
			i++;
		if (i == s)
			return "Via without sent-by";
		why = check_params(v, n, &i, true);
		if (why != NULL)
			return why;
		if (i >= n)
			return NULL;
		i++;
		if (skip_lws(v, n, i) >= n)
			return "empty Via value";
	}
}

/* Controls are legal only as quoted-pairs (RFC 3261 §25.1). */
static bool
has_bare_ctl(const char *v, size_t n)
{
	bool inq = false;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (inq && c == '\\') {
			i++;
			continue;
		}
		if (c == '"')
			inq = !inq;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* Broadcast, unspecified or multicast IP literals; names are never (fuzz_sip: "232abc"). */
static bool
is_bcast(const char *host)
{
	unsigned char a[16];
	char buf[64];
	size_t n;

	if (host == NULL)
		return false;
	if (inet_pton(AF_INET, host, a) == 1)
		return (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) ||
		    (a[0] | a[1] | a[2] | a[3]) == 0 || (a[0] >= 224 && a[0] <= 239);
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char zero[16];

		return a[0] == 0xff || memcmp(a, zero, 16) == 0;
	}
	return false;
}

static const char *
check_request_line(const struct sip_msg *m, int *status)
{
	const char *u = m->ruri_str, *colon, *at, *hp;
	size_t i, spaces = 0;

	for (i = 0; i < m->start_len; i++) {
		if (m->raw[i] == ' ')
			spaces++;
		else if ((unsigned char)m->raw[i] < 0x20 || m->raw[i] == 0x7f)
			return "control character in Request-Line";
	}
	if (spaces != 2 || m->method[0] == '\0')
		return "Request-Line must be METHOD SP URI SP SIP/2.0";
	for (i = 0; m->method[i] != '\0'; i++)
		if (!sip_is_token_char((unsigned char)m->method[i]))
			return "bad method";
	if (strcasecmp(m->version, "SIP/2.0") != 0) {
		unsigned a, b;
		char c;

		if (sscanf(m->version, "SIP/%u.%u%c", &a, &b, &c) == 2) {
			*status = 505;
			return "Version Not Supported";
		}
		return "bad SIP version";
	}
	if (check_uri(u, 0, strlen(u), true) != NULL)
		return "malformed Request-URI";
	colon = strchr(u, ':');
	if ((colon - u == 3 && strncasecmp(u, "sip", 3) == 0) ||
	    (colon - u == 4 && strncasecmp(u, "sips", 4) == 0)) {
		at = strrchr(u, '@');
		hp = at != NULL ? at + 1 : colon + 1;
		if (strchr(hp, '?') != NULL)
			return "headers not allowed in Request-URI";
		if (*hp == '\0' || *hp == ';' || *hp == ':')
			return "Request-URI without host";
	} else if (!(colon - u == 3 && strncasecmp(u, "tel", 3) == 0)) {
		*status = 416;
		return "Unsupported URI Scheme";
	}
	return NULL;
}

static const char *
check_headers(const struct sip_msg *m)
{
	static const struct {
		enum sip_hdr_id id;
		const char *missing, *repeated;
	} single[] = {
		{ SIP_HDR_TO, "missing To", "more than one To" },
		{ SIP_HDR_FROM, "missing From", "more than one From" },
		{ SIP_HDR_CALL_ID, "missing Call-ID", "more than one Call-ID" },
		{ SIP_HDR_CSEQ, "missing CSeq", "more than one CSeq" },
	};
	const char *why;
	unsigned i, n;

	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
		n = sip_msg_hdr_count(m, single[i].id);
		if (n == 0)
			return single[i].missing;
		if (n > 1)
			return single[i].repeated;
	}
	if (sip_msg_hdr_count(m, SIP_HDR_VIA) == 0)
		return "missing Via";
	if (m->cl_count > 1)
		return "more than one Content-Length";
	if (sip_msg_hdr_count(m, SIP_HDR_MAX_FORWARDS) > 1)
		return "more than one Max-Forwards";
	if (m->cl_bad)
		return "bad Content-Length";
	if (m->cl_short)
		return "body shorter than Content-Length";
	if (!m->cseq_ok)
		return "bad CSeq";
	if (!m->mf_ok)
		return "bad Max-Forwards";
	for (i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];

		if (has_bare_ctl(h->value, h->value_len))
			return "control character in a header";
		switch (h->id) {
		case SIP_HDR_VIA:
			why = check_via(h->value, h->value_len);
			break;
		case SIP_HDR_TO:
		case SIP_HDR_FROM:
			why = check_addr(h->value, h->value_len, false, false);
			break;
		case SIP_HDR_CONTACT:
			why = check_addr(h->value, h->value_len, true, true);
			break;
		case SIP_HDR_ROUTE:
		case SIP_HDR_RECORD_ROUTE:
			why = check_addr(h->value, h->value_len, true, false);
			break;
		case SIP_HDR_CALL_ID:
			why = h->value_len == 0 || strpbrk(h->value, " \t") != NULL ?
			    "bad Call-ID" : NULL;
			break;
		default:
			why = NULL;
			break;
		}
		if (why != NULL)
			return why;
	}
	if (m->osip_failed)
		return "unparseable message";
	if (m->osip->from == NULL || m->osip->to == NULL ||
	    osip_list_size(&m->osip->vias) < 1)
		return "unparseable From, To or Via";
	return NULL;
}

int
sip_msg_validate(const struct sip_msg *m, struct sip_error *err)
{
	struct sip_error e;
	struct sip_via via;
	const char *why = NULL;
	unsigned i, n;

	memset(&e, 0, sizeof(e));
	e.status = 400;
	if (m->too_large) {
		e.status = 513;
		why = "Message Too Large";
		goto out;
	}
	if (m->request) {
		why = check_request_line(m, &e.status);
		if (why != NULL)
			goto out;
	} else if (strcasecmp(m->version, "SIP/2.0") != 0 || m->status < 100) {
		why = "bad Status-Line";
		goto out;
	}
	why = check_headers(m);
	if (why != NULL)
		goto out;
	if (m->request && strcmp(m->cseq_method, m->method) != 0) {
		why = "CSeq method does not match the Request-Line";
		goto out;
	}
	if (sip_msg_via(m, 0, &via) != 0 || via.host == NULL) {
		why = "unparseable top Via";
		goto out;
	}
	/*
	 * "z9hG4bK" alone claims RFC 3261 matching but carries no identifier (RFC 4475
	 * §3.2.1). Requests only: a response's top Via is ours, and what lies below it
	 * is the upstream's business (fuzz_sip forwarded one such response).
	 */
	if (m->request && via.branch != NULL && strcasecmp(via.branch, "z9hG4bK") == 0) {
		why = "Via branch without transaction identifier";
		goto out;
	}
	/*
	 * Responses travel back along the Vias: none may lead to a broadcast or
	 * multicast address (RFC 4475 §3.3.10), neither in a response we would
	 * forward nor in a request whose responses we would send.
	 */
	n = sip_msg_via_count(m);
	for (i = 0; i < n; i++) {
		if (sip_msg_via(m, i, &via) == 0 &&
		    (is_bcast(via.host) || is_bcast(via.received))) {
			why = "broadcast or multicast address in Via";
			goto out;
		}
	}
	if (!m->request)
		goto out;
	/* We support no extension as a proxy: §16.3 step 5. */
	if (sip_msg_hdr_count(m, SIP_HDR_PROXY_REQUIRE) > 0) {
		size_t used = 0;

		for (i = 0; i < m->nhdrs; i++) {
			const struct sip_hdr *h = &m->hdrs[i];
			int w;

			if (h->id != SIP_HDR_PROXY_REQUIRE)
				continue;
			w = snprintf(e.unsupported + used, sizeof(e.unsupported) - used,
			    "%s%s", used > 0 ? ", " : "", h->value);
			if (w < 0 || (size_t)w >= sizeof(e.unsupported) - used)
				break;
			used += (size_t)w;
		}
		e.status = 420;
		why = "Bad Extension";
		goto out;
	}
 out:
	if (why == NULL)
		return 0;
	if (!m->request)
		e.status = 0;
	snprintf(e.reason, sizeof(e.reason), "%s", why);
	if (err != NULL)
		*err = e;
	return EBADMSG;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* SIP message building: text edits on the received bytes, so untouched headers pass verbatim. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_port.h>

#include "rand.h"
#include "sip_build.h"
#include "sip_msg_priv.h"

/* Output into the caller's buffer; overflow is sticky and reported once at the end. */
struct wbuf {
	char *p;
	size_t size;
	size_t len;
	bool overflow;
};

static void
w_put(struct wbuf *w, const char *s, size_t n)
{
	if (w->overflow || n >= w->size - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void
w_str(struct wbuf *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_fmt(struct wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
w_fmt(struct wbuf *w, const char *fmt, ...)
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

static int
w_finish(struct wbuf *w, size_t *len)
{
	if (w->overflow || w->len >= w->size)
		return ENOSPC;
	w->p[w->len] = '\0';
	*len = w->len;
	return 0;
}

static bool
has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* An IP literal for ";received=": nothing that could end the parameter. */
static bool
addr_ok(const char *s)
{
	return s == NULL || (*s != '\0' && strspn(s, "0123456789abcdefABCDEF.:[]") == strlen(s));
}

/* Header lines supplied by the caller: complete lines, each ending in CRLF. */
static bool
extra_ok(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return true;
	n = strlen(s);
	return n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n' && strstr(s, "\r\n\r\n") == NULL;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.";

static int
rand_token(char *buf, size_t size, const char *prefix, size_t n)
{
	unsigned char r[32];
	size_t plen = strlen(prefix), i;
	int err;

	if (n > sizeof(r) || size < plen + n + 1)
		return ENOSPC;
	err = rand_bytes(r, n);
	if (err)
		return err;
	memcpy(buf, prefix, plen);
	/* 64 symbols: each byte's low 6 bits, no modulo bias. */
	for (i = 0; i < n; i++)
		buf[plen + i] = b64url[r[i] & 63];
	buf[plen + n] = '\0';
	return 0;
}

int
sip_branch_new(char *buf, size_t size)
{
	return rand_token(buf, size, "z9hG4bK", 22);
}

int
sip_tag_new(char *buf, size_t size)
{
	return rand_token(buf, size, "", 16);
}

static const struct {
	int code;
	const char *phrase;
} sip_phrases[] = {
	{ 100, "Trying" }, { 180, "Ringing" }, { 181, "Call Is Being Forwarded" },
	{ 182, "Queued" }, { 183, "Session Progress" }, { 200, "OK" },
	{ 202, "Accepted" }, { 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" }, { 305, "Use Proxy" }, { 380, "Alternative Service" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" }, { 408, "Request Timeout" },
	{ 410, "Gone" }, { 413, "Request Entity Too Large" }, { 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" }, { 420, "Bad Extension" },
	{ 421, "Extension Required" }, { 423, "Interval Too Brief" },
	{ 480, "Temporarily Unavailable" }, { 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" }, { 483, "Too Many Hops" }, { 484, "Address Incomplete" },
	{ 485, "Ambiguous" }, { 486, "Busy Here" }, { 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" }, { 491, "Request Pending" },
	{ 500, "Server Internal Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Server Time-out" },
	{ 505, "Version Not Supported" }, { 513, "Message Too Large" },
	{ 600, "Busy Everywhere" }, { 603, "Decline" }, { 604, "Does Not Exist Anywhere" },
	{ 606, "Not Acceptable" },
};

const char *
sip_reason_phrase(int status)
{
	size_t i;

	for (i = 0; i < sizeof(sip_phrases) / sizeof(sip_phrases[0]); i++)
		if (sip_phrases[i].code == status)
			return sip_phrases[i].phrase;
	return "Unknown";
}

/* Whether a From/To value carries a tag parameter (outside the <URI>, outside quotes). */
static bool
value_has_tag(const char *v, size_t n)
{
	size_t i = 0, gt = 0, s;
	bool inq = false, seen_lt = false;

	for (i = 0; i < n; i++) {
		if (inq && v[i] == '\\') {
			i++;
			continue;
		}
		if (v[i] == '"')
			inq = !inq;
		else if (!inq && v[i] == '<')
			seen_lt = true;
		else if (!inq && v[i] == '>' && seen_lt) {
			gt = i + 1;
			break;
		}
	}
	for (i = gt; i < n; i++) {
		if (v[i] != ';')
			continue;
		s = i + 1;
		while (s < n && (v[s] == ' ' || v[s] == '\t'))
			s++;
		if (n - s >= 3 && strncasecmp(v + s, "tag", 3) == 0) {
			s += 3;
			while (s < n && (v[s] == ' ' || v[s] == '\t'))
				s++;
			if (s < n && v[s] == '=')
				return true;
		}
	}
	return false;
}

/* Length of the first element of a comma list (commas inside quotes or <> do not count). */
static size_t
first_list_len(const char *v, size_t n)
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
		else if (!inq && v[i] == '<')
			inb = true;
		else if (!inq && v[i] == '>')
			inb = false;
		else if (!inq && !inb && v[i] == ',')
			break;
	}
	if (i > n)
		i = n;
	while (i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t'))
		i--;
	return i;
}

static void
w_hdr(struct wbuf *w, const char *name, const char *v, size_t n)
{
	w_str(w, name);
	w_str(w, ": ");
	w_put(w, v, n);
	w_str(w, "\r\n");
}

int
sip_build_response(char *buf, size_t size, size_t *len, const struct sip_msg *req,
    int status, const char *reason, const char *to_tag, const char *extra)
{
	struct wbuf w = { buf, size, 0, false };
	unsigned i;

	if (!req->request || status < 100 || status > 699 || has_crlf(reason) ||
	    has_crlf(to_tag) || !extra_ok(extra))
		return EINVAL;
	if (reason == NULL)
		reason = sip_reason_phrase(status);
	w_fmt(&w, "SIP/2.0 %d %s\r\n", status, reason);
	for (i = 0; i < req->nhdrs; i++)
		if (req->hdrs[i].id == SIP_HDR_VIA)
			w_hdr(&w, "Via", req->hdrs[i].value, req->hdrs[i].value_len);
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		switch (h->id) {
		case SIP_HDR_FROM:
			w_hdr(&w, "From", h->value, h->value_len);
			break;
		case SIP_HDR_TO:
			w_str(&w, "To: ");
			w_put(&w, h->value, h->value_len);
			if (status > 100 && to_tag != NULL && !value_has_tag(h->value, h->value_len))
				w_fmt(&w, ";tag=%s", to_tag);
			w_str(&w, "\r\n");
			break;
		default:
			break;
		}
	}
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		if (h->id == SIP_HDR_CALL_ID)
			w_hdr(&w, "Call-ID", h->value, h->value_len);
	}
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		if (h->id == SIP_HDR_CSEQ)
			w_hdr(&w, "CSeq", h->value, h->value_len);
	}
	if (extra != NULL)
		w_str(&w, extra);
	w_str(&w, "Content-Length: 0\r\n\r\n");
	return w_finish(&w, len);
}

static uint16_t
default_port(enum sip_transport tp)
{
	return tp == SIP_TRANSPORT_TLS ? 5061 : 5060;
}

static void
w_hostport(struct wbuf *w, const char *host, uint16_t port)
{
	if (strchr(host, ':') != NULL && host[0] != '[')
		w_fmt(w, "[%s]", host);
	else
		w_str(w, host);
	if (port != 0)
		w_fmt(w, ":%u", (unsigned)port);
}

static const char *
tp_lower(enum sip_transport tp)
{
	switch (tp) {
	case SIP_TRANSPORT_TCP:
		return "tcp";
	case SIP_TRANSPORT_TLS:
		return "tls";
	case SIP_TRANSPORT_UDP:
	default:
		return "udp";
	}
}

static bool
host_eq(const char *a, const char *b)
{
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	if (*a == '[')
		a++;
	if (*b == '[')
		b++;
	la = strcspn(a, "]");
	lb = strcspn(b, "]");
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Whether an osip URI names one of our hops (host and effective port). */
static bool
uri_is_self(const osip_uri_t *u, const struct sip_fwd *f)
{
	osip_uri_param_t *tp = NULL;
	uint64_t port = 0;
	bool tls;
	unsigned i;

	if (u == NULL || u->host == NULL)
		return false;
	osip_uri_param_get_byname((osip_list_t *)&u->url_params, "transport", &tp);
	tls = (u->scheme != NULL && strcasecmp(u->scheme, "sips") == 0) ||
	    (tp != NULL && tp->gvalue != NULL && strcasecmp(tp->gvalue, "tls") == 0);
	if (u->port != NULL && !sip_parse_uint(u->port, strlen(u->port), 65535, &port))
		return false;
	if (port == 0)
		port = tls ? 5061 : 5060;
	for (i = 0; i < f->nself; i++) {
		const struct sip_hop *h = &f->self[i];
		uint16_t hp = h->port != 0 ? h->port : default_port(h->transport);

		if (host_eq(u->host, h->host) && hp == port)
			return true;
	}
	return false;
}

static void
w_body_headers(struct wbuf *w, const char *ctype, size_t body_len)
{
	if (ctype != NULL)
		w_fmt(w, "Content-Type: %s\r\n", ctype);
	w_fmt(w, "Content-Length: %zu\r\n\r\n", body_len);
}

/*
 * Serializes u and writes it only if libosip2 parses the result back: its
 * serializer can emit what its parser refuses (an empty password, found by
 * fuzz_sip), and the next hop must not get that. EINVAL then.
 */
static int
uri_checked(struct wbuf *w, osip_uri_t *u)
{
	osip_uri_t *back = NULL;
	char *s = NULL;
	int err = 0;

	if (osip_uri_to_str(u, &s) != 0 || s == NULL)
		return ENOMEM;
	if (osip_uri_init(&back) != 0) {
		err = ENOMEM;
		goto out;
	}
	if (osip_uri_parse(back, s) != 0 || strpbrk(s, " \t\r\n<>\"") != NULL)
		err = EINVAL;
	else
		w_str(w, s);
 out:
	osip_uri_free(back);
	osip_free(s);
	return err;
}

static int
ruri_rewrite(struct wbuf *w, const struct sip_msg *req, const struct sip_fwd *f)
{
	osip_uri_t *u = NULL;
	osip_uri_param_t *p = NULL;
	char port[8];
	int err;

	if (osip_uri_clone(req->osip->req_uri, &u) != 0)
		return ENOMEM;
	if (f->ruri_user != NULL) {
		/* A new user part drops the (deprecated, RFC 3261 §19.1.1) password. */
		osip_free(u->username);
		osip_free(u->password);
		u->password = NULL;
		u->username = f->ruri_user[0] != '\0' ? osip_strdup(f->ruri_user) : NULL;
	}
	if (f->ruri_host != NULL) {
		osip_free(u->host);
		u->host = osip_strdup(f->ruri_host);
		osip_free(u->port);
		u->port = NULL;
		if (f->ruri_port != 0) {
			snprintf(port, sizeof(port), "%u", (unsigned)f->ruri_port);
			u->port = osip_strdup(port);
		}
	}
	if (f->ruri_transport != NULL) {
		if (osip_uri_param_get_byname(&u->url_params, "transport", &p) == 0 && p != NULL) {
			osip_free(p->gvalue);
			p->gvalue = osip_strdup(f->ruri_transport);
		} else {
			osip_uri_uparam_add(u, osip_strdup("transport"),
			    osip_strdup(f->ruri_transport));
		}
	}
	err = uri_checked(w, u);
	osip_uri_free(u);
	return err;
}

/*
 * Writes the top Via header with the first element's received/rport stamped: its
 * params are copied except those two, which are appended with our values.
 */
static void
w_via_stamped(struct wbuf *w, const struct sip_hdr *h, const struct sip_fwd *f)
{
	const char *v = h->value;
	size_t n = h->value_len, first = first_list_len(v, n), i = 0, s;
	bool had_rport = false, inq = false;

	w_str(w, "Via: ");
	/* protocol and sent-by: everything before the first ';' */
	while (i < first && v[i] != ';')
		i++;
	w_put(w, v, i);
	while (i < first) {
		size_t name_s, name_e;

		s = i++;	/* at ';' */
		while (i < first && (v[i] == ' ' || v[i] == '\t'))
			i++;
		name_s = i;
		while (i < first && v[i] != ';' && v[i] != '=' && v[i] != ' ' && v[i] != '\t')
			i++;
		name_e = i;
		for (; i < first; i++) {
			if (v[i] == '"')
				inq = !inq;
			else if (!inq && v[i] == ';')
				break;
		}
		if (name_e - name_s == 5 && strncasecmp(v + name_s, "rport", 5) == 0) {
			had_rport = true;
			if (f->rport != 0)
				continue;
		} else if (f->received != NULL && name_e - name_s == 8 &&
		    strncasecmp(v + name_s, "received", 8) == 0) {
			continue;
		}
		w_put(w, v + s, i - s);
	}
	if (f->received != NULL)
		w_fmt(w, ";received=%s", f->received);
	if (had_rport && f->rport != 0)
		w_fmt(w, ";rport=%u", (unsigned)f->rport);
	w_put(w, v + first, n - first);
	w_str(w, "\r\n");
}

#define ROUTE_SET_MAX 32	/* Route entries we handle in one request */

/* One entry of the Route set: its text as received (unfolded) and its own parse. */
struct route_elem {
	const char *p;
	size_t n;
	osip_route_t *r;	/* owned */
};

static void
route_set_free(struct route_elem *e, unsigned n)
{
	while (n > 0)
		osip_route_free(e[--n].r);
}

/*
 * Splits every Route header into its entries, in order, and parses each on its
 * own. Entries are written back from their received text, never re-serialized:
 * libosip2's serializer turned "<sip:h;>" into "<sip:h>;>" (found by fuzz_sip).
 */
static int
route_set_load(const struct sip_msg *req, struct route_elem *e, unsigned *np)
{
	unsigned i, n = 0;
	int err = 0;

	for (i = 0; i < req->nhdrs && err == 0; i++) {
		const struct sip_hdr *h = &req->hdrs[i];
		size_t off = 0, first;

		if (h->id != SIP_HDR_ROUTE)
			continue;
		while (off < h->value_len && err == 0) {
			char *tmp;

			first = first_list_len(h->value + off, h->value_len - off);
			if (first == 0 || n == ROUTE_SET_MAX) {
				err = EINVAL;
				break;
			}
			tmp = strndup(h->value + off, first);
			if (tmp == NULL || osip_route_init(&e[n].r) != 0) {
				free(tmp);
				err = ENOMEM;
				break;
			}
			if (osip_route_parse(e[n].r, tmp) != 0 || e[n].r->url == NULL) {
				osip_route_free(e[n].r);
				err = EINVAL;
			} else {
				e[n].p = h->value + off;
				e[n].n = first;
				n++;
			}
			free(tmp);
			off += first;
			while (off < h->value_len && (h->value[off] == ',' ||
			    h->value[off] == ' ' || h->value[off] == '\t'))
				off++;
		}
	}
	if (err)
		route_set_free(e, n);
	else
		*np = n;
	return err;
}

static int build_request(struct wbuf *w, const struct sip_msg *req, const struct sip_fwd *f,
    const struct route_elem *routes, unsigned nroutes);

int
sip_build_request(char *buf, size_t size, size_t *len, const struct sip_msg *req,
    const struct sip_fwd *f)
{
	struct route_elem routes[ROUTE_SET_MAX];
	struct wbuf w = { buf, size, 0, false };
	unsigned nroutes = 0;
	int err;

	if (!req->request || req->osip_failed || f == NULL || f->via == NULL ||
	    f->via->host == NULL || f->branch == NULL || has_crlf(f->branch) ||
	    has_crlf(f->ruri_user) || has_crlf(f->ruri_host) || has_crlf(f->ruri_transport) ||
	    has_crlf(f->content_type) || !addr_ok(f->received) ||
	    (f->body != NULL && f->content_type == NULL) ||
	    (f->rr_in == NULL) != (f->rr_out == NULL) || !extra_ok(f->extra))
		return EINVAL;
	if (req->max_forwards == 0)
		return ELOOP;
	err = route_set_load(req, routes, &nroutes);
	if (err)
		return err;
	err = build_request(&w, req, f, routes, nroutes);
	route_set_free(routes, nroutes);
	if (err)
		return err;
	return w_finish(&w, len);
}

static int
build_request(struct wbuf *w, const struct sip_msg *req, const struct sip_fwd *f,
    const struct route_elem *routes, unsigned nroutes)
{
	const char *body;
	size_t body_len;
	unsigned i, strip = 0, keep_end = nroutes;
	bool strict = false, routes_done = false, mf_done = false, via_done = false;
	int err;

	/* A strict router before us put our URI in the Request-URI (RFC 3261 §16.4). */
	if (nroutes > 0 && uri_is_self(req->osip->req_uri, f)) {
		strict = true;
		keep_end = nroutes - 1;
	}
	while (strip < keep_end && uri_is_self(routes[strip].r->url, f))
		strip++;

	w_str(w, req->method);
	w_str(w, " ");
	if (strict) {
		err = uri_checked(w, routes[nroutes - 1].r->url);
		if (err)
			return err;
	} else if (f->ruri_user != NULL || f->ruri_host != NULL || f->ruri_transport != NULL) {
		err = ruri_rewrite(w, req, f);
		if (err)
			return err;
	} else {
		w_str(w, req->ruri_str);
	}
	w_str(w, " SIP/2.0\r\n");
	w_fmt(w, "Via: SIP/2.0/%s ", sip_transport_name(f->via->transport));
	w_hostport(w, f->via->host, f->via->port);
	w_fmt(w, ";branch=%s\r\n", f->branch);
	if (f->rr_out != NULL) {
		const struct sip_hop *rr[2] = { f->rr_out, f->rr_in };

		for (i = 0; i < 2; i++) {
			if (rr[i]->host == NULL || has_crlf(rr[i]->host))
				return EINVAL;
			w_str(w, "Record-Route: <sip:");
			w_hostport(w, rr[i]->host, rr[i]->port != 0 ? rr[i]->port :
			    default_port(rr[i]->transport));
			w_fmt(w, ";transport=%s;lr>\r\n", tp_lower(rr[i]->transport));
		}
	}
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		switch (h->id) {
		case SIP_HDR_VIA:
			if (!via_done && (f->received != NULL || f->rport != 0)) {
				via_done = true;
				w_via_stamped(w, h, f);
				continue;
			}
			via_done = true;
			break;
		case SIP_HDR_MAX_FORWARDS:
			if (!mf_done)
				w_fmt(w, "Max-Forwards: %u\r\n", req->max_forwards - 1);
			mf_done = true;
			continue;
		case SIP_HDR_ROUTE:
			if (strip == 0 && !strict)
				break;
			/* The Route set changes: write what is left, in order, once. */
			if (!routes_done) {
				unsigned r;

				for (r = strip; r < keep_end; r++)
					w_hdr(w, "Route", routes[r].p, routes[r].n);
			}
			routes_done = true;
			continue;
		case SIP_HDR_CONTENT_LENGTH:
		case SIP_HDR_CONTENT_TYPE:
			if (h->id == SIP_HDR_CONTENT_TYPE && f->body == NULL)
				break;
			continue;
		default:
			break;
		}
		w_put(w, req->raw + h->line_off, h->line_len);
	}
	if (!mf_done)
		w_fmt(w, "Max-Forwards: %u\r\n", SIP_MAX_FORWARDS_DEFAULT);
	if (f->extra != NULL)
		w_str(w, f->extra);
	if (f->body != NULL) {
		body = f->body;
		body_len = f->body_len;
	} else {
		body = req->raw + req->body_off;
		body_len = req->body_len;
	}
	w_body_headers(w, f->body != NULL ? f->content_type : NULL, body_len);
	w_put(w, body, body_len);
	return 0;
}

int
sip_build_response_fwd(char *buf, size_t size, size_t *len, const struct sip_msg *resp,
    const char *body, size_t body_len, const char *content_type)
{
	struct wbuf w = { buf, size, 0, false };
	bool top_done = false;
	unsigned i, nvia = 0;

	if (resp->request || (body != NULL && content_type == NULL) || has_crlf(content_type))
		return EINVAL;
	for (i = 0; i < resp->nhdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		if (h->id == SIP_HDR_VIA)
			nvia += first_list_len(h->value, h->value_len) < h->value_len ? 2 : 1;
	}
	if (nvia < 2)
		return ENOENT;
	w_put(&w, resp->raw, resp->start_len);
	w_str(&w, "\r\n");
	for (i = 0; i < resp->nhdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		if (h->id == SIP_HDR_VIA && !top_done) {
			size_t first = first_list_len(h->value, h->value_len), rest;

			top_done = true;
			if (first >= h->value_len)
				continue;	/* the whole line was our Via */
			/* "Via: ours, theirs": keep what follows the first comma. */
			rest = first;
			while (rest < h->value_len && (h->value[rest] == ',' ||
			    h->value[rest] == ' ' || h->value[rest] == '\t'))
				rest++;
			w_hdr(&w, "Via", h->value + rest, h->value_len - rest);
			continue;
		}
		if (h->id == SIP_HDR_CONTENT_LENGTH)
			continue;
		if (h->id == SIP_HDR_CONTENT_TYPE && body != NULL)
			continue;
		w_put(&w, resp->raw + h->line_off, h->line_len);
	}
	if (body == NULL) {
		body = resp->raw + resp->body_off;
		body_len = resp->body_len;
		content_type = NULL;
	}
	w_body_headers(&w, content_type, body_len);
	w_put(&w, body, body_len);
	return w_finish(&w, len);
}

/* CANCEL and ACK share everything but the method and where To comes from. */
static int
build_cancel_ack(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const char *method, const struct sip_hdr *to)
{
	struct wbuf w = { buf, size, 0, false };
	const struct sip_hdr *via = sip_msg_hdr_find(sent, SIP_HDR_VIA, 0);
	const struct sip_hdr *from = sip_msg_hdr_find(sent, SIP_HDR_FROM, 0);
	const struct sip_hdr *cid = sip_msg_hdr_find(sent, SIP_HDR_CALL_ID, 0);
	unsigned i;

	if (!sent->request || strcmp(sent->method, "INVITE") != 0 || via == NULL ||
	    from == NULL || cid == NULL || to == NULL || !sent->cseq_ok)
		return EINVAL;
	w_fmt(&w, "%s %s SIP/2.0\r\n", method, sent->ruri_str);
	w_hdr(&w, "Via", via->value, first_list_len(via->value, via->value_len));
	for (i = 0; i < sent->nhdrs; i++)
		if (sent->hdrs[i].id == SIP_HDR_ROUTE)
			w_put(&w, sent->raw + sent->hdrs[i].line_off, sent->hdrs[i].line_len);
	w_str(&w, "Max-Forwards: 70\r\n");
	w_hdr(&w, "From", from->value, from->value_len);
	w_hdr(&w, "To", to->value, to->value_len);
	w_hdr(&w, "Call-ID", cid->value, cid->value_len);
	w_fmt(&w, "CSeq: %u %s\r\n", (unsigned)sent->cseq, method);
	w_str(&w, "Content-Length: 0\r\n\r\n");
	return w_finish(&w, len);
}

int
sip_build_cancel(char *buf, size_t size, size_t *len, const struct sip_msg *sent)
{
	return build_cancel_ack(buf, size, len, sent, "CANCEL",
	    sip_msg_hdr_find(sent, SIP_HDR_TO, 0));
}

int
sip_build_ack(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const struct sip_msg *resp)
{
	if (resp->request || resp->status < 300 || resp->status > 699)
		return EINVAL;
	return build_cancel_ack(buf, size, len, sent, "ACK",
	    sip_msg_hdr_find(resp, SIP_HDR_TO, 0));
}

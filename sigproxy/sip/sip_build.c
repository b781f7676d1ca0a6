/* SPDX-License-Identifier: BSD-2-Clause */
/* Forwarding: requests and responses as text edits on the received bytes, so untouched headers pass verbatim. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_port.h>

#include "sip_int.h"

/* An IP literal for ";received=": nothing that could end the parameter. */
static bool
addr_ok(const char *s)
{
	return s == NULL || (*s != '\0' && strspn(s, "0123456789abcdefABCDEF.:[]") == strlen(s));
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

bool
sip_uri_names_hop(const osip_uri_t *u, const struct sip_hop *hops, unsigned n)
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
	for (i = 0; i < n; i++) {
		const struct sip_hop *h = &hops[i];
		uint16_t hp = h->port != 0 ? h->port : sip_default_port(h->transport);

		if (host_eq(u->host, h->host) && hp == port)
			return true;
	}
	return false;
}

/* Whether an osip URI names one of our hops. */
static bool
uri_is_self(const osip_uri_t *u, const struct sip_fwd *f)
{
	return sip_uri_names_hop(u, f->self, f->nself);
}

bool
sip_uri_text_ok(const char *s)
{
	osip_uri_t *u = NULL;
	bool ok;

	if (s == NULL || *s == '\0' || strpbrk(s, " \t\r\n<>\"") != NULL ||
	    osip_uri_init(&u) != 0)
		return false;
	ok = osip_uri_parse(u, s) == 0 && u->host != NULL;
	osip_uri_free(u);
	return ok;
}

/*
 * Serializes u and writes it only if libosip2 parses the result back: its
 * serializer can emit what its parser refuses (an empty password, found by
 * fuzz_sip), and the next hop must not get that. EINVAL then.
 */
static int
uri_checked(struct sip_wbuf *w, osip_uri_t *u)
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
		sip_wbuf_str(w, s);
 out:
	osip_uri_free(back);
	osip_free(s);
	return err;
}

static int
ruri_rewrite(struct sip_wbuf *w, const struct sip_msg *req, const struct sip_fwd *f)
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
w_via_stamped(struct sip_wbuf *w, const struct sip_hdr *h, const struct sip_fwd *f)
{
	const char *v = h->value;
	size_t n = h->value_len, first = sip_list_first_len(v, n), i = 0, s;
	bool had_rport = false, inq = false;

	sip_wbuf_str(w, "Via: ");
	/* protocol and sent-by: everything before the first ';' */
	while (i < first && v[i] != ';')
		i++;
	sip_wbuf_put(w, v, i);
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
		sip_wbuf_put(w, v + s, i - s);
	}
	if (f->received != NULL)
		sip_wbuf_fmt(w, ";received=%s", f->received);
	if (had_rport && f->rport != 0)
		sip_wbuf_fmt(w, ";rport=%u", (unsigned)f->rport);
	sip_wbuf_put(w, v + first, n - first);
	sip_wbuf_str(w, "\r\n");
}

void
sip_entries_free(struct sip_entry *e, unsigned n)
{
	while (n > 0)
		osip_route_free(e[--n].r);
}

/*
 * Entries are written back from their received text, never re-serialized:
 * libosip2's serializer turned "<sip:h;>" into "<sip:h>;>" (found by fuzz_sip).
 */
int
sip_entries_load(const struct sip_msg *req, enum sip_hdr_id id, struct sip_entry *e,
    unsigned *np)
{
	unsigned i, n = 0;
	int err = 0;

	for (i = 0; i < req->nhdrs && err == 0; i++) {
		const struct sip_hdr *h = &req->hdrs[i];
		size_t off = 0, first;

		if (h->id != id)
			continue;
		while (off < h->value_len && err == 0) {
			char *tmp;

			first = sip_list_first_len(h->value + off, h->value_len - off);
			if (first == 0 || n == SIP_ENTRIES_MAX) {
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
		sip_entries_free(e, n);
	else
		*np = n;
	return err;
}

static int build_request(struct sip_wbuf *w, const struct sip_msg *req, const struct sip_fwd *f,
    const struct sip_entry *routes, unsigned nroutes);

int
sip_build_request(char *buf, size_t size, size_t *len, const struct sip_msg *req,
    const struct sip_fwd *f)
{
	struct sip_entry routes[SIP_ENTRIES_MAX];
	struct sip_wbuf w = { buf, size, 0, false };
	unsigned nroutes = 0;
	int err;

	if (!req->request || req->osip_failed || f == NULL || f->via == NULL ||
	    f->via->host == NULL || f->branch == NULL || sip_has_crlf(f->branch) ||
	    sip_has_crlf(f->ruri_user) || sip_has_crlf(f->ruri_host) || sip_has_crlf(f->ruri_transport) ||
	    sip_has_crlf(f->content_type) || !addr_ok(f->received) ||
	    (f->body != NULL && f->content_type == NULL) ||
	    (f->rr_in != NULL && f->rr_out == NULL) || !sip_extra_ok(f->extra) ||
	    (f->ruri != NULL && !sip_uri_text_ok(f->ruri)) ||
	    (f->contact != NULL && !sip_uri_text_ok(f->contact)) || sip_has_crlf(f->routes) ||
	    !sip_call_id_ok(f->call_id))
		return EINVAL;
	if (req->max_forwards == 0)
		return ELOOP;
	err = sip_entries_load(req, SIP_HDR_ROUTE, routes, &nroutes);
	if (err)
		return err;
	err = build_request(&w, req, f, routes, nroutes);
	sip_entries_free(routes, nroutes);
	if (err)
		return err;
	return sip_wbuf_finish(&w, len);
}

static int
build_request(struct sip_wbuf *w, const struct sip_msg *req, const struct sip_fwd *f,
    const struct sip_entry *routes, unsigned nroutes)
{
	const char *body;
	size_t body_len;
	unsigned i, strip = 0, keep_end = nroutes;
	bool strict = false, routes_done = false, mf_done = false, via_done = false;
	bool contact_done = false;
	int err;

	/* A strict router before us put our URI in the Request-URI (RFC 3261 §16.4). */
	if (f->ruri == NULL && nroutes > 0 && uri_is_self(req->osip->req_uri, f)) {
		strict = true;
		keep_end = nroutes - 1;
	}
	while (strip < keep_end && uri_is_self(routes[strip].r->url, f))
		strip++;

	sip_wbuf_str(w, req->method);
	sip_wbuf_str(w, " ");
	if (f->ruri != NULL) {
		sip_wbuf_str(w, f->ruri);
	} else if (strict) {
		err = uri_checked(w, routes[nroutes - 1].r->url);
		if (err)
			return err;
	} else if (f->ruri_user != NULL || f->ruri_host != NULL || f->ruri_transport != NULL) {
		err = ruri_rewrite(w, req, f);
		if (err)
			return err;
	} else {
		sip_wbuf_str(w, req->ruri_str);
	}
	sip_wbuf_str(w, " SIP/2.0\r\n");
	sip_wbuf_via(w, f->via, f->branch);
	if (f->rr_out != NULL) {
		const struct sip_hop *rr[2] = { f->rr_out, f->rr_in };

		for (i = 0; i < 2 && rr[i] != NULL; i++) {
			if (rr[i]->host == NULL || sip_has_crlf(rr[i]->host))
				return EINVAL;
			sip_wbuf_str(w, "Record-Route: ");
			sip_wbuf_rr_entry(w, rr[i]);
			sip_wbuf_str(w, "\r\n");
		}
	}
	if (f->routes != NULL && f->routes[0] != '\0')
		sip_wbuf_hdr(w, "Route", f->routes, strlen(f->routes));
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		switch (h->id) {
		case SIP_HDR_VIA:
			if (f->via_hide)
				continue;
			if (!via_done && (f->received != NULL || f->rport != 0)) {
				via_done = true;
				w_via_stamped(w, h, f);
				continue;
			}
			via_done = true;
			break;
		case SIP_HDR_MAX_FORWARDS:
			if (!mf_done)
				sip_wbuf_fmt(w, "Max-Forwards: %u\r\n", req->max_forwards - 1);
			mf_done = true;
			continue;
		case SIP_HDR_RECORD_ROUTE:
			if (f->rr_strip)
				continue;
			break;
		case SIP_HDR_CONTACT:
			if (f->contact == NULL)
				break;
			sip_wbuf_contact_once(w, f->contact, &contact_done);
			continue;
		case SIP_HDR_CALL_ID:
			if (f->call_id == NULL)
				break;
			sip_wbuf_hdr(w, "Call-ID", f->call_id, strlen(f->call_id));
			continue;
		case SIP_HDR_CSEQ:
			if (f->cseq == 0 || req->cseq_method == NULL)
				break;
			sip_wbuf_fmt(w, "CSeq: %u %s\r\n", (unsigned)f->cseq, req->cseq_method);
			continue;
		case SIP_HDR_ROUTE:
			if (f->routes != NULL)
				continue;
			if (strip == 0 && !strict)
				break;
			/* The Route set changes: write what is left, in order, once. */
			if (!routes_done) {
				unsigned r;

				for (r = strip; r < keep_end; r++)
					sip_wbuf_hdr(w, "Route", routes[r].p, routes[r].n);
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
		sip_wbuf_put(w, req->raw + h->line_off, h->line_len);
	}
	if (!mf_done)
		sip_wbuf_fmt(w, "Max-Forwards: %u\r\n", SIP_MAX_FORWARDS_DEFAULT);
	if (f->extra != NULL)
		sip_wbuf_str(w, f->extra);
	if (f->body != NULL) {
		body = f->body;
		body_len = f->body_len;
	} else {
		body = req->raw + req->body_off;
		body_len = req->body_len;
	}
	sip_wbuf_body_headers(w, f->body != NULL ? f->content_type : NULL, body_len);
	sip_wbuf_put(w, body, body_len);
	return 0;
}

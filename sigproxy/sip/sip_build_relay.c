/* SPDX-License-Identifier: BSD-2-Clause */
/* Responses relayed upstream: our Via off, body replaced, and the topology edits of a hidden side. */
#include <errno.h>
#include <string.h>

#include "sip_int.h"

/* Index of the first Record-Route entry naming hop; n when none does. */
static unsigned
rr_first_naming(const struct sip_entry *e, unsigned n, const struct sip_hop *hop)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (sip_uri_names_hop(e[i].r->url, hop, 1))
			return i;
	return n;
}

/* The Record-Route set as edited: kept received entries, our entry, the request's lines. */
static void
rr_write(struct sip_wbuf *w, const struct sip_msg *resp, const struct sip_relay *r,
    const struct sip_entry *e, unsigned n, unsigned from)
{
	unsigned i;

	if (r->rr_drop)
		return;
	if (r->rr_from == NULL) {
		/* nothing removed: the received lines verbatim */
		for (i = 0; i < resp->nhdrs; i++)
			if (resp->hdrs[i].id == SIP_HDR_RECORD_ROUTE)
				sip_wbuf_put(w, resp->raw + resp->hdrs[i].line_off,
				    resp->hdrs[i].line_len);
	} else {
		for (i = from; i < n; i++) {
			sip_wbuf_str(w, "Record-Route: ");
			sip_wbuf_put(w, e[i].p, e[i].n);
			sip_wbuf_str(w, "\r\n");
		}
	}
	if (r->rr_hop != NULL) {
		sip_wbuf_str(w, "Record-Route: ");
		sip_wbuf_rr_entry(w, r->rr_hop);
		sip_wbuf_str(w, "\r\n");
	}
	if (r->rr_lines != NULL)
		sip_wbuf_str(w, r->rr_lines);
}

static bool
relay_ok(const struct sip_relay *r)
{
	return (r->body == NULL || r->content_type != NULL) && !sip_has_crlf(r->content_type) &&
	    (r->contact == NULL || sip_uri_text_ok(r->contact)) && sip_extra_ok(r->vias) &&
	    sip_extra_ok(r->rr_lines) && sip_call_id_ok(r->call_id) && (r->rr_hop == NULL ||
	    (r->rr_hop->host != NULL && !sip_has_crlf(r->rr_hop->host)));
}

/* Headers from resp with r's edits; e[n] its Record-Route entries, kept from index from. */
static void
relay_headers(struct sip_wbuf *w, const struct sip_msg *resp, const struct sip_relay *r,
    const struct sip_entry *e, unsigned n, unsigned from)
{
	bool top_done = false, rr_done = false, contact_done = false;
	unsigned i;

	for (i = 0; i < resp->nhdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		switch (h->id) {
		case SIP_HDR_VIA:
			if (top_done)
				break;
			top_done = true;
			if (r->vias != NULL) {
				/* ours was the only Via it carried: the request's own come back */
				sip_wbuf_str(w, r->vias);
				continue;
			}
			{
				size_t first = sip_list_first_len(h->value, h->value_len), rest;

				if (first >= h->value_len)
					continue;	/* the whole line was our Via */
				/* "Via: ours, theirs": keep what follows the first comma. */
				rest = first;
				while (rest < h->value_len && (h->value[rest] == ',' ||
				    h->value[rest] == ' ' || h->value[rest] == '\t'))
					rest++;
				sip_wbuf_hdr(w, "Via", h->value + rest, h->value_len - rest);
			}
			continue;
		case SIP_HDR_RECORD_ROUTE:
			if (!rr_done)
				rr_write(w, resp, r, e, n, from);
			rr_done = true;
			continue;
		case SIP_HDR_CONTACT:
			if (r->contact == NULL)
				break;
			sip_wbuf_contact_once(w, r->contact, &contact_done);
			continue;
		case SIP_HDR_CALL_ID:
			if (r->call_id == NULL)
				break;
			sip_wbuf_hdr(w, "Call-ID", r->call_id, strlen(r->call_id));
			continue;
		case SIP_HDR_CSEQ:
			if (r->cseq == 0 || resp->cseq_method == NULL)
				break;
			sip_wbuf_fmt(w, "CSeq: %u %s\r\n", (unsigned)r->cseq, resp->cseq_method);
			continue;
		case SIP_HDR_CONTENT_LENGTH:
			continue;
		case SIP_HDR_CONTENT_TYPE:
			if (r->body != NULL)
				continue;
			break;
		default:
			break;
		}
		if (h->id == SIP_HDR_VIA && r->vias != NULL)
			continue;	/* a Via below ours: none when the request hid them */
		sip_wbuf_put(w, resp->raw + h->line_off, h->line_len);
	}
	/* a response without Record-Route still gets the entries the request went without */
	if (!rr_done && (r->rr_hop != NULL || r->rr_lines != NULL))
		rr_write(w, resp, r, e, n, from);
}

int
sip_build_response_relay(char *buf, size_t size, size_t *len, const struct sip_msg *resp,
    const struct sip_relay *r)
{
	static const struct sip_relay none;
	struct sip_entry e[SIP_ENTRIES_MAX];
	struct sip_wbuf w = { buf, size, 0, false };
	const char *body, *ctype;
	size_t body_len;
	unsigned i, nvia = 0, n = 0, from = 0;

	if (r == NULL)
		r = &none;
	if (resp->request || !relay_ok(r))
		return EINVAL;
	for (i = 0; i < resp->nhdrs; i++) {
		const struct sip_hdr *h = &resp->hdrs[i];

		if (h->id == SIP_HDR_VIA)
			nvia += sip_list_first_len(h->value, h->value_len) < h->value_len ? 2 : 1;
	}
	/* our Via alone is enough when the request's own come from r */
	if (nvia < (r->vias != NULL ? 1u : 2u))
		return ENOENT;
	/* entries that do not parse cannot be told apart: a hidden side gets none of them */
	if (r->rr_from != NULL && !r->rr_drop) {
		if (sip_entries_load(resp, SIP_HDR_RECORD_ROUTE, e, &n) != 0)
			n = 0;
		from = rr_first_naming(e, n, r->rr_from);
	}
	sip_wbuf_put(&w, resp->raw, resp->start_len);
	sip_wbuf_str(&w, "\r\n");
	relay_headers(&w, resp, r, e, n, from);
	sip_entries_free(e, n);
	body = r->body;
	body_len = r->body_len;
	ctype = r->content_type;
	if (body == NULL) {
		body = resp->raw + resp->body_off;
		body_len = resp->body_len;
		ctype = NULL;
	}
	sip_wbuf_body_headers(&w, ctype, body_len);
	sip_wbuf_put(&w, body, body_len);
	return sip_wbuf_finish(&w, len);
}

int
sip_build_response_fwd(char *buf, size_t size, size_t *len, const struct sip_msg *resp,
    const char *body, size_t body_len, const char *content_type)
{
	struct sip_relay r;

	memset(&r, 0, sizeof(r));
	r.body = body;
	r.body_len = body_len;
	r.content_type = content_type;
	return sip_build_response_relay(buf, size, len, resp, &r);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requests of the SBC's own inside a dialog (BYE, re-INVITE, their ACK), built from what a
 * dialog record holds rather than from a received message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip_int.h"

/*
 * A stored party URI as it may stand in From or To: bytes a URI cannot hold raw (controls,
 * space, '<', '>', '"', non-ASCII: libosip2 hands out users %-decoded) are %-escaped again.
 */
static void
wbuf_uri(struct sip_wbuf *w, const char *u)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)u;
	char e[3];

	for (; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '<' && *p != '>' && *p != '"') {
			sip_wbuf_put(w, (const char *)p, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[*p >> 4];
		e[2] = hex[*p & 15];
		sip_wbuf_put(w, e, 3);
	}
}

/* A tag, Call-ID, branch or method goes out as stored: one non-empty word on its line. */
static bool
word_ok(const char *s)
{
	return s != NULL && *s != '\0' && strpbrk(s, " \t\r\n") == NULL;
}

static bool
uac_ok(const struct sip_uac_req *r)
{
	return word_ok(r->method) && sip_uri_text_ok(r->ruri) && r->via != NULL &&
	    r->via->host != NULL && !sip_has_crlf(r->via->host) && word_ok(r->branch) &&
	    r->from_uri != NULL && r->from_uri[0] != '\0' && r->to_uri != NULL &&
	    r->to_uri[0] != '\0' &&
	    word_ok(r->from_tag) && word_ok(r->to_tag) && word_ok(r->call_id) &&
	    r->cseq != 0 && !sip_has_crlf(r->routes) &&
	    (r->contact == NULL || sip_uri_text_ok(r->contact)) &&
	    (r->extra == NULL || sip_extra_ok(r->extra)) &&
	    (r->body == NULL || (r->content_type != NULL && !sip_has_crlf(r->content_type)));
}

int
sip_build_uac(char *buf, size_t size, size_t *len, const struct sip_uac_req *r)
{
	struct sip_wbuf w = { buf, size, 0, false };

	if (r == NULL || !uac_ok(r))
		return EINVAL;
	sip_wbuf_fmt(&w, "%s %s SIP/2.0\r\n", r->method, r->ruri);
	sip_wbuf_via(&w, r->via, r->branch);
	sip_wbuf_str(&w, "Max-Forwards: 70\r\n");
	if (r->routes != NULL && r->routes[0] != '\0')
		sip_wbuf_hdr(&w, "Route", r->routes, strlen(r->routes));
	sip_wbuf_str(&w, "From: <");
	wbuf_uri(&w, r->from_uri);
	sip_wbuf_fmt(&w, ">;tag=%s\r\nTo: <", r->from_tag);
	wbuf_uri(&w, r->to_uri);
	sip_wbuf_fmt(&w, ">;tag=%s\r\n", r->to_tag);
	sip_wbuf_fmt(&w, "Call-ID: %s\r\nCSeq: %u %s\r\n", r->call_id, (unsigned)r->cseq,
	    r->method);
	if (r->contact != NULL)
		sip_wbuf_fmt(&w, "Contact: <%s>\r\n", r->contact);
	if (r->extra != NULL)
		sip_wbuf_str(&w, r->extra);
	sip_wbuf_body_headers(&w, r->body != NULL ? r->content_type : NULL,
	    r->body != NULL ? r->body_len : 0);
	if (r->body != NULL)
		sip_wbuf_put(&w, r->body, r->body_len);
	return sip_wbuf_finish(&w, len);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requests of our own inside a dialog, built from what a dialog record holds rather than
 * from a received message: the BYE an operator's hang-up sends to each party.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip_int.h"

/*
 * A stored URI as it may stand in a header: bytes a URI cannot hold raw (controls, space,
 * '<', '>', '"', non-ASCII: libosip2 hands out users %-decoded) are %-escaped again.
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

/*
 * A tag or Call-ID goes back byte for byte as the party sent it (that is how it matches its
 * dialog): anything but an empty value or one that would end the header line.
 */
static bool
word_ok(const char *s)
{
	return s != NULL && *s != '\0' && !sip_has_crlf(s);
}

int
sip_build_in_dialog(char *buf, size_t size, size_t *len, const struct sip_dialog_req *r)
{
	struct sip_wbuf w = { buf, size, 0, false };

	if (r->method == NULL || !word_ok(r->method) || r->ruri == NULL || r->ruri[0] == '\0' ||
	    r->via == NULL || r->via->host == NULL || sip_has_crlf(r->via->host) ||
	    !word_ok(r->branch) || r->from_uri == NULL || r->to_uri == NULL ||
	    !word_ok(r->from_tag) || !word_ok(r->to_tag) || !word_ok(r->call_id) ||
	    (r->routes != NULL && sip_has_crlf(r->routes)) ||
	    (r->extra != NULL && !sip_extra_ok(r->extra)))
		return EINVAL;
	sip_wbuf_fmt(&w, "%s ", r->method);
	wbuf_uri(&w, r->ruri);
	sip_wbuf_str(&w, " SIP/2.0\r\n");
	sip_wbuf_via(&w, r->via, r->branch);
	sip_wbuf_str(&w, "Max-Forwards: 70\r\n");
	if (r->routes != NULL && r->routes[0] != '\0')
		sip_wbuf_fmt(&w, "Route: %s\r\n", r->routes);
	sip_wbuf_str(&w, "From: <");
	wbuf_uri(&w, r->from_uri);
	sip_wbuf_fmt(&w, ">;tag=%s\r\nTo: <", r->from_tag);
	wbuf_uri(&w, r->to_uri);
	sip_wbuf_fmt(&w, ">;tag=%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n", r->to_tag, r->call_id,
	    (unsigned)r->cseq, r->method);
	if (r->extra != NULL)
		sip_wbuf_str(&w, r->extra);
	sip_wbuf_str(&w, "Content-Length: 0\r\n\r\n");
	return sip_wbuf_finish(&w, len);
}

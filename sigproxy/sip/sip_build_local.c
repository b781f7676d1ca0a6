/* SPDX-License-Identifier: BSD-2-Clause */
/* Messages the proxy writes itself: local responses, CANCEL, ACK, BYE, OPTIONS; branches and tags. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rand.h"
#include "sip_int.h"

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
	const char *lt = sip_unquoted_chr(v, n, '<'), *gtp = NULL;
	size_t i, gt = 0, s;

	if (lt != NULL)
		gtp = sip_unquoted_chr(lt, n - (size_t)(lt - v), '>');
	if (gtp != NULL)
		gt = (size_t)(gtp - v) + 1;
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

int
sip_build_response(char *buf, size_t size, size_t *len, const struct sip_msg *req,
    int status, const char *reason, const char *to_tag, const char *extra)
{
	struct sip_wbuf w = { buf, size, 0, false };
	unsigned i;

	if (!req->request || status < 100 || status > 699 || sip_has_crlf(reason) ||
	    sip_has_crlf(to_tag) || !sip_extra_ok(extra))
		return EINVAL;
	if (reason == NULL)
		reason = sip_reason_phrase(status);
	sip_wbuf_fmt(&w, "SIP/2.0 %d %s\r\n", status, reason);
	for (i = 0; i < req->nhdrs; i++)
		if (req->hdrs[i].id == SIP_HDR_VIA)
			sip_wbuf_hdr(&w, "Via", req->hdrs[i].value, req->hdrs[i].value_len);
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		switch (h->id) {
		case SIP_HDR_FROM:
			sip_wbuf_hdr(&w, "From", h->value, h->value_len);
			break;
		case SIP_HDR_TO:
			sip_wbuf_str(&w, "To: ");
			sip_wbuf_put(&w, h->value, h->value_len);
			if (status > 100 && to_tag != NULL && !value_has_tag(h->value, h->value_len))
				sip_wbuf_fmt(&w, ";tag=%s", to_tag);
			sip_wbuf_str(&w, "\r\n");
			break;
		default:
			break;
		}
	}
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		if (h->id == SIP_HDR_CALL_ID)
			sip_wbuf_hdr(&w, "Call-ID", h->value, h->value_len);
	}
	for (i = 0; i < req->nhdrs; i++) {
		const struct sip_hdr *h = &req->hdrs[i];

		if (h->id == SIP_HDR_CSEQ)
			sip_wbuf_hdr(&w, "CSeq", h->value, h->value_len);
	}
	if (extra != NULL)
		sip_wbuf_str(&w, extra);
	sip_wbuf_str(&w, "Content-Length: 0\r\n\r\n");
	return sip_wbuf_finish(&w, len);
}

/* CANCEL and ACK share everything but the method and where To comes from. */
static int
build_cancel_ack(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const char *method, const struct sip_hdr *to)
{
	struct sip_wbuf w = { buf, size, 0, false };
	const struct sip_hdr *via = sip_msg_hdr_find(sent, SIP_HDR_VIA, 0);
	const struct sip_hdr *from = sip_msg_hdr_find(sent, SIP_HDR_FROM, 0);
	const struct sip_hdr *cid = sip_msg_hdr_find(sent, SIP_HDR_CALL_ID, 0);
	unsigned i;

	if (!sent->request || strcmp(sent->method, "INVITE") != 0 || via == NULL ||
	    from == NULL || cid == NULL || to == NULL || !sent->cseq_ok)
		return EINVAL;
	sip_wbuf_fmt(&w, "%s %s SIP/2.0\r\n", method, sent->ruri_str);
	sip_wbuf_hdr(&w, "Via", via->value, sip_list_first_len(via->value, via->value_len));
	for (i = 0; i < sent->nhdrs; i++)
		if (sent->hdrs[i].id == SIP_HDR_ROUTE)
			sip_wbuf_put(&w, sent->raw + sent->hdrs[i].line_off, sent->hdrs[i].line_len);
	sip_wbuf_str(&w, "Max-Forwards: 70\r\n");
	sip_wbuf_hdr(&w, "From", from->value, from->value_len);
	sip_wbuf_hdr(&w, "To", to->value, to->value_len);
	sip_wbuf_hdr(&w, "Call-ID", cid->value, cid->value_len);
	sip_wbuf_fmt(&w, "CSeq: %u %s\r\n", (unsigned)sent->cseq, method);
	sip_wbuf_str(&w, "Content-Length: 0\r\n\r\n");
	return sip_wbuf_finish(&w, len);
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

/* ACK or BYE of ours inside the dialog a 2xx to our INVITE sent set up. */
static int
build_in_dialog(char *buf, size_t size, size_t *len, const char *method, uint32_t cseq,
    const struct sip_msg *sent, const struct sip_msg *resp, const struct sip_hop *via,
    const char *branch)
{
	struct sip_wbuf w = { buf, size, 0, false };
	const struct sip_hdr *from = sip_msg_hdr_find(sent, SIP_HDR_FROM, 0);
	const struct sip_hdr *to = sip_msg_hdr_find(resp, SIP_HDR_TO, 0);
	const char *cid = sip_msg_call_id(resp);
	struct sip_addr ct;

	if (resp->request || resp->status < 200 || resp->status > 299 || from == NULL ||
	    to == NULL || cid == NULL || via == NULL || via->host == NULL || branch == NULL ||
	    sip_has_crlf(branch) || sip_msg_contact(resp, 0, &ct) || ct.uri.host == NULL)
		return EINVAL;
	/* the remote target (RFC 3261 §12.1.2): the 2xx's Contact, reduced to user, host, port */
	sip_wbuf_fmt(&w, "%s sip:%s%s%s", method, ct.uri.user ? ct.uri.user : "",
	    ct.uri.user ? "@" : "", ct.uri.host);
	if (ct.uri.port)
		sip_wbuf_fmt(&w, ":%u", (unsigned)ct.uri.port);
	sip_wbuf_str(&w, " SIP/2.0\r\n");
	sip_wbuf_via(&w, via, branch);
	sip_wbuf_str(&w, "Max-Forwards: 70\r\n");
	sip_wbuf_hdr(&w, "From", from->value, strlen(from->value));
	sip_wbuf_hdr(&w, "To", to->value, strlen(to->value));
	sip_wbuf_fmt(&w, "Call-ID: %s\r\nCSeq: %u %s\r\n", cid, (unsigned)cseq, method);
	sip_wbuf_str(&w, "Content-Length: 0\r\n\r\n");
	return sip_wbuf_finish(&w, len);
}

int
sip_build_ack_2xx(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const struct sip_msg *resp, const struct sip_hop *via, const char *branch)
{
	return build_in_dialog(buf, size, len, "ACK", sip_msg_cseq(resp), sent, resp, via,
	    branch);
}

int
sip_build_bye(char *buf, size_t size, size_t *len, const struct sip_msg *sent,
    const struct sip_msg *resp, const struct sip_hop *via, const char *branch)
{
	return build_in_dialog(buf, size, len, "BYE", sip_msg_cseq(resp) + 1, sent, resp, via,
	    branch);
}

int
sip_build_options(char *buf, size_t size, size_t *len, const char *target,
    const struct sip_hop *via, const char *branch, const char *from_tag, const char *call_id,
    uint32_t cseq)
{
	struct sip_wbuf w = { buf, size, 0, false };

	if (target == NULL || via == NULL || via->host == NULL || branch == NULL ||
	    from_tag == NULL || call_id == NULL || sip_has_crlf(target) || sip_has_crlf(branch) ||
	    sip_has_crlf(from_tag) || sip_has_crlf(call_id) || sip_has_crlf(via->host))
		return EINVAL;
	sip_wbuf_fmt(&w, "OPTIONS sip:%s SIP/2.0\r\n", target);
	sip_wbuf_via(&w, via, branch);
	sip_wbuf_str(&w, "Max-Forwards: 70\r\n");
	sip_wbuf_fmt(&w, "From: <sip:sigproxy@%s>;tag=%s\r\nTo: <sip:%s>\r\nCall-ID: %s\r\n",
	    via->host, from_tag, target, call_id);
	sip_wbuf_fmt(&w, "CSeq: %u OPTIONS\r\nContent-Length: 0\r\n\r\n", (unsigned)cseq);
	return sip_wbuf_finish(&w, len);
}

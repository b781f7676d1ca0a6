/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * e2e_ua's SIP over UDP: the caller's INVITE, ACK and BYE; the callee's answer; both
 * parties' handling of re-INVITEs (an offer answered, or none: our offer in the 2xx and
 * the answer in the ACK), of BYE (its Reason kept) and of CSeq order (RFC 3261 §12.2.2:
 * a request whose CSeq is not above the last one gets 500, as a real UA answers it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e_ua.h"

/* ---- reading ---- */

/* Whether line starts with header name (or its compact form c) and a colon. */
static const char *
hdr_value(const char *line, size_t len, const char *name, char c)
{
	size_t n = strlen(name), i;

	if (len > n && strncasecmp(line, name, n) == 0)
		i = n;
	else if (c != 0 && len > 1 && (line[0] == c || line[0] == c - 32) &&
	    (line[1] == ':' || line[1] == ' '))
		i = 1;
	else
		return NULL;
	while (i < len && line[i] == ' ')
		i++;
	if (i >= len || line[i] != ':')
		return NULL;
	for (i++; i < len && line[i] == ' '; i++)
		;
	return line + i;
}

/* The idx-th value of header name into out; 0 or ENOENT. */
static int
hdr(const char *msg, const char *name, char c, unsigned idx, char *out, size_t size)
{
	const char *p = strstr(msg, "\r\n"), *end = strstr(msg, "\r\n\r\n");

	while (p != NULL && end != NULL && p < end) {
		const char *line = p + 2, *eol = strstr(line, "\r\n"), *v;

		if (eol == NULL)
			break;
		v = hdr_value(line, (size_t)(eol - line), name, c);
		if (v != NULL && idx-- == 0) {
			snprintf(out, size, "%.*s", (int)(eol - v), v);
			return 0;
		}
		p = eol;
	}
	return ENOENT;
}

/* ;name= of a header value (tag), "" when absent. */
static void
param(const char *v, const char *name, char *out, size_t size)
{
	char key[32];
	const char *p, *e;

	snprintf(key, sizeof(key), ";%s=", name);
	out[0] = '\0';
	if ((p = strstr(v, key)) == NULL)
		return;
	p += strlen(key);
	e = p + strcspn(p, ";>, \r\n");
	snprintf(out, size, "%.*s", (int)(e - p), p);
}

/* The URI of a name-addr (inside <>) or addr-spec (up to ';'). */
static void
uri_of(const char *v, char *out, size_t size)
{
	const char *lt = strchr(v, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		snprintf(out, size, "%.*s", (int)(gt - lt - 1), lt + 1);
		return;
	}
	snprintf(out, size, "%.*s", (int)strcspn(v, ";"), v);
}

/* host:port of a sip URI into an address (default port 5060). */
static int
uri_addr(const char *uri, struct sockaddr_in *a)
{
	char host[64];
	const char *p = strchr(uri, '@') ? strchr(uri, '@') + 1 : strchr(uri, ':') + 1;
	size_t n = strcspn(p, ":;>");
	unsigned port = 5060;

	if (p == (const char *)1 || n >= sizeof(host))
		return EINVAL;
	memcpy(host, p, n);
	host[n] = '\0';
	if (p[n] == ':')
		port = (unsigned)strtoul(p + n + 1, NULL, 10);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : EINVAL;
}

static const char *
body_of(const char *msg, size_t len, size_t *blen)
{
	const char *b = strstr(msg, "\r\n\r\n");

	if (b == NULL) {
		*blen = 0;
		return "";
	}
	b += 4;
	*blen = len - (size_t)(b - msg);
	return b;
}

/* ---- writing ---- */

static void
send_msg(int fd, const char *msg, size_t len, const struct sockaddr_in *to)
{
	(void)sendto(fd, msg, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

/* Where a request of l goes: its route set's first entry, else the peer's Contact. */
static int
next_hop(const struct ua *u, const struct ua_leg *l, struct sockaddr_in *to)
{
	char first[256];

	if (l->caller && l->contact[0] == '\0') {
		*to = u->sbc;	/* before any dialog: where the INVITE went */
		return 0;
	}
	if (l->route[0] != '\0') {
		uri_of(l->route, first, sizeof(first));
		return uri_addr(first, to);
	}
	return uri_addr(l->contact, to);
}

/* A request of ours in l's dialog (ACK keeps the INVITE's CSeq). */
static size_t
request_build(struct ua *u, struct ua_leg *l, const char *method, uint32_t cseq,
    const char *body, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];
	const struct sockaddr_in *me = l->caller ? &u->caller_sip : &u->callee_sip;
	int n;

	inet_ntop(AF_INET, &me->sin_addr, ip, sizeof(ip));
	n = snprintf(buf, size, "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bK-ua%08x%04x\r\n"
	    "Max-Forwards: 70\r\n%s%s%sFrom: <%s>;tag=%s\r\nTo: <%s>%s%s\r\nCall-ID: %s\r\n"
	    "CSeq: %u %s\r\nContact: <sip:%s@%s:%u>\r\n%sContent-Length: %zu\r\n\r\n%s",
	    method, strcmp(method, "INVITE") == 0 && !l->up ? l->remote_uri : l->contact, ip,
	    ntohs(me->sin_port), (unsigned)random(), (unsigned)random() & 0xffff,
	    l->route[0] ? "Route: " : "", l->route, l->route[0] ? "\r\n" : "", l->local_uri,
	    l->local_tag, l->remote_uri, l->remote_tag[0] ? ";tag=" : "", l->remote_tag,
	    l->call_id, (unsigned)cseq, method, l->caller ? "caller" : "callee", ip,
	    ntohs(me->sin_port), body != NULL ? "Content-Type: application/sdp\r\n" : "",
	    body != NULL ? strlen(body) : 0, body != NULL ? body : "");
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* Our response to req: its Via, From, To (our tag), Call-ID, CSeq; initial: its Record-Route. */
static size_t
response_build(struct ua *u, const struct ua_leg *l, const char *req, int status,
    bool initial, const char *body, char *buf, size_t size)
{
	char v[1024], line[1200], ip[INET_ADDRSTRLEN], totag[200];
	const struct sockaddr_in *me = l->caller ? &u->caller_sip : &u->callee_sip;
	size_t off;
	unsigned i;
	int n;

	off = (size_t)snprintf(buf, size, "SIP/2.0 %d %s\r\n", status, status == 200 ? "OK" :
	    status == 180 ? "Ringing" : status == 487 ? "Request Terminated" :
	    "Server Internal Error");
	for (i = 0; hdr(req, "Via", 'v', i, v, sizeof(v)) == 0; i++)
		off += (size_t)snprintf(buf + off, size - off, "Via: %s\r\n", v);
	for (i = 0; initial && hdr(req, "Record-Route", 0, i, v, sizeof(v)) == 0; i++)
		off += (size_t)snprintf(buf + off, size - off, "Record-Route: %s\r\n", v);
	if (hdr(req, "From", 'f', 0, v, sizeof(v)) == 0)
		off += (size_t)snprintf(buf + off, size - off, "From: %s\r\n", v);
	if (hdr(req, "To", 't', 0, v, sizeof(v)) == 0) {
		param(v, "tag", totag, sizeof(totag));
		snprintf(line, sizeof(line), "To: %s%s%s\r\n", v, totag[0] ? "" : ";tag=",
		    totag[0] ? "" : l->local_tag);
		off += (size_t)snprintf(buf + off, size - off, "%s", line);
	}
	if (hdr(req, "Call-ID", 'i', 0, v, sizeof(v)) == 0)
		off += (size_t)snprintf(buf + off, size - off, "Call-ID: %s\r\n", v);
	if (hdr(req, "CSeq", 0, 0, v, sizeof(v)) == 0)
		off += (size_t)snprintf(buf + off, size - off, "CSeq: %s\r\n", v);
	inet_ntop(AF_INET, &me->sin_addr, ip, sizeof(ip));
	n = snprintf(buf + off, size - off, "Contact: <sip:%s@%s:%u>\r\n%sContent-Length: %zu\r\n\r\n%s",
	    l->caller ? "caller" : "callee", ip, ntohs(me->sin_port),
	    body != NULL ? "Content-Type: application/sdp\r\n" : "", body != NULL ? strlen(body) : 0,
	    body != NULL ? body : "");
	return off < size && n > 0 && (size_t)n < size - off ? off + (size_t)n : 0;
}

static void
random_tag(char *buf, size_t size)
{
	snprintf(buf, size, "%08lx%04lx", random(), random() & 0xffff);
}

/* ---- the caller ---- */

int
ua_invite(struct ua *u, struct ua_call *c)
{
	struct ua_leg *l = &c->caller;
	char ip[INET_ADDRSTRLEN], sbc[INET_ADDRSTRLEN], sdp[1024];
	unsigned i;

	inet_ntop(AF_INET, &u->caller_sip.sin_addr, ip, sizeof(ip));
	inet_ntop(AF_INET, &u->sbc.sin_addr, sbc, sizeof(sbc));
	l->caller = true;
	snprintf(l->call_id, sizeof(l->call_id), "ua-%d-%u@%s", (int)getpid(), c->idx, ip);
	random_tag(l->local_tag, sizeof(l->local_tag));
	snprintf(l->local_uri, sizeof(l->local_uri), "sip:caller%u@%s", c->idx, ip);
	snprintf(l->remote_uri, sizeof(l->remote_uri), "sip:%llu@%s:%u",
	    strtoull(u->user, NULL, 10) + c->idx, sbc, ntohs(u->sbc.sin_port));
	l->tx_key.suite = CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80;
	l->tx_key.key_salt_len = 30;
	for (i = 0; i < 30; i++)
		l->tx_key.key_salt[i] = (unsigned char)random();
	l->tx_tag = 1;
	if (srtp_ctx_create(&l->tx, l->tx_key.suite, &l->tx_key, SRTP_CTX_OUTBOUND, NULL))
		return EINVAL;
	l->ssrc = (uint32_t)random();
	/* near 65535, the sequence wraps soon: the rollover counter is 1 from then on */
	l->seq = u->first_seq >= 0 ? (uint16_t)u->first_seq : (uint16_t)random();
	c->callee.ssrc = (uint32_t)random();
	if (ua_sdp_build(l, 1, sdp, sizeof(sdp)))
		return EINVAL;
	l->local_cseq = 1;
	c->invite_len = request_build(u, l, "INVITE", 1, sdp, c->invite, sizeof(c->invite));
	if (c->invite_len == 0)
		return ENOSPC;
	send_msg(u->caller_fd, c->invite, c->invite_len, &u->sbc);
	c->invite_tries = 1;
	c->invite_next = ua_now_ms() + 500;
	return 0;
}

static void
leg_request(struct ua *u, struct ua_leg *l, const char *method, uint32_t cseq, const char *body)
{
	char buf[UA_MSG_MAX];
	struct sockaddr_in to;
	size_t n = request_build(u, l, method, cseq, body, buf, sizeof(buf));

	if (n > 0 && next_hop(u, l, &to) == 0)
		send_msg(l->caller ? u->caller_fd : u->callee_fd, buf, n, &to);
}

void
ua_bye(struct ua *u, struct ua_call *c)
{
	if (!c->caller.up || c->caller.byed || c->bye_sent)
		return;
	c->bye_sent = true;
	leg_request(u, &c->caller, "BYE", ++c->caller.local_cseq, NULL);
}

/* A response on the caller's socket: to its INVITE, or its BYE. */
static void
caller_response(struct ua *u, struct ua_call *c, const char *msg, size_t len)
{
	struct ua_leg *l = &c->caller;
	char cseq[64], v[1024], rr[16][256];
	const char *body;
	size_t blen, off = 0;
	int status = atoi(msg + 8), i, n = 0;

	if (hdr(msg, "CSeq", 0, 0, cseq, sizeof(cseq)) != 0)
		return;
	if (strstr(cseq, "BYE") != NULL) {
		c->bye_done = status >= 200;
		return;
	}
	if (strstr(cseq, "INVITE") == NULL)
		return;
	if (status < 200) {
		c->invite_tries = 100;	/* no more retransmissions */
		return;
	}
	if (status >= 300) {
		if (c->final_status == 0) {
			c->final_status = status;
			if (hdr(msg, "Reason", 0, 0, c->final_reason, sizeof(c->final_reason)) != 0)
				c->final_reason[0] = '\0';
		}
		c->invite_tries = 100;
		leg_request(u, l, "ACK", 1, NULL);	/* hop by hop: to the SBC */
		return;
	}
	if (!c->answered) {
		if (hdr(msg, "To", 't', 0, v, sizeof(v)) == 0)
			param(v, "tag", l->remote_tag, sizeof(l->remote_tag));
		if (hdr(msg, "Contact", 'm', 0, v, sizeof(v)) == 0)
			uri_of(v, l->contact, sizeof(l->contact));
		/* a response's Record-Route lists the callee's side first: reversed */
		while (n < 16 && hdr(msg, "Record-Route", 0, (unsigned)n, rr[n], sizeof(rr[0])) == 0)
			n++;
		l->route[0] = '\0';
		for (i = n - 1; i >= 0; i--)
			off += (size_t)snprintf(l->route + off, sizeof(l->route) - off, "%s%s",
			    off ? ", " : "", rr[i]);
		body = body_of(msg, len, &blen);
		if (ua_sdp_apply(l, body, blen, NULL) != 0) {
			fprintf(stderr, "call %u: unusable SDP in the 200\n", c->idx);
			return;
		}
		c->answered = true;
		l->up = true;
		c->invite_tries = 100;
		printf("ua_answered i=%u callid=%s\n", c->idx, l->call_id);
		fflush(stdout);
	}
	leg_request(u, l, "ACK", 1, NULL);
}

/* ---- both parties ---- */

static void
pending_set(struct ua_leg *l, const char *buf, size_t n, const struct sockaddr_in *to)
{
	memcpy(l->pending, buf, n);
	l->pending_len = n;
	l->pending_to = *to;
	l->pending_tries = 1;
	l->pending_next = ua_now_ms() + 500;
}

static void
reply(struct ua *u, struct ua_leg *l, const char *req, int status, bool initial,
    const char *body, const struct sockaddr_in *to, bool keep)
{
	char buf[UA_MSG_MAX];
	size_t n = response_build(u, l, req, status, initial, body, buf, sizeof(buf));

	if (n == 0)
		return;
	send_msg(l->caller ? u->caller_fd : u->callee_fd, buf, n, to);
	if (keep)
		pending_set(l, buf, n, to);
}

/* The callee's first INVITE: its dialog, the relay's offer applied, our answer. */
static void
callee_invite(struct ua *u, struct ua_call *c, const char *msg, size_t len,
    const struct sockaddr_in *from)
{
	struct ua_leg *l = &c->callee;
	char v[1024], sdp[1024];
	const char *body;
	size_t blen, off = 0;
	unsigned i;

	if (l->up || c->ringing || c->cancelled) {
		/* a retransmission: the answer again */
		if (l->pending_len > 0)
			send_msg(u->callee_fd, l->pending, l->pending_len, from);
		return;
	}
	if (u->ring_ms > 0 && c->answer_at == 0) {
		/* 180 now, the 2xx later (ua_sip_timers), unless a CANCEL comes first */
		random_tag(l->local_tag, sizeof(l->local_tag));
		c->ringing = true;
		c->answer_at = ua_now_ms() + u->ring_ms;
		memcpy(c->ring_invite, msg, len);
		c->ring_invite[len] = '\0';
		c->ring_len = len;
		c->ring_from = *from;
		hdr(msg, "Call-ID", 'i', 0, l->call_id, sizeof(l->call_id));
		reply(u, l, msg, 180, false, NULL, from, false);
		return;
	}
	l->caller = false;
	hdr(msg, "Call-ID", 'i', 0, l->call_id, sizeof(l->call_id));
	if (l->local_tag[0] == '\0')
		random_tag(l->local_tag, sizeof(l->local_tag));
	if (hdr(msg, "From", 'f', 0, v, sizeof(v)) == 0) {
		param(v, "tag", l->remote_tag, sizeof(l->remote_tag));
		uri_of(v, l->remote_uri, sizeof(l->remote_uri));
	}
	if (hdr(msg, "To", 't', 0, v, sizeof(v)) == 0)
		uri_of(v, l->local_uri, sizeof(l->local_uri));
	if (hdr(msg, "Contact", 'm', 0, v, sizeof(v)) == 0)
		uri_of(v, l->contact, sizeof(l->contact));
	for (i = 0; hdr(msg, "Record-Route", 0, i, v, sizeof(v)) == 0; i++)
		off += (size_t)snprintf(l->route + off, sizeof(l->route) - off, "%s%s",
		    off ? ", " : "", v);
	if (hdr(msg, "CSeq", 0, 0, v, sizeof(v)) == 0)
		l->remote_cseq = (uint32_t)strtoul(v, NULL, 10);
	body = body_of(msg, len, &blen);
	if (ua_sdp_apply(l, body, blen, NULL) != 0 || ua_sdp_build(l, 0, sdp, sizeof(sdp)) != 0) {
		reply(u, l, msg, 500, false, NULL, from, false);
		return;
	}
	l->up = true;
	reply(u, l, msg, 200, true, sdp, from, true);
}

/* A request inside l's dialog. */
static void
in_dialog(struct ua *u, struct ua_leg *l, const char *method, const char *msg, size_t len,
    const struct sockaddr_in *from)
{
	char v[1024], sdp[1024];
	size_t blen;
	const char *body = body_of(msg, len, &blen);
	uint32_t cseq = 0, tag = 1;

	if (hdr(msg, "CSeq", 0, 0, v, sizeof(v)) == 0)
		cseq = (uint32_t)strtoul(v, NULL, 10);
	if (strcmp(method, "ACK") == 0) {
		if (l->answer_in_ack && blen > 0)
			ua_sdp_apply(l, body, blen, NULL);
		l->answer_in_ack = false;
		l->pending_len = 0;
		return;
	}
	if (cseq <= l->remote_cseq) {
		if (cseq == l->remote_cseq && l->pending_len > 0) {
			send_msg(l->caller ? u->caller_fd : u->callee_fd, l->pending, l->pending_len,
			    from);	/* a retransmission */
			return;
		}
		l->cseq_errors++;
		fprintf(stderr, "%s: %s with CSeq %u after %u: 500\n", l->caller ? "caller" :
		    "callee", method, (unsigned)cseq, (unsigned)l->remote_cseq);
		reply(u, l, msg, 500, false, NULL, from, false);
		return;
	}
	l->remote_cseq = cseq;
	if (strcmp(method, "BYE") == 0) {
		l->byed = true;
		l->bye_ms = ua_now_ms();
		if (hdr(msg, "Reason", 0, 0, l->bye_reason, sizeof(l->bye_reason)) != 0)
			l->bye_reason[0] = '\0';
		reply(u, l, msg, 200, false, NULL, from, false);
		return;
	}
	if (strcmp(method, "INVITE") != 0) {
		reply(u, l, msg, 200, false, NULL, from, false);
		return;
	}
	/* a target refresh */
	if (hdr(msg, "Contact", 'm', 0, v, sizeof(v)) == 0)
		uri_of(v, l->contact, sizeof(l->contact));
	l->reinvites++;
	if (blen == 0) {
		/* no offer: ours goes in the 2xx, the answer comes in the ACK */
		l->offerless++;
		l->answer_in_ack = true;
	} else if (ua_sdp_apply(l, body, blen, &tag) != 0) {
		reply(u, l, msg, 500, false, NULL, from, false);
		return;
	}
	if (ua_sdp_build(l, tag, sdp, sizeof(sdp)) != 0)
		return;
	reply(u, l, msg, 200, false, sdp, from, true);
}

static struct ua_call *
call_by_id(struct ua *u, bool caller, const char *call_id)
{
	unsigned i;

	for (i = 0; i < u->ncalls; i++) {
		struct ua_leg *l = caller ? &u->calls[i].caller : &u->calls[i].callee;

		if (strcmp(l->call_id, call_id) == 0)
			return &u->calls[i];
	}
	return NULL;
}

void
ua_sip_recv(struct ua *u, bool caller, const char *buf, size_t len,
    const struct sockaddr_in *from)
{
	char msg[UA_MSG_MAX + 1], call_id[160], to[1024], totag[160], method[16];
	struct ua_call *c;
	unsigned i;

	if (len == 0 || len > UA_MSG_MAX)
		return;
	memcpy(msg, buf, len);
	msg[len] = '\0';
	if (hdr(msg, "Call-ID", 'i', 0, call_id, sizeof(call_id)) != 0)
		return;
	c = call_by_id(u, caller, call_id);
	if (strncmp(msg, "SIP/2.0 ", 8) == 0) {
		if (c != NULL && caller)
			caller_response(u, c, msg, len);
		return;
	}
	snprintf(method, sizeof(method), "%.*s", (int)strcspn(msg, " "), msg);
	totag[0] = '\0';
	if (hdr(msg, "To", 't', 0, to, sizeof(to)) == 0)
		param(to, "tag", totag, sizeof(totag));
	if (!caller && totag[0] == '\0' && strcmp(method, "CANCEL") == 0) {
		/* the caller (or the SBC) gave up while we rang: 200 to it, 487 to the INVITE */
		if (c == NULL || !c->ringing)
			return;
		reply(u, &c->callee, msg, 200, false, NULL, from, false);
		reply(u, &c->callee, c->ring_invite, 487, false, NULL, &c->ring_from, true);
		c->ringing = false;
		c->cancelled = true;
		return;
	}
	if (!caller && totag[0] == '\0' && strcmp(method, "INVITE") == 0) {
		/* a new call for the callee: the one with this Call-ID, else the next waiting */
		if (c == NULL)
			c = call_by_id(u, true, call_id);
		for (i = 0; c == NULL && i < u->ncalls; i++)
			if (!u->calls[i].callee.up && u->calls[i].invite_tries > 0)
				c = &u->calls[i];
		if (c != NULL)
			callee_invite(u, c, msg, len, from);
		return;
	}
	if (c == NULL)
		return;
	in_dialog(u, caller ? &c->caller : &c->callee, method, msg, len, from);
}

void
ua_sip_timers(struct ua *u, uint64_t now)
{
	unsigned i, k;

	for (i = 0; i < u->ncalls; i++) {
		struct ua_call *c = &u->calls[i];

		if (c->ringing && now >= c->answer_at) {
			c->ringing = false;
			callee_invite(u, c, c->ring_invite, c->ring_len, &c->ring_from);
		}
		if (!c->answered && c->invite_tries > 0 && c->invite_tries < 7 &&
		    now >= c->invite_next) {
			send_msg(u->caller_fd, c->invite, c->invite_len, &u->sbc);
			c->invite_next = now + (500u << c->invite_tries++);
		}
		for (k = 0; k < 2; k++) {
			struct ua_leg *l = k == 0 ? &c->caller : &c->callee;

			if (l->pending_len == 0 || now < l->pending_next)
				continue;
			if (l->pending_tries >= 7) {
				l->pending_len = 0;	/* no ACK came */
				continue;
			}
			send_msg(k == 0 ? u->caller_fd : u->callee_fd, l->pending, l->pending_len,
			    &l->pending_to);
			l->pending_next = now + (500u << l->pending_tries++);
		}
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* e2e_ua's media: the SDP each party sends and reads, its socket, 20 ms packets both ways. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "e2e_ua.h"
#include "sdp.h"

#define RTP_HDR 12

uint64_t
ua_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
ua_media_open(struct ua_leg *l, const char *ip)
{
	socklen_t sl = sizeof(l->media_local);

	l->media_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (l->media_fd < 0)
		return errno;
	memset(&l->media_local, 0, sizeof(l->media_local));
	l->media_local.sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &l->media_local.sin_addr) != 1 ||
	    bind(l->media_fd, (struct sockaddr *)&l->media_local, sizeof(l->media_local)) != 0 ||
	    getsockname(l->media_fd, (struct sockaddr *)&l->media_local, &sl) != 0)
		return errno ? errno : EINVAL;
	return 0;
}

void
ua_media_close(struct ua_leg *l)
{
	if (l->media_fd > 0)
		close(l->media_fd);
	srtp_ctx_destroy(l->tx);
	srtp_ctx_destroy(l->rx_ctx);
	l->tx = l->rx_ctx = NULL;
}

int
ua_sdp_build(const struct ua_leg *l, uint32_t tag, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN], crypto[SDP_CRYPTO_LINE_MAX + 4] = "";
	size_t cl = 0;
	int n;

	inet_ntop(AF_INET, &l->media_local.sin_addr, ip, sizeof(ip));
	if (l->caller) {
		if (sdp_crypto_format(crypto, SDP_CRYPTO_LINE_MAX, tag, &l->tx_key, 0, &cl))
			return EINVAL;
		memcpy(crypto + cl, "\r\n", 3);
	}
	n = snprintf(buf, size, "v=0\r\no=%s 1 %u IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
	    "m=audio %u %s 0\r\na=rtpmap:0 PCMU/8000\r\n%sa=sendrecv\r\n",
	    l->caller ? "caller" : "callee", l->reinvites + 1, ip, ip,
	    ntohs(l->media_local.sin_port), l->caller ? "RTP/SAVP" : "RTP/AVP", crypto);
	return n > 0 && (size_t)n < size ? 0 : ENOSPC;
}

/* The value of line (no CRLF) after prefix, or NULL. */
static const char *
after(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(line, prefix, n) == 0 ? line + n : NULL;
}

int
ua_sdp_apply(struct ua_leg *l, const char *sdp, size_t len, uint32_t *tag)
{
	char ip[64] = "", line[512];
	const char *p = sdp, *end = sdp + len, *v, *reason;
	unsigned port = 0;
	struct sdp_crypto cr;
	bool got_key = false;
	struct sockaddr_in to;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1),
		    p);
		p = nl != NULL ? nl + 1 : end;
		if ((v = after(line, "c=IN IP4 ")) != NULL)
			snprintf(ip, sizeof(ip), "%s", v);
		else if ((v = after(line, "m=audio ")) != NULL)
			port = (unsigned)strtoul(v, NULL, 10);
		else if ((v = after(line, "a=crypto:")) != NULL && !got_key && l->caller &&
		    sdp_crypto_parse(&cr, v, strlen(v), &reason) == 0)
			got_key = true;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (port == 0 || port > 65535 || inet_pton(AF_INET, ip, &to.sin_addr) != 1)
		return EBADMSG;
	if (l->caller && !got_key)
		return EBADMSG;	/* never plain towards the SRTP party */
	l->media_remote = to;
	l->have_remote = true;
	if (l->caller) {
		if (tag != NULL)
			*tag = cr.tag;
		/* a new key is a new SRTP session from the relay; the same one goes on */
		if (!l->have_rx_key || memcmp(&cr.key, &l->rx_key, sizeof(cr.key)) != 0) {
			struct srtp_ctx *n;

			if (srtp_ctx_create(&n, cr.key.suite, &cr.key, SRTP_CTX_INBOUND, NULL))
				return EBADMSG;
			srtp_ctx_destroy(l->rx_ctx);
			l->rx_ctx = n;
			l->rx_key = cr.key;
			l->have_rx_key = true;
		}
	}
	return 0;
}

/* The payload of packet n of call idx in direction dir (0: caller to callee). */
static void
payload_fill(uint8_t *p, unsigned idx, unsigned dir, uint32_t n)
{
	unsigned i;

	p[0] = 'U';
	p[1] = (uint8_t)idx;
	p[2] = (uint8_t)dir;
	p[3] = (uint8_t)(n >> 24);
	p[4] = (uint8_t)(n >> 16);
	p[5] = (uint8_t)(n >> 8);
	p[6] = (uint8_t)n;
	for (i = 7; i < UA_PAYLOAD; i++)
		p[i] = (uint8_t)(i * 7 + n + idx);
}

static bool
payload_ok(const uint8_t *p, size_t len, unsigned idx, unsigned dir)
{
	uint8_t want[UA_PAYLOAD];
	uint32_t n;

	if (len != UA_PAYLOAD || p[0] != 'U' || p[1] != (uint8_t)idx || p[2] != (uint8_t)dir)
		return false;
	n = (uint32_t)p[3] << 24 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
	payload_fill(want, idx, dir, n);
	return memcmp(p, want, UA_PAYLOAD) == 0;
}

static void
leg_send(struct ua_leg *l, unsigned idx)
{
	uint8_t buf[RTP_HDR + UA_PAYLOAD + 64] __attribute__((aligned(4)));
	size_t len = RTP_HDR + UA_PAYLOAD;

	if (!l->up || l->byed || l->stop || !l->have_remote)
		return;
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(l->seq >> 8);
	buf[3] = (uint8_t)l->seq;
	buf[4] = (uint8_t)(l->ts >> 24);
	buf[5] = (uint8_t)(l->ts >> 16);
	buf[6] = (uint8_t)(l->ts >> 8);
	buf[7] = (uint8_t)l->ts;
	buf[8] = (uint8_t)(l->ssrc >> 24);
	buf[9] = (uint8_t)(l->ssrc >> 16);
	buf[10] = (uint8_t)(l->ssrc >> 8);
	buf[11] = (uint8_t)l->ssrc;
	payload_fill(buf + RTP_HDR, idx, l->caller ? 0 : 1, l->sent);
	if (l->caller && (l->tx == NULL || srtp_ctx_protect_rtp(l->tx, buf, &len, sizeof(buf))))
		return;
	(void)sendto(l->media_fd, buf, len, 0, (struct sockaddr *)&l->media_remote,
	    sizeof(l->media_remote));
	l->seq++;
	l->ts += UA_PAYLOAD;
	l->sent++;
}

void
ua_media_send(struct ua *u, struct ua_call *c)
{
	leg_send(&c->caller, c->idx);
	leg_send(&c->callee, c->idx);
}

static void
leg_note(struct ua_leg *l, uint64_t now)
{
	if (l->rx > 0 && now - l->last_rx > l->gap) {
		l->gap = now - l->last_rx;
		l->gap_start = l->last_rx;
		l->gap_end = now;
	}
	if (l->rx > 0 && now - l->last_rx > UA_GAP_MS && l->ngaps < 8) {
		l->gaps[l->ngaps][0] = l->last_rx;
		l->gaps[l->ngaps++][1] = now;
	}
	if (l->rx == 0)
		l->first_rx = now;
	l->rx++;
	l->last_rx = now;
}

void
ua_media_recv(struct ua *u, struct ua_call *c, bool caller)
{
	struct ua_leg *l = caller ? &c->caller : &c->callee;
	uint8_t buf[2048] __attribute__((aligned(4)));
	ssize_t n;
	size_t len;

	while ((n = recv(l->media_fd, buf, sizeof(buf), 0)) > 0) {
		len = (size_t)n;
		if (len < RTP_HDR) {
			l->bad++;
			continue;
		}
		if (caller) {
			/* the plain payload must never reach the SRTP party */
			if (payload_ok(buf + RTP_HDR, len - RTP_HDR, c->idx, 1)) {
				l->bad++;
				continue;
			}
			if (!l->have_rx_key || l->rx_ctx == NULL ||
			    srtp_ctx_unprotect_rtp(l->rx_ctx, buf, &len)) {
				l->authfail++;
				continue;
			}
		}
		if (!payload_ok(buf + RTP_HDR, len - RTP_HDR, c->idx, caller ? 1 : 0)) {
			l->bad++;
			continue;
		}
		leg_note(l, ua_now_ms());
	}
}

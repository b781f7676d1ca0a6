/* SPDX-License-Identifier: BSD-2-Clause */
/* sbc-test-peer's media: both parties' sockets, RTP/SRTP generation, and checks of what arrives. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"
#include "rand.h"

#define PKT_CAP		1600
#define RX_BATCH	64
#define FORGED_PER_CALL	3
#define REPLAYED_PER_CALL 3

static int epfd = -1;

uint64_t
peer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
peer_fail(struct peer *p, const char *fmt, ...)
{
	va_list ap;

	p->failures++;
	if (p->failures > 1 && p->o.quiet)
		return;
	va_start(ap, fmt);
	if (p->first_failure[0] == '\0')
		vsnprintf(p->first_failure, sizeof(p->first_failure), fmt, ap);
	va_end(ap);
	if (!p->o.quiet || p->failures == 1) {
		va_start(ap, fmt);
		fprintf(stderr, "sbc-test-peer: check failed: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

static int
sock_open(const char *ip, struct sockaddr_in *out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	int fd, one = 1 << 20;

	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	*out = sin;
	return fd;
}

int
peer_call_open(struct peer *p, struct peer_call *c, unsigned idx)
{
	unsigned d;
	struct epoll_event ev = { .events = EPOLLIN };

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->fd_s = c->fd_r = -1;
	snprintf(c->call_id, sizeof(c->call_id), "peer-%d-%u-%08x", (int)getpid(), idx,
	    (unsigned)rand_u64());
	if (epfd < 0 && (epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return errno;
	c->fd_s = sock_open(p->o.out_ip, &c->local_s);
	if (c->fd_s < 0)
		return -c->fd_s;
	c->fd_r = sock_open(p->o.in_ip, &c->local_r);
	if (c->fd_r < 0)
		return -c->fd_r;
	ev.data.u64 = (uint64_t)idx << 1;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd_s, &ev) != 0)
		return errno;
	ev.data.u64 = ((uint64_t)idx << 1) | 1u;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd_r, &ev) != 0)
		return errno;
	for (d = 0; d < PEER_DIR_COUNT; d++) {
		struct peer_flow *f = &c->flow[d];
		uint64_t r = rand_u64();

		f->ssrc = (uint32_t)r;
		f->seq0 = (uint16_t)(r >> 32);
		/* Even calls start where asked (near 65535: they wrap), odd ones at random. */
		if (p->o.initial_seq >= 0 && idx % 2 == 0)
			f->seq0 = (uint16_t)(p->o.initial_seq + (int)idx);
		f->ts0 = (uint32_t)(r >> 16);
		f->seen = calloc(1, p->o.packets / 8 + 1);
		f->held = calloc(1, p->o.packets / 8 + 1);
		if (f->seen == NULL || f->held == NULL)
			return ENOMEM;
	}
	return 0;
}

void
peer_call_close(struct peer_call *c)
{
	unsigned d;

	if (c->fd_s >= 0)
		close(c->fd_s);
	if (c->fd_r >= 0)
		close(c->fd_r);
	c->fd_s = c->fd_r = -1;
	srtp_ctx_destroy(c->tx);
	srtp_ctx_destroy(c->rx);
	srtp_ctx_destroy(c->rx_old);
	c->tx = c->rx = c->rx_old = NULL;
	for (d = 0; d < PEER_DIR_COUNT; d++) {
		free(c->flow[d].seen);
		free(c->flow[d].held);
		c->flow[d].seen = c->flow[d].held = NULL;
	}
}

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool
is_dtmf(const struct peer *p, unsigned i)
{
	return p->o.dtmf && i % 25 >= 10 && i % 25 <= 12;
}

/*
 * The plain RTP packet with index i of a flow: PCMU with a payload that
 * depends on call, flow and index, or an RFC 4733 event (three packets, the
 * last with the E bit) when DTMF is on. Returns its length.
 */
static size_t
pkt_build(const struct peer *p, const struct peer_flow *f, unsigned i, uint8_t *b)
{
	uint16_t seq = (uint16_t)(f->seq0 + i);
	uint32_t ts = f->ts0 + 160u * i;
	size_t len = 12, k;
	uint64_t s = ((uint64_t)f->ssrc << 32) ^ i;

	b[0] = 0x80;
	b[1] = PEER_PT_PCMU;
	if (is_dtmf(p, i)) {
		unsigned step = i % 25 - 9;	/* 1..3 */

		b[1] = (uint8_t)(PEER_PT_DTMF | (step == 1 ? 0x80 : 0));
		ts = f->ts0 + 160u * (i - step + 1);
		b[12] = (uint8_t)((i / 25) % 16);
		b[13] = (uint8_t)(10 | (step == 3 ? 0x80 : 0));
		b[14] = (uint8_t)((160 * step) >> 8);
		b[15] = (uint8_t)(160 * step);
		len = 16;
	} else {
		for (k = 12; k < 12 + PEER_PAYLOAD_LEN; k += 8) {
			uint64_t v = splitmix(&s);

			memcpy(b + k, &v, 8);
		}
		len = 12 + PEER_PAYLOAD_LEN;
	}
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(f->ssrc >> 24);
	b[9] = (uint8_t)(f->ssrc >> 16);
	b[10] = (uint8_t)(f->ssrc >> 8);
	b[11] = (uint8_t)f->ssrc;
	return len;
}

static void
bit_set(uint8_t *m, unsigned i)
{
	m[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool
bit_get(const uint8_t *m, unsigned i)
{
	return (m[i / 8] >> (i % 8)) & 1u;
}

/* Checks one plain packet that arrived for flow f; buf holds len bytes. */
static void
pkt_verify(struct peer *p, struct peer_call *c, enum peer_dir d, const uint8_t *buf,
    size_t len, uint64_t now)
{
	struct peer_flow *f = &c->flow[d];
	uint8_t exp[PKT_CAP] __attribute__((aligned(4)));
	unsigned i;
	size_t elen;
	uint64_t lat;

	if (len < 12) {
		f->bad++;
		peer_fail(p, "%s dir %d: %zu-byte packet", c->call_id, d, len);
		return;
	}
	i = (uint16_t)(((unsigned)buf[2] << 8 | buf[3]) - f->seq0);
	if (i >= f->sent) {
		f->unexpected++;
		peer_fail(p, "%s dir %d: packet with seq index %u never sent", c->call_id, d, i);
		return;
	}
	elen = pkt_build(p, f, i, exp);
	if (elen != len || memcmp(exp, buf, len) != 0) {
		f->bad++;
		peer_fail(p, "%s dir %d: packet %u differs from what was sent (%zu vs %zu bytes)",
		    c->call_id, d, i, len, elen);
		return;
	}
	if (bit_get(f->held, i)) {
		f->unexpected++;
		peer_fail(p, "%s dir %d: packet %u forwarded while on hold", c->call_id, d, i);
		return;
	}
	if (bit_get(f->seen, i)) {
		f->dup++;
		peer_fail(p, "%s dir %d: packet %u arrived twice", c->call_id, d, i);
		return;
	}
	bit_set(f->seen, i);
	f->received++;
	if (p->killed && i >= f->kill_index && f->first_after_kill_ns == 0)
		f->first_after_kill_ns = now;
	if (i + 1 < f->highest)
		f->reorder++;
	else
		f->highest = i + 1;
	if (f->sent - i < PEER_RING) {
		lat = (now - f->sent_ns[i % PEER_RING]) / 1000u;
		p->st.lat_hist[lat < PEER_LAT_BUCKETS ? lat : PEER_LAT_BUCKETS]++;
		p->st.lat_n++;
	}
}

/* What the SRTP party gets: must not carry the plain payload, must authenticate. */
static void
rx_srtp(struct peer *p, struct peer_call *c, uint8_t *buf, size_t len, uint64_t now)
{
	struct peer_flow *f = &c->flow[PEER_DIR_R2S];
	uint8_t exp[PKT_CAP] __attribute__((aligned(4)));
	uint8_t copy[PKT_CAP] __attribute__((aligned(4)));
	size_t elen, plen = len;
	unsigned i;
	int err;

	if (len >= 12 && len <= PKT_CAP) {
		i = (uint16_t)(((unsigned)buf[2] << 8 | buf[3]) - f->seq0);
		if (i < f->sent) {
			elen = pkt_build(p, f, i, exp);
			if (elen >= 12 + 16 && memmem(buf, len, exp + 12, 16) != NULL) {
				f->plain_seen++;
				peer_fail(p, "%s: plain payload of packet %u seen on the SRTP side",
				    c->call_id, i);
			}
		}
	}
	memcpy(copy, buf, len < PKT_CAP ? len : PKT_CAP);
	err = c->rx != NULL ? srtp_ctx_unprotect_rtp(c->rx, buf, &plen) : EINVAL;
	if (err && c->rx_old != NULL) {
		plen = len;
		memcpy(buf, copy, len);
		err = srtp_ctx_unprotect_rtp(c->rx_old, buf, &plen);
	}
	if (err) {
		f->authfail++;
		peer_fail(p, "%s: SRTP from the relay does not unprotect: %s", c->call_id,
		    srtp_ctx_strerror(err));
		return;
	}
	pkt_verify(p, c, PEER_DIR_R2S, buf, plen, now);
}

/* An RTCP report every this many packets of a flow (0.5 s at 50 packets/s). */
#define RTCP_EVERY 25
#define RTCP_RR_LEN 32

static bool
is_rtcp(const uint8_t *b, size_t len)
{
	return len >= 8 && b[1] >= 200 && b[1] <= 204;
}

static uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A receiver report from flow d's sender (one block about the other flow), on the mux port. */
static void
rtcp_send(struct peer *p, struct peer_call *c, enum peer_dir d)
{
	struct peer_flow *f = &c->flow[d];
	uint8_t buf[PKT_CAP] __attribute__((aligned(4)));
	size_t len = RTCP_RR_LEN, k;
	uint32_t other = c->flow[d ^ 1].ssrc;
	int err;

	memset(buf, 0, sizeof(buf));
	buf[0] = 0x81;
	buf[1] = 201;
	buf[3] = RTCP_RR_LEN / 4 - 1;
	for (k = 0; k < 4; k++) {
		buf[4 + k] = (uint8_t)(f->ssrc >> (24 - 8 * k));
		buf[8 + k] = (uint8_t)(other >> (24 - 8 * k));
		buf[12 + k] = (uint8_t)(f->rtcp_sent >> (24 - 8 * k));
	}
	if (d == PEER_DIR_S2R) {
		err = srtp_ctx_protect_rtcp(c->tx, buf, &len, sizeof(buf));
		if (err) {
			peer_fail(p, "%s: protect RTCP: %s", c->call_id, srtp_ctx_strerror(err));
			return;
		}
	}
	f->rtcp_sent++;
	if (sendto(d == PEER_DIR_S2R ? c->fd_s : c->fd_r, buf, len, 0,
	    (const struct sockaddr *)(d == PEER_DIR_S2R ? &c->relay_s : &c->relay_r),
	    sizeof(struct sockaddr_in)) < 0)
		peer_fail(p, "%s: sendto RTCP: %s", c->call_id, strerror(errno));
}

/*
 * RTCP at a party: plain at the RTP party; SRTCP at the SRTP party, which must
 * unprotect and carry an index above every index the relay sent before (a repeated
 * index under the same key is keystream reuse, whatever happened to the relay).
 */
static void
rtcp_rx(struct peer *p, struct peer_call *c, int side, uint8_t *buf, size_t len, uint64_t now)
{
	enum peer_dir d = side ? PEER_DIR_S2R : PEER_DIR_R2S;
	struct peer_flow *f = &c->flow[d];
	const struct crypto_suite_info *si = crypto_suite_info(c->key_m.suite);
	size_t plen = len, back;
	uint32_t idx;
	int err;

	if (!side) {
		back = si != NULL && si->aead ? 4 : (si != NULL ? si->rtcp_auth_tag_len : 10) + 4;
		if (len < 8 + back) {
			f->bad++;
			peer_fail(p, "%s: %zu-byte SRTCP packet", c->call_id, len);
			return;
		}
		idx = rd32(buf + len - back) & 0x7fffffffu;
		err = c->rx != NULL ? srtp_ctx_unprotect_rtcp(c->rx, buf, &plen) : EINVAL;
		if (err) {
			f->authfail++;
			peer_fail(p, "%s: SRTCP index %u from the relay does not unprotect: %s",
			    c->call_id, idx, srtp_ctx_strerror(err));
			return;
		}
		if (f->have_srtcp && idx <= f->srtcp_max)
			peer_fail(p, "%s: SRTCP index %u after %u: an index used again", c->call_id,
			    idx, f->srtcp_max);
		f->have_srtcp = true;
		if (idx > f->srtcp_max)
			f->srtcp_max = idx;
	}
	if (plen != RTCP_RR_LEN || buf[1] != 201 || rd32(buf + 4) != f->ssrc) {
		f->bad++;
		peer_fail(p, "%s dir %d: RTCP report differs from what was sent", c->call_id, d);
		return;
	}
	f->rtcp_received++;
	if (p->killed && now > p->restart_ns)
		f->rtcp_after_kill++;
}

static void
rx_ready(struct peer *p, struct peer_call *c, int side, uint64_t now)
{
	uint8_t buf[PKT_CAP + 64] __attribute__((aligned(4)));
	unsigned n;

	for (n = 0; n < RX_BATCH; n++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(side ? c->fd_r : c->fd_s, buf, PKT_CAP, MSG_TRUNC,
		    (struct sockaddr *)&from, &fl);
		const struct sockaddr_in *want = side ? &c->relay_r : &c->relay_s;

		if (r < 0)
			return;
		if (from.sin_addr.s_addr != want->sin_addr.s_addr) {
			c->flow[side ? PEER_DIR_S2R : PEER_DIR_R2S].unexpected++;
			peer_fail(p, "%s: packet from an address other than the relay's",
			    c->call_id);
			continue;
		}
		if (r > PKT_CAP) {
			c->flow[side ? PEER_DIR_S2R : PEER_DIR_R2S].bad++;
			peer_fail(p, "%s: oversized packet", c->call_id);
			continue;
		}
		if (p->o.rtcp && is_rtcp(buf, (size_t)r))
			rtcp_rx(p, c, side, buf, (size_t)r, now);
		else if (side)
			pkt_verify(p, c, PEER_DIR_S2R, buf, (size_t)r, now);
		else
			rx_srtp(p, c, buf, (size_t)r, now);
	}
}

static int
poll_once(struct peer *p, int timeout_ms)
{
	struct epoll_event ev[64];
	int n, k;
	uint64_t now;

	n = epoll_wait(epfd, ev, 64, timeout_ms);
	now = peer_now_ns();
	for (k = 0; k < n; k++) {
		unsigned idx = (unsigned)(ev[k].data.u64 >> 1);

		rx_ready(p, &p->calls[idx], (int)(ev[k].data.u64 & 1u), now);
	}
	return n;
}

void
peer_pump(struct peer *p, unsigned ms)
{
	uint64_t end = peer_now_ns() + (uint64_t)ms * 1000000u;
	uint64_t now;

	while ((now = peer_now_ns()) < end)
		poll_once(p, (int)((end - now) / 1000000u) + 1);
}

static bool
sabotage(const struct peer *p, const char *what)
{
	return p->o.sabotage != NULL && strcmp(p->o.sabotage, what) == 0;
}

static void
send_pkt(struct peer *p, struct peer_call *c, enum peer_dir d, unsigned i, uint64_t now)
{
	struct peer_flow *f = &c->flow[d];
	uint8_t buf[PKT_CAP] __attribute__((aligned(4)));
	size_t len = pkt_build(p, f, i, buf);
	bool held = d == PEER_DIR_R2S ? c->hold_r2s : c->hold_s2r;
	int fd = c->fd_r, err;
	const struct sockaddr_in *to = &c->relay_r;

	if (sabotage(p, "corrupt") && d == PEER_DIR_S2R && i == p->o.packets / 2)
		buf[len - 1] ^= 0x40;
	if (d == PEER_DIR_S2R) {
		err = srtp_ctx_protect_rtp(c->tx, buf, &len, sizeof(buf));
		if (err) {
			peer_fail(p, "%s: protect: %s", c->call_id, srtp_ctx_strerror(err));
			return;
		}
		memcpy(c->last_srtp, buf, len);
		c->last_srtp_len = len;
		fd = c->fd_s;
		to = &c->relay_s;
	}
	f->sent_ns[i % PEER_RING] = now;
	f->sent = i + 1;
	if (p->killed && !f->settled && now >= p->restart_ns + 1000000000ull) {
		f->settled = true;
		f->settled_index = i;
	}
	if (held) {
		bit_set(f->held, i);
		f->nheld++;
	}
	if (sabotage(p, "drop") && d == PEER_DIR_R2S && i == p->o.packets / 2)
		return;
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)) < 0)
		peer_fail(p, "%s: sendto: %s", c->call_id, strerror(errno));
	if (p->o.rtcp && i % RTCP_EVERY == RTCP_EVERY / 2)
		rtcp_send(p, c, d);
}

/* Forged (authentication tag bit flipped, fresh index) and replayed SRTP packets. */
static void
inject(struct peer *p, struct peer_call *c, unsigned next)
{
	struct peer_flow *f = &c->flow[PEER_DIR_S2R];
	uint8_t buf[PKT_CAP] __attribute__((aligned(4)));
	unsigned k;

	for (k = 0; k < FORGED_PER_CALL && next + k < p->o.packets; k++) {
		size_t len = pkt_build(p, f, next + k, buf);

		if (srtp_ctx_protect_rtp(c->tx, buf, &len, sizeof(buf)) != 0)
			continue;
		if (!sabotage(p, "genuine-forge"))
			buf[len - 1] ^= 0x01;
		if (sendto(c->fd_s, buf, len, 0, (struct sockaddr *)&c->relay_s,
		    sizeof(c->relay_s)) == (ssize_t)len)
			c->injected++;
	}
	for (k = 0; k < REPLAYED_PER_CALL && c->last_srtp_len > 0; k++)
		if (sendto(c->fd_s, c->last_srtp, c->last_srtp_len, 0,
		    (struct sockaddr *)&c->relay_s, sizeof(c->relay_s)) ==
		    (ssize_t)c->last_srtp_len)
			c->injected++;
}

/* Runs the action due before packet i of a call, if any. */
static void
action(struct peer *p, struct peer_call *c, unsigned i)
{
	unsigned n = p->o.packets;
	/* The caller holds (sendonly): nothing may flow towards the caller. The pause before
	 * each re-offer lets packets still in the relay arrive under the old direction. */
	bool *held_towards_caller = p->o.rtp_caller ? &c->hold_s2r : &c->hold_r2s;

	if (p->o.hold && i == n / 3) {
		peer_pump(p, 150);
		if (peer_call_signal(p, c, "sendonly", "recvonly", false) == 0)
			*held_towards_caller = true;
	}
	if (p->o.hold && i == 2 * n / 3) {
		peer_pump(p, 150);
		if (peer_call_signal(p, c, "sendrecv", "sendrecv", false) == 0)
			*held_towards_caller = false;
	}
	if (p->o.rekey && i == n / 2) {
		if (peer_call_signal(p, c, "sendrecv", "sendrecv", true) == 0) {
			c->rekeys++;
			/* the relay's new key starts its own SRTCP index */
			c->flow[PEER_DIR_R2S].have_srtcp = false;
			c->flow[PEER_DIR_R2S].srtcp_max = 0;
		}
	}
	if (p->o.forge && i == n / 4)
		inject(p, c, i);
	if (sabotage(p, "wrongkey") && i == n / 2) {
		/* The SRTP party encrypts with a key it never signalled: all must be dropped. */
		struct crypto_key k = c->key_s;
		struct srtp_ctx *n_ctx;

		k.key_salt[0] ^= 0xff;
		if (srtp_ctx_create(&n_ctx, k.suite, &k, SRTP_CTX_OUTBOUND, NULL) == 0) {
			srtp_ctx_destroy(c->tx);
			c->tx = n_ctx;
		}
	}
}

/* --kill-restart: note where every flow was, then have main kill and restart mediad. */
static void
peer_kill(struct peer *p, uint64_t now)
{
	unsigned ci, d;

	for (ci = 0; ci < p->o.calls; ci++)
		for (d = 0; d < PEER_DIR_COUNT; d++) {
			struct peer_flow *f = &p->calls[ci].flow[d];

			f->kill_index = f->sent;
			f->srtcp_max_before_kill = f->srtcp_max;
		}
	p->kill_ns = now;
	p->killed = true;
	if (p->kill_h != NULL)
		p->kill_h(p, p->kill_arg);
	p->restart_ns = peer_now_ns();
}

int
peer_stream(struct peer *p)
{
	uint64_t period = 1000000000ull / p->o.rate, t0 = peer_now_ns() + 2000000u;
	unsigned *next = calloc(p->o.calls, sizeof(*next)), ci;

	if (next == NULL)
		return ENOMEM;
	/* Calls start spread over one period so the relay sees an even load. */
	for (ci = 0; ci < p->o.calls; ci++)
		p->calls[ci].start_ns = t0 + period * ci / p->o.calls;
	for (;;) {
		uint64_t now = peer_now_ns(), earliest = UINT64_MAX;
		bool done = true;
		int timeout;

		if (p->o.kill_restart_ms && !p->killed &&
		    now >= t0 + (uint64_t)p->o.kill_restart_ms * 1000000u)
			peer_kill(p, now);

		for (ci = 0; ci < p->o.calls; ci++) {
			struct peer_call *c = &p->calls[ci];

			while (next[ci] < p->o.packets &&
			    c->start_ns + period * next[ci] <= now) {
				action(p, c, next[ci]);
				/* A generator that falls behind measures itself, not the relay. */
				p->st.sends++;
				if (now - (c->start_ns + period * next[ci]) > period)
					p->st.sends_late++;
				send_pkt(p, c, PEER_DIR_S2R, next[ci], now);
				send_pkt(p, c, PEER_DIR_R2S, next[ci], now);
				next[ci]++;
			}
			if (next[ci] < p->o.packets) {
				uint64_t t = c->start_ns + period * next[ci];

				done = false;
				if (t < earliest)
					earliest = t;
			}
		}
		if (done)
			break;
		now = peer_now_ns();
		/* Round the wait up: arrivals wake us at once, and a spinning sender
		 * would take the core the relay needs on a small machine. */
		timeout = earliest > now ? (int)((earliest - now + 999999u) / 1000000u) : 0;
		poll_once(p, timeout);
	}
	free(next);
	return 0;
}

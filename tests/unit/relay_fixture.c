/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared fixture of the relay tests: a 2-worker relay, loopback sockets, an SRTP caller and a plain IVR. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "addr.h"
#include "log.h"
#include "metrics.h"
#include "rand.h"
#include "relay.h"
#include "relay_fixture.h"
#include "srtp.h"
#include "timeutil.h"

int
usock_open(struct usock *u, const char *ip)
{
	socklen_t len = sizeof(u->addr.u.ss);
	struct sa bind_to;

	memset(u, 0, sizeof(*u));
	if (sa_parse(&bind_to, ip, 0) != 0)
		return EINVAL;
	u->fd = socket(sa_family(&bind_to), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0)
		return errno;
	if (bind(u->fd, &bind_to.u.sa, sa_family(&bind_to) == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) != 0 ||
	    getsockname(u->fd, &u->addr.u.sa, &len) != 0) {
		close(u->fd);
		u->fd = -1;
		return errno;
	}
	u->addr.len = len;
	return 0;
}

void
usock_close(struct usock *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

void
key_make(struct crypto_key *k, enum crypto_suite s)
{
	const struct crypto_suite_info *si = crypto_suite_info(s);

	memset(k, 0, sizeof(*k));
	k->suite = s;
	k->key_salt_len = si->key_len + si->salt_len;
	assert_int_equal(rand_bytes(k->key_salt, k->key_salt_len), 0);
}

size_t
rtp_make(uint8_t *buf, uint16_t seq, uint32_t ssrc, uint8_t pt)
{
	buf[0] = 0x80;
	buf[1] = pt;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	uint32_t ts = (uint32_t)seq * 160u;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < PAYLOAD_LEN; i++)
		buf[12 + i] = (uint8_t)(seq * 7u + i * 13u + ssrc);
	return RTP_LEN;
}

/* A 28-byte sender report. */
size_t
rtcp_make(uint8_t *buf, uint32_t ssrc, uint32_t marker)
{
	memset(buf, 0, 28);
	buf[0] = 0x80;
	buf[1] = 200;
	buf[3] = 6;
	memcpy(buf + 4, &(uint32_t){ htonl(ssrc) }, 4);
	memcpy(buf + 8, &(uint32_t){ htonl(marker) }, 4);
	return 28;
}

void
send_to(int fd, const void *buf, size_t len, const struct sa *to)
{
	ssize_t n = sendto(fd, buf, len, 0, &to->u.sa, sa_family(to) == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));

	assert_int_equal(n, (ssize_t)len);
}

/* Receives one datagram within ms; returns its length or -1 on timeout. */
ssize_t
recv_wait(int fd, uint8_t *buf, size_t cap, int ms, struct sa *from)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sa tmp;
	socklen_t len = sizeof(tmp.u.ss);
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -1;
	n = recvfrom(fd, buf, cap, 0, &tmp.u.sa, &len);
	if (n >= 0 && from != NULL) {
		*from = tmp;
		from->len = len;
	}
	return n;
}

void
stats_get(struct fx *f, struct relay_media_stats *st)
{
	relay_media_stats(f->m, st);
}

/* Polls the stats until pred holds (the relay is asynchronous) or WAIT_MS pass. */

bool
stats_wait(struct fx *f, stats_pred_h *pred, const void *arg, struct relay_media_stats *st)
{
	uint64_t end = time_mono_ms() + WAIT_MS;

	do {
		stats_get(f, st);
		if (pred(st, arg))
			return true;
		usleep(2000);
	} while (time_mono_ms() < end);
	return false;
}

struct drop_want {
	unsigned leg, stream;
	enum relay_drop why;
	uint64_t n;
};

static bool
pred_drops(const struct relay_media_stats *st, const void *arg)
{
	const struct drop_want *w = arg;

	return st->leg[w->leg].stream[w->stream].drops[w->why] >= w->n;
}

void
expect_drops(struct fx *f, unsigned leg, unsigned stream, enum relay_drop why, uint64_t n)
{
	struct drop_want w = { leg, stream, why, n };
	struct relay_media_stats st;

	if (!stats_wait(f, pred_drops, &w, &st)) {
		for (unsigned d = 0; d < RELAY_DROP_COUNT; d++)
			print_error("leg %u stream %u %s=%llu in=%llu\n", leg, stream,
			    relay_drop_name((enum relay_drop)d),
			    (unsigned long long)st.leg[leg].stream[stream].drops[d],
			    (unsigned long long)st.leg[leg].stream[stream].packets_in);
		fail_msg("expected %llu drops of %s", (unsigned long long)n, relay_drop_name(why));
	}
	assert_int_equal(st.leg[leg].stream[stream].drops[why], n);
}

static void
fx_cfg_defaults(struct fx *f, bool mux_a)
{
	struct relay_leg_cfg *a = &f->ca, *b = &f->cb;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->fd_rtp = f->a.fd;
	a->fd_rtcp = mux_a ? -1 : f->a_rtcp.fd;
	a->remote_rtp = f->caller.addr;
	if (!mux_a)
		a->remote_rtcp = f->caller_rtcp.addr;
	a->srtp = true;
	a->rx_key = f->k_caller;
	a->tx_key = f->k_ours;
	a->rtcp_mux = mux_a;
	a->send = a->recv = true;
	a->latch = RELAY_LATCH_AUTH;

	b->fd_rtp = f->b.fd;
	b->fd_rtcp = f->b_rtcp.fd;
	b->remote_rtp = f->ivr.addr;
	b->remote_rtcp = f->ivr_rtcp.addr;
	b->send = b->recv = true;
	b->latch = RELAY_LATCH_SIGNALLED_IP;
}

/* Builds relay (2 workers), sockets, keys, the test peers' SRTP contexts and the media. */
int
fx_setup_full(void **state, enum crypto_suite suite, bool mux_a, bool with_metrics)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->suite = suite;
	if (with_metrics)
		assert_int_equal(metrics_alloc(&f->met), 0);
	assert_int_equal(fx_relay_alloc(&f->r, 2, f->met), 0);
	assert_int_equal(usock_open(&f->caller, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->caller_rtcp, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->ivr, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->ivr_rtcp, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->a, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->a_rtcp, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->b, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&f->b_rtcp, "127.0.0.1"), 0);
	key_make(&f->k_caller, suite);
	key_make(&f->k_ours, suite);
	assert_int_equal(srtp_ctx_create(&f->caller_tx, suite, &f->k_caller,
	    SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&f->caller_rx, suite, &f->k_ours,
	    SRTP_CTX_INBOUND, NULL), 0);
	fx_cfg_defaults(f, mux_a);
	if (mux_a) {
		usock_close(&f->a_rtcp);
	}
	assert_int_equal(relay_media_create(f->r, &f->ca, &f->cb, &f->m), 0);
	/* The relay owns them now. */
	f->a.fd = f->a_rtcp.fd = f->b.fd = f->b_rtcp.fd = -1;
	f->seq_caller = 1000;
	f->seq_ivr = 50000;
	*state = f;
	return 0;
}

int
fx_setup_suite(void **state, enum crypto_suite suite, bool mux_a)
{
	return fx_setup_full(state, suite, mux_a, false);
}

int
fx_setup_metrics(void **state)
{
	return fx_setup_full(state, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, false, true);
}

int
fx_setup(void **state)
{
	return fx_setup_suite(state, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, false);
}

int
fx_setup_mux(void **state)
{
	return fx_setup_suite(state, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, true);
}

int
fx_setup_prestate(void **state)
{
	enum crypto_suite s = (enum crypto_suite)(uintptr_t)*state;

	return fx_setup_suite(state, s, false);
}

int
fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f == NULL)
		return 0;
	relay_media_destroy(f->m);
	relay_free(f->r);
	metrics_free(f->met);
	srtp_ctx_destroy(f->caller_tx);
	srtp_ctx_destroy(f->caller_rx);
	usock_close(&f->caller);
	usock_close(&f->caller_rtcp);
	usock_close(&f->ivr);
	usock_close(&f->ivr_rtcp);
	usock_close(&f->a);
	usock_close(&f->a_rtcp);
	usock_close(&f->b);
	usock_close(&f->b_rtcp);
	free(f);
	return 0;
}

/* Where the relay listens for each leg/stream (read back from the stats). */
struct sa
relay_addr(struct fx *f, unsigned leg, unsigned stream)
{
	struct relay_media_stats st;
	struct sa a;

	stats_get(f, &st);
	assert_int_equal(sa_parse(&a, "127.0.0.1", st.leg[leg].local_port[stream]), 0);
	return a;
}

/* Caller -> relay leg A (SRTP) -> IVR (RTP): count packets, all checked bit-exact. */
void
caller_to_ivr(struct fx *f, unsigned count, unsigned burst)
{
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	uint8_t plain[RELAY_BURST_MAX_PKT], wire[RELAY_BURST_MAX_PKT], got[RELAY_BURST_MAX_PKT];
	unsigned sent = 0, i;
	uint16_t first = f->seq_caller;

	while (sent < count) {
		unsigned n = count - sent < burst ? count - sent : burst;

		for (i = 0; i < n; i++) {
			size_t len = rtp_make(wire, (uint16_t)(first + sent + i), 0x11223344, 0);

			assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len,
			    sizeof(wire)), 0);
			assert_true(len > RTP_LEN);
			send_to(f->caller.fd, wire, len, &to);
		}
		for (i = 0; i < n; i++) {
			uint16_t seq = (uint16_t)(first + sent + i);
			ssize_t r = recv_wait(f->ivr.fd, got, sizeof(got), WAIT_MS, NULL);

			assert_int_equal(r, RTP_LEN);
			rtp_make(plain, seq, 0x11223344, 0);
			/* In order over loopback through one worker: sequence and bytes exact. */
			assert_memory_equal(got, plain, RTP_LEN);
		}
		sent += n;
	}
	f->seq_caller = (uint16_t)(first + count);
}

/* IVR -> relay leg B (RTP) -> caller (SRTP): the wire never carries the plain payload. */
void
ivr_to_caller(struct fx *f, unsigned count, unsigned burst)
{
	struct sa to = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTP);
	uint8_t plain[RELAY_BURST_MAX_PKT], got[RELAY_BURST_MAX_PKT];
	unsigned sent = 0, i;
	uint16_t first = f->seq_ivr;

	while (sent < count) {
		unsigned n = count - sent < burst ? count - sent : burst;

		for (i = 0; i < n; i++) {
			size_t len = rtp_make(plain, (uint16_t)(first + sent + i), 0x55667788, 8);

			send_to(f->ivr.fd, plain, len, &to);
		}
		for (i = 0; i < n; i++) {
			uint16_t seq = (uint16_t)(first + sent + i);
			ssize_t r = recv_wait(f->caller.fd, got, sizeof(got), WAIT_MS, NULL);
			size_t len;

			assert_true(r > RTP_LEN);
			rtp_make(plain, seq, 0x55667788, 8);
			/* Header in clear, payload encrypted. */
			assert_memory_equal(got, plain, 12);
			assert_null(memmem(got + 12, (size_t)r - 12, plain + 12, 16));
			len = (size_t)r;
			assert_int_equal(srtp_ctx_unprotect_rtp(f->caller_rx, got, &len), 0);
			assert_int_equal(len, RTP_LEN);
			assert_memory_equal(got, plain, RTP_LEN);
		}
		sent += n;
	}
	f->seq_ivr = (uint16_t)(first + count);
}


uint64_t
fx_metric_sum(struct fx *f, const char *name, const char *extra)
{
	uint64_t sum = 0;
	char lab[96];

	for (unsigned w = 0; w < 2; w++) {
		struct metric *m;

		snprintf(lab, sizeof(lab), "worker=\"%u\"%s", w, extra);
		m = strcmp(name, "sbc_relay_media") == 0 ?
		    metrics_gauge(f->met, name, lab, NULL) : metrics_counter(f->met, name, lab, NULL);
		assert_non_null(m);
		sum += metric_get(m);
	}
	return sum;
}

enum relay_io_style
fx_relay_io(void)
{
	const char *e = getenv("SBC_RELAY_IO");

	if (e != NULL && strcmp(e, "batched") == 0)
		return RELAY_IO_BATCHED;
	return RELAY_IO_SOCKETS;
}

int
fx_relay_alloc(struct relay **rp, unsigned nworkers, struct metrics *m)
{
	struct relay_opts o = { .nworkers = nworkers, .io = fx_relay_io(), .max_ports = 1024 };
	char why[160] = "";
	int err;

	err = relay_alloc_opts(rp, &o, m, why, sizeof(why));
	if (err)
		fprintf(stderr, "relay io=%s: %s %s\n", relay_io_name(o.io), strerror(err), why);
	assert_int_equal(err, 0);
	assert_int_equal(relay_io(*rp), o.io);
	return 0;
}

int
relay_group_setup(void **state)
{
	log_init("test_relay", LOG_LEVEL_WARN, false);
	return srtp_engine_init() == 0 ? 0 : -1;
}

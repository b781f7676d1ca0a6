/* SPDX-License-Identifier: BSD-2-Clause */
/* The relay's I/O styles against abuse: a closed port stays closed, a re-used port reaches only
 * its new media, the batched style's shared socket relays nothing sent to it directly, and two
 * relays (two sk_lookup programs in one network namespace) each get only their own ports. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "relay.h"
#include "relay_fixture.h"
#include "srtp.h"
#include "timeutil.h"

/* Quiet time after which "nothing arrived" counts as nothing relayed. */
#define SILENCE_MS 300

/* One SRTP packet from the caller's context (valid: only the port decides its fate). */
static size_t
caller_packet(struct fx *f, uint8_t *wire, size_t cap)
{
	size_t len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);

	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, cap), 0);
	return len;
}

static void
expect_silence(int fd)
{
	uint8_t got[RELAY_BURST_MAX_PKT];

	assert_int_equal(recv_wait(fd, got, sizeof(got), SILENCE_MS, NULL), -1);
}

static void
wait_metric(struct fx *f, const char *name, uint64_t want)
{
	uint64_t end = time_mono_ms() + WAIT_MS;

	while (fx_metric_sum(f, name, "") < want && time_mono_ms() < end)
		usleep(1000);
	assert_int_equal(fx_metric_sum(f, name, ""), want);
}

/*
 * After delete, the media's port relays nothing (no stale map entry steers it anywhere);
 * a new media bound to the very same port relays to its own peer, not the old one's.
 */
static void
test_port_reuse(void **state)
{
	struct fx *f = *state;
	struct sa old_a = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct relay_leg_cfg a = f->ca, b = f->cb;
	struct relay_media *m2 = NULL;
	struct usock s[4], ivr2;
	uint8_t wire[RELAY_BURST_MAX_PKT], got[RELAY_BURST_MAX_PKT];
	size_t len;
	unsigned k;

	caller_to_ivr(f, 10, 5);
	relay_media_destroy(f->m);
	f->m = NULL;
	for (k = 0; k < 5; k++) {
		len = caller_packet(f, wire, sizeof(wire));
		send_to(f->caller.fd, wire, len, &old_a);
	}
	expect_silence(f->ivr.fd);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_unknown_port_total", ""), 0);

	/* The same address and port, a new media towards another IVR. */
	s[0].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(s[0].fd >= 0);
	assert_int_equal(bind(s[0].fd, &old_a.u.sa, old_a.len), 0);
	for (k = 1; k < 4; k++)
		assert_int_equal(usock_open(&s[k], "127.0.0.1"), 0);
	assert_int_equal(usock_open(&ivr2, "127.0.0.1"), 0);
	a.fd_rtp = s[0].fd;
	a.fd_rtcp = s[1].fd;
	b.fd_rtp = s[2].fd;
	b.fd_rtcp = s[3].fd;
	b.remote_rtp = ivr2.addr;
	memset(&b.remote_rtcp, 0, sizeof(b.remote_rtcp));
	assert_int_equal(relay_media_create(f->r, &a, &b, &m2), 0);
	/* A round trip to the worker: its ATTACH (ports steered) ran before the packet. */
	relay_media_stats(m2, &(struct relay_media_stats){ 0 });
	len = caller_packet(f, wire, sizeof(wire));
	send_to(f->caller.fd, wire, len, &old_a);
	assert_int_equal(recv_wait(ivr2.fd, got, sizeof(got), WAIT_MS, NULL), RTP_LEN);
	expect_silence(f->ivr.fd);
	relay_media_destroy(m2);
	usock_close(&ivr2);
	wait_metric(f, "sbc_relay_steered_total",
	    fx_relay_io() == RELAY_IO_BATCHED ? 11 : 0);
}

/* The batched style's receive socket: the one bound to loopback that asks for IP_ORIGDSTADDR. */
static int
find_shared_socket(struct sa *addr)
{
	int fd, on;
	socklen_t l;

	for (fd = 3; fd < 1024; fd++) {
		on = 0;
		l = sizeof(on);
		if (getsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &on, &l) != 0 || !on)
			continue;
		addr->len = sizeof(addr->u.ss);
		if (getsockname(fd, &addr->u.sa, &addr->len) == 0 &&
		    addr->u.sa.sa_family == AF_INET)
			return fd;
	}
	return -1;
}

/*
 * Datagrams sent straight to a worker's shared receive socket (its own loopback port, which
 * a local process can reach) name no media port: nothing is relayed, each is counted.
 */
static void
test_shared_socket_direct(void **state)
{
	struct fx *f = *state;
	uint8_t wire[RELAY_BURST_MAX_PKT];
	struct sa shared;
	size_t len;
	unsigned k;

	if (fx_relay_io() != RELAY_IO_BATCHED)
		skip();
	assert_true(find_shared_socket(&shared) >= 0);
	for (k = 0; k < 3; k++) {
		len = caller_packet(f, wire, sizeof(wire));
		send_to(f->caller.fd, wire, len, &shared);
	}
	wait_metric(f, "sbc_relay_unknown_port_total", 3);
	expect_silence(f->ivr.fd);
	/* The media itself is unharmed (its replay window did not see those). */
	caller_to_ivr(f, 5, 5);
}

/*
 * Two relays in one network namespace (two mediads on one host, two sk_lookup programs):
 * each relays its own calls, each steers only its own ports, and freeing one (its program
 * detached) leaves the other working.
 */
static void
test_two_relays(void **state)
{
	struct fx *f = *state;
	void *st2 = NULL;
	struct fx *g;
	uint64_t want;

	assert_int_equal(fx_setup_full(&st2, CRYPTO_SUITE_AEAD_AES_128_GCM, false, true), 0);
	g = st2;
	caller_to_ivr(f, 20, 5);
	caller_to_ivr(g, 20, 5);
	ivr_to_caller(g, 10, 5);
	ivr_to_caller(f, 10, 5);
	want = fx_relay_io() == RELAY_IO_BATCHED ? 30 : 0;
	wait_metric(f, "sbc_relay_steered_total", want);
	wait_metric(g, "sbc_relay_steered_total", want);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_unknown_port_total", ""), 0);
	assert_int_equal(fx_metric_sum(g, "sbc_relay_unknown_port_total", ""), 0);
	fx_teardown(&st2);
	caller_to_ivr(f, 10, 5);
	ivr_to_caller(f, 10, 5);
	wait_metric(f, "sbc_relay_steered_total", want ? want + 20 : 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_port_reuse, fx_setup_metrics, fx_teardown),
		cmocka_unit_test_setup_teardown(test_shared_socket_direct, fx_setup_metrics,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_two_relays, fx_setup_metrics, fx_teardown),
	};

	return cmocka_run_group_tests(tests, relay_group_setup, NULL);
}

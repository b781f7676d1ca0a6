/* SPDX-License-Identifier: BSD-2-Clause */
/* The relay data path in-process: real loopback UDP, real SRTP, 2 workers: suites, RTCP, DTMF, forgeries, garbage, metrics. */
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


static void
test_both_ways(void **state)
{
	struct fx *f = *state;
	struct relay_media_stats st;
	unsigned count = f->suite == CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80 ? 1000 : 300;

	caller_to_ivr(f, count, 50);
	ivr_to_caller(f, count, 50);
	stats_get(f, &st);
	assert_int_equal(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].packets_in, count);
	assert_int_equal(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].packets_out, count);
	assert_int_equal(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].packets_in, count);
	assert_int_equal(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].packets_out, count);
	assert_int_equal(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].bytes_out,
	    (uint64_t)count * RTP_LEN);
	for (unsigned d = 0; d < RELAY_DROP_COUNT; d++) {
		assert_int_equal(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].drops[d], 0);
		assert_int_equal(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].drops[d], 0);
	}
	assert_int_equal(st.leg[RELAY_LEG_A].rx_suite, f->suite);
	assert_int_equal(st.leg[RELAY_LEG_A].tx_suite, f->suite);
	assert_int_equal(st.leg[RELAY_LEG_B].rx_suite, CRYPTO_SUITE_NONE);
	assert_true(st.leg[RELAY_LEG_A].latched[RELAY_STREAM_RTP]);
	assert_true(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].last_packet_ms > 0);
	/* The media's newest packet, read without the worker, is the newest of its streams. */
	assert_int_equal(relay_media_last_packet_ms(f->m),
	    st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].last_packet_ms >
	    st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].last_packet_ms ?
	    st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].last_packet_ms :
	    st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].last_packet_ms);
}

/* DTMF events (RFC 4733, dynamic PT 101) are payload like any other: bit-exact both ways. */
static void
test_dtmf_untouched(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	uint8_t pkt[64], wire[256], got[256];
	size_t len;
	ssize_t r;

	/* Event 5, end bit, volume 10, duration 800: marker set, PT 101. */
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80;
	pkt[1] = 0x80 | 101;
	pkt[3] = 1;
	pkt[11] = 9;
	pkt[12] = 5;
	pkt[13] = 0x80 | 10;
	pkt[14] = 0x03;
	pkt[15] = 0x20;
	memcpy(wire, pkt, 16);
	len = 16;
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(f->caller.fd, wire, len, &to);
	r = recv_wait(f->ivr.fd, got, sizeof(got), WAIT_MS, NULL);
	assert_int_equal(r, 16);
	assert_memory_equal(got, pkt, 16);
}

static void
test_rtcp(void **state)
{
	struct fx *f = *state;
	struct sa to_a = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTCP);
	struct sa to_b = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTCP);
	uint8_t pkt[64], wire[256], got[256];
	size_t len;
	ssize_t r;

	/* SRTCP from the caller arrives as plain RTCP on the IVR's RTCP socket. */
	rtcp_make(pkt, 0x11223344, 0xabcdef01);
	memcpy(wire, pkt, 28);
	len = 28;
	assert_int_equal(srtp_ctx_protect_rtcp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(f->caller_rtcp.fd, wire, len, &to_a);
	r = recv_wait(f->ivr_rtcp.fd, got, sizeof(got), WAIT_MS, NULL);
	assert_int_equal(r, 28);
	assert_memory_equal(got, pkt, 28);
	/* Plain RTCP from the IVR leaves as SRTCP towards the caller's RTCP port. */
	rtcp_make(pkt, 0x55667788, 0x12345678);
	send_to(f->ivr_rtcp.fd, pkt, 28, &to_b);
	r = recv_wait(f->caller_rtcp.fd, got, sizeof(got), WAIT_MS, NULL);
	assert_true(r > 28);
	assert_null(memmem(got + 8, (size_t)r - 8, pkt + 8, 8));
	len = (size_t)r;
	assert_int_equal(srtp_ctx_unprotect_rtcp(f->caller_rx, got, &len), 0);
	assert_int_equal(len, 28);
	assert_memory_equal(got, pkt, 28);
	/* Nothing leaked onto the RTP sockets. */
	assert_int_equal(recv_wait(f->caller.fd, got, sizeof(got), 50, NULL), -1);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), 50, NULL), -1);
}

/* Leg A muxes RTP and RTCP on one port; leg B keeps them apart. */
static void
test_rtcp_mux(void **state)
{
	struct fx *f = *state;
	struct sa to_a = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct sa to_b = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTCP);
	struct relay_media_stats st;
	uint8_t pkt[64], wire[256], got[256];
	size_t len;
	ssize_t r;

	caller_to_ivr(f, 20, 10);
	rtcp_make(pkt, 0x11223344, 0xabcdef01);
	memcpy(wire, pkt, 28);
	len = 28;
	assert_int_equal(srtp_ctx_protect_rtcp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(f->caller.fd, wire, len, &to_a);
	r = recv_wait(f->ivr_rtcp.fd, got, sizeof(got), WAIT_MS, NULL);
	assert_int_equal(r, 28);
	assert_memory_equal(got, pkt, 28);
	/* IVR RTCP goes back on the muxed port, to the caller's RTP address. */
	rtcp_make(pkt, 0x55667788, 0x12345678);
	send_to(f->ivr_rtcp.fd, pkt, 28, &to_b);
	r = recv_wait(f->caller.fd, got, sizeof(got), WAIT_MS, NULL);
	assert_true(r > 28);
	len = (size_t)r;
	assert_int_equal(srtp_ctx_unprotect_rtcp(f->caller_rx, got, &len), 0);
	assert_memory_equal(got, pkt, 28);
	ivr_to_caller(f, 20, 10);
	stats_get(f, &st);
	assert_int_equal(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTCP].packets_in, 1);
	assert_int_equal(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].packets_in, 20);
	assert_int_equal(st.leg[RELAY_LEG_A].local_port[RELAY_STREAM_RTCP],
	    st.leg[RELAY_LEG_A].local_port[RELAY_STREAM_RTP]);
}

static void
test_forged_and_replayed(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	uint8_t wire[512], copy[512], got[512];
	size_t len;

	caller_to_ivr(f, 10, 10);
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	memcpy(copy, wire, len);
	/* Forged: one payload bit flipped. */
	copy[40] ^= 0x01;
	send_to(f->caller.fd, copy, len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_AUTH, 1);
	/* The genuine one still passes (the forgery did not burn its index). */
	send_to(f->caller.fd, wire, len, &to);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), WAIT_MS, NULL), RTP_LEN);
	/* Replayed: the same bytes again. */
	send_to(f->caller.fd, wire, len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_REPLAY, 1);
	/* Forged tag bit. */
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	wire[len - 1] ^= 0x80;
	send_to(f->caller.fd, wire, len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_AUTH, 2);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), 50, NULL), -1);
	/* The call is unharmed. */
	caller_to_ivr(f, 10, 10);
	ivr_to_caller(f, 10, 10);
}

/* The SRTP leg moves its latch only for authenticated packets. */
static void
test_garbage(void **state)
{
	struct fx *f = *state;
	struct sa to_a = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct sa to_b = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTP);
	static uint8_t huge[9000];
	uint8_t small[16];
	unsigned leg;

	memset(huge, 0, sizeof(huge));
	huge[0] = 0x80;
	memset(small, 0, sizeof(small));
	small[0] = 0x80;
	for (leg = 0; leg < 2; leg++) {
		const struct sa *to = leg == 0 ? &to_a : &to_b;
		int fd = leg == 0 ? f->caller.fd : f->ivr.fd;

		send_to(fd, small, 0, to);        /* empty */
		send_to(fd, small, 1, to);        /* 1 byte */
		send_to(fd, small, 11, to);       /* 11 bytes: shorter than an RTP header */
		small[0] = 0x00;
		send_to(fd, small, 16, to);       /* version 0 */
		small[0] = 0x80;
		send_to(fd, huge, sizeof(huge), to);  /* longer than any media packet */
	}
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_MALFORMED, 5);
	expect_drops(f, RELAY_LEG_B, RELAY_STREAM_RTP, RELAY_DROP_MALFORMED, 5);
	/* Random bytes on the SRTP leg's RTCP port, and a too-short SRTCP. */
	{
		struct sa to_rtcp = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTCP);
		uint8_t junk[64];

		assert_int_equal(rand_bytes(junk, sizeof(junk)), 0);
		junk[0] = 0x80;
		junk[1] = 200;
		send_to(f->caller_rtcp.fd, junk, sizeof(junk), &to_rtcp);
		send_to(f->caller_rtcp.fd, junk, 7, &to_rtcp);
		expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTCP, RELAY_DROP_MALFORMED, 1);
		expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTCP, RELAY_DROP_AUTH, 1);
	}
	/* Garbage is not media, but it is traffic: the media timeout counts it as such. */
	assert_true(relay_media_last_packet_ms(f->m) > 0);
	/* The call goes on. */
	caller_to_ivr(f, 20, 10);
	ivr_to_caller(f, 20, 10);
}

/* No destination known yet on the IVR leg: counted, and forwarded once signalled. */
static void
test_ipv6_leg(void **state)
{
	struct fx *f = *state;
	struct usock c6, a6, a6c;
	struct relay_leg_cfg a = f->ca;
	struct relay_media *m = NULL;
	struct relay_media_stats st;
	struct sa to;
	uint8_t wire[512], got[512], plain[512];
	size_t len;

	if (usock_open(&c6, "::1") != 0) {
		skip();
		return;
	}
	assert_int_equal(usock_open(&a6, "::1"), 0);
	assert_int_equal(usock_open(&a6c, "::1"), 0);
	a.fd_rtp = a6.fd;
	a.fd_rtcp = a6c.fd;
	a.remote_rtp = c6.addr;
	memset(&a.remote_rtcp, 0, sizeof(a.remote_rtcp));
	/* Leg B reuses the fixture's IVR side with fresh relay sockets. */
	{
		struct usock b4, b4c;
		struct relay_leg_cfg b = f->cb;

		assert_int_equal(usock_open(&b4, "127.0.0.1"), 0);
		assert_int_equal(usock_open(&b4c, "127.0.0.1"), 0);
		b.fd_rtp = b4.fd;
		b.fd_rtcp = b4c.fd;
		assert_int_equal(relay_media_create(f->r, &a, &b, &m), 0);
	}
	relay_media_stats(m, &st);
	to = c6.addr;
	sa_set_port(&to, st.leg[RELAY_LEG_A].local_port[RELAY_STREAM_RTP]);
	len = rtp_make(wire, 7, 0x11223344, 0);
	memcpy(plain, wire, len);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(c6.fd, wire, len, &to);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), WAIT_MS, NULL), RTP_LEN);
	assert_memory_equal(got, plain, RTP_LEN);
	/* And back: IVR (v4) to the v6 caller. */
	{
		struct sa tb;

		assert_int_equal(sa_parse(&tb, "127.0.0.1", st.leg[RELAY_LEG_B].local_port[RELAY_STREAM_RTP]), 0);
		len = rtp_make(plain, 9, 0x55667788, 8);
		send_to(f->ivr.fd, plain, len, &tb);
		assert_true(recv_wait(c6.fd, got, sizeof(got), WAIT_MS, NULL) > RTP_LEN);
	}
	relay_media_destroy(m);
	usock_close(&c6);
}

/* Worker counters reach the metrics registry, per worker. */
static void
test_metrics(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	uint64_t end;

	caller_to_ivr(f, 30, 10);
	ivr_to_caller(f, 20, 10);
	send_to(f->caller.fd, "x", 1, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_MALFORMED, 1);
	/* Metrics are published at the end of each wakeup: allow that moment. */
	end = time_mono_ms() + WAIT_MS;
	while (fx_metric_sum(f, "sbc_relay_drops_total", ",reason=\"malformed\"") < 1 &&
	    time_mono_ms() < end)
		usleep(1000);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_packets_out_total", ""), 50);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_packets_in_total", ""), 51);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_bytes_out_total", ""), 30 * RTP_LEN +
	    20 * (RTP_LEN + crypto_suite_info(f->suite)->rtp_auth_tag_len));
	assert_int_equal(fx_metric_sum(f, "sbc_relay_drops_total", ",reason=\"malformed\""), 1);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_drops_total", ",reason=\"auth\""), 0);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_media", ""), 1);
	/* Batched: every datagram came through a worker's shared socket, none on its port's own
	 * (which would mean the sk_lookup map did not steer it); sockets: none. */
	assert_int_equal(fx_metric_sum(f, "sbc_relay_steered_total", ""),
	    fx_relay_io() == RELAY_IO_BATCHED ? 51 : 0);
	assert_int_equal(fx_metric_sum(f, "sbc_relay_unknown_port_total", ""), 0);
	assert_true(fx_metric_sum(f, "sbc_relay_recv_calls_total", "") > 0);
	assert_true(fx_metric_sum(f, "sbc_relay_send_calls_total", "") > 0);
	relay_media_destroy(f->m);
	f->m = NULL;
	assert_int_equal(fx_metric_sum(f, "sbc_relay_media", ""), 0);
	assert_true(relay_worker_cpu_ns(f->r, 0) > 0 || relay_worker_cpu_ns(f->r, 1) > 0);
	assert_int_equal(relay_worker_cpu_ns(f->r, 2), 0);
}

#define SUITE_TEST(s) \
	{ "test_both_ways_" #s, test_both_ways, fx_setup_prestate, fx_teardown, \
	    (void *)(uintptr_t)(s) }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		SUITE_TEST(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80),
		SUITE_TEST(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32),
		SUITE_TEST(CRYPTO_SUITE_AEAD_AES_128_GCM),
		SUITE_TEST(CRYPTO_SUITE_AEAD_AES_256_GCM),
		SUITE_TEST(CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80),
		cmocka_unit_test_setup_teardown(test_dtmf_untouched, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rtcp, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rtcp_mux, fx_setup_mux, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forged_and_replayed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_garbage, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_leg, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_metrics, fx_setup_metrics, fx_teardown),
	};

	return cmocka_run_group_tests(tests, relay_group_setup, NULL);
}

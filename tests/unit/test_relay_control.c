/* SPDX-License-Identifier: BSD-2-Clause */
/* The relay control path in-process: latching, re-key, hold, destroy, bad configs, spreading over workers. */
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
test_latch_after_auth(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct sa to_b = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTP);
	struct relay_media_stats st;
	struct usock nat;
	uint8_t wire[512], got[512];
	size_t len;

	/* The caller's media really comes from another port (a NAT). */
	assert_int_equal(usock_open(&nat, "127.0.0.1"), 0);
	/* Unauthenticated junk from the NAT port: no latch. */
	len = rtp_make(wire, 1, 0x11223344, 0);
	memset(wire + 12, 0xee, len - 12 + 10);
	send_to(nat.fd, wire, len + 10, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_AUTH, 1);
	stats_get(f, &st);
	assert_false(st.leg[RELAY_LEG_A].latched[RELAY_STREAM_RTP]);
	assert_true(sa_equal(&st.leg[RELAY_LEG_A].dest[RELAY_STREAM_RTP], &f->caller.addr));
	/* IVR audio still goes to the signalled address. */
	len = rtp_make(wire, 1, 0x55667788, 8);
	send_to(f->ivr.fd, wire, len, &to_b);
	assert_true(recv_wait(f->caller.fd, got, sizeof(got), WAIT_MS, NULL) > 0);
	assert_int_equal(recv_wait(nat.fd, got, sizeof(got), 50, NULL), -1);
	/* An authenticated packet from the NAT port moves the latch. */
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(nat.fd, wire, len, &to);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), WAIT_MS, NULL), RTP_LEN);
	stats_get(f, &st);
	assert_true(st.leg[RELAY_LEG_A].latched[RELAY_STREAM_RTP]);
	assert_true(sa_equal(&st.leg[RELAY_LEG_A].dest[RELAY_STREAM_RTP], &nat.addr));
	len = rtp_make(wire, 2, 0x55667788, 8);
	send_to(f->ivr.fd, wire, len, &to_b);
	assert_true(recv_wait(nat.fd, got, sizeof(got), WAIT_MS, NULL) > RTP_LEN);
	assert_int_equal(recv_wait(f->caller.fd, got, sizeof(got), 50, NULL), -1);
	/* A replay from a third port cannot pull the latch away. */
	{
		struct usock evil;

		assert_int_equal(usock_open(&evil, "127.0.0.1"), 0);
		send_to(evil.fd, wire, 0, &to);  /* empty: malformed */
		len = rtp_make(wire, (uint16_t)(f->seq_caller - 1), 0x11223344, 0);
		assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
		send_to(evil.fd, wire, len, &to);
		expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_REPLAY, 1);
		stats_get(f, &st);
		assert_true(sa_equal(&st.leg[RELAY_LEG_A].dest[RELAY_STREAM_RTP], &nat.addr));
		usock_close(&evil);
	}
	usock_close(&nat);
}

/* The RTP leg latches only to its signalled IP; strict source drops the rest. */
static void
test_latch_signalled_ip(void **state)
{
	struct fx *f = *state;
	struct sa to_b = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTP);
	struct relay_media_stats st;
	struct usock other_port, other_ip;
	uint8_t wire[512], got[512];
	size_t len;

	assert_int_equal(usock_open(&other_port, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&other_ip, "127.0.0.2"), 0);
	/* From another IP: forwarded (not strict) but no latch. */
	len = rtp_make(wire, 1, 0x55667788, 8);
	send_to(other_ip.fd, wire, len, &to_b);
	assert_true(recv_wait(f->caller.fd, got, sizeof(got), WAIT_MS, NULL) > 0);
	stats_get(f, &st);
	assert_false(st.leg[RELAY_LEG_B].latched[RELAY_STREAM_RTP]);
	assert_true(sa_equal(&st.leg[RELAY_LEG_B].dest[RELAY_STREAM_RTP], &f->ivr.addr));
	/* From the signalled IP, another port: latched. */
	send_to(other_port.fd, wire, len, &to_b);
	assert_true(recv_wait(f->caller.fd, got, sizeof(got), WAIT_MS, NULL) > 0);
	stats_get(f, &st);
	assert_true(st.leg[RELAY_LEG_B].latched[RELAY_STREAM_RTP]);
	assert_true(sa_equal(&st.leg[RELAY_LEG_B].dest[RELAY_STREAM_RTP], &other_port.addr));
	/* Caller audio now goes to the learned port. */
	{
		struct sa to_a = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
		uint8_t sw[512];
		size_t sl = rtp_make(sw, f->seq_caller++, 0x11223344, 0);

		assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, sw, &sl, sizeof(sw)), 0);
		send_to(f->caller.fd, sw, sl, &to_a);
		assert_int_equal(recv_wait(other_port.fd, got, sizeof(got), WAIT_MS, NULL), RTP_LEN);
		assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), 50, NULL), -1);
	}
	/* Strict source: the other IP is now dropped and counted. */
	f->cb.strict_source = true;
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	stats_get(f, &st);
	/* Same remote: the learned address survives the update. */
	assert_true(sa_equal(&st.leg[RELAY_LEG_B].dest[RELAY_STREAM_RTP], &other_port.addr));
	send_to(other_ip.fd, wire, len, &to_b);
	expect_drops(f, RELAY_LEG_B, RELAY_STREAM_RTP, RELAY_DROP_SOURCE, 1);
	assert_int_equal(recv_wait(f->caller.fd, got, sizeof(got), 50, NULL), -1);
	send_to(other_port.fd, wire, len, &to_b);
	assert_true(recv_wait(f->caller.fd, got, sizeof(got), WAIT_MS, NULL) > 0);
	usock_close(&other_port);
	usock_close(&other_ip);
}

/* A re-INVITE with a new caller key: fresh context; the old key no longer passes. */
static void
test_rekey(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct srtp_ctx *old_tx = f->caller_tx;
	uint8_t wire[512], kept[512], got[512];
	size_t len, kept_len;

	caller_to_ivr(f, 100, 50);
	ivr_to_caller(f, 100, 50);
	/* An update with identical keys keeps the context: a replay is still a replay. */
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	memcpy(kept, wire, len);
	kept_len = len;
	send_to(f->caller.fd, wire, len, &to);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), WAIT_MS, NULL), RTP_LEN);
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	send_to(f->caller.fd, kept, kept_len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_REPLAY, 1);

	/* New caller key, sequence restarting low (a new SRTP session, ROC 0). */
	key_make(&f->k_caller, f->suite);
	f->ca.rx_key = f->k_caller;
	assert_int_equal(srtp_ctx_create(&f->caller_tx, f->suite, &f->k_caller,
	    SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	/* Old-key packets are now forgeries. */
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(old_tx, wire, &len, sizeof(wire)), 0);
	send_to(f->caller.fd, wire, len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_AUTH, 1);
	srtp_ctx_destroy(old_tx);
	f->seq_caller = 1;
	caller_to_ivr(f, 100, 50);
	/* Our key did not change: the caller's receive context keeps working. */
	ivr_to_caller(f, 100, 50);

	/* Our own key changes (re-key asked): the caller must use the new one. */
	key_make(&f->k_ours, f->suite);
	f->ca.tx_key = f->k_ours;
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	srtp_ctx_destroy(f->caller_rx);
	assert_int_equal(srtp_ctx_create(&f->caller_rx, f->suite, &f->k_ours,
	    SRTP_CTX_INBOUND, NULL), 0);
	ivr_to_caller(f, 50, 50);
}

/* Hold: the IVR leg stops sending; resume restores the flow. */
static void
test_hold_resume(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct relay_media_stats st;
	uint8_t wire[512], got[512];
	size_t len;
	unsigned i;

	caller_to_ivr(f, 10, 10);
	f->cb.send = false;
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	for (i = 0; i < 5; i++) {
		len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
		assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
		send_to(f->caller.fd, wire, len, &to);
	}
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_DIRECTION, 5);
	assert_int_equal(recv_wait(f->ivr.fd, got, sizeof(got), 50, NULL), -1);
	/* The other direction is unaffected by a sendonly hold. */
	ivr_to_caller(f, 10, 10);
	/* Inactive on the caller leg: nothing it sends is taken. */
	f->ca.recv = false;
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(f->caller.fd, wire, len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_DIRECTION, 6);
	/* Resume. */
	f->ca.recv = true;
	f->cb.send = true;
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	caller_to_ivr(f, 20, 10);
	ivr_to_caller(f, 20, 10);
	stats_get(f, &st);
	assert_true(st.leg[RELAY_LEG_B].send);
}

static void
test_destroy_closes(void **state)
{
	struct fx *f = *state;
	struct relay_media_stats st;
	int fds[4];
	uint8_t got[512], wire[512];
	size_t len;
	struct sa to;
	unsigned i;

	stats_get(f, &st);
	to = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTP);
	fds[0] = f->ca.fd_rtp;
	fds[1] = f->ca.fd_rtcp;
	fds[2] = f->cb.fd_rtp;
	fds[3] = f->cb.fd_rtcp;
	relay_media_destroy(f->m);
	f->m = NULL;
	for (i = 0; i < 4; i++)
		assert_true(fcntl(fds[i], F_GETFD) == -1 && errno == EBADF);
	/* Nothing is listening on the old port any more. */
	len = rtp_make(wire, 1, 0x55667788, 8);
	(void)sendto(f->ivr.fd, wire, len, 0, &to.u.sa, sizeof(struct sockaddr_in));
	assert_int_equal(recv_wait(f->caller.fd, got, sizeof(got), 100, NULL), -1);
}

/* Final counters and tear-down in one call: the counters are those of the last
 * packets, the fds are closed on return, and a detached (NULL) media is a no-op. */
static void
test_destroy_stats(void **state)
{
	struct fx *f = *state;
	struct relay_media_stats before, st;
	int fds[4];
	unsigned i;

	caller_to_ivr(f, 7, 7);
	ivr_to_caller(f, 3, 3);
	stats_get(f, &before);
	fds[0] = f->ca.fd_rtp;
	fds[1] = f->ca.fd_rtcp;
	fds[2] = f->cb.fd_rtp;
	fds[3] = f->cb.fd_rtcp;
	memset(&st, 0xa5, sizeof(st));
	relay_media_destroy_stats(f->m, &st);
	f->m = NULL;
	for (i = 0; i < 4; i++)
		assert_true(fcntl(fds[i], F_GETFD) == -1 && errno == EBADF);
	assert_int_equal(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].packets_in,
	    before.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].packets_in);
	assert_true(st.leg[RELAY_LEG_A].stream[RELAY_STREAM_RTP].packets_in >= 7);
	assert_int_equal(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].packets_out,
	    before.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].packets_out);
	assert_true(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].packets_out >= 7);
	assert_true(st.leg[RELAY_LEG_B].stream[RELAY_STREAM_RTP].packets_in >= 3);
	assert_int_equal(st.worker, before.worker);
	assert_int_equal(st.leg[RELAY_LEG_A].local_port[RELAY_STREAM_RTP],
	    before.leg[RELAY_LEG_A].local_port[RELAY_STREAM_RTP]);
	/* NULL: nothing to destroy, the output stays untouched. */
	memset(&st, 0x5a, sizeof(st));
	relay_media_destroy_stats(NULL, &st);
	assert_int_equal(st.worker, 0x5a5a5a5au);
}

static void
test_destroy_under_load(void **state)
{
	struct fx *f = *state;
	struct sa to_a = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	struct sa to_b = relay_addr(f, RELAY_LEG_B, RELAY_STREAM_RTP);
	uint8_t wire[512];
	size_t len;
	unsigned i;

	for (i = 0; i < 300; i++) {
		len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
		assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
		(void)sendto(f->caller.fd, wire, len, 0, &to_a.u.sa, sizeof(struct sockaddr_in));
		len = rtp_make(wire, f->seq_ivr++, 0x55667788, 8);
		(void)sendto(f->ivr.fd, wire, len, 0, &to_b.u.sa, sizeof(struct sockaddr_in));
		if (i == 150) {
			/* Updates interleave with the traffic too. */
			f->cb.send = false;
			assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
			f->cb.send = true;
			assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
		}
	}
	relay_media_destroy(f->m);
	f->m = NULL;
	assert_true(fcntl(f->ca.fd_rtp, F_GETFD) == -1 && errno == EBADF);
	assert_true(fcntl(f->cb.fd_rtp, F_GETFD) == -1 && errno == EBADF);
}

/* An IPv6 SRTP leg (outside) bridged to an IPv4 RTP leg (inside). */
static void
test_no_destination(void **state)
{
	struct fx *f = *state;
	struct sa to = relay_addr(f, RELAY_LEG_A, RELAY_STREAM_RTP);
	uint8_t wire[512];
	size_t len;

	memset(&f->cb.remote_rtp, 0, sizeof(f->cb.remote_rtp));
	memset(&f->cb.remote_rtcp, 0, sizeof(f->cb.remote_rtcp));
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	len = rtp_make(wire, f->seq_caller++, 0x11223344, 0);
	assert_int_equal(srtp_ctx_protect_rtp(f->caller_tx, wire, &len, sizeof(wire)), 0);
	send_to(f->caller.fd, wire, len, &to);
	expect_drops(f, RELAY_LEG_A, RELAY_STREAM_RTP, RELAY_DROP_NODEST, 1);
	f->cb.remote_rtp = f->ivr.addr;
	f->cb.remote_rtcp = f->ivr_rtcp.addr;
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	caller_to_ivr(f, 10, 10);
}

/* No SDP address on the SRTP leg: the first authenticated packet tells where the caller is. */
static void
test_learn_without_sdp_address(void **state)
{
	struct fx *f = *state;
	struct relay_media_stats st;

	memset(&f->ca.remote_rtp, 0, sizeof(f->ca.remote_rtp));
	memset(&f->ca.remote_rtcp, 0, sizeof(f->ca.remote_rtcp));
	assert_int_equal(relay_media_update(f->m, &f->ca, &f->cb), 0);
	stats_get(f, &st);
	assert_int_equal(sa_family(&st.leg[RELAY_LEG_A].dest[RELAY_STREAM_RTP]), AF_UNSPEC);
	caller_to_ivr(f, 5, 5);
	stats_get(f, &st);
	assert_true(st.leg[RELAY_LEG_A].latched[RELAY_STREAM_RTP]);
	assert_true(sa_equal(&st.leg[RELAY_LEG_A].dest[RELAY_STREAM_RTP], &f->caller.addr));
	ivr_to_caller(f, 5, 5);
}

/* Destroy while packets are in flight in both directions: no crash, fds closed. */
static void
test_create_invalid(void **state)
{
	struct fx *f = *state;
	struct relay_leg_cfg a = f->ca, b = f->cb;
	struct relay_media *m = NULL;
	struct usock s1, s2, s3, s4;

	assert_int_equal(usock_open(&s1, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&s2, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&s3, "127.0.0.1"), 0);
	assert_int_equal(usock_open(&s4, "127.0.0.1"), 0);
	a.fd_rtp = s1.fd;
	a.fd_rtcp = s2.fd;
	b.fd_rtp = s3.fd;
	b.fd_rtcp = s4.fd;
	a.rx_key.suite = CRYPTO_SUITE_NONE;         /* SRTP leg without a key */
	assert_int_equal(relay_media_create(f->r, &a, &b, &m), EINVAL);
	a.rx_key = f->k_caller;
	a.tx_key.key_salt_len = 3;                  /* wrong key length */
	assert_int_equal(relay_media_create(f->r, &a, &b, &m), EINVAL);
	a.tx_key = f->k_ours;
	b.fd_rtcp = -1;                             /* no RTCP socket without mux */
	assert_int_equal(relay_media_create(f->r, &a, &b, &m), EINVAL);
	b.fd_rtcp = s4.fd;
	b.latch = (enum relay_latch)7;
	assert_int_equal(relay_media_create(f->r, &a, &b, &m), EINVAL);
	assert_null(m);
	assert_int_equal(relay_media_update(f->m, &a, &b), EINVAL);
	assert_int_equal(fcntl(s1.fd, F_GETFD) >= 0, 1);
	assert_int_equal(fcntl(s4.fd, F_GETFD) >= 0, 1);
	/* A valid one spreads to the other worker. */
	b.latch = RELAY_LATCH_OFF;
	assert_int_equal(relay_media_create(f->r, &a, &b, &m), 0);
	{
		struct relay_media_stats s_old, s_new;

		relay_media_stats(f->m, &s_old);
		relay_media_stats(m, &s_new);
		assert_int_not_equal(s_old.worker, s_new.worker);
	}
	relay_media_destroy(m);
	assert_true(fcntl(s1.fd, F_GETFD) == -1);
	assert_int_equal(relay_alloc(&f->r, 0, NULL), EINVAL);
}

/* With many media on two workers, each worker carries its own share. */
static void
test_many_media(void **state)
{
	struct fx *f = *state;
	enum { N = 20 };
	struct relay_media *m[N];
	struct usock s[N][4];
	struct relay_media_stats st;
	unsigned i, on[2] = { 0, 0 };

	for (i = 0; i < N; i++) {
		struct relay_leg_cfg a = f->ca, b = f->cb;

		for (unsigned k = 0; k < 4; k++)
			assert_int_equal(usock_open(&s[i][k], "127.0.0.1"), 0);
		a.fd_rtp = s[i][0].fd;
		a.fd_rtcp = s[i][1].fd;
		b.fd_rtp = s[i][2].fd;
		b.fd_rtcp = s[i][3].fd;
		assert_int_equal(relay_media_create(f->r, &a, &b, &m[i]), 0);
		relay_media_stats(m[i], &st);
		on[st.worker]++;
	}
	assert_true(on[0] >= N / 2 - 1 && on[1] >= N / 2 - 1);
	for (i = 0; i < N; i++)
		relay_media_destroy(m[i]);
	caller_to_ivr(f, 10, 10);
}

/* relay_free() takes down media still attached: fds closed, nothing leaked (ASan). */
static void
test_free_with_media(void **state)
{
	struct fx *f = *state;
	struct relay *r = NULL;
	struct relay_media *m[3];
	struct usock s[3][4];
	unsigned i, k;

	assert_int_equal(fx_relay_alloc(&r, 3, NULL), 0);
	assert_int_equal(relay_worker_count(r), 3);
	for (i = 0; i < 3; i++) {
		struct relay_leg_cfg a = f->ca, b = f->cb;

		for (k = 0; k < 4; k++)
			assert_int_equal(usock_open(&s[i][k], "127.0.0.1"), 0);
		a.fd_rtp = s[i][0].fd;
		a.fd_rtcp = s[i][1].fd;
		b.fd_rtp = s[i][2].fd;
		b.fd_rtcp = s[i][3].fd;
		assert_int_equal(relay_media_create(r, &a, &b, &m[i]), 0);
	}
	relay_free(r);
	for (i = 0; i < 3; i++)
		for (k = 0; k < 4; k++)
			assert_true(fcntl(s[i][k].fd, F_GETFD) == -1 && errno == EBADF);
	relay_free(NULL);
	relay_media_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_latch_after_auth, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_latch_signalled_ip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rekey, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hold_resume, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_closes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_stats, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_under_load, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_destination, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_learn_without_sdp_address, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_invalid, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_many_media, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_free_with_media, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, relay_group_setup, NULL);
}

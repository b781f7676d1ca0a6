/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for mediad/srtp_track: per-SSRC indexes published, stored and resumed after a
 * restart (across a sequence wrap, SRTCP above anything sent, replays and reuse refused). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "srtp.h"

#define PAYLOAD 40
#define CAP (12 + PAYLOAD + SRTP_CTX_TAILROOM)

static const enum crypto_suite suites[] = {
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80,
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
	CRYPTO_SUITE_AEAD_AES_128_GCM,
	CRYPTO_SUITE_AEAD_AES_256_GCM,
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

struct pkt {
	uint8_t b[CAP] __attribute__((aligned(4)));
	size_t len;
};

static void
make_key(struct crypto_key *k, enum crypto_suite s, uint8_t seed)
{
	const struct crypto_suite_info *i = crypto_suite_info(s);

	memset(k, 0, sizeof(*k));
	k->suite = s;
	k->key_salt_len = i->key_len + i->salt_len;
	for (size_t j = 0; j < k->key_salt_len; j++)
		k->key_salt[j] = (uint8_t)(seed ^ (j * 13));
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
rtp_make(struct pkt *p, uint16_t seq, uint32_t ssrc)
{
	memset(p->b, 0, sizeof(p->b));
	p->b[0] = 0x80;
	p->b[2] = (uint8_t)(seq >> 8);
	p->b[3] = (uint8_t)seq;
	put32(p->b + 4, 160u * seq);
	put32(p->b + 8, ssrc);
	for (size_t i = 0; i < PAYLOAD; i++)
		p->b[12 + i] = (uint8_t)(seq + i);
	p->len = 12 + PAYLOAD;
}

/* An RTCP RR with one report block (32 bytes). */
static void
rtcp_make(struct pkt *p, uint32_t ssrc, uint8_t fill)
{
	memset(p->b, 0, sizeof(p->b));
	p->b[0] = 0x81;
	p->b[1] = 201;
	p->b[3] = 7;
	put32(p->b + 4, ssrc);
	memset(p->b + 8, fill, 24);
	p->len = 32;
}

/* Protect with tx, unprotect with rx: 0 or the first failure. */
static int
rtp_pass(struct srtp_ctx *tx, struct srtp_ctx *rx, uint16_t seq, uint32_t ssrc,
    struct pkt *wire)
{
	struct pkt p;
	int err;

	rtp_make(&p, seq, ssrc);
	err = srtp_ctx_protect_rtp(tx, p.b, &p.len, sizeof(p.b));
	if (err)
		return err;
	if (wire != NULL)
		*wire = p;
	return srtp_ctx_unprotect_rtp(rx, p.b, &p.len);
}

/* The SRTCP index of a protected packet (E flag dropped), per libsrtp's layout. */
static uint32_t
srtcp_index(enum crypto_suite s, const struct pkt *p)
{
	const struct crypto_suite_info *i = crypto_suite_info(s);
	size_t back = i->aead ? 4 : i->rtcp_auth_tag_len + 4;
	const uint8_t *q = p->b + p->len - back;

	return ((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]) &
	    0x7fffffffu;
}

static int
rtcp_pass(struct srtp_ctx *tx, struct srtp_ctx *rx, uint32_t ssrc, enum crypto_suite s,
    uint32_t *idxp, struct pkt *wire)
{
	struct pkt p;
	int err;

	rtcp_make(&p, ssrc, 0x5a);
	err = srtp_ctx_protect_rtcp(tx, p.b, &p.len, sizeof(p.b));
	if (err)
		return err;
	if (idxp != NULL)
		*idxp = srtcp_index(s, &p);
	if (wire != NULL)
		*wire = p;
	return srtp_ctx_unprotect_rtcp(rx, p.b, &p.len);
}

static const struct srtp_ctx_ssrc_state *
state_of(const struct srtp_ctx_ssrc_state *st, unsigned n, uint32_t ssrc)
{
	for (unsigned i = 0; i < n; i++)
		if (st[i].ssrc == ssrc)
			return &st[i];
	return NULL;
}

/* What the packet path publishes: highest roc:seq (late packets do not lower it), SRTCP. */
static void
test_state_published(void **state)
{
	const uint32_t ssrc = 0x11223344;
	struct srtp_ctx_ssrc_state st[SRTP_CTX_MAX_SSRC];
	const struct srtp_ctx_ssrc_state *e;
	struct srtp_ctx *tx, *rx;
	struct crypto_key k;
	uint64_t ev0;
	uint32_t idx;
	unsigned n;

	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0x21);
	assert_int_equal(srtp_ctx_create(&tx, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&rx, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_state_get(tx, st, SRTP_CTX_MAX_SSRC), 0);
	ev0 = srtp_ctx_events();
	for (uint32_t i = 0; i < 150; i++)
		if (i != 130)
			assert_int_equal(rtp_pass(tx, rx, (uint16_t)(65400 + i), ssrc, NULL), 0);
	/* a new SSRC and a ROC change are events a store polls for */
	assert_true(srtp_ctx_events() >= ev0 + 2);
	/* a late packet from before the wrap: accepted, the highest index stays */
	assert_int_equal(rtp_pass(tx, rx, 65530, ssrc, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rtcp_pass(tx, rx, ssrc, k.suite, &idx, NULL), 0);
	assert_int_equal(idx, 3);
	for (int d = 0; d < 2; d++) {
		n = srtp_ctx_state_get(d ? rx : tx, st, SRTP_CTX_MAX_SSRC);
		assert_int_equal(n, 1);
		e = state_of(st, n, ssrc);
		assert_non_null(e);
		assert_true(e->have_rtp);
		assert_int_equal(e->roc, 1);
		assert_int_equal(e->seq, (uint16_t)(65400 + 149));
		assert_true(e->have_rtcp);
		assert_int_equal(e->rtcp_index, 3);
	}
	/* max limits the copy */
	assert_int_equal(srtp_ctx_state_get(tx, st, 0), 0);
	srtp_ctx_destroy(tx);
	srtp_ctx_destroy(rx);
}

/*
 * The restart: state stored some packets before a kill (the store lags), new contexts
 * resumed from it, the peer's contexts continue. Every suite, a store before the wrap
 * and a kill after it, so the ROC must be estimated past the stored one.
 */
static void
test_resume_across_wrap(void **state)
{
	const uint32_t s_in = 0xa1a1a1a1, s_out = 0xb2b2b2b2;

	for (size_t si = 0; si < NSUITES; si++) {
		enum crypto_suite s = suites[si];
		struct srtp_ctx *peer_tx, *peer_rx, *md_rx, *md_tx, *md_rx2, *md_tx2, *fresh;
		struct srtp_ctx_ssrc_state st_rx[SRTP_CTX_MAX_SSRC], st_tx[SRTP_CTX_MAX_SSRC];
		struct crypto_key kp, km;
		uint32_t idx, max_sent = 0, first_after;
		uint16_t seq = 65300;
		unsigned nrx, ntx;
		struct pkt old_rtp, old_rtcp, p;

		make_key(&kp, s, 0x31);
		make_key(&km, s, 0x77);
		/* peer -> mediad with the peer's key, mediad -> peer with mediad's */
		assert_int_equal(srtp_ctx_create(&peer_tx, s, &kp, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_create(&md_rx, s, &kp, SRTP_CTX_INBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_create(&md_tx, s, &km, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_create(&peer_rx, s, &km, SRTP_CTX_INBOUND, NULL), 0);
		for (int i = 0; i < 300; i++, seq++) {
			assert_int_equal(rtp_pass(peer_tx, md_rx, seq, s_in, i == 100 ? &old_rtp :
			    &p), 0);
			assert_int_equal(rtp_pass(md_tx, peer_rx, seq, s_out, NULL), 0);
			if (i % 10 == 0) {
				assert_int_equal(rtcp_pass(peer_tx, md_rx, s_in, s, NULL,
				    i == 100 ? &old_rtcp : &p), 0);
				assert_int_equal(rtcp_pass(md_tx, peer_rx, s_out, s, &idx, NULL), 0);
				max_sent = idx;
			}
			if (i == 150) {	/* the last store before the kill: seq 65450, ROC 0 */
				nrx = srtp_ctx_state_get(md_rx, st_rx, SRTP_CTX_MAX_SSRC);
				ntx = srtp_ctx_state_get(md_tx, st_tx, SRTP_CTX_MAX_SSRC);
			}
		}
		/* the stream wrapped after the store: the restored ROC must follow */
		assert_int_equal(nrx, 1);
		assert_int_equal(ntx, 1);
		assert_int_equal(st_rx[0].roc, 0);
		assert_int_equal(st_tx[0].seq, 65450);
		/* kill -9: the old contexts are gone; what the code did before: ROC 0 */
		srtp_ctx_destroy(md_rx);
		srtp_ctx_destroy(md_tx);
		assert_int_equal(srtp_ctx_create(&fresh, s, &kp, SRTP_CTX_INBOUND, NULL), 0);
		assert_int_equal(rtp_pass(peer_tx, fresh, seq, s_in, NULL), EBADMSG);
		srtp_ctx_destroy(fresh);
		seq++;
		assert_int_equal(srtp_ctx_create(&md_rx2, s, &kp, SRTP_CTX_INBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_create(&md_tx2, s, &km, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_resume(md_rx2, &st_rx[0]), 0);
		assert_int_equal(srtp_ctx_resume(md_tx2, &st_tx[0]), 0);
		assert_int_equal(srtp_ctx_resume(md_tx2, &st_tx[0]), EEXIST);
		/* a replay of a packet the old process accepted before the store: refused */
		p = old_rtp;
		assert_int_equal(srtp_ctx_unprotect_rtp(md_rx2, p.b, &p.len), EALREADY);
		p = old_rtcp;
		assert_int_equal(srtp_ctx_unprotect_rtcp(md_rx2, p.b, &p.len), EALREADY);
		/* outbound: an index at or below the stored one would reuse keystream */
		rtp_make(&p, 65440, s_out);
		assert_int_equal(srtp_ctx_protect_rtp(md_tx2, p.b, &p.len, sizeof(p.b)), EALREADY);
		/* both directions continue, past the wrap, for both peers */
		for (int i = 0; i < 100; i++, seq++) {
			assert_int_equal(rtp_pass(peer_tx, md_rx2, seq, s_in, NULL), 0);
			assert_int_equal(rtp_pass(md_tx2, peer_rx, seq, s_out, NULL), 0);
		}
		/* SRTCP: the first index after the restart is above everything sent before */
		assert_int_equal(rtcp_pass(md_tx2, peer_rx, s_out, s, &first_after, NULL), 0);
		assert_true(first_after > max_sent);
		assert_int_equal(first_after, st_tx[0].rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN + 1);
		assert_int_equal(rtcp_pass(peer_tx, md_rx2, s_in, s, NULL, NULL), 0);
		/* and what is published now is the continued state, ROC 1 */
		assert_int_equal(srtp_ctx_state_get(md_tx2, st_tx, SRTP_CTX_MAX_SSRC), 1);
		assert_int_equal(st_tx[0].roc, 1);
		assert_int_equal(st_tx[0].seq, (uint16_t)(seq - 1));
		assert_int_equal(st_tx[0].rtcp_index, first_after);
		srtp_ctx_destroy(peer_tx);
		srtp_ctx_destroy(peer_rx);
		srtp_ctx_destroy(md_rx2);
		srtp_ctx_destroy(md_tx2);
	}
}

/* A restart long after a wrap: the stored ROC (not 0) is what the stream continues from. */
static void
test_resume_high_roc(void **state)
{
	const uint32_t ssrc = 0x0badcafe;
	struct srtp_ctx_ssrc_state st = { .ssrc = ssrc, .have_rtp = true, .roc = 7,
	    .seq = 1000 };
	struct srtp_ctx *tx, *rx, *rx2;
	struct crypto_key k;
	uint32_t roc;

	make_key(&k, CRYPTO_SUITE_AEAD_AES_128_GCM, 0x45);
	assert_int_equal(srtp_ctx_create(&tx, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&rx, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_resume(tx, &st), 0);
	assert_int_equal(srtp_ctx_resume(rx, &st), 0);
	for (uint16_t i = 1001; i < 1100; i++)
		assert_int_equal(rtp_pass(tx, rx, i, ssrc, NULL), 0);
	assert_int_equal(srtp_ctx_roc_get(tx, ssrc, &roc), 0);
	assert_int_equal(roc, 7);
	/* a receiver resumed with ROC 0 (the old behaviour) cannot follow */
	st.roc = 0;
	assert_int_equal(srtp_ctx_create(&rx2, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_resume(rx2, &st), 0);
	assert_int_equal(rtp_pass(tx, rx2, 1100, ssrc, NULL), EBADMSG);
	srtp_ctx_destroy(rx2);
	srtp_ctx_destroy(tx);
	srtp_ctx_destroy(rx);
}

/* Inbound packets of unknown SSRCs that fail authentication do not evict tracked ones. */
static void
test_forged_ssrcs_evict_nothing(void **state)
{
	struct srtp_ctx_ssrc_state st[SRTP_CTX_MAX_SSRC];
	struct srtp_ctx *tx, *rx, *other;
	struct crypto_key k, bad;
	struct pkt p;
	unsigned n;

	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0x12);
	make_key(&bad, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0x13);
	assert_int_equal(srtp_ctx_create(&tx, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&rx, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&other, k.suite, &bad, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(rtp_pass(tx, rx, 10, 0x1000, NULL), 0);
	for (uint32_t i = 0; i < 50; i++)
		assert_int_equal(rtp_pass(other, rx, 10, 0x2000 + i, &p), EBADMSG);
	n = srtp_ctx_state_get(rx, st, SRTP_CTX_MAX_SSRC);
	assert_int_equal(n, 1);
	assert_int_equal(st[0].ssrc, 0x1000);
	/* more genuine SSRCs than slots: the one idle longest goes */
	for (uint32_t i = 1; i <= SRTP_CTX_MAX_SSRC; i++)
		assert_int_equal(rtp_pass(tx, rx, 10, 0x1000 + i, NULL), 0);
	n = srtp_ctx_state_get(rx, st, SRTP_CTX_MAX_SSRC);
	assert_int_equal(n, SRTP_CTX_MAX_SSRC);
	assert_null(state_of(st, n, 0x1000));
	assert_non_null(state_of(st, n, 0x1000 + SRTP_CTX_MAX_SSRC));
	srtp_ctx_destroy(tx);
	srtp_ctx_destroy(rx);
	srtp_ctx_destroy(other);
}

/* An outbound SRTCP index too large to skip to: that SSRC's SRTCP is refused, never reused. */
static void
test_resume_rtcp_overflow(void **state)
{
	struct srtp_ctx_ssrc_state st = { .ssrc = 0x77, .have_rtcp = true,
	    .rtcp_index = SRTP_CTX_RESUME_RTCP_MAX };
	struct srtp_ctx *tx;
	struct crypto_key k;
	struct pkt p;

	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 0x66);
	assert_int_equal(srtp_ctx_create(&tx, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_resume(tx, &st), EOVERFLOW);
	rtcp_make(&p, 0x77, 1);
	assert_int_equal(srtp_ctx_protect_rtcp(tx, p.b, &p.len, sizeof(p.b)), EALREADY);
	/* other SSRCs are not affected */
	rtcp_make(&p, 0x78, 1);
	assert_int_equal(srtp_ctx_protect_rtcp(tx, p.b, &p.len, sizeof(p.b)), 0);
	st.rtcp_index = 0x80000000u;
	assert_int_equal(srtp_ctx_resume(tx, &st), EINVAL);
	assert_int_equal(srtp_ctx_resume(NULL, &st), EINVAL);
	srtp_ctx_destroy(tx);
}

/* What skipping SRTCP indexes costs at resume (the README quotes it), and that it is exact. */
static void
test_resume_rtcp_cost(void **state)
{
	struct srtp_ctx_ssrc_state st = { .ssrc = 0x99, .have_rtcp = true, .rtcp_index = 100000 };
	struct srtp_ctx *tx, *rx;
	struct crypto_key k;
	struct timespec t0, t1;
	uint32_t idx;
	double us;

	for (size_t si = 0; si < NSUITES; si++) {
		make_key(&k, suites[si], 0x3c);
		assert_int_equal(srtp_ctx_create(&tx, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
		assert_int_equal(srtp_ctx_create(&rx, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(srtp_ctx_resume(tx, &st), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
		print_message("%s: resume at SRTCP index %u took %.1f ms (%.3f us per index)\n",
		    crypto_suite_name(k.suite), st.rtcp_index, us / 1000,
		    us / (st.rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN));
		/* generous: a loaded machine still skips a day of reports in well under a second */
		assert_true(us / (st.rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN) < 20.0);
		assert_int_equal(rtcp_pass(tx, rx, 0x99, k.suite, &idx, NULL), 0);
		assert_int_equal(idx, st.rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN + 1);
		srtp_ctx_destroy(tx);
		srtp_ctx_destroy(rx);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_published),
		cmocka_unit_test(test_resume_across_wrap),
		cmocka_unit_test(test_resume_high_roc),
		cmocka_unit_test(test_forged_ssrcs_evict_nothing),
		cmocka_unit_test(test_resume_rtcp_overflow),
		cmocka_unit_test(test_resume_rtcp_cost),
	};

	return cmocka_run_group_tests_name("srtp_resume", tests, NULL, NULL);
}

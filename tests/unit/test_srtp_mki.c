/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for MKIs and key lifetimes in mediad/srtp_ctx (RFC 3711 §3.1, RFC 4568 §6.1). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srtp.h"

#define PKT_CAP (1500 + SRTP_CTX_TAILROOM)

struct pkt {
	size_t len;
	_Alignas(8) uint8_t b[PKT_CAP];
};

static void
make_key(struct crypto_key *k, enum crypto_suite s, uint8_t seed, unsigned mki_len,
    uint32_t mki, uint64_t lifetime)
{
	const struct crypto_suite_info *i = crypto_suite_info(s);

	memset(k, 0, sizeof(*k));
	k->suite = s;
	k->key_salt_len = i->key_len + i->salt_len;
	for (size_t j = 0; j < k->key_salt_len; j++)
		k->key_salt[j] = (uint8_t)(seed + j * 13);
	k->mki_len = mki_len;
	k->mki = mki;
	k->lifetime = lifetime;
}

static void
make_rtp(struct pkt *p, uint16_t seq, uint32_t ssrc)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 0x80;
	p->b[2] = (uint8_t)(seq >> 8);
	p->b[3] = (uint8_t)seq;
	p->b[8] = (uint8_t)(ssrc >> 24);
	p->b[9] = (uint8_t)(ssrc >> 16);
	p->b[10] = (uint8_t)(ssrc >> 8);
	p->b[11] = (uint8_t)ssrc;
	for (int j = 0; j < 160; j++)
		p->b[12 + j] = (uint8_t)(0x55 ^ j ^ seq);
	p->len = 12 + 160;
}

static void
make_rtcp(struct pkt *p, uint32_t ssrc)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = 0x80;
	p->b[1] = 201;	/* RR, no blocks */
	p->b[3] = 1;
	p->b[4] = (uint8_t)(ssrc >> 24);
	p->b[5] = (uint8_t)(ssrc >> 16);
	p->b[6] = (uint8_t)(ssrc >> 8);
	p->b[7] = (uint8_t)ssrc;
	p->len = 8;
}

static const enum crypto_suite suites[] = {
	CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32,
	CRYPTO_SUITE_AEAD_AES_128_GCM, CRYPTO_SUITE_AEAD_AES_256_GCM,
	CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80,
};

/*
 * Teams Direct Routing's "|2^31|1:1" and longer MKIs: each packet carries the MKI where
 * RFC 3711 §3.1 puts it (after the payload, before the tag; RFC 7714 §9/§17 for AEAD:
 * after the tag, SRTCP after the index), the trailer grows by its length, and the
 * receiving context takes them back to the same bytes.
 */
static void
test_mki_roundtrip(void **state)
{
	static const struct { unsigned len; uint32_t val; } mkis[] = {
		{ 1, 1 }, { 2, 0x0102 }, { 4, 0xdeadbeef }, { 7, 0x01020304 },
	};

	(void)state;
	for (size_t si = 0; si < sizeof(suites) / sizeof(suites[0]); si++) {
		const struct crypto_suite_info *info = crypto_suite_info(suites[si]);

		for (size_t mi = 0; mi < sizeof(mkis) / sizeof(mkis[0]); mi++) {
			struct srtp_ctx *out = NULL, *in = NULL;
			struct crypto_key k;
			struct pkt p, orig;
			uint8_t want[8] = { 0 };
			size_t l0, at;
			unsigned ml = mkis[mi].len;

			print_message("%s mki %u\n", crypto_suite_name(suites[si]), ml);
			make_key(&k, suites[si], (uint8_t)(si + mi), ml, mkis[mi].val, 0);
			for (unsigned b = 0; b < 4 && b < ml; b++)
				want[ml - 1 - b] = (uint8_t)(mkis[mi].val >> (8 * b));
			assert_int_equal(srtp_ctx_create(&out, suites[si], &k, SRTP_CTX_OUTBOUND,
			    NULL), 0);
			assert_int_equal(srtp_ctx_create(&in, suites[si], &k, SRTP_CTX_INBOUND,
			    NULL), 0);
			assert_int_equal(srtp_ctx_trailer_len(out, 0), info->rtp_auth_tag_len + ml);
			for (uint16_t seq = 100; seq < 110; seq++) {
				make_rtp(&p, seq, 0x1234);
				orig = p;
				l0 = p.len;
				assert_int_equal(srtp_ctx_protect_rtp(out, p.b, &p.len, sizeof(p.b)), 0);
				assert_int_equal(p.len, l0 + info->rtp_auth_tag_len + ml);
				at = info->aead ? l0 + info->rtp_auth_tag_len : l0;
				assert_memory_equal(p.b + at, want, ml);
				assert_int_equal(srtp_ctx_unprotect_rtp(in, p.b, &p.len), 0);
				assert_int_equal(p.len, orig.len);
				assert_memory_equal(p.b, orig.b, orig.len);
			}
			make_rtcp(&p, 0x1234);
			l0 = p.len;
			assert_int_equal(srtp_ctx_protect_rtcp(out, p.b, &p.len, sizeof(p.b)), 0);
			assert_int_equal(p.len, l0 + srtp_ctx_trailer_len(out, 1));
			/* E+index, then the MKI (then the tag unless AEAD, whose tag came first) */
			at = p.len - ml - (info->aead ? 0 : info->rtcp_auth_tag_len);
			assert_memory_equal(p.b + at, want, ml);
			assert_int_equal(srtp_ctx_unprotect_rtcp(in, p.b, &p.len), 0);
			assert_int_equal(p.len, l0);
			srtp_ctx_destroy(out);
			srtp_ctx_destroy(in);
		}
	}
}

/* Packets under another MKI, or without one, are not ours: refused, never decrypted. */
static void
test_mki_mismatch(void **state)
{
	struct srtp_ctx *out1 = NULL, *out0 = NULL, *in = NULL;
	struct crypto_key k;
	struct pkt p;

	(void)state;
	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 7, 1, 2, 0);
	assert_int_equal(srtp_ctx_create(&in, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	k.mki = 1;
	assert_int_equal(srtp_ctx_create(&out1, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	k.mki_len = 0;
	k.mki = 0;
	assert_int_equal(srtp_ctx_create(&out0, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	make_rtp(&p, 1, 9);
	assert_int_equal(srtp_ctx_protect_rtp(out1, p.b, &p.len, sizeof(p.b)), 0);
	assert_int_not_equal(srtp_ctx_unprotect_rtp(in, p.b, &p.len), 0);
	make_rtp(&p, 2, 9);
	assert_int_equal(srtp_ctx_protect_rtp(out0, p.b, &p.len, sizeof(p.b)), 0);
	assert_int_not_equal(srtp_ctx_unprotect_rtp(in, p.b, &p.len), 0);
	srtp_ctx_destroy(out1);
	srtp_ctx_destroy(out0);
	srtp_ctx_destroy(in);
}

/*
 * A lifetime of n packets (RFC 4568 §6.1: "|2^n" or a number) allows exactly n
 * packets under the key, RTP and RTCP together, both ways; then EKEYEXPIRED until the
 * key is replaced (a new context). Refused packets do not count.
 */
static void
test_lifetime(void **state)
{
	struct srtp_ctx *out = NULL, *in = NULL, *in2 = NULL;
	struct crypto_key k;
	struct pkt p, forged;
	size_t len;

	(void)state;
	make_key(&k, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80, 3, 1, 1, 4);
	assert_int_equal(srtp_ctx_create(&out, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_create(&in, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	/* three RTP and one RTCP: the fourth is the last allowed */
	for (uint16_t seq = 1; seq <= 3; seq++) {
		make_rtp(&p, seq, 5);
		assert_int_equal(srtp_ctx_protect_rtp(out, p.b, &p.len, sizeof(p.b)), 0);
		if (seq == 2) {
			/* a forged copy is refused and does not use up the key */
			forged = p;
			forged.b[20] ^= 1;
			len = forged.len;
			assert_int_equal(srtp_ctx_unprotect_rtp(in, forged.b, &len), EBADMSG);
		}
		assert_int_equal(srtp_ctx_unprotect_rtp(in, p.b, &p.len), 0);
	}
	make_rtcp(&p, 5);
	assert_int_equal(srtp_ctx_protect_rtcp(out, p.b, &p.len, sizeof(p.b)), 0);
	forged = p;
	assert_int_equal(srtp_ctx_unprotect_rtcp(in, p.b, &p.len), 0);
	make_rtp(&p, 4, 5);
	len = p.len;
	assert_int_equal(srtp_ctx_protect_rtp(out, p.b, &p.len, sizeof(p.b)), EKEYEXPIRED);
	assert_int_equal(p.len, len);
	make_rtcp(&p, 5);
	assert_int_equal(srtp_ctx_protect_rtcp(out, p.b, &p.len, sizeof(p.b)), EKEYEXPIRED);
	/* the receiver refuses a fifth packet too (made by a context without the limit) */
	k.lifetime = 0;
	srtp_ctx_destroy(out);
	out = NULL;
	assert_int_equal(srtp_ctx_create(&out, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	make_rtp(&p, 9, 5);
	assert_int_equal(srtp_ctx_protect_rtp(out, p.b, &p.len, sizeof(p.b)), 0);
	len = p.len;
	assert_int_equal(srtp_ctx_unprotect_rtp(in, p.b, &len), EKEYEXPIRED);
	assert_string_equal(srtp_ctx_strerror(EKEYEXPIRED), "key lifetime used up");
	/* a fresh context (the re-key) accepts it */
	k.lifetime = 4;
	assert_int_equal(srtp_ctx_create(&in2, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_unprotect_rtp(in2, p.b, &len), 0);
	srtp_ctx_destroy(out);
	srtp_ctx_destroy(in);
	srtp_ctx_destroy(in2);
}

/* An outbound context resumed after a restart protects its SRTCP with the MKI too. */
static void
test_mki_resume(void **state)
{
	struct srtp_ctx *out = NULL, *in = NULL;
	struct srtp_ctx_ssrc_state st = { .ssrc = 77, .have_rtp = true, .roc = 0, .seq = 500,
	    .have_rtcp = true, .rtcp_index = 10 };
	struct crypto_key k;
	struct pkt p;

	(void)state;
	make_key(&k, CRYPTO_SUITE_AEAD_AES_128_GCM, 11, 1, 1, 0);
	assert_int_equal(srtp_ctx_create(&out, k.suite, &k, SRTP_CTX_OUTBOUND, NULL), 0);
	assert_int_equal(srtp_ctx_resume(out, &st), 0);
	assert_int_equal(srtp_ctx_create(&in, k.suite, &k, SRTP_CTX_INBOUND, NULL), 0);
	make_rtcp(&p, 77);
	assert_int_equal(srtp_ctx_protect_rtcp(out, p.b, &p.len, sizeof(p.b)), 0);
	assert_int_equal(srtp_ctx_unprotect_rtcp(in, p.b, &p.len), 0);
	make_rtp(&p, 501, 77);
	assert_int_equal(srtp_ctx_protect_rtp(out, p.b, &p.len, sizeof(p.b)), 0);
	assert_int_equal(srtp_ctx_unprotect_rtp(in, p.b, &p.len), 0);
	{
		struct srtp_ctx_ssrc_state got[SRTP_CTX_MAX_SSRC];
		unsigned n = srtp_ctx_state_get(out, got, SRTP_CTX_MAX_SSRC);

		assert_int_equal(n, 1);
		/* the index continues above the stored one, read from behind the MKI */
		assert_true(got[0].have_rtcp);
		assert_true(got[0].rtcp_index > st.rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN - 1);
	}
	srtp_ctx_destroy(out);
	srtp_ctx_destroy(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mki_roundtrip),
		cmocka_unit_test(test_mki_mismatch),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_mki_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

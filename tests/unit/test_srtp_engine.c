/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for mediad/srtp_engine and the OpenSSL primitives: self tests, vectors, equivalence. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srtp.h"
#include "srtp_ossl_int.h"

struct cipher_pair {
	const char *name;
	const srtp_cipher_type_t *ossl;
	const srtp_cipher_type_t *builtin;
	int key_len;		/* with salt, as libsrtp allocates it */
	int iv_len;
	int aead;
};

static const struct cipher_pair pairs[] = {
	{ "aes-icm-128", &srtp_ossl_aes_icm_128, &srtp_aes_icm_128, 30, 16, 0 },
	{ "aes-icm-256", &srtp_ossl_aes_icm_256, &srtp_aes_icm_256, 46, 16, 0 },
	{ "aes-gcm-128", &srtp_ossl_aes_gcm_128, &srtp_aes_gcm_128, 28, 12, 1 },
	{ "aes-gcm-256", &srtp_ossl_aes_gcm_256, &srtp_aes_gcm_256, 44, 12, 1 },
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

/* Deterministic xorshift so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static void
test_init_idempotent(void **state)
{
	assert_int_equal(srtp_engine_active(), SRTP_ENGINE_NONE);
	assert_int_equal(srtp_engine_self_test(), ENXIO);
	assert_int_equal(srtp_engine_init_impl(SRTP_ENGINE_NONE), EINVAL);
	assert_int_equal(srtp_engine_init_impl((enum srtp_engine_impl)42), EINVAL);
	assert_int_equal(srtp_engine_init(), 0);
	assert_int_equal(srtp_engine_active(), SRTP_ENGINE_OPENSSL);
	assert_int_equal(srtp_engine_init(), 0);
	assert_int_equal(srtp_engine_init_impl(SRTP_ENGINE_OPENSSL), 0);
	/* The choice is final: the NSS types cannot come back under running sessions. */
	assert_int_equal(srtp_engine_init_impl(SRTP_ENGINE_LIBSRTP), EBUSY);
	assert_int_equal(srtp_engine_active(), SRTP_ENGINE_OPENSSL);
	assert_string_equal(srtp_engine_impl_name(SRTP_ENGINE_OPENSSL), "openssl");
	assert_string_equal(srtp_engine_impl_name(SRTP_ENGINE_LIBSRTP), "libsrtp");
	assert_string_equal(srtp_engine_impl_name(SRTP_ENGINE_NONE), "none");
}

static void
test_self_tests_pass(void **state)
{
	assert_int_equal(srtp_engine_init(), 0);
	assert_int_equal(srtp_engine_self_test(), 0);
	for (size_t i = 0; i < NPAIRS; i++) {
		assert_non_null(pairs[i].ossl->test_data);
		assert_int_equal(srtp_cipher_type_self_test(pairs[i].ossl), srtp_err_status_ok);
	}
	assert_non_null(srtp_ossl_hmac_sha1.test_data);
	assert_int_equal(srtp_auth_type_self_test(&srtp_ossl_hmac_sha1), srtp_err_status_ok);
}

/*
 * Our known answers are right by an independent implementation (libsrtp's
 * NSS build), and our primitives also pass libsrtp's own vectors.
 */
static void
test_vectors_cross(void **state)
{
	for (size_t i = 0; i < NPAIRS; i++) {
		print_message("vectors %s\n", pairs[i].name);
		assert_int_equal(srtp_cipher_type_test(pairs[i].builtin,
		    pairs[i].ossl->test_data), srtp_err_status_ok);
		assert_int_equal(srtp_cipher_type_test(pairs[i].ossl,
		    pairs[i].builtin->test_data), srtp_err_status_ok);
	}
	assert_int_equal(srtp_auth_type_test(&srtp_hmac, srtp_ossl_hmac_sha1.test_data),
	    srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_test(&srtp_ossl_hmac_sha1, srtp_hmac.test_data),
	    srtp_err_status_ok);
}

/* A wrong answer must make libsrtp's self test, hence our init, fail. */
static void
test_self_test_detects_wrong_answer(void **state)
{
	const srtp_cipher_test_case_t *tc = srtp_ossl_aes_icm_128.test_data;
	srtp_cipher_test_case_t bad_tc = *tc;
	srtp_cipher_type_t bad_type = srtp_ossl_aes_icm_128;
	const srtp_auth_test_case_t *at = srtp_ossl_hmac_sha1.test_data;
	srtp_auth_test_case_t bad_at = *at;
	srtp_auth_type_t bad_auth = srtp_ossl_hmac_sha1;
	uint8_t ct[64], tag[20];

	assert_true(tc->ciphertext_length_octets <= (unsigned int)sizeof(ct));
	memcpy(ct, tc->ciphertext, tc->ciphertext_length_octets);
	ct[5] ^= 0x01;
	bad_tc.ciphertext = ct;
	bad_tc.next_test_case = NULL;
	bad_type.test_data = &bad_tc;
	assert_int_not_equal(srtp_cipher_type_self_test(&bad_type), srtp_err_status_ok);
	/* And the kernel refuses to register it. */
	assert_int_equal(srtp_engine_init(), 0);
	assert_int_not_equal(srtp_replace_cipher_type(&bad_type, SRTP_AES_ICM_128),
	    srtp_err_status_ok);

	memcpy(tag, at->tag, (size_t)at->tag_length_octets);
	tag[0] ^= 0x80;
	bad_at.tag = tag;
	bad_at.next_test_case = NULL;
	bad_auth.test_data = &bad_at;
	assert_int_not_equal(srtp_auth_type_self_test(&bad_auth), srtp_err_status_ok);
	assert_int_equal(srtp_engine_self_test(), 0);
}

/* Run one cipher over (iv, aad, data) and return the output (with tag for AEAD). */
static unsigned int
cipher_run(const struct cipher_pair *cp, const srtp_cipher_type_t *ct,
    const uint8_t *key, uint8_t *iv, const uint8_t *aad, unsigned int aad_len,
    uint8_t *buf, unsigned int len, int dir)
{
	srtp_cipher_t *c = NULL;
	uint32_t tag_len = 0;
	unsigned int l = len;

	assert_int_equal(ct->alloc(&c, cp->key_len, cp->aead ? 16 : 0), srtp_err_status_ok);
	assert_int_equal(c->algorithm, ct->id);
	assert_int_equal(ct->init(c->state, key), srtp_err_status_ok);
	assert_int_equal(ct->set_iv(c->state, iv, dir), srtp_err_status_ok);
	if (cp->aead)
		assert_int_equal(ct->set_aad(c->state, aad, aad_len), srtp_err_status_ok);
	if (dir == srtp_direction_encrypt) {
		assert_int_equal(ct->encrypt(c->state, buf, &l), srtp_err_status_ok);
		if (cp->aead) {
			assert_int_equal(ct->get_tag(c->state, buf + l, &tag_len),
			    srtp_err_status_ok);
			assert_int_equal(tag_len, 16);
			l += tag_len;
		}
	} else {
		srtp_err_status_t st = ct->decrypt(c->state, buf, &l);

		if (st != srtp_err_status_ok)
			l = (unsigned int)-1;
	}
	assert_int_equal(ct->dealloc(c), srtp_err_status_ok);
	return l;
}

/*
 * The two implementations side by side in one process: the built-in
 * types stay reachable after replacement, so both really run here.
 */
static void
test_ciphers_equivalent(void **state)
{
	uint8_t key[46], iv[16], ivc[16], aad[64], a[600], b[600], plain[600];

	for (size_t i = 0; i < NPAIRS; i++) {
		const struct cipher_pair *cp = &pairs[i];

		for (int round = 0; round < 100; round++) {
			unsigned int len = round < 4 ? (unsigned int)round : rng() % 560;
			unsigned int aad_len = rng() % 40;
			unsigned int la, lb;

			rng_fill(key, sizeof(key));
			memset(iv, 0, sizeof(iv));
			rng_fill(iv, (size_t)cp->iv_len);
			rng_fill(aad, sizeof(aad));
			rng_fill(plain, len);
			memcpy(a, plain, len);
			memcpy(b, plain, len);
			memcpy(ivc, iv, sizeof(iv));
			la = cipher_run(cp, cp->ossl, key, ivc, aad, aad_len, a, len,
			    srtp_direction_encrypt);
			memcpy(ivc, iv, sizeof(iv));
			lb = cipher_run(cp, cp->builtin, key, ivc, aad, aad_len, b, len,
			    srtp_direction_encrypt);
			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			if (len > 0)
				assert_memory_not_equal(a, plain, len);
			/* Each decrypts what the other encrypted. */
			memcpy(ivc, iv, sizeof(iv));
			assert_int_equal(cipher_run(cp, cp->builtin, key, ivc, aad, aad_len,
			    a, la, srtp_direction_decrypt), len);
			assert_memory_equal(a, plain, len);
			memcpy(ivc, iv, sizeof(iv));
			assert_int_equal(cipher_run(cp, cp->ossl, key, ivc, aad, aad_len,
			    b, lb, srtp_direction_decrypt), len);
			assert_memory_equal(b, plain, len);
			if (cp->aead) {
				/* A flipped tag bit is refused by ours as auth failure. */
				memcpy(a, b, len);
				memcpy(ivc, iv, sizeof(iv));
				la = cipher_run(cp, cp->ossl, key, ivc, aad, aad_len, a, len,
				    srtp_direction_encrypt);
				a[la - 1] ^= 0x01;
				memcpy(ivc, iv, sizeof(iv));
				assert_int_equal(cipher_run(cp, cp->ossl, key, ivc, aad,
				    aad_len, a, la, srtp_direction_decrypt), (unsigned int)-1);
			}
		}
	}
}

static void
auth_run(const srtp_auth_type_t *at, const uint8_t *key, int key_len,
    const uint8_t *d, int len, int split, int tag_len, uint8_t *tag)
{
	srtp_auth_t *a = NULL;

	assert_int_equal(at->alloc(&a, key_len, tag_len), srtp_err_status_ok);
	assert_int_equal(at->init(a->state, key, key_len), srtp_err_status_ok);
	/* Twice: start must reset to the keyed state. */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(at->start(a->state), srtp_err_status_ok);
		assert_int_equal(at->update(a->state, d, split), srtp_err_status_ok);
		assert_int_equal(at->compute(a->state, d + split, len - split, tag_len, tag),
		    srtp_err_status_ok);
	}
	assert_int_equal(at->dealloc(a), srtp_err_status_ok);
}

static void
test_hmac_equivalent(void **state)
{
	uint8_t key[20], d[400], t1[20], t2[20];
	srtp_auth_t *a = NULL;

	for (int round = 0; round < 150; round++) {
		int len = (int)(rng() % sizeof(d));
		int split = len ? (int)(rng() % (unsigned int)len) : 0;
		int tag_len = round % 2 ? 10 : 4;

		rng_fill(key, sizeof(key));
		rng_fill(d, (size_t)len);
		auth_run(&srtp_ossl_hmac_sha1, key, 20, d, len, split, tag_len, t1);
		auth_run(&srtp_hmac, key, 20, d, len, 0, tag_len, t2);
		assert_memory_equal(t1, t2, (size_t)tag_len);
	}
	/* Out-of-range sizes are refused, not overrun. */
	assert_int_not_equal(srtp_ossl_hmac_sha1.alloc(&a, 20, 21), srtp_err_status_ok);
	assert_int_not_equal(srtp_ossl_hmac_sha1.alloc(&a, 65, 10), srtp_err_status_ok);
	assert_int_not_equal(srtp_ossl_hmac_sha1.alloc(&a, 20, 0), srtp_err_status_ok);
}

static void
test_bad_alloc_params(void **state)
{
	srtp_cipher_t *c = NULL;

	assert_int_not_equal(srtp_ossl_aes_icm_128.alloc(&c, 16, 0), srtp_err_status_ok);
	assert_int_not_equal(srtp_ossl_aes_icm_128.alloc(&c, 46, 0), srtp_err_status_ok);
	assert_int_not_equal(srtp_ossl_aes_icm_256.alloc(&c, 30, 0), srtp_err_status_ok);
	assert_int_not_equal(srtp_ossl_aes_gcm_128.alloc(&c, 28, 12), srtp_err_status_ok);
	assert_int_not_equal(srtp_ossl_aes_gcm_256.alloc(&c, 28, 16), srtp_err_status_ok);
	assert_null(c);
	/* GCM decrypt of fewer bytes than a tag is a parameter error. */
	assert_int_equal(srtp_ossl_aes_gcm_128.alloc(&c, 28, 16), srtp_err_status_ok);
	{
		uint8_t key[28] = { 0 }, iv[12] = { 0 }, buf[16] = { 0 };
		unsigned int len = 15;

		assert_int_equal(c->type->init(c->state, key), srtp_err_status_ok);
		assert_int_equal(c->type->set_iv(c->state, iv, srtp_direction_decrypt),
		    srtp_err_status_ok);
		assert_int_not_equal(c->type->decrypt(c->state, buf, &len), srtp_err_status_ok);
		assert_int_equal(len, 15);
	}
	assert_int_equal(c->type->dealloc(c), srtp_err_status_ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_idempotent),
		cmocka_unit_test(test_self_tests_pass),
		cmocka_unit_test(test_vectors_cross),
		cmocka_unit_test(test_self_test_detects_wrong_answer),
		cmocka_unit_test(test_ciphers_equivalent),
		cmocka_unit_test(test_hmac_equivalent),
		cmocka_unit_test(test_bad_alloc_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

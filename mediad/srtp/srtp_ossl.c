/* SPDX-License-Identifier: BSD-2-Clause */
/* OpenSSL implementations of libsrtp2's AES-ICM, AES-GCM and HMAC-SHA1 primitives. */

/*
 * HMAC-SHA1 uses the low-level SHA1 API, deprecated in OpenSSL 3.0: it is
 * the only allocation-free way to resume a pre-keyed state per packet
 * (EVP_MAC_init / EVP_MD_CTX_copy_ex allocate on every call in 3.0).
 * The suppression is local to this file.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "srtp_ossl_int.h"

#define ICM_SALT_LEN	14	/* SRTP master/session salt for AES-ICM */
#define GCM_SALT_LEN	12	/* RFC 7714 salt; not used by the cipher */
#define GCM_IV_LEN	12

/* ---- Ciphers fetched once ---- */

/*
 * OpenSSL 3 given a legacy EVP_aes_*() object fetches the provider's implementation
 * again, by name, on every EVP_*Init_ex that passes it: a method-store lookup with
 * string compares for each of the several ciphers a new SRTP context keys. Fetched
 * once here and kept for the life of the process (the legacy object is the fallback).
 */
enum fetched_cipher { FC_CTR128, FC_CTR256, FC_GCM128, FC_GCM256, FC_COUNT };

static const char *const fetched_names[FC_COUNT] = {
	"AES-128-CTR", "AES-256-CTR", "AES-128-GCM", "AES-256-GCM",
};
static EVP_CIPHER *fetched[FC_COUNT];
static pthread_once_t fetched_once = PTHREAD_ONCE_INIT;

static void
fetch_ciphers(void)
{
	for (unsigned i = 0; i < FC_COUNT; i++)
		fetched[i] = EVP_CIPHER_fetch(NULL, fetched_names[i], NULL);
}

static const EVP_CIPHER *
cipher_get(enum fetched_cipher which, const EVP_CIPHER *legacy)
{
	(void)pthread_once(&fetched_once, fetch_ciphers);
	return fetched[which] != NULL ? fetched[which] : legacy;
}

/* ---- AES-ICM (AES-CTR with libsrtp's salt XOR IV counter) ---- */

struct icm_state {
	EVP_CIPHER_CTX *evp;	/* owned; keyed in init, IV reset per packet */
	const EVP_CIPHER *cipher;
	int key_size;		/* AES key bytes: 16 or 32 */
	uint8_t offset[16];	/* session salt, last two bytes zero */
};

struct icm_cipher {
	srtp_cipher_t c;	/* first: libsrtp holds a pointer to it */
	struct icm_state s;
};

static srtp_err_status_t
icm_alloc(srtp_cipher_pointer_t *cp, int key_len, const srtp_cipher_type_t *type,
    int key_size, int algorithm, const EVP_CIPHER *cipher)
{
	struct icm_cipher *ic;

	if (key_len != key_size + ICM_SALT_LEN)
		return srtp_err_status_bad_param;
	ic = calloc(1, sizeof(*ic));
	if (ic == NULL)
		return srtp_err_status_alloc_fail;
	ic->s.evp = EVP_CIPHER_CTX_new();
	if (ic->s.evp == NULL) {
		free(ic);
		return srtp_err_status_alloc_fail;
	}
	ic->s.cipher = cipher;
	ic->s.key_size = key_size;
	ic->c.type = type;
	ic->c.state = &ic->s;
	ic->c.key_len = key_len;
	ic->c.algorithm = algorithm;
	*cp = &ic->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm128_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	return icm_alloc(cp, key_len, &srtp_ossl_aes_icm_128, 16,
	    SRTP_AES_ICM_128, cipher_get(FC_CTR128, EVP_aes_128_ctr()));
}

static srtp_err_status_t
icm256_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	return icm_alloc(cp, key_len, &srtp_ossl_aes_icm_256, 32,
	    SRTP_AES_ICM_256, cipher_get(FC_CTR256, EVP_aes_256_ctr()));
}

static srtp_err_status_t
icm_dealloc(srtp_cipher_pointer_t c)
{
	struct icm_cipher *ic = (struct icm_cipher *)c;

	if (ic == NULL)
		return srtp_err_status_bad_param;
	EVP_CIPHER_CTX_free(ic->s.evp);
	OPENSSL_cleanse(ic, sizeof(*ic));
	free(ic);
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm_init(void *state, const uint8_t *key)
{
	struct icm_state *s = state;

	memset(s->offset, 0, sizeof(s->offset));
	memcpy(s->offset, key + s->key_size, ICM_SALT_LEN);
	if (EVP_EncryptInit_ex(s->evp, s->cipher, NULL, key, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm_state *s = state;
	uint8_t ctr[16];

	for (size_t i = 0; i < sizeof(ctr); i++)
		ctr[i] = s->offset[i] ^ iv[i];
	/* Key schedule kept: only the counter block is reloaded. */
	if (EVP_EncryptInit_ex(s->evp, NULL, NULL, NULL, ctr) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
icm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm_state *s = state;
	int outl;

	if (*len > INT_MAX)
		return srtp_err_status_bad_param;
	if (*len == 0)
		return srtp_err_status_ok;
	if (EVP_EncryptUpdate(s->evp, buf, &outl, buf, (int)*len) != 1 ||
	    outl != (int)*len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* ---- AES-GCM (RFC 7714); libsrtp builds the IV, we see key and AAD ---- */

struct gcm_state {
	EVP_CIPHER_CTX *evp;	/* owned; keyed in init, IV/direction per packet */
	const EVP_CIPHER *cipher;
	int key_size;		/* 16 or 32 */
	int tag_len;		/* 8 or 16 */
};

struct gcm_cipher {
	srtp_cipher_t c;
	struct gcm_state s;
};

static srtp_err_status_t
gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len,
    const srtp_cipher_type_t *type, int key_size, int algorithm,
    const EVP_CIPHER *cipher)
{
	struct gcm_cipher *gc;

	if (key_len != key_size + GCM_SALT_LEN)
		return srtp_err_status_bad_param;
	if (tag_len != 8 && tag_len != 16)
		return srtp_err_status_bad_param;
	gc = calloc(1, sizeof(*gc));
	if (gc == NULL)
		return srtp_err_status_alloc_fail;
	gc->s.evp = EVP_CIPHER_CTX_new();
	if (gc->s.evp == NULL) {
		free(gc);
		return srtp_err_status_alloc_fail;
	}
	gc->s.cipher = cipher;
	gc->s.key_size = key_size;
	gc->s.tag_len = tag_len;
	gc->c.type = type;
	gc->c.state = &gc->s;
	gc->c.key_len = key_len;
	gc->c.algorithm = algorithm;
	*cp = &gc->c;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm128_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	return gcm_alloc(cp, key_len, tag_len, &srtp_ossl_aes_gcm_128, 16,
	    SRTP_AES_GCM_128, cipher_get(FC_GCM128, EVP_aes_128_gcm()));
}

static srtp_err_status_t
gcm256_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	return gcm_alloc(cp, key_len, tag_len, &srtp_ossl_aes_gcm_256, 32,
	    SRTP_AES_GCM_256, cipher_get(FC_GCM256, EVP_aes_256_gcm()));
}

static srtp_err_status_t
gcm_dealloc(srtp_cipher_pointer_t c)
{
	struct gcm_cipher *gc = (struct gcm_cipher *)c;

	if (gc == NULL)
		return srtp_err_status_bad_param;
	EVP_CIPHER_CTX_free(gc->s.evp);
	OPENSSL_cleanse(gc, sizeof(*gc));
	free(gc);
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_init(void *state, const uint8_t *key)
{
	struct gcm_state *s = state;

	/* The salt after the key is libsrtp's business (IV formation). */
	if (EVP_CipherInit_ex(s->evp, s->cipher, NULL, key, NULL, 1) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm_state *s = state;
	int enc;

	if (dir == srtp_direction_encrypt)
		enc = 1;
	else if (dir == srtp_direction_decrypt)
		enc = 0;
	else
		return srtp_err_status_bad_param;
	/* The default GCM IV length is 12 bytes, RFC 7714's. */
	if (EVP_CipherInit_ex(s->evp, NULL, NULL, NULL, iv, enc) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_set_aad(void *state, const uint8_t *aad, uint32_t aad_len)
{
	struct gcm_state *s = state;
	int outl;

	if (aad_len > INT_MAX)
		return srtp_err_status_bad_param;
	if (aad_len == 0)
		return srtp_err_status_ok;
	if (EVP_CipherUpdate(s->evp, NULL, &outl, aad, (int)aad_len) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm_state *s = state;
	int outl;

	if (*len > INT_MAX)
		return srtp_err_status_bad_param;
	if (EVP_CIPHER_CTX_encrypting(s->evp) != 1)
		return srtp_err_status_bad_param;
	if (*len == 0)
		return srtp_err_status_ok;
	if (EVP_CipherUpdate(s->evp, buf, &outl, buf, (int)*len) != 1 ||
	    outl != (int)*len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* Finishes the encryption started by gcm_encrypt and writes the tag. */
static srtp_err_status_t
gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm_state *s = state;
	uint8_t none[16];
	int outl;

	if (EVP_CipherFinal_ex(s->evp, none, &outl) != 1)
		return srtp_err_status_cipher_fail;
	if (EVP_CIPHER_CTX_ctrl(s->evp, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag) != 1)
		return srtp_err_status_cipher_fail;
	*len = (uint32_t)s->tag_len;
	return srtp_err_status_ok;
}

/* *len includes the tag on input and excludes it on success. */
static srtp_err_status_t
gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm_state *s = state;
	unsigned int clen;
	uint8_t none[16];
	int outl;

	if (*len > INT_MAX || *len < (unsigned int)s->tag_len)
		return srtp_err_status_bad_param;
	if (EVP_CIPHER_CTX_encrypting(s->evp) != 0)
		return srtp_err_status_bad_param;
	clen = *len - (unsigned int)s->tag_len;
	if (EVP_CIPHER_CTX_ctrl(s->evp, EVP_CTRL_GCM_SET_TAG, s->tag_len,
	    buf + clen) != 1)
		return srtp_err_status_cipher_fail;
	if (clen > 0 && (EVP_CipherUpdate(s->evp, buf, &outl, buf, (int)clen) != 1 ||
	    outl != (int)clen))
		return srtp_err_status_cipher_fail;
	if (EVP_CipherFinal_ex(s->evp, none, &outl) != 1)
		return srtp_err_status_auth_fail;
	*len = clen;
	return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 from pre-keyed inner/outer SHA-1 states ---- */

#define HMAC_BLOCK	64
#define HMAC_MAX_KEY	HMAC_BLOCK	/* SRTP uses 20; longer keys are not needed */

struct hmac_state {
	SHA_CTX inner;		/* after (key ^ ipad); copied at each start */
	SHA_CTX outer;		/* after (key ^ opad); copied at each compute */
	SHA_CTX work;		/* the running inner hash */
};

struct hmac_auth {
	srtp_auth_t a;
	struct hmac_state s;
};

static srtp_err_status_t
hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	struct hmac_auth *ha;

	if (key_len < 0 || key_len > HMAC_MAX_KEY)
		return srtp_err_status_bad_param;
	if (out_len < 1 || out_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	ha = calloc(1, sizeof(*ha));
	if (ha == NULL)
		return srtp_err_status_alloc_fail;
	ha->a.type = &srtp_ossl_hmac_sha1;
	ha->a.state = &ha->s;
	ha->a.out_len = out_len;
	ha->a.key_len = key_len;
	ha->a.prefix_len = 0;
	*ap = &ha->a;
	return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_dealloc(srtp_auth_pointer_t a)
{
	struct hmac_auth *ha = (struct hmac_auth *)a;

	if (ha == NULL)
		return srtp_err_status_bad_param;
	OPENSSL_cleanse(ha, sizeof(*ha));
	free(ha);
	return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac_state *s = state;
	uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
	srtp_err_status_t st = srtp_err_status_init_fail;

	if (key_len < 0 || key_len > HMAC_MAX_KEY)
		return srtp_err_status_bad_param;
	memset(ipad, 0x36, sizeof(ipad));
	memset(opad, 0x5c, sizeof(opad));
	for (int i = 0; i < key_len; i++) {
		ipad[i] ^= key[i];
		opad[i] ^= key[i];
	}
	if (SHA1_Init(&s->inner) != 1 || SHA1_Update(&s->inner, ipad, sizeof(ipad)) != 1)
		goto out;
	if (SHA1_Init(&s->outer) != 1 || SHA1_Update(&s->outer, opad, sizeof(opad)) != 1)
		goto out;
	s->work = s->inner;
	st = srtp_err_status_ok;
 out:
	OPENSSL_cleanse(ipad, sizeof(ipad));
	OPENSSL_cleanse(opad, sizeof(opad));
	return st;
}

static srtp_err_status_t
hmac_start(void *state)
{
	struct hmac_state *s = state;

	s->work = s->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac_state *s = state;

	if (len < 0)
		return srtp_err_status_bad_param;
	if (SHA1_Update(&s->work, buf, (size_t)len) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t
hmac_compute(void *state, const uint8_t *buf, int len, int tag_len, uint8_t *tag)
{
	struct hmac_state *s = state;
	uint8_t h[SHA_DIGEST_LENGTH];
	SHA_CTX o;
	srtp_err_status_t st = srtp_err_status_auth_fail;

	if (len < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	if (SHA1_Update(&s->work, buf, (size_t)len) != 1 || SHA1_Final(h, &s->work) != 1)
		goto out;
	o = s->outer;
	if (SHA1_Update(&o, h, sizeof(h)) != 1 || SHA1_Final(h, &o) != 1)
		goto out;
	memcpy(tag, h, (size_t)tag_len);
	st = srtp_err_status_ok;
 out:
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(&o, sizeof(o));
	return st;
}

/* ---- Known-answer tests, run by libsrtp's self test ---- */

/* RFC 3711 appendix B.2 keystream (AES-128, salt F0..FD, index 0). */
static const uint8_t icm128_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88,
	0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t icm_idx[16];	/* all zero; libsrtp's test struct wants it writable */
static const uint8_t icm_zero32[32];
static const uint8_t icm128_ct[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d,
	0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
	0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t icm128_test = {
	30, icm128_key, icm_idx, 32, icm_zero32, 32, icm128_ct, 0, NULL, 0, NULL,
};

/* RFC 6188 section 7.1 keystream (AES-256, same salt, index 0). */
static const uint8_t icm256_key[46] = {
	0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c,
	0x40, 0xb1, 0xf0, 0x92, 0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82,
	0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98, 0xf0, 0xf1, 0xf2, 0xf3,
	0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static const uint8_t icm256_ct[32] = {
	0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0,
	0x8b, 0x55, 0x15, 0xa4, 0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6,
	0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac,
};
static const srtp_cipher_test_case_t icm256_test = {
	46, icm256_key, icm_idx, 32, icm_zero32, 32, icm256_ct, 0, NULL, 0, NULL,
};

/*
 * GCM specification (McGrew/Viega) test case 4 with a 128-bit key, and
 * the same inputs with the key repeated to 256 bits; 12 salt bytes
 * follow each key as libsrtp's key length includes them.
 */
static const uint8_t gcm128_key[28] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94,
	0x67, 0x30, 0x83, 0x08, 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
	0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t gcm256_key[44] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94,
	0x67, 0x30, 0x83, 0x08, 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08, 0xca, 0xfe, 0xba, 0xbe,
	0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static uint8_t gcm_iv[GCM_IV_LEN] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t gcm_pt[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5,
	0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
	0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95,
	0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
	0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t gcm_aad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed, 0xfa, 0xce,
	0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t gcm128_ct[76] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7,
	0x84, 0xd0, 0xd4, 0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0,
	0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2,
	0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
	0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
	/* tag */
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a,
	0xe7, 0x12, 0x1a, 0x47,
};
static const uint8_t gcm256_ct[76] = {
	0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3,
	0x2a, 0x84, 0x42, 0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9,
	0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55, 0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48,
	0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56, 0x82, 0x88, 0x38,
	0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
	/* tag */
	0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53,
	0xbb, 0x2d, 0x55, 0x1b,
};
static const srtp_cipher_test_case_t gcm128_test = {
	28, gcm128_key, gcm_iv, 60, gcm_pt, 76, gcm128_ct, 20, gcm_aad, 16, NULL,
};
static const srtp_cipher_test_case_t gcm256_test = {
	44, gcm256_key, gcm_iv, 60, gcm_pt, 76, gcm256_ct, 20, gcm_aad, 16, NULL,
};

/* RFC 2202 HMAC-SHA-1 test cases 2 and 1 (full 20-byte tags). */
static const uint8_t hmac1_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t hmac1_tag[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t hmac2_tag[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const srtp_auth_test_case_t hmac1_test = {
	20, hmac1_key, 8, (const uint8_t *)"Hi There", 20, hmac1_tag, NULL,
};
static const srtp_auth_test_case_t hmac_test = {
	4, (const uint8_t *)"Jefe", 28, (const uint8_t *)"what do ya want for nothing?",
	20, hmac2_tag, &hmac1_test,
};

/* ---- The types ---- */

const srtp_cipher_type_t srtp_ossl_aes_icm_128 = {
	icm128_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
	icm_set_iv, NULL, "AES-128 ICM (OpenSSL EVP)", &icm128_test, SRTP_AES_ICM_128,
};

const srtp_cipher_type_t srtp_ossl_aes_icm_256 = {
	icm256_alloc, icm_dealloc, icm_init, NULL, icm_encrypt, icm_encrypt,
	icm_set_iv, NULL, "AES-256 ICM (OpenSSL EVP)", &icm256_test, SRTP_AES_ICM_256,
};

const srtp_cipher_type_t srtp_ossl_aes_gcm_128 = {
	gcm128_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt,
	gcm_set_iv, gcm_get_tag, "AES-128 GCM (OpenSSL EVP)", &gcm128_test,
	SRTP_AES_GCM_128,
};

const srtp_cipher_type_t srtp_ossl_aes_gcm_256 = {
	gcm256_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt,
	gcm_set_iv, gcm_get_tag, "AES-256 GCM (OpenSSL EVP)", &gcm256_test,
	SRTP_AES_GCM_256,
};

const srtp_auth_type_t srtp_ossl_hmac_sha1 = {
	hmac_alloc, hmac_dealloc, hmac_init, hmac_compute, hmac_update, hmac_start,
	"HMAC-SHA1 (OpenSSL, pre-keyed)", &hmac_test, SRTP_HMAC_SHA1,
};

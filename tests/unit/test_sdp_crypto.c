/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for a=crypto parsing, formatting, base64 and suite selection (mediad/sdp_crypto.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdp.h"

/* 30 bytes from ng-protocol.md section 9, and their base64. */
static const char key9_b64[] = "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c";

static int
parse(struct sdp_crypto *c, const char *s, const char **reason)
{
	return sdp_crypto_parse(c, s, strlen(s), reason);
}

static void
test_parse_basic(void **state)
{
	struct sdp_crypto c;
	const char *why = NULL;
	unsigned char raw[30];
	size_t n;
	char line[SDP_CRYPTO_LINE_MAX];

	(void)state;
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c",
	    &why), 0);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.key.suite, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(c.key.key_salt_len, 30);
	assert_int_equal(sdp_base64_decode(raw, sizeof(raw), key9_b64, strlen(key9_b64), &n), 0);
	assert_int_equal(n, 30);
	assert_memory_equal(c.key.key_salt, raw, 30);
	assert_false(c.has_lifetime);
	assert_false(c.has_mki);
	assert_int_equal(c.params, 0);
	assert_false(c.key_padded);

	/* Formatting the parsed key gives the same line back. */
	assert_int_equal(sdp_crypto_format(line, sizeof(line), c.tag, &c.key, 0, &n), 0);
	assert_string_equal(line, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c");
	assert_int_equal(n, strlen(line));
}

static void
test_parse_prefix_and_blanks(void **state)
{
	struct sdp_crypto c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse(&c, "a=crypto:42  AES_CM_128_HMAC_SHA1_32\tinline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c \r",
	    &why), 0);
	assert_int_equal(c.tag, 42);
	assert_int_equal(c.key.suite, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(parse(&c, "999999999 AES_CM_128_HMAC_SHA1_32 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c",
	    &why), 0);
	assert_int_equal(c.tag, 999999999);
}

static void
test_parse_lifetime(void **state)
{
	struct sdp_crypto c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^31",
	    &why), 0);
	assert_true(c.has_lifetime);
	assert_true(c.lifetime == (uint64_t)1 << 31);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|1048576",
	    &why), 0);
	assert_true(c.lifetime == 1048576);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^64",
	    &why), 0);
	assert_true(c.lifetime == UINT64_MAX);
	why = NULL;
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^x",
	    &why), EBADMSG);
	assert_non_null(strstr(why, "lifetime"));
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|0",
	    &why), EBADMSG);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|",
	    &why), EBADMSG);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^31|2^31",
	    &why), EBADMSG);
}

static void
test_parse_mki(void **state)
{
	struct sdp_crypto c;
	const char *why = NULL;

	(void)state;
	/* Well-formed MKI: usable, the key carries it (value, length) and the lifetime. */
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^20|1:4",
	    &why), 0);
	assert_true(c.has_mki);
	assert_int_equal(c.key.mki_len, 4);
	assert_int_equal(c.key.mki, 1);
	assert_int_equal(c.key.lifetime, 1u << 20);
	/* Teams Direct Routing sends only this shape */
	assert_int_equal(parse(&c, "2 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^31|1:1",
	    &why), 0);
	assert_int_equal(c.key.mki_len, 1);
	assert_int_equal(c.key.lifetime, 1u << 31);
	/* MKI before the lifetime, no lifetime at all, the longest MKI RFC 4568 allows */
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|1:1",
	    &why), 0);
	assert_int_equal(c.key.lifetime, 0);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|7:128|2^10",
	    &why), 0);
	assert_int_equal(c.key.mki_len, 128);
	assert_int_equal(c.key.lifetime, 1024);
	/* a value its length cannot hold */
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|256:1",
	    &why), EBADMSG);
	assert_non_null(strstr(why, "MKI"));
	/* Malformed MKI is a different error. */
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|1:",
	    &why), EBADMSG);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|1:129",
	    &why), EBADMSG);
	assert_int_equal(parse(&c, "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|1:4|2^20|x",
	    &why), EBADMSG);
}

static void
test_parse_session_params(void **state)
{
	struct sdp_crypto c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(parse(&c, "7 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c "
	    "UNENCRYPTED_SRTCP UNENCRYPTED_SRTP UNAUTHENTICATED_SRTP KDR=0 WSH=128 FEC_ORDER=SRTP_FEC", &why), 0);
	assert_int_equal(c.params, SDP_CRYPTO_UNENCRYPTED_SRTP | SDP_CRYPTO_UNENCRYPTED_SRTCP |
	    SDP_CRYPTO_UNAUTHENTICATED_SRTP);
	assert_true(c.has_kdr);
	assert_int_equal(c.kdr, 0);
	assert_true(c.has_wsh);
	assert_int_equal(c.wsh, 128);
	assert_true(c.fec_order_srtp_fec);

	assert_int_equal(parse(&c, "7 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c KDR=10",
	    &why), ENOTSUP);
	assert_non_null(strstr(why, "derivation"));
	assert_int_equal(parse(&c, "7 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c KDR=99",
	    &why), EBADMSG);
	assert_int_equal(parse(&c, "7 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c WSH=",
	    &why), EBADMSG);
	assert_int_equal(parse(&c, "7 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c "
	    "FEC_KEY=inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", &why), ENOTSUP);
	assert_non_null(strstr(why, "FEC_KEY"));
	assert_int_equal(parse(&c, "7 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c BOGUS",
	    &why), ENOTSUP);
	assert_non_null(strstr(why, "session parameter"));
}

static void
test_parse_padding_and_lengths(void **state)
{
	struct sdp_crypto c, d;
	const char *why = NULL;

	(void)state;
	/* AEAD_AES_128_GCM: 28 bytes, 38 characters unpadded, 40 padded. */
	assert_int_equal(parse(&c, "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", &why), 0);
	assert_false(c.key_padded);
	assert_int_equal(parse(&d, "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==", &why), 0);
	assert_true(d.key_padded);
	assert_int_equal(c.key.key_salt_len, 28);
	assert_memory_equal(c.key.key_salt, d.key.key_salt, 28);
	assert_int_equal(c.key.key_salt[27], 27);
	/* Wrong padding amount. */
	assert_int_equal(parse(&d, "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=", &why), EBADMSG);
	/* Key of the wrong length for the suite: 28 bytes given to a 30-byte suite. */
	why = NULL;
	assert_int_equal(parse(&d, "1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw", &why),
	    EINVAL);
	assert_non_null(strstr(why, "length"));
	/* Far too long. */
	assert_int_equal(parse(&d, "1 AES_CM_128_HMAC_SHA1_80 inline:"
	    "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6cQjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", &why), EINVAL);
	/* Not base64. */
	assert_int_equal(parse(&d, "1 AES_CM_128_HMAC_SHA1_80 inline:Qjnnauk!n7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", &why),
	    EBADMSG);
	assert_non_null(strstr(why, "base64"));
}

static void
test_parse_rejects(void **state)
{
	static const struct {
		const char *line;
		int err;
	} cases[] = {
		{ "", EBADMSG },
		{ "a=crypto:", EBADMSG },
		{ "x AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", EBADMSG },
		{ "1234567890 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", EBADMSG },
		{ "-1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", EBADMSG },
		{ "1", EBADMSG },
		{ "1 AES_CM_128_HMAC_SHA1_80", EBADMSG },
		{ "1 AES_CM_128_HMAC_SHA1_80 QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", EBADMSG },
		{ "1 AES_CM_128_HMAC_SHA1_80 uri:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", EBADMSG },
		{ "1 F8_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", ENOTSUP },
		{ "1 aes_cm_128_hmac_sha1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c", ENOTSUP },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c|2^20|1:4;"
		  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|2:4", ENOTSUP },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:", EBADMSG },
	};
	struct sdp_crypto c, untouched;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	untouched = c;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		int err = parse(&c, cases[i].line, &why);

		if (err != cases[i].err)
			fail_msg("case %zu \"%s\": got %d want %d", i, cases[i].line, err, cases[i].err);
		assert_non_null(why);
		/* Out-params are written only on success. */
		assert_memory_equal(&c, &untouched, sizeof(c));
	}
}

static void
test_format(void **state)
{
	struct crypto_key k = { .suite = CRYPTO_SUITE_AEAD_AES_128_GCM, .key_salt_len = 28 };
	char line[SDP_CRYPTO_LINE_MAX];
	size_t n;

	(void)state;
	for (int i = 0; i < 28; i++)
		k.key_salt[i] = (unsigned char)i;
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 3, &k, 0, &n), 0);
	assert_string_equal(line, "a=crypto:3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw");
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 3, &k, SDP_CRYPTO_FMT_PAD |
	    SDP_CRYPTO_FMT_LIFETIME | SDP_CRYPTO_UNENCRYPTED_SRTCP, &n), 0);
	assert_string_equal(line, "a=crypto:3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==|2^31 "
	    "UNENCRYPTED_SRTCP");
	assert_int_equal(n, strlen(line));
	/* The key's own lifetime and MKI, in RFC 4568 order (Teams Direct Routing's shape). */
	k.lifetime = (uint64_t)1 << 31;
	k.mki_len = 1;
	k.mki = 1;
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 2, &k, 0, &n), 0);
	assert_string_equal(line, "a=crypto:2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw|2^31|1:1");
	k.lifetime = 1000;
	k.mki_len = 4;
	k.mki = 77;
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 2, &k, SDP_CRYPTO_FMT_LIFETIME, &n), 0);
	assert_string_equal(line, "a=crypto:2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw|1000|77:4");
	k.lifetime = 0;
	k.mki_len = 0;
	k.mki = 0;
	/* Buffer too small, bad tag, bad key length, no suite. */
	assert_int_equal(sdp_crypto_format(line, 20, 3, &k, 0, &n), ENOSPC);
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 1000000000, &k, 0, &n), EINVAL);
	k.key_salt_len = 30;
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 3, &k, 0, &n), EINVAL);
	k.suite = CRYPTO_SUITE_NONE;
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 3, &k, 0, &n), EINVAL);

	/* The longest key fits SDP_CRYPTO_LINE_MAX with every option. */
	k.suite = CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80;
	k.key_salt_len = 46;
	k.lifetime = UINT64_MAX;
	k.mki = UINT32_MAX;
	k.mki_len = CRYPTO_MKI_MAX_LEN;
	assert_int_equal(sdp_crypto_format(line, sizeof(line), 999999999, &k, SDP_CRYPTO_FMT_PAD |
	    SDP_CRYPTO_FMT_LIFETIME | SDP_CRYPTO_UNENCRYPTED_SRTP | SDP_CRYPTO_UNENCRYPTED_SRTCP |
	    SDP_CRYPTO_UNAUTHENTICATED_SRTP, &n), 0);
}

static void
test_format_parse_roundtrip(void **state)
{
	(void)state;
	srand(4568);
	for (int s = CRYPTO_SUITE_NONE + 1; s < CRYPTO_SUITE_COUNT; s++) {
		const struct crypto_suite_info *info = crypto_suite_info((enum crypto_suite)s);

		for (int pad = 0; pad < 2; pad++) {
			struct crypto_key k = { .suite = (enum crypto_suite)s };
			struct sdp_crypto c;
			char line[SDP_CRYPTO_LINE_MAX];
			const char *why = NULL;
			size_t n;

			k.key_salt_len = info->key_len + info->salt_len;
			for (size_t i = 0; i < k.key_salt_len; i++)
				k.key_salt[i] = (unsigned char)rand();
			assert_int_equal(sdp_crypto_format(line, sizeof(line), (uint32_t)s, &k,
			    pad ? SDP_CRYPTO_FMT_PAD : 0, &n), 0);
			assert_int_equal(parse(&c, line, &why), 0);
			assert_int_equal(c.tag, s);
			assert_int_equal(c.key.suite, s);
			assert_int_equal(c.key.key_salt_len, k.key_salt_len);
			assert_memory_equal(c.key.key_salt, k.key_salt, k.key_salt_len);
		}
	}
}

static void
test_base64(void **state)
{
	unsigned char in[64], back[64];
	char text[100];
	size_t n, m;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		for (size_t i = 0; i < len; i++)
			in[i] = (unsigned char)(i * 37 + len);
		for (int pad = 0; pad < 2; pad++) {
			assert_int_equal(sdp_base64_encode(text, sizeof(text), in, len, pad, &n), 0);
			assert_int_equal(n, strlen(text));
			if (pad)
				assert_int_equal(n % 4, 0);
			else
				assert_null(strchr(text, '='));
			assert_int_equal(sdp_base64_decode(back, sizeof(back), text, n, &m), 0);
			assert_int_equal(m, len);
			assert_memory_equal(back, in, len);
		}
	}
	assert_int_equal(sdp_base64_encode(text, 4, in, 3, false, &n), ENOSPC);
	assert_int_equal(sdp_base64_decode(back, 2, "QUJD", 4, &n), ENOSPC);
	assert_int_equal(sdp_base64_decode(back, sizeof(back), "Q", 1, &n), EBADMSG);
	assert_int_equal(sdp_base64_decode(back, sizeof(back), "QU=J", 4, &n), EBADMSG);
	assert_int_equal(sdp_base64_decode(back, sizeof(back), "QUJD===", 7, &n), EBADMSG);
	assert_int_equal(sdp_base64_decode(back, sizeof(back), "QUJ-", 4, &n), EBADMSG);
	assert_int_equal(sdp_base64_decode(back, sizeof(back), "QUJDRA=", 7, &n), EBADMSG);
}

static struct sdp_crypto
offered(uint32_t tag, enum crypto_suite s)
{
	struct sdp_crypto c;

	memset(&c, 0, sizeof(c));
	c.tag = tag;
	c.key.suite = s;
	c.key.key_salt_len = 30;
	c.key.key_salt[0] = (unsigned char)tag;
	return c;
}

static void
test_select(void **state)
{
	struct sdp_crypto list[3], out;
	unsigned allow128 = SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80) |
	    SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);

	(void)state;
	list[0] = offered(3, CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80);
	list[1] = offered(5, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32);
	list[2] = offered(6, CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(sdp_crypto_select(list, 3, SDP_CRYPTO_ALLOW_ALL, &out), 0);
	assert_int_equal(out.tag, 3);
	assert_int_equal(sdp_crypto_select(list, 3, allow128, &out), 0);
	assert_int_equal(out.tag, 5);
	assert_int_equal(out.key.key_salt[0], 5);
	assert_int_equal(sdp_crypto_select(list, 3,
	    SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80), &out), 0);
	assert_int_equal(out.tag, 6);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(sdp_crypto_select(list, 3, SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AEAD_AES_256_GCM), &out),
	    ENOENT);
	assert_int_equal(out.tag, 0x5a5a5a5a);
	assert_int_equal(sdp_crypto_select(list, 0, SDP_CRYPTO_ALLOW_ALL, &out), ENOENT);
}

static int
allow(struct sdp_crypto_allow *a, const char *opt)
{
	return sdp_crypto_allow_apply(a, opt, strlen(opt));
}

static void
test_allow(void **state)
{
	struct sdp_crypto_allow a = { .mask = SDP_CRYPTO_ALLOW_ALL };

	(void)state;
	assert_int_equal(allow(&a, "no-AES_256_CM_HMAC_SHA1_80"), 0);
	assert_int_equal(allow(&a, "no-AEAD_AES_256_GCM"), 0);
	assert_int_equal(allow(&a, "pad"), ENOENT);
	assert_int_equal(allow(&a, "no-F8_128_HMAC_SHA1_80"), EINVAL);
	assert_int_equal(sdp_crypto_allow_finish(&a),
	    SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80) |
	    SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32) |
	    SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AEAD_AES_128_GCM));
	/* only- wins over no-, in either order. */
	assert_int_equal(allow(&a, "only-AEAD_AES_256_GCM"), 0);
	assert_int_equal(sdp_crypto_allow_finish(&a), SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AEAD_AES_256_GCM));
	assert_int_equal(allow(&a, "only-AES_CM_128_HMAC_SHA1_32"), 0);
	assert_int_equal(sdp_crypto_allow_finish(&a), SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AEAD_AES_256_GCM) |
	    SDP_CRYPTO_SUITE_BIT(CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32));
	assert_int_equal(allow(&a, "only-nonsense"), EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_prefix_and_blanks),
		cmocka_unit_test(test_parse_lifetime),
		cmocka_unit_test(test_parse_mki),
		cmocka_unit_test(test_parse_session_params),
		cmocka_unit_test(test_parse_padding_and_lengths),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_parse_roundtrip),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_allow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

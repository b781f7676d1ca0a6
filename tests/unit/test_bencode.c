/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for proto/bencode: strict decoding, limits, sorted encoding, arena. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bencode.h"

/* Decodes len bytes from a heap copy (so ASan sees reads past the end). */
static int
decode_lim(const char *s, size_t len, const struct bencode_limits *lim, struct bencode_error *e)
{
	struct bencode_arena a;
	struct bencode_item *root = NULL;
	char *copy;
	int rc;

	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, s, len);
	bencode_arena_init(&a);
	rc = bencode_decode(&a, copy, len, lim, &root, e);
	if (rc == 0)
		assert_non_null(root);
	bencode_arena_free(&a);
	free(copy);
	return rc;
}

static int
decode_s(const char *s, struct bencode_error *e)
{
	return decode_lim(s, strlen(s), NULL, e);
}

/* Decodes then re-encodes; returns the encoding in out (NUL-terminated). */
static void
roundtrip(const char *in, size_t inlen, char *out, size_t cap, size_t *outlen)
{
	struct bencode_arena a;
	struct bencode_item *root;
	struct bencode_error e = { 0, NULL };
	int rc;

	bencode_arena_init(&a);
	rc = bencode_decode(&a, in, inlen, NULL, &root, &e);
	if (rc != 0)
		fail_msg("decode failed: %s at %zu", e.what ? e.what : "?", e.offset);
	rc = bencode_encode(root, out, cap - 1, outlen);
	assert_int_equal(rc, 0);
	assert_int_equal(*outlen, bencode_encoded_len(root));
	out[*outlen] = '\0';
	bencode_arena_free(&a);
}

struct bad_case {
	const char *in;
	int err;
};

static void
test_malformed_table(void **state)
{
	static const struct bad_case cases[] = {
		{ "", ENODATA },
		{ "i01e", EBADMSG },
		{ "i00e", EBADMSG },
		{ "i-0e", EBADMSG },
		{ "i-01e", EBADMSG },
		{ "i-e", EBADMSG },
		{ "ie", EBADMSG },
		{ "i+1e", EBADMSG },
		{ "i1x", EBADMSG },
		{ "i1.5e", EBADMSG },
		{ "i", ENODATA },
		{ "i-", ENODATA },
		{ "i1", ENODATA },
		{ "3:ab", ENODATA },
		{ "1:", ENODATA },
		{ "1", ENODATA },
		{ "12", ENODATA },
		{ "1x", EBADMSG },
		{ "-1:a", EBADMSG },
		{ "01:a", EBADMSG },
		{ "00:", EBADMSG },
		{ "d1:ai1e", ENODATA },
		{ "d1:a", ENODATA },
		{ "d1:ae", EBADMSG },
		{ "d", ENODATA },
		{ "di1ei2ee", EBADMSG },
		{ "dlei1ee", EBADMSG },
		{ "ddei1ee", EBADMSG },
		{ "d1:a0:1:a0:e", EBADMSG },
		{ "d1:ai1e1:bi2e1:ai3ee", EBADMSG },
		{ "l", ENODATA },
		{ "l1:a", ENODATA },
		{ "lli1ee", ENODATA },
		{ "x", EBADMSG },
		{ "e", EBADMSG },
		{ "lxe", EBADMSG },
		{ "i1ei2e", EBADMSG },
		{ "lee", EBADMSG },
		{ "0:0:", EBADMSG },
		{ "i9223372036854775808e", EBADMSG },
		{ "i-9223372036854775809e", EBADMSG },
		{ "i99999999999999999999999e", EBADMSG },
		{ "99999999999999999999:", E2BIG },
		{ "18446744073709551616:", E2BIG },
		{ "2000000:ab", E2BIG },
	};
	struct bencode_error e;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.what = NULL;
		e.offset = (size_t)-1;
		rc = decode_s(cases[i].in, &e);
		if (rc != cases[i].err)
			fail_msg("\"%s\": got %d (%s), want %d", cases[i].in, rc,
			    e.what ? e.what : "-", cases[i].err);
		assert_non_null(e.what);
		assert_true(e.offset <= strlen(cases[i].in));
	}
}

static void
test_valid_values(void **state)
{
	struct bencode_arena a;
	struct bencode_item *r;
	struct bencode_error e;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(bencode_decode(&a, "i0e", 3, NULL, &r, &e), 0);
	assert_int_equal(r->type, BENCODE_INTEGER);
	assert_int_equal(r->num, 0);
	assert_int_equal(bencode_decode(&a, "i-42e", 5, NULL, &r, &e), 0);
	assert_int_equal(r->num, -42);
	assert_int_equal(bencode_decode(&a, "i9223372036854775807e", 21, NULL, &r, &e), 0);
	assert_true(r->num == INT64_MAX);
	assert_int_equal(bencode_decode(&a, "i-9223372036854775808e", 22, NULL, &r, &e), 0);
	assert_true(r->num == INT64_MIN);
	assert_int_equal(bencode_decode(&a, "0:", 2, NULL, &r, &e), 0);
	assert_int_equal(r->type, BENCODE_STRING);
	assert_int_equal(r->len, 0);
	assert_int_equal(bencode_decode(&a, "10:0123456789", 13, NULL, &r, &e), 0);
	assert_int_equal(r->len, 10);
	assert_memory_equal(r->str, "0123456789", 10);
	assert_int_equal(bencode_decode(&a, "le", 2, NULL, &r, &e), 0);
	assert_int_equal(r->type, BENCODE_LIST);
	assert_int_equal(r->count, 0);
	assert_null(r->child);
	assert_int_equal(bencode_decode(&a, "de", 2, NULL, &r, &e), 0);
	assert_int_equal(r->type, BENCODE_DICT);
	assert_int_equal(r->count, 0);
	assert_int_equal(bencode_decode(&a, "l1:ai2ele0:e", 12, NULL, &r, &e), 0);
	assert_int_equal(r->count, 4);
	assert_int_equal(r->child->type, BENCODE_STRING);
	assert_int_equal(r->child->next->num, 2);
	assert_int_equal(r->child->next->next->type, BENCODE_LIST);
	assert_ptr_equal(r->last, r->child->next->next->next);
	bencode_arena_free(&a);
}

static void
test_error_offsets(void **state)
{
	struct bencode_error e;

	(void)state;
	assert_int_equal(decode_s("i1ei2e", &e), EBADMSG);
	assert_int_equal(e.offset, 3);
	assert_string_equal(e.what, "trailing bytes after value");
	assert_int_equal(decode_s("d1:a0:1:a0:e", &e), EBADMSG);
	assert_int_equal(e.offset, 8);   /* the second "a" */
	assert_string_equal(e.what, "duplicate dictionary key");
	assert_int_equal(decode_s("di1ei2ee", &e), EBADMSG);
	assert_int_equal(e.offset, 1);
	assert_int_equal(decode_s("l1:ax", &e), EBADMSG);
	assert_int_equal(e.offset, 4);
	assert_int_equal(decode_s("d1:ai1e", &e), ENODATA);
	assert_int_equal(e.offset, 7);
}

static void
test_dict_any_order_sorted_output(void **state)
{
	char out[256];
	size_t n;

	(void)state;
	roundtrip("d1:b0:1:a0:e", strlen("d1:b0:1:a0:e"), out, sizeof(out), &n);
	assert_string_equal(out, "d1:a0:1:b0:e");
	roundtrip("d1:zi1e2:aai2e1:ai3e0:i4e1:\xffi5ee", 32, out, sizeof(out), &n);
	assert_string_equal(out, "d0:i4e1:ai3e2:aai2e1:zi1e1:\xffi5ee");
	/* rtpengine puts result last; our encoder sorts. */
	roundtrip("d6:result5:error12:error-reason15:Unknown call-ide",
	    strlen("d6:result5:error12:error-reason15:Unknown call-ide"), out, sizeof(out), &n);
	assert_string_equal(out, "d12:error-reason15:Unknown call-id6:result5:errore");
	/* Nested dictionaries are sorted too. */
	roundtrip("d1:bd1:y0:1:x0:e1:ali1eee", strlen("d1:bd1:y0:1:x0:e1:ali1eee"), out, sizeof(out), &n);
	assert_string_equal(out, "d1:ali1ee1:bd1:x0:1:y0:ee");
}

static void
test_known_bytes_ng_examples(void **state)
{
	static const char *const same[] = {
		"d7:command4:pinge",
		"d6:result4:ponge",
		"d7:command4:liste",
		"d5:callsl30:a84b4c76e66710@carrier.examplee6:result2:oke",
		"d7:call-id12:unknown-call7:command6:delete8:from-tag1:xe",
		"d4:SSRCde6:totalsd3:RTPd5:bytesi0e6:errorsi0e7:packetsi0eeee",
	};
	char out[512];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		roundtrip(same[i], strlen(same[i]), out, sizeof(out), &n);
		assert_string_equal(out, same[i]);
	}
}

static void
test_nul_bytes(void **state)
{
	static const char in[] = "l3:a\0b4:\0\0\0\0e";
	struct bencode_arena a;
	struct bencode_item *r, *d, *s;
	struct bencode_error e;
	char out[64];
	size_t n;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(bencode_decode(&a, in, sizeof(in) - 1, NULL, &r, &e), 0);
	assert_int_equal(r->child->len, 3);
	assert_memory_equal(r->child->str, "a\0b", 3);
	assert_int_equal(r->child->next->len, 4);
	assert_int_equal(bencode_encode(r, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(in) - 1);
	assert_memory_equal(out, in, n);

	d = bencode_dict(&a);
	s = bencode_str_dup(&a, "x\0y", 3);
	assert_non_null(s);
	assert_int_equal(bencode_dict_add(&a, d, "k", s), 0);
	assert_int_equal(bencode_encode(d, out, sizeof(out), &n), 0);
	assert_int_equal(n, 10);
	assert_memory_equal(out, "d1:k3:x\0ye", 10);
	/* A NUL at the end of a key: "a\0" sorts after "a". */
	assert_int_equal(bencode_decode(&a, "d2:a\0i1e1:ai2ee", 15, NULL, &r, &e), 0);
	assert_int_equal(bencode_encode(r, out, sizeof(out), &n), 0);
	assert_memory_equal(out, "d1:ai2e2:a\0i1ee", 15);
	bencode_arena_free(&a);
}

static void
test_depth_limit(void **state)
{
	char buf[200];
	struct bencode_limits lim = { 0, 0, 0 };
	struct bencode_error e;
	size_t i;

	(void)state;
	for (i = 0; i < 32; i++) {
		buf[i] = 'l';
		buf[32 + i] = 'e';
	}
	assert_int_equal(decode_lim(buf, 64, NULL, &e), 0);
	for (i = 0; i < 33; i++) {
		buf[i] = 'l';
		buf[33 + i] = 'e';
	}
	assert_int_equal(decode_lim(buf, 66, NULL, &e), E2BIG);
	assert_int_equal(e.offset, 32);
	/* Dicts count too: d1:ad1:ad1:a... deeper than 32 -> E2BIG before running out. */
	{
		char deep[400];
		size_t p = 0;

		for (i = 0; i < 40; i++) {
			memcpy(deep + p, "d1:a", 4);
			p += 4;
		}
		assert_int_equal(decode_lim(deep, p, NULL, &e), E2BIG);
	}
	lim.max_depth = 2;
	assert_int_equal(decode_lim("llee", 4, &lim, &e), 0);
	assert_int_equal(decode_lim("llleee", 6, &lim, &e), E2BIG);
	/* A huge requested depth is clamped, not trusted with the C stack. */
	lim.max_depth = 4000000000u;
	{
		size_t big = 200000;
		char *p = malloc(big * 2);

		assert_non_null(p);
		memset(p, 'l', big);
		memset(p + big, 'e', big);
		lim.max_items = big * 2;
		assert_int_equal(decode_lim(p, big * 2, &lim, &e), E2BIG);
		free(p);
	}
}

static void
test_item_and_string_limits(void **state)
{
	struct bencode_limits lim = { 0, 5, 4 };
	struct bencode_error e;
	char *big;
	size_t i, n = 10001;

	(void)state;
	assert_int_equal(decode_lim("li1ei2ei3ei4ee", 14, &lim, &e), 0);
	assert_int_equal(decode_lim("li1ei2ei3ei4ei5ee", 17, &lim, &e), E2BIG);
	assert_string_equal(e.what, "too many items");
	assert_int_equal(decode_lim("4:abcd", 6, &lim, &e), 0);
	assert_int_equal(decode_lim("5:abcde", 7, &lim, &e), E2BIG);
	/* The default item cap (10000) applies without limits. */
	big = malloc(2 * n + 2);
	assert_non_null(big);
	big[0] = 'l';
	for (i = 0; i < n; i++)
		memcpy(big + 1 + 2 * i, "le", 2);
	big[1 + 2 * n] = 'e';
	assert_int_equal(decode_lim(big, 2 * n + 2, NULL, &e), E2BIG);
	assert_int_equal(decode_lim(big, 2 * 9998 + 1, NULL, &e), ENODATA);
	free(big);
}

static void
test_large_dict_sort_and_dups(void **state)
{
	struct bencode_arena a;
	struct bencode_item *r, *it;
	struct bencode_error e;
	char *buf, *out;
	size_t p = 0, i, n = 3000, outlen;
	int k = 0;

	(void)state;
	buf = malloc(n * 16 + 2);
	out = malloc(n * 16 + 2);
	assert_non_null(buf);
	assert_non_null(out);
	buf[p++] = 'd';
	for (i = 0; i < n; i++) {
		/* Keys in a scrambled order. */
		p += (size_t)sprintf(buf + p, "4:%04zui0e", (i * 7919) % n);
	}
	buf[p++] = 'e';
	bencode_arena_init(&a);
	assert_int_equal(bencode_decode(&a, buf, p, NULL, &r, &e), 0);
	assert_int_equal(r->count, n);
	for (it = r->child; it != NULL; it = it->next->next, k++) {
		char want[16];

		snprintf(want, sizeof(want), "%04d", k);
		assert_memory_equal(it->str, want, 4);
		if (it->next->next == NULL)
			assert_ptr_equal(r->last, it->next);
	}
	assert_int_equal(bencode_encode(r, out, n * 16 + 2, &outlen), 0);
	assert_int_equal(outlen, p);
	bencode_arena_free(&a);
	/* Same with one duplicate far apart. */
	memcpy(buf + 1 + 9 * 2999 + 2, "0000", 4);
	memcpy(buf + 1 + 9 * 0 + 2, "0000", 4);
	bencode_arena_init(&a);
	assert_int_equal(bencode_decode(&a, buf, p, NULL, &r, &e), EBADMSG);
	assert_string_equal(e.what, "duplicate dictionary key");
	bencode_arena_free(&a);
	free(buf);
	free(out);
}

static void
test_build_sorted(void **state)
{
	struct bencode_arena a;
	struct bencode_item *d, *l, *inner;
	char out[256];
	size_t n;

	(void)state;
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_int(&a, d, "z", 4), 0);
	assert_int_equal(bencode_dict_add_int(&a, d, "a", 1), 0);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "m", "mid"), 0);
	assert_int_equal(bencode_dict_add_int(&a, d, "aa", -7), 0);
	assert_int_equal(bencode_dict_add_str(&a, d, "", "", 0), 0);
	l = bencode_list(&a);
	assert_int_equal(bencode_list_add(l, bencode_cstr(&a, "b")), 0);
	assert_int_equal(bencode_list_add(l, bencode_cstr(&a, "a")), 0);
	assert_int_equal(bencode_dict_add(&a, d, "l", l), 0);
	inner = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_int(&a, inner, "y", INT64_MIN), 0);
	assert_int_equal(bencode_dict_add_int(&a, inner, "x", INT64_MAX), 0);
	assert_int_equal(bencode_dict_add(&a, d, "b", inner), 0);
	assert_int_equal(bencode_encode(d, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "d0:0:1:ai1e2:aai-7e1:bd1:xi9223372036854775807e"
	    "1:yi-9223372036854775808ee1:ll1:b1:ae1:m3:mid1:zi4ee");
	assert_int_equal(d->count, 7);
	assert_int_equal(bencode_dict_get(d, "z")->num, 4);
	assert_ptr_equal(d->last, bencode_dict_get(d, "z"));
	assert_true(bencode_str_eq(bencode_dict_get(d, "m"), "mid"));
	assert_false(bencode_str_eq(bencode_dict_get(d, "a"), "mid"));
	assert_null(bencode_dict_get(d, "A"));
	assert_null(bencode_dict_get(l, "a"));
	/* Duplicate keys and wrong containers are refused. */
	assert_int_equal(bencode_dict_add_int(&a, d, "m", 1), EINVAL);
	assert_int_equal(bencode_list_add(d, bencode_int(&a, 1)), EINVAL);
	assert_int_equal(bencode_list_add(l, NULL), EINVAL);
	assert_int_equal(bencode_dict_add(&a, l, "k", bencode_int(&a, 1)), EINVAL);
	assert_int_equal(bencode_dict_add(&a, d, "k", NULL), EINVAL);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "k", NULL), EINVAL);
	assert_null(bencode_cstr(&a, NULL));
	assert_null(bencode_str(&a, NULL, 3));
	bencode_arena_free(&a);
}

static void
test_encode_hand_built_unsorted(void **state)
{
	struct bencode_arena a;
	struct bencode_item *d, *k1, *k2, *k3;
	char out[64];
	size_t n;

	(void)state;
	bencode_arena_init(&a);
	/* Link children by hand, bypassing the sorted insert. */
	d = bencode_dict(&a);
	k1 = bencode_cstr(&a, "c");
	k2 = bencode_cstr(&a, "a");
	k3 = bencode_cstr(&a, "b");
	k1->next = bencode_int(&a, 3);
	k1->next->next = k2;
	k2->next = bencode_int(&a, 1);
	k2->next->next = k3;
	k3->next = bencode_int(&a, 2);
	d->child = k1;
	d->count = 3;
	assert_int_equal(bencode_encode(d, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "d1:ai1e1:bi2e1:ci3ee");
	/* A duplicate in a hand-built tree is a malformed tree. */
	k3->str = "c";
	assert_int_equal(bencode_encode(d, out, sizeof(out), &n), EINVAL);
	assert_int_equal(bencode_encoded_len(d), 0);
	/* Non-string key, dangling key. */
	k3->str = "b";
	k3->type = BENCODE_INTEGER;
	assert_int_equal(bencode_encode(d, out, sizeof(out), &n), EINVAL);
	k3->type = BENCODE_STRING;
	k3->next = NULL;
	assert_int_equal(bencode_encode(d, out, sizeof(out), &n), EINVAL);
	assert_int_equal(bencode_encode(NULL, out, sizeof(out), &n), EINVAL);
	bencode_arena_free(&a);
}

static void
test_encode_enospc(void **state)
{
	struct bencode_arena a;
	struct bencode_item *d;
	char out[32];
	size_t n = 0, i;

	(void)state;
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "result", "pong"), 0);
	assert_int_equal(bencode_encoded_len(d), 16);
	for (i = 0; i < 16; i++) {
		n = 0;
		memset(out, 'Z', sizeof(out));
		assert_int_equal(bencode_encode(d, out, i, &n), ENOSPC);
		assert_int_equal(n, 16);
		assert_int_equal(out[i], 'Z');   /* never writes past cap */
	}
	assert_int_equal(bencode_encode(d, NULL, 0, &n), ENOSPC);
	assert_int_equal(n, 16);
	assert_int_equal(bencode_encode(d, out, 16, &n), 0);
	assert_memory_equal(out, "d6:result4:ponge", 16);
	bencode_arena_free(&a);
}

static void
test_arena(void **state)
{
	struct bencode_arena a;
	struct bencode_item *r;
	struct bencode_error e;
	char *p, *big;
	size_t i, len;

	(void)state;
	bencode_arena_init(&a);
	/* Small allocations stay in the inline block. */
	p = bencode_arena_alloc(&a, 100);
	assert_non_null(p);
	assert_true(p >= a.inline_buf && p < a.inline_buf + sizeof(a.inline_buf));
	assert_null(a.head);
	for (i = 0; i < 1000; i++) {
		p = bencode_arena_alloc(&a, 1 + i % 200);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xa5, 1 + i % 200);
	}
	assert_non_null(a.head);
	assert_true(a.heap_bytes > 0);
	/* The default cap is 1 MiB. */
	assert_null(bencode_arena_alloc(&a, 2 * 1024 * 1024));
	bencode_arena_free(&a);
	assert_null(a.head);
	assert_int_equal(a.heap_bytes, 0);
	assert_int_equal(a.left, sizeof(a.inline_buf));

	/* Near the cap the rest of the budget is used, then allocation fails. */
	a.max_bytes = 20000;
	for (i = 0; bencode_arena_alloc(&a, 100) != NULL; i++)
		assert_true(i < 1000);
	assert_true(a.heap_bytes <= 20000);
	assert_true(i * 112 >= sizeof(a.inline_buf) + 20000 - 2 * 112);
	assert_true(a.left < 112);
	bencode_arena_free(&a);

	/* A low cap makes decoding fail with ENOMEM, cleanly. */
	a.max_bytes = 1;
	len = 1 + 3 * 500 + 1;
	big = malloc(len);
	assert_non_null(big);
	big[0] = 'l';
	for (i = 0; i < 500; i++)
		memcpy(big + 1 + 3 * i, "i1e", 3);
	big[len - 1] = 'e';
	assert_int_equal(bencode_decode(&a, big, len, NULL, &r, &e), ENOMEM);
	bencode_arena_free(&a);
	assert_int_equal(a.max_bytes, 1);   /* the cap survives a reset */
	a.max_bytes = 0;
	assert_int_equal(bencode_decode(&a, big, len, NULL, &r, &e), 0);
	assert_int_equal(r->count, 500);
	bencode_arena_free(&a);
	free(big);
}

static void
test_bad_arguments(void **state)
{
	struct bencode_arena a;
	struct bencode_item *r;
	struct bencode_error e;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(bencode_decode(&a, NULL, 5, NULL, &r, &e), ENODATA);
	assert_int_equal(bencode_decode(NULL, "i1e", 3, NULL, &r, &e), EINVAL);
	assert_int_equal(bencode_decode(&a, "i1e", 3, NULL, NULL, NULL), EINVAL);
	/* err may be NULL. */
	assert_int_equal(bencode_decode(&a, "x", 1, NULL, &r, NULL), EBADMSG);
	bencode_arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_valid_values),
		cmocka_unit_test(test_error_offsets),
		cmocka_unit_test(test_dict_any_order_sorted_output),
		cmocka_unit_test(test_known_bytes_ng_examples),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_item_and_string_limits),
		cmocka_unit_test(test_large_dict_sort_and_dups),
		cmocka_unit_test(test_build_sorted),
		cmocka_unit_test(test_encode_hand_built_unsorted),
		cmocka_unit_test(test_encode_enospc),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

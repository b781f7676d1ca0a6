/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proto/ under allocation failure (lib/oom_wrap.h): bencode decoding and building, ng
 * request and reply parsing, the cookie cache. Each allocation fails in turn; the code
 * must return a clean error or a complete result, and leak nothing (LeakSanitizer in
 * the asan build).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bencode.h"
#include "cookie_cache.h"
#include "lib/oom_wrap.h"
#include "ng.h"

/* The cookie cache keys on the source address bytes; one fixed source is enough here. */
static const unsigned char oom_src[4] = { 127, 0, 0, 1 };

static enum ng_cookie_result
lookup(struct ng_cookie_cache *c, const char *cookie, const char *cmd, const char *call_id,
    uint64_t now, const char **r, size_t *rl)
{
	return ng_cookie_cache_lookup(c, oom_src, sizeof(oom_src), cookie, strlen(cookie),
	    cmd, strlen(cmd), call_id, strlen(call_id), now, r, rl);
}

static int
store(struct ng_cookie_cache *c, const char *cookie, const char *reply, uint64_t now)
{
	return ng_cookie_cache_store(c, oom_src, sizeof(oom_src), cookie, strlen(cookie),
	    reply, strlen(reply), now);
}
/* A list of n dictionaries {"k":"v<i>","n":<i>}: big enough that the arena needs heap blocks. */
static char *
oom_message(unsigned n, size_t *len)
{
	size_t cap = 16 + (size_t)n * 48, off = 0;
	char *buf = malloc(cap);
	unsigned i;

	assert_non_null(buf);
	buf[off++] = 'l';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "d1:k%zu:v%u1:ni%uee",
		    (size_t)snprintf(NULL, 0, "v%u", i), i, i);
	buf[off++] = 'e';
	*len = off;
	return buf;
}

/* Each allocation of a decode fails in turn: ENOMEM, no tree, nothing leaked (ASan). */
static void
test_bencode_decode_oom(void **state)
{
	struct bencode_arena a;
	struct bencode_item *r, sentinel;
	struct bencode_error e;
	unsigned long at;
	unsigned nomem = 0;
	size_t len;
	char *msg = oom_message(1500, &len);
	bool fired;
	int rc;

	(void)state;
	for (at = 0; at < 1000; at++) {
		bencode_arena_init(&a);
		r = &sentinel;
		oom_arm(at);
		rc = bencode_decode(&a, msg, len, NULL, &r, &e);
		fired = oom_disarm();
		if (fired) {
			/* Every node is needed: a failed allocation can only end in ENOMEM. */
			assert_int_equal(rc, ENOMEM);
			assert_ptr_equal(r, &sentinel);
			nomem++;
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(r->count, 1500);
		}
		bencode_arena_free(&a);
		if (!fired)
			break;
	}
	assert_true(at < 1000);
	assert_true(nomem >= 3);    /* the arena grew by several heap blocks */
	free(msg);
}

/* Each allocation of a tree build fails in turn: the builders report it, and
 * freeing the arena releases the partial tree. */
static void
test_bencode_build_oom(void **state)
{
	struct bencode_arena a;
	struct bencode_item *d, *l;
	unsigned long at;
	unsigned i, nomem = 0;
	char out[64];
	size_t n;
	bool fired, failed;

	(void)state;
	for (at = 0; at < 1000; at++) {
		bencode_arena_init(&a);
		oom_arm(at);
		failed = false;
		d = bencode_dict(&a);
		l = bencode_list(&a);
		if (d == NULL || l == NULL || bencode_dict_add(&a, d, "list", l) != 0)
			failed = true;
		for (i = 0; i < 1500 && !failed; i++) {
			/* dict keys are referenced, not copied: each lives in the arena */
			char *key = bencode_arena_alloc(&a, 8);
			struct bencode_item *v, *num;

			if (key == NULL) {
				failed = true;
				break;
			}
			snprintf(key, 8, "k%05u", i);
			v = bencode_str_dup(&a, key, strlen(key));
			num = bencode_int(&a, i);
			if (v == NULL || num == NULL || bencode_dict_add(&a, d, key, v) != 0 ||
			    bencode_list_add(l, num) != 0)
				failed = true;
		}
		fired = oom_disarm();
		assert_int_equal(failed, fired);
		if (!fired) {
			assert_int_equal(d->count, 1501);
			assert_int_equal(bencode_encode(d, out, sizeof(out), &n), ENOSPC);
		}
		bencode_arena_free(&a);
		if (!fired)
			break;
		nomem++;
	}
	assert_true(at < 1000);
	assert_true(nomem >= 3);
}
/* "<cookie> d7:command...5:flagsl<n flags>ee": a request whose tree needs arena heap blocks. */
static char *
oom_datagram(const char *head, unsigned n, size_t *len)
{
	size_t cap = 256 + (size_t)n * 16, off;
	char *buf = malloc(cap);
	unsigned i;

	assert_non_null(buf);
	off = (size_t)snprintf(buf, cap, "%s5:flagsl", head);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "9:flag%05u", i);
	off += (size_t)snprintf(buf + off, cap - off, "ee");
	*len = off;
	return buf;
}

/*
 * Each allocation of a request parse and of a reply parse fails in turn: ENOMEM,
 * and nothing leaked once the arena is freed (ASan); the run that fails nothing parses.
 */
static void
test_ng_parse_oom(void **state)
{
	static const char *const heads[2] = {
		"4711_1_30 d7:call-id4:oom17:command5:offer",
		"4711_1_31 d6:result2:ok",
	};
	struct bencode_arena a;
	struct bencode_error e;
	struct ng_msg m;
	unsigned long at;
	unsigned k, nomem;
	size_t len;
	bool fired;
	int rc;

	(void)state;
	for (k = 0; k < 2; k++) {
		char *dg = oom_datagram(heads[k], 600, &len);

		nomem = 0;
		for (at = 0; at < 1000; at++) {
			bencode_arena_init(&a);
			oom_arm(at);
			rc = k == 0 ? ng_msg_parse(&a, dg, len, &m, &e) : ng_reply_parse(&a, dg, len, &m, &e);
			fired = oom_disarm();
			if (fired) {
				assert_int_equal(rc, ENOMEM);
				nomem++;
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(ng_dict_get(m.dict, "flags")->count, 600);
				if (k == 0)
					assert_int_equal(m.op, NG_OP_OFFER);
			}
			bencode_arena_free(&a);
			if (!fired)
				break;
		}
		assert_true(at < 1000);
		assert_true(nomem >= 2);
		free(dg);
	}
}
/*
 * Each allocation fails in turn while a cache is made and filled (40 commands, a cap of
 * 16 so eviction runs too): every failure shows as ENOMEM from alloc, or as the one
 * command whose reply cannot be stored (ENOENT: its entry was not made; ENOMEM: the
 * copy), never as a wrong answer; afterwards the cache still works, nothing leaks (ASan).
 */
static void
test_cookie_cache_oom(void **state)
{
	unsigned long at;
	unsigned i, nomem = 0;
	char cookie[16], reply[32];
	const char *r;
	size_t rl;
	bool fired;

	(void)state;
	for (at = 0; at < 1000; at++) {
		struct ng_cookie_cache *c = NULL;
		unsigned stored = 0, failed = 0, last_ok = 0;
		int rc;

		oom_arm(at);
		rc = ng_cookie_cache_alloc(&c, 16, 30000);
		for (i = 0; rc == 0 && i < 40; i++) {
			snprintf(cookie, sizeof(cookie), "c%u", i);
			snprintf(reply, sizeof(reply), "c%u d6:result2:oke", i);
			assert_int_equal(lookup(c, cookie, "offer", cookie, 1000 + i, NULL, NULL),
			    NG_COOKIE_MISS);
			switch (store(c, cookie, reply, 1000 + i)) {
			case 0:
				stored++;
				last_ok = i;
				break;
			case ENOENT:
			case ENOMEM:
				failed++;
				break;
			default:
				fail_msg("unexpected store result");
			}
		}
		fired = oom_disarm();
		if (rc != 0) {
			assert_int_equal(rc, ENOMEM);
			assert_null(c);
			assert_true(fired);
			nomem++;
			continue;
		}
		assert_int_equal(failed, fired ? 1 : 0);
		assert_int_equal(stored + failed, 40);
		/* The youngest stored reply is still answered, byte for byte. */
		snprintf(cookie, sizeof(cookie), "c%u", last_ok);
		snprintf(reply, sizeof(reply), "c%u d6:result2:oke", last_ok);
		r = NULL;
		rl = 0;
		assert_int_equal(lookup(c, cookie, "offer", cookie, 2000, &r, &rl), NG_COOKIE_HIT);
		assert_int_equal(rl, strlen(reply));
		assert_memory_equal(r, reply, rl);
		/* And a new command goes through the whole cycle. */
		assert_int_equal(lookup(c, "new", "delete", "x", 2001, NULL, NULL), NG_COOKIE_MISS);
		assert_int_equal(store(c, "new", "new d6:result2:oke", 2002), 0);
		assert_int_equal(lookup(c, "new", "delete", "x", 2003, &r, &rl), NG_COOKIE_HIT);
		ng_cookie_cache_free(c);
		if (!fired)
			break;
		nomem++;
	}
	assert_true(at < 1000);
	assert_true(nomem >= 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bencode_decode_oom),
		cmocka_unit_test(test_bencode_build_oom),
		cmocka_unit_test(test_ng_parse_oom),
		cmocka_unit_test(test_cookie_cache_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy's encryption policy, SDP scan, ng request shape and mediad choice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bencode.h"
#include "ng.h"
#include "media.h"

static const char sdp_srtp[] =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 6000 RTP/SAVP 0\r\n"
    "a=crypto:1 FOO_BAR inline:AAAA\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20\r\n";
static const char sdp_plain[] =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n";
static const char sdp_savp_nokey[] =
    "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 6000 RTP/SAVP 0\r\na=crypto:1 FOO inline:x\r\n";

static void
test_sdp_scan(void **state)
{
	struct sdp_info si;

	policy_sdp_scan(sdp_srtp, strlen(sdp_srtp), &si);
	assert_true(si.has_media && si.savp && si.crypto);
	/* the unknown suite is skipped, the next usable line counts */
	assert_string_equal(si.suite, "AES_CM_128_HMAC_SHA1_32");
	policy_sdp_scan(sdp_plain, strlen(sdp_plain), &si);
	assert_true(si.has_media);
	assert_false(si.savp || si.crypto);
	policy_sdp_scan(sdp_savp_nokey, strlen(sdp_savp_nokey), &si);
	assert_true(si.savp);
	assert_false(si.crypto);
	policy_sdp_scan("", 0, &si);
	assert_false(si.has_media);
	/* no line end at all, binary junk: no crash, nothing found */
	policy_sdp_scan("m=audio\0\xff a=crypto:", 20, &si);
	assert_false(si.crypto);
}

static void
test_policy_decisions(void **state)
{
	struct sdp_info srtp, plain, nokey, none;

	policy_sdp_scan(sdp_srtp, strlen(sdp_srtp), &srtp);
	policy_sdp_scan(sdp_plain, strlen(sdp_plain), &plain);
	policy_sdp_scan(sdp_savp_nokey, strlen(sdp_savp_nokey), &nokey);
	policy_sdp_scan("", 0, &none);

	assert_int_equal(policy_offer_check(SP_POLICY_REQUIRED, &plain), 488);
	assert_int_equal(policy_offer_check(SP_POLICY_REQUIRED, &nokey), 488);
	assert_int_equal(policy_offer_check(SP_POLICY_REQUIRED, &srtp), 0);
	assert_int_equal(policy_offer_check(SP_POLICY_OPTIONAL, &plain), 0);
	assert_int_equal(policy_offer_check(SP_POLICY_OPTIONAL, &nokey), 488);
	assert_int_equal(policy_offer_check(SP_POLICY_OFF, &plain), 0);

	assert_string_equal(policy_offer_profile(SP_POLICY_OFF, true), "RTP/AVP");
	assert_string_equal(policy_offer_profile(SP_POLICY_OPTIONAL, true), "RTP/SAVP");
	assert_string_equal(policy_offer_profile(SP_POLICY_OPTIONAL, false), "RTP/AVP");
	assert_string_equal(policy_offer_profile(SP_POLICY_REQUIRED, false), "RTP/SAVP");

	/* a 2xx towards a required side must carry a key: never a silent plain fallback */
	assert_int_equal(policy_answer_check(SP_POLICY_REQUIRED, &plain), 488);
	assert_int_equal(policy_answer_check(SP_POLICY_REQUIRED, &srtp), 0);
	assert_int_equal(policy_answer_check(SP_POLICY_OPTIONAL, &nokey), 488);
	assert_int_equal(policy_answer_check(SP_POLICY_OFF, &plain), 0);
	assert_int_equal(policy_answer_check(SP_POLICY_OFF, &none), 488);
}

static bool
list_has(const struct bencode_item *d, const char *key, const char *v)
{
	return ng_list_has(d, key, v);
}

static void
test_ng_dict(void **state)
{
	struct sp_config cfg;
	struct bencode_arena a;
	struct bencode_item *d = NULL;
	const char *s;
	size_t n;
	char buf[4096];

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.iface[SP_SIDE_OUTSIDE], sizeof(cfg.iface[0]), "outside");
	snprintf(cfg.iface[SP_SIDE_INSIDE], sizeof(cfg.iface[0]), "inside");
	snprintf(cfg.sdes, sizeof(cfg.sdes), "only-AES_CM_128_HMAC_SHA1_80, no-AEAD_AES_256_GCM");
	bencode_arena_init(&a);
	assert_int_equal(policy_ng_dict(&a, &cfg, "offer", "cid", "ft", NULL, "z9hG4bKx",
	    sdp_srtp, strlen(sdp_srtp), SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, "RTP/AVP", &d), 0);
	assert_int_equal(ng_get_str(d, "command", &s, &n), 0);
	assert_int_equal(n, 5);
	assert_null(ng_dict_get(d, "to-tag"));
	assert_int_equal(ng_get_str(d, "transport-protocol", &s, &n), 0);
	assert_memory_equal(s, "RTP/AVP", 7);
	assert_int_equal(ng_get_str(d, "ICE", &s, &n), 0);
	assert_memory_equal(s, "remove", 6);
	assert_true(list_has(d, "replace", "origin"));
	assert_true(list_has(d, "replace", "session-connection"));
	assert_true(list_has(d, "rtcp-mux", "demux"));
	assert_true(list_has(d, "supports", "load limit"));
	assert_true(list_has(d, "SDES", "only-AES_CM_128_HMAC_SHA1_80"));
	assert_true(list_has(d, "SDES", "no-AEAD_AES_256_GCM"));
	/* direction: [side of the sender, side of the recipient] in order */
	{
		struct bencode_item *l = ng_dict_get(d, "direction");

		assert_non_null(l);
		assert_int_equal(l->count, 2);
		assert_true(bencode_str_eq(l->child, "outside"));
		assert_true(bencode_str_eq(l->child->next, "inside"));
	}
	assert_int_equal(ng_encode("c1", 2, d, buf, sizeof(buf), &n), 0);
	bencode_arena_free(&a);

	bencode_arena_init(&a);
	assert_int_equal(policy_ng_dict(&a, &cfg, "delete", "cid", "ft", NULL, NULL, NULL, 0,
	    SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, NULL, &d), 0);
	assert_true(list_has(d, "flags", "fast"));
	assert_null(ng_dict_get(d, "sdp"));
	bencode_arena_free(&a);

	bencode_arena_init(&a);
	assert_int_equal(policy_ng_dict(&a, &cfg, "offer", NULL, "ft", NULL, NULL, "x", 1,
	    SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, "RTP/AVP", &d), EINVAL);
	assert_int_equal(policy_ng_dict(&a, &cfg, "offer", "c", "ft", NULL, NULL, NULL, 0,
	    SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, "RTP/AVP", &d), EINVAL);
	bencode_arena_free(&a);
}

static void
test_mediad_choice(void **state)
{
	struct mediad_pool *p = NULL;
	struct mediad_entry *e = NULL;
	struct sa a1, a2, a3;
	unsigned i;

	assert_int_equal(mediad_pool_alloc(&p, NULL), 0);
	assert_int_equal(mediad_pool_choose(p, &e), ENOENT);
	assert_int_equal(sa_parse(&a1, "127.0.0.1:2001", 0), 0);
	assert_int_equal(sa_parse(&a2, "127.0.0.1:2002", 0), 0);
	assert_int_equal(sa_parse(&a3, "127.0.0.1:2003", 0), 0);
	assert_int_equal(mediad_pool_update(p, "m1", &a1, 50), 0);
	assert_int_equal(mediad_pool_update(p, "m2", &a2, 10), 0);
	assert_int_equal(mediad_pool_update(p, "m3", &a3, 30), 0);
	assert_int_equal(mediad_pool_choose(p, &e), 0);
	assert_string_equal(e->id, "m2");
	/* each choice counts as load: a burst between scans spreads over the pool */
	for (i = 0; i < 25; i++)
		assert_int_equal(mediad_pool_choose(p, &e), 0);
	assert_string_equal(e->id, "m3");
	/* a dead mediad is skipped until it answered pings up_after (3) times in a row */
	mediad_pool_update(p, "m2", &a2, 0);
	mediad_pool_update(p, "m3", &a3, 0);
	mediad_pool_mark_down(p, "m2");
	mediad_pool_mark_down(p, "m3");
	assert_int_equal(mediad_pool_up_count(p), 1);
	assert_int_equal(mediad_pool_choose(p, &e), 0);
	assert_string_equal(e->id, "m1");
	mediad_pool_mark_ok(p, "m2");
	mediad_pool_mark_ok(p, "m2");
	assert_int_equal(mediad_pool_up_count(p), 1);
	mediad_pool_mark_ok(p, "m2");
	assert_int_equal(mediad_pool_up_count(p), 2);
	assert_int_equal(mediad_pool_choose(p, &e), 0);
	assert_string_equal(e->id, "m2");
	mediad_pool_mark_down(p, "m1");
	mediad_pool_mark_down(p, "m2");
	assert_int_equal(mediad_pool_choose(p, &e), ENOENT);
	assert_null(mediad_pool_find(p, "nope"));
	mediad_pool_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdp_scan),
		cmocka_unit_test(test_policy_decisions),
		cmocka_unit_test(test_ng_dict),
		cmocka_unit_test(test_mediad_choice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy's encryption policy per m= line, SDP scan and edit, ng request shape
 * and mediad choice. */
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
/* best-effort SRTP (RFC 8643): RTP/AVP with a key */
static const char sdp_osrtp[] =
    "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 6000 RTP/AVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n";
/* audio SRTP with a key, video plain, T.38 (not RTP), a rejected audio line */
static const char sdp_mixed[] =
    "v=0\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 6000 RTP/SAVPF 0\r\n"
    "a=crypto:1 AEAD_AES_256_GCM inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzWVNfX19zZW1j\r\n"
    "m=video 6002/2 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
    "m=image 6004 udptl t38\r\n"
    "m=audio 0 RTP/AVP 8\r\n";

static void
test_sdp_scan(void **state)
{
	struct sdp_info si;

	policy_sdp_scan(sdp_srtp, strlen(sdp_srtp), &si);
	assert_int_equal(si.nmedia, 1);
	assert_true(si.m[0].rtp && si.m[0].savp && si.m[0].crypto && !si.m[0].disabled);
	assert_true(si.keys);
	/* the unknown suite is skipped, the next usable line counts */
	assert_string_equal(si.suite, "AES_CM_128_HMAC_SHA1_32");
	policy_sdp_scan(sdp_plain, strlen(sdp_plain), &si);
	assert_true(si.nmedia == 1 && si.m[0].rtp);
	assert_false(si.m[0].savp || si.m[0].crypto || si.keys);
	policy_sdp_scan(sdp_savp_nokey, strlen(sdp_savp_nokey), &si);
	assert_true(si.m[0].savp);
	assert_false(si.m[0].crypto);
	/* an unusable line is still a key travelling in SIP */
	assert_true(si.keys);
	assert_string_equal(si.suite, "");
	policy_sdp_scan(sdp_osrtp, strlen(sdp_osrtp), &si);
	assert_true(si.m[0].rtp && si.m[0].crypto && !si.m[0].savp);
	policy_sdp_scan(sdp_mixed, strlen(sdp_mixed), &si);
	assert_int_equal(si.nmedia, 4);
	assert_true(si.m[0].savp && si.m[0].crypto);
	assert_true(si.m[1].rtp && si.m[1].crypto && !si.m[1].savp && !si.m[1].disabled);
	assert_false(si.m[2].rtp || si.m[2].crypto);
	assert_true(si.m[3].disabled);
	assert_string_equal(si.suite, "AEAD_AES_256_GCM");
	policy_sdp_scan("", 0, &si);
	assert_int_equal(si.nmedia, 0);
	/* no line end at all, binary junk: no crash, nothing found */
	policy_sdp_scan("m=audio\0\xff a=crypto:", 20, &si);
	assert_false(si.m[0].crypto);
	assert_false(policy_sdp_has_keys(sdp_plain, strlen(sdp_plain)));
	assert_true(policy_sdp_has_keys(sdp_osrtp, strlen(sdp_osrtp)));
}

static void
test_sdp_scan_too_many(void **state)
{
	char buf[4096];
	size_t n = 0;
	unsigned i;
	struct sdp_info si;

	for (i = 0; i < MEDIA_MAX_LINES + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "m=audio %u RTP/AVP 0\r\n", 2000 + i);
	policy_sdp_scan(buf, n, &si);
	assert_int_equal(si.nmedia, MEDIA_MAX_LINES);
	assert_true(si.too_many);
}

/* The verdict on each kind of line for each policy: decided per line, not per SDP. */
static void
test_policy_lines(void **state)
{
	const struct sdp_line_info savp = { true, true, true, false };
	const struct sdp_line_info savp_nokey = { true, true, false, false };
	const struct sdp_line_info osrtp = { true, false, true, false };
	const struct sdp_line_info plain = { true, false, false, false };
	const struct sdp_line_info t38 = { false, false, false, false };

	assert_int_equal(policy_line_in(SP_POLICY_REQUIRED, &savp), POLICY_LINE_OK);
	assert_int_equal(policy_line_in(SP_POLICY_REQUIRED, &osrtp), POLICY_LINE_OK);
	assert_int_equal(policy_line_in(SP_POLICY_REQUIRED, &plain), POLICY_LINE_PLAIN);
	assert_int_equal(policy_line_in(SP_POLICY_REQUIRED, &t38), POLICY_LINE_PLAIN);
	assert_int_equal(policy_line_in(SP_POLICY_REQUIRED, &savp_nokey), POLICY_LINE_NOKEY);
	assert_int_equal(policy_line_in(SP_POLICY_OPTIONAL, &plain), POLICY_LINE_OK);
	assert_int_equal(policy_line_in(SP_POLICY_OPTIONAL, &osrtp), POLICY_LINE_OK);
	assert_int_equal(policy_line_in(SP_POLICY_OPTIONAL, &savp_nokey), POLICY_LINE_NOKEY);
	assert_int_equal(policy_line_in(SP_POLICY_OFF, &plain), POLICY_LINE_OK);
	assert_int_equal(policy_line_in(SP_POLICY_OFF, &osrtp), POLICY_LINE_OK);
	assert_int_equal(policy_line_in(SP_POLICY_OFF, &savp), POLICY_LINE_SRTP);
	assert_string_equal(policy_line_reason(POLICY_LINE_PLAIN),
	    "plain RTP on a side that requires SRTP");
}

static void
test_policy_plan(void **state)
{
	struct sdp_info si;
	struct policy_plan pl;

	/* mixed on a required side: audio stays (SRTP), video and T.38 go, port 0 ignored */
	policy_sdp_scan(sdp_mixed, strlen(sdp_mixed), &si);
	si.m[1].crypto = false;
	policy_plan_in(SP_POLICY_REQUIRED, &si, &pl);
	assert_int_equal(pl.active, 3);
	assert_int_equal(pl.usable, 1);
	assert_int_equal(pl.reject, 0x6);
	assert_int_equal(pl.srtp, 0x1);
	assert_int_equal(pl.first, 2);
	assert_int_equal(pl.why, POLICY_LINE_PLAIN);
	/* the same SDP from an optional side: everything RTP goes through */
	policy_plan_in(SP_POLICY_OPTIONAL, &si, &pl);
	assert_int_equal(pl.reject, 0);
	assert_int_equal(pl.usable, 3);
	/* plain only on a required side: nothing usable */
	policy_sdp_scan(sdp_plain, strlen(sdp_plain), &si);
	policy_plan_in(SP_POLICY_REQUIRED, &si, &pl);
	assert_int_equal(pl.usable, 0);
	assert_int_equal(pl.first, 1);
	/* OSRTP from an off side: its keys go, the line stays */
	policy_sdp_scan(sdp_osrtp, strlen(sdp_osrtp), &si);
	policy_plan_in(SP_POLICY_OFF, &si, &pl);
	assert_int_equal(pl.reject, 0);
	assert_int_equal(pl.strip, 1);
	assert_int_equal(pl.srtp, 0);
	policy_plan_in(SP_POLICY_REQUIRED, &si, &pl);
	assert_int_equal(pl.strip, 0);
	assert_int_equal(pl.srtp, 1);
}

/* mediad's SDP for a side: its policy per active line, and no silent plain fall back. */
static void
test_policy_out(void **state)
{
	struct sdp_info srtp, plain, osrtp, none, mixed;
	unsigned bad;

	policy_sdp_scan(sdp_srtp, strlen(sdp_srtp), &srtp);
	policy_sdp_scan(sdp_plain, strlen(sdp_plain), &plain);
	policy_sdp_scan(sdp_osrtp, strlen(sdp_osrtp), &osrtp);
	policy_sdp_scan("", 0, &none);
	policy_sdp_scan(sdp_mixed, strlen(sdp_mixed), &mixed);

	assert_int_equal(policy_sdp_out_check(SP_POLICY_REQUIRED, &plain, 0, &bad), 488);
	assert_int_equal(bad, 1);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_REQUIRED, &srtp, 0, &bad), 0);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_REQUIRED, &osrtp, 0, &bad), 0);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_OPTIONAL, &plain, 0, &bad), 0);
	/* that side offered SRTP on line 1: a plain answer there is a silent fall back */
	assert_int_equal(policy_sdp_out_check(SP_POLICY_OPTIONAL, &plain, 1, &bad), 488);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_OPTIONAL, &plain, 2, &bad), 0);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_OFF, &osrtp, 0, &bad), 488);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_OFF, &plain, 0, &bad), 0);
	assert_int_equal(policy_sdp_out_check(SP_POLICY_OFF, &none, 0, &bad), 488);
	assert_int_equal(bad, 0);
	/* required: the T.38 line (3) has no key; the rejected 4th line does not count */
	assert_int_equal(policy_sdp_out_check(SP_POLICY_REQUIRED, &mixed, 0, &bad), 488);
	assert_int_equal(bad, 3);

	assert_string_equal(policy_offer_profile(SP_POLICY_OFF, true), "RTP/AVP");
	assert_string_equal(policy_offer_profile(SP_POLICY_OPTIONAL, true), "RTP/SAVP");
	assert_string_equal(policy_offer_profile(SP_POLICY_OPTIONAL, false), "RTP/AVP");
	assert_string_equal(policy_offer_profile(SP_POLICY_REQUIRED, false), "RTP/SAVP");
	assert_true(policy_offer_osrtp(SP_POLICY_OPTIONAL, false, true));
	assert_false(policy_offer_osrtp(SP_POLICY_OPTIONAL, false, false));
	assert_false(policy_offer_osrtp(SP_POLICY_OPTIONAL, true, true));
	assert_false(policy_offer_osrtp(SP_POLICY_REQUIRED, false, true));
	assert_false(policy_offer_osrtp(SP_POLICY_OFF, false, true));
}

/* Refused lines get port 0 and lose their keys; all else stays byte for byte. */
static void
test_sdp_edit(void **state)
{
	static const char want[] =
	    "v=0\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	    "m=audio 6000 RTP/SAVPF 0\r\n"
	    "a=crypto:1 AEAD_AES_256_GCM inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVzWVNfX19zZW1j\r\n"
	    "m=video 0/2 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
	    "m=image 0 udptl t38\r\n"
	    "m=audio 0 RTP/AVP 8\r\n";
	static const char stripped[] = "v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 6000 RTP/AVP 0\r\n";
	char *out = NULL;
	size_t len;

	assert_int_equal(policy_sdp_edit(sdp_mixed, strlen(sdp_mixed), 0x6, 0, &out, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(out, want);
	free(out);
	assert_int_equal(policy_sdp_edit(sdp_osrtp, strlen(sdp_osrtp), 0, 1, &out, &len), 0);
	assert_string_equal(out, stripped);
	free(out);
	/* LF only, no final line end */
	assert_int_equal(policy_sdp_edit("m=audio 5 RTP/AVP 0\na=crypto:1 X inline:k", 41, 1, 0,
	    &out, &len), 0);
	assert_string_equal(out, "m=audio 0 RTP/AVP 0\n");
	free(out);
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
	    sdp_srtp, strlen(sdp_srtp), SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, "RTP/AVP", false, &d), 0);
	assert_null(ng_dict_get(d, "OSRTP"));
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
	    SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, NULL, false, &d), 0);
	/* mediad answers a delete with each leg's totals; "fast" only when nobody needs them */
	assert_true(list_has(d, "flags", "leg-summary"));
	assert_false(list_has(d, "flags", "fast"));
	assert_int_equal(policy_ng_flag(&a, d, "fast"), 0);
	assert_true(list_has(d, "flags", "fast"));
	assert_true(list_has(d, "flags", "leg-summary"));
	assert_null(ng_dict_get(d, "sdp"));
	bencode_arena_free(&a);

	bencode_arena_init(&a);
	assert_int_equal(policy_ng_dict(&a, &cfg, "offer", NULL, "ft", NULL, NULL, "x", 1,
	    SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, "RTP/AVP", false, &d), EINVAL);
	assert_int_equal(policy_ng_dict(&a, &cfg, "offer", "c", "ft", NULL, NULL, NULL, 0,
	    SP_SIDE_OUTSIDE, SP_SIDE_INSIDE, "RTP/AVP", false, &d), EINVAL);
	bencode_arena_free(&a);

	/* best-effort SRTP offered to an optional side: OSRTP ["offer"] */
	bencode_arena_init(&a);
	assert_int_equal(policy_ng_dict(&a, &cfg, "offer", "cid", "ft", NULL, NULL, sdp_plain,
	    strlen(sdp_plain), SP_SIDE_INSIDE, SP_SIDE_OUTSIDE, "RTP/AVP", true, &d), 0);
	assert_true(list_has(d, "OSRTP", "offer"));
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
		cmocka_unit_test(test_sdp_scan_too_many),
		cmocka_unit_test(test_policy_lines),
		cmocka_unit_test(test_policy_plan),
		cmocka_unit_test(test_policy_out),
		cmocka_unit_test(test_sdp_edit),
		cmocka_unit_test(test_ng_dict),
		cmocka_unit_test(test_mediad_choice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

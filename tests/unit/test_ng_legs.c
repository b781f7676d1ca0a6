/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of proto/ng_legs.c: a call's media per party from mediad's compact "legs"
 * reply, from the full per-stream tree (mediad's and rtpengine's shape), and from replies
 * that carry neither or carry hostile values.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ng.h"

/* Parses a reply datagram body (a bencoded dict) and reads its legs. */
static int
read_legs(const char *benc, const char *caller_tag, struct ng_leg legs[2])
{
	struct bencode_arena a;
	struct bencode_item *d;
	struct bencode_error e;
	int err;

	bencode_arena_init(&a);
	err = bencode_decode(&a, benc, strlen(benc), NULL, &d, &e);
	assert_int_equal(err, 0);
	err = ng_legs_read(d, caller_tag, legs);
	bencode_arena_free(&a);
	return err;
}

static void
test_legs_compact(void **state)
{
	struct ng_leg l[2];

	/* mediad's flag leg-summary: the callee's party listed first, mapped by tag */
	assert_int_equal(read_legs("d4:legsl"
	    "d8:bytes ini1720e5:dropsde9:interface6:inside4:losti2e9:bytes outi1820e"
	    "10:packets ini10e11:packets outi11e5:suite0:3:tag2:b1e"
	    "d8:bytes ini1820e5:dropsd4:authi3e9:malformedi5ee9:interface7:outside4:losti0e"
	    "9:bytes outi1720e10:packets ini11e11:packets outi10e"
	    "5:suite23:AES_CM_128_HMAC_SHA1_803:tag2:a1e"
	    "e6:result2:oke", "a1", l), 0);
	assert_true(l[0].present && l[1].present);
	assert_string_equal(l[0].tag, "a1");
	assert_string_equal(l[0].iface, "outside");
	assert_string_equal(l[0].suite, "AES_CM_128_HMAC_SHA1_80");
	assert_int_equal(l[0].packets_in, 11);
	assert_int_equal(l[0].packets_out, 10);
	assert_int_equal(l[0].bytes_in, 1820);
	assert_true(l[0].have_lost && l[0].have_out);
	assert_int_equal(l[0].ndrops, 2);
	assert_string_equal(l[0].drops[0].reason, "auth");
	assert_int_equal(l[0].drops[0].count, 3);
	assert_string_equal(l[0].drops[1].reason, "malformed");
	assert_string_equal(l[1].tag, "b1");
	assert_string_equal(l[1].suite, "");
	assert_int_equal(l[1].lost, 2);
	assert_int_equal(l[1].ndrops, 0);
	/* without a caller tag: in the order mediad gave */
	assert_int_equal(read_legs("d4:legsld3:tag1:xed3:tag1:yee6:result2:oke", NULL, l), 0);
	assert_string_equal(l[0].tag, "x");
	assert_string_equal(l[1].tag, "y");
}

static void
test_legs_tree(void **state)
{
	struct ng_leg l[2];

	/* the full statistics: every stream summed, drops merged, the suite of the first */
	assert_int_equal(read_legs("d6:result2:ok4:tagsd"
	    "2:a1d9:interface7:outside6:mediasld7:streamsl"
	    "d12:crypto suite23:AES_CM_128_HMAC_SHA1_805:dropsd4:authi1ee4:losti4e"
	    "5:statsd5:bytesi100e7:packetsi10ee9:stats_outd5:bytesi90e7:packetsi9eee"
	    "d5:dropsd4:authi2e6:replayi1ee5:statsd5:bytesi10e7:packetsi1eee"
	    "eeee"
	    "2:b1d6:mediasld7:streamsld5:statsd5:bytesi50e7:packetsi5eeeeeee"
	    "ee", "a1", l), 0);
	assert_int_equal(l[0].packets_in, 11);
	assert_int_equal(l[0].bytes_in, 110);
	assert_int_equal(l[0].packets_out, 9);
	assert_int_equal(l[0].lost, 4);
	assert_true(l[0].have_lost);
	assert_string_equal(l[0].suite, "AES_CM_128_HMAC_SHA1_80");
	assert_int_equal(l[0].ndrops, 2);
	assert_string_equal(l[0].drops[0].reason, "auth");
	assert_int_equal(l[0].drops[0].count, 3);
	assert_int_equal(l[0].drops[1].count, 1);
	/* rtpengine reports neither packets out nor loss */
	assert_int_equal(l[1].packets_in, 5);
	assert_false(l[1].have_out);
	assert_false(l[1].have_lost);
}

static void
test_legs_refused(void **state)
{
	struct ng_leg l[2];
	char big[2048];
	size_t i, off;

	assert_int_equal(read_legs("d6:result2:oke", "a", l), ENOENT);
	assert_false(l[0].present);
	assert_int_equal(ng_legs_read(NULL, "a", l), EINVAL);
	/* a third party (a fork) does not overwrite the callee; negative counts are ignored */
	assert_int_equal(read_legs("d4:legsld3:tag1:a10:packets ini-5eed3:tag1:b10:packets ini7eed"
	    "3:tag1:c10:packets ini9eee6:result2:oke", "a", l), 0);
	assert_int_equal(l[0].packets_in, 0);
	assert_int_equal(l[1].packets_in, 7);
	assert_string_equal(l[1].tag, "b");
	/* a tag longer than the field is cut; more drop reasons than slots are cut too */
	off = (size_t)snprintf(big, sizeof(big), "d4:legsld5:dropsd");
	for (i = 0; i < NG_LEG_DROPS_MAX + 3; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "2:r%ci1e", (char)('a' + i));
	off += (size_t)snprintf(big + off, sizeof(big) - off, "e3:tag200:");
	memset(big + off, 't', 200);
	off += 200;
	snprintf(big + off, sizeof(big) - off, "ee6:result2:oke");
	assert_int_equal(read_legs(big, NULL, l), 0);
	assert_int_equal(strlen(l[0].tag), sizeof(l[0].tag) - 1);
	assert_int_equal(l[0].ndrops, NG_LEG_DROPS_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legs_compact),
		cmocka_unit_test(test_legs_tree),
		cmocka_unit_test(test_legs_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

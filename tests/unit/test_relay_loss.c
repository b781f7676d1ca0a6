/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the relay's loss count (RFC 3550 A.1/A.3 in relay_stream.c): in order, gaps,
 * wrap-around, duplicates and late packets, a new SSRC, a restarted sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_int.h"

static void
feed(struct relay_seq *s, uint32_t ssrc, uint16_t seq)
{
	uint8_t p[12] = { 0x80, 0 };

	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	relay_seq_update(s, p);
}

static void
test_loss_in_order_and_gaps(void **state)
{
	struct relay_seq s;
	unsigned i;

	memset(&s, 0, sizeof(s));
	assert_int_equal(relay_seq_lost(&s), 0);
	for (i = 1; i <= 100; i++)
		feed(&s, 7, (uint16_t)i);
	assert_int_equal(relay_seq_lost(&s), 0);
	/* 101..110 never arrive */
	for (i = 111; i <= 120; i++)
		feed(&s, 7, (uint16_t)i);
	assert_int_equal(relay_seq_lost(&s), 10);
	/* one of them comes late: one fewer lost; a duplicate does not make loss negative */
	feed(&s, 7, 105);
	assert_int_equal(relay_seq_lost(&s), 9);
	for (i = 0; i < 50; i++)
		feed(&s, 7, 120);
	assert_int_equal(relay_seq_lost(&s), 0);
}

static void
test_loss_wrap(void **state)
{
	struct relay_seq s;
	unsigned i;

	memset(&s, 0, sizeof(s));
	for (i = 65500; i < 65536 + 40; i++)
		feed(&s, 9, (uint16_t)i);
	assert_int_equal(relay_seq_lost(&s), 0);
	/* a gap across the next wrap counts as a gap, not 65536 of them */
	memset(&s, 0, sizeof(s));
	feed(&s, 9, 65530);
	feed(&s, 9, 65534);
	feed(&s, 9, 3);
	assert_int_equal(relay_seq_lost(&s), 3 + 4);
}

static void
test_loss_ssrc_and_restart(void **state)
{
	struct relay_seq s;
	unsigned i;

	memset(&s, 0, sizeof(s));
	for (i = 1; i <= 10; i += 2)		/* 1 3 5 7 9: 4 lost */
		feed(&s, 1, (uint16_t)i);
	assert_int_equal(relay_seq_lost(&s), 4);
	/* a new source starts its own count; the old one's loss stays */
	for (i = 500; i <= 510; i++)
		feed(&s, 2, (uint16_t)i);
	assert_int_equal(relay_seq_lost(&s), 4);
	/* a jump far ahead on the same SSRC is a restarted sequence, not 30000 losses */
	for (i = 30000; i <= 30010; i++)
		feed(&s, 2, (uint16_t)i);
	assert_int_equal(relay_seq_lost(&s), 4);
	/* a jump of less than 3000 is loss */
	feed(&s, 2, 31010);
	assert_int_equal(relay_seq_lost(&s), 4 + 999);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_in_order_and_gaps),
		cmocka_unit_test(test_loss_wrap),
		cmocka_unit_test(test_loss_ssrc_and_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

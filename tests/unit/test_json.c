/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/json (string escaping for records and tools) and common/utf8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "utf8.h"

static const char *
esc(char *buf, size_t size, const char *s, size_t len)
{
	struct strbuf b;

	strbuf_init(&b, buf, size);
	json_str(&b, s, len);
	return buf;
}

static void
test_json_plain_and_quotes(void **state)
{
	char buf[128];

	assert_string_equal(esc(buf, sizeof(buf), "abc", 3), "\"abc\"");
	assert_string_equal(esc(buf, sizeof(buf), "", 0), "\"\"");
	/* a quote or a backslash cannot end the string or start an escape of its own */
	assert_string_equal(esc(buf, sizeof(buf), "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(esc(buf, sizeof(buf), "x$(id)`;|&<>", 12), "\"x$(id)`;|&<>\"");
}

static void
test_json_control_bytes(void **state)
{
	char buf[128];

	/* newline, CR, NUL, ESC, DEL: one line, no byte a terminal or a parser acts on */
	assert_string_equal(esc(buf, sizeof(buf), "a\nb\rc\0d\x1b[31m\x7f", 13),
	    "\"a\\u000ab\\u000dc\\u0000d\\u001b[31m\\u007f\"");
}

static void
test_json_utf8(void **state)
{
	char buf[128];

	/* valid UTF-8 stays (é, €, 😀); invalid bytes, overlongs and C1 controls are escaped */
	assert_string_equal(esc(buf, sizeof(buf), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	assert_string_equal(esc(buf, sizeof(buf), "\xff\xc3", 2), "\"\\u00ff\\u00c3\"");
	assert_string_equal(esc(buf, sizeof(buf), "\xc0\xaf", 2), "\"\\u00c0\\u00af\"");
	assert_string_equal(esc(buf, sizeof(buf), "\xc2\x85", 2), "\"\\u00c2\\u0085\"");
	assert_string_equal(esc(buf, sizeof(buf), "\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\"");
	assert_int_equal(utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(utf8_len((const unsigned char *)"\xc3", 1), 0);
	assert_int_equal(utf8_len((const unsigned char *)"a", 1), 0);
}

static void
test_json_keys_null_cut(void **state)
{
	char buf[64], small[8];
	struct strbuf b;

	strbuf_init(&b, buf, sizeof(buf));
	json_key(&b, "k\"1");
	json_cstr(&b, NULL);
	assert_string_equal(buf, "\"k\\\"1\":null");
	assert_false(b.truncated);
	strbuf_init(&b, small, sizeof(small));
	json_cstr(&b, "0123456789");
	assert_true(b.truncated);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain_and_quotes),
		cmocka_unit_test(test_json_control_bytes),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_keys_null_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

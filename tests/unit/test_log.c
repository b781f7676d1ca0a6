/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/log: levels, line format, call-id context, errno, rate limit, escaping, masking. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static int saved_stderr = -1;
static FILE *capture;

/* stderr goes to a temp file for the duration of one test. */
static int
capture_start(void **state)
{
	capture = tmpfile();
	if (capture == NULL)
		return -1;
	fflush(stderr);
	saved_stderr = dup(2);
	dup2(fileno(capture), 2);
	log_init("sbc-test", LOG_LEVEL_INFO, false);
	return 0;
}

static int
capture_stop(void **state)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	fclose(capture);
	return 0;
}

/* Everything written since the last call. */
static char *
captured(void)
{
	static long pos;
	char *buf;
	long end;

	fflush(stderr);
	fseek(capture, 0, SEEK_END);
	end = ftell(capture);
	if (end < pos)
		pos = 0;
	buf = calloc(1, (size_t)(end - pos) + 1);
	assert_non_null(buf);
	fseek(capture, pos, SEEK_SET);
	if (end > pos)
		assert_int_equal(fread(buf, 1, (size_t)(end - pos), capture), (size_t)(end - pos));
	pos = end;
	return buf;
}

static int side_effects;

static int
count_call(void)
{
	return ++side_effects;
}

static void
test_levels(void **state)
{
	char *out;

	out = captured();
	free(out);
	log_set_level(LOG_LEVEL_INFO);
	log_info("shown n=%d", 1);
	side_effects = 0;
	log_debug("hidden n=%d", count_call());
	/* The level check happens before the arguments are evaluated. */
	assert_int_equal(side_effects, 0);
	log_warnx("warned a=%s", "b");
	log_errx("failed");
	log_debugx("hidden too");
	out = captured();
	assert_non_null(strstr(out, " sbc-test info shown n=1\n"));
	assert_non_null(strstr(out, " sbc-test warn warned a=b\n"));
	assert_non_null(strstr(out, " sbc-test err failed\n"));
	assert_null(strstr(out, "hidden"));
	free(out);

	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("now shown");
	out = captured();
	assert_non_null(strstr(out, " debug now shown\n"));
	free(out);
	log_set_level(LOG_LEVEL_ERR);
	log_warnx("quiet");
	log_info("quiet");
	out = captured();
	assert_string_equal(out, "");
	free(out);
	log_set_level(LOG_LEVEL_INFO);
}

static void
test_line_format(void **state)
{
	char *out, *nl;

	free(captured());
	/* One event, one line, whatever the argument holds. */
	log_infox("evil value=%s", "a\nb\rc");
	out = captured();
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	assert_non_null(strstr(out, "value=a\\x0ab\\x0dc\n"));
	/* "YYYY-MM-DDTHH:MM:SS.mmmZ ident level" */
	assert_int_equal(out[4], '-');
	assert_int_equal(out[10], 'T');
	assert_int_equal(out[19], '.');
	assert_int_equal(out[23], 'Z');
	free(out);
}

static void
test_errno(void **state)
{
	char *out;

	free(captured());
	errno = ECONNREFUSED;
	log_warn("connect host=%s", "192.0.2.1");
	assert_int_equal(errno, ECONNREFUSED);
	errno = EAGAIN;
	log_infox("x");
	log_debug("y");
	assert_int_equal(errno, EAGAIN);
	out = captured();
	assert_non_null(strstr(out, "warn connect host=192.0.2.1 error=\"Connection refused\"\n"));
	free(out);
}

static void *
other_thread(void *arg)
{
	log_infox("from thread");
	return NULL;
}

static void
test_call_id(void **state)
{
	pthread_t t;
	char *out, *line;
	char longid[300];

	free(captured());
	log_set_call_id("abc@host");
	log_infox("invite");
	/* The context is per thread: another thread's lines carry none. */
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	log_set_call_id(NULL);
	log_infox("after");
	out = captured();
	assert_non_null(strstr(out, "info invite call_id=abc@host\n"));
	line = strstr(out, "from thread");
	assert_non_null(line);
	assert_int_equal(line[strlen("from thread")], '\n');
	assert_non_null(strstr(out, "info after\n"));
	free(out);

	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	log_set_call_id(longid);
	log_infox("long");
	log_set_call_id(NULL);
	out = captured();
	line = strstr(out, "call_id=");
	assert_non_null(line);
	assert_int_equal(strlen(line), strlen("call_id=") + 127 + 3 + 1);
	assert_non_null(strstr(line, "x...\n"));
	free(out);
}

/* A Call-ID from the network cannot start a line or a field of its own. */
static void
test_call_id_forged(void **state)
{
	char *out, *nl;

	free(captured());
	log_set_call_id("a\n2026-01-01T00:00:00.000Z sbc-test err forged \"x\" b=c\xff\xc3\xa9");
	log_infox("event");
	log_set_call_id(NULL);
	out = captured();
	nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');
	assert_non_null(strstr(out, "call_id=a\\x0a2026-01-01T00:00:00.000Z\\x20sbc-test\\x20err"
	    "\\x20forged\\x20\\\"x\\\"\\x20b=c\\xff\xc3\xa9\n"));
	free(out);
}

static void
test_esc(void **state)
{
	char buf[64], small[12];

	/* printable ASCII and valid UTF-8 stay, quotes and backslashes are escaped */
	assert_string_equal(log_esc(buf, sizeof(buf), "caf\xc3\xa9 \"q\" \\", (size_t)-1),
	    "caf\xc3\xa9 \\\"q\\\" \\\\");
	/* controls, DEL, invalid UTF-8 (lone, overlong, surrogate, C1) as \xHH */
	assert_string_equal(log_esc(buf, sizeof(buf), "\r\n\t\x7f\xff\xc0\xaf\xed\xa0\x80\xc2\x85",
	    (size_t)-1), "\\x0d\\x0a\\x09\\x7f\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xc2\\x85");
	/* embedded NUL with an explicit length */
	assert_string_equal(log_esc(buf, sizeof(buf), "a\0b", 3), "a\\x00b");
	assert_string_equal(log_esc(buf, sizeof(buf), NULL, (size_t)-1), "");
	/* bounded, and says so */
	assert_string_equal(log_esc(small, sizeof(small), "0123456789abcdef", (size_t)-1),
	    "01234567...");
	assert_string_equal(log_esc(small, sizeof(small), "\n\n\n\n", (size_t)-1), "\\x0a\\x0a...");
	/* a cut never splits an escape or a UTF-8 sequence */
	assert_string_equal(log_esc(small, sizeof(small), "1234567\xc3\xa9", (size_t)-1),
	    "1234567...");
	assert_string_equal(LOG_ESC("x\"y"), "x\\\"y");
	assert_string_equal(LOG_ESCN("abc", 2), "ab");
}

static void
test_mask(void **state)
{
	char s[512];

#define MASKED(in, want) do {							\
	snprintf(s, sizeof(s), "%s", in);					\
	log_mask_secrets(s, strlen(s));						\
	assert_string_equal(s, want);						\
} while (0)
	MASKED("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32",
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:****************************************|2^20|1:32");
	/* two keys in one line, case, and inside an ng bencode string */
	MASKED("INLINE:abc+/= x inline:Zm9v;", "INLINE:****** x inline:****;");
	MASKED("3:sdp52:a=crypto:1 X inline:QUJD\r\n", "3:sdp52:a=crypto:1 X inline:****\r\n");
	MASKED("a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsA\r\nm=x",
	    "a=key-mgmt:mikey ****************************\r\nm=x");
	MASKED("c=IN IP4 1.2.3.4\r\nk=clear:s3cr3t\r\nm=audio", "c=IN IP4 1.2.3.4\r\nk=clear:******\r\nm=audio");
	MASKED("To: <sip:alice:hunter2@example.com:5060>", "To: <sip:alice:*******@example.com:5060>");
	MASKED("Contact: <sips:bob:pw@h>", "Contact: <sips:bob:**@h>");
	/* a port is no password; a host with a port and no user neither */
	MASKED("Via: sip:1.2.3.4:5060;x <sip:user@h:5060>", "Via: sip:1.2.3.4:5060;x <sip:user@h:5060>");
	MASKED("Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\r\n",
	    "Authorization: Basic ************************\r\n");
	MASKED("Proxy-Authorization: Digest username=\"a\", response=\"x\"",
	    "Proxy-Authorization: Digest username=\"a\", response=\"x\"");
	MASKED("redis password=foo bar", "redis password=*** bar");
	MASKED("x Password: \"a b\" y", "x Password: \"***\" y");
	MASKED("secret=abc&n=1", "secret=***&n=1");
	MASKED("no secrets here, inline: only", "no secrets here, inline: only");
#undef MASKED
}

/* Keys and passwords never reach a line, whichever way they come in. */
static void
test_line_masked(void **state)
{
	char *out;

	free(captured());
	log_infox("sdp=\"%s\"", "m=audio 1 RTP/SAVP 0\r\na=crypto:1 X inline:c2VjcmV0a2V5c2VjcmV0a2V5\r\n");
	out = captured();
	assert_null(strstr(out, "c2VjcmV0a2V5"));
	assert_non_null(strstr(out, "inline:************************\\x0d\\x0a\"\n"));
	free(out);
}

static void
test_limited(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1000, 2);
	char *out, *p;
	unsigned i, lines = 0;

	free(captured());
	side_effects = 0;
	for (i = 0; i < 1000; i++)
		log_limited(&rl, 10000 + i / 10, LOG_LEVEL_WARN, "bad n=%d", count_call());
	/* suppressed lines cost no formatting */
	assert_int_equal(side_effects, 2);
	log_limited(&rl, 11000, LOG_LEVEL_WARN, "bad n=%d", 3);
	out = captured();
	for (p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 3);
	assert_non_null(strstr(out, "warn bad n=1\n"));
	assert_non_null(strstr(out, "warn bad n=2\n"));
	assert_non_null(strstr(out, "warn bad n=3 suppressed=998\n"));
	free(out);

	/* a flood that stops: the timer reports what was suppressed, once */
	for (i = 0; i < 50; i++)
		log_limited(&rl, 11500, LOG_LEVEL_WARN, "bad n=%d", 4);
	assert_false(log_ratelimit_flush(&rl, 11999, LOG_LEVEL_WARN, "bad"));
	assert_true(log_ratelimit_flush(&rl, 12000, LOG_LEVEL_WARN, "bad"));
	assert_false(log_ratelimit_flush(&rl, 13000, LOG_LEVEL_WARN, "bad"));
	out = captured();
	assert_non_null(strstr(out, "warn bad suppressed=49\n"));
	assert_null(strstr(out, "bad suppressed=0"));
	free(out);
	assert_int_equal(rl.suppressed, 998 + 49);
}

static void
test_level_parse(void **state)
{
	enum log_level l = LOG_LEVEL_INFO;

	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("WARN", &l), 0);
	assert_int_equal(l, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("warning", &l), 0);
	assert_int_equal(log_level_parse("error", &l), 0);
	assert_int_equal(l, LOG_LEVEL_ERR);
	assert_int_equal(log_level_parse("verbose", &l), EINVAL);
	assert_int_equal(log_level_parse("", &l), EINVAL);
	assert_int_equal(log_level_parse(NULL, &l), EINVAL);
	assert_int_equal(l, LOG_LEVEL_ERR);
	assert_string_equal(log_level_name(LOG_LEVEL_INFO), "info");
	assert_string_equal(log_level_name((enum log_level)42), "?");
}

static void
test_ratelimit(void **state)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(1000, 3);
	unsigned i, ok = 0;

	for (i = 0; i < 10; i++)
		ok += log_ratelimit_ok(&rl, 5000 + i);
	assert_int_equal(ok, 3);
	assert_int_equal(rl.suppressed, 7);
	/* Same window: still closed. */
	assert_false(log_ratelimit_ok(&rl, 5999));
	/* Next window opens again. */
	assert_true(log_ratelimit_ok(&rl, 6000));
	assert_int_equal(rl.suppressed, 8);
}

/* Field values: one plain word stays bare; anything else is quoted and escaped. */
static void
test_quote(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "127.0.0.1:5060", "127.0.0.1:5060" },
		{ "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80" },
		{ "", "\"\"" },
		{ "Connection refused", "\"Connection refused\"" },
		{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "a=b", "\"a=b\"" },
		{ "x\ny", "\"x\\x0ay\"" },
		{ "tab\there", "\"tab\\x09here\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "del\x7f", "\"del\\x7f\"" },
	};
	char buf[64], *out;
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(log_quote(buf, sizeof(buf), cases[i].in), cases[i].out);
	assert_string_equal(log_quote(buf, sizeof(buf), NULL), "\"\"");
	/* Length-bounded, NUL bytes included, and the buffer is always closed with a quote. */
	assert_string_equal(log_quote_n(buf, sizeof(buf), "ab\0cd", 5), "\"ab\\x00cd\"");
	assert_string_equal(log_quote_n(buf, sizeof(buf), "abcdef", 3), "abc");
	assert_string_equal(log_quote(buf, 12, "one two three four"), "\"one tw...\"");
	assert_string_equal(log_quote(buf, 12, "\"\"\"\"\"\""), "\"\\\"\\\"\\\"...\"");
	assert_string_equal(log_quote(buf, 12, "0123456789012"), "\"012345...\"");
	assert_string_equal(log_quote(buf, 12, "0123456789"), "0123456789");
	assert_string_equal(log_quote(buf, 12, "012345678 "), "\"012345...\"");
	assert_string_equal(log_quote(buf, 4, "x"), "\"\"");
	/* In a line: the value stays one field whatever it holds. */
	log_warnx("redis_unreachable server=%s reason=%s", LOG_Q("127.0.0.1:6379"),
	    LOG_Q("Connection \"refused\"\n fake=1"));
	out = captured();
	assert_non_null(strstr(out, " warn redis_unreachable server=127.0.0.1:6379 "
	    "reason=\"Connection \\\"refused\\\"\\x0a fake=1\"\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_levels, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_line_format, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_errno, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_call_id, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_call_id_forged, capture_start, capture_stop),
		cmocka_unit_test(test_esc),
		cmocka_unit_test(test_mask),
		cmocka_unit_test_setup_teardown(test_line_masked, capture_start, capture_stop),
		cmocka_unit_test_setup_teardown(test_limited, capture_start, capture_stop),
		cmocka_unit_test(test_level_parse),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test_setup_teardown(test_quote, capture_start, capture_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

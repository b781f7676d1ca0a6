/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for proto/ng: datagram parsing, key normalisation, reply encoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ng.h"

/* The offer of ng-protocol.md section 9, byte for byte. */
#define OFFER_SDP \
	"v=0\r\no=carrier 1000 1 IN IP4 198.51.100.10\r\ns=-\r\n" \
	"c=IN IP4 198.51.100.10\r\nt=0 0\r\nm=audio 20000 RTP/SAVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n" \
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c\r\n" \
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\na=sendrecv\r\n"
#define OFFER_DGRAM \
	"4711_1_17 d7:command5:offer7:call-id30:a84b4c76e66710@carrier.example8:from-tag10:1928301774" \
	"10:via-branch16:z9hG4bK776asdhds3:sdp364:" OFFER_SDP \
	"18:transport-protocol7:RTP/AVP3:ICE6:remove4:DTLS3:off7:replacel6:origin18:session-connectione" \
	"9:directionl3:pub4:prive13:received-froml3:IP413:198.51.100.10e5:flagsl13:trust-addresse" \
	"5:label7:outside8:supportsl10:load limitee"

static char *copy;   /* last parsed datagram, kept: ng_msg borrows from it */

static void
parse_release(void)
{
	free(copy);
	copy = NULL;
}

/* Parses a heap copy so reads past the end are caught by ASan. */
static int
parse(struct bencode_arena *a, const char *s, size_t len, struct ng_msg *m,
    struct bencode_error *e, bool reply)
{
	parse_release();
	copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, s, len);
	return reply ? ng_reply_parse(a, copy, len, m, e) : ng_msg_parse(a, copy, len, m, e);
}

static int
parse_s(struct bencode_arena *a, const char *s, struct ng_msg *m, struct bencode_error *e)
{
	return parse(a, s, strlen(s), m, e, false);
}

static void
test_parse_ping(void **state)
{
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(parse_s(&a, "5323_1 d7:command4:pinge", &m, &e), 0);
	assert_int_equal(m.cookie_len, 6);
	assert_memory_equal(m.cookie, "5323_1", 6);
	assert_int_equal(m.op, NG_OP_PING);
	assert_int_equal(m.command_len, 4);
	assert_memory_equal(m.command, "ping", 4);
	assert_null(m.call_id);
	assert_int_equal(m.call_id_len, 0);
	assert_int_equal(m.dict->type, BENCODE_DICT);
	bencode_arena_free(&a);
}

static void
count_str(const char *s, size_t len, void *arg)
{
	size_t *n = arg;

	(void)s;
	(*n) += len;
}

static void
test_parse_offer_example(void **state)
{
	static const char dg[] = OFFER_DGRAM;
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	const char *s;
	size_t len, total = 0;

	(void)state;
	assert_int_equal(strlen(OFFER_SDP), 364);
	bencode_arena_init(&a);
	assert_int_equal(parse(&a, dg, sizeof(dg) - 1, &m, &e, false), 0);
	assert_int_equal(m.op, NG_OP_OFFER);
	assert_int_equal(m.call_id_len, 30);
	assert_memory_equal(m.call_id, "a84b4c76e66710@carrier.example", 30);
	assert_int_equal(ng_get_str(m.dict, "sdp", &s, &len), 0);
	assert_int_equal(len, 364);
	assert_memory_equal(s, OFFER_SDP, 364);
	/* Keys in any spelling. */
	assert_int_equal(ng_get_str(m.dict, "transport protocol", &s, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(s, "RTP/AVP", 7);
	assert_int_equal(ng_get_str(m.dict, "Transport_Protocol", &s, &len), 0);
	assert_int_equal(ng_get_str(m.dict, "FROM TAG", &s, &len), 0);
	assert_memory_equal(s, "1928301774", 10);
	assert_int_equal(ng_get_str(m.dict, "to-tag", &s, &len), ENOENT);
	/* Flags in any spelling, lists or single strings. */
	assert_true(ng_list_has(m.dict, "flags", "trust address"));
	assert_true(ng_list_has(m.dict, "Flags", "TRUST_ADDRESS"));
	assert_false(ng_list_has(m.dict, "flags", "trust"));
	assert_false(ng_list_has(m.dict, "flags", "trust addresses"));
	assert_true(ng_list_has(m.dict, "supports", "load-limit"));
	assert_true(ng_list_has(m.dict, "ICE", "remove"));
	assert_true(ng_list_has(m.dict, "ice", "Remove"));
	assert_false(ng_list_has(m.dict, "ice", "force"));
	assert_true(ng_list_has(m.dict, "replace", "session connection"));
	assert_true(ng_list_has(m.dict, "direction", "priv"));
	assert_false(ng_list_has(m.dict, "label", "out"));
	assert_false(ng_list_has(m.dict, "nosuchkey", "x"));
	ng_list_foreach(m.dict, "replace", count_str, &total);
	assert_int_equal(total, 6 + 18);
	total = 0;
	ng_list_foreach(m.dict, "label", count_str, &total);
	assert_int_equal(total, 7);
	total = 0;
	ng_list_foreach(m.dict, "nosuchkey", count_str, &total);
	assert_int_equal(total, 0);
	bencode_arena_free(&a);
}

static void
test_no_cookie_dropped(void **state)
{
	char big[100];
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;

	(void)state;
	bencode_arena_init(&a);
	memset(&m, 0x5a, sizeof(m));
	assert_int_equal(parse_s(&a, "d7:command4:pinge", &m, &e), ENOMSG);
	assert_int_equal(m.op, 0x5a5a5a5a);   /* untouched on failure */
	assert_int_equal(parse_s(&a, " d7:command4:pinge", &m, &e), ENOMSG);
	assert_int_equal(parse(&a, "", 0, &m, &e, false), ENOMSG);
	assert_int_equal(parse_s(&a, "abc", &m, &e), ENOMSG);
	/* 64-byte cookie accepted, 65 dropped. */
	memset(big, 'c', sizeof(big));
	memcpy(big + 64, " d7:command4:pinge", 18);
	assert_int_equal(parse(&a, big, 64 + 18, &m, &e, false), 0);
	assert_int_equal(m.cookie_len, 64);
	memset(big, 'c', sizeof(big));
	memcpy(big + 65, " d7:command4:pinge", 18);
	assert_int_equal(parse(&a, big, 65 + 18, &m, &e, false), ENOMSG);
	/* Cookies are opaque bytes. */
	assert_int_equal(parse(&a, "\x01\0\xff d7:command4:pinge", 21, &m, &e, false), 0);
	assert_int_equal(m.cookie_len, 3);
	assert_memory_equal(m.cookie, "\x01\0\xff", 3);
	bencode_arena_free(&a);
}

static void
test_bad_bodies(void **state)
{
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	char *huge;
	size_t i;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(parse_s(&a, "j1 {\"command\":\"ping\"}", &m, &e), EPROTONOSUPPORT);
	assert_int_equal(parse_s(&a, "c ", &m, &e), ENODATA);
	assert_int_equal(parse_s(&a, "c le", &m, &e), EBADMSG);
	assert_int_equal(e.offset, 2);
	assert_int_equal(parse_s(&a, "c i1e", &m, &e), EBADMSG);
	assert_int_equal(parse_s(&a, "c 4:ping", &m, &e), EBADMSG);
	assert_int_equal(parse_s(&a, "c xyz", &m, &e), EBADMSG);
	assert_int_equal(parse_s(&a, "c  d7:command4:pinge", &m, &e), EBADMSG);
	assert_int_equal(parse_s(&a, "c d7:command4:ping", &m, &e), ENODATA);
	/* rtpengine 10.5 tolerated the missing final 'e'; we do not. */
	assert_int_equal(parse_s(&a, "c d7:command4:pingexx", &m, &e), EBADMSG);
	assert_int_equal(e.offset, 19);    /* relative to the datagram */
	assert_string_equal(e.what, "trailing bytes after value");
	assert_int_equal(parse_s(&a, "c d7:command4:ping7:command4:pinge", &m, &e), EBADMSG);
	assert_int_equal(parse_s(&a, "c di1e4:pinge", &m, &e), EBADMSG);
	assert_int_equal(parse_s(&a, "c d7:command4:pingi1ee", &m, &e), EBADMSG);
	/* Larger than any UDP datagram. */
	huge = malloc(NG_MAX_DATAGRAM + 2);
	assert_non_null(huge);
	memset(huge, 'e', NG_MAX_DATAGRAM + 2);
	memcpy(huge, "c d", 3);
	assert_int_equal(ng_msg_parse(&a, huge, NG_MAX_DATAGRAM + 1, &m, &e), E2BIG);
	free(huge);
	/* Arena cap hit: a clean ENOMEM, then the same arena works again. */
	huge = malloc(2000);
	assert_non_null(huge);
	memcpy(huge, "c d7:command4:ping5:flagsl", 26);
	memset(huge + 26, 'e', 2000 - 26);
	for (i = 0; i < 400; i++)
		memcpy(huge + 26 + 3 * i, "i1e", 3);
	a.max_bytes = 1;
	assert_int_equal(ng_msg_parse(&a, huge, 26 + 3 * 400 + 2, &m, &e), ENOMEM);
	bencode_arena_free(&a);
	a.max_bytes = 0;
	assert_int_equal(ng_msg_parse(&a, huge, 26 + 3 * 400 + 2, &m, &e), 0);
	assert_int_equal(ng_dict_get(m.dict, "flags")->count, 400);
	assert_int_equal(m.op, NG_OP_PING);
	free(huge);
	assert_int_equal(ng_msg_parse(NULL, "c de", 4, &m, &e), EINVAL);
	assert_int_equal(ng_msg_parse(&a, "c de", 4, NULL, &e), EINVAL);
	assert_int_equal(ng_msg_parse(&a, "c de", 4, &m, NULL), 0);
	bencode_arena_free(&a);
}

static void
test_commands(void **state)
{
	static const struct {
		const char *dg;
		enum ng_op op;
		const char *cmd;
	} cases[] = {
		{ "a d7:command5:offere", NG_OP_OFFER, "offer" },
		{ "a d7:command6:answere", NG_OP_ANSWER, "answer" },
		{ "a d7:command6:deletee", NG_OP_DELETE, "delete" },
		{ "a d7:command5:querye", NG_OP_QUERY, "query" },
		{ "a d7:command4:liste", NG_OP_LIST, "list" },
		{ "a d7:command10:statisticse", NG_OP_STATISTICS, "statistics" },
		{ "c3 d7:command5:boguse", NG_OP_UNKNOWN, "bogus" },
		{ "a d7:command4:Pinge", NG_OP_UNKNOWN, "Ping" },
		{ "a d7:command5:ping e", NG_OP_UNKNOWN, "ping " },
		{ "a d7:command3:pine", NG_OP_UNKNOWN, "pin" },
		{ "a d7:command10:block DTMFe", NG_OP_UNKNOWN, "block DTMF" },
		{ "a d7:COMMAND4:pinge", NG_OP_PING, "ping" },
		{ "a d7:command0:e", NG_OP_UNKNOWN, "" },
		{ "a d7:call-id1:xe", NG_OP_UNKNOWN, NULL },
		{ "a d7:commandi1ee", NG_OP_UNKNOWN, NULL },
		{ "a d7:commandle7:call-id1:xe", NG_OP_UNKNOWN, NULL },
	};
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bencode_arena_init(&a);
		if (parse_s(&a, cases[i].dg, &m, &e) != 0)
			fail_msg("%s: %s", cases[i].dg, e.what);
		assert_int_equal(m.op, cases[i].op);
		if (cases[i].cmd == NULL) {
			assert_null(m.command);
		} else {
			assert_int_equal(m.command_len, strlen(cases[i].cmd));
			assert_memory_equal(m.command, cases[i].cmd, m.command_len);
		}
		bencode_arena_free(&a);
	}
	for (i = NG_OP_PING; i <= NG_OP_STATISTICS; i++)
		assert_int_equal(ng_op_from_name(ng_op_name((enum ng_op)i),
		    strlen(ng_op_name((enum ng_op)i))), i);
	assert_string_equal(ng_op_name(NG_OP_UNKNOWN), "unknown");
	assert_string_equal(ng_op_name((enum ng_op)99), "unknown");
	assert_int_equal(ng_op_from_name(NULL, 0), NG_OP_UNKNOWN);
	assert_int_equal(ng_op_from_name("unknown", 7), NG_OP_UNKNOWN);
	assert_int_equal(ng_op_from_name("pingx", 4), NG_OP_PING);
}

static void
test_name_eq(void **state)
{
	(void)state;
	assert_true(ng_name_eq("transport-protocol", 18, "transport protocol"));
	assert_true(ng_name_eq("transport protocol", 18, "Transport_Protocol"));
	assert_true(ng_name_eq("DELETE_DELAY", 12, "delete-delay"));
	assert_true(ng_name_eq("", 0, ""));
	assert_false(ng_name_eq("call", 4, "call-id"));
	assert_false(ng_name_eq("call-id", 7, "call"));
	assert_false(ng_name_eq("call-id", 7, "callid"));
	assert_false(ng_name_eq("a\0b", 3, "a"));
	assert_false(ng_name_eq("a.b", 3, "a b"));
	assert_false(ng_name_eq("x", 1, NULL));
	assert_false(ng_name_eq(NULL, 1, "x"));
	/* Only ASCII letters fold; bytes >= 0x80 compare exactly. */
	assert_false(ng_name_eq("\xc9", 1, "\xe9"));
	assert_true(ng_name_eq("\xc9", 1, "\xc9"));
}

static void
test_get_int_and_str(void **state)
{
	static const char dg[] =
	    "c d7:command6:delete12:delete delay1:05:delayi-5e1:a2:+73:bad2:1x"
	    "5:empty0:4:huge20:999999999999999999995:minus1:-4:listle3:neg20:-9223372036854775808"
	    "5:space2: 14:zero3:007e";
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	int64_t v = 1234;
	const char *s = "untouched";
	size_t len = 99;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(parse(&a, dg, sizeof(dg) - 1, &m, &e, false), 0);
	assert_int_equal(ng_get_int(m.dict, "delete-delay", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ng_get_int(m.dict, "delete_delay", &v), 0);
	assert_int_equal(ng_get_int(m.dict, "delay", &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(ng_get_int(m.dict, "a", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ng_get_int(m.dict, "zero", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ng_get_int(m.dict, "neg", &v), 0);
	assert_true(v == INT64_MIN);
	v = 1234;
	assert_int_equal(ng_get_int(m.dict, "bad", &v), EINVAL);
	assert_int_equal(ng_get_int(m.dict, "empty", &v), EINVAL);
	assert_int_equal(ng_get_int(m.dict, "huge", &v), EINVAL);
	assert_int_equal(ng_get_int(m.dict, "minus", &v), EINVAL);
	assert_int_equal(ng_get_int(m.dict, "space", &v), EINVAL);
	assert_int_equal(ng_get_int(m.dict, "list", &v), EINVAL);
	assert_int_equal(ng_get_int(m.dict, "missing", &v), ENOENT);
	assert_int_equal(v, 1234);   /* untouched on failure */
	assert_int_equal(ng_get_str(m.dict, "delay", &s, &len), EINVAL);
	assert_int_equal(ng_get_str(m.dict, "list", &s, &len), EINVAL);
	assert_int_equal(ng_get_str(m.dict, "missing", &s, &len), ENOENT);
	assert_string_equal(s, "untouched");
	assert_int_equal(len, 99);
	assert_int_equal(ng_get_str(m.dict, "empty", &s, &len), 0);
	assert_int_equal(len, 0);
	assert_null(ng_dict_get(NULL, "x"));
	assert_null(ng_dict_get(m.dict, NULL));
	assert_null(ng_dict_get(ng_dict_get(m.dict, "list"), "x"));
	assert_false(ng_list_has(m.dict, "delay", "x"));
	assert_false(ng_list_has(m.dict, "bad", NULL));
	bencode_arena_free(&a);
}

static void
test_exact_spelling_wins(void **state)
{
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	const char *s;
	size_t len;

	(void)state;
	bencode_arena_init(&a);
	/* "call id" sorts before "call-id"; the exact spelling is still chosen. */
	assert_int_equal(parse_s(&a, "c d7:call id1:a7:call-id1:be", &m, &e), 0);
	assert_int_equal(ng_get_str(m.dict, "call-id", &s, &len), 0);
	assert_memory_equal(s, "b", 1);
	assert_int_equal(ng_get_str(m.dict, "call id", &s, &len), 0);
	assert_memory_equal(s, "a", 1);
	assert_int_equal(m.call_id_len, 1);
	assert_memory_equal(m.call_id, "b", 1);
	bencode_arena_free(&a);
}

static void
test_encode_reply(void **state)
{
	struct bencode_arena a;
	struct bencode_item *d, *l;
	char out[128];
	size_t n = 0, i;

	(void)state;
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "result", "pong"), 0);
	assert_int_equal(ng_encode("5323_1", 6, d, out, sizeof(out), &n), 0);
	assert_int_equal(n, 23);
	assert_memory_equal(out, "5323_1 d6:result4:ponge", 23);
	for (i = 0; i < 23; i++) {
		n = 0;
		assert_int_equal(ng_encode("5323_1", 6, d, out, i, &n), ENOSPC);
		assert_int_equal(n, 23);
	}
	assert_int_equal(ng_encode("5323_1", 6, d, NULL, 0, &n), ENOSPC);
	assert_int_equal(ng_encode("", 0, d, out, sizeof(out), &n), EINVAL);
	assert_int_equal(ng_encode("a b", 3, d, out, sizeof(out), &n), EINVAL);
	assert_int_equal(ng_encode(NULL, 3, d, out, sizeof(out), &n), EINVAL);
	assert_int_equal(ng_encode("c", 1, NULL, out, sizeof(out), &n), EINVAL);
	assert_int_equal(ng_encode("c", 1, bencode_int(&a, 1), out, sizeof(out), &n), EINVAL);
	assert_int_equal(ng_encode("0123456789012345678901234567890123456789012345678901234567890123456789",
	    70, d, out, sizeof(out), &n), EINVAL);

	/* The list reply of section 9, built in another key order. */
	d = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "result", "ok"), 0);
	l = bencode_list(&a);
	assert_int_equal(bencode_list_add(l, bencode_cstr(&a, "a84b4c76e66710@carrier.example")), 0);
	assert_int_equal(bencode_dict_add(&a, d, "calls", l), 0);
	assert_int_equal(ng_encode("l1", 2, d, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "l1 d5:callsl30:a84b4c76e66710@carrier.examplee6:result2:oke");
	bencode_arena_free(&a);
}

static void
test_encode_error(void **state)
{
	char out[512], reason[200];
	size_t n = 0, i;
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	const char *s;
	size_t len;

	(void)state;
	assert_int_equal(ng_encode_error("c4", 2, NG_ERR_UNKNOWN_CALL, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "c4 d12:error-reason15:Unknown call-id6:result5:errore");
	assert_int_equal(ng_encode_error("c3", 2, NG_ERR_UNKNOWN_CMD, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "c3 d12:error-reason20:Unrecognized command6:result5:errore");
	assert_int_equal(ng_encode_error("x", 1, NG_ERR_NO_COMMAND, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "x d12:error-reason36:Dictionary contains no key \"command\""
	    "6:result5:errore");
	assert_int_equal(ng_encode_error("x", 1, "", out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_string_equal(out, "x d12:error-reason0:6:result5:errore");
	memset(reason, 'r', 150);
	reason[150] = '\0';
	assert_int_equal(ng_encode_error("x", 1, reason, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2 + 16 + 4 + 150 + 16);
	assert_memory_equal(out + 18, "150:", 4);
	/* It parses back as a reply, with the same reason. */
	bencode_arena_init(&a);
	assert_int_equal(ng_reply_parse(&a, out, n, &m, &e), 0);
	assert_int_equal(ng_get_str(m.dict, "error-reason", &s, &len), 0);
	assert_int_equal(len, 150);
	bencode_arena_free(&a);
	for (i = 0; i < 53; i++) {
		char small[64];

		memset(small, 'Z', sizeof(small));
		n = 0;
		assert_int_equal(ng_encode_error("c4", 2, NG_ERR_UNKNOWN_CALL, small, i, &n), ENOSPC);
		assert_int_equal(n, 53);
		assert_int_equal(small[i], 'Z');
	}
	assert_int_equal(ng_encode_error("c 4", 3, "x", out, sizeof(out), &n), EINVAL);
	assert_int_equal(ng_encode_error("c4", 2, NULL, out, sizeof(out), &n), EINVAL);
}

static void
test_reply_parse(void **state)
{
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	const char *s;
	size_t len;
	static const char warn[] =
	    "4711_1_20 d7:warning38:Call-ID not found or tags didn't match6:result2:oke";

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(parse(&a, "5323_1 d6:result4:ponge", 23, &m, &e, true), 0);
	assert_int_equal(ng_get_str(m.dict, "result", &s, &len), 0);
	assert_memory_equal(s, "pong", 4);
	assert_int_equal(m.op, NG_OP_UNKNOWN);
	assert_int_equal(parse(&a, warn, sizeof(warn) - 1, &m, &e, true), 0);
	assert_int_equal(ng_get_str(m.dict, "warning", &s, &len), 0);
	assert_int_equal(len, strlen(NG_WARN_DELETE_UNKNOWN));
	assert_memory_equal(s, NG_WARN_DELETE_UNKNOWN, len);
	assert_int_equal(parse(&a, "c d7:command4:pinge", 19, &m, &e, true), EBADMSG);
	assert_int_equal(parse(&a, "c d6:resulti0ee", 15, &m, &e, true), EBADMSG);
	assert_int_equal(parse(&a, "c de", 4, &m, &e, true), EBADMSG);
	assert_int_equal(parse(&a, "d6:result4:ponge", 16, &m, &e, true), ENOMSG);
	assert_int_equal(parse(&a, "c d6:result4:pong", 17, &m, &e, true), ENODATA);
	bencode_arena_free(&a);
}

static void
test_request_reply_cycle(void **state)
{
	static const char dg[] = OFFER_DGRAM;
	struct bencode_arena a;
	struct bencode_item *d;
	struct ng_msg m, r;
	struct bencode_error e;
	char out[256];
	size_t n;

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(parse(&a, dg, sizeof(dg) - 1, &m, &e, false), 0);
	d = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "result", "ok"), 0);
	assert_int_equal(bencode_dict_add_str(&a, d, "call-id", m.call_id, m.call_id_len), 0);
	assert_int_equal(ng_encode(m.cookie, m.cookie_len, d, out, sizeof(out), &n), 0);
	assert_int_equal(ng_reply_parse(&a, out, n, &r, &e), 0);
	assert_int_equal(r.cookie_len, 9);
	assert_memory_equal(r.cookie, "4711_1_17", 9);
	assert_int_equal(r.call_id_len, 30);
	bencode_arena_free(&a);
}

/* Bytes captured from rtpengine-ng-client (rtpengine-utils 10.5) on loopback. */
static void
test_rtpengine_ng_client_bytes(void **state)
{
	static const char offer[] =
	    "0.475036732693301 d7:call-id4:cid17:command5:offer5:flagsl13:trust address"
	    "13:trust-addresse8:from-tag3:ft13:sdp84:v=0\no=moo 1 2 IN IP4 192.0.2.1\ns=-\n"
	    "c=IN IP4 192.0.2.1\nt=0 0\nm=audio 3456 RTP/SAVP 0\n18:transport protocol7:RTP/AVPe";
	static const char ping[] = "0.89385723516261 d7:command4:pinge";
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	const char *s;
	size_t len;
	char out[512];

	(void)state;
	bencode_arena_init(&a);
	assert_int_equal(parse(&a, ping, sizeof(ping) - 1, &m, &e, false), 0);
	assert_int_equal(m.op, NG_OP_PING);
	assert_int_equal(m.cookie_len, 16);
	assert_int_equal(parse(&a, offer, sizeof(offer) - 1, &m, &e, false), 0);
	assert_int_equal(m.op, NG_OP_OFFER);
	assert_int_equal(m.call_id_len, 4);
	assert_memory_equal(m.call_id, "cid1", 4);
	assert_true(ng_list_has(m.dict, "flags", "trust-address"));
	assert_int_equal(ng_get_str(m.dict, "transport-protocol", &s, &len), 0);
	assert_memory_equal(s, "RTP/AVP", 7);
	assert_int_equal(ng_get_str(m.dict, "sdp", &s, &len), 0);
	assert_int_equal(len, 84);
	/* The client sorts keys as we do, so re-encoding gives its bytes back. */
	assert_int_equal(ng_encode(m.cookie, m.cookie_len, m.dict, out, sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(offer) - 1);
	assert_memory_equal(out, offer, len);
	bencode_arena_free(&a);
}

static size_t
read_seed(const char *name, char *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", PROTO_SEED_DIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

/* Sorts a reply the way our encoder would, for comparing with rtpengine's order. */
static size_t
canonical(const char *in, size_t len, char *out, size_t cap)
{
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	size_t n;

	bencode_arena_init(&a);
	if (ng_reply_parse(&a, in, len, &m, &e) != 0)
		fail_msg("reply rejected: %s at %zu", e.what, e.offset);
	assert_int_equal(ng_encode(m.cookie, m.cookie_len, m.dict, out, cap, &n), 0);
	assert_int_equal(n, len);
	bencode_arena_free(&a);
	return n;
}

/* Replies captured from rtpengine 10.5.3.5 (Debian 12) on loopback: our error
 * replies carry the same bytes apart from key order. */
static void
test_rtpengine_replies(void **state)
{
	static const struct {
		const char *seed, *cookie, *reason;
	} errs[] = {
		{ "rtpe_bogus_reply", "c3", NG_ERR_UNKNOWN_CMD },
		{ "rtpe_no_command_reply", "c5", NG_ERR_NO_COMMAND },
		{ "rtpe_answer_unknown_reply", "c4", NG_ERR_UNKNOWN_CALL },
	};
	static const char decode_err[] =
	    "o1 d6:result5:error12:error-reason35:Could not decode bencode dictionarye";
	char in[4096], want[4096], got[4096];
	struct bencode_arena a;
	struct ng_msg m;
	struct bencode_error e;
	const struct bencode_item *tot, *rtp;
	const char *s;
	size_t n, wn, gn, i;
	int64_t v;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		n = read_seed(errs[i].seed, in, sizeof(in));
		wn = canonical(in, n, want, sizeof(want));
		assert_int_equal(ng_encode_error(errs[i].cookie, strlen(errs[i].cookie), errs[i].reason,
		    got, sizeof(got), &gn), 0);
		assert_int_equal(gn, wn);
		assert_memory_equal(got, want, gn);
	}
	wn = canonical(decode_err, sizeof(decode_err) - 1, want, sizeof(want));
	assert_int_equal(ng_encode_error("o1", 2, NG_ERR_DECODE, got, sizeof(got), &gn), 0);
	assert_int_equal(gn, wn);
	assert_memory_equal(got, want, gn);

	/* The warning reply for an unknown delete. */
	n = read_seed("rtpe_delete_unknown_reply", in, sizeof(in));
	bencode_arena_init(&a);
	assert_int_equal(ng_reply_parse(&a, in, n, &m, &e), 0);
	assert_int_equal(ng_get_str(m.dict, "warning", &s, &n), 0);
	assert_int_equal(n, strlen(NG_WARN_DELETE_UNKNOWN));
	assert_memory_equal(s, NG_WARN_DELETE_UNKNOWN, n);
	bencode_arena_free(&a);

	/* A full delete reply with per-stream statistics (~1.8 KB). */
	n = read_seed("rtpe_delete_reply", in, sizeof(in));
	assert_true(n > 1000);
	bencode_arena_init(&a);
	assert_int_equal(ng_reply_parse(&a, in, n, &m, &e), 0);
	assert_int_equal(ng_get_str(m.dict, "result", &s, &wn), 0);
	assert_int_equal(wn, 2);
	assert_memory_equal(s, "ok", 2);
	assert_int_equal(ng_get_int(m.dict, "created", &v), 0);
	assert_true(v > 0);
	tot = ng_dict_get(m.dict, "totals");
	assert_non_null(tot);
	rtp = ng_dict_get(tot, "RTP");
	assert_non_null(rtp);
	assert_int_equal(ng_get_int(rtp, "packets", &v), 0);
	assert_non_null(ng_dict_get(ng_dict_get(m.dict, "tags"), "ft"));
	bencode_arena_free(&a);
	canonical(in, n, got, sizeof(got));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ping),
		cmocka_unit_test(test_parse_offer_example),
		cmocka_unit_test(test_no_cookie_dropped),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_name_eq),
		cmocka_unit_test(test_get_int_and_str),
		cmocka_unit_test(test_exact_spelling_wins),
		cmocka_unit_test(test_encode_reply),
		cmocka_unit_test(test_encode_error),
		cmocka_unit_test(test_reply_parse),
		cmocka_unit_test(test_request_reply_cycle),
		cmocka_unit_test(test_rtpengine_ng_client_bytes),
		cmocka_unit_test(test_rtpengine_replies),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	parse_release();
	return rc;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes ng datagram parsing and checks that decode/encode round trips are exact. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_ng: check failed: %s (line %d)\n", #cond, __LINE__); \
		abort(); \
	} \
} while (0)

static char enc1[NG_MAX_DATAGRAM + NG_MAX_COOKIE + 2];
static char enc2[NG_MAX_DATAGRAM + NG_MAX_COOKIE + 2];

static void
sum_len(const char *s, size_t len, void *arg)
{
	size_t *n = arg;

	CHECK(len == 0 || s != NULL);
	*n += len;
}

/* Touches the accessors the daemons use on every parsed request. */
static void
poke_accessors(const struct ng_msg *m)
{
	static const char *const keys[] = {
		"command", "call-id", "from-tag", "to-tag", "sdp", "flags", "replace",
		"direction", "received-from", "transport protocol", "delete delay", "SDES",
	};
	const char *s;
	size_t i, len, total = 0;
	int64_t v;
	int rc;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		rc = ng_get_str(m->dict, keys[i], &s, &len);
		CHECK(rc == 0 || rc == ENOENT || rc == EINVAL);
		rc = ng_get_int(m->dict, keys[i], &v);
		CHECK(rc == 0 || rc == ENOENT || rc == EINVAL);
		(void)ng_list_has(m->dict, keys[i], "trust address");
		ng_list_foreach(m->dict, keys[i], sum_len, &total);
	}
	CHECK(m->op == ng_op_from_name(m->command, m->command_len));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bencode_arena a, b;
	struct bencode_error err;
	struct ng_msg m, m2, r;
	size_t len1 = 0, len2 = 0, body_len;
	int rc;

	bencode_arena_init(&a);
	bencode_arena_init(&b);
	err.what = NULL;
	rc = ng_msg_parse(&a, (const char *)data, size, &m, &err);
	if (rc != 0) {
		CHECK(rc == ENOMSG || rc == EBADMSG || rc == ENODATA || rc == E2BIG ||
		    rc == EPROTONOSUPPORT || rc == ENOMEM);
		CHECK(err.what != NULL);
		CHECK(err.offset <= size);
		goto out;
	}
	CHECK(m.cookie_len > 0 && m.cookie_len <= NG_MAX_COOKIE);
	CHECK(m.dict != NULL && m.dict->type == BENCODE_DICT);
	poke_accessors(&m);

	/* Strict decoding means the only freedom left in the input is key
	 * order, so the canonical re-encoding has exactly the input's length. */
	rc = ng_encode(m.cookie, m.cookie_len, m.dict, enc1, sizeof(enc1), &len1);
	CHECK(rc == 0);
	body_len = size - m.cookie_len - 1;
	CHECK(len1 == size);
	CHECK(memcmp(enc1, data, m.cookie_len + 1) == 0);
	CHECK(bencode_encoded_len(m.dict) == body_len);

	/* Decode what we wrote and write it again: byte-identical. */
	rc = ng_msg_parse(&b, enc1, len1, &m2, &err);
	CHECK(rc == 0);
	CHECK(m2.op == m.op);
	CHECK(m2.dict->count == m.dict->count);
	CHECK(m2.call_id_len == m.call_id_len);
	rc = ng_encode(m2.cookie, m2.cookie_len, m2.dict, enc2, sizeof(enc2), &len2);
	CHECK(rc == 0);
	CHECK(len2 == len1);
	CHECK(memcmp(enc1, enc2, len1) == 0);

	/* Too small a buffer reports the size needed and nothing else. */
	if (len1 > 0) {
		size_t need = 0;

		rc = ng_encode(m.cookie, m.cookie_len, m.dict, enc2, len1 - 1, &need);
		CHECK(rc == ENOSPC && need == len1);
	}

	/* The same bytes as a reply: accepted exactly when "result" is a string. */
	bencode_arena_free(&b);
	rc = ng_reply_parse(&b, enc1, len1, &r, &err);
	CHECK(rc == 0 || rc == EBADMSG);
	CHECK((rc == 0) == (ng_get_str(m.dict, "result", NULL, NULL) == 0));
	/* A reply's media per party (sigproxy's compliance record, sbcctl): any shape is read
	 * or refused, never past its strings. */
	if (rc == 0) {
		struct ng_leg legs[2];
		unsigned k;

		rc = ng_legs_read(r.dict, "a", legs);
		CHECK(rc == 0 || rc == ENOENT);
		for (k = 0; k < 2; k++)
			CHECK(strlen(legs[k].tag) < sizeof(legs[k].tag) &&
			    legs[k].ndrops <= NG_LEG_DROPS_MAX);
	}

	/* An error reply for this cookie parses back with the reason intact. */
	rc = ng_encode_error(m.cookie, m.cookie_len, NG_ERR_UNKNOWN_CMD, enc2, sizeof(enc2), &len2);
	CHECK(rc == 0);
	bencode_arena_free(&b);
	rc = ng_reply_parse(&b, enc2, len2, &r, &err);
	CHECK(rc == 0);
	CHECK(r.cookie_len == m.cookie_len);
 out:
	bencode_arena_free(&a);
	bencode_arena_free(&b);
	return 0;
}

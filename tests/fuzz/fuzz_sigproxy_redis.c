/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzzes what sigproxy reads back from Redis: the dialog records another instance wrote
 * (sbc:call:<call-id>, read by dialog_lookup), each applied to its call as lookup_done
 * does (a fresh copy, or a newer copy of the same call), then what the proxy reads from
 * it: the next hop of each leg (stored contacts and route sets), the callee leg's Call-ID
 * alias; then the entries of the streams sbc:control and sbc:events (an XREADGROUP reply:
 * an operator's hang-up of those calls, whose BYEs are built from the records' fields,
 * drain, undrain, media timeouts, garbage).
 * Beyond "no crash": the next hop is a real address or a parse error, an alias finds its
 * call while the call lives and nothing once it is gone (a record may name another
 * call's alias), and nothing leaks.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "dialog.h"
#include "dialog_int.h"
#include "fuzz_sigproxy_fixture.h"
#include "hangup_int.h"
#include "log.h"
#include "sigproxy.h"
#include "txn.h"
#include "uac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_sigproxy_redis: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define RECORDS_MAX 3
#define FIELDS_MAX 128

/* Nothing leaves this process: Redis is off, what it sends goes to the discard port. */
static const char conf_text[] =
    "[sigproxy]\nid = fuzz\nlog_level = err\n"
    "[listener out]\ntransport = udp\naddress = 127.0.0.1:0\nside = outside\n"
    "[listener in]\ntransport = udp\naddress = 127.0.0.1:0\nside = inside\n"
    "[media]\nmediad = 127.0.0.1:9\n[redis]\nenabled = no\n[health]\nprobe = no\n"
    "[dialog]\ncall_id_replace = yes\n"
    "[route all]\nmatch = .\ntarget = sip:127.0.0.1:9\n";

static struct sp *sp;

/* One HGETALL reply: its elements are strings (a line), or an integer (a line "\x01"). */
struct record {
	redisReply r;
	redisReply e[FIELDS_MAX];
	redisReply *ep[FIELDS_MAX];
};

/* The lines of text[0..len) (NUL-terminated copies in store) as reply r. */
static void
record_fill(struct record *rec, char *text)
{
	size_t n = 0;

	memset(&rec->r, 0, sizeof(rec->r));
	rec->r.type = REDIS_REPLY_ARRAY;
	while (text != NULL && n < FIELDS_MAX) {
		char *nl = strchr(text, '\n');
		redisReply *e = &rec->e[n];

		if (nl != NULL)
			*nl = '\0';
		memset(e, 0, sizeof(*e));
		if (strcmp(text, "\x01") == 0) {
			e->type = REDIS_REPLY_INTEGER;
			e->integer = 1;
		} else {
			e->type = REDIS_REPLY_STRING;
			e->str = text;
			e->len = strlen(text);
		}
		rec->ep[n++] = e;
		text = nl != NULL ? nl + 1 : NULL;
	}
	rec->r.elements = n;
	rec->r.element = rec->ep;
}

/* What lookup_done does with a record of call_id: the call it describes, or NULL. */
static struct sp_call *
record_read(const char *call_id, const redisReply *r)
{
	struct sp_call *c = dialog_find(sp, call_id);

	if (c != NULL && !c->loaded)
		return c;
	if (r->elements < 2) {
		if (c != NULL)
			dialog_forget(sp, c);
		return NULL;
	}
	if (c == NULL) {
		if (dialog_create(sp, &c, call_id, NULL))
			return NULL;
		dialog_enter_state(c, SP_CALL_ANSWERED);
	}
	dialog_record_apply(sp, c, r);
	c->loaded = true;
	dialog_touch(c);
	if (c->state == SP_CALL_ENDED) {
		dialog_forget(sp, c);
		return NULL;
	}
	return c;
}

/* What the proxy reads from a loaded call: each leg's next hop and Call-ID. */
static void
call_check(struct sp_call *c)
{
	for (unsigned leg = 0; leg < 2; leg++) {
		enum tp_proto tp;
		struct sa dst;
		int err = dialog_next_hop(c, leg, &tp, &dst);

		if (err == 0) {
			CHECK(tp == TP_UDP || tp == TP_TCP || tp == TP_TLS);
			CHECK(sa_family(&dst) == AF_INET || sa_family(&dst) == AF_INET6);
			CHECK(sa_port(&dst) != 0);
		} else {
			CHECK(err == ENOENT || err == EBADMSG || err == EINVAL ||
			    err == EPROTONOSUPPORT || err == EHOSTUNREACH || err == ENOMEM);
		}
		CHECK(dialog_leg_call_id(c, leg) != NULL);
	}
	CHECK(memchr(c->callee_call_id, '\0', sizeof(c->callee_call_id)) != NULL);
	if (c->callee_call_id[0] != '\0') {
		struct sp_call *a = dialog_find_alias(sp, c->callee_call_id);

		/* another call may hold the same alias; whichever it finds is alive */
		CHECK(a != NULL && a->call_id[0] != '\0');
	}
}

/* An XREADGROUP reply in RESP (buf[0..len)), taken as the stream reader takes it. */
static void
stream_replies(const char *buf, size_t len)
{
	redisReader *rd = redisReaderCreate();
	void *reply = NULL;

	CHECK(rd != NULL);
	CHECK(redisReaderFeed(rd, buf, len) == REDIS_OK);
	while (redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL) {
		hangup_read_done(reply, sp->hangup);
		freeReplyObject(reply);
		reply = NULL;
	}
	redisReaderFree(rd);
	for (unsigned i = 0; i < 4; i++)
		event_base_loop(sp->base, EVLOOP_NONBLOCK);
}

/*
 * Input: byte 0 picks the Call-ID of each record (bit i set: record i+1 is a newer copy of
 * the call before it; else a call of its own; the calls are fuzz-1, fuzz-2, ...); the rest
 * is up to three records separated by a line "--", each its field names and values one a
 * line (HGETALL order), then optionally a line "==" and an XREADGROUP reply.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record rec[RECORDS_MAX];
	char aliases[RECORDS_MAX][SP_LEG_CALL_ID_MAX];
	char *text, *p, ids[RECORDS_MAX][16];
	const uint8_t *ctl;
	size_t ctl_len = 0;
	unsigned n = 0, i, id = 0;

	if (sp == NULL)
		sp = fuzz_sigproxy_new(conf_text);
	if (size < 1)
		return 0;
	text = malloc(size);
	CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	ctl = memmem(data + 1, size - 1, "\n==\n", 4);
	if (ctl != NULL) {
		ctl_len = size - 1 - (size_t)(ctl + 4 - (data + 1));
		text[ctl - (data + 1)] = '\0';
		ctl += 4;
	}
	for (p = text; p != NULL && n < RECORDS_MAX; n++) {
		char *sep = strstr(p, "\n--\n");

		if (sep != NULL)
			*sep = '\0';
		record_fill(&rec[n], p);
		p = sep != NULL ? sep + 4 : NULL;
	}
	for (i = 0; i < n; i++) {
		struct sp_call *c;

		if (i == 0 || !(data[0] & (1u << (i - 1))))
			id++;
		snprintf(ids[i], sizeof(ids[i]), "fuzz-%u", id);
		c = record_read(ids[i], &rec[i].r);
		aliases[i][0] = '\0';
		if (c == NULL)
			continue;
		snprintf(aliases[i], sizeof(aliases[i]), "%s", c->callee_call_id);
		call_check(c);
	}
	/* the calls that live still answer for their aliases; then none is left */
	for (i = 0; i < n; i++) {
		struct sp_call *c = dialog_find(sp, ids[i]);

		if (c != NULL)
			call_check(c);
	}
	if (ctl != NULL)
		stream_replies((const char *)ctl, ctl_len);
	/* state from one input must not leak into the next, nor grow without bound */
	uac_free_all(sp);
	txn_invite_free_all(sp);
	txn_nit_free_all(sp);
	dialog_free_all(sp);
	for (i = 0; i < n; i++)
		CHECK(aliases[i][0] == '\0' || dialog_find_alias(sp, aliases[i]) == NULL);
	free(text);
	return 0;
}

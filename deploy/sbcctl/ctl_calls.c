/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl calls and show: live calls from the index sbc:calls (no scan of the keyspace),
 * each with its record sbc:call:<id> and its media now from its mediad (ng query); one
 * call in full, with mediad's record and its keys masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "addr.h"
#include "redis_keys.h"
#include "sbcctl.h"

#define CALLS_LIMIT_DEFAULT 10000
#define NCOLS 12

struct row {
	const char *id;			/* borrowed from the ZRANGE reply */
	size_t id_len;
	struct redisReply *h;		/* HGETALL sbc:call:<id> */
	struct sa ng;
	struct ctl_ng_query *q;		/* NULL: no mediad to ask */
};

static const char *
field(const struct row *r, const char *name)
{
	const char *v = ctl_hash_get(r->h, name);

	return v != NULL ? v : "";
}

static int64_t
field_int(const struct row *r, const char *name)
{
	return strtoll(field(r, name), NULL, 10);
}

/* "tls/TLSv1.3/AES_CM_128_HMAC_SHA1_80": transport, TLS version, SRTP suite of a leg. */
static void
leg_cell(char *buf, size_t size, const struct row *r, unsigned leg)
{
	const char *p = leg == 0 ? "caller" : "callee";
	char k[40];
	const char *tp, *ver, *suite;

	snprintf(k, sizeof(k), "%s_transport", p);
	tp = field(r, k);
	snprintf(k, sizeof(k), "%s_tls_version", p);
	ver = field(r, k);
	snprintf(k, sizeof(k), "%s_crypto", p);
	suite = field(r, k);
	/* mediad's word wins: it is what the packets use now */
	if (r->q != NULL && r->q->ok && r->q->legs[leg].present)
		suite = r->q->legs[leg].suite[0] ? r->q->legs[leg].suite : "plain";
	if (suite[0] == '\0' || strcmp(suite, "none") == 0)
		suite = "plain";
	snprintf(buf, size, "%s/%s/%s", tp[0] ? tp : "-", ver[0] ? ver : "-", suite);
}

static void
media_cells(const struct row *r, char *pk, size_t pks, char *lost, size_t ls)
{
	const struct ng_leg *a, *b;

	if (r->q == NULL || !r->q->ok) {
		snprintf(pk, pks, "-");
		snprintf(lost, ls, "-");
		return;
	}
	a = &r->q->legs[0];
	b = &r->q->legs[1];
	/* packets each party sent that reached us; loss of what each sent */
	snprintf(pk, pks, "%llu/%llu", (unsigned long long)a->packets_in,
	    (unsigned long long)b->packets_in);
	snprintf(lost, ls, "%llu/%llu", (unsigned long long)a->lost, (unsigned long long)b->lost);
}

static void
json_leg(struct ctl *x, const struct row *r, unsigned leg)
{
	const char *p = leg == 0 ? "caller" : "callee";
	static const char *const what[] = { "side", "transport", "tls_version", "tls_cipher",
		"cert_sha256", "crypto", "contact" };
	const struct ng_leg *m = r->q != NULL && r->q->ok ? &r->q->legs[leg] : NULL;
	bool first = true;
	char k[40];
	unsigned i;

	ctl_json_key(x, p);
	fputc('{', x->out);
	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		snprintf(k, sizeof(k), "%s_%s", p, what[i]);
		ctl_json_kv(x, &first, what[i], field(r, k));
	}
	if (m != NULL && m->present)
		ctl_json_media(x, &first, m);
	fputc('}', x->out);
}

static void
json_call(struct ctl *x, const struct row *r, int64_t now)
{
	static const char *const plain[] = { "state", "start_time", "answer_time", "caller",
		"callee", "ruri_user", "source", "route", "target", "mediad", "instance" };
	bool first = false;
	unsigned i;

	fputc('{', x->out);
	ctl_json_key(x, "call_id");
	ctl_json_str(x, r->id);
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ctl_json_kv(x, &first, plain[i], field(r, plain[i]));
	ctl_json_ku(x, &first, "start", (uint64_t)field_int(r, "start"));
	ctl_json_ku(x, &first, "age_s", (uint64_t)(now - field_int(r, "start")));
	ctl_json_kv(x, &first, "media", r->q == NULL ? "no mediad" : r->q->ok ? "ok" :
	    r->q->error);
	fputs(",\"legs\":{", x->out);
	json_leg(x, r, 0);
	fputc(',', x->out);
	json_leg(x, r, 1);
	fputs("}}", x->out);
}

static void
plain_calls(struct ctl *x, struct row *rows, size_t n, int64_t now)
{
	static const char *const head[NCOLS] = { "CALL-ID", "AGE", "STATE", "CALLER", "CALLEE",
		"ROUTE", "TARGET", "MEDIAD", "CALLER-LEG", "CALLEE-LEG", "PKTS-A/B", "LOST-A/B" };
	char (*cells)[NCOLS][256];
	size_t w[NCOLS], i, c;

	cells = calloc(n + 1, sizeof(*cells));
	if (cells == NULL)
		return;
	for (c = 0; c < NCOLS; c++)
		snprintf(cells[0][c], sizeof(cells[0][c]), "%s", head[c]);
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];
		char (*cl)[256] = cells[i + 1], tmp[256];

		/* network values escaped: one call, one line, whatever its Call-ID holds */
		ctl_esc(cl[0], sizeof(cl[0]), r->id);
		ctl_age(cl[1], sizeof(cl[1]), now - field_int(r, "start"));
		ctl_esc(cl[2], sizeof(cl[2]), field(r, "state"));
		ctl_esc(cl[3], sizeof(cl[3]), field(r, "caller"));
		ctl_esc(cl[4], sizeof(cl[4]), field(r, "callee"));
		ctl_esc(cl[5], sizeof(cl[5]), field(r, "route"));
		ctl_esc(cl[6], sizeof(cl[6]), field(r, "target"));
		ctl_esc(cl[7], sizeof(cl[7]), field(r, "mediad"));
		leg_cell(tmp, sizeof(tmp), r, 0);
		ctl_esc(cl[8], sizeof(cl[8]), tmp);
		leg_cell(tmp, sizeof(tmp), r, 1);
		ctl_esc(cl[9], sizeof(cl[9]), tmp);
		media_cells(r, cl[10], sizeof(cl[10]), cl[11], sizeof(cl[11]));
	}
	for (c = 0; c < NCOLS; c++) {
		w[c] = 0;
		for (i = 0; i <= n; i++) {
			size_t l = strlen(cells[i][c]);

			/* a cell's width, UTF-8 continuation bytes aside */
			for (const char *p = cells[i][c]; *p; p++)
				l -= ((unsigned char)*p & 0xc0) == 0x80;
			if (l > w[c])
				w[c] = l;
		}
	}
	for (i = 0; i <= n; i++) {
		for (c = 0; c < NCOLS; c++)
			fprintf(x->out, "%s%-*s", c ? "  " : "", c + 1 < NCOLS ? (int)w[c] : 0,
			    cells[i][c]);
		fputc('\n', x->out);
	}
	free(cells);
}

/* Reads the records of the index's members; stale members are removed. Returns kept. */
static size_t
rows_load(struct ctl *x, struct redisReply *z, struct row *rows, size_t *stale)
{
	const char **sargv;
	size_t *slens, i, n = 0, ns = 0;

	*stale = 0;
	sargv = calloc(z->elements / 2 + 2, sizeof(*sargv));
	slens = calloc(z->elements / 2 + 2, sizeof(*slens));
	if (sargv == NULL || slens == NULL)
		goto out;
	/* one round trip for all of them */
	for (i = 0; i + 1 < z->elements; i += 2)
		redisAppendCommand(x->rc, "HGETALL %s%b", SBC_KEY_CALL_PREFIX, z->element[i]->str,
		    z->element[i]->len);
	for (i = 0; i + 1 < z->elements; i += 2) {
		struct redisReply *h = NULL;
		const char *state;

		if (redisGetReply(x->rc, (void **)&h) != REDIS_OK || h == NULL)
			break;
		state = ctl_hash_get(h, "state");
		/*
		 * The record expired or the call ended without its index entry going: removed
		 * after every reply is in (a command now would read the next one's reply).
		 */
		if (h->type != REDIS_REPLY_ARRAY || h->elements == 0 ||
		    (state != NULL && strcmp(state, "ended") == 0)) {
			sargv[2 + ns] = z->element[i]->str;
			slens[2 + ns] = z->element[i]->len;
			ns++;
			freeReplyObject(h);
			continue;
		}
		rows[n].id = z->element[i]->str;
		rows[n].id_len = z->element[i]->len;
		rows[n].h = h;
		n++;
	}
	if (ns > 0) {
		struct redisReply *r;

		sargv[0] = "ZREM";
		slens[0] = 4;
		sargv[1] = SBC_KEY_CALLS;
		slens[1] = strlen(SBC_KEY_CALLS);
		r = redisCommandArgv(x->rc, (int)(ns + 2), sargv, slens);
		if (r != NULL && r->type == REDIS_REPLY_INTEGER)
			*stale = (size_t)r->integer;
		freeReplyObject(r);
	}
 out:
	free(sargv);
	free(slens);
	return n;
}

int
ctl_calls(struct ctl *x, int argc, char **argv)
{
	struct redisReply *z;
	struct row *rows = NULL;
	struct ctl_ng_query *q = NULL;
	size_t n = 0, nq = 0, stale = 0, i;
	long limit = CALLS_LIMIT_DEFAULT;
	int64_t now = (int64_t)time(NULL);
	int rc = CTL_FAIL;

	if (argc == 3 && strcmp(argv[1], "--limit") == 0) {
		limit = strtol(argv[2], NULL, 10);
		if (limit < 1)
			limit = 1;
	} else if (argc != 1) {
		fprintf(stderr, "usage: sbcctl calls [--limit N]\n");
		return CTL_USAGE;
	}
	/* oldest first, as a channel list reads */
	z = ctl_cmd(x, "ZRANGE %s 0 %ld WITHSCORES", SBC_KEY_CALLS, limit - 1);
	if (z == NULL || z->type != REDIS_REPLY_ARRAY) {
		if (z != NULL)
			fprintf(stderr, "sbcctl: %s: %s\n", SBC_KEY_CALLS, z->str ? z->str : "?");
		goto out;
	}
	rows = calloc(z->elements / 2 + 1, sizeof(*rows));
	q = calloc(z->elements / 2 + 1, sizeof(*q));
	if (rows == NULL || q == NULL)
		goto out;
	n = rows_load(x, z, rows, &stale);
	for (i = 0; i < n; i++) {
		const char *ng = ctl_hash_get(rows[i].h, "mediad_ng");

		if (ng == NULL || sa_parse(&rows[i].ng, ng, 2223) != 0)
			continue;
		rows[i].q = &q[nq];
		q[nq].dst = &rows[i].ng;
		q[nq].call_id = rows[i].id;
		q[nq].caller_tag = ctl_hash_get(rows[i].h, "from_tag");
		nq++;
	}
	ctl_ng_query_all(x, q, nq);
	if (x->json) {
		fputs("{\"calls\":[", x->out);
		for (i = 0; i < n; i++) {
			if (i > 0)
				fputc(',', x->out);
			json_call(x, &rows[i], now);
		}
		fprintf(x->out, "],\"count\":%zu,\"stale_removed\":%zu}\n", n, stale);
	} else {
		plain_calls(x, rows, n, now);
		fprintf(x->out, "%zu call%s%s", n, n == 1 ? "" : "s",
		    (long)(z->elements / 2) >= limit ? " (limit reached: --limit N)" : "");
		if (stale > 0)
			fprintf(x->out, " (%zu ended or expired removed from %s)", stale,
			    SBC_KEY_CALLS);
		fputc('\n', x->out);
	}
	rc = CTL_OK;
 out:
	for (i = 0; rows != NULL && i < n; i++)
		freeReplyObject(rows[i].h);
	free(rows);
	free(q);
	freeReplyObject(z);
	return rc;
}

static int
field_cmp(const void *a, const void *b)
{
	const struct redisReply *const *x = a, *const *y = b;

	return strcmp((*x)->str ? (*x)->str : "", (*y)->str ? (*y)->str : "");
}

/* The field/value pairs of h, sorted by field, printed (secrets masked) or as a JSON object. */
static void
hash_print(struct ctl *x, const struct redisReply *h)
{
	const struct redisReply **keys;
	size_t i, n = h->elements / 2;
	bool first = true;

	keys = calloc(n + 1, sizeof(*keys));
	if (keys == NULL)
		return;
	for (i = 0; i < n; i++)
		keys[i] = h->element[2 * i];
	qsort(keys, n, sizeof(*keys), field_cmp);
	if (x->json)
		fputc('{', x->out);
	for (i = 0; i < n; i++) {
		const char *k = keys[i]->str ? keys[i]->str : "";
		const char *v = ctl_hash_get(h, k);

		if (ctl_field_secret(k))
			v = v != NULL && v[0] != '\0' ? "****" : "";
		if (x->json)
			ctl_json_kv(x, &first, k, v);
		else
			fprintf(x->out, "  %-22s %s\n", CTL_ESC(k), CTL_ESC(v));
	}
	if (x->json)
		fputc('}', x->out);
	free(keys);
}

static void
show_media_now(struct ctl *x, const struct ctl_ng_query *q)
{
	unsigned l, i;

	if (x->json) {
		fputs(",\"media_now\":", x->out);
		if (!q->ok) {
			fputs("null", x->out);
			return;
		}
		fputc('{', x->out);
		for (l = 0; l < 2; l++) {
			const struct ng_leg *m = &q->legs[l];
			bool first = true;

			if (l > 0)
				fputc(',', x->out);
			ctl_json_key(x, l == 0 ? "caller" : "callee");
			fputc('{', x->out);
			ctl_json_kv(x, &first, "tag", m->tag);
			ctl_json_kv(x, &first, "interface", m->iface);
			ctl_json_media(x, &first, m);
			fputc('}', x->out);
		}
		fputc('}', x->out);
		return;
	}
	if (!q->ok) {
		fprintf(x->out, "media now: %s\n", CTL_ESC(q->error));
		return;
	}
	fprintf(x->out, "media now (from mediad):\n");
	for (l = 0; l < 2; l++) {
		const struct ng_leg *m = &q->legs[l];

		fprintf(x->out, "  %-6s %-8s %-24s in %llu pkts %llu B, out %llu pkts %llu B, "
		    "lost %llu, drops", l == 0 ? "caller" : "callee", CTL_ESC(m->iface),
		    m->suite[0] ? CTL_ESC(m->suite) : "plain", (unsigned long long)m->packets_in,
		    (unsigned long long)m->bytes_in, (unsigned long long)m->packets_out,
		    (unsigned long long)m->bytes_out, (unsigned long long)m->lost);
		for (i = 0; i < m->ndrops; i++)
			fprintf(x->out, " %s=%llu", CTL_ESC(m->drops[i].reason),
			    (unsigned long long)m->drops[i].count);
		fputs(m->ndrops == 0 ? " none\n" : "\n", x->out);
	}
}

struct redisReply *
ctl_call_get(struct ctl *x, const char *id)
{
	struct redisReply *h = ctl_cmd(x, "HGETALL %s%b", SBC_KEY_CALL_PREFIX, id, strlen(id));

	if (h != NULL && (h->type != REDIS_REPLY_ARRAY || h->elements == 0)) {
		fprintf(stderr, "sbcctl: no call '%s': no record %s<id> (it never existed here, or "
		    "ended longer ago than call_ttl_ended)\n", CTL_ESC(id), SBC_KEY_CALL_PREFIX);
		freeReplyObject(h);
		h = NULL;
	}
	return h;
}

int
ctl_show(struct ctl *x, int argc, char **argv)
{
	struct redisReply *h = NULL, *m = NULL, *ttl = NULL;
	struct ctl_ng_query q;
	const char *id, *state, *ng;
	struct sa dst;
	size_t idl;
	int rc = CTL_FAIL;

	if (argc != 2) {
		fprintf(stderr, "usage: sbcctl show CALL-ID\n");
		return CTL_USAGE;
	}
	id = argv[1];
	idl = strlen(id);
	if ((h = ctl_call_get(x, id)) == NULL)
		goto out;
	ttl = ctl_cmd(x, "TTL %s%b", SBC_KEY_CALL_PREFIX, id, idl);
	m = ctl_cmd(x, "HGETALL sbc:media:%b", id, idl);
	state = ctl_hash_get(h, "state");
	ng = ctl_hash_get(h, "mediad_ng");
	memset(&q, 0, sizeof(q));
	snprintf(q.error, sizeof(q.error), "call ended");
	if (state != NULL && strcmp(state, "ended") != 0 && ng != NULL &&
	    sa_parse(&dst, ng, 2223) == 0) {
		q.dst = &dst;
		q.call_id = id;
		q.caller_tag = ctl_hash_get(h, "from_tag");
		ctl_ng_query_all(x, &q, 1);
	}
	if (x->json) {
		fputs("{\"call_id\":", x->out);
		ctl_json_str(x, id);
		fprintf(x->out, ",\"ttl\":%lld,\"record\":",
		    ttl && ttl->type == REDIS_REPLY_INTEGER ? ttl->integer : -2LL);
		hash_print(x, h);
		show_media_now(x, &q);
		fputs(",\"media_record\":", x->out);
		if (m != NULL && m->type == REDIS_REPLY_ARRAY && m->elements > 0)
			hash_print(x, m);
		else
			fputs("null", x->out);
		fputs("}\n", x->out);
	} else {
		fprintf(x->out, "call %s\nrecord %s<id>", CTL_ESC(id), SBC_KEY_CALL_PREFIX);
		if (ttl != NULL && ttl->type == REDIS_REPLY_INTEGER && ttl->integer >= 0)
			fprintf(x->out, " (expires in %lld s)", ttl->integer);
		fputs(":\n", x->out);
		hash_print(x, h);
		show_media_now(x, &q);
		if (m != NULL && m->type == REDIS_REPLY_ARRAY && m->elements > 0) {
			fputs("media record sbc:media:<id> (keys masked):\n", x->out);
			hash_print(x, m);
		}
	}
	rc = CTL_OK;
 out:
	freeReplyObject(h);
	freeReplyObject(m);
	freeReplyObject(ttl);
	return rc;
}

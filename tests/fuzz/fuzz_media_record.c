/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzzes what a restarted mediad reads back from Redis: a record sbc:media:<call-id>
 * (call_restore_one: interfaces, ports, addresses, SDES keys with lifetime and MKI, SRTP
 * indexes) and the index values alone (call_index_parse). Beyond "no crash": a record
 * that fails leaves no call and no port taken; one that restores writes its keys and
 * indexes (as call_store writes them) into a record that restores to the same call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "call_store_argv.h"
#include "log.h"
#include "mediad.h"
#include "fuzz_mediad_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_media_record: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define FIELDS_MAX 512

static struct mediad *md;

/* A mediad with two interfaces (outside, inside) on a private loopback slice, no relay. */
static void
setup(void)
{
	md = fuzz_mediad_new(202);
	log_init("fuzz_media_record", LOG_LEVEL_ERR, false);
}

/* Every call gone and every port back: nothing of an input outlives it. */
static void
calls_clear(void)
{
	while (md->calls.head != NULL)
		call_destroy(md->calls.head);
	CHECK(port_pool_in_use(md->cfg.ifaces[0].pool) == 0);
	CHECK(port_pool_in_use(md->cfg.ifaces[1].pool) == 0);
}

static bool
state_equal(const struct srtp_ctx_ssrc_state *a, const struct srtp_ctx_ssrc_state *b)
{
	return a->ssrc == b->ssrc && a->have_rtp == b->have_rtp && a->have_rtcp == b->have_rtcp &&
	    (!a->have_rtp || (a->roc == b->roc && a->seq == b->seq)) &&
	    (!a->have_rtcp || a->rtcp_index == b->rtcp_index);
}

/* Index text: what parses formats (as call_store writes it) and parses back the same. */
static void
index_roundtrip(const char *s)
{
	struct srtp_ctx_ssrc_state st[SRTP_CTX_MAX_SSRC], back[SRTP_CTX_MAX_SSRC];
	char buf[CALL_INDEX_STRLEN];
	unsigned n = 0, m = 0;

	if (call_index_parse(s, st, SRTP_CTX_MAX_SSRC, &n) != 0)
		return;
	CHECK(n <= SRTP_CTX_MAX_SSRC);
	CHECK(call_index_format(buf, sizeof(buf), st, n) == 0);
	CHECK(call_index_parse(buf, back, SRTP_CTX_MAX_SSRC, &m) == 0);
	CHECK(m == n);
	for (unsigned i = 0; i < n; i++)
		CHECK(state_equal(&st[i], &back[i]));
}

static bool
key_equal(const struct crypto_key *a, const struct crypto_key *b)
{
	return a->suite == b->suite && a->key_salt_len == b->key_salt_len &&
	    memcmp(a->key_salt, b->key_salt, a->key_salt_len) == 0 &&
	    a->lifetime == b->lifetime && a->mki_len == b->mki_len &&
	    (a->mki_len == 0 || a->mki == b->mki);
}

/* A record: field and value slices, and where rewritten values live. */
struct record {
	const char *f[FIELDS_MAX];
	size_t l[FIELDS_MAX];
	size_t n;
	struct argv_buf out;
};

/* Points the first field called name (if any) at value (copied into r->out). */
static void
record_set(struct record *r, const char *name, const char *value)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + 1 < r->n; i += 2) {
		if (r->l[i] != nl || memcmp(r->f[i], name, nl) != 0)
			continue;
		store_arg_add(&r->out, value, strlen(value));
		CHECK(!r->out.overflow);
		r->f[i + 1] = r->out.argv[r->out.argc - 1];
		r->l[i + 1] = r->out.len[r->out.argc - 1];
		return;
	}
}

/* The record with c's keys and indexes as call_store writes them. */
static void
record_rewrite(struct record *r, const struct call *c)
{
	struct argv_buf *kb = calloc(1, sizeof(*kb));
	char name[64], buf[CALL_INDEX_STRLEN];

	CHECK(kb != NULL);
	for (unsigned i = 0; i < 2; i++) {
		const struct monologue *mono = c->mono[i];
		char side = i ? 'b' : 'a';

		for (unsigned j = 0; j < mono->nmedia; j++) {
			const struct call_media *cm = &mono->media[j];

			store_argv_reset(kb);
			if (cm->have_our_key) {
				store_field_key(kb, "tx_key", &cm->ours.key);
				CHECK(!kb->overflow);
				store_media_name(name, sizeof(name), side, j + 1, "tx_key");
				record_set(r, name, kb->argv[kb->argc - 1]);
			}
			if (cm->have_peer_key) {
				store_field_key(kb, "rx_key", &cm->peer.key);
				CHECK(!kb->overflow);
				store_media_name(name, sizeof(name), side, j + 1, "rx_key");
				record_set(r, name, kb->argv[kb->argc - 1]);
			}
			CHECK(call_index_format(buf, sizeof(buf), cm->resume.rx, cm->resume.nrx) == 0);
			store_media_name(name, sizeof(name), side, j + 1, "rx_index");
			record_set(r, name, buf);
			CHECK(call_index_format(buf, sizeof(buf), cm->resume.tx, cm->resume.ntx) == 0);
			store_media_name(name, sizeof(name), side, j + 1, "tx_index");
			record_set(r, name, buf);
		}
	}
	store_argv_reset(kb);
	free(kb);
}

/* What a restore made of one party's media, to compare with a second restore. */
struct media_seen {
	bool have_ports, have_our_key, have_peer_key, disabled;
	uint16_t port;
	struct crypto_key ours, peer;
	struct relay_srtp_state resume;
};

static void
call_seen(const struct call *c, struct media_seen seen[2][MEDIAD_MAX_MEDIA], unsigned n[2])
{
	memset(seen, 0, sizeof(struct media_seen) * 2 * MEDIAD_MAX_MEDIA);
	for (unsigned i = 0; i < 2; i++) {
		CHECK(c->mono[i] != NULL && c->mono[i]->nmedia <= MEDIAD_MAX_MEDIA);
		n[i] = c->mono[i]->nmedia;
		for (unsigned j = 0; j < n[i]; j++) {
			const struct call_media *cm = &c->mono[i]->media[j];
			struct media_seen *s = &seen[i][j];

			s->have_ports = cm->have_ports;
			s->port = cm->have_ports ? cm->ports.port : 0;
			s->disabled = cm->disabled;
			s->have_our_key = cm->have_our_key;
			s->have_peer_key = cm->have_peer_key;
			s->ours = cm->ours.key;
			s->peer = cm->peer.key;
			s->resume = cm->resume;
			CHECK(cm->resume.nrx <= SRTP_CTX_MAX_SSRC && cm->resume.ntx <= SRTP_CTX_MAX_SSRC);
			CHECK(!cm->have_our_key || cm->ours.key.key_salt_len <= sizeof(cm->ours.key.key_salt));
		}
	}
}

static void
seen_compare(struct media_seen a[2][MEDIAD_MAX_MEDIA], struct media_seen b[2][MEDIAD_MAX_MEDIA],
    const unsigned *n)
{
	for (unsigned i = 0; i < 2; i++) {
		for (unsigned j = 0; j < n[i]; j++) {
			const struct media_seen *x = &a[i][j], *y = &b[i][j];

			CHECK(x->have_ports == y->have_ports && x->port == y->port);
			CHECK(x->disabled == y->disabled);
			CHECK(x->have_our_key == y->have_our_key && x->have_peer_key == y->have_peer_key);
			CHECK(!x->have_our_key || key_equal(&x->ours, &y->ours));
			CHECK(!x->have_peer_key || key_equal(&x->peer, &y->peer));
			CHECK(x->resume.nrx == y->resume.nrx && x->resume.ntx == y->resume.ntx);
			for (unsigned k = 0; k < x->resume.nrx; k++)
				CHECK(state_equal(&x->resume.rx[k], &y->resume.rx[k]));
			for (unsigned k = 0; k < x->resume.ntx; k++)
				CHECK(state_equal(&x->resume.tx[k], &y->resume.tx[k]));
		}
	}
}

static void
record_restore(const uint8_t *data, size_t size)
{
	static struct media_seen first[2][MEDIAD_MAX_MEDIA], again[2][MEDIAD_MAX_MEDIA];
	struct record *r = calloc(1, sizeof(*r));
	const char *p = (const char *)data, *end = p + size;
	unsigned n[2], m[2];
	int err;

	CHECK(r != NULL);
	/* HGETALL's field/value strings, one a line */
	while (p < end && r->n < FIELDS_MAX) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		r->f[r->n] = p;
		r->l[r->n++] = (size_t)((nl ? nl : end) - p);
		p = nl ? nl + 1 : end;
	}
	r->n &= ~(size_t)1;
	err = call_restore_one(md, r->f, r->l, r->n);
	/* FUZZ_MEDIA_RECORD_VERBOSE=1 shows what each seed reaches. */
	if (getenv("FUZZ_MEDIA_RECORD_VERBOSE") != NULL)
		fprintf(stderr, "record: %s\n", err ? strerror(err) : "restored");
	if (err) {
		CHECK(md->calls.head == NULL);
		calls_clear();
		goto out;
	}
	CHECK(md->calls.head != NULL && md->calls.head->next == NULL);
	call_seen(md->calls.head, first, n);
	CHECK(n[0] == n[1]);
	record_rewrite(r, md->calls.head);
	calls_clear();
	err = call_restore_one(md, r->f, r->l, r->n);
	if (err)
		fprintf(stderr, "fuzz_media_record: the rewritten record does not restore: %d\n", err);
	CHECK(err == 0);
	call_seen(md->calls.head, again, m);
	CHECK(m[0] == n[0] && m[1] == n[1]);
	seen_compare(first, again, n);
	calls_clear();
 out:
	store_argv_reset(&r->out);
	free(r);
}

/*
 * Input: byte 0 bit 0 set: the rest is an index value (call_index_parse); else the rest
 * is a record, its field names and values one a line (HGETALL order).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (md == NULL)
		setup();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		/* a C string, as hiredis hands a value over (not strndup: it reads on) */
		char *s = malloc(size);

		CHECK(s != NULL);
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		index_roundtrip(s);
		free(s);
	} else {
		record_restore(data + 1, size - 1);
	}
	return 0;
}

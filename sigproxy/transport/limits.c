/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-source flood control: request and TLS-connection token buckets, connection counts, bans. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rand.h"
#include "tbucket.h"
#include "transport_int.h"

#define LIMITS_SOURCES_DEFAULT 16384u

/* One source address. Indexes are index + 1 so that 0 means "none" in a zeroed table. */
struct src {
	uint8_t ip[16];        /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	uint32_t hnext;        /* hash chain; free list while unused */
	uint32_t lprev, lnext; /* LRU list of forgettable sources (no connection open) */
	uint32_t conns;        /* inbound stream connections open now */
	struct tbucket req;    /* requests */
	struct tbucket tls;    /* new TLS connections */
	uint64_t ban_until;    /* monotonic ms; 0 or past: not banned */
	bool used;
	bool on_lru;
};

struct tp_limits {
	struct tp_limits_conf conf;
	struct src *s;          /* conf.max_sources entries, owned */
	uint32_t *bucket;       /* nbuckets chain heads (index + 1), owned */
	uint32_t nbuckets;      /* power of two */
	uint32_t nused;
	uint32_t free_head;
	uint32_t lru_head, lru_tail;  /* head: seen longest ago */
	uint64_t key[2];        /* hash key: an attacker cannot aim addresses at one chain */
	struct tp_metrics *m;   /* borrowed */
	struct log_ratelimit rl;
};

const char *
tp_drop_name(enum tp_drop d)
{
	static const char *const names[TP_DROP_NREASONS] = {
		"banned", "rate", "tls_rate", "source_conns", "max_conns", "handshake_timeout",
		"header_timeout",
	};

	return (unsigned)d < TP_DROP_NREASONS ? names[d] : "?";
}

int
tp_limits_alloc(struct tp_limits **lp, const struct tp_limits_conf *conf, unsigned max_conns_in,
    struct tp_metrics *m)
{
	struct tp_limits *lim;
	uint32_t i, n;
	int err = 0;

	lim = calloc(1, sizeof(*lim));
	if (lim == NULL)
		return ENOMEM;
	lim->conf = *conf;
	if (lim->conf.max_sources == 0)
		lim->conf.max_sources = LIMITS_SOURCES_DEFAULT;
	/* Every open connection pins its source: there is always one to forget. */
	if (lim->conf.max_sources <= max_conns_in)
		lim->conf.max_sources = max_conns_in + 1;
	if (lim->conf.req_rate && lim->conf.req_burst == 0)
		lim->conf.req_burst = 2 * lim->conf.req_rate;
	if (lim->conf.tls_rate && lim->conf.tls_burst == 0)
		lim->conf.tls_burst = 2 * lim->conf.tls_rate;
	n = lim->conf.max_sources;
	for (lim->nbuckets = 1; lim->nbuckets < n; lim->nbuckets <<= 1)
		;
	lim->s = calloc(n, sizeof(*lim->s));
	lim->bucket = calloc(lim->nbuckets, sizeof(*lim->bucket));
	if (lim->s == NULL || lim->bucket == NULL) {
		err = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		lim->s[i].hnext = i + 1 < n ? i + 2 : 0;
	lim->free_head = 1;
	lim->key[0] = rand_u64();
	lim->key[1] = rand_u64() | 1;
	lim->m = m;
	lim->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 10);
 out:
	if (err)
		tp_limits_free(lim);
	else
		*lp = lim;
	return err;
}

void
tp_limits_free(struct tp_limits *lim)
{
	if (lim == NULL)
		return;
	free(lim->s);
	free(lim->bucket);
	free(lim);
}

static void
ip_key(const struct sa *a, uint8_t ip[16])
{
	if (a->u.sa.sa_family == AF_INET6) {
		memcpy(ip, &a->u.in6.sin6_addr, 16);
		return;
	}
	memset(ip, 0, 10);
	ip[10] = ip[11] = 0xff;
	memcpy(ip + 12, &a->u.in.sin_addr, 4);
}

/* A keyed multiply-xorshift over the two halves: cheap, and the key is secret. */
static uint32_t
ip_hash(const struct tp_limits *lim, const uint8_t ip[16])
{
	uint64_t a, b, h;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	h = (a ^ lim->key[0]) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	h = (h ^ b) * lim->key[1];
	h ^= h >> 32;
	return (uint32_t)h & (lim->nbuckets - 1);
}

static void
lru_unlink(struct tp_limits *lim, uint32_t i)
{
	struct src *e = &lim->s[i - 1];

	if (!e->on_lru)
		return;
	if (e->lprev)
		lim->s[e->lprev - 1].lnext = e->lnext;
	else
		lim->lru_head = e->lnext;
	if (e->lnext)
		lim->s[e->lnext - 1].lprev = e->lprev;
	else
		lim->lru_tail = e->lprev;
	e->lprev = e->lnext = 0;
	e->on_lru = false;
}

static void
lru_append(struct tp_limits *lim, uint32_t i)
{
	struct src *e = &lim->s[i - 1];

	e->lprev = lim->lru_tail;
	e->lnext = 0;
	if (lim->lru_tail)
		lim->s[lim->lru_tail - 1].lnext = i;
	else
		lim->lru_head = i;
	lim->lru_tail = i;
	e->on_lru = true;
}

/* Seen now: a source with no connection moves to the young end of the LRU list. */
static void
src_touch(struct tp_limits *lim, uint32_t i)
{
	if (lim->s[i - 1].conns > 0)
		return;
	lru_unlink(lim, i);
	lru_append(lim, i);
}

static void
src_forget(struct tp_limits *lim, uint32_t i)
{
	struct src *e = &lim->s[i - 1];
	uint32_t *pp = &lim->bucket[ip_hash(lim, e->ip)];

	while (*pp != 0 && *pp != i)
		pp = &lim->s[*pp - 1].hnext;
	if (*pp == i)
		*pp = e->hnext;
	lru_unlink(lim, i);
	memset(e, 0, sizeof(*e));
	e->hnext = lim->free_head;
	lim->free_head = i;
	lim->nused--;
}

/* The source's entry (index + 1), made when create is set; 0 when none. */
static uint32_t
src_get(struct tp_limits *lim, const struct sa *a, uint64_t now, bool create)
{
	uint8_t ip[16];
	uint32_t h, i;
	struct src *e;

	ip_key(a, ip);
	h = ip_hash(lim, ip);
	for (i = lim->bucket[h]; i != 0; i = lim->s[i - 1].hnext)
		if (memcmp(lim->s[i - 1].ip, ip, 16) == 0)
			break;
	if (i != 0 || !create) {
		if (i != 0)
			src_touch(lim, i);
		return i;
	}
	if (lim->free_head == 0) {
		/* Full: the source seen longest ago without a connection is forgotten (a ban
		 * too: a flood from more sources than the table holds is the kernel's and
		 * the global maxima's to bear). */
		if (lim->lru_head == 0)
			return 0;
		src_forget(lim, lim->lru_head);
	}
	i = lim->free_head;
	e = &lim->s[i - 1];
	lim->free_head = e->hnext;
	memset(e, 0, sizeof(*e));
	memcpy(e->ip, ip, 16);
	e->used = true;
	tbucket_init(&e->req, lim->conf.req_burst, now);
	tbucket_init(&e->tls, lim->conf.tls_burst, now);
	e->hnext = lim->bucket[h];
	lim->bucket[h] = i;
	lim->nused++;
	lru_append(lim, i);
	return i;
}

static void
src_ban(struct tp_limits *lim, struct src *e, const struct sa *a, enum tp_drop why,
    uint64_t now)
{
	char ab[SA_STRLEN];

	if (lim->conf.ban_ms == 0)
		return;
	e->ban_until = now + lim->conf.ban_ms;
	metric_inc(lim->m->bans);
	if (log_ratelimit_ok(&lim->rl, now))
		log_warnx("sip_source_banned src=%s reason=%s ban_ms=%u", sa_format_ip(a, ab,
		    sizeof(ab)), tp_drop_name(why), lim->conf.ban_ms);
}

bool
tp_limits_applies(const struct tp_limits *lim, const struct sa *src)
{
	return lim->conf.exempt == NULL || !acl_allows(lim->conf.exempt, src);
}

bool
tp_limits_banned(struct tp_limits *lim, const struct sa *src, uint64_t now)
{
	uint32_t i = src_get(lim, src, now, false);

	return i != 0 && lim->s[i - 1].ban_until > now;
}

bool
tp_limits_msg_ok(struct tp_limits *lim, const struct sa *src, bool request, uint64_t now,
    enum tp_drop *why)
{
	struct src *e;
	uint32_t i;

	if (!tp_limits_applies(lim, src))
		return true;
	/* A response makes no entry: only sources that send requests are remembered. */
	i = src_get(lim, src, now, request && lim->conf.req_rate != 0);
	if (i == 0)
		return true;
	e = &lim->s[i - 1];
	if (e->ban_until > now) {
		*why = TP_DROP_BANNED;
		return false;
	}
	if (!request || lim->conf.req_rate == 0)
		return true;
	if (tbucket_take(&e->req, lim->conf.req_rate, lim->conf.req_burst, now))
		return true;
	*why = TP_DROP_RATE;
	src_ban(lim, e, src, TP_DROP_RATE, now);
	return false;
}

bool
tp_limits_accept_ok(struct tp_limits *lim, const struct sa *src, bool tls, uint64_t now,
    bool *counted, enum tp_drop *why)
{
	struct src *e;
	uint32_t i;

	*counted = false;
	if (!tp_limits_applies(lim, src))
		return true;
	i = src_get(lim, src, now, true);
	if (i == 0)
		return true;
	e = &lim->s[i - 1];
	if (e->ban_until > now) {
		*why = TP_DROP_BANNED;
		return false;
	}
	if (lim->conf.max_per_source != 0 && e->conns >= lim->conf.max_per_source) {
		*why = TP_DROP_SOURCE_CONNS;
		return false;
	}
	if (tls && lim->conf.tls_rate != 0 &&
	    !tbucket_take(&e->tls, lim->conf.tls_rate, lim->conf.tls_burst, now)) {
		*why = TP_DROP_TLS_RATE;
		src_ban(lim, e, src, TP_DROP_TLS_RATE, now);
		return false;
	}
	/* A source with a connection open is not forgotten: its count must stay right. */
	if (e->conns++ == 0)
		lru_unlink(lim, i);
	*counted = true;
	return true;
}

void
tp_limits_conn_gone(struct tp_limits *lim, const struct sa *src)
{
	uint32_t i = src_get(lim, src, 0, false);
	struct src *e;

	if (i == 0)
		return;
	e = &lim->s[i - 1];
	if (e->conns > 0 && --e->conns == 0)
		lru_append(lim, i);
}

void
tp_limits_sweep(struct tp_limits *lim, uint64_t now)
{
	uint64_t banned = 0;
	uint32_t i;

	/* A table of fixed size scanned once a second: tens of microseconds. */
	for (i = 0; i < lim->conf.max_sources; i++)
		if (lim->s[i].used && lim->s[i].ban_until > now)
			banned++;
	metric_set(lim->m->banned, banned);
	metric_set(lim->m->sources, lim->nused);
}

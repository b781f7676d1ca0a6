/* SPDX-License-Identifier: BSD-2-Clause */
/* ng reply cache: seeded hash table on (source, cookie) plus an age-ordered list. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cookie_cache.h"

#define BUCKETS_MAX ((size_t)1 << 20)

struct entry {
	struct entry *hnext;          /* hash chain */
	struct entry *older, *newer;  /* age list, oldest at c->oldest */
	uint64_t hash;
	uint64_t created_ms;          /* when the request first arrived */
	size_t src_len, cookie_len, command_len, call_id_len;
	char *reply;                  /* owned; NULL while in progress */
	size_t reply_len;
	char key[];                   /* src, cookie, command, call-id back to back */
};

struct ng_cookie_cache {
	struct entry **buckets;
	size_t mask;                  /* bucket count - 1 (a power of two) */
	size_t count;
	size_t max_entries;
	uint64_t ttl_ms;
	uint64_t seed;                /* random, so peers cannot aim at one chain */
	struct entry *oldest, *newest;
};

static uint64_t
rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t w;
	size_t i;

	h ^= mix(n + 0x9e3779b97f4a7c15ULL);
	while (n >= 8) {
		memcpy(&w, b, 8);
		h = rotl(h ^ (w * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
		b += 8;
		n -= 8;
	}
	w = 0;
	for (i = 0; i < n; i++)
		w |= (uint64_t)b[i] << (8 * i);
	h = rotl(h ^ (w * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
	return mix(h);
}

static uint64_t
key_hash(const struct ng_cookie_cache *c, const void *src, size_t src_len,
    const char *cookie, size_t cookie_len)
{
	return hash_bytes(hash_bytes(c->seed, src, src_len), cookie, cookie_len);
}

static bool
entry_matches(const struct entry *e, uint64_t h, const void *src, size_t src_len,
    const char *cookie, size_t cookie_len)
{
	return e->hash == h && e->src_len == src_len && e->cookie_len == cookie_len &&
	    (src_len == 0 || memcmp(e->key, src, src_len) == 0) &&
	    (cookie_len == 0 || memcmp(e->key + src_len, cookie, cookie_len) == 0);
}

int
ng_cookie_cache_alloc(struct ng_cookie_cache **cp, size_t max_entries, uint64_t ttl_ms)
{
	struct ng_cookie_cache *c;
	size_t nb = 16;
	int err = 0;

	if (cp == NULL || max_entries == 0 || ttl_ms == 0)
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	while (nb < max_entries && nb < BUCKETS_MAX)
		nb <<= 1;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		err = ENOMEM;
		goto out;
	}
	c->mask = nb - 1;
	c->max_entries = max_entries;
	c->ttl_ms = ttl_ms;
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) != (ssize_t)sizeof(c->seed))
		c->seed = mix((uint64_t)(uintptr_t)c ^ (uint64_t)time(NULL));
 out:
	if (err) {
		free(c->buckets);
		free(c);
	} else {
		*cp = c;
	}
	return err;
}

static void
entry_unlink(struct ng_cookie_cache *c, struct entry *e)
{
	struct entry **pp;

	for (pp = &c->buckets[e->hash & c->mask]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->count--;
	free(e->reply);
	free(e);
}

void
ng_cookie_cache_free(struct ng_cookie_cache *c)
{
	struct entry *e, *next;

	if (c == NULL)
		return;
	for (e = c->oldest; e != NULL; e = next) {
		next = e->newer;
		free(e->reply);
		free(e);
	}
	free(c->buckets);
	free(c);
}

size_t
ng_cookie_cache_expire(struct ng_cookie_cache *c, uint64_t now_ms)
{
	size_t n = 0;

	/* The list is in arrival order, so the expired entries are a prefix. */
	while (c->oldest != NULL && now_ms >= c->oldest->created_ms &&
	    now_ms - c->oldest->created_ms >= c->ttl_ms) {
		entry_unlink(c, c->oldest);
		n++;
	}
	return n;
}

size_t
ng_cookie_cache_count(const struct ng_cookie_cache *c)
{
	return c->count;
}

static struct entry *
entry_find(const struct ng_cookie_cache *c, uint64_t h, const void *src, size_t src_len,
    const char *cookie, size_t cookie_len)
{
	struct entry *e;

	for (e = c->buckets[h & c->mask]; e != NULL; e = e->hnext) {
		if (entry_matches(e, h, src, src_len, cookie, cookie_len))
			return e;
	}
	return NULL;
}

static bool
field_eq(const char *stored, size_t stored_len, const char *s, size_t len)
{
	return stored_len == len && (len == 0 || memcmp(stored, s, len) == 0);
}

/* Adds an in-progress entry at the young end; false if memory ran out. */
static bool
entry_add(struct ng_cookie_cache *c, uint64_t h, const void *src, size_t src_len,
    const char *cookie, size_t cookie_len, const char *command, size_t command_len,
    const char *call_id, size_t call_id_len, uint64_t now_ms)
{
	struct entry *e;
	size_t total;
	char *p;

	if (src_len > SIZE_MAX / 4 || cookie_len > SIZE_MAX / 4 ||
	    command_len > SIZE_MAX / 4 || call_id_len > SIZE_MAX / 4)
		return false;
	total = src_len + cookie_len + command_len + call_id_len;
	if (total > SIZE_MAX - sizeof(*e))
		return false;
	while (c->count >= c->max_entries)
		entry_unlink(c, c->oldest);
	e = malloc(sizeof(*e) + total);
	if (e == NULL)
		return false;
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->created_ms = now_ms;
	e->src_len = src_len;
	e->cookie_len = cookie_len;
	e->command_len = command_len;
	e->call_id_len = call_id_len;
	p = e->key;
	if (src_len)
		memcpy(p, src, src_len);
	p += src_len;
	if (cookie_len)
		memcpy(p, cookie, cookie_len);
	p += cookie_len;
	if (command_len)
		memcpy(p, command, command_len);
	p += command_len;
	if (call_id_len)
		memcpy(p, call_id, call_id_len);

	e->hnext = c->buckets[h & c->mask];
	c->buckets[h & c->mask] = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->count++;
	return true;
}

enum ng_cookie_result
ng_cookie_cache_lookup(struct ng_cookie_cache *c,
    const void *src, size_t src_len, const char *cookie, size_t cookie_len,
    const char *command, size_t command_len, const char *call_id, size_t call_id_len,
    uint64_t now_ms, const char **reply, size_t *reply_len)
{
	enum ng_cookie_result res = NG_COOKIE_MISS;
	struct entry *e;
	const char *stored;
	uint64_t h;

	if ((src == NULL && src_len) || (cookie == NULL && cookie_len) ||
	    (command == NULL && command_len) || (call_id == NULL && call_id_len))
		return NG_COOKIE_MISS;
	ng_cookie_cache_expire(c, now_ms);
	h = key_hash(c, src, src_len, cookie, cookie_len);
	e = entry_find(c, h, src, src_len, cookie, cookie_len);
	if (e != NULL) {
		stored = e->key + e->src_len + e->cookie_len;
		if (field_eq(stored, e->command_len, command, command_len) &&
		    field_eq(stored + e->command_len, e->call_id_len, call_id, call_id_len)) {
			if (e->reply == NULL)
				return NG_COOKIE_IN_PROGRESS;
			if (reply != NULL)
				*reply = e->reply;
			if (reply_len != NULL)
				*reply_len = e->reply_len;
			return NG_COOKIE_HIT;
		}
		/* Another request reusing the cookie: it replaces the old entry so a
		 * retransmission of the new one is answered with its own reply. */
		entry_unlink(c, e);
		res = NG_COOKIE_COLLISION;
	}
	/* Out of memory: the command still runs, only its retransmissions are
	 * not deduplicated (store() then reports ENOENT). */
	entry_add(c, h, src, src_len, cookie, cookie_len, command, command_len,
	    call_id, call_id_len, now_ms);
	return res;
}

int
ng_cookie_cache_store(struct ng_cookie_cache *c, const void *src, size_t src_len,
    const char *cookie, size_t cookie_len, const char *reply, size_t reply_len, uint64_t now_ms)
{
	struct entry *e;
	char *copy;

	if ((src == NULL && src_len) || (cookie == NULL && cookie_len) ||
	    (reply == NULL && reply_len))
		return EINVAL;
	ng_cookie_cache_expire(c, now_ms);
	e = entry_find(c, key_hash(c, src, src_len, cookie, cookie_len),
	    src, src_len, cookie, cookie_len);
	if (e == NULL)
		return ENOENT;
	copy = malloc(reply_len ? reply_len : 1);
	if (copy == NULL)
		return ENOMEM;
	if (reply_len)
		memcpy(copy, reply, reply_len);
	free(e->reply);
	e->reply = copy;
	e->reply_len = reply_len;
	return 0;
}

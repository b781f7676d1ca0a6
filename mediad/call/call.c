/* SPDX-License-Identifier: BSD-2-Clause */
/* The call model: calls by Call-ID, their two monologues (tags) and per m= line media. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "call.h"

/* FNV-1a: call-ids come from the network, but the table is bounded by max_sessions
 * and chains stay short for honest clients; a hostile control client is not in scope
 * because only allow-listed sources reach us. */
static size_t
hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

int
call_table_init(struct call_table *t, size_t nbuckets, call_destroy_h *h, void *arg)
{
	memset(t, 0, sizeof(*t));
	if (nbuckets == 0)
		return EINVAL;
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL)
		return ENOMEM;
	t->nbuckets = nbuckets;
	t->destroy_h = h;
	t->arg = arg;
	return 0;
}

void
call_table_clear(struct call_table *t)
{
	while (t->head != NULL)
		call_destroy(t->head);
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = 0;
}

struct call *
call_find(struct call_table *t, const char *call_id, size_t len)
{
	struct call *c;

	if (t->nbuckets == 0)
		return NULL;
	for (c = t->buckets[hash_str(call_id, len) % t->nbuckets]; c != NULL; c = c->hnext)
		if (strlen(c->call_id) == len && memcmp(c->call_id, call_id, len) == 0)
			return c;
	return NULL;
}

int
call_create(struct call_table *t, const char *call_id, size_t len, struct call **cp)
{
	struct call *c;
	struct timeval tv;
	size_t b;

	if (call_find(t, call_id, len) != NULL)
		return EEXIST;
	if (memchr(call_id, '\0', len) != NULL)
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	c->call_id = malloc(len + 1);
	if (c->call_id == NULL) {
		free(c);
		return ENOMEM;
	}
	memcpy(c->call_id, call_id, len);
	c->call_id[len] = '\0';
	gettimeofday(&tv, NULL);
	c->created = tv.tv_sec;
	c->created_us = tv.tv_usec;
	c->last_signal = tv.tv_sec;
	c->state = CALL_STATE_OFFERED;
	c->table = t;

	b = hash_str(call_id, len) % t->nbuckets;
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	c->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
	t->count++;
	*cp = c;
	return 0;
}

static void
call_unlink(struct call *c)
{
	struct call_table *t = c->table;
	struct call **pp;

	for (pp = &t->buckets[hash_str(c->call_id, strlen(c->call_id)) % t->nbuckets];
	    *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	t->count--;
}

void
call_destroy(struct call *c)
{
	struct call_table *t = c->table;
	unsigned i;

	call_unlink(c);
	/* The hook frees relay media (closing fds) and releases ports; it must run
	 * before the monologues that describe those ports go. */
	if (t->destroy_h != NULL)
		t->destroy_h(c, t->arg);
	for (i = 0; i < 2; i++)
		monologue_free(c->mono[i]);
	free(c->call_id);
	free(c);
}

struct monologue *
call_mono_by_tag(struct call *c, const char *tag, size_t len)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		struct monologue *m = c->mono[i];

		if (m != NULL && strlen(m->tag) == len && memcmp(m->tag, tag, len) == 0)
			return m;
	}
	return NULL;
}

int
call_mono_index(const struct call *c, const struct monologue *m)
{
	if (m == NULL)
		return -1;
	if (c->mono[0] == m)
		return 0;
	if (c->mono[1] == m)
		return 1;
	return -1;
}

int
monologue_set_str(char **field, const char *s, size_t len)
{
	char *n;

	if (s == NULL) {
		free(*field);
		*field = NULL;
		return 0;
	}
	n = malloc(len + 1);
	if (n == NULL)
		return ENOMEM;
	memcpy(n, s, len);
	n[len] = '\0';
	free(*field);
	*field = n;
	return 0;
}

bool
call_media_srtp(const struct call_media *cm)
{
	return sdp_proto_is_secure(cm->proto) || cm->osrtp;
}

void
call_media_refuse(struct call_media *cm)
{
	cm->rejected = cm->disabled = true;
	memset(&cm->remote_rtp, 0, sizeof(cm->remote_rtp));
	memset(&cm->remote_rtcp, 0, sizeof(cm->remote_rtcp));
}

int
monologue_alloc(struct monologue **mp, const char *tag, size_t len, struct mediad_iface *iface)
{
	struct monologue *m;
	unsigned i;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	if (monologue_set_str(&m->tag, tag != NULL ? tag : "", tag != NULL ? len : 0)) {
		free(m);
		return ENOMEM;
	}
	m->iface = iface;
	m->created = (int64_t)time(NULL);
	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		m->media[i].ports.fd_rtp = -1;
		m->media[i].ports.fd_rtcp = -1;
	}
	*mp = m;
	return 0;
}

void
monologue_free(struct monologue *m)
{
	if (m == NULL)
		return;
	/* Keys live in the media array: wipe them before the memory is reused. */
	explicit_bzero(m->media, sizeof(m->media));
	free(m->tag);
	free(m->via_branch);
	free(m->label);
	free(m);
}

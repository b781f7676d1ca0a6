/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's media ports by local address: which socket of which media a datagram that the
 * shared receive socket got was sent to (open addressing, worker thread only). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "relay_int.h"

#define PORTS_MIN_SLOTS 64u

int
relay_port_key_from_sa(struct relay_port_key *k, const struct sa *a)
{
	memset(k, 0, sizeof(*k));
	switch (sa_family(a)) {
	case AF_INET:
		memcpy(&k->ip[0], &a->u.in.sin_addr, 4);
		break;
	case AF_INET6:
		memcpy(k->ip, &a->u.in6.sin6_addr, 16);
		break;
	default:
		return EAFNOSUPPORT;
	}
	k->family = (uint16_t)sa_family(a);
	k->port = sa_port(a);
	return 0;
}

static bool
key_eq(const struct relay_port_key *x, const struct relay_port_key *y)
{
	return x->port == y->port && x->family == y->family && x->ip[0] == y->ip[0] &&
	    x->ip[1] == y->ip[1] && x->ip[2] == y->ip[2] && x->ip[3] == y->ip[3];
}

static unsigned
key_hash(const struct relay_port_key *k)
{
	uint32_t h = k->port * 0x9e3779b1u;

	h ^= (k->ip[0] ^ k->ip[1] ^ k->ip[2] ^ k->ip[3]) * 0x85ebca6bu;
	h ^= h >> 15;
	return h;
}

struct relay_sock *
relay_ports_find(const struct relay_ports *t, const struct relay_port_key *k)
{
	unsigned i;

	if (t->n == 0)
		return NULL;
	for (i = key_hash(k) & t->mask; t->slot[i].sock != NULL; i = (i + 1) & t->mask)
		if (key_eq(&t->slot[i].key, k))
			return t->slot[i].sock;
	return NULL;
}

static void
insert(struct relay_port_slot *slot, unsigned mask, const struct relay_port_key *k,
    struct relay_sock *s)
{
	unsigned i;

	for (i = key_hash(k) & mask; slot[i].sock != NULL; i = (i + 1) & mask)
		if (key_eq(&slot[i].key, k))
			break;
	slot[i].key = *k;
	slot[i].sock = s;
}

/* Keeps the load at most one half, so probes stay short. */
static int
grow(struct relay_ports *t)
{
	unsigned nslots = t->slot == NULL ? PORTS_MIN_SLOTS : (t->mask + 1u) * 2u, i;
	struct relay_port_slot *ns;

	ns = calloc(nslots, sizeof(*ns));
	if (ns == NULL)
		return ENOMEM;
	for (i = 0; t->slot != NULL && i <= t->mask; i++)
		if (t->slot[i].sock != NULL)
			insert(ns, nslots - 1u, &t->slot[i].key, t->slot[i].sock);
	free(t->slot);
	t->slot = ns;
	t->mask = nslots - 1u;
	return 0;
}

int
relay_ports_add(struct relay_ports *t, const struct relay_port_key *k, struct relay_sock *s)
{
	int err;

	if (t->slot == NULL || (t->n + 1u) * 2u > t->mask + 1u) {
		err = grow(t);
		if (err)
			return err;
	}
	if (relay_ports_find(t, k) == NULL)
		t->n++;
	insert(t->slot, t->mask, k, s);
	return 0;
}

void
relay_ports_del(struct relay_ports *t, const struct relay_port_key *k)
{
	unsigned i, j, home;

	if (t->n == 0)
		return;
	for (i = key_hash(k) & t->mask; t->slot[i].sock != NULL; i = (i + 1) & t->mask)
		if (key_eq(&t->slot[i].key, k))
			break;
	if (t->slot[i].sock == NULL)
		return;
	/* Backward shift: later entries of the same probe run move up, no tombstones. */
	for (j = (i + 1) & t->mask; t->slot[j].sock != NULL; j = (j + 1) & t->mask) {
		home = key_hash(&t->slot[j].key) & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	memset(&t->slot[i], 0, sizeof(t->slot[i]));
	t->n--;
}

void
relay_ports_free(struct relay_ports *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

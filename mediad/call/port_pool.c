/* SPDX-License-Identifier: BSD-2-Clause */
/* Even/odd UDP port pairs from a configured range on one local address, bound on take. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "sock.h"

struct port_pool {
	struct sa addr;          /* local address, port ignored */
	uint16_t first;          /* first even port */
	unsigned npairs;
	unsigned in_use;
	unsigned cursor;         /* next pair index to try */
	unsigned char *used;     /* one byte per pair */
};

int
port_pool_alloc(struct port_pool **pp, const struct sa *addr, uint16_t min, uint16_t max)
{
	struct port_pool *p;
	unsigned first, npairs;

	if (addr == NULL || (sa_family(addr) != AF_INET && sa_family(addr) != AF_INET6))
		return EINVAL;
	first = (min + 1u) & ~1u;      /* round up to even */
	if (min == 0 || max < first + 1u)
		return EINVAL;
	npairs = (max - first + 1u) / 2u;
	if (npairs == 0)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ENOMEM;
	p->used = calloc(npairs, 1);
	if (p->used == NULL) {
		free(p);
		return ENOMEM;
	}
	p->addr = *addr;
	p->first = (uint16_t)first;
	p->npairs = npairs;
	*pp = p;
	return 0;
}

void
port_pool_free(struct port_pool *p)
{
	if (p == NULL)
		return;
	free(p->used);
	free(p);
}

static int
bind_one(const struct sa *base, uint16_t port, int *fdp)
{
	struct sa a = *base;

	sa_set_port(&a, port);
	return sock_udp_bind(&a, 0, fdp);
}

/* Binds pair i (its RTP port and the next) into out and marks it used; 0 or an errno. */
static int
pair_bind(struct port_pool *p, unsigned i, struct port_pair *out)
{
	uint16_t port = (uint16_t)(p->first + 2u * i);
	int fd_rtp, fd_rtcp, err;

	err = bind_one(&p->addr, port, &fd_rtp);
	if (err)
		return err;
	err = bind_one(&p->addr, (uint16_t)(port + 1u), &fd_rtcp);
	if (err) {
		close(fd_rtp);
		return err;
	}
	p->used[i] = 1;
	p->in_use++;
	out->port = port;
	out->fd_rtp = fd_rtp;
	out->fd_rtcp = fd_rtcp;
	return 0;
}

int
port_pool_take(struct port_pool *p, struct port_pair *out)
{
	unsigned tried;

	if (p->in_use >= p->npairs)
		return ENOSPC;
	for (tried = 0; tried < p->npairs; tried++) {
		unsigned i = p->cursor;

		p->cursor = (p->cursor + 1u) % p->npairs;
		/* A port held by another process is skipped, not fatal: try the next pair. */
		if (!p->used[i] && pair_bind(p, i, out) == 0)
			return 0;
	}
	return ENOSPC;
}

int
port_pool_take_port(struct port_pool *p, uint16_t port, struct port_pair *out)
{
	unsigned i;

	if (port < p->first || (port - p->first) % 2u)
		return EINVAL;
	i = (unsigned)(port - p->first) / 2u;
	if (i >= p->npairs)
		return EINVAL;
	if (p->used[i])
		return EADDRINUSE;
	return pair_bind(p, i, out);
}

void
port_pool_release(struct port_pool *p, uint16_t port)
{
	unsigned i;

	if (p == NULL || port < p->first || (port - p->first) % 2u)
		return;
	i = (unsigned)(port - p->first) / 2u;
	if (i >= p->npairs || !p->used[i])
		return;
	p->used[i] = 0;
	p->in_use--;
}

void
port_pair_release(struct port_pool *p, struct port_pair *pair)
{
	if (pair->fd_rtp >= 0)
		close(pair->fd_rtp);
	if (pair->fd_rtcp >= 0)
		close(pair->fd_rtcp);
	pair->fd_rtp = pair->fd_rtcp = -1;
	port_pool_release(p, pair->port);
	pair->port = 0;
}

unsigned
port_pool_in_use(const struct port_pool *p)
{
	return p->in_use;
}

unsigned
port_pool_size(const struct port_pool *p)
{
	return p->npairs;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The xdp style's next hops: route and neighbour of a destination asked from the kernel over
 * rtnetlink, cached per destination by each worker (no netlink on a hit). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "relay_int.h"

/* A resolved next hop is trusted this long; an unresolved one is asked again after this. */
#define NH_TTL_MS 5000
#define NH_RETRY_MS 200

int
relay_nh_open(struct relay_nh_cache *c)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (c->fd < 0)
		return errno;
	/* A kernel answer is immediate; never block the worker long on a lost one. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int err = errno;

		close(c->fd);
		c->fd = -1;
		return err;
	}
	return 0;
}

void
relay_nh_close(struct relay_nh_cache *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

struct nl_req {
	struct nlmsghdr h;
	union {
		struct rtmsg rt;
		struct ndmsg nd;
	} u;
	uint8_t attrs[64];
};

static void
attr_put(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends r and reads its one answer into buf; 0, or errno (the kernel's NLMSG_ERROR too). */
static int
nl_ask(struct relay_nh_cache *c, struct nl_req *r, uint8_t *buf, size_t cap,
    struct nlmsghdr **ans)
{
	ssize_t n;

	r->h.nlmsg_flags = NLM_F_REQUEST;
	r->h.nlmsg_seq = ++c->seq;
	if (send(c->fd, r, r->h.nlmsg_len, 0) < 0)
		return errno;
	for (;;) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		n = recv(c->fd, buf, cap, 0);
		if (n < 0)
			return errno;
		for (; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != c->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? -e->error : ENOENT;
			}
			*ans = h;
			return 0;
		}
	}
}

/* Route to dst: out interface and the address whose link-layer address we need. */
static int
route_get(struct relay_nh_cache *c, const struct sa *dst, int *oif, uint8_t *hop, size_t *hl)
{
	struct nl_req r;
	uint8_t buf[4096];
	struct nlmsghdr *h;
	struct rtattr *a;
	int len, err, f = sa_family(dst);
	size_t al = f == AF_INET6 ? 16 : 4;
	const void *ip = f == AF_INET6 ? (const void *)&dst->u.in6.sin6_addr :
	    (const void *)&dst->u.in.sin_addr;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = RTM_GETROUTE;
	r.u.rt.rtm_family = (unsigned char)f;
	r.u.rt.rtm_dst_len = (unsigned char)(al * 8);
	attr_put(&r, RTA_DST, ip, al);
	err = nl_ask(c, &r, buf, sizeof(buf), &h);
	if (err)
		return err;
	if (h->nlmsg_type != RTM_NEWROUTE)
		return ENOENT;
	*oif = 0;
	memcpy(hop, ip, al);   /* on-link unless a gateway says otherwise */
	*hl = al;
	len = (int)RTM_PAYLOAD(h);
	for (a = RTM_RTA(NLMSG_DATA(h)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
			memcpy(oif, RTA_DATA(a), sizeof(int));
		else if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == al)
			memcpy(hop, RTA_DATA(a), al);
	}
	return *oif > 0 ? 0 : ENOENT;
}

/* Link-layer address of hop on oif, when the kernel has a usable one. */
static int
neigh_get(struct relay_nh_cache *c, int f, int oif, const uint8_t *hop, size_t hl, uint8_t *mac)
{
	struct nl_req r;
	uint8_t buf[4096];
	struct nlmsghdr *h;
	struct rtattr *a;
	const struct ndmsg *nd;
	int len, err;
	bool got = false;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg));
	r.h.nlmsg_type = RTM_GETNEIGH;
	r.u.nd.ndm_family = (unsigned char)f;
	r.u.nd.ndm_ifindex = oif;
	attr_put(&r, NDA_DST, hop, hl);
	err = nl_ask(c, &r, buf, sizeof(buf), &h);
	if (err)
		return err;
	if (h->nlmsg_type != RTM_NEWNEIGH)
		return ENOENT;
	nd = NLMSG_DATA(h);
	/* Incomplete or failed: the kernel path (raw send) resolves it meanwhile. */
	if (!(nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE |
	    NUD_PERMANENT | NUD_NOARP)))
		return EAGAIN;
	len = (int)RTM_PAYLOAD(h);
	for (a = (struct rtattr *)((uint8_t *)nd + NLMSG_ALIGN(sizeof(*nd))); RTA_OK(a, len);
	    a = RTA_NEXT(a, len))
		if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
			memcpy(mac, RTA_DATA(a), 6);
			got = true;
		}
	return got ? 0 : ENOENT;
}

const struct relay_nh *
relay_nh_get(struct relay_nh_cache *c, const struct sa *dst, uint64_t now_ms)
{
	struct relay_port_key k;
	struct relay_nh *e;
	uint8_t hop[16];
	size_t hl;
	unsigned h;
	int oif;

	if (c->fd < 0 || relay_port_key_from_sa(&k, dst) != 0)
		return NULL;
	k.port = 0;
	h = (k.ip[0] ^ k.ip[1] ^ k.ip[2] ^ k.ip[3]) * 0x9e3779b1u;
	h ^= h >> 16;
	e = &c->e[h % RELAY_NH_SLOTS];
	if (e->expires_ms > now_ms && memcmp(&e->dst, &k, sizeof(k)) == 0)
		return e->ok ? e : NULL;
	/* A miss or an expired entry: ask the kernel (off the common path: once per hop). */
	memset(e, 0, sizeof(*e));
	e->dst = k;
	e->expires_ms = now_ms + NH_RETRY_MS;
	c->lookups++;
	if (route_get(c, dst, &oif, hop, &hl) != 0 ||
	    neigh_get(c, sa_family(dst), oif, hop, hl, e->mac) != 0)
		return NULL;
	e->ifindex = oif;
	e->ok = true;
	e->expires_ms = now_ms + NH_TTL_MS;
	return e;
}

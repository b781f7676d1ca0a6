/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's packet path in the xdp style: frames from its AF_XDP sockets parsed, decided by
 * the same per-packet code, rewritten and sent on the socket of the egress interface, or
 * through the kernel (the batched style's raw socket) when that cannot be. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "relay_int.h"
#include "timeutil.h"

int
relay_io_frame_parse(const struct relay_xsk_pkt *p, struct relay_port_key *k, struct sa *src,
    size_t *off, size_t *plen)
{
	const uint8_t *d = p->data, *udp;
	size_t ul;

	memset(k, 0, sizeof(*k));
	memset(src, 0, sizeof(*src));
	if (p->len < 14 + 20 + 8)
		return EBADMSG;
	if (d[12] == 0x08 && d[13] == 0x00) {
		if (d[14] != 0x45 || d[23] != IPPROTO_UDP || ((d[20] & 0x3f) | d[21]) != 0)
			return EBADMSG;
		k->family = AF_INET;
		memcpy(&k->ip[0], d + 30, 4);
		src->u.in.sin_family = AF_INET;
		memcpy(&src->u.in.sin_addr, d + 26, 4);
		src->len = sizeof(src->u.in);
		*off = 14 + 20 + 8;
	} else if (d[12] == 0x86 && d[13] == 0xdd) {
		if (p->len < 14 + 40 + 8 || d[20] != IPPROTO_UDP)
			return EBADMSG;
		k->family = AF_INET6;
		memcpy(k->ip, d + 38, 16);
		src->u.in6.sin6_family = AF_INET6;
		memcpy(&src->u.in6.sin6_addr, d + 22, 16);
		src->len = sizeof(src->u.in6);
		*off = 14 + 40 + 8;
	} else {
		return EBADMSG;
	}
	udp = d + *off - 8;
	ul = (size_t)udp[4] << 8 | udp[5];
	if (ul < 8 || *off - 8 + ul > p->len)
		return EBADMSG;
	k->port = (uint16_t)(udp[2] << 8 | udp[3]);
	/* Both in network order, as a sockaddr holds them. */
	memcpy(k->family == AF_INET ? (void *)&src->u.in.sin_port : (void *)&src->u.in6.sin6_port,
	    udp, 2);
	*plen = ul - 8;
	return 0;
}

/* This worker's AF_XDP socket on interface ifindex, or NULL. */
static struct relay_xsk *
xsk_on(struct relay_io *io, int ifindex)
{
	unsigned i;

	for (i = 0; i < RELAY_XDP_MAX_IF; i++)
		if (io->xsk[i] != NULL && relay_xsk_iface(io->xsk[i])->ifindex == ifindex)
			return io->xsk[i];
	return NULL;
}

/*
 * Sends a relayed payload (at pay, fwd->len bytes, inside the received frame p of x) out of
 * an AF_XDP socket when the next hop is on one of this worker's (in place when it is x's
 * own and the headers fit, else copied to a frame of the other socket). Returns false when
 * it cannot (unknown next hop, no frame), the frame p still the caller's.
 */
static bool
xsk_send(struct relay_io *io, struct relay_xsk *x, const struct relay_xsk_pkt *p,
    uint8_t *pay, const struct relay_fwd *fwd, uint64_t now_ms, struct relay_tally *t)
{
	const struct relay_nh *nh = relay_nh_get(&io->nh, fwd->dst, now_ms);
	struct relay_xsk *out = nh != NULL ? xsk_on(io, nh->ifindex) : NULL;
	size_t hl = 14 + (sa_family(fwd->dst) == AF_INET6 ? 40 : 20) + 8;
	uint8_t *f;
	uint64_t addr;

	if (out == NULL || sa_family(fwd->src) != sa_family(fwd->dst))
		return false;
	if (out == x && (size_t)(pay - p->data) >= hl) {
		f = pay - hl;
		addr = p->addr + (uint64_t)(f - p->data);
	} else {
		f = relay_xsk_frame(out, &addr);
		if (f == NULL)
			return false;
		memcpy(f + hl, pay, fwd->len);
		relay_xsk_free(x, p->addr);
	}
	memcpy(f, nh->mac, 6);
	memcpy(f + 6, relay_xsk_iface(out)->mac, 6);
	f[12] = sa_family(fwd->dst) == AF_INET6 ? 0x86 : 0x08;
	f[13] = sa_family(fwd->dst) == AF_INET6 ? 0xdd : 0x00;
	(void)relay_raw_header_full(f + 14, fwd->src, fwd->dst, f + hl, fwd->len);
	if (!relay_xsk_tx(out, addr, (uint32_t)(hl + fwd->len))) {
		relay_xsk_free(out, addr);
		fwd->in_ctr->drops[RELAY_DROP_SEND]++;
		t->drops[RELAY_DROP_SEND]++;
		return true;
	}
	fwd->out_ctr->packets_out++;
	fwd->out_ctr->bytes_out += fwd->len;
	t->packets_out++;
	t->bytes_out += fwd->len;
	t->xdp_tx++;
	return true;
}

void
relay_io_drain_xsk(struct relay_io *io, unsigned xi)
{
	struct relay_xsk *x = io->xsk[xi];
	struct relay_tally t;
	struct relay_pass pass;
	struct relay_fwd fwd;
	struct relay_port_key k;
	struct sa src;
	unsigned b, i, n, nout, j;
	size_t off, plen;
	int why;

	memset(&t, 0, sizeof(t));
	pass.now_ms = time_mono_ms();
	pass.rl_latch = &io->rl_latch;
	pass.rl_drop = &io->rl_drop;
	for (b = 0; b < RELAY_WAKEUP_BATCHES; b++) {
		n = relay_xsk_rx(x, io->xpkt, RELAY_BATCH);
		nout = 0;
		for (i = 0; i < n; i++) {
			struct relay_xsk_pkt *p = &io->xpkt[i];
			struct relay_sock *s;

			t.xdp_rx++;
			t.packets_in++;
			if (relay_io_frame_parse(p, &k, &src, &off, &plen) != 0 ||
			    (s = relay_ports_find(&io->ports, &k)) == NULL) {
				t.unknown_port++;
				relay_xsk_free(x, p->addr);
				continue;
			}
			t.bytes_in += plen;
			why = relay_stream_process(s->media, s->leg, s->stream, p->data + off,
			    plen, p->cap - off, false, &src, &pass, &fwd);
			if (why >= 0) {
				t.drops[why]++;
				relay_xsk_free(x, p->addr);
				continue;
			}
			if (xsk_send(io, x, p, p->data + off, &fwd, pass.now_ms, &t))
				continue;
			/* Through the kernel: the raw socket of the batched style (or the port's). */
			memcpy(io->buf[nout], p->data + off, fwd.len);
			relay_xsk_free(x, p->addr);
			relay_io_tx_add(io, nout, nout, &fwd);
			nout++;
		}
		relay_io_flush(io, nout, &t, pass.now_ms);
		for (j = 0; j < RELAY_XDP_MAX_IF; j++)
			if (io->xsk[j] != NULL)
				t.send_calls += relay_xsk_flush(io->xsk[j]);
		if (n < RELAY_BATCH)
			break;
	}
	relay_io_tally_publish(io, &t);
}

/* xdp style: k to this worker's AF_XDP socket on its interface (add) or no more (del). */
void
relay_io_xdp_port(struct relay_io *io, const struct relay_port_key *k, bool add)
{
	struct relay_xdp_if *ifc = relay_xdp_iface_of(io->xdp, k);
	int err;

	if (ifc == NULL || xsk_on(io, ifc->ifindex) == NULL)
		return;
	if (!add) {
		relay_xdp_port_del(ifc, k);
		return;
	}
	/* Not fatal: the port keeps the batched path. */
	err = relay_xdp_port_add(ifc, k, io->idx);
	if (err && log_ratelimit_ok(&io->rl_sock, time_mono_ms()))
		log_warnx("relay_xdp_steer_failed worker=%u port=%u error=%d suppressed=%llu",
		    io->idx, k->port, err, io->rl_sock.suppressed);
}

/* xdp style: this worker's AF_XDP socket on every XDP interface (queue = worker index). */
int
relay_io_xdp_init(struct relay_io *io, char *why, size_t whysize)
{
	unsigned i;
	int err;

	err = relay_nh_open(&io->nh);
	if (err) {
		snprintf(why, whysize, "worker %u: rtnetlink: %s", io->idx, strerror(err));
		return err;
	}
	for (i = 0; i < io->xdp->nifs; i++) {
		err = relay_xsk_open(&io->xsk[i], &io->xdp->ifs[i], io->idx);
		/* Worker 0 needs queue 0; a further worker without its queue keeps the kernel
		 * path (the batched style) for its media. */
		if (err && io->idx == 0) {
			snprintf(why, whysize, "%s queue 0: AF_XDP socket: %s", io->xdp->ifs[i].name,
			    strerror(err));
			return err;
		}
	}
	return 0;
}


/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's packet path: drain a socket in batches, decide per packet, send in batches;
 * in the batched style from the worker's shared receive socket and out of a raw socket. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "compiler.h"
#include "metrics.h"
#include "relay_int.h"
#include "sock.h"
#include "timeutil.h"

/* What one shared receive socket may queue: all media of a worker share it. */
#define RELAY_SHARED_RCVBUF (8 << 20)

/* Per-wakeup sums, added to the metrics once at the end of the wakeup. */
struct relay_tally {
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t drops[RELAY_DROP_COUNT];
	uint64_t recv_calls, send_calls, unknown_port, steered, xdp_rx, xdp_tx;
};

static int
sock_namelen(int family)
{
	return family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) :
	    (int)sizeof(struct sockaddr_in);
}

/* Sends what the pass gathered: one sendmmsg per run of packets leaving the same socket. */
static void
io_flush(struct relay_io *io, unsigned n, struct relay_tally *t, uint64_t now_ms)
{
	unsigned start = 0, end, i;
	int ret;

	while (start < n) {
		end = start + 1;
		while (end < n && io->out[end].fd == io->out[start].fd)
			end++;
		i = start;
		while (i < end) {
			t->send_calls++;
			ret = sendmmsg(io->out[start].fd, &io->tx[i], end - i, MSG_DONTWAIT);
			if (ret < 0 && errno == EINTR)
				continue;
			if (unlikely(ret <= 0)) {
				/* The first datagram failed: count it and move past it. */
				io->out[i].in_ctr->drops[RELAY_DROP_SEND]++;
				t->drops[RELAY_DROP_SEND]++;
				if (log_ratelimit_ok(&io->rl_sock, now_ms))
					log_warn("relay_send_failed worker=%u suppressed=%llu",
					    io->idx, io->rl_sock.suppressed);
				i++;
				continue;
			}
			for (unsigned k = i; k < i + (unsigned)ret; k++) {
				io->out[k].out_ctr->packets_out++;
				io->out[k].out_ctr->bytes_out += io->out[k].len;
				t->packets_out++;
				t->bytes_out += io->out[k].len;
			}
			i += (unsigned)ret;
		}
		start = end;
	}
}

static void
tally_publish(struct relay_io *io, const struct relay_tally *t)
{
	unsigned d;

	io->tot_in += t->packets_in;
	io->tot_out += t->packets_out;
	io->tot_steered += t->steered;
	io->tot_xdp_rx += t->xdp_rx;
	io->tot_xdp_tx += t->xdp_tx;
	io->tot_unknown += t->unknown_port;
	if (io->met.packets_in == NULL)
		return;
	metric_add(io->met.packets_in, t->packets_in);
	metric_add(io->met.bytes_in, t->bytes_in);
	metric_add(io->met.packets_out, t->packets_out);
	metric_add(io->met.bytes_out, t->bytes_out);
	for (d = 0; d < RELAY_DROP_COUNT; d++)
		if (t->drops[d] != 0)
			metric_add(io->met.drops[d], t->drops[d]);
	metric_add(io->met.recv_calls, t->recv_calls);
	metric_add(io->met.send_calls, t->send_calls);
	if (t->unknown_port != 0)
		metric_add(io->met.unknown_port, t->unknown_port);
	if (t->steered != 0)
		metric_add(io->met.steered, t->steered);
	if (t->xdp_rx != 0)
		metric_add(io->met.xdp_rx, t->xdp_rx);
	if (t->xdp_tx != 0)
		metric_add(io->met.xdp_tx, t->xdp_tx);
	metric_set(io->met.nh_lookups, io->nh.lookups);
}

static void
rx_prepare(struct relay_io *io, bool ctl)
{
	unsigned i;

	for (i = 0; i < RELAY_BATCH; i++) {
		struct msghdr *h = &io->rx[i].msg_hdr;

		io->rx_iov[i].iov_base = io->buf[i];
		io->rx_iov[i].iov_len = RELAY_PKT_MAX;
		h->msg_name = &io->rx_addr[i];
		h->msg_namelen = sizeof(io->rx_addr[i]);
		h->msg_iov = &io->rx_iov[i];
		h->msg_iovlen = 1;
		h->msg_control = ctl ? io->rx_ctl[i] : NULL;
		h->msg_controllen = ctl ? RELAY_CTL_SIZE : 0;
		h->msg_flags = 0;
	}
}

/* Queues buf[i] (len bytes, decided into *fwd) as output slot n. */
static void
tx_add(struct relay_io *io, unsigned n, unsigned i, const struct relay_fwd *fwd)
{
	struct msghdr *h = &io->tx[n].msg_hdr;
	int f = sa_family(fwd->dst);
	int raw = io->raw_fd[RELAY_FAM_IDX(f)];
	size_t hl = 0;

	memset(&io->tx[n], 0, sizeof(io->tx[n]));
	if (raw >= 0)
		hl = relay_raw_header(io->tx_hdr[n], fwd->src, fwd->dst, io->buf[i], fwd->len);
	if (hl > 0) {
		/* The raw socket routes by the name's address; the port is in our header. */
		memcpy(&io->tx_name[n], &fwd->dst->u.ss, (size_t)sock_namelen(f));
		if (f == AF_INET6)
			((struct sockaddr_in6 *)&io->tx_name[n])->sin6_port = 0;
		else
			((struct sockaddr_in *)&io->tx_name[n])->sin_port = 0;
		io->tx_iov[n][0].iov_base = io->tx_hdr[n];
		io->tx_iov[n][0].iov_len = hl;
		io->tx_iov[n][1].iov_base = io->buf[i];
		io->tx_iov[n][1].iov_len = fwd->len;
		h->msg_name = &io->tx_name[n];
		h->msg_iovlen = 2;
		io->out[n].fd = raw;
	} else {
		io->tx_iov[n][0].iov_base = io->buf[i];
		io->tx_iov[n][0].iov_len = fwd->len;
		h->msg_name = (void *)(uintptr_t)&fwd->dst->u.sa;
		h->msg_iovlen = 1;
		io->out[n].fd = fwd->fd;
	}
	h->msg_namelen = (socklen_t)sock_namelen(f);
	h->msg_iov = io->tx_iov[n];
	io->out[n].len = fwd->len;
	io->out[n].out_ctr = fwd->out_ctr;
	io->out[n].in_ctr = fwd->in_ctr;
}

/* The destination a datagram was sent to, from IP(V6)_ORIGDSTADDR; EBADMSG without it. */
static int
rx_origdst(struct msghdr *h, struct relay_port_key *k)
{
	struct cmsghdr *c;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(in))) {
			memcpy(&in, CMSG_DATA(c), sizeof(in));
			memset(k, 0, sizeof(*k));
			k->ip[0] = in.sin_addr.s_addr;
			k->port = ntohs(in.sin_port);
			k->family = AF_INET;
			return 0;
		}
		if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR &&
		    c->cmsg_len >= CMSG_LEN(sizeof(in6))) {
			memcpy(&in6, CMSG_DATA(c), sizeof(in6));
			memcpy(k->ip, &in6.sin6_addr, 16);
			k->port = ntohs(in6.sin6_port);
			k->family = AF_INET6;
			return 0;
		}
	}
	return EBADMSG;
}

/*
 * Drains fd: per-port (port != NULL: every datagram is for that socket) or shared (the
 * socket comes from each datagram's original destination).
 */
static void
io_drain(struct relay_io *io, int fd, struct relay_sock *port)
{
	struct relay_tally t;
	struct relay_pass pass;
	struct relay_fwd fwd;
	struct relay_port_key k;
	struct sa src;
	unsigned b, i, nout;
	int n, why;

	memset(&t, 0, sizeof(t));
	pass.now_ms = time_mono_ms();
	pass.rl_latch = &io->rl_latch;
	pass.rl_drop = &io->rl_drop;
	for (b = 0; b < RELAY_WAKEUP_BATCHES; b++) {
		rx_prepare(io, port == NULL);
		t.recv_calls++;
		n = recvmmsg(fd, io->rx, RELAY_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    log_ratelimit_ok(&io->rl_sock, pass.now_ms))
				log_warn("relay_recv_failed worker=%u port=%u suppressed=%llu",
				    io->idx, port != NULL ?
				    port->media->leg[port->leg].local_port[port->stream] : 0,
				    io->rl_sock.suppressed);
			break;
		}
		nout = 0;
		for (i = 0; i < (unsigned)n; i++) {
			struct mmsghdr *h = &io->rx[i];
			struct relay_sock *s = port;

			t.packets_in++;
			t.bytes_in += h->msg_len;
			t.steered += s == NULL;
			if (s == NULL && (rx_origdst(&h->msg_hdr, &k) != 0 ||
			    (s = relay_ports_find(&io->ports, &k)) == NULL)) {
				/* Queued before its media left this worker, or not ours. */
				t.unknown_port++;
				continue;
			}
			sa_from_sockaddr(&src, (struct sockaddr *)&io->rx_addr[i],
			    h->msg_hdr.msg_namelen);
			why = relay_stream_process(s->media, s->leg, s->stream, io->buf[i],
			    h->msg_len, RELAY_BUF_SIZE,
			    (h->msg_hdr.msg_flags & MSG_TRUNC) != 0, &src, &pass, &fwd);
			if (why >= 0) {
				t.drops[why]++;
				continue;
			}
			tx_add(io, nout++, i, &fwd);
		}
		io_flush(io, nout, &t, pass.now_ms);
		if (n < RELAY_BATCH)
			break;
	}
	tally_publish(io, &t);
}

void
relay_io_drain_port(struct relay_io *io, struct relay_sock *s)
{
	io_drain(io, s->fd, s);
}

void
relay_io_drain_shared(struct relay_io *io, unsigned fi)
{
	io_drain(io, io->shared_fd[fi], NULL);
}

/*
 * An Ethernet frame with UDP over IPv4 (no options, not a fragment) or IPv6 (no extension
 * header), as the XDP program lets through: the port it was sent to, its source, and where
 * its UDP payload starts (*off) and how long it is.
 */
static int
xsk_parse(const struct relay_xsk_pkt *p, struct relay_port_key *k, struct sa *src,
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
			if (xsk_parse(p, &k, &src, &off, &plen) != 0 ||
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
			tx_add(io, nout, nout, &fwd);
			nout++;
		}
		io_flush(io, nout, &t, pass.now_ms);
		for (j = 0; j < RELAY_XDP_MAX_IF; j++)
			if (io->xsk[j] != NULL)
				t.send_calls += relay_xsk_flush(io->xsk[j]);
		if (n < RELAY_BATCH)
			break;
	}
	tally_publish(io, &t);
}

/* xdp style: k to this worker's AF_XDP socket on its interface (add) or no more (del). */
static void
xdp_port(struct relay_io *io, const struct relay_port_key *k, bool add)
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

void
relay_io_media_add(struct relay_io *io, struct relay_media *m)
{
	struct relay_port_key k;
	unsigned i, s;
	int err = 0, fd;

	if (io->bpf == NULL)
		return;
	for (i = 0; i < RELAY_LEG_COUNT; i++)
		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			struct relay_sock *rs = &m->leg[i].sock[s];

			if (rs->fd < 0 || relay_port_key_from_sa(&k, &m->leg[i].local[s]) != 0)
				continue;
			fd = io->shared_fd[RELAY_FAM_IDX(k.family)];
			if (fd < 0)
				continue;
			/* The table first: a datagram steered by the map must find its socket. */
			err = relay_ports_add(&io->ports, &k, rs);
			if (err == 0) {
				err = relay_bpf_port_add(io->bpf, &k, fd);
				if (err)
					relay_ports_del(&io->ports, &k);
			}
			if (err && log_ratelimit_ok(&io->rl_sock, time_mono_ms()))
				log_warnx("relay_steer_failed worker=%u port=%u error=%d (stays on "
				    "its own socket) suppressed=%llu", io->idx, k.port, err,
				    io->rl_sock.suppressed);
			else if (err == 0)
				xdp_port(io, &k, true);
		}
}

void
relay_io_media_del(struct relay_io *io, struct relay_media *m)
{
	struct relay_port_key k;
	unsigned i, s;

	if (io->bpf == NULL)
		return;
	for (i = 0; i < RELAY_LEG_COUNT; i++)
		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			if (m->leg[i].sock[s].fd < 0 ||
			    relay_port_key_from_sa(&k, &m->leg[i].local[s]) != 0 ||
			    relay_ports_find(&io->ports, &k) != &m->leg[i].sock[s])
				continue;
			/* The maps first: nothing new is steered to a port about to close. */
			xdp_port(io, &k, false);
			(void)relay_bpf_port_del(io->bpf, &k);
			relay_ports_del(&io->ports, &k);
		}
}

/* The worker's receive socket of a family: loopback, any port, told each datagram's
 * original destination. Only the sk_lookup map sends media here. */
static int
shared_open(int family, int *fdp)
{
	struct sa a;
	int fd, err, on = 1, sz = RELAY_SHARED_RCVBUF;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET6) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_addr = in6addr_loopback;
		a.len = sizeof(a.u.in6);
	} else {
		a.u.in.sin_family = AF_INET;
		a.u.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.len = sizeof(a.u.in);
	}
	err = sock_udp_bind(&a, 0, &fd);
	if (err)
		return err;
	/* Past rmem_max with CAP_NET_ADMIN, which this style has; else the plain request. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (family == AF_INET6)
		err = setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &on, sizeof(on));
	else
		err = setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &on, sizeof(on));
	if (err < 0) {
		err = errno;
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

static void
io_metrics(struct relay_io *io, struct metrics *reg)
{
	char lab[64], dl[RELAY_DROP_COUNT][64];
	struct metrics_def defs[4 + RELAY_DROP_COUNT + 4 + 3 + 1];
	unsigned d, n = 0;

	if (reg == NULL)
		return;
	snprintf(lab, sizeof(lab), "worker=\"%u\"", io->idx);
#define ROW(nm, ty, lb, hp, fld) defs[n++] = (struct metrics_def){ nm, ty, lb, hp, \
	offsetof(struct relay_io_metrics, fld) }
	ROW("sbc_relay_packets_in_total", METRICS_COUNTER, lab,
	    "Datagrams received on media sockets", packets_in);
	ROW("sbc_relay_bytes_in_total", METRICS_COUNTER, lab,
	    "Bytes received on media sockets", bytes_in);
	ROW("sbc_relay_packets_out_total", METRICS_COUNTER, lab,
	    "Datagrams relayed (sent)", packets_out);
	ROW("sbc_relay_bytes_out_total", METRICS_COUNTER, lab,
	    "Bytes relayed (sent, after SRTP protect)", bytes_out);
	for (d = 0; d < RELAY_DROP_COUNT; d++) {
		snprintf(dl[d], sizeof(dl[d]), "worker=\"%u\",reason=\"%s\"", io->idx,
		    relay_drop_name((enum relay_drop)d));
		ROW("sbc_relay_drops_total", METRICS_COUNTER, dl[d],
		    "Datagrams not relayed, by reason", drops[d]);
	}
	ROW("sbc_relay_recv_calls_total", METRICS_COUNTER, lab,
	    "recvmmsg system calls of the packet path (packets_in / this = batch size)",
	    recv_calls);
	ROW("sbc_relay_send_calls_total", METRICS_COUNTER, lab,
	    "sendmmsg system calls of the packet path", send_calls);
	ROW("sbc_relay_unknown_port_total", METRICS_COUNTER, lab,
	    "Datagrams on a worker's shared socket for a port it no longer relays",
	    unknown_port);
	ROW("sbc_relay_steered_total", METRICS_COUNTER, lab,
	    "Datagrams that reached the worker through its shared socket (batched style)",
	    steered);
	ROW("sbc_relay_xdp_rx_total", METRICS_COUNTER, lab,
	    "Datagrams received on the worker's AF_XDP sockets (xdp style)", xdp_rx);
	ROW("sbc_relay_xdp_tx_total", METRICS_COUNTER, lab,
	    "Datagrams sent on the worker's AF_XDP sockets (xdp style)", xdp_tx);
	ROW("sbc_relay_nexthop_lookups", METRICS_GAUGE, lab,
	    "Route and neighbour lookups asked from the kernel (xdp style)", nh_lookups);
#undef ROW
	defs[n] = (struct metrics_def){ NULL, 0, NULL, NULL, 0 };
	/* All or nothing: the packet path tests packets_in alone. */
	if (metrics_register_table(reg, defs, &io->met) != 0) {
		log_warnx("relay_metrics_unavailable worker=%u", io->idx);
		memset(&io->met, 0, sizeof(io->met));
	}
}

void
relay_io_log_totals(const struct relay_io *io, const char *style)
{
	log_info("relay_worker_stopped worker=%u io=%s packets_in=%llu packets_out=%llu "
	    "steered=%llu xdp_rx=%llu xdp_tx=%llu unknown_port=%llu nexthop_lookups=%llu",
	    io->idx, style, (unsigned long long)io->tot_in, (unsigned long long)io->tot_out,
	    (unsigned long long)io->tot_steered, (unsigned long long)io->tot_xdp_rx,
	    (unsigned long long)io->tot_xdp_tx, (unsigned long long)io->tot_unknown,
	    (unsigned long long)io->nh.lookups);
}

void
relay_io_fini(struct relay_io *io)
{
	unsigned f;

	for (f = 0; f < 2; f++) {
		if (io->shared_fd[f] >= 0)
			close(io->shared_fd[f]);
		if (io->raw_fd[f] >= 0)
			close(io->raw_fd[f]);
		io->shared_fd[f] = io->raw_fd[f] = -1;
	}
	for (f = 0; f < RELAY_XDP_MAX_IF; f++) {
		relay_xsk_close(io->xsk[f]);
		io->xsk[f] = NULL;
	}
	relay_nh_close(&io->nh);
	relay_ports_free(&io->ports);
}

/* xdp style: this worker's AF_XDP socket on every XDP interface (queue = worker index). */
static int
xdp_init(struct relay_io *io, char *why, size_t whysize)
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

int
relay_io_init(struct relay_io *io, unsigned idx, struct relay_bpf *bpf, struct relay_xdp *xdp,
    struct metrics *reg, char *why, size_t whysize)
{
	int err;

	io->idx = idx;
	io->bpf = bpf;
	io->xdp = xdp;
	io->nh.fd = -1;
	io->shared_fd[0] = io->shared_fd[1] = io->raw_fd[0] = io->raw_fd[1] = -1;
	io->rl_latch = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 20);
	io->rl_drop = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	io->rl_sock = (struct log_ratelimit)LOG_RATELIMIT_INIT(10000, 5);
	if (bpf != NULL) {
		err = shared_open(AF_INET, &io->shared_fd[0]);
		if (err == 0)
			err = relay_raw_open(AF_INET, &io->raw_fd[0]);
		if (err) {
			snprintf(why, whysize, "worker %u: %s socket: %s%s", idx,
			    io->shared_fd[0] < 0 ? "receive" : "raw send", strerror(err),
			    err == EPERM ? " (needs CAP_NET_RAW)" : "");
			relay_io_fini(io);
			return err;
		}
		/* IPv6 is optional: without it (no ::1 here) IPv6 media stay on their own
		 * sockets, whose datagrams the map never steers. */
		if (shared_open(AF_INET6, &io->shared_fd[1]) != 0 ||
		    relay_raw_open(AF_INET6, &io->raw_fd[1]) != 0) {
			if (io->shared_fd[1] >= 0)
				close(io->shared_fd[1]);
			io->shared_fd[1] = -1;
		}
	}
	if (xdp != NULL) {
		err = xdp_init(io, why, whysize);
		if (err) {
			relay_io_fini(io);
			return err;
		}
	}
	io_metrics(io, reg);
	return 0;
}

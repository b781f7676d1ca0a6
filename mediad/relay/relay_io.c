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
			relay_io_tx_add(io, nout++, i, &fwd);
		}
		relay_io_flush(io, nout, &t, pass.now_ms);
		if (n < RELAY_BATCH)
			break;
	}
	relay_io_tally_publish(io, &t);
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
				relay_io_xdp_port(io, &k, true);
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
			relay_io_xdp_port(io, &k, false);
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
		err = relay_io_xdp_init(io, why, whysize);
		if (err) {
			relay_io_fini(io);
			return err;
		}
	}
	relay_io_metrics(io, reg);
	return 0;
}

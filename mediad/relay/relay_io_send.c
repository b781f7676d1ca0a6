/* SPDX-License-Identifier: BSD-2-Clause */
/* A worker's output: datagrams gathered during a pass and sent in one sendmmsg per socket
 * (the raw socket of the batched style, or each port's own), and the per-wakeup tallies with
 * the worker's metric series. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "compiler.h"
#include "metrics.h"
#include "relay_int.h"

static int
sock_namelen(int family)
{
	return family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) :
	    (int)sizeof(struct sockaddr_in);
}

/* Sends what the pass gathered: one sendmmsg per run of packets leaving the same socket. */
void
relay_io_flush(struct relay_io *io, unsigned n, struct relay_tally *t, uint64_t now_ms)
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

void
relay_io_tally_publish(struct relay_io *io, const struct relay_tally *t)
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

/* Queues buf[i] (len bytes, decided into *fwd) as output slot n. */
void
relay_io_tx_add(struct relay_io *io, unsigned n, unsigned i, const struct relay_fwd *fwd)
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

void
relay_io_metrics(struct relay_io *io, struct metrics *reg)
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


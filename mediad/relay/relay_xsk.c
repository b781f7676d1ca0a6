/* SPDX-License-Identifier: BSD-2-Clause */
/* One AF_XDP socket of a worker: its UMEM of frames and the four rings (fill, receive,
 * transmit, completion). Frames are the worker's: received, relayed in place, sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_xdp.h>

#include <xdp/xsk.h>

#include "relay_int.h"

#define XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define XSK_FRAMES 4096u
#define XSK_RING 2048u

struct relay_xsk {
	struct relay_xdp_if *ifc;          /* borrowed; the relay's */
	unsigned queue;
	void *area;                        /* owned: XSK_FRAMES frames */
	struct xsk_umem *umem;             /* owned */
	struct xsk_socket *xsk;            /* owned */
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons rx, comp;
	uint64_t free[XSK_FRAMES];         /* frames neither in a ring nor being relayed */
	unsigned nfree;
	unsigned tx_queued;                /* reserved in tx since the last flush */
};

size_t
relay_xsk_frame_size(void)
{
	return XSK_FRAME_SIZE;
}

static void
refill(struct relay_xsk *s)
{
	uint32_t idx, n, i;

	n = xsk_prod_nb_free(&s->fill, s->nfree);
	if (n > s->nfree)
		n = s->nfree;
	/* Keep some frames for copies to another interface's socket and the raw path. */
	if (n > 0 && s->nfree > 64)
		n = n < s->nfree - 64 ? n : s->nfree - 64;
	else
		n = 0;
	if (n == 0 || xsk_ring_prod__reserve(&s->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = s->free[--s->nfree];
	xsk_ring_prod__submit(&s->fill, n);
}

void
relay_xsk_close(struct relay_xsk *s)
{
	if (s == NULL)
		return;
	if (s->xsk != NULL)
		xsk_socket__delete(s->xsk);
	if (s->umem != NULL)
		(void)xsk_umem__delete(s->umem);
	if (s->area != NULL)
		munmap(s->area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
	free(s);
}

int
relay_xsk_open(struct relay_xsk **sp, struct relay_xdp_if *ifc, unsigned queue)
{
	struct xsk_umem_config uc = {
		.fill_size = XSK_RING, .comp_size = XSK_RING, .frame_size = XSK_FRAME_SIZE,
		.frame_headroom = RELAY_XSK_HEADROOM, .flags = 0,
	};
	struct xsk_socket_config sc = {
		.rx_size = XSK_RING, .tx_size = XSK_RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		/* Copy mode, as tested (veth has no zero-copy). */
		.xdp_flags = 0, .bind_flags = XDP_USE_NEED_WAKEUP | XDP_COPY,
	};
	struct relay_xsk *s;
	unsigned i;
	int err;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ENOMEM;
	s->ifc = ifc;
	s->queue = queue;
	s->area = mmap(NULL, (size_t)XSK_FRAMES * XSK_FRAME_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->area == MAP_FAILED) {
		s->area = NULL;
		err = errno;
		goto out;
	}
	err = -xsk_umem__create(&s->umem, s->area, (uint64_t)XSK_FRAMES * XSK_FRAME_SIZE,
	    &s->fill, &s->comp, &uc);
	if (err)
		goto out;
	err = -xsk_socket__create(&s->xsk, ifc->name, queue, s->umem, &s->rx, &s->tx, &sc);
	if (err)
		goto out;
	for (i = 0; i < XSK_FRAMES; i++)
		s->free[s->nfree++] = (uint64_t)(XSK_FRAMES - 1 - i) * XSK_FRAME_SIZE;
	refill(s);
	err = relay_xdp_sock_map(ifc, queue, xsk_socket__fd(s->xsk));
 out:
	if (err)
		relay_xsk_close(s);
	else
		*sp = s;
	return err;
}

int
relay_xsk_fd(const struct relay_xsk *s)
{
	return xsk_socket__fd(s->xsk);
}

const struct relay_xdp_if *
relay_xsk_iface(const struct relay_xsk *s)
{
	return s->ifc;
}

unsigned
relay_xsk_rx(struct relay_xsk *s, struct relay_xsk_pkt *p, unsigned n)
{
	uint32_t idx, i, got;

	got = xsk_ring_cons__peek(&s->rx, n, &idx);
	for (i = 0; i < got; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);

		p[i].addr = d->addr;
		p[i].len = d->len;
		p[i].data = xsk_umem__get_data(s->area, d->addr);
		/* Room from the packet's start to the end of its frame. */
		p[i].cap = XSK_FRAME_SIZE - (size_t)(d->addr % XSK_FRAME_SIZE);
	}
	if (got > 0)
		xsk_ring_cons__release(&s->rx, got);
	return got;
}

void
relay_xsk_free(struct relay_xsk *s, uint64_t addr)
{
	if (s->nfree < XSK_FRAMES)
		s->free[s->nfree++] = addr - addr % XSK_FRAME_SIZE;
}

uint8_t *
relay_xsk_frame(struct relay_xsk *s, uint64_t *addr)
{
	if (s->nfree == 0)
		return NULL;
	*addr = s->free[--s->nfree];
	return xsk_umem__get_data(s->area, *addr);
}

bool
relay_xsk_tx(struct relay_xsk *s, uint64_t addr, uint32_t len)
{
	struct xdp_desc *d;
	uint32_t idx;

	/* Reserved one at a time: the indexes follow each other until the flush submits. */
	if (xsk_ring_prod__reserve(&s->tx, 1, &idx) != 1)
		return false;
	d = xsk_ring_prod__tx_desc(&s->tx, idx);
	d->addr = addr;
	d->len = len;
	s->tx_queued++;
	return true;
}

unsigned
relay_xsk_flush(struct relay_xsk *s)
{
	uint32_t idx, n, i;
	unsigned kicks = 0;

	/* Copy mode needs the kick to transmit: one system call per batch, whatever it holds. */
	if (s->tx_queued > 0) {
		xsk_ring_prod__submit(&s->tx, s->tx_queued);
		s->tx_queued = 0;
		(void)sendto(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
		kicks++;
	}
	n = xsk_ring_cons__peek(&s->comp, XSK_RING, &idx);
	for (i = 0; i < n; i++)
		relay_xsk_free(s, *xsk_ring_cons__comp_addr(&s->comp, idx + i));
	if (n > 0)
		xsk_ring_cons__release(&s->comp, n);
	refill(s);
	/* A driver that ran out of fill frames waits to be told there are new ones. */
	if (xsk_ring_prod__needs_wakeup(&s->fill)) {
		(void)recvfrom(xsk_socket__fd(s->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		kicks++;
	}
	return kicks;
}

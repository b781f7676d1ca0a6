/* SPDX-License-Identifier: BSD-2-Clause */
/* A bridged media as an object: two legs, their SRTP contexts, updates, snapshots (no thread). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay_int.h"
#include "sock.h"

static bool
family_ok(const struct sa *a)
{
	int f = sa_family(a);

	return f == AF_UNSPEC || f == AF_INET || f == AF_INET6;
}

static bool
key_ok(const struct crypto_key *k)
{
	const struct crypto_suite_info *si = crypto_suite_info(k->suite);

	return si != NULL && k->key_salt_len == si->key_len + si->salt_len;
}

int
relay_leg_cfg_check(const struct relay_leg_cfg *c, bool for_update)
{
	if (c == NULL)
		return EINVAL;
	if (!for_update && (c->fd_rtp < 0 || (!c->rtcp_mux && c->fd_rtcp < 0)))
		return EINVAL;
	if (!family_ok(&c->remote_rtp) || !family_ok(&c->remote_rtcp))
		return EINVAL;
	if (c->srtp && (!key_ok(&c->rx_key) || !key_ok(&c->tx_key)))
		return EINVAL;
	if ((unsigned)c->latch > RELAY_LATCH_SIGNALLED_IP)
		return EINVAL;
	return 0;
}

void
relay_leg_reset_dest(struct relay_leg *l)
{
	const struct relay_leg_cfg *c = &l->cfg;

	l->dest[RELAY_STREAM_RTP] = c->remote_rtp;
	if (sa_family(&c->remote_rtcp) != AF_UNSPEC) {
		l->dest[RELAY_STREAM_RTCP] = c->remote_rtcp;
	} else {
		/* RFC 3550 default: RTCP on the RTP port + 1 when SDP says nothing. */
		l->dest[RELAY_STREAM_RTCP] = c->remote_rtp;
		if (sa_family(&c->remote_rtp) != AF_UNSPEC)
			sa_set_port(&l->dest[RELAY_STREAM_RTCP],
			    (uint16_t)(sa_port(&c->remote_rtp) + 1));
	}
	l->latched[RELAY_STREAM_RTP] = l->latched[RELAY_STREAM_RTCP] = false;
}

/* Where fd is bound; all zero (AF_UNSPEC, port 0) without a socket. */
static void
local_addr(int fd, struct sa *out)
{
	memset(out, 0, sizeof(*out));
	if (fd >= 0 && sock_local_addr(fd, out) != 0)
		memset(out, 0, sizeof(*out));
}

/* Makes rx/tx contexts for a config; on failure nothing is left allocated. */
static int
leg_contexts(const struct relay_leg_cfg *c, struct srtp_ctx **rx, struct srtp_ctx **tx)
{
	struct srtp_ctx *r = NULL, *t = NULL;
	int err = 0;

	if (c->srtp) {
		err = relay_srtp_ctx_new(&r, &c->rx_key, c->srtp_flags, true);
		if (err)
			goto out;
		err = relay_srtp_ctx_new(&t, &c->tx_key, c->srtp_flags, false);
		if (err)
			goto out;
	}
 out:
	if (err) {
		relay_srtp_ctx_free(r);
		relay_srtp_ctx_free(t);
	} else {
		*rx = r;
		*tx = t;
	}
	return err;
}

int
relay_media_new(struct relay_media **mp, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b)
{
	const struct relay_leg_cfg *cfg[RELAY_LEG_COUNT] = { a, b };
	struct relay_media *m;
	unsigned i, s;
	int err = 0;

	if (relay_leg_cfg_check(a, false) || relay_leg_cfg_check(b, false))
		return EINVAL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		struct relay_leg *l = &m->leg[i];

		l->cfg = *cfg[i];
		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			l->sock[s].media = m;
			l->sock[s].leg = (uint8_t)i;
			l->sock[s].stream = (uint8_t)s;
			l->sock[s].fd = -1;
		}
		if (!l->cfg.srtp) {
			explicit_bzero(&l->cfg.rx_key, sizeof(l->cfg.rx_key));
			explicit_bzero(&l->cfg.tx_key, sizeof(l->cfg.tx_key));
		}
		err = leg_contexts(&l->cfg, &l->rx, &l->tx);
		if (err)
			goto out;
		/* Before any packet: a restored call continues where the old process was. */
		if (l->cfg.srtp) {
			relay_srtp_ctx_resume(l->rx, l->cfg.resume.rx, l->cfg.resume.nrx, true);
			relay_srtp_ctx_resume(l->tx, l->cfg.resume.tx, l->cfg.resume.ntx, false);
		}
		memset(&l->cfg.resume, 0, sizeof(l->cfg.resume));
		relay_leg_reset_dest(l);
	}
	/* Take the fds last so that a failure leaves them with the caller. */
	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		struct relay_leg *l = &m->leg[i];

		l->sock[RELAY_STREAM_RTP].fd = cfg[i]->fd_rtp;
		l->sock[RELAY_STREAM_RTCP].fd = cfg[i]->fd_rtcp >= 0 ? cfg[i]->fd_rtcp : -1;
		local_addr(cfg[i]->fd_rtp, &l->local[RELAY_STREAM_RTP]);
		local_addr(l->sock[RELAY_STREAM_RTCP].fd, &l->local[RELAY_STREAM_RTCP]);
		l->local_port[RELAY_STREAM_RTP] = sa_port(&l->local[RELAY_STREAM_RTP]);
		l->local_port[RELAY_STREAM_RTCP] = l->cfg.rtcp_mux ?
		    l->local_port[RELAY_STREAM_RTP] : sa_port(&l->local[RELAY_STREAM_RTCP]);
	}
 out:
	if (err)
		relay_media_free(m);
	else
		*mp = m;
	return err;
}

void
relay_media_free(struct relay_media *m)
{
	unsigned i, s;

	if (m == NULL)
		return;
	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		struct relay_leg *l = &m->leg[i];

		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			if (l->sock[s].fd >= 0)
				close(l->sock[s].fd);
			l->sock[s].fd = -1;
		}
		relay_srtp_ctx_free(l->rx);
		relay_srtp_ctx_free(l->tx);
	}
	explicit_bzero(m, sizeof(*m));
	free(m);
}

void
relay_media_srtp_state(const struct relay_media *m, unsigned leg, struct relay_srtp_state *out)
{
	const struct relay_leg *l;

	memset(out, 0, sizeof(*out));
	if (m == NULL || leg >= RELAY_LEG_COUNT)
		return;
	/* The contexts change only in commands the control thread itself waits for. */
	l = &m->leg[leg];
	out->nrx = srtp_ctx_state_get(l->rx, out->rx, SRTP_CTX_MAX_SSRC);
	out->ntx = srtp_ctx_state_get(l->tx, out->tx, SRTP_CTX_MAX_SSRC);
}

uint64_t
relay_media_last_packet_ms(const struct relay_media *m)
{
	return atomic_load_explicit(&m->last_in_ms, memory_order_relaxed);
}

void
relay_media_snapshot(const struct relay_media *m, struct relay_media_stats *out)
{
	unsigned i, s;

	/* The worker index is the worker's to fill in: this layer does not know workers. */
	memset(out, 0, sizeof(*out));
	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		const struct relay_leg *l = &m->leg[i];
		struct relay_leg_stats *ls = &out->leg[i];

		for (s = 0; s < RELAY_STREAM_COUNT; s++) {
			const struct relay_counters *c = &l->ctr[s];
			struct relay_stream_stats *ss = &ls->stream[s];
			unsigned di = l->cfg.rtcp_mux ? RELAY_STREAM_RTP : s;

			ss->packets_in = c->packets_in;
			ss->bytes_in = c->bytes_in;
			ss->packets_out = c->packets_out;
			ss->bytes_out = c->bytes_out;
			memcpy(ss->drops, c->drops, sizeof(ss->drops));
			ss->last_packet_ms = c->last_packet_ms;
			ss->lost = relay_seq_lost(&c->seq);
			ls->dest[s] = l->dest[di];
			ls->latched[s] = l->latched[di];
			ls->local_port[s] = l->local_port[s];
		}
		ls->rx_suite = relay_srtp_ctx_suite(l->rx);
		ls->tx_suite = relay_srtp_ctx_suite(l->tx);
		ls->srtp = l->cfg.srtp;
		ls->rtcp_mux = l->cfg.rtcp_mux;
		ls->send = l->cfg.send;
		ls->recv = l->cfg.recv;
	}
}

static bool
sa_same(const struct sa *x, const struct sa *y)
{
	if (sa_family(x) == AF_UNSPEC || sa_family(y) == AF_UNSPEC)
		return sa_family(x) == sa_family(y);
	return sa_equal(x, y);
}

static bool
key_same(const struct crypto_key *x, const struct crypto_key *y)
{
	return x->suite == y->suite && x->key_salt_len == y->key_salt_len &&
	    x->key_salt_len <= sizeof(x->key_salt) &&
	    memcmp(x->key_salt, y->key_salt, x->key_salt_len) == 0 &&
	    x->mki_len == y->mki_len && x->mki == y->mki && x->lifetime == y->lifetime;
}

int
relay_media_update_prepare(const struct relay_media *m, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b, struct relay_update *u)
{
	const struct relay_leg_cfg *cfg[RELAY_LEG_COUNT] = { a, b };
	unsigned i;
	int err;

	memset(u, 0, sizeof(*u));
	if (m == NULL || relay_leg_cfg_check(a, true) || relay_leg_cfg_check(b, true))
		return EINVAL;
	/*
	 * The worker only reads leg->cfg between commands, and commands for one
	 * media come from one control thread, so reading it here is race-free.
	 * Contexts are made here, off the packet path.
	 */
	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		const struct relay_leg_cfg *old = &m->leg[i].cfg;
		const struct relay_leg_cfg *nw = cfg[i];
		bool flags_changed = old->srtp_flags != nw->srtp_flags;

		u->cfg[i] = *nw;
		if (!nw->srtp) {
			explicit_bzero(&u->cfg[i].rx_key, sizeof(u->cfg[i].rx_key));
			explicit_bzero(&u->cfg[i].tx_key, sizeof(u->cfg[i].tx_key));
		}
		if (old->srtp != nw->srtp || flags_changed ||
		    (nw->srtp && !key_same(&old->rx_key, &nw->rx_key))) {
			u->swap_rx[i] = true;
			if (nw->srtp) {
				err = relay_srtp_ctx_new(&u->new_rx[i], &nw->rx_key,
				    nw->srtp_flags, true);
				if (err)
					return err;
			}
		}
		if (old->srtp != nw->srtp || flags_changed ||
		    (nw->srtp && !key_same(&old->tx_key, &nw->tx_key))) {
			u->swap_tx[i] = true;
			if (nw->srtp) {
				err = relay_srtp_ctx_new(&u->new_tx[i], &nw->tx_key,
				    nw->srtp_flags, false);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

void
relay_update_release(struct relay_update *u)
{
	unsigned i;

	/* After a successful update these hold the replaced contexts. */
	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		relay_srtp_ctx_free(u->new_rx[i]);
		relay_srtp_ctx_free(u->new_tx[i]);
	}
	explicit_bzero(u, sizeof(*u));
}

void
relay_media_apply_update(struct relay_media *m, struct relay_update *u)
{
	unsigned i;

	for (i = 0; i < RELAY_LEG_COUNT; i++) {
		struct relay_leg *l = &m->leg[i];
		struct relay_leg_cfg nc = u->cfg[i];
		bool moved;
		struct srtp_ctx *tmp;

		moved = !sa_same(&l->cfg.remote_rtp, &nc.remote_rtp) ||
		    !sa_same(&l->cfg.remote_rtcp, &nc.remote_rtcp) ||
		    l->cfg.latch != nc.latch;
		nc.fd_rtp = l->cfg.fd_rtp;
		nc.fd_rtcp = l->cfg.fd_rtcp;
		nc.rtcp_mux = l->cfg.rtcp_mux;
		explicit_bzero(&l->cfg, sizeof(l->cfg));
		l->cfg = nc;
		if (u->swap_rx[i]) {
			tmp = l->rx;
			l->rx = u->new_rx[i];
			u->new_rx[i] = tmp;
		}
		if (u->swap_tx[i]) {
			tmp = l->tx;
			l->tx = u->new_tx[i];
			u->new_tx[i] = tmp;
		}
		/* A new remote forgets the old latch; same remote keeps the learned NAT address. */
		if (moved)
			relay_leg_reset_dest(l);
	}
	explicit_bzero(u->cfg, sizeof(u->cfg));
}


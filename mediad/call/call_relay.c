/* SPDX-License-Identifier: BSD-2-Clause */
/* Driving the relay from the call: one relay media per bridged m= line, kept in sync. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "relay.h"
#include "timeutil.h"

static bool
keys_ready(const struct call_media *cm)
{
	return !call_media_srtp(cm) || (cm->have_peer_key && cm->have_our_key);
}

/* The relay leg for one party: its sockets, where it receives, its keys and direction. */
static void
leg_cfg(const struct call_relay_opts *o, const struct call_media *cm, struct relay_leg_cfg *l)
{
	memset(l, 0, sizeof(*l));
	l->fd_rtp = cm->ports.fd_rtp;
	l->fd_rtcp = cm->rtcp_mux ? -1 : cm->ports.fd_rtcp;
	l->remote_rtp = cm->remote_rtp;
	l->remote_rtcp = cm->rtcp_mux ? cm->remote_rtp : cm->remote_rtcp;
	l->srtp = call_media_srtp(cm) && cm->have_peer_key && cm->have_our_key;
	if (l->srtp) {
		l->rx_key = cm->peer.key;
		l->tx_key = cm->ours.key;
		l->srtp_flags = (cm->peer.flags | cm->ours.flags) & CRYPTO_PARAM_ALL;
		l->resume = cm->resume;
	}
	l->rtcp_mux = cm->rtcp_mux;
	l->send = cm->receives;
	l->recv = cm->sends;
	if (o->asymmetric)
		l->latch = RELAY_LATCH_OFF;
	else
		l->latch = l->srtp ? RELAY_LATCH_AUTH : RELAY_LATCH_SIGNALLED_IP;
	l->strict_source = o->strict_source;
}

int
call_relay_sync(struct mediad *md, const struct call_relay_opts *o, struct call *c)
{
	struct monologue *a = c->mono[0], *b = c->mono[1];
	unsigned i;

	if (md->relay == NULL || a == NULL || b == NULL || c->state != CALL_STATE_ANSWERED)
		return 0;
	for (i = 0; i < a->nmedia && i < b->nmedia; i++) {
		struct call_media *ma = &a->media[i], *mb = &b->media[i];
		struct relay_leg_cfg la, lb;
		int err;

		if (!ma->have_ports || !mb->have_ports)
			continue;
		/* A media added by a re-offer waits for its answer: an SRTP leg without both
		 * keys must never start out as plain RTP. */
		if (c->rm[i] == NULL && (!keys_ready(ma) || !keys_ready(mb)))
			continue;
		/* a line refused by encryption policy is never bridged */
		if (c->rm[i] == NULL && (ma->rejected || mb->rejected))
			continue;
		leg_cfg(o, ma, &la);
		leg_cfg(o, mb, &lb);
		if (c->rm[i] != NULL) {
			err = relay_media_update(c->rm[i], &la, &lb);
		} else {
			err = relay_media_create(md->relay, &la, &lb, &c->rm[i]);
			if (err == 0) {
				/* The relay owns the sockets now; an unused RTCP socket (mux) is
				 * closed but its port stays reserved with the pair. */
				if (ma->rtcp_mux && ma->ports.fd_rtcp >= 0)
					close(ma->ports.fd_rtcp);
				if (mb->rtcp_mux && mb->ports.fd_rtcp >= 0)
					close(mb->ports.fd_rtcp);
				ma->ports.fd_rtp = ma->ports.fd_rtcp = -1;
				mb->ports.fd_rtp = mb->ports.fd_rtcp = -1;
				/* the relay continues from them now (and publishes them) */
				memset(&ma->resume, 0, sizeof(ma->resume));
				memset(&mb->resume, 0, sizeof(mb->resume));
				if (i + 1 > c->nrm)
					c->nrm = i + 1;
			}
		}
		explicit_bzero(&la, sizeof(la));
		explicit_bzero(&lb, sizeof(lb));
		if (err) {
			log_warnx("relay_setup_failed media=%u error=%d", i + 1, err);
			return err;
		}
	}
	return 0;
}

int
call_signalled(struct mediad *md, const struct call_relay_opts *o, struct call *c)
{
	int err;

	err = call_relay_sync(md, o, c);
	if (err)
		return err;
	c->last_signal = time_wall_s();
	c->last_signal_ms = time_mono_ms();
	/* signalling for the call comes here: its record is ours, whoever wrote it last */
	c->stored.owned = false;
	if (md->store != NULL)
		call_store_write(md->store, c);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* ng offer: find or create the call and its parties, take the sender's SDP, prepare what
 * the recipient is offered (ports, profile, keys), reply with its SDP, drive the relay. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng_int.h"

/* The keys the recipient is offered on rm; NULL or the reason. */
static const char *
propose_keys(struct mediad *md, const struct ng_opts *o, const struct mediad_iface *ifc,
    struct call_media *rm)
{
	struct call_key_opts ko = {
		.mki_len = o->sdes_mki ? o->sdes_mki : ifc->sdes_mki,
		.lifetime = (o->rw_flags & SDP_RW_CRYPTO_LIFETIME) ? 1ull << 31 : 0,
	};
	int err;

	if (!call_media_srtp(rm)) {
		rm->nproposed = 0;
		return NULL;
	}
	if (o->sdes_off) {
		log_warnx("sdes_negotiation_failed media=%u side=recipient reason=sdes-off "
		    "requested=%s", rm->index, LOG_Q(sdp_proto_name(rm->proto)));
		return NG_ERR_NO_CRYPTO;
	}
	err = call_sdes_propose(md, rm, o->allowed_suites, o->rekey, &ko);
	if (err)
		return err == ENOENT ? NG_ERR_NO_CRYPTO : NG_ERR_SRTP_KEY;
	return NULL;
}

/* What we offer the recipient of an offer: ports, profile (plans) and our keys. */
static const char *
prepare_recipient(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    const struct call *c, const struct ng_line_plan *plans, struct monologue *s,
    struct monologue *r)
{
	size_t i;
	const char *reason;

	for (i = 0; i < sdp->nmedia; i++) {
		struct call_media *sm = &s->media[i], *rm = &r->media[i];
		const struct ng_line_plan *pl = &plans[i];

		rm->index = sm->index;
		memcpy(rm->type, sm->type, sizeof(rm->type));
		memcpy(rm->fmts, sm->fmts, sizeof(rm->fmts));
		if (pl->verdict != NG_LINE_OK) {
			/* the recipient sees it with port 0, and keeps what its leg had */
			call_media_refuse(rm);
			continue;
		}
		rm->rejected = false;
		rm->disabled = sm->disabled;
		rm->proto = pl->rproto;
		rm->osrtp = pl->recipient_osrtp;
		/*
		 * Whether we offer rtcp-mux to the recipient; its answer then decides whether
		 * its leg muxes. A running relay media keeps the mux it was created with
		 * (relay_media_update ignores it): a re-offer must advertise just that.
		 */
		if (c->rm[i] != NULL)
			rm->mux_offered = rm->rtcp_mux;
		else if (o->rtcp_mux & (NG_RTCP_MUX_OFFER | NG_RTCP_MUX_REQUIRE))
			rm->mux_offered = true;
		else if (o->rtcp_mux & NG_RTCP_MUX_DEMUX)
			rm->mux_offered = false;
		else
			rm->mux_offered = sm->mux_offered;
		if (sm->disabled)
			continue;
		if (call_media_take_ports(md, s, sm) || call_media_take_ports(md, r, rm))
			return NG_ERR_NO_PORTS;
		reason = propose_keys(md, o, r->iface, rm);
		if (reason != NULL)
			return reason;
		if (pl->stripped) {
			metric_inc(md->ctr.keys_stripped);
			log_info("encryption_keys_stripped media=%u iface=%s encryption=off "
			    "offered=%s", rm->index, LOG_Q(r->iface->name),
			    LOG_Q(sdp_proto_name(rm->proto)));
		}
		if (rm->osrtp)
			metric_inc(md->ctr.osrtp_offered);
	}
	return NULL;
}

/* The call the offer is for, created if new; NULL and *reasonp when refused. */
static struct call *
offer_call(struct mediad *md, const struct ng_opts *o, bool *created, const char **reasonp)
{
	struct call *c;

	c = call_find(&md->calls, o->call_id, o->call_id_len);
	if (c == NULL) {
		if (md->cfg.max_sessions && md->calls.count >= md->cfg.max_sessions) {
			*reasonp = o->supports_load_limit ? mediad_load_limit : NG_ERR_SESSION_LIMIT;
			return NULL;
		}
		if (call_create(&md->calls, o->call_id, o->call_id_len, &c)) {
			*reasonp = NG_ERR_NO_MEMORY;
			return NULL;
		}
		*created = true;
		metric_inc(md->ctr.calls_total);
	}
	/* A re-offer within the delete delay revives the call. */
	if (c->state == CALL_STATE_DELETING)
		call_delete_cancel(c);
	return c;
}

const char *
ng_handle_offer(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct ng_opts o;
	struct ng_line_plan plans[MEDIAD_MAX_MEDIA];
	struct sdp *sdp = NULL;
	struct call *c = NULL;
	struct monologue *s, *r;
	const char *reason;
	bool created = false;

	reason = ng_opts_parse(md, m, &o);
	if (reason != NULL)
		return reason;
	if (o.from_tag == NULL || o.from_tag_len == 0)
		return NG_ERR_NO_FROM_TAG;
	if (o.to_tag != NULL && o.to_tag_len == o.from_tag_len &&
	    memcmp(o.to_tag, o.from_tag, o.to_tag_len) == 0)
		return NG_ERR_DIALOGUE;
	if (o.fragment)
		return NULL;  /* trickle-ICE fragment: we have no ICE; ok without SDP */
	reason = ng_sdp_parse(&o, &sdp);
	if (reason != NULL)
		return reason;

	c = offer_call(md, &o, &created, &reason);
	if (c == NULL)
		goto out;
	reason = ng_tags_offer(md, &o, c, &s, &r);
	if (reason != NULL)
		goto out;
	reason = ng_sdp_check_count(sdp, s);
	if (reason != NULL)
		goto out;
	/* before anything of the call changes: a refused offer leaves it as it was */
	reason = ng_policy_offer(md, &o, sdp, s, r, plans);
	if (reason != NULL)
		goto out;
	reason = ng_sdp_take_media(md, &o, sdp, s, plans);
	if (reason != NULL)
		goto out;
	reason = prepare_recipient(md, &o, sdp, c, plans, s, r);
	if (reason != NULL)
		goto out;
	s->nmedia = r->nmedia = (unsigned)sdp->nmedia;
	reason = ng_sdp_reply_relay(md, &o, sdp, r, false, c, a, reply);
	if (reason != NULL)
		goto out;
	log_info("call_offer from_tag=%s to_iface=%s from_iface=%s media=%u proto=%s->%s%s",
	    LOG_ESCW(s->tag), r->iface->name, s->iface->name, s->nmedia,
	    sdp_proto_name(s->media[0].proto), sdp_proto_name(r->media[0].proto),
	    created ? " new=yes" : "");
 out:
	if (reason != NULL && created && c != NULL)
		call_destroy(c);
	sdp_free(sdp);
	return reason;
}

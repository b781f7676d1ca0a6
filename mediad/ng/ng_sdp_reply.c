/* SPDX-License-Identifier: BSD-2-Clause */
/* The SDP a recipient gets: rewritten for our ports, its profile and keys, versioned per party. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "mediad_config.h"
#include "ng_int.h"

static uint64_t
hash_bytes(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

const char *
ng_sdp_reply(const struct ng_opts *o, const struct sdp *sdp, struct monologue *to,
    bool answer, struct bencode_arena *a, struct bencode_item *reply)
{
	struct sdp_rw_params *p;
	const char *reason = NULL, *why = NULL;
	char *out = NULL;
	size_t len = 0, i, j;
	unsigned params;
	int err;

	/* SDP_MAX_MEDIA slots, few used: zero (and later wipe) only those. */
	p = malloc(sizeof(*p));
	if (p == NULL)
		return NG_ERR_NO_MEMORY;
	memset(p, 0, offsetof(struct sdp_rw_params, media));
	memset(p->media, 0, sdp->nmedia * sizeof(p->media[0]));
	p->flags = o->rw_flags;
	p->origin_addr = to->iface->advertised;
	p->session_addr = to->iface->advertised;
	p->nmedia = sdp->nmedia;
	for (i = 0; i < sdp->nmedia; i++) {
		struct sdp_rw_media *rm = &p->media[i];
		struct call_media *cm = &to->media[i];

		rm->addr = to->iface->advertised;
		rm->port = cm->ports.port;
		rm->proto = cm->proto;
		/* Offer: a=rtcp-mux iff we offer it to this party (written even when the sender
		 * had none: rtcp-mux offer/require). Answer: iff this party's leg muxes, which
		 * after demux means writing it although the answerer never saw it. */
		rm->rtcp_mux = answer ? cm->rtcp_mux : cm->mux_offered;
		rm->rtcp_mux_add = rm->rtcp_mux;
		rm->reject = cm->rejected;
		/* an OSRTP leg gets its keys under RTP/AVP(F) (RFC 8643 §3) */
		if (!call_media_srtp(cm) || cm->disabled)
			continue;
		rm->crypto_mode = SDP_RW_CRYPTO_EMIT;
		if (answer) {
			params = (cm->ours.flags | o->sdes_params_set) & ~o->sdes_params_clear;
			rm->crypto[0].tag = cm->ours.tag;
			rm->crypto[0].key = cm->ours.key;
			rm->crypto[0].params = params;
			rm->ncrypto = 1;
			/* RFC 5939: the configuration taken, with the capability of its key */
			rm->acfg_cfg = cm->capneg_cfg;
			rm->acfg_tcap = cm->capneg_tcap;
			rm->acfg_acap = cm->peer.acap;
		} else {
			for (j = 0; j < cm->nproposed && j < SDP_RW_MAX_CRYPTO; j++) {
				params = (cm->proposed[j].flags | o->sdes_params_set) &
				    ~o->sdes_params_clear;
				rm->crypto[j].tag = cm->proposed[j].tag;
				rm->crypto[j].key = cm->proposed[j].key;
				rm->crypto[j].params = params;
			}
			rm->ncrypto = j;
		}
	}
	if (o->rw_flags & SDP_RW_SDP_VERSION) {
		/* Keep our o= version per recipient: unchanged SDP keeps it, any change bumps it. */
		if (!to->have_sdp_version)
			to->sdp_version = sdp->origin.present ? sdp->origin.sess_version : 1;
		p->sdp_version = to->sdp_version;
		err = sdp_rewrite(sdp, p, &out, &len, &why);
		if (err == 0 && to->have_sdp_version && hash_bytes(out, len) != to->sdp_hash) {
			free(out);
			out = NULL;
			p->sdp_version = ++to->sdp_version;
			err = sdp_rewrite(sdp, p, &out, &len, &why);
		}
		if (err == 0) {
			to->have_sdp_version = true;
			/* hash over the SDP as it would be with the old version: compare like with like */
			to->sdp_hash = hash_bytes(out, len);
		}
	} else {
		err = sdp_rewrite(sdp, p, &out, &len, &why);
	}
	explicit_bzero(p->media, sdp->nmedia * sizeof(p->media[0]));
	explicit_bzero(p, offsetof(struct sdp_rw_params, media));
	free(p);
	if (err) {
		log_warnx("sdp_rewrite_failed error=%d reason=\"%s\"", err, why ? why : "?");
		return err == ENOMEM ? NG_ERR_NO_MEMORY : NG_ERR_SDP_INCOMPLETE;
	}
	{
		struct bencode_item *it = bencode_str_dup(a, out, len);

		if (it == NULL || bencode_dict_add(a, reply, "sdp", it))
			reason = NG_ERR_NO_MEMORY;
	}
	explicit_bzero(out, len);
	free(out);
	return reason;
}

const char *
ng_sdp_reply_relay(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    struct monologue *to, bool answer, struct call *c, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct call_relay_opts ro;
	const char *reason;

	reason = ng_sdp_reply(o, sdp, to, answer, a, reply);
	if (reason != NULL)
		return reason;
	if (ng_policy_warn(a, reply, to))
		return NG_ERR_NO_MEMORY;
	ng_opts_relay(o, &ro);
	if (call_signalled(md, &ro, c) != 0)
		return NG_ERR_RELAY_SETUP;
	return NULL;
}

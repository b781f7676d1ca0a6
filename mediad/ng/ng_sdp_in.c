/* SPDX-License-Identifier: BSD-2-Clause */
/* SDP intake: the sender's endpoints, profile, direction and offered keys from its SDP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ng_int.h"

const char *
ng_sdp_parse(const struct ng_opts *o, struct sdp **sdpp)
{
	const char *why = NULL;
	int err;

	if (o->sdp == NULL || o->sdp_len == 0)
		return NG_ERR_NO_SDP;
	err = sdp_parse(sdpp, o->sdp, o->sdp_len, &why);
	if (err) {
		log_info("sdp_parse_failed error=%d reason=\"%s\"", err, why ? why : "?");
		return err == ENOMEM ? NG_ERR_NO_MEMORY : NG_ERR_SDP_PARSE;
	}
	return NULL;
}

const char *
ng_sdp_check_count(const struct sdp *sdp, const struct monologue *s)
{
	if (sdp->nmedia == 0)
		return NG_ERR_SDP_INCOMPLETE;
	if (sdp->nmedia > MEDIAD_MAX_MEDIA)
		return ng_reasonf(NG_ERRF_TOO_MANY_MEDIA, sdp->nmedia, MEDIAD_MAX_MEDIA);
	/* RFC 3264 §8: m= lines are never removed from a re-offer. */
	if (s != NULL && s->nmedia > sdp->nmedia)
		return NG_ERR_SDP_INCOMPLETE;
	return NULL;
}

/* Where the party of an SDP media receives: SDP address, or the SIP source / media-address. */
static void
media_remote(const struct ng_opts *o, const struct sdp *sdp, const struct sdp_media *sm,
    struct call_media *cm)
{
	const struct sdp_conn *conn = sdp_media_conn(sdp, sm);
	struct sa ip;
	bool have = false;

	memset(&cm->remote_rtp, 0, sizeof(cm->remote_rtp));
	memset(&cm->remote_rtcp, 0, sizeof(cm->remote_rtcp));
	if (o->have_media_address) {
		ip = o->media_address;
		have = true;
	} else if (o->sip_source && o->have_received_from) {
		ip = o->received_from;
		have = true;
	} else if (conn != NULL && conn->present && !conn->null_addr &&
	    sa_parse_ip(&ip, conn->addr.p, conn->addr.len, 0) == 0) {
		have = true;
	}
	/* c=0.0.0.0 (old-style hold) or port 0: nowhere to send until the next SDP. */
	if (!have || sm->port == 0 || (conn != NULL && conn->null_addr && !o->have_media_address))
		return;
	cm->remote_rtp = ip;
	sa_set_port(&cm->remote_rtp, sm->port);
	cm->remote_rtcp = ip;
	sa_set_port(&cm->remote_rtcp, sm->has_rtcp ? sm->rtcp_port : (uint16_t)(sm->port + 1u));
}

static void
media_direction(const struct sdp *sdp, const struct sdp_media *sm, struct call_media *cm)
{
	switch (sdp_media_dir(sdp, sm)) {
	case SDP_DIR_SENDONLY:
		cm->sends = true;
		cm->receives = false;
		break;
	case SDP_DIR_RECVONLY:
		cm->sends = false;
		cm->receives = true;
		break;
	case SDP_DIR_INACTIVE:
		cm->sends = cm->receives = false;
		break;
	default:
		cm->sends = cm->receives = true;
		break;
	}
}

const char *
ng_sdp_take_media(const struct ng_opts *o, const struct sdp *sdp, struct monologue *s,
    const struct ng_line_plan *plans)
{
	bool is_offer = plans != NULL;
	size_t i;

	for (i = 0; i < sdp->nmedia; i++) {
		const struct sdp_media *sm = &sdp->media[i];
		struct call_media *cm = &s->media[i];

		cm->index = (unsigned)i + 1;
		snprintf(cm->type, sizeof(cm->type), "%.*s", (int)sm->type.len, sm->type.p);
		if (is_offer)
			cm->rejected = plans[i].verdict != NG_LINE_OK;
		/*
		 * Refused in this offer, or (answer) in the offer it answers: the profile and
		 * keys of the leg stay as they were, so a refused re-offer never turns a
		 * running SRTP leg into plain RTP.
		 */
		if (cm->rejected) {
			call_media_refuse(cm);
			continue;
		}
		cm->disabled = sm->port == 0;
		/* not RTP: refused unless disabled (port 0: it carries nothing, as sigproxy
		 * sends a line its policy refused) */
		if (sm->proto == SDP_PROTO_KEEP && !cm->disabled)
			return ng_reasonf(NG_ERRF_SDP_PROTO,
			    (int)(sm->proto_text.len > 32 ? 32 : sm->proto_text.len),
			    sm->proto_text.p);
		if ((sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP ||
		    sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF) && sm->ncrypto == 0)
			return NG_ERR_DTLS;
		media_remote(o, sdp, sm, cm);
		media_direction(sdp, sm, cm);
		if (!is_offer)
			continue;
		cm->proto = sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP ? SDP_PROTO_RTP_SAVP :
		    sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF ? SDP_PROTO_RTP_SAVPF : sm->proto;
		cm->osrtp = plans[i].sender_osrtp;
		cm->mux_offered = sm->rtcp_mux && !(o->rtcp_mux & NG_RTCP_MUX_REJECT);
		if (!plans[i].sender_srtp || cm->disabled) {
			cm->noffered = 0;
			continue;
		}
		if (call_sdes_take_offer(cm, sm, o->allowed_suites))
			return NG_ERR_NO_CRYPTO;
	}
	return NULL;
}

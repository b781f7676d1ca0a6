/* SPDX-License-Identifier: BSD-2-Clause */
/* SDP intake: the sender's endpoints, profile, direction and offered keys from its SDP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng_int.h"

/* m= lines in an SDP text (at line starts). */
static size_t
count_media(const char *p, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i + 1 < len; i++)
		if (p[i] == 'm' && p[i + 1] == '=' && (i == 0 || p[i - 1] == '\n'))
			n++;
	return n;
}

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
		if (err == ENOMEM)
			return NG_ERR_NO_MEMORY;
		/* more than the parser models: refused with a count a client can show */
		if (why != NULL && strcmp(why, SDP_ERR_TOO_MANY_MEDIA) == 0)
			return ng_reasonf(NG_ERRF_TOO_MANY_MEDIA, count_media(o->sdp, o->sdp_len),
			    MEDIAD_MAX_MEDIA);
		return NG_ERR_SDP_PARSE;
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

/* The formats of sm, whole tokens only, as many as fit cm->fmts ("0" when none). */
static void
media_formats(const struct sdp_media *sm, struct call_media *cm)
{
	size_t n = 0, k;

	cm->fmts[0] = '\0';
	for (k = 0; k < sm->nfmt; k++) {
		if (n + (n > 0) + sm->fmt[k].len >= sizeof(cm->fmts))
			break;
		if (n > 0)
			cm->fmts[n++] = ' ';
		memcpy(cm->fmts + n, sm->fmt[k].p, sm->fmt[k].len);
		n += sm->fmt[k].len;
		cm->fmts[n] = '\0';
	}
	if (n == 0)
		snprintf(cm->fmts, sizeof(cm->fmts), "0");
}

const char *
ng_sdp_pad_answer(struct mediad *md, const struct ng_opts *o, const struct monologue *off,
    unsigned offered, struct sdp **sdpp)
{
	struct sdp *sdp = *sdpp, *padded = NULL;
	const char *why = NULL;
	size_t len, cap, i;
	char *text;
	int err;

	/* each added line: "m=" type, port 0, profile, formats, CRLF */
	cap = o->sdp_len + 2 + (size_t)offered * (2 + sizeof(off->media[0].type) + 3 + 24 +
	    sizeof(off->media[0].fmts) + 2) + 1;
	text = malloc(cap);
	if (text == NULL)
		return NG_ERR_NO_MEMORY;
	memcpy(text, o->sdp, o->sdp_len);
	len = o->sdp_len;
	if (len > 0 && text[len - 1] != '\n') {
		text[len++] = '\r';
		text[len++] = '\n';
	}
	/*
	 * RFC 3264 §6: a line refused in an answer keeps its place with port 0. These lines
	 * only tell the offerer (port 0 lines go on as they are): its type, profile, formats.
	 */
	for (i = sdp->nmedia; i < offered; i++) {
		const struct call_media *cm = &off->media[i];
		const char *proto = sdp_proto_name(cm->proto);

		len += (size_t)snprintf(text + len, cap - len, "m=%s 0 %s %s\r\n",
		    cm->type[0] ? cm->type : "audio", proto != NULL ? proto : "RTP/AVP",
		    cm->fmts[0] ? cm->fmts : "0");
	}
	err = sdp_parse(&padded, text, len, &why);
	free(text);
	if (err) {
		log_info("sdp_parse_failed error=%d reason=%s answer=padded", err,
		    LOG_Q(why ? why : "?"));
		return err == ENOMEM ? NG_ERR_NO_MEMORY : NG_ERR_SDP_PARSE;
	}
	metric_inc(md->ctr.tolerated[MEDIAD_TOL_ANSWER_MISSING_LINES]);
	log_info("sdp_tolerated kind=answer-missing-lines offered=%u answered=%zu note=%s",
	    offered, sdp->nmedia, LOG_Q("the missing lines refused with port 0"));
	sdp_free(sdp);
	*sdpp = padded;
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

enum ng_line_verdict
ng_sdp_line_unrelayable(const struct sdp_media *sm)
{
	if (sm->port == 0)
		return NG_LINE_OK;
	if (sm->proto == SDP_PROTO_KEEP)
		return NG_LINE_NOT_RTP;
	if ((sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP || sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF) &&
	    sm->ncrypto == 0)
		return NG_LINE_DTLS_ONLY;
	return NG_LINE_OK;
}

/* Unusable a=crypto lines beside a usable one: skipped (DESIGN: tolerant parsing), counted. */
static void
media_skipped_crypto(struct mediad *md, const struct sdp_media *sm, unsigned index)
{
	if (sm->nskipped == 0 || sm->ncrypto == 0)
		return;
	metric_inc(md->ctr.tolerated[MEDIAD_TOL_CRYPTO_LINE_SKIPPED]);
	log_info("sdp_tolerated kind=crypto-line-skipped media=%u skipped=%zu usable=%zu "
	    "first_reason=%s", index, sm->nskipped, sm->ncrypto, LOG_Q(sm->skipped[0].reason));
}

const char *
ng_sdp_take_media(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    struct monologue *s, const struct ng_line_plan *plans)
{
	bool is_offer = plans != NULL;
	size_t i;

	for (i = 0; i < sdp->nmedia; i++) {
		const struct sdp_media *sm = &sdp->media[i];
		struct call_media *cm = &s->media[i];

		cm->index = (unsigned)i + 1;
		snprintf(cm->type, sizeof(cm->type), "%.*s", (int)sm->type.len, sm->type.p);
		if (is_offer)
			media_formats(sm, cm);
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
		/* an answer's line we do not relay: refused alone by answer_lines (ng_answer.c) */
		if (!is_offer && !cm->disabled && ng_sdp_line_unrelayable(sm) != NG_LINE_OK) {
			cm->disabled = true;
			continue;
		}
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
		if (!cm->disabled)
			media_skipped_crypto(md, sm, cm->index);
		if (!is_offer)
			continue;
		cm->proto = sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP ? SDP_PROTO_RTP_SAVP :
		    sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF ? SDP_PROTO_RTP_SAVPF : sm->proto;
		cm->osrtp = plans[i].sender_osrtp;
		cm->capneg_cfg = cm->capneg_tcap = 0;
		cm->mux_offered = sm->rtcp_mux && !(o->rtcp_mux & NG_RTCP_MUX_REJECT);
		if (!plans[i].sender_srtp || cm->disabled) {
			cm->noffered = 0;
			continue;
		}
		if (sm->capneg.cfg != 0) {
			/* RFC 5939: its SRTP configuration is taken; the answer says which */
			cm->proto = sm->capneg.proto;
			cm->osrtp = false;
			cm->capneg_cfg = sm->capneg.cfg;
			cm->capneg_tcap = sm->capneg.tcap;
			metric_inc(md->ctr.tolerated[MEDIAD_TOL_CAPNEG]);
			log_info("sdp_tolerated kind=capneg media=%u pcfg=%u tcap=%u proto=%s "
			    "answer=acfg", cm->index, cm->capneg_cfg, cm->capneg_tcap,
			    sdp_proto_name(cm->proto));
		}
		if (call_sdes_take_offer(cm, sm, o->allowed_suites))
			return NG_ERR_NO_CRYPTO;
	}
	return NULL;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Encryption enforced where the media flows: each m= line against the encryption of the
 * interfaces that carry it ([interface] encryption), whatever the ng client asked. A line
 * that cannot be carried is refused on its own (port 0 towards both parties); a request
 * is refused only when no active line is left. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng_int.h"

static const char *const verdict_names[] = {
	"ok", "plain-on-required", "srtp-on-off", "no-key", "not-rtp", "dtls-only",
};

/* The profile without SRTP: what an encryption = off interface is offered. */
static enum sdp_proto
proto_plain(enum sdp_proto p)
{
	switch (p) {
	case SDP_PROTO_RTP_SAVP:
	case SDP_PROTO_UDP_TLS_RTP_SAVP:
		return SDP_PROTO_RTP_AVP;
	case SDP_PROTO_RTP_SAVPF:
	case SDP_PROTO_UDP_TLS_RTP_SAVPF:
		return SDP_PROTO_RTP_AVPF;
	default:
		return p;
	}
}

static bool
has_usable_key(const struct sdp_media *sm, unsigned allow)
{
	size_t k;

	for (k = 0; k < sm->ncrypto; k++)
		if (allow & SDP_CRYPTO_SUITE_BIT(sm->crypto[k].key.suite))
			return true;
	return false;
}

static void
refuse(struct ng_line_plan *pl, enum ng_line_verdict v, const struct mediad_iface *ifc)
{
	pl->verdict = v;
	pl->iface = ifc;
}

/* The sender's side of line sm: what its leg is, or why it cannot be carried. */
static void
plan_sender(const struct ng_opts *o, const struct sdp_media *sm, const struct mediad_iface *ifc,
    struct ng_line_plan *pl)
{
	if (sdp_proto_is_secure(sm->proto)) {
		if (ifc->encryption == MEDIAD_ENC_OFF)
			refuse(pl, NG_LINE_SRTP_ON_OFF, ifc);
		else if (!has_usable_key(sm, o->allowed_suites))
			refuse(pl, NG_LINE_NO_KEY, ifc);
		else
			pl->sender_srtp = true;
		return;
	}
	/* RTP/AVP with keys is best-effort SRTP (RFC 8643): answered with a key where the
	 * interface may carry SRTP, as plain RTP (keys ignored) where it is off. */
	if (ifc->encryption != MEDIAD_ENC_OFF && !o->sdes_off &&
	    has_usable_key(sm, o->allowed_suites)) {
		pl->sender_srtp = pl->sender_osrtp = true;
		return;
	}
	if (ifc->encryption == MEDIAD_ENC_REQUIRED)
		refuse(pl, NG_LINE_PLAIN_ON_REQUIRED, ifc);
}

/* The recipient's side: the profile it is offered on ifc (rm: what it has so far). */
static void
plan_recipient(const struct ng_opts *o, const struct sdp_media *sm, const struct call_media *rm,
    const struct mediad_iface *ifc, struct ng_line_plan *pl)
{
	enum sdp_proto want = o->transport;
	bool osrtp = o->osrtp_offer;

	if (want == SDP_PROTO_KEEP && rm->proto != SDP_PROTO_KEEP) {
		/* a re-offer without transport-protocol keeps what the recipient speaks */
		want = rm->proto;
		osrtp = osrtp || rm->osrtp;
	} else if (want == SDP_PROTO_KEEP) {
		/* the sender's profile passes through; we speak SDES, never DTLS */
		want = sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVP ? SDP_PROTO_RTP_SAVP :
		    sm->proto == SDP_PROTO_UDP_TLS_RTP_SAVPF ? SDP_PROTO_RTP_SAVPF : sm->proto;
	}
	pl->rproto = want;
	if (ifc->encryption == MEDIAD_ENC_OFF) {
		/* never a key towards it, whatever was asked: offered as plain RTP */
		pl->rproto = proto_plain(want);
		pl->stripped = pl->rproto != want;
	} else if (!sdp_proto_is_secure(want) && ifc->encryption == MEDIAD_ENC_REQUIRED) {
		/* keys asked best effort: a required side gets them for sure (RTP/SAVP), since
		 * an OSRTP answer without a key would leave it plain */
		if (osrtp && !o->sdes_off)
			pl->rproto = want == SDP_PROTO_RTP_AVPF ? SDP_PROTO_RTP_SAVPF :
			    SDP_PROTO_RTP_SAVP;
		else
			refuse(pl, NG_LINE_PLAIN_ON_REQUIRED, ifc);
	} else if (!sdp_proto_is_secure(want)) {
		pl->recipient_osrtp = osrtp && !o->sdes_off;
	}
}

/* One line; a line with port 0 carries nothing and is never refused. */
static void
plan_line(const struct ng_opts *o, const struct sdp_media *sm, const struct monologue *s,
    const struct monologue *r, const struct call_media *rm, struct ng_line_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	/*
	 * Not RTP at all (BFCP beside the video of a room system, T.38, MSRP), or DTLS-SRTP
	 * without SDES: refused on its own like any line we cannot carry, the others go on.
	 */
	if (ng_sdp_line_unrelayable(sm) != NG_LINE_OK) {
		refuse(pl, ng_sdp_line_unrelayable(sm), s->iface);
		return;
	}
	if (sm->proto == SDP_PROTO_KEEP)
		return;
	if (sm->port != 0)
		plan_sender(o, sm, s->iface, pl);
	if (pl->verdict != NG_LINE_OK)
		return;
	plan_recipient(o, sm, rm, r->iface, pl);
	if (sm->port == 0) {
		pl->verdict = NG_LINE_OK;
		pl->recipient_osrtp = false;
	}
}

const char *
ng_policy_reason(enum ng_line_verdict v, const struct mediad_iface *ifc)
{
	const char *name = ifc != NULL ? ifc->name : "?";

	switch (v) {
	case NG_LINE_PLAIN_ON_REQUIRED:
		return ng_reasonf(NG_ERRF_ENC_PLAIN, name);
	case NG_LINE_SRTP_ON_OFF:
		return ng_reasonf(NG_ERRF_ENC_SRTP, name);
	case NG_LINE_NO_KEY:
		return NG_ERR_NO_CRYPTO;
	case NG_LINE_NOT_RTP:
		return NG_ERR_NOT_RTP;
	case NG_LINE_DTLS_ONLY:
		return NG_ERR_DTLS;
	default:
		return NULL;
	}
}

static void
count_line(struct mediad *md, unsigned index, enum ng_line_verdict v,
    const struct mediad_iface *ifc, const char *when)
{
	if (v > NG_LINE_NO_KEY) {
		/* not an encryption matter: a line mediad does not relay at all */
		metric_inc(md->ctr.lines_refused[v - NG_LINE_NOT_RTP]);
		log_info("media_line_refused media=%u %s iface=%s reason=%s", index, when,
		    ifc != NULL ? ifc->name : "?", verdict_names[v]);
		return;
	}
	metric_inc(md->ctr.enc_rejected[v - 1]);
	log_warnx("encryption_line_refused media=%u %s iface=%s encryption=%s reason=%s", index,
	    when, ifc != NULL ? ifc->name : "?",
	    ifc != NULL ? mediad_encryption_name(ifc->encryption) : "?", verdict_names[v]);
}

const char *
ng_policy_offer(struct mediad *md, const struct ng_opts *o, const struct sdp *sdp,
    const struct monologue *s, const struct monologue *r, struct ng_line_plan *plans)
{
	const struct ng_line_plan *first = NULL;
	unsigned active = 0, usable = 0;
	size_t i;

	for (i = 0; i < sdp->nmedia; i++) {
		struct ng_line_plan *pl = &plans[i];

		plan_line(o, &sdp->media[i], s, r, &r->media[i], pl);
		if (sdp->media[i].port == 0)
			continue;
		active++;
		if (pl->verdict == NG_LINE_OK) {
			usable++;
			continue;
		}
		count_line(md, (unsigned)i + 1, pl->verdict, pl->iface, "in=offer");
		if (first == NULL)
			first = pl;
	}
	if (first == NULL || usable > 0)
		return NULL;
	if (first->verdict <= NG_LINE_NO_KEY)
		metric_inc(md->ctr.enc_refused);
	log_warnx("%s command=offer lines=%u reason=%s",
	    first->verdict <= NG_LINE_NO_KEY ? "encryption_refused" : "media_refused", active,
	    LOG_Q("no line can be carried"));
	return ng_policy_reason(first->verdict, first->iface);
}

enum ng_line_verdict
ng_policy_leg(const struct monologue *mono, const struct call_media *cm)
{
	if (cm->disabled)
		return NG_LINE_OK;
	if (mono->iface->encryption == MEDIAD_ENC_REQUIRED && !call_media_srtp(cm))
		return NG_LINE_PLAIN_ON_REQUIRED;
	if (mono->iface->encryption == MEDIAD_ENC_OFF && call_media_srtp(cm))
		return NG_LINE_SRTP_ON_OFF;
	return NG_LINE_OK;
}

void
ng_policy_reject_answered(struct mediad *md, struct monologue *off, struct monologue *ans,
    size_t i, enum ng_line_verdict v, const struct mediad_iface *ifc)
{
	struct call_media *om = &off->media[i], *am = &ans->media[i];

	count_line(md, om->index, v, ifc, "in=answer");
	call_media_refuse(om);
	call_media_refuse(am);
}

int
ng_policy_warn(struct bencode_arena *a, struct bencode_item *reply, const struct monologue *m)
{
	struct bencode_item *it;
	char buf[128];
	size_t len;
	unsigned i;
	int n = 0;

	len = (size_t)snprintf(buf, sizeof(buf), "media refused by encryption policy (port 0):");
	for (i = 0; i < m->nmedia && len < sizeof(buf); i++) {
		if (!m->media[i].rejected)
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %u", m->media[i].index);
		n++;
	}
	if (n == 0)
		return 0;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	it = bencode_str_dup(a, buf, len);
	return it == NULL ? ENOMEM : bencode_dict_add(a, reply, "warning", it);
}

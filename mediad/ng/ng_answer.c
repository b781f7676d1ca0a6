/* SPDX-License-Identifier: BSD-2-Clause */
/* ng answer: the answerer's SDP settles each leg (profile, keys, rtcp-mux), the offerer
 * gets our answer, and the relay starts or follows. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng_int.h"

/* A peer's key with an MKI (RFC 4568 "|1:1"): every packet of it carries one. */
static void
tolerated_mki(struct mediad *md, const struct call_media *cm, const char *side)
{
	metric_inc(md->ctr.tolerated[MEDIAD_TOL_MKI]);
	log_info("sdp_tolerated kind=mki media=%u side=%s mki_len=%u lifetime=%llu", cm->index,
	    side, cm->peer.key.mki_len, (unsigned long long)cm->peer.key.lifetime);
}

/*
 * Settles media i of an exchange from the answer's media sm; NULL or the reason, with
 * *keyless set when it is the line's own (no usable key): that line alone is refused.
 */
static const char *
answer_media(struct mediad *md, const struct ng_opts *o, const struct call *c, size_t i,
    const struct sdp_media *sm, struct call_media *am, struct call_media *om, bool *keyless)
{
	int err;

	am->disabled = sm->port == 0 || am->rejected;
	if (am->disabled || om->disabled)
		return NULL;
	if (am->osrtp && !sdp_proto_is_secure(sm->proto) && sm->ncrypto_lines == 0) {
		/* RFC 8643: a best-effort offer answered without a key is plain RTP, which
		 * only an optional interface was offered (ng_policy.c) */
		log_info("osrtp_declined media=%u answered=plain-rtp", am->index);
		am->osrtp = false;
	}
	*keyless = true;
	if (call_media_srtp(am)) {
		if (call_sdes_take_answer(am, sm, o->allowed_suites))
			return NG_ERR_NO_CRYPTO;
		if (am->peer.key.mki_len > 0 && c->rm[i] == NULL)
			tolerated_mki(md, am, "answerer");
	} else if (sdp_proto_is_secure(sm->proto) && !o->transport_accept) {
		*keyless = false;
		log_warnx("ng_answer_proto_mismatch media=%u offered=%s answered=%s",
		    am->index, sdp_proto_name(am->proto),
		    LOG_ESCWN(sm->proto_text.p, sm->proto_text.len));
		return NG_ERR_ANSWER_PROTO;
	}
	/*
	 * The answer decides the answerer's leg, if we offered it mux. Towards the
	 * offerer mux follows the answerer, except that an offerer's mux we did not
	 * pass on (demux) is accepted by us. Once the relay media runs both stay
	 * as created (see prepare_recipient in ng_offer.c).
	 */
	if (c->rm[i] == NULL) {
		am->rtcp_mux = sm->rtcp_mux && am->mux_offered;
		om->rtcp_mux = om->mux_offered && (sm->rtcp_mux || !am->mux_offered) &&
		    !(o->rtcp_mux & NG_RTCP_MUX_REJECT);
	}
	if (call_media_srtp(om)) {
		struct call_key_opts ko = {
			.lifetime = (o->rw_flags & SDP_RW_CRYPTO_LIFETIME) ? 1ull << 31 : 0,
		};

		err = call_sdes_answer_offerer(om, o->allowed_suites, o->rekey, &ko);
		if (err) {
			const char *reason = err == ENOENT ? NG_ERR_NO_CRYPTO : NG_ERR_SRTP_KEY;

			*keyless = err == ENOENT;
			log_warnx("sdes_negotiation_failed media=%u side=offerer reason=%s",
			    om->index, LOG_Q(reason));
			return reason;
		}
		if (om->osrtp && c->rm[i] == NULL)
			metric_inc(md->ctr.osrtp_answered);
		if (om->peer.key.mki_len > 0 && c->rm[i] == NULL)
			tolerated_mki(md, om, "offerer");
	} else {
		call_sdes_forget(om);
	}
	if (!call_media_srtp(am))
		call_sdes_forget(am);
	return NULL;
}

/*
 * Every line of an answer; a line that cannot be carried is refused on its own (port 0
 * towards the offerer). NULL, or the first line's reason when no active line is left.
 */
static const char *
answer_lines(struct mediad *md, const struct ng_opts *o, struct call *c, const struct sdp *sdp,
    struct monologue *off, struct monologue *ans)
{
	enum ng_line_verdict v[MEDIAD_MAX_MEDIA];
	const struct mediad_iface *ifc[MEDIAD_MAX_MEDIA];
	unsigned usable = 0, refused = 0;
	size_t i, first = 0;

	for (i = 0; i < sdp->nmedia; i++) {
		struct call_media *am = &ans->media[i], *om = &off->media[i];
		const char *reason;
		bool keyless = false;

		v[i] = NG_LINE_OK;
		ifc[i] = ans->iface;
		/* an answer line we do not relay (BFCP, DTLS only): refused alone */
		if ((v[i] = ng_sdp_line_unrelayable(&sdp->media[i])) != NG_LINE_OK) {
			if (refused++ == 0)
				first = i;
			continue;
		}
		reason = answer_media(md, o, c, i, &sdp->media[i], am, om, &keyless);
		if (reason != NULL && !keyless)
			return reason;	/* not the line's own: the whole answer fails as before */
		if (reason != NULL)
			v[i] = NG_LINE_NO_KEY;
		/* the legs as settled against their interfaces, whoever asked what */
		else if ((v[i] = ng_policy_leg(ans, am)) == NG_LINE_OK &&
		    (v[i] = ng_policy_leg(off, om)) != NG_LINE_OK)
			ifc[i] = off->iface;
		if (v[i] == NG_LINE_OK) {
			usable += !am->disabled && !om->disabled;
			continue;
		}
		if (refused++ == 0)
			first = i;
	}
	if (refused > 0 && usable == 0) {
		/* refused whole: no line is marked, a later answer starts afresh */
		if (v[first] <= NG_LINE_NO_KEY)
			metric_inc(md->ctr.enc_refused);
		log_warnx("%s command=answer lines=%u reason=%s",
		    v[first] <= NG_LINE_NO_KEY ? "encryption_refused" : "media_refused", refused,
		    LOG_Q("no line can be carried"));
		return ng_policy_reason(v[first], ifc[first]);
	}
	for (i = 0; i < sdp->nmedia; i++)
		if (v[i] != NG_LINE_OK)
			ng_policy_reject_answered(md, off, ans, i, v[i], ifc[i]);
	return NULL;
}

const char *
ng_handle_answer(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct ng_opts o;
	struct sdp *sdp = NULL;
	struct call *c;
	struct monologue *off, *ans;
	const char *reason;

	reason = ng_opts_parse(md, m, &o);
	if (reason != NULL)
		return reason;
	if (o.from_tag == NULL || o.from_tag_len == 0)
		return NG_ERR_NO_FROM_TAG;
	if (o.to_tag == NULL || o.to_tag_len == 0)
		return NG_ERR_NO_TO_TAG;
	if (o.to_tag_len == o.from_tag_len && memcmp(o.to_tag, o.from_tag, o.to_tag_len) == 0)
		return NG_ERR_DIALOGUE;
	c = call_find(&md->calls, o.call_id, o.call_id_len);
	if (c == NULL)
		return NG_ERR_UNKNOWN_CALL;
	reason = ng_sdp_parse(&o, &sdp);
	if (reason != NULL)
		return reason;

	reason = ng_tags_answer(&o, c, &off, &ans);
	if (reason != NULL)
		goto out;
	if (sdp->nmedia > 0 && sdp->nmedia < off->nmedia) {
		reason = ng_sdp_pad_answer(md, &o, off, off->nmedia, &sdp);
		if (reason != NULL)
			goto out;
	}
	if (sdp->nmedia != off->nmedia || off->nmedia == 0) {
		log_info("ng_answer_media_mismatch offered=%u answered=%zu", off->nmedia, sdp->nmedia);
		reason = NG_ERR_SDP_INCOMPLETE;
		goto out;
	}
	if (o.label != NULL && monologue_set_str(&ans->label, o.label, o.label_len)) {
		reason = NG_ERR_NO_MEMORY;
		goto out;
	}
	reason = ng_sdp_take_media(md, &o, sdp, ans, NULL);
	if (reason != NULL)
		goto out;
	reason = answer_lines(md, &o, c, sdp, off, ans);
	if (reason != NULL)
		goto out;
	ans->nmedia = (unsigned)sdp->nmedia;
	call_enter_state(c, CALL_STATE_ANSWERED);
	/* a moved call: the relay made below continues the sessions whose key is unchanged */
	ng_resume_apply(&o, c);
	reason = ng_sdp_reply_relay(md, &o, sdp, off, true, c, a, reply);
	if (reason != NULL)
		goto out;
	log_info("call_answer to_tag=%s media=%u offerer_suite=%s answerer_suite=%s",
	    ans->tag, ans->nmedia,
	    off->media[0].have_our_key ? crypto_suite_name(off->media[0].ours.key.suite) : "none",
	    ans->media[0].have_our_key ? crypto_suite_name(ans->media[0].ours.key.suite) : "none");
 out:
	sdp_free(sdp);
	return reason;
}

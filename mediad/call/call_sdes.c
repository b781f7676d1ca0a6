/* SPDX-License-Identifier: BSD-2-Clause */
/* SDES negotiation of a call's media: offered lines, our proposals, the answer's choice. */
#include <errno.h>
#include <string.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "ng.h"
#include "rand.h"

/* A fresh key of suite; EIO when the random source fails (ENOENT means "no suite"). */
static int
key_generate(struct crypto_key *k, enum crypto_suite suite)
{
	const struct crypto_suite_info *info = crypto_suite_info(suite);

	if (info == NULL)
		return EIO;
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->key_salt_len = info->key_len + info->salt_len;
	if (rand_bytes(k->key_salt, k->key_salt_len)) {
		explicit_bzero(k, sizeof(*k));
		return EIO;
	}
	return 0;
}

static void
log_skipped_crypto(const struct sdp_media *sm, unsigned idx)
{
	size_t i;

	for (i = 0; i < sm->nskipped; i++)
		log_info("sdes_line_skipped media=%u reason=\"%s\"", idx, sm->skipped[i].reason);
}

int
call_sdes_take_offer(struct call_media *cm, const struct sdp_media *sm, unsigned allow)
{
	size_t k;

	cm->noffered = 0;
	for (k = 0; k < sm->ncrypto && cm->noffered < MEDIAD_MAX_CRYPTO; k++) {
		const struct sdp_crypto *sc = &sm->crypto[k];

		if (!(allow & SDP_CRYPTO_SUITE_BIT(sc->key.suite)))
			continue;
		cm->offered[cm->noffered].tag = sc->tag;
		cm->offered[cm->noffered].key = sc->key;
		cm->offered[cm->noffered].flags = sc->params;
		cm->offered[cm->noffered].acap = sc->acap;
		cm->noffered++;
	}
	if (cm->noffered == 0) {
		log_skipped_crypto(sm, cm->index);
		log_warnx("sdes_negotiation_failed media=%u side=offerer lines=%zu "
		    "usable=%zu allowed=0 reason=%s action=refuse-plain-rtp", cm->index,
		    sm->ncrypto_lines, sm->ncrypto, LOG_Q(NG_ERR_NO_CRYPTO));
		return ENOENT;
	}
	return 0;
}

/* What our key says beside the key itself: the MKI its packets carry, its lifetime. */
static void
key_params(struct crypto_key *k, unsigned mki_len, uint64_t lifetime)
{
	k->mki_len = mki_len;
	k->mki = mki_len > 0 ? 1 : 0;
	k->lifetime = lifetime;
}

int
call_sdes_propose(struct mediad *md, struct call_media *cm, unsigned allow, bool rekey,
    const struct call_key_opts *ko)
{
	unsigned k;

	if (cm->have_our_key && !rekey && (allow & SDP_CRYPTO_SUITE_BIT(cm->ours.key.suite))) {
		/* Re-offer: only the active suite, same tag, same key (no new SRTP session). */
		cm->proposed[0] = cm->ours;
		cm->nproposed = 1;
		return 0;
	}
	if (cm->nproposed > 0 && !rekey)
		return 0;  /* offer repeated before any answer: same keys */
	cm->nproposed = 0;
	for (k = 0; k < md->cfg.noffer_suites; k++) {
		enum crypto_suite suite = md->cfg.offer_suites[k];
		struct call_crypto *cc = &cm->proposed[cm->nproposed];

		if (!(allow & SDP_CRYPTO_SUITE_BIT(suite)))
			continue;
		if (key_generate(&cc->key, suite))
			return EIO;
		key_params(&cc->key, ko->mki_len, ko->lifetime);
		cc->tag = cm->nproposed + 1;
		cc->flags = 0;
		cm->nproposed++;
	}
	if (cm->nproposed == 0) {
		log_warnx("sdes_negotiation_failed media=%u side=recipient reason=%s", cm->index,
		    LOG_Q("no configured offer suite allowed by SDES options"));
		return ENOENT;
	}
	return 0;
}

int
call_sdes_take_answer(struct call_media *cm, const struct sdp_media *sm, unsigned allow)
{
	size_t k, j;

	/* an OSRTP offer (RTP/AVP with keys) is answered in RTP/AVP: its keys decide */
	if (!sdp_proto_is_secure(sm->proto) && !cm->osrtp) {
		log_warnx("sdes_negotiation_failed media=%u side=answerer offered=%s answered=%s "
		    "action=refuse-plain-rtp", cm->index, LOG_Q(sdp_proto_name(cm->proto)),
		    LOG_QN(sm->proto_text.p, sm->proto_text.len));
		return ENOENT;
	}
	for (k = 0; k < sm->ncrypto; k++) {
		for (j = 0; j < cm->nproposed; j++) {
			if (sm->crypto[k].tag == cm->proposed[j].tag &&
			    sm->crypto[k].key.suite == cm->proposed[j].key.suite)
				goto found;
		}
	}
	for (k = 0; k < sm->ncrypto; k++) {
		for (j = 0; j < cm->nproposed; j++) {
			if (sm->crypto[k].key.suite == cm->proposed[j].key.suite &&
			    (allow & SDP_CRYPTO_SUITE_BIT(sm->crypto[k].key.suite)))
				goto found;
		}
	}
	log_skipped_crypto(sm, cm->index);
	log_warnx("sdes_negotiation_failed media=%u side=answerer lines=%zu usable=%zu "
	    "reason=%s", cm->index, sm->ncrypto_lines, sm->ncrypto,
	    LOG_Q("none matches what we offered: " NG_ERR_NO_CRYPTO));
	return ENOENT;
 found:
	cm->peer.tag = sm->crypto[k].tag;
	cm->peer.key = sm->crypto[k].key;
	cm->peer.flags = sm->crypto[k].params;
	cm->have_peer_key = true;
	cm->ours = cm->proposed[j];
	cm->have_our_key = true;
	cm->proposed[0] = cm->ours;
	cm->nproposed = 1;
	return 0;
}

int
call_sdes_answer_offerer(struct call_media *cm, unsigned allow, bool rekey,
    const struct call_key_opts *ko)
{
	struct call_crypto *sel = NULL;
	unsigned k;

	for (k = 0; k < cm->noffered; k++) {
		if (allow & SDP_CRYPTO_SUITE_BIT(cm->offered[k].key.suite)) {
			sel = &cm->offered[k];
			break;
		}
	}
	if (sel == NULL)
		return ENOENT;
	cm->peer = *sel;
	cm->have_peer_key = true;
	/* Our key stays across re-INVITEs unless the suite changes or a re-key is asked. */
	if (!cm->have_our_key || cm->ours.key.suite != sel->key.suite || rekey) {
		if (key_generate(&cm->ours.key, sel->key.suite))
			return EIO;
		cm->have_our_key = true;
	}
	/*
	 * An offerer whose key carries an MKI gets one of the same length on ours: such a
	 * peer (Teams Direct Routing) requires MKIs both ways. A changed MKI is a changed
	 * key for the relay (a new context), the key material stays.
	 */
	/* ... and a lifetime when it gave one: 2^31 packets, as such peers write it */
	key_params(&cm->ours.key, sel->key.mki_len, ko->lifetime ? ko->lifetime :
	    sel->key.lifetime ? 1ull << 31 : 0);
	cm->ours.tag = sel->tag;
	cm->ours.flags = sel->flags;
	return 0;
}

void
call_sdes_forget(struct call_media *cm)
{
	if (!cm->have_peer_key && !cm->have_our_key && cm->nproposed == 0)
		return;
	explicit_bzero(&cm->peer, sizeof(cm->peer));
	explicit_bzero(&cm->ours, sizeof(cm->ours));
	explicit_bzero(cm->proposed, sizeof(cm->proposed));
	cm->have_peer_key = cm->have_our_key = false;
	cm->nproposed = 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A call moved here from a mediad that was lost: sigproxy sends, with the answer that
 * creates the relay, what the old mediad's record said of each party ("resume": tag ->
 * one {key: "inline:<base64>", index} per m= line; never logged). A party that kept the key it sent there continues its
 * SRTP session where that mediad left it (rollover counter, highest index), as after a
 * restart; a party with a new key starts a new session (rollover counter 0).
 */
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "mediad.h"
#include "ng.h"
#include "ng_int.h"

/* One party's lines: the index of each whose key is the one it keeps using. */
static void
resume_party(struct call *c, struct monologue *m, const struct bencode_item *list)
{
	const struct bencode_item *e;
	unsigned j = 0;

	if (list->type != BENCODE_LIST)
		return;
	for (e = list->child; e != NULL && j < m->nmedia && j < MEDIAD_MAX_MEDIA; e = e->next, j++) {
		struct call_media *cm = &m->media[j];
		unsigned char raw[CRYPTO_MAX_KEY_SALT];
		char idx[CALL_INDEX_STRLEN];
		const char *key, *index;
		size_t kl, il, rl;
		bool same;

		/* only a relay made now takes it, and only for the key it was reached with */
		if (c->rm[j] != NULL || !cm->have_peer_key || ng_get_str(e, "key", &key, &kl) ||
		    ng_get_str(e, "index", &index, &il) || il >= sizeof(idx))
			continue;
		/* "inline:<base64>", as SDP writes keys (and log masking finds them) */
		if (kl > 7 && memcmp(key, "inline:", 7) == 0) {
			key += 7;
			kl -= 7;
		}
		same = sdp_base64_decode(raw, sizeof(raw), key, kl, &rl) == 0 &&
		    rl == cm->peer.key.key_salt_len && memcmp(raw, cm->peer.key.key_salt, rl) == 0;
		explicit_bzero(raw, sizeof(raw));
		if (!same)
			continue;
		memcpy(idx, index, il);
		idx[il] = '\0';
		if (call_index_parse(idx, cm->resume.rx, SRTP_CTX_MAX_SSRC, &cm->resume.nrx) == 0 &&
		    cm->resume.nrx > 0)
			log_info("srtp_resume_moved tag=%s media=%u ssrcs=%u", LOG_ESCW(m->tag), j + 1,
			    cm->resume.nrx);
	}
}

void
ng_resume_apply(const struct ng_opts *o, struct call *c)
{
	const struct bencode_item *k;
	unsigned i;

	if (o->resume == NULL || o->resume->type != BENCODE_DICT)
		return;
	for (k = o->resume->child; k != NULL && k->next != NULL; k = k->next->next)
		for (i = 0; i < 2; i++)
			if (c->mono[i] != NULL && k->type == BENCODE_STRING &&
			    strlen(c->mono[i]->tag) == k->len &&
			    memcmp(c->mono[i]->tag, k->str, k->len) == 0)
				resume_party(c, c->mono[i], k->next);
}

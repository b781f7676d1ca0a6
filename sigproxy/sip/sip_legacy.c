/* SPDX-License-Identifier: BSD-2-Clause */
/* Identifiers for RFC 2543 peers: a From tag and a transaction key where the message has none. */

/*
 * RFC 2543 user agents (old gateways, RFC 4475 "inv2543") send no From tag and a top
 * Via without the RFC 3261 branch. The proxy keys its transactions on the branch and
 * mediad keys a call's parties on tags, so both are derived from what such a message
 * does carry (RFC 3261 §12.2.1.1 and §17.2.3 name the fields), the same for every
 * message of the dialog or transaction. They are keys only: nothing derived is ever
 * written into a message, which goes on as it came.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip_int.h"

#define MAGIC_COOKIE "z9hG4bK"

static uint64_t
fnv_add(uint64_t h, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	/* a separator, so ("ab", "c") and ("a", "bc") differ */
	h ^= 0xff;
	return h * 1099511628211ull;
}

static uint64_t
fnv_uri(uint64_t h, const struct sip_uri *u)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", (unsigned)u->port);
	h = fnv_add(h, u->scheme);
	h = fnv_add(h, u->user);
	h = fnv_add(h, u->host);
	return fnv_add(h, port);
}

/*
 * Writes "2543-" and the hash into the message's slot the first time. The message is
 * read-only to everyone else; this derived copy never changes once written, and the
 * proxy's loop is one thread (as for sip_msg_ref's count).
 */
static const char *
slot_fill(const char *slot, uint64_t h)
{
	char *w = (char *)slot;

	if (w[0] == '\0')
		snprintf(w, SIP_LEGACY_ID_SIZE, "2543-%016llx", (unsigned long long)h);
	return slot;
}

/*
 * A party's derived tag: its URI and the Call-ID. The same whether the party stands in
 * From or in To, so the callee's BYE (From: callee) matches what its 2xx (To: callee) gave.
 */
static uint64_t
party_hash(const struct sip_addr *a, const char *call_id)
{
	return fnv_add(fnv_uri(14695981039346656037ull, &a->uri), call_id);
}

const char *
sip_msg_dialog_from_tag(const struct sip_msg *m)
{
	struct sip_addr a;
	const char *tag = sip_msg_from_tag(m);

	if (tag != NULL)
		return tag;
	if (sip_msg_from(m, &a) != 0)
		return NULL;
	return slot_fill(m->legacy_from_tag, party_hash(&a, sip_msg_call_id(m)));
}

const char *
sip_msg_dialog_to_tag(const struct sip_msg *m)
{
	struct sip_addr a;
	const char *tag = sip_msg_to_tag(m);

	/*
	 * A request without To tag is an initial one and must stay visible as such, unless
	 * it comes from an RFC 2543 party (no From tag either): then its dialog had no tags
	 * at all and its peer's is the derived one.
	 */
	if (tag != NULL || (sip_msg_is_request(m) && sip_msg_from_tag(m) != NULL))
		return tag;
	if (sip_msg_to(m, &a) != 0)
		return NULL;
	return slot_fill(m->legacy_to_tag, party_hash(&a, sip_msg_call_id(m)));
}

static bool
branch_is_3261(const char *branch)
{
	return branch != NULL && strncasecmp(branch, MAGIC_COOKIE, strlen(MAGIC_COOKIE)) == 0;
}

const char *
sip_msg_txn_key(const struct sip_msg *m)
{
	const struct sip_hdr *via;
	struct sip_via v;
	struct sip_uri ru;
	char cseq[16];
	uint64_t h = 14695981039346656037ull;

	if (!sip_msg_is_request(m) || sip_msg_via(m, 0, &v) != 0)
		return NULL;
	if (branch_is_3261(v.branch))
		return v.branch;
	/* §17.2.3 without the To tag (the ACK of our failure carries ours) and the method
	 * (CANCEL and ACK share the INVITE's key); the top Via as written */
	if (sip_msg_ruri(m, &ru) == 0)
		h = fnv_uri(h, &ru);
	h = fnv_add(h, sip_msg_from_tag(m));
	h = fnv_add(h, sip_msg_call_id(m));
	snprintf(cseq, sizeof(cseq), "%u", (unsigned)sip_msg_cseq(m));
	h = fnv_add(h, cseq);
	via = sip_msg_hdr_find(m, SIP_HDR_VIA, 0);
	if (via != NULL) {
		/* the first value of the first Via line: up to a ',' outside quotes */
		const char *p = via->value;
		size_t n = strcspn(p, ",");
		char first[256];

		snprintf(first, sizeof(first), "%.*s", (int)(n < sizeof(first) ? n :
		    sizeof(first) - 1), p);
		h = fnv_add(h, first);
	}
	return slot_fill(m->legacy_txn_key, h);
}

bool
sip_msg_is_legacy(const struct sip_msg *m)
{
	struct sip_via v;

	if (!sip_msg_is_request(m))
		return false;
	if (sip_msg_from_tag(m) == NULL)
		return true;
	return sip_msg_via(m, 0, &v) == 0 && !branch_is_3261(v.branch);
}

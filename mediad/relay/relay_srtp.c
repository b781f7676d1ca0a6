/* SPDX-License-Identifier: BSD-2-Clause */
/* The relay's thin adapter over srtp_ctx: contexts from leg configs, errors mapped to drop reasons. */
#include <errno.h>
#include <string.h>

#include "relay_int.h"

_Static_assert(RELAY_TAILROOM >= SRTP_CTX_TAILROOM,
    "packet buffers need the tailroom srtp_ctx documents");

int
relay_srtp_ctx_new(struct srtp_ctx **cp, const struct crypto_key *k, unsigned flags, bool rx)
{
	struct srtp_ctx_opts opts = { flags };

	return srtp_ctx_create(cp, k->suite, k,
	    rx ? SRTP_CTX_INBOUND : SRTP_CTX_OUTBOUND, &opts);
}

void
relay_srtp_ctx_resume(struct srtp_ctx *c, const struct srtp_ctx_ssrc_state *st, unsigned n,
    bool rx)
{
	unsigned i;
	int err;

	for (i = 0; i < n && i < SRTP_CTX_MAX_SSRC; i++) {
		err = srtp_ctx_resume(c, &st[i]);
		/* A refused SRTCP resume leaves that SSRC's SRTCP blocked: never reused. */
		if (err)
			log_warnx("srtp_resume_failed dir=%s ssrc=0x%08x error=%d reason=%s",
			    rx ? "rx" : "tx", st[i].ssrc, err, LOG_Q(err == EOVERFLOW ?
			    "SRTCP index too high: this SSRC's SRTCP is dropped" : strerror(err)));
	}
}

void
relay_srtp_ctx_free(struct srtp_ctx *c)
{
	srtp_ctx_destroy(c);
}

enum crypto_suite
relay_srtp_ctx_suite(const struct srtp_ctx *c)
{
	return c == NULL ? CRYPTO_SUITE_NONE : srtp_ctx_suite(c);
}

int
relay_srtp_unprotect(struct srtp_ctx *c, uint8_t *buf, size_t *len, bool rtcp)
{
	int err;

	err = rtcp ? srtp_ctx_unprotect_rtcp(c, buf, len) : srtp_ctx_unprotect_rtp(c, buf, len);
	switch (err) {
	case 0:
		return -1;
	case EBADMSG:
		return RELAY_DROP_AUTH;
	case EALREADY:
		return RELAY_DROP_REPLAY;
	case EINVAL:
		return RELAY_DROP_MALFORMED;
	case EKEYEXPIRED:
		return RELAY_DROP_EXPIRED;
	default:
		/* Whatever else libsrtp objects to, the packet could not be authenticated. */
		return RELAY_DROP_AUTH;
	}
}

int
relay_srtp_protect(struct srtp_ctx *c, uint8_t *buf, size_t *len, size_t cap, bool rtcp)
{
	return rtcp ? srtp_ctx_protect_rtcp(c, buf, len, cap) :
	    srtp_ctx_protect_rtp(c, buf, len, cap);
}

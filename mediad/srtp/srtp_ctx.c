/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-leg SRTP contexts on libsrtp2: suite to policy mapping, packet checks, error mapping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/crypto_types.h>
#include <srtp2/srtp.h>

#include "compiler.h"
#include "srtp_ctx_int.h"

#define RTP_HDR_LEN	12
#define RTCP_HDR_LEN	8
#define SRTCP_INDEX_LEN	4	/* E flag + 31-bit index appended to SRTCP */
#define PKT_MAX_LEN	65535	/* a UDP payload; keeps libsrtp's int lengths safe */

/*
 * libsrtp's policy setters for each suite, RTP and RTCP (indexed by crypto_suite). The
 * AES_CM_128_HMAC_SHA1_80 setter is a macro for the "default" one: the function is named.
 */
typedef void (policy_set_f)(srtp_crypto_policy_t *p);
static const struct {
	policy_set_f *rtp, *rtcp;
} suite_policy[CRYPTO_SUITE_COUNT] = {
	[CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_80] = {
		srtp_crypto_policy_set_rtp_default,
		srtp_crypto_policy_set_rtp_default },
	/* RFC 4568 6.2.1: SRTCP keeps the 80-bit tag. */
	[CRYPTO_SUITE_AES_CM_128_HMAC_SHA1_32] = {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
		srtp_crypto_policy_set_rtp_default },
	[CRYPTO_SUITE_AES_256_CM_HMAC_SHA1_80] = {
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80 },
	[CRYPTO_SUITE_AEAD_AES_128_GCM] = {
		srtp_crypto_policy_set_aes_gcm_128_16_auth,
		srtp_crypto_policy_set_aes_gcm_128_16_auth },
	[CRYPTO_SUITE_AEAD_AES_256_GCM] = {
		srtp_crypto_policy_set_aes_gcm_256_16_auth,
		srtp_crypto_policy_set_aes_gcm_256_16_auth },
};

static int
ctx_set_policy(srtp_policy_t *p, enum crypto_suite suite)
{
	if ((unsigned)suite >= CRYPTO_SUITE_COUNT ||
	    suite_policy[suite].rtp == NULL)
		return EINVAL;
	suite_policy[suite].rtp(&p->rtp);
	suite_policy[suite].rtcp(&p->rtcp);
	return 0;
}

int
srtp_ctx_create(struct srtp_ctx **ctxp, enum crypto_suite suite,
    const struct crypto_key *key, enum srtp_ctx_dir dir,
    const struct srtp_ctx_opts *opts)
{
	const struct crypto_suite_info *info = crypto_suite_info(suite);
	unsigned char keybuf[CRYPTO_MAX_KEY_SALT];
	unsigned int flags = opts ? opts->flags : 0;
	struct srtp_ctx *ctx = NULL;
	srtp_policy_t p;
	int err;

	if (ctxp == NULL || key == NULL || info == NULL)
		return EINVAL;
	if (dir != SRTP_CTX_INBOUND && dir != SRTP_CTX_OUTBOUND)
		return EINVAL;
	if (key->suite != suite && key->suite != CRYPTO_SUITE_NONE)
		return EINVAL;
	if (key->key_salt_len != info->key_len + info->salt_len ||
	    key->key_salt_len > sizeof(keybuf))
		return EINVAL;
	if (flags & ~CRYPTO_PARAM_ALL)
		return EINVAL;
	/* the value is written big-endian in mki_len bytes: it must fit them */
	if (key->mki_len > CRYPTO_MKI_MAX_LEN ||
	    (key->mki_len > 0 && key->mki_len < 4 && key->mki >> (8 * key->mki_len) != 0))
		return EINVAL;
	/*
	 * An AEAD suite cannot authenticate without encrypting or the other
	 * way round (RFC 7714); only SRTCP sent in clear (E=0, all AAD) exists.
	 */
	if (info->aead &&
	    (flags & (CRYPTO_PARAM_UNENCRYPTED_SRTP | CRYPTO_PARAM_UNAUTHENTICATED_SRTP)))
		return ENOTSUP;

	err = srtp_engine_active() == SRTP_ENGINE_NONE ? srtp_engine_init() : 0;
	if (err)
		return err;

	memset(&p, 0, sizeof(p));
	err = ctx_set_policy(&p, suite);
	if (err)
		return err;
	if (flags & CRYPTO_PARAM_UNENCRYPTED_SRTP)
		p.rtp.sec_serv &= ~sec_serv_conf;
	if (flags & CRYPTO_PARAM_UNAUTHENTICATED_SRTP) {
		/*
		 * libsrtp 2.5 strips auth_tag_len bytes on unprotect even with
		 * authentication off: a null tag keeps both sides symmetric.
		 */
		p.rtp.sec_serv &= ~sec_serv_auth;
		p.rtp.auth_type = SRTP_NULL_AUTH;
		p.rtp.auth_key_len = 0;
		p.rtp.auth_tag_len = 0;
	}
	if (flags & CRYPTO_PARAM_UNENCRYPTED_SRTCP)
		p.rtcp.sec_serv &= ~sec_serv_conf;
	p.ssrc.type = dir == SRTP_CTX_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
	memcpy(keybuf, key->key_salt, key->key_salt_len);
	p.key = keybuf;
	p.window_size = 128;
	p.allow_repeat_tx = 1;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL) {
		err = ENOMEM;
		goto out;
	}
	ctx->suite = suite;
	ctx->dir = dir;
	memcpy(ctx->key, keybuf, key->key_salt_len);
	ctx->policy = p;
	ctx->policy.key = ctx->key;
	ctx->mki_len = key->mki_len;
	if (key->mki_len > 0) {
		unsigned i;

		for (i = 0; i < 4 && i < key->mki_len; i++)
			ctx->mki[key->mki_len - 1 - i] = (unsigned char)(key->mki >> (8 * i));
		/* libsrtp takes keys with MKIs as a list; the streams it clones later
		 * (srtp_track.c) read the same policy, so it lives in the context */
		ctx->mkey.key = ctx->key;
		ctx->mkey.mki_id = ctx->mki;
		ctx->mkey.mki_size = key->mki_len;
		ctx->mkeys[0] = &ctx->mkey;
		ctx->policy.key = NULL;
		ctx->policy.keys = ctx->mkeys;
		ctx->policy.num_master_keys = 1;
	}
	ctx->limit = key->lifetime ? key->lifetime : UINT64_MAX;
	ctx->rtp_trailer = ((p.rtp.sec_serv & sec_serv_auth) || info->aead ?
	    info->rtp_auth_tag_len : 0) + key->mki_len;
	ctx->rtcp_trailer = SRTCP_INDEX_LEN + info->rtcp_auth_tag_len + key->mki_len;
	ctx->rtcp_tag = info->rtcp_auth_tag_len;
	ctx->aead = info->aead;
	switch (srtp_create(&ctx->session, &ctx->policy)) {
	case srtp_err_status_ok:
		break;
	case srtp_err_status_alloc_fail:
		err = ENOMEM;
		goto out;
	default:
		err = EIO;
		goto out;
	}
 out:
	OPENSSL_cleanse(keybuf, sizeof(keybuf));
	if (err) {
		if (ctx != NULL)
			OPENSSL_cleanse(ctx, sizeof(*ctx));
		free(ctx);
	} else {
		*ctxp = ctx;
	}
	return err;
}

void
srtp_ctx_destroy(struct srtp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	/* srtp_dealloc wipes the session keys before freeing them. */
	srtp_dealloc(ctx->session);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

static int
ctx_errno(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cant_check:	/* SRTCP E bit clear, policy encrypts */
		return EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
	case srtp_err_status_pkt_idx_old:
		return EALREADY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
	case srtp_err_status_no_ctx:
	case srtp_err_status_bad_mki:	/* a packet with another MKI than the key's */
		return EINVAL;
	case srtp_err_status_key_expired:
		return EKEYEXPIRED;
	case srtp_err_status_alloc_fail:
		return ENOMEM;
	default:
		return EIO;
	}
}

/*
 * Length of the RTP header (fixed part, CSRCs, extension) or EINVAL.
 * libsrtp checks less than this in 2.5, and casts the buffer to 32-bit
 * words, hence the alignment check.
 */
static int
ctx_rtp_header_len(const uint8_t *buf, size_t len, size_t *hlenp)
{
	size_t hlen;

	if (unlikely(((uintptr_t)buf & 3) != 0))
		return EINVAL;
	if (unlikely(len < RTP_HDR_LEN || len > PKT_MAX_LEN || (buf[0] >> 6) != 2))
		return EINVAL;
	hlen = RTP_HDR_LEN + 4 * (size_t)(buf[0] & 0x0f);
	if (buf[0] & 0x10) {
		if (unlikely(hlen + 4 > len))
			return EINVAL;
		hlen += 4 + 4 * (((size_t)buf[hlen + 2] << 8) | buf[hlen + 3]);
	}
	if (unlikely(hlen > len))
		return EINVAL;
	*hlenp = hlen;
	return 0;
}

static int
ctx_rtcp_check(const uint8_t *buf, size_t len)
{
	if (unlikely(((uintptr_t)buf & 3) != 0))
		return EINVAL;
	if (unlikely(len < RTCP_HDR_LEN || len > PKT_MAX_LEN || (buf[0] >> 6) != 2))
		return EINVAL;
	return 0;
}

/*
 * A received packet's MKI: it must be ours (one key per context), and goes before
 * libsrtp sees the packet. libsrtp 2.5 looks for the MKI of an SRTCP packet behind the
 * RTP tag length, which is wrong for the _32 suites (4-byte SRTP tag, 10-byte SRTCP
 * tag); the MKI is not authenticated (RFC 3711 §3.4), so taking it out first is
 * exact. Layouts: payload, MKI, tag; AEAD (RFC 7714): payload and tag, then MKI;
 * SRTCP: E+index before the MKI. Returns 0 or EINVAL.
 */
static int
ctx_strip_mki(const struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp, size_t tag)
{
	size_t len = *lenp, at;

	if (unlikely(len < ctx->mki_len + tag))
		return EINVAL;
	at = len - ctx->mki_len - (ctx->aead ? 0 : tag);
	if (unlikely(memcmp(buf + at, ctx->mki, ctx->mki_len) != 0))
		return EINVAL;
	memmove(buf + at, buf + at + ctx->mki_len, len - at - ctx->mki_len);
	*lenp = len - ctx->mki_len;
	return 0;
}

/* libsrtp's call for the direction and packet kind (MKI already taken out inbound). */
static inline __attribute__((always_inline)) srtp_err_status_t
ctx_libsrtp(struct srtp_ctx *ctx, uint8_t *buf, int *len, bool rtcp, bool protect)
{
	if (!protect)
		return rtcp ? srtp_unprotect_rtcp(ctx->session, buf, len) :
		    srtp_unprotect(ctx->session, buf, len);
	if (rtcp)
		return ctx->mki_len ? srtp_protect_rtcp_mki(ctx->session, buf, len, 1, 0) :
		    srtp_protect_rtcp(ctx->session, buf, len);
	return ctx->mki_len ? srtp_protect_mki(ctx->session, buf, len, 1, 0) :
	    srtp_protect(ctx->session, buf, len);
}

/*
 * The four packet transforms in one body; each entry point passes constants, so the
 * compiler makes four straight functions of it (the hot path pays no branch on them).
 * Checks the header, the room (protect) or the length (unprotect), the key's use limit
 * and the resume floors, then runs libsrtp and records the packet's index.
 */
static inline __attribute__((always_inline)) int
ctx_transform(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp, size_t cap, bool rtcp,
    bool protect)
{
	struct srtp_track *t;
	uint64_t rtp_idx = 0;
	int64_t rtcp_idx = -1;
	size_t hlen = RTCP_HDR_LEN, trailer, n;
	int len, err;

	if (unlikely(ctx == NULL || buf == NULL || lenp == NULL ||
	    ctx->dir != (protect ? SRTP_CTX_OUTBOUND : SRTP_CTX_INBOUND)))
		return EINVAL;
	err = rtcp ? ctx_rtcp_check(buf, *lenp) : ctx_rtp_header_len(buf, *lenp, &hlen);
	if (err)
		return err;
	trailer = rtcp ? ctx->rtcp_trailer : ctx->rtp_trailer;
	if (protect && unlikely(cap < *lenp || cap - *lenp < trailer))
		return ENOSPC;
	if (!protect && unlikely(*lenp - hlen < trailer))
		return EINVAL;
	if (unlikely(ctx->used >= ctx->limit))
		return EKEYEXPIRED;
	err = rtcp ? srtp_track_rtcp_pre(ctx, buf, *lenp, &t) :
	    srtp_track_rtp_pre(ctx, buf, &t, &rtp_idx);
	if (err)
		return err;
	/* An SRTCP index sits in the packet's trailer, which unprotect strips: read it first. */
	if (rtcp && !protect)
		rtcp_idx = srtp_track_rtcp_index(ctx, buf, *lenp);
	n = *lenp;
	if (!protect && ctx->mki_len > 0 && (err = ctx_strip_mki(ctx, buf, &n,
	    rtcp ? ctx->rtcp_tag : ctx->rtp_trailer - ctx->mki_len)) != 0)
		return err;
	len = (int)n;
	err = ctx_errno(ctx_libsrtp(ctx, buf, &len, rtcp, protect));
	if (err)
		return err;
	ctx->used++;
	if (rtcp && protect)
		rtcp_idx = srtp_track_rtcp_index(ctx, buf, (size_t)len);
	if (rtcp)
		srtp_track_rtcp_post(ctx, buf, t, rtcp_idx);
	else
		srtp_track_rtp_post(ctx, buf, t, rtp_idx);
	*lenp = (size_t)len;
	return 0;
}

int
srtp_ctx_protect_rtp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp, size_t cap)
{
	return ctx_transform(ctx, buf, lenp, cap, false, true);
}

int
srtp_ctx_unprotect_rtp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp)
{
	return ctx_transform(ctx, buf, lenp, 0, false, false);
}

int
srtp_ctx_protect_rtcp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp, size_t cap)
{
	return ctx_transform(ctx, buf, lenp, cap, true, true);
}

int
srtp_ctx_unprotect_rtcp(struct srtp_ctx *ctx, uint8_t *buf, size_t *lenp)
{
	return ctx_transform(ctx, buf, lenp, 0, true, false);
}

size_t
srtp_ctx_trailer_len(const struct srtp_ctx *ctx, int rtcp)
{
	return rtcp ? ctx->rtcp_trailer : ctx->rtp_trailer;
}

enum crypto_suite
srtp_ctx_suite(const struct srtp_ctx *ctx)
{
	return ctx->suite;
}

enum srtp_ctx_dir
srtp_ctx_direction(const struct srtp_ctx *ctx)
{
	return ctx->dir;
}

const char *
srtp_ctx_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case EINVAL:
		return "malformed packet";
	case EBADMSG:
		return "authentication failed";
	case EALREADY:
		return "replayed packet";
	case ENOSPC:
		return "no tailroom for SRTP trailer";
	case ENOMEM:
		return "out of memory";
	case ENOTSUP:
		return "unsupported SRTP parameters";
	case EKEYEXPIRED:
		return "key lifetime used up";
	default:
		return "SRTP failure";
	}
}

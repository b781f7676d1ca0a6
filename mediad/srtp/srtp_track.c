/* SPDX-License-Identifier: BSD-2-Clause */
/* Per-SSRC SRTP/SRTCP indexes of a context: tracked on the packet path, published for the
 * control thread, and restored into a fresh context after a restart (srtp_ctx_resume). */
#include <errno.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "compiler.h"
#include "srtp_ctx_int.h"

#define SEQ_MEDIAN	0x8000u
#define SRTCP_INDEX_MAX	0x7fffffffu	/* 31 bits; libsrtp refuses to protect past it */

/* Bumped whenever a published index moves in a way a store must not miss for long. */
static _Atomic uint64_t track_events;

uint64_t
srtp_ctx_events(void)
{
	return atomic_load_explicit(&track_events, memory_order_acquire);
}

static void
track_event(void)
{
	atomic_fetch_add_explicit(&track_events, 1, memory_order_release);
}

/*
 * RFC 3711 section 3.3.1: the index of sequence number s closest to the highest index
 * hi, as libsrtp guesses it (so both agree on every packet).
 */
static uint64_t
track_guess(uint64_t hi, uint16_t s)
{
	uint32_t roc = (uint32_t)(hi >> 16);
	uint16_t seq = (uint16_t)hi;

	if (seq < SEQ_MEDIAN) {
		if ((int)s - (int)seq > (int)SEQ_MEDIAN && roc > 0)
			roc--;
	} else if ((uint32_t)seq - SEQ_MEDIAN > s) {
		roc++;
	}
	return (uint64_t)roc << 16 | s;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct srtp_track *
track_find(struct srtp_ctx *ctx, uint32_t ssrc)
{
	for (unsigned i = 0; i < SRTP_CTX_MAX_SSRC; i++) {
		struct srtp_track *t = &ctx->track[i];

		if (t->used && atomic_load_explicit(&t->ssrc, memory_order_relaxed) == ssrc)
			return t;
	}
	return NULL;
}

/* A slot for a new SSRC: a free one, else the one idle longest. */
static struct srtp_track *
track_take(struct srtp_ctx *ctx, uint32_t ssrc)
{
	struct srtp_track *t = &ctx->track[0];
	uint32_t g;

	for (unsigned i = 0; i < SRTP_CTX_MAX_SSRC; i++) {
		if (!ctx->track[i].used) {
			t = &ctx->track[i];
			break;
		}
		if (ctx->track[i].last_use < t->last_use)
			t = &ctx->track[i];
	}
	/* Readers retry while gen is odd or moved: they never mix two SSRCs' values. */
	g = atomic_load_explicit(&t->gen, memory_order_relaxed);
	atomic_store_explicit(&t->gen, g + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&t->ssrc, ssrc, memory_order_relaxed);
	atomic_store_explicit(&t->rtp, 0, memory_order_relaxed);
	atomic_store_explicit(&t->rtcp, 0, memory_order_relaxed);
	atomic_store_explicit(&t->gen, g + 2, memory_order_release);
	t->used = true;
	t->have_rtp = t->have_rtcp = false;
	t->rtp_floor_on = t->rtcp_floor_on = false;
	t->roc_pending = t->rtcp_blocked = false;
	t->rtp_hi = 0;
	t->rtcp_hi = 0;
	t->last_use = ctx->ticks;
	track_event();
	return t;
}

int
srtp_track_rtp_pre(struct srtp_ctx *ctx, const uint8_t *buf, struct srtp_track **tp,
    uint64_t *idxp)
{
	uint32_t ssrc = rd32(buf + 8);
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	struct srtp_track *t;

	ctx->ticks++;
	t = track_find(ctx, ssrc);
	if (t == NULL && ctx->dir == SRTP_CTX_OUTBOUND)
		t = track_take(ctx, ssrc);
	*tp = t;
	*idxp = 0;
	if (t == NULL || !t->have_rtp)
		return 0;
	*idxp = track_guess(t->rtp_hi, seq);
	/*
	 * At or below the index the previous process stored: outbound that index may
	 * already have been used with this key (keystream reuse), inbound it is a replay
	 * the fresh replay window cannot know about.
	 */
	if (unlikely(t->rtp_floor_on && *idxp <= t->rtp_floor))
		return EALREADY;
	if (unlikely(t->roc_pending))
		/* No allocation: the stream was added by srtp_ctx_resume. */
		(void)srtp_set_stream_roc(ctx->session, ssrc, (uint32_t)(*idxp >> 16));
	return 0;
}

void
srtp_track_rtp_post(struct srtp_ctx *ctx, const uint8_t *buf, struct srtp_track *t,
    uint64_t idx)
{
	uint32_t ssrc = rd32(buf + 8), roc;
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);

	if (t == NULL)
		t = track_take(ctx, ssrc);
	t->last_use = ctx->ticks;
	t->roc_pending = false;
	if (!t->have_rtp) {
		/* The stream's first packet: libsrtp alone knows which ROC it took. */
		if (srtp_get_stream_roc(ctx->session, ssrc, &roc) != srtp_err_status_ok)
			roc = 0;
		idx = (uint64_t)roc << 16 | seq;
	} else if (idx <= t->rtp_hi) {
		return;		/* late or repeated: the highest stays */
	}
	if (t->have_rtp && (idx >> 16) != (t->rtp_hi >> 16))
		track_event();	/* the ROC moved: a store must see it soon */
	t->rtp_hi = idx;
	t->have_rtp = true;
	atomic_store_explicit(&t->rtp, SRTP_TRACK_VALID | idx, memory_order_release);
}

int64_t
srtp_track_rtcp_index(const struct srtp_ctx *ctx, const uint8_t *pkt, size_t len)
{
	/* libsrtp's layouts: E+index, MKI, tag; with AEAD (RFC 7714) tag, E+index, MKI. */
	size_t back = ctx->aead ? 4 + ctx->mki_len : ctx->rtcp_tag + ctx->mki_len + 4;

	if (len < 8 + back)
		return -1;
	return rd32(pkt + len - back) & SRTCP_INDEX_MAX;
}

int
srtp_track_rtcp_pre(struct srtp_ctx *ctx, const uint8_t *buf, size_t len,
    struct srtp_track **tp)
{
	struct srtp_track *t;
	int64_t idx;

	ctx->ticks++;
	t = track_find(ctx, rd32(buf + 4));
	*tp = t;
	if (t == NULL)
		return 0;
	if (unlikely(t->rtcp_blocked))
		return EALREADY;
	if (unlikely(t->rtcp_floor_on)) {
		idx = srtp_track_rtcp_index(ctx, buf, len);
		if (idx >= 0 && (uint32_t)idx <= t->rtcp_floor)
			return EALREADY;
	}
	return 0;
}

void
srtp_track_rtcp_post(struct srtp_ctx *ctx, const uint8_t *buf, struct srtp_track *t,
    int64_t idx)
{
	if (idx < 0)
		return;
	if (t == NULL)
		t = track_take(ctx, rd32(buf + 4));
	t->last_use = ctx->ticks;
	if (t->have_rtcp && (uint32_t)idx <= t->rtcp_hi)
		return;
	/* A store lags at most one step behind what was sent (the resume margin covers it). */
	if (!t->have_rtcp || (uint32_t)idx / SRTP_CTX_RTCP_STEP != t->rtcp_hi / SRTP_CTX_RTCP_STEP)
		track_event();
	t->rtcp_hi = (uint32_t)idx;
	t->have_rtcp = true;
	atomic_store_explicit(&t->rtcp, SRTP_TRACK_VALID | (uint64_t)idx, memory_order_release);
}

unsigned
srtp_ctx_state_get(const struct srtp_ctx *ctx, struct srtp_ctx_ssrc_state *out, unsigned max)
{
	unsigned n = 0;

	if (ctx == NULL)
		return 0;
	for (unsigned i = 0; i < SRTP_CTX_MAX_SSRC && n < max; i++) {
		/* The reader is not the packet thread: the atomics only (the plain fields race). */
		struct srtp_track *t = (struct srtp_track *)(uintptr_t)&ctx->track[i];
		uint32_t g1, g2, ssrc;
		uint64_t rtp, rtcp;

		do {
			g1 = atomic_load_explicit(&t->gen, memory_order_acquire);
			ssrc = atomic_load_explicit(&t->ssrc, memory_order_relaxed);
			rtp = atomic_load_explicit(&t->rtp, memory_order_relaxed);
			rtcp = atomic_load_explicit(&t->rtcp, memory_order_relaxed);
			atomic_thread_fence(memory_order_acquire);
			g2 = atomic_load_explicit(&t->gen, memory_order_relaxed);
		} while ((g1 & 1u) || g1 != g2);
		if (!(rtp & SRTP_TRACK_VALID) && !(rtcp & SRTP_TRACK_VALID))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ssrc = ssrc;
		if (rtp & SRTP_TRACK_VALID) {
			out[n].have_rtp = true;
			out[n].roc = (uint32_t)((rtp & ~SRTP_TRACK_VALID) >> 16);
			out[n].seq = (uint16_t)rtp;
		}
		if (rtcp & SRTP_TRACK_VALID) {
			out[n].have_rtcp = true;
			out[n].rtcp_index = (uint32_t)rtcp;
		}
		n++;
	}
	return n;
}

/* A libsrtp stream of our own for ssrc (the any-SSRC template only clones at a packet). */
static int
track_add_stream(struct srtp_ctx *ctx, uint32_t ssrc, bool *existed)
{
	srtp_policy_t p;
	uint32_t cur;

	*existed = srtp_get_stream_roc(ctx->session, ssrc, &cur) == srtp_err_status_ok;
	if (*existed)
		return 0;
	p = ctx->policy;
	p.ssrc.type = ssrc_specific;
	p.ssrc.value = ssrc;
	p.next = NULL;
	switch (srtp_add_stream(ctx->session, &p)) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_alloc_fail:
		return ENOMEM;
	default:
		return EIO;
	}
}

int
srtp_ctx_roc_get(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t *rocp)
{
	uint32_t roc;

	if (ctx == NULL || rocp == NULL)
		return EINVAL;
	if (srtp_get_stream_roc(ctx->session, ssrc, &roc) != srtp_err_status_ok)
		return ENOENT;
	*rocp = roc;
	return 0;
}

int
srtp_ctx_roc_set(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t roc)
{
	bool existed;
	int err;

	if (ctx == NULL)
		return EINVAL;
	err = track_add_stream(ctx, ssrc, &existed);
	if (err)
		return err;
	if (existed)
		return EEXIST;
	if (srtp_set_stream_roc(ctx->session, ssrc, roc) != srtp_err_status_ok)
		return EIO;
	return 0;
}

/*
 * Moves the outbound SRTCP index of ssrc to target by protecting throw-away reports:
 * libsrtp 2 has no call that sets it. About a microsecond each (README: bounds).
 */
static int
track_skip_rtcp(struct srtp_ctx *ctx, uint32_t ssrc, uint32_t target)
{
	/* 4-byte aligned for libsrtp; 8-byte RR + trailer (index, MKI, tag) */
	uint32_t w[(8 + SRTP_MAX_TRAILER_LEN + 4 + 3) / 4];
	uint8_t *b = (uint8_t *)w;
	uint32_t i;
	int len;

	for (i = 0; i < target; i++) {
		memset(w, 0, sizeof(w));
		b[0] = 0x80;
		b[1] = 201;	/* RR without report blocks */
		b[3] = 1;
		b[4] = (uint8_t)(ssrc >> 24);
		b[5] = (uint8_t)(ssrc >> 16);
		b[6] = (uint8_t)(ssrc >> 8);
		b[7] = (uint8_t)ssrc;
		len = 8;
		if ((ctx->mki_len ? srtp_protect_rtcp_mki(ctx->session, b, &len, 1, 0) :
		    srtp_protect_rtcp(ctx->session, b, &len)) != srtp_err_status_ok)
			return EIO;
	}
	memset(w, 0, sizeof(w));
	return 0;
}

int
srtp_ctx_resume(struct srtp_ctx *ctx, const struct srtp_ctx_ssrc_state *st)
{
	struct srtp_track *t;
	uint64_t target;
	bool existed;
	int err;

	if (ctx == NULL || st == NULL || st->rtcp_index > SRTCP_INDEX_MAX)
		return EINVAL;
	if (track_find(ctx, st->ssrc) != NULL)
		return EEXIST;
	err = track_add_stream(ctx, st->ssrc, &existed);
	if (err)
		return err;
	if (existed)
		return EEXIST;
	t = track_take(ctx, st->ssrc);
	if (st->have_rtp) {
		t->rtp_hi = t->rtp_floor = (uint64_t)st->roc << 16 | st->seq;
		t->have_rtp = t->rtp_floor_on = true;
		/* Each packet sets the ROC libsrtp starts from until one is accepted. */
		t->roc_pending = true;
		atomic_store_explicit(&t->rtp, SRTP_TRACK_VALID | t->rtp_hi, memory_order_release);
	}
	if (!st->have_rtcp)
		return 0;
	if (ctx->dir == SRTP_CTX_INBOUND) {
		t->rtcp_hi = t->rtcp_floor = st->rtcp_index;
		t->have_rtcp = t->rtcp_floor_on = true;
	} else {
		/*
		 * Reports sent after the last store are unknown: jump over every index
		 * they can have used, so none is protected twice under this key.
		 */
		target = (uint64_t)st->rtcp_index + SRTP_CTX_RESUME_RTCP_MARGIN;
		if (target > SRTP_CTX_RESUME_RTCP_MAX || target > SRTCP_INDEX_MAX) {
			t->rtcp_blocked = true;
			return EOVERFLOW;
		}
		err = track_skip_rtcp(ctx, st->ssrc, (uint32_t)target);
		if (err) {
			t->rtcp_blocked = true;
			return err;
		}
		t->rtcp_hi = (uint32_t)target;
		t->have_rtcp = true;
	}
	atomic_store_explicit(&t->rtcp, SRTP_TRACK_VALID | t->rtcp_hi, memory_order_release);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* The per-packet decision: classify, check direction and source, unprotect, latch, protect. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "relay_int.h"

#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8

static const char *const drop_names[RELAY_DROP_COUNT] = {
	[RELAY_DROP_AUTH] = "auth",
	[RELAY_DROP_REPLAY] = "replay",
	[RELAY_DROP_MALFORMED] = "malformed",
	[RELAY_DROP_SOURCE] = "source",
	[RELAY_DROP_NODEST] = "no_destination",
	[RELAY_DROP_DIRECTION] = "direction",
	[RELAY_DROP_CRYPTO] = "crypto",
	[RELAY_DROP_SEND] = "send",
	[RELAY_DROP_EXPIRED] = "expired",
};

const char *
relay_drop_name(enum relay_drop d)
{
	if ((unsigned)d >= RELAY_DROP_COUNT)
		return "?";
	return drop_names[d];
}

int
relay_stream_classify(const uint8_t *buf, size_t len, bool mux, unsigned *stream)
{
	unsigned s = *stream;

	if (len < 2 || (buf[0] >> 6) != 2)
		return EBADMSG;
	/* RFC 5761 section 4: second byte 192-223 (PT field 64-95) is RTCP on a muxed port. */
	if (mux && s == RELAY_STREAM_RTP && (buf[1] & 0x7f) >= 64 && (buf[1] & 0x7f) <= 95)
		s = RELAY_STREAM_RTCP;
	if (len < (s == RELAY_STREAM_RTP ? RTP_MIN_LEN : RTCP_MIN_LEN))
		return EBADMSG;
	*stream = s;
	return 0;
}

/* RFC 3550 A.1: a jump this far ahead is loss, farther a restarted sequence. */
#define SEQ_MAX_DROPOUT 3000u
#define SEQ_MAX_MISORDER 100u

static uint64_t
seq_lost_now(const struct relay_seq *s)
{
	int64_t expected = (int64_t)s->cycles + s->max_seq - s->base_seq + 1;

	return expected > (int64_t)s->received ? (uint64_t)(expected - (int64_t)s->received) : 0;
}

uint64_t
relay_seq_lost(const struct relay_seq *s)
{
	return s->init ? s->lost_prior + seq_lost_now(s) : 0;
}

void
relay_seq_update(struct relay_seq *s, const uint8_t *rtp)
{
	uint16_t seq = (uint16_t)(rtp[2] << 8 | rtp[3]);
	uint32_t ssrc = (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 |
	    (uint32_t)rtp[10] << 8 | rtp[11];
	uint16_t udelta = (uint16_t)(seq - s->max_seq);

	if (unlikely(!s->init || ssrc != s->ssrc || (udelta >= SEQ_MAX_DROPOUT &&
	    udelta <= 65536u - SEQ_MAX_MISORDER))) {
		/* a new source or a restarted sequence: what the old one lost stays counted */
		if (s->init)
			s->lost_prior += seq_lost_now(s);
		s->init = true;
		s->ssrc = ssrc;
		s->base_seq = s->max_seq = seq;
		s->cycles = 0;
		s->received = 0;
	} else if (udelta < SEQ_MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += 65536u;
		s->max_seq = seq;
	}
	/* else a duplicate or a late packet: received, the highest stays */
	s->received++;
}

static const char *
stream_name(unsigned stream)
{
	return stream == RELAY_STREAM_RTCP ? "rtcp" : "rtp";
}

static int
drop(struct relay_media *m, unsigned leg, unsigned stream, enum relay_drop why,
    const struct sa *src, const struct relay_pass *pass)
{
	char buf[SA_STRLEN];

	m->leg[leg].ctr[stream].drops[why]++;
	/* Only drops that point at a peer or attacker problem are worth a line. */
	if (why <= RELAY_DROP_SOURCE && pass->rl_drop != NULL)
		log_limited(pass->rl_drop, pass->now_ms, LOG_LEVEL_WARN,
		    "relay_drop reason=%s leg=%c stream=%s src=%s", drop_names[why],
		    'A' + (int)leg, stream_name(stream), sa_format(src, buf, sizeof(buf)));
	return (int)why;
}

static void
latch(struct relay_media *m, unsigned leg, unsigned di, const struct sa *src,
    const struct relay_pass *pass)
{
	struct relay_leg *l = &m->leg[leg];
	char ob[SA_STRLEN], nb[SA_STRLEN];
	bool had = l->latched[di];

	if (pass->rl_latch != NULL) {
		if (sa_family(&l->dest[di]) == AF_UNSPEC)
			snprintf(ob, sizeof(ob), "none");
		else
			sa_format(&l->dest[di], ob, sizeof(ob));
		log_limited(pass->rl_latch, pass->now_ms, LOG_LEVEL_INFO,
		    "relay_%s leg=%c stream=%s old=%s new=%s mode=%s",
		    had ? "relatch" : "latch", 'A' + (int)leg, stream_name(di), ob,
		    sa_format(src, nb, sizeof(nb)),
		    l->cfg.latch == RELAY_LATCH_AUTH ? "auth" : "signalled_ip");
	}
	l->dest[di] = *src;
	l->latched[di] = true;
}

/* Whether a packet from src may move the latch of (leg, di) once it passed the checks. */
static bool
may_latch(const struct relay_leg *l, unsigned di, const struct sa *src)
{
	const struct sa *sig;

	if (l->cfg.strict_source && l->latched[di])
		return false;
	switch (l->cfg.latch) {
	case RELAY_LATCH_AUTH:
		/* A plain leg has nothing to authenticate: fall back to the signalled IP. */
		if (l->rx != NULL)
			return true;
		/* FALLTHROUGH */
	case RELAY_LATCH_SIGNALLED_IP:
		sig = di == RELAY_STREAM_RTCP ? &l->cfg.remote_rtcp : &l->cfg.remote_rtp;
		if (sa_family(sig) == AF_UNSPEC)
			sig = &l->cfg.remote_rtp;
		return sa_family(sig) != AF_UNSPEC && sa_equal_ip(src, sig);
	case RELAY_LATCH_OFF:
	default:
		return false;
	}
}

/* A packet arrived: stamp the stream and the media (the atomic only when it moves). */
static inline void
stamp(struct relay_media *m, struct relay_counters *c, uint64_t now_ms)
{
	c->last_packet_ms = now_ms;
	if (atomic_load_explicit(&m->last_in_ms, memory_order_relaxed) != now_ms)
		atomic_store_explicit(&m->last_in_ms, now_ms, memory_order_relaxed);
}

int
relay_stream_process(struct relay_media *m, unsigned leg, unsigned stream,
    uint8_t *buf, size_t len, size_t cap, bool truncated, const struct sa *src,
    const struct relay_pass *pass, struct relay_fwd *fwd)
{
	struct relay_leg *l = &m->leg[leg];
	struct relay_leg *o = &m->leg[leg ^ 1];
	struct relay_counters *c;
	unsigned di, odi, s = stream;
	bool match, latchable;
	int why;

	if (unlikely(truncated || len > RELAY_PKT_MAX || cap < len + RELAY_TAILROOM ||
	    relay_stream_classify(buf, len, l->cfg.rtcp_mux, &s) != 0)) {
		c = &l->ctr[stream];
		c->packets_in++;
		c->bytes_in += len;
		stamp(m, c, pass->now_ms);
		return drop(m, leg, stream, RELAY_DROP_MALFORMED, src, pass);
	}
	stream = s;
	c = &l->ctr[stream];
	c->packets_in++;
	c->bytes_in += len;
	stamp(m, c, pass->now_ms);

	if (unlikely(!l->cfg.recv))
		return drop(m, leg, stream, RELAY_DROP_DIRECTION, src, pass);

	/* With rtcp-mux both streams share the RTP address. */
	di = l->cfg.rtcp_mux ? RELAY_STREAM_RTP : stream;
	match = sa_family(&l->dest[di]) != AF_UNSPEC && sa_equal(src, &l->dest[di]);
	latchable = !match && may_latch(l, di, src);
	/* Strict source is checked before any crypto work: junk costs no AES. */
	if (unlikely(l->cfg.strict_source && !match && !latchable &&
	    sa_family(&l->dest[di]) != AF_UNSPEC))
		return drop(m, leg, stream, RELAY_DROP_SOURCE, src, pass);

	if (l->rx != NULL) {
		why = relay_srtp_unprotect(l->rx, buf, &len, stream == RELAY_STREAM_RTCP);
		if (unlikely(why >= 0))
			return drop(m, leg, stream, (enum relay_drop)why, src, pass);
	}
	/* Only authenticated packets count for loss (a forger could fake gaps otherwise). */
	if (stream == RELAY_STREAM_RTP)
		relay_seq_update(&c->seq, buf);
	/* Only now, after authentication, may the source move the latch. */
	if (latchable)
		latch(m, leg, di, src, pass);
	else if (match && !l->latched[di] && l->cfg.latch != RELAY_LATCH_OFF)
		l->latched[di] = true;

	if (unlikely(!o->cfg.send))
		return drop(m, leg, stream, RELAY_DROP_DIRECTION, src, pass);
	odi = o->cfg.rtcp_mux ? RELAY_STREAM_RTP : stream;
	if (unlikely(sa_family(&o->dest[odi]) == AF_UNSPEC))
		return drop(m, leg, stream, RELAY_DROP_NODEST, src, pass);
	if (o->tx != NULL) {
		int err = relay_srtp_protect(o->tx, buf, &len, cap, stream == RELAY_STREAM_RTCP);

		if (unlikely(err != 0))
			return drop(m, leg, stream, err == EKEYEXPIRED ? RELAY_DROP_EXPIRED :
			    RELAY_DROP_CRYPTO, src, pass);
	}
	fwd->fd = o->sock[odi].fd;
	fwd->src = &o->local[odi];
	fwd->dst = &o->dest[odi];
	fwd->len = len;
	fwd->out_ctr = &o->ctr[stream];
	fwd->in_ctr = c;
	return -1;
}

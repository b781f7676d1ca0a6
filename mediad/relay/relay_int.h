/* SPDX-License-Identifier: BSD-2-Clause */
/* Relay internals, by layer: media object (relay_media.c, relay_stream.c, relay_srtp.c),
 * worker thread (relay_worker.c), control API (relay_control.c). Private to mediad/relay;
 * tests/fuzz/fuzz_packet.c drives the packet decision through it (white box). */
#ifndef SBC_MEDIAD_RELAY_INT_H
#define SBC_MEDIAD_RELAY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "relay.h"
#include "srtp.h"

struct event;
struct event_base;
struct metric;
struct srtp_ctx;

/* recvmmsg batch; also the most packets one sendmmsg flush carries. */
#define RELAY_BATCH 32
/* Batches read from one socket per wakeup before yielding to the other sockets. */
#define RELAY_WAKEUP_BATCHES 8
/* Largest datagram accepted; anything longer is truncated by the kernel and dropped. */
#define RELAY_PKT_MAX 2048
/* Room after the payload for protect: srtp_ctx asks for SRTP_CTX_TAILROOM (148). */
#define RELAY_TAILROOM 160
#define RELAY_BUF_SIZE (RELAY_PKT_MAX + RELAY_TAILROOM)
_Static_assert(RELAY_BUF_SIZE % 16 == 0, "packet buffer rows must stay aligned for libsrtp");

/* ---- the media object's data (owned by relay_media.c, packets by relay_stream.c) ---- */

/* One socket of a leg; the event's argument. */
struct relay_sock {
	struct relay_media *media;   /* borrowed; the media owns this struct */
	struct event *ev;            /* owned; NULL until attached to the worker */
	int fd;                      /* owned; -1 when absent (rtcp with mux) */
	uint8_t leg;                 /* enum relay_leg_id */
	uint8_t stream;              /* RELAY_STREAM_RTCP for a separate RTCP socket */
};

/*
 * RTP sequence numbers of one inbound stream, for loss as RFC 3550 A.1/A.3 counts it:
 * expected (highest extended sequence - first + 1) minus received. Authenticated
 * packets only, so forged ones cannot fake or hide loss.
 */
struct relay_seq {
	uint32_t ssrc;
	uint32_t cycles;		/* sequence wraps << 16 */
	uint16_t base_seq, max_seq;
	bool init;
	uint64_t received;		/* since base_seq */
	uint64_t lost_prior;		/* of earlier SSRCs and sequence restarts */
};

/* Counters written by the owning worker only; read through a worker snapshot. */
struct relay_counters {
	uint64_t packets_in, bytes_in, packets_out, bytes_out;
	uint64_t drops[RELAY_DROP_COUNT];
	uint64_t last_packet_ms;
	struct relay_seq seq;		/* RTP streams only */
};

struct relay_leg {
	struct relay_leg_cfg cfg;           /* worker-owned after attach; keys wiped on free */
	struct relay_sock sock[RELAY_STREAM_COUNT];
	/* SRTP contexts; NULL on a plain leg. RTP and RTCP share one context. */
	struct srtp_ctx *rx, *tx;
	struct sa dest[RELAY_STREAM_COUNT]; /* where this leg sends now */
	bool latched[RELAY_STREAM_COUNT];
	struct relay_counters ctr[RELAY_STREAM_COUNT];
	uint16_t local_port[RELAY_STREAM_COUNT];
};

struct relay_worker;

struct relay_media {
	/* borrowed; set and cleared by relay_worker.c only; NULL when detached (fuzz, tests) */
	struct relay_worker *worker;
	struct relay_leg leg[RELAY_LEG_COUNT];
	/*
	 * The newest last_packet_ms of any stream, written by the worker and read by the
	 * control thread's media timeout check without a worker round trip per call.
	 */
	_Atomic uint64_t last_in_ms;
	struct relay_media *next, *prev;    /* worker's list; worker thread only */
};

/* What relay_stream_process() decided for a packet that is to be forwarded. */
struct relay_fwd {
	int fd;                    /* send from this socket (symmetric RTP) */
	const struct sa *dst;      /* points into the media; stable until the next command */
	size_t len;                /* bytes to send after protect */
	struct relay_counters *out_ctr;  /* counters of the outgoing stream */
	struct relay_counters *in_ctr;   /* counters of the stream it arrived on */
};

/* Per-thread state the packet path needs besides the media: clock and log limits. */
struct relay_pass {
	uint64_t now_ms;                   /* read once per wakeup */
	struct log_ratelimit *rl_latch;    /* latch/re-latch lines */
	struct log_ratelimit *rl_drop;     /* drop lines */
};

/* ---- relay_srtp.c: the relay's thin adapter over srtp_ctx ---- */

/* Creates an inbound (rx) or outbound context for key with CRYPTO_PARAM_* flags; 0 or errno. */
int relay_srtp_ctx_new(struct srtp_ctx **cp, const struct crypto_key *k, unsigned flags, bool rx);
void relay_srtp_ctx_free(struct srtp_ctx *c);
/* Resumes n SSRC states in a fresh context (rx: inbound); failures are logged, not fatal. */
void relay_srtp_ctx_resume(struct srtp_ctx *c, const struct srtp_ctx_ssrc_state *st,
    unsigned n, bool rx);
enum crypto_suite relay_srtp_ctx_suite(const struct srtp_ctx *c);
/* Unprotects in place; -1 on success (*len updated), else an enum relay_drop. */
int relay_srtp_unprotect(struct srtp_ctx *c, uint8_t *buf, size_t *len, bool rtcp);
/* Protects in place; 0 or errno (*len updated on success). */
int relay_srtp_protect(struct srtp_ctx *c, uint8_t *buf, size_t *len, size_t cap, bool rtcp);

/* ---- relay_stream.c: the per-packet decision ---- */
/*
 * The whole per-packet decision for a datagram of len bytes in buf (capacity
 * cap >= len + RELAY_TAILROOM) that arrived from src on socket (leg, stream) of m:
 * classify (RTP/RTCP, rtcp-mux demux), check, unprotect, latch, protect in place.
 * Returns -1 and fills *fwd when the packet is to be sent, otherwise the
 * enum relay_drop reason (already counted). No allocation, no locks.
 */
int relay_stream_process(struct relay_media *m, unsigned leg, unsigned stream,
    uint8_t *buf, size_t len, size_t cap, bool truncated, const struct sa *src,
    const struct relay_pass *pass, struct relay_fwd *fwd);
/* Reads RTP: 0 when buf looks like RTP/RTCP v2 of at least min bytes, else EBADMSG. */
int relay_stream_classify(const uint8_t *buf, size_t len, bool mux, unsigned *stream);
/* An RTP packet (at least 12 bytes) that passed the checks, into the loss count. */
void relay_seq_update(struct relay_seq *s, const uint8_t *rtp);
/* Packets lost so far (RFC 3550 A.3), 0 when duplicates outnumber the gaps. */
uint64_t relay_seq_lost(const struct relay_seq *s);

/* ---- relay_media.c: the media object, no thread of its own ---- */

/*
 * A prepared re-configuration of both legs: made by the control thread (contexts
 * created off the packet path), applied by the owning worker. After
 * relay_media_apply_update() new_rx/new_tx hold the contexts it replaced.
 */
struct relay_update {
	struct relay_leg_cfg cfg[RELAY_LEG_COUNT];
	struct srtp_ctx *new_rx[RELAY_LEG_COUNT], *new_tx[RELAY_LEG_COUNT];
	bool swap_rx[RELAY_LEG_COUNT], swap_tx[RELAY_LEG_COUNT];
};

/*
 * Builds a detached media from two configs (SRTP contexts created, fds taken
 * as given, nothing attached to any loop). Returns 0, EINVAL or ENOMEM.
 */
int relay_media_new(struct relay_media **mp, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b);
/* Frees a detached media: closes its fds, frees contexts, wipes keys. */
void relay_media_free(struct relay_media *m);
/* Validates one leg's config; 0 or EINVAL. */
int relay_leg_cfg_check(const struct relay_leg_cfg *c, bool for_update);
/* Resets a leg's destinations to the signalled addresses (forgets latching). */
void relay_leg_reset_dest(struct relay_leg *l);
/*
 * Fills *u for the configs a and b of m: validates them and makes the SRTP contexts
 * of every key that changes. Only reads m's configuration, which the worker does not
 * change between commands. Returns 0, EINVAL or ENOMEM; release *u either way.
 */
int relay_media_update_prepare(const struct relay_media *m, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b, struct relay_update *u);
/* Applies a prepared update (owning worker, or the caller for a detached media). */
void relay_media_apply_update(struct relay_media *m, struct relay_update *u);
/* Frees the contexts *u still holds and wipes it. */
void relay_update_release(struct relay_update *u);
/* Copies counters and state into the public stats struct (worker index left 0). */
void relay_media_snapshot(const struct relay_media *m, struct relay_media_stats *out);

/* ---- relay_worker.c: the worker threads ---- */

enum relay_cmd_op {
	RELAY_CMD_ATTACH = 1,
	RELAY_CMD_UPDATE,
	RELAY_CMD_DETACH,
	RELAY_CMD_STATS,
	RELAY_CMD_STOP,
};

/* A command lives on the caller's stack; the caller waits until done. */
struct relay_cmd {
	enum relay_cmd_op op;
	struct relay_media *media;
	/* UPDATE: the new leg state prepared by the control thread (contexts made). */
	struct relay_update *update;
	/* DETACH (optional), STATS: output, with the worker's index filled in. */
	struct relay_media_stats *stats;
	int result;
	bool done;                           /* guarded by the worker's cmd_lock */
	struct relay_cmd *next;
};

/* Runs cmd on worker w and waits for it; returns cmd->result. */
int relay_worker_call(struct relay_worker *w, struct relay_cmd *cmd);
/* The worker with the fewest media. */
struct relay_worker *relay_pick_worker(struct relay *r);
/*
 * Hands the detached media m to worker w without waiting for it: everything that can
 * fail is done here, the ATTACH itself is queued (later commands for m queue behind
 * it). Returns 0 (m->worker set; the worker owns m's sockets from now on) or ENOMEM
 * (m untouched, still detached).
 */
int relay_worker_attach(struct relay_worker *w, struct relay_media *m);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad/relay (library mediad_relay): worker threads that move RTP/RTCP between the two
 * legs of a media, (de)crypting SRTP. Layered media object (relay_media.c, relay_stream.c,
 * relay_srtp.c) -> worker thread (relay_worker.c) -> control API (relay_control.c); lower
 * layers never call upper ones. */
#ifndef SBC_MEDIAD_RELAY_H
#define SBC_MEDIAD_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "srtp.h"

struct metrics;
struct relay;        /* N worker threads, one libevent loop each */
struct relay_media;  /* one bridged m= line: leg A (faces the offerer), leg B (the answerer) */

enum relay_leg_id {
	RELAY_LEG_A = 0,
	RELAY_LEG_B = 1,
	RELAY_LEG_COUNT,
};

enum relay_stream_id {
	RELAY_STREAM_RTP = 0,
	RELAY_STREAM_RTCP = 1,
	RELAY_STREAM_COUNT,
};

/* Who may move the latch (the address we send to on a leg). */
enum relay_latch {
	/* Never re-target: always send to remote_rtp/remote_rtcp from the SDP. */
	RELAY_LATCH_OFF = 0,
	/*
	 * SRTP legs: only a packet that passes SRTP authentication + replay check
	 * moves it (with UNAUTHENTICATED_SRTP that is no proof: avoid the flag
	 * outside). On a plain leg it behaves as RELAY_LATCH_SIGNALLED_IP.
	 */
	RELAY_LATCH_AUTH,
	/* RTP legs: only a packet whose source IP equals the SDP address moves it (NAT'd port). */
	RELAY_LATCH_SIGNALLED_IP,
};

/*
 * The SRTP indexes of one leg (srtp.h, struct srtp_ctx_ssrc_state): what a restarted
 * mediad needs to continue the leg's SRTP and SRTCP exactly.
 */
struct relay_srtp_state {
	unsigned nrx, ntx;
	struct srtp_ctx_ssrc_state rx[SRTP_CTX_MAX_SSRC];  /* the party's streams (unprotect) */
	struct srtp_ctx_ssrc_state tx[SRTP_CTX_MAX_SSRC];  /* ours towards it (protect) */
};

struct relay_leg_cfg {
	/*
	 * Bound non-blocking UDP sockets from the port pool; ownership passes to the
	 * relay on a successful relay_media_create() (on failure the caller keeps
	 * them). fd_rtcp = -1 with rtcp-mux; a socket given anyway is owned and read
	 * too (for peers that ignore mux) but never sent from. Ignored by
	 * relay_media_update().
	 */
	int fd_rtp, fd_rtcp;
	/*
	 * From SDP: where to send; sa_family() == AF_UNSPEC (all zero) until known.
	 * remote_rtcp AF_UNSPEC without mux means remote_rtp's port + 1 (RFC 3550).
	 */
	struct sa remote_rtp, remote_rtcp;
	bool srtp;                  /* this leg speaks SRTP */
	struct crypto_key rx_key;   /* peer's key: unprotect what arrives on this leg */
	struct crypto_key tx_key;   /* our key: protect what we send on this leg */
	unsigned srtp_flags;        /* CRYPTO_PARAM_* (srtp.h) */
	bool rtcp_mux;              /* RTP and RTCP share fd_rtp (RFC 5761 demux by PT 64-95) */
	/*
	 * Direction as seen by the relay on this leg: recv = packets arriving on this
	 * leg are forwarded; send = packets are sent out of this leg. A peer's
	 * a=sendonly (hold) is recv=true, send=false on its leg; inactive is both false.
	 * Packets refused by either flag are dropped and counted (RELAY_DROP_DIRECTION)
	 * on the stream where they arrived.
	 */
	bool send, recv;
	enum relay_latch latch;
	/*
	 * Once a leg has a destination (signalled or latched), drop packets from any
	 * other source address+port (RELAY_DROP_SOURCE) instead of forwarding them.
	 */
	bool strict_source;
	/*
	 * A restored call's indexes from the previous process (srtp_ctx_resume): used by
	 * relay_media_create on an SRTP leg, ignored by relay_media_update (a changed key
	 * starts a fresh session; an unchanged one keeps its context).
	 */
	struct relay_srtp_state resume;
};

/* Why a packet was not forwarded. Drops are counted on the stream where the packet arrived. */
enum relay_drop {
	RELAY_DROP_AUTH = 0,     /* SRTP/SRTCP authentication failed */
	RELAY_DROP_REPLAY,       /* SRTP replay check failed */
	RELAY_DROP_MALFORMED,    /* too short, version != 2, truncated/oversized, bad SRTP framing */
	RELAY_DROP_SOURCE,       /* strict source: not from the expected address */
	RELAY_DROP_NODEST,       /* the other leg has no address to send to yet */
	RELAY_DROP_DIRECTION,    /* recv=false on this leg or send=false on the other */
	RELAY_DROP_CRYPTO,       /* protect failed on the way out (should not happen) */
	RELAY_DROP_SEND,         /* sendmmsg failed (socket buffer full, unreachable ...) */
	RELAY_DROP_EXPIRED,      /* the SRTP key's lifetime (a=crypto |2^n) is used up */
	RELAY_DROP_COUNT,
};

/* "auth", "replay", ...; "?" when out of range. (relay_stream.c) */
const char *relay_drop_name(enum relay_drop d);

struct relay_stream_stats {
	uint64_t packets_in, bytes_in;    /* arrived on this leg's socket (before any check) */
	uint64_t packets_out, bytes_out;  /* sent out of this leg's socket (after protect) */
	uint64_t drops[RELAY_DROP_COUNT];
	uint64_t last_packet_ms;          /* time_mono_ms() of the last packet in; 0 = never */
	uint64_t lost;                    /* RTP: packets the party sent that never arrived
	                                   * (RFC 3550 cumulative loss, 0 when negative) */
};

struct relay_leg_stats {
	struct relay_stream_stats stream[RELAY_STREAM_COUNT];
	/* Where we send now: the signalled address, or the learned one when latched. */
	struct sa dest[RELAY_STREAM_COUNT];
	bool latched[RELAY_STREAM_COUNT];
	uint16_t local_port[RELAY_STREAM_COUNT];  /* RTCP = RTP port with rtcp-mux */
	enum crypto_suite rx_suite, tx_suite;     /* CRYPTO_SUITE_NONE on plain legs */
	bool srtp, rtcp_mux, send, recv;
};

struct relay_media_stats {
	struct relay_leg_stats leg[RELAY_LEG_COUNT];
	unsigned worker;                          /* index of the owning worker */
};

/* ---- relay_worker.c: the worker threads ---- */

/* How the workers move packets (README "The media path"). */
enum relay_io_style {
	RELAY_IO_AUTO = 0,   /* the fastest this host allows: xdp, else batched, else sockets */
	RELAY_IO_SOCKETS,    /* one socket per port: epoll, recvmmsg/sendmmsg per socket */
	/*
	 * All media ports of a worker steered to one socket by a BPF sk_lookup program
	 * (CAP_BPF + CAP_NET_ADMIN, Linux >= 5.9), the original destination from
	 * IP(V6)_RECVORIGDSTADDR; every packet of a wakeup sent in one sendmmsg on a raw
	 * socket (CAP_NET_RAW) with our own IP/UDP headers. The ports' own sockets stay
	 * bound (they reserve the ports) and still relay what reaches them.
	 */
	RELAY_IO_BATCHED,
	/*
	 * batched, plus an XDP program (native mode) on every media interface that hands
	 * media datagrams arriving on a worker's receive queue to that worker's AF_XDP
	 * socket; relayed in the socket's UMEM and sent on its ring with the next hop's
	 * MAC from the kernel (rtnetlink, cached per destination). What the program passes
	 * (another queue, a fragment, IP options) and what has no known next hop yet take
	 * the batched path. Needs a driver with native XDP (veth, most 10G+ NICs).
	 */
	RELAY_IO_XDP,
};

struct relay_opts {
	unsigned nworkers;         /* 1..256 */
	enum relay_io_style io;
	/* Batched, xdp: the most media ports (RTP + RTCP, all interfaces) this process binds. */
	unsigned max_ports;
	/* xdp: the media interfaces' addresses (borrowed during relay_alloc_opts). */
	const struct sa *addrs;
	unsigned naddrs;
};

/*
 * Starts o->nworkers threads, each running its own event loop, moving packets in
 * style o->io. AUTO takes XDP, else BATCHED, else SOCKETS (relay_io_why says why the
 * faster ones could not be had); an explicit style that cannot be had fails (EPERM, EOPNOTSUPP...)
 * with the reason in why (may be NULL). m, when given, receives per-worker counters
 * (labels worker="N") and must outlive the relay. Returns 0, EINVAL or an errno; *rp is
 * written only on success.
 */
int relay_alloc_opts(struct relay **rp, const struct relay_opts *o, struct metrics *m,
    char *why, size_t whysize);
/* relay_alloc_opts with the SOCKETS style (tests, benchmarks). */
int relay_alloc(struct relay **rp, unsigned nworkers, struct metrics *m);
/* The style in use (never AUTO). */
enum relay_io_style relay_io(const struct relay *r);
/* Why AUTO did not get a faster style ("xdp: ..." or "batched: ..."); "" when it did not fall back. */
const char *relay_io_why(const struct relay *r);
/* "auto", "sockets", "batched", "xdp"; "?" when out of range. */
const char *relay_io_name(enum relay_io_style s);
/*
 * Stops the workers and destroys every media still attached (their fds are
 * closed; pointers to them become invalid). NULL is a no-op.
 */
void relay_free(struct relay *r);
unsigned relay_worker_count(const struct relay *r);
/* CPU time (ns) worker idx has used so far, for load reports and benchmarks; 0 if unknown. */
uint64_t relay_worker_cpu_ns(const struct relay *r, unsigned idx);
/* How often each worker's loop stamps its heartbeat, even when idle. */
#define RELAY_BEAT_MS 250
/*
 * Milliseconds since the worker that has been silent longest last stamped its heartbeat
 * (about RELAY_BEAT_MS for a healthy idle relay), and that worker's index in *idx;
 * UINT64_MAX while a worker has not started its loop yet. For readiness and the
 * watchdog: a worker stuck in a packet, a lock or a stopped thread keeps growing it.
 */
uint64_t relay_stalled_ms(const struct relay *r, uint64_t now_ms, unsigned *idx);

/* ---- relay_control.c: the control thread's API to one media ---- */

/*
 * Creates a media on the least loaded worker; every socket of the media is owned
 * by that worker from then on. Both legs' fds pass to the relay on success.
 * Returns 0, EINVAL (bad fd, srtp without a usable key, rtcp_mux mismatch),
 * ENOMEM or the SRTP engine's error; *mp is written only on success.
 */
int relay_media_create(struct relay *r, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b, struct relay_media **mp);
/*
 * Re-offer/re-answer: new remote address, direction, keys, latch mode. A changed
 * key on a leg starts a fresh SRTP context (ROC 0, new replay window); an
 * unchanged key keeps the old context. A changed remote address forgets what
 * was latched on that leg. fds and rtcp_mux stay as created (their cfg fields
 * are ignored). Synchronous; returns 0, EINVAL or ENOMEM, and on failure the
 * media keeps its previous configuration.
 */
int relay_media_update(struct relay_media *m, const struct relay_leg_cfg *a,
    const struct relay_leg_cfg *b);
/* Stops forwarding, closes the fds, wipes the keys, frees. Synchronous. NULL is a no-op. */
void relay_media_destroy(struct relay_media *m);
/*
 * relay_media_destroy plus the final relay_media_stats snapshot in one worker
 * round trip (for delete replies). Synchronous like relay_media_destroy: the
 * fds are closed on return. NULL m is a no-op (*out untouched).
 */
void relay_media_destroy_stats(struct relay_media *m, struct relay_media_stats *out);
/* A consistent snapshot taken by the owning worker (synchronous, ~µs). */
void relay_media_stats(const struct relay_media *m, struct relay_media_stats *out);

/* ---- relay_media.c ---- */

/*
 * The SRTP indexes leg (enum relay_leg_id) of m has published (zeroed on a plain leg).
 * For the control thread: reads the workers' atomics, no round trip, no allocation.
 */
void relay_media_srtp_state(const struct relay_media *m, unsigned leg,
    struct relay_srtp_state *out);

/*
 * time_mono_ms() of the newest packet that arrived on any stream of m (0 = none),
 * read without asking the worker: for timeouts checked over many calls.
 */
uint64_t relay_media_last_packet_ms(const struct relay_media *m);

#endif

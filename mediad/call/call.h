/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad/call (part of library mediad_core): the call model (calls, monologues, media),
 * its state machine and lifecycle (ports, SDES negotiation, relay sync, delete, reaper,
 * destroy), call records in Redis and their restore, and call statistics. Calls are
 * owned by the control thread. Prototypes are grouped by defining file. */
#ifndef SBC_MEDIAD_CALL_H
#define SBC_MEDIAD_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "redis.h"
#include "relay.h"
#include "sdp.h"
#include "srtp.h"

struct bencode_arena;
struct bencode_item;
struct event;
struct evbuffer;
struct mediad;
struct mediad_iface;
struct port_pool;
struct redis_conn;
struct relay_media;

#define MEDIAD_MAX_MEDIA 4        /* m= lines handled per call */
#define MEDIAD_MAX_CRYPTO 8       /* a=crypto lines remembered per offer */

/* ---- port_pool.c: even/odd UDP port pairs of one interface ---- */

/* One bound even/odd pair. */
struct port_pair {
	uint16_t port;     /* RTP port (even); RTCP is port + 1 */
	int fd_rtp;        /* non-blocking UDP sockets; -1 once handed to the relay */
	int fd_rtcp;
};

/*
 * A range of port pairs on one local address. Pairs are handed out round
 * robin so a just-freed port is not reused at once. Single-threaded.
 * Returns 0, EINVAL (empty range, bad address) or ENOMEM; *pp owned by caller.
 */
int port_pool_alloc(struct port_pool **pp, const struct sa *addr, uint16_t min, uint16_t max);
void port_pool_free(struct port_pool *p);
/*
 * Takes a free pair and binds both sockets (skipping ports someone else holds).
 * Returns 0 with *out filled (caller owns the fds), or ENOSPC when no pair is
 * free or bindable.
 */
int port_pool_take(struct port_pool *p, struct port_pair *out);
/*
 * Takes one given pair (restoring a call after a restart). Returns 0, EINVAL (not
 * a pair of this pool), EADDRINUSE (taken) or the bind errno.
 */
int port_pool_take_port(struct port_pool *p, uint16_t port, struct port_pair *out);
/* Marks the pair free again; the fds are closed by whoever owns them. */
void port_pool_release(struct port_pool *p, uint16_t port);
unsigned port_pool_in_use(const struct port_pool *p);
unsigned port_pool_size(const struct port_pool *p);
/* Closes whichever fds of pair are still open, then releases the port. */
void port_pair_release(struct port_pool *p, struct port_pair *pair);

/* ---- call.c: the model ---- */

/* One a=crypto line: tag, suite, key. Keys never reach a log. */
struct call_crypto {
	unsigned tag;
	struct crypto_key key;
	unsigned flags;        /* CRYPTO_PARAM_* session parameters */
	unsigned acap;         /* RFC 5939 a=acap number it was offered as; 0: a=crypto */
};

/* One m= line as one party sees it: its endpoint, and the ports that face it. */
struct call_media {
	unsigned index;                 /* 1-based m= line number */
	char type[16];                  /* "audio" */
	char fmts[48];                  /* the offer's formats (whole tokens that fit), for a
	                                   line an answer left out (ng_sdp_in.c) */
	enum sdp_proto proto;           /* what this party speaks */
	bool osrtp;                     /* SRTP over an RTP/AVP(F) profile (RFC 8643 OSRTP) */
	unsigned capneg_cfg;            /* RFC 5939: this party offered SRTP as potential
	                                   configuration capneg_cfg (transport capneg_tcap);
	                                   0: not. Our answer says a=acfg */
	unsigned capneg_tcap;
	bool disabled;                  /* port 0 in the last SDP, or rejected */
	bool rejected;                  /* refused by encryption policy in the last offer:
	                                   port 0 towards both parties (ng_policy.c) */
	bool mux_offered;               /* a=rtcp-mux in this party's offer, or offered to it */
	bool have_ports;
	struct port_pair ports;         /* on the monologue's interface; fds -> relay */
	struct sa remote_rtp;           /* from this party's SDP; AF_UNSPEC until known */
	struct sa remote_rtcp;
	bool rtcp_mux;                  /* this party's leg muxes RTCP; fixed once c->rm[] runs */
	bool sends, receives;           /* this party's direction from its SDP */
	/* crypto lines this party offered us (to answer from) */
	struct call_crypto offered[MEDIAD_MAX_CRYPTO];
	unsigned noffered;
	/* keys we offered this party; on its answer one becomes `ours` */
	struct call_crypto proposed[CRYPTO_SUITE_COUNT];
	unsigned nproposed;
	bool have_peer_key;
	struct call_crypto peer;        /* its key: unprotects what it sends */
	bool have_our_key;
	struct call_crypto ours;        /* our key: protects what we send it */
	/* SRTP indexes restored from Redis; handed to the relay when it is created, then zeroed */
	struct relay_srtp_state resume;
};

/* One SIP participant (tag) of a call. */
struct monologue {
	char *tag;                      /* "" until the answer names it */
	char *via_branch;               /* NULL if none */
	char *label;                    /* NULL if none */
	struct mediad_iface *iface;     /* borrowed from the config */
	bool have_sdp_version;          /* o= version we send this party (replace sdp-version) */
	uint64_t sdp_version;
	uint64_t sdp_hash;              /* of the last SDP sent, to bump the version on change */
	int64_t created;                /* wall seconds */
	unsigned nmedia;
	struct call_media media[MEDIAD_MAX_MEDIA];
};

/* Changed only through call_enter_state(). */
enum call_state {
	CALL_STATE_OFFERED = 0,         /* initial: an offer, no answer yet */
	CALL_STATE_ANSWERED,
	CALL_STATE_DELETING,            /* delete-delay running */
};

/* Which optional Redis fields the last complete call_store_write left in the hash. */
#define CALL_STORED_LOCAL   0x01u   /* <s>_m<n>_local, _local_rtcp */
#define CALL_STORED_RXSUITE 0x02u   /* <s>_m<n>_rx_suite */
#define CALL_STORED_RXKEY   0x04u   /* <s>_m<n>_rx_key, _rx_tag */
#define CALL_STORED_TXKEY   0x08u   /* <s>_m<n>_tx_key, _tx_tag */
#define CALL_STORED_INDEX   0x10u   /* <s>_m<n>_rx_index, _tx_index (SRTP legs) */
#define CALL_STORED_OSRTP   0x20u   /* <s>_m<n>_osrtp */
struct call_stored {
	bool valid;                     /* false: Redis content unknown, rewrite whole */
	bool side[2], label[2], via[2];
	unsigned nmedia[2];
	uint8_t opt[2][MEDIAD_MAX_MEDIA];
	/* the SRTP indexes the fields hold ([side][media]) */
	struct relay_srtp_state idx[2][MEDIAD_MAX_MEDIA];
	uint64_t idx_ms;                /* time_mono_ms() when they were written */
	/*
	 * Redis acknowledged the record as ours (or the restore found it ours): from then on
	 * a write lands only while it still names us. Until then (a call an offer brought
	 * here, perhaps moved from another mediad) writes take the record over.
	 */
	bool owned;
	uint64_t serial;                /* this call among every call's writes (replies) */
};

struct call {
	char *call_id;
	enum call_state state;          /* through call_enter_state() only */
	int64_t created;                /* wall seconds */
	int64_t created_us;
	int64_t last_signal;
	uint64_t last_signal_ms;        /* monotonic, for timeouts */
	struct monologue *mono[2];      /* [0] first offerer (relay leg A), [1] the other side */
	struct relay_media *rm[MEDIAD_MAX_MEDIA];  /* owned; one per bridged m= line */
	unsigned nrm;
	struct event *delete_ev;        /* pending delete-delay, or NULL */
	struct call_table *table;       /* borrowed */
	struct call *hnext;             /* hash chain */
	struct call *prev, *next;       /* creation order, for list */
	/* call_store.c's; zeroed = unknown (stored.owned: also set by call_relay.c and the
	 * restore, which know whose the record is to be) */
	struct call_stored stored;
};

/* The destroy hook lets the owner free relay media and ports before the memory goes. */
typedef void (call_destroy_h)(struct call *c, void *arg);

struct call_table {
	struct call **buckets;
	size_t nbuckets;
	size_t count;
	struct call *head, *tail;
	call_destroy_h *destroy_h;
	void *arg;
};

int call_table_init(struct call_table *t, size_t nbuckets, call_destroy_h *h, void *arg);
/* Destroys every call (through the hook) and the table itself. */
void call_table_clear(struct call_table *t);
struct call *call_find(struct call_table *t, const char *call_id, size_t len);
/* Creates an empty call in OFFERED state. Returns 0, EEXIST, EINVAL (NUL in the id) or ENOMEM. */
int call_create(struct call_table *t, const char *call_id, size_t len, struct call **cp);
/* Unlinks, runs the destroy hook, frees. */
void call_destroy(struct call *c);
/* Monologue whose tag equals tag; NULL if none. */
struct monologue *call_mono_by_tag(struct call *c, const char *tag, size_t len);
/* Index of m in c->mono, or -1. */
int call_mono_index(const struct call *c, const struct monologue *m);
/* Allocates a monologue with the given tag (copied). Returns 0 or ENOMEM. */
int monologue_alloc(struct monologue **mp, const char *tag, size_t len, struct mediad_iface *iface);
void monologue_free(struct monologue *m);
/* Replaces a string field (tag, via_branch, label) with a copy. 0 or ENOMEM. */
int monologue_set_str(char **field, const char *s, size_t len);
/* Whether this party's leg is SRTP: a secure profile, or RTP/AVP(F) with keys (OSRTP). */
bool call_media_srtp(const struct call_media *cm);
/*
 * A line refused by encryption policy: rejected and disabled, nowhere to send (a running
 * relay drops what comes, counted "nodest"). Profile and keys stay as they were.
 */
void call_media_refuse(struct call_media *cm);

/* ---- call_state.c: the state machine ---- */

/* "offered", "answered", "deleting" (as in Redis records); "?" when out of range. */
const char *call_state_name(enum call_state st);
/*
 * Every state change goes through here: sets the thread's log context to the call
 * (state changes happen while handling that call, and its lines carry the id) and
 * traces old -> new at debug level. A "change" to the current state is a no-op.
 */
void call_enter_state(struct call *c, enum call_state st);

/* ---- call_ports.c: the ports that face each party ---- */

/*
 * Gives cm a port pair on mono's interface unless it has one. Returns 0 or ENOSPC
 * (counted and logged: the interface ran out).
 */
int call_media_take_ports(struct mediad *md, struct monologue *mono, struct call_media *cm);
/* Closes what the call still holds of its sockets and returns its pairs to the pools. */
void call_release_ports(struct call *c);

/* ---- call_sdes.c: SDES negotiation (keys never reach a log) ---- */

/*
 * Takes the a=crypto lines of an offer's media sm that allow (SDP_CRYPTO_SUITE_BIT
 * mask) permits into cm->offered. Returns 0, or ENOENT when none is usable (logged).
 */
int call_sdes_take_offer(struct call_media *cm, const struct sdp_media *sm, unsigned allow);
/* What our fresh keys say beside the key: MKI length (value 1) and lifetime (0: none). */
struct call_key_opts {
	unsigned mki_len;
	uint64_t lifetime;
};
/*
 * The keys we offer a recipient on cm: a re-offer keeps the active key (no new SRTP
 * session) unless rekey; a repeated offer keeps its proposals; otherwise one fresh
 * key per configured offer suite in allow, with ko's MKI and lifetime. Returns 0,
 * ENOENT (no suite allowed, logged) or the random source's errno.
 */
int call_sdes_propose(struct mediad *md, struct call_media *cm, unsigned allow, bool rekey,
    const struct call_key_opts *ko);
/*
 * The answerer accepted one of our proposals on cm: finds it in the answer's media
 * sm (tag first, suite second) and makes it ours and the answerer's key the peer's.
 * An OSRTP proposal (cm->osrtp) takes a key from an RTP/AVP answer too.
 * Returns 0 or ENOENT (plain answer to an SRTP offer, or no match; logged).
 */
int call_sdes_take_answer(struct call_media *cm, const struct sdp_media *sm, unsigned allow);
/*
 * Our answer to the offerer on cm: its first usable offered line becomes the peer's
 * key; ours is kept across re-INVITEs unless the suite changes or rekey. Ours carries
 * an MKI of the length the offerer's has (value 1), and ko->lifetime (ko->mki_len is
 * not used). Returns 0, ENOENT (nothing usable) or the random source's errno.
 */
int call_sdes_answer_offerer(struct call_media *cm, unsigned allow, bool rekey,
    const struct call_key_opts *ko);
/*
 * A leg that is plain RTP after an exchange keeps no SRTP key: nothing uses it, the
 * record in Redis stops carrying it, and a later SRTP offer starts a fresh session.
 */
void call_sdes_forget(struct call_media *cm);

/* ---- call_relay.c: driving the relay ---- */

/* How the relay treats the sources of a call's legs (ng flags). */
struct call_relay_opts {
	bool asymmetric;                /* never latch */
	bool strict_source;             /* drop packets from other than the expected source */
};

/*
 * Creates or updates the relay media of every bridged m= line of an answered call.
 * Before the first answer there is nothing to bridge: the sockets stay with the
 * call. Returns 0 or the relay's errno (logged).
 */
int call_relay_sync(struct mediad *md, const struct call_relay_opts *o, struct call *c);
/*
 * Signalling changed the call (offer, answer): the relay follows (call_relay_sync),
 * the last-signal clocks the reaper reads are stamped and the record is queued for
 * Redis. Returns 0 or the relay's errno (then nothing is stamped or written).
 */
int call_signalled(struct mediad *md, const struct call_relay_opts *o, struct call *c);

/* ---- call_destroy.c: delete and destroy ---- */

/* The call's teardown when its last reference goes: relay media, ports, Redis key. */
void mediad_call_destroy_h(struct call *c, void *arg);
/*
 * Moves c to DELETING and destroys it after delay_s seconds (a later call restarts
 * the timer). Returns 0, or ENOMEM when no timer could be made: c is destroyed now.
 */
int call_delete_later(struct mediad *md, struct call *c, unsigned delay_s);
/* A re-offer within the delete delay revives the call: the timer goes, the state returns. */
void call_delete_cancel(struct call *c);

/* ---- call_reap.c: timeouts ---- */

/*
 * Destroys the calls whose offer was never answered or whose media stopped, as of
 * now_ms (time_mono_ms() scale). Run by a 1 s timer; tests pass their own clock.
 */
void call_reap(struct mediad *md, uint64_t now_ms);

/* ---- call_stats.c ---- */
/*
 * Adds the rtpengine-shaped statistics of c (created, last signal, tags,
 * totals) to reply. Returns 0 or ENOMEM.
 */
int call_stats_add(struct mediad *md, struct call *c, struct bencode_arena *a,
    struct bencode_item *reply);
/*
 * A call's summary for list replies: "totals" (as in query), "drops" by reason
 * summed over its streams (only reasons that happened), "crypto suites" (leg A,
 * leg B; "" = plain RTP) and "last packet". Returns 0 or ENOMEM.
 */
int call_stats_add_summary(struct mediad *md, struct call *c, struct bencode_arena *a,
    struct bencode_item *out);
/*
 * call_stats_add for a call about to be destroyed: tears down every relay media
 * of c (final counters in the same worker round trip; c->rm[] become NULL) and
 * adds the statistics. The media are gone even when it returns ENOMEM.
 */
int call_stats_add_destroy(struct mediad *md, struct call *c, struct bencode_arena *a,
    struct bencode_item *reply);
/*
 * ---- call_legs.c ----
 * The media of each party of c summed over its streams, as "legs" (a list, party by
 * party: tag, interface, suite, "packets in", "bytes in", "packets out", "bytes out",
 * lost, drops by reason) plus "created": a few hundred bytes where call_stats_add
 * gives kilobytes. destroy: the relay media are torn down in the same worker round
 * trip (c->rm[] become NULL, even on ENOMEM). Returns 0 or ENOMEM.
 */
int call_legs_add(struct mediad *md, struct call *c, bool destroy, struct bencode_arena *a,
    struct bencode_item *reply);
/* Metrics collector: port pairs per interface (no per-call series). */
void call_stats_collect(struct evbuffer *out, void *arg);
/* Latest media activity of the call (monotonic ms), 0 if none seen. */
uint64_t call_stats_last_packet_ms(struct call *c);

/* ---- call_index.c: the SRTP indexes of a call's legs, as Redis field values ---- */

/* Longest formatted value: SRTP_CTX_MAX_SSRC entries. */
#define CALL_INDEX_STRLEN 256
/*
 * "ssrc=0x1a2b3c4d roc=1 seq=371 srtcp=12; ssrc=..." (roc/seq, srtcp left out when not
 * known; "" for none) into buf. Returns 0 or ENOSPC.
 */
int call_index_format(char *buf, size_t size, const struct srtp_ctx_ssrc_state *st,
    unsigned n);
/* The reverse; up to max entries into out, *np set. Returns 0 or EINVAL. */
int call_index_parse(const char *s, struct srtp_ctx_ssrc_state *out, unsigned max,
    unsigned *np);
/*
 * The indexes of party side's (0: mono[0], relay leg A) leg of media j now: what its
 * relay media published, or, with no relay media yet, what a restore holds for it.
 */
void call_index_read(const struct call *c, unsigned side, unsigned j,
    struct relay_srtp_state *out);
/*
 * Whether the store must be told: any change, or with urgent only what a restart could
 * not recover from (another SSRC, a ROC change, SRTCP a step further).
 */
bool call_index_differs(const struct relay_srtp_state *now, const struct relay_srtp_state *was,
    bool urgent);

/* ---- call_refresh.c: keeping the stored SRTP indexes fresh ---- */

/*
 * Run by a short timer (main.c): writes the indexes of calls whose SRTP state moved,
 * at once when srtp_ctx_events() says something urgent happened, otherwise every
 * media_state_interval_ms. Reads atomics only; no worker round trip.
 */
void call_refresh_index(struct mediad *md, uint64_t now_ms);

/* ---- call_store.c: call records and this mediad's registration in Redis ---- */

struct call_store;
/* Called once, when Redis first connects (main.c starts the restore from it). */
typedef void (call_store_connected_h)(struct redis_conn *r, void *arg);
/*
 * Connects (asynchronously) and starts the registration timer; h (may be NULL) runs
 * on the first connection. 0 or ENOMEM/EINVAL.
 */
int call_store_alloc(struct call_store **sp, struct mediad *md, call_store_connected_h *h,
    void *arg);
void call_store_free(struct call_store *s);
/* Queues HSET+EXPIRE of sbc:media:<call-id>; never blocks; a Redis outage is counted. */
void call_store_write(struct call_store *s, struct call *c);
/*
 * Queues HSET of only the SRTP index fields of c (and EXPIRE); a whole write when the
 * hash is not known to be in place. Never blocks.
 */
void call_store_write_index(struct call_store *s, struct call *c);
/*
 * Queues the delete of sbc:media:<call-id> (only while this mediad owns it: a call moved
 * elsewhere keeps its record) and its removal from this mediad's calls index.
 */
void call_store_delete(struct call_store *s, const char *call_id);
bool call_store_connected(const struct call_store *s);
/* Writes the registration now (its drain flag changed). */
void call_store_register_now(struct call_store *s);
/* The connection and the write backlog (call_events.c writes through them). */
struct redis_conn *call_store_redis(struct call_store *s);
struct redis_backlog *call_store_backlog(struct call_store *s);

/* ---- call_events.c: what mediad tells the signalling side ---- */

/*
 * c's media timed out (reason "no-media" or "silent-on-hold", after_s its limit): an
 * entry in the stream sbc:events for sigproxy, which ends the call with BYE to both
 * parties. Kept until Redis acknowledges it. No-op without Redis.
 */
void call_event_media_timeout(struct mediad *md, const struct call *c, const char *reason,
    unsigned after_s);

/*
 * Shutdown: stops the registration (timer and rewrites on reconnect) and removes it from
 * Redis (SREM sbc:mediads, DEL sbc:mediad:<id>), so sigproxy stops choosing and pinging
 * this mediad at once. Returns 0 when queued (h, may be NULL, then hears from the EXEC
 * exactly once: its reply, or NULL), or ENOTCONN/ENOMEM (h is not called). The calls'
 * sbc:media records stay for a restarted mediad.
 */
int call_store_deregister(struct call_store *s, redis_reply_h *h, void *arg);

/* ---- call_registry.c: this mediad's registration (used by call_store.c) ---- */
/* Queues HSET+EXPIRE of sbc:mediad:<id> (ng address, interfaces, load) and SADD sbc:mediads. */
void call_registry_write(struct mediad *md, struct redis_conn *r);
/* Queues MULTI, SREM sbc:mediads <id>, DEL sbc:mediad:<id>, EXEC (h: the EXEC reply). */
int call_registry_remove(struct mediad *md, struct redis_conn *r, redis_reply_h *h, void *arg);

/* ---- call_restore.c ---- */
/*
 * After a restart: reads every sbc:media:* hash this mediad owns, rebinds the same
 * ports and rebuilds the calls and their relay media. Asynchronous; started once when
 * Redis first connects. Records that cannot be restored are logged and left to expire.
 */
void call_restore_start(struct mediad *md, struct redis_conn *r);
/* Rebuilds one call from an HGETALL reply (field, value, ...). 0 or an errno. */
int call_restore_one(struct mediad *md, const char *const *fields, const size_t *lens,
    size_t n);

#endif

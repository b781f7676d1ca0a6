/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad's private header: configuration, port pool, call model, ng server and Redis
 * state of the media relay's control plane, prototypes grouped by defining file. */
#ifndef SBC_MEDIAD_MEDIAD_H
#define SBC_MEDIAD_MEDIAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "addr.h"
#include "crypto_suite.h"
#include "log.h"
#include "ng.h"
#include "sdp.h"

struct bencode_arena;
struct bencode_item;
struct conf;
struct conf_error;
struct event;
struct event_base;
struct evbuffer;
struct metric;
struct metrics;
struct ng_cookie_cache;
struct ng_msg;
struct redis_conn;
struct relay;
struct relay_media;

#define MEDIAD_MAX_IFACES 8
#define MEDIAD_MAX_ALLOW 32
#define MEDIAD_MAX_MEDIA 4        /* m= lines handled per call */
#define MEDIAD_MAX_CRYPTO 8       /* a=crypto lines remembered per offer */
#define MEDIAD_IFNAME_MAX 32

/* ng handlers return this (not a reason) when the client should get "load limit". */
extern const char mediad_load_limit[];
#define MEDIAD_ERR_NO_CRYPTO "no usable crypto suite"

/* ---- mediad_config.c ---- */

struct port_pool;

struct mediad_iface {
	char name[MEDIAD_IFNAME_MAX];
	struct sa addr;              /* where media sockets bind (port 0) */
	struct sa advertised;        /* what SDP shows; = addr unless configured */
	uint16_t port_min, port_max; /* inclusive; pairs start on even ports */
	struct port_pool *pool;      /* owned; made by mediad_ifaces_open() */
	struct metric *m_in_use;     /* gauges in the metrics registry (may be NULL) */
	struct metric *m_free;
};

struct mediad_config {
	char id[64];
	struct sa ng_listen;
	struct sa_net allow[MEDIAD_MAX_ALLOW];
	unsigned nallow;
	unsigned workers;
	enum log_level log_level;
	char metrics_listen[SA_STRLEN];  /* "" = no metrics endpoint */
	unsigned max_sessions;           /* 0 = unlimited */
	unsigned delete_delay_s;         /* default when delete carries none */
	unsigned offer_timeout_s;        /* offer never answered: reaped */
	unsigned media_timeout_s;        /* answered call without media in either direction */
	unsigned silent_timeout_s;       /* the same while a party is on hold (not sending) */
	unsigned cookie_ttl_s;

	struct mediad_iface ifaces[MEDIAD_MAX_IFACES];
	unsigned niface;

	enum crypto_suite offer_suites[CRYPTO_SUITE_COUNT];
	unsigned noffer_suites;
	unsigned allowed_suites;         /* bit (1u << suite) */

	bool redis_enabled;
	char redis_host[256];
	uint16_t redis_port;
	char redis_unix[108];
	char redis_password[128];        /* never logged */
	int redis_db;
	unsigned media_ttl_s;            /* EXPIRE of sbc:media:<call-id> */
	unsigned reg_ttl_s;              /* EXPIRE of sbc:mediad:<id> */
	unsigned reg_interval_ms;        /* registration refresh period */
};

/*
 * Loads and validates the whole [mediad], [interface *], [srtp], [redis]
 * configuration from c. Returns 0 with *cfg filled, or EINVAL with *err naming
 * file, line and key.
 */
int mediad_config_load(struct mediad_config *cfg, struct conf *c, struct conf_error *err);
/* Interface by name (case-sensitive); NULL when unknown. */
struct mediad_iface *mediad_config_iface(struct mediad_config *cfg, const char *name, size_t len);

/* ---- port_pool.c ---- */

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

/* ---- call.c ---- */

/* One a=crypto line: tag, suite, key. Keys never reach a log. */
struct call_crypto {
	unsigned tag;
	struct crypto_key key;
	unsigned flags;        /* SDES session params (sdp_crypto flags) */
};

/* One m= line as one party sees it: its endpoint, and the ports that face it. */
struct call_media {
	unsigned index;                 /* 1-based m= line number */
	char type[16];                  /* "audio" */
	enum sdp_proto proto;           /* what this party speaks */
	bool disabled;                  /* port 0 in the last SDP */
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

enum call_state {
	CALL_STATE_OFFERED = 0,
	CALL_STATE_ANSWERED,
	CALL_STATE_DELETING,            /* delete-delay running */
};

/* Which optional Redis fields the last complete call_store_write left in the hash. */
#define CALL_STORED_LOCAL   0x01u   /* <s>_m<n>_local, _local_rtcp */
#define CALL_STORED_RXSUITE 0x02u   /* <s>_m<n>_rx_suite */
#define CALL_STORED_RXKEY   0x04u   /* <s>_m<n>_rx_key, _rx_tag */
#define CALL_STORED_TXKEY   0x08u   /* <s>_m<n>_tx_key, _tx_tag */
struct call_stored {
	bool valid;                     /* false: Redis content unknown, rewrite whole */
	bool side[2], label[2], via[2];
	unsigned nmedia[2];
	uint8_t opt[2][MEDIAD_MAX_MEDIA];
};

struct call {
	char *call_id;
	enum call_state state;
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
	struct call_stored stored;      /* call_store.c only; zeroed = unknown */
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

/* ---- mediad (main.c): the daemon's state, owned by the control thread ---- */

struct mediad_counters {
	struct metric *cmd[8];          /* per enum ng_op */
	struct metric *errors;
	struct metric *dropped_acl;
	struct metric *dropped_malformed;
	struct metric *dropped_in_progress;
	struct metric *cache_hits;
	struct metric *cookie_collisions;
	struct metric *calls_active;
	struct metric *calls_total;
	struct metric *no_ports;
	struct metric *redis_writes;
	struct metric *redis_write_failures;
};

struct mediad {
	struct mediad_config cfg;
	struct event_base *base;
	struct relay *relay;            /* NULL in tests that run without media */
	struct metrics *metrics;
	struct mediad_counters ctr;
	struct call_table calls;
	struct ng_server *ng;
	struct call_store *store;       /* NULL when Redis is not configured */
	int64_t started;
	uint64_t ng_commands;           /* served, for the registry's load figure */
};

/* ---- ng_server.c ---- */

struct ng_server;
/* Binds the control socket on md->cfg.ng_listen and starts serving on md->base. */
int ng_server_alloc(struct ng_server **sp, struct mediad *md);
void ng_server_free(struct ng_server *s);
/* The bound address (port 0 in the config becomes the real port). */
void ng_server_local(const struct ng_server *s, struct sa *out);

/* Handler convention: return NULL on success (reply dict filled, "result" added by
 * the caller), an error reason string, or mediad_load_limit. */
typedef const char *(ng_handler_h)(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);

/* The handler of a command other than ping; NULL for ping and unknown commands. */
ng_handler_h *ng_handler_for(enum ng_op op);

/* ---- ng_opts.c ---- */

/*
 * rtcp-mux options (ng_opts.rtcp_mux), a set: none = pass through what the offerer
 * asked for. OFFER/REQUIRE win over DEMUX; REJECT with OFFER is the reverse of DEMUX.
 */
#define NG_RTCP_MUX_OFFER   0x01u  /* offer a=rtcp-mux to the recipient even if the sender did not */
#define NG_RTCP_MUX_REQUIRE 0x02u  /* as OFFER here: the answer still decides the recipient's leg */
#define NG_RTCP_MUX_DEMUX   0x04u  /* accept from the offerer, do not offer onwards */
#define NG_RTCP_MUX_ACCEPT  0x08u  /* parsed; pass-through already accepts */
#define NG_RTCP_MUX_REJECT  0x10u  /* refuse the sender's (offerer's) a=rtcp-mux */

/* The options of an offer/answer request, read once; strings borrowed from the message. */
struct ng_opts {
	const char *call_id, *from_tag, *to_tag, *via_branch, *label, *to_label;
	size_t call_id_len, from_tag_len, to_tag_len, via_branch_len, label_len, to_label_len;
	const char *sdp;
	size_t sdp_len;
	enum sdp_proto transport;        /* SDP_PROTO_KEEP when not given */
	bool transport_accept;
	struct mediad_iface *from_if, *to_if;  /* NULL when not given */
	unsigned rw_flags;               /* SDP_RW_* from replace, flags, ICE, SDES pad ... */
	bool sip_source;                 /* use received-from instead of the SDP address */
	bool have_received_from;
	struct sa received_from;
	bool have_media_address;
	struct sa media_address;
	bool strict_source, asymmetric, fragment, fatal, fast, to_tag_flag, rekey;
	bool supports_load_limit;
	bool sdes_off;
	unsigned sdes_params_set, sdes_params_clear;  /* SDP_CRYPTO_UNENCRYPTED_* */
	unsigned allowed_suites;         /* after SDES no-/only- */
	unsigned rtcp_mux;               /* NG_RTCP_MUX_* */
	int64_t delete_delay;            /* -1 when not given */
};

/*
 * Reads the options of m into *o for command op (checks the keys op requires).
 * Returns NULL or the error reason for the client (see ng-protocol.md §3).
 */
const char *ng_opts_parse(struct mediad *md, const struct ng_msg *m, struct ng_opts *o);
/* printf into a static buffer, for reasons that name a value (control thread only). */
const char *ng_reasonf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- ng_offer.c ---- */
/*
 * Creates or updates the relay media of every bridged m= line of an answered call
 * (options: asymmetric, strict source). Returns NULL or an error reason.
 */
const char *call_relay_sync(struct mediad *md, const struct ng_opts *o, struct call *c);
const char *ng_handle_offer(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_answer(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);

/* ---- ng_delete.c ---- */
const char *ng_handle_delete(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
/* The call's teardown when its last reference goes: relay media, ports, Redis key. */
void mediad_call_destroy_h(struct call *c, void *arg);

/* ---- ng_query.c ---- */
const char *ng_handle_query(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_list(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);
const char *ng_handle_statistics(struct mediad *md, const struct ng_msg *m,
    struct bencode_arena *a, struct bencode_item *reply);

/* Reaps calls whose offer was never answered or whose media stopped (1 s timer). */
void mediad_reap(struct mediad *md);

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
/* Registers md->ctr in md->metrics. Returns 0 or ENOMEM. */
int mediad_counters_register(struct mediad *md);
/* Metrics collector: ports per interface and per-stream counters. */
void call_stats_collect(struct evbuffer *out, void *arg);
/* Latest media activity of the call (monotonic ms), 0 if none seen. */
uint64_t call_stats_last_packet_ms(struct call *c);

/* ---- call_store.c ---- */
struct call_store;
/* Connects (asynchronously) and starts the registration timer. 0 or ENOMEM/EINVAL. */
int call_store_alloc(struct call_store **sp, struct mediad *md);
void call_store_free(struct call_store *s);
/* Queues HSET+EXPIRE of sbc:media:<call-id>; never blocks; a Redis outage is counted. */
void call_store_write(struct call_store *s, struct call *c);
/* Queues DEL of sbc:media:<call-id>. */
void call_store_delete(struct call_store *s, const char *call_id);
bool call_store_connected(const struct call_store *s);

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

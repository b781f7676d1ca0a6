/* SPDX-License-Identifier: BSD-2-Clause */
/* The mediad daemon's state, made by main.c and owned by the control thread; the parts
 * (ng/, call/, sdp/, srtp/, relay/) keep their interfaces in their own headers. */
#ifndef SBC_MEDIAD_MEDIAD_H
#define SBC_MEDIAD_MEDIAD_H

#include <stdint.h>

#include "addr.h"
#include "call.h"
#include "mediad_config.h"
#include "reload.h"

struct event_base;
struct metric;
struct metrics;
struct ng_server;
struct notify;
struct relay;

/* What peers send against the RFCs that mediad carries anyway, counted by kind. */
enum mediad_tolerated {
	MEDIAD_TOL_ANSWER_MISSING_LINES = 0,  /* answer with fewer m= lines than the offer */
	MEDIAD_TOL_CRYPTO_LINE_SKIPPED,  /* an unusable a=crypto line beside a usable one */
	MEDIAD_TOL_MKI,                  /* a key with an MKI (Teams Direct Routing) taken */
	MEDIAD_TOL_CAPNEG,               /* RFC 5939 capability negotiation answered */
	MEDIAD_TOL_COUNT,
};

/* Daemon-wide counters in the metrics registry (mediad_counters.c registers them). */
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
	struct metric *reloads_ok, *reloads_failed;
	/* encryption enforcement (mediad/ng/ng_policy.c) */
	struct metric *enc_rejected[3];  /* media lines refused, by enum ng_line_verdict - 1 */
	struct metric *enc_refused;      /* offers/answers refused: no media line usable */
	struct metric *keys_stripped;    /* SRTP asked towards an encryption = off interface */
	struct metric *osrtp_answered;   /* RFC 8643 offers answered with a key */
	struct metric *osrtp_offered;    /* RTP/AVP offers we made with keys (OSRTP) */
	struct metric *events_media_timeout;  /* media timeouts told to sigproxy (sbc:events) */
	struct metric *calls_moved_away;  /* dropped here: their record names another mediad */
	/* lines refused alone that no interface could carry: not RTP, DTLS-SRTP only */
	struct metric *lines_refused[2];
	/* deviations carried instead of refused, by kind (README "Tolerated deviations") */
	struct metric *tolerated[MEDIAD_TOL_COUNT];
};

struct mediad {
	struct mediad_config cfg;
	struct event_base *base;
	struct relay *relay;            /* NULL in tests that run without media */
	struct metrics *metrics;
	struct mediad_counters ctr;
	struct call_table calls;
	struct ng_server *ng;
	struct sa ng_addr;              /* where ng is bound, for the registry; AF_UNSPEC before */
	struct call_store *store;       /* NULL when Redis is not configured */
	const char *conf_path;          /* borrowed (argv): SIGHUP reads it again */
	struct notify *notify;          /* readiness and watchdog for the service manager */
	struct reload_table reload;     /* what SIGHUP reloads (README) */
	bool stopping;                  /* SIGTERM seen: deregistering, then the loop ends */
	bool watchdog_withheld;         /* a stalled worker is holding back the pings */
	unsigned watchdog_worker;       /* which one (for the line that says it is back) */
	int64_t started;
	uint64_t ng_commands;           /* served, for the registry's load figure */
	uint64_t index_events;          /* srtp_ctx_events() at the last index refresh */
	bool draining;                  /* SIGUSR2: no new calls (the registration says so) */
	int64_t drain_since;            /* wall seconds */
};

/* ---- mediad_counters.c ---- */
/* Registers md->ctr and the gauges read at scrape time in md->metrics. Returns 0 or ENOMEM. */
int mediad_counters_register(struct mediad *md);

#endif

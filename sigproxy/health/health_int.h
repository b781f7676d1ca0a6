/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inside of the health part. Layered, each file calling only those below it in this list:
 *   health.c        the object, the probe timer, the answers to "may t get a call?" and
 *                   to OPTIONS addressed to us
 *   health_probe.c  OPTIONS probes out and their answers in
 *   health_state.c  one backend's state: counts, hysteresis, hold-down, the merged view
 *   health_share.c  sbc:backend:<name> in Redis: our observations out, the newest one in
 */
#ifndef SBC_SIGPROXY_HEALTH_INT_H
#define SBC_SIGPROXY_HEALTH_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "health.h"
#include "send.h"

#define HEALTH_MAX		64	/* backends (distinct route targets) tracked */
#define HEALTH_KEY_PREFIX	"sbc:backend:"
#define HEALTH_COUNT_MAX	1000000u	/* consecutive counts stop here */

enum health_state {
	HEALTH_UNKNOWN = 0,	/* no verdict yet: usable for calls, not "up" for OPTIONS */
	HEALTH_UP,
	HEALTH_DOWN,
};

/* Probe results besides a status code. */
#define HEALTH_NO_ANSWER	0	/* unanswered by the next probe */
#define HEALTH_SEND_FAILED	(-1)	/* could not be sent */

struct health;

/* Wall clock in ms: observations and hold-downs are compared across instances (hosts). */
static inline int64_t
health_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One backend (a route target, by its URI); lives in struct health's array. */
struct backend {
	struct health *h;		/* borrowed: the owner */
	char uri[256];			/* as configured; also <name> in sbc:backend:<name> */
	enum tp_proto tp;
	struct sa addr;
	enum sp_side side;
	bool probed;			/* OPTIONS go out (route or [health] probe) */
	bool up_on_any;			/* any final answer is a success, else a 2xx only */

	/* our own probes */
	enum health_state state;	/* from our probes only (N/M hysteresis) */
	int64_t since_s;		/* wall clock of the last change of state */
	unsigned ok, fail;		/* consecutive successes / failures */
	int last;			/* last probe: status, HEALTH_NO_ANSWER or _SEND_FAILED */
	bool probe_out;			/* a probe is waiting for its answer */
	char branch[48];		/* of the probe out */
	uint32_t cseq;

	/* passive detection */
	uint64_t holddown_until;	/* mono ms; our own */

	/* the newest observation in Redis (perhaps another instance's) */
	enum health_state shared_state;
	int64_t shared_checked_ms;	/* wall ms of that observation; 0: none */
	int64_t shared_holddown_ms;	/* wall ms until which some instance holds it down */
	char shared_by[64];		/* instance that wrote the observation */
	bool read_pending;		/* an HGETALL is out */
};

struct health {
	struct sp *sp;			/* borrowed */
	struct backend b[HEALTH_MAX];
	unsigned n;
	struct event *timer;		/* owned: probes and reads every interval_ms */
};

/* health_state.c */
struct backend *health_backend_find(struct health *h, const char *uri);
/* A probe result: a final status, HEALTH_NO_ANSWER or HEALTH_SEND_FAILED. */
void health_backend_observe(struct backend *b, int result);
/* What this instance believes: its own verdict, else a fresh shared one, else unknown. */
enum health_state health_backend_state(const struct backend *b);
/* Held down after a failed INVITE, by us or (shared) by another instance. */
bool health_backend_held(const struct backend *b);
void health_backend_hold(struct backend *b, const char *why);
const char *health_state_name(enum health_state s);

/* health_share.c */
/* Our observation of b into sbc:backend:<uri> (when it is worth more than what is there). */
void health_share_publish(struct backend *b);
/* Our hold-down of b into sbc:backend:<uri>, for the other instances. */
void health_share_hold(struct backend *b, const char *why);
/* Reads sbc:backend:<uri> into b's shared fields (asynchronously). */
void health_share_read(struct backend *b);
/* Whether b's shared observation is recent enough to act on. */
bool health_share_fresh(const struct backend *b);

/* health_probe.c */
/* Sends the next probe to b (an unanswered previous one counts as failed first). */
void health_probe_send(struct backend *b);

#endif

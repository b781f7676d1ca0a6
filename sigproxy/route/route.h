/* SPDX-License-Identifier: BSD-2-Clause */
/* Routing rules: ordered PCRE2 matches on the Request-URI user part giving ordered targets. */
#ifndef SBC_SIGPROXY_ROUTE_H
#define SBC_SIGPROXY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "transport.h"	/* enum tp_proto */

#define ROUTE_TARGETS_MAX	16
#define ROUTE_TIMEOUT_DEFAULT_MS 3000u	/* no provisional response: next target */
#define ROUTE_ANSWER_TIMEOUT_DEFAULT_MS 30000u	/* no final after a provisional: next */
#define ROUTE_TIMER_C_DEFAULT_MS 180000u	/* no response at all for this long: next */
#define ROUTE_FAILOVER_DEFAULT	"5xx,408"
#define ROUTE_USER_MAX		256	/* bytes of a rewritten user part, NUL included */

/*
 * One target, parsed from "sip:host[:port][;transport=udp|tcp|tls][;tls_peer=<name>]" (or
 * sips:). tls_peer (TLS targets only) names the [tls_peer <name>] section that says how to
 * reach it: expected server name and SNI, client certificate.
 */
struct route_target {
	char uri[256];			/* as configured */
	char host[256];			/* IPv6 without brackets */
	uint16_t port;			/* defaulted: 5060, or 5061 for TLS/sips */
	enum tp_proto transport;	/* default UDP (TLS for sips:) */
	char tls_peer[64];		/* "" : none (the [tls_client] context, IP checked);
					 * a loaded table has it on TLS targets only */
};

/* Whether the targets of a rule get OPTIONS probes; INHERIT: [health] probe decides. */
enum route_probe {
	ROUTE_PROBE_INHERIT = 0,
	ROUTE_PROBE_NO,
	ROUTE_PROBE_YES,
};

/* Which probe answers mean "up"; INHERIT: [health] probe_up_on decides. */
enum route_up_on {
	ROUTE_UP_ON_INHERIT = 0,
	ROUTE_UP_ON_200,		/* a 2xx only */
	ROUTE_UP_ON_ANY,		/* any final response (platforms answering OPTIONS 4xx) */
};

/* A rule; read-only once its table is loaded. */
struct route_rule {
	char name[64];			/* from "[route <name>]" */
	char match[256];		/* pattern text, for logs */
	char listener[64];		/* "" : any listener */
	char rewrite[ROUTE_USER_MAX];	/* "" : keep the user part */
	bool has_rewrite;
	struct route_target targets[ROUTE_TARGETS_MAX];	/* in failover order */
	unsigned ntargets;		/* >= 1 */
	unsigned timeout_ms;		/* to wait for a provisional before failover */
	unsigned answer_timeout_ms;	/* from the first provisional to a final, then failover */
	unsigned timer_c_ms;		/* RFC 3261 Timer C: restarted by every provisional */
	enum route_probe probe;
	enum route_up_on probe_up_on;
	uint8_t failover[75];		/* bitmap of status codes 100..699 (bit code-100) */
	void *re;			/* owned: compiled pcre2_code */
	unsigned index;			/* position in its table */
	/* Call admission (route_admit.c); 0: no limit. */
	unsigned max_calls;		/* calls at once on this route */
	unsigned max_cps;		/* new calls per second on this route */
	unsigned target_max_calls;	/* calls at once per target (each backend counted over
					 * every route naming it; the smallest limit applies) */
	unsigned target_max_cps;	/* new calls per second per target, likewise */
};

struct route_table;

/*
 * Builds the table from every "[route <name>]" section of c, in file order. Keys:
 * match (PCRE2 pattern, required), listener, rewrite ($0..$9 captures, "$$" a
 * literal $), target (repeated: ordered; numeric hosts only, there is no DNS),
 * timeout_ms (default 3000, 50..120000: no provisional response, next target),
 * answer_timeout_ms (default 30000, 100..3600000: no final response after a provisional,
 * CANCEL and next target), timer_c_ms (default 180000, 1000..3600000: Timer C, restarted
 * by each provisional), failover_on (default "5xx,408": comma list of codes or Nxx
 * classes), probe (inherit|no|yes) and probe_up_on (inherit|200|any), which [health]
 * resolves, max_calls, max_cps, target_max_calls, target_max_cps (call admission,
 * default 0: no limit): the rows of route_conf_keys.
 * Returns 0 with *tp (free with route_table_free()), EINVAL with *err naming
 * file, line, section and key (a bad regex carries PCRE2's message and offset),
 * or ENOMEM. A configuration without routes gives an empty table.
 */
int route_table_load(struct route_table **tp, struct conf *c, struct conf_error *err);
/* The keys of "[route <name>]" that route_table_load reads (for conf_check_known). */
extern const struct conf_key route_conf_keys[];

/*
 * Building blocks behind route_table_load, for programs and tests without a file:
 * route_table_new() gives an empty table; route_table_add() compiles one rule
 * (targets as text) and appends it. On EINVAL errbuf holds the reason (for a bad
 * regex: "match: <PCRE2 message> at offset N").
 */
int route_table_new(struct route_table **tp);
struct route_rule_spec {
	const char *name;
	const char *match;
	const char *listener;		/* NULL: any */
	const char *rewrite;		/* NULL: keep */
	const char *const *targets;	/* ntargets URIs */
	unsigned ntargets;
	unsigned timeout_ms;		/* 0: default */
	unsigned answer_timeout_ms;	/* 0: default */
	unsigned timer_c_ms;		/* 0: default */
	const char *failover_on;	/* NULL: default */
	enum route_probe probe;
	enum route_up_on probe_up_on;
	unsigned max_calls, max_cps;	/* 0: no limit (as in struct route_rule) */
	unsigned target_max_calls, target_max_cps;
};
int route_table_add(struct route_table *t, const struct route_rule_spec *spec,
    char *errbuf, size_t errsize);
void route_table_free(struct route_table *t);

unsigned route_table_count(const struct route_table *t);
const struct route_rule *route_table_rule(const struct route_table *t, unsigned idx);

/*
 * First rule (in order) whose listener filter accepts listener (NULL: the request
 * came on no named listener, only rules without a filter apply) and whose regex
 * matches user[0..user_len) (the unescaped Request-URI user part; may hold NULs).
 * Returns 0 with *rulep and the user part to send in user_out (the rewrite with
 * captures substituted, or user unchanged; decoded, NUL-terminated: give it to
 * sip_fwd.ruri_user as is), ENOENT when no rule matches (answer
 * 404), ENOSPC when the result does not fit user_size (user_out untouched), ENOMEM.
 * A rule whose regex exceeds the backtracking budget counts as not matching. The
 * table may be shared between threads: matching does not modify it.
 */
int route_match(const struct route_table *t, const char *user, size_t user_len,
    const char *listener, const struct route_rule **rulep, char *user_out,
    size_t user_size);

/* Whether status makes the rule try its next target. */
bool route_failover_on(const struct route_rule *r, int status);

/* Parses a target URI; returns 0 or EINVAL. */
int route_target_parse(const char *uri, struct route_target *out);

/* ---- call admission (route_admit.c): calls at once and new calls per second ---- */

enum route_refusal {
	ROUTE_REFUSE_MAX_CALLS = 0,	/* the route's max_calls */
	ROUTE_REFUSE_MAX_CPS,		/* the route's max_cps */
	ROUTE_REFUSE_TARGET_MAX_CALLS,	/* the target's (backend's) max_calls */
	ROUTE_REFUSE_TARGET_MAX_CPS,
	ROUTE_REFUSE_N,
};
/* "route_max_calls", "route_max_cps", "target_max_calls", "target_max_cps". */
const char *route_refusal_name(enum route_refusal r);

/* What one call holds: a place on its route and one at the target it is on. */
struct route_slot {
	bool route_held;
	bool target_held;
	unsigned rule;			/* index of the rule */
	unsigned backend;		/* the admission's backend index */
};

/* Counters for the rules of one table (the table must outlive it). */
struct route_admit;
/* Returns 0 or ENOMEM; *ap is the caller's: route_admit_free(). */
int route_admit_alloc(struct route_admit **ap, const struct route_table *t);
void route_admit_free(struct route_admit *a);
/*
 * A new call on r at now (monotonic ms): 0, and slot holds a place on r until
 * route_admit_release(); or EBUSY with *why and *retry_s, the seconds after which a call
 * per second is free again (max_cps), 0 for max_calls (when calls end is unknown).
 */
int route_admit_call(struct route_admit *a, const struct route_rule *r, uint64_t now,
    struct route_slot *slot, enum route_refusal *why, unsigned *retry_s);
/*
 * The call of slot goes to target ti of r: the target it held is given back first, then
 * 0 (it holds a place at ti) or EBUSY with *why and *retry_s as above.
 */
int route_admit_target(struct route_admit *a, const struct route_rule *r, unsigned ti,
    uint64_t now, struct route_slot *slot, enum route_refusal *why, unsigned *retry_s);
/* Gives back what slot holds (the call ended). a may be NULL (nothing held). */
void route_admit_release(struct route_admit *a, struct route_slot *slot);
/* Calls held on r, and at target ti of r, now. */
unsigned route_admit_calls(const struct route_admit *a, const struct route_rule *r);
unsigned route_admit_target_calls(const struct route_admit *a, const struct route_rule *r,
    unsigned ti);

#endif

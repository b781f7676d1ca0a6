/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy start and stop in dependency order: metrics, admission, listeners, Redis, ng client, mediad pool, health. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "dialog.h"
#include "hangup.h"
#include "health.h"
#include "log.h"
#include "redis_backlog.h"
#include "redis_metrics.h"
#include "media.h"
#include "move.h"
#include "notify.h"
#include "sigproxy.h"
#include "transport.h"
#include "trace.h"
#include "txn.h"
#include "uac.h"

/*
 * Redis came or went. Gone: one warning (at start "unreachable", later "lost"; the
 * reconnects that fail again stay silent), and new calls get 503 from now on
 * (invite_request.c asks sp_redis_up). Back: the ends kept meanwhile go out, then every
 * call this instance knows is written whole, so a Redis that restarted empty, or a new
 * master after a failover, holds every live dialog again and nothing that ended stays
 * answered.
 */
static void
redis_state(enum redis_state st, const char *reason, void *arg)
{
	struct sp *sp = arg;
	struct redis_backlog_stats bs;
	char peer[SA_STRLEN + 8];
	unsigned replayed, n;

	redis_conn_peer(sp->redis, peer, sizeof(peer));
	if (st != REDIS_STATE_CONNECTED) {
		log_warnx("%s server=%s reason=%s retrying=yes impact=%s",
		    sp->redis_was_up ? "redis_lost" : "redis_unreachable", LOG_Q(peer),
		    LOG_Q(reason ? reason : "unknown"),
		    LOG_Q("new calls get 503 until it is back; ends kept, live dialogs rewritten then"));
		return;
	}
	sp->redis_was_up = true;
	replayed = redis_backlog_replay(sp->redis_backlog, sp->redis);
	n = dialog_resync(sp);
	redis_backlog_stats(sp->redis_backlog, &bs);
	log_infox("redis_connected server=%s replayed=%u rewritten=%u dropped_total=%llu",
	    LOG_Q(peer), replayed, n, (unsigned long long)bs.dropped);
}

static void
collect(struct evbuffer *out, void *arg)
{
	struct sp *sp = arg;
	struct ng_client_stats ns;
	struct tp_stats ts;
	unsigned up, down, unknown;

	ng_client_stats(sp->ng, &ns);
	tp_stats_total(sp->tp, &ts);
	metrics_write(out, "sigproxy_ng_sent_total", "counter", "ng requests sent", NULL, ns.sent);
	metrics_write(out, "sigproxy_ng_retransmits_total", "counter", "ng retransmissions", NULL,
	    ns.retransmits);
	metrics_write(out, "sigproxy_sip_rx_total", "counter", "SIP messages received", NULL,
	    ts.rx_msgs);
	metrics_write(out, "sigproxy_sip_tx_total", "counter", "SIP messages sent", NULL,
	    ts.tx_msgs);
	metrics_write(out, "sigproxy_acl_drops_total", "counter", "refused by ACL", NULL,
	    ts.acl_drops);
	metrics_write(out, "sigproxy_tls_failures_total", "counter", "failed TLS handshakes", NULL,
	    ts.tls_failures);
	if (sp->redis != NULL)
		redis_metrics_write(out, "sigproxy", sp->redis, sp->redis_backlog);
	else
		metrics_write(out, "sigproxy_redis_up", "gauge", "1 when Redis is connected", NULL,
		    0);
	health_count(sp->health, &up, &down, &unknown);
	metrics_write(out, "sigproxy_backends", "gauge", "backends by health state",
	    "state=\"up\"", up);
	metrics_write(out, "sigproxy_backends", "gauge", NULL, "state=\"down\"", down);
	metrics_write(out, "sigproxy_backends", "gauge", NULL, "state=\"unknown\"", unknown);
}

#define CTR(field) offsetof(struct sp_counters, field)
#define RESP_HELP "responses sent upstream by class"

#define REFUSED_HELP "requests refused at the border (no dialog, forged, off the dialog's route)"
#define REFUSED_ROW(reason, idx) \
	{ "sigproxy_refused_total", METRICS_COUNTER, "reason=\"" reason "\"", REFUSED_HELP, \
	  CTR(refused[idx]) }

/* The daemon's counters, one row each. */
static const struct metrics_def sp_counter_defs[] = {
	{ "sigproxy_calls_total", METRICS_COUNTER, NULL, "initial INVITEs routed", CTR(calls) },
	{ "sigproxy_calls_answered_total", METRICS_COUNTER, NULL, "calls answered",
	  CTR(calls_answered) },
	{ "sigproxy_calls_failed_total", METRICS_COUNTER, NULL,
	  "calls that ended before or without an answer", CTR(calls_failed) },
	{ "sigproxy_responses_total", METRICS_COUNTER, "class=\"1xx\"", RESP_HELP,
	  CTR(resp_class[1]) },
	{ "sigproxy_responses_total", METRICS_COUNTER, "class=\"2xx\"", RESP_HELP,
	  CTR(resp_class[2]) },
	{ "sigproxy_responses_total", METRICS_COUNTER, "class=\"3xx\"", RESP_HELP,
	  CTR(resp_class[3]) },
	{ "sigproxy_responses_total", METRICS_COUNTER, "class=\"4xx\"", RESP_HELP,
	  CTR(resp_class[4]) },
	{ "sigproxy_responses_total", METRICS_COUNTER, "class=\"5xx\"", RESP_HELP,
	  CTR(resp_class[5]) },
	{ "sigproxy_responses_total", METRICS_COUNTER, "class=\"6xx\"", RESP_HELP,
	  CTR(resp_class[6]) },
	{ "sigproxy_failovers_total", METRICS_COUNTER, NULL, "next target tried", CTR(failovers) },
	{ "sigproxy_ng_timeouts_total", METRICS_COUNTER, NULL,
	  "ng requests without reply after retries", CTR(ng_timeouts) },
	{ "sigproxy_ng_errors_total", METRICS_COUNTER, NULL, "ng error replies", CTR(ng_errors) },
	{ "sigproxy_drops_total", METRICS_COUNTER, NULL, "SIP messages dropped", CTR(drops) },
	{ "sigproxy_bad_requests_total", METRICS_COUNTER, NULL,
	  "invalid requests answered with an error", CTR(bad_requests) },
	{ "sigproxy_redis_unavailable_total", METRICS_COUNTER, NULL,
	  "INVITEs refused with 503 while Redis was down", CTR(redis_unavailable) },
	{ "sigproxy_policy_rejects_total", METRICS_COUNTER, NULL,
	  "calls refused by the encryption policy", CTR(policy_rejects) },
	{ "sigproxy_reloads_total", METRICS_COUNTER, "result=\"ok\"",
	  "SIGHUP reloads, by result (failed: some hook kept its old state)", CTR(reloads_ok) },
	{ "sigproxy_reloads_total", METRICS_COUNTER, "result=\"failed\"", NULL,
	  CTR(reloads_failed) },
	{ "sigproxy_tls_reloads_total", METRICS_COUNTER, "result=\"ok\"",
	  "TLS contexts whose files were reloaded (SIGHUP), by result", CTR(tls_reloads_ok) },
	{ "sigproxy_tls_reloads_total", METRICS_COUNTER, "result=\"failed\"",
	  "TLS contexts whose files were reloaded (SIGHUP), by result", CTR(tls_reloads_failed) },
	{ "sigproxy_trace_messages_total", METRICS_COUNTER, NULL,
	  "SIP messages written by the trace (after its filter)", CTR(trace_messages) },
	{ "sigproxy_trace_lost_total", METRICS_COUNTER, NULL,
	  "traced SIP messages the trace file or the HEP collector did not take", CTR(trace_lost) },
	{ "sigproxy_invite_timeouts_total", METRICS_COUNTER, "timer=\"provisional\"",
	  "INVITE branches ended by a route timer", CTR(invite_timeouts[SP_TIMER_PROVISIONAL]) },
	{ "sigproxy_invite_timeouts_total", METRICS_COUNTER, "timer=\"answer\"", NULL,
	  CTR(invite_timeouts[SP_TIMER_ANSWER]) },
	{ "sigproxy_invite_timeouts_total", METRICS_COUNTER, "timer=\"timer_c\"", NULL,
	  CTR(invite_timeouts[SP_TIMER_C]) },
	{ "sigproxy_backend_down_total", METRICS_COUNTER, NULL,
	  "backends marked down by probes", CTR(backend_down) },
	{ "sigproxy_backend_up_total", METRICS_COUNTER, NULL,
	  "backends marked up by probes", CTR(backend_up) },
	{ "sigproxy_policy_lines_rejected_total", METRICS_COUNTER, NULL,
	  "media lines refused (port 0) by the encryption policy of their side",
	  CTR(policy_lines_rejected) },
	{ "sigproxy_sdes_tls_rejects_total", METRICS_COUNTER, NULL,
	  "offers and answers refused (488) because their SDES keys came, or would go, over "
	  "a non-TLS transport on a side with <side>_sdes_requires_tls", CTR(sdes_tls_rejects) },
	REFUSED_ROW("unknown", SP_REFUSED_UNKNOWN),
	REFUSED_ROW("tags", SP_REFUSED_TAGS),
	REFUSED_ROW("side", SP_REFUSED_SIDE),
	REFUSED_ROW("route", SP_REFUSED_ROUTE),
	REFUSED_ROW("no_target", SP_REFUSED_NO_TARGET),
	REFUSED_ROW("out_of_dialog", SP_REFUSED_OUT_OF_DIALOG),
	REFUSED_ROW("store_down", SP_REFUSED_STORE_DOWN),
	REFUSED_ROW("cancel", SP_REFUSED_CANCEL),
	{ NULL, 0, NULL, NULL, 0 },
};

#define ADMIT_HELP "new calls refused with 503 by call admission, by limit"

/* Call admission (route_admit.c), one row per reason. */
static const struct metrics_def sp_admit_defs[] = {
	{ "sigproxy_calls_refused_total", METRICS_COUNTER, "reason=\"route_max_calls\"",
	  ADMIT_HELP, CTR(calls_refused[ROUTE_REFUSE_MAX_CALLS]) },
	{ "sigproxy_calls_refused_total", METRICS_COUNTER, "reason=\"route_max_cps\"", ADMIT_HELP,
	  CTR(calls_refused[ROUTE_REFUSE_MAX_CPS]) },
	{ "sigproxy_calls_refused_total", METRICS_COUNTER, "reason=\"target_max_calls\"",
	  ADMIT_HELP, CTR(calls_refused[ROUTE_REFUSE_TARGET_MAX_CALLS]) },
	{ "sigproxy_calls_refused_total", METRICS_COUNTER, "reason=\"target_max_cps\"",
	  ADMIT_HELP, CTR(calls_refused[ROUTE_REFUSE_TARGET_MAX_CPS]) },
	{ NULL, 0, NULL, NULL, 0 },
};

#define TPM(field) offsetof(struct tp_metrics, field)
#define DROP_HELP "dropped by flood and abuse control before parsing, by reason"

/* The transport's flood and abuse control (limits.c, stream deadlines), one row each. */
static const struct metrics_def sp_limit_defs[] = {
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"banned\"", DROP_HELP,
	  TPM(drops[TP_DROP_BANNED]) },
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"rate\"", DROP_HELP,
	  TPM(drops[TP_DROP_RATE]) },
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"tls_rate\"", DROP_HELP,
	  TPM(drops[TP_DROP_TLS_RATE]) },
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"source_conns\"", DROP_HELP,
	  TPM(drops[TP_DROP_SOURCE_CONNS]) },
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"max_conns\"", DROP_HELP,
	  TPM(drops[TP_DROP_MAX_CONNS]) },
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"handshake_timeout\"", DROP_HELP,
	  TPM(drops[TP_DROP_HANDSHAKE_TIMEOUT]) },
	{ "sigproxy_limit_drops_total", METRICS_COUNTER, "reason=\"header_timeout\"", DROP_HELP,
	  TPM(drops[TP_DROP_HEADER_TIMEOUT]) },
	{ "sigproxy_limit_bans_total", METRICS_COUNTER, NULL,
	  "sources banned for going over a rate", TPM(bans) },
	{ "sigproxy_limit_banned_sources", METRICS_GAUGE, NULL, "sources under a ban now",
	  TPM(banned) },
	{ "sigproxy_limit_sources", METRICS_GAUGE, NULL, "source addresses remembered now",
	  TPM(sources) },
	{ "sigproxy_conns_open", METRICS_GAUGE, "dir=\"in\"", "open TCP/TLS connections",
	  TPM(conns_in) },
	{ "sigproxy_conns_open", METRICS_GAUGE, "dir=\"out\"", "open TCP/TLS connections",
	  TPM(conns_out) },
	{ NULL, 0, NULL, NULL, 0 },
};

/* Call setup: a fast backend answers in milliseconds, a human in seconds. */
static const struct metrics_buckets setup_buckets = {
	1e-6, 12, { 50000, 100000, 250000, 500000, 1000000, 2000000, 3000000, 5000000,
	    10000000, 20000000, 30000000, 60000000 },
};
/* ng round trip: sub-millisecond on a LAN; retransmissions show up from ng_timeout_ms. */
static const struct metrics_buckets ng_buckets = {
	1e-6, 11, { 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 500000 },
};

#define HIST(field) offsetof(struct sp_hists, field)

static const struct metrics_hist_def sp_hist_defs[] = {
	{ "sigproxy_call_setup_seconds", NULL,
	  "initial INVITE received to 200 OK sent to the caller", HIST(call_setup),
	  &setup_buckets },
	{ "sigproxy_ng_rtt_seconds", NULL, "ng request sent to its reply (retries included)",
	  HIST(ng_rtt), &ng_buckets },
	{ NULL, NULL, NULL, 0, NULL },
};

static uint64_t
read_calls_active(const void *base)
{
	const struct sp *sp = base;
	const struct sp_call *c;
	uint64_t n = 0;
	unsigned i;

	/* A scrape every few seconds walks the buckets; no counter to keep in step. */
	for (i = 0; i < SP_BUCKETS; i++)
		for (c = sp->calls[i]; c != NULL; c = c->next)
			n += c->state != SP_CALL_ENDED;
	return n;
}

static uint64_t
read_mediads_registered(const void *base)
{
	return mediad_pool_registered_count(((const struct sp *)base)->pool);
}

static uint64_t
read_mediads_up(const void *base)
{
	return mediad_pool_up_count(((const struct sp *)base)->pool);
}

static uint64_t
read_tls_connections(const void *base)
{
	const struct sp *sp = base;
	struct tp_stats ts;
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < sp->cfg.nlisteners; i++) {
		if (sp->cfg.listeners[i].proto != TP_TLS || sp->cfg.listeners[i].tpl == NULL)
			continue;
		tp_listener_stats(sp->cfg.listeners[i].tpl, &ts);
		n += ts.conns_open;
	}
	return n;
}

/* What the daemon holds now, read at each scrape. */
static const struct metrics_read_def sp_gauge_defs[] = {
	{ "sigproxy_calls_active", NULL, "calls this instance holds (set up or answered)",
	  read_calls_active },
	{ "sigproxy_mediads_registered", NULL, "mediads with a live registration in Redis",
	  read_mediads_registered },
	{ "sigproxy_mediads_up", NULL, "mediads usable for new calls", read_mediads_up },
	{ "sigproxy_tls_connections", NULL, "TLS connections open on TLS listeners",
	  read_tls_connections },
	{ NULL, NULL, NULL, NULL },
};

static int
counters_register(struct sp *sp)
{
	int err;

	err = metrics_register_table(sp->metrics, sp_counter_defs, &sp->ctr);
	if (err == 0)
		err = metrics_register_hist_table(sp->metrics, sp_hist_defs, &sp->hist);
	if (err == 0)
		err = metrics_register_read_table(sp->metrics, sp_gauge_defs, sp);
	/* Slot 0 is no class of its own; aliasing 1xx leaves no NULL slot. */
	if (err == 0)
		sp->ctr.resp_class[0] = sp->ctr.resp_class[1];
	if (err == 0)
		err = metrics_register_table(sp->metrics, sp_admit_defs, &sp->ctr);
	if (err == 0)
		err = metrics_register_table(sp->metrics, sp_limit_defs, &sp->tpm);
	return err;
}

/*
 * SIGHUP hook "tls": every TLS context reads its certificate, key, CA and CRL files
 * again; open connections (and the calls on them) keep what they have. Counted per
 * context in sigproxy_tls_reloads_total{result="ok"|"failed"}; a failed context keeps
 * its old files.
 */
static int
reload_tls(void *arg, char *msg, size_t size)
{
	struct sp *sp = arg;
	unsigned nok, nfail;

	sp_config_tls_reload(&sp->cfg, &nok, &nfail);
	metric_add(sp->ctr.tls_reloads_ok, nok);
	metric_add(sp->ctr.tls_reloads_failed, nfail);
	if (nfail > 0) {
		log_errx("tls_reload contexts_ok=%u contexts_failed=%u note=\"a failed context "
		    "keeps its previous files; see tls_config_error\"", nok, nfail);
		snprintf(msg, size, "%u of %u TLS contexts kept their previous files", nfail,
		    nok + nfail);
		return EIO;
	}
	log_infox("tls_reload contexts_ok=%u", nok);
	return 0;
}

/* SIGHUP hook "trace": logrotate moved the trace file: write to a new one under that name. */
static int
reload_trace(void *arg, char *msg, size_t size)
{
	struct sp *sp = arg;
	int err;

	err = trace_reopen(sp->trace);
	if (err) {
		log_warnx("sip_trace_reopen_failed file=%s err=%s", LOG_Q(sp->cfg.trace_file),
		    LOG_Q(strerror(err)));
		snprintf(msg, size, "%s: %s", sp->cfg.trace_file, strerror(err));
		return err;
	}
	if (sp->cfg.trace_file[0])
		log_infox("sip_trace_reopened file=%s", LOG_Q(sp->cfg.trace_file));
	return 0;
}

#define SP_SWEEP_S	60		/* how often copies of other instances' calls are swept */
#define SP_COPY_IDLE_MS	300000u	/* longer than any transaction on them (Timer C + linger) */

static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct sp *sp = arg;
	unsigned n = dialog_forget_idle(sp, SP_COPY_IDLE_MS);

	if (n > 0)
		log_debug("%s forgotten=%u what=idle-copies-of-calls-set-up-elsewhere", __func__, n);
}

/*
 * Each connection is a descriptor: the soft limit is raised to what the connection
 * budgets need (up to the hard limit), else both budgets shrink in proportion to fit, with
 * a warning; accept() failing with EMFILE would otherwise be what limits connections.
 */
static void
fd_limit_fit(struct sp_limits *lim)
{
	/* listeners, Redis, ng, metrics, logs, and accept()'s headroom */
	const unsigned reserve = 64 + SP_LISTENERS_MAX;
	rlim_t need = (rlim_t)lim->max_conns_in + lim->max_conns_out + reserve, avail;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur >= need)
		return;
	avail = rl.rlim_cur > reserve + 2 ? rl.rlim_cur - reserve : 2;
	lim->max_conns_in = (unsigned)(avail * lim->max_conns_in / (need - reserve));
	if (lim->max_conns_in == 0)
		lim->max_conns_in = 1;
	lim->max_conns_out = avail > lim->max_conns_in ? (unsigned)(avail - lim->max_conns_in) : 1;
	log_warnx("fd_limit_low nofile=%llu needed=%llu note=\"max_conns_in lowered to %u, "
	    "max_conns_out to %u\"", (unsigned long long)rl.rlim_cur, (unsigned long long)need,
	    lim->max_conns_in, lim->max_conns_out);
}

static void
tp_conf_fill(struct tp_conf *tc, struct sp *sp)
{
	const struct sp_limits *lim = &sp->cfg.limits;

	memset(tc, 0, sizeof(*tc));
	tc->recvh = proxy_recv;
	/* Failed outbound connects and handshakes end their branches at once. */
	tc->closeh = proxy_conn_closed;
	tc->arg = sp;
	tc->idle_timeout_ms = lim->idle_timeout_ms;
	tc->connect_timeout_ms = lim->connect_timeout_ms;
	tc->handshake_timeout_ms = lim->handshake_timeout_ms;
	tc->header_timeout_ms = lim->header_timeout_ms;
	tc->max_conns_in = lim->max_conns_in;
	tc->max_conns_out = lim->max_conns_out;
	tc->limits.max_per_source = lim->max_conns_per_source;
	tc->limits.req_rate = lim->requests_per_second;
	tc->limits.req_burst = lim->requests_burst;
	tc->limits.tls_rate = lim->tls_conns_per_second;
	tc->limits.tls_burst = lim->tls_conns_burst;
	tc->limits.ban_ms = lim->ban_ms;
	tc->limits.max_sources = lim->max_sources;
	tc->limits.exempt = lim->exempt;
	tc->metrics = &sp->tpm;
}

/* The SIP trace from [sigproxy] sip_trace and [trace]. */
static int
trace_start(struct sp *sp)
{
	struct trace_conf c;
	char a[SA_STRLEN];
	int err;

	memset(&c, 0, sizeof(c));
	c.on = sp->cfg.trace;
	c.file = sp->cfg.trace_file;
	c.hep = &sp->cfg.trace_hep;
	c.hep_id = sp->cfg.trace_hep_id;
	c.call = sp->cfg.trace_call;
	c.number = sp->cfg.trace_number;
	c.peer = sp->cfg.trace_peer;
	c.traced = sp->ctr.trace_messages;
	c.lost = sp->ctr.trace_lost;
	if ((err = trace_alloc(&sp->trace, &c))) {
		log_errx("trace_failed err=\"%s\"", strerror(err));
		return err;
	}
	if (sp->cfg.trace_file[0] || sa_family(&sp->cfg.trace_hep) != AF_UNSPEC)
		log_infox("sip_trace_outputs file=\"%s\" hep=%s hep_capture_id=%u on=%s",
		    sp->cfg.trace_file, sa_family(&sp->cfg.trace_hep) != AF_UNSPEC ?
		    sa_format(&sp->cfg.trace_hep, a, sizeof(a)) : "-", sp->cfg.trace_hep_id,
		    sp->cfg.trace ? "yes" : "no");
	return 0;
}

int
sp_start(struct sp *sp)
{
	struct tp_conf tc;
	struct redis_opts ro;
	unsigned i;
	int err;

	/* The metrics come first: the transport counts into them from its first packet. */
	if ((err = metrics_alloc(&sp->metrics)) || (err = counters_register(sp)) ||
	    (err = metrics_add_collector(sp->metrics, collect, sp)))
		return err;
	if ((err = route_admit_alloc(&sp->admit, sp->cfg.routes)))
		return err;
	fd_limit_fit(&sp->cfg.limits);
	tp_conf_fill(&tc, sp);
	if ((err = tp_alloc(&sp->tp, sp->base, &tc)))
		return err;
	if (sp->cfg.client_tls)
		tp_set_client_tls(sp->tp, sp->cfg.client_tls);
	for (i = 0; i < sp->cfg.nlisteners; i++) {
		struct sp_listener *l = &sp->cfg.listeners[i];
		struct tp_listener_conf lc;
		char a[SA_STRLEN];

		memset(&lc, 0, sizeof(lc));
		lc.name = l->name;
		lc.proto = l->proto;
		lc.addr = l->addr;
		lc.acl = l->acl;
		lc.tls = l->tls;
		/* The inside is trusted by default: its platforms may be busy, not hostile. */
		lc.limited = l->side == SP_SIDE_OUTSIDE || sp->cfg.limits.inside;
		if ((err = tp_listen(sp->tp, &lc, &l->tpl))) {
			log_errx("listen_failed listener=%s address=%s err=%s", l->name,
			    sa_format(&l->addr, a, sizeof(a)), strerror(err));
			return err;
		}
		/* port 0 in the file: advertise the one the kernel picked */
		l->addr = *tp_listener_addr(l->tpl);
		l->hop.port = sa_port(&l->addr);
		sp->cfg.self[i] = l->hop;
		log_infox("listening listener=%s transport=%s address=%s side=%s", l->name,
		    tp_proto_name(l->proto), sa_format(&l->addr, a, sizeof(a)),
		    sp_side_name(l->side));
	}
	/* floods of bad input: a few lines a second, then a count */
	sp->rl_bad = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 10);
	sp->rl_drop = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 10);
	if ((err = trace_start(sp)))
		return err;
	if (sp->cfg.metrics_listen[0] != '\0') {
		if ((err = metrics_listen(sp->metrics, sp->base, sp->cfg.metrics_listen))) {
			log_errx("metrics_listen_failed address=%s err=%s", sp->cfg.metrics_listen,
			    strerror(err));
			return err;
		}
		log_infox("metrics address=%s port=%u", sp->cfg.metrics_listen,
		    metrics_port(sp->metrics));
	}
	if (sp->cfg.redis_enabled) {
		memset(&ro, 0, sizeof(ro));
		ro.host = sp->cfg.redis_host;
		ro.port = sp->cfg.redis_port;
		ro.unix_path = sp->cfg.redis_unix[0] ? sp->cfg.redis_unix : NULL;
		ro.password = sp->cfg.redis_password[0] ? sp->cfg.redis_password : NULL;
		ro.db = sp->cfg.redis_db;
		redis_conf_opts(&sp->cfg.redis, &ro);
		/*
		 * Dialog records are best effort and nothing waits for them: batched, they
		 * cost Redis and us one write and one wakeup per batch instead of per call
		 * event (lookups, which a request waits for, are flushed at once).
		 */
		ro.write_delay_ms = SP_REDIS_WRITE_DELAY_MS;
		if ((err = redis_backlog_alloc(&sp->redis_backlog, sp->base, sp->cfg.redis.pending_max,
		    sp->cfg.redis.wait_ms)))
			return err;
		if ((err = redis_conn_alloc(&sp->redis, sp->base, &ro, redis_state, sp)))
			return err;
	}
	if ((err = ng_client_alloc(&sp->ng, sp->base, sp->cfg.instance_id, sp->cfg.ng_timeout_ms,
	    sp->cfg.ng_retries)))
		return err;
	ng_client_set_rtt(sp->ng, sp->hist.ng_rtt);
	if ((err = mediad_pool_alloc(&sp->pool, sp)) || (err = health_alloc(&sp->health, sp)) ||
	    (err = tick_start(sp)))
		return err;
	/* calls the SBC ends (media timeout, operator) or moves (a mediad lost or drained) */
	if ((err = hangup_alloc(sp)) || (err = move_alloc(sp)))
		return err;
	sp->sweep = event_new(sp->base, -1, EV_PERSIST, sweep, sp);
	if (sp->sweep == NULL)
		return ENOMEM;
	event_add(sp->sweep, &(struct timeval){ SP_SWEEP_S, 0 });
	/* SIGHUP's hooks run in this order (README: what SIGHUP reloads). */
	if ((err = reload_hook_add(&sp->reload, "tls", reload_tls, sp)))
		return err;
	return reload_hook_add(&sp->reload, "trace", reload_trace, sp);
}

static void
reload_result(const char *name, int err, const char *msg, void *arg)
{
	if (err)
		log_errx("reload_failed hook=%s reason=%s", name, LOG_Q(msg));
	else
		log_infox("reload_done hook=%s", name);
}

void
sp_reload(struct sp *sp)
{
	unsigned failed;

	log_infox("reload_start signal=SIGHUP hooks=%u", sp->reload.n);
	notify_reloading(sp->notify);
	failed = reload_run(&sp->reload, reload_result, sp);
	metric_inc(failed ? sp->ctr.reloads_failed : sp->ctr.reloads_ok);
	notify_ready(sp->notify, failed ? "reload failed; running with the previous settings" :
	    "serving");
}

void
sp_stop(struct sp *sp)
{
	struct event **evs[] = { &sp->sigusr1, &sp->sigterm, &sp->sigint, &sp->sighup, &sp->sweep };
	unsigned i;
	size_t n;

	/* nothing new is ended or moved; what is under way ends quietly below */
	hangup_stop(sp);
	move_stop(sp);
	/* Redis first: its pending callbacks still find the transactions they point at */
	if (sp->redis)
		redis_conn_free(sp->redis);
	sp->redis = NULL;
	/* after the connection: its failed replies still point into the backlog */
	if ((n = redis_backlog_free(sp->redis_backlog)) > 0)
		log_warnx("redis_pending_lost writes=%zu impact=%s", n,
		    LOG_Q("Redis did not acknowledge them before the stop; their records expire "
		    "by TTL"));
	sp->redis_backlog = NULL;
	txn_invite_free_all(sp);
	txn_nit_free_all(sp);
	uac_free_all(sp);
	dialog_free_all(sp);
	health_free(sp->health);
	ng_client_free(sp->ng);
	/* after the ng client: its last callbacks (timeouts) free what waited on them */
	move_free(sp);
	hangup_free(sp);
	mediad_pool_free(sp->pool);
	/* after Redis: its failed commands still call the tick's reply handler */
	tick_stop(sp);
	if (sp->tp)
		tp_free(sp->tp);
	/* After the calls: freeing them gives their admission back. */
	route_admit_free(sp->admit);
	sp->admit = NULL;
	trace_free(sp->trace);
	sp->trace = NULL;
	if (sp->metrics)
		metrics_free(sp->metrics);
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i])
			event_free(*evs[i]);
	sp_config_free(&sp->cfg);
	if (sp->base)
		event_base_free(sp->base);
}


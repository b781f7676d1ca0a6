/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy start and stop in dependency order: metrics, admission, listeners, Redis, ng client, mediad pool, health. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "audit.h"
#include "dialog.h"
#include "hangup.h"
#include "health.h"
#include "log.h"
#include "redis_backlog.h"
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

/* SIGHUP hook "compliance": logrotate moved the compliance file, a new one under its name. */
static int
reload_compliance(void *arg, char *msg, size_t size)
{
	struct sp *sp = arg;
	int err;

	err = audit_reopen(sp->audit);
	if (err) {
		log_warnx("compliance_reopen_failed file=%s err=%s", LOG_Q(sp->cfg.compliance_file),
		    LOG_Q(strerror(err)));
		snprintf(msg, size, "%s: %s", sp->cfg.compliance_file, strerror(err));
		return err;
	}
	if (sp->cfg.compliance_file[0])
		log_infox("compliance_reopened file=%s", LOG_Q(sp->cfg.compliance_file));
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

/* The compliance record from [compliance]. */
static int
audit_start(struct sp *sp)
{
	struct audit_conf ac;
	int err;

	memset(&ac, 0, sizeof(ac));
	ac.file = sp->cfg.compliance_file;
	ac.syslog = sp->cfg.compliance_syslog;
	ac.facility = sp->cfg.compliance_syslog_facility;
	ac.instance = sp->cfg.instance_id;
	ac.written = sp->ctr.records_written;
	ac.lost = sp->ctr.records_lost;
	if ((err = audit_open(&sp->audit, &ac))) {
		log_errx("compliance_file_failed file=%s err=%s", LOG_Q(sp->cfg.compliance_file),
		    LOG_Q(strerror(err)));
		return err;
	}
	if (audit_on(sp->audit))
		log_infox("compliance_record file=%s syslog=%s", LOG_Q(sp->cfg.compliance_file),
		    sp->cfg.compliance_syslog ? "yes" : "no");
	return 0;
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
	if ((err = metrics_alloc(&sp->metrics)) || (err = sp_metrics_register(sp)))
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
	sp->rl_tol = (struct log_ratelimit)LOG_RATELIMIT_INIT(1000, 10);
	if ((err = trace_start(sp)) || (err = audit_start(sp)))
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
	if ((err = reload_hook_add(&sp->reload, "tls", reload_tls, sp)) ||
	    (err = reload_hook_add(&sp->reload, "trace", reload_trace, sp)))
		return err;
	return reload_hook_add(&sp->reload, "compliance", reload_compliance, sp);
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
	/* pending deletes end their calls now: their records still go to the audit outputs */
	ng_client_free(sp->ng);
	/* after the ng client: its last callbacks (timeouts) free what waited on them */
	move_free(sp);
	hangup_free(sp);
	audit_close(sp->audit);
	sp->audit = NULL;
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


/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's own metrics: the counter, histogram and gauge tables of struct sp and the
 * collector of the parts' statistics (ng client, transport, Redis). Split from daemon.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "dialog.h"
#include "health.h"
#include "media.h"
#include "redis_metrics.h"
#include "sigproxy.h"
#include "transport.h"

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
	metrics_write(out, "sigproxy_sip_garbage_total", "counter", "stream bytes or datagrams "
	    "that frame no SIP message (binary, no Content-Length): dropped, a stream closed",
	    NULL, ts.bad_msgs);
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
	{ "sigproxy_compliance_records_total", METRICS_COUNTER, "result=\"written\"",
	  "compliance records of ended calls, by result", CTR(records_written) },
	{ "sigproxy_compliance_records_total", METRICS_COUNTER, "result=\"lost\"", NULL,
	  CTR(records_lost) },
	{ NULL, 0, NULL, NULL, 0 },
};

#define TOL_HELP "SIP messages carried although they deviate from the RFCs, by kind"

/* enum sp_tolerated order, then the bodies refused. */
static const struct metrics_def sp_tolerated_defs[] = {
	{ "sigproxy_sip_tolerated_total", METRICS_COUNTER, "kind=\"legacy-request\"", TOL_HELP,
	  CTR(tolerated[SP_TOL_LEGACY]) },
	{ "sigproxy_sip_tolerated_total", METRICS_COUNTER, "kind=\"multipart-sdp\"", NULL,
	  CTR(tolerated[SP_TOL_MULTIPART]) },
	{ "sigproxy_sip_tolerated_total", METRICS_COUNTER, "kind=\"sdp-without-content-type\"",
	  NULL, CTR(tolerated[SP_TOL_NO_CTYPE]) },
	{ "sigproxy_unsupported_bodies_total", METRICS_COUNTER, NULL,
	  "offers in a body the proxy cannot read (type, encoding, broken multipart): 415",
	  CTR(unsupported_bodies) },
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

int
sp_metrics_register(struct sp *sp)
{
	int err;

	err = metrics_register_table(sp->metrics, sp_counter_defs, &sp->ctr);
	if (err == 0)
		err = metrics_register_table(sp->metrics, sp_tolerated_defs, &sp->ctr);
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
	if (err == 0)
		err = metrics_add_collector(sp->metrics, collect, sp);
	return err;
}

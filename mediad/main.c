/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad: the SRTP <-> RTP media relay daemon, controlled over the ng protocol. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "call.h"
#include "config.h"
#include "heap_trim.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng_server.h"
#include "notify.h"
#include "relay.h"
#include "srtp.h"
#include "timeutil.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mediad -c FILE [-t]\n"
	    "  -c FILE  configuration (INI)\n"
	    "  -t       check the configuration, print the effective values, exit\n");
	exit(2);
}

/* How long shutdown waits for Redis to confirm the deregistration. */
#define DEREGISTER_WAIT_MS 1000

static void
on_deregistered(struct redisReply *reply, void *arg)
{
	struct mediad *md = arg;

	log_info("mediad_deregistered id=%s result=%s", md->cfg.id, reply ? "ok" : "lost");
	event_base_loopbreak(md->base);
}

static void
on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct mediad *md = arg;

	log_warnx("mediad_deregister_timeout id=%s wait_ms=%u", md->cfg.id, DEREGISTER_WAIT_MS);
	event_base_loopbreak(md->base);
}

/*
 * SIGTERM/SIGINT: leave the registry first so that sigproxy stops sending new calls and
 * pings here at once (not when the registration's TTL runs out), then stop. A second
 * signal stops at once.
 */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct mediad *md = arg;
	struct timeval wait = timeval_from_ms(DEREGISTER_WAIT_MS);

	log_info("mediad_stopping signal=%d calls=%zu", (int)sig, md->calls.count);
	notify_stopping(md->notify);
	if (md->stopping || md->store == NULL ||
	    call_store_deregister(md->store, on_deregistered, md) != 0 ||
	    event_base_once(md->base, -1, EV_TIMEOUT, on_stop_timeout, md, &wait) != 0) {
		event_base_loopbreak(md->base);
		return;
	}
	md->stopping = true;
}

static void
on_reload_result(const char *name, int err, const char *msg, void *arg)
{
	if (err)
		log_errx("reload_failed hook=%s reason=%s", name, LOG_Q(msg));
	else
		log_info("reload_done hook=%s", name);
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	struct mediad *md = arg;
	unsigned failed;

	notify_reloading(md->notify);
	failed = reload_run(&md->reload, on_reload_result, md);
	metric_inc(failed ? md->ctr.reloads_failed : md->ctr.reloads_ok);
	notify_ready(md->notify, failed ? "reload failed; running with the previous settings" :
	    "serving");
}

/*
 * SIGHUP hook "log_level": the file is read and checked as at start; only when all of
 * it is valid does the new level apply (every other key needs a restart).
 */
static int
reload_log_level(void *arg, char *msg, size_t size)
{
	struct mediad *md = arg;
	struct mediad_config *cfg;
	struct conf *conf = NULL;
	struct conf_error cerr;
	int err;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return ENOMEM;
	memset(&cerr, 0, sizeof(cerr));
	err = conf_load(&conf, md->conf_path, &cerr);
	if (err == 0)
		err = mediad_config_load(cfg, conf, &cerr);
	if (err) {
		if (err == ENOENT)
			snprintf(msg, size, "%s: %s", md->conf_path, strerror(err));
		else
			conf_error_str(&cerr, msg, size);
		goto out;
	}
	if (cfg->log_level != md->cfg.log_level)
		log_infox("log_level_changed from=%s to=%s", log_level_name(md->cfg.log_level),
		    log_level_name(cfg->log_level));
	md->cfg.log_level = cfg->log_level;
	log_set_level(cfg->log_level);
 out:
	conf_free(conf);
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	return err;
}

/* The watchdog's view: every worker ran its loop recently (README: service). */
static bool
mediad_alive(void *arg)
{
	struct mediad *md = arg;
	uint64_t limit = notify_watchdog_usec(md->notify) / 2000, stalled;
	unsigned idx;

	if (limit < 4 * RELAY_BEAT_MS)
		limit = 4 * RELAY_BEAT_MS;
	stalled = relay_stalled_ms(md->relay, time_mono_ms(), &idx);
	if (stalled > limit) {
		if (!md->watchdog_withheld)
			log_errx("watchdog_withheld worker=%u stalled_ms=%llu limit_ms=%llu", idx,
			    (unsigned long long)stalled, (unsigned long long)limit);
		md->watchdog_withheld = true;
		md->watchdog_worker = idx;
		return false;
	}
	if (md->watchdog_withheld)
		log_infox("watchdog_resumed worker=%u", md->watchdog_worker);
	md->watchdog_withheld = false;
	return true;
}

/*
 * READY=1 once every worker runs its loop: the ng socket and the metrics endpoint are
 * bound before the loop starts, so from then on offers are served.
 */
static void
on_ready_check(evutil_socket_t fd, short what, void *arg)
{
	struct mediad *md = arg;
	struct timeval again = timeval_from_ms(10);
	char status[128], a[SA_STRLEN];
	unsigned idx;

	if (relay_stalled_ms(md->relay, time_mono_ms(), &idx) > 4 * RELAY_BEAT_MS) {
		if (event_base_once(md->base, -1, EV_TIMEOUT, on_ready_check, md, &again) != 0)
			fatalx("startup_failed step=event_base_once reason=%s", LOG_Q(strerror(ENOMEM)));
		return;
	}
	snprintf(status, sizeof(status), "serving ng on %s with %u workers",
	    sa_format(&md->ng_addr, a, sizeof(a)), md->cfg.workers);
	notify_ready(md->notify, status);
	log_info("mediad_notify_ready watchdog_ms=%llu",
	    (unsigned long long)(notify_watchdog_usec(md->notify) / 1000));
}

/*
 * SIGUSR2: drain for maintenance. The registration says drain = yes from now on, so that
 * sigproxy chooses this mediad for no new call; the calls it holds finish here (or move,
 * as sigproxy's [media] drained_calls says). A restart registers undrained.
 */
static void
on_drain(evutil_socket_t sig, short what, void *arg)
{
	struct mediad *md = arg;

	if (md->draining)
		return;
	md->draining = true;
	md->drain_since = time_wall_s();
	log_info("mediad_draining calls=%zu signal=SIGUSR2 action=no-new-calls", md->calls.count);
	if (md->store != NULL)
		call_store_register_now(md->store);
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	static struct heap_trim trim;

	call_reap(arg, time_mono_ms());
	(void)heap_trim_tick(&trim);
}

/* Short: a ROC wrap or an SRTCP step reaches Redis within about this (README). */
#define INDEX_CHECK_MS 100

static void
on_index_check(evutil_socket_t fd, short what, void *arg)
{
	call_refresh_index(arg, time_mono_ms());
}

/* Redis is there for the first time: bring back the calls of the previous run. */
static void
on_store_connected(struct redis_conn *r, void *arg)
{
	call_restore_start(arg, r);
}

int
main(int argc, char **argv)
{
	struct mediad *md;
	struct conf *conf = NULL;
	struct conf_error cerr;
	struct relay_opts ropt = { 0 };
	struct sa ifaddr[MEDIAD_MAX_IFACES];
	struct event *sigint, *sigterm, *sighup, *sigusr2, *reap, *index_check;
	const char *file = NULL;
	bool check = false;
	char ebuf[512], a[SA_STRLEN];
	struct timeval one = timeval_from_ms(1000), tick = timeval_from_ms(INDEX_CHECK_MS);
	unsigned i;
	int ch, err;

	while ((ch = getopt(argc, argv, "c:th")) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 't': check = true; break;
		default: usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	log_init("mediad", LOG_LEVEL_INFO, false);

	md = calloc(1, sizeof(*md));
	if (md == NULL)
		fatal("startup_failed step=calloc");
	memset(&cerr, 0, sizeof(cerr));
	err = conf_load(&conf, file, &cerr);
	if (err == ENOENT)
		fprintf(stderr, "mediad: %s: cannot read configuration: %s\n", file, strerror(err));
	else if (err == 0 && (err = mediad_config_load(&md->cfg, conf, &cerr)) != 0)
		conf_free(conf);
	if (err) {
		if (err != ENOENT)
			fprintf(stderr, "mediad: %s\n", conf_error_str(&cerr, ebuf, sizeof(ebuf)));
		free(md);
		return 1;
	}
	if (check) {
		conf_print_effective(conf, stdout);
		printf("; %s: configuration OK (%u interfaces)\n", file, md->cfg.niface);
		conf_free(conf);
		explicit_bzero(md, sizeof(*md));
		free(md);
		return 0;
	}
	conf_free(conf);
	log_set_level(md->cfg.log_level);
	md->conf_path = file;
	md->started = time_wall_s();
	signal(SIGPIPE, SIG_IGN);

	/* Startup reads top to bottom: crypto, sockets, threads, then the loop. */
	err = srtp_engine_init();
	if (err)
		fatalx("startup_failed step=srtp_engine_init error=%d impact=%s", err,
		    LOG_Q("refusing to relay SRTP"));
	md->base = event_base_new();
	if (md->base == NULL)
		fatalx("startup_failed step=event_base_new");
	if (metrics_alloc(&md->metrics) || mediad_counters_register(md))
		fatalx("startup_failed step=metrics reason=%s", LOG_Q(strerror(ENOMEM)));
	if (md->cfg.metrics_listen[0] != '\0') {
		err = metrics_listen(md->metrics, md->base, md->cfg.metrics_listen);
		if (err)
			fatalx("startup_failed step=metrics_listen address=%s reason=%s",
			    LOG_Q(md->cfg.metrics_listen), LOG_Q(strerror(err)));
	}
	if (metrics_add_collector(md->metrics, call_stats_collect, md))
		fatalx("startup_failed step=metrics reason=%s", LOG_Q(strerror(ENOMEM)));
	for (i = 0; i < md->cfg.niface; i++) {
		struct mediad_iface *ifc = &md->cfg.ifaces[i];

		err = port_pool_alloc(&ifc->pool, &ifc->addr, ifc->port_min, ifc->port_max);
		if (err)
			fatalx("startup_failed step=port_pool interface=%s ports=%u-%u reason=%s",
			    LOG_Q(ifc->name), ifc->port_min, ifc->port_max, LOG_Q(strerror(err)));
	}
	if (call_table_init(&md->calls, 4096, mediad_call_destroy_h, md))
		fatalx("startup_failed step=call_table reason=%s", LOG_Q(strerror(ENOMEM)));
	ropt.nworkers = md->cfg.workers;
	ropt.io = (enum relay_io_style)md->cfg.io;
	for (i = 0; i < md->cfg.niface; i++) {
		ropt.max_ports += 2u * port_pool_size(md->cfg.ifaces[i].pool);
		ifaddr[i] = md->cfg.ifaces[i].addr;
	}
	ropt.addrs = ifaddr;
	ropt.naddrs = md->cfg.niface;
	err = relay_alloc_opts(&md->relay, &ropt, md->metrics, ebuf, sizeof(ebuf));
	if (err)
		fatalx("startup_failed step=relay_alloc workers=%u io=%s reason=%s detail=%s",
		    md->cfg.workers, relay_io_name(ropt.io), LOG_Q(strerror(err)),
		    LOG_Q(ebuf));
	err = ng_server_alloc(&md->ng, md);
	if (err)
		fatalx("startup_failed step=ng_listen address=%s reason=%s",
		    sa_format(&md->cfg.ng_listen, a, sizeof(a)), LOG_Q(strerror(err)));
	ng_server_local(md->ng, &md->ng_addr);
	if (md->cfg.redis_enabled) {
		err = call_store_alloc(&md->store, md, on_store_connected, md);
		if (err)
			fatalx("startup_failed step=redis reason=%s", LOG_Q(strerror(err)));
	}
	sigint = evsignal_new(md->base, SIGINT, on_signal, md);
	sigterm = evsignal_new(md->base, SIGTERM, on_signal, md);
	sighup = evsignal_new(md->base, SIGHUP, on_sighup, md);
	sigusr2 = evsignal_new(md->base, SIGUSR2, on_drain, md);
	reap = event_new(md->base, -1, EV_PERSIST, on_reap, md);
	index_check = event_new(md->base, -1, EV_PERSIST, on_index_check, md);
	if (sigint == NULL || sigterm == NULL || sighup == NULL || sigusr2 == NULL ||
	    reap == NULL || index_check == NULL)
		fatalx("startup_failed step=event_new");
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sighup, NULL);
	event_add(sigusr2, NULL);
	if (reload_hook_add(&md->reload, "log_level", reload_log_level, md))
		fatalx("startup_failed step=reload_hooks reason=table-full");
	if (notify_alloc(&md->notify, md->base, mediad_alive, md))
		fatalx("startup_failed step=notify reason=%s", LOG_Q(strerror(ENOMEM)));
	if (event_base_once(md->base, -1, EV_TIMEOUT, on_ready_check, md,
	    &(struct timeval){ 0, 0 }) != 0)
		fatalx("startup_failed step=event_base_once reason=%s", LOG_Q(strerror(ENOMEM)));
	event_add(reap, &one);
	event_add(index_check, &tick);

	log_info("mediad_ready id=%s ng=%s metrics_port=%u workers=%u io=%s interfaces=%u "
	    "redis=%s%s%s%s", md->cfg.id, sa_format(&md->ng_addr, a, sizeof(a)),
	    md->cfg.metrics_listen[0] ? metrics_port(md->metrics) : 0,
	    md->cfg.workers, relay_io_name(relay_io(md->relay)), md->cfg.niface,
	    md->cfg.redis_enabled ? "on" : "off",
	    relay_io_why(md->relay)[0] ? " io_fallback=\"" : "",
	    relay_io_why(md->relay), relay_io_why(md->relay)[0] ? "\"" : "");
	for (i = 0; i < md->cfg.niface; i++) {
		struct mediad_iface *ifc = &md->cfg.ifaces[i];
		char b2[SA_STRLEN];

		log_info("interface name=%s address=%s advertised=%s ports=%u-%u pairs=%u "
		    "encryption=%s", ifc->name, sa_format_ip(&ifc->addr, a, sizeof(a)),
		    sa_format_ip(&ifc->advertised, b2, sizeof(b2)), ifc->port_min, ifc->port_max,
		    port_pool_size(ifc->pool), mediad_encryption_name(ifc->encryption));
	}

	event_base_dispatch(md->base);

	/* The store goes first so shutting down keeps every sbc:media key (a restarted
	 * mediad finds them); calls then go while the relay still runs. */
	call_store_free(md->store);
	md->store = NULL;
	call_table_clear(&md->calls);
	ng_server_free(md->ng);
	relay_free(md->relay);
	event_free(sigint);
	event_free(sigterm);
	event_free(sighup);
	event_free(sigusr2);
	notify_free(md->notify);
	event_free(reap);
	event_free(index_check);
	for (i = 0; i < md->cfg.niface; i++)
		port_pool_free(md->cfg.ifaces[i].pool);
	metrics_free(md->metrics);
	event_base_free(md->base);
	explicit_bzero(md, sizeof(*md));
	free(md);
	log_info("mediad_stopped");
	return 0;
}

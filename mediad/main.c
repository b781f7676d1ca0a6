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
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "ng_server.h"
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

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct mediad *md = arg;

	log_info("mediad_stopping signal=%d calls=%zu", (int)sig, md->calls.count);
	event_base_loopbreak(md->base);
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
	log_info("mediad_draining calls=%zu (no new calls; SIGUSR2)", md->calls.count);
	if (md->store != NULL)
		call_store_register_now(md->store);
}

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	call_reap(arg, time_mono_ms());
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
	struct event *sigint, *sigterm, *sigusr2, *reap, *index_check;
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
		fatal("calloc");
	memset(&cerr, 0, sizeof(cerr));
	err = conf_load(&conf, file, &cerr);
	if (err == ENOENT) {
		fprintf(stderr, "mediad: %s: cannot read configuration: %s\n", file, strerror(err));
		return 1;
	}
	if (err) {
		fprintf(stderr, "mediad: %s\n", conf_error_str(&cerr, ebuf, sizeof(ebuf)));
		return 1;
	}
	err = mediad_config_load(&md->cfg, conf, &cerr);
	if (err) {
		fprintf(stderr, "mediad: %s\n", conf_error_str(&cerr, ebuf, sizeof(ebuf)));
		conf_free(conf);
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
	md->started = time_wall_s();
	signal(SIGPIPE, SIG_IGN);

	/* Startup reads top to bottom: crypto, sockets, threads, then the loop. */
	err = srtp_engine_init();
	if (err)
		fatalx("srtp_engine_init failed (error %d): refusing to relay SRTP", err);
	md->base = event_base_new();
	if (md->base == NULL)
		fatalx("event_base_new failed");
	if (metrics_alloc(&md->metrics) || mediad_counters_register(md))
		fatalx("metrics: out of memory");
	if (md->cfg.metrics_listen[0] != '\0') {
		err = metrics_listen(md->metrics, md->base, md->cfg.metrics_listen);
		if (err)
			fatalx("metrics_listen %s failed: %s", md->cfg.metrics_listen, strerror(err));
	}
	if (metrics_add_collector(md->metrics, call_stats_collect, md))
		fatalx("metrics: out of memory");
	for (i = 0; i < md->cfg.niface; i++) {
		struct mediad_iface *ifc = &md->cfg.ifaces[i];

		err = port_pool_alloc(&ifc->pool, &ifc->addr, ifc->port_min, ifc->port_max);
		if (err)
			fatalx("interface %s: port pool %u-%u: %s", ifc->name, ifc->port_min,
			    ifc->port_max, strerror(err));
	}
	if (call_table_init(&md->calls, 4096, mediad_call_destroy_h, md))
		fatalx("call table: out of memory");
	err = relay_alloc(&md->relay, md->cfg.workers, md->metrics);
	if (err)
		fatalx("relay_alloc (%u workers) failed: %s", md->cfg.workers, strerror(err));
	err = ng_server_alloc(&md->ng, md);
	if (err)
		fatalx("ng listen %s failed: %s", sa_format(&md->cfg.ng_listen, a, sizeof(a)),
		    strerror(err));
	ng_server_local(md->ng, &md->ng_addr);
	if (md->cfg.redis_enabled) {
		err = call_store_alloc(&md->store, md, on_store_connected, md);
		if (err)
			fatalx("redis set-up failed: %s", strerror(err));
	}
	sigint = evsignal_new(md->base, SIGINT, on_signal, md);
	sigterm = evsignal_new(md->base, SIGTERM, on_signal, md);
	sigusr2 = evsignal_new(md->base, SIGUSR2, on_drain, md);
	reap = event_new(md->base, -1, EV_PERSIST, on_reap, md);
	index_check = event_new(md->base, -1, EV_PERSIST, on_index_check, md);
	if (sigint == NULL || sigterm == NULL || sigusr2 == NULL || reap == NULL ||
	    index_check == NULL)
		fatalx("event_new failed");
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	event_add(sigusr2, NULL);
	event_add(reap, &one);
	event_add(index_check, &tick);

	log_info("mediad_ready id=%s ng=%s metrics_port=%u workers=%u interfaces=%u redis=%s",
	    md->cfg.id, sa_format(&md->ng_addr, a, sizeof(a)),
	    md->cfg.metrics_listen[0] ? metrics_port(md->metrics) : 0,
	    md->cfg.workers, md->cfg.niface, md->cfg.redis_enabled ? "on" : "off");
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
	event_free(sigusr2);
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

/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy daemon entry: read the configuration, open listeners, connect Redis and mediads, run the loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "log.h"
#include "notify.h"
#include "route.h"
#include "sigproxy.h"
#include "sip.h"
#include "trace.h"

static void
usage(void)
{
	fprintf(stderr, "usage: sigproxy -c FILE [-t]\n"
	    "  -c FILE  configuration (see deploy/examples/sigproxy.ini)\n"
	    "  -t       check the configuration, print the effective values and exit\n");
	exit(2);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sp *sp = arg;

	if (sig == SIGUSR1) {
		trace_set_on(sp->trace, !trace_is_on(sp->trace));
		log_infox("sip_trace_%s signal=SIGUSR1", trace_is_on(sp->trace) ? "on" : "off");
		return;
	}
	if (sig == SIGHUP) {
		sp_reload(sp);
		return;
	}
	log_infox("shutdown signal=%d", (int)sig);
	notify_stopping(sp->notify);
	event_base_loopexit(sp->base, NULL);
}

/*
 * SIGHUP hook "log_level": the file is read and checked as at start (listeners, TLS
 * files, routes); only when all of it is valid does the new level apply.
 */
static int
reload_log_level(void *arg, char *msg, size_t size)
{
	struct sp *sp = arg;
	struct sp_config *cfg;
	struct conf *c = NULL;
	struct conf_error ce;
	int err;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return ENOMEM;
	memset(&ce, 0, sizeof(ce));
	err = conf_load(&c, sp->conf_path, &ce);
	if (err == 0)
		err = sp_config_load(cfg, c, &ce);
	if (err) {
		if (err == ENOENT)
			snprintf(msg, size, "%s: %s", sp->conf_path, strerror(err));
		else
			conf_error_str(&ce, msg, size);
		goto out;
	}
	if (cfg->log_level != sp->cfg.log_level)
		log_infox("log_level_changed from=%s to=%s",
		    log_level_name((enum log_level)sp->cfg.log_level),
		    log_level_name((enum log_level)cfg->log_level));
	sp->cfg.log_level = cfg->log_level;
	log_set_level((enum log_level)cfg->log_level);
 out:
	sp_config_free(cfg);
	conf_free(c);
	free(cfg);
	return err;
}

/* READY=1 from the first loop pass: every listener is bound by then (sp_start). */
static void
on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct sp *sp = arg;
	char status[96];

	snprintf(status, sizeof(status), "serving on %u listeners", sp->cfg.nlisteners);
	notify_ready(sp->notify, status);
	log_infox("sigproxy_notify_ready watchdog_ms=%llu",
	    (unsigned long long)(notify_watchdog_usec(sp->notify) / 1000));
}

static int
signals_add(struct sp *sp)
{
	sp->sigusr1 = evsignal_new(sp->base, SIGUSR1, on_signal, sp);
	sp->sigterm = evsignal_new(sp->base, SIGTERM, on_signal, sp);
	sp->sigint = evsignal_new(sp->base, SIGINT, on_signal, sp);
	sp->sighup = evsignal_new(sp->base, SIGHUP, on_signal, sp);
	if (!sp->sigusr1 || !sp->sigterm || !sp->sigint || !sp->sighup ||
	    event_add(sp->sigusr1, NULL) || event_add(sp->sigterm, NULL) ||
	    event_add(sp->sigint, NULL) || event_add(sp->sighup, NULL))
		return ENOMEM;
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf *c = NULL;
	struct conf_error ce;
	struct sp *sp;
	const char *path = NULL;
	char ebuf[512];
	bool check = false;
	int ch, err, rc = 1;

	while ((ch = getopt(argc, argv, "c:th")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = true;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc)
		usage();
	log_init("sigproxy", LOG_LEVEL_INFO, false);
	signal(SIGPIPE, SIG_IGN);
	sip_init();
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		fatalx("startup_failed step=calloc reason=%s", LOG_Q(strerror(ENOMEM)));
	memset(&ce, 0, sizeof(ce));
	err = conf_load(&c, path, &ce);
	if (err == 0)
		err = sp_config_load(&sp->cfg, c, &ce);
	if (err) {
		if (err == ENOENT)
			snprintf(ebuf, sizeof(ebuf), "%s: %s", path, strerror(err));
		else
			conf_error_str(&ce, ebuf, sizeof(ebuf));
		/* -t is a tool talking to a person: the plain message, as mediad -t prints it */
		if (check)
			fprintf(stderr, "sigproxy: %s\n", ebuf);
		else
			log_errx("config_error reason=%s", LOG_Q(ebuf));
		goto out;
	}
	log_set_level((enum log_level)sp->cfg.log_level);
	sp->conf_path = path;
	if (check) {
		conf_print_effective(c, stdout);
		printf("configuration ok: %u listeners, %u routes\n", sp->cfg.nlisteners,
		    route_table_count(sp->cfg.routes));
		rc = 0;
		goto out;
	}
	sp->base = event_base_new();
	if (sp->base == NULL)
		fatalx("startup_failed step=event_base_new");
	if ((err = sp_start(sp)) || (err = signals_add(sp)) ||
	    (err = reload_hook_add(&sp->reload, "log_level", reload_log_level, sp)) ||
	    (err = notify_alloc(&sp->notify, sp->base, NULL, NULL)) ||
	    (err = event_base_once(sp->base, -1, EV_TIMEOUT, on_ready, sp,
	    &(struct timeval){ 0, 0 }) ? ENOMEM : 0)) {
		log_errx("startup_failed err=%s", LOG_Q(strerror(err)));
		goto out;
	}
	log_infox("sigproxy_started id=%s pid=%d", sp->cfg.instance_id, (int)getpid());
	event_base_dispatch(sp->base);
	rc = 0;
 out:
	notify_free(sp->notify);
	sp_stop(sp);
	conf_free(c);
	free(sp);
	return rc;
}

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

#include "audit.h"
#include "log.h"
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

/* SIGHUP: what can change without a restart (the rest of the configuration needs one). */
static void
reload(struct sp *sp)
{
	int err;

	log_infox("sighup reload=\"tls_files trace_file compliance_file\" note=\"certificates, "
	    "keys, CAs and CRLs are read again, the trace and compliance files are reopened; "
	    "restart to apply other configuration changes\"");
	sp_tls_reload(sp);
	/* logrotate moved the trace file: write to a new one under the same name */
	err = trace_reopen(sp->trace);
	if (err)
		log_warnx("sip_trace_reopen_failed file=\"%s\" err=\"%s\"", sp->cfg.trace_file,
		    strerror(err));
	else if (sp->cfg.trace_file[0])
		log_infox("sip_trace_reopened file=\"%s\"", sp->cfg.trace_file);
	/* the same for the compliance record's file */
	err = audit_reopen(sp->audit);
	if (err)
		log_warnx("compliance_reopen_failed file=\"%s\" err=\"%s\"",
		    sp->cfg.compliance_file, strerror(err));
	else if (sp->cfg.compliance_file[0])
		log_infox("compliance_reopened file=\"%s\"", sp->cfg.compliance_file);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sp *sp = arg;

	if (sig == SIGUSR1) {
		trace_set_on(sp->trace, !trace_is_on(sp->trace));
		log_infox("sip_trace_%s (SIGUSR1)", trace_is_on(sp->trace) ? "on" : "off");
		return;
	}
	if (sig == SIGHUP) {
		reload(sp);
		return;
	}
	log_infox("shutdown signal=%d", (int)sig);
	event_base_loopexit(sp->base, NULL);
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
		fatalx("out of memory");
	memset(&ce, 0, sizeof(ce));
	err = conf_load(&c, path, &ce);
	if (err == 0)
		err = sp_config_load(&sp->cfg, c, &ce);
	if (err) {
		if (err == ENOENT)
			log_errx("config_error file=%s reason=\"%s\"", path, strerror(err));
		else
			log_errx("config_error %s", conf_error_str(&ce, ebuf, sizeof(ebuf)));
		goto out;
	}
	log_set_level((enum log_level)sp->cfg.log_level);
	if (check) {
		conf_print_effective(c, stdout);
		printf("configuration ok: %u listeners, %u routes\n", sp->cfg.nlisteners,
		    route_table_count(sp->cfg.routes));
		rc = 0;
		goto out;
	}
	sp->base = event_base_new();
	if (sp->base == NULL)
		fatalx("event_base_new failed");
	if ((err = sp_start(sp)) || (err = signals_add(sp))) {
		log_errx("startup_failed err=%s", strerror(err));
		goto out;
	}
	log_infox("sigproxy_started id=%s pid=%d", sp->cfg.instance_id, (int)getpid());
	event_base_dispatch(sp->base);
	rc = 0;
 out:
	sp_stop(sp);
	conf_free(c);
	free(sp);
	return rc;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* sbcctl: the operator's command line for the SBC (live calls, hang-up, mediads, drain,
 * backends, certificates, SIP trace): options, then one command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbcctl.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sbcctl [-c sigproxy.ini | --redis HOST:PORT|SOCKET] [--db N] [--json]\n"
	    "              [--timeout MS] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  calls                     live calls, one line each (like show channels)\n"
	    "  show CALL-ID              one call: its record, media now, mediad's record (keys masked)\n"
	    "  hangup CALL-ID [--wait S] BYE both parties through sigproxy (sbc:control)\n"
	    "  mediads                   registered mediads: address, load, calls, drain, ping\n"
	    "  drain ID | undrain ID     stop / resume new calls on a mediad\n"
	    "  backends                  backend health (sbc:backend:<target>)\n"
	    "  trace on [--call ID] [--number RE] [--peer NETS] [--for S]\n"
	    "  trace off | trace default | trace      SIP trace of every sigproxy (sbc:trace)\n"
	    "  cert check FILE --domain D [--ca CAFILE] [--key KEYFILE] [--warn-days N]\n"
	    "The Redis password comes from the INI ([redis] password) or $REDISCLI_AUTH, never\n"
	    "from the command line. Exit: 0 done, 1 failed or not found, 2 usage or setup.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "redis", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_redis_opts ro = { NULL, NULL, -1 };
	struct ctl x;
	const char *cmd;
	char *end;
	int ch, rc;

	memset(&x, 0, sizeof(x));
	x.out = stdout;
	x.ng_timeout_ms = 300;
	/* "+": options end at the command, whose own options follow it */
	while ((ch = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ro.ini = optarg;
			break;
		case 'r':
			ro.addr = optarg;
			break;
		case 'd':
			ro.db = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || ro.db < 0 || ro.db > 255) {
				fprintf(stderr, "sbcctl: --db wants 0..255\n");
				return CTL_USAGE;
			}
			break;
		case 'j':
			x.json = true;
			break;
		case 'T':
			x.ng_timeout_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || x.ng_timeout_ms < 10 || x.ng_timeout_ms > 10000) {
				fprintf(stderr, "sbcctl: --timeout wants 10..10000 ms\n");
				return CTL_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	/* the certificate check is a local file: no Redis needed */
	if (strcmp(cmd, "cert") == 0)
		return ctl_cert(&x, argc, argv);
	if (strcmp(cmd, "calls") != 0 && strcmp(cmd, "show") != 0 && strcmp(cmd, "hangup") != 0 &&
	    strcmp(cmd, "mediads") != 0 && strcmp(cmd, "drain") != 0 &&
	    strcmp(cmd, "undrain") != 0 && strcmp(cmd, "backends") != 0 &&
	    strcmp(cmd, "trace") != 0) {
		fprintf(stderr, "sbcctl: unknown command '%s'\n", CTL_ESC(cmd));
		usage(stderr);
		return CTL_USAGE;
	}
	if ((rc = ctl_redis_connect(&x, &ro)) != 0)
		return rc;
	if (strcmp(cmd, "calls") == 0)
		rc = ctl_calls(&x, argc, argv);
	else if (strcmp(cmd, "show") == 0)
		rc = ctl_show(&x, argc, argv);
	else if (strcmp(cmd, "hangup") == 0)
		rc = ctl_hangup(&x, argc, argv);
	else if (strcmp(cmd, "mediads") == 0)
		rc = ctl_mediads(&x, argc, argv);
	else if (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0)
		rc = ctl_drain(&x, argc, argv, strcmp(cmd, "drain") == 0);
	else if (strcmp(cmd, "backends") == 0)
		rc = ctl_backends(&x, argc, argv);
	else
		rc = ctl_trace(&x, argc, argv);
	ctl_redis_close(&x);
	if (fflush(x.out) != 0)
		rc = CTL_FAIL;
	return rc;
}

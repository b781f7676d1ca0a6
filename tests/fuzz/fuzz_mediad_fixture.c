/* SPDX-License-Identifier: BSD-2-Clause */
/* What the mediad targets share: a mediad to drive. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "call.h"
#include "config.h"
#include "fuzz_mediad_fixture.h"
#include "mediad.h"
#include "metrics.h"

struct mediad *
fuzz_mediad_new(unsigned net)
{
	struct mediad *md = calloc(1, sizeof(*md));
	struct conf *c = NULL;
	struct conf_error err;
	char text[512];
	unsigned i, slice = (unsigned)(getpid() % 250) + 1;

	snprintf(text, sizeof(text),
	    "[mediad]\nid = fuzz\n[interface outside]\naddress = 127.%u.%u.1\n"
	    "port_min = 30000\nport_max = 30063\n[interface inside]\naddress = 127.%u.%u.2\n"
	    "port_min = 30000\nport_max = 30063\n[redis]\nenabled = no\n", net, slice, net, slice);
	if (md == NULL || conf_load_string(&c, "fuzz.ini", text, &err) ||
	    mediad_config_load(&md->cfg, c, &err))
		abort();
	conf_free(c);
	for (i = 0; i < md->cfg.niface; i++) {
		struct mediad_iface *ifc = &md->cfg.ifaces[i];

		if (port_pool_alloc(&ifc->pool, &ifc->addr, ifc->port_min, ifc->port_max))
			abort();
	}
	if (metrics_alloc(&md->metrics) || mediad_counters_register(md) ||
	    call_table_init(&md->calls, 64, mediad_call_destroy_h, md))
		abort();
	return md;
}

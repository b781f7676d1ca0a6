/* SPDX-License-Identifier: BSD-2-Clause */
/* The port pairs a call holds: one per party and m= line, on that party's interface. */
#include <errno.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"

int
call_media_take_ports(struct mediad *md, struct monologue *mono, struct call_media *cm)
{
	int err;

	if (cm->have_ports)
		return 0;
	err = port_pool_take(mono->iface->pool, &cm->ports);
	if (err) {
		metric_inc(md->ctr.no_ports);
		log_warnx("ports_exhausted interface=%s range=%u-%u in_use=%u",
		    mono->iface->name, mono->iface->port_min, mono->iface->port_max,
		    port_pool_in_use(mono->iface->pool));
		return ENOSPC;
	}
	cm->have_ports = true;
	return 0;
}

void
call_release_ports(struct call *c)
{
	unsigned i, j;

	for (i = 0; i < 2; i++) {
		struct monologue *mono = c->mono[i];

		if (mono == NULL)
			continue;
		for (j = 0; j < MEDIAD_MAX_MEDIA; j++) {
			struct call_media *cm = &mono->media[j];

			if (cm->have_ports) {
				port_pair_release(mono->iface->pool, &cm->ports);
				cm->have_ports = false;
			}
		}
	}
}

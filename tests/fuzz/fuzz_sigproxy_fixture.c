/* SPDX-License-Identifier: BSD-2-Clause */
/* What the sigproxy targets share: a running sigproxy. */
#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "fuzz_sigproxy_fixture.h"
#include "log.h"
#include "sigproxy.h"
#include "sip.h"

struct sp *
fuzz_sigproxy_new(const char *conf_text)
{
	struct conf *c = NULL;
	struct conf_error ce;
	struct sp *sp;

	log_init("fuzz", LOG_LEVEL_ERR, false);
	sip_init();
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL || conf_load_string(&c, "fuzz", conf_text, &ce) ||
	    sp_config_load(&sp->cfg, c, &ce))
		abort();
	conf_free(c);
	sp->base = event_base_new();
	if (sp->base == NULL || sp_start(sp))
		abort();
	return sp;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy's [media] keys for the calls of a lost or drained mediad (a table of their own). */
#include <stddef.h>

#include "sigproxy_config_int.h"

static const char *const lost_names[] = { "move", "hangup", "keep", NULL };
static const char *const drained_names[] = { "stay", "move", NULL };

#define MV(field) CONF_FIELD(struct sp_config, field)

/*
 * A mediad is lost when it has not answered ng for mediad_dead_ms (pings every
 * mediad_refresh_ms): long enough that a busy or briefly unreachable relay keeps its
 * calls, short enough that the parties hear silence for a few seconds, not until they
 * give up. Each re-INVITE of a move must be answered within move_timeout_ms.
 */
const struct conf_key sp_move_conf_keys[] = {
	{ "media", "mediad_dead_ms", CONF_TYPE_INT, "2000", 200, 600000, MV(mediad_dead_ms),
	  NULL, 0, NULL },
	{ "media", "mediad_lost", CONF_TYPE_ENUM, "move", 0, 0, MV(mediad_lost), lost_names, 0,
	  NULL },
	{ "media", "drained_calls", CONF_TYPE_ENUM, "stay", 0, 0, MV(drained_calls),
	  drained_names, 0, NULL },
	{ "media", "move_timeout_ms", CONF_TYPE_INT, "8000", 500, 64000, MV(move_timeout_ms),
	  NULL, 0, NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

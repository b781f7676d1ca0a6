/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy's [limits] keys (a table): per-source rates, bans and connections, the connection
 * budgets and the stream deadlines the transport enforces. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "sigproxy_config_int.h"

/* exempt: networks as a listener's acl takes them, into a struct acl * field. */
static int
exempt_set(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	const char *bad = NULL;
	size_t badlen = 0;
	int err;

	if (value == NULL || value[0] == '\0')
		return 0;
	err = acl_parse(field, value, &bad, &badlen);
	if (err == EINVAL)
		snprintf(msg, size, "bad network \"%.*s\"", (int)badlen, bad ? bad : "");
	return err;
}

#define LIM(field) CONF_FIELD(struct sp_config, limits.field)

/*
 * The defaults protect a 2-core machine with 1 GB (the README says why each is what it
 * is); 0 turns a per-source limit off.
 */
const struct conf_key sp_limits_conf_keys[] = {
	{ "limits", "max_conns_in", CONF_TYPE_INT, "1024", 1, 1000000, LIM(max_conns_in), NULL, 0,
	  NULL },
	{ "limits", "max_conns_out", CONF_TYPE_INT, "256", 1, 1000000, LIM(max_conns_out), NULL,
	  0, NULL },
	{ "limits", "max_conns_per_source", CONF_TYPE_INT, "32", 0, 1000000,
	  LIM(max_conns_per_source), NULL, 0, NULL },
	{ "limits", "requests_per_second", CONF_TYPE_INT, "50", 0, 1000000,
	  LIM(requests_per_second), NULL, 0, NULL },
	{ "limits", "requests_burst", CONF_TYPE_INT, "100", 1, 1000000, LIM(requests_burst), NULL,
	  0, NULL },
	{ "limits", "tls_conns_per_second", CONF_TYPE_INT, "5", 0, 1000000,
	  LIM(tls_conns_per_second), NULL, 0, NULL },
	{ "limits", "tls_conns_burst", CONF_TYPE_INT, "20", 1, 1000000, LIM(tls_conns_burst), NULL,
	  0, NULL },
	{ "limits", "ban_ms", CONF_TYPE_INT, "60000", 0, 86400000, LIM(ban_ms), NULL, 0, NULL },
	{ "limits", "max_sources", CONF_TYPE_INT, "16384", 16, 1000000, LIM(max_sources), NULL, 0,
	  NULL },
	{ "limits", "handshake_timeout_ms", CONF_TYPE_INT, "5000", 100, 600000,
	  LIM(handshake_timeout_ms), NULL, 0, NULL },
	{ "limits", "header_timeout_ms", CONF_TYPE_INT, "10000", 100, 600000,
	  LIM(header_timeout_ms), NULL, 0, NULL },
	{ "limits", "idle_timeout_ms", CONF_TYPE_INT, "300000", 1000, 86400000,
	  LIM(idle_timeout_ms), NULL, 0, NULL },
	{ "limits", "connect_timeout_ms", CONF_TYPE_INT, "5000", 100, 600000,
	  LIM(connect_timeout_ms), NULL, 0, NULL },
	{ "limits", "inside", CONF_TYPE_BOOL, "no", 0, 0, LIM(inside), NULL, 0, NULL },
	{ "limits", "exempt", CONF_TYPE_HOOK, NULL, 0, 0, LIM(exempt), NULL, 0, exempt_set },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

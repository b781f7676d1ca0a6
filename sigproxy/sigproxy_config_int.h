/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside of sigproxy's configuration, shared by its files: the TLS and [limits] tables, the
 * TLS loaders. */
#ifndef SBC_SIGPROXY_SIGPROXY_CONFIG_INT_H
#define SBC_SIGPROXY_SIGPROXY_CONFIG_INT_H

#include "sigproxy_config.h"

/* sigproxy_config_tls.c: the TLS keys of [listener <name>], [tls_client], [tls_peer <name>]. */
extern const struct conf_key sp_lsnr_tls_keys[];
extern const struct conf_key sp_client_tls_keys[];
extern const struct conf_key sp_peer_tls_keys[];

/* sigproxy_config_limits.c: the keys of [limits]. */
extern const struct conf_key sp_limits_conf_keys[];

/* sigproxy_config_move.c: the [media] keys of lost and drained mediads. */
extern const struct conf_key sp_move_conf_keys[];

/*
 * The TLS keys of listener section sec into l->tls (a server context) when l is TLS, or
 * their refusal on a UDP/TCP listener. 0, EINVAL with *err (file, line, key), ENOMEM.
 */
int sp_tls_listener_load(struct conf *c, const char *sec, struct sp_listener *l,
    struct conf_error *err);
/* [tls_client] into cfg->client_tls and every [tls_peer <name>] into cfg->tls_peers. */
int sp_tls_clients_load(struct sp_config *cfg, struct conf *c, struct conf_error *err);
/* After the routes: each target's tls_peer resolved, its address mapped (cfg->tls_dests). */
int sp_tls_targets_map(struct sp_config *cfg, struct conf *c, struct conf_error *err);
/* Frees the client and peer contexts (listeners' are freed with the listeners). */
void sp_tls_free(struct sp_config *cfg);

#endif

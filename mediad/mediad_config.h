/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad's configuration ([mediad], [interface <name>], [srtp], [redis]) and its loader. */
#ifndef SBC_MEDIAD_MEDIAD_CONFIG_H
#define SBC_MEDIAD_MEDIAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "log.h"
#include "redis_conf.h"
#include "srtp.h"

struct conf;
struct conf_error;
struct metric;
struct port_pool;

#define MEDIAD_MAX_IFACES 8
#define MEDIAD_MAX_ALLOW 32
#define MEDIAD_IFNAME_MAX 32

/*
 * What an interface may carry ([interface] encryption), whatever an ng client asks:
 * enforced per media line by mediad/ng (ng_policy.c).
 */
enum mediad_encryption {
	MEDIAD_ENC_OFF = 0,          /* plain RTP only: no key is ever sent towards it */
	MEDIAD_ENC_OPTIONAL,         /* SRTP or plain RTP, as the request and the peer choose */
	MEDIAD_ENC_REQUIRED,         /* SRTP only: RTP/SAVP, or RTP/AVP with a key (OSRTP) */
};

struct mediad_iface {
	char name[MEDIAD_IFNAME_MAX];
	struct sa addr;              /* where media sockets bind (port 0) */
	struct sa advertised;        /* what SDP shows; = addr unless configured */
	uint16_t port_min, port_max; /* inclusive; pairs start on even ports */
	struct port_pool *pool;      /* owned; made by main.c (port_pool_alloc) */
	struct metric *m_in_use;     /* gauges in the metrics registry (may be NULL) */
	struct metric *m_free;
	enum mediad_encryption encryption;
	unsigned sdes_mki;           /* MKI bytes in the keys we offer on it (0: none; Teams: 1) */
};

struct mediad_config {
	char id[64];
	struct sa ng_listen;
	struct sa_net allow[MEDIAD_MAX_ALLOW];
	unsigned nallow;
	unsigned workers;
	unsigned io;                     /* enum relay_io_style: auto, sockets, batched, xdp */
	enum log_level log_level;
	char metrics_listen[SA_STRLEN];  /* "" = no metrics endpoint */
	unsigned max_sessions;           /* 0 = unlimited */
	unsigned delete_delay_s;         /* default when delete carries none */
	unsigned offer_timeout_s;        /* offer never answered: reaped */
	unsigned media_timeout_s;        /* answered call without media in either direction */
	unsigned silent_timeout_s;       /* the same while a party is on hold (not sending) */
	unsigned cookie_ttl_s;

	struct mediad_iface ifaces[MEDIAD_MAX_IFACES];
	unsigned niface;

	enum crypto_suite offer_suites[CRYPTO_SUITE_COUNT];
	unsigned noffer_suites;
	unsigned allowed_suites;         /* bit (1u << suite) */

	bool redis_enabled;
	unsigned media_ttl_s;            /* EXPIRE of sbc:media:<call-id> */
	unsigned reg_ttl_s;              /* EXPIRE of sbc:mediad:<id> */
	unsigned reg_interval_ms;        /* registration refresh period */
	unsigned media_state_interval_ms; /* SRTP index refresh of sbc:media:<call-id> */
	struct redis_conf redis;         /* deadlines, keepalive, backlog, Sentinel (common rows) */
};

/*
 * Loads and validates the whole [mediad], [interface *], [srtp], [redis]
 * configuration from c. Returns 0 with *cfg filled, or EINVAL with *err naming
 * file, line and key.
 */
int mediad_config_load(struct mediad_config *cfg, struct conf *c, struct conf_error *err);
/* "off", "optional", "required". */
const char *mediad_encryption_name(enum mediad_encryption e);
/* Interface by name (case-sensitive); NULL when unknown. */
struct mediad_iface *mediad_config_iface(struct mediad_config *cfg, const char *name, size_t len);

#endif

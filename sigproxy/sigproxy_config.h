/* SPDX-License-Identifier: BSD-2-Clause */
/* sigproxy's configuration: listeners and their sides, media policy, ng, Redis, health, routes. */
#ifndef SBC_SIGPROXY_SIGPROXY_CONFIG_H
#define SBC_SIGPROXY_SIGPROXY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "redis_conf.h"
#include "sip.h"	/* struct sip_hop */
#include "transport.h"	/* enum tp_proto, struct acl, struct tls */

struct route_rule;
struct route_table;
struct tp_listener;

enum sp_side {
	SP_SIDE_OUTSIDE = 0,
	SP_SIDE_INSIDE = 1,
};
#define SP_NSIDES 2

enum sp_policy {
	SP_POLICY_OFF = 0,
	SP_POLICY_OPTIONAL,
	SP_POLICY_REQUIRED,
};

#define SP_LISTENERS_MAX 16

/* [media] mediad_lost: what happens to the calls of a mediad that stopped answering. */
enum sp_mediad_lost {
	SP_LOST_MOVE = 0,	/* moved to another mediad, both parties re-INVITEd */
	SP_LOST_HANGUP,		/* ended: BYE to both parties (Reason: media relay lost) */
	SP_LOST_KEEP,		/* left alone (they have no media until it comes back) */
};

/* [media] drained_calls: what happens to the calls of a drained mediad. */
enum sp_drained_calls {
	SP_DRAINED_STAY = 0,	/* they finish where they are */
	SP_DRAINED_MOVE,	/* moved off it like the calls of a lost one */
};

/* [limits]: flood and abuse control in the transport (see deploy/examples/sigproxy.ini). */
struct sp_limits {
	unsigned max_conns_in;		/* inbound TCP/TLS connections, all sources */
	unsigned max_conns_out;		/* our own outbound connections (a budget of their own) */
	unsigned max_conns_per_source;	/* 0: no limit */
	unsigned requests_per_second;	/* per source; 0: no limit */
	unsigned requests_burst;
	unsigned tls_conns_per_second;	/* new TLS connections per source; 0: no limit */
	unsigned tls_conns_burst;
	unsigned ban_ms;		/* 0: drop what is over a rate, no ban */
	unsigned max_sources;		/* sources remembered at once */
	unsigned handshake_timeout_ms;	/* inbound TLS */
	unsigned header_timeout_ms;	/* a whole message after its first byte */
	unsigned idle_timeout_ms;	/* between complete messages */
	unsigned connect_timeout_ms;	/* outbound TCP connect and TLS handshake */
	bool inside;			/* per-source limits on inside listeners too */
	struct acl *exempt;		/* owned, NULL: none; sources without per-source limits */
};

/* One configured listener: "[listener <name>]". */
struct sp_listener {
	char name[64];
	enum tp_proto proto;
	struct sa addr;
	char advertise[64];	/* host put in Via/Record-Route */
	enum sp_side side;
	struct acl *acl;	/* owned, NULL: any */
	struct tls *tls;	/* owned, TLS only */
	struct tp_listener *tpl;	/* borrowed from tp */
	struct sip_hop hop;
};

#define SP_TLS_PEERS_MAX 16
#define SP_TLS_DESTS_MAX 64

/* One "[tls_peer <name>]": how sigproxy makes TLS connections to the targets naming it. */
struct sp_tls_peer {
	char name[64];
	char server_name[256];	/* checked against the server certificate and sent as SNI;
				 * "": the target's IP is checked (SAN iPAddress), no SNI */
	struct tls *tls;	/* owned: client context (CA, CRL, client certificate) */
};

/* A target address that names a tls_peer: every TLS request to it goes that peer's way. */
struct sp_tls_dest {
	struct sa addr;		/* ip and port */
	unsigned peer;		/* index in tls_peers */
};

struct sp_config {
	char instance_id[64];
	int log_level;
	char metrics_listen[64];
	bool trace;		/* [sigproxy] sip_trace: on from the start */

	struct sp_listener listeners[SP_LISTENERS_MAX];
	unsigned nlisteners;
	struct sip_hop self[SP_LISTENERS_MAX];
	struct tls *client_tls;	/* owned, NULL: no outbound TLS but to tls_peer targets */
	struct sp_tls_peer tls_peers[SP_TLS_PEERS_MAX];
	unsigned ntls_peers;
	struct sp_tls_dest tls_dests[SP_TLS_DESTS_MAX];
	unsigned ntls_dests;

	enum sp_policy policy[SP_NSIDES];
	bool sdes_requires_tls[SP_NSIDES];	/* SDES keys to/from that side over TLS only */
	char sdes[256];		/* SDES tokens for ng ("only-AES_CM_128_HMAC_SHA1_80 ...") */
	char iface[SP_NSIDES][32];	/* mediad interface names used in "direction" */

	unsigned ng_timeout_ms;
	unsigned ng_retries;
	unsigned mediad_refresh_ms;
	unsigned mediad_up_after;	/* successful pings before a down mediad is used again */
	char mediad_static[64];	/* "ip:port": a fixed mediad (no Redis registry needed) */
	/* calls the SBC moves (sigproxy_config_move.c) */
	unsigned mediad_dead_ms;	/* no ng answer this long: the mediad is lost */
	unsigned mediad_lost;		/* enum sp_mediad_lost */
	unsigned drained_calls;		/* enum sp_drained_calls */
	unsigned move_timeout_ms;	/* each re-INVITE of a move: its final answer within */

	bool redis_enabled;
	struct redis_conf redis;	/* deadlines, keepalive, backlog, Sentinel (common rows) */

	unsigned call_ttl_active;	/* s, safety TTL while a call lives */
	unsigned call_ttl_ended;	/* s, kept for inspection after the end */
	unsigned retry_after;		/* s, in 503 when Redis is down */

	bool health_probe;		/* send OPTIONS to backends (a route may say otherwise) */
	unsigned health_interval_ms;
	unsigned holddown_ms;
	unsigned health_down_after;	/* failed probes in a row that mark a backend down */
	unsigned health_up_after;	/* answered probes in a row that mark it up */
	bool health_up_on_any;		/* probe_up_on = any: any final answer is "up" */

	/* [trace]: outputs and filter of the SIP trace (trace part) */
	char trace_file[256];		/* "": no trace file */
	struct sa trace_hep;		/* AF_UNSPEC: no HEP export */
	uint32_t trace_hep_id;		/* HEP capture agent id */
	char trace_call[256];		/* Call-ID; "": any */
	char trace_number[256];		/* PCRE2 on URI users; "": any */
	char trace_peer[256];		/* networks; "": any */

	/* [dialog]: what leaves towards a side hides the other side's topology */
	bool hide[SP_NSIDES];
	bool call_id_replace;	/* the callee's leg gets a Call-ID of the SBC's own */
	struct sp_limits limits;
	/* [compliance]: the record of every ended call (audit part) */
	char compliance_file[256];	/* "": no file */
	bool compliance_syslog;
	unsigned compliance_facility;	/* index in the facility names (sigproxy_config.c) */
	int compliance_syslog_facility;	/* LOG_LOCAL0 ... from it */

	struct route_table *routes;	/* owned */
	enum sp_side route_side[64];	/* per route index: side of its targets */
};

/*
 * Reads every sigproxy section of c into cfg (zeroed first). Returns 0, or an errno
 * with err naming file, line, section and key; cfg holds nothing owned then.
 */
int sp_config_load(struct sp_config *cfg, struct conf *c, struct conf_error *err);
/* Frees what sp_config_load made (ACLs, TLS contexts, routes); cfg may be reloaded after. */
void sp_config_free(struct sp_config *cfg);
/*
 * The [tls_peer] a TLS request to dst goes with: the one a route target at that address
 * names (sigproxy_config_tls.c). NULL: none (the [tls_client] context, dst's IP checked).
 */
const struct sp_tls_peer *sp_tls_peer_for(const struct sp_config *cfg, const struct sa *dst);
/*
 * Reads the certificate, key, CA and CRL files of every TLS context again (SIGHUP): new
 * connections use them, open ones keep theirs. A context whose files fail keeps its old
 * ones (the failure is logged naming the file). Counts each context in *nok or *nfail.
 */
void sp_config_tls_reload(struct sp_config *cfg, unsigned *nok, unsigned *nfail);
const char *sp_side_name(enum sp_side s);
int sp_side_parse(const char *s, enum sp_side *out);
const char *sp_policy_name(enum sp_policy p);
/* Whether rule's targets get OPTIONS probes ([health] probe unless the route says). */
bool sp_route_probed(const struct sp_config *cfg, const struct route_rule *r);
/* Whether any final answer to a probe means "up" ([health] probe_up_on unless the route says). */
bool sp_route_up_on_any(const struct sp_config *cfg, const struct route_rule *r);

#endif

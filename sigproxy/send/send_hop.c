/* SPDX-License-Identifier: BSD-2-Clause */
/* Next hops: which URIs are ours, where a request goes next by its Route set or Request-URI. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "send.h"

bool
send_is_self_uri(struct sp *sp, const struct sip_uri *u)
{
	unsigned i;

	if (u->host == NULL)
		return false;
	for (i = 0; i < sp->cfg.nlisteners; i++) {
		const struct sip_hop *h = &sp->cfg.listeners[i].hop;
		uint16_t dp = h->transport == TP_TLS ? 5061 : 5060;
		const char *host = u->host;
		size_t hl = strlen(host);
		char ip[SA_STRLEN];

		if (hl > 2 && host[0] == '[') {
			host++;
			hl -= 2;
		}
		if ((u->port ? u->port : dp) != (h->port ? h->port : dp))
			continue;
		if ((strlen(h->host) == hl && strncasecmp(h->host, host, hl) == 0))
			return true;
		sa_format_ip(&sp->cfg.listeners[i].addr, ip, sizeof(ip));
		if (strlen(ip) == hl && strncasecmp(ip, host, hl) == 0)
			return true;
	}
	return false;
}

int
send_next_hop(struct sp *sp, const struct sip_msg *m, enum tp_proto *tp, struct sa *dst)
{
	struct sip_addr r;
	struct sip_uri u;
	unsigned i, n = sip_msg_route_count(m);

	for (i = 0; i < n; i++) {
		if (sip_msg_route(m, i, &r))
			return EBADMSG;
		if (send_is_self_uri(sp, &r.uri))
			continue;
		return sip_uri_dest(&r.uri, tp, dst);
	}
	if (sip_msg_ruri(m, &u))
		return EBADMSG;
	if (send_is_self_uri(sp, &u))
		return ENOENT;
	return sip_uri_dest(&u, tp, dst);
}

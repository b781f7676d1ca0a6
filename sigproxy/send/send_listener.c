/* SPDX-License-Identifier: BSD-2-Clause */
/* Which configured listener a message came on, which one sends towards a side, our Contact there. */
#include <stdio.h>
#include <string.h>

#include "send.h"

struct sp_listener *
send_listener_by_tpl(struct sp *sp, const struct tp_listener *l)
{
	unsigned i;

	for (i = 0; i < sp->cfg.nlisteners; i++)
		if (sp->cfg.listeners[i].tpl == l)
			return &sp->cfg.listeners[i];
	return NULL;
}

struct sp_listener *
send_listener_for(struct sp *sp, enum sp_side side, enum tp_proto t)
{
	struct sp_listener *any = NULL;
	unsigned i;

	for (i = 0; i < sp->cfg.nlisteners; i++) {
		struct sp_listener *l = &sp->cfg.listeners[i];

		if (l->side != side)
			continue;
		if (l->proto == t)
			return l;
		if (any == NULL)
			any = l;
	}
	/* UDP needs a socket of its own kind; streams can go out from any side listener */
	return t == TP_UDP ? NULL : any;
}

void
send_contact_uri(const struct sp_listener *l, enum tp_proto tp, char *buf, size_t size)
{
	const struct sip_hop *h = &l->hop;
	bool v6 = strchr(h->host, ':') != NULL;

	/* no user part of the party's: it could name inside hosts or numbering plans */
	snprintf(buf, size, "sip:sbc@%s%s%s:%u;transport=%s", v6 ? "[" : "", h->host, v6 ? "]" : "",
	    (unsigned)(h->port ? h->port : (tp == TP_TLS ? 5061 : 5060)), tp_proto_name(tp));
}

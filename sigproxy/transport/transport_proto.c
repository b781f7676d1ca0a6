/* SPDX-License-Identifier: BSD-2-Clause */
/* The one transport vocabulary of sigproxy: udp, tcp, tls by name. */
#include <errno.h>
#include <strings.h>

#include "transport.h"

const char *
tp_proto_name(enum tp_proto p)
{
	switch (p) {
	case TP_UDP: return "udp";
	case TP_TCP: return "tcp";
	case TP_TLS: return "tls";
	}
	return "?";
}

int
tp_proto_parse(const char *s, enum tp_proto *out)
{
	if (s == NULL)
		return EINVAL;
	if (strcasecmp(s, "udp") == 0)
		*out = TP_UDP;
	else if (strcasecmp(s, "tcp") == 0)
		*out = TP_TCP;
	else if (strcasecmp(s, "tls") == 0)
		*out = TP_TLS;
	else
		return EINVAL;
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* What a dialog keeps from a message (remote target, route set, header lines) and where a URI leads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip_int.h"

/* The URI inside the first element of a name-addr list v[n]: bracketed or up to ';'. */
static int
first_uri(const char *v, size_t n, const char **up, size_t *ulen)
{
	size_t first = sip_list_first_len(v, n), i;
	const char *lt = sip_unquoted_chr(v, first, '<'), *gt;

	if (lt != NULL) {
		gt = memchr(lt, '>', (size_t)(v + first - lt));
		if (gt == NULL)
			return EBADMSG;
		*up = lt + 1;
		*ulen = (size_t)(gt - lt - 1);
		return 0;
	}
	/* addr-spec form: parameters after it are the header's (RFC 3261 §20) */
	i = 0;
	while (i < first && (v[i] == ' ' || v[i] == '\t'))
		i++;
	*up = v + i;
	while (i < first && v[i] != ';')
		i++;
	*ulen = (size_t)(v + i - *up);
	while (*ulen > 0 && ((*up)[*ulen - 1] == ' ' || (*up)[*ulen - 1] == '\t'))
		(*ulen)--;
	return 0;
}

/* The URI of the first element of header id as received, if it parses alone. */
static int
header_uri(const struct sip_msg *m, enum sip_hdr_id id, char *buf, size_t size)
{
	const struct sip_hdr *h = sip_msg_hdr_find(m, id, 0);
	const char *u;
	size_t n;

	if (h == NULL || first_uri(h->value, h->value_len, &u, &n) != 0 || n == 0 ||
	    (n == 1 && u[0] == '*'))
		return ENOENT;
	if (n >= size)
		return ENOSPC;
	memcpy(buf, u, n);
	buf[n] = '\0';
	/* stored and written back into requests: only a URI that parses alone */
	if (!sip_uri_text_ok(buf))
		return ENOENT;
	return 0;
}

int
sip_msg_contact_uri(const struct sip_msg *m, char *buf, size_t size)
{
	return header_uri(m, SIP_HDR_CONTACT, buf, size);
}

int
sip_msg_route_set(const struct sip_msg *m, const struct sip_hop *self, unsigned nself,
    char *buf, size_t size)
{
	struct sip_entry e[SIP_ENTRIES_MAX];
	struct sip_wbuf w = { buf, size, 0, false };
	unsigned n = 0, k, i;
	size_t len;

	if (sip_entries_load(m, SIP_HDR_RECORD_ROUTE, e, &n) != 0)
		return EBADMSG;
	if (m->request) {
		for (i = 0; i < n; i++) {
			if (i > 0)
				sip_wbuf_str(&w, ", ");
			sip_wbuf_put(&w, e[i].p, e[i].n);
		}
	} else {
		/* the 2xx lists the callee's side first: ours, then the caller's */
		for (k = 0; k < n && !sip_uri_names_hop(e[k].r->url, self, nself); k++)
			;
		for (i = k; i > 0; i--) {
			if (i < k)
				sip_wbuf_str(&w, ", ");
			sip_wbuf_put(&w, e[i - 1].p, e[i - 1].n);
		}
	}
	sip_entries_free(e, n);
	if (w.len == 0 && !w.overflow && size > 0) {
		buf[0] = '\0';
		return 0;
	}
	return sip_wbuf_finish(&w, &len);
}

int
sip_msg_lines_dup(const struct sip_msg *m, const char *name, char **out)
{
	enum sip_hdr_id id = sip_hdr_lookup(name, strlen(name));
	size_t total = 1, off = 0;
	unsigned i, pass;
	char *s = NULL;

	/* pass 0 measures, pass 1 writes: "Name: value\r\n", the value unfolded */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < m->nhdrs; i++) {
			const struct sip_hdr *h = &m->hdrs[i];
			size_t vl = strlen(h->value);

			if (id != SIP_HDR_OTHER ? h->id != id :
			    !sip_hdr_same_other(h->name, h->name_len, name))
				continue;
			if (pass == 0) {
				total += strlen(name) + 2 + vl + 2;
				continue;
			}
			off += (size_t)snprintf(s + off, total - off, "%s: %s\r\n", name, h->value);
		}
		if (pass == 0 && (s = malloc(total)) == NULL)
			return ENOMEM;
	}
	s[off] = '\0';
	*out = s;
	return 0;
}

int
sip_uri_dest(const struct sip_uri *u, enum tp_proto *tp, struct sa *dst)
{
	enum tp_proto t = TP_UDP;
	const char *host = u->host;
	size_t hl;

	if (host == NULL)
		return EINVAL;
	hl = strlen(host);
	if (hl > 2 && host[0] == '[') {
		host++;
		hl -= 2;
	}
	if (u->scheme && strcasecmp(u->scheme, "sips") == 0)
		t = TP_TLS;
	if (u->transport && tp_proto_parse(u->transport, &t))
		return EPROTONOSUPPORT;
	/* no DNS on the signalling path: targets and contacts must be numeric */
	if (sa_parse_ip(dst, host, hl, u->port ? u->port : (t == TP_TLS ? 5061 : 5060)))
		return EHOSTUNREACH;
	*tp = t;
	return 0;
}

int
sip_text_dest(const char *text, enum tp_proto *tp, struct sa *dst)
{
	osip_uri_t *ou = NULL;
	struct sip_uri u;
	const char *p;
	char *tmp;
	size_t n;
	int err;

	if (text == NULL)
		return EBADMSG;
	/* a bare URI (a stored remote target) keeps its parameters; a list gives its first */
	if (strchr(text, '<') == NULL) {
		p = text;
		n = strlen(text);
	} else if (first_uri(text, strlen(text), &p, &n) != 0) {
		return EBADMSG;
	}
	if (n == 0)
		return EBADMSG;
	tmp = strndup(p, n);
	if (tmp == NULL)
		return ENOMEM;
	if (osip_uri_init(&ou) != 0) {
		free(tmp);
		return ENOMEM;
	}
	if (osip_uri_parse(ou, tmp) != 0) {
		err = EBADMSG;
	} else {
		sip_uri_fill(ou, &u);
		err = sip_uri_dest(&u, tp, dst);
	}
	osip_uri_free(ou);
	free(tmp);
	return err;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Read-only accessors over a parsed SIP message (struct sip_msg, libosip2 structures). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip_int.h"

static const struct {
	const char *name;
	enum sip_method id;
} sip_methods[] = {
	{ "INVITE", SIP_METHOD_INVITE }, { "ACK", SIP_METHOD_ACK },
	{ "BYE", SIP_METHOD_BYE }, { "CANCEL", SIP_METHOD_CANCEL },
	{ "OPTIONS", SIP_METHOD_OPTIONS }, { "REGISTER", SIP_METHOD_REGISTER },
	{ "PRACK", SIP_METHOD_PRACK }, { "UPDATE", SIP_METHOD_UPDATE },
	{ "INFO", SIP_METHOD_INFO }, { "REFER", SIP_METHOD_REFER },
	{ "NOTIFY", SIP_METHOD_NOTIFY }, { "SUBSCRIBE", SIP_METHOD_SUBSCRIBE },
	{ "MESSAGE", SIP_METHOD_MESSAGE },
};

static uint16_t
port_of(const char *s)
{
	uint64_t v;

	if (s == NULL || !sip_parse_uint(s, strlen(s), 65535, &v))
		return 0;
	return (uint16_t)v;
}

static const char *
param_value(osip_list_t *params, const char *name, bool *present)
{
	osip_generic_param_t *p = NULL;

	if (osip_generic_param_get_byname(params, (char *)name, &p) != 0 || p == NULL) {
		if (present != NULL)
			*present = false;
		return NULL;
	}
	if (present != NULL)
		*present = true;
	return p->gvalue;
}

void
sip_uri_fill(osip_uri_t *u, struct sip_uri *out)
{
	bool lr = false;

	memset(out, 0, sizeof(*out));
	if (u == NULL)
		return;
	out->scheme = u->scheme;
	out->user = u->username;
	out->host = u->host;
	out->port = port_of(u->port);
	out->transport = param_value(&u->url_params, "transport", NULL);
	(void)param_value(&u->url_params, "lr", &lr);
	out->lr = lr;
}

static void
addr_fill(osip_from_t *f, struct sip_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->display = f->displayname;
	sip_uri_fill(f->url, &out->uri);
	out->tag = param_value(&f->gen_params, "tag", NULL);
}

const char *
sip_msg_raw(const struct sip_msg *m, size_t *len)
{
	*len = m->raw_len;
	return m->raw;
}

enum tp_proto
sip_msg_transport(const struct sip_msg *m)
{
	return m->tp;
}

bool
sip_msg_is_request(const struct sip_msg *m)
{
	return m->request;
}

const char *
sip_msg_method(const struct sip_msg *m)
{
	if (m->request)
		return m->method;
	return m->cseq_method != NULL ? m->cseq_method : "";
}

enum sip_method
sip_msg_method_id(const struct sip_msg *m)
{
	const char *name = sip_msg_method(m);
	size_t i;

	/* Methods are case-sensitive (RFC 3261 §7.1). */
	for (i = 0; i < sizeof(sip_methods) / sizeof(sip_methods[0]); i++)
		if (strcmp(sip_methods[i].name, name) == 0)
			return sip_methods[i].id;
	return SIP_METHOD_OTHER;
}

int
sip_msg_status(const struct sip_msg *m)
{
	return m->request ? 0 : m->status;
}

const char *
sip_msg_reason(const struct sip_msg *m)
{
	return m->request ? NULL : m->reason;
}

int
sip_msg_ruri(const struct sip_msg *m, struct sip_uri *out)
{
	if (!m->request || m->osip->req_uri == NULL)
		return ENOENT;
	sip_uri_fill(m->osip->req_uri, out);
	return 0;
}

const char *
sip_msg_ruri_user(const struct sip_msg *m, size_t *len)
{
	if (!m->request)
		return NULL;
	*len = m->ruri_user_len;
	return m->ruri_user;
}

int
sip_msg_ruri_param(const struct sip_msg *m, const char *name, const char **value)
{
	bool present = false;
	const char *v;

	if (!m->request || m->osip->req_uri == NULL)
		return ENOENT;
	v = param_value(&m->osip->req_uri->url_params, name, &present);
	if (!present)
		return ENOENT;
	*value = v;
	return 0;
}

unsigned
sip_msg_via_count(const struct sip_msg *m)
{
	return (unsigned)osip_list_size(&m->osip->vias);
}

int
sip_msg_via(const struct sip_msg *m, unsigned idx, struct sip_via *out)
{
	osip_via_t *v = osip_list_get(&m->osip->vias, (int)idx);
	bool rport = false;
	const char *rp;

	if (v == NULL)
		return ENOENT;
	memset(out, 0, sizeof(*out));
	out->transport = v->protocol;
	out->host = v->host;
	out->port = port_of(v->port);
	out->branch = param_value(&v->via_params, "branch", NULL);
	out->received = param_value(&v->via_params, "received", NULL);
	rp = param_value(&v->via_params, "rport", &rport);
	out->rport = rport;
	out->rport_value = port_of(rp);
	return 0;
}

int
sip_msg_from(const struct sip_msg *m, struct sip_addr *out)
{
	if (m->osip->from == NULL)
		return ENOENT;
	addr_fill(m->osip->from, out);
	return 0;
}

int
sip_msg_to(const struct sip_msg *m, struct sip_addr *out)
{
	if (m->osip->to == NULL)
		return ENOENT;
	addr_fill(m->osip->to, out);
	return 0;
}

const char *
sip_msg_from_tag(const struct sip_msg *m)
{
	if (m->osip->from == NULL)
		return NULL;
	return param_value(&m->osip->from->gen_params, "tag", NULL);
}

const char *
sip_msg_to_tag(const struct sip_msg *m)
{
	if (m->osip->to == NULL)
		return NULL;
	return param_value(&m->osip->to->gen_params, "tag", NULL);
}

const char *
sip_msg_call_id(const struct sip_msg *m)
{
	const struct sip_hdr *h;

	if (m->call_id_alias != NULL)
		return m->call_id_alias;
	h = sip_msg_hdr_find(m, SIP_HDR_CALL_ID, 0);
	return h != NULL ? h->value : NULL;
}

const char *
sip_msg_call_id_received(const struct sip_msg *m)
{
	const struct sip_hdr *h = sip_msg_hdr_find(m, SIP_HDR_CALL_ID, 0);

	return h != NULL ? h->value : NULL;
}

int
sip_msg_set_call_id(struct sip_msg *m, const char *call_id)
{
	char *a = strdup(call_id);

	if (a == NULL)
		return ENOMEM;
	free(m->call_id_alias);
	m->call_id_alias = a;
	return 0;
}

uint32_t
sip_msg_cseq(const struct sip_msg *m)
{
	return m->cseq_method != NULL ? m->cseq : 0;
}

const char *
sip_msg_cseq_method(const struct sip_msg *m)
{
	return m->cseq_method;
}

unsigned
sip_msg_max_forwards(const struct sip_msg *m)
{
	return m->max_forwards;
}

static int
list_addr(osip_list_t *l, unsigned idx, struct sip_addr *out)
{
	osip_from_t *f = osip_list_get(l, (int)idx);

	if (f == NULL)
		return ENOENT;
	addr_fill(f, out);
	return 0;
}

unsigned
sip_msg_contact_count(const struct sip_msg *m)
{
	return (unsigned)osip_list_size(&m->osip->contacts);
}

int
sip_msg_contact(const struct sip_msg *m, unsigned idx, struct sip_addr *out)
{
	return list_addr(&m->osip->contacts, idx, out);
}

unsigned
sip_msg_route_count(const struct sip_msg *m)
{
	return (unsigned)osip_list_size(&m->osip->routes);
}

int
sip_msg_route(const struct sip_msg *m, unsigned idx, struct sip_addr *out)
{
	return list_addr(&m->osip->routes, idx, out);
}

unsigned
sip_msg_record_route_count(const struct sip_msg *m)
{
	return (unsigned)osip_list_size(&m->osip->record_routes);
}

int
sip_msg_record_route(const struct sip_msg *m, unsigned idx, struct sip_addr *out)
{
	return list_addr(&m->osip->record_routes, idx, out);
}

const char *
sip_msg_body(const struct sip_msg *m, size_t *len)
{
	*len = m->body_len;
	return m->raw + m->body_off;
}

const char *
sip_msg_content_type(const struct sip_msg *m)
{
	return m->ctype;
}

int
sip_msg_header(const struct sip_msg *m, const char *name, unsigned idx,
    const char **value)
{
	enum sip_hdr_id id = sip_hdr_lookup(name, strlen(name));
	unsigned i;

	for (i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		bool same;

		if (id != SIP_HDR_OTHER)
			same = h->id == id;
		else
			same = sip_hdr_same_other(h->name, h->name_len, name);
		if (same && idx-- == 0) {
			*value = h->value;
			return 0;
		}
	}
	return ENOENT;
}

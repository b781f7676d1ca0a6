/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Topology hiding ([dialog] topology_hiding_<side>) and in-dialog routing as edits of
 * what the transactions send: what a hidden side never sees, and what a request along
 * a dialog carries instead of its own Request-URI and Route set.
 */
#include <stdio.h>
#include <string.h>

#include "txn_int.h"

bool
txn_hides(const struct sp *sp, enum sp_side s)
{
	return sp->cfg.hide[s];
}

void
txn_contact_self(const struct sp_listener *l, enum tp_proto tp, char *buf, size_t size)
{
	send_contact_uri(l, tp, buf, size);
}

void
txn_hide_request(const struct sp_listener *out, enum tp_proto tp, struct sip_fwd *f,
    char *contact, size_t size)
{
	f->via_hide = true;
	f->rr_strip = true;
	/* our entry on the hidden side is all of the route set it may see */
	f->rr_in = NULL;
	txn_contact_self(out, tp, contact, size);
	f->contact = contact;
}

void
txn_dialog_route(const struct sp_call *c, unsigned to_leg, struct sip_fwd *f)
{
	f->ruri = c->remote[to_leg];
	f->routes = c->rset[to_leg] != NULL ? c->rset[to_leg] : "";
}

void
txn_hide_response(struct sp *sp, const struct txn_upstream *u, struct sip_relay *r,
    char *contact, size_t size)
{
	if (txn_hides(sp, u->down)) {
		/* the request went on with our Via (and Record-Route) alone */
		r->vias = u->vias;
		if (u->initial) {
			r->rr_hop = &u->lsnr->hop;
			r->rr_lines = u->rr_lines;
		}
	}
	if (txn_hides(sp, u->up)) {
		txn_contact_self(u->lsnr, u->lsnr->proto, contact, size);
		r->contact = contact;
		if (u->initial)
			r->rr_from = &u->lsnr->hop;
		else
			r->rr_drop = true;
	}
}

int
txn_relay_build(struct sp *sp, const struct txn_upstream *u, const struct sip_msg *m,
    const char *body, size_t body_len, const char *ctype, size_t *len)
{
	struct sip_relay r;
	char contact[SP_URI_MAX];

	memset(&r, 0, sizeof(r));
	r.body = body;
	r.body_len = body_len;
	r.content_type = ctype;
	/* the Call-ID the request came with, where the response's is the other leg's */
	if (u->call_id != NULL && strcmp(u->call_id, sip_msg_call_id_received(m)) != 0)
		r.call_id = u->call_id;
	if (u->cseq != 0 && u->cseq != sip_msg_cseq(m))
		r.cseq = u->cseq;
	txn_hide_response(sp, u, &r, contact, sizeof(contact));
	return sip_build_response_relay(sp->buf, SP_BUF_SIZE, len, m, &r);
}

void
txn_learn_remote(struct sp *sp, struct sp_call *c, unsigned leg, const struct sip_msg *m)
{
	char uri[SP_URI_MAX], rset[SP_RSET_MAX];
	bool have_rset;

	if (c == NULL)
		return;
	/* a request's Record-Route lists its sender's side; a response's, ours first */
	have_rset = sip_msg_route_set(m, sp->cfg.self, sp->cfg.nlisteners, rset,
	    sizeof(rset)) == 0;
	if (sip_msg_contact_uri(m, uri, sizeof(uri)) == 0)
		dialog_set_remote(c, leg, uri, have_rset ? rset : NULL);
	else if (have_rset)
		dialog_set_remote(c, leg, NULL, rset);
}

bool
txn_refresh_target(struct sp_call *c, unsigned leg, const struct sip_msg *m)
{
	char uri[SP_URI_MAX];

	/* RFC 3261 §12.2: a target refresh changes the remote target, never the route set */
	if (c == NULL || sip_msg_contact_uri(m, uri, sizeof(uri)) != 0 ||
	    (c->remote[leg] != NULL && strcmp(c->remote[leg], uri) == 0))
		return false;
	return dialog_set_remote(c, leg, uri, NULL) == 0;
}

const char *
txn_leg_call_id(const struct sp_call *c, unsigned leg)
{
	/* legs that carry the same Call-ID need no rewrite */
	if (c == NULL || c->callee_call_id[0] == '\0')
		return NULL;
	return dialog_leg_call_id(c, leg);
}

int
txn_leg_call_id_make(struct sp *sp, struct sp_call *c)
{
	char id[SP_LEG_CALL_ID_MAX], tag[32];
	int err;

	if (!sp->cfg.call_id_replace || c->callee_call_id[0] != '\0')
		return 0;
	if ((err = sip_tag_new(tag, sizeof(tag))))
		return err;
	snprintf(id, sizeof(id), "%s%s", SP_LEG_CALL_ID_PREFIX, tag);
	return dialog_set_callee_call_id(sp, c, id);
}

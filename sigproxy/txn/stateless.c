/* SPDX-License-Identifier: BSD-2-Clause */
/* Responses without a transaction here: relayed statelessly along their Vias, hidden sides kept hidden. */
#include <errno.h>
#include <string.h>

#include "txn_int.h"

/* Where the next Via sends the response: 0 with *tp and *dst, or an errno. */
static int
next_via_dest(const struct sip_via *next, enum tp_proto *tp, struct sa *dst)
{
	const char *host;
	size_t hl;

	if (next->transport == NULL || tp_proto_parse(next->transport, tp))
		return EPROTONOSUPPORT;
	host = next->received ? next->received : next->host;
	hl = strlen(host);
	if (hl > 2 && host[0] == '[') {
		host++;
		hl -= 2;
	}
	if (sa_parse_ip(dst, host, hl, next->rport_value ? next->rport_value :
	    next->port ? next->port : (*tp == TP_TLS ? 5061 : 5060)))
		return EHOSTUNREACH;
	return 0;
}

int
txn_response_stateless(struct sp *sp, const struct sp_src *src, const struct sip_msg *m)
{
	enum sp_side to = src->lsnr->side == SP_SIDE_OUTSIDE ? SP_SIDE_INSIDE : SP_SIDE_OUTSIDE;
	struct sp_listener *l;
	struct sp_call *c;
	struct sip_via top, next;
	struct sip_relay r;
	struct sip_uri u;
	enum tp_proto tp;
	struct sa dst;
	char contact[SP_URI_MAX];
	size_t len, blen;
	int err;

	if (sip_msg_via(m, 0, &top) || sip_msg_via(m, 1, &next) || next.host == NULL)
		return ENOENT;
	memset(&u, 0, sizeof(u));
	u.host = top.host;
	u.port = top.port;
	if (!send_is_self_uri(sp, &u))
		return ENOENT;
	if ((err = next_via_dest(&next, &tp, &dst)))
		return err;
	/* an SDP here would reach the other side past mediad: the peer retransmits instead */
	sip_msg_body(m, &blen);
	if (blen > 0)
		return EPERM;
	memset(&r, 0, sizeof(r));
	c = dialog_find(sp, sip_msg_call_id(m));
	/* from the leg that carries our Call-ID to the other, or the other way */
	if (c != NULL) {
		r.call_id = txn_leg_call_id(c, strcmp(sip_msg_call_id_received(m),
		    c->callee_call_id) == 0 ? 0 : 1);
		/* from the leg on the side it came from: its CSeq back as the sender wrote it */
		r.cseq = dialog_cseq_from(c, dialog_leg(c, src->lsnr->side), sip_msg_cseq(m));
	}
	if (txn_hides(sp, to)) {
		if ((l = send_listener_for(sp, to, tp)) == NULL)
			return ENETUNREACH;
		txn_contact_self(l, tp, contact, sizeof(contact));
		r.contact = contact;
		r.rr_drop = true;
	}
	if (sip_build_response_relay(sp->buf, SP_BUF_SIZE, &len, m, &r))
		return EBADMSG;
	send_count_response(sp, sip_msg_status(m));
	return send_to(sp, to, tp, &dst, NULL, sp->buf, len, NULL);
}

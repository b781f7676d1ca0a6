/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Requests of the SBC's own in a dialog as client transactions: built from the call,
 * sent along the leg's route, retransmitted over UDP (RFC 3261 Timers A/E), ended by a
 * final response or the caller's deadline, an INVITE's 2xx acknowledged end to end and
 * its retransmissions answered with the same ACK until Timer D runs out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dialog.h"
#include "log.h"
#include "send.h"
#include "sip.h"
#include "timeutil.h"
#include "uac.h"

#define UAC_T1_MS	500u	/* RFC 3261 T1 */
#define UAC_T2_MS	4000u	/* RFC 3261 T2 */
#define UAC_LINGER_MS	32000u	/* Timer D: retransmitted finals answered with the ACK */
#define UAC_MSG_MAX	8192u	/* our requests are small: headers and one SDP */

enum uac_state {
	UAC_CALLING = 0,	/* sent, nothing back yet */
	UAC_PROCEEDING,		/* a provisional came */
	UAC_WAIT_ACK,		/* an INVITE's 2xx came: its ACK waits for the caller */
	UAC_LINGER,		/* done; the ACK (if any) goes again on a retransmitted final */
};

static const char *const leg_names[2] = { "caller", "callee" };

struct uac_req {
	struct uac_req *next;
	struct sp *sp;
	enum uac_state state;
	bool invite;
	bool abandoned;		/* no more callbacks */
	bool in_cb;		/* inside h: the caller may ack or abandon, not free */
	char call_id[SP_CALL_ID_MAX];	/* the call's own (log context, response matching) */
	unsigned leg;
	char method[8];
	char branch[SIP_BRANCH_SIZE];
	uint32_t cseq;
	/* what the ACK needs (owned) */
	char *ruri, *routes, *from_uri, *to_uri, *from_tag, *to_tag, *leg_call_id;
	enum sp_side side;
	enum tp_proto tp;
	struct sa dst;
	struct tp_conn *back;	/* ref: the caller's own stream, or NULL */
	char *msg;		/* the request, then its ACK (owned) */
	size_t len;
	struct event *timer;
	unsigned interval_ms;	/* next retransmission */
	uint64_t deadline_ms;	/* mono: the end of the current state */
	uac_done_h *h;
	void *arg;
};

static void
req_free(struct uac_req *r)
{
	struct uac_req **pp;

	for (pp = &r->sp->uacs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (r->timer != NULL)
		event_free(r->timer);
	tp_conn_deref(r->back);
	free(r->ruri);
	free(r->routes);
	free(r->from_uri);
	free(r->to_uri);
	free(r->from_tag);
	free(r->to_tag);
	free(r->leg_call_id);
	free(r->msg);
	free(r);
}

void
uac_free_all(struct sp *sp)
{
	while (sp->uacs != NULL)
		req_free(sp->uacs);
}

const char *
uac_call_id(const struct uac_req *r)
{
	return r->call_id;
}

static void
req_send(struct uac_req *r)
{
	int err = send_in_dialog(r->sp, r->back, r->side, r->tp, &r->dst, r->msg, r->len);

	if (err)
		log_warnx("uac_send_failed method=%s leg=%s err=%s", r->method, leg_names[r->leg],
		    LOG_Q(strerror(err)));
}

static void
timer_in(struct uac_req *r, uint64_t ms)
{
	struct timeval tv = timeval_from_ms(ms);

	evtimer_add(r->timer, &tv);
}

/* Calls h (once, unless abandoned); frees r afterwards unless it waits for its ACK. */
static void
req_done(struct uac_req *r, int status, const struct sip_msg *resp)
{
	if (!r->abandoned && r->h != NULL) {
		r->in_cb = true;
		log_set_call_id(r->call_id);
		r->h(r, status, resp, r->arg);
		r->in_cb = false;
	}
	if (r->state == UAC_WAIT_ACK && !r->abandoned)
		return;
	if (r->state != UAC_LINGER || r->tp != TP_UDP || !r->invite) {
		req_free(r);
		return;
	}
	r->deadline_ms = time_mono_ms() + UAC_LINGER_MS;
	timer_in(r, UAC_LINGER_MS);
}

/*
 * r->msg: method in r's dialog (its URIs, tags, Call-ID, CSeq, route and branch) leaving
 * on listener l, with the extra lines, Contact and SDP body given (each may be NULL).
 */
static int
msg_make(struct uac_req *r, const struct sp_listener *l, const char *method, const char *extra,
    const char *contact, const char *body, size_t len)
{
	struct sip_uac_req q;
	struct sip_hop via = l->hop;
	char buf[UAC_MSG_MAX], *copy;
	size_t n;
	int err;

	via.transport = r->tp;
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.ruri = r->ruri;
	q.routes = r->routes;
	q.via = &via;
	q.branch = r->branch;
	q.from_uri = r->from_uri;
	q.from_tag = r->from_tag;
	q.to_uri = r->to_uri;
	q.to_tag = r->to_tag;
	q.call_id = r->leg_call_id;
	q.cseq = r->cseq;
	q.extra = extra;
	q.contact = contact;
	if (body != NULL && len > 0) {
		q.body = body;
		q.body_len = len;
		q.content_type = "application/sdp";
	}
	if ((err = sip_build_uac(buf, sizeof(buf), &n, &q)))
		return err;
	if ((copy = malloc(n)) == NULL)
		return ENOMEM;
	memcpy(copy, buf, n);
	free(r->msg);
	r->msg = copy;
	r->len = n;
	return 0;
}

/* The ACK for a final response: end to end (2xx, new branch, to the Contact) or not. */
static int
ack_build(struct uac_req *r, bool ok, const char *body, size_t len)
{
	struct sp_listener *l = send_listener_for(r->sp, r->side, r->tp);
	int err;

	if (l == NULL)
		return ENETUNREACH;
	/* a 2xx's ACK is a transaction of its own; a failure's belongs to the INVITE's */
	if (ok && (err = sip_branch_new(r->branch, sizeof(r->branch))))
		return err;
	return msg_make(r, l, "ACK", NULL, NULL, body, len);
}

/* ACK now (the 2xx r waits for, or a failure), then linger. */
static int
ack_send(struct uac_req *r, bool ok, const char *body, size_t len)
{
	int err = ack_build(r, ok, body, len);

	if (err == 0)
		req_send(r);
	else
		log_warnx("uac_ack_failed leg=%s err=%s", leg_names[r->leg], LOG_Q(strerror(err)));
	r->state = UAC_LINGER;
	return err;
}

int
uac_ack(struct uac_req *r, const char *body, size_t len)
{
	int err;

	if (r->state != UAC_WAIT_ACK)
		return EINVAL;
	err = ack_send(r, true, body, len);
	log_info("uac_ack leg=%s sdp=%s", leg_names[r->leg], body != NULL && len > 0 ? "yes" : "no");
	if (r->in_cb)
		return err;	/* req_done lingers or frees it */
	r->abandoned = true;
	req_done(r, 0, NULL);
	return err;
}

void
uac_abandon(struct uac_req *r)
{
	if (r == NULL)
		return;
	r->abandoned = true;
	if (r->state == UAC_WAIT_ACK) {
		/* the 2xx must be acknowledged, answer or not: the caller ends the call next */
		ack_send(r, true, NULL, 0);
		if (!r->in_cb)
			req_done(r, 0, NULL);
	}
}

static void
req_timer(evutil_socket_t fd, short what, void *arg)
{
	struct uac_req *r = arg;
	uint64_t now = time_mono_ms();

	log_set_call_id(r->call_id);
	if (r->state == UAC_LINGER) {
		req_free(r);
		goto out;
	}
	if (now >= r->deadline_ms) {
		if (r->state == UAC_WAIT_ACK) {
			/* the caller never answered the 2xx's offer: ACK it bodiless */
			log_warnx("uac_ack_late leg=%s", leg_names[r->leg]);
			r->abandoned = true;
			ack_send(r, true, NULL, 0);
			req_done(r, 0, NULL);
			goto out;
		}
		log_warnx("uac_timeout method=%s leg=%s", r->method, leg_names[r->leg]);
		/* nothing more goes out: a late answer finds no transaction and is dropped */
		r->state = UAC_LINGER;
		req_done(r, 408, NULL);
		goto out;
	}
	/* Timer A stops at a provisional (INVITE), Timer E goes on at T2 (RFC 3261 §17.1) */
	if (r->tp == TP_UDP && r->state != UAC_WAIT_ACK &&
	    (r->state == UAC_CALLING || !r->invite)) {
		req_send(r);
		r->interval_ms = r->interval_ms * 2 > UAC_T2_MS && !r->invite ? UAC_T2_MS :
		    r->interval_ms * 2;
	}
	timer_in(r, r->deadline_ms - now < r->interval_ms || r->tp != TP_UDP ?
	    r->deadline_ms - now : r->interval_ms);
 out:
	log_set_call_id(NULL);
}

static char *
dup_or_null(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*fail = true;
	return d;
}

/* Our Contact in an INVITE: the other party's as this leg knows it, or ours when hidden. */
static void
contact_for(struct sp *sp, const struct sp_call *c, unsigned leg, const struct sp_listener *l,
    enum tp_proto tp, char *buf, size_t size)
{
	const char *other = c->remote[1 - leg];

	if (sp->cfg.hide[c->side[leg]] || other == NULL)
		send_contact_uri(l, tp, buf, size);
	else
		snprintf(buf, size, "%s", other);
}

/* r's request built from c into r->msg; its dialog values kept for the ACK. */
static int
req_build(struct uac_req *r, struct sp_call *c, const struct uac_opts *o)
{
	struct sp_listener *l;
	unsigned other = 1 - r->leg;
	char contact[SP_URI_MAX];
	bool fail = false;
	int err;

	if (c->remote[r->leg] == NULL || dialog_party_uri(c, 0) == NULL ||
	    dialog_party_uri(c, 1) == NULL || c->to_tag[0] == '\0')
		return ENOENT;
	if ((err = dialog_next_hop(c, r->leg, &r->tp, &r->dst)))
		return err;
	/* the caller's own stream wins over its Contact (NAT, TLS), as for its requests */
	r->back = dialog_conn_back(c, r->side);
	if (r->back != NULL && tp_conn_is_open(r->back)) {
		r->tp = tp_conn_proto(r->back);
		r->back = tp_conn_ref(r->back);
	} else {
		r->back = NULL;
	}
	if ((l = send_listener_for(r->sp, r->side, r->tp)) == NULL)
		return ENETUNREACH;
	if ((err = sip_branch_new(r->branch, sizeof(r->branch))))
		return err;
	if ((r->cseq = dialog_cseq_next(r->sp, c, r->leg)) == 0)
		return ERANGE;
	r->ruri = dup_or_null(c->remote[r->leg], &fail);
	r->routes = dup_or_null(c->rset[r->leg], &fail);
	r->from_uri = dup_or_null(dialog_party_uri(c, other), &fail);
	r->to_uri = dup_or_null(dialog_party_uri(c, r->leg), &fail);
	r->from_tag = dup_or_null(other == 0 ? c->from_tag : c->to_tag, &fail);
	r->to_tag = dup_or_null(r->leg == 0 ? c->from_tag : c->to_tag, &fail);
	r->leg_call_id = dup_or_null(dialog_leg_call_id(c, r->leg), &fail);
	if (fail)
		return ENOMEM;
	if (r->invite)
		contact_for(r->sp, c, r->leg, l, r->tp, contact, sizeof(contact));
	return msg_make(r, l, o->method, o->extra, r->invite ? contact : NULL, o->body,
	    o->body_len);
}

int
uac_send(struct sp *sp, struct sp_call *c, unsigned leg, const struct uac_opts *o,
    uac_done_h *h, void *arg, struct uac_req **rp)
{
	struct uac_req *r;
	int err;

	if (leg > 1 || o->method == NULL || strlen(o->method) >= sizeof(r->method))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->sp = sp;
	r->leg = leg;
	r->side = c->side[leg];
	r->h = h;
	r->arg = arg;
	r->invite = strcmp(o->method, "INVITE") == 0;
	snprintf(r->method, sizeof(r->method), "%s", o->method);
	snprintf(r->call_id, sizeof(r->call_id), "%s", c->call_id);
	if ((err = req_build(r, c, o)))
		goto out;
	if ((r->timer = evtimer_new(sp->base, req_timer, r)) == NULL) {
		err = ENOMEM;
		goto out;
	}
	r->next = sp->uacs;
	sp->uacs = r;
	r->interval_ms = UAC_T1_MS;
	r->deadline_ms = time_mono_ms() + o->timeout_ms;
	req_send(r);
	timer_in(r, r->tp == TP_UDP && UAC_T1_MS < o->timeout_ms ? UAC_T1_MS : o->timeout_ms);
	log_info("uac_request method=%s leg=%s cseq=%u transport=%s", r->method, leg_names[leg],
	    (unsigned)r->cseq, tp_proto_name(r->tp));
	if (rp != NULL)
		*rp = r;
	return 0;
 out:
	req_free(r);	/* not linked yet: only its own parts go */
	return err;
}

/* A 2xx's Contact is the leg's remote target from now on (RFC 3261 §12.2.1.2). */
static void
refresh_target(struct uac_req *r, const struct sip_msg *m)
{
	struct sp_call *c = dialog_find(r->sp, r->call_id);
	char uri[SP_URI_MAX], *copy;

	if (sip_msg_contact_uri(m, uri, sizeof(uri)) != 0 || strcmp(uri, r->ruri) == 0)
		return;
	if ((copy = strdup(uri)) != NULL) {
		free(r->ruri);
		r->ruri = copy;
	}
	if (c != NULL && dialog_set_remote(c, r->leg, uri, NULL) == 0)
		dialog_write(r->sp, c);
}

bool
uac_response(struct sp *sp, const struct sip_msg *m)
{
	struct uac_req *r;
	struct sip_via v;
	int status = sip_msg_status(m);

	if (sp->uacs == NULL || sip_msg_via(m, 0, &v) != 0 || v.branch == NULL)
		return false;
	for (r = sp->uacs; r != NULL; r = r->next)
		if (strcmp(r->branch, v.branch) == 0 && strcmp(r->call_id, sip_msg_call_id(m)) == 0)
			break;
	/* a 2xx retransmitted after our ACK carries the INVITE's branch, no longer r's */
	if (r == NULL) {
		for (r = sp->uacs; r != NULL; r = r->next)
			if (r->invite && r->state == UAC_LINGER && sip_msg_cseq(m) == r->cseq &&
			    strcmp(r->call_id, sip_msg_call_id(m)) == 0 &&
			    strcmp(sip_msg_cseq_method(m), "INVITE") == 0)
				break;
		if (r == NULL)
			return false;
	}
	if (strcmp(sip_msg_cseq_method(m), r->method) != 0 || sip_msg_cseq(m) != r->cseq)
		return true;	/* a stray answer on our branch: absorbed */
	if (status < 200) {
		if (r->state == UAC_CALLING)
			r->state = UAC_PROCEEDING;
		return true;
	}
	if (r->state == UAC_LINGER || r->state == UAC_WAIT_ACK) {
		/* a retransmitted final: the ACK again, once it exists */
		if (r->state == UAC_LINGER && r->invite)
			req_send(r);
		return true;
	}
	log_set_call_id(r->call_id);
	log_info("uac_final method=%s leg=%s status=%d", r->method, leg_names[r->leg], status);
	event_del(r->timer);
	if (!r->invite) {
		r->state = UAC_LINGER;
		req_done(r, status, m);
		return true;
	}
	if (status >= 300) {
		/* hop by hop, on the INVITE's branch: the failure's retransmissions stop */
		ack_send(r, false, NULL, 0);
		req_done(r, status, m);
		return true;
	}
	refresh_target(r, m);
	r->state = UAC_WAIT_ACK;
	r->deadline_ms = time_mono_ms() + UAC_LINGER_MS;
	timer_in(r, UAC_LINGER_MS);
	req_done(r, status, m);
	return true;
}

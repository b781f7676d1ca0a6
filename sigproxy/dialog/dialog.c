/* SPDX-License-Identifier: BSD-2-Clause */
/* Calls known to this instance: created, found, changed (every state change in one place), forgotten. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "log.h"
#include "timeutil.h"

static const char *const state_names[] = { "setup", "early", "answered", "ended" };

const char *
dialog_state_name(enum sp_call_state s)
{
	return state_names[s];
}

struct sp_call *
dialog_find(struct sp *sp, const char *call_id)
{
	struct sp_call *c;

	for (c = sp->calls[sp_bucket(call_id)]; c != NULL; c = c->next)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

int
dialog_create(struct sp *sp, struct sp_call **cp, const char *call_id, const char *from_tag)
{
	struct sp_call *c;

	if (strlen(call_id) >= sizeof(c->call_id) ||
	    (from_tag && strlen(from_tag) >= sizeof(c->from_tag)))
		return EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	snprintf(c->call_id, sizeof(c->call_id), "%s", call_id);
	snprintf(c->from_tag, sizeof(c->from_tag), "%s", from_tag ? from_tag : "");
	c->start = time_wall_s();
	c->touched = time_mono_ms();
	c->next = sp->calls[sp_bucket(c->call_id)];
	sp->calls[sp_bucket(c->call_id)] = c;
	*cp = c;
	return 0;
}

static void
alias_unlink(struct sp *sp, struct sp_call *c)
{
	struct sp_call **pp;

	if (c->callee_call_id[0] == '\0')
		return;
	for (pp = &sp->aliases[sp_bucket(c->callee_call_id)]; *pp != NULL;
	    pp = &(*pp)->alias_next) {
		if (*pp == c) {
			*pp = c->alias_next;
			break;
		}
	}
}

void
dialog_forget(struct sp *sp, struct sp_call *c)
{
	struct sp_call **pp;

	alias_unlink(sp, c);

	for (pp = &sp->calls[sp_bucket(c->call_id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->caller_conn)
		tp_conn_deref(c->caller_conn);
	free(c->remote[0]);
	free(c->remote[1]);
	free(c->rset[0]);
	free(c->rset[1]);
	route_admit_release(sp->admit, &c->admit);
	free(c);
}

void
dialog_detach(struct sp *sp, struct sp_call *c)
{
	struct sp_call **pp;

	/* dialog_forget unlinks again later: a search that finds nothing */
	alias_unlink(sp, c);
	for (pp = &sp->calls[sp_bucket(c->call_id)]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	c->next = NULL;
}

void
dialog_free_all(struct sp *sp)
{
	unsigned i;

	for (i = 0; i < SP_BUCKETS; i++)
		while (sp->calls[i] != NULL)
			dialog_forget(sp, sp->calls[i]);
}

void
dialog_enter_state(struct sp_call *c, enum sp_call_state s)
{
	log_debug("%s from=%s to=%s", __func__, dialog_state_name(c->state),
	    dialog_state_name(s));
	c->state = s;
}

void
dialog_set_answered(struct sp_call *c, const char *to_tag)
{
	snprintf(c->to_tag, sizeof(c->to_tag), "%s", to_tag ? to_tag : "");
	dialog_enter_state(c, SP_CALL_ANSWERED);
	c->answered = time_wall_s();
}

void
dialog_set_early(struct sp_call *c, const char *to_tag)
{
	if (c->state == SP_CALL_ANSWERED || c->state == SP_CALL_ENDED || to_tag == NULL)
		return;
	snprintf(c->to_tag, sizeof(c->to_tag), "%s", to_tag);
	if (c->state != SP_CALL_EARLY)
		dialog_enter_state(c, SP_CALL_EARLY);
}

int
dialog_set_remote(struct sp_call *c, unsigned leg, const char *target, const char *rset)
{
	char *t = NULL, *r = NULL;

	if ((target != NULL && strlen(target) >= SP_URI_MAX) ||
	    (rset != NULL && strlen(rset) >= SP_RSET_MAX))
		return EINVAL;
	if ((target != NULL && (t = strdup(target)) == NULL) ||
	    (rset != NULL && (r = strdup(rset)) == NULL)) {
		free(t);
		return ENOMEM;
	}
	if (t != NULL) {
		free(c->remote[leg]);
		c->remote[leg] = t;
	}
	if (r != NULL) {
		free(c->rset[leg]);
		c->rset[leg] = r;
	}
	return 0;
}

void
dialog_set_legs(struct sp_call *c, enum sp_side caller, enum sp_side callee,
    struct tp_conn *caller_conn, enum tp_proto caller_tp)
{
	c->side[0] = caller;
	c->side[1] = callee;
	tp_conn_deref(c->caller_conn);
	c->caller_conn = tp_conn_ref(caller_conn);
	snprintf(c->transport[0], sizeof(c->transport[0]), "%s", tp_proto_name(caller_tp));
}

void
dialog_set_route(struct sp_call *c, const char *route)
{
	snprintf(c->route, sizeof(c->route), "%s", route);
}

void
dialog_set_target(struct sp_call *c, const char *uri, enum tp_proto tp)
{
	snprintf(c->target, sizeof(c->target), "%s", uri);
	snprintf(c->transport[1], sizeof(c->transport[1]), "%s", tp_proto_name(tp));
}

void
dialog_set_late_offer(struct sp_call *c, const char *branch)
{
	c->late_offer = true;
	snprintf(c->late_branch, sizeof(c->late_branch), "%s", branch);
}

void
dialog_clear_late_offer(struct sp_call *c)
{
	c->late_offer = false;
}

void
dialog_set_mediad(struct sp_call *c, const char *id, const struct sa *ng)
{
	snprintf(c->mediad_id, sizeof(c->mediad_id), "%s", id);
	c->mediad_ng = *ng;
	c->has_mediad = true;
}

void
dialog_forget_mediad(struct sp_call *c)
{
	c->has_mediad = false;
}

void
dialog_set_crypto(struct sp_call *c, unsigned leg, const char *suite)
{
	snprintf(c->crypto[leg], sizeof(c->crypto[leg]), "%s", suite);
}

void
dialog_set_srtp_offered(struct sp_call *c, enum sp_side sender, uint32_t lines)
{
	c->srtp_offered[sender] = lines;
}

unsigned
dialog_leg(const struct sp_call *c, enum sp_side s)
{
	return c->side[0] == s ? 0 : 1;
}

struct tp_conn *
dialog_conn_back(const struct sp_call *c, enum sp_side side)
{
	return c != NULL && side == c->side[0] ? c->caller_conn : NULL;
}

void
dialog_touch(struct sp_call *c)
{
	c->touched = time_mono_ms();
}

unsigned
dialog_forget_idle(struct sp *sp, uint64_t idle_ms)
{
	uint64_t now = time_mono_ms();
	struct sp_call *c, *next;
	unsigned i, n = 0;

	for (i = 0; i < SP_BUCKETS; i++) {
		for (c = sp->calls[i]; c != NULL; c = next) {
			next = c->next;
			/* the record stays the truth; a later request reads it again */
			if (c->loaded && now - c->touched > idle_ms) {
				dialog_forget(sp, c);
				n++;
			}
		}
	}
	return n;
}

int
dialog_set_callee_call_id(struct sp *sp, struct sp_call *c, const char *call_id)
{
	if (strlen(call_id) >= sizeof(c->callee_call_id))
		return EINVAL;
	if (c->callee_call_id[0] != '\0')
		return strcmp(c->callee_call_id, call_id) == 0 ? 0 : EINVAL;
	snprintf(c->callee_call_id, sizeof(c->callee_call_id), "%s", call_id);
	c->alias_next = sp->aliases[sp_bucket(call_id)];
	sp->aliases[sp_bucket(call_id)] = c;
	return 0;
}

struct sp_call *
dialog_find_alias(struct sp *sp, const char *call_id)
{
	struct sp_call *c;

	for (c = sp->aliases[sp_bucket(call_id)]; c != NULL; c = c->alias_next)
		if (strcmp(c->callee_call_id, call_id) == 0)
			return c;
	return NULL;
}

const char *
dialog_leg_call_id(const struct sp_call *c, unsigned leg)
{
	return leg == 1 && c->callee_call_id[0] != '\0' ? c->callee_call_id : c->call_id;
}

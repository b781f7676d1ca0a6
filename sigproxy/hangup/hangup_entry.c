/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What one stream entry asks for. sbc:events (mediad): "media_timeout" ends the call,
 * but only when the mediad that says so is the call's and the call's mediad confirms it
 * holds no media for it any more (a forged or stale event ends nothing). sbc:control
 * (operators, sbcctl): "hangup" ends a call, "drain"/"undrain" take a mediad out of or
 * back into the choice for new calls at once (every instance reads the registration's
 * flag anyway).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "dialog.h"
#include "hangup_int.h"
#include "log.h"
#include "media.h"
#include "ng.h"
#include "redis_keys.h"

static const char *
field(const char *const *f, const char *const *v, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (f[i] != NULL && v[i] != NULL && strcmp(f[i], name) == 0)
			return v[i];
	return NULL;
}

const char *
hangup_entry_call_id(const char *const *fields, const char *const *values, unsigned n)
{
	return field(fields, values, n, "call_id");
}

/* An entry being carried out asynchronously. */
struct entry_op {
	struct hangup *k;
	char call_id[SP_CALL_ID_MAX];
	char mediad[64];
	char reason[32];
	struct sa ng;
	hangup_entry_done_h *done;
	void *arg;
};

/* An entry about call_id carried out asynchronously; NULL (done called) when out of memory. */
static struct entry_op *
op_new(struct hangup *k, const char *call_id, hangup_entry_done_h *done, void *arg)
{
	struct entry_op *op;

	log_set_call_id(call_id);
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		done(ENOMEM, arg);
		return NULL;
	}
	op->k = k;
	op->done = done;
	op->arg = arg;
	snprintf(op->call_id, sizeof(op->call_id), "%s", call_id);
	return op;
}

static void
op_end(struct entry_op *op)
{
	op->done(0, op->arg);
	free(op);
}

static void
ended(int err, void *arg)
{
	op_end(arg);
}

/* mediad's answer to "query" for the call: an error naming the call unknown confirms. */
static void
query_done(const struct bencode_item *reply, void *arg)
{
	struct entry_op *op = arg;
	const char *res = NULL, *why = NULL;
	size_t rl = 0, wl = 0;
	int err;

	log_set_call_id(op->call_id);
	if (op->k->stopping) {
		op_end(op);
		goto out;
	}
	if (reply != NULL) {
		ng_get_str(reply, "result", &res, &rl);
		ng_get_str(reply, "error-reason", &why, &wl);
	}
	if (reply == NULL || (rl == 2 && memcmp(res, "ok", 2) == 0) || why == NULL ||
	    wl != strlen(NG_ERR_UNKNOWN_CALL) || memcmp(why, NG_ERR_UNKNOWN_CALL, wl) != 0) {
		/* it still relays the call, or cannot say (a silent mediad's calls move) */
		hangup_refuse(op->k, HANGUP_REFUSED_MEDIA_ALIVE, "media_timeout", op->mediad,
		    reply == NULL ?
		    "the call's mediad did not answer" : "the call's mediad still holds its media");
		op_end(op);
		goto out;
	}
	log_info("media_timeout mediad=%s reason=%s", LOG_ESCW(op->mediad), LOG_ESCW(op->reason));
	err = hangup_call(op->k->sp, op->call_id, HANGUP_MEDIA_TIMEOUT, op->mediad, ended, op);
	if (err)
		op_end(op);
 out:
	log_set_call_id(NULL);
}

/* The call as this instance or its record knows it: the event must come from its mediad. */
static void
call_found(struct sp_call *c, void *arg)
{
	struct entry_op *op = arg;
	struct sp *sp = op->k->sp;
	struct bencode_arena a;
	struct bencode_item *d;
	int err;

	log_set_call_id(op->call_id);
	if (op->k->stopping) {
		op_end(op);
		goto out;
	}
	if (c == NULL || c->state != SP_CALL_ANSWERED) {
		hangup_refuse(op->k, c == NULL ? HANGUP_REFUSED_UNKNOWN :
		    HANGUP_REFUSED_NOT_ANSWERED, "media_timeout", op->mediad, c == NULL ? "no live call" :
		    dialog_state_name(c->state));
		op_end(op);
		goto out;
	}
	if (!c->has_mediad || strcmp(c->mediad_id, op->mediad) != 0) {
		char d2[160];

		/* a mediad the call left (moved) or never had: stale, or forged */
		snprintf(d2, sizeof(d2), "the call's media is on %s", c->mediad_id);
		hangup_refuse(op->k, HANGUP_REFUSED_WRONG_MEDIAD, "media_timeout", op->mediad,
		    d2);
		op_end(op);
		goto out;
	}
	op->ng = c->mediad_ng;
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	err = d == NULL || bencode_dict_add_cstr(&a, d, "command", "query") ||
	    bencode_dict_add_cstr(&a, d, "call-id", op->call_id) ? ENOMEM :
	    ng_client_send(sp->ng, &op->ng, d, query_done, op, NULL);
	bencode_arena_free(&a);
	if (err) {
		log_warnx("media_timeout_check_failed err=%s", LOG_Q(strerror(err)));
		op_end(op);
	}
 out:
	log_set_call_id(NULL);
}

static void
media_timeout(struct hangup *k, const char *const *f, const char *const *v, unsigned n,
    hangup_entry_done_h *done, void *arg)
{
	const char *call_id = field(f, v, n, "call_id"), *mediad = field(f, v, n, "mediad");
	const char *reason = field(f, v, n, "reason");
	struct entry_op *op;
	struct sp_call *c;

	if (call_id == NULL || mediad == NULL || strlen(call_id) >= SP_CALL_ID_MAX ||
	    strlen(mediad) >= sizeof(op->mediad)) {
		hangup_refuse(k, HANGUP_REFUSED_MALFORMED, "media_timeout", mediad,
		    "call_id or mediad missing or too long");
		done(0, arg);
		return;
	}
	if ((op = op_new(k, call_id, done, arg)) == NULL)
		return;
	snprintf(op->mediad, sizeof(op->mediad), "%s", mediad);
	snprintf(op->reason, sizeof(op->reason), "%s", reason != NULL ? reason : "no-media");
	c = dialog_find(k->sp, call_id);
	if (c != NULL && (!c->loaded || !sp_redis_up(k->sp)))
		call_found(c, op);
	else if (dialog_lookup(k->sp, call_id, call_found, op) != 0)
		call_found(NULL, op);
}

static void
operator_hangup(struct hangup *k, const char *call_id, const char *by,
    hangup_entry_done_h *done, void *arg)
{
	struct entry_op *op;
	int err;

	if ((op = op_new(k, strlen(call_id) < SP_CALL_ID_MAX ? call_id : "", done, arg)) == NULL)
		return;
	err = hangup_call(k->sp, call_id, HANGUP_OPERATOR, by, ended, op);
	if (err) {
		hangup_refuse(k, HANGUP_REFUSED_MALFORMED, "hangup", by, strerror(err));
		op_end(op);
	}
}

void
hangup_entry_run(struct hangup *k, const char *stream, const char *id,
    const char *const *fields, const char *const *values, unsigned n,
    hangup_entry_done_h *done, void *arg)
{
	const char *what = field(fields, values, n, "type"), *call_id, *by, *mediad;
	char who[160];

	metric_inc(k->ctr.entries);
	if (strcmp(stream, SBC_KEY_EVENTS) == 0) {
		if (what != NULL && strcmp(what, "media_timeout") == 0) {
			media_timeout(k, fields, values, n, done, arg);
			return;
		}
		hangup_refuse(k, HANGUP_REFUSED_MALFORMED, what != NULL ? what : "-",
		    field(fields, values, n, "mediad"), "unknown event");
		done(0, arg);
		return;
	}
	what = field(fields, values, n, "cmd");
	call_id = field(fields, values, n, "call_id");
	mediad = field(fields, values, n, "mediad");
	by = field(fields, values, n, "by");
	snprintf(who, sizeof(who), "operator:%s", by != NULL ? by : "?");
	if (what != NULL && strcmp(what, "hangup") == 0 && call_id != NULL) {
		log_info("control_request id=%s cmd=hangup by=%s", LOG_ESCW(id), LOG_ESCW(who));
		operator_hangup(k, call_id, who, done, arg);
		return;
	}
	if (what != NULL && (strcmp(what, "drain") == 0 || strcmp(what, "undrain") == 0) &&
	    mediad != NULL) {
		/* the flag itself lives in the registration: this applies it here at once */
		mediad_pool_set_drain(k->sp->pool, mediad, strcmp(what, "drain") == 0, who);
		done(0, arg);
		return;
	}
	hangup_refuse(k, HANGUP_REFUSED_MALFORMED, what != NULL ? what : "-", who,
	    "unknown command or missing argument");
	done(0, arg);
}

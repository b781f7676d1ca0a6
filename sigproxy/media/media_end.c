/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The end of a call: ng delete asking mediad for each leg's media summary, then the
 * compliance record and the closed dialog record with that summary. The call leaves the
 * calls this instance finds at once; its record is closed when mediad answered, or after
 * the ng client's retries (mediad then times the media out by itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bencode.h"
#include "dialog.h"
#include "log.h"
#include "media.h"
#include "ng.h"

struct end_op {
	struct sp *sp;
	struct sp_call *c;	/* detached: owned here until dialog_end */
};

static void
end_finish(struct sp *sp, struct sp_call *c, const struct ng_leg *media)
{
	log_set_call_id(c->call_id);
	audit_write(sp->audit, c, media);
	dialog_end(sp, c, c->end_reason, media);
	log_set_call_id(NULL);
}

static void
delete_done(const struct bencode_item *reply, void *arg)
{
	struct end_op *op = arg;
	struct ng_leg legs[2];
	const struct ng_leg *media = NULL;

	if (reply == NULL) {
		log_set_call_id(op->c->call_id);
		log_warnx("ng_delete_lost impact=%s",
		    LOG_Q("mediad times the call out; no media summary"));
		log_set_call_id(NULL);
	} else if (ng_legs_read(reply, op->c->from_tag, legs) == 0) {
		media = legs;
	}
	end_finish(op->sp, op->c, media);
	free(op);
}

void
media_end_call(struct sp *sp, struct sp_call *c, const char *reason)
{
	struct bencode_arena a;
	struct bencode_item *d;
	struct end_op *op;
	int err;

	dialog_stamp_end(c, reason);
	if (!c->has_mediad) {
		end_finish(sp, c, NULL);
		return;
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		end_finish(sp, c, NULL);
		return;
	}
	op->sp = sp;
	op->c = c;
	/* nothing may find an ending call: a new INVITE with its Call-ID is a new call */
	dialog_detach(sp, c);
	bencode_arena_init(&a);
	err = policy_ng_dict(&a, &sp->cfg, "delete", c->call_id, c->from_tag, NULL, NULL, NULL,
	    0, c->side[0], c->side[1], NULL, false, &d);
	/* the summary is a few hundred bytes from mediad; "fast" keeps rtpengine's reply small
	 * when nobody needs the numbers */
	if (err == 0 && !audit_on(sp->audit))
		err = policy_ng_flag(&a, d, "fast");
	if (err == 0)
		err = ng_client_send(sp->ng, &c->mediad_ng, d, delete_done, op, NULL);
	bencode_arena_free(&a);
	if (err) {
		log_warnx("ng_delete_failed err=%d", err);
		free(op);
		end_finish(sp, c, NULL);
		return;
	}
	log_info("media_delete mediad=%s", c->mediad_id);
	dialog_forget_mediad(c);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The border check of every in-dialog request: the call it names (here or in Redis),
 * the leg whose tags it carries, the side it came from, where it asks to go. A refusal
 * is counted, logged once per source, and changes nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "txn_int.h"

#define SRC_SLOTS	256	/* sources remembered for the per-source log limit */
#define SRC_QUIET_MS	10000u	/* one line per source this often, the rest counted */

/* One source's last refusal line (a slot shared by sources whose hash collides). */
struct src_slot {
	struct sa addr;
	uint64_t last_ms;
	unsigned long suppressed;
};

/* Process-wide, like the event loop that uses it: one thread. */
static struct src_slot src_slots[SRC_SLOTS];
/* Spoofed sources are many: the whole log is bounded too. */
static struct log_ratelimit rl_refused = LOG_RATELIMIT_INIT(1000, 20);

static const char *const refusal_names[SP_REFUSED_N] = {
	"unknown", "tags", "side", "route", "no_target", "out_of_dialog", "store_down", "cancel",
};

static unsigned
src_hash(const struct sa *a)
{
	const uint8_t *p;
	size_t n;
	uint32_t h = 2166136261u;

	if (sa_family(a) == AF_INET6) {
		p = (const uint8_t *)&a->u.in6.sin6_addr;
		n = sizeof(a->u.in6.sin6_addr);
	} else {
		p = (const uint8_t *)&a->u.in.sin_addr;
		n = sizeof(a->u.in.sin_addr);
	}
	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h % SRC_SLOTS;
}

/* Whether a line for a refusal from a may be written now; *suppressed: lines held back. */
static bool
src_log_ok(const struct sa *a, uint64_t now, unsigned long *suppressed)
{
	struct src_slot *s = &src_slots[src_hash(a)];

	if (s->last_ms != 0 && sa_equal_ip(&s->addr, a) && now - s->last_ms < SRC_QUIET_MS) {
		s->suppressed++;
		return false;
	}
	if (!log_ratelimit_ok(&rl_refused, now))
		return false;
	*suppressed = sa_equal_ip(&s->addr, a) ? s->suppressed : 0;
	s->addr = *a;
	s->last_ms = now;
	s->suppressed = 0;
	return true;
}

int
txn_refuse_note(struct sp *sp, const struct sp_src *src, const struct sip_msg *m,
    enum sp_refusal why, int status)
{
	unsigned long held = 0;
	char a[SA_STRLEN];

	metric_inc(sp->ctr.refused[why]);
	if (src_log_ok(&src->addr, time_mono_ms(), &held))
		log_warnx("sip_refused method=%s src=%s side=%s reason=%s status=%d "
		    "suppressed=%lu", LOG_ESCW(sip_msg_method(m)),
		    sa_format(&src->addr, a, sizeof(a)), sp_side_name(src->lsnr->side),
		    refusal_names[why], status, held);
	return status;
}

/* The status of a refusal that could tell an outsider which calls exist. */
static int
refuse_status(const struct sp_src *src)
{
	return src->lsnr->side == SP_SIDE_OUTSIDE ? 403 : 481;
}

/* The check itself, on c (NULL: no such call). 0 with *legp, or the refusal's status. */
static int
check(struct sp *sp, const struct sp_src *src, const struct sip_msg *m, struct sp_call *c,
    unsigned *legp)
{
	static const enum sp_refusal of[] = {
		[DIALOG_TAGS] = SP_REFUSED_TAGS,
		[DIALOG_SIDE] = SP_REFUSED_SIDE,
		[DIALOG_NO_TARGET] = SP_REFUSED_NO_TARGET,
	};
	enum dialog_refusal r;
	enum tp_proto tp, want_tp;
	struct sa dst, want;
	unsigned leg;
	int err;

	if (c == NULL)
		return txn_refuse_note(sp, src, m, SP_REFUSED_UNKNOWN, 481);
	/* RFC 2543 parties carry no tags: their dialog is keyed on the derived ones */
	r = dialog_match(c, sip_msg_dialog_from_tag(m), sip_msg_dialog_to_tag(m), src->lsnr->side,
	    &leg);
	if (r != DIALOG_MATCH)
		return txn_refuse_note(sp, src, m, of[r], refuse_status(src));
	if (dialog_next_hop(c, 1 - leg, &want_tp, &want))
		return txn_refuse_note(sp, src, m, SP_REFUSED_NO_TARGET, refuse_status(src));
	/*
	 * The request names its own next hop: us (our Contact, given to a hidden side), or
	 * exactly where the dialog leads. Anything else is a request steered elsewhere.
	 */
	err = send_next_hop(sp, m, &tp, &dst);
	if (err != ENOENT && (err != 0 || tp != want_tp || !sa_equal(&dst, &want)))
		return txn_refuse_note(sp, src, m, SP_REFUSED_ROUTE, refuse_status(src));
	*legp = leg;
	return 0;
}

/* A check waiting for the call's record. */
struct check_ctx {
	struct sp *sp;
	const struct sp_src *src;
	const struct sip_msg *m;
	txn_dialog_h *h;
	void *arg;
};

static void
check_loaded(struct sp_call *c, void *arg)
{
	struct check_ctx *x = arg;
	unsigned leg = 0;
	int st;

	log_set_call_id(sip_msg_call_id(x->m));
	st = check(x->sp, x->src, x->m, c, &leg);
	x->h(st == 0 ? c : NULL, leg, st, x->arg);
	free(x);
	log_set_call_id(NULL);
}

void
txn_dialog_check(struct sp *sp, const struct sp_src *src, const struct sip_msg *m,
    txn_dialog_h *h, void *arg)
{
	struct sp_call *c = dialog_find(sp, sip_msg_call_id(m));
	struct check_ctx *x;
	unsigned leg = 0;
	int st;

	/*
	 * A call set up here is checked against memory. A copy of another instance's call
	 * is read again (that instance may have changed or ended it), unless Redis is down:
	 * then the copy is the best there is.
	 */
	if ((c != NULL && (!c->loaded || !sp_redis_up(sp))) || !sp->cfg.redis_enabled) {
		st = check(sp, src, m, c, &leg);
		h(st == 0 ? c : NULL, leg, st, arg);
		return;
	}
	/* a call another instance set up: its record says who may ask what */
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		h(NULL, 0, 500, arg);
		return;
	}
	x->sp = sp;
	x->src = src;
	x->m = m;
	x->h = h;
	x->arg = arg;
	if (dialog_lookup(sp, sip_msg_call_id(m), check_loaded, x) != 0) {
		free(x);
		st = txn_refuse_note(sp, src, m, SP_REFUSED_STORE_DOWN, 503);
		h(NULL, 0, st, arg);
	}
}

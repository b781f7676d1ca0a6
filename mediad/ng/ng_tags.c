/* SPDX-License-Identifier: BSD-2-Clause */
/* Tag matching: which party (monologue) of a call an offer or answer speaks for. */
#include <string.h>

#include "log.h"
#include "mediad.h"
#include "ng_int.h"

static const char *
set_labels(const struct ng_opts *o, struct monologue *from, struct monologue *to)
{
	if (o->label != NULL && monologue_set_str(&from->label, o->label, o->label_len))
		return NG_ERR_NO_MEMORY;
	if (o->to_label != NULL && to != NULL &&
	    monologue_set_str(&to->label, o->to_label, o->to_label_len))
		return NG_ERR_NO_MEMORY;
	return NULL;
}

const char *
ng_tags_offer(struct mediad *md, const struct ng_opts *o, struct call *c,
    struct monologue **sp, struct monologue **rp)
{
	struct monologue *s, *r;

	s = call_mono_by_tag(c, o->from_tag, o->from_tag_len);
	if (s == NULL && c->mono[0] == NULL) {
		struct mediad_iface *fi = o->from_if ? o->from_if : &md->cfg.ifaces[0];
		struct mediad_iface *ti = o->to_if ? o->to_if : &md->cfg.ifaces[0];

		if (monologue_alloc(&c->mono[0], o->from_tag, o->from_tag_len, fi) ||
		    monologue_alloc(&c->mono[1], o->to_tag, o->to_tag != NULL ? o->to_tag_len : 0,
		    ti))
			return NG_ERR_NO_MEMORY;
		s = c->mono[0];
	} else if (s == NULL && c->mono[1] != NULL && c->mono[1]->tag[0] == '\0' &&
	    o->to_tag != NULL && call_mono_by_tag(c, o->to_tag, o->to_tag_len) == c->mono[0]) {
		/* Late offer by the callee (offer in 200 OK): it names itself now. */
		s = c->mono[1];
		if (monologue_set_str(&s->tag, o->from_tag, o->from_tag_len))
			return NG_ERR_NO_MEMORY;
	} else if (s == NULL) {
		log_warnx("ng_offer_unknown_tag from_tag=%s reason=%s",
		    LOG_QN(o->from_tag, o->from_tag_len), LOG_Q("the call has other tags"));
		return NG_ERR_DIALOGUE;
	}
	r = c->mono[call_mono_index(c, s) == 0 ? 1 : 0];
	if (r->tag[0] == '\0' && o->to_tag != NULL && o->to_tag_len > 0 &&
	    monologue_set_str(&r->tag, o->to_tag, o->to_tag_len))
		return NG_ERR_NO_MEMORY;
	if (o->via_branch != NULL &&
	    monologue_set_str(&r->via_branch, o->via_branch, o->via_branch_len))
		return NG_ERR_NO_MEMORY;
	*sp = s;
	*rp = r;
	return set_labels(o, s, r);
}

const char *
ng_tags_answer(const struct ng_opts *o, struct call *c, struct monologue **offp,
    struct monologue **ansp)
{
	struct monologue *off, *ans;

	off = call_mono_by_tag(c, o->from_tag, o->from_tag_len);
	if (off == NULL)
		return NG_ERR_DIALOGUE;
	ans = c->mono[call_mono_index(c, off) == 0 ? 1 : 0];
	if (ans->tag[0] == '\0') {
		if (monologue_set_str(&ans->tag, o->to_tag, o->to_tag_len))
			return NG_ERR_NO_MEMORY;
	} else if (strlen(ans->tag) != o->to_tag_len ||
	    memcmp(ans->tag, o->to_tag, o->to_tag_len)) {
		/* Another branch answers the original offer (a fork, or the proxy failed over
		 * to the next target after early media): the new dialogue replaces the old
		 * one in this two-party model. The callee side never re-offers as the caller. */
		if (off != c->mono[0]) {
			log_warnx("ng_answer_tag_mismatch to_tag=%s known=%s",
			    LOG_ESCWN(o->to_tag, o->to_tag_len), LOG_ESCW(ans->tag));
			return NG_ERR_DIALOGUE;
		}
		log_info("call_answerer_changed old_tag=%s new_tag=%s", LOG_ESCW(ans->tag),
		    LOG_ESCWN(o->to_tag, o->to_tag_len));
		if (monologue_set_str(&ans->tag, o->to_tag, o->to_tag_len))
			return NG_ERR_NO_MEMORY;
	}
	*offp = off;
	*ansp = ans;
	return NULL;
}

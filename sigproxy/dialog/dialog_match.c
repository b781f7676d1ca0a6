/* SPDX-License-Identifier: BSD-2-Clause */
/* A call's legs seen from an in-dialog request: which leg sent it, where a request to a leg goes. */
#include <errno.h>
#include <string.h>

#include "dialog.h"
#include "sip.h"

const char *
dialog_refusal_name(enum dialog_refusal r)
{
	switch (r) {
	case DIALOG_MATCH: return "match";
	case DIALOG_TAGS: return "tags";
	case DIALOG_SIDE: return "side";
	case DIALOG_NO_TARGET: return "no_target";
	}
	return "?";
}

static bool
tag_eq(const char *have, const char *got)
{
	/* an unknown tag ("", before any answer) matches nothing */
	return got != NULL && have[0] != '\0' && strcmp(have, got) == 0;
}

enum dialog_refusal
dialog_match(const struct sp_call *c, const char *from_tag, const char *to_tag,
    enum sp_side s, unsigned *legp)
{
	unsigned leg;

	if (tag_eq(c->from_tag, from_tag) && tag_eq(c->to_tag, to_tag))
		leg = 0;
	else if (tag_eq(c->to_tag, from_tag) && tag_eq(c->from_tag, to_tag))
		leg = 1;
	else
		return DIALOG_TAGS;
	/* the right tags from the other party's side: someone who saw them, not the party */
	if (c->side[leg] != s)
		return DIALOG_SIDE;
	if (c->remote[1 - leg] == NULL)
		return DIALOG_NO_TARGET;
	*legp = leg;
	return DIALOG_MATCH;
}

int
dialog_next_hop(const struct sp_call *c, unsigned leg, enum tp_proto *tp, struct sa *dst)
{
	if (c->rset[leg] != NULL && c->rset[leg][0] != '\0')
		return sip_text_dest(c->rset[leg], tp, dst);
	if (c->remote[leg] == NULL)
		return ENOENT;
	return sip_text_dest(c->remote[leg], tp, dst);
}

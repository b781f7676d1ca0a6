/* SPDX-License-Identifier: BSD-2-Clause */
/* ng delete: which call, final statistics, and the end now or after the delete delay. */
#include <stdint.h>

#include "bencode.h"
#include "log.h"
#include "mediad.h"
#include "ng_int.h"

const char *
ng_handle_delete(struct mediad *md, const struct ng_msg *m, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct ng_opts o;
	struct call *c;
	const char *reason;
	int64_t delay;

	reason = ng_opts_parse(md, m, &o);
	if (reason != NULL)
		return reason;
	c = call_find(&md->calls, o.call_id, o.call_id_len);
	/* A from-tag (or, with the to-tag flag, a to-tag) that the call does not know
	 * means this delete is not for this call. */
	if (c != NULL && o.from_tag != NULL && o.from_tag_len > 0 &&
	    call_mono_by_tag(c, o.from_tag, o.from_tag_len) == NULL)
		c = NULL;
	if (c != NULL && o.to_tag_flag && o.to_tag != NULL && o.to_tag_len > 0 &&
	    call_mono_by_tag(c, o.to_tag, o.to_tag_len) == NULL)
		c = NULL;
	if (c == NULL) {
		if (o.fatal)
			return NG_ERR_UNKNOWN_CALL;
		if (bencode_dict_add_cstr(a, reply, "warning", NG_WARN_DELETE_UNKNOWN))
			return NG_ERR_NO_MEMORY;
		return NULL;
	}
	delay = o.delete_delay >= 0 ? o.delete_delay : (int64_t)md->cfg.delete_delay_s;
	if (delay == 0) {
		int err = 0;

		/* Final statistics and tear-down in one worker round trip per media. */
		if (o.leg_summary)
			err = call_legs_add(md, c, true, a, reply);
		else if (!o.fast)
			err = call_stats_add_destroy(md, c, a, reply);
		log_info("call_delete immediate=yes");
		/* The relay media are already gone: finish the delete even without a reply. */
		call_destroy(c);
		return err != 0 ? NG_ERR_NO_MEMORY : NULL;
	}
	/* Statistics as they were at deletion time, unless the client wants a small reply. */
	if (o.leg_summary ? call_legs_add(md, c, false, a, reply) != 0 :
	    !o.fast && call_stats_add(md, c, a, reply) != 0)
		return NG_ERR_NO_MEMORY;
	/* Without a timer the call ends now; the delete itself still succeeded. */
	if (call_delete_later(md, c, (unsigned)delay) != 0)
		return NULL;
	log_info("call_delete delay_s=%lld", (long long)delay);
	return NULL;
}

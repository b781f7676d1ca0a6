/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A call's media per leg in a few hundred bytes (ng flag "leg-summary" on query and
 * delete): what the signalling side needs for its compliance record and the operator CLI,
 * without the per-stream tree that outgrows a datagram.
 */
#include <errno.h>
#include <string.h>

#include "bencode.h"
#include "call.h"
#include "mediad.h"
#include "relay.h"

#define TRY(x) do { if ((x) != 0) return ENOMEM; } while (0)

struct leg_sum {
	uint64_t packets_in, bytes_in, packets_out, bytes_out, lost;
	uint64_t drops[RELAY_DROP_COUNT];
	enum crypto_suite suite;	/* of the first media with one */
};

static void
leg_sum_add(struct leg_sum *s, const struct relay_leg_stats *ls)
{
	unsigned st, d;

	for (st = 0; st < RELAY_STREAM_COUNT; st++) {
		const struct relay_stream_stats *ss = &ls->stream[st];

		s->packets_in += ss->packets_in;
		s->bytes_in += ss->bytes_in;
		s->packets_out += ss->packets_out;
		s->bytes_out += ss->bytes_out;
		s->lost += ss->lost;
		for (d = 0; d < RELAY_DROP_COUNT; d++)
			s->drops[d] += ss->drops[d];
	}
	if (s->suite == CRYPTO_SUITE_NONE)
		s->suite = ls->rx_suite != CRYPTO_SUITE_NONE ? ls->rx_suite : ls->tx_suite;
}

static int
leg_add(struct bencode_arena *a, struct bencode_item *legs, const struct monologue *mono,
    const struct leg_sum *s)
{
	struct bencode_item *d = bencode_dict(a), *drops = bencode_dict(a), *tag;
	unsigned i;

	TRY(d == NULL || drops == NULL);
	/* the call may be destroyed before the reply is encoded: copy its strings */
	tag = bencode_str_dup(a, mono->tag, strlen(mono->tag));
	TRY(tag == NULL || bencode_dict_add(a, d, "tag", tag));
	TRY(bencode_dict_add_cstr(a, d, "interface", mono->iface->name));
	TRY(bencode_dict_add_cstr(a, d, "suite",
	    s->suite == CRYPTO_SUITE_NONE ? "" : crypto_suite_name(s->suite)));
	TRY(bencode_dict_add_int(a, d, "packets in", (int64_t)s->packets_in));
	TRY(bencode_dict_add_int(a, d, "bytes in", (int64_t)s->bytes_in));
	TRY(bencode_dict_add_int(a, d, "packets out", (int64_t)s->packets_out));
	TRY(bencode_dict_add_int(a, d, "bytes out", (int64_t)s->bytes_out));
	TRY(bencode_dict_add_int(a, d, "lost", (int64_t)s->lost));
	/* only the reasons that happened: most calls have none */
	for (i = 0; i < RELAY_DROP_COUNT; i++)
		if (s->drops[i] != 0)
			TRY(bencode_dict_add_int(a, drops, relay_drop_name((enum relay_drop)i),
			    (int64_t)s->drops[i]));
	TRY(bencode_dict_add(a, d, "drops", drops));
	return bencode_list_add(legs, d);
}

int
call_legs_add(struct mediad *md, struct call *c, bool destroy, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct relay_media_stats rs;
	struct leg_sum sum[RELAY_LEG_COUNT];
	struct bencode_item *legs = bencode_list(a);
	unsigned i, l;

	(void)md;
	memset(sum, 0, sizeof(sum));
	/* every media is snapshot (and torn down) even when the reply runs out of memory */
	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		if (c->rm[i] == NULL)
			continue;
		if (destroy) {
			relay_media_destroy_stats(c->rm[i], &rs);
			c->rm[i] = NULL;
		} else {
			relay_media_stats(c->rm[i], &rs);
		}
		for (l = 0; l < RELAY_LEG_COUNT; l++)
			leg_sum_add(&sum[l], &rs.leg[l]);
	}
	TRY(legs == NULL);
	/* monologue i is relay leg i (call_relay.c builds the media that way) */
	for (l = 0; l < RELAY_LEG_COUNT && l < 2; l++)
		if (c->mono[l] != NULL)
			TRY(leg_add(a, legs, c->mono[l], &sum[l]));
	TRY(bencode_dict_add_int(a, reply, "created", c->created));
	return bencode_dict_add(a, reply, "legs", legs);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A call's media per party from a query or delete reply: mediad's compact "legs" list
 * (flag "leg-summary"), or the per-stream "tags" tree rtpengine and mediad send without
 * it, summed the same way. Used by sigproxy's compliance record and the operator CLI.
 */
#include <errno.h>
#include <string.h>

#include "ng.h"

static void
copy_str(char *dst, size_t size, const struct bencode_item *it)
{
	size_t n = 0;

	if (it != NULL && it->type == BENCODE_STRING)
		n = it->len < size - 1 ? it->len : size - 1;
	if (n > 0)
		memcpy(dst, it->str, n);
	dst[n] = '\0';
}

static uint64_t
get_u64(const struct bencode_item *d, const char *key, bool *have)
{
	int64_t v;

	if (d == NULL || ng_get_int(d, key, &v) || v < 0)
		return 0;
	if (have != NULL)
		*have = true;
	return (uint64_t)v;
}

/* Adds n drops of reason (len bytes) to l, merging equal reasons; extra reasons are cut. */
static void
drop_add(struct ng_leg *l, const char *reason, size_t len, uint64_t n)
{
	unsigned i;

	if (len >= sizeof(l->drops[0].reason))
		len = sizeof(l->drops[0].reason) - 1;
	for (i = 0; i < l->ndrops; i++)
		if (strlen(l->drops[i].reason) == len && memcmp(l->drops[i].reason, reason, len) == 0)
			break;
	if (i == l->ndrops) {
		if (l->ndrops == NG_LEG_DROPS_MAX)
			return;
		memcpy(l->drops[i].reason, reason, len);
		l->drops[i].reason[len] = '\0';
		l->drops[i].count = 0;
		l->ndrops++;
	}
	l->drops[i].count += n;
}

static void
drops_add(struct ng_leg *l, const struct bencode_item *drops)
{
	const struct bencode_item *k;

	if (drops == NULL || drops->type != BENCODE_DICT)
		return;
	for (k = drops->child; k != NULL && k->next != NULL; k = k->next->next)
		if (k->next->type == BENCODE_INTEGER && k->next->num > 0)
			drop_add(l, k->str, k->len, (uint64_t)k->next->num);
}

/* Which slot a party's tag goes to: the caller's tag to 0, the first other one to 1. */
static struct ng_leg *
leg_slot(struct ng_leg legs[2], const char *tag, size_t tlen, const char *caller_tag)
{
	struct ng_leg *l;

	if (caller_tag != NULL && strlen(caller_tag) == tlen && memcmp(caller_tag, tag, tlen) == 0)
		l = &legs[0];
	else if (caller_tag == NULL && !legs[0].present)
		l = &legs[0];
	else
		l = &legs[1];
	if (l->present)
		return NULL;	/* a third party (a fork's branch): not a leg of the call */
	memset(l, 0, sizeof(*l));
	l->present = true;
	return l;
}

static int
read_compact(const struct bencode_item *list, const char *caller_tag, struct ng_leg legs[2])
{
	const struct bencode_item *d;
	struct ng_leg *l;

	for (d = list->child; d != NULL; d = d->next) {
		const struct bencode_item *tag = ng_dict_get(d, "tag");

		if (d->type != BENCODE_DICT || tag == NULL || tag->type != BENCODE_STRING)
			continue;
		l = leg_slot(legs, tag->str, tag->len, caller_tag);
		if (l == NULL)
			continue;
		copy_str(l->tag, sizeof(l->tag), tag);
		copy_str(l->iface, sizeof(l->iface), ng_dict_get(d, "interface"));
		copy_str(l->suite, sizeof(l->suite), ng_dict_get(d, "suite"));
		l->packets_in = get_u64(d, "packets in", NULL);
		l->bytes_in = get_u64(d, "bytes in", NULL);
		l->packets_out = get_u64(d, "packets out", &l->have_out);
		l->bytes_out = get_u64(d, "bytes out", NULL);
		l->lost = get_u64(d, "lost", &l->have_lost);
		drops_add(l, ng_dict_get(d, "drops"));
	}
	return 0;
}

static void
read_stream(struct ng_leg *l, const struct bencode_item *st)
{
	const struct bencode_item *in = ng_dict_get(st, "stats"), *out = ng_dict_get(st, "stats_out");

	l->packets_in += get_u64(in, "packets", NULL);
	l->bytes_in += get_u64(in, "bytes", NULL);
	l->packets_out += get_u64(out, "packets", &l->have_out);
	l->bytes_out += get_u64(out, "bytes", NULL);
	l->lost += get_u64(st, "lost", &l->have_lost);
	drops_add(l, ng_dict_get(st, "drops"));
	if (l->suite[0] == '\0')
		copy_str(l->suite, sizeof(l->suite), ng_dict_get(st, "crypto suite"));
}

static int
read_tree(const struct bencode_item *tags, const char *caller_tag, struct ng_leg legs[2])
{
	const struct bencode_item *k, *td, *medias, *md, *streams, *st;
	struct ng_leg *l;

	for (k = tags->child; k != NULL && k->next != NULL; k = k->next->next) {
		td = k->next;
		if (td->type != BENCODE_DICT)
			continue;
		l = leg_slot(legs, k->str, k->len, caller_tag);
		if (l == NULL)
			continue;
		copy_str(l->tag, sizeof(l->tag), k);
		copy_str(l->iface, sizeof(l->iface), ng_dict_get(td, "interface"));
		medias = ng_dict_get(td, "medias");
		for (md = medias != NULL && medias->type == BENCODE_LIST ? medias->child : NULL;
		    md != NULL; md = md->next) {
			streams = ng_dict_get(md, "streams");
			for (st = streams != NULL && streams->type == BENCODE_LIST ?
			    streams->child : NULL; st != NULL; st = st->next)
				if (st->type == BENCODE_DICT)
					read_stream(l, st);
		}
	}
	return 0;
}

int
ng_legs_read(const struct bencode_item *reply, const char *caller_tag, struct ng_leg legs[2])
{
	const struct bencode_item *it;

	memset(legs, 0, 2 * sizeof(*legs));
	if (reply == NULL || reply->type != BENCODE_DICT)
		return EINVAL;
	it = ng_dict_get(reply, "legs");
	if (it != NULL && it->type == BENCODE_LIST)
		return read_compact(it, caller_tag, legs);
	it = ng_dict_get(reply, "tags");
	if (it != NULL && it->type == BENCODE_DICT)
		return read_tree(it, caller_tag, legs);
	return ENOENT;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Call statistics: rtpengine-shaped dictionaries for query/delete and the metrics collector. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "bencode.h"
#include "call.h"
#include "mediad.h"
#include "metrics.h"
#include "ng.h"
#include "relay.h"
#include "timeutil.h"

#define TRY(x) do { if ((x) != 0) return ENOMEM; } while (0)

/* The reply may be encoded after the call is gone (delete): copy every call string. */
static const char *
arena_strdup(struct bencode_arena *a, const char *s)
{
	size_t len = strlen(s);
	char *p = bencode_arena_alloc(a, len + 1);

	if (p != NULL)
		memcpy(p, s, len + 1);
	return p;
}

static int
add_copy(struct bencode_arena *a, struct bencode_item *d, const char *key, const char *value)
{
	const char *v = arena_strdup(a, value);

	return v == NULL ? ENOMEM : bencode_dict_add_cstr(a, d, key, v);
}

static const char *
family_name(const struct sa *a)
{
	return sa_family(a) == AF_INET6 ? "IPv6" : "IPv4";
}

static struct bencode_item *
counters_dict(struct bencode_arena *a, uint64_t packets, uint64_t bytes, uint64_t errors)
{
	struct bencode_item *d = bencode_dict(a);

	if (d == NULL || bencode_dict_add_int(a, d, "packets", (int64_t)packets) ||
	    bencode_dict_add_int(a, d, "bytes", (int64_t)bytes) ||
	    bencode_dict_add_int(a, d, "errors", (int64_t)errors))
		return NULL;
	return d;
}

static uint64_t
drops_sum(const struct relay_stream_stats *s)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < RELAY_DROP_COUNT; i++)
		n += s->drops[i];
	return n;
}

/*
 * Drops by reason ("auth", "replay", ...), only the reasons that happened: a clean
 * stream adds an empty dictionary, so replies stay small for the many calls without
 * trouble.
 */
static struct bencode_item *
drops_dict(struct bencode_arena *a, const struct relay_stream_stats *s)
{
	struct bencode_item *d = bencode_dict(a);
	unsigned i;

	for (i = 0; d != NULL && i < RELAY_DROP_COUNT; i++)
		if (s->drops[i] != 0 && bencode_dict_add_int(a, d,
		    relay_drop_name((enum relay_drop)i), (int64_t)s->drops[i]))
			return NULL;
	return d;
}

struct totals {
	uint64_t packets[RELAY_STREAM_COUNT], bytes[RELAY_STREAM_COUNT], errors[RELAY_STREAM_COUNT];
};

/* Monotonic ms of a last packet turned into wall-clock seconds for the reply. */
static int64_t
wall_of_mono(uint64_t ms)
{
	uint64_t now = time_mono_ms();

	if (ms == 0)
		return 0;
	return time_wall_s() - (int64_t)((now > ms ? now - ms : 0) / 1000u);
}

static int
add_endpoint(struct bencode_arena *a, struct bencode_item *d, const char *key, const struct sa *ep)
{
	struct bencode_item *e = bencode_dict(a);
	char buf[SA_STRLEN];

	if (e == NULL)
		return ENOMEM;
	if (sa_family(ep) == AF_INET || sa_family(ep) == AF_INET6) {
		struct bencode_item *s;

		sa_format_ip(ep, buf, sizeof(buf));
		s = bencode_str_dup(a, buf, strlen(buf));
		TRY(s == NULL);
		TRY(bencode_dict_add_cstr(a, e, "family", family_name(ep)));
		TRY(bencode_dict_add(a, e, "address", s));
		TRY(bencode_dict_add_int(a, e, "port", sa_port(ep)));
	}
	return bencode_dict_add(a, d, key, e);
}

static int
add_stream(struct bencode_arena *a, struct bencode_item *streams, const struct monologue *mono,
    const struct call_media *cm, const struct relay_leg_stats *ls, unsigned sid,
    struct totals *t)
{
	struct bencode_item *st = bencode_dict(a), *flags = bencode_list(a), *s, *ctr;
	const struct sa *adv = sid == RELAY_STREAM_RTP ? &cm->remote_rtp : &cm->remote_rtcp;
	const struct sa *ep = adv;
	uint16_t port = (uint16_t)(cm->ports.port + (sid == RELAY_STREAM_RTCP && !cm->rtcp_mux));
	char buf[SA_STRLEN];

	TRY(st == NULL || flags == NULL);
	TRY(bencode_dict_add_int(a, st, "local port", port));
	sa_format_ip(&mono->iface->advertised, buf, sizeof(buf));
	s = bencode_str_dup(a, buf, strlen(buf));
	TRY(s == NULL);
	TRY(bencode_dict_add(a, st, "local address", s));
	TRY(bencode_dict_add_cstr(a, st, "family", family_name(&mono->iface->advertised)));
	if (ls != NULL && (sa_family(&ls->dest[sid]) == AF_INET ||
	    sa_family(&ls->dest[sid]) == AF_INET6))
		ep = &ls->dest[sid];
	TRY(add_endpoint(a, st, "endpoint", ep));
	TRY(add_endpoint(a, st, "advertised endpoint", adv));
	if (call_media_srtp(cm) && cm->have_our_key)
		TRY(bencode_dict_add_cstr(a, st, "crypto suite",
		    crypto_suite_name(cm->ours.key.suite)));
	TRY(bencode_dict_add_int(a, st, "last packet",
	    ls != NULL ? wall_of_mono(ls->stream[sid].last_packet_ms) : 0));
	TRY(bencode_list_add(flags, bencode_cstr(a, sid == RELAY_STREAM_RTP ? "RTP" : "RTCP")));
	if (sa_family(adv) == AF_INET || sa_family(adv) == AF_INET6)
		TRY(bencode_list_add(flags, bencode_cstr(a, "filled")));
	if (ls != NULL && ls->latched[sid])
		TRY(bencode_list_add(flags, bencode_cstr(a, "confirmed")));
	TRY(bencode_dict_add(a, st, "flags", flags));
	if (ls != NULL) {
		const struct relay_stream_stats *ss = &ls->stream[sid];
		uint64_t errs = drops_sum(ss);

		ctr = counters_dict(a, ss->packets_in, ss->bytes_in, errs);
		TRY(ctr == NULL);
		TRY(bencode_dict_add(a, st, "stats", ctr));
		ctr = drops_dict(a, ss);
		TRY(ctr == NULL);
		TRY(bencode_dict_add(a, st, "drops", ctr));
		ctr = counters_dict(a, ss->packets_out, ss->bytes_out, 0);
		TRY(ctr == NULL);
		TRY(bencode_dict_add(a, st, "stats_out", ctr));
		t->packets[sid] += ss->packets_in;
		t->bytes[sid] += ss->bytes_in;
		t->errors[sid] += errs;
	} else {
		ctr = counters_dict(a, 0, 0, 0);
		TRY(ctr == NULL);
		TRY(bencode_dict_add(a, st, "stats", ctr));
	}
	return bencode_list_add(streams, st);
}

static int
add_media(struct bencode_arena *a, struct bencode_item *medias, const struct monologue *mono,
    const struct call_media *cm, const struct relay_leg_stats *ls, struct totals *t)
{
	struct bencode_item *md = bencode_dict(a), *flags = bencode_list(a);
	struct bencode_item *streams = bencode_list(a);

	TRY(md == NULL || flags == NULL || streams == NULL);
	TRY(bencode_dict_add_int(a, md, "index", cm->index));
	TRY(add_copy(a, md, "type", cm->type));
	TRY(bencode_dict_add_cstr(a, md, "protocol",
	    sdp_proto_name(cm->proto) ? sdp_proto_name(cm->proto) : "unknown"));
	TRY(bencode_list_add(flags, bencode_cstr(a, "initialized")));
	if (cm->receives)
		TRY(bencode_list_add(flags, bencode_cstr(a, "send")));
	if (cm->sends)
		TRY(bencode_list_add(flags, bencode_cstr(a, "recv")));
	if (call_media_srtp(cm))
		TRY(bencode_list_add(flags, bencode_cstr(a, "SDES")));
	if (cm->osrtp)
		TRY(bencode_list_add(flags, bencode_cstr(a, "OSRTP")));
	if (cm->rtcp_mux)
		TRY(bencode_list_add(flags, bencode_cstr(a, "rtcp-mux")));
	TRY(bencode_dict_add(a, md, "flags", flags));
	if (cm->have_ports) {
		TRY(add_stream(a, streams, mono, cm, ls, RELAY_STREAM_RTP, t));
		if (!cm->rtcp_mux)
			TRY(add_stream(a, streams, mono, cm, ls, RELAY_STREAM_RTCP, t));
	}
	TRY(bencode_dict_add(a, md, "streams", streams));
	return bencode_list_add(medias, md);
}

/* Builds the reply from snapshots already taken (have[i]: rs[i] is valid). */
static int
stats_build(const struct call *c, const struct relay_media_stats *rs, const bool *have,
    struct bencode_arena *a, struct bencode_item *reply)
{
	struct bencode_item *tags = bencode_dict(a), *totals, *d;
	struct totals t;
	unsigned i, j;

	TRY(tags == NULL);
	memset(&t, 0, sizeof(t));
	TRY(bencode_dict_add_int(a, reply, "created", c->created));
	TRY(bencode_dict_add_int(a, reply, "created_us", c->created_us));
	TRY(bencode_dict_add_int(a, reply, "last signal", c->last_signal));
	for (i = 0; i < 2; i++) {
		const struct monologue *mono = c->mono[i];
		struct bencode_item *td, *medias;

		/* Tags key a dictionary: two equal ones (a hostile restore record) show once. */
		if (mono == NULL || (i == 1 && c->mono[0] != NULL && strcmp(c->mono[0]->tag,
		    mono->tag) == 0))
			continue;
		td = bencode_dict(a);
		medias = bencode_list(a);
		TRY(td == NULL || medias == NULL);
		TRY(add_copy(a, td, "tag", mono->tag));
		if (mono->label != NULL)
			TRY(add_copy(a, td, "label", mono->label));
		if (mono->via_branch != NULL)
			TRY(add_copy(a, td, "via-branch", mono->via_branch));
		TRY(bencode_dict_add_cstr(a, td, "interface", mono->iface->name));
		TRY(bencode_dict_add_int(a, td, "created", mono->created));
		for (j = 0; j < mono->nmedia; j++)
			TRY(add_media(a, medias, mono, &mono->media[j],
			    have[j] ? &rs[j].leg[i] : NULL, &t));
		TRY(bencode_dict_add(a, td, "medias", medias));
		/* Tags are dictionary keys; an untagged side shows as "" like rtpengine. */
		{
			const char *key = arena_strdup(a, mono->tag);

			TRY(key == NULL || bencode_dict_add(a, tags, key, td));
		}
	}
	TRY(bencode_dict_add(a, reply, "tags", tags));
	totals = bencode_dict(a);
	TRY(totals == NULL);
	d = counters_dict(a, t.packets[0], t.bytes[0], t.errors[0]);
	TRY(d == NULL || bencode_dict_add(a, totals, "RTP", d));
	d = counters_dict(a, t.packets[1], t.bytes[1], t.errors[1]);
	TRY(d == NULL || bencode_dict_add(a, totals, "RTCP", d));
	TRY(bencode_dict_add(a, reply, "totals", totals));
	return 0;
}

/*
 * Reads each media's counters into rs (have[i]: media i exists). destroy: the media are
 * destroyed in the same worker round trip (one per media instead of a stats call and then
 * a destroy) and c->rm cleared.
 */
static void
stats_gather(struct call *c, struct relay_media_stats *rs, bool *have, bool destroy)
{
	unsigned i;

	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		have[i] = c->rm[i] != NULL;
		if (!have[i])
			continue;
		if (destroy) {
			relay_media_destroy_stats(c->rm[i], &rs[i]);
			c->rm[i] = NULL;
		} else {
			relay_media_stats(c->rm[i], &rs[i]);
		}
	}
}

int
call_stats_add(struct mediad *md, struct call *c, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct relay_media_stats rs[MEDIAD_MAX_MEDIA];
	bool have[MEDIAD_MAX_MEDIA];

	(void)md;
	stats_gather(c, rs, have, false);
	return stats_build(c, rs, have, a, reply);
}

int
call_stats_add_summary(struct mediad *md, struct call *c, struct bencode_arena *a,
    struct bencode_item *out)
{
	struct relay_media_stats rs[MEDIAD_MAX_MEDIA];
	struct relay_stream_stats sum;
	bool have[MEDIAD_MAX_MEDIA];
	struct bencode_item *full = bencode_dict(a), *drops, *suites = bencode_list(a);
	unsigned i, l, s, d;

	(void)md;
	TRY(full == NULL || suites == NULL);
	memset(&sum, 0, sizeof(sum));
	stats_gather(c, rs, have, false);
	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		if (!have[i])
			continue;
		for (l = 0; l < RELAY_LEG_COUNT; l++)
			for (s = 0; s < RELAY_STREAM_COUNT; s++)
				for (d = 0; d < RELAY_DROP_COUNT; d++)
					sum.drops[d] += rs[i].leg[l].stream[s].drops[d];
	}
	/* The full tree is only built for its totals; it stays in the arena, unsent. */
	TRY(stats_build(c, rs, have, a, full));
	TRY(bencode_dict_add(a, out, "totals", ng_dict_get(full, "totals")));
	drops = drops_dict(a, &sum);
	TRY(drops == NULL || bencode_dict_add(a, out, "drops", drops));
	/* The suite each leg speaks (first media), "" for plain RTP: who is encrypted. */
	for (l = 0; l < RELAY_LEG_COUNT; l++) {
		enum crypto_suite su = have[0] ? rs[0].leg[l].tx_suite : CRYPTO_SUITE_NONE;

		TRY(bencode_list_add(suites, bencode_cstr(a,
		    su == CRYPTO_SUITE_NONE ? "" : crypto_suite_name(su))));
	}
	TRY(bencode_dict_add(a, out, "crypto suites", suites));
	return bencode_dict_add_int(a, out, "last packet",
	    wall_of_mono(call_stats_last_packet_ms(c)));
}

int
call_stats_add_destroy(struct mediad *md, struct call *c, struct bencode_arena *a,
    struct bencode_item *reply)
{
	struct relay_media_stats rs[MEDIAD_MAX_MEDIA];
	bool have[MEDIAD_MAX_MEDIA];

	(void)md;
	stats_gather(c, rs, have, true);
	return stats_build(c, rs, have, a, reply);
}

uint64_t
call_stats_last_packet_ms(struct call *c)
{
	uint64_t last = 0, t;
	unsigned i;

	for (i = 0; i < MEDIAD_MAX_MEDIA; i++) {
		if (c->rm[i] == NULL)
			continue;
		t = relay_media_last_packet_ms(c->rm[i]);
		if (t > last)
			last = t;
	}
	return last;
}

/*
 * Port pairs per interface. No per-call series: their number grows with the calls and
 * a scraper keeps every one it ever saw; per-call counters are in the ng query/list
 * replies, and the relay's counters per worker are in the registry (sbc_relay_*).
 */
void
call_stats_collect(struct evbuffer *out, void *arg)
{
	struct mediad *md = arg;
	unsigned i;
	char labels[96];

	metric_set(md->ctr.calls_active, md->calls.count);
	for (i = 0; i < md->cfg.niface; i++) {
		snprintf(labels, sizeof(labels), "iface=\"%s\"", md->cfg.ifaces[i].name);
		metrics_write(out, "mediad_port_pairs_in_use", "gauge", i == 0 ?
		    "Port pairs allocated on an interface" : NULL, labels,
		    port_pool_in_use(md->cfg.ifaces[i].pool));
	}
	for (i = 0; i < md->cfg.niface; i++) {
		struct port_pool *p = md->cfg.ifaces[i].pool;

		snprintf(labels, sizeof(labels), "iface=\"%s\"", md->cfg.ifaces[i].name);
		metrics_write(out, "mediad_port_pairs_free", "gauge", i == 0 ?
		    "Port pairs still free on an interface" : NULL, labels,
		    port_pool_size(p) - port_pool_in_use(p));
	}
}

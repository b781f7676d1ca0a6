/* SPDX-License-Identifier: BSD-2-Clause */
/* Call media state and this mediad's registration in Redis, written asynchronously. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "call.h"
#include "call_store_argv.h"
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "redis.h"
#include "redis_backlog.h"
#include "redis_metrics.h"
#include "redis_keys.h"
#include "timeutil.h"

#define CALL_STORE_WRITE_DELAY_MS 25

struct call_store {
	struct mediad *md;
	struct redis_conn *r;
	struct redis_backlog *backlog;  /* deletes not yet acknowledged by Redis */
	call_store_connected_h *connected_h;  /* run on the first connection */
	void *connected_arg;
	struct event *reg_ev;
	bool connected;
	bool was_connected;
	bool deregistered;      /* shutting down: the registration is not written again */
	uint64_t lost_writes;   /* writes skipped while disconnected (re-synced on connect) */
	uint64_t serial;        /* the last call serial given out (write replies find their call) */
	/* Reused by every write (control thread only): no 20 KB calloc and wipe per command. */
	struct argv_buf argv;
	struct argv_buf hdel;   /* DEL/HDEL of a call write, sent before argv's HSET */
};

static void
write_done(struct redisReply *reply, void *arg)
{
	struct call_store *s = arg;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		metric_inc(s->md->ctr.redis_write_failures);
		log_warnx("redis_write_failed error=%s", LOG_Q(reply == NULL ? "no reply" :
		    reply->str != NULL ? reply->str : "?"));
	}
}

/* Whether media cm of a party is relayed as SRTP, so that its indexes are stored. */
static bool
media_has_index(const struct call_media *cm)
{
	return call_media_srtp(cm) && cm->have_peer_key && cm->have_our_key;
}

/* <side>_m<j+1>_rx_index and _tx_index from idx. */
static void
index_fields(struct argv_buf *b, char side, unsigned j, const struct relay_srtp_state *idx)
{
	char name[64], val[CALL_INDEX_STRLEN];

	store_media_name(name, sizeof(name), side, j + 1, "rx_index");
	if (call_index_format(val, sizeof(val), idx->rx, idx->nrx))
		b->overflow = true;
	store_field(b, name, val);
	store_media_name(name, sizeof(name), side, j + 1, "tx_index");
	if (call_index_format(val, sizeof(val), idx->tx, idx->ntx))
		b->overflow = true;
	store_field(b, name, val);
}

static void
leg_fields(struct argv_buf *b, const struct call *c, unsigned i, struct call_stored *st)
{
	const struct monologue *mono = c->mono[i];
	char name[64], val[SA_STRLEN + 16], a[SA_STRLEN];
	char side = i == 0 ? 'a' : 'b';
	unsigned j;

	st->side[i] = true;
	st->label[i] = mono->label != NULL;
	st->via[i] = mono->via_branch != NULL;
	st->nmedia[i] = mono->nmedia;

	store_media_name(name, sizeof(name), side, 0, "tag");
	store_field(b, name, mono->tag);
	if (mono->label != NULL) {
		store_media_name(name, sizeof(name), side, 0, "label");
		store_field(b, name, mono->label);
	}
	if (mono->via_branch != NULL) {
		store_media_name(name, sizeof(name), side, 0, "via_branch");
		store_field(b, name, mono->via_branch);
	}
	store_media_name(name, sizeof(name), side, 0, "interface");
	store_field(b, name, mono->iface->name);
	for (j = 0; j < mono->nmedia; j++) {
		const struct call_media *cm = &mono->media[j];
		uint8_t opt = 0;

		store_media_name(name, sizeof(name), side, j + 1, "type");
		store_field(b, name, cm->type);
		store_media_name(name, sizeof(name), side, j + 1, "proto");
		store_field(b, name, sdp_proto_name(cm->proto) ? sdp_proto_name(cm->proto) : "none");
		if (cm->have_ports) {
			opt |= CALL_STORED_LOCAL;
			store_media_name(name, sizeof(name), side, j + 1, "local");
			sa_format_ip(&mono->iface->addr, a, sizeof(a));
			snprintf(val, sizeof(val), "%s:%u", a, cm->ports.port);
			store_field(b, name, val);
			store_media_name(name, sizeof(name), side, j + 1, "local_rtcp");
			snprintf(val, sizeof(val), "%u", cm->rtcp_mux ? cm->ports.port :
			    cm->ports.port + 1u);
			store_field(b, name, val);
		}
		store_media_name(name, sizeof(name), side, j + 1, "remote");
		store_field(b, name, sa_family(&cm->remote_rtp) == AF_UNSPEC ? "" :
		    sa_format(&cm->remote_rtp, a, sizeof(a)));
		store_media_name(name, sizeof(name), side, j + 1, "remote_rtcp");
		store_field(b, name, sa_family(&cm->remote_rtcp) == AF_UNSPEC ? "" :
		    sa_format(&cm->remote_rtcp, a, sizeof(a)));
		store_media_name(name, sizeof(name), side, j + 1, "direction");
		store_field(b, name, cm->sends && cm->receives ? "sendrecv" : cm->sends ? "sendonly" :
		    cm->receives ? "recvonly" : "inactive");
		store_media_name(name, sizeof(name), side, j + 1, "rtcp_mux");
		store_field(b, name, cm->rtcp_mux ? "yes" : "no");
		store_media_name(name, sizeof(name), side, j + 1, "suite");
		store_field(b, name, call_media_srtp(cm) && cm->have_our_key ?
		    crypto_suite_name(cm->ours.key.suite) : "none");
		if (cm->osrtp) {
			/* SRTP although proto says RTP/AVP (RFC 8643): a restart must know */
			opt |= CALL_STORED_OSRTP;
			store_media_name(name, sizeof(name), side, j + 1, "osrtp");
			store_field(b, name, "yes");
		}
		if (cm->have_peer_key && cm->peer.key.suite != cm->ours.key.suite) {
			opt |= CALL_STORED_RXSUITE;
			store_media_name(name, sizeof(name), side, j + 1, "rx_suite");
			store_field(b, name, crypto_suite_name(cm->peer.key.suite));
		}
		/* Redis is on the trusted side (DESIGN.md): a restarted mediad needs the keys. */
		if (cm->have_peer_key) {
			opt |= CALL_STORED_RXKEY;
			store_media_name(name, sizeof(name), side, j + 1, "rx_key");
			store_field_key(b, name, &cm->peer.key);
			store_media_name(name, sizeof(name), side, j + 1, "rx_tag");
			snprintf(val, sizeof(val), "%u", cm->peer.tag);
			store_field(b, name, val);
		}
		if (cm->have_our_key) {
			opt |= CALL_STORED_TXKEY;
			store_media_name(name, sizeof(name), side, j + 1, "tx_key");
			store_field_key(b, name, &cm->ours.key);
			store_media_name(name, sizeof(name), side, j + 1, "tx_tag");
			snprintf(val, sizeof(val), "%u", cm->ours.tag);
			store_field(b, name, val);
		}
		/* The indexes go with the keys in one HSET: a re-key's fresh state replaces
		 * the old session's at once. */
		if (media_has_index(cm) && j < MEDIAD_MAX_MEDIA) {
			opt |= CALL_STORED_INDEX;
			call_index_read(c, i, j, &st->idx[i][j]);
			index_fields(b, side, j, &st->idx[i][j]);
		}
		if (j < MEDIAD_MAX_MEDIA)
			st->opt[i][j] = opt;
	}
}

/* Adds the names <side>_m<n>_<suffix> for each suffix to b. */
static void
stale_names(struct argv_buf *b, char side, unsigned j, const char *const *suffix)
{
	for (; *suffix != NULL; suffix++)
		store_arg_addf(b, "%c_m%u_%s", side, j + 1, *suffix);
}

/*
 * Adds to b (an HDEL argv) every field the hash holds after the write described
 * by old that the write described by nw no longer makes. Returns how many.
 */
static int
stale_fields(struct argv_buf *b, const struct call_stored *old, const struct call_stored *nw)
{
	static const char *const common[] = { "type", "proto", "remote", "remote_rtcp",
	    "direction", "rtcp_mux", "suite", NULL };
	static const char *const local[] = { "local", "local_rtcp", NULL };
	static const char *const rxsuite[] = { "rx_suite", NULL };
	static const char *const rxkey[] = { "rx_key", "rx_tag", NULL };
	static const char *const txkey[] = { "tx_key", "tx_tag", NULL };
	static const char *const index[] = { "rx_index", "tx_index", NULL };
	static const char *const osrtp[] = { "osrtp", NULL };
	int before = b->argc;
	unsigned i, j;

	for (i = 0; i < 2; i++) {
		char side = i == 0 ? 'a' : 'b';
		bool gone = !nw->side[i];

		if (!old->side[i])
			continue;
		if (gone) {
			store_arg_addf(b, "%c_tag", side);
			store_arg_addf(b, "%c_interface", side);
		}
		if (old->label[i] && (gone || !nw->label[i]))
			store_arg_addf(b, "%c_label", side);
		if (old->via[i] && (gone || !nw->via[i]))
			store_arg_addf(b, "%c_via_branch", side);
		for (j = 0; j < old->nmedia[i] && j < MEDIAD_MAX_MEDIA; j++) {
			bool all = gone || j >= nw->nmedia[i];
			uint8_t drop = all ? old->opt[i][j] : (uint8_t)(old->opt[i][j] &
			    ~nw->opt[i][j]);

			if (all)
				stale_names(b, side, j, common);
			if (drop & CALL_STORED_LOCAL)
				stale_names(b, side, j, local);
			if (drop & CALL_STORED_RXSUITE)
				stale_names(b, side, j, rxsuite);
			if (drop & CALL_STORED_RXKEY)
				stale_names(b, side, j, rxkey);
			if (drop & CALL_STORED_TXKEY)
				stale_names(b, side, j, txkey);
			if (drop & CALL_STORED_INDEX)
				stale_names(b, side, j, index);
			if (drop & CALL_STORED_OSRTP)
				stale_names(b, side, j, osrtp);
		}
	}
	return b->argc - before;
}

/*
 * Every write of a call's record, as one script: it lands only while the record names this
 * mediad (or names none), unless take is set (a call an offer brought here, perhaps from
 * another mediad: its first acknowledged write makes the record ours). A mediad that was
 * cut off or frozen while its call moved on would otherwise write the record back as its
 * own (on reconnect it rewrites every call whole) and later delete it as its own: the call,
 * alive on the other mediad, would lose what a restart or a move needs. The reply says
 * which: 1, or the owner that refused it.
 *   KEYS: the record, this mediad's calls index. ARGV: our id, take, TTL, whole (DEL
 *   first; and into the calls index), call-id, n, n field names to remove, then
 *   field/value pairs.
 */
static const char write_script[] =
    "local o = redis.call('HGET', KEYS[1], 'owner') "
    "if ARGV[2] ~= '1' and o and o ~= ARGV[1] then return o end "
    "local n = tonumber(ARGV[6]) "
    "if ARGV[4] == '1' then redis.call('DEL', KEYS[1]) "
    "elseif n > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 7, 6 + n)) end "
    "redis.call('HSET', KEYS[1], unpack(ARGV, 7 + n)) "
    "redis.call('EXPIRE', KEYS[1], ARGV[3]) "
    "if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[5]) end "
    "return 1";

#define WRITE_FIXED 11	/* EVAL script 2 key index id take ttl whole call-id n */

/* What a write's reply is matched against: the call may be gone, or another one by then. */
struct write_ctx {
	struct call_store *s;
	uint64_t serial;
	bool take;
	char call_id[];
};

/* Another mediad's record: the call moved on while this one was away. Its copy goes. */
static void
moved_away(struct call_store *s, struct call *c, const char *owner)
{
	log_set_call_id(c->call_id);
	log_warnx("call_moved_away owner=%s impact=%s", LOG_ESCW(owner),
	    LOG_Q("the call is relayed there; this mediad lets its copy and ports go"));
	metric_inc(s->md->ctr.calls_moved_away);
	call_destroy(c);	/* its delete spares the other mediad's record */
	log_set_call_id(NULL);
	metric_set(s->md->ctr.calls_active, s->md->calls.count);
}

static void
record_written(struct redisReply *reply, void *arg)
{
	struct write_ctx *w = arg;
	struct call_store *s = w->s;
	struct call *c;

	c = call_find(&s->md->calls, w->call_id, strlen(w->call_id));
	if (c != NULL && c->stored.serial != w->serial)
		c = NULL;	/* a later call by that id: not what was written */
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		write_done(reply, s);
		if (c != NULL)
			c->stored.valid = false;	/* unknown: rewritten whole */
	} else if (reply->type == REDIS_REPLY_INTEGER) {
		if (c != NULL && w->take)
			c->stored.owned = true;
	} else if (reply->type == REDIS_REPLY_STRING && c != NULL && c->stored.owned) {
		moved_away(s, c, reply->str);
	}
	/* else refused, but signalling brought the call here since: its next write takes it */
	free(w);
}

/*
 * Sends c's write: h holds the names of fields to remove (unless whole), b the field/value
 * pairs. Returns 0 or an errno value (nothing sent).
 */
static int
send_record(struct call_store *s, struct call *c, const char *key, bool whole,
    const struct argv_buf *h, const struct argv_buf *b)
{
	const char *av[WRITE_FIXED + 2 * STORE_MAX_ARGS];
	size_t al[WRITE_FIXED + 2 * STORE_MAX_ARGS];
	char index[256], ttl[16], nh[16];
	struct write_ctx *w;
	int n = 0, i, nhdel = whole || h == NULL ? 0 : h->argc, err;
	size_t idl = strlen(c->call_id);

	if ((size_t)snprintf(index, sizeof(index), "%s%s", SBC_KEY_MEDIAD_CALLS_PREFIX,
	    s->md->cfg.id) >= sizeof(index))
		return ENAMETOOLONG;
	snprintf(ttl, sizeof(ttl), "%u", s->md->cfg.media_ttl_s);
	snprintf(nh, sizeof(nh), "%d", nhdel);
	w = malloc(sizeof(*w) + idl + 1);
	if (w == NULL)
		return ENOMEM;
	if (c->stored.serial == 0)
		c->stored.serial = ++s->serial;
	w->s = s;
	w->serial = c->stored.serial;
	w->take = !c->stored.owned;
	memcpy(w->call_id, c->call_id, idl + 1);
#define ARG(p, l) do { av[n] = (p); al[n] = (l); n++; } while (0)
	ARG("EVAL", 4);
	ARG(write_script, sizeof(write_script) - 1);
	ARG("2", 1);
	ARG(key, strlen(key));
	ARG(index, strlen(index));
	ARG(s->md->cfg.id, strlen(s->md->cfg.id));
	ARG(w->take ? "1" : "0", 1);
	ARG(ttl, strlen(ttl));
	ARG(whole ? "1" : "0", 1);
	ARG(c->call_id, idl);
	ARG(nh, strlen(nh));
	for (i = 0; i < nhdel; i++)
		ARG(h->argv[i], h->len[i]);
	for (i = 0; i < b->argc; i++)
		ARG(b->argv[i], b->len[i]);
#undef ARG
	err = redis_cmd_argv(s->r, record_written, w, n, av, al);
	if (err) {
		free(w);
		metric_inc(s->md->ctr.redis_write_failures);
		s->lost_writes++;
	} else {
		metric_inc(s->md->ctr.redis_writes);
	}
	return err;
}

void
call_store_write(struct call_store *s, struct call *c)
{
	struct argv_buf *b = &s->argv, *h = &s->hdel;
	struct call_stored nw;
	char *key = NULL;
	bool full = !c->stored.valid;
	unsigned i;

	if (!s->connected || s->r == NULL) {
		/* Nothing waits for Redis: the write is dropped and redone on reconnect. */
		s->lost_writes++;
		metric_inc(s->md->ctr.redis_write_failures);
		c->stored.valid = false;
		return;
	}
	/* Call-IDs have no length limit: the key is built to size, never truncated. */
	if (asprintf(&key, "sbc:media:%s", c->call_id) < 0)
		return;
	memset(&nw, 0, sizeof(nw));
	nw.owned = c->stored.owned;
	nw.serial = c->stored.serial;
	store_argv_reset(b);
	store_argv_reset(h);
	store_field(b, "call_id", c->call_id);
	store_field(b, "owner", s->md->cfg.id);
	store_field(b, "state", call_state_name(c->state));
	store_arg_add(b, "created", 7);
	store_arg_addf(b, "%lld", (long long)c->created);
	store_arg_add(b, "last_signal", 11);
	store_arg_addf(b, "%lld", (long long)c->last_signal);
	store_arg_add(b, "version", 7);
	store_arg_add(b, "1", 1);
	c->stored.idx_ms = nw.idx_ms = time_mono_ms();
	for (i = 0; i < 2; i++)
		if (c->mono[i] != NULL)
			leg_fields(b, c, i, &nw);
	if (b->overflow) {
		log_warnx("redis_write_skipped reason=record-too-large");
		c->stored.valid = false;
		goto out;
	}
	/* HSET overwrites: only fields the new state no longer has need removing. */
	if (!full) {
		(void)stale_fields(h, &c->stored, &nw);
		if (h->overflow)
			full = true;
	}
	/* one script: readers never see a half-removed hash or one without its TTL */
	if (send_record(s, c, key, full, h, b) == 0) {
		nw.valid = true;
		nw.serial = c->stored.serial;
		c->stored = nw;
	} else {
		c->stored.valid = false;
	}
 out:
	store_argv_reset(b);
	store_argv_reset(h);
	free(key);
}

void
call_store_write_index(struct call_store *s, struct call *c)
{
	struct argv_buf *b = &s->argv;
	struct relay_srtp_state idx[2][MEDIAD_MAX_MEDIA];
	char *key = NULL;
	unsigned i, j;

	if (!c->stored.valid) {
		call_store_write(s, c);
		return;
	}
	if (!s->connected || s->r == NULL || asprintf(&key, "sbc:media:%s", c->call_id) < 0)
		return;
	store_argv_reset(b);
	/* Exactly the index fields the last whole write made: no stale field appears. */
	for (i = 0; i < 2; i++) {
		for (j = 0; c->mono[i] != NULL && j < c->stored.nmedia[i] &&
		    j < MEDIAD_MAX_MEDIA; j++) {
			if (!(c->stored.opt[i][j] & CALL_STORED_INDEX))
				continue;
			call_index_read(c, i, j, &idx[i][j]);
			index_fields(b, i == 0 ? 'a' : 'b', j, &idx[i][j]);
		}
	}
	c->stored.idx_ms = time_mono_ms();
	if (b->argc == 0 || b->overflow)
		goto out;
	/* The key may have expired meanwhile: a hash with only these fields expires too. */
	if (send_record(s, c, key, false, NULL, b) != 0) {
		c->stored.valid = false;
		goto out;
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < c->stored.nmedia[i] && j < MEDIAD_MAX_MEDIA; j++)
			if (c->stored.opt[i][j] & CALL_STORED_INDEX)
				c->stored.idx[i][j] = idx[i][j];
 out:
	store_argv_reset(b);
	free(key);
}

/*
 * The record goes only while it is ours: a call moved to another mediad (which rewrote the
 * record as its owner) keeps its record when this one lets go of it.
 */
static const char delete_script[] =
    "if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] or redis.call('EXISTS', KEYS[1]) == 0 "
    "then redis.call('DEL', KEYS[1]) end redis.call('SREM', KEYS[2], ARGV[2]) return 0";

void
call_store_delete(struct call_store *s, const char *call_id)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 1);
	char *key, *set = NULL;
	const char *argv[7];
	size_t len[7];
	int err, i;

	if (asprintf(&key, "sbc:media:%s", call_id) < 0)
		return;
	if (asprintf(&set, "%s%s", SBC_KEY_MEDIAD_CALLS_PREFIX, s->md->cfg.id) < 0) {
		free(key);
		return;
	}
	argv[0] = "EVAL";
	argv[1] = delete_script;
	argv[2] = "2";
	argv[3] = key;
	argv[4] = set;
	argv[5] = s->md->cfg.id;
	argv[6] = call_id;
	for (i = 0; i < 7; i++)
		len[i] = strlen(argv[i]);
	/*
	 * Kept until Redis acknowledges it: a record left behind would bring the call
	 * back as live on the next restart (call_restore).
	 */
	err = redis_backlog_send(s->backlog, s->r, 7, argv, len);
	if (err == 0) {
		metric_inc(s->md->ctr.redis_writes);
	} else if (err == EAGAIN) {
		log_info("redis_delete_kept until=redis-back");
	} else {
		metric_inc(s->md->ctr.redis_write_failures);
		if (log_ratelimit_ok(&rl, time_mono_ms()))
			log_warnx("redis_delete_dropped reason=%s suppressed=%llu impact=%s action=%s",
			    err == ENOBUFS ? "backlog-full" : "out-of-memory", rl.suppressed,
			    LOG_Q("the record expires by its TTL"), LOG_Q("raise [redis] pending_max"));
	}
	free(set);
	free(key);
}

static void
store_collect(struct evbuffer *out, void *arg)
{
	struct call_store *s = arg;

	redis_metrics_write(out, "mediad", s->r, s->backlog);
}

static void
registration_write(struct call_store *s)
{
	if (s->connected && s->r != NULL && !s->deregistered)
		call_registry_write(s->md, s->r);
}

void
call_store_register_now(struct call_store *s)
{
	registration_write(s);
}

struct redis_conn *
call_store_redis(struct call_store *s)
{
	return s->r;
}

struct redis_backlog *
call_store_backlog(struct call_store *s)
{
	return s->backlog;
}

static void
reg_timer(evutil_socket_t fd, short what, void *arg)
{
	registration_write(arg);
}

static void
state_changed(enum redis_state st, const char *reason, void *arg)
{
	struct call_store *s = arg;
	char peer[SA_STRLEN + 8];
	unsigned replayed, n = 0;
	struct call *c;

	redis_conn_peer(s->r, peer, sizeof(peer));
	if (st == REDIS_STATE_CONNECTED) {
		s->connected = true;
		/* deletes first: a call that ended while Redis was away must not come back */
		replayed = redis_backlog_replay(s->backlog, s->r);
		if (!s->was_connected && s->connected_h != NULL)
			s->connected_h(s->r, s->connected_arg);
		s->was_connected = true;
		registration_write(s);
		/*
		 * Writes made while Redis was away were dropped, and Redis may have restarted
		 * empty or be a new master: rewrite every call now.
		 */
		for (c = s->md->calls.head; c != NULL; c = c->next, n++)
			call_store_write(s, c);
		log_info("redis_connected server=%s replayed=%u rewritten=%u", LOG_Q(peer), replayed,
		    n);
		s->lost_writes = 0;
	} else {
		/* Once per outage: the reconnects that fail again are not reported. */
		if (s->connected || !s->was_connected)
			log_warnx("%s server=%s reason=%s retrying=yes impact=%s",
			    s->was_connected ? "redis_lost" : "redis_unreachable", LOG_Q(peer),
			    LOG_Q(reason != NULL ? reason : "unknown"),
			    LOG_Q("calls keep flowing; records and registration wait"));
		s->connected = false;
		/* What reaches Redis from now on is unknown: next writes rewrite whole hashes. */
		for (c = s->md->calls.head; c != NULL; c = c->next)
			c->stored.valid = false;
	}
}

int
call_store_alloc(struct call_store **sp, struct mediad *md, call_store_connected_h *h,
    void *arg)
{
	struct call_store *s;
	struct redis_opts o;
	struct timeval tv;
	int err;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ENOMEM;
	s->md = md;
	s->connected_h = h;
	s->connected_arg = arg;
	redis_conf_opts(&md->cfg.redis, &o);
	/*
	 * Call records are written for a restart to read back, nothing waits for them:
	 * batched, they cost Redis and us one write and one wakeup per batch instead of
	 * per offer, answer and delete.
	 */
	o.write_delay_ms = CALL_STORE_WRITE_DELAY_MS;
	s->reg_ev = event_new(md->base, -1, EV_PERSIST, reg_timer, s);
	if (s->reg_ev == NULL) {
		err = ENOMEM;
		goto out;
	}
	tv = timeval_from_ms(md->cfg.reg_interval_ms);
	event_add(s->reg_ev, &tv);
	err = redis_backlog_alloc(&s->backlog, md->base, md->cfg.redis.pending_max,
	    md->cfg.redis.wait_ms);
	if (err == 0)
		err = redis_conn_alloc(&s->r, md->base, &o, state_changed, s);
	if (err == 0 && md->metrics != NULL)
		err = metrics_add_collector(md->metrics, store_collect, s);
 out:
	if (err)
		call_store_free(s);
	else
		*sp = s;
	return err;
}

void
call_store_free(struct call_store *s)
{
	size_t n;

	if (s == NULL)
		return;
	if (s->reg_ev != NULL)
		event_free(s->reg_ev);
	if (s->r != NULL)
		redis_conn_free(s->r);
	/* after the connection: its failed replies still point into the backlog */
	n = redis_backlog_free(s->backlog);
	if (n > 0)
		log_warnx("redis_pending_lost deletes=%zu impact=%s", n,
		    LOG_Q("not acknowledged before the stop; records expire by TTL, the next "
		    "start checks sbc:call"));
	free(s);
}

bool
call_store_connected(const struct call_store *s)
{
	return s->connected;
}

int
call_store_deregister(struct call_store *s, redis_reply_h *h, void *arg)
{
	s->deregistered = true;
	if (s->reg_ev != NULL)
		event_del(s->reg_ev);
	if (!s->connected || s->r == NULL)
		return ENOTCONN;
	return call_registry_remove(s->md, s->r, h, arg);
}

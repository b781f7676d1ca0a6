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
#include "log.h"
#include "mediad.h"
#include "metrics.h"
#include "redis.h"
#include "redis_keys.h"
#include "timeutil.h"

#define STORE_MAX_ARGS 256
#define CALL_STORE_WRITE_DELAY_MS 25
#define STORE_BUF 16384

/* An argv under construction; strings live in buf. */
struct argv_buf {
	const char *argv[STORE_MAX_ARGS];
	size_t len[STORE_MAX_ARGS];
	int argc;
	char buf[STORE_BUF];
	size_t used;
	bool overflow;
};

struct call_store {
	struct mediad *md;
	struct redis_conn *r;
	call_store_connected_h *connected_h;  /* run on the first connection */
	void *connected_arg;
	struct event *reg_ev;
	bool connected;
	bool was_connected;
	uint64_t lost_writes;   /* writes skipped while disconnected (re-synced on connect) */
	/* Reused by every write (control thread only): no 20 KB calloc and wipe per command. */
	struct argv_buf argv;
	struct argv_buf hdel;   /* DEL/HDEL of a call write, sent before argv's HSET */
};

/* Empties b; the bytes used so far are wiped, since they may hold SRTP keys. */
static void
argv_reset(struct argv_buf *b)
{
	explicit_bzero(b->buf, b->used);
	b->argc = 0;
	b->used = 0;
	b->overflow = false;
}

static void
arg_add(struct argv_buf *b, const char *s, size_t len)
{
	if (b->argc >= STORE_MAX_ARGS || b->used + len + 1 > sizeof(b->buf)) {
		b->overflow = true;
		return;
	}
	memcpy(b->buf + b->used, s, len);
	b->buf[b->used + len] = '\0';
	b->argv[b->argc] = b->buf + b->used;
	b->len[b->argc] = len;
	b->argc++;
	b->used += len + 1;
}

static void arg_addf(struct argv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
arg_addf(struct argv_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->overflow = true;
		return;
	}
	arg_add(b, tmp, (size_t)n);
}

static void
field(struct argv_buf *b, const char *name, const char *value)
{
	arg_add(b, name, strlen(name));
	arg_add(b, value, strlen(value));
}

static void
field_key(struct argv_buf *b, const char *name, const struct crypto_key *k)
{
	char text[80];

	if (sdp_base64_encode(text, sizeof(text), k->key_salt, k->key_salt_len, true, NULL)) {
		b->overflow = true;
		return;
	}
	field(b, name, text);
	explicit_bzero(text, sizeof(text));
}

static void
write_done(struct redisReply *reply, void *arg)
{
	struct call_store *s = arg;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		metric_inc(s->md->ctr.redis_write_failures);
		log_warnx("redis_write_failed error=\"%s\"", reply == NULL ? "no reply" :
		    reply->str != NULL ? reply->str : "?");
	}
}

static int
send_argv(struct call_store *s, struct argv_buf *b)
{
	int err;

	err = redis_cmd_argv(s->r, write_done, s, b->argc, b->argv, b->len);
	if (err) {
		metric_inc(s->md->ctr.redis_write_failures);
		s->lost_writes++;
	} else {
		metric_inc(s->md->ctr.redis_writes);
	}
	return err;
}

/*
 * "<side>_m<n>_<suffix>" (n > 0) or "<side>_<suffix>" (n == 0) into buf: a call write
 * makes some 40 of these, and snprintf was most of its cost.
 */
static void
media_name(char *buf, size_t size, char side, unsigned n, const char *suffix)
{
	char digits[12], *d = digits + sizeof(digits);
	size_t slen = strlen(suffix), dlen, off = 0;
	bool media = n != 0;

	do {
		*--d = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	dlen = (size_t)(digits + sizeof(digits) - d);
	if (size < 4 + dlen + slen)
		abort();   /* callers pass 64-byte buffers and fixed suffixes */
	buf[off++] = side;
	buf[off++] = '_';
	if (media) {
		buf[off++] = 'm';
		memcpy(buf + off, d, dlen);
		off += dlen;
		buf[off++] = '_';
	}
	memcpy(buf + off, suffix, slen + 1);
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

	media_name(name, sizeof(name), side, j + 1, "rx_index");
	if (call_index_format(val, sizeof(val), idx->rx, idx->nrx))
		b->overflow = true;
	field(b, name, val);
	media_name(name, sizeof(name), side, j + 1, "tx_index");
	if (call_index_format(val, sizeof(val), idx->tx, idx->ntx))
		b->overflow = true;
	field(b, name, val);
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

	media_name(name, sizeof(name), side, 0, "tag");
	field(b, name, mono->tag);
	if (mono->label != NULL) {
		media_name(name, sizeof(name), side, 0, "label");
		field(b, name, mono->label);
	}
	if (mono->via_branch != NULL) {
		media_name(name, sizeof(name), side, 0, "via_branch");
		field(b, name, mono->via_branch);
	}
	media_name(name, sizeof(name), side, 0, "interface");
	field(b, name, mono->iface->name);
	for (j = 0; j < mono->nmedia; j++) {
		const struct call_media *cm = &mono->media[j];
		uint8_t opt = 0;

		media_name(name, sizeof(name), side, j + 1, "type");
		field(b, name, cm->type);
		media_name(name, sizeof(name), side, j + 1, "proto");
		field(b, name, sdp_proto_name(cm->proto) ? sdp_proto_name(cm->proto) : "none");
		if (cm->have_ports) {
			opt |= CALL_STORED_LOCAL;
			media_name(name, sizeof(name), side, j + 1, "local");
			sa_format_ip(&mono->iface->addr, a, sizeof(a));
			snprintf(val, sizeof(val), "%s:%u", a, cm->ports.port);
			field(b, name, val);
			media_name(name, sizeof(name), side, j + 1, "local_rtcp");
			snprintf(val, sizeof(val), "%u", cm->rtcp_mux ? cm->ports.port :
			    cm->ports.port + 1u);
			field(b, name, val);
		}
		media_name(name, sizeof(name), side, j + 1, "remote");
		field(b, name, sa_family(&cm->remote_rtp) == AF_UNSPEC ? "" :
		    sa_format(&cm->remote_rtp, a, sizeof(a)));
		media_name(name, sizeof(name), side, j + 1, "remote_rtcp");
		field(b, name, sa_family(&cm->remote_rtcp) == AF_UNSPEC ? "" :
		    sa_format(&cm->remote_rtcp, a, sizeof(a)));
		media_name(name, sizeof(name), side, j + 1, "direction");
		field(b, name, cm->sends && cm->receives ? "sendrecv" : cm->sends ? "sendonly" :
		    cm->receives ? "recvonly" : "inactive");
		media_name(name, sizeof(name), side, j + 1, "rtcp_mux");
		field(b, name, cm->rtcp_mux ? "yes" : "no");
		media_name(name, sizeof(name), side, j + 1, "suite");
		field(b, name, call_media_srtp(cm) && cm->have_our_key ?
		    crypto_suite_name(cm->ours.key.suite) : "none");
		if (cm->osrtp) {
			/* SRTP although proto says RTP/AVP (RFC 8643): a restart must know */
			opt |= CALL_STORED_OSRTP;
			media_name(name, sizeof(name), side, j + 1, "osrtp");
			field(b, name, "yes");
		}
		if (cm->have_peer_key && cm->peer.key.suite != cm->ours.key.suite) {
			opt |= CALL_STORED_RXSUITE;
			media_name(name, sizeof(name), side, j + 1, "rx_suite");
			field(b, name, crypto_suite_name(cm->peer.key.suite));
		}
		/* Redis is on the trusted side (DESIGN.md): a restarted mediad needs the keys. */
		if (cm->have_peer_key) {
			opt |= CALL_STORED_RXKEY;
			media_name(name, sizeof(name), side, j + 1, "rx_key");
			field_key(b, name, &cm->peer.key);
			media_name(name, sizeof(name), side, j + 1, "rx_tag");
			snprintf(val, sizeof(val), "%u", cm->peer.tag);
			field(b, name, val);
		}
		if (cm->have_our_key) {
			opt |= CALL_STORED_TXKEY;
			media_name(name, sizeof(name), side, j + 1, "tx_key");
			field_key(b, name, &cm->ours.key);
			media_name(name, sizeof(name), side, j + 1, "tx_tag");
			snprintf(val, sizeof(val), "%u", cm->ours.tag);
			field(b, name, val);
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
		arg_addf(b, "%c_m%u_%s", side, j + 1, *suffix);
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
			arg_addf(b, "%c_tag", side);
			arg_addf(b, "%c_interface", side);
		}
		if (old->label[i] && (gone || !nw->label[i]))
			arg_addf(b, "%c_label", side);
		if (old->via[i] && (gone || !nw->via[i]))
			arg_addf(b, "%c_via_branch", side);
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

void
call_store_write(struct call_store *s, struct call *c)
{
	struct argv_buf *b = &s->argv, *h = &s->hdel;
	struct call_stored nw;
	char *key = NULL;
	bool full = !c->stored.valid, ok = true;
	int nstale = 0;
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
	argv_reset(b);
	argv_reset(h);
	arg_add(b, "HSET", 4);
	arg_add(b, key, strlen(key));
	field(b, "call_id", c->call_id);
	field(b, "owner", s->md->cfg.id);
	field(b, "state", call_state_name(c->state));
	arg_add(b, "created", 7);
	arg_addf(b, "%lld", (long long)c->created);
	arg_add(b, "last_signal", 11);
	arg_addf(b, "%lld", (long long)c->last_signal);
	arg_add(b, "version", 7);
	arg_add(b, "1", 1);
	c->stored.idx_ms = nw.idx_ms = time_mono_ms();
	for (i = 0; i < 2; i++)
		if (c->mono[i] != NULL)
			leg_fields(b, c, i, &nw);
	if (b->overflow) {
		log_warnx("redis_write_skipped reason=record-too-large");
		c->stored.valid = false;
		goto out;
	}
	if (!full) {
		/* HSET overwrites: only fields the new state no longer has need removing. */
		arg_add(h, "HDEL", 4);
		arg_add(h, key, strlen(key));
		nstale = stale_fields(h, &c->stored, &nw);
		if (h->overflow)
			full = true;
	}
	if (full || nstale > 0) {
		/* MULTI/EXEC: readers never see a half-removed hash or one without its TTL. */
		const char *mv[1] = { "MULTI" };
		size_t ml[1] = { 5 };

		if (full) {
			argv_reset(h);
			arg_add(h, "DEL", 3);
			arg_add(h, key, strlen(key));
		}
		ok = redis_cmd_argv(s->r, write_done, s, 1, mv, ml) == 0;
		metric_inc(ok ? s->md->ctr.redis_writes : s->md->ctr.redis_write_failures);
		ok = send_argv(s, h) == 0 && ok;
	}
	/* No stale field: HSET and EXPIRE go out pipelined, the key keeps its TTL meanwhile. */
	ok = send_argv(s, b) == 0 && ok;
	argv_reset(b);
	arg_add(b, "EXPIRE", 6);
	arg_add(b, key, strlen(key));
	arg_addf(b, "%u", s->md->cfg.media_ttl_s);
	ok = send_argv(s, b) == 0 && ok;
	if (full || nstale > 0) {
		argv_reset(b);
		arg_add(b, "EXEC", 4);
		ok = send_argv(s, b) == 0 && ok;
	}
	if (ok) {
		nw.valid = true;
		c->stored = nw;
	} else {
		c->stored.valid = false;
	}
 out:
	argv_reset(b);
	argv_reset(h);
	free(key);
}

void
call_store_write_index(struct call_store *s, struct call *c)
{
	struct argv_buf *b = &s->argv;
	struct relay_srtp_state idx[2][MEDIAD_MAX_MEDIA];
	char *key = NULL;
	unsigned i, j;
	bool ok;

	if (!c->stored.valid) {
		call_store_write(s, c);
		return;
	}
	if (!s->connected || s->r == NULL || asprintf(&key, "sbc:media:%s", c->call_id) < 0)
		return;
	argv_reset(b);
	arg_add(b, "HSET", 4);
	arg_add(b, key, strlen(key));
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
	if (b->argc <= 2 || b->overflow)
		goto out;
	ok = send_argv(s, b) == 0;
	/* The key may have expired meanwhile: a hash with only these fields expires too. */
	argv_reset(b);
	arg_add(b, "EXPIRE", 6);
	arg_add(b, key, strlen(key));
	arg_addf(b, "%u", s->md->cfg.media_ttl_s);
	ok = send_argv(s, b) == 0 && ok;
	if (!ok) {
		c->stored.valid = false;
		goto out;
	}
	for (i = 0; i < 2; i++)
		for (j = 0; j < c->stored.nmedia[i] && j < MEDIAD_MAX_MEDIA; j++)
			if (c->stored.opt[i][j] & CALL_STORED_INDEX)
				c->stored.idx[i][j] = idx[i][j];
 out:
	argv_reset(b);
	free(key);
}

void
call_store_delete(struct call_store *s, const char *call_id)
{
	char *key;
	const char *argv[2];
	size_t len[2];

	if (asprintf(&key, "sbc:media:%s", call_id) < 0)
		return;
	argv[0] = "DEL";
	len[0] = 3;
	argv[1] = key;
	len[1] = strlen(key);
	if (!s->connected || s->r == NULL || redis_cmd_argv(s->r, write_done, s, 2, argv, len)) {
		/* The key still expires by its TTL; a restarted owner deletes it on sync. */
		metric_inc(s->md->ctr.redis_write_failures);
		log_warnx("redis_delete_lost (sbc:media key expires by its TTL)");
	}
	free(key);
}

static void
registration_write(struct call_store *s)
{
	struct mediad *md = s->md;
	struct argv_buf *b;
	char key[128], a[SA_STRLEN], ifs[512];
	unsigned i, in_use = 0, size = 0;
	size_t off = 0;

	if (!s->connected || s->r == NULL)
		return;
	b = &s->argv;
	argv_reset(b);
	snprintf(key, sizeof(key), "sbc:mediad:%s", md->cfg.id);
	ifs[0] = '\0';
	for (i = 0; i < md->cfg.niface; i++) {
		struct mediad_iface *ifc = &md->cfg.ifaces[i];
		int n;

		in_use += port_pool_in_use(ifc->pool);
		size += port_pool_size(ifc->pool);
		n = snprintf(ifs + off, sizeof(ifs) - off, "%s%s=%s", i ? " " : "", ifc->name,
		    sa_format_ip(&ifc->advertised, a, sizeof(a)));
		if (n < 0 || (size_t)n >= sizeof(ifs) - off)
			break;
		off += (size_t)n;
	}
	arg_add(b, "HSET", 4);
	arg_add(b, key, strlen(key));
	field(b, "id", md->cfg.id);
	if (sa_family(&md->ng_addr) != AF_UNSPEC)
		field(b, "ng", sa_format(&md->ng_addr, a, sizeof(a)));
	field(b, "interfaces", ifs);
	arg_add(b, "calls", 5);
	arg_addf(b, "%zu", md->calls.count);
	/* load: percent of port pairs in use, what limits new calls first */
	arg_add(b, "load", 4);
	arg_addf(b, "%u", size ? (in_use * 100u) / size : 0);
	arg_add(b, "ports_in_use", 12);
	arg_addf(b, "%u", in_use);
	arg_add(b, "ports_total", 11);
	arg_addf(b, "%u", size);
	arg_add(b, "max_sessions", 12);
	arg_addf(b, "%u", md->cfg.max_sessions);
	arg_add(b, "started", 7);
	arg_addf(b, "%lld", (long long)md->started);
	arg_add(b, "updated", 7);
	arg_addf(b, "%lld", (long long)time_wall_s());
	send_argv(s, b);
	argv_reset(b);
	arg_add(b, "EXPIRE", 6);
	arg_add(b, key, strlen(key));
	arg_addf(b, "%u", md->cfg.reg_ttl_s);
	send_argv(s, b);
	argv_reset(b);
	/*
	 * The index sigproxy reads: one small set instead of a SCAN over every call
	 * record. The TTL'd hash stays the proof of life; sigproxy drops ids whose hash
	 * expired.
	 */
	arg_add(b, "SADD", 4);
	arg_add(b, SBC_KEY_MEDIADS, strlen(SBC_KEY_MEDIADS));
	arg_add(b, md->cfg.id, strlen(md->cfg.id));
	send_argv(s, b);
	argv_reset(b);
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
	struct call *c;

	if (st == REDIS_STATE_CONNECTED) {
		s->connected = true;
		log_info("redis_connected %s", s->was_connected ? "(re-registering, re-syncing calls)" : "");
		if (!s->was_connected && s->connected_h != NULL)
			s->connected_h(s->r, s->connected_arg);
		s->was_connected = true;
		registration_write(s);
		/* Writes made while Redis was away were dropped: rewrite every call now. */
		for (c = s->md->calls.head; c != NULL; c = c->next)
			call_store_write(s, c);
		s->lost_writes = 0;
	} else {
		if (s->connected)
			log_warnx("redis_disconnected reason=\"%s\" (calls keep flowing; reconnecting)",
			    reason != NULL ? reason : "?");
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
	memset(&o, 0, sizeof(o));
	o.host = md->cfg.redis_host;
	o.port = md->cfg.redis_port;
	o.unix_path = md->cfg.redis_unix[0] ? md->cfg.redis_unix : NULL;
	o.password = md->cfg.redis_password[0] ? md->cfg.redis_password : NULL;
	o.db = md->cfg.redis_db;
	o.connect_timeout_ms = 1000;
	o.cmd_timeout_ms = 2000;
	o.backoff_min_ms = 100;
	o.backoff_max_ms = 2000;
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
	err = redis_conn_alloc(&s->r, md->base, &o, state_changed, s);
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
	if (s == NULL)
		return;
	if (s->reg_ev != NULL)
		event_free(s->reg_ev);
	if (s->r != NULL)
		redis_conn_free(s->r);
	free(s);
}

bool
call_store_connected(const struct call_store *s)
{
	return s->connected;
}

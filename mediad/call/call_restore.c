/* SPDX-License-Identifier: BSD-2-Clause */
/* Restoring this mediad's calls from Redis after a restart: same ports, same keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "call.h"
#include "log.h"
#include "mediad.h"
#include "redis.h"
#include "redis_keys.h"
#include "timeutil.h"

struct restore_scan {
	struct mediad *md;
	struct redis_conn *r;
	unsigned keys;
};

/* A record as field/value slices (from HGETALL: not NUL-terminated by contract). */
struct rec {
	const char *const *f;
	const size_t *l;
	size_t n;
	char tmp[512];
};

/* The value of field name, copied NUL-terminated into r->tmp; NULL if absent or too long. */
static const char *
rec_get(struct rec *r, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i + 1 < r->n; i += 2) {
		if (r->l[i] == nl && memcmp(r->f[i], name, nl) == 0) {
			if (r->l[i + 1] >= sizeof(r->tmp))
				return NULL;
			memcpy(r->tmp, r->f[i + 1], r->l[i + 1]);
			r->tmp[r->l[i + 1]] = '\0';
			return r->tmp;
		}
	}
	return NULL;
}

static const char *
rec_getf(struct rec *r, char side, unsigned j, const char *what)
{
	char name[64];

	if (j == 0)
		snprintf(name, sizeof(name), "%c_%s", side, what);
	else
		snprintf(name, sizeof(name), "%c_m%u_%s", side, j, what);
	return rec_get(r, name);
}

static int
parse_key(const char *b64, enum crypto_suite suite, struct crypto_key *k)
{
	const struct crypto_suite_info *info = crypto_suite_info(suite);
	const char *bar;
	size_t len;

	if (info == NULL || b64 == NULL)
		return EINVAL;
	memset(k, 0, sizeof(*k));
	/* "<base64>[|<lifetime>][|<mki>:<length>]" (call_store_argv.c store_field_key) */
	bar = strchr(b64, '|');
	if (sdp_base64_decode(k->key_salt, sizeof(k->key_salt), b64,
	    bar != NULL ? (size_t)(bar - b64) : strlen(b64), &len) ||
	    len != info->key_len + info->salt_len)
		goto bad;
	while (bar != NULL) {
		unsigned long long v, l;
		char *end;

		v = strtoull(bar + 1, &end, 10);
		if (end == bar + 1)
			goto bad;
		if (*end == ':') {
			l = strtoull(end + 1, &end, 10);
			if (l == 0 || l > CRYPTO_MKI_MAX_LEN || v > UINT32_MAX)
				goto bad;
			k->mki = (uint32_t)v;
			k->mki_len = (unsigned)l;
		} else if (v > 0) {
			k->lifetime = v;
		} else {
			goto bad;
		}
		if (*end != '\0' && *end != '|')
			goto bad;
		bar = *end == '|' ? end : NULL;
	}
	k->suite = suite;
	k->key_salt_len = len;
	return 0;
 bad:
	explicit_bzero(k, sizeof(*k));
	return EINVAL;
}

static int
restore_media(struct mediad *md, struct rec *r, char side, unsigned j, struct monologue *mono,
    struct call_media *cm)
{
	const char *v;
	enum crypto_suite suite = CRYPTO_SUITE_NONE, rx_suite;
	struct sa local;
	int err;

	cm->index = j;
	v = rec_getf(r, side, j, "type");
	snprintf(cm->type, sizeof(cm->type), "%s", v != NULL ? v : "audio");
	v = rec_getf(r, side, j, "proto");
	cm->proto = v != NULL ? sdp_proto_from_name(v, strlen(v)) : SDP_PROTO_KEEP;
	/* "none": a line that never carried anything (refused, or port 0 and not RTP) */
	if (v != NULL && strcmp(v, "none") == 0 && rec_getf(r, side, j, "local") == NULL) {
		cm->disabled = true;
		return 0;
	}
	if (cm->proto == SDP_PROTO_KEEP)
		return EINVAL;
	v = rec_getf(r, side, j, "local");
	if (v != NULL) {
		if (sa_parse(&local, v, 0))
			return EINVAL;
		err = port_pool_take_port(mono->iface->pool, sa_port(&local), &cm->ports);
		if (err)
			return err;
		cm->have_ports = true;
	}
	v = rec_getf(r, side, j, "remote");
	if (v != NULL && *v != '\0' && sa_parse(&cm->remote_rtp, v, 0))
		return EINVAL;
	v = rec_getf(r, side, j, "remote_rtcp");
	if (v != NULL && *v != '\0' && sa_parse(&cm->remote_rtcp, v, 0))
		return EINVAL;
	v = rec_getf(r, side, j, "direction");
	if (v == NULL || strcmp(v, "sendrecv") == 0)
		cm->sends = cm->receives = true;
	else if (strcmp(v, "sendonly") == 0)
		cm->sends = true;
	else if (strcmp(v, "recvonly") == 0)
		cm->receives = true;
	v = rec_getf(r, side, j, "rtcp_mux");
	cm->rtcp_mux = cm->mux_offered = v != NULL && strcmp(v, "yes") == 0;
	v = rec_getf(r, side, j, "osrtp");
	cm->osrtp = v != NULL && strcmp(v, "yes") == 0;
	if (!call_media_srtp(cm))
		return 0;

	v = rec_getf(r, side, j, "suite");
	if (v != NULL)
		suite = crypto_suite_from_name(v, strlen(v));
	rx_suite = suite;
	v = rec_getf(r, side, j, "rx_suite");
	if (v != NULL)
		rx_suite = crypto_suite_from_name(v, strlen(v));
	if (rec_getf(r, side, j, "tx_key") != NULL) {
		if (parse_key(rec_getf(r, side, j, "tx_key"), suite, &cm->ours.key))
			return EINVAL;
		v = rec_getf(r, side, j, "tx_tag");
		cm->ours.tag = v != NULL ? (unsigned)strtoul(v, NULL, 10) : 1;
		cm->have_our_key = true;
		cm->proposed[0] = cm->ours;
		cm->nproposed = 1;
	}
	if (rec_getf(r, side, j, "rx_key") != NULL) {
		if (parse_key(rec_getf(r, side, j, "rx_key"), rx_suite, &cm->peer.key))
			return EINVAL;
		v = rec_getf(r, side, j, "rx_tag");
		cm->peer.tag = v != NULL ? (unsigned)strtoul(v, NULL, 10) : 1;
		cm->have_peer_key = true;
		/* a re-offer from this party is answered from what it offered last */
		cm->offered[0] = cm->peer;
		cm->noffered = 1;
	}
	/*
	 * Where its SRTP streams were (ROC, highest sequence, SRTCP index). A record
	 * without them (written before they existed) restores as before: ROC 0.
	 */
	v = rec_getf(r, side, j, "rx_index");
	if (v != NULL && call_index_parse(v, cm->resume.rx, SRTP_CTX_MAX_SSRC, &cm->resume.nrx))
		return EINVAL;
	v = rec_getf(r, side, j, "tx_index");
	if (v != NULL && call_index_parse(v, cm->resume.tx, SRTP_CTX_MAX_SSRC, &cm->resume.ntx))
		return EINVAL;
	return 0;
}

static int
restore_mono(struct mediad *md, struct rec *r, char side, struct monologue **mp)
{
	struct mediad_iface *ifc;
	struct monologue *mono = NULL;
	const char *v;
	unsigned j;
	int err;

	v = rec_getf(r, side, 0, "interface");
	if (v == NULL || (ifc = mediad_config_iface(&md->cfg, v, strlen(v))) == NULL)
		return ENOENT;
	v = rec_getf(r, side, 0, "tag");
	err = monologue_alloc(&mono, v != NULL ? v : "", v != NULL ? strlen(v) : 0, ifc);
	if (err)
		return err;
	*mp = mono;   /* owned by the call from here: freed with it on failure */
	if ((v = rec_getf(r, side, 0, "label")) != NULL &&
	    monologue_set_str(&mono->label, v, strlen(v)))
		return ENOMEM;
	if ((v = rec_getf(r, side, 0, "via_branch")) != NULL &&
	    monologue_set_str(&mono->via_branch, v, strlen(v)))
		return ENOMEM;
	for (j = 1; j <= MEDIAD_MAX_MEDIA; j++) {
		if (rec_getf(r, side, j, "proto") == NULL)
			break;
		/* counted before the ports are taken so a failure releases them */
		mono->nmedia = j;
		err = restore_media(md, r, side, j, mono, &mono->media[j - 1]);
		if (err)
			return err;
	}
	return 0;
}

int
call_restore_one(struct mediad *md, const char *const *fields, const size_t *lens, size_t n)
{
	struct rec *r;
	struct call *c = NULL;
	struct call_relay_opts ro;
	const char *v, *why = NULL;
	char id[512];
	int err = 0;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ENOMEM;
	r->f = fields;
	r->l = lens;
	r->n = n;
	v = rec_get(r, "owner");
	if (v == NULL || strcmp(v, md->cfg.id) != 0) {
		err = ENOENT;   /* another mediad's call */
		goto out;
	}
	v = rec_get(r, "call_id");
	if (v == NULL) {
		err = EINVAL;
		goto out;
	}
	snprintf(id, sizeof(id), "%s", v);
	if (call_find(&md->calls, id, strlen(id)) != NULL) {
		err = EEXIST;   /* re-created by signalling before the restore got there */
		goto out;
	}
	v = rec_get(r, "state");
	if (v == NULL || (strcmp(v, "answered") != 0 && strcmp(v, "offered") != 0)) {
		err = ENOENT;   /* deleting: let it expire */
		goto out;
	}
	err = call_create(&md->calls, id, strlen(id), &c);
	if (err)
		goto out;
	call_enter_state(c, strcmp(v, "answered") == 0 ? CALL_STATE_ANSWERED :
	    CALL_STATE_OFFERED);
	if ((v = rec_get(r, "created")) != NULL)
		c->created = strtoll(v, NULL, 10);
	if ((v = rec_get(r, "last_signal")) != NULL)
		c->last_signal = strtoll(v, NULL, 10);
	/* Timeouts count from the restore: the old process's clock is gone. */
	c->last_signal_ms = time_mono_ms();
	err = restore_mono(md, r, 'a', &c->mono[0]);
	if (err == 0)
		err = restore_mono(md, r, 'b', &c->mono[1]);
	if (err == 0 && c->mono[0]->nmedia != c->mono[1]->nmedia)
		err = EINVAL;
	if (err)
		goto out;
	memset(&ro, 0, sizeof(ro));
	if (call_relay_sync(md, &ro, c) != 0) {
		why = "relay set-up failed";
		err = EIO;
	}
 out:
	/* These lines name the call themselves: drop the context call_enter_state set. */
	log_set_call_id(NULL);
	if (err && c != NULL) {
		log_warnx("call_restore_failed call_id=%s error=%d reason=%s", LOG_Q(c->call_id),
		    err, LOG_Q(why != NULL ? why : strerror(err)));
		call_destroy(c);
	} else if (err == 0) {
		log_info("call_restored call_id=%s state=%s media=%u", LOG_ESCW(c->call_id),
		    call_state_name(c->state), c->mono[0]->nmedia);
		/*
		 * At once: the resumed outbound SRTCP indexes jumped, and a second crash
		 * before the next refresh must start above this jump, not the old index.
		 * The record named this mediad: the write lands only while it still does.
		 */
		c->stored.owned = true;
		if (md->store != NULL)
			call_store_write(md->store, c);
	}
	explicit_bzero(r, sizeof(*r));
	free(r);
	return err;
}

static void
hgetall_done(struct redisReply *reply, void *arg)
{
	struct mediad *md = arg;
	const char **f;
	size_t *l, i;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
	    reply->elements % 2)
		return;
	f = calloc(reply->elements, sizeof(*f));
	l = calloc(reply->elements, sizeof(*l));
	if (f != NULL && l != NULL) {
		for (i = 0; i < reply->elements; i++) {
			const struct redisReply *e = reply->element[i];

			if (e->type != REDIS_REPLY_STRING)
				goto out;
			f[i] = e->str;
			l[i] = e->len;
		}
		(void)call_restore_one(md, f, l, reply->elements);
	}
 out:
	free(f);
	free(l);
}

/* One sbc:media key found by the scan, waiting for its call's dialog state. */
struct restore_check {
	struct mediad *md;
	struct redis_conn *r;
	size_t len;
	char key[];
};

/*
 * The dialog record says whether the call still lives. A call whose dialog ended
 * while Redis was away (its delete kept by a process that then stopped) is not
 * brought back: its media record is deleted instead. No dialog record (an ng client
 * other than sigproxy, or one that expired) leaves the decision to the media record.
 */
static void
check_done(struct redisReply *reply, void *arg)
{
	struct restore_check *x = arg;
	const char *argv[2] = { "HGETALL", x->key };
	size_t len[2] = { 7, x->len };

	if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    strcmp(reply->str, "ended") == 0) {
		log_info("call_restore_skipped call_id=%s reason=dialog-ended",
		    LOG_ESCW(x->key + strlen(SBC_KEY_MEDIA_PREFIX)));
		argv[0] = "DEL";
		len[0] = 3;
	}
	if (reply != NULL)
		(void)redis_cmd_argv(x->r, argv[0][0] == 'D' ? NULL : hgetall_done, x->md, 2, argv,
		    len);
	free(x);
}

static void
scan_done(struct redisReply *reply, void *arg)
{
	struct restore_scan *rs = arg;
	const struct redisReply *keys;
	size_t i;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY) {
		log_warnx("call_restore_scan_failed impact=%s",
		    LOG_Q("calls of the previous run are not restored"));
		free(rs);
		return;
	}
	keys = reply->element[1];
	for (i = 0; i < keys->elements; i++) {
		const struct redisReply *k = keys->element[i];
		size_t plen = strlen(SBC_KEY_MEDIA_PREFIX);
		struct restore_check *x;
		char *dkey;

		if (k->type != REDIS_REPLY_STRING || k->len <= plen)
			continue;
		rs->keys++;
		x = malloc(sizeof(*x) + k->len + 1);
		if (x == NULL || asprintf(&dkey, "%s%s", SBC_KEY_CALL_PREFIX, k->str + plen) < 0) {
			free(x);
			continue;
		}
		x->md = rs->md;
		x->r = rs->r;
		x->len = k->len;
		memcpy(x->key, k->str, k->len + 1);
		if (redis_cmd(rs->r, check_done, x, "HGET %s state", dkey) != 0)
			free(x);
		free(dkey);
	}
	if (strcmp(reply->element[0]->str, "0") != 0) {
		const char *argv[6] = { "SCAN", reply->element[0]->str, "MATCH", "sbc:media:*",
		    "COUNT", "200" };
		size_t len[6];

		for (i = 0; i < 6; i++)
			len[i] = strlen(argv[i]);
		if (redis_cmd_argv(rs->r, scan_done, rs, 6, argv, len) == 0) {
			redis_flush(rs->r);   /* restore reads: not held back like record writes */
			return;
		}
	}
	log_info("call_restore_scanned keys=%u", rs->keys);
	free(rs);
}

void
call_restore_start(struct mediad *md, struct redis_conn *r)
{
	struct restore_scan *rs;

	if (r == NULL)
		return;
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return;
	rs->md = md;
	rs->r = r;
	if (redis_cmd(r, scan_done, rs, "SCAN 0 MATCH sbc:media:* COUNT 200") != 0)
		free(rs);
	else
		redis_flush(r);
}

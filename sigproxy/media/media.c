/* SPDX-License-Identifier: BSD-2-Clause */
/* A call's media through its mediad: ng offer, answer and delete with the encryption policy applied. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "log.h"
#include "ng.h"
#include "dialog.h"
#include "media.h"

struct media_op {
	struct sp *sp;
	char call_id[SP_CALL_ID_MAX];
	char mediad_id[64];
	bool answer;
	enum sp_side from, to;
	media_done_h *h;
	void *arg;
	struct ng_req *req;
	char suite_from[64];
};

void
media_cancel(struct media_op *op)
{
	if (op == NULL)
		return;
	ng_req_cancel(op->req);
	free(op);
}

bool
media_keys_allowed(const struct sp *sp, enum sp_side s, enum tp_proto tp)
{
	return tp == TP_TLS || !sp->cfg.sdes_requires_tls[s];
}

bool
media_keys_allowed_name(const struct sp *sp, enum sp_side s, const char *tp)
{
	return strcmp(tp, "tls") == 0 || !sp->cfg.sdes_requires_tls[s];
}

/*
 * The Warning of the last refusal media_offer/media_answer returned at once: the daemon
 * runs one loop, and the caller reads it right after the call (media_refusal_warning).
 */
static char sync_warning[160];

static void warn_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warn_set(const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(sync_warning, sizeof(sync_warning), "Warning: 399 sbc \"");
	va_start(ap, fmt);
	vsnprintf(sync_warning + n, sizeof(sync_warning) - (size_t)n - 3, fmt, ap);
	va_end(ap);
	strcat(sync_warning, "\"\r\n");
}

const char *
media_refusal_warning(void)
{
	return sync_warning[0] != '\0' ? sync_warning : NULL;
}

/* A refusal for keys on a transport side s must not use for them; the key is never logged. */
static int
keys_refused(struct sp *sp, enum sp_side s, const char *tp, const char *dir)
{
	log_warnx("sdes_refused side=%s transport=%s direction=%s reason=\"SDES keys %s over %s; "
	    "%s_sdes_requires_tls = yes\"", sp_side_name(s), tp, dir,
	    strcmp(dir, "in") == 0 ? "received" : "would be sent", tp, sp_side_name(s));
	metric_inc(sp->ctr.sdes_tls_rejects);
	warn_set("SDES keys over %s refused on the %s side", tp, sp_side_name(s));
	return 488;
}

/*
 * mediad's SDP for side op->to: its keys may travel there (when the leg's transport is
 * known: a new call's first target is checked per target by the transaction), and every
 * line keeps that side's policy. 0 or 488.
 */
static int
reply_check(struct sp *sp, const struct media_op *op, const struct sp_call *c,
    const struct sdp_info *si)
{
	const char *tp = c != NULL ? c->transport[dialog_leg(c, op->to)] : "";
	unsigned bad;

	if (si->keys && tp[0] != '\0' && !media_keys_allowed_name(sp, op->to, tp))
		return keys_refused(sp, op->to, tp, "out");
	if (policy_sdp_out_check(sp->cfg.policy[op->to], si,
	    op->answer && c != NULL ? c->srtp_offered[op->to] : 0, &bad) == 0)
		return 0;
	/* never a silent fall back to plain RTP towards a side that requires or offered SRTP */
	log_warnx("policy_reject side=%s policy=%s media=%u reason=\"%s SDP for that side "
	    "breaks its policy (%s)\"", sp_side_name(op->to), sp_policy_name(sp->cfg.policy[op->to]),
	    bad, op->answer ? "answer" : "offer", bad == 0 ? "no media line" :
	    si->m[bad - 1].crypto ? "a key towards a plain side" : "no usable key");
	metric_inc(sp->ctr.policy_rejects);
	return 488;
}

/*
 * An ng error about the media the peer described, not about mediad: mediad's encryption
 * guard, or an SDP it cannot carry (unparseable, too many media, a profile it does not
 * relay, DTLS only, an answer that breaks the offer). The peer sent something this SBC
 * does not take: 488 with a Warning, never a 5xx that says the SBC failed.
 */
static bool
media_refused_by_content(const char *why, size_t len)
{
	static const char *const prefixes[] = { NG_ERR_ENC_PLAIN, NG_ERR_ENC_SRTP,
	    NG_ERR_NO_CRYPTO, NG_ERR_SDP_PARSE, NG_ERR_SDP_INCOMPLETE, NG_ERR_DTLS,
	    NG_ERR_ANSWER_PROTO, NG_ERR_TOO_MANY_MEDIA, NG_ERR_SDP_PROTO, NULL };
	unsigned i;

	for (i = 0; prefixes[i] != NULL; i++)
		if (len >= strlen(prefixes[i]) && memcmp(why, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * "Warning: 399 sbc \"<mediad's reason>\"\r\n" into buf: printable ASCII only, no quote
 * or backslash (the reason may quote the peer's SDP), cut at 100 characters.
 */
static const char *
media_warning(char *buf, size_t size, const char *why, size_t len)
{
	size_t n, i;

	n = (size_t)snprintf(buf, size, "Warning: 399 sbc \"");
	for (i = 0; i < len && i < 100 && n + 4 < size; i++) {
		unsigned char ch = (unsigned char)why[i];

		buf[n++] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? (char)ch : '?';
	}
	snprintf(buf + n, size - n, "\"\r\n");
	return buf;
}

static void
op_done(const struct bencode_item *reply, void *arg)
{
	struct media_op *op = arg;
	struct sp *sp = op->sp;
	struct sp_call *c = dialog_find(sp, op->call_id);
	const char *sdp = NULL, *res, *warning = NULL;
	struct sdp_info si;
	size_t len = 0, rlen = 0;
	char warnbuf[160];
	int status = 200;

	/* an ng reply (or its timeout) is handled for its call */
	log_set_call_id(op->call_id);
	if (reply == NULL) {
		metric_inc(sp->ctr.ng_timeouts);
		mediad_pool_mark_down(sp->pool, op->mediad_id);
		status = 503;
		goto out;
	}
	mediad_pool_mark_ok(sp->pool, op->mediad_id);
	if (ng_get_str(reply, "result", &res, &rlen) || rlen != 2 || memcmp(res, "ok", 2) != 0) {
		const char *why = "";
		size_t wl = 0;

		ng_get_str(reply, "error-reason", &why, &wl);
		if (wl == 0)
			ng_get_str(reply, "message", &why, &wl);
		log_warnx("ng_error op=%s result=%s reason=%s", op->answer ? "answer" : "offer",
		    LOG_QN(res ? res : "", res ? rlen : 0), LOG_QN(why, wl));
		metric_inc(sp->ctr.ng_errors);
		status = (rlen == 10 && memcmp(res, "load limit", 10) == 0) ? 503 :
		    media_refused_by_content(why, wl) ? 488 : 500;
		if (status == 488)
			warning = media_warning(warnbuf, sizeof(warnbuf), why, wl);
		goto out;
	}
	if (ng_get_str(reply, "sdp", &sdp, &len)) {
		status = 500;
		goto out;
	}
	policy_sdp_scan(sdp, len, &si);
	status = reply_check(sp, op, c, &si);
	if (status == 0)
		status = 200;
	if (status == 200 && c != NULL) {
		unsigned lt = dialog_leg(c, op->to), lf = dialog_leg(c, op->from);

		dialog_set_crypto(c, lt, si.suite[0] ? si.suite : "none");
		if (op->answer || c->crypto[lf][0] == '\0')
			dialog_set_crypto(c, lf, op->suite_from[0] ? op->suite_from : "none");
	}
 out:
	op->req = NULL;
	op->h(status, status == 200 ? sdp : NULL, status == 200 ? len : 0, warning, op->arg);
	free(op);
	log_set_call_id(NULL);
}

/* Whether leg negotiated an SRTP suite (its crypto is a suite, not "none" or unset). */
static bool
leg_on_srtp(const struct sp_call *c, unsigned leg)
{
	return c->crypto[leg][0] != '\0' && strcmp(c->crypto[leg], "none") != 0;
}

/*
 * An SDP received from side `from` over rx_tp, against that side's policy, line by line:
 * 0 with *sdpp the SDP for mediad (*editedp, to free, when lines were refused or lost
 * their keys) and *pl, or the SIP status (488) when nothing usable is left.
 */
static int
sdp_in(struct sp *sp, enum sp_side from, enum tp_proto rx_tp, bool answer, const char **sdpp,
    size_t *lenp, char **editedp, struct sdp_info *si, struct policy_plan *pl)
{
	enum sp_policy p = sp->cfg.policy[from];
	unsigned i;

	*editedp = NULL;
	policy_sdp_scan(*sdpp, *lenp, si);
	if (si->keys && !media_keys_allowed(sp, from, rx_tp))
		return keys_refused(sp, from, tp_proto_name(rx_tp), "in");
	policy_plan_in(p, si, pl);
	for (i = 0; i < si->nmedia; i++)
		if (pl->reject & (1u << i)) {
			log_info("policy_line_refused side=%s policy=%s media=%u reason=\"%s\"",
			    sp_side_name(from), sp_policy_name(p), i + 1,
			    policy_line_reason(policy_line_in(p, &si->m[i])));
			metric_inc(sp->ctr.policy_lines_rejected);
		}
	if (si->nmedia == 0 || si->too_many || (pl->active > 0 && pl->usable == 0)) {
		log_warnx("policy_reject side=%s policy=%s media=%u reason=\"%s %s\"",
		    sp_side_name(from), sp_policy_name(p), pl->first, answer ? "answer" : "offer",
		    si->nmedia == 0 ? "without media" : si->too_many ? "with too many media lines" :
		    policy_line_reason(pl->why));
		metric_inc(sp->ctr.policy_rejects);
		if (si->too_many)
			warn_set("Too many media sections (more than %d)", MEDIA_MAX_LINES);
		else
			warn_set("%s", si->nmedia == 0 ? "SDP without media" :
			    policy_line_reason(pl->why));
		return 488;
	}
	if ((pl->reject | pl->strip) == 0)
		return 0;
	if (policy_sdp_edit(*sdpp, *lenp, pl->reject, pl->strip, editedp, lenp))
		return 500;
	*sdpp = *editedp;
	return 0;
}

/* "resume": { tag: [ {key, index}, ... ], ... } into d. 0 or ENOMEM. */
static int
resume_add(struct bencode_arena *a, struct bencode_item *d, const struct media_resume *r)
{
	struct bencode_item *top = bencode_dict(a), *list, *e;
	unsigned i, j;

	if (top == NULL)
		return ENOMEM;
	for (i = 0; i < 2; i++) {
		if (r->party[i].tag[0] == '\0' || r->party[i].n == 0)
			continue;
		if ((list = bencode_list(a)) == NULL ||
		    bencode_dict_add(a, top, r->party[i].tag, list))
			return ENOMEM;
		for (j = 0; j < r->party[i].n && j < MEDIA_RESUME_LINES; j++) {
			if ((e = bencode_dict(a)) == NULL ||
			    bencode_dict_add_cstr(a, e, "key", r->party[i].key[j]) ||
			    bencode_dict_add_cstr(a, e, "index", r->party[i].index[j]) ||
			    bencode_list_add(list, e))
				return ENOMEM;
		}
	}
	return bencode_dict_add(a, d, "resume", top) ? ENOMEM : 0;
}

static int
media_send(struct sp *sp, struct sp_call *c, bool answer, const char *from_tag,
    const char *to_tag, const char *branch, enum sp_side from, enum sp_side to,
    enum tp_proto rx_tp, const char *sdp, size_t len, const struct media_resume *resume,
    media_done_h *h, void *arg, struct media_op **opp)
{
	struct bencode_arena a;
	struct bencode_item *d;
	struct mediad_entry *e;
	struct media_op *op;
	struct sdp_info si;
	struct policy_plan pl;
	const char *profile;
	char *edited = NULL;
	bool osrtp = false;
	int err, status;

	sync_warning[0] = '\0';
	status = sdp_in(sp, from, rx_tp, answer, &sdp, &len, &edited, &si, &pl);
	if (status)
		return status;
	if (!answer) {
		const char *tp = c->transport[dialog_leg(c, to)];

		dialog_set_srtp_offered(c, from, pl.srtp);
		/*
		 * Optional towards a leg known to be on TLS (a late offer to a TLS caller): SDES
		 * keys are safe there and the peer chose secure signalling, so offer SRTP: as the
		 * sender's if it has SRTP, best effort (OSRTP) if it has not. A leg already on
		 * SRTP keeps it whoever re-offers: a re-INVITE from the other side must not
		 * downgrade it to plain RTP.
		 */
		profile = policy_offer_profile(sp->cfg.policy[to], pl.srtp != 0 ||
		    leg_on_srtp(c, dialog_leg(c, to)));
		osrtp = policy_offer_osrtp(sp->cfg.policy[to], pl.srtp != 0,
		    strcmp(tp, "tls") == 0);
	} else {
		profile = (sp->cfg.policy[to] != SP_POLICY_OFF && c->srtp_offered[to]) ?
		    "RTP/SAVP" : "RTP/AVP";
	}
	status = 0;
	if (!c->has_mediad) {
		if (mediad_pool_choose(sp->pool, &e)) {
			log_warnx("no_mediad reason=\"no healthy mediad\"");
			status = 503;
			goto out;
		}
		dialog_set_mediad(c, e->id, &e->ng);
		log_info("mediad_chosen mediad=%s load=%u", e->id, e->load);
	}
	op = calloc(1, sizeof(*op));
	if (op == NULL) {
		status = 500;
		goto out;
	}
	op->sp = sp;
	snprintf(op->call_id, sizeof(op->call_id), "%s", c->call_id);
	snprintf(op->mediad_id, sizeof(op->mediad_id), "%s", c->mediad_id);
	snprintf(op->suite_from, sizeof(op->suite_from), "%s", si.suite);
	op->answer = answer;
	op->from = from;
	op->to = to;
	op->h = h;
	op->arg = arg;
	bencode_arena_init(&a);
	err = policy_ng_dict(&a, &sp->cfg, answer ? "answer" : "offer", c->call_id, from_tag,
	    to_tag, branch, sdp, len, from, to, profile, osrtp, &d);
	if (err == 0 && resume != NULL)
		err = resume_add(&a, d, resume);
	if (err == 0)
		err = ng_client_send(sp->ng, &c->mediad_ng, d, op_done, op, &op->req);
	bencode_arena_free(&a);
	if (err) {
		log_warnx("ng_send_failed err=%d", err);
		free(op);
		status = 500;
	} else {
		*opp = op;
	}
 out:
	free(edited);
	return status;
}

int
media_offer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, enum tp_proto rx_tp,
    const char *sdp, size_t len, media_done_h *h, void *arg, struct media_op **opp)
{
	return media_send(sp, c, false, from_tag, to_tag, branch, from, to, rx_tp, sdp, len, NULL,
	    h, arg, opp);
}

int
media_answer(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    const char *branch, enum sp_side from, enum sp_side to, enum tp_proto rx_tp,
    const char *sdp, size_t len, media_done_h *h, void *arg, struct media_op **opp)
{
	return media_send(sp, c, true, from_tag, to_tag, branch, from, to, rx_tp, sdp, len, NULL,
	    h, arg, opp);
}

int
media_answer_resume(struct sp *sp, struct sp_call *c, const char *from_tag, const char *to_tag,
    enum sp_side from, enum sp_side to, enum tp_proto rx_tp, const char *sdp, size_t len,
    const struct media_resume *r, media_done_h *h, void *arg, struct media_op **opp)
{
	return media_send(sp, c, true, from_tag, to_tag, NULL, from, to, rx_tp, sdp, len, r, h,
	    arg, opp);
}

/* "<s>_m<n>_<what>" of side s (0: 'a') into buf; the field's value or NULL. */
static const char *
resume_field(const char *const *f, const char *const *v, size_t n, unsigned s, unsigned line,
    const char *what)
{
	char name[48];
	size_t i;

	if (line == 0)
		snprintf(name, sizeof(name), "%c_%s", s == 0 ? 'a' : 'b', what);
	else
		snprintf(name, sizeof(name), "%c_m%u_%s", s == 0 ? 'a' : 'b', line, what);
	for (i = 0; i < n; i++)
		if (f[i] != NULL && v[i] != NULL && strcmp(f[i], name) == 0)
			return v[i];
	return NULL;
}

void
media_resume_read(struct media_resume *r, const char *const *fields,
    const char *const *values, size_t n)
{
	unsigned s, j;
	const char *tag, *key, *index;

	memset(r, 0, sizeof(*r));
	for (s = 0; s < 2; s++) {
		tag = resume_field(fields, values, n, s, 0, "tag");
		if (tag == NULL || strlen(tag) >= sizeof(r->party[s].tag))
			continue;
		snprintf(r->party[s].tag, sizeof(r->party[s].tag), "%s", tag);
		for (j = 0; j < MEDIA_RESUME_LINES; j++) {
			key = resume_field(fields, values, n, s, j + 1, "rx_key");
			index = resume_field(fields, values, n, s, j + 1, "rx_index");
			/* a line without a key or indexes (plain RTP) stays empty: nothing to go on */
			if (key == NULL || index == NULL || strlen(key) + 7 >= sizeof(r->party[s].key[j]) ||
			    strlen(index) >= sizeof(r->party[s].index[j]))
				continue;
			/* written as SDP writes keys: any log that ever showed it would mask it */
			snprintf(r->party[s].key[j], sizeof(r->party[s].key[j]), "inline:%s", key);
			snprintf(r->party[s].index[j], sizeof(r->party[s].index[j]), "%s", index);
			r->party[s].n = j + 1;
		}
	}
}

static void
delete_done(const struct bencode_item *reply, void *arg)
{
	char *call_id = arg;

	if (reply == NULL) {
		log_set_call_id(call_id);
		log_warnx("ng_delete_lost impact=%s", LOG_Q("mediad times the call out"));
		log_set_call_id(NULL);
	}
	free(call_id);
}

void
media_delete_at(struct sp *sp, const char *call_id, const char *from_tag, const struct sa *ng)
{
	struct bencode_arena a;
	struct bencode_item *d;
	char *cid = strdup(call_id);

	if (cid == NULL)
		return;
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	if (d == NULL || bencode_dict_add_cstr(&a, d, "command", "delete") ||
	    bencode_dict_add_cstr(&a, d, "call-id", call_id) ||
	    bencode_dict_add_cstr(&a, d, "from-tag", from_tag) ||
	    ng_client_send(sp->ng, ng, d, delete_done, cid, NULL)) {
		log_warnx("ng_delete_failed");
		free(cid);
	} else {
		log_info("media_delete_old");
	}
	bencode_arena_free(&a);
}

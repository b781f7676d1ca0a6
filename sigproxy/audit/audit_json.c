/* SPDX-License-Identifier: BSD-2-Clause */
/* The compliance record of one call as a JSON object: every value from the network escaped. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "dialog.h"
#include "json.h"
#include "ng.h"

static void
field_str(struct strbuf *b, const char *k, const char *v)
{
	strbuf_append(b, ",", 1);
	json_key(b, k);
	json_cstr(b, v);
}

/* "" is written as null: an absent value, not an empty one. */
static void
field_opt(struct strbuf *b, const char *k, const char *v)
{
	field_str(b, k, v != NULL && v[0] != '\0' ? v : NULL);
}

static void
field_u64(struct strbuf *b, const char *k, uint64_t v)
{
	strbuf_append(b, ",", 1);
	json_key(b, k);
	strbuf_printf(b, "%llu", (unsigned long long)v);
}

static void
field_time(struct strbuf *b, const char *k, int64_t t)
{
	char iso[32];

	dialog_time_iso(t, iso, sizeof(iso));
	field_opt(b, k, iso);
}

/* One leg: how it was reached, how it was protected, what its media did. */
static void
leg_write(struct strbuf *b, const struct sp_call *c, unsigned leg, const struct ng_leg *m)
{
	const struct sp_leg_tls *t = &c->tls[leg];
	const char *srtp = c->crypto[leg];
	unsigned i;

	json_key(b, leg == 0 ? "caller" : "callee");
	strbuf_append(b, "{", 1);
	json_key(b, "side");
	json_cstr(b, sp_side_name(c->side[leg]));
	field_opt(b, "transport", c->transport[leg]);
	field_opt(b, "tls_version", t->version);
	field_opt(b, "tls_cipher", t->cipher);
	field_opt(b, "peer_cert_sha256", t->cert_sha256);
	/* mediad's word on the suite wins over what the SDP said */
	if (m != NULL && m->present && m->suite[0] != '\0')
		srtp = m->suite;
	else if (m != NULL && m->present)
		srtp = "";
	field_str(b, "srtp", srtp[0] != '\0' && strcmp(srtp, "none") != 0 ? srtp : "plain");
	if (m == NULL || !m->present) {
		strbuf_puts(b, ",\"media\":null}");
		return;
	}
	field_u64(b, "packets_in", m->packets_in);
	field_u64(b, "bytes_in", m->bytes_in);
	if (m->have_out) {
		field_u64(b, "packets_out", m->packets_out);
		field_u64(b, "bytes_out", m->bytes_out);
	}
	if (m->have_lost)
		field_u64(b, "lost", m->lost);
	strbuf_puts(b, ",\"drops\":{");
	for (i = 0; i < m->ndrops; i++) {
		if (i > 0)
			strbuf_append(b, ",", 1);
		json_key(b, m->drops[i].reason);
		strbuf_printf(b, "%llu", (unsigned long long)m->drops[i].count);
	}
	strbuf_puts(b, "}}");
}

size_t
audit_json(char *buf, size_t size, const struct sp_call *c, const char *instance,
    const struct ng_leg *media)
{
	struct strbuf b;
	int64_t talk = c->answered > 0 && c->ended >= c->answered ? c->ended - c->answered : 0;

	strbuf_init(&b, buf, size);
	strbuf_append(&b, "{", 1);
	json_key(&b, "time");
	{
		char iso[32];

		dialog_time_iso(c->ended, iso, sizeof(iso));
		json_cstr(&b, iso);
	}
	field_str(&b, "call_id", c->call_id);
	field_str(&b, "instance", instance);
	field_time(&b, "start", c->start);
	field_time(&b, "answer", c->answered);
	field_time(&b, "end", c->ended);
	field_u64(&b, "duration_s", (uint64_t)talk);
	field_str(&b, "end_reason", c->end_reason);
	/* the Call-ID the backend saw, when the SBC gave the callee's leg its own */
	field_opt(&b, "callee_call_id", c->callee_call_id);
	field_opt(&b, "caller", c->caller);
	field_opt(&b, "callee", c->callee);
	field_opt(&b, "ruri_user", c->ruri_user);
	field_opt(&b, "source", c->source);
	field_opt(&b, "route", c->route);
	field_opt(&b, "target", c->target);
	field_opt(&b, "mediad", c->mediad_id);
	strbuf_puts(&b, ",\"legs\":{");
	leg_write(&b, c, 0, media != NULL ? &media[0] : NULL);
	strbuf_append(&b, ",", 1);
	leg_write(&b, c, 1, media != NULL ? &media[1] : NULL);
	strbuf_puts(&b, "}}");
	return b.truncated ? 0 : b.len;
}

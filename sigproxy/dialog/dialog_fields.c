/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fields of sbc:call:<call-id> beyond the dialog itself: who calls whom, the caller's
 * source, each leg's TLS facts and CSeq, ISO 8601 times beside the epoch ones, and
 * at the end each leg's media summary (what the compliance record says, kept with the record).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog_int.h"
#include "ng.h"

static const char *const leg_names[2] = { "caller", "callee" };

void
dialog_argv_reset(struct dialog_argv *v)
{
	v->n = 0;
	v->used = 0;
	v->full = false;
}

void
dialog_argv_add(struct dialog_argv *v, const char *s, size_t len)
{
	if (v->n == DIALOG_ARGV_MAX) {
		v->full = true;
		return;
	}
	v->argv[v->n] = s;
	v->lens[v->n++] = len;
}

void
dialog_argv_field(struct dialog_argv *v, const char *k, const char *val)
{
	dialog_argv_add(v, k, strlen(k));
	dialog_argv_add(v, val, strlen(val));
}

static void argv_vaddf(struct dialog_argv *v, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
argv_vaddf(struct dialog_argv *v, const char *fmt, va_list ap)
{
	size_t room = sizeof(v->buf) - v->used;
	int n;

	n = vsnprintf(v->buf + v->used, room, fmt, ap);
	if (n < 0 || (size_t)n >= room) {
		v->full = true;
		return;
	}
	dialog_argv_add(v, v->buf + v->used, (size_t)n);
	v->used += (size_t)n + 1;
}

void
dialog_argv_addf(struct dialog_argv *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	argv_vaddf(v, fmt, ap);
	va_end(ap);
}

void
dialog_argv_fieldf(struct dialog_argv *v, const char *k, const char *fmt, ...)
{
	va_list ap;

	dialog_argv_add(v, k, strlen(k));
	va_start(ap, fmt);
	argv_vaddf(v, fmt, ap);
	va_end(ap);
}

/* Per leg: field names of the parties' connections, and of the media summary at the end. */
static const char *const party_keys[2][4] = {
	{ "caller_tls_version", "caller_tls_cipher", "caller_cert_sha256", "caller_cseq" },
	{ "callee_tls_version", "callee_tls_cipher", "callee_cert_sha256", "callee_cseq" },
};
static const char *const media_keys[2][7] = {
	{ "caller_packets_in", "caller_bytes_in", "caller_packets_out", "caller_bytes_out",
	  "caller_lost", "caller_drops", "caller_media_suite" },
	{ "callee_packets_in", "callee_bytes_in", "callee_packets_out", "callee_bytes_out",
	  "callee_lost", "callee_drops", "callee_media_suite" },
};

void
dialog_fields_parties(const struct sp_call *c, struct dialog_argv *v)
{
	const char *const *names;
	char t[32];
	unsigned leg;

	dialog_argv_field(v, "caller", c->caller);
	dialog_argv_field(v, "callee", c->callee);
	dialog_argv_field(v, "ruri_user", c->ruri_user);
	dialog_argv_field(v, "source", c->source);
	dialog_time_iso(c->start, t, sizeof(t));
	dialog_argv_fieldf(v, "start_time", "%s", t);
	dialog_time_iso(c->answered, t, sizeof(t));
	dialog_argv_fieldf(v, "answer_time", "%s", t);
	for (leg = 0; leg < 2; leg++) {
		names = party_keys[leg];
		dialog_argv_field(v, names[0], c->tls[leg].version);
		dialog_argv_field(v, names[1], c->tls[leg].cipher);
		dialog_argv_field(v, names[2], c->tls[leg].cert_sha256);
		dialog_argv_fieldf(v, names[3], "%u", c->cseq[leg]);
	}
}

void
dialog_fields_end(const struct sp_call *c, const struct ng_leg *media, struct dialog_argv *v)
{
	char t[32], drops[256];
	unsigned leg, i;

	dialog_time_iso(c->ended, t, sizeof(t));
	dialog_argv_fieldf(v, "end_time", "%s", t);
	for (leg = 0; media != NULL && leg < 2; leg++) {
		const struct ng_leg *l = &media[leg];
		const char *const *names = media_keys[leg];
		size_t off = 0;

		if (!l->present)
			continue;
		drops[0] = '\0';
		for (i = 0; i < l->ndrops && off < sizeof(drops); i++) {
			int n = snprintf(drops + off, sizeof(drops) - off, "%s%s=%llu", i ? "," : "",
			    l->drops[i].reason, (unsigned long long)l->drops[i].count);

			if (n < 0)
				break;
			off += (size_t)n;
		}
		dialog_argv_fieldf(v, names[0], "%llu", (unsigned long long)l->packets_in);
		dialog_argv_fieldf(v, names[1], "%llu", (unsigned long long)l->bytes_in);
		dialog_argv_fieldf(v, names[2], "%llu", (unsigned long long)l->packets_out);
		dialog_argv_fieldf(v, names[3], "%llu", (unsigned long long)l->bytes_out);
		if (l->have_lost)
			dialog_argv_fieldf(v, names[4], "%llu", (unsigned long long)l->lost);
		dialog_argv_fieldf(v, names[5], "%s", drops);
		dialog_argv_fieldf(v, names[6], "%s", l->suite[0] ? l->suite : "plain");
	}
}

static bool
read_str(const char *k, const char *name, const char *val, char *dst, size_t size)
{
	if (strcmp(k, name) != 0)
		return false;
	snprintf(dst, size, "%s", val);
	return true;
}

bool
dialog_fields_read(struct sp_call *c, const char *k, const char *val)
{
	unsigned leg;
	size_t n;

	if (read_str(k, "caller", val, c->caller, sizeof(c->caller)) ||
	    read_str(k, "callee", val, c->callee, sizeof(c->callee)) ||
	    read_str(k, "ruri_user", val, c->ruri_user, sizeof(c->ruri_user)) ||
	    read_str(k, "source", val, c->source, sizeof(c->source)))
		return true;
	for (leg = 0; leg < 2; leg++) {
		n = strlen(leg_names[leg]);
		if (strncmp(k, leg_names[leg], n) != 0 || k[n] != '_')
			continue;
		k += n + 1;
		return read_str(k, "tls_version", val, c->tls[leg].version,
		    sizeof(c->tls[leg].version)) ||
		    read_str(k, "tls_cipher", val, c->tls[leg].cipher, sizeof(c->tls[leg].cipher)) ||
		    read_str(k, "cert_sha256", val, c->tls[leg].cert_sha256,
		    sizeof(c->tls[leg].cert_sha256));
	}
	return false;
}

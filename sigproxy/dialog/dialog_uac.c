/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What requests of the SBC's own in a dialog need from the call (a BYE it ends the call
 * with, a re-INVITE that moves its media) beyond the parties (dialog_parties.c): each
 * leg's CSeq, and the shift that keeps a leg's view of its peer's CSeq growing once the
 * SBC spoke in the peer's name. Kept in the call's record (caller_cseq, callee_cseq are
 * written with the parties, read here) so that any instance can speak next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialog.h"
#include "log.h"
#include "redis_keys.h"
#include "sip.h"

/* RFC 3261 §8.1.1.5: CSeq stays below 2^31; a shift that would pass it is refused. */
#define CSEQ_MAX 0x7fffffffu

static const char *const cseq_names[2] = { "caller_cseq", "callee_cseq" };
static const char *const shift_names[2] = { "caller_cseq_shift", "callee_cseq_shift" };

const char *
dialog_party_uri(const struct sp_call *c, unsigned leg)
{
	const char *u = leg == 0 ? c->caller : c->callee;

	return u[0] != '\0' ? u : NULL;
}

/* HSET of one or two numeric fields of c's record (a live call: no backlog needed). */
static void
fields_write(struct sp *sp, const struct sp_call *c, const char *k1, uint32_t v1,
    const char *k2, uint32_t v2)
{
	char key[SP_CALL_ID_MAX + 16], n1[16], n2[16];
	const char *argv[6];
	size_t lens[6];
	int n = 0, i;

	if (!sp_redis_up(sp))
		return;	/* dialog_resync writes the whole record on reconnect */
	snprintf(key, sizeof(key), "%s%s", SBC_KEY_CALL_PREFIX, c->call_id);
	snprintf(n1, sizeof(n1), "%u", (unsigned)v1);
	snprintf(n2, sizeof(n2), "%u", (unsigned)v2);
	argv[n++] = "HSET";
	argv[n++] = key;
	argv[n++] = k1;
	argv[n++] = n1;
	if (k2 != NULL) {
		argv[n++] = k2;
		argv[n++] = n2;
	}
	for (i = 0; i < n; i++)
		lens[i] = strlen(argv[i]);
	if (redis_cmd_argv(sp->redis, NULL, NULL, n, argv, lens))
		log_warnx("dialog_write_deferred key=%s until=redis-back", LOG_ESCW(key));
}

void
dialog_note_cseq(struct sp *sp, struct sp_call *c, unsigned leg, uint32_t cseq)
{
	if (leg > 1 || cseq <= c->cseq[leg])
		return;
	c->cseq[leg] = cseq;
	/* before the answer the record is written whole anyway */
	if (c->state == SP_CALL_ANSWERED)
		fields_write(sp, c, cseq_names[leg], cseq, NULL, 0);
}

uint32_t
dialog_cseq_to(const struct sp_call *c, unsigned leg, uint32_t cseq)
{
	if (c == NULL || leg > 1 || c->cseq_shift[leg] == 0 || cseq > CSEQ_MAX)
		return 0;
	return cseq + c->cseq_shift[leg];
}

uint32_t
dialog_cseq_from(const struct sp_call *c, unsigned leg, uint32_t cseq)
{
	if (c == NULL || leg > 1 || c->cseq_shift[leg] == 0 || cseq <= c->cseq_shift[leg])
		return 0;
	return cseq - c->cseq_shift[leg];
}

uint32_t
dialog_cseq_next(struct sp *sp, struct sp_call *c, unsigned leg)
{
	unsigned other = 1 - leg;
	uint32_t n;

	if (leg > 1)
		return 0;
	/* what the leg has seen last from its peer: the peer's highest, shifted */
	n = c->cseq[other] + c->cseq_shift[leg] + 1;
	if (n <= c->cseq[other] || n > CSEQ_MAX)
		return 0;
	c->cseq_shift[leg] = n - c->cseq[other];
	fields_write(sp, c, shift_names[leg], c->cseq_shift[leg], cseq_names[other],
	    c->cseq[other]);
	return n;
}

unsigned
dialog_uac_fields(const struct sp_call *c, const char *instance, const char **argv,
    char num[2][16])
{
	unsigned n = 0, leg;

	if (!c->loaded) {
		argv[n++] = "owner";
		argv[n++] = instance;
	}
	for (leg = 0; leg < 2; leg++) {
		snprintf(num[leg], sizeof(num[leg]), "%u", (unsigned)c->cseq_shift[leg]);
		argv[n++] = shift_names[leg];
		argv[n++] = num[leg];
	}
	return n;
}

/* A stored number: decimal, below 2^31; anything else leaves the field as it was. */
static bool
num_read(const char *v, uint32_t *out)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || x > CSEQ_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

bool
dialog_uac_field_read(struct sp_call *c, const char *k, const char *v)
{
	uint32_t x;
	unsigned leg;

	for (leg = 0; leg < 2; leg++) {
		/* a copy here may be ahead of the record (a write in flight): never back */
		if (strcmp(k, cseq_names[leg]) == 0) {
			if (num_read(v, &x) && x > c->cseq[leg])
				c->cseq[leg] = x;
			return true;
		}
		if (strcmp(k, shift_names[leg]) == 0) {
			if (num_read(v, &x) && x > c->cseq_shift[leg])
				c->cseq_shift[leg] = x;
			return true;
		}
	}
	return false;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Tables of configuration keys: applying rows to a daemon's structs, refusing unknown keys
 * and sections with the nearest known name, and the shared address checks. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "config_int.h"
#include "sock.h"

#define CONF_MSG_MAX 192
#define WORD_MAX 64             /* longest word conf_nearest compares */
#define SCORE_PARTS 1000        /* scores from here down: a shared part, not a spelling */

/* Whether rows of kind k apply to section (a stored, normalised name). */
static bool
kind_matches(const struct conf_key *k, const char *section)
{
	size_t n = strlen(k->section);

	if (!(k->flags & CONF_NAMED))
		return conf_section_eq(section, k->section);
	return strncasecmp(section, k->section, n) == 0 && section[n] == ' ' &&
	    section[n + 1] != '\0';
}

/* Values are range-checked before they get here, so each cast keeps the value. */
static void
field_store_int(void *field, size_t size, int64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)field = (uint8_t)v; break;
	case 2: *(uint16_t *)field = (uint16_t)v; break;
	case 4: *(uint32_t *)field = (uint32_t)v; break;
	default: *(uint64_t *)field = (uint64_t)v; break;
	}
}

int
conf_addr_parse(struct sa *out, const char *text, uint16_t default_port, unsigned flags,
    char *msg, size_t size)
{
	struct sa a;
	int err;

	if (text == NULL || sa_parse(&a, text, default_port) != 0 ||
	    ((flags & CONF_NOPORT) && sa_port(&a) != 0) || ((flags & CONF_NOWILD) && sa_is_any(&a))) {
		snprintf(msg, size, "'%.64s' is not a numeric%s address%s", text ? text : "",
		    flags & CONF_NOWILD ? ", non-wildcard" : "",
		    flags & CONF_NOPORT ? " without port" : "[:port]");
		return EINVAL;
	}
	if ((flags & CONF_LOCAL) && !sa_is_any(&a) && (err = sock_addr_local(&a)) != 0) {
		snprintf(msg, size, "%.64s is not an address of this host (%s)", text,
		    strerror(err));
		return EINVAL;
	}
	*out = a;
	return 0;
}

int
conf_hook_listen_addr(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct sa a;

	if (value == NULL || value[0] == '\0')
		return 0;
	return conf_addr_parse(&a, value, 0, CONF_LOCAL, msg, size);
}

/* A repeatable key: every line through the hook, the default when there is none. */
static int
list_apply(struct conf *c, const struct conf_key *k, const char *section, void *field,
    void *arg, bool secret, struct conf_error *err)
{
	char msg[CONF_MSG_MAX] = "";
	unsigned n = 0;
	size_t i;
	int rc;

	if (k->fn == NULL)
		return conf_error_setf(err, c->name, 0, section, k->name, "no hook for this key");
	conf_effective_drop(c, section, k->name);
	for (i = 0; i < c->nents; i++) {
		struct conf_entry *e = &c->ents[i];

		if (strcasecmp(e->key, k->name) != 0 || !conf_section_eq(e->section, section))
			continue;
		e->read = true;
		n++;
		if (k->max > 0 && n > (uint64_t)k->max)
			return conf_error_setf(err, c->name, e->line, section, k->name,
			    "more than %lld %s lines", (long long)k->max, k->name);
		rc = k->fn(k, e->value, field, arg, msg, sizeof(msg));
		if (rc == EINVAL)
			return conf_error_setf(err, c->name, e->line, section, k->name, "%s", msg);
		if (rc)
			return rc;
		conf_effective_record(c, section, k->name, e->value, e->line, false, secret);
	}
	if (n > 0)
		return 0;
	if (k->def == NULL && (k->flags & CONF_REQUIRED))
		return conf_error_setf(err, c->name, 0, section, k->name, "missing: required");
	if (k->def != NULL) {
		rc = k->fn(k, k->def, field, arg, msg, sizeof(msg));
		if (rc == EINVAL)
			return conf_error_setf(err, c->name, 0, section, k->name, "default: %s", msg);
		if (rc)
			return rc;
	}
	conf_effective_record(c, section, k->name, k->def, 0, false, secret);
	return 0;
}

static int
row_apply(struct conf *c, const struct conf_key *k, const char *section, void *base,
    void *arg, struct conf_error *err)
{
	bool secret = (k->flags & CONF_SECRET) || conf_key_is_secret(k->name);
	char msg[CONF_MSG_MAX] = "", abuf[SA_STRLEN];
	void *field = (char *)base + k->off;
	const struct conf_entry *e;
	const char *text, *shown;
	unsigned line, idx;
	int64_t v;
	bool b;
	int rc = 0;

	if (k->type == CONF_TYPE_LIST)
		return list_apply(c, k, section, field, arg, secret, err);
	conf_entries_mark_read(c, section, k->name);
	e = conf_entry_find(c, section, k->name);
	text = e ? e->value : k->def;
	line = e ? e->line : 0;
	shown = text;
	if (text == NULL && (k->flags & CONF_REQUIRED))
		return conf_error_setf(err, c->name, 0, section, k->name, "missing: required");
	switch (k->type) {
	case CONF_TYPE_STR:
		if (text != NULL && strlen(text) >= k->size) {
			snprintf(msg, sizeof(msg), "longer than %zu bytes", k->size - 1);
			rc = EINVAL;
		} else if (k->size > 0) {
			snprintf(field, k->size, "%s", text ? text : "");
		}
		break;
	case CONF_TYPE_STRP:
		*(const char **)field = text;
		break;
	case CONF_TYPE_INT:
		if (text != NULL && (rc = conf_value_int(text, k->min, k->max, &v, msg,
		    sizeof(msg))) == 0)
			field_store_int(field, k->size, v);
		break;
	case CONF_TYPE_BOOL:
		if (text != NULL && (rc = conf_value_bool(text, &b, msg, sizeof(msg))) == 0)
			*(bool *)field = b;
		break;
	case CONF_TYPE_ENUM:
		if (text != NULL && (rc = conf_value_enum(text, k->choices, &idx, msg,
		    sizeof(msg))) == 0) {
			field_store_int(field, k->size, idx);
			shown = k->choices[idx];
		}
		break;
	case CONF_TYPE_ADDR:
		if (text != NULL && text[0] != '\0')
			rc = conf_addr_parse(field, text, (uint16_t)k->min, k->flags, msg,
			    sizeof(msg));
		else
			memset(field, 0, sizeof(struct sa));
		break;
	case CONF_TYPE_HOOK:
		rc = k->fn != NULL ? 0 : EINVAL;
		if (rc)
			snprintf(msg, sizeof(msg), "no hook for this key");
		break;
	default:
		snprintf(msg, sizeof(msg), "unknown row type %d", (int)k->type);
		rc = EINVAL;
		break;
	}
	if (rc == 0 && k->fn != NULL)
		rc = k->fn(k, text, field, arg, msg, sizeof(msg));
	if (rc == EINVAL)
		return conf_error_setf(err, c->name, line, section, k->name, "%s%s",
		    e == NULL && text != NULL ? "default: " : "", msg);
	if (rc)
		return rc;
	/* Strings and addresses show what the field holds: a hook may have filled in a
	 * default (the host name, the address an advertised address defaults to). */
	if (k->type == CONF_TYPE_STR && k->size > 0)
		shown = field;
	if (k->type == CONF_TYPE_ADDR && sa_family(field) != AF_UNSPEC)
		shown = k->flags & CONF_NOPORT ? sa_format_ip(field, abuf, sizeof(abuf)) :
		    sa_format(field, abuf, sizeof(abuf));
	conf_effective_record(c, section, k->name, shown, line, true, secret);
	return 0;
}

int
conf_apply(struct conf *c, const struct conf_key *table, const char *section, void *base,
    void *arg, struct conf_error *err)
{
	const struct conf_key *k;
	int rc;

	if (c == NULL || table == NULL || section == NULL || base == NULL)
		return EINVAL;
	for (k = table; k->name != NULL; k++) {
		if (!kind_matches(k, section))
			continue;
		rc = row_apply(c, k, section, base, arg, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Optimal string alignment distance (edits and swaps of neighbours), case-insensitive. */
static unsigned
word_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned rows[3][WORD_MAX + 1], *p2 = rows[0], *p1 = rows[1], *cur = rows[2], *t;
	size_t i, j;

	for (j = 0; j <= lb; j++)
		p1[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			unsigned d = p1[j] + 1;

			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (p1[j - 1] + cost < d)
				d = p1[j - 1] + cost;
			if (i > 1 && j > 1 &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
			    p2[j - 2] + 1 < d)
				d = p2[j - 2] + 1;
			cur[j] = d;
		}
		t = p2;
		p2 = p1;
		p1 = cur;
		cur = t;
	}
	return p1[lb];
}

/* How many '_'-separated parts (two characters or more) word and cand share. */
static unsigned
word_shared_parts(const char *word, size_t lw, const char *cand, size_t lc)
{
	unsigned shared = 0;
	size_t i = 0;

	while (i < lw) {
		size_t n = strcspn(word + i, "_"), j = 0;

		n = n > lw - i ? lw - i : n;
		while (n >= 2 && j < lc) {
			size_t m = strcspn(cand + j, "_");

			m = m > lc - j ? lc - j : m;
			if (m == n && strncasecmp(word + i, cand + j, n) == 0) {
				shared++;
				break;
			}
			j += m + 1;
		}
		i += n + 1;
	}
	return shared;
}

/* The running best candidate of conf_nearest: lower score is nearer. */
struct nearest {
	const char *word;
	size_t len;
	const char *best;
	unsigned score;
	bool exact;         /* word itself is a candidate: nothing to suggest */
};

static void
nearest_offer(struct nearest *n, const char *cand, size_t lc)
{
	size_t lw = n->len;
	unsigned limit = lw <= 3 ? 1 : lw <= 6 ? 2 : 3, d, shared, score;

	if (lw == 0 || lw > WORD_MAX || lc == 0 || lc > WORD_MAX)
		return;
	d = word_distance(n->word, lw, cand, lc);
	if (d == 0) {
		n->exact = true;
		return;
	}
	/* Spelling slips first; then a renamed key that kept a part ("crl_file", "tls_crl"). */
	if (d <= limit) {
		score = d;
	} else {
		shared = word_shared_parts(n->word, lw, cand, lc);
		if (shared == 0)
			return;
		score = SCORE_PARTS - shared;
	}
	if (n->best == NULL || score < n->score) {
		n->best = cand;
		n->score = score;
	}
}

const char *
conf_nearest(const char *word, const char *const *words, size_t n)
{
	struct nearest nr = { word, word ? strlen(word) : 0, NULL, 0, false };
	size_t i;

	for (i = 0; i < n && word != NULL; i++)
		if (words[i] != NULL)
			nearest_offer(&nr, words[i], strlen(words[i]));
	return nr.exact ? NULL : nr.best;
}

/* The row of kind (plain or named) and name in any table; with name NULL, any row of kind. */
static const struct conf_key *
tables_find(const struct conf_key *const *tables, const char *kind, size_t kindlen,
    const char *name)
{
	const struct conf_key *k;
	size_t t;

	for (t = 0; tables[t] != NULL; t++)
		for (k = tables[t]; k->name != NULL; k++)
			if (strlen(k->section) == kindlen &&
			    strncasecmp(k->section, kind, kindlen) == 0 &&
			    (name == NULL || strcasecmp(k->name, name) == 0))
				return k;
	return NULL;
}

/* "[route x]" -> the row kind it belongs to, or NULL; *named_missing for "[route]". */
static const struct conf_key *
section_kind(const struct conf_key *const *tables, const char *section, bool *named_missing)
{
	size_t n = strcspn(section, " ");
	const struct conf_key *k = tables_find(tables, section, n, NULL);

	*named_missing = false;
	if (k == NULL)
		return NULL;
	if (k->flags & CONF_NAMED) {
		*named_missing = section[n] == '\0';
		return section[n] != '\0' ? k : NULL;
	}
	return section[n] == '\0' ? k : NULL;
}

static int
unknown_section(const struct conf *c, const struct conf_key *const *tables,
    const struct conf_entry *e, struct conf_error *err)
{
	size_t n = strcspn(e->section, " "), t;
	const struct conf_key *k, *same;
	struct nearest nr = { e->section, n, NULL, 0, false };
	unsigned line = e->section_line ? e->section_line : e->line;
	bool named_missing;

	if (e->section[0] == '\0') {
		for (t = 0; tables[t] != NULL; t++)
			for (k = tables[t]; k->name != NULL; k++)
				if (strcasecmp(k->name, e->key) == 0)
					return conf_error_setf(err, c->name, e->line, NULL, e->key,
					    "outside any section (it belongs in [%s%s])", k->section,
					    k->flags & CONF_NAMED ? " <name>" : "");
		return conf_error_setf(err, c->name, e->line, NULL, e->key,
		    "unknown key outside any section");
	}
	(void)section_kind(tables, e->section, &named_missing);
	same = tables_find(tables, e->section, n, NULL);
	if (named_missing)
		return conf_error_setf(err, c->name, line, e->section, NULL,
		    "needs a name: [%s <name>]", same->section);
	if (same != NULL)
		return conf_error_setf(err, c->name, line, e->section, NULL,
		    "unknown section ([%s] takes no name)", same->section);
	for (t = 0; tables[t] != NULL; t++)
		for (k = tables[t]; k->name != NULL; k++)
			nearest_offer(&nr, k->section, strlen(k->section));
	if (nr.best == NULL)
		return conf_error_setf(err, c->name, line, e->section, NULL, "unknown section");
	k = tables_find(tables, nr.best, strlen(nr.best), NULL);
	return conf_error_setf(err, c->name, line, e->section, NULL,
	    "unknown section (did you mean [%s%s%s]?)", nr.best,
	    k->flags & CONF_NAMED ? " " : "",
	    k->flags & CONF_NAMED ? (e->section[n] ? e->section + n + 1 : "<name>") : "");
}

/* The nearest key of kind, by spelling (parts: false) or by a shared part (parts: true). */
static const char *
nearest_key(const struct conf_key *const *tables, const struct conf_key *kind,
    const char *key, bool parts)
{
	struct nearest nr = { key, strlen(key), NULL, 0, false };
	const struct conf_key *k;
	size_t t;

	for (t = 0; tables[t] != NULL; t++)
		for (k = tables[t]; k->name != NULL; k++)
			if (strcasecmp(k->section, kind->section) == 0)
				nearest_offer(&nr, k->name, strlen(k->name));
	if (nr.best != NULL && (nr.score >= SCORE_PARTS / 2) != parts)
		return NULL;
	return nr.best;
}

static int
unknown_key(const struct conf *c, const struct conf_key *const *tables,
    const struct conf_key *kind, const struct conf_entry *e, struct conf_error *err)
{
	const struct conf_key *k;
	const char *best;
	size_t t;

	/* A slip of spelling first, then the same key in another section, then a key that
	 * shares a part of the name: the most likely meaning first. */
	best = nearest_key(tables, kind, e->key, false);
	if (best != NULL)
		return conf_error_setf(err, c->name, e->line, e->section, e->key,
		    "unknown key (did you mean %s?)", best);
	for (t = 0; tables[t] != NULL; t++)
		for (k = tables[t]; k->name != NULL; k++)
			if (strcasecmp(k->name, e->key) == 0)
				return conf_error_setf(err, c->name, e->line, e->section, e->key,
				    "unknown key here (it belongs in [%s%s])", k->section,
				    k->flags & CONF_NAMED ? " <name>" : "");
	best = nearest_key(tables, kind, e->key, true);
	if (best != NULL)
		return conf_error_setf(err, c->name, e->line, e->section, e->key,
		    "unknown key (did you mean %s?)", best);
	return conf_error_setf(err, c->name, e->line, e->section, e->key, "unknown key");
}

int
conf_check_known(const struct conf *c, const struct conf_key *const *tables,
    struct conf_error *err)
{
	const struct conf_key *kind;
	bool named_missing;
	size_t i;

	if (c == NULL || tables == NULL)
		return EINVAL;
	for (i = 0; i < c->nents; i++) {
		const struct conf_entry *e = &c->ents[i];

		kind = section_kind(tables, e->section, &named_missing);
		if (kind == NULL)
			return unknown_section(c, tables, e, err);
		if (tables_find(tables, kind->section, strlen(kind->section), e->key) == NULL)
			return unknown_key(c, tables, kind, e, err);
	}
	return 0;
}

int
conf_check_unused(const struct conf *c, struct conf_error *err)
{
	size_t i;

	if (c == NULL)
		return EINVAL;
	for (i = 0; i < c->nents; i++) {
		const struct conf_entry *e = &c->ents[i];

		if (!e->read)
			return conf_error_setf(err, c->name, e->line, e->section, e->key,
			    "has no effect in this configuration");
	}
	return 0;
}

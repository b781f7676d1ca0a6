/* SPDX-License-Identifier: BSD-2-Clause */
/* Typed reads of the parsed file, the record of effective values and their print-out. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

static void
value_free(char *v)
{
	/* A value may be a password: it does not outlive its use in the heap. */
	if (v != NULL)
		explicit_bzero(v, strlen(v));
	free(v);
}

void
conf_effective_record(struct conf *c, const char *section, const char *key, const char *value,
    unsigned line, bool replace, bool secret)
{
	struct conf_effective *f = NULL;
	size_t i;

	if (replace) {
		for (i = 0; i < c->neffs; i++)
			if (strcasecmp(c->effs[i].key, key) == 0 &&
			    conf_section_eq(c->effs[i].section, section)) {
				f = &c->effs[i];
				break;
			}
	}
	if (f == NULL) {
		if (c->neffs == c->effcap) {
			size_t ncap = c->effcap ? c->effcap * 2 : 32;
			struct conf_effective *n = realloc(c->effs, ncap * sizeof(*n));

			if (n == NULL)
				return;
			c->effs = n;
			c->effcap = ncap;
		}
		f = &c->effs[c->neffs];
		memset(f, 0, sizeof(*f));
		f->section = conf_section_normalise(section ? section : "");
		f->key = strdup(key);
		if (f->section == NULL || f->key == NULL) {
			free(f->section);
			free(f->key);
			return;
		}
		c->neffs++;
	}
	value_free(f->value);
	f->value = strdup(value ? value : "");
	if (f->value == NULL) {
		/* Drop the record rather than print a stale or missing value. */
		free(f->section);
		free(f->key);
		i = (size_t)(f - c->effs);
		memmove(f, f + 1, (c->neffs - i - 1) * sizeof(*f));
		c->neffs--;
		return;
	}
	f->line = line;
	f->secret = secret;
}

void
conf_effective_drop(struct conf *c, const char *section, const char *key)
{
	size_t i, j;

	for (i = j = 0; i < c->neffs; i++) {
		struct conf_effective *f = &c->effs[i];

		if (strcasecmp(f->key, key) == 0 && conf_section_eq(f->section, section)) {
			free(f->section);
			free(f->key);
			value_free(f->value);
			continue;
		}
		c->effs[j++] = *f;
	}
	c->neffs = j;
}

bool
conf_key_is_secret(const char *key)
{
	return strcasestr(key, "password") != NULL || strcasestr(key, "secret") != NULL;
}

static int
lookup(struct conf *c, const char *section, const char *key, const struct conf_entry **ep)
{
	if (c == NULL || key == NULL)
		return EINVAL;
	conf_entries_mark_read(c, section, key);
	*ep = conf_entry_find(c, section, key);
	return 0;
}

int
conf_get_str(struct conf *c, const char *section, const char *key,
    const char *def, const char **out, struct conf_error *err)
{
	const struct conf_entry *e;
	int ret;

	ret = lookup(c, section, key, &e);
	if (ret)
		return ret;
	conf_effective_record(c, section, key, e ? e->value : def ? def : "", e ? e->line : 0,
	    true, conf_key_is_secret(key));
	*out = e ? e->value : def;
	return 0;
}

int
conf_value_int(const char *s, int64_t min, int64_t max, int64_t *v, char *msg, size_t size)
{
	char *end;
	long long x;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		goto bad;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		goto bad;
	*v = x;
	return 0;
 bad:
	snprintf(msg, size, "expected integer %lld..%lld, got '%.60s'", (long long)min,
	    (long long)max, s ? s : "");
	return EINVAL;
}

int
conf_value_bool(const char *s, bool *v, char *msg, size_t size)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	unsigned i;

	for (i = 0; s != NULL && yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*v = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	snprintf(msg, size, "expected boolean (yes/no, true/false, on/off, 1/0), got '%.60s'",
	    s ? s : "");
	return EINVAL;
}

int
conf_value_enum(const char *s, const char *const *choices, unsigned *idx, char *msg,
    size_t size)
{
	char list[120];
	size_t len = 0;
	unsigned i;

	for (i = 0; s != NULL && choices[i] != NULL; i++) {
		if (strcasecmp(s, choices[i]) == 0) {
			*idx = i;
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; choices[i] != NULL && len < sizeof(list); i++) {
		int w = snprintf(list + len, sizeof(list) - len, "%s%s", i ? "|" : "", choices[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	snprintf(msg, size, "expected one of %s, got '%.40s'", list, s ? s : "");
	return EINVAL;
}

int
conf_get_int(struct conf *c, const char *section, const char *key,
    int64_t def, int64_t min, int64_t max, int64_t *out, struct conf_error *err)
{
	const struct conf_entry *e;
	char buf[192];
	int64_t v;
	int ret;

	ret = lookup(c, section, key, &e);
	if (ret)
		return ret;
	if (e == NULL) {
		snprintf(buf, sizeof(buf), "%lld", (long long)def);
		conf_effective_record(c, section, key, buf, 0, true, conf_key_is_secret(key));
		*out = def;
		return 0;
	}
	if (conf_value_int(e->value, min, max, &v, buf, sizeof(buf)))
		return conf_error_setf(err, c->name, e->line, section, key, "%s", buf);
	conf_effective_record(c, section, key, e->value, e->line, true, conf_key_is_secret(key));
	*out = v;
	return 0;
}

int
conf_get_bool(struct conf *c, const char *section, const char *key,
    bool def, bool *out, struct conf_error *err)
{
	const struct conf_entry *e;
	char msg[192];
	bool v;
	int ret;

	ret = lookup(c, section, key, &e);
	if (ret)
		return ret;
	if (e == NULL) {
		conf_effective_record(c, section, key, def ? "yes" : "no", 0, true,
		    conf_key_is_secret(key));
		*out = def;
		return 0;
	}
	if (conf_value_bool(e->value, &v, msg, sizeof(msg)))
		return conf_error_setf(err, c->name, e->line, section, key, "%s", msg);
	conf_effective_record(c, section, key, e->value, e->line, true, conf_key_is_secret(key));
	*out = v;
	return 0;
}

int
conf_get_enum(struct conf *c, const char *section, const char *key,
    const char *const *choices, unsigned def, unsigned *out, struct conf_error *err)
{
	const struct conf_entry *e;
	char msg[192];
	unsigned i, n;
	int ret;

	if (choices == NULL)
		return EINVAL;
	for (n = 0; choices[n] != NULL; n++)
		;
	if (def >= n)
		return EINVAL;
	ret = lookup(c, section, key, &e);
	if (ret)
		return ret;
	if (e == NULL) {
		conf_effective_record(c, section, key, choices[def], 0, true,
		    conf_key_is_secret(key));
		*out = def;
		return 0;
	}
	if (conf_value_enum(e->value, choices, &i, msg, sizeof(msg)))
		return conf_error_setf(err, c->name, e->line, section, key, "%s", msg);
	conf_effective_record(c, section, key, choices[i], e->line, true, conf_key_is_secret(key));
	*out = i;
	return 0;
}

unsigned
conf_get_all(struct conf *c, const char *section, const char *key,
    const char **values, unsigned max)
{
	unsigned n = 0;
	size_t i;

	if (c == NULL || key == NULL)
		return 0;
	/* Drop what an earlier read recorded, then record every value afresh. */
	conf_effective_drop(c, section, key);
	for (i = 0; i < c->nents; i++) {
		struct conf_entry *e = &c->ents[i];

		if (strcasecmp(e->key, key) != 0 || !conf_section_eq(e->section, section))
			continue;
		e->read = true;
		conf_effective_record(c, section, key, e->value, e->line, false,
		    conf_key_is_secret(key));
		if (values != NULL && n < max)
			values[n] = e->value;
		n++;
	}
	return n;
}

static void
effective_print_section(const struct conf *c, FILE *f, const char *section)
{
	size_t j;

	for (j = 0; j < c->neffs; j++) {
		const struct conf_effective *e = &c->effs[j];

		if (strcasecmp(e->section, section) != 0)
			continue;
		const char *v = e->secret && e->value[0] ? "***" : e->value;

		/*
		 * A value may start with ';' ("match =;^1" loads as ";^1"), but after a space
		 * the parser reads ';' as a comment: the print-out must load to the same value.
		 */
		fprintf(f, "%s =%s%s  ; ", e->key, v[0] == ';' || v[0] == '#' ? "" : " ", v);
		if (e->line == 0)
			fprintf(f, "default\n");
		else
			fprintf(f, "%s:%u\n", c->name, e->line);
	}
}

void
conf_print_effective(const struct conf *c, FILE *f)
{
	bool any = false;
	size_t i, j;

	if (c == NULL || f == NULL)
		return;
	/* Keys outside any section first: after a [header] they would read as its keys. */
	for (i = 0; i < c->neffs && !any; i++)
		any = c->effs[i].section[0] == '\0';
	if (any)
		effective_print_section(c, f, "");
	for (i = 0; i < c->neffs; i++) {
		const char *s = c->effs[i].section;
		bool done = s[0] == '\0';

		/* Group by section in first-read order; a section prints once. */
		for (j = 0; j < i && !done; j++)
			done = strcasecmp(c->effs[j].section, s) == 0;
		if (done)
			continue;
		fprintf(f, "%s[%s]\n", any ? "\n" : "", s);
		any = true;
		effective_print_section(c, f, s);
	}
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* INI configuration on libinih: every (section, key, value, line) kept in order, errors, lookups. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config_int.h"

/* MAX_SECTION in Debian's libinih 55 (ini.c; not exported by ini.h). */
#define CONF_MAX_SECTION 50

/* Parser state passed through libinih. */
struct conf_parse {
	struct conf *c;
	const char *text;   /* string input; NULL when reading a FILE */
	FILE *fp;
	unsigned line;      /* line number of the text last handed to inih */
	unsigned section_line;  /* line of the last "[section]" header handed to inih */
	bool at_bol;        /* the previous read ended a line */
	unsigned bad_line;  /* first line our handler or reader rejected */
	char bad_msg[128];
	bool nomem;
};

static int __attribute__((format(printf, 6, 0)))
error_fill(struct conf_error *err, const char *file, unsigned line, const char *section,
    const char *key, const char *fmt, va_list ap)
{
	if (err == NULL)
		return EINVAL;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	snprintf(err->section, sizeof(err->section), "%s", section ? section : "");
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return EINVAL;
}

int
conf_error_setf(struct conf_error *err, const char *file, unsigned line, const char *section,
    const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_fill(err, file, line, section, key, fmt, ap);
	va_end(ap);
	return EINVAL;
}

const char *
conf_error_str(const struct conf_error *err, char *buf, size_t size)
{
	if (err->key[0] != '\0')
		snprintf(buf, size, "%s:%u: %s%s%s: %s", err->file, err->line,
		    err->section, err->section[0] ? "." : "", err->key, err->msg);
	else if (err->section[0] != '\0')
		snprintf(buf, size, "%s:%u: [%s]: %s", err->file, err->line,
		    err->section, err->msg);
	else
		snprintf(buf, size, "%s:%u: %s", err->file, err->line, err->msg);
	return buf;
}

/* "  route   a " -> "route a": operators align section names with blanks. */
char *
conf_section_normalise(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	bool blank = false;

	if (out == NULL)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			blank = true;
			continue;
		}
		if (blank && o != out)
			*o++ = ' ';
		blank = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static int
conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	struct conf *c = p->c;
	struct conf_entry *e;

	if (name == NULL || value == NULL)
		return 1;
	/* inih cuts section names at INI_MAX_SECTION - 1 bytes without telling us. */
	if (strlen(section) >= CONF_MAX_SECTION - 1) {
		if (p->bad_line == 0) {
			p->bad_line = p->line;
			snprintf(p->bad_msg, sizeof(p->bad_msg),
			    "section name longer than %d characters", CONF_MAX_SECTION - 2);
		}
		return 1;
	}
	if (name[0] == '\0') {
		if (p->bad_line == 0) {
			p->bad_line = p->line;
			snprintf(p->bad_msg, sizeof(p->bad_msg), "missing key before '='");
		}
		return 1;
	}
	if (c->nents == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		struct conf_entry *n = realloc(c->ents, ncap * sizeof(*n));

		if (n == NULL) {
			p->nomem = true;
			return 0;
		}
		c->ents = n;
		c->cap = ncap;
	}
	e = &c->ents[c->nents];
	memset(e, 0, sizeof(*e));
	e->section = conf_section_normalise(section);
	e->key = strdup(name);
	e->value = strdup(value);
	e->line = p->line;
	e->section_line = p->section_line;
	if (e->section == NULL || e->key == NULL || e->value == NULL) {
		free(e->section);
		free(e->key);
		free(e->value);
		p->nomem = true;
		return 0;
	}
	c->nents++;
	return 1;
}

/* inih reports a section only with its keys: remember where each header is. */
static void
section_header_note(struct conf_parse *p, const char *str, size_t n)
{
	size_t i = 0;

	if (p->line == 1 && n >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < n && (str[i] == ' ' || str[i] == '\t'))
		i++;
	if (i < n && str[i] == '[')
		p->section_line = p->line;
}

/*
 * Reads one line for inih and counts lines ourselves: Debian's libinih is built
 * without INI_HANDLER_LINENO. A line longer than inih's buffer is refused rather
 * than split into two lines that would each parse as something else.
 */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	size_t n = 0, max = num > 1 ? (size_t)num - 1 : 0;
	bool toolong = false;
	int ch;

	if (p->text != NULL && *p->text == '\0')
		return NULL;
	if (p->fp != NULL && (ch = fgetc(p->fp)) == EOF)
		return NULL;
	if (p->fp != NULL)
		ungetc(ch, p->fp);
	p->line++;
	for (;;) {
		if (p->text != NULL)
			ch = *p->text ? (unsigned char)*p->text++ : EOF;
		else
			ch = fgetc(p->fp);
		if (ch == EOF)
			break;
		if (ch == '\0') {
			/* An embedded NUL would silently cut the line in inih. */
			if (p->bad_line == 0) {
				p->bad_line = p->line;
				snprintf(p->bad_msg, sizeof(p->bad_msg), "NUL byte in line");
			}
			continue;
		}
		if (n < max)
			str[n++] = (char)ch;
		else
			toolong = true;
		if (ch == '\n')
			break;
	}
	if (toolong) {
		if (p->bad_line == 0) {
			p->bad_line = p->line;
			snprintf(p->bad_msg, sizeof(p->bad_msg), "line longer than %d bytes",
			    num - 2);
		}
		n = 0;      /* hand inih an empty line: the error is ours to report */
		if (max > 0)
			str[n++] = '\n';
	}
	if (max == 0)
		return NULL;
	str[n] = '\0';
	section_header_note(p, str, n);
	return str;
}

static int
conf_parse_run(struct conf **cp, const char *name, const char *text, FILE *fp,
    struct conf_error *err)
{
	struct conf_parse p;
	struct conf *c;
	int rc, ret = 0;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	c->name = strdup(name ? name : "-");
	if (c->name == NULL) {
		ret = ENOMEM;
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.text = text;
	p.fp = fp;
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	if (p.nomem || rc == -2) {
		ret = ENOMEM;
		goto out;
	}
	if (fp != NULL && ferror(fp)) {
		/* e.g. EISDIR: fopen() accepts a directory, reading it fails. */
		ret = errno ? errno : EIO;
		conf_error_setf(err, c->name, 0, NULL, NULL, "read error: %s", strerror(ret));
		goto out;
	}
	if (rc != 0 || p.bad_line != 0) {
		unsigned line = rc > 0 ? (unsigned)rc : p.bad_line;

		/* The earlier of inih's and our own complaint is the one to fix first. */
		if (p.bad_line != 0 && (rc <= 0 || p.bad_line <= (unsigned)rc))
			conf_error_setf(err, c->name, p.bad_line, NULL, NULL, "%s", p.bad_msg);
		else
			conf_error_setf(err, c->name, line, NULL, NULL,
			    "syntax error (expected [section] or key = value)");
		ret = EBADMSG;
		goto out;
	}
 out:
	if (ret)
		conf_free(c);
	else
		*cp = c;
	return ret;
}

int
conf_load(struct conf **cp, const char *path, struct conf_error *err)
{
	FILE *fp;
	int ret;

	if (cp == NULL || path == NULL)
		return EINVAL;
	fp = fopen(path, "r");
	if (fp == NULL) {
		ret = errno;
		conf_error_setf(err, path, 0, NULL, NULL, "cannot open: %s", strerror(ret));
		return ret;
	}
	errno = 0;
	ret = conf_parse_run(cp, path, NULL, fp, err);
	fclose(fp);
	return ret;
}

int
conf_load_string(struct conf **cp, const char *name, const char *text,
    struct conf_error *err)
{
	if (cp == NULL || text == NULL)
		return EINVAL;
	return conf_parse_run(cp, name, text, NULL, err);
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nents; i++) {
		free(c->ents[i].section);
		free(c->ents[i].key);
		if (c->ents[i].value != NULL)
			explicit_bzero(c->ents[i].value, strlen(c->ents[i].value));
		free(c->ents[i].value);
	}
	for (i = 0; i < c->neffs; i++) {
		free(c->effs[i].section);
		free(c->effs[i].key);
		if (c->effs[i].value != NULL)
			explicit_bzero(c->effs[i].value, strlen(c->effs[i].value));
		free(c->effs[i].value);
	}
	free(c->ents);
	free(c->effs);
	free(c->name);
	free(c);
}

/* Compares a stored (normalised) name with a caller's, normalising the latter on the fly. */
bool
conf_section_eq(const char *n, const char *a)
{
	if (a == NULL)
		a = "";
	while (isspace((unsigned char)*a))
		a++;
	while (*a) {
		if (isspace((unsigned char)*a)) {
			while (isspace((unsigned char)*a))
				a++;
			if (*a == '\0')
				break;
			if (*n++ != ' ')
				return false;
			continue;
		}
		if (tolower((unsigned char)*n) != tolower((unsigned char)*a))
			return false;
		n++;
		a++;
	}
	return *n == '\0';
}

/* The last entry for section.key (a repeated scalar key: the last one wins). */
struct conf_entry *
conf_entry_find(const struct conf *c, const char *section, const char *key)
{
	size_t i;

	for (i = c->nents; i-- > 0;) {
		struct conf_entry *e = &c->ents[i];

		if (strcasecmp(e->key, key) == 0 && conf_section_eq(e->section, section))
			return e;
	}
	return NULL;
}

void
conf_entries_mark_read(struct conf *c, const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < c->nents; i++)
		if (strcasecmp(c->ents[i].key, key) == 0 &&
		    conf_section_eq(c->ents[i].section, section))
			c->ents[i].read = true;
}

unsigned
conf_key_line(const struct conf *c, const char *section, const char *key)
{
	const struct conf_entry *e;

	if (c == NULL || key == NULL)
		return 0;
	e = conf_entry_find(c, section, key);
	return e ? e->line : 0;
}

int
conf_error_set(const struct conf *c, const char *section, const char *key,
    struct conf_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_fill(err, c ? c->name : "", c && key ? conf_key_line(c, section, key) : 0,
	    section, key, fmt, ap);
	va_end(ap);
	return EINVAL;
}

void
conf_foreach_section(const struct conf *c, const char *prefix, conf_section_h *fn, void *arg)
{
	size_t i, j, plen = prefix ? strlen(prefix) : 0, ndistinct = 0;
	const char **distinct;

	if (c == NULL || fn == NULL || c->nents == 0)
		return;
	/* Checked against distinct names only: files hold many keys but few sections. */
	distinct = malloc(c->nents * sizeof(*distinct));
	if (distinct == NULL)
		return;
	for (i = 0; i < c->nents; i++) {
		const char *s = c->ents[i].section;
		bool seen = false;

		for (j = ndistinct; j-- > 0 && !seen;)
			seen = strcasecmp(distinct[j], s) == 0;
		if (seen)
			continue;
		distinct[ndistinct++] = s;
		if (plen == 0 || strncasecmp(s, prefix, plen) == 0)
			fn(s, arg);
	}
	free(distinct);
}

unsigned
conf_section_line(const struct conf *c, const char *section)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nents; i++)
		if (conf_section_eq(c->ents[i].section, section))
			return c->ents[i].section_line ? c->ents[i].section_line : c->ents[i].line;
	return 0;
}

int
conf_section_error(const struct conf *c, const char *section, struct conf_error *err,
    const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(err->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return conf_error_setf(err, c ? c->name : "", conf_section_line(c, section), section, NULL,
	    "%s", msg);
}

void
conf_foreach_unread(const struct conf *c, conf_unknown_h *fn, void *arg)
{
	size_t i;

	if (c == NULL || fn == NULL)
		return;
	for (i = 0; i < c->nents; i++)
		if (!c->ents[i].read)
			fn(c->ents[i].section, c->ents[i].key, c->ents[i].line, arg);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside common/config: the parsed file and the effective values, shared by config.c (parse),
 * config_get.c (typed reads, print-out) and config_table.c (tables). Not for other modules. */
#ifndef SBC_COMMON_CONFIG_INT_H
#define SBC_COMMON_CONFIG_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* One "key = value" line as read from the file. */
struct conf_entry {
	char *section;      /* normalised: trimmed, inner blanks collapsed to one space */
	char *key;
	char *value;
	unsigned line;
	unsigned section_line;  /* of the "[section]" header above it; 0: none */
	bool read;          /* a getter or a table asked for it */
};

/* One value a getter returned, for conf_print_effective. */
struct conf_effective {
	char *section;
	char *key;
	char *value;
	unsigned line;      /* 0: the default was used */
	bool secret;        /* printed as "***" */
};

struct conf {
	char *name;         /* file name for errors */
	struct conf_entry *ents;
	size_t nents, cap;
	struct conf_effective *effs;
	size_t neffs, effcap;
};

/* config.c */
int conf_error_setf(struct conf_error *err, const char *file, unsigned line, const char *section,
    const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* "  route   a " -> "route a" (malloc'd; NULL on ENOMEM). */
char *conf_section_normalise(const char *s);
/* A stored (normalised) section name against a caller's, case-insensitive. */
bool conf_section_eq(const char *stored, const char *name);
/* The last entry for section.key (a repeated scalar key: the last one wins). */
struct conf_entry *conf_entry_find(const struct conf *c, const char *section, const char *key);
void conf_entries_mark_read(struct conf *c, const char *section, const char *key);

/* config_get.c */
/*
 * Records a value for the print-out; replace: a later read of the same key replaces the
 * earlier record. Out of memory only loses a line of the print-out.
 */
void conf_effective_record(struct conf *c, const char *section, const char *key,
    const char *value, unsigned line, bool replace, bool secret);
/* Drops every record of section.key (before a repeated key is recorded afresh). */
void conf_effective_drop(struct conf *c, const char *section, const char *key);
bool conf_key_is_secret(const char *key);
/* Value parsers behind the getters and the tables; msg gets the reason on EINVAL. */
int conf_value_int(const char *s, int64_t min, int64_t max, int64_t *v, char *msg, size_t size);
int conf_value_bool(const char *s, bool *v, char *msg, size_t size);
int conf_value_enum(const char *s, const char *const *choices, unsigned *idx, char *msg,
    size_t size);

#endif

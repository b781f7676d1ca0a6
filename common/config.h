/* SPDX-License-Identifier: BSD-2-Clause */
/* INI configuration (parsed with libinih): typed getters with defaults and bounds,
 * errors that name file, line and key, and a print-out of the effective values. */
#ifndef SBC_COMMON_CONFIG_H
#define SBC_COMMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct conf;

/* What went wrong and where; line is 0 when the key was absent. */
struct conf_error {
	char file[256];
	unsigned line;
	char section[64];
	char key[64];
	char msg[192];
};

/*
 * Loads and parses path. Sections may repeat a kind with a name:
 * "[interface outside]" is section "interface outside". A key repeated within
 * one section keeps every value (see conf_get_all). Returns 0, ENOENT, or
 * EBADMSG with *err filled (syntax error line). *cp is owned by the caller:
 * conf_free().
 */
int conf_load(struct conf **cp, const char *path, struct conf_error *err);
/* The same from a string (tests, and "-c -"); name is used in errors. */
int conf_load_string(struct conf **cp, const char *name, const char *text,
    struct conf_error *err);
void conf_free(struct conf *c);

/*
 * Typed getters: return 0 with *out set to the value, or the default when the
 * key is absent; EINVAL with *err naming file, line, section and key when the
 * value does not parse or is out of [min, max]. The returned string for
 * conf_get_str is owned by c. Every call records the effective value for
 * conf_print_effective(); keys containing "password" or "secret" print as "***".
 */
int conf_get_str(struct conf *c, const char *section, const char *key,
    const char *def, const char **out, struct conf_error *err);
int conf_get_int(struct conf *c, const char *section, const char *key,
    int64_t def, int64_t min, int64_t max, int64_t *out, struct conf_error *err);
int conf_get_bool(struct conf *c, const char *section, const char *key,
    bool def, bool *out, struct conf_error *err);  /* yes/no/true/false/on/off/1/0 */
/* One of choices (NULL-terminated), case-insensitive; *out is its index. */
int conf_get_enum(struct conf *c, const char *section, const char *key,
    const char *const *choices, unsigned def, unsigned *out, struct conf_error *err);

/* Every value of a repeated key, in file order; returns the count (0 if absent). */
unsigned conf_get_all(struct conf *c, const char *section, const char *key,
    const char **values, unsigned max);
/* Line of a key in the file, for callers that validate values themselves (0: absent). */
unsigned conf_key_line(const struct conf *c, const char *section, const char *key);
/* Fills *err for a value the caller found invalid. Always returns EINVAL. */
int conf_error_set(const struct conf *c, const char *section, const char *key,
    struct conf_error *err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Calls fn for each section whose name starts with prefix ("route " gives every route). */
typedef void (conf_section_h)(const char *section, void *arg);
void conf_foreach_section(const struct conf *c, const char *prefix, conf_section_h *fn, void *arg);

/* Keys present in the file but never read by a getter: likely typos. Calls fn per key. */
typedef void (conf_unknown_h)(const char *section, const char *key, unsigned line, void *arg);
void conf_foreach_unread(const struct conf *c, conf_unknown_h *fn, void *arg);

/* Prints "[section]\nkey = value  ; default|file:line" for every value read so far. */
void conf_print_effective(const struct conf *c, FILE *f);

/* "file:line: section.key: msg" into buf. */
const char *conf_error_str(const struct conf_error *err, char *buf, size_t size);

#endif

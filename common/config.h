/* SPDX-License-Identifier: BSD-2-Clause */
/* INI configuration (parsed with libinih): tables of keys (one row per key) applied to a
 * daemon's structs, typed getters with defaults and bounds, errors that name file, line
 * and key, refusal of unknown keys and sections, and a print-out of the effective values. */
#ifndef SBC_COMMON_CONFIG_H
#define SBC_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct conf;
struct sa;

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
 * Daemons use tables (below); the getters serve programs without one.
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
/* Line of the "[section]" header (sections without keys are not kept); 0: absent. */
unsigned conf_section_line(const struct conf *c, const char *section);
/* As conf_error_set, for the section as a whole: "file:line: [section]: msg". */
int conf_section_error(const struct conf *c, const char *section, struct conf_error *err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- Tables: one row per key (config_table.c) ---- */

enum conf_type {
	CONF_TYPE_STR = 1,  /* char[size] at off; a longer value is an error */
	CONF_TYPE_STRP,     /* const char * at off, borrowed from the conf; NULL when absent
	                     * without default */
	CONF_TYPE_INT,      /* integer of size 1, 2, 4 or 8 at off, in [min, max] */
	CONF_TYPE_BOOL,     /* bool at off: yes/no, true/false, on/off, 1/0 */
	CONF_TYPE_ENUM,     /* integer (or enum) at off: the index of the value in choices */
	CONF_TYPE_ADDR,     /* struct sa at off: numeric address[:port], min the default port;
	                     * absent (or empty) without default: zeroed, AF_UNSPEC */
	CONF_TYPE_LIST,     /* repeatable key: fn gets each value in file order (the default
	                     * when absent); max is the most lines */
	CONF_TYPE_HOOK,     /* fn converts the text (NULL when absent without default) */
};

#define CONF_SECRET   0x01u  /* printed as "***" */
#define CONF_REQUIRED 0x02u  /* absent is an error */
#define CONF_NAMED    0x04u  /* the section repeats as "[kind <name>]" */
#define CONF_LOCAL    0x08u  /* ADDR: an address of this host or the wildcard */
#define CONF_NOPORT   0x10u  /* ADDR: no port */
#define CONF_NOWILD   0x20u  /* ADDR: not 0.0.0.0 or :: */

struct conf_key;
/*
 * A per-key hook: converts (LIST, HOOK) or further checks (other types, after the field
 * is written) value, the text from the file or the default (NULL: neither). field is
 * base + off of conf_apply(), arg its arg. Returns 0, or EINVAL with the reason in msg
 * (the caller adds file, line and key), or ENOMEM.
 */
typedef int (conf_key_h)(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size);

/* One key. A table is an array of rows ended by a row whose name is NULL. */
struct conf_key {
	const char *section;        /* kind: "redis", or "interface" for [interface <name>] */
	const char *name;
	enum conf_type type;
	const char *def;            /* default as it would be written in the file; NULL: none */
	int64_t min, max;           /* INT bounds; ADDR: min is the default port; LIST: max lines */
	size_t off, size;           /* the field in the struct conf_apply() fills */
	const char *const *choices; /* ENUM: NULL-terminated */
	unsigned flags;             /* CONF_* */
	conf_key_h *fn;             /* NULL, or as conf_key_h says */
};

/* off and size of a field, for rows: CONF_FIELD(struct mediad_config, workers). */
#define CONF_FIELD(type, field) offsetof(type, field), sizeof(((type *)0)->field)

/*
 * Applies every row of table whose kind matches section ("redis", or "route a" for rows
 * of kind "route" with CONF_NAMED) to the struct at base: each value is parsed, checked
 * and stored, defaults included, and recorded for conf_print_effective(). Returns 0,
 * EINVAL with *err naming file, line, section and key, or ENOMEM. Stops at the first
 * error; fields of later rows are left alone.
 */
int conf_apply(struct conf *c, const struct conf_key *table, const char *section, void *base,
    void *arg, struct conf_error *err);

/*
 * Refuses what no table knows: the first (in file order) key or section absent from
 * every table of tables (a NULL-terminated list), and "[kind]" without the name a named
 * kind needs. The message names the nearest known key or section when one is close:
 * "media.outside_polcy: unknown key (did you mean outside_policy?)". Returns 0 or EINVAL.
 */
int conf_check_known(const struct conf *c, const struct conf_key *const *tables,
    struct conf_error *err);
/*
 * Refuses keys that are known but were not used (e.g. a key of an optional feature
 * that is off): 0, or EINVAL with *err naming the first one.
 */
int conf_check_unused(const struct conf *c, struct conf_error *err);

/*
 * The known word nearest to word among words (n of them): a small edit distance, or a
 * shared part between underscores ("crl_file" -> "tls_crl"). NULL when none is close.
 */
const char *conf_nearest(const char *word, const char *const *words, size_t n);

/*
 * Parses a numeric address as an ADDR row with these CONF_LOCAL/NOPORT/NOWILD flags
 * does, for callers whose default port depends on another key. Returns 0 with *out,
 * or EINVAL with the reason in msg ("'x' is not a numeric address[:port]", "... is not
 * an address of this host (...)").
 */
int conf_addr_parse(struct sa *out, const char *text, uint16_t default_port, unsigned flags,
    char *msg, size_t size);

/*
 * Hook for CONF_TYPE_STR rows holding a listen address (metrics): empty, or a numeric
 * address:port of this host (or the wildcard).
 */
int conf_hook_listen_addr(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size);

/* "file:line: section.key: msg" into buf. */
const char *conf_error_str(const struct conf_error *err, char *buf, size_t size);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Bencode: decoding into an arena-owned tree, building trees, and encoding with
 * dictionary keys sorted. No sockets here. */
#ifndef SBC_PROTO_BENCODE_H
#define SBC_PROTO_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bencode_type {
	BENCODE_STRING = 1,
	BENCODE_INTEGER,
	BENCODE_LIST,
	BENCODE_DICT,
};

/*
 * A node. Strings point into the decoded input or into the arena (never
 * NUL-terminated by contract; use len). A dictionary's children alternate
 * key (a STRING), value, key, value...
 */
struct bencode_item {
	enum bencode_type type;
	const char *str;              /* STRING: bytes (borrowed from input or arena) */
	size_t len;                   /* STRING: byte count */
	int64_t num;                  /* INTEGER */
	struct bencode_item *child;   /* LIST/DICT: first child */
	struct bencode_item *last;    /* LIST/DICT: last child (appends are O(1)) */
	struct bencode_item *next;    /* next sibling */
	size_t count;                 /* LIST: items; DICT: key/value pairs */
};

/*
 * One arena per message: every node and copied string of one decode/build
 * lives here and is freed at once by bencode_arena_free(). The first block is
 * inline, so a small message costs no malloc.
 */
struct bencode_arena_block;
struct bencode_arena {
	struct bencode_arena_block *head;  /* extra heap blocks, owned */
	char *cur;                         /* next free byte */
	size_t left;                       /* bytes left in the current block */
	size_t max_bytes;                  /* cap on heap growth (0: 1 MiB default) */
	size_t heap_bytes;                 /* heap used so far */
	_Alignas(16) char inline_buf[4096];
};

void bencode_arena_init(struct bencode_arena *a);
void bencode_arena_free(struct bencode_arena *a);  /* leaves it re-initialised */
void *bencode_arena_alloc(struct bencode_arena *a, size_t size);  /* NULL on cap/ENOMEM */

/* Decoder bounds; zero fields take the defaults shown. */
struct bencode_limits {
	unsigned max_depth;      /* nesting of lists/dicts, default 32 */
	size_t max_items;        /* nodes in the whole tree, default 10000 */
	size_t max_string;       /* one string's length, default 1 MiB */
};

/* Where decoding stopped and why ("expected ':' after string length"). */
struct bencode_error {
	size_t offset;
	const char *what;        /* static string */
};

/*
 * Decodes exactly one value from buf[0..len). Trailing bytes after the value,
 * leading zeros, "-0", negative lengths, non-string dict keys, duplicate keys,
 * and exceeded limits are rejected. Strings reference buf, which must outlive
 * the tree. Dictionary pairs come out sorted by key, not in wire order.
 * Returns 0; EBADMSG (malformed, trailing data, duplicate key, integer out
 * of int64 range); ENODATA (input ends inside a value); E2BIG (a limit);
 * ENOMEM (arena); EINVAL (a or out NULL).
 * *err is filled on failure.
 */
int bencode_decode(struct bencode_arena *a, const char *buf, size_t len,
    const struct bencode_limits *lim, struct bencode_item **out, struct bencode_error *err);

/* Builders: NULL on arena exhaustion. _str references s (caller keeps it alive);
 * _str_dup copies into the arena. */
struct bencode_item *bencode_str(struct bencode_arena *a, const char *s, size_t len);
struct bencode_item *bencode_cstr(struct bencode_arena *a, const char *s);
struct bencode_item *bencode_str_dup(struct bencode_arena *a, const char *s, size_t len);
struct bencode_item *bencode_int(struct bencode_arena *a, int64_t v);
struct bencode_item *bencode_list(struct bencode_arena *a);
struct bencode_item *bencode_dict(struct bencode_arena *a);
/* Appends; returns 0 or EINVAL (wrong container type / NULL item) / ENOMEM. */
int bencode_list_add(struct bencode_item *list, struct bencode_item *item);
/* key is NUL-terminated and referenced, not copied; EINVAL if already present. */
int bencode_dict_add(struct bencode_arena *a, struct bencode_item *dict,
    const char *key, struct bencode_item *value);
/* Convenience: add a string (referenced) / integer / copied string value. */
int bencode_dict_add_cstr(struct bencode_arena *a, struct bencode_item *dict, const char *key, const char *value);
int bencode_dict_add_str(struct bencode_arena *a, struct bencode_item *dict, const char *key, const char *value, size_t len);
int bencode_dict_add_int(struct bencode_arena *a, struct bencode_item *dict, const char *key, int64_t value);

/* Exact-key lookup; NULL if absent or dict is not a DICT. */
struct bencode_item *bencode_dict_get(const struct bencode_item *dict, const char *key);
bool bencode_str_eq(const struct bencode_item *item, const char *s);

/*
 * Encodes item into buf (dictionary keys in byte order, whatever the insertion
 * order). Returns 0 with *outlen set; ENOSPC if cap is too small (*outlen then
 * holds the size needed); EINVAL for a malformed tree.
 */
int bencode_encode(const struct bencode_item *item, char *buf, size_t cap, size_t *outlen);
size_t bencode_encoded_len(const struct bencode_item *item);

#endif

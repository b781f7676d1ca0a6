/* SPDX-License-Identifier: BSD-2-Clause */
/* Bencode arena, strict bounded decoder and tree builders (the encoder is in bencode_encode.c). */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bencode.h"
#include "bencode_int.h"

#define ARENA_ALIGN        16
#define ARENA_BLOCK_MIN    (16 * 1024)
#define ARENA_DEFAULT_CAP  (1024 * 1024)

#define LIM_DEPTH_DEFAULT  32
#define LIM_ITEMS_DEFAULT  10000
#define LIM_STRING_DEFAULT (1024 * 1024)
/* The decoder recurses once per nesting level; this keeps the C stack bounded
 * even if a caller asks for an absurd max_depth. */
#define LIM_DEPTH_HARD     1024

struct bencode_arena_block {
	struct bencode_arena_block *next;
	size_t size;                       /* usable bytes in data */
	alignas(ARENA_ALIGN) char data[];
};

void
bencode_arena_init(struct bencode_arena *a)
{
	a->head = NULL;
	a->cur = a->inline_buf;
	a->left = sizeof(a->inline_buf);
	a->max_bytes = 0;
	a->heap_bytes = 0;
}

void
bencode_arena_free(struct bencode_arena *a)
{
	struct bencode_arena_block *b, *next;
	size_t cap = a->max_bytes;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	bencode_arena_init(a);
	/* The cap is configuration, not content: it survives a reset. */
	a->max_bytes = cap;
}

void *
bencode_arena_alloc(struct bencode_arena *a, size_t size)
{
	struct bencode_arena_block *b;
	size_t cap, bsize;
	void *p;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (size <= a->left) {
		p = a->cur;
		a->cur += size;
		a->left -= size;
		return p;
	}

	cap = a->max_bytes ? a->max_bytes : ARENA_DEFAULT_CAP;
	/* Blocks double with use so a big message needs few mallocs. */
	bsize = a->heap_bytes > ARENA_BLOCK_MIN ? a->heap_bytes : ARENA_BLOCK_MIN;
	if (bsize < size)
		bsize = size;
	if (a->heap_bytes >= cap)
		return NULL;
	/* Near the cap, hand out what is left of the budget in one block. */
	if (bsize > cap - a->heap_bytes)
		bsize = cap - a->heap_bytes;
	if (bsize < size)
		return NULL;
	b = malloc(sizeof(*b) + bsize);
	if (b == NULL)
		return NULL;
	b->next = a->head;
	b->size = bsize;
	a->head = b;
	a->heap_bytes += bsize;
	a->cur = b->data + size;
	a->left = bsize - size;
	return b->data;
}

static struct bencode_item *
item_new(struct bencode_arena *a, enum bencode_type type)
{
	struct bencode_item *it;

	it = bencode_arena_alloc(a, sizeof(*it));
	if (it == NULL)
		return NULL;
	memset(it, 0, sizeof(*it));
	it->type = type;
	return it;
}

/* ---- decoding ---- */

struct decoder {
	struct bencode_arena *a;
	const char *buf;
	size_t len;
	size_t pos;
	unsigned max_depth;
	size_t max_items;
	size_t max_string;
	size_t items;
	struct bencode_error *err;
};

static int
dec_fail(struct decoder *d, int code, size_t offset, const char *what)
{
	if (d->err != NULL) {
		d->err->offset = offset;
		d->err->what = what;
	}
	return code;
}

static int
dec_count(struct decoder *d, struct bencode_item **itp, enum bencode_type type)
{
	if (d->items >= d->max_items)
		return dec_fail(d, E2BIG, d->pos, "too many items");
	*itp = item_new(d->a, type);
	if (*itp == NULL)
		return dec_fail(d, ENOMEM, d->pos, "arena exhausted");
	d->items++;
	return 0;
}

static int
dec_string(struct decoder *d, struct bencode_item **out)
{
	size_t start = d->pos, n = 0, digits = 0;
	struct bencode_item *it;
	unsigned char c;
	int err;

	while (d->pos < d->len) {
		c = (unsigned char)d->buf[d->pos];
		if (c < '0' || c > '9')
			break;
		if (digits == 1 && n == 0)
			return dec_fail(d, EBADMSG, start, "leading zero in string length");
		n = n * 10 + (c - '0');
		digits++;
		if (n > d->max_string)
			return dec_fail(d, E2BIG, start, "string longer than limit");
		d->pos++;
	}
	if (d->pos >= d->len)
		return dec_fail(d, ENODATA, d->pos, "input ends inside string length");
	if (digits == 0)
		return dec_fail(d, EBADMSG, start, "expected string length");
	if (d->buf[d->pos] != ':')
		return dec_fail(d, EBADMSG, d->pos, "expected ':' after string length");
	d->pos++;
	if (n > d->len - d->pos)
		return dec_fail(d, ENODATA, d->pos, "input ends inside string");
	err = dec_count(d, &it, BENCODE_STRING);
	if (err)
		return err;
	it->str = d->buf + d->pos;
	it->len = n;
	d->pos += n;
	*out = it;
	return 0;
}

static int
dec_integer(struct decoder *d, struct bencode_item **out)
{
	size_t start = d->pos, digits = 0;
	uint64_t mag = 0, limit;
	bool neg = false, zero_lead = false;
	struct bencode_item *it;
	unsigned char c;
	int err;

	d->pos++;  /* 'i' */
	if (d->pos < d->len && d->buf[d->pos] == '-') {
		neg = true;
		d->pos++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	while (d->pos < d->len) {
		c = (unsigned char)d->buf[d->pos];
		if (c < '0' || c > '9')
			break;
		if (zero_lead)
			return dec_fail(d, EBADMSG, start, "leading zero in integer");
		if (digits == 0 && c == '0')
			zero_lead = true;
		if (mag > (limit - (c - '0')) / 10)
			return dec_fail(d, EBADMSG, start, "integer out of 64-bit range");
		mag = mag * 10 + (c - '0');
		digits++;
		d->pos++;
	}
	if (d->pos >= d->len)
		return dec_fail(d, ENODATA, d->pos, "input ends inside integer");
	if (digits == 0)
		return dec_fail(d, EBADMSG, d->pos, "integer without digits");
	if (d->buf[d->pos] != 'e')
		return dec_fail(d, EBADMSG, d->pos, "expected 'e' after integer");
	if (neg && mag == 0)
		return dec_fail(d, EBADMSG, start, "negative zero");
	d->pos++;
	err = dec_count(d, &it, BENCODE_INTEGER);
	if (err)
		return err;
	if (neg)
		it->num = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		it->num = (int64_t)mag;
	*out = it;
	return 0;
}

/* Merges two sorted runs of key/value pairs linked key->value->next key. */
static struct bencode_item *
pairs_merge(struct bencode_item *x, struct bencode_item *y)
{
	struct bencode_item head, *tail = &head;
	struct bencode_item **src;

	head.next = NULL;
	while (x != NULL && y != NULL) {
		src = bencode_key_cmp(x, y) <= 0 ? &x : &y;
		tail->next = *src;
		tail = (*src)->next;     /* the value */
		*src = tail->next;
	}
	tail->next = x != NULL ? x : y;
	return head.next;
}

/* Stable merge sort of n pairs starting at first; recursion depth is log2(n). */
static struct bencode_item *
pairs_sort(struct bencode_item *first, size_t n)
{
	struct bencode_item *mid, *val;
	size_t i, half;

	if (n < 2)
		return first;
	half = n / 2;
	val = first->next;
	for (i = 1; i < half; i++)
		val = val->next->next;
	mid = val->next;
	val->next = NULL;
	first = pairs_sort(first, half);
	mid = pairs_sort(mid, n - half);
	return pairs_merge(first, mid);
}

static int dec_value(struct decoder *d, unsigned depth, struct bencode_item **out);

static int
dec_container(struct decoder *d, unsigned depth, struct bencode_item **out)
{
	bool is_dict = d->buf[d->pos] == 'd';
	struct bencode_item *c, *key, *val, *it, *dup;
	unsigned char ch;
	int err;

	if (depth >= d->max_depth)
		return dec_fail(d, E2BIG, d->pos, "nesting deeper than limit");
	err = dec_count(d, &c, is_dict ? BENCODE_DICT : BENCODE_LIST);
	if (err)
		return err;
	d->pos++;
	for (;;) {
		if (d->pos >= d->len)
			return dec_fail(d, ENODATA, d->pos, is_dict ?
			    "input ends inside dictionary" : "input ends inside list");
		ch = (unsigned char)d->buf[d->pos];
		if (ch == 'e') {
			d->pos++;
			break;
		}
		if (!is_dict) {
			err = dec_value(d, depth + 1, &val);
			if (err)
				return err;
			bencode_list_add(c, val);
			continue;
		}
		if (ch < '0' || ch > '9')
			return dec_fail(d, EBADMSG, d->pos, "dictionary key is not a string");
		err = dec_string(d, &key);
		if (err)
			return err;
		if (d->pos >= d->len)
			return dec_fail(d, ENODATA, d->pos, "dictionary key without value");
		if (d->buf[d->pos] == 'e')
			return dec_fail(d, EBADMSG, d->pos, "dictionary key without value");
		err = dec_value(d, depth + 1, &val);
		if (err)
			return err;
		key->next = val;
		if (c->last == NULL)
			c->child = key;
		else
			c->last->next = key;
		c->last = val;
		c->count++;
	}
	if (is_dict && c->count > 1) {
		/* Keep dictionaries sorted: duplicates become neighbours and the
		 * encoder can emit them in one pass without allocating. */
		c->child = pairs_sort(c->child, c->count);
		dup = NULL;
		for (it = c->child; it->next->next != NULL; it = it->next->next) {
			if (bencode_key_cmp(it, it->next->next) == 0) {
				dup = it->str > it->next->next->str ? it : it->next->next;
				break;
			}
		}
		c->last = it->next;
		if (dup != NULL)
			return dec_fail(d, EBADMSG, (size_t)(dup->str - d->buf),
			    "duplicate dictionary key");
	}
	*out = c;
	return 0;
}

static int
dec_value(struct decoder *d, unsigned depth, struct bencode_item **out)
{
	unsigned char c;

	if (d->pos >= d->len)
		return dec_fail(d, ENODATA, d->pos, "input ends before a value");
	c = (unsigned char)d->buf[d->pos];
	if (c >= '0' && c <= '9')
		return dec_string(d, out);
	switch (c) {
	case 'i':
		return dec_integer(d, out);
	case 'l':
	case 'd':
		return dec_container(d, depth, out);
	case '-':
		return dec_fail(d, EBADMSG, d->pos, "negative string length");
	default:
		return dec_fail(d, EBADMSG, d->pos, "unexpected byte, expected a value");
	}
}

int
bencode_decode(struct bencode_arena *a, const char *buf, size_t len,
    const struct bencode_limits *lim, struct bencode_item **out, struct bencode_error *err)
{
	struct decoder d;
	struct bencode_item *root;
	int rc;

	memset(&d, 0, sizeof(d));
	d.a = a;
	d.buf = buf;
	d.len = buf != NULL ? len : 0;
	d.err = err;
	d.max_depth = lim != NULL && lim->max_depth ? lim->max_depth : LIM_DEPTH_DEFAULT;
	if (d.max_depth > LIM_DEPTH_HARD)
		d.max_depth = LIM_DEPTH_HARD;
	d.max_items = lim != NULL && lim->max_items ? lim->max_items : LIM_ITEMS_DEFAULT;
	d.max_string = lim != NULL && lim->max_string ? lim->max_string : LIM_STRING_DEFAULT;

	if (a == NULL || out == NULL)
		return dec_fail(&d, EINVAL, 0, "invalid arguments");
	rc = dec_value(&d, 0, &root);
	if (rc)
		return rc;
	if (d.pos != d.len)
		return dec_fail(&d, EBADMSG, d.pos, "trailing bytes after value");
	*out = root;
	return 0;
}

/* ---- builders ---- */

struct bencode_item *
bencode_str(struct bencode_arena *a, const char *s, size_t len)
{
	struct bencode_item *it;

	if (s == NULL && len > 0)
		return NULL;
	it = item_new(a, BENCODE_STRING);
	if (it == NULL)
		return NULL;
	it->str = s != NULL ? s : "";
	it->len = len;
	return it;
}

struct bencode_item *
bencode_cstr(struct bencode_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return bencode_str(a, s, strlen(s));
}

struct bencode_item *
bencode_str_dup(struct bencode_arena *a, const char *s, size_t len)
{
	char *copy;

	if (s == NULL && len > 0)
		return NULL;
	copy = bencode_arena_alloc(a, len);
	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, s, len);
	return bencode_str(a, copy, len);
}

struct bencode_item *
bencode_int(struct bencode_arena *a, int64_t v)
{
	struct bencode_item *it;

	it = item_new(a, BENCODE_INTEGER);
	if (it != NULL)
		it->num = v;
	return it;
}

struct bencode_item *
bencode_list(struct bencode_arena *a)
{
	return item_new(a, BENCODE_LIST);
}

struct bencode_item *
bencode_dict(struct bencode_arena *a)
{
	return item_new(a, BENCODE_DICT);
}

int
bencode_list_add(struct bencode_item *list, struct bencode_item *item)
{
	if (list == NULL || item == NULL || list->type != BENCODE_LIST)
		return EINVAL;
	item->next = NULL;
	if (list->last == NULL)
		list->child = item;
	else
		list->last->next = item;
	list->last = item;
	list->count++;
	return 0;
}

int
bencode_dict_add(struct bencode_arena *a, struct bencode_item *dict,
    const char *key, struct bencode_item *value)
{
	struct bencode_item *k, *it, *prev_val = NULL;
	int r;

	if (dict == NULL || dict->type != BENCODE_DICT || key == NULL || value == NULL)
		return EINVAL;
	k = item_new(a, BENCODE_STRING);
	if (k == NULL)
		return ENOMEM;
	k->str = key;
	k->len = strlen(key);

	/* Insert in key order so encoding stays a single pass. */
	for (it = dict->child; it != NULL && it->next != NULL; it = it->next->next) {
		r = bencode_key_cmp(k, it);
		if (r == 0)
			return EINVAL;
		if (r < 0)
			break;
		prev_val = it->next;
	}
	k->next = value;
	value->next = prev_val != NULL ? prev_val->next : dict->child;
	if (prev_val != NULL)
		prev_val->next = k;
	else
		dict->child = k;
	if (value->next == NULL)
		dict->last = value;
	dict->count++;
	return 0;
}

int
bencode_dict_add_cstr(struct bencode_arena *a, struct bencode_item *dict,
    const char *key, const char *value)
{
	struct bencode_item *v;

	if (value == NULL)
		return EINVAL;
	v = bencode_cstr(a, value);
	if (v == NULL)
		return ENOMEM;
	return bencode_dict_add(a, dict, key, v);
}

int
bencode_dict_add_str(struct bencode_arena *a, struct bencode_item *dict,
    const char *key, const char *value, size_t len)
{
	struct bencode_item *v;

	if (value == NULL && len > 0)
		return EINVAL;
	v = bencode_str(a, value, len);
	if (v == NULL)
		return ENOMEM;
	return bencode_dict_add(a, dict, key, v);
}

int
bencode_dict_add_int(struct bencode_arena *a, struct bencode_item *dict,
    const char *key, int64_t value)
{
	struct bencode_item *v;

	v = bencode_int(a, value);
	if (v == NULL)
		return ENOMEM;
	return bencode_dict_add(a, dict, key, v);
}

struct bencode_item *
bencode_dict_get(const struct bencode_item *dict, const char *key)
{
	const struct bencode_item *it;
	size_t klen;

	if (dict == NULL || dict->type != BENCODE_DICT || key == NULL)
		return NULL;
	klen = strlen(key);
	for (it = dict->child; it != NULL && it->next != NULL; it = it->next->next) {
		if (it->type == BENCODE_STRING && it->len == klen &&
		    (klen == 0 || memcmp(it->str, key, klen) == 0))
			return it->next;
	}
	return NULL;
}

bool
bencode_str_eq(const struct bencode_item *item, const char *s)
{
	size_t n;

	if (item == NULL || item->type != BENCODE_STRING || s == NULL)
		return false;
	n = strlen(s);
	return item->len == n && (n == 0 || memcmp(item->str, s, n) == 0);
}

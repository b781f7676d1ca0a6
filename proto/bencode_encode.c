/* SPDX-License-Identifier: BSD-2-Clause */
/* Bencode encoder: sorted dictionaries, no allocation, exact length even when the buffer is short. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bencode.h"
#include "bencode_int.h"

/* A sink that counts every byte and copies those that fit. */
struct sink {
	char *buf;
	size_t cap;
	size_t len;
};

static void
sink_put(struct sink *s, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (s->len < s->cap) {
		size_t room = s->cap - s->len;
		memcpy(s->buf + s->len, p, n < room ? n : room);
	}
	s->len += n;
}

static void
sink_char(struct sink *s, char c)
{
	sink_put(s, &c, 1);
}

static void
sink_uint(struct sink *s, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sink_put(s, tmp + i, sizeof(tmp) - i);
}

static int enc_item(struct sink *s, const struct bencode_item *it);

static int
enc_string(struct sink *s, const struct bencode_item *it)
{
	if (it->str == NULL && it->len > 0)
		return EINVAL;
	sink_uint(s, it->len);
	sink_char(s, ':');
	sink_put(s, it->str, it->len);
	return 0;
}

static int
enc_pair(struct sink *s, const struct bencode_item *key)
{
	int err;

	if (key->type != BENCODE_STRING || key->next == NULL)
		return EINVAL;
	err = enc_string(s, key);
	if (err)
		return err;
	return enc_item(s, key->next);
}

static int
enc_dict(struct sink *s, const struct bencode_item *d)
{
	const struct bencode_item *it, *prev = NULL, *min;
	size_t n = 0, i;
	bool sorted = true;
	int err;

	for (it = d->child; it != NULL; it = it->next->next) {
		if (it->type != BENCODE_STRING || it->next == NULL)
			return EINVAL;
		if (prev != NULL && bencode_key_cmp(prev, it) >= 0)
			sorted = false;
		prev = it;
		n++;
	}
	sink_char(s, 'd');
	if (sorted) {
		for (it = d->child; it != NULL; it = it->next->next) {
			err = enc_pair(s, it);
			if (err)
				return err;
		}
	} else {
		/* A tree assembled by hand: emit by repeated minimum search, which
		 * costs O(n^2) but needs no memory. Equal keys are invalid. */
		prev = NULL;
		for (i = 0; i < n; i++) {
			min = NULL;
			for (it = d->child; it != NULL; it = it->next->next) {
				if (prev != NULL && bencode_key_cmp(it, prev) <= 0)
					continue;
				if (min == NULL || bencode_key_cmp(it, min) < 0)
					min = it;
				else if (bencode_key_cmp(it, min) == 0)
					return EINVAL;
			}
			if (min == NULL)
				return EINVAL;
			err = enc_pair(s, min);
			if (err)
				return err;
			prev = min;
		}
	}
	sink_char(s, 'e');
	return 0;
}

static int
enc_item(struct sink *s, const struct bencode_item *it)
{
	const struct bencode_item *c;
	int err;

	if (it == NULL)
		return EINVAL;
	switch (it->type) {
	case BENCODE_STRING:
		return enc_string(s, it);
	case BENCODE_INTEGER:
		sink_char(s, 'i');
		if (it->num < 0) {
			sink_char(s, '-');
			sink_uint(s, (uint64_t)0 - (uint64_t)it->num);
		} else {
			sink_uint(s, (uint64_t)it->num);
		}
		sink_char(s, 'e');
		return 0;
	case BENCODE_LIST:
		sink_char(s, 'l');
		for (c = it->child; c != NULL; c = c->next) {
			err = enc_item(s, c);
			if (err)
				return err;
		}
		sink_char(s, 'e');
		return 0;
	case BENCODE_DICT:
		return enc_dict(s, it);
	default:
		return EINVAL;
	}
}

int
bencode_encode(const struct bencode_item *item, char *buf, size_t cap, size_t *outlen)
{
	struct sink s = { buf, buf != NULL ? cap : 0, 0 };
	int err;

	err = enc_item(&s, item);
	if (err)
		return err;
	if (outlen != NULL)
		*outlen = s.len;
	if (s.len > s.cap)
		return ENOSPC;
	return 0;
}

size_t
bencode_encoded_len(const struct bencode_item *item)
{
	struct sink s = { NULL, 0, 0 };

	if (enc_item(&s, item) != 0)
		return 0;
	return s.len;
}

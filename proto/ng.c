/* SPDX-License-Identifier: BSD-2-Clause */
/* ng control protocol messages: datagram split, key normalisation, replies. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ng.h"

static const char *const op_names[] = {
	[NG_OP_UNKNOWN] = NULL,
	[NG_OP_PING] = "ping",
	[NG_OP_OFFER] = "offer",
	[NG_OP_ANSWER] = "answer",
	[NG_OP_DELETE] = "delete",
	[NG_OP_QUERY] = "query",
	[NG_OP_LIST] = "list",
	[NG_OP_STATISTICS] = "statistics",
};

enum ng_op
ng_op_from_name(const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return NG_OP_UNKNOWN;
	for (i = 1; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (strlen(op_names[i]) == len && memcmp(op_names[i], s, len) == 0)
			return (enum ng_op)i;
	}
	return NG_OP_UNKNOWN;
}

const char *
ng_op_name(enum ng_op op)
{
	if ((size_t)op >= sizeof(op_names) / sizeof(op_names[0]) || op_names[op] == NULL)
		return "unknown";
	return op_names[op];
}

static unsigned char
name_fold(unsigned char c)
{
	if (c == '-' || c == '_')
		return ' ';
	if (c >= 'A' && c <= 'Z')
		return (unsigned char)(c - 'A' + 'a');
	return c;
}

bool
ng_name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (b == NULL || (a == NULL && alen > 0))
		return false;
	for (i = 0; i < alen; i++) {
		if (b[i] == '\0')
			return false;
		if (name_fold((unsigned char)a[i]) != name_fold((unsigned char)b[i]))
			return false;
	}
	return b[alen] == '\0';
}

struct bencode_item *
ng_dict_get(const struct bencode_item *dict, const char *key)
{
	const struct bencode_item *it, *found = NULL;
	size_t klen;

	if (dict == NULL || dict->type != BENCODE_DICT || key == NULL)
		return NULL;
	klen = strlen(key);
	for (it = dict->child; it != NULL && it->next != NULL; it = it->next->next) {
		if (it->type != BENCODE_STRING)
			continue;
		/* Two spellings of one key in a message: the exact one wins, so the
		 * answer does not depend on where the sort put them. */
		if (it->len == klen && (klen == 0 || memcmp(it->str, key, klen) == 0))
			return it->next;
		/* folding maps byte to byte: other lengths never match (most keys) */
		if (found == NULL && it->len == klen && ng_name_eq(it->str, it->len, key))
			found = it->next;
	}
	return (struct bencode_item *)found;
}

int
ng_get_str(const struct bencode_item *dict, const char *key, const char **s, size_t *len)
{
	const struct bencode_item *v;

	v = ng_dict_get(dict, key);
	if (v == NULL)
		return ENOENT;
	if (v->type != BENCODE_STRING)
		return EINVAL;
	if (s != NULL)
		*s = v->str;
	if (len != NULL)
		*len = v->len;
	return 0;
}

/* Strict decimal: optional sign, at least one digit, nothing else, no overflow. */
static int
parse_decimal(const char *s, size_t len, int64_t *v)
{
	uint64_t mag = 0, limit;
	bool neg = false;
	size_t i = 0;
	unsigned d;

	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EINVAL;
		d = (unsigned)(s[i] - '0');
		if (mag > (limit - d) / 10)
			return EINVAL;
		mag = mag * 10 + d;
	}
	if (neg)
		*v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*v = (int64_t)mag;
	return 0;
}

int
ng_get_int(const struct bencode_item *dict, const char *key, int64_t *v)
{
	const struct bencode_item *it;
	int64_t tmp;
	int err;

	it = ng_dict_get(dict, key);
	if (it == NULL)
		return ENOENT;
	if (it->type == BENCODE_INTEGER) {
		tmp = it->num;
	} else if (it->type == BENCODE_STRING) {
		err = parse_decimal(it->str, it->len, &tmp);
		if (err)
			return err;
	} else {
		return EINVAL;
	}
	if (v != NULL)
		*v = tmp;
	return 0;
}

bool
ng_list_has(const struct bencode_item *dict, const char *key, const char *flag)
{
	const struct bencode_item *v, *it;

	v = ng_dict_get(dict, key);
	if (v == NULL || flag == NULL)
		return false;
	if (v->type == BENCODE_STRING)
		return ng_name_eq(v->str, v->len, flag);
	if (v->type != BENCODE_LIST)
		return false;
	for (it = v->child; it != NULL; it = it->next) {
		if (it->type == BENCODE_STRING && ng_name_eq(it->str, it->len, flag))
			return true;
	}
	return false;
}

void
ng_list_foreach(const struct bencode_item *dict, const char *key, ng_str_h *fn, void *arg)
{
	const struct bencode_item *v, *it;

	v = ng_dict_get(dict, key);
	if (v == NULL || fn == NULL)
		return;
	if (v->type == BENCODE_STRING) {
		fn(v->str, v->len, arg);
		return;
	}
	if (v->type != BENCODE_LIST)
		return;
	for (it = v->child; it != NULL; it = it->next) {
		if (it->type == BENCODE_STRING)
			fn(it->str, it->len, arg);
	}
}

static void
set_err(struct bencode_error *err, size_t offset, const char *what)
{
	if (err != NULL) {
		err->offset = offset;
		err->what = what;
	}
}

/* Splits off the cookie and decodes the body into a dictionary; error offsets
 * are relative to the start of the datagram. */
static int
msg_split_decode(struct bencode_arena *a, const char *dgram, size_t len,
    struct ng_msg *m, struct bencode_error *err)
{
	const char *sp, *body;
	size_t clen, blen;
	struct bencode_item *dict;
	int rc;

	if (a == NULL || m == NULL || (dgram == NULL && len > 0)) {
		set_err(err, 0, "invalid arguments");
		return EINVAL;
	}
	if (len == 0) {
		set_err(err, 0, "empty datagram");
		return ENOMSG;
	}
	sp = memchr(dgram, ' ', len < NG_MAX_COOKIE + 1 ? len : NG_MAX_COOKIE + 1);
	if (sp == NULL || sp == dgram) {
		set_err(err, 0, sp == NULL ? "no cookie" : "empty cookie");
		return ENOMSG;
	}
	clen = (size_t)(sp - dgram);
	body = sp + 1;
	blen = len - clen - 1;
	if (len > NG_MAX_DATAGRAM) {
		set_err(err, NG_MAX_DATAGRAM, "datagram larger than the ng maximum");
		return E2BIG;
	}
	if (blen == 0) {
		set_err(err, clen + 1, "no body after cookie");
		return ENODATA;
	}
	if (body[0] == '{') {
		set_err(err, clen + 1, "JSON body not supported");
		return EPROTONOSUPPORT;
	}
	if (body[0] != 'd') {
		set_err(err, clen + 1, "body is not a dictionary");
		return EBADMSG;
	}
	rc = bencode_decode(a, body, blen, NULL, &dict, err);
	if (rc) {
		if (err != NULL)
			err->offset += clen + 1;
		return rc;
	}
	memset(m, 0, sizeof(*m));
	m->cookie = dgram;
	m->cookie_len = clen;
	m->dict = dict;
	m->op = NG_OP_UNKNOWN;
	return 0;
}

/* A request (reply false: its command read) or a reply (its "result" required). */
static int
msg_parse(struct bencode_arena *a, const char *dgram, size_t len, struct ng_msg *m,
    struct bencode_error *err, bool reply)
{
	struct ng_msg tmp;
	int rc;

	/* with m NULL the decoder sets the "invalid arguments" error itself */
	rc = msg_split_decode(a, dgram, len, m != NULL ? &tmp : NULL, err);
	if (rc)
		return rc;
	if (reply && ng_get_str(tmp.dict, "result", NULL, NULL) != 0) {
		set_err(err, tmp.cookie_len + 1, "reply has no string \"result\"");
		return EBADMSG;
	}
	if (!reply && ng_get_str(tmp.dict, "command", &tmp.command, &tmp.command_len) == 0)
		tmp.op = ng_op_from_name(tmp.command, tmp.command_len);
	ng_get_str(tmp.dict, "call-id", &tmp.call_id, &tmp.call_id_len);
	*m = tmp;
	return 0;
}

int
ng_msg_parse(struct bencode_arena *a, const char *dgram, size_t len,
    struct ng_msg *m, struct bencode_error *err)
{
	return msg_parse(a, dgram, len, m, err, false);
}

int
ng_reply_parse(struct bencode_arena *a, const char *dgram, size_t len,
    struct ng_msg *m, struct bencode_error *err)
{
	return msg_parse(a, dgram, len, m, err, true);
}

static int
cookie_check(const char *cookie, size_t cookie_len)
{
	if (cookie == NULL || cookie_len == 0 || cookie_len > NG_MAX_COOKIE ||
	    memchr(cookie, ' ', cookie_len) != NULL)
		return EINVAL;
	return 0;
}

int
ng_encode(const char *cookie, size_t cookie_len, const struct bencode_item *dict,
    char *buf, size_t cap, size_t *outlen)
{
	size_t blen, need, got;
	int err;

	err = cookie_check(cookie, cookie_len);
	if (err)
		return err;
	if (dict == NULL || dict->type != BENCODE_DICT)
		return EINVAL;
	blen = bencode_encoded_len(dict);
	if (blen == 0)
		return EINVAL;
	need = cookie_len + 1 + blen;
	if (buf == NULL || need > cap) {
		if (outlen != NULL)
			*outlen = need;
		return ENOSPC;
	}
	memcpy(buf, cookie, cookie_len);
	buf[cookie_len] = ' ';
	err = bencode_encode(dict, buf + cookie_len + 1, cap - cookie_len - 1, &got);
	if (err)
		return err;
	if (outlen != NULL)
		*outlen = cookie_len + 1 + got;
	return 0;
}

/* Appends n bytes at *pos when they fit; *pos always advances. */
static void
put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (buf != NULL && *pos <= cap && n <= cap - *pos)
		memcpy(buf + *pos, s, n);
	*pos += n;
}

int
ng_encode_error(const char *cookie, size_t cookie_len, const char *reason,
    char *buf, size_t cap, size_t *outlen)
{
	static const char head[] = "d12:error-reason";
	static const char tail[] = "6:result5:errore";
	char num[24];
	size_t rlen, pos = 0, i = sizeof(num);
	int err;

	err = cookie_check(cookie, cookie_len);
	if (err)
		return err;
	if (reason == NULL)
		return EINVAL;
	rlen = strlen(reason);
	num[--i] = ':';
	do {
		num[--i] = (char)('0' + rlen % 10);
		rlen /= 10;
	} while (rlen != 0);
	rlen = strlen(reason);

	put(buf, cap, &pos, cookie, cookie_len);
	put(buf, cap, &pos, " ", 1);
	put(buf, cap, &pos, head, sizeof(head) - 1);
	put(buf, cap, &pos, num + i, sizeof(num) - i);
	put(buf, cap, &pos, reason, rlen);
	put(buf, cap, &pos, tail, sizeof(tail) - 1);
	if (outlen != NULL)
		*outlen = pos;
	if (buf == NULL || pos > cap)
		return ENOSPC;
	return 0;
}

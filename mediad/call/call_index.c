/* SPDX-License-Identifier: BSD-2-Clause */
/* A call's SRTP indexes (per leg, direction and SSRC) as readable Redis field values. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"

int
call_index_format(char *buf, size_t size, const struct srtp_ctx_ssrc_state *st, unsigned n)
{
	size_t off = 0;
	unsigned i;
	int k;

	if (size == 0)
		return ENOSPC;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		k = snprintf(buf + off, size - off, "%sssrc=0x%08" PRIx32, i ? "; " : "",
		    st[i].ssrc);
		if (k < 0 || (size_t)k >= size - off)
			return ENOSPC;
		off += (size_t)k;
		if (st[i].have_rtp) {
			k = snprintf(buf + off, size - off, " roc=%" PRIu32 " seq=%u", st[i].roc,
			    (unsigned)st[i].seq);
			if (k < 0 || (size_t)k >= size - off)
				return ENOSPC;
			off += (size_t)k;
		}
		if (st[i].have_rtcp) {
			k = snprintf(buf + off, size - off, " srtcp=%" PRIu32, st[i].rtcp_index);
			if (k < 0 || (size_t)k >= size - off)
				return ENOSPC;
			off += (size_t)k;
		}
	}
	return 0;
}

/* One "name=number" token of len bytes at p into *v (at most max). */
static int
token_num(const char *p, size_t len, const char *name, unsigned long long max,
    unsigned long long *v)
{
	size_t nl = strlen(name);
	char num[24], *end;

	if (len <= nl + 1 || len - nl - 1 >= sizeof(num) || memcmp(p, name, nl) != 0 ||
	    p[nl] != '=')
		return ENOENT;
	memcpy(num, p + nl + 1, len - nl - 1);
	num[len - nl - 1] = '\0';
	if (num[0] == '-' || num[0] == '+')
		return EINVAL;
	errno = 0;
	*v = strtoull(num, &end, 0);
	if (errno != 0 || *end != '\0' || *v > max)
		return EINVAL;
	return 0;
}

/* One entry "ssrc=.. [roc=.. seq=..] [srtcp=..]" of len bytes. */
static int
parse_entry(const char *p, size_t len, struct srtp_ctx_ssrc_state *e)
{
	bool have_ssrc = false, have_roc = false, have_seq = false;
	unsigned long long v;
	size_t tl;
	int err;

	memset(e, 0, sizeof(*e));
	while (len > 0) {
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		if (len == 0)
			break;
		for (tl = 0; tl < len && p[tl] != ' '; tl++)
			;
		if ((err = token_num(p, tl, "ssrc", UINT32_MAX, &v)) == 0) {
			e->ssrc = (uint32_t)v;
			have_ssrc = true;
		} else if (err == ENOENT && (err = token_num(p, tl, "roc", UINT32_MAX, &v)) == 0) {
			e->roc = (uint32_t)v;
			have_roc = true;
		} else if (err == ENOENT && (err = token_num(p, tl, "seq", UINT16_MAX, &v)) == 0) {
			e->seq = (uint16_t)v;
			have_seq = true;
		} else if (err == ENOENT &&
		    (err = token_num(p, tl, "srtcp", 0x7fffffffu, &v)) == 0) {
			e->rtcp_index = (uint32_t)v;
			e->have_rtcp = true;
		}
		if (err)
			return EINVAL;
		p += tl;
		len -= tl;
	}
	/* roc without seq (or the reverse) cannot place an index */
	if (!have_ssrc || have_roc != have_seq)
		return EINVAL;
	e->have_rtp = have_roc;
	return 0;
}

int
call_index_parse(const char *s, struct srtp_ctx_ssrc_state *out, unsigned max, unsigned *np)
{
	struct srtp_ctx_ssrc_state tmp[SRTP_CTX_MAX_SSRC];
	unsigned n = 0;
	const char *semi;
	size_t len;

	for (; *s != '\0'; s = semi != NULL ? semi + 1 : s + len) {
		semi = strchr(s, ';');
		len = semi != NULL ? (size_t)(semi - s) : strlen(s);
		if (n >= max || n >= SRTP_CTX_MAX_SSRC)
			return EINVAL;
		if (parse_entry(s, len, &tmp[n]))
			return EINVAL;
		n++;
	}
	memcpy(out, tmp, n * sizeof(tmp[0]));
	*np = n;
	return 0;
}

void
call_index_read(const struct call *c, unsigned side, unsigned j, struct relay_srtp_state *out)
{
	const struct monologue *mono = side < 2 ? c->mono[side] : NULL;

	memset(out, 0, sizeof(*out));
	if (j >= MEDIAD_MAX_MEDIA)
		return;
	if (c->rm[j] != NULL)
		relay_media_srtp_state(c->rm[j], side, out);
	else if (mono != NULL && j < mono->nmedia)
		*out = mono->media[j].resume;
}

static const struct srtp_ctx_ssrc_state *
entry_find(const struct srtp_ctx_ssrc_state *st, unsigned n, uint32_t ssrc)
{
	for (unsigned i = 0; i < n; i++)
		if (st[i].ssrc == ssrc)
			return &st[i];
	return NULL;
}

static bool
dir_differs(const struct srtp_ctx_ssrc_state *now, unsigned nn,
    const struct srtp_ctx_ssrc_state *was, unsigned nw, bool urgent)
{
	const struct srtp_ctx_ssrc_state *w;
	unsigned i;

	if (nn != nw)
		return true;
	for (i = 0; i < nn; i++) {
		w = entry_find(was, nw, now[i].ssrc);
		if (w == NULL || w->have_rtp != now[i].have_rtp || w->have_rtcp != now[i].have_rtcp)
			return true;
		if (w->roc != now[i].roc)
			return true;
		if (urgent) {
			/* what a restart skips over: up to SRTP_CTX_RESUME_RTCP_MARGIN */
			if (now[i].rtcp_index - w->rtcp_index >= SRTP_CTX_RTCP_STEP)
				return true;
		} else if (w->seq != now[i].seq || w->rtcp_index != now[i].rtcp_index) {
			return true;
		}
	}
	return false;
}

bool
call_index_differs(const struct relay_srtp_state *now, const struct relay_srtp_state *was,
    bool urgent)
{
	return dir_differs(now->rx, now->nrx, was->rx, was->nrx, urgent) ||
	    dir_differs(now->tx, now->ntx, was->tx, was->ntx, urgent);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside of the SIP part: struct sip_msg for the parser, validator and builders, the builders' output. */
#ifndef SBC_SIGPROXY_SIP_INT_H
#define SBC_SIGPROXY_SIP_INT_H

#include <osipparser2/osip_message.h>

#include "sip.h"

enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,
	SIP_HDR_FROM,
	SIP_HDR_TO,
	SIP_HDR_CALL_ID,
	SIP_HDR_CSEQ,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTACT,
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_REQUIRE,
};

/* One header field (with its continuation lines) as found in raw. */
struct sip_hdr {
	enum sip_hdr_id id;
	const char *name;	/* into raw, not NUL-terminated */
	size_t name_len;
	size_t line_off;	/* offset in raw of the field's first byte */
	size_t line_len;	/* up to and including the last line terminator */
	char *value;		/* unfolded, trimmed, NUL-terminated; into arena */
	size_t value_len;	/* may include NUL bytes (quoted-pairs) */
};

struct sip_msg {
	enum tp_proto tp;
	char *raw;		/* owned: kept bytes + NUL */
	size_t raw_len;		/* header section + body */
	size_t start_len;	/* start line, terminator excluded */
	size_t hdr_end;		/* offset of the body */
	size_t body_off;
	size_t body_len;
	struct sip_hdr *hdrs;	/* owned */
	unsigned nhdrs;
	char *arena;		/* owned: unfolded values */
	char *sl;		/* owned: start line pieces below point into it */
	bool request;
	char *method, *ruri_str, *version;	/* requests */
	int status;				/* responses */
	char *reason;				/* responses */
	bool too_large;		/* over the size limit: body not kept */
	bool cl_short;		/* UDP body shorter than Content-Length */
	bool cl_bad;		/* Content-Length not a number (or absent on a stream) */
	unsigned cl_count;
	uint32_t cseq;
	const char *cseq_method;	/* into arena */
	bool cseq_ok;
	unsigned max_forwards;
	bool mf_ok;
	char *ctype;		/* owned */
	char *ruri_user;	/* owned, unescaped */
	size_t ruri_user_len;
	osip_message_t *osip;	/* owned; empty when libosip2 refused the message */
	bool osip_failed;
	unsigned refs;		/* references beyond the parse's own (sip_msg_ref) */
	/* RFC 2543 identifiers, derived on first use (sip_legacy.c); "" until then */
	char legacy_from_tag[SIP_LEGACY_ID_SIZE];
	char legacy_to_tag[SIP_LEGACY_ID_SIZE];
	char legacy_txn_key[SIP_LEGACY_ID_SIZE];
	char *call_id_alias;	/* owned: what sip_msg_call_id() answers instead (a call's own
				 * Call-ID for a leg that carries another), NULL: none */
};

enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len);
const struct sip_hdr *sip_msg_hdr_find(const struct sip_msg *m, enum sip_hdr_id id,
    unsigned idx);
unsigned sip_msg_hdr_count(const struct sip_msg *m, enum sip_hdr_id id);
bool sip_is_token_char(unsigned char c);
bool sip_hdr_same_other(const char *name, size_t len, const char *want);
bool sip_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);

/* sip_access.c: a struct sip_uri over u (its strings stay u's). */
void sip_uri_fill(osip_uri_t *u, struct sip_uri *out);

/* One entry of a Route or Record-Route set: its text as received (unfolded), its own parse. */
#define SIP_ENTRIES_MAX 32	/* entries handled in one set */
struct sip_entry {
	const char *p;
	size_t n;
	osip_route_t *r;	/* owned */
};
/*
 * sip_build.c: every entry of the headers id (SIP_HDR_ROUTE or SIP_HDR_RECORD_ROUTE)
 * of m, in order, each parsed on its own; free with sip_entries_free. 0, EINVAL, ENOMEM.
 */
int sip_entries_load(const struct sip_msg *m, enum sip_hdr_id id, struct sip_entry *e,
    unsigned *np);
void sip_entries_free(struct sip_entry *e, unsigned n);
/* Whether an osip URI names one of hops[n] (host and effective port). */
bool sip_uri_names_hop(const osip_uri_t *u, const struct sip_hop *hops, unsigned n);

/* sip_write.c: output into the caller's buffer; overflow is sticky and reported once at the end. */
struct sip_wbuf {
	char *p;
	size_t size;
	size_t len;
	bool overflow;
};
void sip_wbuf_put(struct sip_wbuf *w, const char *s, size_t n);
void sip_wbuf_str(struct sip_wbuf *w, const char *s);
void sip_wbuf_fmt(struct sip_wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 with *len, or ENOSPC after an overflow; NUL-terminates. */
int sip_wbuf_finish(struct sip_wbuf *w, size_t *len);
/* "Name: value\r\n" */
void sip_wbuf_hdr(struct sip_wbuf *w, const char *name, const char *v, size_t n);
/* host (IPv6 bracketed) and ":port" unless port is 0. */
void sip_wbuf_hostport(struct sip_wbuf *w, const char *host, uint16_t port);
/* Content-Type (ctype non-NULL), Content-Length and the blank line. */
void sip_wbuf_body_headers(struct sip_wbuf *w, const char *ctype, size_t body_len);
/* Our Via: "Via: SIP/2.0/UDP host:port;branch=...\r\n". */
void sip_wbuf_via(struct sip_wbuf *w, const struct sip_hop *via, const char *branch);
/* One of our Record-Route entries: "<sip:host:port;transport=t;lr>". */
void sip_wbuf_rr_entry(struct sip_wbuf *w, const struct sip_hop *h);
/* Our replacement Contact, "Contact: <uri>", the first time only (*done set). */
void sip_wbuf_contact_once(struct sip_wbuf *w, const char *uri, bool *done);
/* The first c in v[n] outside a quoted string; NULL when none. */
const char *sip_unquoted_chr(const char *v, size_t n, char c);
/* A Call-ID to write (NULL: none): one word. */
bool sip_call_id_ok(const char *s);
bool sip_has_crlf(const char *s);
/* A URI given as text to write verbatim: one token libosip2 parses (sip_build.c). */
bool sip_uri_text_ok(const char *s);
/* Header lines supplied by a caller: complete lines, each ending in CRLF. */
bool sip_extra_ok(const char *s);
/* Length of the first element of a comma list (commas inside quotes or <> do not count). */
size_t sip_list_first_len(const char *v, size_t n);
uint16_t sip_default_port(enum tp_proto tp);

#endif

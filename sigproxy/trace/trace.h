/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's SIP trace, its one interface: whole messages, keys masked, filtered by call,
 * number or peer, to a file of whole messages, as HEP3 to a collector (Homer, sngrep),
 * or to the log when neither is configured. Switched on and off and refiltered at run
 * time. Knows no transaction and no listener table: the send layer describes each
 * message.
 */
#ifndef SBC_SIGPROXY_TRACE_H
#define SBC_SIGPROXY_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "transport.h"

struct metric;
struct trace;
struct trace_filter;

enum trace_dir {
	TRACE_IN = 0,
	TRACE_OUT,
};

/* One message as it crossed the wire. */
struct trace_msg {
	enum trace_dir dir;
	enum tp_proto proto;
	const char *listener;	/* configured listener name; NULL: unknown */
	const struct sa *local;	/* our address; NULL or AF_UNSPEC: unknown */
	const struct sa *peer;	/* the other end; NULL: unknown */
	const char *buf;	/* the message, not NUL-terminated */
	size_t len;
};

struct trace_conf {
	bool on;			/* trace from the start */
	const char *file;		/* NULL or "": no trace file */
	const struct sa *hep;		/* NULL or AF_UNSPEC: no HEP export */
	uint32_t hep_id;		/* HEP capture agent id */
	const char *call, *number, *peer;	/* the filter (trace_filter_parse) */
	struct metric *traced;		/* messages written (may be NULL) */
	struct metric *lost;		/* messages a trace output could not take (may be NULL) */
};

/* trace.c */
/*
 * Opens the trace file (created 0640, appended) and the HEP socket of c; strings are
 * copied. Returns 0, ENOMEM, EINVAL (bad filter), or the errno of open/socket; the
 * caller owns *tp (trace_free).
 */
int trace_alloc(struct trace **tp, const struct trace_conf *c);
void trace_free(struct trace *t);
bool trace_is_on(const struct trace *t);
void trace_set_on(struct trace *t, bool on);
/*
 * Replaces the filter (NULL or "" for a criterion: any). 0, or EINVAL with the reason
 * in msg; the old filter stays then.
 */
int trace_set_filter(struct trace *t, const char *call, const char *number, const char *peer,
    char *msg, size_t size);
/* Closes and opens the trace file again (after logrotate moved it). 0 or errno. */
int trace_reopen(struct trace *t);
/* Writes m to every output when the trace is on and m passes the filter. */
void trace_message(struct trace *t, const struct trace_msg *m);

/* trace_filter.c */
/*
 * Compiles a filter: call, an exact Call-ID; number, a PCRE2 regular expression
 * searched in the user part of the Request-URI, From and To; peer, a network list as
 * an ACL takes it ("192.0.2.7", "192.0.2.0/24, 2001:db8::/32"). NULL or "" for a
 * criterion: any; a message passes when it matches every criterion set. *fp is NULL
 * when no criterion is set. Returns 0, or EINVAL with the reason in msg, or ENOMEM.
 */
int trace_filter_parse(struct trace_filter **fp, const char *call, const char *number,
    const char *peer, char *msg, size_t size);
void trace_filter_free(struct trace_filter *f);
/* Whether m passes f (NULL passes everything). */
bool trace_filter_match(const struct trace_filter *f, const struct trace_msg *m);
/*
 * The value of header name (or its compact form, 0 for none) in the header section of
 * buf; 0 with *val and *vlen (trimmed, first line of a folded value), or ENOENT.
 */
int trace_hdr_find(const char *buf, size_t len, const char *name, char compact,
    const char **val, size_t *vlen);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sigproxy's audit part, its one interface: the compliance record, one JSON line per ended
 * call joining signalling and media evidence (who called whom, each leg's transport, TLS
 * version, cipher and peer certificate, SRTP suite, packets, loss and drops, the end
 * reason), to a file and to syslog, and a one-line summary in the log.
 */
#ifndef SBC_SIGPROXY_AUDIT_H
#define SBC_SIGPROXY_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ng_leg;
struct sp_call;
struct metric;
struct audit;

struct audit_conf {
	const char *file;	/* appended (created 0640); NULL or "": no file */
	bool syslog;		/* also one syslog(3) message per record */
	int facility;		/* LOG_LOCAL0 ... (<syslog.h>) */
	const char *instance;	/* this sigproxy's id, in every record */
	struct metric *written, *lost;	/* records written / not written (may be NULL) */
};

/* Opens the outputs. 0, ENOMEM or the open(2) errno of the file; *ap owned: audit_close. */
int audit_open(struct audit **ap, const struct audit_conf *conf);
void audit_close(struct audit *a);
/* SIGHUP: the file again under its name (logrotate moved it). 0 or the open(2) errno. */
int audit_reopen(struct audit *a);
/* Whether a record goes anywhere (the ng delete then asks mediad for the statistics). */
bool audit_on(const struct audit *a);
/*
 * The call c ended (state, end time and reason set): the summary line in the log, and the
 * record to the outputs. media: each leg's media from mediad (NULL: it did not answer).
 */
void audit_write(struct audit *a, const struct sp_call *c, const struct ng_leg *media);

/*
 * The record of c as one JSON object without a newline into buf (audit_json.c). Returns
 * its length, or 0 when it does not fit size (then nothing usable is in buf).
 */
size_t audit_json(char *buf, size_t size, const struct sp_call *c, const char *instance,
    const struct ng_leg *media);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* Inside the trace part: the two outputs beside the log, a trace file and HEP3 over UDP. */
#ifndef SBC_SIGPROXY_TRACE_INT_H
#define SBC_SIGPROXY_TRACE_INT_H

#include <sys/time.h>

#include "trace.h"

/* trace_file.c: a file of whole messages, appended, reopened on request. */
struct trace_file;
/* Opens path (created 0640). 0 or errno; the caller owns *fp. */
int trace_file_open(struct trace_file **fp, const char *path);
void trace_file_close(struct trace_file *f);
/* Closes and opens the same path again. 0 or errno (the file is closed then). */
int trace_file_reopen(struct trace_file *f);
/*
 * Appends one record: a header line (time, direction, transport, listener, addresses,
 * Call-ID) and the message (already masked), control bytes escaped. 0 or errno.
 */
int trace_file_write(struct trace_file *f, const struct trace_msg *m, const char *msg,
    const struct timeval *tv, const char *call_id, size_t call_id_len);

/* trace_hep.c: HEP3 (the Homer encapsulation protocol, version 3) datagrams. */
#define TRACE_HEP_MAX 65507	/* a UDP datagram over IPv4 */
/* Protocol type chunk value for SIP. */
#define TRACE_HEP_SIP 1
/*
 * Encodes m (payload msg, already masked) as one HEP3 packet into out (size bytes).
 * Returns 0 with *outlen, or EMSGSIZE.
 */
int trace_hep_encode(uint8_t *out, size_t size, size_t *outlen, const struct trace_msg *m,
    const char *msg, const struct timeval *tv, uint32_t capture_id, const char *call_id,
    size_t call_id_len);

#endif

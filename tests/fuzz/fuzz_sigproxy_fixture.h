/* SPDX-License-Identifier: BSD-2-Clause */
/* What the sigproxy targets (fuzz_sigproxy_proxy, fuzz_dialog_record) share: a running sigproxy. */
#ifndef SBC_TESTS_FUZZ_SIGPROXY_FIXTURE_H
#define SBC_TESTS_FUZZ_SIGPROXY_FIXTURE_H

struct sp;

/*
 * A sigproxy started (sp_start) from the configuration conf_text on its own event base:
 * listeners on 127.0.0.1 (port 0), everything it sends goes where conf_text says. Logs
 * errors only; aborts on failure.
 */
struct sp *fuzz_sigproxy_new(const char *conf_text);

#endif

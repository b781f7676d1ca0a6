/* SPDX-License-Identifier: BSD-2-Clause */
/* What the SIP builder tests share: a message parsed and validated, exact bytes compared. */
#ifndef SBC_TESTS_UNIT_SIP_FIXTURE_H
#define SBC_TESTS_UNIT_SIP_FIXTURE_H

#include <string.h>

#include "sip.h"

/* text parsed and validated as a UDP message; the test fails otherwise. Free with sip_msg_free. */
static inline struct sip_msg *
sip_fixture_parse(const char *text)
{
	struct sip_msg *m = NULL;
	struct sip_error e;

	if (sip_msg_parse(&m, text, strlen(text), TP_UDP, NULL, &e) != 0)
		fail_msg("parse: %s", e.reason);
	if (sip_msg_validate(m, &e) != 0)
		fail_msg("validate: %s\n%s", e.reason, text);
	return m;
}

/* got[len] is exactly want, else the test fails showing both. */
static inline void
sip_fixture_expect(const char *got, size_t len, const char *want)
{
	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("got:\n%.*s\n--- want:\n%s", (int)len, got, want);
}

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target for sigproxy's whole message path: parse, validate, route, transactions, media. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dialog.h"
#include "fuzz_sigproxy_fixture.h"
#include "log.h"
#include "sigproxy.h"
#include "txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sp *sp;
static struct tp_listener *outside, *inside;

/*
 * Everything goes to 127.0.0.1:9 (discard): responses, forwarded requests and ng
 * commands, so the paths run for real without anything answering.
 */
static const char conf_text[] =
    "[sigproxy]\nid = fuzz\nlog_level = err\n"
    "[listener out]\ntransport = udp\naddress = 127.0.0.1:0\nside = outside\n"
    "[listener in]\ntransport = udp\naddress = 127.0.0.1:0\nside = inside\n"
    /* keys over UDP allowed: SRTP offers reach the per-line policy and the ng request */
    "[media]\nmediad = 127.0.0.1:9\noutside_sdes_requires_tls = no\n"
    "[redis]\nenabled = no\n[health]\nprobe = no\n"
    "[route all]\nmatch = .\ntarget = sip:127.0.0.1:9\ntarget = sip:127.0.0.1:9;transport=tcp\n";

static void
setup(void)
{
	sp = fuzz_sigproxy_new(conf_text);
	outside = sp->cfg.listeners[0].tpl;
	inside = sp->cfg.listeners[1].tpl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sa src;
	unsigned i;

	if (sp == NULL)
		setup();
	sa_parse(&src, "127.0.0.1:9", 0);
	/* the first byte picks the side, so responses and in-dialog requests reach both */
	proxy_recv(size > 0 && (data[0] & 1) ? inside : outside, NULL, &src,
	    (const char *)data, size, sp);
	for (i = 0; i < 4; i++)
		event_base_loop(sp->base, EVLOOP_NONBLOCK);
	/* state from one input must not leak into the next, nor grow without bound */
	txn_invite_free_all(sp);
	txn_nit_free_all(sp);
	dialog_free_all(sp);
	return 0;
}

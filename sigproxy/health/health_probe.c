/* SPDX-License-Identifier: BSD-2-Clause */
/* OPTIONS probes to backends and their answers: each answer or silence is one observation. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "health_int.h"
#include "rand.h"
#include "send.h"

void
health_probe_send(struct backend *b)
{
	struct sp *sp = b->h->sp;
	struct sp_listener *out = send_listener_for(sp, b->side, b->tp);
	char buf[1024], tag[32], ip[SA_STRLEN], cid[160];
	struct sip_hop via;
	size_t len;

	/* the last probe got no answer within a whole period: that is its result */
	if (b->probe_out) {
		b->probe_out = false;
		health_backend_observe(b, HEALTH_NO_ANSWER);
	}
	/* a fresh branch per probe: an answer to an earlier one (replayed) matches nothing */
	snprintf(b->branch, sizeof(b->branch), "z9hG4bKhc%016" PRIx64, rand_u64());
	snprintf(tag, sizeof(tag), "%08" PRIx64, rand_u64() & 0xffffffffu);
	b->cseq++;
	sa_format(&b->addr, ip, sizeof(ip));
	snprintf(cid, sizeof(cid), "hc-%s-%s", sp->cfg.instance_id, b->branch + 9);
	if (out == NULL) {
		health_backend_observe(b, HEALTH_SEND_FAILED);
		return;
	}
	/* a stream leaving from a side without such a listener still says what it is */
	via = out->hop;
	via.transport = b->tp;
	if (sip_build_options(buf, sizeof(buf), &len, ip, &via, b->branch, tag, cid, b->cseq) ||
	    send_to(sp, b->side, b->tp, &b->addr, NULL, buf, len, NULL) != 0) {
		health_backend_observe(b, HEALTH_SEND_FAILED);
		return;
	}
	b->probe_out = true;
}

bool
health_response(struct health *h, const struct sip_msg *m, const struct sp_src *src)
{
	struct sip_via v;
	unsigned i;

	if (h == NULL || sip_msg_method_id(m) != SIP_METHOD_OPTIONS || sip_msg_via(m, 0, &v) ||
	    v.branch == NULL || strncmp(v.branch, "z9hG4bKhc", 9) != 0)
		return false;
	for (i = 0; i < h->n; i++) {
		struct backend *b = &h->b[i];

		if (strcmp(b->branch, v.branch) != 0)
			continue;
		/* only the backend itself, on its side, answers for it */
		if (!sa_equal_ip(&src->addr, &b->addr) || src->lsnr->side != b->side)
			return false;
		/* a retransmitted final is absorbed, not counted twice */
		if (b->probe_out && sip_msg_status(m) >= 200) {
			b->probe_out = false;
			health_backend_observe(b, sip_msg_status(m));
		}
		return true;
	}
	return false;
}

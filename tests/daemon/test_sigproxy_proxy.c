/* SPDX-License-Identifier: BSD-2-Clause */
/* In-process tests of sigproxy's core: real UDP peers, a scripted ng peer and a real redis-server. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "bencode.h"
#include "dialog.h"
#include "health.h"
#include "lib/redis_server.h"
#include "log.h"
#include "media.h"
#include "ng.h"
#include "route.h"
#include "sigproxy.h"
#include "timeutil.h"

#define MEDIAD_SDP "v=0\r\no=- 9 9 IN IP4 198.51.100.9\r\ns=rewritten-by-test-mediad\r\n" \
	"c=IN IP4 198.51.100.9\r\nt=0 0\r\nm=audio 40000 %s 0\r\n%s"
#define TEST_CRYPTO "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"

/* A UDP peer on loopback: a SIP endpoint or the scripted mediad. */
struct peer {
	int fd;
	struct sa addr;
	uint16_t port;
};

/* What the scripted mediad saw and how it behaves. */
struct ngpeer {
	struct peer p;
	struct event *ev;
	bool silent;
	bool plain;		/* answer every offer/answer with plain RTP, whatever was asked */
	const char *error;	/* answer offers and answers with this error-reason */
	char cmds[16][16];
	char profiles[16][16];
	char dir0[16][16];
	char branch[16][64];
	char sdp[16][512];	/* the SDP it was given (truncated) */
	unsigned n;
};

struct fx {
	struct sp *sp;
	struct ngpeer ng, ng2;
	struct peer uac, uas1, uas2;
	struct redis_server rs;
	bool have_redis;
};

static void
peer_open(struct peer *p)
{
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(sa_parse(&p->addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(bind(p->fd, &p->addr.u.sa, p->addr.len), 0);
	p->addr.len = sizeof(p->addr.u.ss);
	assert_int_equal(getsockname(p->fd, &p->addr.u.sa, &p->addr.len), 0);
	p->port = sa_port(&p->addr);
}

static void
ng_read(evutil_socket_t fd, short what, void *arg)
{
	struct ngpeer *n = arg;
	struct bencode_arena a;
	struct bencode_error be;
	struct ng_msg m;
	struct bencode_item *r;
	char buf[8192], out[8192], sdp[1024];
	struct sa from;
	ssize_t len;
	size_t olen;
	const char *prof = "", *cmd;
	size_t pl = 0;

	from.len = sizeof(from.u.ss);
	len = recvfrom(fd, buf, sizeof(buf), 0, &from.u.sa, &from.len);
	if (len <= 0 || n->silent)
		return;
	bencode_arena_init(&a);
	assert_int_equal(ng_msg_parse(&a, buf, (size_t)len, &m, &be), 0);
	cmd = ng_op_name(m.op);
	ng_get_str(m.dict, "transport-protocol", &prof, &pl);
	/* pings (sigproxy pings every mediad it knows) are not a call's commands */
	if (n->n < 16 && m.op != NG_OP_PING) {
		struct bencode_item *dl = ng_dict_get(m.dict, "direction");

		snprintf(n->cmds[n->n], sizeof(n->cmds[0]), "%s", cmd);
		snprintf(n->profiles[n->n], sizeof(n->profiles[0]), "%.*s", (int)pl, prof);
		{
			const char *vb = "";
			size_t vl = 0;

			ng_get_str(m.dict, "via-branch", &vb, &vl);
			snprintf(n->branch[n->n], sizeof(n->branch[0]), "%.*s", (int)vl, vb);
		}
		if (dl != NULL && dl->child != NULL)
			snprintf(n->dir0[n->n], sizeof(n->dir0[0]), "%.*s", (int)dl->child->len,
			    dl->child->str);
		{
			const char *sd = "";
			size_t sl = 0;

			ng_get_str(m.dict, "sdp", &sd, &sl);
			snprintf(n->sdp[n->n], sizeof(n->sdp[0]), "%.*s", (int)sl, sd);
		}
		n->n++;
	}
	r = bencode_dict(&a);
	if (n->error != NULL && (m.op == NG_OP_OFFER || m.op == NG_OP_ANSWER)) {
		bencode_dict_add_cstr(&a, r, "result", "error");
		bencode_dict_add_cstr(&a, r, "error-reason", n->error);
	} else {
		bencode_dict_add_cstr(&a, r, "result", m.op == NG_OP_PING ? "pong" : "ok");
	}
	if (n->error == NULL && (m.op == NG_OP_OFFER || m.op == NG_OP_ANSWER)) {
		bool savp = !n->plain && pl == 8 && memcmp(prof, "RTP/SAVP", 8) == 0;

		snprintf(sdp, sizeof(sdp), MEDIAD_SDP, savp ? "RTP/SAVP" : "RTP/AVP",
		    savp ? TEST_CRYPTO : "");
		bencode_dict_add_cstr(&a, r, "sdp", sdp);
	}
	assert_int_equal(ng_encode(m.cookie, m.cookie_len, r, out, sizeof(out), &olen), 0);
	sendto(fd, out, olen, 0, &from.u.sa, from.len);
	bencode_arena_free(&a);
}

static void
pump(struct fx *f, unsigned ms)
{
	uint64_t end = time_mono_ms() + ms;

	while (time_mono_ms() < end) {
		event_base_loop(f->sp->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

/* Runs the loop until a datagram arrives on p (0 with buf filled) or ms pass (ETIMEDOUT). */
static int
recv_on(struct fx *f, struct peer *p, unsigned ms, char *buf, size_t size)
{
	uint64_t end = time_mono_ms() + ms;

	while (time_mono_ms() < end) {
		ssize_t n;

		event_base_loop(f->sp->base, EVLOOP_NONBLOCK);
		n = recv(p->fd, buf, size - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			return 0;
		}
		usleep(500);
	}
	return ETIMEDOUT;
}

/* Waits for a message whose first line contains what; others are skipped. */
static void
expect(struct fx *f, struct peer *p, const char *what, char *buf, size_t size)
{
	uint64_t end = time_mono_ms() + 3000;

	while (time_mono_ms() < end) {
		if (recv_on(f, p, 200, buf, size))
			continue;
		if (strstr(buf, what) != NULL && strstr(buf, what) < strstr(buf, "\r\n"))
			return;
	}
	fail_msg("no \"%s\" within 3 s", what);
}

static void
send_to(struct fx *f, struct peer *from, uint16_t port, const char *msg)
{
	struct sa dst;

	sa_parse(&dst, "127.0.0.1", port);
	assert_true(sendto(from->fd, msg, strlen(msg), 0, &dst.u.sa, dst.len) > 0);
}

static uint16_t
lsnr_port(struct fx *f, const char *name)
{
	unsigned i;

	for (i = 0; i < f->sp->cfg.nlisteners; i++)
		if (strcmp(f->sp->cfg.listeners[i].name, name) == 0)
			return sa_port(&f->sp->cfg.listeners[i].addr);
	fail_msg("no listener %s", name);
	return 0;
}

/*
 * More [media] lines for the next fixture. SDES keys over UDP are refused outside by
 * default; most cases here use UDP for convenience, the encryption cases set their own.
 */
static const char *fx_media = "outside_sdes_requires_tls = no\n";

/* The [health] section of the next fixture (a test that probes sets it, and resets it). */
static const char *fx_health = "probe = no\nholddown_ms = 0\n";

/* tcp_port: 0 for the two UDP UASes, else a TCP target on that port first, then uas2. */
static struct fx *
fx_start_route(const char *policy_out, unsigned timeout_ms, bool redis, uint16_t tcp_port)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct conf *c = NULL;
	struct conf_error ce;
	char text[2048], tgt[512];

	assert_non_null(f);
	log_init("test", LOG_LEVEL_WARN, false);
	peer_open(&f->uac);
	peer_open(&f->uas1);
	peer_open(&f->uas2);
	peer_open(&f->ng.p);
	peer_open(&f->ng2.p);
	if (redis) {
		assert_int_equal(redis_server_start(&f->rs, NULL), 0);
		f->have_redis = true;
	}
	if (tcp_port == 0)
		snprintf(tgt, sizeof(tgt), "target = sip:127.0.0.1:%u\ntarget = sip:127.0.0.1:%u\n",
		    f->uas1.port, f->uas2.port);
	else
		snprintf(tgt, sizeof(tgt), "target = sip:127.0.0.1:%u;transport=tcp\n"
		    "target = sip:127.0.0.1:%u\n", tcp_port, f->uas2.port);
	snprintf(text, sizeof(text),
	    "[sigproxy]\nid = t1\n"
	    "[listener out]\ntransport = udp\naddress = 127.0.0.1:0\nside = outside\n"
	    "[listener in]\ntransport = udp\naddress = 127.0.0.1:0\nside = inside\n"
	    "[media]\noutside_policy = %s\nmediad = 127.0.0.1:%u\nng_timeout_ms = 50\n"
	    "ng_retries = 1\nmediad_refresh_ms = 100\n%s"
	    "[redis]\nenabled = %s\nport = %u\n"
	    "[health]\n%s"
	    "[route r]\nmatch = ^80\n%s"
	    "timeout_ms = %u\n",
	    policy_out, f->ng.p.port, fx_media, redis ? "yes" : "no", redis ? f->rs.port : 6379,
	    fx_health, tgt, timeout_ms);
	f->sp = calloc(1, sizeof(*f->sp));
	assert_non_null(f->sp);
	memset(&ce, 0, sizeof(ce));
	assert_int_equal(conf_load_string(&c, "test", text, &ce), 0);
	assert_int_equal(sp_config_load(&f->sp->cfg, c, &ce), 0);
	conf_free(c);
	f->sp->base = event_base_new();
	assert_non_null(f->sp->base);
	f->ng.ev = event_new(f->sp->base, f->ng.p.fd, EV_READ | EV_PERSIST, ng_read, &f->ng);
	event_add(f->ng.ev, NULL);
	f->ng2.ev = event_new(f->sp->base, f->ng2.p.fd, EV_READ | EV_PERSIST, ng_read, &f->ng2);
	event_add(f->ng2.ev, NULL);
	assert_int_equal(sp_start(f->sp), 0);
	if (redis) {
		uint64_t end = time_mono_ms() + 3000;

		while (!sp_redis_up(f->sp) && time_mono_ms() < end)
			pump(f, 10);
		assert_true(sp_redis_up(f->sp));
	}
	return f;
}

static struct fx *
fx_start(const char *policy_out, unsigned timeout_ms, bool redis)
{
	return fx_start_route(policy_out, timeout_ms, redis, 0);
}

static void
fx_stop(struct fx *f)
{
	event_free(f->ng.ev);
	event_free(f->ng2.ev);
	sp_stop(f->sp);
	free(f->sp);
	close(f->uac.fd);
	close(f->uas1.fd);
	close(f->uas2.fd);
	close(f->ng.p.fd);
	close(f->ng2.p.fd);
	if (f->have_redis)
		redis_server_cleanup(&f->rs);
	free(f);
}

static void
invite(struct fx *f, const char *user, const char *cid, bool srtp)
{
	char msg[2048], sdp[512];

	snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
	    "t=0 0\r\nm=audio 6000 %s 0\r\n%s", srtp ? "RTP/SAVP" : "RTP/AVP",
	    srtp ? TEST_CRYPTO : "");
	snprintf(msg, sizeof(msg),
	    "INVITE sip:%s@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%s\r\n"
	    "From: <sip:a@127.0.0.1>;tag=ft-%s\r\nTo: <sip:%s@127.0.0.1>\r\n"
	    "Call-ID: %s\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
	    "Contact: <sip:a@127.0.0.1:%u>\r\nContent-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s", user, f->uac.port, cid, cid, user, cid, f->uac.port,
	    strlen(sdp), sdp);
	send_to(f, &f->uac, lsnr_port(f, "out"), msg);
}

/* The UAS answers the request in req (Via, From, To, Call-ID, CSeq copied). */
static void
answer_to(struct fx *f, struct peer *uas, uint16_t port, const char *req, int status,
    const char *body)
{
	char msg[4096], hdrs[2048] = "";
	const char *p = strstr(req, "\r\n") + 2;
	size_t hl = 0;

	while (*p != '\0' && strncmp(p, "\r\n", 2) != 0) {
		const char *e = strstr(p, "\r\n");

		if (strncmp(p, "Via", 3) == 0 || strncmp(p, "From", 4) == 0 ||
		    strncmp(p, "Call-ID", 7) == 0 || strncmp(p, "CSeq", 4) == 0 ||
		    strncmp(p, "Record-Route", 12) == 0) {
			memcpy(hdrs + hl, p, (size_t)(e - p) + 2);
			hl += (size_t)(e - p) + 2;
		} else if (strncmp(p, "To:", 3) == 0) {
			int n = snprintf(hdrs + hl, sizeof(hdrs) - hl, "%.*s%s\r\n", (int)(e - p), p,
			    strstr(p, ";tag=") && strstr(p, ";tag=") < e ? "" : ";tag=uas");

			hl += (size_t)n;
		}
		hdrs[hl] = '\0';
		p = e + 2;
	}
	snprintf(msg, sizeof(msg), "SIP/2.0 %d X\r\n%sContact: <sip:b@127.0.0.1:%u>\r\n%s"
	    "Content-Length: %zu\r\n\r\n%s", status, hdrs, uas->port,
	    body ? "Content-Type: application/sdp\r\n" : "", body ? strlen(body) : 0,
	    body ? body : "");
	send_to(f, uas, port, msg);
}

static void
answer(struct fx *f, struct peer *uas, const char *req, int status, const char *body)
{
	answer_to(f, uas, lsnr_port(f, "in"), req, status, body);
}

static const char uas_sdp[] = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 7000 RTP/AVP 0\r\n";

static void
test_basic_call(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192], bye[1024];

	invite(f, "801100", "basic1", true);
	expect(f, &f->uac, "100 Trying", buf, sizeof(buf));
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	/* what the inside sees: mediad's SDP, plain profile, no key, both Record-Routes */
	assert_non_null(strstr(inv, "rewritten-by-test-mediad"));
	assert_non_null(strstr(inv, "RTP/AVP"));
	assert_null(strstr(inv, "a=crypto"));
	assert_non_null(strstr(inv, "Max-Forwards: 69"));
	assert_non_null(strstr(strstr(inv, "Record-Route"), "Record-Route"));
	assert_string_equal(f->ng.cmds[0], "offer");
	assert_string_equal(f->ng.profiles[0], "RTP/AVP");
	assert_string_equal(f->ng.dir0[0], "outside");
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	assert_non_null(strstr(buf, "RTP/SAVP"));
	assert_non_null(strstr(buf, "a=crypto"));
	assert_int_equal(f->ng.n, 2);
	assert_string_equal(f->ng.cmds[1], "answer");
	assert_string_equal(f->ng.profiles[1], "RTP/SAVP");
	assert_string_equal(f->ng.dir0[1], "inside");
	/* offer and answer name the same via-branch: the caller's */
	assert_string_equal(f->ng.branch[0], "z9hG4bK-basic1");
	assert_string_equal(f->ng.branch[1], "z9hG4bK-basic1");
	assert_non_null(dialog_find(f->sp, "basic1"));
	/* BYE from the caller through the Record-Route */
	snprintf(bye, sizeof(bye), "BYE sip:b@127.0.0.1:%u SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-bye1\r\n"
	    "Route: <sip:127.0.0.1:%u;lr>, <sip:127.0.0.1:%u;lr>\r\n"
	    "From: <sip:a@127.0.0.1>;tag=ft-basic1\r\nTo: <sip:801100@127.0.0.1>;tag=uas\r\n"
	    "Call-ID: basic1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	    f->uas1.port, f->uac.port, lsnr_port(f, "out"), lsnr_port(f, "in"));
	send_to(f, &f->uac, lsnr_port(f, "out"), bye);
	expect(f, &f->uas1, "BYE", inv, sizeof(inv));
	assert_null(strstr(inv, "Route:"));	/* our own entries stripped */
	pump(f, 50);
	assert_string_equal(f->ng.cmds[2], "delete");
	assert_null(dialog_find(f->sp, "basic1"));
	answer(f, &f->uas1, inv, 200, NULL);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	assert_non_null(strstr(buf, "CSeq: 2 BYE"));
	fx_stop(f);
}

static void
test_failover_best_response(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192];

	invite(f, "801100", "fo1", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 503, NULL);
	expect(f, &f->uas1, "ACK", buf, sizeof(buf));	/* hop-by-hop ACK of the 503 */
	expect(f, &f->uas2, "INVITE", inv, sizeof(inv));	/* next target at once */
	answer(f, &f->uas2, inv, 486, NULL);
	expect(f, &f->uac, "486", buf, sizeof(buf));	/* 4xx beats 5xx (RFC 3261 §16.7) */
	pump(f, 50);
	assert_string_equal(f->ng.cmds[f->ng.n - 1], "delete");
	assert_null(dialog_find(f->sp, "fo1"));
	assert_int_equal(metric_get(f->sp->ctr.failovers), 1);
	fx_stop(f);
}

static void
test_failover_timeout_and_all_503(void **state)
{
	struct fx *f = fx_start("optional", 150, false);
	char buf[8192], inv[8192];
	uint64_t t0 = time_mono_ms();

	invite(f, "801100", "to1", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	/* silent first target: CANCEL after the route timeout, then the second one */
	expect(f, &f->uas1, "CANCEL", buf, sizeof(buf));
	assert_true(time_mono_ms() - t0 >= 140);
	expect(f, &f->uas2, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas2, inv, 503, NULL);
	/* best of 408 (timeout) and 503: the 4xx class wins */
	expect(f, &f->uac, "408", buf, sizeof(buf));
	fx_stop(f);
}

/*
 * A TCP port bound on loopback without listen(): a connect to it is refused at once, and
 * nothing else can take the port while fd is open.
 */
static uint16_t
tcp_refusing_port(int *fdp)
{
	struct sa a;
	socklen_t len = sizeof(a.u);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa_parse(&a, "127.0.0.1", 0);
	assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
	assert_int_equal(getsockname(fd, &a.u.sa, &len), 0);
	*fdp = fd;
	return ntohs(a.u.in.sin_port);
}

static void
test_failover_conn_refused(void **state)
{
	char buf[8192], inv[8192];
	struct fx *f;
	uint64_t t0;
	int fd;

	/* a 2 s failover timer that the refused connect must not wait for */
	f = fx_start_route("optional", 2000, false, tcp_refusing_port(&fd));
	t0 = time_mono_ms();
	invite(f, "801100", "refused1", false);
	expect(f, &f->uas2, "INVITE", inv, sizeof(inv));
	assert_true(time_mono_ms() - t0 < 1000);
	assert_int_equal(metric_get(f->sp->ctr.failovers), 1);
	/* the refused connect counts as a 503, which beats nothing: 503 and 503 make a 500 */
	answer(f, &f->uas2, inv, 503, NULL);
	expect(f, &f->uac, "500", buf, sizeof(buf));
	assert_true(time_mono_ms() - t0 < 1500);
	pump(f, 50);
	assert_null(dialog_find(f->sp, "refused1"));
	fx_stop(f);
	close(fd);
}

static void
test_cancel(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192], cancel[1024];

	invite(f, "801100", "c1", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 180, NULL);
	expect(f, &f->uac, "180", buf, sizeof(buf));
	snprintf(cancel, sizeof(cancel), "CANCEL sip:801100@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-c1\r\n"
	    "From: <sip:a@127.0.0.1>;tag=ft-c1\r\nTo: <sip:801100@127.0.0.1>\r\n"
	    "Call-ID: c1\r\nCSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	    f->uac.port);
	send_to(f, &f->uac, lsnr_port(f, "out"), cancel);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	assert_non_null(strstr(buf, "CANCEL"));
	expect(f, &f->uac, "487", buf, sizeof(buf));
	expect(f, &f->uas1, "CANCEL", buf, sizeof(buf));
	pump(f, 50);
	assert_string_equal(f->ng.cmds[f->ng.n - 1], "delete");
	/* a retransmitted CANCEL still finds the lingering transaction: 200 again */
	send_to(f, &f->uac, lsnr_port(f, "out"), cancel);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	/* a CANCEL matching no transaction: 481 */
	*strstr(cancel, "z9hG4bK-c1") = 'Z';
	send_to(f, &f->uac, lsnr_port(f, "out"), cancel);
	expect(f, &f->uac, "481", buf, sizeof(buf));
	fx_stop(f);
}

static void
test_policy_required(void **state)
{
	struct fx *f = fx_start("required", 1000, false);
	char buf[8192];

	invite(f, "801100", "p1", false);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	assert_int_equal(f->ng.n, 0);	/* refused before any mediad work */
	assert_int_equal(metric_get(f->sp->ctr.policy_rejects), 1);
	assert_int_equal(recv_on(f, &f->uas1, 100, buf, sizeof(buf)), ETIMEDOUT);
	fx_stop(f);
}

static void
test_bad_input(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], msg[1024];
	uint16_t out = lsnr_port(f, "out");

	send_to(f, &f->uac, out, "\x01\x02garbage\r\n\r\n");
	assert_int_equal(recv_on(f, &f->uac, 100, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(metric_get(f->sp->ctr.drops), 1);
	/* CSeq method does not match: 400 with a reason */
	snprintf(msg, sizeof(msg), "INVITE sip:801100@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-b1\r\nFrom: <sip:a@x>;tag=1\r\n"
	    "To: <sip:b@x>\r\nCall-ID: b1\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\n"
	    "Content-Length: 0\r\n\r\n", f->uac.port);
	send_to(f, &f->uac, out, msg);
	expect(f, &f->uac, "400", buf, sizeof(buf));
	assert_int_equal(metric_get(f->sp->ctr.bad_requests), 1);
	/* Max-Forwards 0: 483 */
	snprintf(msg, sizeof(msg), "INVITE sip:801100@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-b2\r\nFrom: <sip:a@x>;tag=1\r\n"
	    "To: <sip:b@x>\r\nCall-ID: b2\r\nCSeq: 1 INVITE\r\nMax-Forwards: 0\r\n"
	    "Content-Length: 0\r\n\r\n", f->uac.port);
	send_to(f, &f->uac, out, msg);
	expect(f, &f->uac, "483", buf, sizeof(buf));
	/* out-of-dialog MESSAGE towards an inside host: never relayed (no open relay) */
	snprintf(msg, sizeof(msg), "MESSAGE sip:x@127.0.0.1:%u SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-m1\r\nFrom: <sip:a@x>;tag=1\r\n"
	    "To: <sip:b@x>\r\nCall-ID: m1\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\n"
	    "Content-Length: 0\r\n\r\n", f->uas1.port, f->uac.port);
	send_to(f, &f->uac, out, msg);
	expect(f, &f->uac, "403", buf, sizeof(buf));
	assert_int_equal(recv_on(f, &f->uas1, 100, buf, sizeof(buf)), ETIMEDOUT);
	/* a Call-ID longer than the proxy keeps: 400 with a reason, counted */
	{
		char longid[600], m3[1400];

		memset(longid, 'x', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = '\0';
		snprintf(m3, sizeof(m3), "BYE sip:x@127.0.0.1 SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-l1\r\nFrom: <sip:a@x>;tag=1\r\n"
		    "To: <sip:b@x>;tag=2\r\nCall-ID: %s\r\nCSeq: 1 BYE\r\nMax-Forwards: 70\r\n"
		    "Content-Length: 0\r\n\r\n", f->uac.port, longid);
		send_to(f, &f->uac, out, m3);
		expect(f, &f->uac, "400", buf, sizeof(buf));
		assert_non_null(strstr(buf, "too long"));
	}
	/* no route: 404 */
	invite(f, "999", "nr1", false);
	expect(f, &f->uac, "404", buf, sizeof(buf));
	/* OPTIONS to us: 200 while a target and the mediad are usable */
	snprintf(msg, sizeof(msg), "OPTIONS sip:127.0.0.1:%u SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-o1\r\nFrom: <sip:a@x>;tag=1\r\n"
	    "To: <sip:b@x>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
	    "Content-Length: 0\r\n\r\n", out, f->uac.port);
	send_to(f, &f->uac, out, msg);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	/* mediad gone: OPTIONS says 503 */
	mediad_pool_mark_down(f->sp->pool, "static");
	f->ng.silent = true;
	send_to(f, &f->uac, out, msg);
	expect(f, &f->uac, "503", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Retry-After"));
	/* the mediad answers pings again: 200 once more */
	f->ng.silent = false;
	mediad_pool_mark_ok(f->sp->pool, "static");
	mediad_pool_mark_ok(f->sp->pool, "static");
	mediad_pool_mark_ok(f->sp->pool, "static");
	send_to(f, &f->uac, out, msg);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	/* OPTIONS for a routed number whose targets are held down: 503 for that route */
	{
		const struct route_rule *r = route_table_rule(f->sp->cfg.routes, 0);
		char m2[1024];

		f->sp->cfg.holddown_ms = 60000;
		health_target_failed(f->sp->health, &r->targets[0], "test");
		health_target_failed(f->sp->health, &r->targets[1], "test");
		snprintf(m2, sizeof(m2), "OPTIONS sip:801100@127.0.0.1:%u SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-o2\r\nFrom: <sip:a@x>;tag=1\r\n"
		    "To: <sip:b@x>\r\nCall-ID: o2\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
		    "Content-Length: 0\r\n\r\n", out, f->uac.port);
		send_to(f, &f->uac, out, m2);
		expect(f, &f->uac, "503", buf, sizeof(buf));
	}
	fx_stop(f);
}

static void
test_mediad_timeout(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192];

	f->ng.silent = true;
	invite(f, "801100", "nt1", false);
	/* 2 tries of 50 ms, then 503 and the mediad is marked down */
	expect(f, &f->uac, "503", buf, sizeof(buf));
	assert_int_equal(metric_get(f->sp->ctr.ng_timeouts), 1);
	assert_int_equal(mediad_pool_up_count(f->sp->pool), 0);
	invite(f, "801100", "nt2", false);
	expect(f, &f->uac, "503", buf, sizeof(buf));
	/* back after mediad_up_after (3) answered pings */
	f->ng.silent = false;
	pump(f, 800);
	assert_int_equal(mediad_pool_up_count(f->sp->pool), 1);
	invite(f, "801100", "nt3", false);
	expect(f, &f->uas1, "INVITE", buf, sizeof(buf));
	fx_stop(f);
}

static void
test_redis_down(void **state)
{
	struct fx *f = fx_start("optional", 1000, true);
	char buf[8192], inv[8192], reply[256];

	invite(f, "801100", "r1", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	pump(f, 100);
	assert_int_equal(redis_server_query(&f->rs, "HGET sbc:call:r1 state", reply,
	    sizeof(reply)), 0);
	/* the helper returns the first reply line: a bulk string of 8 bytes is "answered" */
	assert_string_equal(reply, "$8");
	assert_int_equal(redis_server_query(&f->rs, "EXISTS sbc:call:r1", reply, sizeof(reply)), 0);
	assert_string_equal(reply, ":1");
	assert_int_equal(redis_server_kill(&f->rs), 0);
	pump(f, 200);
	invite(f, "801100", "r2", false);
	expect(f, &f->uac, "503", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Retry-After: 5"));
	assert_int_equal(redis_server_restart(&f->rs), 0);
	{
		uint64_t end = time_mono_ms() + 8000;

		while (!sp_redis_up(f->sp) && time_mono_ms() < end)
			pump(f, 20);
	}
	assert_true(sp_redis_up(f->sp));
	invite(f, "801100", "r3", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	fx_stop(f);
}

static void
test_policy_answer_without_crypto(void **state)
{
	struct fx *f = fx_start("required", 1000, false);
	char buf[8192], inv[8192];

	invite(f, "801100", "pa1", true);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	assert_string_equal(f->ng.profiles[0], "RTP/AVP");
	/* mediad (misconfigured) hands back plain RTP for the required outside side */
	f->ng.plain = true;
	answer(f, &f->uas1, inv, 200, uas_sdp);
	/* never a silent plain call: the caller gets 488, the callee ACK + BYE */
	expect(f, &f->uac, "488", buf, sizeof(buf));
	expect(f, &f->uas1, "ACK", buf, sizeof(buf));
	expect(f, &f->uas1, "BYE", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Call-ID: pa1"));
	pump(f, 50);
	assert_string_equal(f->ng.cmds[f->ng.n - 1], "delete");
	assert_null(dialog_find(f->sp, "pa1"));
	fx_stop(f);
}

static void
test_early_media(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192];

	invite(f, "801100", "em1", true);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 183, uas_sdp);
	expect(f, &f->uac, "183", buf, sizeof(buf));
	/* the 183's SDP went through mediad: the caller never sees the inside address */
	assert_string_equal(f->ng.cmds[1], "answer");
	assert_non_null(strstr(buf, "rewritten-by-test-mediad"));
	assert_null(strstr(buf, "m=audio 7000"));
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	assert_non_null(strstr(buf, "rewritten-by-test-mediad"));
	fx_stop(f);
}

static void
test_invite_retransmission(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192];

	invite(f, "801100", "rt1", false);
	expect(f, &f->uac, "100", buf, sizeof(buf));
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	invite(f, "801100", "rt1", false);	/* the same INVITE again */
	expect(f, &f->uac, "100", buf, sizeof(buf));
	assert_int_equal(recv_on(f, &f->uas1, 200, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(f->ng.n, 1);	/* one offer: the retransmission did no work */
	assert_int_equal(metric_get(f->sp->ctr.calls), 1);
	fx_stop(f);
}

/* Answers with 200 every probe waiting on p (without blocking). */
static void
probes_answer(struct fx *f, struct peer *p)
{
	char buf[8192];

	while (recv_on(f, p, 1, buf, sizeof(buf)) == 0)
		if (strncmp(buf, "OPTIONS ", 8) == 0)
			answer(f, p, buf, 200, NULL);
}

static void
test_health_probe(void **state)
{
	struct fx *f;
	char buf[8192];
	const struct route_rule *r;
	unsigned i;

	fx_health = "probe = yes\ninterval_ms = 100\ndown_after = 3\nup_after = 2\n"
	    "holddown_ms = 0\n";
	f = fx_start("optional", 1000, false);
	fx_health = "probe = no\nholddown_ms = 0\n";
	r = route_table_rule(f->sp->cfg.routes, 0);
	/* both targets answer two probes: "up" (the second keeps answering throughout) */
	for (i = 0; i < 2; i++) {
		expect(f, &f->uas1, "OPTIONS", buf, sizeof(buf));
		answer(f, &f->uas1, buf, 200, NULL);
		probes_answer(f, &f->uas2);
	}
	pump(f, 20);
	probes_answer(f, &f->uas2);
	assert_true(health_target_up(f->sp->health, &r->targets[0]));
	/* the first stops answering: each probe sent counts the one before it as failed; up
	 * while fewer than three failed (one lost probe is not a verdict), down with the third */
	for (i = 0; i < 3; i++) {
		expect(f, &f->uas1, "OPTIONS", buf, sizeof(buf));
		probes_answer(f, &f->uas2);
		assert_true(health_target_up(f->sp->health, &r->targets[0]));
	}
	expect(f, &f->uas1, "OPTIONS", buf, sizeof(buf));
	probes_answer(f, &f->uas2);
	assert_false(health_target_up(f->sp->health, &r->targets[0]));
	assert_true(health_target_up(f->sp->health, &r->targets[1]));
	invite(f, "801100", "hp1", false);
	expect(f, &f->uas2, "INVITE", buf, sizeof(buf));
	fx_stop(f);
}

static void
test_mediad_failover_new_call(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192];

	/* a second, busier mediad: used only when the first does not answer */
	assert_int_equal(mediad_pool_update(f->sp->pool, "m2", &f->ng2.p.addr, 50), 0);
	f->ng.silent = true;
	invite(f, "801100", "mf1", false);
	expect(f, &f->uas1, "INVITE", buf, sizeof(buf));
	assert_int_equal(f->ng2.n, 1);
	assert_string_equal(f->ng2.cmds[0], "offer");
	assert_string_equal(dialog_find(f->sp, "mf1")->mediad_id, "m2");
	fx_stop(f);
}

static void
send_in_dialog(struct fx *f, struct peer *from, const char *listener, const char *method,
    unsigned cseq, const char *cid, const char *from_hdr, const char *to_hdr, uint16_t ruri_port,
    const char *body)
{
	char msg[4096];

	snprintf(msg, sizeof(msg), "%s sip:x@127.0.0.1:%u SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%s-%u\r\n"
	    "Route: <sip:127.0.0.1:%u;lr>\r\n"
	    "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\nMax-Forwards: 70\r\n"
	    "Contact: <sip:x@127.0.0.1:%u>\r\n%sContent-Length: %zu\r\n\r\n%s", method, ruri_port,
	    from->port, cid, cseq, lsnr_port(f, listener), from_hdr, to_hdr, cid, cseq,
	    strcmp(method, "ACK") == 0 ? "ACK" : method, from->port,
	    body ? "Content-Type: application/sdp\r\n" : "", body ? strlen(body) : 0,
	    body ? body : "");
	send_to(f, from, lsnr_port(f, listener), msg);
}

static void
test_late_offer_and_reinvite(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192], req[1024];
	const char *caller = "<sip:a@127.0.0.1>;tag=ft-lo1", *callee = "<sip:801100@127.0.0.1>;tag=uas";

	snprintf(req, sizeof(req), "INVITE sip:801100@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-lo1\r\n"
	    "From: %s\r\nTo: <sip:801100@127.0.0.1>\r\nCall-ID: lo1\r\nCSeq: 1 INVITE\r\n"
	    "Max-Forwards: 70\r\nContact: <sip:a@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n",
	    f->uac.port, caller, f->uac.port);
	send_to(f, &f->uac, lsnr_port(f, "out"), req);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	assert_int_equal(f->ng.n, 0);	/* no SDP: nothing for mediad yet */
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	/* the offer came in the 2xx: sent as an ng offer from the inside */
	assert_string_equal(f->ng.cmds[0], "offer");
	assert_string_equal(f->ng.dir0[0], "inside");
	assert_non_null(strstr(buf, "rewritten-by-test-mediad"));
	/* the answer rides in the ACK */
	send_in_dialog(f, &f->uac, "out", "ACK", 1, "lo1", caller, callee, f->uas1.port, uas_sdp);
	expect(f, &f->uas1, "ACK", buf, sizeof(buf));
	assert_string_equal(f->ng.cmds[1], "answer");
	assert_string_equal(f->ng.dir0[1], "outside");
	assert_string_equal(f->ng.branch[1], f->ng.branch[0]);	/* late offer pair */
	assert_non_null(strstr(buf, "rewritten-by-test-mediad"));
	/* re-INVITE from the callee (hold): offer inside -> outside, answer back */
	send_in_dialog(f, &f->uas1, "in", "INVITE", 5, "lo1", callee, caller, f->uac.port, uas_sdp);
	expect(f, &f->uas1, "100", buf, sizeof(buf));
	expect(f, &f->uac, "INVITE", inv, sizeof(inv));
	assert_string_equal(f->ng.cmds[2], "offer");
	assert_string_equal(f->ng.dir0[2], "inside");
	assert_non_null(strstr(inv, "rewritten-by-test-mediad"));
	answer(f, &f->uac, inv, 200, uas_sdp);
	/* the caller's 200 comes in on the outside listener */
	expect(f, &f->uas1, "200", buf, sizeof(buf));
	assert_string_equal(f->ng.cmds[3], "answer");
	assert_string_equal(f->ng.dir0[3], "outside");
	/* UPDATE with SDP from the caller: offer outside -> inside, answer in its 2xx */
	send_in_dialog(f, &f->uac, "out", "UPDATE", 2, "lo1", caller, callee, f->uas1.port,
	    uas_sdp);
	expect(f, &f->uas1, "UPDATE", inv, sizeof(inv));
	assert_string_equal(f->ng.cmds[4], "offer");
	assert_string_equal(f->ng.dir0[4], "outside");
	assert_non_null(strstr(inv, "rewritten-by-test-mediad"));
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	assert_non_null(strstr(buf, "CSeq: 2 UPDATE"));
	assert_string_equal(f->ng.cmds[5], "answer");
	assert_non_null(strstr(buf, "rewritten-by-test-mediad"));
	fx_stop(f);
}

static void
test_second_instance_bye(void **state)
{
	struct fx *f = fx_start("optional", 1000, true);
	struct sp *sp2 = calloc(1, sizeof(*sp2));
	struct conf *c = NULL;
	struct conf_error ce;
	char buf[8192], inv[8192], text[1024], reply[64];
	uint16_t b_out;

	invite(f, "801100", "two1", true);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	pump(f, 100);
	/* instance B: same Redis, same event loop, no mediad of its own configured */
	snprintf(text, sizeof(text), "[sigproxy]\nid = t2\n"
	    "[listener out]\ntransport = udp\naddress = 127.0.0.1:0\nside = outside\n"
	    "[listener in]\ntransport = udp\naddress = 127.0.0.1:0\nside = inside\n"
	    "[redis]\nport = %u\n[health]\nprobe = no\n", f->rs.port);
	assert_non_null(sp2);
	assert_int_equal(conf_load_string(&c, "b", text, &ce), 0);
	assert_int_equal(sp_config_load(&sp2->cfg, c, &ce), 0);
	conf_free(c);
	sp2->base = f->sp->base;
	assert_int_equal(sp_start(sp2), 0);
	{
		uint64_t end = time_mono_ms() + 3000;

		while (!sp_redis_up(sp2) && time_mono_ms() < end)
			pump(f, 10);
	}
	b_out = sa_port(&sp2->cfg.listeners[0].addr);
	/* B carries the call's UPDATE (its offer through the call's mediad) and INFO from the record */
	{
		unsigned n = f->ng.n;
		uint16_t b_in = sa_port(&sp2->cfg.listeners[1].addr);
		char req[2048], fwd[8192];

		snprintf(req, sizeof(req), "UPDATE sip:b@127.0.0.1:%u SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-two-upd\r\n"
		    "Route: <sip:127.0.0.1:%u;lr>\r\n"
		    "From: <sip:a@127.0.0.1>;tag=ft-two1\r\nTo: <sip:801100@127.0.0.1>;tag=uas\r\n"
		    "Call-ID: two1\r\nCSeq: 2 UPDATE\r\nMax-Forwards: 70\r\n"
		    "Contact: <sip:a@127.0.0.1:%u>\r\nContent-Type: application/sdp\r\n"
		    "Content-Length: %zu\r\n\r\n%s", f->uas1.port, f->uac.port, b_out, f->uac.port,
		    strlen(uas_sdp), uas_sdp);
		send_to(f, &f->uac, b_out, req);
		expect(f, &f->uas1, "UPDATE", fwd, sizeof(fwd));
		assert_non_null(strstr(fwd, "rewritten-by-test-mediad"));
		assert_string_equal(f->ng.cmds[n], "offer");
		answer_to(f, &f->uas1, b_in, fwd, 200, uas_sdp);
		expect(f, &f->uac, "200", buf, sizeof(buf));
		assert_non_null(strstr(buf, "rewritten-by-test-mediad"));
		assert_string_equal(f->ng.cmds[n + 1], "answer");
		snprintf(req, sizeof(req), "INFO sip:b@127.0.0.1:%u SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-two-info\r\n"
		    "Route: <sip:127.0.0.1:%u;lr>\r\n"
		    "From: <sip:a@127.0.0.1>;tag=ft-two1\r\nTo: <sip:801100@127.0.0.1>;tag=uas\r\n"
		    "Call-ID: two1\r\nCSeq: 3 INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		    f->uas1.port, f->uac.port, b_out);
		send_to(f, &f->uac, b_out, req);
		expect(f, &f->uas1, "INFO", fwd, sizeof(fwd));
		answer_to(f, &f->uas1, b_in, fwd, 200, NULL);
		expect(f, &f->uac, "200", buf, sizeof(buf));
		assert_non_null(strstr(buf, "CSeq: 3 INFO"));
	}
	snprintf(buf, sizeof(buf), "BYE sip:b@127.0.0.1:%u SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-two-bye\r\n"
	    "Route: <sip:127.0.0.1:%u;lr>\r\n"
	    "From: <sip:a@127.0.0.1>;tag=ft-two1\r\nTo: <sip:801100@127.0.0.1>;tag=uas\r\n"
	    "Call-ID: two1\r\nCSeq: 4 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
	    f->uas1.port, f->uac.port, b_out);
	send_to(f, &f->uac, b_out, buf);
	expect(f, &f->uas1, "BYE", inv, sizeof(inv));
	pump(f, 100);
	/* B read the record, found the mediad A chose and deleted the call there */
	assert_string_equal(f->ng.cmds[f->ng.n - 1], "delete");
	assert_int_equal(redis_server_query(&f->rs, "TTL sbc:call:two1", reply, sizeof(reply)), 0);
	assert_true(reply[0] == ':' && atoi(reply + 1) > 0 && atoi(reply + 1) <= 3600);
	/* the response follows the Via: B's inside listener */
	answer_to(f, &f->uas1, sa_port(&sp2->cfg.listeners[1].addr), inv, 200, NULL);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	assert_non_null(strstr(buf, "CSeq: 4 BYE"));
	sp2->base = NULL;	/* the loop belongs to the fixture */
	sp_stop(sp2);
	free(sp2);
	fx_stop(f);
}

/* A forged BYE (wrong tag, wrong side, steered elsewhere) changes nothing; the real one ends the call. */
static void
test_forged_bye(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192];
	const char *caller = "<sip:a@127.0.0.1>;tag=ft-fb1", *callee = "<sip:801100@127.0.0.1>;tag=uas";
	unsigned n;

	invite(f, "801100", "fb1", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	/* towards the hidden outside: our Contact and Record-Route only */
	assert_non_null(strstr(buf, "Contact: <sip:sbc@127.0.0.1:"));
	assert_null(strstr(strstr(buf, "Record-Route:") + 1, "Record-Route:"));
	n = f->ng.n;
	send_in_dialog(f, &f->uac, "out", "BYE", 2, "fb1", "<sip:a@127.0.0.1>;tag=forged", callee,
	    f->uas1.port, NULL);
	expect(f, &f->uac, "403", buf, sizeof(buf));
	/* the callee's tags from the outside, the caller's from the inside */
	send_in_dialog(f, &f->uac, "out", "BYE", 3, "fb1", callee, caller, f->uac.port, NULL);
	expect(f, &f->uac, "403", buf, sizeof(buf));
	send_in_dialog(f, &f->uas2, "in", "BYE", 4, "fb1", caller, callee, f->uas1.port, NULL);
	expect(f, &f->uas2, "481", buf, sizeof(buf));
	/* the caller's tags towards a host the dialog does not name */
	send_in_dialog(f, &f->uac, "out", "BYE", 5, "fb1", caller, callee, f->uas2.port, NULL);
	expect(f, &f->uac, "403", buf, sizeof(buf));
	send_in_dialog(f, &f->uac, "out", "ACK", 6, "fb1", "<sip:a@127.0.0.1>;tag=x", callee,
	    f->uas1.port, NULL);
	assert_int_equal(recv_on(f, &f->uas1, 100, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(recv_on(f, &f->uas2, 50, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(f->ng.n, n);	/* no delete, no offer */
	assert_non_null(dialog_find(f->sp, "fb1"));
	assert_int_equal(metric_get(f->sp->ctr.refused[SP_REFUSED_TAGS]), 2);
	assert_int_equal(metric_get(f->sp->ctr.refused[SP_REFUSED_SIDE]), 2);
	assert_int_equal(metric_get(f->sp->ctr.refused[SP_REFUSED_ROUTE]), 1);
	/* the caller's own BYE, to our Contact: along the dialog to the callee */
	send_in_dialog(f, &f->uac, "out", "BYE", 7, "fb1", caller, callee, lsnr_port(f, "out"), NULL);
	expect(f, &f->uas1, "BYE", inv, sizeof(inv));
	assert_non_null(strstr(inv, "BYE sip:b@127.0.0.1:"));
	pump(f, 50);
	assert_string_equal(f->ng.cmds[f->ng.n - 1], "delete");
	assert_null(dialog_find(f->sp, "fb1"));
	fx_stop(f);
}

/*
 * SDES keys in SIP: received over UDP on the outside (outside_sdes_requires_tls = yes,
 * the default) the offer is refused with 488 before mediad or any target hears of it;
 * a plain offer on the same listener goes through.
 */
static void
test_sdes_keys_over_udp(void **state)
{
	struct fx *f;
	char buf[8192], inv[8192];

	fx_media = "";
	f = fx_start("optional", 1000, false);
	invite(f, "801100", "tls1", true);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	assert_int_equal(f->ng.n, 0);
	assert_int_equal(metric_get(f->sp->ctr.sdes_tls_rejects), 1);
	assert_int_equal(recv_on(f, &f->uas1, 200, buf, sizeof(buf)), ETIMEDOUT);
	invite(f, "801100", "tls2", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	assert_null(strstr(inv, "a=crypto"));
	fx_stop(f);
	fx_media = "outside_sdes_requires_tls = no\n";
}

/* Our offer carries keys towards an inside that wants them over TLS only: no UDP target. */
static void
test_sdes_keys_towards_udp_targets(void **state)
{
	struct fx *f;
	char buf[8192];

	fx_media = "outside_sdes_requires_tls = no\ninside_policy = required\n"
	    "inside_sdes_requires_tls = yes\n";
	f = fx_start("optional", 1000, false);
	invite(f, "801100", "tls3", true);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	assert_string_equal(f->ng.profiles[0], "RTP/SAVP");
	assert_int_equal(recv_on(f, &f->uas1, 100, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(recv_on(f, &f->uas2, 100, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(metric_get(f->sp->ctr.sdes_tls_rejects), 2);	/* one per target */
	pump(f, 50);
	assert_string_equal(f->ng.cmds[f->ng.n - 1], "delete");
	fx_stop(f);
	fx_media = "outside_sdes_requires_tls = no\n";
}

/* Decided per line: on a required side the plain lines get port 0, the SRTP one goes on. */
static void
test_policy_per_line(void **state)
{
	struct fx *f = fx_start("required", 1000, false);
	char msg[2048], sdp[512], inv[8192];

	snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
	    "t=0 0\r\nm=audio 6000 RTP/SAVP 0\r\n%sm=video 6002 RTP/SAVP 96\r\n"
	    "a=crypto:1 F8_128_HMAC_SHA1_80 inline:QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c\r\n"
	    "m=audio 6004 RTP/AVP 8\r\n", TEST_CRYPTO);
	snprintf(msg, sizeof(msg), "INVITE sip:801100@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-pl1\r\n"
	    "From: <sip:a@127.0.0.1>;tag=ft-pl1\r\nTo: <sip:801100@127.0.0.1>\r\n"
	    "Call-ID: pl1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
	    "Contact: <sip:a@127.0.0.1:%u>\r\nContent-Type: application/sdp\r\n"
	    "Content-Length: %zu\r\n\r\n%s", f->uac.port, f->uac.port, strlen(sdp), sdp);
	send_to(f, &f->uac, lsnr_port(f, "out"), msg);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	/* mediad saw the refused lines with port 0 and without their keys, the rest as sent */
	assert_non_null(strstr(f->ng.sdp[0], "m=audio 6000 RTP/SAVP 0\r\n" TEST_CRYPTO));
	assert_non_null(strstr(f->ng.sdp[0], "m=video 0 RTP/SAVP 96\r\nm=audio 0 RTP/AVP 8"));
	assert_null(strstr(f->ng.sdp[0], "QjnnaukLn7iwASAs0YLzPUplJkjOhTZK2dvOwo6c"));
	assert_int_equal(metric_get(f->sp->ctr.policy_lines_rejected), 2);
	assert_int_equal(metric_get(f->sp->ctr.policy_rejects), 0);
	fx_stop(f);
}

/* Optional outside, SRTP offered: an answer that came back plain is refused, not relayed. */
static void
test_policy_no_silent_fallback(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192], inv[8192];

	invite(f, "801100", "sf1", true);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	f->ng.plain = true;
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	expect(f, &f->uas1, "BYE", buf, sizeof(buf));
	assert_int_equal(metric_get(f->sp->ctr.policy_rejects), 1);
	fx_stop(f);
}

/*
 * mediad's own encryption guard refusing is a policy refusal for the caller too: 488. So
 * is an SDP mediad cannot carry (the peer's doing, not the SBC's: never a 5xx), with a
 * Warning that says why; mediad's own failure stays a 500.
 */
static void
test_mediad_encryption_refusal(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	char buf[8192];

	f->ng.error = "Plain RTP refused: interface 'outside' requires SRTP (encryption = required)";
	invite(f, "801100", "me1", false);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	f->ng.error = "Failed to parse SDP";
	invite(f, "801100", "me2", false);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Warning: 399 sbc \"Failed to parse SDP\"\r\n"));
	f->ng.error = "Too many media sections (200, at most 4)";
	invite(f, "801100", "me3", false);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Warning: 399 sbc \"Too many media sections (200, at most 4)\""));
	/* a quote or a control byte from the peer's SDP in mediad's reason cannot break out */
	f->ng.error = "Unsupported transport protocol 'a\"b\r\nX: y' in SDP";
	invite(f, "801100", "me4", false);
	expect(f, &f->uac, "488", buf, sizeof(buf));
	assert_non_null(strstr(buf, "Warning: 399 sbc \"Unsupported transport protocol 'a?b??X: y' in SDP\""));
	f->ng.error = "Ran out of ports";
	invite(f, "801100", "me5", false);
	expect(f, &f->uac, "500", buf, sizeof(buf));
	assert_int_equal(recv_on(f, &f->uas1, 100, buf, sizeof(buf)), ETIMEDOUT);
	fx_stop(f);
}

/*
 * Only mediad's SDP leaves sigproxy: a re-INVITE or UPDATE with SDP for a call nobody
 * knows gets 481 and goes nowhere; an ACK or INFO with an SDP that is no late answer
 * goes on without it.
 */
static void
test_sdp_never_bypasses(void **state)
{
	struct fx *f = fx_start("optional", 1000, false);
	const char *caller = "<sip:a@127.0.0.1>;tag=ft-by1", *callee = "<sip:801100@127.0.0.1>;tag=uas";
	char buf[8192], inv[8192];
	const char *sdp_key = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 6000 RTP/SAVP 0\r\n" TEST_CRYPTO;

	send_in_dialog(f, &f->uac, "out", "INVITE", 2, "nobody1", caller, callee, f->uas1.port,
	    sdp_key);
	expect(f, &f->uac, "481", buf, sizeof(buf));
	send_in_dialog(f, &f->uac, "out", "UPDATE", 3, "nobody1", caller, callee, f->uas1.port,
	    sdp_key);
	expect(f, &f->uac, "481", buf, sizeof(buf));
	assert_int_equal(recv_on(f, &f->uas1, 200, buf, sizeof(buf)), ETIMEDOUT);
	assert_int_equal(f->ng.n, 0);
	/* an established call; the caller's ACK carries an SDP nobody asked for */
	invite(f, "801100", "by1", false);
	expect(f, &f->uas1, "INVITE", inv, sizeof(inv));
	answer(f, &f->uas1, inv, 200, uas_sdp);
	expect(f, &f->uac, "200", buf, sizeof(buf));
	send_in_dialog(f, &f->uac, "out", "ACK", 1, "by1", caller, callee, f->uas1.port, sdp_key);
	expect(f, &f->uas1, "ACK", buf, sizeof(buf));
	assert_null(strstr(buf, "a=crypto"));
	assert_non_null(strstr(buf, "Content-Length: 0"));
	send_in_dialog(f, &f->uac, "out", "INFO", 4, "by1", caller, callee, f->uas1.port, sdp_key);
	expect(f, &f->uas1, "INFO", buf, sizeof(buf));
	assert_null(strstr(buf, "a=crypto"));
	fx_stop(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_call),
		cmocka_unit_test(test_failover_best_response),
		cmocka_unit_test(test_failover_timeout_and_all_503),
		cmocka_unit_test(test_failover_conn_refused),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_policy_required),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_mediad_timeout),
		cmocka_unit_test(test_redis_down),
		cmocka_unit_test(test_mediad_failover_new_call),
		cmocka_unit_test(test_late_offer_and_reinvite),
		cmocka_unit_test(test_second_instance_bye),
		cmocka_unit_test(test_policy_answer_without_crypto),
		cmocka_unit_test(test_invite_retransmission),
		cmocka_unit_test(test_early_media),
		cmocka_unit_test(test_health_probe),
		cmocka_unit_test(test_forged_bye),
		cmocka_unit_test(test_sdes_keys_over_udp),
		cmocka_unit_test(test_sdes_keys_towards_udp_targets),
		cmocka_unit_test(test_policy_per_line),
		cmocka_unit_test(test_policy_no_silent_fallback),
		cmocka_unit_test(test_mediad_encryption_refusal),
		cmocka_unit_test(test_sdp_never_bypasses),
	};

	sip_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

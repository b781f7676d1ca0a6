/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy's ng client: cookie format, retries of the identical datagram, timeouts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "bencode.h"
#include "ng.h"
#include "media.h"
#include "timeutil.h"

#define time_mono_ms_for_test() time_mono_ms()

/* A fake mediad: a real UDP socket that ignores the first `silent` datagrams. */
struct peer {
	int fd;
	struct sa addr;
	struct event *ev;
	unsigned silent;
	unsigned got;
	char first[2048];
	size_t first_len;
	bool all_identical;
	bool reply_bad_cookie;
};

struct result {
	bool called;
	bool timed_out;
	char res[32];
	struct event_base *base;
};

static void
peer_read(evutil_socket_t fd, short what, void *arg)
{
	struct peer *p = arg;
	char buf[2048], out[2048];
	struct sa from;
	ssize_t n;
	const char *sp;
	int len;

	from.len = sizeof(from.u.ss);
	n = recvfrom(fd, buf, sizeof(buf), 0, &from.u.sa, &from.len);
	if (n <= 0)
		return;
	if (p->got++ == 0) {
		memcpy(p->first, buf, (size_t)n);
		p->first_len = (size_t)n;
	} else if ((size_t)n != p->first_len || memcmp(buf, p->first, (size_t)n) != 0) {
		p->all_identical = false;
	}
	if (p->got <= p->silent)
		return;
	sp = memchr(buf, ' ', (size_t)n);
	assert_non_null(sp);
	if (p->reply_bad_cookie)
		len = snprintf(out, sizeof(out), "nope d6:result4:ponge");
	else
		len = snprintf(out, sizeof(out), "%.*s d6:result4:ponge", (int)(sp - buf), buf);
	sendto(fd, out, (size_t)len, 0, &from.u.sa, from.len);
}

static void
peer_open(struct peer *p, struct event_base *base, unsigned silent)
{
	memset(p, 0, sizeof(*p));
	p->silent = silent;
	p->all_identical = true;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(sa_parse(&p->addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(bind(p->fd, &p->addr.u.sa, p->addr.len), 0);
	p->addr.len = sizeof(p->addr.u.ss);
	assert_int_equal(getsockname(p->fd, &p->addr.u.sa, &p->addr.len), 0);
	p->ev = event_new(base, p->fd, EV_READ | EV_PERSIST, peer_read, p);
	event_add(p->ev, NULL);
}

static void
peer_close(struct peer *p)
{
	event_free(p->ev);
	close(p->fd);
}

static void
on_reply(const struct bencode_item *reply, void *arg)
{
	struct result *r = arg;
	const char *s;
	size_t n;

	r->called = true;
	if (reply == NULL) {
		r->timed_out = true;
	} else if (ng_get_str(reply, "result", &s, &n) == 0) {
		snprintf(r->res, sizeof(r->res), "%.*s", (int)n, s);
	}
	event_base_loopbreak(r->base);
}

static void
run(struct event_base *base, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
send_ping(struct ng_client *nc, struct peer *p, struct result *r)
{
	struct bencode_arena a;
	struct bencode_item *d;
	int err;

	bencode_arena_init(&a);
	d = bencode_dict(&a);
	assert_non_null(d);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "command", "ping"), 0);
	err = ng_client_send(nc, &p->addr, d, on_reply, r, NULL);
	bencode_arena_free(&a);
	return err;
}

static void
test_cookie_format(void **state)
{
	struct event_base *base = event_base_new();
	struct ng_client *nc = NULL;
	char c1[80], c2[80];
	size_t n1, n2;

	assert_int_equal(ng_client_alloc(&nc, base, "spA", 100, 2), 0);
	n1 = ng_client_cookie(nc, c1, sizeof(c1));
	n2 = ng_client_cookie(nc, c2, sizeof(c2));
	/* 16 hex digits of entropy, the instance id, then a counter; no spaces */
	assert_true(n1 > 20 && n1 < NG_MAX_COOKIE);
	assert_null(memchr(c1, ' ', n1));
	assert_int_equal(c1[16], '_');
	assert_int_equal(strncmp(c1 + 17, "spA_", 4), 0);
	assert_true(n2 > 20);
	assert_int_not_equal(memcmp(c1, c2, 16), 0);	/* fresh random part each time */
	ng_client_free(nc);
	event_base_free(base);
}

static void
test_retry_then_answer(void **state)
{
	struct event_base *base = event_base_new();
	struct ng_client *nc = NULL;
	struct ng_client_stats st;
	struct result r = { .base = base };
	struct peer p;

	peer_open(&p, base, 2);	/* silent twice, answers the third try */
	assert_int_equal(ng_client_alloc(&nc, base, "t", 50, 2), 0);
	assert_int_equal(send_ping(nc, &p, &r), 0);
	run(base, 2000);
	assert_true(r.called);
	assert_false(r.timed_out);
	assert_string_equal(r.res, "pong");
	assert_int_equal(p.got, 3);
	assert_true(p.all_identical);	/* same cookie, same bytes on every try */
	ng_client_stats(nc, &st);
	assert_int_equal(st.retransmits, 2);
	assert_int_equal(st.timeouts, 0);
	ng_client_free(nc);
	peer_close(&p);
	event_base_free(base);
}

static void
test_timeout_after_retries(void **state)
{
	struct event_base *base = event_base_new();
	struct ng_client *nc = NULL;
	struct ng_client_stats st;
	struct result r = { .base = base };
	struct peer p;
	uint64_t t0 = time_mono_ms_for_test();

	peer_open(&p, base, 100);	/* never answers */
	assert_int_equal(ng_client_alloc(&nc, base, "t", 50, 2), 0);
	assert_int_equal(send_ping(nc, &p, &r), 0);
	run(base, 3000);
	assert_true(r.called);
	assert_true(r.timed_out);
	assert_int_equal(p.got, 3);	/* first try + 2 retries */
	/* three tries of 50 ms: well under a second, never a blocking wait */
	assert_true(time_mono_ms_for_test() - t0 < 1000);
	ng_client_stats(nc, &st);
	assert_int_equal(st.timeouts, 1);
	ng_client_free(nc);
	peer_close(&p);
	event_base_free(base);
}

static void
test_wrong_cookie_ignored(void **state)
{
	struct event_base *base = event_base_new();
	struct ng_client *nc = NULL;
	struct ng_client_stats st;
	struct result r = { .base = base };
	struct peer p;

	peer_open(&p, base, 0);
	p.reply_bad_cookie = true;
	assert_int_equal(ng_client_alloc(&nc, base, "t", 50, 1), 0);
	assert_int_equal(send_ping(nc, &p, &r), 0);
	run(base, 2000);
	assert_true(r.timed_out);	/* replies with a foreign cookie never match */
	ng_client_stats(nc, &st);
	assert_true(st.stray >= 1);
	ng_client_free(nc);
	peer_close(&p);
	event_base_free(base);
}

static void
test_cancel(void **state)
{
	struct event_base *base = event_base_new();
	struct ng_client *nc = NULL;
	struct result r = { .base = base };
	struct bencode_arena a;
	struct bencode_item *d;
	struct ng_req *req = NULL;
	struct peer p;

	peer_open(&p, base, 100);
	assert_int_equal(ng_client_alloc(&nc, base, "t", 30, 1), 0);
	bencode_arena_init(&a);
	d = bencode_dict(&a);
	assert_int_equal(bencode_dict_add_cstr(&a, d, "command", "ping"), 0);
	assert_int_equal(ng_client_send(nc, &p.addr, d, on_reply, &r, &req), 0);
	bencode_arena_free(&a);
	ng_req_cancel(req);
	run(base, 300);
	assert_false(r.called);
	ng_client_free(nc);
	peer_close(&p);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_format),
		cmocka_unit_test(test_retry_then_answer),
		cmocka_unit_test(test_timeout_after_retries),
		cmocka_unit_test(test_wrong_cookie_ignored),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

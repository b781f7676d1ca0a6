/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy's UDP and TCP transports on real loopback sockets (port 0). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/evloop.h"
#include <event2/event.h>

#include "rand.h"
#include "timeutil.h"
#include "transport.h"

#define MAXMSG 8

/* What the callbacks saw. */
struct seen {
	unsigned n;                       /* messages */
	char msg[MAXMSG][2048];
	size_t len[MAXMSG];
	struct sa src[MAXMSG];
	struct tp_listener *lsnr[MAXMSG];
	struct tp_conn *conn;             /* referenced: last connection a message came on */
	unsigned closed;
	int close_err;
	const char *reply;                /* sent back on the same connection/socket */
	bool close_on_recv;               /* the core drops the connection in the callback */
};

struct fx {
	struct event_base *base;
	struct tp *tp;
	struct seen seen;
};

static void
recv_h(struct tp_listener *l, struct tp_conn *c, const struct sa *src, const char *msg,
    size_t len, void *arg)
{
	struct seen *s = arg;

	if (s->n < MAXMSG) {
		size_t n = len < sizeof(s->msg[0]) - 1 ? len : sizeof(s->msg[0]) - 1;

		memcpy(s->msg[s->n], msg, n);
		s->msg[s->n][n] = '\0';
		s->len[s->n] = len;
		s->src[s->n] = *src;
		s->lsnr[s->n] = l;
	}
	s->n++;
	if (c != NULL && s->conn != c) {
		s->conn = tp_conn_deref(s->conn);
		s->conn = tp_conn_ref(c);
	}
	if (s->close_on_recv && c != NULL) {
		tp_conn_close(c);
		assert_false(tp_conn_is_open(c));
		assert_int_equal(tp_conn_send(c, "x", 1), ENOTCONN);
		return;
	}
	if (s->reply != NULL) {
		if (c != NULL)
			assert_int_equal(tp_conn_send(c, s->reply, strlen(s->reply)), 0);
		else
			assert_int_equal(tp_send_udp(l, src, s->reply, strlen(s->reply)), 0);
	}
}

static void
close_h(struct tp_conn *c, int err, void *arg)
{
	struct seen *s = arg;

	s->closed++;
	s->close_err = err;
}

static int
fx_setup_conf(void **state, unsigned idle_ms)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tp_conf conf = { 0 };

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	conf.recvh = recv_h;
	conf.closeh = close_h;
	conf.arg = &f->seen;
	conf.idle_timeout_ms = idle_ms;
	conf.connect_timeout_ms = 2000;
	assert_int_equal(tp_alloc(&f->tp, f->base, &conf), 0);
	*state = f;
	return 0;
}

static int
fx_setup(void **state)
{
	return fx_setup_conf(state, 0);
}

static int
fx_setup_idle(void **state)
{
	return fx_setup_conf(state, 500);
}

/* The fixture with a transport set of conf (callbacks and arg filled in here). */
static int
fx_setup_with(void **state, struct tp_conf conf)
{
	struct fx *f;

	fx_setup_conf(state, 0);
	f = *state;
	tp_free(f->tp);
	conf.recvh = recv_h;
	conf.closeh = close_h;
	conf.arg = &f->seen;
	assert_int_equal(tp_alloc(&f->tp, f->base, &conf), 0);
	return 0;
}

static int
fx_setup_max1(void **state)
{
	return fx_setup_with(state, (struct tp_conf){ .max_conns_in = 1, .max_conns_out = 1 });
}

/* Deadlines short enough for a unit test, and per-source limits for limited listeners. */
static int
fx_setup_limits(void **state)
{
	return fx_setup_with(state, (struct tp_conf){ .idle_timeout_ms = 5000,
	    .header_timeout_ms = 300, .limits = { .req_rate = 1, .req_burst = 3, .ban_ms = 60000,
	    .max_per_source = 2 } });
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	f->seen.conn = tp_conn_deref(f->seen.conn);
	tp_free(f->tp);
	event_base_free(f->base);
	free(f);
	return 0;
}

/* The fixture's loop: lib/evloop.h. */
#define run_ms(f, ms) evloop_run_ms((f)->base, (ms))
#define run_until(f, c, want) evloop_run_until((f)->base, (c), (want), 3000)

static struct tp_listener *
listen_on(struct fx *f, const char *name, enum tp_proto proto, const char *addr,
    const struct acl *acl)
{
	struct tp_listener_conf lc = { .name = name, .proto = proto, .acl = acl };
	struct tp_listener *l = NULL;

	assert_int_equal(sa_parse(&lc.addr, addr, 0), 0);
	assert_int_equal(tp_listen(f->tp, &lc, &l), 0);
	assert_non_null(l);
	assert_int_not_equal(sa_port(tp_listener_addr(l)), 0);
	return l;
}

/* A plain client socket connected to l (loopback connects complete at once). */
static int
client_connect(struct tp_listener *l, int type)
{
	const struct sa *a = tp_listener_addr(l);
	int fd = socket(sa_family(a), type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, &a->u.sa, a->len), 0);
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads what is there after running the loop; returns bytes, 0 on EOF, -1 if nothing. */
static ssize_t
client_read(struct fx *f, int fd, char *buf, size_t size)
{
	uint64_t end = time_mono_ms() + 3000;
	ssize_t n;

	do {
		run_ms(f, 5);
		n = recv(fd, buf, size, MSG_DONTWAIT);
	} while (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && time_mono_ms() < end);
	if (n < 0 && errno == ECONNRESET)
		return 0;
	return n;
}

#define MSG_A "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n"
#define MSG_B "MESSAGE sip:b@example.com SIP/2.0\r\nCall-ID: b\r\nl: 5\r\n\r\nhello"

/* ---- framer ---- */

/*
 * RFC 4475 ncl.dat (negative Content-Length) and mcl01.dat (two
 * Content-Length values), byte for byte: a stream framer that took them for "more to come"
 * left the peer without an answer. A complete header section with an unusable length is
 * malformed at once.
 */
static const char RFC4475_NCL[] =
	"INVITE sip:user@example.com SIP/2.0\r\n"
	"Max-Forwards: 254\r\n"
	"To: sip:j.user@example.com\r\n"
	"From: sip:caller@example.net;tag=32394234\r\n"
	"Call-ID: ncl.0ha0isndaksdj2193423r542w35\r\n"
	"CSeq: 0 INVITE\r\n"
	"Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw\r\n"
	"Contact: <sip:caller@example53.example.net>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: -999\r\n"
	"\r\n"
	"v=0\r\n"
	"o=mhandley 29739 7272939 IN IP4 192.0.2.53\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.53\r\n"
	"t=0 0\r\n"
	"m=audio 49217 RTP/AVP 0 12\r\n"
	"m=video 3227 RTP/AVP 31\r\n"
	"a=rtpmap:31 LPC\r\n";
static const char RFC4475_MCL01[] =
	"OPTIONS sip:user@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bK293423\r\n"
	"To: sip:user@example.com\r\n"
	"From: sip:other@example.net;tag=3923942\r\n"
	"Call-ID: mcl01.fhn2323orihawfdoa3o4r52o3irsdf\r\n"
	"CSeq: 15932 OPTIONS\r\n"
	"Content-Length: 13\r\n"
	"Max-Forwards: 60\r\n"
	"Content-Length: 5\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"There's no way to know how many octets are supposed to be here.\r\n"
	"\r\n";

static void
test_frame_cases(void **state)
{
	size_t skip = 99, mlen = 99;
	char big[TP_MAX_HEADER + 16];

	assert_int_equal(tp_frame(MSG_A, strlen(MSG_A), &skip, &mlen), 0);
	assert_int_equal(skip, 0);
	assert_int_equal(mlen, strlen(MSG_A));
	/* Compact form, body, and a following message. */
	assert_int_equal(tp_frame(MSG_B MSG_A, strlen(MSG_B MSG_A), &skip, &mlen), 0);
	assert_int_equal(mlen, strlen(MSG_B));
	/* Body incomplete, header incomplete, keep-alives only. */
	assert_int_equal(tp_frame(MSG_B, strlen(MSG_B) - 1, &skip, &mlen), ENODATA);
	assert_int_equal(tp_frame(MSG_A, 20, &skip, &mlen), ENODATA);
	assert_int_equal(tp_frame("\r\n\r\n", 4, &skip, &mlen), ENODATA);
	assert_int_equal(skip, 4);
	assert_int_equal(tp_frame("\r\n\r\n" MSG_A, 4 + strlen(MSG_A), &skip, &mlen), 0);
	assert_int_equal(skip, 4);
	assert_int_equal(mlen, strlen(MSG_A));
	/* Case and spaces in the header name and value. */
	const char *m1 = "INVITE sip:x SIP/2.0\r\ncontent-length :  3 \r\n\r\nabc";
	assert_int_equal(tp_frame(m1, strlen(m1), &skip, &mlen), 0);
	assert_int_equal(mlen, strlen(m1));
	/* A folded line mentioning Content-Length is not a header. */
	const char *m2 = "INVITE sip:x SIP/2.0\r\nSubject: a\r\n Content-Length: 9\r\nl: 0\r\n\r\n";
	assert_int_equal(tp_frame(m2, strlen(m2), &skip, &mlen), 0);
	assert_int_equal(mlen, strlen(m2));
	/* Malformed. */
	const char *bad[] = {
		"INVITE sip:x SIP/2.0\r\nVia: x\r\n\r\n",                            /* no length */
		"INVITE sip:x SIP/2.0\r\nContent-Length: abc\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nContent-Length: 1x\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nContent-Length:\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nContent-Length: -1\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab",      /* conflict */
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",                     /* a TLS hello */
		"INVITE sip:x SIP/2.0\r\nX: \x01\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mlen = 12345;
		assert_int_equal(tp_frame(bad[i], strlen(bad[i]), &skip, &mlen), EBADMSG);
		assert_int_equal(mlen, 12345);     /* untouched on error */
	}
	/* RFC 4475 torture messages: complete header sections, unusable lengths. */
	mlen = 12345;
	assert_int_equal(tp_frame(RFC4475_NCL, strlen(RFC4475_NCL), &skip, &mlen), EBADMSG);
	assert_int_equal(tp_frame(RFC4475_MCL01, strlen(RFC4475_MCL01), &skip, &mlen), EBADMSG);
	/* ... also with only the header section in: no waiting for a body. */
	assert_int_equal(tp_frame(RFC4475_NCL, (size_t)(strstr(RFC4475_NCL, "\r\n\r\n") + 4 -
	    RFC4475_NCL), &skip, &mlen), EBADMSG);
	assert_int_equal(tp_frame(RFC4475_MCL01, (size_t)(strstr(RFC4475_MCL01, "\r\n\r\n") + 4 -
	    RFC4475_MCL01), &skip, &mlen), EBADMSG);
	assert_int_equal(mlen, 12345);
	/* Over the limits. */
	const char *huge = "INVITE sip:x SIP/2.0\r\nContent-Length: 65537\r\n\r\n";
	assert_int_equal(tp_frame(huge, strlen(huge), &skip, &mlen), EMSGSIZE);
	const char *vhuge = "INVITE sip:x SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n";
	assert_int_equal(tp_frame(vhuge, strlen(vhuge), &skip, &mlen), EMSGSIZE);
	memset(big, 'a', sizeof(big));
	memcpy(big, "INVITE sip:x SIP/2.0\r\nX: ", 25);
	assert_int_equal(tp_frame(big, sizeof(big), &skip, &mlen), EMSGSIZE);
	assert_int_equal(tp_frame(big, 1000, &skip, &mlen), ENODATA);
}

/* Mutated and random inputs: the framer's answer must always be self-consistent. */
static void
test_frame_random(void **state)
{
	static const char *const seeds[] = { MSG_A, MSG_B, (MSG_B MSG_A), ("\r\n\r\n" MSG_A),
	    "INVITE sip:x SIP/2.0\r\nl:2\r\nContent-Length : 2\r\n\r\nab" };
	char buf[512];
	uint64_t x = 88172645463325252ull;
	unsigned i, ok = 0, more = 0, bad = 0;

	for (i = 0; i < 200000; i++) {
		const char *seed = seeds[i % 5];
		size_t len = strlen(seed), skip = 0, mlen = 0, k, nmut;
		int rc;

		memcpy(buf, seed, len);
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		nmut = x % 4;
		for (k = 0; k < nmut; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			buf[x % len] = (char)(x >> 32);
		}
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		if (x % 3 == 0)
			len = (size_t)(x >> 20) % (len + 1);   /* truncated */
		rc = tp_frame(buf, len, &skip, &mlen);
		assert_true(skip <= len);
		if (rc == 0) {
			assert_true(mlen >= 4 && skip + mlen <= len);
			size_t s2 = 9, m2 = 0;

			assert_non_null(memmem(buf + skip, mlen, "\r\n\r\n", 4));
			assert_true(buf[skip] != '\r' && buf[skip] != '\n');
			/* The message alone frames to itself. */
			assert_int_equal(tp_frame(buf + skip, mlen, &s2, &m2), 0);
			assert_int_equal(s2, 0);
			assert_int_equal(m2, mlen);
			ok++;
		} else if (rc == ENODATA) {
			more++;
		} else {
			assert_true(rc == EBADMSG || rc == EMSGSIZE);
			bad++;
		}
	}
	/* The mix really exercised all three outcomes. */
	assert_true(ok > 1000 && more > 1000 && bad > 1000);
}

/* ---- UDP ---- */

static void
test_udp_in_out(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "inside-udp", TP_UDP, "127.0.0.1:0", NULL);
	struct tp_stats st;
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct sa me;
	char buf[2048];
	int fd;

	fd = client_connect(l, SOCK_DGRAM);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &slen), 0);
	sa_from_sockaddr(&me, (struct sockaddr *)&ss, slen);
	f->seen.reply = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	send_all(fd, MSG_A, strlen(MSG_A));
	send_all(fd, "\r\n\r\n", 4);   /* keep-alive: counted, not delivered */
	assert_true(run_until(f, &f->seen.n, 1));
	assert_string_equal(f->seen.msg[0], MSG_A);
	assert_true(sa_equal(&f->seen.src[0], &me));
	assert_ptr_equal(f->seen.lsnr[0], l);
	assert_null(f->seen.conn);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), (ssize_t)strlen(f->seen.reply));
	assert_memory_equal(buf, f->seen.reply, strlen(f->seen.reply));
	/* tp_send with a UDP target goes out of the via listener's socket. */
	struct tp_target t = { .proto = TP_UDP, .addr = me, .via = l };
	struct tp_conn *c = (struct tp_conn *)0x1;

	assert_int_equal(tp_send(f->tp, &t, MSG_B, strlen(MSG_B), &c), 0);
	assert_null(c);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), (ssize_t)strlen(MSG_B));
	t.via = NULL;
	assert_int_equal(tp_send(f->tp, &t, MSG_B, strlen(MSG_B), NULL), EINVAL);
	/* An empty datagram is garbage, counted. */
	send_all(fd, "", 0);
	run_ms(f, 50);
	tp_listener_stats(l, &st);
	assert_int_equal(st.rx_msgs, 1);
	assert_int_equal(st.keepalives, 1);
	assert_int_equal(st.bad_msgs, 1);
	assert_int_equal(st.tx_msgs, 2);
	assert_int_equal(f->seen.n, 1);
	assert_ptr_equal(tp_listener_find(f->tp, "inside-udp"), l);
	assert_null(tp_listener_find(f->tp, "nope"));
	close(fd);
}

static void
test_udp_ipv6(void **state)
{
	struct fx *f = *state;
	struct tp_listener_conf lc = { .name = "v6-udp", .proto = TP_UDP };
	struct tp_listener *l = NULL;
	int fd;

	assert_int_equal(sa_parse(&lc.addr, "[::1]:0", 0), 0);
	if (tp_listen(f->tp, &lc, &l) != 0)
		skip();   /* no IPv6 loopback in this sandbox */
	fd = client_connect(l, SOCK_DGRAM);
	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	assert_int_equal(sa_family(&f->seen.src[0]), AF_INET6);
	close(fd);
	/* TCP on [::1] beside a v4 listener on the same port number. */
	struct tp_listener *l6 = listen_on(f, "v6-tcp", TP_TCP, "[::1]:0", NULL);
	char v4[32];
	struct tp_listener *l4;

	snprintf(v4, sizeof(v4), "127.0.0.1:%u", sa_port(tp_listener_addr(l6)));
	l4 = listen_on(f, "v4-tcp", TP_TCP, v4, NULL);
	assert_int_equal(sa_port(tp_listener_addr(l4)), sa_port(tp_listener_addr(l6)));
	fd = client_connect(l6, SOCK_STREAM);
	send_all(fd, MSG_B, strlen(MSG_B));
	assert_true(run_until(f, &f->seen.n, 2));
	assert_string_equal(f->seen.msg[1], MSG_B);
	assert_ptr_equal(f->seen.lsnr[1], l6);
	assert_int_equal(sa_family(tp_conn_peer(f->seen.conn)), AF_INET6);
	close(fd);
}

static void
test_listen_bad_conf(void **state)
{
	struct fx *f = *state;
	struct tp_listener_conf lc = { .name = "x", .proto = TP_TCP };
	struct tp_listener *l = NULL;

	assert_int_equal(sa_parse(&lc.addr, "127.0.0.1:0", 0), 0);
	lc.proto = TP_TLS;   /* TLS without a context */
	assert_int_equal(tp_listen(f->tp, &lc, &l), EINVAL);
	lc.proto = (enum tp_proto)7;
	assert_int_equal(tp_listen(f->tp, &lc, &l), EINVAL);
	lc.proto = TP_TCP;
	lc.name = "";
	assert_int_equal(tp_listen(f->tp, &lc, &l), EINVAL);
	lc.name = "dup";
	assert_int_equal(tp_listen(f->tp, &lc, &l), 0);
	assert_int_equal(tp_listen(f->tp, &lc, &l), EEXIST);
	/* The port is taken now. */
	lc.name = "dup2";
	lc.addr = *tp_listener_addr(l);
	assert_int_equal(tp_listen(f->tp, &lc, &l), EADDRINUSE);
	assert_null(tp_listener_find(f->tp, "dup2"));
}

/* ---- TCP ---- */

static void
test_tcp_two_in_one_segment(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);

	send_all(fd, MSG_A MSG_B, strlen(MSG_A MSG_B));
	assert_true(run_until(f, &f->seen.n, 2));
	assert_string_equal(f->seen.msg[0], MSG_A);
	assert_string_equal(f->seen.msg[1], MSG_B);
	assert_non_null(f->seen.conn);
	assert_int_equal(tp_conn_proto(f->seen.conn), TP_TCP);
	assert_false(tp_conn_outbound(f->seen.conn));
	assert_ptr_equal(tp_conn_listener(f->seen.conn), l);
	assert_true(sa_equal(tp_conn_local(f->seen.conn), tp_listener_addr(l)));
	run_ms(f, 20);
	assert_int_equal(f->seen.n, 2);
	close(fd);
}

static void
test_tcp_byte_by_byte(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	const char *m = MSG_B;
	size_t i;

	for (i = 0; i < strlen(m); i++) {
		send_all(fd, m + i, 1);
		run_ms(f, 1);
		assert_int_equal(f->seen.n, i + 1 == strlen(m) ? f->seen.n : 0);
	}
	assert_true(run_until(f, &f->seen.n, 1));
	assert_string_equal(f->seen.msg[0], MSG_B);
	assert_int_equal(f->seen.len[0], strlen(MSG_B));
	close(fd);
}

/* Several messages cut at random points arrive whole and in order. */
static void
test_tcp_random_splits(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	const char *stream = MSG_A MSG_B "\r\n" MSG_A MSG_B MSG_B MSG_A;
	size_t len = strlen(stream), pos = 0;
	uint32_t r;

	while (pos < len) {
		size_t n;

		assert_int_equal(rand_bytes(&r, sizeof(r)), 0);
		n = 1 + r % 60;
		if (n > len - pos)
			n = len - pos;
		send_all(fd, stream + pos, n);
		pos += n;
		run_ms(f, 1);
	}
	assert_true(run_until(f, &f->seen.n, 6));
	assert_string_equal(f->seen.msg[0], MSG_A);
	assert_string_equal(f->seen.msg[1], MSG_B);
	assert_string_equal(f->seen.msg[2], MSG_A);
	assert_string_equal(f->seen.msg[3], MSG_B);
	assert_string_equal(f->seen.msg[4], MSG_B);
	assert_string_equal(f->seen.msg[5], MSG_A);
	assert_int_equal(f->seen.closed, 0);
	close(fd);
}

static void
test_tcp_keepalive(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	struct tp_stats st;
	char buf[16];

	send_all(fd, "\r\n\r\n", 4);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 2);   /* RFC 5626 pong */
	assert_memory_equal(buf, "\r\n", 2);
	/* Keep-alives around a message, split across segments. */
	send_all(fd, "\r\n", 2);
	run_ms(f, 10);
	send_all(fd, "\r\n" MSG_A "\r\n\r\n", strlen(MSG_A) + 6);
	assert_true(run_until(f, &f->seen.n, 1));
	assert_string_equal(f->seen.msg[0], MSG_A);
	/* Two pongs: for the split ping before the message and the one after it. */
	ssize_t got = 0, n;

	while (got < 4 && (n = client_read(f, fd, buf + got, sizeof(buf) - (size_t)got)) > 0)
		got += n;
	assert_int_equal(got, 4);
	assert_memory_equal(buf, "\r\n\r\n", 4);
	tp_listener_stats(l, &st);
	assert_int_equal(st.keepalives, 3);
	assert_int_equal(st.rx_msgs, 1);
	assert_int_equal(st.bad_msgs, 0);
	close(fd);
}

static void
garbage_closes(struct fx *f, const char *bytes, size_t n, int want_err)
{
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	struct tp_stats st;
	char buf[64];

	send_all(fd, bytes, n);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);   /* closed by us */
	assert_int_equal(f->seen.closed, 1);
	assert_int_equal(f->seen.close_err, want_err);
	tp_listener_stats(l, &st);
	assert_int_equal(st.bad_msgs, 1);
	assert_int_equal(st.conns_open, 0);
	close(fd);
}

static void
test_tcp_garbage_binary(void **state)
{
	struct fx *f = *state;
	char junk[512];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37 + 1);
	garbage_closes(f, junk, sizeof(junk), EBADMSG);
	assert_int_equal(f->seen.n, 0);
}

static void
test_tcp_garbage_no_length(void **state)
{
	struct fx *f = *state;
	const char *m = MSG_A "INVITE sip:x SIP/2.0\r\nVia: x\r\n\r\n";

	garbage_closes(f, m, strlen(m), EBADMSG);
	assert_int_equal(f->seen.n, 1);   /* the good message before it still counts */
}

/* The RFC 4475 length cases close the connection at once, counted, nothing delivered. */
static void
test_tcp_rfc4475_ncl(void **state)
{
	struct fx *f = *state;

	garbage_closes(f, RFC4475_NCL, strlen(RFC4475_NCL), EBADMSG);
	assert_int_equal(f->seen.n, 0);
}

static void
test_tcp_rfc4475_mcl01(void **state)
{
	struct fx *f = *state;

	garbage_closes(f, RFC4475_MCL01, strlen(RFC4475_MCL01), EBADMSG);
	assert_int_equal(f->seen.n, 0);
}

static void
test_tcp_oversized(void **state)
{
	struct fx *f = *state;
	size_t n = TP_MAX_HEADER + 4096;
	char *m = malloc(n);

	assert_non_null(m);
	memset(m, 'a', n);
	memcpy(m, "INVITE sip:x SIP/2.0\r\nX-Pad: ", 29);
	garbage_closes(f, m, n, EMSGSIZE);
	free(m);
	assert_int_equal(f->seen.n, 0);
}

static void
test_tcp_oversized_body(void **state)
{
	struct fx *f = *state;
	const char *m = "INVITE sip:x SIP/2.0\r\nContent-Length: 70000\r\n\r\n";

	garbage_closes(f, m, strlen(m), EMSGSIZE);
}

static void
test_tcp_response_same_conn(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd1 = client_connect(l, SOCK_STREAM);
	int fd2 = client_connect(l, SOCK_STREAM);
	const char *resp = "SIP/2.0 200 OK\r\nCall-ID: b\r\nContent-Length: 0\r\n\r\n";
	struct tp_conn *c;
	char buf[256];

	send_all(fd1, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	c = tp_conn_ref(f->seen.conn);
	send_all(fd2, MSG_B, strlen(MSG_B));
	assert_true(run_until(f, &f->seen.n, 2));
	assert_ptr_not_equal(f->seen.conn, c);
	/* The response to fd2's request goes on fd2's connection, found by its handle. */
	assert_int_equal(tp_conn_send(f->seen.conn, resp, strlen(resp)), 0);
	assert_int_equal(client_read(f, fd2, buf, sizeof(buf)), (ssize_t)strlen(resp));
	assert_memory_equal(buf, resp, strlen(resp));
	assert_int_equal(recv(fd1, buf, sizeof(buf), MSG_DONTWAIT), -1);
	/* The held handle stays valid after the peer leaves; sends then fail cleanly. */
	close(fd1);
	assert_true(run_until(f, &f->seen.closed, 1));
	assert_false(tp_conn_is_open(c));
	assert_int_equal(tp_conn_send(c, resp, strlen(resp)), ENOTCONN);
	c = tp_conn_deref(c);
	assert_null(c);
	close(fd2);
}

static void
test_tcp_reuse(void **state)
{
	struct fx *f = *state;
	struct tp_listener *srv = listen_on(f, "inside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	struct tp_listener *cli = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	struct tp_target t = { .proto = TP_TCP, .addr = *tp_listener_addr(srv), .via = cli };
	struct tp_conn *c1 = NULL, *c2 = NULL, *back = NULL;
	struct tp_stats st;

	assert_int_equal(tp_send(f->tp, &t, MSG_A, strlen(MSG_A), &c1), 0);
	assert_int_equal(tp_send(f->tp, &t, MSG_B, strlen(MSG_B), &c2), 0);
	assert_ptr_equal(c1, c2);
	assert_true(tp_conn_outbound(c1));
	assert_ptr_equal(tp_conn_listener(c1), cli);
	assert_true(run_until(f, &f->seen.n, 2));
	assert_string_equal(f->seen.msg[0], MSG_A);
	assert_string_equal(f->seen.msg[1], MSG_B);
	assert_ptr_equal(f->seen.lsnr[0], srv);
	tp_listener_stats(srv, &st);
	assert_int_equal(st.conns_accepted, 1);
	tp_listener_stats(cli, &st);
	assert_int_equal(st.conns_connected, 1);
	assert_int_equal(st.tx_msgs, 2);
	/* A request back to the peer's address reuses the connection it opened. */
	struct tp_target bt = { .proto = TP_TCP, .addr = *tp_conn_peer(f->seen.conn) };

	assert_int_equal(tp_send(f->tp, &bt, MSG_A, strlen(MSG_A), &back), 0);
	assert_ptr_equal(back, f->seen.conn);
	assert_true(run_until(f, &f->seen.n, 3));
	assert_ptr_equal(f->seen.conn, c1);   /* arrived on the outbound side */
	tp_stats_total(f->tp, &st);
	assert_int_equal(st.conns_accepted + st.conns_connected, 2);
	tp_conn_deref(c1);
	tp_conn_deref(c2);
	tp_conn_deref(back);
}

static void
test_tcp_connect_refused(void **state)
{
	struct fx *f = *state;
	struct tp_listener *tmp = listen_on(f, "gone", TP_TCP, "127.0.0.1:0", NULL);
	struct tp_target t = { .proto = TP_TCP };
	struct tp_conn *c = NULL;
	struct tp_stats st;
	int fd;

	/* Find a port with nothing on it: bind one, note it, close it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sa_parse(&t.addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(bind(fd, &t.addr.u.sa, t.addr.len), 0);
	socklen_t sl = sizeof(t.addr.u.ss);
	assert_int_equal(getsockname(fd, &t.addr.u.sa, &sl), 0);
	close(fd);
	(void)tmp;
	assert_int_equal(tp_send(f->tp, &t, MSG_A, strlen(MSG_A), &c), 0);
	assert_true(run_until(f, &f->seen.closed, 1));
	assert_int_equal(f->seen.close_err, ECONNREFUSED);
	assert_false(tp_conn_is_open(c));
	tp_stats_total(f->tp, &st);
	assert_int_equal(st.connect_failures, 1);
	tp_conn_deref(c);
}

static void
test_tcp_idle_timeout(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	struct tp_stats st;
	uint64_t t0;
	char buf[16];

	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	t0 = time_mono_ms();
	/* Traffic keeps it open (idle timeout 500 ms) ... */
	run_ms(f, 250);
	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 2));
	run_ms(f, 250);
	assert_int_equal(f->seen.closed, 0);
	/* ... silence closes it. */
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);
	assert_true(time_mono_ms() - t0 >= 700);
	assert_int_equal(f->seen.closed, 1);
	assert_int_equal(f->seen.close_err, 0);
	tp_listener_stats(l, &st);
	assert_int_equal(st.conns_idle_closed, 1);
	assert_int_equal(st.conns_open, 0);
	close(fd);
}

static void
test_acl_drop(void **state)
{
	struct fx *f = *state;
	struct acl *deny = NULL, *allow = NULL;
	struct tp_listener *lu, *lt, *ok;
	struct tp_stats st;
	char buf[16];
	int fd;

	assert_int_equal(acl_parse(&deny, "10.0.0.0/8 2001:db8::/32", NULL, NULL), 0);
	assert_int_equal(acl_parse(&allow, "127.0.0.0/8", NULL, NULL), 0);
	lu = listen_on(f, "outside-udp", TP_UDP, "127.0.0.1:0", deny);
	lt = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", deny);
	ok = listen_on(f, "inside-tcp", TP_TCP, "127.0.0.1:0", allow);

	fd = client_connect(lu, SOCK_DGRAM);
	send_all(fd, MSG_A, strlen(MSG_A));
	send_all(fd, "garbage", 7);
	run_ms(f, 50);
	close(fd);
	tp_listener_stats(lu, &st);
	assert_int_equal(st.acl_drops, 2);
	assert_int_equal(st.bad_msgs, 0);     /* dropped before looking at the bytes */
	assert_int_equal(st.rx_msgs, 0);

	fd = client_connect(lt, SOCK_STREAM);
	send(fd, MSG_A, strlen(MSG_A), MSG_NOSIGNAL);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);   /* closed at accept */
	close(fd);
	tp_listener_stats(lt, &st);
	assert_int_equal(st.acl_drops, 1);
	assert_int_equal(st.conns_accepted, 0);
	assert_int_equal(f->seen.n, 0);

	fd = client_connect(ok, SOCK_STREAM);
	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	close(fd);
	tp_listener_stats(ok, &st);
	assert_int_equal(st.acl_drops, 0);
	tp_free(f->tp);          /* before the ACLs it borrows */
	f->seen.conn = tp_conn_deref(f->seen.conn);
	f->tp = NULL;
	acl_free(deny);
	acl_free(allow);
}

static void
test_close_in_callback(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	char buf[16];

	/* Two messages in one read; the first makes the core close the connection. */
	f->seen.close_on_recv = true;
	send_all(fd, MSG_A MSG_B, strlen(MSG_A MSG_B));
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);
	assert_int_equal(f->seen.n, 1);
	assert_int_equal(f->seen.closed, 1);
	assert_int_equal(f->seen.close_err, 0);
	tp_conn_close(f->seen.conn);    /* idempotent */
	assert_int_equal(f->seen.closed, 1);
	close(fd);
}

static void
test_max_conns(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	struct tp_target t = { .proto = TP_TCP, .addr = *tp_listener_addr(l) };
	struct tp_stats st;
	char buf[16];
	int fd1, fd2;

	fd1 = client_connect(l, SOCK_STREAM);
	send_all(fd1, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	fd2 = client_connect(l, SOCK_STREAM);
	assert_int_equal(client_read(f, fd2, buf, sizeof(buf)), 0);   /* refused */
	tp_listener_stats(l, &st);
	assert_int_equal(st.conns_refused, 1);
	assert_int_equal(st.conns_open, 1);
	/* Outbound has a budget of its own: a full inbound one does not stop it ... */
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t sl = sizeof(t.addr.u.ss);

	assert_int_equal(sa_parse(&t.addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(bind(lfd, &t.addr.u.sa, t.addr.len), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, &t.addr.u.sa, &sl), 0);
	assert_int_equal(tp_send(f->tp, &t, MSG_A, strlen(MSG_A), NULL), 0);
	/* ... but it is full with one (max_conns_out 1): no room for another. */
	t.addr.u.in.sin_port = htons(1);
	assert_int_equal(tp_send(f->tp, &t, MSG_A, strlen(MSG_A), NULL), EMFILE);
	close(lfd);
	close(fd1);
	close(fd2);
}

static void
test_stalled_peer(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	struct tp_stats st;
	char chunk[1024];
	int i, err = 0;

	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	memset(chunk, 'x', sizeof(chunk));
	/* Without the loop running nothing drains: the queue limit must trip. */
	for (i = 0; i < 2048 && err == 0; i++)
		err = tp_conn_send(f->seen.conn, chunk, sizeof(chunk));
	assert_int_equal(err, ENOBUFS);
	assert_true(i > 1000);
	assert_false(tp_conn_is_open(f->seen.conn));
	assert_int_equal(f->seen.closed, 1);
	assert_int_equal(f->seen.close_err, ENOBUFS);
	assert_int_equal(tp_conn_send(f->seen.conn, chunk, 1), ENOTCONN);
	tp_listener_stats(l, &st);
	assert_int_equal(st.tx_errors, 1);
	close(fd);
}

/*
 * The header deadline runs from a message's first byte: bytes every 100 ms do not move
 * it (closed at 300 ms); between whole messages only the idle timer counts.
 */
static void
test_tcp_header_deadline(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "outside-tcp", TP_TCP, "127.0.0.1:0", NULL);
	int fd = client_connect(l, SOCK_STREAM);
	const char *p = MSG_A;
	uint64_t t0;
	char buf[16];

	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 1));
	run_ms(f, 500);		/* idle, past the header deadline: still open */
	send_all(fd, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 2));
	assert_int_equal(f->seen.closed, 0);
	t0 = time_mono_ms();
	while (f->seen.closed == 0 && *p != '\0' && time_mono_ms() - t0 < 2000) {
		send(fd, p++, 1, MSG_NOSIGNAL);
		run_ms(f, 100);
	}
	assert_int_equal(f->seen.closed, 1);
	assert_int_equal(f->seen.close_err, ETIMEDOUT);
	assert_true(time_mono_ms() - t0 >= 290 && time_mono_ms() - t0 < 800);
	assert_int_equal(f->seen.n, 2);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);
	close(fd);
	/* A connection that never sends is closed at the same deadline. */
	fd = client_connect(l, SOCK_STREAM);
	t0 = time_mono_ms();
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);
	assert_true(time_mono_ms() - t0 >= 250);
	close(fd);
}

#define RESP_OK "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"

/* A limited UDP listener: the burst is served, then the source is banned (before parsing). */
static void
test_udp_rate_ban(void **state)
{
	struct fx *f = *state;
	struct tp_listener_conf lc = { .name = "outside-udp", .proto = TP_UDP, .limited = true };
	struct tp_listener *l = NULL, *open = NULL;
	int fd, fd2, i;

	assert_int_equal(sa_parse(&lc.addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(tp_listen(f->tp, &lc, &l), 0);
	lc.name = "inside-udp";
	lc.limited = false;
	assert_int_equal(tp_listen(f->tp, &lc, &open), 0);
	fd = client_connect(l, SOCK_DGRAM);
	for (i = 0; i < 10; i++)
		send_all(fd, MSG_A, strlen(MSG_A));
	run_ms(f, 100);
	assert_int_equal(f->seen.n, 3);
	/* Banned: even a response is dropped now. */
	send_all(fd, RESP_OK, strlen(RESP_OK));
	run_ms(f, 50);
	assert_int_equal(f->seen.n, 3);
	close(fd);
	/* A listener without limits takes all from the same address. */
	fd2 = client_connect(open, SOCK_DGRAM);
	for (i = 0; i < 10; i++)
		send_all(fd2, MSG_A, strlen(MSG_A));
	assert_true(run_until(f, &f->seen.n, 13));
	close(fd2);
}

/* Two connections per source on a limited TCP listener; the third is closed at once. */
static void
test_tcp_per_source(void **state)
{
	struct fx *f = *state;
	struct tp_listener_conf lc = { .name = "outside-tcp", .proto = TP_TCP, .limited = true };
	struct tp_listener *l = NULL;
	struct tp_stats st;
	char buf[16];
	int fd[3], i;

	assert_int_equal(sa_parse(&lc.addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(tp_listen(f->tp, &lc, &l), 0);
	for (i = 0; i < 3; i++)
		fd[i] = client_connect(l, SOCK_STREAM);
	assert_int_equal(client_read(f, fd[2], buf, sizeof(buf)), 0);
	tp_listener_stats(l, &st);
	assert_int_equal(st.conns_open, 2);
	assert_int_equal(st.conns_refused, 1);
	close(fd[0]);
	close(fd[2]);
	run_ms(f, 50);
	fd[2] = client_connect(l, SOCK_STREAM);
	run_ms(f, 50);
	tp_listener_stats(l, &st);
	assert_int_equal(st.conns_open, 2);
	close(fd[1]);
	close(fd[2]);
}

/* A stream source over its request rate: banned, its connection closed, new ones refused. */
static void
test_tcp_rate_ban(void **state)
{
	struct fx *f = *state;
	struct tp_listener_conf lc = { .name = "outside-tcp", .proto = TP_TCP, .limited = true };
	struct tp_listener *l = NULL;
	char buf[16];
	int fd, i;

	assert_int_equal(sa_parse(&lc.addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(tp_listen(f->tp, &lc, &l), 0);
	fd = client_connect(l, SOCK_STREAM);
	for (i = 0; i < 5; i++)
		send_all(fd, MSG_A, strlen(MSG_A));
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);
	assert_int_equal(f->seen.n, 3);
	assert_int_equal(f->seen.closed, 1);
	assert_int_equal(f->seen.close_err, EACCES);
	close(fd);
	fd = client_connect(l, SOCK_STREAM);
	assert_int_equal(client_read(f, fd, buf, sizeof(buf)), 0);
	assert_int_equal(f->seen.n, 3);
	close(fd);
}

static void
test_bad_args(void **state)
{
	struct fx *f = *state;
	struct tp_listener *l = listen_on(f, "inside-udp", TP_UDP, "127.0.0.1:0", NULL);
	struct tp_target t = { .proto = TP_TCP };
	struct tp_conf conf = { 0 };
	struct tp *tp2 = (struct tp *)0x1;
	enum tp_proto p;

	assert_int_equal(tp_alloc(&tp2, f->base, &conf), EINVAL);    /* no recvh */
	assert_ptr_equal(tp2, (struct tp *)0x1);
	assert_int_equal(tp_send(f->tp, &t, "x", 1, NULL), EINVAL);   /* no address */
	t.proto = TP_TLS;
	assert_int_equal(sa_parse(&t.addr, "127.0.0.1:5061", 0), 0);
	assert_int_equal(tp_send(f->tp, &t, "x", 1, NULL), EINVAL);   /* no client TLS */
	t.proto = (enum tp_proto)9;
	assert_int_equal(tp_send(f->tp, &t, "x", 1, NULL), EINVAL);
	assert_int_equal(tp_send_udp(l, &t.addr, "x", 0), EINVAL);
	assert_int_equal(tp_proto_parse("TLS", &p), 0);
	assert_int_equal(p, TP_TLS);
	assert_int_equal(tp_proto_parse("sctp", &p), EINVAL);
	assert_string_equal(tp_proto_name(TP_UDP), "udp");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_cases),
		cmocka_unit_test(test_frame_random),
		cmocka_unit_test_setup_teardown(test_udp_in_out, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_udp_ipv6, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_listen_bad_conf, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_two_in_one_segment, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_byte_by_byte, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_random_splits, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_keepalive, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_garbage_binary, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_garbage_no_length, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_rfc4475_ncl, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_rfc4475_mcl01, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_oversized, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_oversized_body, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_response_same_conn, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_reuse, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_connect_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_idle_timeout, fx_setup_idle, fx_teardown),
		cmocka_unit_test_setup_teardown(test_acl_drop, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_in_callback, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_max_conns, fx_setup_max1, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stalled_peer, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_header_deadline, fx_setup_limits, fx_teardown),
		cmocka_unit_test_setup_teardown(test_udp_rate_ban, fx_setup_limits, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_per_source, fx_setup_limits, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_rate_ban, fx_setup_limits, fx_teardown),
	};

	/* libevent writes with write(2): a daemon must ignore SIGPIPE, and so do we. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

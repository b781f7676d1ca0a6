/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy TLS: both ends from this module, certificates from make-certs.sh. */
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/evloop.h"
#include "lib/proc.h"
#include <event2/event.h>
#include <openssl/ssl.h>

#include "rand.h"
#include "timeutil.h"
#include "transport.h"

#ifndef SBC_SOURCE_DIR
#error "SBC_SOURCE_DIR must point at the source tree (for deploy/certs/make-certs.sh)"
#endif

/* Certificates for the whole run: A (the SBC's CA), B (another CA), a self-signed one. */
static char certdir[256];

static const char *
cpath(const char *rel)
{
	static char buf[8][512];
	static unsigned i;
	char *p = buf[i++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", certdir, rel);
	return p;
}

static int
group_setup(void **state)
{
	const char *mk = SBC_SOURCE_DIR "/deploy/certs/make-certs.sh";

	snprintf(certdir, sizeof(certdir), "/tmp/sbc-test-tls-XXXXXX");
	if (mkdtemp(certdir) == NULL)
		return -1;
	if (proc_sh("%s -o %s/a -s IP:127.0.0.1 -c alice -c bob sip.example.test >/dev/null", mk,
	    certdir) != 0 ||
	    proc_sh("%s -o %s/a -r alice >/dev/null", mk, certdir) != 0 ||
	    proc_sh("%s -o %s/b -c mallory other.example.test >/dev/null", mk, certdir) != 0 ||
	    proc_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-keyout %s/self.key -out %s/self.crt -subj /CN=selfie -days 2 2>/dev/null",
	    certdir, certdir) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	if (certdir[0])
		proc_sh("rm -rf '%s'", certdir);
	return 0;
}

/* ---- fixture: one server tp with a TLS listener, one client tp ---- */

struct seen {
	unsigned n;
	char msg[2048];
	struct tp_conn *conn;     /* referenced */
	unsigned closed;
	int close_err;
	const char *reply;
};

struct fx {
	struct event_base *base;
	struct tp *srv, *cli;
	struct seen ss, cs;
	struct tls *stls, *ctls;
	struct tp_listener *l;
	char logpath[300];
	int saved_stderr;
};

static void
recv_h(struct tp_listener *l, struct tp_conn *c, const struct sa *src, const char *msg,
    size_t len, void *arg)
{
	struct seen *s = arg;
	size_t n = len < sizeof(s->msg) - 1 ? len : sizeof(s->msg) - 1;

	memcpy(s->msg, msg, n);
	s->msg[n] = '\0';
	s->n++;
	if (s->conn != c) {
		tp_conn_deref(s->conn);
		s->conn = tp_conn_ref(c);
	}
	if (s->reply)
		assert_int_equal(tp_conn_send(c, s->reply, strlen(s->reply)), 0);
}

static void
close_h(struct tp_conn *c, int err, void *arg)
{
	struct seen *s = arg;

	s->closed++;
	s->close_err = err;
}

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tp_conf sc = { .recvh = recv_h, .closeh = close_h, .connect_timeout_ms = 2000 };
	struct tp_conf cc = sc;
	int fd;

	assert_non_null(f);
	f->base = event_base_new();
	sc.arg = &f->ss;
	cc.arg = &f->cs;
	assert_int_equal(tp_alloc(&f->srv, f->base, &sc), 0);
	assert_int_equal(tp_alloc(&f->cli, f->base, &cc), 0);
	/* Log lines are part of the contract: capture stderr for this test. */
	snprintf(f->logpath, sizeof(f->logpath), "%s/log-XXXXXX", certdir);
	fd = mkstemp(f->logpath);
	assert_true(fd >= 0);
	fflush(stderr);
	f->saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	*state = f;
	return 0;
}

static char *
log_text(struct fx *f)
{
	static char buf[65536];
	FILE *fp;
	size_t n;

	fflush(stderr);
	fp = fopen(f->logpath, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The first log line containing `event` that also holds every NULL-terminated needle. */
static bool
log_line_has(struct fx *f, const char *event, ...)
{
	char *text = log_text(f), *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		va_list ap;
		const char *needle;
		bool all = true;

		if (strstr(line, event) == NULL)
			continue;
		va_start(ap, event);
		while ((needle = va_arg(ap, const char *)) != NULL)
			if (strstr(line, needle) == NULL)
				all = false;
		va_end(ap);
		if (all)
			return true;
	}
	return false;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;
	char *text;

	f->ss.conn = tp_conn_deref(f->ss.conn);
	f->cs.conn = tp_conn_deref(f->cs.conn);
	tp_free(f->srv);
	tp_free(f->cli);
	tls_free(f->stls);
	tls_free(f->ctls);
	event_base_free(f->base);
	text = log_text(f);
	fflush(stderr);
	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	fputs(text, stderr);    /* keep the lines in the test output */
	unlink(f->logpath);
	free(f);
	return 0;
}

/* The fixture's loop: lib/evloop.h. */
#define run_ms(f, ms) evloop_run_ms((f)->base, (ms))
#define run_until(f, c, want) evloop_run_until((f)->base, (c), (want), 4000)

static void
server_start(struct fx *f, const struct tls_conf *sc)
{
	struct tp_listener_conf lc = { .name = "outside-tls", .proto = TP_TLS };

	assert_int_equal(tls_alloc(&f->stls, "outside-tls", TLS_ROLE_SERVER, sc), 0);
	lc.tls = f->stls;
	assert_int_equal(sa_parse(&lc.addr, "127.0.0.1:0", 0), 0);
	assert_int_equal(tp_listen(f->srv, &lc, &f->l), 0);
}

static const struct tls_conf *
server_conf(bool mutual)
{
	static struct tls_conf c;

	memset(&c, 0, sizeof(c));
	c.cert_file = cpath("a/server-chain.pem");
	c.key_file = cpath("a/server.key");
	c.ca_file = cpath("a/ca.crt");
	c.verify_peer = mutual;
	return &c;
}

/* A client context trusting CA dir ("a" or "b"), with an optional client certificate. */
static void
client_ctx(struct fx *f, const char *ca, const char *cert, const char *key)
{
	struct tls_conf c = { .ca_file = ca, .cert_file = cert, .key_file = key,
	    .verify_peer = true };

	tls_free(f->ctls);
	f->ctls = NULL;
	assert_int_equal(tls_alloc(&f->ctls, "client", TLS_ROLE_CLIENT, &c), 0);
	tp_set_client_tls(f->cli, f->ctls);
}

#define MSG_A "OPTIONS sip:a@sip.example.test SIP/2.0\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n"
#define RESP "SIP/2.0 200 OK\r\nCall-ID: a\r\nContent-Length: 0\r\n\r\n"

/* Sends MSG_A to the listener; returns the client connection (referenced). */
static struct tp_conn *
client_send(struct fx *f, const char *host)
{
	struct tp_target t = { .proto = TP_TLS, .addr = *tp_listener_addr(f->l), .host = host };
	struct tp_conn *c = NULL;

	assert_int_equal(tp_send(f->cli, &t, MSG_A, strlen(MSG_A), &c), 0);
	assert_non_null(c);
	return c;
}

/* Runs until the server got srv_msgs messages or another client connection closed. */
static void
settle(struct fx *f, unsigned srv_msgs)
{
	uint64_t end = time_mono_ms() + 4000;
	unsigned closed0 = f->cs.closed;

	while (f->ss.n < srv_msgs && f->cs.closed == closed0 && time_mono_ms() < end)
		run_ms(f, 5);
	run_ms(f, 30);
}

static void
test_tls_basic_and_chain(void **state)
{
	struct fx *f = *state;
	struct tp_tls_info ci, si;
	struct tp_stats st;
	struct tp_conn *c, *c2;

	server_start(f, server_conf(false));
	/* The client trusts only the root: success means the intermediate was sent. */
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	f->ss.reply = RESP;
	c = client_send(f, "sip.example.test");
	assert_true(run_until(f, &f->cs.n, 1));
	assert_string_equal(f->ss.msg, MSG_A);
	assert_string_equal(f->cs.msg, RESP);          /* back on the same connection */
	assert_ptr_equal(f->cs.conn, c);
	assert_int_equal(tp_conn_tls_info(c, &ci), 0);
	assert_true(ci.peer_cert);
	assert_true(ci.verified);
	assert_string_equal(ci.subject_cn, "sip.example.test");
	assert_string_equal(ci.sans, "DNS:sip.example.test,IP:127.0.0.1");
	assert_string_equal(ci.version, "TLSv1.3");
	assert_int_equal(tp_conn_tls_info(f->ss.conn, &si), 0);
	assert_false(si.peer_cert);
	assert_string_equal(si.cipher, ci.cipher);
	assert_string_equal(si.sni, "sip.example.test");   /* SNI sent on outbound */
	assert_string_equal(ci.sni, "");
	assert_true(log_line_has(f, "tls_established", "dir=in", "version=TLSv1.3",
	    "cipher=", NULL));
	assert_true(log_line_has(f, "tls_established", "dir=out", "peer_cert=verified",
	    "expected=\"sip.example.test\"", NULL));
	/* Same peer, same name: the connection is reused. */
	c2 = client_send(f, "sip.example.test");
	assert_ptr_equal(c2, c);
	assert_true(run_until(f, &f->ss.n, 2));
	tp_listener_stats(f->l, &st);
	assert_int_equal(st.conns_accepted, 1);
	assert_int_equal(st.tls_handshakes, 1);
	assert_int_equal(st.tls_failures, 0);
	tp_conn_deref(c);
	tp_conn_deref(c2);
}

static void
test_tls_ip_target(void **state)
{
	struct fx *f = *state;
	struct tp_conn *c;

	server_start(f, server_conf(false));
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	/* No name: the address itself must be in the certificate (IP SAN). */
	c = client_send(f, NULL);
	settle(f, 1);
	assert_int_equal(f->ss.n, 1);
	assert_int_equal(f->cs.closed, 0);
	struct tp_tls_info si;

	assert_int_equal(tp_conn_tls_info(f->ss.conn, &si), 0);
	assert_string_equal(si.sni, "");    /* never an IP literal in SNI */
	tp_conn_deref(c);
}

static void
test_tls_name_mismatch(void **state)
{
	struct fx *f = *state;
	struct tp_stats st;
	struct tp_conn *c;

	server_start(f, server_conf(false));
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	c = client_send(f, "wrong.example.test");
	settle(f, 1);
	assert_int_equal(f->ss.n, 0);
	assert_int_equal(f->cs.closed, 1);
	assert_int_equal(f->cs.close_err, EPROTO);
	assert_false(tp_conn_is_open(c));
	tp_stats_total(f->cli, &st);
	assert_int_equal(st.tls_failures, 1);
	/* One line with the peer, the reason, the certificate's names and the expected name. */
	assert_true(log_line_has(f, "tls_handshake_failed", "dir=out", "peer=127.0.0.1:",
	    "hostname mismatch", "subject_cn=\"sip.example.test\"",
	    "sans=\"DNS:sip.example.test,IP:127.0.0.1\"", "expected=\"wrong.example.test\"",
	    NULL));
	tp_conn_deref(c);
}

static void
test_tls_untrusted_server(void **state)
{
	struct fx *f = *state;
	struct tp_conn *c;

	server_start(f, server_conf(false));
	client_ctx(f, cpath("b/ca.crt"), NULL, NULL);
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	assert_int_equal(f->ss.n, 0);
	assert_int_equal(f->cs.close_err, EPROTO);
	assert_true(log_line_has(f, "tls_handshake_failed", "dir=out",
	    "unable to get local issuer certificate", "subject_cn=\"sip.example.test\"", NULL));
	tp_conn_deref(c);
}

static void
test_tls_mutual_ok(void **state)
{
	struct fx *f = *state;
	struct tp_tls_info si;
	struct tp_conn *c;

	server_start(f, server_conf(true));
	client_ctx(f, cpath("a/ca.crt"), cpath("a/client-bob-chain.pem"), cpath("a/client-bob.key"));
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	assert_int_equal(f->ss.n, 1);
	assert_int_equal(tp_conn_tls_info(f->ss.conn, &si), 0);
	assert_true(si.peer_cert);
	assert_true(si.verified);
	assert_string_equal(si.subject_cn, "bob");
	tp_conn_deref(c);
}

/* A client the server must refuse; reason is what the server's log line must say. */
static void
mutual_refused(struct fx *f, const char *cert, const char *key, const char *reason)
{
	struct tp_stats st;
	struct tp_conn *c;

	server_start(f, server_conf(true));
	client_ctx(f, cpath("a/ca.crt"), cert, key);
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	run_ms(f, 50);
	assert_int_equal(f->ss.n, 0);
	assert_int_equal(f->cs.closed, 1);
	assert_false(tp_conn_is_open(c));
	tp_listener_stats(f->l, &st);
	assert_int_equal(st.tls_failures, 1);
	assert_int_equal(st.tls_handshakes, 0);
	assert_int_equal(st.rx_msgs, 0);
	assert_true(log_line_has(f, "tls_handshake_failed", "dir=in", "listener=outside-tls",
	    reason, NULL));
	tp_conn_deref(c);
}

static void
test_tls_mutual_other_ca(void **state)
{
	mutual_refused(*state, cpath("b/client-mallory-chain.pem"), cpath("b/client-mallory.key"),
	    "subject_cn=\"mallory\"");
}

static void
test_tls_mutual_self_signed(void **state)
{
	mutual_refused(*state, cpath("self.crt"), cpath("self.key"), "self-signed certificate");
}

static void
test_tls_mutual_no_cert(void **state)
{
	mutual_refused(*state, NULL, NULL, "peer did not return a certificate");
}

static void
test_tls_crl_revoked(void **state)
{
	struct fx *f = *state;
	struct tls_conf sc = *server_conf(true);
	struct tp_conn *c;

	sc.crl_file = cpath("a/crl.pem");
	server_start(f, &sc);
	client_ctx(f, cpath("a/ca.crt"), cpath("a/client-alice-chain.pem"),
	    cpath("a/client-alice.key"));
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	run_ms(f, 50);
	assert_int_equal(f->ss.n, 0);
	assert_true(log_line_has(f, "tls_handshake_failed", "dir=in", "certificate revoked",
	    "subject_cn=\"alice\"", NULL));
	c = tp_conn_deref(c);
	/* bob is not revoked. */
	client_ctx(f, cpath("a/ca.crt"), cpath("a/client-bob-chain.pem"), cpath("a/client-bob.key"));
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	assert_int_equal(f->ss.n, 1);
	tp_conn_deref(c);
}

static void
test_tls10_refused_by_default(void **state)
{
	struct fx *f = *state;
	struct tls_conf cc = { .ca_file = cpath("a/ca.crt"), .verify_peer = true,
	    .min_version = TLS1_VERSION, .max_version = TLS1_VERSION,
	    .ciphers = "DEFAULT:@SECLEVEL=0" };
	struct tp_stats st;
	struct tp_conn *c;

	server_start(f, server_conf(false));
	assert_int_equal(tls_alloc(&f->ctls, "legacy-client", TLS_ROLE_CLIENT, &cc), 0);
	tp_set_client_tls(f->cli, f->ctls);
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	run_ms(f, 30);
	assert_int_equal(f->ss.n, 0);
	assert_int_equal(f->cs.close_err, EPROTO);
	tp_listener_stats(f->l, &st);
	assert_int_equal(st.tls_failures, 1);
	assert_true(log_line_has(f, "tls_handshake_failed", "dir=in", "unsupported protocol",
	    NULL));
	tp_conn_deref(c);
}

static void
test_tls10_when_configured(void **state)
{
	struct fx *f = *state;
	struct tls_conf sc = *server_conf(false);
	struct tls_conf cc = { .ca_file = cpath("a/ca.crt"), .verify_peer = true,
	    .min_version = TLS1_VERSION, .max_version = TLS1_VERSION,
	    .ciphers = "DEFAULT:@SECLEVEL=0" };
	struct tp_tls_info si;
	struct tp_conn *c;

	/* OpenSSL 3 refuses TLS 1.0 above security level 0, hence @SECLEVEL=0. */
	sc.min_version = TLS1_VERSION;
	sc.ciphers = "DEFAULT:@SECLEVEL=0";
	server_start(f, &sc);
	assert_true(log_line_has(f, "tls_legacy_version", "name=outside-tls", "min=TLSv1.0", NULL));
	assert_int_equal(tls_alloc(&f->ctls, "legacy-client", TLS_ROLE_CLIENT, &cc), 0);
	tp_set_client_tls(f->cli, f->ctls);
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	assert_int_equal(f->ss.n, 1);
	assert_int_equal(tp_conn_tls_info(f->ss.conn, &si), 0);
	assert_string_equal(si.version, "TLSv1");
	assert_true(log_line_has(f, "tls_established", "dir=in", "version=TLSv1 ", NULL));
	tp_conn_deref(c);
}

static int
raw_connect(struct fx *f)
{
	const struct sa *a = tp_listener_addr(f->l);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, &a->u.sa, a->len), 0);
	return fd;
}

/* True when the server closed fd within 3 s. */
static bool
raw_closed(struct fx *f, int fd)
{
	uint64_t end = time_mono_ms() + 3000;
	char buf[4096];
	ssize_t n;

	while (time_mono_ms() < end) {
		run_ms(f, 5);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		/* An alert may come first; keep reading until EOF. */
	}
	return false;
}

static void
test_tls_garbage(void **state)
{
	struct fx *f = *state;
	unsigned char junk[2048];
	struct tp_stats st;
	int fd, i;

	server_start(f, server_conf(false));
	for (i = 0; i < 3; i++) {
		fd = raw_connect(f);
		if (i == 0) {
			assert_int_equal(rand_bytes(junk, sizeof(junk)), 0);
			junk[0] = 0x16;       /* looks like a handshake record, then noise */
		} else if (i == 1) {
			memcpy(junk, MSG_A, strlen(MSG_A));  /* plain SIP at the TLS port */
		} else {
			assert_int_equal(rand_bytes(junk, sizeof(junk)), 0);
		}
		send(fd, junk, i == 1 ? strlen(MSG_A) : sizeof(junk), MSG_NOSIGNAL);
		assert_true(raw_closed(f, fd));
		close(fd);
	}
	/* Connect and leave: also a failed handshake, no crash. */
	fd = raw_connect(f);
	close(fd);
	run_ms(f, 50);
	tp_listener_stats(f->l, &st);
	assert_int_equal(st.tls_failures, 4);
	assert_int_equal(st.rx_msgs, 0);
	assert_int_equal(st.conns_open, 0);
	assert_int_equal(f->ss.n, 0);
	assert_true(log_line_has(f, "tls_handshake_failed", "dir=in", "reason=", NULL));
}

static void
test_tls_reload(void **state)
{
	struct fx *f = *state;
	struct tls_conf nc = { .cert_file = cpath("b/server-chain.pem"),
	    .key_file = cpath("b/server.key") };
	struct tls_conf broken = nc;
	struct tp_conn *c, *c2;
	struct tp_tls_info ci;

	server_start(f, server_conf(false));
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	c = client_send(f, "sip.example.test");
	settle(f, 1);
	assert_int_equal(f->ss.n, 1);
	/* A reload that fails keeps the old certificate. */
	broken.key_file = cpath("a/server.key");   /* does not match b's certificate */
	assert_int_equal(tls_reload(f->stls, &broken), EINVAL);
	broken.cert_file = cpath("nonexistent.pem");
	assert_int_equal(tls_reload(f->stls, &broken), EINVAL);
	assert_int_equal(tls_generation(f->stls), 0);
	assert_int_equal(tls_reload(f->stls, &nc), 0);
	assert_int_equal(tls_generation(f->stls), 1);
	/* The open connection is untouched ... */
	c2 = client_send(f, "sip.example.test");
	assert_ptr_equal(c2, c);
	assert_true(run_until(f, &f->ss.n, 2));
	assert_int_equal(f->cs.closed, 0);
	tp_conn_deref(c2);
	/* ... new ones get the new certificate. */
	client_ctx(f, cpath("b/ca.crt"), NULL, NULL);
	c2 = client_send(f, "other.example.test");
	assert_ptr_not_equal(c2, c);
	settle(f, 3);
	assert_int_equal(f->ss.n, 3);
	assert_int_equal(tp_conn_tls_info(c2, &ci), 0);
	assert_string_equal(ci.subject_cn, "other.example.test");
	tp_conn_deref(c2);
	tp_conn_deref(c);
}

static void
test_tls_s_client(void **state)
{
	struct fx *f = *state;
	char out[300], port[16], addr[64], *text;
	uint64_t end;
	pid_t pid;
	int status = -1, fd;

	server_start(f, server_conf(false));
	snprintf(out, sizeof(out), "%s/s_client.out", certdir);
	snprintf(port, sizeof(port), "%u", sa_port(tp_listener_addr(f->l)));
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		execlp("openssl", "openssl", "s_client", "-connect", addr, "-CAfile",
		    cpath("a/ca.crt"), "-verify_return_error", "-verify_hostname",
		    "sip.example.test", "-showcerts", (char *)NULL);
		_exit(127);
	}
	end = time_mono_ms() + 5000;
	while (time_mono_ms() < end) {
		run_ms(f, 10);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (time_mono_ms() >= end) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("openssl s_client did not finish");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	FILE *fp = fopen(out, "r");
	static char buf[32768];
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	text = buf;
	assert_non_null(strstr(text, "Verify return code: 0 (ok)"));
	assert_non_null(strstr(text, " 0 s:O = SBC, CN = sip.example.test"));
	assert_non_null(strstr(text, " 1 s:O = SBC, CN = SBC Intermediate CA"));
}

/* A peer that connects and never speaks TLS is cut off after connect_timeout_ms. */
static void
test_tls_handshake_timeouts(void **state)
{
	struct fx *f = *state;
	struct tp_conf conf = { .recvh = recv_h, .closeh = close_h, .connect_timeout_ms = 300 };
	struct tp_stats st;
	struct sa mute;
	uint64_t t0;
	int fd, lfd;

	tp_free(f->srv);
	tp_free(f->cli);
	conf.arg = &f->ss;
	assert_int_equal(tp_alloc(&f->srv, f->base, &conf), 0);
	conf.arg = &f->cs;
	assert_int_equal(tp_alloc(&f->cli, f->base, &conf), 0);
	server_start(f, server_conf(false));
	/* Inbound: TCP up, no ClientHello. */
	t0 = time_mono_ms();
	fd = raw_connect(f);
	assert_true(raw_closed(f, fd));
	assert_true(time_mono_ms() - t0 >= 250);
	close(fd);
	tp_listener_stats(f->l, &st);
	assert_int_equal(st.tls_failures, 1);
	assert_true(log_line_has(f, "sip_conn_timeout", "dir=in", "TLS handshake", NULL));
	/* Outbound: a TCP socket that accepts (in the kernel) but never answers. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sa_parse(&mute, "127.0.0.1:0", 0), 0);
	assert_int_equal(bind(lfd, &mute.u.sa, mute.len), 0);
	assert_int_equal(listen(lfd, 4), 0);
	socklen_t sl = sizeof(mute.u.ss);
	assert_int_equal(getsockname(lfd, &mute.u.sa, &sl), 0);
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	struct tp_target t = { .proto = TP_TLS, .addr = mute, .host = "sip.example.test" };
	struct tp_conn *c = NULL;

	assert_int_equal(tp_send(f->cli, &t, MSG_A, strlen(MSG_A), &c), 0);
	assert_true(run_until(f, &f->cs.closed, 1));
	assert_int_equal(f->cs.close_err, ETIMEDOUT);
	tp_stats_total(f->cli, &st);
	assert_int_equal(st.connect_failures, 1);
	c = tp_conn_deref(c);
	/* Nothing listening any more: a refused connect, not a TLS failure. */
	close(lfd);
	assert_int_equal(tp_send(f->cli, &t, MSG_A, strlen(MSG_A), &c), 0);
	assert_true(run_until(f, &f->cs.closed, 2));
	assert_int_equal(f->cs.close_err, ECONNREFUSED);
	tp_stats_total(f->cli, &st);
	assert_int_equal(st.connect_failures, 2);
	assert_int_equal(st.tls_failures, 0);
	assert_true(log_line_has(f, "sip_connect_failed", "transport=tls", "refused", NULL));
	tp_conn_deref(c);
}

static void
test_tls_config_errors(void **state)
{
	struct tls_conf c = *server_conf(false);
	struct tls *t = (struct tls *)0x1;
	int v = 0;

	c.cert_file = cpath("missing.pem");
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c = *server_conf(false);
	c.key_file = cpath("b/server.key");
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c = *server_conf(false);
	c.ciphers = "NO-SUCH-CIPHER";
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c = *server_conf(true);
	c.ca_file = NULL;
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c = *server_conf(false);
	c.crl_file = cpath("missing-crl.pem");
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c = *server_conf(false);
	c.min_version = TLS1_3_VERSION;
	c.max_version = TLS1_2_VERSION;
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c = *server_conf(false);
	c.cert_file = NULL;
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	assert_ptr_equal(t, (struct tls *)0x1);     /* untouched on every error */
	assert_int_equal(tls_version_parse("1.2", &v), 0);
	assert_int_equal(v, TLS1_2_VERSION);
	assert_int_equal(tls_version_parse("TLSv1.0", &v), 0);
	assert_int_equal(v, TLS1_VERSION);
	assert_int_equal(tls_version_parse("1.4", &v), EINVAL);
	assert_int_equal(tls_version_parse("SSLv3", &v), EINVAL);
}

/*
 * Before its ClientHello an inbound TLS connection has no TLS state at all: it is never
 * reused to send to its peer (nothing to write to), and a ClientHello arriving later
 * still completes the handshake.
 */
static void
test_tls_no_state_before_hello(void **state)
{
	struct fx *f = *state;
	struct tp_target t = { .proto = TP_TLS };
	struct tp_conn *c = NULL;
	struct tp_stats st;
	socklen_t sl = sizeof(t.addr.u.ss);
	int fd;

	server_start(f, server_conf(false));
	fd = raw_connect(f);
	run_ms(f, 50);
	tp_listener_stats(f->l, &st);
	assert_int_equal(st.conns_open, 1);
	/* The server sends to the raw client's address over TLS (its own client context). */
	assert_int_equal(getsockname(fd, &t.addr.u.sa, &sl), 0);
	t.addr.len = sl;
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	tp_set_client_tls(f->srv, f->ctls);
	assert_int_equal(tp_send(f->srv, &t, MSG_A, strlen(MSG_A), &c), 0);
	/* a new outbound connection, not the half-open inbound one */
	assert_true(tp_conn_outbound(c));
	c = tp_conn_deref(c);
	close(fd);
	run_ms(f, 100);
	/* A real client after all that: handshake and message as usual. */
	client_ctx(f, cpath("a/ca.crt"), NULL, NULL);
	t.addr = *tp_listener_addr(f->l);
	t.host = "sip.example.test";
	assert_int_equal(tp_send(f->cli, &t, MSG_A, strlen(MSG_A), NULL), 0);
	assert_true(run_until(f, &f->ss.n, 1));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tls_basic_and_chain),
		T(test_tls_ip_target),
		T(test_tls_name_mismatch),
		T(test_tls_untrusted_server),
		T(test_tls_mutual_ok),
		T(test_tls_mutual_other_ca),
		T(test_tls_mutual_self_signed),
		T(test_tls_mutual_no_cert),
		T(test_tls_crl_revoked),
		T(test_tls10_refused_by_default),
		T(test_tls10_when_configured),
		T(test_tls_garbage),
		T(test_tls_reload),
		T(test_tls_s_client),
		T(test_tls_handshake_timeouts),
		T(test_tls_config_errors),
		T(test_tls_no_state_before_hello),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

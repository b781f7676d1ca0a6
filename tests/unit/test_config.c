/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/config: parsing, typed getters, errors, effective print, typos. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "lib/oom_wrap.h"
#include "lib/proc.h"



static const char good[] =
    "; comment\n"
    "# another comment\n"
    "log_level = info\n"
    "\n"
    "[redis]\n"
    "host = 127.0.0.1\n"
    "port = 6380 ; inline comment\n"
    "password = hunter2\n"
    "tls = yes\n"
    "\n"
    "[interface   outside]\n"
    "address = 192.0.2.10\n"
    "srtp = required\n"
    "\n"
    "[route a]\n"
    "match = ^80110\\d\\d$\n"
    "target = 10.0.0.1:5060\n"
    "target = 10.0.0.2:5060\n"
    "[route b]\n"
    "match = ^9\n"
    "[route a]\n"
    "target = 10.0.0.3:5060\n";

static struct conf *
load(const char *text)
{
	struct conf_error err;
	struct conf *c = NULL;
	char buf[512];
	int rc;

	rc = conf_load_string(&c, "test.conf", text, &err);
	if (rc != 0)
		fail_msg("load failed: %s", conf_error_str(&err, buf, sizeof(buf)));
	return c;
}

static void
test_good_file(void **state)
{
	struct conf_error err;
	struct conf *c = load(good);
	const char *s = NULL;
	int64_t port = 0;
	bool tls = false;
	unsigned srtp = 9;
	static const char *const pol[] = { "off", "optional", "required", NULL };

	assert_int_equal(conf_get_str(c, "", "log_level", "warn", &s, &err), 0);
	assert_string_equal(s, "info");
	assert_int_equal(conf_get_str(c, "redis", "host", NULL, &s, &err), 0);
	assert_string_equal(s, "127.0.0.1");
	assert_int_equal(conf_get_int(c, "redis", "port", 6379, 1, 65535, &port, &err), 0);
	assert_int_equal(port, 6380);
	assert_int_equal(conf_get_bool(c, "redis", "tls", false, &tls, &err), 0);
	assert_true(tls);
	/* Blanks inside a section name are collapsed; lookups match either way. */
	assert_int_equal(conf_get_enum(c, "interface outside", "srtp", pol, 1, &srtp, &err), 0);
	assert_int_equal(srtp, 2);
	assert_int_equal(conf_get_enum(c, "interface  outside ", "SRTP", pol, 1, &srtp, &err), 0);
	assert_int_equal(conf_key_line(c, "redis", "port"), 7);
	assert_int_equal(conf_key_line(c, "redis", "nope"), 0);
	/* Regex backslashes survive untouched. */
	assert_int_equal(conf_get_str(c, "route a", "match", NULL, &s, &err), 0);
	assert_string_equal(s, "^80110\\d\\d$");
	conf_free(c);
}

static void
test_defaults(void **state)
{
	struct conf_error err;
	struct conf *c = load("[redis]\nhost = x\n");
	const char *s = NULL;
	int64_t v = 0;
	bool b = true;
	unsigned e = 7;
	static const char *const ch[] = { "a", "b", "c", NULL };

	assert_int_equal(conf_get_str(c, "redis", "unix", "/run/r.sock", &s, &err), 0);
	assert_string_equal(s, "/run/r.sock");
	assert_int_equal(conf_get_str(c, "redis", "nothing", NULL, &s, &err), 0);
	assert_null(s);
	assert_int_equal(conf_get_int(c, "redis", "port", 6379, 1, 65535, &v, &err), 0);
	assert_int_equal(v, 6379);
	assert_int_equal(conf_get_bool(c, "redis", "tls", false, &b, &err), 0);
	assert_false(b);
	assert_int_equal(conf_get_enum(c, "redis", "mode", ch, 1, &e, &err), 0);
	assert_int_equal(e, 1);
	/* A default outside the choices is a programming error. */
	assert_int_equal(conf_get_enum(c, "redis", "mode", ch, 3, &e, &err), EINVAL);
	/* Section absent altogether. */
	assert_int_equal(conf_get_int(c, "nosuch", "port", -5, -10, 10, &v, &err), 0);
	assert_int_equal(v, -5);
	conf_free(c);
}

static void
test_bad_int(void **state)
{
	struct conf_error err;
	struct conf *c = load("[sip]\nport = abc\nmax = 12x\nneg = -1\nbig = 99999999999999999999999\n"
	    "empty =\nsp = 1 2\n");
	int64_t v = 77;
	char buf[512];

	assert_int_equal(conf_get_int(c, "sip", "port", 5060, 1, 65535, &v, &err), EINVAL);
	assert_int_equal(v, 77);   /* untouched on error */
	assert_string_equal(err.file, "test.conf");
	assert_int_equal(err.line, 2);
	assert_string_equal(err.section, "sip");
	assert_string_equal(err.key, "port");
	assert_string_equal(err.msg, "expected integer 1..65535, got 'abc'");
	assert_string_equal(conf_error_str(&err, buf, sizeof(buf)),
	    "test.conf:2: sip.port: expected integer 1..65535, got 'abc'");
	assert_int_equal(conf_get_int(c, "sip", "max", 0, 0, 100, &v, &err), EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(conf_get_int(c, "sip", "big", 0, INT64_MIN, INT64_MAX, &v, &err), EINVAL);
	assert_int_equal(conf_get_int(c, "sip", "empty", 0, 0, 100, &v, &err), EINVAL);
	assert_int_equal(conf_get_int(c, "sip", "sp", 0, 0, 100, &v, &err), EINVAL);
	assert_int_equal(conf_get_int(c, "sip", "neg", 0, -1, 100, &v, &err), 0);
	assert_int_equal(v, -1);
	conf_free(c);
}

static void
test_out_of_bounds(void **state)
{
	struct conf_error err;
	struct conf *c = load("[sip]\nport = 70000\nzero = 0\n");
	int64_t v = 1;

	assert_int_equal(conf_get_int(c, "sip", "port", 5060, 1, 65535, &v, &err), EINVAL);
	assert_string_equal(err.msg, "expected integer 1..65535, got '70000'");
	assert_int_equal(err.line, 2);
	assert_int_equal(conf_get_int(c, "sip", "zero", 5, 1, 10, &v, &err), EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(conf_get_int(c, "sip", "zero", 5, 0, 0, &v, &err), 0);
	assert_int_equal(v, 0);
	conf_free(c);
}

static void
test_bad_bool(void **state)
{
	struct conf_error err;
	struct conf *c = load("[a]\nx = maybe\ny = ON\nz = 0\nw = False\n");
	bool b = true;

	assert_int_equal(conf_get_bool(c, "a", "x", false, &b, &err), EINVAL);
	assert_true(b);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "expected boolean"));
	assert_non_null(strstr(err.msg, "'maybe'"));
	assert_int_equal(conf_get_bool(c, "a", "y", false, &b, &err), 0);
	assert_true(b);
	assert_int_equal(conf_get_bool(c, "a", "z", true, &b, &err), 0);
	assert_false(b);
	b = true;
	assert_int_equal(conf_get_bool(c, "a", "w", true, &b, &err), 0);
	assert_false(b);
	conf_free(c);
}

static void
test_bad_enum(void **state)
{
	struct conf_error err;
	struct conf *c = load("[interface inside]\nsrtp = mandatory\n");
	static const char *const pol[] = { "off", "optional", "required", NULL };
	unsigned v = 42;

	assert_int_equal(conf_get_enum(c, "interface inside", "srtp", pol, 0, &v, &err), EINVAL);
	assert_int_equal(v, 42);
	assert_string_equal(err.msg, "expected one of off|optional|required, got 'mandatory'");
	assert_string_equal(err.section, "interface inside");
	assert_int_equal(err.line, 2);
	conf_free(c);
}

static void
test_syntax_error(void **state)
{
	struct conf_error err;
	struct conf *c = NULL;
	char longline[400];
	int rc;

	rc = conf_load_string(&c, "bad.conf", "[a]\nx = 1\n\nthis line has no equals\ny = 2\n", &err);
	assert_int_equal(rc, EBADMSG);
	assert_null(c);
	assert_string_equal(err.file, "bad.conf");
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "syntax error"));

	rc = conf_load_string(&c, "bad.conf", "[a]\n[unclosed\nx = 1\n", &err);
	assert_int_equal(rc, EBADMSG);
	assert_int_equal(err.line, 2);

	rc = conf_load_string(&c, "bad.conf", "[a]\n = value\n", &err);
	assert_int_equal(rc, EBADMSG);
	assert_int_equal(err.line, 2);

	/* A line longer than inih's buffer is refused, not split into two lines. */
	memset(longline, 'v', sizeof(longline));
	memcpy(longline, "[a]\nk = ", 8);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	rc = conf_load_string(&c, "long.conf", longline, &err);
	assert_int_equal(rc, EBADMSG);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "longer than"));

	/* inih would silently cut a long section name, merging two distinct sections. */
	rc = conf_load_string(&c, "sec.conf", "[a]\nx = 1\n[route "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\ny = 2\n", &err);
	assert_int_equal(rc, EBADMSG);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "section name longer than 48"));
	rc = conf_load_string(&c, "sec.conf", "[route aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n"
	    "y = 2\n", &err);
	assert_int_equal(rc, 0);
	assert_int_equal(conf_key_line(c, "route aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "y"), 2);
	conf_free(c);

	/* Line numbers stay right with CRLF files and no final newline. */
	rc = conf_load_string(&c, "crlf.conf", "[a]\r\nx = 1\r\nbroken\r\n", &err);
	assert_int_equal(rc, EBADMSG);
	assert_int_equal(err.line, 3);
	rc = conf_load_string(&c, "crlf.conf", "[a]\r\nx = 1\r\ny = 2", &err);
	assert_int_equal(rc, 0);
	assert_int_equal(conf_key_line(c, "a", "y"), 3);
	conf_free(c);
}

static void
test_files(void **state)
{
	struct conf_error err;
	struct conf *c = NULL;
	char dir[256], path[300];
	const char *s;
	FILE *f;

	assert_int_equal(conf_load(&c, "/nonexistent/sbc.conf", &err), ENOENT);
	assert_null(c);
	assert_string_equal(err.file, "/nonexistent/sbc.conf");
	assert_int_equal(proc_mkdtemp(dir, sizeof(dir), "sbc-conf"), 0);
	/* A directory opens but does not read: an error, not an empty config. */
	assert_int_equal(conf_load(&c, dir, &err), EISDIR);
	assert_null(c);
	assert_non_null(strstr(err.msg, "read error"));
	snprintf(path, sizeof(path), "%s/sbc.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[redis]\nhost = ::1\nport = nope\n", f);
	fclose(f);
	assert_int_equal(conf_load(&c, path, &err), 0);
	assert_int_equal(conf_get_str(c, "redis", "host", NULL, &s, &err), 0);
	assert_string_equal(s, "::1");
	assert_int_equal(conf_get_int(c, "redis", "port", 1, 1, 2, &(int64_t){ 0 }, &err), EINVAL);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, 3);
	conf_free(c);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[redis\n", f);
	fclose(f);
	assert_int_equal(conf_load(&c, path, &err), EBADMSG);
	assert_int_equal(err.line, 1);
	proc_rmdir(dir);
}

static void
collect_section(const char *section, void *arg)
{
	char *out = arg;

	strcat(out, section);
	strcat(out, ";");
}

static void
collect_section_noop(const char *section, void *arg)
{
}

static void
test_repeated_sections(void **state)
{
	struct conf *c = load(good);
	const char *v[8];
	char names[256] = "";

	conf_foreach_section(c, "route ", collect_section, names);
	assert_string_equal(names, "route a;route b;");
	names[0] = '\0';
	conf_foreach_section(c, NULL, collect_section, names);
	assert_string_equal(names, ";redis;interface outside;route a;route b;");
	/* "[route a]" reopened later adds to the same section. */
	assert_int_equal(conf_get_all(c, "route a", "target", v, 8), 3);
	assert_string_equal(v[0], "10.0.0.1:5060");
	assert_string_equal(v[1], "10.0.0.2:5060");
	assert_string_equal(v[2], "10.0.0.3:5060");
	assert_int_equal(conf_get_all(c, "route b", "target", v, 8), 0);
	assert_int_equal(conf_get_all(c, "route a", "target", v, 2), 3);   /* count, capped fill */
	assert_int_equal(conf_get_all(c, "route a", "target", NULL, 0), 3);
	conf_free(c);
}

static void
test_repeated_keys(void **state)
{
	struct conf_error err;
	struct conf *c = load("[a]\nx = 1\nx = 2\nx = 3\n");
	const char *v[4];
	int64_t n = 0;

	/* A scalar getter takes the last value, as an override would. */
	assert_int_equal(conf_get_int(c, "a", "x", 0, 0, 10, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(conf_key_line(c, "a", "x"), 4);
	assert_int_equal(conf_get_all(c, "a", "x", v, 4), 3);
	assert_string_equal(v[0], "1");
	conf_free(c);
}

static char *
print_to_string(struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_print_effective(c, f);
	fclose(f);
	return buf;
}

static void
test_print_effective(void **state)
{
	struct conf_error err;
	struct conf *c = load(good);
	const char *s, *v[4];
	int64_t n;
	bool b;
	char *out;

	assert_int_equal(conf_get_str(c, "redis", "host", NULL, &s, &err), 0);
	assert_int_equal(conf_get_int(c, "redis", "port", 6379, 1, 65535, &n, &err), 0);
	assert_int_equal(conf_get_str(c, "redis", "password", NULL, &s, &err), 0);
	assert_int_equal(conf_get_str(c, "redis", "client_secret", "topsecret", &s, &err), 0);
	assert_int_equal(conf_get_int(c, "redis", "db", 0, 0, 15, &n, &err), 0);
	assert_int_equal(conf_get_bool(c, "redis", "tls", false, &b, &err), 0);
	assert_int_equal(conf_get_all(c, "route a", "target", v, 4), 3);
	assert_int_equal(conf_get_str(c, "", "log_level", "warn", &s, &err), 0);
	/* A second read replaces the first record rather than duplicating it. */
	assert_int_equal(conf_get_int(c, "redis", "port", 6379, 1, 65535, &n, &err), 0);
	assert_int_equal(conf_get_all(c, "route a", "target", v, 4), 3);
	out = print_to_string(c);
	assert_string_equal(out,
	    "log_level = info  ; test.conf:3\n"
	    "\n[redis]\n"
	    "host = 127.0.0.1  ; test.conf:6\n"
	    "port = 6380  ; test.conf:7\n"
	    "password = ***  ; test.conf:8\n"
	    "client_secret = ***  ; default\n"
	    "db = 0  ; default\n"
	    "tls = yes  ; test.conf:9\n"
	    "\n[route a]\n"
	    "target = 10.0.0.1:5060  ; test.conf:17\n"
	    "target = 10.0.0.2:5060  ; test.conf:18\n"
	    "target = 10.0.0.3:5060  ; test.conf:22\n");
	assert_null(strstr(out, "hunter2"));
	assert_null(strstr(out, "topsecret"));
	free(out);
	conf_free(c);
}

struct unread {
	char text[512];
	unsigned n;
};

static void
collect_unread(const char *section, const char *key, unsigned line, void *arg)
{
	struct unread *u = arg;
	size_t len = strlen(u->text);

	snprintf(u->text + len, sizeof(u->text) - len, "%s.%s:%u;", section, key, line);
	u->n++;
}

static void
test_unread_keys(void **state)
{
	struct conf_error err;
	struct conf *c = load("[redis]\nhost = a\nprot = 6379\n[sip]\nlisten = x\n");
	struct unread u = { "", 0 };
	const char *s;
	int64_t n;

	assert_int_equal(conf_get_str(c, "redis", "host", NULL, &s, &err), 0);
	assert_int_equal(conf_get_int(c, "redis", "port", 6379, 1, 65535, &n, &err), 0);
	conf_foreach_unread(c, collect_unread, &u);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.text, "redis.prot:3;sip.listen:5;");
	/* A failed read still counts as read: the key is known, its value is wrong. */
	assert_int_equal(conf_get_int(c, "sip", "listen", 0, 0, 1, &n, &err), EINVAL);
	memset(&u, 0, sizeof(u));
	conf_foreach_unread(c, collect_unread, &u);
	assert_string_equal(u.text, "redis.prot:3;");
	conf_free(c);
}

static void
test_caller_error(void **state)
{
	struct conf_error err;
	struct conf *c = load("[route a]\nmatch = ([\n");
	char buf[256];

	assert_int_equal(conf_error_set(c, "route a", "match", &err, "bad regex: %s", "missing ]"),
	    EINVAL);
	assert_int_equal(err.line, 2);
	assert_string_equal(conf_error_str(&err, buf, sizeof(buf)),
	    "test.conf:2: route a.match: bad regex: missing ]");
	assert_int_equal(conf_error_set(c, "route a", "absent", &err, "required"), EINVAL);
	assert_int_equal(err.line, 0);
	conf_free(c);
}

/* Bytes that must give an error or a value, never a crash: NUL, binary, huge input. */
static void
test_hostile_input(void **state)
{
	struct conf_error err;
	struct conf *c = NULL;
	static const char bin[] = "[a]\nx = \x01\x02\xff\xfe\n[\xff]\n\xef\xbb\xbfy = 1\n";
	char *big;
	size_t i, n = 200000;
	int rc;

	rc = conf_load_string(&c, "bin", bin, &err);
	if (rc == 0)
		conf_free(c);
	else
		assert_int_equal(rc, EBADMSG);
	c = NULL;
	big = malloc(n + 1);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = "[s]\nk = v\n"[i % 10];
	big[n] = '\0';
	assert_int_equal(conf_load_string(&c, "big", big, &err), 0);
	assert_int_equal(conf_get_all(c, "s", "k", NULL, 0), n / 10);
	{
		char names[64] = "";

		conf_foreach_section(c, NULL, collect_section, names);
		assert_string_equal(names, "s;");
	}
	conf_free(c);
	free(big);
	assert_int_equal(conf_load_string(&c, "empty", "", &err), 0);
	conf_free(c);
	assert_int_equal(conf_load_string(NULL, "x", "", &err), EINVAL);
	assert_int_equal(conf_load_string(&c, "x", NULL, &err), EINVAL);
}

/* Deterministic pseudo-random INI-ish input: every getter must give a value or EINVAL. */
static void
test_random_input(void **state)
{
	static const char *const tok[] = {
		"[", "]", "=", " = ", ";", "#", "\n", "\r\n", " ", "\t", "route a", "x", "port",
		"password", "1", "-1", "99999999999999999999", "yes", "\xff", "\xef\xbb\xbf", "\\",
		"\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const ch[] = { "a", "b", NULL };
	uint32_t seed = 12345;
	char text[2048];
	unsigned iter, loaded = 0, refused = 0;

	for (iter = 0; iter < 5000; iter++) {
		struct conf_error err;
		struct conf *c = NULL;
		size_t len = 0;
		unsigned n = (seed = seed * 1103515245u + 12345u) % 60, i;

		for (i = 0; i < n; i++) {
			const char *t = tok[(seed = seed * 1103515245u + 12345u) % 23];
			size_t tl = strlen(t);

			if (len + tl >= sizeof(text))
				break;
			memcpy(text + len, t, tl);
			len += tl;
		}
		text[len] = '\0';
		if (conf_load_string(&c, "rnd", text, &err) != 0) {
			assert_null(c);
			assert_true(err.line >= 1);
			refused++;
			continue;
		}
		loaded++;
		{
			const char *sv, *all[4];
			int64_t iv;
			bool bv;
			unsigned ev;
			int rc;
			FILE *f = fopen("/dev/null", "w");

			rc = conf_get_str(c, "route a", "x", "d", &sv, &err);
			assert_int_equal(rc, 0);
			rc = conf_get_int(c, "route a", "port", 1, 0, 100, &iv, &err);
			assert_true(rc == 0 || rc == EINVAL);
			rc = conf_get_bool(c, "", "x", false, &bv, &err);
			assert_true(rc == 0 || rc == EINVAL);
			rc = conf_get_enum(c, "x", "password", ch, 0, &ev, &err);
			assert_true(rc == 0 || rc == EINVAL);
			(void)conf_get_all(c, "", "port", all, 4);
			assert_non_null(f);
			conf_print_effective(c, f);
			fclose(f);
			conf_free(c);
		}
	}
	assert_true(loaded > 500);
	assert_true(refused > 500);
}

/* A table for test_oom: its only allocations are the print-out records. */
struct oom_cfg {
	char host[32];
	int64_t port;
	const char *targets;
};

static const struct conf_key oom_keys[] = {
	{ "redis", "host", CONF_TYPE_STR, "x", 0, 0, CONF_FIELD(struct oom_cfg, host), NULL, 0,
	  NULL },
	{ "redis", "port", CONF_TYPE_INT, "1", 1, 9, CONF_FIELD(struct oom_cfg, port), NULL, 0,
	  NULL },
	{ "redis", "password", CONF_TYPE_STRP, NULL, 0, 0, CONF_FIELD(struct oom_cfg, targets),
	  NULL, CONF_SECRET, NULL },
	{ "route", "target", CONF_TYPE_STRP, NULL, 0, 0, CONF_FIELD(struct oom_cfg, targets), NULL,
	  CONF_NAMED, NULL },
	{ "route", "match", CONF_TYPE_STRP, NULL, 0, 0, CONF_FIELD(struct oom_cfg, targets), NULL,
	  CONF_NAMED, NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

/* Every allocation fails in turn: ENOMEM or success, never a crash or a leak (ASan). */
static void
test_oom(void **state)
{
	static const struct conf_key *const oom_tables[] = { oom_keys, NULL };
	static const char text[] = "[redis]\nhost = a\npassword = p\n[route a]\ntarget = 1\n"
	    "target = 2\n[route b]\nmatch = x\n";
	unsigned long at;
	unsigned nomem = 0;

	for (at = 0; at < 10000; at++) {
		struct conf_error err;
		struct conf *c = NULL;
		const char *v[4], *sv;
		int64_t iv;
		FILE *f;
		bool fired;
		int rc;

		oom_arm(at);
		rc = conf_load_string(&c, "oom", text, &err);
		if (rc == 0) {
			(void)conf_get_str(c, "redis", "host", NULL, &sv, &err);
			(void)conf_get_int(c, "redis", "port", 1, 1, 9, &iv, &err);
			(void)conf_get_all(c, "route a", "target", v, 4);
			conf_foreach_section(c, "route ", collect_section_noop, NULL);
			{
				struct oom_cfg oc;

				/* Out of memory may cost a print-out line, never the value. */
				memset(&oc, 0, sizeof(oc));
				assert_int_equal(conf_check_known(c, oom_tables, &err), 0);
				assert_int_equal(conf_apply(c, oom_keys, "redis", &oc, NULL, &err), 0);
				assert_int_equal(conf_apply(c, oom_keys, "route b", &oc, NULL, &err),
				    0);
				assert_string_equal(oc.host, "a");
				assert_string_equal(oc.targets, "x");
			}
		}
		fired = oom_disarm();
		if (rc != 0) {
			assert_int_equal(rc, ENOMEM);
			assert_null(c);
			nomem++;
			continue;
		}
		f = fopen("/dev/null", "w");
		assert_non_null(f);
		conf_print_effective(c, f);
		fclose(f);
		conf_free(c);
		if (!fired)
			break;      /* the run got through with no failure left to inject */
	}
	assert_true(at < 10000);
	assert_true(nomem > 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_int),
		cmocka_unit_test(test_out_of_bounds),
		cmocka_unit_test(test_bad_bool),
		cmocka_unit_test(test_bad_enum),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_repeated_sections),
		cmocka_unit_test(test_repeated_keys),
		cmocka_unit_test(test_print_effective),
		cmocka_unit_test(test_unread_keys),
		cmocka_unit_test(test_caller_error),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_random_input),
		cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

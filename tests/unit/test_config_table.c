/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of common/config's tables: rows applied to a struct, defaults, bounds, hooks,
 * the -t print-out, unknown keys and sections with the nearest known name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"
#include "config.h"
#include "sock.h"

/* A daemon's configuration in miniature: one field per row type. */
struct demo {
	char id[8];
	const char *note;
	uint16_t port;
	int32_t offset;
	uint8_t small;
	int64_t big;
	bool on;
	unsigned policy;
	struct sa listen;
	struct sa media;
	char password[32];
	const char *nets[4];
	unsigned nnets;
	unsigned hooked;
	char metrics[64];
};

struct iface {
	struct sa addr;
	unsigned port_min;
};

static const char *const policies[] = { "off", "optional", "required", NULL };

static int
net_add(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	struct demo *d = arg;

	if (strchr(value, '/') == NULL) {
		snprintf(msg, size, "'%s' is not a network", value);
		return EINVAL;
	}
	d->nets[d->nnets++] = value;
	return 0;
}

static int
hook_count(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	unsigned *n = field;

	if (value != NULL && strcmp(value, "refuse") == 0) {
		snprintf(msg, size, "refused by the hook");
		return EINVAL;
	}
	*n = value != NULL ? (unsigned)strlen(value) : 0;
	return 0;
}

#define D(f) CONF_FIELD(struct demo, f)
#define I(f) CONF_FIELD(struct iface, f)

static const struct conf_key demo_keys[] = {
	{ "main", "id", CONF_TYPE_STR, "demo", 0, 0, D(id), NULL, 0, NULL },
	{ "main", "note", CONF_TYPE_STRP, NULL, 0, 0, D(note), NULL, 0, NULL },
	{ "main", "port", CONF_TYPE_INT, "5060", 1, 65535, D(port), NULL, 0, NULL },
	{ "main", "offset", CONF_TYPE_INT, "-5", -100, 100, D(offset), NULL, 0, NULL },
	{ "main", "small", CONF_TYPE_INT, "7", 0, 255, D(small), NULL, 0, NULL },
	{ "main", "big", CONF_TYPE_INT, "1", INT64_MIN, INT64_MAX, D(big), NULL, 0, NULL },
	{ "main", "on", CONF_TYPE_BOOL, "yes", 0, 0, D(on), NULL, 0, NULL },
	{ "main", "policy", CONF_TYPE_ENUM, "optional", 0, 0, D(policy), policies, 0, NULL },
	{ "main", "listen", CONF_TYPE_ADDR, "127.0.0.1:2223", 2223, 0, D(listen), NULL,
	  CONF_LOCAL, NULL },
	{ "main", "media", CONF_TYPE_ADDR, NULL, 0, 0, D(media), NULL, CONF_NOPORT | CONF_NOWILD,
	  NULL },
	{ "main", "password", CONF_TYPE_STR, "", 0, 0, D(password), NULL, 0, NULL },
	{ "main", "nets", CONF_TYPE_LIST, "10.0.0.0/8", 0, 3, 0, 0, NULL, 0, net_add },
	{ "main", "hooked", CONF_TYPE_HOOK, "abc", 0, 0, D(hooked), NULL, 0, hook_count },
	{ "main", "metrics", CONF_TYPE_STR, "", 0, 0, D(metrics), NULL, 0, conf_hook_listen_addr },
	{ "iface", "address", CONF_TYPE_ADDR, NULL, 0, 0, I(addr), NULL,
	  CONF_NAMED | CONF_REQUIRED | CONF_NOPORT | CONF_LOCAL, NULL },
	{ "iface", "port_min", CONF_TYPE_INT, "30000", 1024, 65534, I(port_min), NULL, CONF_NAMED,
	  NULL },
	{ "tls", "token", CONF_TYPE_STR, "", 0, 0, D(metrics), NULL, CONF_SECRET, NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

/* A second table of the same kind, as sigproxy adds "side" to route.c's route keys. */
static const struct conf_key extra_keys[] = {
	{ "iface", "side", CONF_TYPE_ENUM, "off", 0, 0, 0, sizeof(unsigned), policies, CONF_NAMED,
	  NULL },
	{ "media", "outside_policy", CONF_TYPE_ENUM, "optional", 0, 0, 0, sizeof(unsigned),
	  policies, 0, NULL },
	{ "listener", "tls_crl", CONF_TYPE_STRP, NULL, 0, 0, 0, sizeof(char *), NULL, CONF_NAMED,
	  NULL },
	{ "listener", "tls_cert", CONF_TYPE_STRP, NULL, 0, 0, 0, sizeof(char *), NULL, CONF_NAMED,
	  NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

static const struct conf_key *const tables[] = { demo_keys, extra_keys, NULL };

static struct conf *
load(const char *text)
{
	struct conf_error err;
	struct conf *c = NULL;
	char buf[512];

	if (conf_load_string(&c, "t.ini", text, &err) != 0)
		fail_msg("load failed: %s", conf_error_str(&err, buf, sizeof(buf)));
	return c;
}

static char *
printed(struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	conf_print_effective(c, f);
	fclose(f);
	return buf;
}

/* Applies demo_keys to [main] of text; returns the error string ("" on success). */
static const char *
apply_main(const char *text, struct demo *d)
{
	static char buf[512];
	struct conf_error err;
	struct conf *c = load(text);
	int rc;

	memset(d, 0, sizeof(*d));
	memset(&err, 0, sizeof(err));
	rc = conf_apply(c, demo_keys, "main", d, d, &err);
	if (rc == 0)
		buf[0] = '\0';
	else
		conf_error_str(&err, buf, sizeof(buf));
	assert_true(rc == 0 || rc == EINVAL);
	assert_true(rc == 0 ? buf[0] == '\0' : buf[0] != '\0');
	conf_free(c);
	return buf;
}

static void
test_defaults(void **state)
{
	struct conf_error err;
	struct conf *c = load("[main]\npassword = hunter2\n");
	struct demo d;
	char ip[SA_STRLEN], *out;

	memset(&d, 0xa5, sizeof(d));
	d.nnets = 0;
	assert_int_equal(conf_apply(c, demo_keys, "main", &d, &d, &err), 0);
	assert_string_equal(d.id, "demo");
	assert_null(d.note);
	assert_int_equal(d.port, 5060);
	assert_int_equal(d.offset, -5);
	assert_int_equal(d.small, 7);
	assert_int_equal(d.big, 1);
	assert_true(d.on);
	assert_int_equal(d.policy, 1);
	assert_string_equal(sa_format(&d.listen, ip, sizeof(ip)), "127.0.0.1:2223");
	assert_string_equal(d.password, "hunter2");
	assert_int_equal(d.nnets, 1);
	assert_string_equal(d.nets[0], "10.0.0.0/8");
	assert_int_equal(d.hooked, 3);
	assert_string_equal(d.metrics, "");
	/* Every key with its effective value, defaults included, the secret masked. */
	out = printed(c);
	assert_string_equal(out,
	    "[main]\n"
	    "id = demo  ; default\n"
	    "note =   ; default\n"
	    "port = 5060  ; default\n"
	    "offset = -5  ; default\n"
	    "small = 7  ; default\n"
	    "big = 1  ; default\n"
	    "on = yes  ; default\n"
	    "policy = optional  ; default\n"
	    "listen = 127.0.0.1:2223  ; default\n"
	    "media =   ; default\n"
	    "password = ***  ; t.ini:2\n"
	    "nets = 10.0.0.0/8  ; default\n"
	    "hooked = abc  ; default\n"
	    "metrics =   ; default\n");
	assert_null(strstr(out, "hunter2"));
	free(out);
	assert_int_equal(conf_check_unused(c, &err), 0);
	conf_free(c);
}

static void
test_values(void **state)
{
	struct conf_error err;
	struct conf *c = load("[main]\nid = x1\nnote = free text\nport = 6000\noffset = -100\n"
	    "small = 255\nbig = -9223372036854775808\non = off\npolicy = REQUIRED\n"
	    "listen = 127.0.0.1\nmedia = 192.0.2.9\nnets = 192.0.2.0/24\nnets = 198.51.100.0/24\n"
	    "hooked = abcdef\nmetrics = 127.0.0.1:0\n"
	    "[tls]\ntoken = abc\n");
	struct demo d;
	char ip[SA_STRLEN], *out;

	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_apply(c, demo_keys, "main", &d, &d, &err), 0);
	assert_string_equal(d.id, "x1");
	assert_string_equal(d.note, "free text");
	assert_int_equal(d.port, 6000);
	assert_int_equal(d.offset, -100);
	assert_int_equal(d.small, 255);
	assert_true(d.big == INT64_MIN);
	assert_false(d.on);
	assert_int_equal(d.policy, 2);
	/* A missing port is the row's default port. */
	assert_string_equal(sa_format(&d.listen, ip, sizeof(ip)), "127.0.0.1:2223");
	assert_string_equal(sa_format_ip(&d.media, ip, sizeof(ip)), "192.0.2.9");
	assert_int_equal(d.nnets, 2);
	assert_string_equal(d.nets[1], "198.51.100.0/24");
	assert_int_equal(d.hooked, 6);
	assert_string_equal(d.metrics, "127.0.0.1:0");
	assert_int_equal(conf_apply(c, demo_keys, "tls", &d, &d, &err), 0);
	out = printed(c);
	/* Enums print as their choice, repeated keys once per line, flagged secrets masked. */
	assert_non_null(strstr(out, "policy = required  ; t.ini:9\n"));
	assert_non_null(strstr(out, "nets = 192.0.2.0/24  ; t.ini:12\nnets = 198.51.100.0/24  ; "
	    "t.ini:13\n"));
	assert_non_null(strstr(out, "\n[tls]\ntoken = ***  ; t.ini:17\n"));
	free(out);
	assert_int_equal(conf_check_unused(c, &err), 0);
	conf_free(c);
}

static void
test_value_errors(void **state)
{
	struct demo d;

	assert_string_equal(apply_main("[main]\n\nport = 0\n", &d),
	    "t.ini:3: main.port: expected integer 1..65535, got '0'");
	assert_string_equal(apply_main("[main]\nsmall = 256\n", &d),
	    "t.ini:2: main.small: expected integer 0..255, got '256'");
	assert_string_equal(apply_main("[main]\nid = 12345678\n", &d),
	    "t.ini:2: main.id: longer than 7 bytes");
	assert_string_equal(apply_main("[main]\non = maybe\n", &d),
	    "t.ini:2: main.on: expected boolean (yes/no, true/false, on/off, 1/0), got 'maybe'");
	assert_string_equal(apply_main("[main]\npolicy = mandatory\n", &d),
	    "t.ini:2: main.policy: expected one of off|optional|required, got 'mandatory'");
	assert_string_equal(apply_main("[main]\nlisten = localhost:5\n", &d),
	    "t.ini:2: main.listen: 'localhost:5' is not a numeric address[:port]");
	assert_string_equal(apply_main("[main]\nmedia = 192.0.2.1:5\n", &d),
	    "t.ini:2: main.media: '192.0.2.1:5' is not a numeric, non-wildcard address without port");
	assert_string_equal(apply_main("[main]\nmedia = 0.0.0.0\n", &d),
	    "t.ini:2: main.media: '0.0.0.0' is not a numeric, non-wildcard address without port");
	assert_string_equal(apply_main("[main]\nnets = 10.0.0.0/8\nnets = x\n", &d),
	    "t.ini:3: main.nets: 'x' is not a network");
	assert_string_equal(apply_main("[main]\nnets = 1/1\nnets = 2/2\nnets = 3/3\nnets = 4/4\n",
	    &d), "t.ini:5: main.nets: more than 3 nets lines");
	assert_string_equal(apply_main("[main]\nhooked = refuse\n", &d),
	    "t.ini:2: main.hooked: refused by the hook");
	/* The first error stops the table: later rows keep what the caller had. */
	assert_string_equal(apply_main("[main]\nport = x\nid = y\nsmall = 3\n", &d),
	    "t.ini:2: main.port: expected integer 1..65535, got 'x'");
	assert_string_equal(d.id, "y");
	assert_int_equal(d.small, 0);
	assert_int_equal(d.nnets, 0);
}

/* Addresses a daemon would bind must be on this host; the check binds, never sends. */
static void
test_local_addresses(void **state)
{
	struct sa a;
	char msg[192];
	struct demo d;

	assert_int_equal(sa_parse(&a, "127.0.0.1", 0), 0);
	assert_int_equal(sock_addr_local(&a), 0);
	assert_int_equal(sa_parse(&a, "127.45.6.7:9", 0), 0);   /* all of 127/8 is lo's */
	assert_int_equal(sock_addr_local(&a), 0);
	assert_int_equal(sa_parse(&a, "192.0.2.1", 0), 0);      /* TEST-NET-1: on no host */
	assert_int_equal(sock_addr_local(&a), EADDRNOTAVAIL);
	assert_int_equal(sock_addr_local(NULL), EINVAL);
	assert_string_equal(apply_main("[main]\nlisten = 192.0.2.1:2223\n", &d),
	    "t.ini:2: main.listen: 192.0.2.1:2223 is not an address of this host "
	    "(Cannot assign requested address)");
	assert_string_equal(apply_main("[main]\nlisten = 0.0.0.0:0\n", &d), "");
	assert_string_equal(apply_main("[main]\nmetrics = 192.0.2.1:9090\n", &d),
	    "t.ini:2: main.metrics: 192.0.2.1:9090 is not an address of this host "
	    "(Cannot assign requested address)");
	assert_string_equal(apply_main("[main]\nmetrics = nonsense\n", &d),
	    "t.ini:2: main.metrics: 'nonsense' is not a numeric address[:port]");
	assert_int_equal(conf_addr_parse(&a, "198.51.100.4:5061", 5060, CONF_LOCAL, msg,
	    sizeof(msg)), EINVAL);
	assert_int_equal(conf_addr_parse(&a, "127.0.0.1", 5061, CONF_LOCAL, msg, sizeof(msg)), 0);
	assert_int_equal(sa_port(&a), 5061);
}

static void
test_named_sections(void **state)
{
	struct conf_error err;
	struct conf *c = load("[iface  outside]\naddress = 127.0.0.1\n[iface in]\nport_min = 40000\n");
	struct iface f;
	char buf[256], *out;

	memset(&f, 0, sizeof(f));
	assert_int_equal(conf_apply(c, demo_keys, "iface outside", &f, NULL, &err), 0);
	assert_int_equal(f.port_min, 30000);
	assert_int_equal(sa_family(&f.addr), AF_INET);
	/* A required key that is absent; the error has no line to point at. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(conf_apply(c, demo_keys, "iface in", &f, NULL, &err), EINVAL);
	assert_string_equal(conf_error_str(&err, buf, sizeof(buf)),
	    "t.ini:0: iface in.address: missing: required");
	/* Rows of a named kind do not apply to a plain section of the same word. */
	assert_int_equal(conf_apply(c, demo_keys, "iface", &f, NULL, &err), 0);
	out = printed(c);
	assert_non_null(strstr(out, "[iface outside]\naddress = 127.0.0.1  ; t.ini:2\n"
	    "port_min = 30000  ; default\n"));
	free(out);
	assert_int_equal(conf_apply(NULL, demo_keys, "main", &f, NULL, &err), EINVAL);
	conf_free(c);
}

/* Returns the conf_check_known error string for text ("" when it passes). */
static const char *
known(const char *text)
{
	static char buf[512];
	struct conf_error err;
	struct conf *c = load(text);
	int rc;

	memset(&err, 0, sizeof(err));
	rc = conf_check_known(c, tables, &err);
	assert_true(rc == 0 || rc == EINVAL);
	if (rc == 0)
		buf[0] = '\0';
	else
		conf_error_str(&err, buf, sizeof(buf));
	conf_free(c);
	return buf;
}

static void
test_unknown_keys(void **state)
{
	assert_string_equal(known("[main]\nport = 1\n[iface a]\nside = on\n[media]\n"
	    "outside_policy = off\n[listener x]\ntls_crl = f\n"), "");
	/* Today's typo of issue 9: a warning no more, and the right name offered. */
	assert_string_equal(known("[main]\nport = 1\n[media]\n; policy\noutside_polcy = required\n"),
	    "t.ini:5: media.outside_polcy: unknown key (did you mean outside_policy?)");
	/* The name make-certs.sh used to print: a shared part leads to the real key. */
	assert_string_equal(known("[listener tls]\ntls_cert = a\ncrl_file = crl.pem\n"),
	    "t.ini:3: listener tls.crl_file: unknown key (did you mean tls_crl?)");
	assert_string_equal(known("[iface a]\nadress = 127.0.0.1\n"),
	    "t.ini:2: iface a.adress: unknown key (did you mean address?)");
	assert_string_equal(known("[iface a]\nport_mni = 1\n"),
	    "t.ini:2: iface a.port_mni: unknown key (did you mean port_min?)");
	/* Keys of the kind's second table count too ("side" is in extra_keys). */
	assert_string_equal(known("[iface a]\nsdie = on\n"),
	    "t.ini:2: iface a.sdie: unknown key (did you mean side?)");
	/* A known key in the wrong section says where it belongs. */
	assert_string_equal(known("[main]\nport_min = 1\n"),
	    "t.ini:2: main.port_min: unknown key here (it belongs in [iface <name>])");
	assert_string_equal(known("[main]\nzzzzzz = 1\n"), "t.ini:2: main.zzzzzz: unknown key");
	assert_string_equal(known("port = 1\n[main]\n"),
	    "t.ini:1: port: outside any section (it belongs in [main])");
	assert_string_equal(known("qqq = 1\n"), "t.ini:1: qqq: unknown key outside any section");
	/* The first problem in file order is the one reported. */
	assert_string_equal(known("[main]\nprt = 1\n[mian]\nport = 2\n"),
	    "t.ini:2: main.prt: unknown key (did you mean port?)");
	/* Keys match case-insensitively, as the getters do. */
	assert_string_equal(known("[MAIN]\nPort = 1\n"), "");
}

static void
test_unknown_sections(void **state)
{
	/* The line is the header's, even with comments and blank lines before the key. */
	assert_string_equal(known("[main]\nport = 1\n[rotue x]\n; r\n\nport_min = 1\n"),
	    "t.ini:3: [rotue x]: unknown section");
	assert_string_equal(known("[mian]\nport = 1\n"),
	    "t.ini:1: [mian]: unknown section (did you mean [main]?)");
	assert_string_equal(known("[ifcae outside]\naddress = 1\n"),
	    "t.ini:1: [ifcae outside]: unknown section (did you mean [iface outside]?)");
	assert_string_equal(known("[listner a]\ntls_cert = x\n"),
	    "t.ini:1: [listner a]: unknown section (did you mean [listener a]?)");
	assert_string_equal(known("[lisener]\ntls_cert = x\n"),
	    "t.ini:1: [lisener]: unknown section (did you mean [listener <name>]?)");
	assert_string_equal(known("[iface]\naddress = 1\n"),
	    "t.ini:1: [iface]: needs a name: [iface <name>]");
	assert_string_equal(known("[main x]\nport = 1\n"),
	    "t.ini:1: [main x]: unknown section ([main] takes no name)");
}

static void
test_nearest(void **state)
{
	static const char *const keys[] = {
		"outside_policy", "inside_policy", "tls_cert", "tls_key", "tls_ca", "tls_crl",
		"route", "listener", "interface", "port_min", "port_max",
	};
	size_t n = sizeof(keys) / sizeof(keys[0]);

	assert_string_equal(conf_nearest("outside_polcy", keys, n), "outside_policy");
	assert_string_equal(conf_nearest("insideo_policy", keys, n), "inside_policy");
	assert_string_equal(conf_nearest("rotue", keys, n), "route");
	assert_string_equal(conf_nearest("listner", keys, n), "listener");
	assert_string_equal(conf_nearest("interfce", keys, n), "interface");
	assert_null(conf_nearest("PORT_MAX", keys, n));      /* exact, case aside */
	assert_string_equal(conf_nearest("port_mx", keys, n), "port_max");
	assert_string_equal(conf_nearest("crl_file", keys, n), "tls_crl");
	assert_string_equal(conf_nearest("key_file", keys, n), "tls_key");
	/* Nothing close: no guess. An exact name is no suggestion either. */
	assert_null(conf_nearest("workers", keys, n));
	assert_null(conf_nearest("route", keys, n));
	assert_null(conf_nearest("", keys, n));
	assert_null(conf_nearest(NULL, keys, n));
	assert_null(conf_nearest("x", keys, n));
}

static void
test_unused(void **state)
{
	struct conf_error err;
	struct conf *c = load("[main]\nport = 1\n[iface a]\naddress = 127.0.0.1\n");
	struct demo d;
	char buf[256];

	memset(&d, 0, sizeof(d));
	assert_int_equal(conf_apply(c, demo_keys, "main", &d, &d, &err), 0);
	/* Known, but nothing applied [iface a]: a key that would silently do nothing. */
	assert_int_equal(conf_check_unused(c, &err), EINVAL);
	assert_string_equal(conf_error_str(&err, buf, sizeof(buf)),
	    "t.ini:4: iface a.address: has no effect in this configuration");
	conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_local_addresses),
		cmocka_unit_test(test_named_sections),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_unknown_sections),
		cmocka_unit_test(test_nearest),
		cmocka_unit_test(test_unused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

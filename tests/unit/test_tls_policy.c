/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sigproxy's TLS policy: allow-list patterns and matching (certificates made
 * in memory, hostile names included), the weak-cipher audit, reloading a context's files. */
#include <errno.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "lib/proc.h"
#include "transport_int.h"

#ifndef SBC_SOURCE_DIR
#error "SBC_SOURCE_DIR must point at the source tree (for deploy/certs/make-certs.sh)"
#endif

/* ---- certificates in memory: a subject CN and SANs of any type, bytes as given ---- */

struct san {
	int type;		/* GEN_DNS, GEN_URI, GEN_EMAIL, GEN_IPADD */
	const char *val;	/* IPADD: raw 4 or 16 bytes */
	int len;		/* -1: strlen */
};

static X509 *
mkcert(const char *cn, const struct san *sans, size_t nsans)
{
	static EVP_PKEY *key;
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	X509 *x = X509_new();
	size_t i;

	if (key == NULL)
		key = EVP_EC_gen("P-256");
	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	X509_set_pubkey(x, key);
	if (cn != NULL)
		assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
		    MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	for (i = 0; i < nsans; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_STRING *s = sans[i].type == GEN_IPADD ? ASN1_OCTET_STRING_new() :
		    ASN1_IA5STRING_new();
		int len = sans[i].len >= 0 ? sans[i].len : (int)strlen(sans[i].val);

		assert_int_equal(ASN1_STRING_set(s, sans[i].val, len), 1);
		GENERAL_NAME_set0_value(g, sans[i].type, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	if (nsans > 0)
		assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0), 1);
	GENERAL_NAMES_free(gens);
	return x;
}

static bool
allowed(X509 *x, const char *pat)
{
	const char *allow[1] = { pat };
	char msg[256];

	assert_int_equal(tls_allow_pattern_check(pat, msg, sizeof(msg)), 0);
	return tls_allow_match(x, allow, 1);
}

static void
test_allow_patterns(void **state)
{
	static const char *const good[] = {
		"alice", "ALICE.example.test", "*.example.com", "*.a.b.example.com",
		"sip:alice@example.com", "192.0.2.1", "2001:db8::1", "ops@example.com",
	};
	static const char *const bad[] = {
		"", "*", "*.", "*.com", "*example.com", "a*.example.com", "*.*.example.com",
		"x.*.example.com", "*..example.com", "*.example.com.", "a b", "a,b", "a\"b",
		"tab\there", "ctl\x01", "del\x7f",
	};
	char msg[256], longname[300];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (tls_allow_pattern_check(good[i], msg, sizeof(msg)) != 0)
			fail_msg("refused '%s': %s", good[i], msg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tls_allow_pattern_check(bad[i], msg, sizeof(msg)) != EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tls_allow_pattern_check(longname, msg, sizeof(msg)), EINVAL);
	assert_int_equal(tls_allow_pattern_check(NULL, msg, sizeof(msg)), EINVAL);
}

static void
test_allow_cn(void **state)
{
	X509 *x = mkcert("Alice.Example.Test", NULL, 0);

	assert_true(allowed(x, "alice.example.test"));         /* case does not matter */
	assert_true(allowed(x, "*.example.test"));
	assert_false(allowed(x, "alice"));
	assert_false(allowed(x, "*.test.example"));
	assert_false(allowed(x, "alice.example.test.evil"));
	X509_free(x);
	/* One label only: a.b.example.test is not under *.example.test, nor is the domain. */
	x = mkcert("a.b.example.test", NULL, 0);
	assert_false(allowed(x, "*.example.test"));
	assert_true(allowed(x, "*.b.example.test"));
	X509_free(x);
	x = mkcert("example.test", NULL, 0);
	assert_false(allowed(x, "*.example.test"));
	X509_free(x);
	/* The suffix is the whole rest of the name, not a prefix of it. */
	x = mkcert("a.example.test.evil.test", NULL, 0);
	assert_false(allowed(x, "*.example.test"));
	assert_false(allowed(x, "a.example.test"));
	X509_free(x);
	/* Characters a host label cannot hold do not make a label. */
	x = mkcert("bob@x.example.test", NULL, 0);
	assert_false(allowed(x, "*.example.test"));
	X509_free(x);
	/* No subject at all, no SANs: nothing matches. */
	x = mkcert(NULL, NULL, 0);
	assert_false(allowed(x, "*.example.test"));
	X509_free(x);
	assert_false(tls_allow_match(NULL, NULL, 0));
}

static void
test_allow_sans(void **state)
{
	static const unsigned char ip4[4] = { 192, 0, 2, 7 };
	static const unsigned char ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	const struct san sans[] = {
		{ GEN_DNS, "dev1.partners.example.test", -1 },
		{ GEN_URI, "sip:pbx.partners.example.test", -1 },
		{ GEN_EMAIL, "ops@example.test", -1 },
		{ GEN_IPADD, (const char *)ip4, 4 },
		{ GEN_IPADD, (const char *)ip6, 16 },
	};
	X509 *x = mkcert("device-17", sans, sizeof(sans) / sizeof(sans[0]));

	assert_true(allowed(x, "*.partners.example.test"));     /* the DNS SAN */
	assert_true(allowed(x, "sip:pbx.partners.example.test"));
	assert_true(allowed(x, "ops@example.test"));
	assert_true(allowed(x, "192.0.2.7"));
	assert_true(allowed(x, "2001:db8::1"));
	assert_true(allowed(x, "device-17"));
	assert_false(allowed(x, "192.0.2.70"));
	assert_false(allowed(x, "pbx.partners.example.test"));   /* only inside the URI */
	X509_free(x);
	/* A wildcard never matches a URI or an email, whose text has dots too. */
	{
		const struct san uri[] = { { GEN_URI, "sip:x.example.test", -1 },
		    { GEN_EMAIL, "x.y@example.test", -1 } };

		x = mkcert("nobody", uri, 2);
		assert_false(allowed(x, "*.example.test"));
		X509_free(x);
	}
}

/* A NUL inside a certificate name is an attack on C strings: it matches nothing. */
static void
test_allow_embedded_nul(void **state)
{
	const struct san sans[] = {
		{ GEN_DNS, "good.example.test\0.evil.test", 28 },
		{ GEN_DNS, "x\0.example.test", 15 },
	};
	X509 *x = mkcert(NULL, sans, 2);

	assert_false(allowed(x, "good.example.test"));
	assert_false(allowed(x, "*.evil.test"));
	assert_false(allowed(x, "*.example.test"));
	X509_free(x);
}

static void
test_allow_several(void **state)
{
	const char *allow[] = { "alice", "*.partners.example.test", "192.0.2.7" };
	X509 *a = mkcert("alice", NULL, 0), *b = mkcert("bob", NULL, 0);
	X509 *c = mkcert("carol.partners.example.test", NULL, 0);

	assert_true(tls_allow_match(a, allow, 3));
	assert_false(tls_allow_match(b, allow, 3));
	assert_true(tls_allow_match(c, allow, 3));
	assert_false(tls_allow_match(a, allow, 0));
	X509_free(a);
	X509_free(b);
	X509_free(c);
}

/* ---- the weak-cipher audit ---- */

static unsigned
audit(const char *ciphers, int min, char *out, size_t size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	unsigned n;

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, ciphers), 1);
	if (min)
		assert_int_equal(SSL_CTX_set_min_proto_version(ctx, min), 1);
	n = tls_ciphers_audit(ctx, "unit", out, size);
	SSL_CTX_free(ctx);
	return n;
}

static void
test_ciphers_audit(void **state)
{
	char out[4096], small[64];
	unsigned n;

	assert_int_equal(audit(TLS_CIPHERS_DEFAULT, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	n = audit("DEFAULT", 0, out, sizeof(out));
	assert_true(n > 10);
	assert_non_null(strstr(out, "AES128-SHA(cbc+sha1+kx-rsa)"));
	assert_non_null(strstr(out, "ECDHE-ECDSA-AES128-SHA(cbc+sha1)"));
	assert_non_null(strstr(out, "ECDHE-RSA-AES128-SHA256(cbc)"));
	assert_non_null(strstr(out, "AES128-GCM-SHA256(kx-rsa)"));
	assert_null(strstr(out, "ECDHE-ECDSA-AES128-GCM-SHA256"));
	assert_int_equal(audit("ECDHE-ECDSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256", 0, out,
	    sizeof(out)), 1);
	assert_string_equal(out, "DHE-RSA-AES128-GCM-SHA256(kx-dhe)");
	assert_int_equal(audit("aNULL:@SECLEVEL=0", 0, out, sizeof(out)) > 0, 1);
	assert_non_null(strstr(out, "anonymous"));
	/* Only TLS 1.3 can be negotiated: whatever the 1.2 list says, nothing is weak. */
	assert_int_equal(audit("DEFAULT", TLS1_3_VERSION, out, sizeof(out)), 0);
	/* A short buffer keeps whole entries and the count stays right. */
	assert_int_equal(audit("DEFAULT", 0, small, sizeof(small)), n);
	assert_true(strlen(small) < sizeof(small));
	assert_non_null(strchr(small, ')'));
	assert_int_equal(small[strlen(small) - 1], ')');
}

/* ---- reloading a context's files from the paths it was built with ---- */

static char certdir[256];

static void
test_reload_files(void **state)
{
	const char *mk = SBC_SOURCE_DIR "/deploy/certs/make-certs.sh";
	char cert[300], key[300], ca[300];
	struct tls_conf c;
	struct tls *t = NULL;
	const char *allow[] = { "alice" };

	snprintf(certdir, sizeof(certdir), "/tmp/sbc-test-tlspol-XXXXXX");
	assert_non_null(mkdtemp(certdir));
	assert_int_equal(proc_sh("%s -o %s/a a.example.test >/dev/null 2>&1 && "
	    "%s -o %s/b b.example.test >/dev/null 2>&1 && mkdir %s/live && "
	    "cp %s/a/server-chain.pem %s/a/server.key %s/a/ca.crt %s/live/", mk, certdir, mk, certdir,
	    certdir, certdir, certdir, certdir, certdir), 0);
	snprintf(cert, sizeof(cert), "%s/live/server-chain.pem", certdir);
	snprintf(key, sizeof(key), "%s/live/server.key", certdir);
	snprintf(ca, sizeof(ca), "%s/live/ca.crt", certdir);
	memset(&c, 0, sizeof(c));
	c.cert_file = cert;
	c.key_file = key;
	c.ca_file = ca;
	c.verify_peer = true;
	c.allow = allow;
	c.nallow = 1;
	assert_int_equal(tls_alloc(&t, "live", TLS_ROLE_SERVER, &c), 0);
	/* The context keeps its own copies: the caller's strings may go. */
	memset(cert, 'x', 20);
	memset(key, 'x', 20);
	assert_int_equal(tls_generation(t), 0);
	/* New files under the same names. */
	assert_int_equal(proc_sh("cp %s/b/server-chain.pem %s/b/server.key %s/live/", certdir, certdir,
	    certdir), 0);
	assert_int_equal(tls_reload_files(t), 0);
	assert_int_equal(tls_generation(t), 1);
	/* A broken certificate: refused, the context stays at its generation. */
	assert_int_equal(proc_sh("echo broken >%s/live/server-chain.pem", certdir), 0);
	assert_int_equal(tls_reload_files(t), EINVAL);
	assert_int_equal(tls_generation(t), 1);
	/* A certificate whose key is another one. */
	assert_int_equal(proc_sh("cp %s/a/server-chain.pem %s/live/", certdir, certdir), 0);
	assert_int_equal(tls_reload_files(t), EINVAL);
	/* A missing CA file. */
	assert_int_equal(proc_sh("cp %s/a/server.key %s/live/ && rm %s/live/ca.crt", certdir, certdir,
	    certdir), 0);
	assert_int_equal(tls_reload_files(t), EINVAL);
	assert_int_equal(proc_sh("cp %s/a/ca.crt %s/live/", certdir, certdir), 0);
	assert_int_equal(tls_reload_files(t), 0);
	assert_int_equal(tls_generation(t), 2);
	tls_free(t);
	assert_int_equal(tls_reload_files(NULL), EINVAL);
	/* An allow-list needs a server that verifies clients. */
	snprintf(cert, sizeof(cert), "%s/a/server-chain.pem", certdir);
	snprintf(key, sizeof(key), "%s/a/server.key", certdir);
	c.verify_peer = false;
	t = (struct tls *)0x1;
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_SERVER, &c), EINVAL);
	c.verify_peer = true;
	assert_int_equal(tls_alloc(&t, "x", TLS_ROLE_CLIENT, &c), EINVAL);
	assert_ptr_equal(t, (struct tls *)0x1);
	proc_sh("rm -rf '%s'", certdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_patterns),
		cmocka_unit_test(test_allow_cn),
		cmocka_unit_test(test_allow_sans),
		cmocka_unit_test(test_allow_embedded_nul),
		cmocka_unit_test(test_allow_several),
		cmocka_unit_test(test_ciphers_audit),
		cmocka_unit_test(test_reload_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

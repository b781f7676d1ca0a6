/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sbcctl cert check: what a TLS handshake with a SIP peer will run into, before it does.
 * The chain in FILE (leaf first), its names against the SIP domain (SAN, CN only without
 * SANs, RFC 6125 as OpenSSL checks it), validity, SHA-1 signatures, key size, the chain up
 * to --ca (or the system CAs), the private key, and the SHA-1 / SHA-256 thumbprints that
 * carriers and platforms ask for.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sbcctl.h"

#define CERT_CHAIN_MAX 10
#define CERT_WARN_DAYS 30

struct check {
	const char *name;
	int level;		/* 0 ok, 1 warning, 2 failed */
	char detail[512];
};

struct cert_job {
	const char *file, *domain, *ca, *key;
	long warn_days;
	X509 *chain[CERT_CHAIN_MAX];
	int n;
	struct check checks[8];
	int nchecks;
};

static struct check *
check_add(struct cert_job *j, const char *name, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct check *
check_add(struct cert_job *j, const char *name, int level, const char *fmt, ...)
{
	struct check *c = &j->checks[j->nchecks++];
	va_list ap;

	c->name = name;
	c->level = level;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	return c;
}

static void
thumbprint(X509 *x, const EVP_MD *md, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	out[0] = '\0';
	if (!X509_digest(x, md, d, &n) || n * 3 > size)
		return;
	for (i = 0; i < n; i++) {
		out[i * 3] = hex[d[i] >> 4];
		out[i * 3 + 1] = hex[d[i] & 15];
		out[i * 3 + 2] = i + 1 < n ? ':' : '\0';
	}
}

static void
name_str(const X509_NAME *nm, char *out, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_read(b, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static void
time_str(const ASN1_TIME *t, char *out, size_t size)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "?");
}

static void
sans_str(X509 *x, char *out, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t off = 0;
	int i;

	out[0] = '\0';
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;
		const char *kind = NULL;
		char ip[64] = "";
		int n;

		if (g->type == GEN_DNS)
			kind = "DNS", s = g->d.dNSName;
		else if (g->type == GEN_URI)
			kind = "URI", s = g->d.uniformResourceIdentifier;
		else if (g->type == GEN_IPADD) {
			const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);

			kind = "IP";
			if (ASN1_STRING_length(g->d.iPAddress) == 4)
				snprintf(ip, sizeof(ip), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
			else
				snprintf(ip, sizeof(ip), "(IPv6)");
		}
		if (kind == NULL)
			continue;
		n = snprintf(out + off, size - off, "%s%s:%.*s", off ? ", " : "", kind,
		    s ? ASN1_STRING_length(s) : (int)strlen(ip),
		    s ? (const char *)ASN1_STRING_get0_data(s) : ip);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
	GENERAL_NAMES_free(gens);
}

static int
chain_load(struct cert_job *j)
{
	BIO *b = BIO_new_file(j->file, "r");
	X509 *x;

	if (b == NULL) {
		fprintf(stderr, "sbcctl: cannot read %s\n", CTL_ESC(j->file));
		return CTL_USAGE;
	}
	while (j->n < CERT_CHAIN_MAX && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		j->chain[j->n++] = x;
	ERR_clear_error();
	BIO_free(b);
	if (j->n == 0) {
		fprintf(stderr, "sbcctl: %s holds no PEM certificate\n", CTL_ESC(j->file));
		return CTL_USAGE;
	}
	return 0;
}

static void
check_expiry(struct cert_job *j)
{
	X509 *leaf = j->chain[0];
	int days = 0, secs = 0, i;

	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
		check_add(j, "validity", 2, "not valid yet");
		return;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
		check_add(j, "validity", 2, "expired");
		return;
	}
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf));
	/* an intermediate that expires first ends the chain first */
	for (i = 1; i < j->n; i++)
		if (X509_cmp_current_time(X509_get0_notAfter(j->chain[i])) <= 0) {
			check_add(j, "validity", 2, "certificate %d of the chain expired", i + 1);
			return;
		}
	check_add(j, "validity", days < j->warn_days ? 1 : 0, "%d days left%s", days,
	    days < j->warn_days ? " (renew soon)" : "");
}

static void
check_name(struct cert_job *j)
{
	char sans[1024];
	int r;

	sans_str(j->chain[0], sans, sizeof(sans));
	if (j->domain == NULL) {
		check_add(j, "name", 1, "not checked (no --domain)");
		return;
	}
	/* SAN dNSName (or iPAddress), the CN only when there is no SAN, one-label wildcards */
	r = X509_check_ip_asc(j->chain[0], j->domain, 0);
	if (r < 0)
		r = X509_check_host(j->chain[0], j->domain, 0,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
	if (r == 1)
		check_add(j, "name", 0, "%s is in the certificate", j->domain);
	else
		check_add(j, "name", 2, "%s is not in the certificate (SANs: %s)", j->domain,
		    sans[0] ? sans : "none; CN only");
}

static void
check_signature(struct cert_job *j)
{
	int i, mdnid = 0, pknid = 0, bits;
	EVP_PKEY *pk = X509_get0_pubkey(j->chain[0]);

	for (i = 0; i < j->n; i++) {
		/* a self-signed root is trusted as it is: its own signature is not checked */
		if (i > 0 && X509_check_issued(j->chain[i], j->chain[i]) == X509_V_OK)
			continue;
		if (X509_get_signature_info(j->chain[i], &mdnid, &pknid, NULL, NULL) &&
		    (mdnid == NID_sha1 || mdnid == NID_md5)) {
			check_add(j, "signature", 2, "certificate %d of the chain is signed with "
			    "%s (refused by current TLS stacks)", i + 1, OBJ_nid2sn(mdnid));
			goto key;
		}
	}
	check_add(j, "signature", 0, "%s", OBJ_nid2ln(X509_get_signature_nid(j->chain[0])));
 key:
	bits = pk != NULL ? EVP_PKEY_get_bits(pk) : 0;
	if (pk == NULL)
		check_add(j, "key size", 2, "no public key");
	else if ((EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA && bits < 2048) ||
	    (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC && bits < 256))
		check_add(j, "key size", 2, "%s %d bits is too weak", EVP_PKEY_get0_type_name(pk),
		    bits);
	else
		check_add(j, "key size", 0, "%s %d bits", EVP_PKEY_get0_type_name(pk), bits);
}

static void
check_chain(struct cert_job *j)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int i, ok = 0;

	if (st == NULL || ctx == NULL || untrusted == NULL) {
		check_add(j, "chain", 2, "out of memory");
		goto out;
	}
	for (i = 1; i < j->n; i++) {
		if (X509_check_issued(j->chain[i], j->chain[i - 1]) != X509_V_OK) {
			check_add(j, "chain", 2, "certificate %d does not issue certificate %d: the "
			    "file must hold the leaf first, then each issuer", i + 1, i);
			goto out;
		}
		sk_X509_push(untrusted, j->chain[i]);
	}
	if (j->ca != NULL ? X509_STORE_load_file(st, j->ca) != 1 :
	    X509_STORE_set_default_paths(st) != 1) {
		check_add(j, "chain", 2, "cannot load %s", j->ca ? j->ca : "the system CAs");
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, st, j->chain[0], untrusted) == 1)
		ok = X509_verify_cert(ctx);
	if (ok == 1)
		check_add(j, "chain", 0, "%d certificate%s, verifies against %s", j->n,
		    j->n == 1 ? "" : "s", j->ca ? j->ca : "the system CAs");
	else
		check_add(j, "chain", 2, "does not verify against %s: %s", j->ca ? j->ca :
		    "the system CAs (give --ca)",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
 out:
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
}

static void
check_key(struct cert_job *j)
{
	BIO *b;
	EVP_PKEY *k;

	if (j->key == NULL)
		return;
	b = BIO_new_file(j->key, "r");
	k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	if (k == NULL)
		check_add(j, "private key", 2, "cannot read a PEM private key from %s", j->key);
	else if (X509_check_private_key(j->chain[0], k) != 1)
		check_add(j, "private key", 2, "%s is not the key of this certificate", j->key);
	else
		check_add(j, "private key", 0, "matches the certificate");
	ERR_clear_error();
	EVP_PKEY_free(k);
	BIO_free(b);
}

static void
report(struct ctl *x, struct cert_job *j, int failed, int warned)
{
	static const char *const lvl[] = { "ok", "WARN", "FAIL" };
	X509 *leaf = j->chain[0];
	char subj[512], iss[512], nb[32], na[32], sans[1024], sha1[64], sha256[100];
	char serial[128] = "";
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int i;

	snprintf(serial, sizeof(serial), "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	name_str(X509_get_subject_name(leaf), subj, sizeof(subj));
	name_str(X509_get_issuer_name(leaf), iss, sizeof(iss));
	time_str(X509_get0_notBefore(leaf), nb, sizeof(nb));
	time_str(X509_get0_notAfter(leaf), na, sizeof(na));
	sans_str(leaf, sans, sizeof(sans));
	thumbprint(leaf, EVP_sha1(), sha1, sizeof(sha1));
	thumbprint(leaf, EVP_sha256(), sha256, sizeof(sha256));
	if (x->json) {
		bool f = true;

		fputc('{', x->out);
		ctl_json_kv(x, &f, "file", j->file);
		ctl_json_kv(x, &f, "domain", j->domain);
		ctl_json_kv(x, &f, "result", failed ? "fail" : warned ? "warn" : "ok");
		ctl_json_kv(x, &f, "subject", subj);
		ctl_json_kv(x, &f, "issuer", iss);
		ctl_json_kv(x, &f, "serial", serial);
		ctl_json_kv(x, &f, "not_before", nb);
		ctl_json_kv(x, &f, "not_after", na);
		ctl_json_kv(x, &f, "sans", sans);
		ctl_json_kv(x, &f, "sha1", sha1);
		ctl_json_kv(x, &f, "sha256", sha256);
		ctl_json_ku(x, &f, "chain_length", (uint64_t)j->n);
		fputs(",\"checks\":[", x->out);
		for (i = 0; i < j->nchecks; i++) {
			bool g = true;

			fputs(i ? ",{" : "{", x->out);
			ctl_json_kv(x, &g, "check", j->checks[i].name);
			ctl_json_kv(x, &g, "result", j->checks[i].level == 0 ? "ok" :
			    j->checks[i].level == 1 ? "warn" : "fail");
			ctl_json_kv(x, &g, "detail", j->checks[i].detail);
			fputc('}', x->out);
		}
		fputs("]}\n", x->out);
		return;
	}
	fprintf(x->out, "certificate %s\n  subject    %s\n  issuer     %s\n  serial     %s\n"
	    "  valid      %s to %s\n  SANs       %s\n  SHA-1      %s\n  SHA-256    %s\n"
	    "  chain      %d certificate%s in the file\n", CTL_ESC(j->file), CTL_ESC(subj),
	    CTL_ESC(iss), serial, nb, na, sans[0] ? CTL_ESC(sans) : "none", sha1, sha256, j->n,
	    j->n == 1 ? "" : "s");
	for (i = 0; i < j->nchecks; i++)
		fprintf(x->out, "  %-4s  %-11s %s\n", lvl[j->checks[i].level], j->checks[i].name,
		    CTL_ESC(j->checks[i].detail));
	fprintf(x->out, "result: %s\n", failed ? "FAIL" : warned ? "ok, with warnings" : "ok");
}

int
ctl_cert(struct ctl *x, int argc, char **argv)
{
	struct cert_job j;
	int i, failed = 0, warned = 0, rc;

	memset(&j, 0, sizeof(j));
	j.warn_days = CERT_WARN_DAYS;
	if (argc < 3 || strcmp(argv[1], "check") != 0)
		goto usage;
	j.file = argv[2];
	for (i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--domain") == 0)
			j.domain = argv[i + 1];
		else if (strcmp(argv[i], "--ca") == 0)
			j.ca = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			j.key = argv[i + 1];
		else if (strcmp(argv[i], "--warn-days") == 0)
			j.warn_days = strtol(argv[i + 1], NULL, 10);
		else
			goto usage;
	}
	if (i != argc)
		goto usage;
	if ((rc = chain_load(&j)) != 0)
		return rc;
	check_expiry(&j);
	check_name(&j);
	check_signature(&j);
	check_chain(&j);
	check_key(&j);
	for (i = 0; i < j.nchecks; i++) {
		failed += j.checks[i].level == 2;
		warned += j.checks[i].level == 1;
	}
	report(x, &j, failed, warned);
	for (i = 0; i < j.n; i++)
		X509_free(j.chain[i]);
	return failed ? CTL_FAIL : CTL_OK;
 usage:
	fprintf(stderr, "usage: sbcctl cert check FILE --domain DOMAIN [--ca CAFILE] "
	    "[--key KEYFILE] [--warn-days N]\n");
	return CTL_USAGE;
}

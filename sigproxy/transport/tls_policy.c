/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS policy: what counts as a weak cipher (and the warning naming it), client certificate allow-lists. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "log.h"
#include "transport_int.h"

/*
 * Why a TLS <= 1.2 cipher is weak, as "cbc+sha1+kx-rsa"; "" when it is ECDHE with an
 * AEAD (the default's kind). TLS 1.3 suites are all AEAD with (EC)DHE: never weak here.
 */
static void
cipher_weakness(const SSL_CIPHER *c, char *buf, size_t size)
{
	int kx = SSL_CIPHER_get_kx_nid(c);
	int auth = SSL_CIPHER_get_auth_nid(c);

	buf[0] = '\0';
	if (kx == NID_kx_any)
		return;
	if (!SSL_CIPHER_is_aead(c))
		snprintf(buf + strlen(buf), size - strlen(buf), "%scbc", buf[0] ? "+" : "");
	if (SSL_CIPHER_get_digest_nid(c) == NID_sha1)
		snprintf(buf + strlen(buf), size - strlen(buf), "%ssha1", buf[0] ? "+" : "");
	if (kx != NID_kx_ecdhe)
		snprintf(buf + strlen(buf), size - strlen(buf), "%skx-%s", buf[0] ? "+" : "",
		    kx == NID_kx_rsa ? "rsa" : kx == NID_kx_dhe ? "dhe" : "other");
	if (auth == NID_auth_null)
		snprintf(buf + strlen(buf), size - strlen(buf), "%sanonymous", buf[0] ? "+" : "");
}

unsigned
tls_ciphers_audit(SSL_CTX *ctx, const char *name, char *out, size_t size)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
	unsigned nweak = 0;
	size_t used = 0;
	int i;

	if (size > 0)
		out[0] = '\0';
	/* Only TLS 1.3 can be negotiated: its suites are all strong. */
	if (SSL_CTX_get_min_proto_version(ctx) >= TLS1_3_VERSION)
		return 0;
	for (i = 0; sk != NULL && i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *c = sk_SSL_CIPHER_value(sk, i);
		char why[64];
		int n;

		cipher_weakness(c, why, sizeof(why));
		if (why[0] == '\0')
			continue;
		nweak++;
		if (used + 1 >= size)
			continue;
		n = snprintf(out + used, size - used, "%s%s(%s)", used ? "," : "",
		    SSL_CIPHER_get_name(c), why);
		if (n < 0 || (size_t)n >= size - used) {
			/* Cut at the last whole entry: the count says how many there are. */
			char *comma = strrchr(out, ',');

			if (comma != NULL)
				*comma = '\0';
			used = size;
			continue;
		}
		used += (size_t)n;
	}
	if (nweak > 0)
		log_warnx("tls_weak_ciphers name=%s count=%u ciphers=\"%s\" note=\"enabled by "
		    "tls_ciphers; the default offers only ECDHE with AEAD (GCM, ChaCha20-Poly1305)\"",
		    name, nweak, out);
	return nweak;
}

int
tls_allow_pattern_check(const char *pat, char *msg, size_t size)
{
	const char *rest;
	size_t i, n;

	n = pat ? strlen(pat) : 0;
	if (n == 0 || n > 253) {
		snprintf(msg, size, "empty or longer than 253 bytes");
		return EINVAL;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)pat[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == ',') {
			snprintf(msg, size, "'%.64s': spaces, commas, quotes and control bytes "
			    "cannot be in a name", pat);
			return EINVAL;
		}
	}
	rest = strchr(pat, '*');
	if (rest == NULL)
		return 0;
	/* "*." then at least two labels: one wildcard label, never a whole domain. */
	if (rest != pat || pat[1] != '.' || strchr(pat + 1, '*') != NULL ||
	    strchr(pat + 2, '.') == NULL || pat[2] == '.' || pat[n - 1] == '.') {
		snprintf(msg, size, "'%.64s': a wildcard is only \"*.\" followed by a name of "
		    "two labels or more (*.example.com)", pat);
		return EINVAL;
	}
	return 0;
}

static bool
label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

/*
 * Whether name[0..len) (from a certificate) matches pat (checked by tls_allow_pattern_check).
 * wild: name is a host name (CN, DNS SAN) that a "*." pattern may match.
 */
static bool
allow_match_one(const char *pat, const char *name, size_t len, bool wild)
{
	size_t plen = strlen(pat);
	const char *dot, *p;

	/* A NUL inside a certificate name is an attack on C strings: never a match. */
	if (memchr(name, '\0', len) != NULL)
		return false;
	if (plen == len && strncasecmp(pat, name, len) == 0)
		return true;
	if (pat[0] != '*' || !wild)
		return false;
	/* "*.example.com": exactly one non-empty label in front of ".example.com". */
	dot = memchr(name, '.', len);
	if (dot == NULL || dot == name)
		return false;
	for (p = name; p < dot; p++)
		if (!label_char(*p))
			return false;
	return (size_t)(name + len - dot) == plen - 1 &&
	    strncasecmp(dot, pat + 1, plen - 1) == 0;
}

static bool
allow_match_name(const char *const *allow, unsigned nallow, const char *name, size_t len,
    bool wild)
{
	unsigned i;

	for (i = 0; i < nallow; i++)
		if (allow_match_one(allow[i], name, len, wild))
			return true;
	return false;
}

bool
tls_allow_match(X509 *cert, const char *const *allow, unsigned nallow)
{
	GENERAL_NAMES *gens;
	X509_NAME *subj;
	bool found = false;
	int i, pos;

	if (cert == NULL)
		return false;
	subj = X509_get_subject_name(cert);
	pos = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
	for (; pos >= 0 && !found; pos = X509_NAME_get_index_by_NID(subj, NID_commonName, pos)) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, pos));
		unsigned char *utf8 = NULL;
		int n = ASN1_STRING_to_UTF8(&utf8, d);

		if (n >= 0) {
			found = allow_match_name(allow, nallow, (const char *)utf8, (size_t)n,
			    true);
			OPENSSL_free(utf8);
		}
	}
	gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && !found && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;
		char ip[INET6_ADDRSTRLEN];
		int len;

		if (g->type == GEN_DNS)
			s = g->d.dNSName;
		else if (g->type == GEN_URI)
			s = g->d.uniformResourceIdentifier;
		else if (g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		if (s != NULL) {
			found = allow_match_name(allow, nallow,
			    (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
			    g->type == GEN_DNS);
			continue;
		}
		if (g->type != GEN_IPADD)
			continue;
		len = ASN1_STRING_length(g->d.iPAddress);
		if ((len == 4 && inet_ntop(AF_INET, ASN1_STRING_get0_data(g->d.iPAddress), ip,
		    sizeof(ip))) || (len == 16 && inet_ntop(AF_INET6,
		    ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip))))
			found = allow_match_name(allow, nallow, ip, strlen(ip), false);
	}
	GENERAL_NAMES_free(gens);
	return found;
}

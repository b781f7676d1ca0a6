/* SPDX-License-Identifier: BSD-2-Clause */
/* Masking of secrets (SDES keys, MIKEY, k= lines, URI and key=value passwords, Basic credentials) in place. */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* Whether s[0..n) starts with the lower-case word w, case-insensitively. */
static bool
prefix_at(const char *s, size_t n, const char *w, size_t wl)
{
	return n >= wl && strncasecmp(s, w, wl) == 0;
}

static bool
is_b64(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=' || c == '-' ||
	    c == '_';
}

/* Characters that end a masked value other than a base64 key. */
static bool
is_value_end(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' ||
	    c == ';' || c == ',' || c == '&' || c == '>' || c == '\0';
}

/* Overwrites s[i..) with '*' while keep(c) holds; returns the new index. */
static size_t
mask_run(char *s, size_t len, size_t i, bool (*keep)(char), size_t *count)
{
	size_t start = i;

	while (i < len && keep(s[i]))
		s[i++] = '*';
	if (i > start)
		(*count)++;
	return i;
}

static bool
not_value_end(char c)
{
	return !is_value_end(c);
}

static bool
not_eol(char c)
{
	return c != '\r' && c != '\n' && c != '\0';
}

static bool
not_at_or_end(char c)
{
	return c != '@' && !is_value_end(c);
}

/*
 * "sip:user:password@host": the password, when an '@' closes the userinfo (a ':' after
 * the '@' is a port). i is just after "sip:" or "sips:".
 */
static size_t
mask_uri_password(char *s, size_t len, size_t i, size_t *count)
{
	size_t j = i, colon = 0;

	while (j < len && not_at_or_end(s[j])) {
		if (s[j] == ':' && colon == 0)
			colon = j;
		j++;
	}
	if (j < len && s[j] == '@' && colon != 0)
		mask_run(s, j, colon + 1, not_at_or_end, count);
	return i;
}

/* After "Authorization:" (or Proxy-): "Basic <token>" carries user:password in base64. */
static size_t
mask_basic(char *s, size_t len, size_t i, size_t *count)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (!prefix_at(s + i, len - i, "basic", 5))
		return i;
	i += 5;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return mask_run(s, len, i, is_b64, count);
}

/* key=value or key: value of a password-like key; i is after the key. */
static size_t
mask_assignment(char *s, size_t len, size_t i, size_t *count)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= len || (s[i] != '=' && s[i] != ':'))
		return i;
	i++;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && s[i] == '"') {
		i++;
		while (i < len && s[i] != '"' && not_eol(s[i]))
			s[i++] = '*';
		(*count)++;
		return i;
	}
	return mask_run(s, len, i, not_value_end, count);
}

size_t
log_mask_secrets(char *s, size_t len)
{
	size_t i, count = 0;

	for (i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)s[i]);
		size_t n = len - i;

		switch (c) {
		case 'i':
			/* SDES, RFC 4568: "inline:<key||salt>[|lifetime][|MKI:len]", keys only */
			if (prefix_at(s + i, n, "inline:", 7))
				i = mask_run(s, len, i + 7, is_b64, &count) - 1;
			break;
		case 'k':
			/* RFC 4567 "a=key-mgmt:mikey <data>": MIKEY carries keys */
			if (prefix_at(s + i, n, "key-mgmt:", 9)) {
				size_t j = i + 9;

				while (j < len && s[j] != ' ' && not_eol(s[j]))
					j++;
				if (j < len && s[j] == ' ')
					i = mask_run(s, len, j + 1, not_eol, &count) - 1;
			/* SDP "k=<method>:<key>" at the start of a line */
			} else if (n > 2 && s[i + 1] == '=' && (i == 0 || s[i - 1] == '\n')) {
				size_t j = i + 2;

				while (j < len && s[j] != ':' && not_eol(s[j]))
					j++;
				if (j < len && s[j] == ':')
					i = mask_run(s, len, j + 1, not_eol, &count) - 1;
			}
			break;
		case 's':
			if (prefix_at(s + i, n, "sip:", 4) && (i == 0 || !isalnum((unsigned char)s[i - 1])))
				i = mask_uri_password(s, len, i + 4, &count) - 1;
			else if (prefix_at(s + i, n, "sips:", 5) &&
			    (i == 0 || !isalnum((unsigned char)s[i - 1])))
				i = mask_uri_password(s, len, i + 5, &count) - 1;
			else if (prefix_at(s + i, n, "secret", 6))
				i = mask_assignment(s, len, i + 6, &count) - 1;
			break;
		case 'p':
			if (prefix_at(s + i, n, "password", 8))
				i = mask_assignment(s, len, i + 8, &count) - 1;
			else if (prefix_at(s + i, n, "passwd", 6))
				i = mask_assignment(s, len, i + 6, &count) - 1;
			break;
		case 'a':
			if (prefix_at(s + i, n, "authorization:", 14))
				i = mask_basic(s, len, i + 14, &count) - 1;
			break;
		default:
			break;
		}
	}
	return count;
}

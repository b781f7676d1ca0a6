/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzzes the configuration an operator supplies: the INI reader (conf_load_string) and
 * each daemon's table loader (sigproxy: listeners, ACLs, TLS, routes, limits, trace,
 * Sentinel lists; mediad: interfaces, ng allow-list, SRTP suites, Redis). Beyond "no
 * crash": an error names a line inside the text, and a configuration that loads prints
 * (as -t does) an effective configuration that loads again to the same result.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "mediad_config.h"
#include "route.h"
#include "sigproxy_config.h"
#include "sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_config: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

/* Lines in text: an error may name any of them, or the one after the last (end of file). */
static unsigned
text_lines(const char *text)
{
	unsigned n = 1;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* The error a loader returned names where it is and reads as one NUL-terminated line. */
static void
check_error(const struct conf_error *ce, const char *text)
{
	char buf[512];
	const char *s;

	CHECK(ce->line <= text_lines(text) + 1);
	CHECK(memchr(ce->msg, '\0', sizeof(ce->msg)) != NULL);
	CHECK(memchr(ce->key, '\0', sizeof(ce->key)) != NULL);
	CHECK(memchr(ce->section, '\0', sizeof(ce->section)) != NULL);
	s = conf_error_str(ce, buf, sizeof(buf));
	CHECK(s != NULL && strlen(s) < sizeof(buf));
}

/* Bytes of the longest line of text, its newline included. */
static size_t
longest_line(const char *text)
{
	size_t best = 0, n;

	for (; *text != '\0'; text += n) {
		n = strcspn(text, "\n");
		n += text[n] == '\n';
		if (n > best)
			best = n;
	}
	return best;
}

/* What -t prints for c (the caller frees it); NULL when the stream cannot be made. */
static char *
effective_text(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	conf_print_effective(c, f);
	CHECK(fclose(f) == 0);
	CHECK(buf != NULL && strlen(buf) == len);
	return buf;
}

/* One daemon's loader on c: 0 with what it counted in *n (listeners, interfaces), or errno. */
static int
daemon_load(unsigned which, struct conf *c, struct conf_error *ce, unsigned *n, unsigned *n2)
{
	int err;

	if (which == 0) {
		struct sp_config *sp = calloc(1, sizeof(*sp));

		CHECK(sp != NULL);
		err = sp_config_load(sp, c, ce);
		if (err == 0) {
			*n = sp->nlisteners;
			*n2 = route_table_count(sp->routes);
			sp_config_free(sp);
		}
		free(sp);
	} else {
		struct mediad_config *md = calloc(1, sizeof(*md));

		CHECK(md != NULL);
		err = mediad_config_load(md, c, ce);
		if (err == 0) {
			*n = md->niface;
			*n2 = md->nallow;
		}
		free(md);
	}
	return err;
}

/*
 * Input: byte 0 picks the loader (bit 0: sigproxy 0, mediad 1), the rest is the file
 * (up to its first NUL, as a file read as a C string would be).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct conf *c = NULL, *again = NULL;
	struct conf_error ce;
	char *text, *eff = NULL;
	unsigned which, n = 0, n2 = 0, m = 0, m2 = 0;
	int err;

	if (!init) {
		log_init("fuzz_config", LOG_LEVEL_ERR, false);
		sip_init();
		init = true;
	}
	if (size < 1 || size > 65536)
		return 0;
	which = data[0] & 1;
	text = malloc(size);
	CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memset(&ce, 0, sizeof(ce));
	err = conf_load_string(&c, "fuzz.ini", text, &ce);
	if (err) {
		CHECK(err == EBADMSG || err == EINVAL || err == ENOMEM);
		CHECK(c == NULL);
		check_error(&ce, text);
		goto out;
	}
	memset(&ce, 0, sizeof(ce));
	err = daemon_load(which, c, &ce, &n, &n2);
	/* FUZZ_CONFIG_VERBOSE=1 shows what each seed reaches. */
	if (getenv("FUZZ_CONFIG_VERBOSE") != NULL)
		fprintf(stderr, "%s: %s\n", which ? "mediad" : "sigproxy",
		    err ? conf_error_str(&ce, (char[512]){ 0 }, 512) : "loads");
	if (err) {
		check_error(&ce, text);
		goto out;
	}
	/*
	 * -t's print-out is a configuration too: it loads again, to as many of each part,
	 * unless its "  ; file:line" notes took a line past what the reader takes (a value
	 * that just fit; seed config/long_value_note).
	 */
	eff = effective_text(c);
	if (longest_line(eff) > INI_MAX_LINE - 2)
		goto out;
	memset(&ce, 0, sizeof(ce));
	if (conf_load_string(&again, "effective.ini", eff, &ce) != 0 ||
	    daemon_load(which, again, &ce, &m, &m2) != 0) {
		fprintf(stderr, "fuzz_config: the effective configuration does not load: %s\n%s",
		    conf_error_str(&ce, (char[512]){ 0 }, 512), eff);
		abort();
	}
	CHECK(m == n && m2 == n2);
 out:
	free(eff);
	conf_free(again);
	conf_free(c);
	free(text);
	return 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Routing rules: load from "[route <name>]" sections, match the user part, rewrite, pick targets. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "route.h"

/* Backtracking budget per match: a rule like ^(a+)+$ must not stall SIP on a crafted user. */
#define ROUTE_MATCH_LIMIT	100000u
#define ROUTE_DEPTH_LIMIT	10000u

struct route_table {
	struct route_rule *rules;	/* owned; each rule owns its compiled regex */
	unsigned n;
	unsigned cap;
	pcre2_match_context *mctx;	/* owned; read-only after creation */
};

int
route_table_new(struct route_table **tp)
{
	struct route_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return ENOMEM;
	t->mctx = pcre2_match_context_create(NULL);
	if (t->mctx == NULL) {
		free(t);
		return ENOMEM;
	}
	pcre2_set_match_limit(t->mctx, ROUTE_MATCH_LIMIT);
	pcre2_set_depth_limit(t->mctx, ROUTE_DEPTH_LIMIT);
	*tp = t;
	return 0;
}

void
route_table_free(struct route_table *t)
{
	unsigned i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		pcre2_code_free(t->rules[i].re);
	pcre2_match_context_free(t->mctx);
	free(t->rules);
	free(t);
}

unsigned
route_table_count(const struct route_table *t)
{
	return t->n;
}

const struct route_rule *
route_table_rule(const struct route_table *t, unsigned idx)
{
	return idx < t->n ? &t->rules[idx] : NULL;
}

static bool
host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_';
}

int
route_target_parse(const char *uri, struct route_target *out)
{
	struct route_target t;
	const char *p, *e, *q;
	bool sips = false, tp_set = false;
	unsigned long port = 0;
	size_t n;

	if (uri == NULL || strlen(uri) >= sizeof(t.uri))
		return EINVAL;
	memset(&t, 0, sizeof(t));
	snprintf(t.uri, sizeof(t.uri), "%s", uri);
	if (strncasecmp(uri, "sip:", 4) == 0) {
		p = uri + 4;
	} else if (strncasecmp(uri, "sips:", 5) == 0) {
		p = uri + 5;
		sips = true;
	} else {
		return EINVAL;
	}
	/* A user part is allowed and ignored: the rule's rewrite decides the user. */
	q = strchr(p, '@');
	if (q != NULL && q < p + strcspn(p, ";"))
		p = q + 1;
	if (*p == '[') {
		e = strchr(p, ']');
		if (e == NULL || e == p + 1)
			return EINVAL;
		n = (size_t)(e - p - 1);
		for (q = p + 1; q < e; q++)
			if (!((*q >= '0' && *q <= '9') || ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'f') ||
			    *q == ':' || *q == '.'))
				return EINVAL;
		memcpy(t.host, p + 1, n);
		p = e + 1;
	} else {
		for (e = p; host_char_ok(*e); e++)
			;
		n = (size_t)(e - p);
		if (n == 0 || n >= sizeof(t.host))
			return EINVAL;
		memcpy(t.host, p, n);
		p = e;
	}
	if (*p == ':') {
		char *end;

		p++;
		if (*p < '0' || *p > '9')
			return EINVAL;
		port = strtoul(p, &end, 10);
		if (port == 0 || port > 65535)
			return EINVAL;
		p = end;
	}
	t.transport = sips ? TP_TLS : TP_UDP;
	while (*p == ';') {
		size_t plen;

		p++;
		plen = strcspn(p, ";");
		if (plen >= 10 && strncasecmp(p, "transport=", 10) == 0) {
			char tp[8];

			if (plen - 10 >= sizeof(tp))
				return EINVAL;
			memcpy(tp, p + 10, plen - 10);
			tp[plen - 10] = '\0';
			if (tp_proto_parse(tp, &t.transport) != 0)
				return EINVAL;
			tp_set = true;
		} else if (plen >= 9 && strncasecmp(p, "tls_peer=", 9) == 0) {
			/* Ours, not SIP's: names a [tls_peer <name>]; never sent in a URI. */
			if (plen - 9 == 0 || plen - 9 >= sizeof(t.tls_peer))
				return EINVAL;
			memcpy(t.tls_peer, p + 9, plen - 9);
			t.tls_peer[plen - 9] = '\0';
		} else if (plen == 0) {
			return EINVAL;
		}
		p += plen;
	}
	if (*p != '\0')
		return EINVAL;
	if (sips && tp_set && t.transport != TP_TLS)
		return EINVAL;
	t.port = port != 0 ? (uint16_t)port :
	    (t.transport == TP_TLS ? 5061 : 5060);
	*out = t;
	return 0;
}

/*
 * A configured target: parsed, and with a numeric host (targets are sent to as they
 * are; there is no DNS). Returns 0 or EINVAL with the reason in msg.
 */
static int
target_check(const char *uri, struct route_target *t, char *msg, size_t size)
{
	struct sa ip;

	if (route_target_parse(uri, t) != 0) {
		snprintf(msg, size, "cannot parse \"%.120s\" "
		    "(want sip:host[:port][;transport=udp|tcp|tls])", uri ? uri : "");
		return EINVAL;
	}
	if (t->tls_peer[0] != '\0' && t->transport != TP_TLS) {
		snprintf(msg, size, "\"%.120s\": tls_peer only on a TLS target (sips: or "
		    ";transport=tls)", uri);
		return EINVAL;
	}
	if (sa_parse_ip(&ip, t->host, strlen(t->host), t->port) != 0) {
		snprintf(msg, size, "\"%.120s\" names host \"%.64s\": only numeric addresses "
		    "work (no DNS)", uri, t->host);
		return EINVAL;
	}
	return 0;
}

/* "5xx,408,6xx" into the bitmap; EINVAL on anything else. */
static int
failover_parse(const char *s, uint8_t *bits)
{
	const char *p = s;

	memset(bits, 0, 75);
	while (*p != '\0') {
		char tok[8];
		size_t n;
		int lo, hi, c;

		p += strspn(p, " \t");
		n = strcspn(p, ", \t");
		if (n == 0 || n >= sizeof(tok))
			return EINVAL;
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (n == 3 && tok[0] >= '1' && tok[0] <= '6' && (tok[1] | 0x20) == 'x' &&
		    (tok[2] | 0x20) == 'x') {
			lo = (tok[0] - '0') * 100;
			hi = lo + 99;
		} else if (n == 3 && tok[0] >= '1' && tok[0] <= '6' &&
		    tok[1] >= '0' && tok[1] <= '9' && tok[2] >= '0' && tok[2] <= '9') {
			lo = hi = atoi(tok);
		} else {
			return EINVAL;
		}
		for (c = lo; c <= hi; c++)
			bits[(c - 100) / 8] |= (uint8_t)(1u << ((c - 100) % 8));
		p += n;
		p += strspn(p, " \t");
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return EINVAL;
	}
	return 0;
}

bool
route_failover_on(const struct route_rule *r, int status)
{
	if (status < 100 || status > 699)
		return false;
	return (r->failover[(status - 100) / 8] >> ((status - 100) % 8)) & 1;
}

/* Checks a rewrite template against the pattern's capture count. */
static const char *
rewrite_check(const char *tpl, uint32_t ncaptures)
{
	const char *p;

	for (p = tpl; *p != '\0'; p++) {
		if (*p != '$')
			continue;
		p++;
		if (*p == '$')
			continue;
		if (*p < '0' || *p > '9')
			return "'$' must be followed by a digit or '$'";
		if ((uint32_t)(*p - '0') > ncaptures)
			return "refers to a capture group the pattern does not have";
	}
	return NULL;
}

/*
 * Fills and compiles one rule; on EINVAL *badkey names the key at fault and errbuf
 * says why. The rule owns its regex only on success.
 */
static int
rule_build(struct route_rule *r, const struct route_rule_spec *spec, const char **badkey,
    char *errbuf, size_t errsize)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	uint32_t ncap = 0;
	const char *why;
	pcre2_code *re;
	unsigned i;
	int code;

	memset(r, 0, sizeof(*r));
	*badkey = "match";
	if (spec->name == NULL || spec->name[0] == '\0' || strlen(spec->name) >= sizeof(r->name)) {
		*badkey = "name";
		snprintf(errbuf, errsize, "route name empty or too long");
		return EINVAL;
	}
	snprintf(r->name, sizeof(r->name), "%s", spec->name);
	if (spec->match == NULL || spec->match[0] == '\0') {
		snprintf(errbuf, errsize, "match: missing pattern");
		return EINVAL;
	}
	if (strlen(spec->match) >= sizeof(r->match)) {
		snprintf(errbuf, errsize, "match: pattern longer than %zu bytes",
		    sizeof(r->match) - 1);
		return EINVAL;
	}
	snprintf(r->match, sizeof(r->match), "%s", spec->match);
	if (spec->listener != NULL) {
		*badkey = "listener";
		if (strlen(spec->listener) >= sizeof(r->listener)) {
			snprintf(errbuf, errsize, "listener: name too long");
			return EINVAL;
		}
		snprintf(r->listener, sizeof(r->listener), "%s", spec->listener);
	}
	*badkey = "target";
	if (spec->ntargets == 0 || spec->ntargets > ROUTE_TARGETS_MAX) {
		snprintf(errbuf, errsize, "target: %u targets, need 1 to %u", spec->ntargets,
		    ROUTE_TARGETS_MAX);
		return EINVAL;
	}
	for (i = 0; i < spec->ntargets; i++) {
		char tmsg[256];

		if (target_check(spec->targets[i], &r->targets[i], tmsg, sizeof(tmsg)) != 0) {
			snprintf(errbuf, errsize, "target: %s", tmsg);
			return EINVAL;
		}
	}
	r->ntargets = spec->ntargets;
	r->max_calls = spec->max_calls;
	r->max_cps = spec->max_cps;
	r->target_max_calls = spec->target_max_calls;
	r->target_max_cps = spec->target_max_cps;
	*badkey = "timeout_ms";
	r->timeout_ms = spec->timeout_ms != 0 ? spec->timeout_ms : ROUTE_TIMEOUT_DEFAULT_MS;
	if (r->timeout_ms < 50 || r->timeout_ms > 120000) {
		snprintf(errbuf, errsize, "timeout_ms: %u out of 50..120000", r->timeout_ms);
		return EINVAL;
	}
	*badkey = "answer_timeout_ms";
	r->answer_timeout_ms = spec->answer_timeout_ms != 0 ? spec->answer_timeout_ms :
	    ROUTE_ANSWER_TIMEOUT_DEFAULT_MS;
	if (r->answer_timeout_ms < 100 || r->answer_timeout_ms > 3600000) {
		snprintf(errbuf, errsize, "answer_timeout_ms: %u out of 100..3600000",
		    r->answer_timeout_ms);
		return EINVAL;
	}
	*badkey = "timer_c_ms";
	r->timer_c_ms = spec->timer_c_ms != 0 ? spec->timer_c_ms : ROUTE_TIMER_C_DEFAULT_MS;
	if (r->timer_c_ms < 1000 || r->timer_c_ms > 3600000) {
		snprintf(errbuf, errsize, "timer_c_ms: %u out of 1000..3600000", r->timer_c_ms);
		return EINVAL;
	}
	*badkey = "probe";
	if (spec->probe > ROUTE_PROBE_YES || spec->probe_up_on > ROUTE_UP_ON_ANY) {
		snprintf(errbuf, errsize, "probe: unknown value");
		return EINVAL;
	}
	r->probe = spec->probe;
	r->probe_up_on = spec->probe_up_on;
	*badkey = "failover_on";
	if (failover_parse(spec->failover_on != NULL ? spec->failover_on :
	    ROUTE_FAILOVER_DEFAULT, r->failover) != 0) {
		snprintf(errbuf, errsize, "failover_on: want a list like \"5xx,408\"");
		return EINVAL;
	}
	*badkey = "match";
	re = pcre2_compile((PCRE2_SPTR)spec->match, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		snprintf(errbuf, errsize, "match: %s at offset %zu", (const char *)msg,
		    (size_t)off);
		return EINVAL;
	}
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ncap);
	if (spec->rewrite != NULL) {
		*badkey = "rewrite";
		why = rewrite_check(spec->rewrite, ncap);
		if (why == NULL && strlen(spec->rewrite) >= sizeof(r->rewrite))
			why = "template too long";
		if (why != NULL) {
			snprintf(errbuf, errsize, "rewrite: %s", why);
			pcre2_code_free(re);
			return EINVAL;
		}
		snprintf(r->rewrite, sizeof(r->rewrite), "%s", spec->rewrite);
		r->has_rewrite = true;
	}
	r->re = re;
	return 0;
}

static int
table_append(struct route_table *t, const struct route_rule_spec *spec, const char **badkey,
    char *errbuf, size_t errsize)
{
	struct route_rule r;
	int err;

	err = rule_build(&r, spec, badkey, errbuf, errsize);
	if (err)
		return err;
	if (t->n == t->cap) {
		unsigned cap = t->cap != 0 ? t->cap * 2 : 8;
		struct route_rule *n = reallocarray(t->rules, cap, sizeof(*n));

		if (n == NULL) {
			pcre2_code_free(r.re);
			return ENOMEM;
		}
		t->rules = n;
		t->cap = cap;
	}
	r.index = t->n;
	t->rules[t->n++] = r;
	return 0;
}

int
route_table_add(struct route_table *t, const struct route_rule_spec *spec,
    char *errbuf, size_t errsize)
{
	const char *badkey;
	char dummy[8];

	if (errbuf == NULL || errsize == 0) {
		errbuf = dummy;
		errsize = sizeof(dummy);
	}
	return table_append(t, spec, &badkey, errbuf, errsize);
}

/* A [route <name>] section as read: the rule's spec, strings borrowed from the conf. */
struct route_section {
	struct route_rule_spec spec;
	const char *targets[ROUTE_TARGETS_MAX];
};

/* target: one per line, in failover order; each checked here for the error's line. */
static int
target_add(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	struct route_section *rs = field;
	struct route_target t;
	int err;

	err = target_check(value, &t, msg, size);
	if (err)
		return err;
	rs->targets[rs->spec.ntargets++] = value;
	return 0;
}

#define RS(field) CONF_FIELD(struct route_section, field)

/* Index = enum route_probe, enum route_up_on. */
static const char *const probe_names[] = { "inherit", "no", "yes", NULL };
static const char *const up_on_names[] = { "inherit", "200", "any", NULL };

const struct conf_key route_conf_keys[] = {
	{ "route", "match", CONF_TYPE_STRP, NULL, 0, 0, RS(spec.match), NULL, CONF_NAMED, NULL },
	{ "route", "listener", CONF_TYPE_STRP, NULL, 0, 0, RS(spec.listener), NULL, CONF_NAMED,
	  NULL },
	{ "route", "rewrite", CONF_TYPE_STRP, NULL, 0, 0, RS(spec.rewrite), NULL, CONF_NAMED,
	  NULL },
	/* "3000": ROUTE_TIMEOUT_DEFAULT_MS as the file would say it. */
	{ "route", "timeout_ms", CONF_TYPE_INT, "3000", 50, 120000, RS(spec.timeout_ms), NULL,
	  CONF_NAMED, NULL },
	{ "route", "failover_on", CONF_TYPE_STRP, ROUTE_FAILOVER_DEFAULT, 0, 0,
	  RS(spec.failover_on), NULL, CONF_NAMED, NULL },
	{ "route", "target", CONF_TYPE_LIST, NULL, 0, ROUTE_TARGETS_MAX, 0,
	  sizeof(struct route_section), NULL, CONF_NAMED, target_add },
	/* The ROUTE_*_DEFAULT_MS values as the file would say them. */
	{ "route", "answer_timeout_ms", CONF_TYPE_INT, "30000", 100, 3600000,
	  RS(spec.answer_timeout_ms), NULL, CONF_NAMED, NULL },
	{ "route", "timer_c_ms", CONF_TYPE_INT, "180000", 1000, 3600000, RS(spec.timer_c_ms), NULL,
	  CONF_NAMED, NULL },
	{ "route", "probe", CONF_TYPE_ENUM, "inherit", 0, 0, RS(spec.probe), probe_names,
	  CONF_NAMED, NULL },
	{ "route", "probe_up_on", CONF_TYPE_ENUM, "inherit", 0, 0, RS(spec.probe_up_on),
	  up_on_names, CONF_NAMED, NULL },
	/* Call admission: 0 is no limit (the backends' capacity is the operator's to know). */
	{ "route", "max_calls", CONF_TYPE_INT, "0", 0, 1000000, RS(spec.max_calls), NULL,
	  CONF_NAMED, NULL },
	{ "route", "max_cps", CONF_TYPE_INT, "0", 0, 100000, RS(spec.max_cps), NULL, CONF_NAMED,
	  NULL },
	{ "route", "target_max_calls", CONF_TYPE_INT, "0", 0, 1000000, RS(spec.target_max_calls),
	  NULL, CONF_NAMED, NULL },
	{ "route", "target_max_cps", CONF_TYPE_INT, "0", 0, 100000, RS(spec.target_max_cps), NULL,
	  CONF_NAMED, NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

/* Section names collected in file order (the conf callback cannot fail). */
struct section_list {
	char **names;
	unsigned n;
	unsigned cap;
	bool oom;
};

static void
section_collect(const char *section, void *arg)
{
	struct section_list *l = arg;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		unsigned cap = l->cap != 0 ? l->cap * 2 : 8;
		char **n = reallocarray(l->names, cap, sizeof(*n));

		if (n == NULL) {
			l->oom = true;
			return;
		}
		l->names = n;
		l->cap = cap;
	}
	l->names[l->n] = strdup(section);
	if (l->names[l->n] == NULL)
		l->oom = true;
	else
		l->n++;
}

static int
load_section(struct route_table *t, struct conf *c, const char *sec, struct conf_error *err)
{
	struct route_section rs;
	const char *badkey;
	char why[256];
	int rc;

	memset(&rs, 0, sizeof(rs));
	rs.spec.name = sec + strlen("route ");
	while (*rs.spec.name == ' ')
		rs.spec.name++;
	rs.spec.targets = rs.targets;
	rc = conf_apply(c, route_conf_keys, sec, &rs, NULL, err);
	if (rc)
		return rc;
	if (rs.spec.match == NULL)
		return conf_error_set(c, sec, "match", err, "missing: every route needs a pattern");
	if (rs.spec.listener != NULL && rs.spec.listener[0] == '\0')
		rs.spec.listener = NULL;
	rc = table_append(t, &rs.spec, &badkey, why, sizeof(why));
	if (rc == EINVAL) {
		const char *msg = why;
		size_t klen = strlen(badkey);

		/* The error already names the key: drop our own "key: " prefix. */
		if (strncmp(msg, badkey, klen) == 0 && strncmp(msg + klen, ": ", 2) == 0)
			msg += klen + 2;
		return conf_error_set(c, sec, badkey, err, "%s", msg);
	}
	return rc;
}

int
route_table_load(struct route_table **tp, struct conf *c, struct conf_error *err)
{
	struct section_list l = { NULL, 0, 0, false };
	struct route_table *t = NULL;
	unsigned i;
	int rc;

	rc = route_table_new(&t);
	if (rc)
		return rc;
	conf_foreach_section(c, "route ", section_collect, &l);
	if (l.oom) {
		rc = ENOMEM;
		goto out;
	}
	for (i = 0; i < l.n && rc == 0; i++)
		rc = load_section(t, c, l.names[i], err);
 out:
	for (i = 0; i < l.n; i++)
		free(l.names[i]);
	free(l.names);
	if (rc)
		route_table_free(t);
	else
		*tp = t;
	return rc;
}

/*
 * Expands tpl with the captures of subject into out (NULL: only measure); returns
 * the length of the result, without the NUL.
 */
static size_t
rewrite_expand(const char *tpl, const char *subject, const PCRE2_SIZE *ov, int ngroups,
    char *out)
{
	size_t o = 0, n;
	const char *p;

	for (p = tpl; *p != '\0'; p++) {
		const char *src = p;

		n = 1;
		if (*p == '$' && p[1] != '\0') {
			p++;
			if (*p == '$') {
				src = p;
			} else {
				int g = *p >= '0' && *p <= '9' ? *p - '0' : INT32_MAX;

				/* Unset or unmatched groups expand to nothing. */
				if (g >= ngroups || ov[2 * g] == PCRE2_UNSET) {
					n = 0;
				} else {
					src = subject + ov[2 * g];
					n = ov[2 * g + 1] - ov[2 * g];
				}
			}
		}
		if (out != NULL)
			memcpy(out + o, src, n);
		o += n;
	}
	if (out != NULL)
		out[o] = '\0';
	return o;
}

int
route_match(const struct route_table *t, const char *user, size_t user_len,
    const char *listener, const struct route_rule **rulep, char *user_out,
    size_t user_size)
{
	pcre2_match_data *md;
	unsigned i;
	int rc;

	if (user_size == 0)
		return ENOSPC;
	for (i = 0; i < t->n; i++) {
		const struct route_rule *r = &t->rules[i];
		int err;

		if (r->listener[0] != '\0' && (listener == NULL || strcmp(r->listener, listener) != 0))
			continue;
		md = pcre2_match_data_create_from_pattern(r->re, NULL);
		if (md == NULL)
			return ENOMEM;
		rc = pcre2_match(r->re, (PCRE2_SPTR)user, user_len, 0, 0, md, t->mctx);
		if (rc < 0) {
			pcre2_match_data_free(md);
			/* PCRE2_ERROR_NOMATCH, or a match limit hit: neither routes the call. */
			continue;
		}
		if (r->has_rewrite) {
			const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			int ng = (int)pcre2_get_ovector_count(md);

			/* Measure first: user_out is left alone unless the result fits. */
			err = 0;
			if (rewrite_expand(r->rewrite, user, ov, ng, NULL) >= user_size)
				err = ENOSPC;
			else
				rewrite_expand(r->rewrite, user, ov, ng, user_out);
		} else if (user_len >= user_size) {
			err = ENOSPC;
		} else {
			memcpy(user_out, user, user_len);
			user_out[user_len] = '\0';
			err = 0;
		}
		pcre2_match_data_free(md);
		if (err)
			return err;
		*rulep = r;
		return 0;
	}
	return ENOENT;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad's configuration: [mediad], [interface <name>], [srtp], [redis], validated whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mediad_config.h"

#define GET_INT(sec, key, def, lo, hi, dst) do {				\
	int64_t v_;								\
	err = conf_get_int(c, sec, key, def, lo, hi, &v_, e);			\
	if (err)								\
		goto out;							\
	(dst) = v_;								\
} while (0)

/* Splits a value on commas and blanks; calls fn per word. Stops at the first error. */
typedef int (word_h)(const char *w, size_t len, void *arg);

static int
for_each_word(const char *s, word_h *fn, void *arg)
{
	while (*s != '\0') {
		size_t n;
		int err;

		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, ", \t");
		if (n == 0)
			break;
		err = fn(s, n, arg);
		if (err)
			return err;
		s += n;
	}
	return 0;
}

struct allow_ctx {
	struct mediad_config *cfg;
	char bad[128];
};

static int
allow_word(const char *w, size_t len, void *arg)
{
	struct allow_ctx *ctx = arg;
	char tmp[128];

	if (len >= sizeof(tmp) || ctx->cfg->nallow >= MEDIAD_MAX_ALLOW) {
		snprintf(ctx->bad, sizeof(ctx->bad), "%s", len >= sizeof(tmp) ? "entry too long" :
		    "too many entries");
		return EINVAL;
	}
	memcpy(tmp, w, len);
	tmp[len] = '\0';
	if (sa_net_parse(&ctx->cfg->allow[ctx->cfg->nallow], tmp)) {
		snprintf(ctx->bad, sizeof(ctx->bad), "'%.64s' is not an address or CIDR", tmp);
		return EINVAL;
	}
	ctx->cfg->nallow++;
	return 0;
}

struct suite_ctx {
	enum crypto_suite *list;   /* NULL: only build the mask */
	unsigned *n;
	unsigned mask;
	char bad[96];
};

static int
suite_word(const char *w, size_t len, void *arg)
{
	struct suite_ctx *ctx = arg;
	enum crypto_suite s = crypto_suite_from_name(w, len);

	if (s == CRYPTO_SUITE_NONE) {
		snprintf(ctx->bad, sizeof(ctx->bad), "unknown suite '%.*s'",
		    (int)(len > 64 ? 64 : len), w);
		return EINVAL;
	}
	if (ctx->mask & (1u << s))
		return 0;
	ctx->mask |= 1u << s;
	if (ctx->list != NULL)
		ctx->list[(*ctx->n)++] = s;
	return 0;
}

struct iface_ctx {
	struct mediad_config *cfg;
	struct conf *c;
	struct conf_error *e;
	int err;
};

static void
iface_section(const char *section, void *arg)
{
	struct iface_ctx *ctx = arg;
	struct mediad_config *cfg = ctx->cfg;
	struct conf *c = ctx->c;
	struct conf_error *e = ctx->e;
	struct mediad_iface *ifc;
	const char *name = section + strlen("interface ");
	const char *s;
	int64_t lo, hi;
	int err;

	if (ctx->err)
		return;
	while (*name == ' ')
		name++;
	if (cfg->niface >= MEDIAD_MAX_IFACES) {
		ctx->err = conf_error_set(c, section, "address", e, "more than %d interfaces",
		    MEDIAD_MAX_IFACES);
		return;
	}
	if (*name == '\0' || strlen(name) >= MEDIAD_IFNAME_MAX) {
		ctx->err = conf_error_set(c, section, "address", e,
		    "interface name must be 1-%d characters", MEDIAD_IFNAME_MAX - 1);
		return;
	}
	if (mediad_config_iface(cfg, name, strlen(name)) != NULL) {
		ctx->err = conf_error_set(c, section, "address", e, "duplicate interface '%s'", name);
		return;
	}
	ifc = &cfg->ifaces[cfg->niface];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);

	err = conf_get_str(c, section, "address", NULL, &s, e);
	if (err)
		goto out;
	if (s == NULL) {
		err = conf_error_set(c, section, "address", e, "missing (the local media address)");
		goto out;
	}
	if (sa_parse(&ifc->addr, s, 0) || sa_port(&ifc->addr) != 0 || sa_is_any(&ifc->addr)) {
		err = conf_error_set(c, section, "address", e,
		    "'%s' is not a numeric, non-wildcard address without port", s);
		goto out;
	}
	err = conf_get_str(c, section, "advertised", NULL, &s, e);
	if (err)
		goto out;
	if (s == NULL) {
		ifc->advertised = ifc->addr;
	} else if (sa_parse(&ifc->advertised, s, 0) || sa_port(&ifc->advertised) != 0) {
		err = conf_error_set(c, section, "advertised", e,
		    "'%s' is not a numeric address without port", s);
		goto out;
	}
	err = conf_get_int(c, section, "port_min", 30000, 1024, 65534, &lo, e);
	if (err)
		goto out;
	err = conf_get_int(c, section, "port_max", 39999, 1025, 65535, &hi, e);
	if (err)
		goto out;
	if (hi < ((lo + 1) & ~1) + 1) {
		err = conf_error_set(c, section, "port_max", e,
		    "range %lld-%lld holds no even/odd pair", (long long)lo, (long long)hi);
		goto out;
	}
	ifc->port_min = (uint16_t)lo;
	ifc->port_max = (uint16_t)hi;
	cfg->niface++;
 out:
	if (err)
		ctx->err = err;
}

struct mediad_iface *
mediad_config_iface(struct mediad_config *cfg, const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < cfg->niface; i++)
		if (strlen(cfg->ifaces[i].name) == len && memcmp(cfg->ifaces[i].name, name, len) == 0)
			return &cfg->ifaces[i];
	return NULL;
}

static int
copy_str(struct conf *c, const char *sec, const char *key, const char *def,
    char *dst, size_t size, struct conf_error *e)
{
	const char *s;
	int err;

	err = conf_get_str(c, sec, key, def, &s, e);
	if (err)
		return err;
	if (s == NULL) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(s) >= size)
		return conf_error_set(c, sec, key, e, "longer than %zu bytes", size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int
mediad_config_load(struct mediad_config *out, struct conf *c, struct conf_error *e)
{
	static const char *const levels[] = { "err", "warn", "info", "debug", NULL };
	struct mediad_config *cfg;
	struct iface_ctx ictx;
	struct allow_ctx actx;
	struct suite_ctx sctx;
	const char *vals[MEDIAD_MAX_ALLOW];
	const char *s;
	char host[128];
	unsigned n, i, lvl;
	bool b;
	int err;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return ENOMEM;

	/* [mediad] */
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "mediad");
	host[sizeof(host) - 1] = '\0';
	err = copy_str(c, "mediad", "id", host, cfg->id, sizeof(cfg->id), e);
	if (err)
		goto out;
	if (cfg->id[0] == '\0' || strpbrk(cfg->id, " \t:") != NULL) {
		err = conf_error_set(c, "mediad", "id", e, "must be non-empty, without blanks or ':'");
		goto out;
	}
	err = conf_get_str(c, "mediad", "ng_listen", "127.0.0.1:2223", &s, e);
	if (err)
		goto out;
	if (sa_parse(&cfg->ng_listen, s, 2223)) {
		err = conf_error_set(c, "mediad", "ng_listen", e, "'%s' is not a numeric address", s);
		goto out;
	}
	n = conf_get_all(c, "mediad", "ng_allow", vals, MEDIAD_MAX_ALLOW);
	memset(&actx, 0, sizeof(actx));
	actx.cfg = cfg;
	if (n == 0) {
		/* Default: loopback only, which is what a co-located sigproxy needs. */
		err = conf_get_str(c, "mediad", "ng_allow", "127.0.0.0/8, ::1", &s, e);
		if (err)
			goto out;
		vals[0] = s;
		n = 1;
	} else if (n > MEDIAD_MAX_ALLOW) {
		err = conf_error_set(c, "mediad", "ng_allow", e, "more than %d ng_allow lines",
		    MEDIAD_MAX_ALLOW);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (for_each_word(vals[i], allow_word, &actx)) {
			err = conf_error_set(c, "mediad", "ng_allow", e, "%s", actx.bad);
			goto out;
		}
	}
	if (cfg->nallow == 0) {
		err = conf_error_set(c, "mediad", "ng_allow", e, "empty: nobody could control mediad");
		goto out;
	}
	GET_INT("mediad", "workers", 2, 1, 64, cfg->workers);
	err = conf_get_enum(c, "mediad", "log_level", levels, LOG_LEVEL_INFO, &lvl, e);
	if (err)
		goto out;
	cfg->log_level = (enum log_level)lvl;
	err = copy_str(c, "mediad", "metrics_listen", "", cfg->metrics_listen,
	    sizeof(cfg->metrics_listen), e);
	if (err)
		goto out;
	if (cfg->metrics_listen[0] != '\0') {
		struct sa tmp;

		if (sa_parse(&tmp, cfg->metrics_listen, 0)) {
			err = conf_error_set(c, "mediad", "metrics_listen", e,
			    "'%s' is not a numeric address:port", cfg->metrics_listen);
			goto out;
		}
	}
	GET_INT("mediad", "max_sessions", 0, 0, 1000000, cfg->max_sessions);
	GET_INT("mediad", "delete_delay", 0, 0, 3600, cfg->delete_delay_s);
	GET_INT("mediad", "offer_timeout", 3600, 1, 86400, cfg->offer_timeout_s);
	GET_INT("mediad", "media_timeout", 60, 0, 86400, cfg->media_timeout_s);
	GET_INT("mediad", "silent_timeout", 3600, 0, 86400, cfg->silent_timeout_s);
	GET_INT("mediad", "cookie_ttl", 45, 30, 600, cfg->cookie_ttl_s);

	/* [interface <name>] */
	memset(&ictx, 0, sizeof(ictx));
	ictx.cfg = cfg;
	ictx.c = c;
	ictx.e = e;
	conf_foreach_section(c, "interface ", iface_section, &ictx);
	err = ictx.err;
	if (err)
		goto out;
	if (cfg->niface == 0) {
		err = conf_error_set(c, "interface", "address", e,
		    "no [interface <name>] section: mediad needs at least one");
		goto out;
	}

	/* [srtp] */
	memset(&sctx, 0, sizeof(sctx));
	sctx.list = cfg->offer_suites;
	sctx.n = &cfg->noffer_suites;
	err = conf_get_str(c, "srtp", "offer_suites",
	    "AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32", &s, e);
	if (err)
		goto out;
	if (for_each_word(s, suite_word, &sctx) || cfg->noffer_suites == 0) {
		err = conf_error_set(c, "srtp", "offer_suites", e, "%s",
		    sctx.bad[0] ? sctx.bad : "empty");
		goto out;
	}
	memset(&sctx, 0, sizeof(sctx));
	err = conf_get_str(c, "srtp", "allowed_suites",
	    "AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AEAD_AES_128_GCM "
	    "AEAD_AES_256_GCM AES_256_CM_HMAC_SHA1_80", &s, e);
	if (err)
		goto out;
	if (for_each_word(s, suite_word, &sctx) || sctx.mask == 0) {
		err = conf_error_set(c, "srtp", "allowed_suites", e, "%s",
		    sctx.bad[0] ? sctx.bad : "empty");
		goto out;
	}
	cfg->allowed_suites = sctx.mask;
	for (i = 0; i < cfg->noffer_suites; i++) {
		if (!(cfg->allowed_suites & (1u << cfg->offer_suites[i]))) {
			err = conf_error_set(c, "srtp", "offer_suites", e,
			    "%s is offered but not in allowed_suites",
			    crypto_suite_name(cfg->offer_suites[i]));
			goto out;
		}
	}

	/* [redis] */
	err = conf_get_bool(c, "redis", "enabled", true, &b, e);
	if (err)
		goto out;
	cfg->redis_enabled = b;
	err = copy_str(c, "redis", "host", "127.0.0.1", cfg->redis_host, sizeof(cfg->redis_host), e);
	if (err)
		goto out;
	GET_INT("redis", "port", 6379, 1, 65535, cfg->redis_port);
	err = copy_str(c, "redis", "unix_socket", "", cfg->redis_unix, sizeof(cfg->redis_unix), e);
	if (err)
		goto out;
	err = copy_str(c, "redis", "password", "", cfg->redis_password,
	    sizeof(cfg->redis_password), e);
	if (err)
		goto out;
	GET_INT("redis", "db", 0, 0, 1000, cfg->redis_db);
	GET_INT("redis", "media_ttl", 86400, 10, 30 * 86400, cfg->media_ttl_s);
	GET_INT("redis", "registration_ttl", 10, 2, 3600, cfg->reg_ttl_s);
	GET_INT("redis", "registration_interval_ms", 2000, 100, 600000, cfg->reg_interval_ms);
	if ((uint64_t)cfg->reg_interval_ms >= (uint64_t)cfg->reg_ttl_s * 1000u) {
		err = conf_error_set(c, "redis", "registration_interval_ms", e,
		    "must be shorter than registration_ttl (%u s) or the key lapses", cfg->reg_ttl_s);
		goto out;
	}
 out:
	if (!err)
		*out = *cfg;
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	return err;
}

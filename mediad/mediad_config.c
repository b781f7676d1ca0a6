/* SPDX-License-Identifier: BSD-2-Clause */
/* mediad's configuration: the table of [mediad], [interface <name>], [srtp] and [redis]
 * keys, and the checks between keys; the file is validated whole. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mediad_config.h"

/* Splits a value on commas and blanks; calls fn per word. Stops at the first error. */
typedef int (word_h)(const char *w, size_t len, void *arg, char *msg, size_t size);

static int
for_each_word(const char *s, word_h *fn, void *arg, char *msg, size_t size)
{
	while (s != NULL && *s != '\0') {
		size_t n;
		int err;

		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, ", \t");
		if (n == 0)
			break;
		err = fn(s, n, arg, msg, size);
		if (err)
			return err;
		s += n;
	}
	return 0;
}

static int
allow_word(const char *w, size_t len, void *arg, char *msg, size_t size)
{
	struct mediad_config *cfg = arg;
	char tmp[128];

	if (len >= sizeof(tmp) || cfg->nallow >= MEDIAD_MAX_ALLOW) {
		snprintf(msg, size, "%s", len >= sizeof(tmp) ? "entry too long" : "too many entries");
		return EINVAL;
	}
	memcpy(tmp, w, len);
	tmp[len] = '\0';
	if (sa_net_parse(&cfg->allow[cfg->nallow], tmp)) {
		snprintf(msg, size, "'%.64s' is not an address or CIDR", tmp);
		return EINVAL;
	}
	cfg->nallow++;
	return 0;
}

/* ng_allow: each line is a list of networks; lines add up. */
static int
allow_line(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	return for_each_word(value, allow_word, arg, msg, size);
}

struct suite_ctx {
	enum crypto_suite *list;   /* NULL: only build the mask */
	unsigned *n;
	unsigned mask;
};

static int
suite_word(const char *w, size_t len, void *arg, char *msg, size_t size)
{
	struct suite_ctx *ctx = arg;
	enum crypto_suite s = crypto_suite_from_name(w, len);

	if (s == CRYPTO_SUITE_NONE) {
		snprintf(msg, size, "unknown suite '%.*s'", (int)(len > 64 ? 64 : len), w);
		return EINVAL;
	}
	if (ctx->mask & (1u << s))
		return 0;
	ctx->mask |= 1u << s;
	if (ctx->list != NULL)
		ctx->list[(*ctx->n)++] = s;
	return 0;
}

static int
offer_suites_set(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct mediad_config *cfg = arg;
	struct suite_ctx sctx = { cfg->offer_suites, &cfg->noffer_suites, 0 };
	int err;

	cfg->noffer_suites = 0;
	err = for_each_word(value, suite_word, &sctx, msg, size);
	if (err == 0 && cfg->noffer_suites == 0) {
		snprintf(msg, size, "empty");
		err = EINVAL;
	}
	return err;
}

static int
allowed_suites_set(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct mediad_config *cfg = arg;
	struct suite_ctx sctx = { NULL, NULL, 0 };
	int err;

	err = for_each_word(value, suite_word, &sctx, msg, size);
	if (err == 0 && sctx.mask == 0) {
		snprintf(msg, size, "empty");
		err = EINVAL;
	}
	if (err == 0)
		cfg->allowed_suites = sctx.mask;
	return err;
}

/* id: defaults to the host name; it is part of Redis keys and "id:..." strings. */
static int
id_check(const struct conf_key *k, const char *value, void *field, void *arg, char *msg,
    size_t size)
{
	char *id = field;

	if (value == NULL && gethostname(id, k->size) != 0)
		snprintf(id, k->size, "mediad");
	id[k->size - 1] = '\0';
	if (id[0] == '\0' || strpbrk(id, " \t:") != NULL) {
		snprintf(msg, size, "must be non-empty, without blanks or ':'");
		return EINVAL;
	}
	return 0;
}

/* advertised: what SDP shows (1:1 NAT); absent, the interface's own address. */
static int
advertised_default(const struct conf_key *k, const char *value, void *field, void *arg,
    char *msg, size_t size)
{
	struct mediad_iface *ifc = arg;

	if (value == NULL)
		ifc->advertised = ifc->addr;
	return 0;
}

static const char *const log_levels[] = { "err", "warn", "info", "debug", NULL };
/* In the order of enum relay_io_style (relay.h). */
static const char *const io_styles[] = { "auto", "sockets", "batched", "xdp", NULL };
/* enum mediad_encryption order. */
static const char *const encryption_names[] = { "off", "optional", "required", NULL };

const char *
mediad_encryption_name(enum mediad_encryption e)
{
	return (unsigned)e < 3 ? encryption_names[e] : "?";
}

#define MD(field) CONF_FIELD(struct mediad_config, field)
#define IF(field) CONF_FIELD(struct mediad_iface, field)

/* Every key mediad knows. [mediad], [srtp], [redis] fill struct mediad_config (hooks get
 * it as arg), each [interface <name>] one struct mediad_iface (arg: the same). */
static const struct conf_key mediad_conf_keys[] = {
	{ "mediad", "id", CONF_TYPE_STR, NULL, 0, 0, MD(id), NULL, 0, id_check },
	{ "mediad", "ng_listen", CONF_TYPE_ADDR, "127.0.0.1:2223", 2223, 0, MD(ng_listen), NULL,
	  CONF_LOCAL, NULL },
	/* Default: loopback only, which is what a co-located sigproxy needs. */
	{ "mediad", "ng_allow", CONF_TYPE_LIST, "127.0.0.0/8, ::1", 0, MEDIAD_MAX_ALLOW, 0, 0,
	  NULL, 0, allow_line },
	{ "mediad", "workers", CONF_TYPE_INT, "2", 1, 64, MD(workers), NULL, 0, NULL },
	{ "mediad", "log_level", CONF_TYPE_ENUM, "info", 0, 0, MD(log_level), log_levels, 0, NULL },
	{ "mediad", "metrics_listen", CONF_TYPE_STR, "", 0, 0, MD(metrics_listen), NULL, 0,
	  conf_hook_listen_addr },
	{ "mediad", "max_sessions", CONF_TYPE_INT, "0", 0, 1000000, MD(max_sessions), NULL, 0,
	  NULL },
	{ "mediad", "delete_delay", CONF_TYPE_INT, "0", 0, 3600, MD(delete_delay_s), NULL, 0,
	  NULL },
	{ "mediad", "offer_timeout", CONF_TYPE_INT, "3600", 1, 86400, MD(offer_timeout_s), NULL,
	  0, NULL },
	{ "mediad", "media_timeout", CONF_TYPE_INT, "60", 0, 86400, MD(media_timeout_s), NULL,
	  0, NULL },
	{ "mediad", "silent_timeout", CONF_TYPE_INT, "3600", 0, 86400, MD(silent_timeout_s),
	  NULL, 0, NULL },
	{ "mediad", "cookie_ttl", CONF_TYPE_INT, "45", 30, 600, MD(cookie_ttl_s), NULL, 0, NULL },
	/* The relay's packet I/O (README "The media path"): auto takes batched when the
	 * privileges and the kernel allow it, else sockets, and the start line says which. */
	{ "mediad", "io", CONF_TYPE_ENUM, "auto", 0, 0, MD(io), io_styles, 0, NULL },

	/* Media sockets bind here: it must be an address of this host. */
	{ "interface", "address", CONF_TYPE_ADDR, NULL, 0, 0, IF(addr), NULL,
	  CONF_NAMED | CONF_REQUIRED | CONF_NOPORT | CONF_NOWILD | CONF_LOCAL, NULL },
	{ "interface", "advertised", CONF_TYPE_ADDR, NULL, 0, 0, IF(advertised), NULL,
	  CONF_NAMED | CONF_NOPORT, advertised_default },
	{ "interface", "port_min", CONF_TYPE_INT, "30000", 1024, 65534, IF(port_min), NULL,
	  CONF_NAMED, NULL },
	{ "interface", "port_max", CONF_TYPE_INT, "39999", 1025, 65535, IF(port_max), NULL,
	  CONF_NAMED, NULL },
	/*
	 * Default required: an interface nobody classified is taken to face the untrusted
	 * network. The cost of the default is a loud refusal on the trusted side (set it
	 * to off there); the cost of off or optional would be plain audio outside.
	 */
	{ "interface", "encryption", CONF_TYPE_ENUM, "required", 0, 0, IF(encryption),
	  encryption_names, CONF_NAMED, NULL },

	{ "srtp", "offer_suites", CONF_TYPE_HOOK, "AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32",
	  0, 0, 0, 0, NULL, 0, offer_suites_set },
	{ "srtp", "allowed_suites", CONF_TYPE_HOOK, "AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 "
	  "AEAD_AES_128_GCM AEAD_AES_256_GCM AES_256_CM_HMAC_SHA1_80", 0, 0, 0, 0, NULL, 0,
	  allowed_suites_set },

	{ "redis", "enabled", CONF_TYPE_BOOL, "yes", 0, 0, MD(redis_enabled), NULL, 0, NULL },
	{ "redis", "media_ttl", CONF_TYPE_INT, "86400", 10, 30 * 86400, MD(media_ttl_s), NULL, 0,
	  NULL },
	{ "redis", "registration_ttl", CONF_TYPE_INT, "10", 2, 3600, MD(reg_ttl_s), NULL, 0,
	  NULL },
	{ "redis", "registration_interval_ms", CONF_TYPE_INT, "2000", 100, 600000,
	  MD(reg_interval_ms), NULL, 0, NULL },
	/* SRTP/SRTCP indexes of live calls: changes written at least this often (and at once
	 * on a ROC wrap or every SRTP_CTX_RTCP_STEP SRTCP packets). */
	{ "redis", "media_state_interval_ms", CONF_TYPE_INT, "2000", 200, 60000,
	  MD(media_state_interval_ms), NULL, 0, NULL },
	/*
	 * The keys we offer on this interface carry an MKI of this many bytes ("|1:N"), for
	 * peers that refuse keys without one (Microsoft Teams Direct Routing: 1). Our
	 * answers mirror the offerer's MKI length whatever this says.
	 */
	{ "interface", "sdes_mki", CONF_TYPE_INT, "0", 0, 4, IF(sdes_mki), NULL, CONF_NAMED,
	  NULL },
	{ NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL, 0, NULL },
};

static const struct conf_key *const mediad_conf_tables[] = { mediad_conf_keys, redis_conf_keys,
    NULL };

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
	err = conf_apply(c, mediad_conf_keys, section, ifc, ifc, e);
	if (err)
		goto out;
	if (ifc->port_max < ((ifc->port_min + 1) & ~1) + 1) {
		err = conf_error_set(c, section, "port_max", e,
		    "range %u-%u holds no even/odd pair", (unsigned)ifc->port_min,
		    (unsigned)ifc->port_max);
		goto out;
	}
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

int
mediad_config_load(struct mediad_config *out, struct conf *c, struct conf_error *e)
{
	struct mediad_config *cfg;
	struct iface_ctx ictx;
	unsigned i;
	int err;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return ENOMEM;
	/* What no table knows is refused before anything is read: a typo must not look
	 * like a missing key. */
	err = conf_check_known(c, mediad_conf_tables, e);
	if (err)
		goto out;
	err = conf_apply(c, mediad_conf_keys, "mediad", cfg, cfg, e);
	if (err)
		goto out;
	if (cfg->nallow == 0) {
		err = conf_error_set(c, "mediad", "ng_allow", e, "empty: nobody could control mediad");
		goto out;
	}

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

	err = conf_apply(c, mediad_conf_keys, "srtp", cfg, cfg, e);
	if (err)
		goto out;
	for (i = 0; i < cfg->noffer_suites; i++) {
		if (!(cfg->allowed_suites & (1u << cfg->offer_suites[i]))) {
			err = conf_error_set(c, "srtp", "offer_suites", e,
			    "%s is offered but not in allowed_suites",
			    crypto_suite_name(cfg->offer_suites[i]));
			goto out;
		}
	}

	err = conf_apply(c, mediad_conf_keys, "redis", cfg, cfg, e);
	if (err == 0)
		err = conf_apply(c, redis_conf_keys, "redis", &cfg->redis, &cfg->redis, e);
	if (err)
		goto out;
	if ((uint64_t)cfg->reg_interval_ms >= (uint64_t)cfg->reg_ttl_s * 1000u) {
		err = conf_error_set(c, "redis", "registration_interval_ms", e,
		    "must be shorter than registration_ttl (%u s) or the key lapses", cfg->reg_ttl_s);
		goto out;
	}
	err = conf_check_unused(c, e);
 out:
	if (!err)
		*out = *cfg;
	explicit_bzero(cfg, sizeof(*cfg));
	free(cfg);
	return err;
}

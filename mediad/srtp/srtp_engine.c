/* SPDX-License-Identifier: BSD-2-Clause */
/* Process-wide libsrtp2 start-up: register the OpenSSL primitives and self-test them. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include "srtp.h"
#include "srtp_ossl_int.h"

static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static enum srtp_engine_impl engine_active;	/* guarded by engine_lock */

static const srtp_cipher_type_t *const ossl_ciphers[] = {
	&srtp_ossl_aes_icm_128,
	&srtp_ossl_aes_icm_256,
	&srtp_ossl_aes_gcm_128,
	&srtp_ossl_aes_gcm_256,
};

static const srtp_cipher_type_t *const builtin_ciphers[] = {
	&srtp_aes_icm_128,
	&srtp_aes_icm_256,
	&srtp_aes_gcm_128,
	&srtp_aes_gcm_256,
};

static int
engine_self_test_types(const srtp_cipher_type_t *const *ct, size_t n,
    const srtp_auth_type_t *at)
{
	for (size_t i = 0; i < n; i++) {
		if (srtp_cipher_type_self_test(ct[i]) != srtp_err_status_ok)
			return EIO;
	}
	if (srtp_auth_type_self_test(at) != srtp_err_status_ok)
		return EIO;
	return 0;
}

static int
engine_self_test_ossl(void)
{
	return engine_self_test_types(ossl_ciphers,
	    sizeof(ossl_ciphers) / sizeof(ossl_ciphers[0]), &srtp_ossl_hmac_sha1);
}

static int
engine_register_ossl(void)
{
	/* Replacement runs libsrtp's self test of each type and refuses a failing one. */
	for (size_t i = 0; i < sizeof(ossl_ciphers) / sizeof(ossl_ciphers[0]); i++) {
		if (srtp_replace_cipher_type(ossl_ciphers[i], ossl_ciphers[i]->id) !=
		    srtp_err_status_ok)
			return EIO;
	}
	if (srtp_replace_auth_type(&srtp_ossl_hmac_sha1, SRTP_HMAC_SHA1) !=
	    srtp_err_status_ok)
		return EIO;
	/* And once more explicitly, so a libsrtp that skipped it cannot hide a bug. */
	return engine_self_test_ossl();
}

int
srtp_engine_init_impl(enum srtp_engine_impl impl)
{
	int err = 0;

	if (impl != SRTP_ENGINE_OPENSSL && impl != SRTP_ENGINE_LIBSRTP)
		return EINVAL;
	pthread_mutex_lock(&engine_lock);
	if (engine_active == impl)
		goto out;
	if (engine_active != SRTP_ENGINE_NONE) {
		err = EBUSY;
		goto out;
	}
	if (srtp_init() != srtp_err_status_ok) {
		err = EIO;
		goto out;
	}
	if (impl == SRTP_ENGINE_OPENSSL) {
		err = engine_register_ossl();
		if (err) {
			/* Half-replaced primitives must not be used: start clean. */
			srtp_shutdown();
			goto out;
		}
	}
	engine_active = impl;
 out:
	pthread_mutex_unlock(&engine_lock);
	return err;
}

int
srtp_engine_init(void)
{
	return srtp_engine_init_impl(SRTP_ENGINE_OPENSSL);
}

enum srtp_engine_impl
srtp_engine_active(void)
{
	enum srtp_engine_impl impl;

	pthread_mutex_lock(&engine_lock);
	impl = engine_active;
	pthread_mutex_unlock(&engine_lock);
	return impl;
}

const char *
srtp_engine_impl_name(enum srtp_engine_impl impl)
{
	switch (impl) {
	case SRTP_ENGINE_OPENSSL:
		return "openssl";
	case SRTP_ENGINE_LIBSRTP:
		return "libsrtp";
	case SRTP_ENGINE_NONE:
		break;
	}
	return "none";
}

int
srtp_engine_self_test(void)
{
	enum srtp_engine_impl impl = srtp_engine_active();

	switch (impl) {
	case SRTP_ENGINE_OPENSSL:
		return engine_self_test_ossl();
	case SRTP_ENGINE_LIBSRTP:
		return engine_self_test_types(builtin_ciphers,
		    sizeof(builtin_ciphers) / sizeof(builtin_ciphers[0]), &srtp_hmac);
	case SRTP_ENGINE_NONE:
		break;
	}
	return ENXIO;
}

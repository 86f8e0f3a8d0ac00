#include "ccurl_shim.h"
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

CURLcode pmx_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode pmx_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode pmx_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode pmx_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode pmx_setopt_write_callback(CURL *handle, pmx_data_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_WRITEDATA, userdata);
}
CURLcode pmx_setopt_header_callback(CURL *handle, pmx_data_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_HEADERDATA, userdata);
}
CURLcode pmx_setopt_read_callback(CURL *handle, pmx_data_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_READDATA, userdata);
}
CURLcode pmx_setopt_xferinfo_callback(CURL *handle, pmx_xferinfo_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
    if (rc != CURLE_OK) return rc;
    rc = curl_easy_setopt(handle, CURLOPT_XFERINFODATA, userdata);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(handle, CURLOPT_NOPROGRESS, callback ? 0L : 1L);
}
CURLcode pmx_setopt_ssl_ctx_callback(CURL *handle, pmx_ssl_ctx_callback callback, void *userdata) {
    CURLcode rc = curl_easy_setopt(handle, CURLOPT_SSL_CTX_FUNCTION, callback);
    return rc != CURLE_OK ? rc : curl_easy_setopt(handle, CURLOPT_SSL_CTX_DATA, userdata);
}

CURLcode pmx_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode pmx_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

size_t pmx_zero_terminated(void) { return CURL_ZERO_TERMINATED; }

// Replaces OpenSSL's chain verification for this SSL_CTX. The pin state arrives as the callback
// argument, so nothing global is needed. Only the leaf (depth 0) is fingerprinted.
static int pmx_verify_certificate(X509_STORE_CTX *store, void *arg) {
    pmx_tls_pin *pin = (pmx_tls_pin *)arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    pin->has_observed = 0;
    pin->mismatch = 0;
    if (leaf != NULL && X509_digest(leaf, EVP_sha256(), digest, &length) == 1 && length == 32) {
        memcpy(pin->observed, digest, 32);
        pin->has_observed = 1;
    }
    if (!pin->has_expected) {
        return X509_verify_cert(store);
    }
    if (pin->has_observed && CRYPTO_memcmp(pin->observed, pin->expected, 32) == 0) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    }
    pin->mismatch = 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

static CURLcode pmx_configure_ssl_ctx(CURL *handle, void *ssl_ctx, void *userdata) {
    (void)handle;
    pmx_tls_pin *pin = (pmx_tls_pin *)userdata;
    SSL_CTX_set_cert_verify_callback((SSL_CTX *)ssl_ctx, pmx_verify_certificate, userdata);
    // With a pin the caller turns curl's own peer verification off (so libcurl does not load the
    // system CA bundle, which costs tens of milliseconds per process); the handshake must still
    // fail on a mismatch, so verification is switched back on here, after curl's settings.
    if (pin->has_expected) {
        SSL_CTX_set_verify((SSL_CTX *)ssl_ctx, SSL_VERIFY_PEER, NULL);
    }
    return CURLE_OK;
}

CURLcode pmx_install_pin(CURL *handle, pmx_tls_pin *pin) {
    return pmx_setopt_ssl_ctx_callback(handle, pmx_configure_ssl_ctx, pin);
}

#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
// Typed wrappers around libcurl's variadic calls (Swift cannot call C variadics) and an OpenSSL
// certificate pin that runs inside the TLS handshake, before any request byte is sent.
#include <curl/curl.h>
#include <stddef.h>

// MARK: curl_easy_setopt / curl_easy_getinfo

CURLcode pmx_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode pmx_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode pmx_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode pmx_setopt_pointer(CURL *handle, CURLoption option, void *value);

/// write/read/header callbacks share this shape.
typedef size_t (*pmx_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*pmx_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                     curl_off_t ultotal, curl_off_t ulnow);
typedef CURLcode (*pmx_ssl_ctx_callback)(CURL *handle, void *ssl_ctx, void *userdata);

CURLcode pmx_setopt_write_callback(CURL *handle, pmx_data_callback callback, void *userdata);
CURLcode pmx_setopt_header_callback(CURL *handle, pmx_data_callback callback, void *userdata);
CURLcode pmx_setopt_read_callback(CURL *handle, pmx_data_callback callback, void *userdata);
/// Installs the progress callback and turns progress reporting on (CURLOPT_NOPROGRESS 0).
CURLcode pmx_setopt_xferinfo_callback(CURL *handle, pmx_xferinfo_callback callback, void *userdata);
CURLcode pmx_setopt_ssl_ctx_callback(CURL *handle, pmx_ssl_ctx_callback callback, void *userdata);

CURLcode pmx_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode pmx_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);

/// CURL_ZERO_TERMINATED is a macro Swift does not import.
size_t pmx_zero_terminated(void);

// MARK: certificate pin

/// Per-handle TLS pin state; lives as long as the curl handle that uses it (owned by the caller).
typedef struct pmx_tls_pin {
    /// SHA-256 of the leaf certificate's DER the server must present; used when has_expected != 0.
    unsigned char expected[32];
    int has_expected;
    /// SHA-256 of the leaf certificate seen in the last handshake (for trust-on-first-use prompts).
    unsigned char observed[32];
    int has_observed;
    /// Set when the last handshake presented a certificate that did not match `expected`.
    int mismatch;
} pmx_tls_pin;

/// Installs the verification through CURLOPT_SSL_CTX_FUNCTION for the next connections of `handle`.
/// With a pin, the leaf certificate is accepted exactly when its SHA-256 matches (even self-signed)
/// and the handshake fails otherwise. Without a pin, normal chain verification decides and the leaf
/// fingerprint is recorded (the caller sets CURLOPT_SSL_VERIFYPEER 1). With a pin the caller may set
/// CURLOPT_SSL_VERIFYPEER 0 so no CA bundle is loaded: verification is re-enabled for the pin.
CURLcode pmx_install_pin(CURL *handle, pmx_tls_pin *pin);

#endif

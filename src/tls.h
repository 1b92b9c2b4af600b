/*
 * tls.h - TLS as a layer over any stream transport ("tls+tcp://",
 * "tls+unix:", ...). A tls_conf is the parsed options of one address plus
 * its OpenSSL context(s); it is built while the configuration is parsed, so
 * `mptnd -t` checks every certificate, key and CA, and a reload builds new
 * contexts (new certificates) without touching running connections.
 */
#ifndef MPTN_TLS_H
#define MPTN_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "transport.h"
#include "uri.h"

struct tls_conf;

/* A named option set from a `tls NAME { ... }` config block. */
struct tls_profile {
	char *name;
	char *file;
	unsigned line;
	struct uri_opt *opts;		/* key/value in order; cert may repeat */
	size_t nopts;
};

/* Is KEY one of the TLS layer's option keys (cert, key, ca, ...)? */
bool tls_is_option(const char *key);
/* Check one option for a config block, without building anything. */
int tls_check_option(const char *key, const char *value, char **cause);

/*
 * Build the TLS layer of an address: PROFILE's options (if any) then the
 * URI's, for ROLE. HOST is the URI's host (SNI and name check) or NULL.
 */
struct tls_conf *tls_conf_new(enum taddr_role, const char *host, const struct tls_profile *,
    const struct uri_opt *opts, size_t nopts, char **cause);
void tls_conf_free(struct tls_conf *);

/* A new SSL for one connection, set up for its side (SNI, host check, ALPN, session). */
SSL *tls_ssl_new(struct tls_conf *);
/* Remember a client session for resumption (called after a handshake). */
void tls_conf_save_session(struct tls_conf *, SSL *);

/* "CN=x,SAN=DNS:a,DNS:b" for the peer's certificate, or NULL (caller frees). */
char *tls_peer_identity(SSL *);
/* Why a handshake or record failed: OpenSSL's error queue and the verify result. */
void tls_describe_error(SSL *, unsigned long first_err, char *out, size_t len);

#endif

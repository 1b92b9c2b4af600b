/*
 * tls.c - the TLS layer's options, contexts and per-connection helpers.
 *
 * Options (one keyword table for URI keys and `tls NAME { }` blocks):
 * cert FILE (repeatable in a block: certificates chosen by SNI), key FILE
 * (for the last cert; default: the cert file), ca FILE|DIR, verify
 * none|peer|require, sni NAME, alpn LIST, min-version 1.2|1.3, ciphers LIST.
 * Floor TLS 1.2. Targets verify by default (system store unless ca=);
 * verify=none is explicit and logged. Listeners keep server tickets on
 * (OpenSSL's default); targets keep the last session per address for
 * resumption.
 */
#include "tls.h"
#include "common.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define TLS_MAX_CERTS 16

enum tls_verify { TLS_VERIFY_UNSET = -1, TLS_VERIFY_NONE, TLS_VERIFY_PEER, TLS_VERIFY_REQUIRE };

/* Options as parsed, before anything is loaded. */
struct tls_opts {
	const char *cert[TLS_MAX_CERTS];
	const char *key[TLS_MAX_CERTS];
	size_t ncert;
	const char *ca;
	int verify;
	const char *sni;
	const char *alpn;
	int min_version;
	const char *ciphers;
};

struct tls_conf {
	enum taddr_role role;
	SSL_CTX *ctx[TLS_MAX_CERTS];	/* servers: one per certificate, [0] the default */
	size_t nctx;
	char *name;			/* clients: SNI sent and name checked, or NULL */
	bool name_is_ip;
	pthread_mutex_t lock;
	SSL_SESSION *session;		/* clients: for resumption */
	unsigned char *alpn;		/* wire format */
	size_t alpn_len;
};

static int tls_conf_index = -1;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void
tls_init_once(void)
{
	tls_conf_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int
set_cert(struct tls_opts *o, const char *v, char **cause)
{
	if (o->ncert == TLS_MAX_CERTS) {
		xasprintf(cause, "at most %d certificates", TLS_MAX_CERTS);
		return -1;
	}
	o->cert[o->ncert++] = v;
	return 0;
}

static int
set_key(struct tls_opts *o, const char *v, char **cause)
{
	if (o->ncert == 0) {
		xasprintf(cause, "key comes after the cert it belongs to");
		return -1;
	}
	o->key[o->ncert - 1] = v;
	return 0;
}

static int
set_ca(struct tls_opts *o, const char *v, char **cause)
{
	o->ca = v;
	return 0;
}

static int
set_verify(struct tls_opts *o, const char *v, char **cause)
{
	if (strcmp(v, "none") == 0)
		o->verify = TLS_VERIFY_NONE;
	else if (strcmp(v, "peer") == 0)
		o->verify = TLS_VERIFY_PEER;
	else if (strcmp(v, "require") == 0)
		o->verify = TLS_VERIFY_REQUIRE;
	else {
		xasprintf(cause, "verify takes none, peer or require, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
set_sni(struct tls_opts *o, const char *v, char **cause)
{
	if (*v == '\0' || strlen(v) > 253) {
		xasprintf(cause, "sni takes a host name");
		return -1;
	}
	o->sni = v;
	return 0;
}

static int
set_alpn(struct tls_opts *o, const char *v, char **cause)
{
	const char *p = v;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n == 0 || n > 255) {
			xasprintf(cause, "alpn takes a comma-separated list of protocol names");
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (*v == '\0') {
		xasprintf(cause, "alpn takes a comma-separated list of protocol names");
		return -1;
	}
	o->alpn = v;
	return 0;
}

static int
set_min_version(struct tls_opts *o, const char *v, char **cause)
{
	if (strcmp(v, "1.2") == 0)
		o->min_version = TLS1_2_VERSION;
	else if (strcmp(v, "1.3") == 0)
		o->min_version = TLS1_3_VERSION;
	else {
		xasprintf(cause, "min-version takes 1.2 or 1.3 (the floor is TLS 1.2), not '%s'", v);
		return -1;
	}
	return 0;
}

static int
set_ciphers(struct tls_opts *o, const char *v, char **cause)
{
	o->ciphers = v;
	return 0;
}

static const struct {
	const char *key;
	int (*set)(struct tls_opts *, const char *, char **);
} tls_keywords[] = {
	{ "cert", set_cert },
	{ "key", set_key },
	{ "ca", set_ca },
	{ "verify", set_verify },
	{ "sni", set_sni },
	{ "alpn", set_alpn },
	{ "min-version", set_min_version },
	{ "ciphers", set_ciphers },
};

bool
tls_is_option(const char *key)
{
	size_t i;

	if (strcmp(key, "tls") == 0)
		return true;
	for (i = 0; i < MPTN_ARRAY_LEN(tls_keywords); i++) {
		if (strcmp(tls_keywords[i].key, key) == 0)
			return true;
	}
	return false;
}

static int
tls_apply(struct tls_opts *o, const char *key, const char *value, char **cause)
{
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(tls_keywords); i++) {
		if (strcmp(tls_keywords[i].key, key) == 0)
			return tls_keywords[i].set(o, value, cause);
	}
	xasprintf(cause, "unknown tls option '%s'", key);
	return -1;
}

int
tls_check_option(const char *key, const char *value, char **cause)
{
	struct tls_opts o;

	memset(&o, 0, sizeof o);
	o.cert[0] = "x";
	o.ncert = 1;
	return tls_apply(&o, key, value, cause);
}

/* "WHAT ARG: <OpenSSL's last queued error>" into *cause. */
static void
ssl_cause(char **cause, const char *what, const char *arg)
{
	char err[256];
	unsigned long e = ERR_peek_error();	/* the first is the cause, e.g. fopen's errno */

	if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SYS)
		snprintf(err, sizeof err, "%s", strerror(ERR_GET_REASON(e)));
	else if (e != 0)
		ERR_error_string_n(e, err, sizeof err);
	else
		snprintf(err, sizeof err, "unknown error");
	ERR_clear_error();
	xasprintf(cause, "%s%s%s: %s", what, *arg ? " " : "", arg, err);
}

static int
check_validity(X509 *leaf, const char *file, char **cause)
{
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
		xasprintf(cause, "certificate %s has expired", file);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0) {
		xasprintf(cause, "certificate %s is not valid yet", file);
		return -1;
	}
	return 0;
}

static int
load_ca(SSL_CTX *ctx, const char *ca, bool server, char **cause)
{
	struct stat st;
	bool dir;

	if (stat(ca, &st) != 0) {
		xasprintf(cause, "ca %s: %s", ca, strerror(errno));
		return -1;
	}
	dir = S_ISDIR(st.st_mode);
	if (SSL_CTX_load_verify_locations(ctx, dir ? NULL : ca, dir ? ca : NULL) != 1) {
		ssl_cause(cause, "ca", ca);
		return -1;
	}
	if (server && !dir) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);

		if (names != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
	}
	return 0;
}

static int
alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned inlen, void *arg)
{
	struct tls_conf *tc = arg;
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, tc->alpn, (unsigned)tc->alpn_len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* Servers with several certificates: pick the one whose names match SNI. */
static int
sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_conf *tc = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t i;

	if (name == NULL)
		return SSL_TLSEXT_ERR_OK;
	for (i = 0; i < tc->nctx; i++) {
		X509 *leaf = SSL_CTX_get0_certificate(tc->ctx[i]);

		if (leaf != NULL && X509_check_host(leaf, name, 0, 0, NULL) == 1) {
			if (i > 0)
				SSL_set_SSL_CTX(ssl, tc->ctx[i]);
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_OK;	/* default certificate */
}

static int
new_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_conf *tc = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_conf_index);

	if (tc == NULL)
		return 0;
	pthread_mutex_lock(&tc->lock);
	if (tc->session != NULL)
		SSL_SESSION_free(tc->session);
	tc->session = sess;
	pthread_mutex_unlock(&tc->lock);
	return 1;	/* we keep the reference */
}

static SSL_CTX *
ctx_new(struct tls_conf *tc, const struct tls_opts *o, size_t certi, char **cause)
{
	bool server = tc->role == TADDR_LISTEN;
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (ctx == NULL) {
		ssl_cause(cause, "cannot create a TLS context", "");
		return NULL;
	}
	SSL_CTX_set_ex_data(ctx, tls_conf_index, tc);
	SSL_CTX_set_min_proto_version(ctx, o->min_version);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* A peer that closes without close_notify ends its direction like a FIN. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (o->ciphers != NULL && SSL_CTX_set_cipher_list(ctx, o->ciphers) != 1) {
		ssl_cause(cause, "ciphers", o->ciphers);
		goto fail;
	}
	if (certi < o->ncert) {
		const char *cert = o->cert[certi], *key = o->key[certi] ? o->key[certi] : cert;

		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
			ssl_cause(cause, "cert", cert);
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			ssl_cause(cause, "key", key);
			goto fail;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			xasprintf(cause, "key %s does not match certificate %s", key, cert);
			ERR_clear_error();
			goto fail;
		}
		if (check_validity(SSL_CTX_get0_certificate(ctx), cert, cause) != 0)
			goto fail;
	}
	if (server) {
		static const unsigned char sid[] = "mptnd";
		int mode = SSL_VERIFY_NONE;

		SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
		if (o->verify == TLS_VERIFY_PEER)
			mode = SSL_VERIFY_PEER;
		else if (o->verify == TLS_VERIFY_REQUIRE)
			mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		if (o->ca != NULL && load_ca(ctx, o->ca, true, cause) != 0)
			goto fail;
		SSL_CTX_set_verify(ctx, mode, NULL);
		if (tc->alpn != NULL)
			SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, tc);
		SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
		SSL_CTX_set_tlsext_servername_arg(ctx, tc);
	} else {
		if (o->verify != TLS_VERIFY_NONE) {
			if (o->ca != NULL) {
				if (load_ca(ctx, o->ca, false, cause) != 0)
					goto fail;
			} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
				ssl_cause(cause, "system CA store", "");
				goto fail;
			}
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		} else
			SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		if (tc->alpn != NULL && SSL_CTX_set_alpn_protos(ctx, tc->alpn, (unsigned)tc->alpn_len) != 0) {
			ssl_cause(cause, "alpn", o->alpn);
			goto fail;
		}
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static void
alpn_to_wire(struct tls_conf *tc, const char *list)
{
	size_t n = strlen(list), i = 0;
	const char *p = list;

	tc->alpn = xmalloc(n + 1);
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		tc->alpn[i++] = (unsigned char)len;
		memcpy(tc->alpn + i, p, len);
		i += len;
		p += len;
		if (*p == ',')
			p++;
	}
	tc->alpn_len = i;
}

struct tls_conf *
tls_conf_new(enum taddr_role role, const char *host, const struct tls_profile *profile,
    const struct uri_opt *opts, size_t nopts, char **cause)
{
	struct tls_conf *tc;
	struct tls_opts o;
	bool uri_cert_seen = false;
	size_t i;

	pthread_once(&tls_once, tls_init_once);
	memset(&o, 0, sizeof o);
	o.verify = TLS_VERIFY_UNSET;
	o.min_version = TLS1_2_VERSION;
	for (i = 0; profile != NULL && i < profile->nopts; i++) {
		if (tls_apply(&o, profile->opts[i].key, profile->opts[i].value, cause) != 0)
			return NULL;
	}
	for (i = 0; i < nopts; i++) {
		if (strcmp(opts[i].key, "tls") == 0)
			continue;
		if (strcmp(opts[i].key, "cert") == 0 && !uri_cert_seen) {
			o.ncert = 0;	/* an address's cert replaces the block's */
			memset(o.key, 0, sizeof o.key);
			uri_cert_seen = true;
		}
		if (tls_apply(&o, opts[i].key, opts[i].value, cause) != 0)
			return NULL;
	}
	if (role == TADDR_LISTEN) {
		if (o.ncert == 0) {
			xasprintf(cause, "a TLS listener needs cert= (and key= unless the key is in the cert file)");
			return NULL;
		}
		if (o.verify == TLS_VERIFY_UNSET)
			o.verify = TLS_VERIFY_NONE;
		if (o.verify != TLS_VERIFY_NONE && o.ca == NULL) {
			xasprintf(cause, "verify=%s on a listener needs ca= to check client certificates",
			    o.verify == TLS_VERIFY_PEER ? "peer" : "require");
			return NULL;
		}
		if (o.sni != NULL) {
			xasprintf(cause, "sni= applies to targets; a listener picks its certificate by the names in it");
			return NULL;
		}
	} else {
		if (o.ncert > 1) {
			xasprintf(cause, "a TLS target takes one client certificate");
			return NULL;
		}
		if (o.verify == TLS_VERIFY_UNSET)
			o.verify = TLS_VERIFY_PEER;
		if (o.sni == NULL && (host == NULL || *host == '\0') && o.verify != TLS_VERIFY_NONE) {
			xasprintf(cause, "this TLS target has no host name to verify: give sni=NAME (or verify=none)");
			return NULL;
		}
	}
	tc = xcalloc(1, sizeof *tc);
	tc->role = role;
	pthread_mutex_init(&tc->lock, NULL);
	if (o.alpn != NULL)
		alpn_to_wire(tc, o.alpn);
	if (role == TADDR_CONNECT) {
		struct in6_addr a6;

		tc->name = xstrdup(o.sni != NULL ? o.sni : host != NULL ? host : "");
		tc->name_is_ip = inet_pton(AF_INET, tc->name, &a6) == 1 ||
		    inet_pton(AF_INET6, tc->name, &a6) == 1;
		if (o.verify == TLS_VERIFY_NONE)
			log_warning("TLS target%s%s: certificate verification is off (verify=none)",
			    tc->name[0] ? " " : "", tc->name);
	}
	for (i = 0; i < (role == TADDR_LISTEN ? o.ncert : 1); i++) {
		tc->ctx[i] = ctx_new(tc, &o, i, cause);
		if (tc->ctx[i] == NULL) {
			tls_conf_free(tc);
			return NULL;
		}
		tc->nctx++;
	}
	return tc;
}

void
tls_conf_free(struct tls_conf *tc)
{
	size_t i;

	if (tc == NULL)
		return;
	for (i = 0; i < tc->nctx; i++)
		SSL_CTX_free(tc->ctx[i]);
	if (tc->session != NULL)
		SSL_SESSION_free(tc->session);
	pthread_mutex_destroy(&tc->lock);
	free(tc->name);
	free(tc->alpn);
	free(tc);
}

SSL *
tls_ssl_new(struct tls_conf *tc)
{
	SSL *ssl = SSL_new(tc->ctx[0]);

	if (ssl == NULL)
		return NULL;
	if (tc->role == TADDR_CONNECT) {
		if (tc->name[0] != '\0') {
			if (!tc->name_is_ip)
				SSL_set_tlsext_host_name(ssl, tc->name);
			if (SSL_get_verify_mode(ssl) != SSL_VERIFY_NONE) {
				if (tc->name_is_ip)
					X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), tc->name);
				else
					SSL_set1_host(ssl, tc->name);
			}
		}
		pthread_mutex_lock(&tc->lock);
		if (tc->session != NULL)
			SSL_set_session(ssl, tc->session);
		pthread_mutex_unlock(&tc->lock);
	}
	return ssl;
}

void
tls_conf_save_session(struct tls_conf *tc, SSL *ssl)
{
	/* TLS 1.3 sessions arrive through new_session_cb; 1.2 ones are ready now. */
	SSL_SESSION *s;

	if (tc->role != TADDR_CONNECT || SSL_version(ssl) >= TLS1_3_VERSION)
		return;
	s = SSL_get1_session(ssl);
	if (s == NULL)
		return;
	pthread_mutex_lock(&tc->lock);
	if (tc->session != NULL)
		SSL_SESSION_free(tc->session);
	tc->session = s;
	pthread_mutex_unlock(&tc->lock);
}

char *
tls_peer_identity(SSL *ssl)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	GENERAL_NAMES *sans;
	char cn[256], *out;
	size_t len, cap = 512;
	int i;

	if (cert == NULL)
		return NULL;
	out = xmalloc(cap);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) < 0)
		snprintf(cn, sizeof cn, "-");
	len = (size_t)snprintf(out, cap, "CN=%s", cn);
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans) && len < cap - 1; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const char *kind = NULL;
		const ASN1_STRING *s = NULL;

		if (gn->type == GEN_DNS) {
			kind = "DNS";
			s = gn->d.dNSName;
		} else if (gn->type == GEN_EMAIL) {
			kind = "email";
			s = gn->d.rfc822Name;
		} else if (gn->type == GEN_URI) {
			kind = "URI";
			s = gn->d.uniformResourceIdentifier;
		}
		if (kind == NULL)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s%s:%.*s", len > 0 && strstr(out, ",SAN=") ?
		    "," : ",SAN=", kind, ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
	}
	GENERAL_NAMES_free(sans);
	for (char *p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f || *p == ' ')
			*p = '_';	/* log-safe */
	}
	return out;
}

void
tls_describe_error(SSL *ssl, unsigned long first_err, char *out, size_t len)
{
	char err[256];
	long vr;
	size_t n;

	if (first_err != 0)
		ERR_error_string_n(first_err, err, sizeof err);
	else
		snprintf(err, sizeof err, "connection closed during the TLS handshake");
	n = (size_t)snprintf(out, len, "%s", err);
	vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (vr != X509_V_OK && n < len)
		snprintf(out + n, len - n, "; verify: %s", X509_verify_cert_error_string(vr));
}

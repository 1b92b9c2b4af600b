/*
 * transport.c - the static registry of built-in transports and the parsing
 * of an address into (backend, backend state). A scheme maps to exactly one
 * backend; the table order is the order --version lists them.
 */
#include "transport.h"
#include "common.h"
#include "tls.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct transport *const transport_table[] = {
	&transport_tcp,
	&transport_mptcp,
	&transport_unix,
	&transport_unix_abstract,
	&transport_unix_seqpacket,
	&transport_srv,
};

static const struct transport_module **loaded;
static char **loaded_paths;
static bool *loaded_started;
static size_t nloaded;
static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;

static bool
transport_has_scheme(const struct transport *tp, const char *scheme)
{
	const char *const *s;

	for (s = tp->schemes; *s != NULL; s++) {
		if (strcmp(*s, scheme) == 0)
			return true;
	}
	return false;
}

const struct transport *
transport_find(const char *scheme)
{
	const struct transport *found = NULL;
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(transport_table); i++) {
		if (transport_has_scheme(transport_table[i], scheme))
			return transport_table[i];
	}
	pthread_mutex_lock(&loaded_lock);
	for (i = 0; i < nloaded && found == NULL; i++) {
		if (transport_has_scheme(loaded[i]->transport, scheme))
			found = loaded[i]->transport;
	}
	pthread_mutex_unlock(&loaded_lock);
	return found;
}

const struct transport_module *const *
transport_loaded(size_t *n)
{
	*n = nloaded;
	return loaded;
}

int
transport_load(const char *name, const struct transport_module **mod, char **cause)
{
	const struct transport_module *m;
	const char *dir = getenv("MPTND_MODULE_DIR");
	char *path;
	void *h;
	size_t i;

	if (strchr(name, '/') != NULL)
		path = xstrdup(name);
	else
		xasprintf(&path, "%s/%s.so", dir != NULL ? dir : MPTND_MODULE_DIR, name);
	pthread_mutex_lock(&loaded_lock);
	for (i = 0; i < nloaded; i++) {
		if (strcmp(loaded_paths[i], path) == 0) {
			*mod = loaded[i];
			pthread_mutex_unlock(&loaded_lock);
			free(path);
			return 0;
		}
	}
	pthread_mutex_unlock(&loaded_lock);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		xasprintf(cause, "module %s: %s", path, dlerror());
		free(path);
		return -1;
	}
	m = dlsym(h, MPTND_TRANSPORT_MODULE_SYMBOL);
	if (m == NULL || m->abi != MPTND_TRANSPORT_ABI || m->size != sizeof(struct transport) ||
	    m->transport == NULL) {
		if (m == NULL)
			xasprintf(cause, "module %s: no %s symbol (not an mptnd transport module)", path,
			    MPTND_TRANSPORT_MODULE_SYMBOL);
		else
			xasprintf(cause, "module %s: built for transport ABI %u (struct size %u); "
			    "this mptnd has ABI %d (size %zu): rebuild the module", path, m->abi,
			    m->size, MPTND_TRANSPORT_ABI, sizeof(struct transport));
		dlclose(h);
		free(path);
		return -1;
	}
	if (transport_find(m->transport->schemes[0]) != NULL) {
		xasprintf(cause, "module %s: transport '%s' is already defined", path, m->transport->name);
		dlclose(h);
		free(path);
		return -1;
	}
	pthread_mutex_lock(&loaded_lock);
	loaded = xreallocarray(loaded, nloaded + 1, sizeof *loaded);
	loaded_paths = xreallocarray(loaded_paths, nloaded + 1, sizeof *loaded_paths);
	loaded_started = xreallocarray(loaded_started, nloaded + 1, sizeof *loaded_started);
	loaded_started[nloaded] = false;
	loaded[nloaded] = m;
	loaded_paths[nloaded++] = path;
	pthread_mutex_unlock(&loaded_lock);
	*mod = m;
	return 0;
}

int
transport_modules_start(char **cause)
{
	size_t i;

	for (i = 0; i < nloaded; i++) {
		if (loaded_started[i])
			continue;	/* a reload may load more: start only the new ones */
		if (loaded[i]->start != NULL && loaded[i]->start(cause) != 0)
			return -1;
		loaded_started[i] = true;
	}
	return 0;
}

void
transport_modules_stop(void)
{
	size_t i;

	for (i = nloaded; i-- > 0;) {
		if (loaded_started[i] && loaded[i]->stop != NULL)
			loaded[i]->stop();
		loaded_started[i] = false;
	}
}

const struct transport *const *
transport_all(size_t *n)
{
	*n = MPTN_ARRAY_LEN(transport_table);
	return transport_table;
}

int
transport_apply_opts(const struct transport *tp, const struct transport_opt *table, size_t n,
    const struct uri *u, enum taddr_role role, void *priv, char **cause)
{
	size_t i, j;

	for (i = 0; i < u->nopts; i++) {
		const struct uri_opt *o = &u->opts[i];
		char *why = NULL;

		for (j = 0; j < n; j++) {
			if (strcmp(table[j].key, o->key) == 0)
				break;
		}
		if (j == n) {
			xasprintf(cause, "unknown %s option '%s'", tp->name, o->key);
			return -1;
		}
		if ((table[j].roles & (1u << role)) == 0) {
			xasprintf(cause, "%s option '%s' applies only to a %s address", tp->name,
			    o->key, role == TADDR_LISTEN ? "target" : "listen");
			return -1;
		}
		if (table[j].set(priv, o->value, &why) != 0) {
			xasprintf(cause, "%s option '%s': %s", tp->name, o->key, why);
			free(why);
			return -1;
		}
	}
	return 0;
}

/* Move U's TLS-layer options into TLS (at most 32); the rest stay in U, in order. */
static int
split_tls_opts(struct uri *u, struct uri_opt *tls, size_t *ntls)
{
	size_t i, k = 0;

	*ntls = 0;
	for (i = 0; i < u->nopts; i++) {
		if (!tls_is_option(u->opts[i].key))
			u->opts[k++] = u->opts[i];
		else if (*ntls < 32)
			tls[(*ntls)++] = u->opts[i];
		else
			return -1;
	}
	u->nopts = k;
	return 0;
}

static const struct tls_profile *
find_profile(const struct taddr_ctx *ctx, const struct uri_opt *tls, size_t ntls, char **cause)
{
	size_t i, j;

	for (i = 0; i < ntls; i++) {
		if (strcmp(tls[i].key, "tls") != 0)
			continue;
		for (j = 0; ctx != NULL && j < ctx->nprofiles; j++) {
			if (strcmp(ctx->profiles[j]->name, tls[i].value) == 0)
				return ctx->profiles[j];
		}
		xasprintf(cause, "no tls block named '%s'", tls[i].value);
		return NULL;
	}
	return NULL;
}

struct taddr *
taddr_parse(const char *text, enum taddr_role role, const struct taddr_ctx *ctx, char **cause)
{
	const struct transport *tp;
	struct uri_opt tls_opts[32];
	const struct tls_profile *profile = NULL;
	struct tls_conf *tls = NULL;
	struct taddr *ta;
	struct uri u;
	void *priv = NULL;
	char *why = NULL, *scheme, *host = NULL;
	size_t ntls, i;
	bool layered;

	if (uri_parse(text, &u, &why) != 0) {
		xasprintf(cause, "bad address '%s': %s", text, why);
		free(why);
		return NULL;
	}
	layered = strncmp(u.scheme, "tls+", 4) == 0;
	scheme = layered ? u.scheme + 4 : u.scheme;
	tp = transport_find(scheme);
	if (tp == NULL) {
		xasprintf(&why, "unknown transport '%s'", scheme);
		goto fail;
	}
	/* The layer's keys leave U for a while; they go back before uri_clear(). */
	if (split_tls_opts(&u, tls_opts, &ntls) != 0) {
		xasprintf(&why, "too many TLS options");
		goto fail_tls;
	}
	if (ntls > 0 && !layered) {
		xasprintf(&why, "option '%s' needs a TLS address (tls+%s:...)", tls_opts[0].key,
		    u.scheme);
		goto fail_tls;
	}
	if (layered && !(tp->flags & TRANSPORT_BYTE_STREAM)) {
		xasprintf(&why, "TLS needs a byte-stream transport; %s is not one", tp->name);
		goto fail_tls;
	}
	if (tp->parse(&u, role, &priv, &why) != 0)
		goto fail_tls;
	if (layered) {
		unsigned port;
		char *hwhy = NULL;

		if (uri_split_hostport(u.body, &host, &port, &hwhy) != 0)
			host = NULL;
		free(hwhy);
		profile = find_profile(ctx, tls_opts, ntls, &why);
		if (why == NULL)
			tls = tls_conf_new(role, host, profile, tls_opts, ntls, &why);
		free(host);
		if (tls == NULL)
			goto fail_priv;
	}
	/* Give the layer's options back to U so uri_clear() frees them. */
	for (i = 0; i < ntls; i++)
		u.opts[u.nopts++] = tls_opts[i];
	uri_clear(&u);
	ta = xcalloc(1, sizeof *ta);
	ta->tp = tp;
	ta->text = xstrdup(text);
	ta->label = xstrndup(text, strcspn(text, "?"));
	ta->role = role;
	ta->priv = priv;
	ta->tls = tls;
	return ta;
fail_priv:
	tp->free_priv(priv);
fail_tls:
	for (i = 0; i < ntls; i++)
		u.opts[u.nopts++] = tls_opts[i];
fail:
	xasprintf(cause, "bad address '%s': %s", text, why);
	free(why);
	uri_clear(&u);
	return NULL;
}

const char *
taddr_bind_key(const struct taddr *ta)
{
	return strncmp(ta->label, "tls+", 4) == 0 ? ta->label + 4 : ta->label;
}

bool
taddr_is_kernel_stream(const struct taddr *ta)
{
	return ta->tls == NULL && (ta->tp->flags & TRANSPORT_KERNEL_FD) &&
	    (ta->tp->flags & TRANSPORT_BYTE_STREAM);
}

bool
taddr_is_kernel_messages(const struct taddr *ta)
{
	return ta->tls == NULL && (ta->tp->flags & TRANSPORT_KERNEL_FD) &&
	    (ta->tp->flags & TRANSPORT_MESSAGES);
}

void
taddr_free(struct taddr *ta)
{
	if (ta == NULL)
		return;
	ta->tp->free_priv(ta->priv);
	tls_conf_free(ta->tls);
	free(ta->text);
	free(ta->label);
	free(ta);
}

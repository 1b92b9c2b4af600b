/*
 * transport.c - the static registry of built-in transports and the parsing
 * of an address into (backend, backend state). A scheme maps to exactly one
 * backend; the table order is the order --version lists them.
 */
#include "transport.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

static const struct transport *const transport_table[] = {
	&transport_tcp,
	&transport_mptcp,
	&transport_unix,
	&transport_unix_abstract,
};

const struct transport *
transport_find(const char *scheme)
{
	size_t i;
	const char *const *s;

	for (i = 0; i < MPTN_ARRAY_LEN(transport_table); i++) {
		for (s = transport_table[i]->schemes; *s != NULL; s++) {
			if (strcmp(*s, scheme) == 0)
				return transport_table[i];
		}
	}
	return NULL;
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

struct taddr *
taddr_parse(const char *text, enum taddr_role role, char **cause)
{
	const struct transport *tp;
	struct taddr *ta;
	struct uri u;
	void *priv = NULL;
	char *why = NULL;

	if (uri_parse(text, &u, &why) != 0) {
		xasprintf(cause, "bad address '%s': %s", text, why);
		free(why);
		return NULL;
	}
	tp = transport_find(u.scheme);
	if (tp == NULL) {
		xasprintf(cause, "bad address '%s': unknown transport '%s'", text, u.scheme);
		uri_clear(&u);
		return NULL;
	}
	if (tp->parse(&u, role, &priv, &why) != 0) {
		xasprintf(cause, "bad address '%s': %s", text, why);
		free(why);
		uri_clear(&u);
		return NULL;
	}
	uri_clear(&u);
	ta = xcalloc(1, sizeof *ta);
	ta->tp = tp;
	ta->text = xstrdup(text);
	ta->role = role;
	ta->priv = priv;
	return ta;
}

void
taddr_free(struct taddr *ta)
{
	if (ta == NULL)
		return;
	ta->tp->free_priv(ta->priv);
	free(ta->text);
	free(ta);
}

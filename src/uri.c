/*
 * uri.c - splitting SCHEME:BODY?QUERY and decoding %XX escapes. Pure: no
 * sockets, no globals; fuzzed by tests/fuzz/fuzz_uri.c.
 */
#include "uri.h"
#include "common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define URI_MAX_LEN 4096
#define URI_MAX_OPTS 32

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode %XX in [s, s+n); refuses bad escapes and %00. */
static char *
pct_decode(const char *s, size_t n, const char *what, char **cause)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n) {
			xasprintf(cause, "truncated %% escape in %s", what);
			goto fail;
		}
		int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			xasprintf(cause, "bad %% escape '%.3s' in %s", s + i, what);
			goto fail;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

static int
parse_query(struct uri *u, const char *q, char **cause)
{
	const char *p = q;

	while (*p != '\0') {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		struct uri_opt opt;
		size_t i;

		if (len == 0) {
			p++;
			continue;
		}
		if (u->nopts == URI_MAX_OPTS) {
			xasprintf(cause, "too many options (at most %d)", URI_MAX_OPTS);
			return -1;
		}
		if (eq == NULL || eq == p) {
			xasprintf(cause, "option '%.*s' is not KEY=VALUE", (int)len, p);
			return -1;
		}
		opt.key = pct_decode(p, (size_t)(eq - p), "option name", cause);
		if (opt.key == NULL)
			return -1;
		opt.value = pct_decode(eq + 1, len - (size_t)(eq - p) - 1, "option value", cause);
		if (opt.value == NULL) {
			free(opt.key);
			return -1;
		}
		for (i = 0; i < u->nopts; i++) {
			if (strcmp(u->opts[i].key, opt.key) == 0) {
				xasprintf(cause, "option '%s' given twice", opt.key);
				free(opt.key);
				free(opt.value);
				return -1;
			}
		}
		u->opts = xreallocarray(u->opts, u->nopts + 1, sizeof *u->opts);
		u->opts[u->nopts++] = opt;
		p += len;
	}
	return 0;
}

int
uri_parse(const char *text, struct uri *u, char **cause)
{
	const char *colon, *query, *p;
	size_t len = strlen(text);

	memset(u, 0, sizeof *u);
	if (len == 0) {
		xasprintf(cause, "empty address");
		return -1;
	}
	if (len > URI_MAX_LEN) {
		xasprintf(cause, "address longer than %d bytes", URI_MAX_LEN);
		return -1;
	}
	for (p = text; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			xasprintf(cause, "address contains a space or control character");
			return -1;
		}
	}
	colon = strchr(text, ':');
	if (colon == NULL || colon == text) {
		xasprintf(cause, "'%s' has no SCHEME: prefix (e.g. tcp://HOST:PORT, unix:/PATH)", text);
		return -1;
	}
	for (p = text; p < colon; p++) {
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.') {
			xasprintf(cause, "bad character in scheme of '%s'", text);
			return -1;
		}
	}
	u->text = xstrdup(text);
	u->scheme = xstrndup(text, (size_t)(colon - text));
	for (char *s = u->scheme; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	query = strchr(colon + 1, '?');
	if (query == NULL)
		query = text + len;
	u->body = pct_decode(colon + 1, (size_t)(query - colon - 1), "address", cause);
	if (u->body == NULL)
		goto fail;
	if (*query == '?' && parse_query(u, query + 1, cause) != 0)
		goto fail;
	return 0;
fail:
	uri_clear(u);
	return -1;
}

void
uri_clear(struct uri *u)
{
	size_t i;

	for (i = 0; i < u->nopts; i++) {
		free(u->opts[i].key);
		free(u->opts[i].value);
	}
	free(u->opts);
	free(u->text);
	free(u->scheme);
	free(u->body);
	memset(u, 0, sizeof *u);
}

int
uri_split_hostport(const char *body, char **host, unsigned *port, char **cause)
{
	const char *h, *end, *colon;
	uint64_t v;

	if (strncmp(body, "//", 2) != 0) {
		xasprintf(cause, "expected //HOST:PORT after the scheme");
		return -1;
	}
	h = body + 2;
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL) {
			xasprintf(cause, "missing ']' after IPv6 address");
			return -1;
		}
		colon = end + 1;
		if (*colon != ':') {
			xasprintf(cause, "missing :PORT after ']'");
			return -1;
		}
		h++;
	} else {
		colon = strrchr(h, ':');
		if (colon == NULL) {
			xasprintf(cause, "missing :PORT");
			return -1;
		}
		end = colon;
		if (memchr(h, ':', (size_t)(end - h)) != NULL) {
			xasprintf(cause, "IPv6 addresses need brackets, as in tcp://[::1]:PORT");
			return -1;
		}
	}
	if (end == h) {
		xasprintf(cause, "missing host (use * for any address)");
		return -1;
	}
	if (memchr(h, '/', (size_t)(end - h)) != NULL) {
		xasprintf(cause, "'/' in host");
		return -1;
	}
	if (strchr(colon + 1, '/') != NULL) {
		xasprintf(cause, "unexpected path after the port");
		return -1;
	}
	if (parse_uint(colon + 1, 0, 65535, &v, cause) != 0)
		return -1;
	*host = xstrndup(h, (size_t)(end - h));
	*port = (unsigned)v;
	return 0;
}

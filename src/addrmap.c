/*
 * addrmap.c - matching names against map rules and filling templates.
 * A name that fills a template must be a plain host name or address
 * (letters, digits, '-', '.', '_', or an IPv6 literal, which gets brackets
 * in {host}): a client cannot steer a unix: template with "../" or '?'.
 */
#include "addrmap.h"
#include "common.h"
#include "transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
addrmap_name_is_safe(const char *s)
{
	if (*s == '\0' || *s == '.' || strstr(s, "..") != NULL)
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	}
	return true;
}

/* Fill TMPL; HOST, PORT and LABEL already checked. */
static char *
addrmap_fill(const char *tmpl, const char *host, uint16_t port, const char *label)
{
	size_t cap = strlen(tmpl) + 3 * 300, n = 0;
	char *out = xmalloc(cap), portbuf[8];
	struct in6_addr a6;
	bool v6 = inet_pton(AF_INET6, host, &a6) == 1;
	const char *p;

	snprintf(portbuf, sizeof portbuf, "%u", port);
	for (p = tmpl; *p != '\0';) {
		const char *val = NULL;
		size_t skip = 0;

		if (strncmp(p, "{host}", 6) == 0) {
			val = host;
			skip = 6;
		} else if (strncmp(p, "{port}", 6) == 0) {
			val = portbuf;
			skip = 6;
		} else if (strncmp(p, "{label}", 7) == 0) {
			val = label;
			skip = 7;
		}
		if (val == NULL) {
			if (n + 2 >= cap)
				out = xrealloc(out, cap *= 2);
			out[n++] = *p++;
			continue;
		}
		if (n + strlen(val) + 4 >= cap)
			out = xrealloc(out, cap = cap * 2 + strlen(val));
		n += (size_t)sprintf(out + n, v6 && val == host ? "[%s]" : "%s", val);
		p += skip;
	}
	out[n] = '\0';
	return out;
}

int
addrmap_rule_parse(const char *pattern, const char *tmpl, struct addrmap_rule *r, char **cause)
{
	const char *colon = strrchr(pattern, ':');
	size_t plen = colon != NULL ? (size_t)(colon - pattern) : strlen(pattern);
	char *filled, *why = NULL;
	struct taddr *ta;
	uint64_t port;

	memset(r, 0, sizeof *r);
	r->port = -1;
	if (colon != NULL && strcmp(colon + 1, "*") != 0) {
		if (parse_uint(colon + 1, 1, 65535, &port, &why) != 0) {
			xasprintf(cause, "map: bad port in '%s': %s", pattern, why);
			free(why);
			return -1;
		}
		r->port = (int)port;
	}
	r->pattern = xstrndup(pattern, plen);
	for (char *c = r->pattern; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	if (*r->pattern == '\0' || strchr(r->pattern + 1, '*') != NULL ||
	    (r->pattern[0] == '*' && r->pattern[1] != '\0' && r->pattern[1] != '.') ||
	    (strcmp(r->pattern, "*") != 0 && !addrmap_name_is_safe(r->pattern[0] == '*' ?
	    r->pattern + 2 : r->pattern))) {
		xasprintf(cause, "map: pattern '%s' is not NAME, *.SUFFIX or * (with an optional :PORT)",
		    pattern);
		addrmap_rule_clear(r);
		return -1;
	}
	r->tmpl = xstrdup(tmpl);
	filled = addrmap_fill(tmpl, "example.test", 1, "example");
	ta = taddr_parse(filled, TADDR_CONNECT, NULL, &why);
	free(filled);
	if (ta == NULL) {
		xasprintf(cause, "map: template '%s': %s", tmpl, why);
		free(why);
		addrmap_rule_clear(r);
		return -1;
	}
	if (!(ta->tp->flags & TRANSPORT_BYTE_STREAM)) {
		xasprintf(cause, "map: template '%s': a gateway relays byte streams; %s keeps "
		    "messages", tmpl, ta->tp->name);
		taddr_free(ta);
		addrmap_rule_clear(r);
		return -1;
	}
	taddr_free(ta);
	return 0;
}

void
addrmap_rule_clear(struct addrmap_rule *r)
{
	free(r->pattern);
	free(r->tmpl);
	memset(r, 0, sizeof *r);
}

/* Does HOST match PATTERN? *label gets what '*' matched. */
static bool
addrmap_match(const char *pattern, const char *host, char *label, size_t lsize)
{
	size_t hl = strlen(host), sl;

	if (strcmp(pattern, "*") == 0) {
		snprintf(label, lsize, "%s", host);
		return true;
	}
	if (pattern[0] != '*') {
		snprintf(label, lsize, "%s", host);
		return strcasecmp(pattern, host) == 0;
	}
	sl = strlen(pattern + 1);	/* ".suffix" */
	if (hl <= sl || strcasecmp(host + hl - sl, pattern + 1) != 0)
		return false;
	snprintf(label, lsize, "%.*s", (int)(hl - sl), host);
	return true;
}

bool
addrmap_matches(const struct addrmap_rule *rules, size_t n, const char *host, uint16_t port)
{
	char label[300];
	size_t i;

	for (i = 0; i < n; i++) {
		if ((rules[i].port < 0 || rules[i].port == port) &&
		    addrmap_match(rules[i].pattern, host, label, sizeof label))
			return true;
	}
	return false;
}

char *
addrmap_apply(const struct addrmap_rule *rules, size_t n, const char *mixed_host, uint16_t port,
    char **cause)
{
	char label[300], *uri, host[300];
	struct in6_addr a6;
	bool v6;
	size_t i;

	/* names are case-insensitive: fill templates with one spelling */
	for (i = 0; mixed_host[i] != '\0' && i < sizeof host - 1; i++)
		host[i] = (char)tolower((unsigned char)mixed_host[i]);
	host[i] = '\0';
	v6 = inet_pton(AF_INET6, host, &a6) == 1;

	for (i = 0; i < n; i++) {
		if (rules[i].port >= 0 && rules[i].port != port)
			continue;
		if (!addrmap_match(rules[i].pattern, host, label, sizeof label))
			continue;
		if (!v6 && !addrmap_name_is_safe(host)) {
			xasprintf(cause, "'%s' cannot fill map template %s", host, rules[i].tmpl);
			return NULL;
		}
		return addrmap_fill(rules[i].tmpl, host, port, label);
	}
	if (!v6 && !addrmap_name_is_safe(host)) {
		xasprintf(cause, "'%s' is not a host name or address", host);
		return NULL;
	}
	xasprintf(&uri, v6 ? "tcp://[%s]:%u" : "tcp://%s:%u", host, port);
	return uri;
}

/*
 * test_addrmap.c - address mapping: addrmap_rule_parse on good and bad
 * rules (pattern, port and template errors with their messages), and
 * addrmap_apply over tables: exact names, *.suffix and * patterns, ports,
 * {host} {port} {label}, IPv6 brackets, first match, names that must not
 * fill a template (refused with a cause), and the default tcp://HOST:PORT.
 */
#include "addrmap.h"
#include "common.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MAPS 6

static void
test_parse_good(void)
{
	static const struct {
		const char *pattern, *tmpl;
		const char *want_pattern;
		int want_port;
	} good[] = {
		{ "db.internal:5432", "unix:/run/postgresql/.s.PGSQL.5432", "db.internal", 5432 },
		{ "db.internal", "tcp://10.0.0.5:5432", "db.internal", -1 },
		{ "db.internal:*", "tcp://10.0.0.5:{port}", "db.internal", -1 },
		{ "*.svc.internal:*", "unix:/run/svc/{label}.sock", "*.svc.internal", -1 },
		{ "*.svc.internal:8080", "unix:/run/svc/{label}-{port}.sock", "*.svc.internal", 8080 },
		{ "*", "tcp://{host}:{port}", "*", -1 },
		{ "*:443", "tls+tcp://{host}:443", "*", 443 },
		{ "Web.Example.TEST:80", "tcp://127.0.0.1:8080", "web.example.test", 80 },
		{ "*.Svc.Test", "unix:/run/{label}.sock", "*.svc.test", -1 },
		{ "a-b_c.test:1", "tcp://{host}:65535", "a-b_c.test", 1 },
		{ "x.test:65535", "unix-abstract:x-{label}", "x.test", 65535 },
		{ "x.test", "mptcp://{host}:{port}", "x.test", -1 },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++) {
		struct addrmap_rule r;
		char *cause = NULL;
		int rc = addrmap_rule_parse(good[i].pattern, good[i].tmpl, &r, &cause);

		ok(rc == 0 && strcmp(r.pattern, good[i].want_pattern) == 0 && r.port == good[i].want_port &&
		    strcmp(r.tmpl, good[i].tmpl) == 0,
		    "map %s %s: pattern '%s' port %d%s%s", good[i].pattern, good[i].tmpl,
		    rc == 0 ? r.pattern : "?", rc == 0 ? r.port : 0, cause ? ": " : "", cause ? cause : "");
		free(cause);
		if (rc == 0)
			addrmap_rule_clear(&r);
	}
}

static void
test_parse_bad(void)
{
	static const struct {
		const char *pattern, *tmpl, *msg;
	} bad[] = {
		{ "", "tcp://a:1", "map: pattern '' is not NAME, *.SUFFIX or *" },
		{ ":80", "tcp://a:1", "map: pattern ':80' is not NAME" },
		{ "a*b.test", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "**", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "*x.test", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "*.", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "*.*.test", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "a/b.test", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "../x", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "a..b", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ ".a.test", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "a b", "tcp://a:1", "is not NAME, *.SUFFIX or *" },
		{ "web:0", "tcp://a:1", "map: bad port in 'web:0'" },
		{ "web:65536", "tcp://a:1", "map: bad port in 'web:65536'" },
		{ "web:x", "tcp://a:1", "map: bad port in 'web:x'" },
		{ "web:", "tcp://a:1", "map: bad port in 'web:'" },
		{ "web:80", "bogus://x:1", "map: template 'bogus://x:1': " },
		{ "web:80", "tcp://{host}", "map: template 'tcp://{host}': " },
		{ "web:80", "tcp://{host}:99999", "map: template 'tcp://{host}:99999': " },
		{ "web:80", "", "map: template '': " },
		{ "web:80", "{host}", "map: template '{host}': " },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++) {
		struct addrmap_rule r;
		char *cause = NULL;
		int rc = addrmap_rule_parse(bad[i].pattern, bad[i].tmpl, &r, &cause);

		ok(rc == -1 && cause != NULL && strstr(cause, bad[i].msg) != NULL && r.pattern == NULL &&
		    r.tmpl == NULL,
		    "map '%s' '%s' refused: '%s' (want '%s')", bad[i].pattern, bad[i].tmpl,
		    cause ? cause : "(no message)", bad[i].msg);
		free(cause);
		if (rc == 0)
			addrmap_rule_clear(&r);
	}
}

struct apply {
	const char *maps[MAX_MAPS][2];	/* PATTERN TEMPLATE pairs, NULL-terminated */
	const char *host;
	uint16_t port;
	const char *want;		/* NULL: refused */
	const char *cause;		/* substring of the cause when refused */
};

#define SVC { "db.internal:5432", "unix:/run/pg/.s.PGSQL.5432" }, \
	{ "*.svc.internal:*", "unix:/run/svc/{label}.sock" }, \
	{ "*.web.internal:80", "tcp://10.0.0.80:{port}" }, \
	{ "*.web.internal", "tcp://10.0.0.81:{port}" }

static const struct apply applies[] = {
	/* no rules: tcp://HOST:PORT, IPv6 in brackets */
	{ { { NULL } }, "example.com", 80, "tcp://example.com:80", NULL },
	{ { { NULL } }, "10.0.0.1", 22, "tcp://10.0.0.1:22", NULL },
	{ { { NULL } }, "::1", 443, "tcp://[::1]:443", NULL },
	{ { { NULL } }, "2001:db8::1", 1, "tcp://[2001:db8::1]:1", NULL },
	{ { { NULL } }, "a_b-c.example", 65535, "tcp://a_b-c.example:65535", NULL },
	{ { { NULL } }, "a/b", 80, NULL, "'a/b' is not a host name or address" },
	{ { { NULL } }, "../etc", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, ".hidden", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, "a..b", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, "", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, "x?y=1", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, "x@y", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, "x y", 80, NULL, "is not a host name or address" },
	{ { { NULL } }, "fe80::1%eth0", 80, NULL, "is not a host name or address" },
	/* exact name and port */
	{ { SVC, { NULL } }, "db.internal", 5432, "unix:/run/pg/.s.PGSQL.5432", NULL },
	{ { SVC, { NULL } }, "DB.Internal", 5432, "unix:/run/pg/.s.PGSQL.5432", NULL },
	{ { SVC, { NULL } }, "db.internal", 5433, "tcp://db.internal:5433", NULL },
	{ { SVC, { NULL } }, "xdb.internal", 5432, "tcp://xdb.internal:5432", NULL },
	/* *.suffix with {label}: what the '*' matched, dots included */
	{ { SVC, { NULL } }, "api.svc.internal", 9000, "unix:/run/svc/api.sock", NULL },
	{ { SVC, { NULL } }, "v2.api.svc.internal", 9000, "unix:/run/svc/v2.api.sock", NULL },
	{ { SVC, { NULL } }, "API.SVC.Internal", 1, "unix:/run/svc/api.sock", NULL },	/* names are filled in lower case */
	{ { SVC, { NULL } }, "svc.internal", 9000, "tcp://svc.internal:9000", NULL },
	{ { SVC, { NULL } }, "apisvc.internal", 9000, "tcp://apisvc.internal:9000", NULL },
	/* a port-specific rule first, then the any-port one */
	{ { SVC, { NULL } }, "www.web.internal", 80, "tcp://10.0.0.80:80", NULL },
	{ { SVC, { NULL } }, "www.web.internal", 8080, "tcp://10.0.0.81:8080", NULL },
	/* names that must not fill a template */
	{ { SVC, { NULL } }, "../secret.svc.internal", 1, NULL,
	    "'../secret.svc.internal' cannot fill map template unix:/run/svc/{label}.sock" },
	{ { SVC, { NULL } }, "a/../../etc/passwd.svc.internal", 1, NULL, "cannot fill map template" },
	{ { SVC, { NULL } }, "x..svc.internal", 1, NULL, "cannot fill map template" },
	{ { SVC, { NULL } }, "%2e%2e.svc.internal", 1, NULL, "cannot fill map template" },
	{ { SVC, { NULL } }, "a?b.svc.internal", 1, NULL, "cannot fill map template" },
	{ { SVC, { NULL } }, ".svc.internal", 1, NULL, "is not a host name or address" },
	/* * and {host}: IPv6 gets brackets in {host}, not in {label} */
	{ { { "*", "tcp://{host}:{port}" }, { NULL } }, "example.com", 8443, "tcp://example.com:8443", NULL },
	{ { { "*", "tcp://{host}:{port}" }, { NULL } }, "::1", 8443, "tcp://[::1]:8443", NULL },
	{ { { "*", "tcp://{host}:{port}" }, { NULL } }, "2001:db8::2", 80, "tcp://[2001:db8::2]:80", NULL },
	{ { { "*", "unix:/run/{label}.sock" }, { NULL } }, "::1", 80, "unix:/run/::1.sock", NULL },
	{ { { "*", "tcp://{host}:{port}" }, { NULL } }, "a/b", 80, NULL, "cannot fill map template" },
	{ { { "*:443", "tls+tcp://{host}:443" }, { NULL } }, "x.test", 443, "tls+tcp://x.test:443", NULL },
	{ { { "*:443", "tls+tcp://{host}:443" }, { NULL } }, "x.test", 80, "tcp://x.test:80", NULL },
	/* first match wins */
	{ { { "a.test", "tcp://10.0.0.1:1" }, { "*.test", "tcp://10.0.0.2:2" }, { NULL } }, "a.test", 9,
	    "tcp://10.0.0.1:1", NULL },
	{ { { "*.test", "tcp://10.0.0.2:2" }, { "a.test", "tcp://10.0.0.1:1" }, { NULL } }, "a.test", 9,
	    "tcp://10.0.0.2:2", NULL },
	/* placeholders repeated, and text that only looks like one */
	{ { { "*.r.test", "unix:/s/{label}/{label}-{port}-{port}.{host}" }, { NULL } }, "q.r.test", 7,
	    "unix:/s/q/q-7-7.q.r.test", NULL },
	{ { { "*.r.test", "unix:/s/{lab}{label}{hostname}" }, { NULL } }, "q.r.test", 7,
	    "unix:/s/{lab}q{hostname}", NULL },
};

static void
test_apply(void)
{
	size_t i, j;

	for (i = 0; i < MPTN_ARRAY_LEN(applies); i++) {
		const struct apply *a = &applies[i];
		struct addrmap_rule rules[MAX_MAPS];
		size_t n = 0;
		char *cause = NULL, *got;
		bool parsed = true;

		for (j = 0; a->maps[j][0] != NULL; j++) {
			if (addrmap_rule_parse(a->maps[j][0], a->maps[j][1], &rules[n], &cause) != 0) {
				ok(0, "map %s %s parses: %s", a->maps[j][0], a->maps[j][1], cause);
				free(cause);
				cause = NULL;
				parsed = false;
				break;
			}
			n++;
		}
		if (parsed) {
			got = addrmap_apply(rules, n, a->host, a->port, &cause);
			if (a->want != NULL)
				ok(got != NULL && strcmp(got, a->want) == 0,
				    "%zu rule(s): %s:%u -> %s (want %s)", n, a->host, a->port,
				    got ? got : cause, a->want);
			else
				ok(got == NULL && cause != NULL && strstr(cause, a->cause) != NULL,
				    "%zu rule(s): %s:%u refused: %s (want '%s')", n, a->host, a->port,
				    got ? got : cause, a->cause);
			free(got);
			free(cause);
		}
		for (j = 0; j < n; j++)
			addrmap_rule_clear(&rules[j]);
	}
}

/* Long names through templates that repeat them: the output grows past its first guess. */
static void
test_long(void)
{
	struct addrmap_rule r;
	char host[256], want[2048], *got, *cause = NULL;
	size_t i;

	for (i = 0; i < 255; i++)
		host[i] = (i % 64 == 63) ? '.' : 'a' + (char)(i % 26);
	host[255] = '\0';
	if (addrmap_rule_parse("*", "unix:/x/{host}/{label}/{host}/{label}/{port}", &r, &cause) != 0) {
		ok(0, "long-name rule parses: %s", cause);
		free(cause);
		return;
	}
	snprintf(want, sizeof want, "unix:/x/%s/%s/%s/%s/65535", host, host, host, host);
	got = addrmap_apply(&r, 1, host, 65535, &cause);
	ok(got != NULL && strcmp(got, want) == 0, "a 255-byte name fills a template four times (%zu bytes)",
	    got ? strlen(got) : 0);
	free(got);
	free(cause);
	addrmap_rule_clear(&r);
}

int
main(void)
{
	test_parse_good();
	test_parse_bad();
	test_apply();
	test_long();
	return tap_done();
}

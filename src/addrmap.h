/*
 * addrmap.h - address mapping: how a name a gateway receives (host, port)
 * becomes a transport address. Rules are tried in order, first match wins:
 *   map db.internal:5432     unix:/run/postgresql/.s.PGSQL.5432
 *   map *.svc.internal:*     unix:/run/svc/{label}.sock
 *   map *.sctp.internal:*    sctp://{host}:{port}
 * A pattern is an exact name, "*.SUFFIX" or "*", with ":PORT" or ":*"
 * (default any port). The template is any target URI; {host}, {port} and
 * {label} (what the leading '*' matched) are filled in. A name with no rule
 * goes to tcp://HOST:PORT (DNS through c-ares).
 */
#ifndef MPTN_ADDRMAP_H
#define MPTN_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addrmap_rule {
	char *pattern;		/* lower case; "*", "*.suffix" or exact */
	int port;		/* -1: any */
	char *tmpl;
};

/* Parse "PATTERN[:PORT] TEMPLATE"; the template is checked by filling it in. */
int addrmap_rule_parse(const char *pattern, const char *tmpl, struct addrmap_rule *, char **cause);
void addrmap_rule_clear(struct addrmap_rule *);

/*
 * The target URI for HOST:PORT (caller frees). NULL with *cause when a rule
 * matched but HOST cannot go into its template safely.
 */
char *addrmap_apply(const struct addrmap_rule *, size_t n, const char *host, uint16_t port,
    char **cause);
/* Does a rule (not the tcp:// default) take HOST:PORT? */
bool addrmap_matches(const struct addrmap_rule *, size_t n, const char *host, uint16_t port);

#endif

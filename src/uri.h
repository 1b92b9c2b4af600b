/*
 * uri.h - the generic shape of every mptnd address: SCHEME:BODY[?K=V&K=V].
 * This layer only splits and percent-decodes; each transport gives the body
 * and the options their meaning.
 */
#ifndef MPTN_URI_H
#define MPTN_URI_H

#include <stddef.h>

struct uri_opt {
	char *key;
	char *value;
};

struct uri {
	char *text;		/* as written */
	char *scheme;		/* lower case, e.g. "tcp", "unix-abstract" */
	char *body;		/* after "SCHEME:", before '?', percent-decoded */
	struct uri_opt *opts;
	size_t nopts;
};

/* Split TEXT into a uri; fails with a message naming what is wrong. */
int uri_parse(const char *text, struct uri *, char **cause);
void uri_clear(struct uri *);

/*
 * Split an "//HOST:PORT" body into host and port. HOST may be a bracketed
 * IPv6 literal ("[::1]", returned without brackets), a name, an IPv4
 * literal, or "*". Fails on a missing or out-of-range port.
 */
int uri_split_hostport(const char *body, char **host, unsigned *port, char **cause);

#endif

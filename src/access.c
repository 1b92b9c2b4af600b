/*
 * access.c - matching access rules. CIDRs are kept as address + prefix
 * length per family; an IPv4-mapped IPv6 client is matched as IPv4. Name
 * patterns use shell globs, case-insensitive (*.svc.internal). A `to CIDR`
 * condition matches destinations given as addresses; a name is matched by
 * patterns only (its addresses are not known before the connect).
 */
#include "access.h"
#include "common.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

enum cond_kind { COND_FROM, COND_UID, COND_GID, COND_USER, COND_TO_NET, COND_TO_NAME, COND_PORT,
	COND_CERT };

struct cidr {
	int family;
	unsigned char addr[16];
	unsigned prefix;
};

struct access_cond {
	enum cond_kind kind;
	struct cidr net;
	uint64_t id;			/* uid, gid */
	char *name;			/* user, name pattern */
	uint16_t port_lo, port_hi;
};

static int
cidr_parse(const char *s, struct cidr *c, char **cause)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	uint64_t prefix;
	char *why = NULL;

	if (strlen(s) >= sizeof buf)
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	memset(c, 0, sizeof *c);
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else
		goto bad;
	if (slash != NULL) {
		if (parse_uint(slash + 1, 0, c->prefix, &prefix, &why) != 0) {
			free(why);
			goto bad;
		}
		c->prefix = (unsigned)prefix;
	}
	return 0;
bad:
	xasprintf(cause, "'%s' is not an address or CIDR (e.g. 10.0.0.0/8, ::1/128)", s);
	return -1;
}

static bool
cidr_match(const struct cidr *c, int family, const unsigned char *addr)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if (family != c->family)
		return false;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

/* The family and raw bytes of SS; IPv4-mapped IPv6 becomes IPv4. */
static int
raw_addr(const struct sockaddr_storage *ss, unsigned char *out)
{
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		return AF_INET;
	}
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(out, a->s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(out, a, 16);
		return AF_INET6;
	}
	return AF_UNSPEC;
}

int
access_rule_parse(char *const *argv, size_t argc, struct access_rule *r, char **cause)
{
	size_t i, len = 0;

	memset(r, 0, sizeof *r);
	if (strcmp(argv[0], "allow") == 0)
		r->allow = true;
	else if (strcmp(argv[0], "deny") != 0) {
		xasprintf(cause, "expected allow or deny");
		return -1;
	}
	for (i = 1; i < argc; i += 2) {
		struct access_cond c;
		char *why = NULL;

		memset(&c, 0, sizeof c);
		if (i + 1 >= argc) {
			xasprintf(cause, "%s: '%s' needs a value", argv[0], argv[i]);
			goto fail;
		}
		if (strcmp(argv[i], "from") == 0) {
			c.kind = COND_FROM;
			if (cidr_parse(argv[i + 1], &c.net, cause) != 0)
				goto fail;
		} else if (strcmp(argv[i], "uid") == 0 || strcmp(argv[i], "gid") == 0) {
			c.kind = argv[i][0] == 'u' ? COND_UID : COND_GID;
			if (parse_uint(argv[i + 1], 0, UINT32_MAX - 1, &c.id, &why) != 0) {
				xasprintf(cause, "%s: %s", argv[i], why);
				free(why);
				goto fail;
			}
		} else if (strcmp(argv[i], "user") == 0) {
			c.kind = COND_USER;
			c.name = xstrdup(argv[i + 1]);
		} else if (strcmp(argv[i], "cert") == 0) {
			c.kind = COND_CERT;
			c.name = xstrdup(argv[i + 1]);
		} else if (strcmp(argv[i], "to") == 0) {
			if (cidr_parse(argv[i + 1], &c.net, &why) == 0)
				c.kind = COND_TO_NET;
			else {
				c.kind = COND_TO_NAME;
				c.name = xstrdup(argv[i + 1]);
			}
			free(why);
		} else if (strcmp(argv[i], "port") == 0) {
			uint64_t lo, hi;
			char buf[32], *dash;

			c.kind = COND_PORT;
			snprintf(buf, sizeof buf, "%s", argv[i + 1]);
			dash = strchr(buf, '-');
			if (dash != NULL)
				*dash = '\0';
			if (parse_uint(buf, 1, 65535, &lo, &why) != 0 ||
			    parse_uint(dash != NULL ? dash + 1 : buf, lo, 65535, &hi, &why) != 0) {
				xasprintf(cause, "port takes N or N-M within 1-65535, not '%s'", argv[i + 1]);
				free(why);
				goto fail;
			}
			c.port_lo = (uint16_t)lo;
			c.port_hi = (uint16_t)hi;
		} else {
			xasprintf(cause, "%s: unknown condition '%s' (from, uid, gid, user, cert, to, port)",
			    argv[0], argv[i]);
			goto fail;
		}
		r->conds = xreallocarray(r->conds, r->nconds + 1, sizeof *r->conds);
		r->conds[r->nconds++] = c;
	}
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	r->text = xmalloc(len + 1);
	r->text[0] = '\0';
	for (i = 0; i < argc; i++) {
		strcat(r->text, argv[i]);
		if (i + 1 < argc)
			strcat(r->text, " ");
	}
	return 0;
fail:
	access_rule_clear(r);
	return -1;
}

void
access_rule_clear(struct access_rule *r)
{
	size_t i;

	for (i = 0; i < r->nconds; i++)
		free(r->conds[i].name);
	free(r->conds);
	free(r->text);
	memset(r, 0, sizeof *r);
}

bool
access_rule_needs_cert(const struct access_rule *r)
{
	size_t i;

	for (i = 0; i < r->nconds; i++) {
		if (r->conds[i].kind == COND_CERT)
			return true;
	}
	return false;
}

/* Does PATTERN match the CN or one SAN of IDENTITY ("CN=a,SAN=DNS:b,email:c")? */
static bool
identity_match(const char *pattern, const char *identity)
{
	char buf[1024], *tok, *save = NULL;

	if (identity == NULL)
		return false;
	snprintf(buf, sizeof buf, "%s", identity);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		const char *v = tok;

		if (strncmp(v, "CN=", 3) == 0)
			v += 3;
		else {
			if (strncmp(v, "SAN=", 4) == 0)
				v += 4;
			v = strchr(v, ':') != NULL ? strchr(v, ':') + 1 : v;
		}
		if (fnmatch(pattern, v, FNM_CASEFOLD) == 0)
			return true;
	}
	return false;
}

bool
access_rule_is_per_request(const struct access_rule *r)
{
	size_t i;

	for (i = 0; i < r->nconds; i++) {
		enum cond_kind k = r->conds[i].kind;

		if (k == COND_USER || k == COND_TO_NET || k == COND_TO_NAME || k == COND_PORT)
			return true;
	}
	return false;
}

void
access_client_from_fd(int fd, struct access_client *c)
{
	socklen_t len = sizeof c->addr;
	struct ucred cred;
	socklen_t clen = sizeof cred;

	memset(c, 0, sizeof *c);
	if (getpeername(fd, (struct sockaddr *)&c->addr, &len) != 0)
		c->addr.ss_family = AF_UNSPEC;
	if (c->addr.ss_family == AF_UNIX &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		c->has_cred = true;
		c->uid = cred.uid;
		c->gid = cred.gid;
	}
}

static bool
cond_match(const struct access_cond *c, const struct access_client *cl, const char *user,
    const struct access_dest *d)
{
	unsigned char raw[16];
	int family;

	switch (c->kind) {
	case COND_FROM:
		family = raw_addr(&cl->addr, raw);
		return family != AF_UNSPEC && cidr_match(&c->net, family, raw);
	case COND_UID:
		return cl->has_cred && cl->uid == (uid_t)c->id;
	case COND_GID:
		return cl->has_cred && cl->gid == (gid_t)c->id;
	case COND_USER:
		return user != NULL && strcmp(user, c->name) == 0;
	case COND_CERT:
		return identity_match(c->name, cl->identity);
	case COND_TO_NET:
		if (d == NULL || d->host == NULL)
			return false;
		if (inet_pton(AF_INET, d->host, raw) == 1)
			return cidr_match(&c->net, AF_INET, raw);
		if (inet_pton(AF_INET6, d->host, raw) == 1) {
			if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)raw))	/* ::ffff:a.b.c.d is IPv4 */
				return cidr_match(&c->net, AF_INET, raw + 12);
			return cidr_match(&c->net, AF_INET6, raw);
		}
		return false;
	case COND_TO_NAME:
		return d != NULL && d->host != NULL && fnmatch(c->name, d->host, FNM_CASEFOLD) == 0;
	case COND_PORT:
		return d != NULL && d->port >= c->port_lo && d->port <= c->port_hi;
	}
	return false;
}

bool
access_check(const struct access_rule *rules, size_t n, const struct access_client *cl,
    const char *user, const struct access_dest *d, const char **why)
{
	size_t i, j;

	if (n == 0) {
		unsigned char raw[16];
		int family = raw_addr(&cl->addr, raw);
		bool local = (family == AF_INET && raw[0] == 127) ||
		    (family == AF_INET6 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)raw)) ||
		    (cl->addr.ss_family == AF_UNIX && cl->has_cred && cl->uid == geteuid());

		*why = local ? "default (loopback or same-uid client)" :
		    "default (only loopback and same-uid clients without allow rules)";
		return local;
	}
	for (i = 0; i < n; i++) {
		bool all = true;

		for (j = 0; j < rules[i].nconds && all; j++)
			all = cond_match(&rules[i].conds[j], cl, user, d);
		if (all) {
			*why = rules[i].text;
			return rules[i].allow;
		}
	}
	*why = "no rule matched";
	return false;
}

static bool
is_internal(const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) || a[0] == 0 ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64);
	if (inet_pton(AF_INET6, host, a) == 1) {
		const struct in6_addr *a6 = (const struct in6_addr *)a;

		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			char v4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, a + 12, v4, sizeof v4);
			return is_internal(v4);
		}
		return IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_LINKLOCAL(a6) ||
		    IN6_IS_ADDR_UNSPECIFIED(a6) || (a[0] & 0xfe) == 0xfc;
	}
	return strcasecmp(host, "localhost") == 0;
}

bool
access_is_internal_blocked(const struct access_rule *rules, size_t n,
    const struct access_client *cl, const char *user, const struct access_dest *d)
{
	size_t i, j;

	if (d == NULL || d->host == NULL || !is_internal(d->host))
		return false;
	for (i = 0; i < n; i++) {
		bool all = true, names_dest = false;

		for (j = 0; j < rules[i].nconds && all; j++) {
			all = cond_match(&rules[i].conds[j], cl, user, d);
			names_dest = names_dest || rules[i].conds[j].kind == COND_TO_NET ||
			    rules[i].conds[j].kind == COND_TO_NAME;
		}
		if (all)
			return !(rules[i].allow && names_dest);
	}
	return true;
}

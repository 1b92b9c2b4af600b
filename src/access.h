/*
 * access.h - allow/deny rules of a listener: by client address (CIDR),
 * Unix peer credentials (uid, gid), authenticated user, and destination
 * (CIDR for address destinations, name patterns, port ranges). First match
 * wins; with rules and no match the answer is deny. With no rules a
 * gateway admits only loopback clients and Unix clients of mptnd's own uid.
 */
#ifndef MPTN_ACCESS_H
#define MPTN_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct access_cond;

struct access_rule {
	bool allow;
	struct access_cond *conds;	/* all must match; none: matches everything */
	size_t nconds;
	char *text;			/* as written, for logs */
};

/* Who is asking. */
struct access_client {
	struct sockaddr_storage addr;	/* AF_INET/AF_INET6, or AF_UNIX */
	bool has_cred;			/* Unix peer credentials known */
	uid_t uid;
	gid_t gid;
	const char *identity;		/* verified TLS client certificate ("CN=..,SAN=.."), or NULL */
};

/* Where to: NULL host when deciding at accept time. */
struct access_dest {
	const char *host;		/* a name or an address literal */
	uint16_t port;
};

/*
 * Parse "allow|deny [from CIDR] [uid N] [gid N] [user NAME] [cert PATTERN]
 * [to CIDR|PATTERN] [port N[-M]]". `cert` matches the CN or a SAN (DNS,
 * email, URI) of a verified TLS client certificate.
 */
int access_rule_parse(char *const *argv, size_t argc, struct access_rule *, char **cause);
void access_rule_clear(struct access_rule *);
/* Does a rule need the destination or user (so it can only be decided after a request)? */
bool access_rule_is_per_request(const struct access_rule *);
/* Does a rule look at the TLS client certificate (decided after the handshake)? */
bool access_rule_needs_cert(const struct access_rule *);

/* The client's address and credentials from an accepted fd. */
void access_client_from_fd(int fd, struct access_client *);

/*
 * Decide for CLIENT (and USER, DEST when known). *why names the rule that
 * matched, or the default, for the log line.
 */
bool access_check(const struct access_rule *, size_t n, const struct access_client *,
    const char *user, const struct access_dest *, const char **why);
/*
 * RELIABILITY R15: a listener open beyond loopback may not reach loopback,
 * link-local (cloud metadata included), RFC 1918 or unique-local addresses
 * unless an allow rule naming the destination (`to ...`) admits it.
 * Returns true when DEST is such an address and no such rule matches.
 */
bool access_is_internal_blocked(const struct access_rule *, size_t n, const struct access_client *,
    const char *user, const struct access_dest *);

#endif

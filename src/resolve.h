/*
 * resolve.h - asynchronous A/AAAA lookups through c-ares on a worker's
 * event_base. Results come back ordered for Happy Eyeballs (RFC 8305 §4:
 * address families interleaved, IPv6 first).
 */
#ifndef MPTN_RESOLVE_H
#define MPTN_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct resolver;
struct resolve_req;

typedef void (*resolve_cb)(void *arg, const struct sockaddr_storage *addrs, size_t n,
    const char *error);

struct resolver *resolver_new(struct event_base *);
void resolver_free(struct resolver *);
/*
 * Look HOST up. CB runs exactly once unless cancelled first; it may run
 * before this returns (answers from /etc/hosts, immediate errors), in which
 * case the return value is NULL.
 */
struct resolve_req *resolver_lookup(struct resolver *, const char *host, unsigned port,
    resolve_cb cb, void *arg);
/* Drop a pending lookup: its callback will not run. */
void resolve_cancel(struct resolve_req *);

/* Order ADDRS in place for Happy Eyeballs (exported for unit tests). */
void resolve_interleave(struct sockaddr_storage *addrs, size_t n);

#endif

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

/* One DNS SRV answer (RFC 2782). */
struct srv_entry {
	char host[256];
	unsigned port;
	unsigned priority;
	unsigned weight;
};
#define RESOLVE_MAX_SRV 16

typedef void (*resolve_srv_cb)(void *arg, const struct srv_entry *, size_t n, const char *error);

/* Look up the SRV records of NAME; answers come ordered for use (see srv_order). */
struct resolve_req *resolver_lookup_srv(struct resolver *, const char *name, resolve_srv_cb cb,
    void *arg);
/*
 * RFC 2782 order: lowest priority first; within a priority, a weighted
 * random pick, repeated (weight 0 entries last but still possible).
 * RANDOM returns a value in [0, bound).
 */
void srv_order(struct srv_entry *, size_t n, unsigned (*random)(unsigned bound));

/* Name servers for every resolver made from now on ("IP[:PORT],..."), or NULL for resolv.conf. */
void resolver_set_servers(const char *csv);

#endif

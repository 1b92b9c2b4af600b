/*
 * listener.h - listening sockets across configuration generations.
 * The main thread binds (reusing the sockets of addresses that did not
 * change), then every worker swaps its accept events to the new generation,
 * then the sockets no longer named are closed. Relayed connections are
 * never touched by a swap.
 */
#ifndef MPTN_LISTENER_H
#define MPTN_LISTENER_H

#include <stddef.h>

struct config;
struct lconf;
struct taddr;
struct worker;

/* One listen address: a socket shared by the workers, or one per worker (SO_REUSEPORT). */
struct lsock {
	struct lconf *conf;
	struct taddr *addr;
	int *fds;
	size_t nfds;		/* 1, or the number of workers */
};

struct gen {
	struct config *cfg;
	struct lsock *socks;
	size_t nsocks;
};

/* Bind every listen address of CFG, reusing OLD's sockets for equal addresses. */
struct gen *listener_bind(struct config *cfg, struct gen *old, char **cause);
/* Make every worker accept on GEN's sockets (and no longer on older ones). */
void listener_attach(struct gen *);
/* Close OLD's sockets that NEW does not reuse (NEW may be NULL), free OLD. */
void listener_release(struct gen *old, struct gen *new);
/* Stop this worker's accept events (on the worker's thread). */
void listener_detach_worker(struct worker *);
/* Allocate per-worker listener state once the workers exist. */
void listener_init(size_t nworkers);

#endif

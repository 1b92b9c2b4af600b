/*
 * bridge.h - one relayed connection: the accepted half (front) and the
 * dialled half (back), and the only code that moves bytes between them.
 */
#ifndef MPTN_BRIDGE_H
#define MPTN_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event_struct.h>

struct bufferevent;
struct config;
struct dial;
struct lconf;
struct taddr;
struct worker;

struct half {
	struct bridge *bridge;
	struct bufferevent *bev;	/* NULL until connected (back) */
	const struct taddr *ta;
	char *name;			/* peer address, for logs */
	uint64_t bytes;			/* read from this half, sent to the other */
	bool eof;			/* this half's read side ended */
	bool shut;			/* we shut this half's write side */
	bool throttled;			/* reading paused: the other half's output is full */
	bool secured;			/* TLS handshake done (TLS halves) */
	char *identity;			/* verified TLS peer certificate, for logs and rules */
	struct event *tls_shut;		/* retries close_notify when the socket was full */
};

struct bridge {
	TAILQ_ENTRY(bridge) entry;	/* on its worker's list */
	uint64_t id;
	struct worker *w;
	struct config *cfg;		/* held until the bridge is freed */
	const struct lconf *conf;
	struct half front, back;
	struct dial *dial;
	size_t target;			/* index of the target being tried */
	size_t tries;
	char last_error[160];
	struct event timer;		/* idle/fin timeout, then the deferred free */
	uint64_t started_ms, active_ms;
	bool closed;
};

/* Relay accepted FD (on listen address LISTEN of CONF) to CONF's targets. */
void bridge_start(struct worker *, struct config *, const struct lconf *conf,
    const struct taddr *listen, int fd);
/* The one close path: log, stop, and free later from the loop. */
void bridge_close(struct bridge *, const char *reason);

#endif

/*
 * bridge.h - one relayed connection: the accepted half (front) and the
 * dialled half (back). The bridge owns both halves and their lifecycle;
 * a pump (pump-fd.c for plain kernel sockets, stream or message, pump-bev.c
 * for TLS and other layered halves) is the only code that moves bytes
 * between them.
 */
#ifndef MPTN_BRIDGE_H
#define MPTN_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event_struct.h>

#include "clientcount.h"
#include "timeq.h"

struct bufferevent;
struct config;
struct dial;
struct lconf;
struct pump;
struct taddr;
struct worker;
struct pipe_pair;
struct handshake;

struct half {
	struct bridge *bridge;
	const struct taddr *ta;
	char *name;			/* peer address, for logs */
	uint64_t bytes;			/* read from this half, sent to the other */
	bool eof;			/* this half's read side ended */
	bool shut;			/* we shut this half's write side */
	bool live;			/* attached to a pump */
	/* pump-bev.c */
	struct bufferevent *bev;
	bool throttled;			/* reading paused: the other half's output is full */
	bool secured;			/* TLS handshake done (TLS halves) */
	char *identity;			/* verified TLS peer certificate, for logs and rules */
	int fd_for_rules;		/* the accepted socket, for rules decided after TLS */
	struct event *tls_shut;		/* retries close_notify when the socket was full */
	/* pump-fd.c: the socket, and what was read from it but not yet written on */
	int fd;
	struct event ev;		/* edge-triggered: read, and write once it was full */
	bool can_read, can_write;
	bool watch_write;		/* ev reports writability too */
	bool splice;			/* this direction moves through a pipe */
	bool splice_failed;		/* never again for this direction */
	char *buf;
	uint32_t buf_off, buf_len;
	struct pipe_pair *pipe;
	uint32_t in_pipe;
	bool msg;			/* a message socket: one recv or send per message */
	uint8_t framing;		/* enum msg_framing, toward a byte-stream peer */
};

enum bridge_splice { BRIDGE_SPLICE_OFF, BRIDGE_SPLICE_ON, BRIDGE_SPLICE_AUTO };

struct bridge {
	TAILQ_ENTRY(bridge) entry;	/* on its worker's list */
	uint64_t id;
	struct worker *w;
	struct config *cfg;		/* held until the bridge is freed */
	const struct lconf *conf;
	const struct pump *pump;
	struct half front, back;
	struct handshake *hs;		/* a gateway's handshake, while it lasts */
	const char *linger;		/* close with this reason once the front has our reply */
	struct taddr *const *targets;	/* the listener's, or own_targets */
	size_t ntargets;
	struct taddr **own_targets;	/* chosen by a gateway */
	size_t nown;
	struct dial *dial;
	size_t target;			/* index of the target being tried */
	size_t tries;
	int last_err;			/* errno of the last failed dial, or DIAL_ERR_NAME */
	char last_error[160];
	char *close_reason;		/* a reason built at run time, kept until the free */
	struct clientkey client;	/* counted for max-connections-per-client */
	struct timeq_entry timer;	/* idle, fin, handshake or linger timeout */
	uint64_t started_ms, active_ms;
	bool messages;			/* an address keeps message boundaries: never splice */
	bool closed;
};

/* Relay accepted FD (on listen address LISTEN of CONF) to CONF's targets. */
void bridge_start(struct worker *, struct config *, const struct lconf *conf,
    const struct taddr *listen, int fd);
/* The one close path: log, stop, and free later from the loop. */
void bridge_close(struct bridge *, const char *reason);
/* Free a closed bridge (the worker's reap event does, from the loop). */
void bridge_free(struct bridge *);

/* The front's TLS handshake finished: dial now (the target waits for it). */
void bridge_front_secured(struct bridge *);
/* Dial b->targets in order (after a gateway has set them). */
void bridge_dial(struct bridge *);
/* Close once the front has been sent what is queued for it (a refusal). */
void bridge_linger(struct bridge *, const char *reason);
/* Re-arm the bridge's timer for its current state. */
void bridge_arm_timer(struct bridge *);

/* For the pumps. */
struct half *bridge_peer(struct bridge *, struct half *);
const char *bridge_label(struct bridge *, struct half *);
/* DST's write side is shut: end the bridge if both are, else start the fin timer. */
void bridge_shut_done(struct bridge *, struct half *dst);
/* The pump moved bytes: feed a running handshake, finish a linger. */
void bridge_after_io(struct bridge *);

#endif

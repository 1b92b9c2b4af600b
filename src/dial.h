/*
 * dial.h - a non-blocking connect to one transport address: name lookup
 * (c-ares) if needed, then Happy Eyeballs (RFC 8305) over the candidates,
 * all within one timeout. For an SRV name, its answers are dialled one
 * after the other in RFC 2782 order until one connects. Used by every
 * kernel-socket transport.
 */
#ifndef MPTN_DIAL_H
#define MPTN_DIAL_H

#include <stdint.h>
#include <sys/socket.h>

#include "transport.h"

struct worker;
struct dial;

struct dial_spec {
	const char *host;			/* a name to resolve, or NULL */
	unsigned port;
	const struct sockaddr_storage *addr;	/* used when host is NULL */
	socklen_t addrlen;
	int protocol;				/* 0, or IPPROTO_MPTCP */
	int type;				/* 0 (SOCK_STREAM), or SOCK_SEQPACKET */
	const char *srv_name;			/* dial the DNS SRV answers of this name instead */
};

/* RFC 8305 §5: the Connection Attempt Delay. */
#define DIAL_ATTEMPT_DELAY_MS 250

/*
 * Start connecting. CB runs exactly once from the worker's loop (never
 * from inside dial_start) unless dial_cancel() comes first.
 */
struct dial *dial_start(struct worker *, const struct dial_spec *, uint64_t timeout_ms,
    dial_cb cb, void *arg);
/* Stop a dial that has not reported: its sockets are closed, CB never runs. */
void dial_cancel(struct dial *);

/*
 * A dial completed by another thread (a transport module with its own
 * stack): dial_wait() returns the dial and a token; that thread hands the
 * connected fd (or an error) to dial_token_complete(), from any thread,
 * exactly once. A dial cancelled or timed out meanwhile closes the fd.
 */
struct dial_token;
struct dial *dial_wait(struct worker *, uint64_t timeout_ms, dial_cb cb, void *arg,
    struct dial_token **token);
void dial_token_complete(struct dial_token *, int fd, int err, const char *why);

#endif

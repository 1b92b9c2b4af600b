/*
 * sctp-usrsctp.h - the usrsctp backend of the sctp transport: one
 * process-wide userland SCTP stack in AF_CONN mode, driven by the SCTP
 * thread's event_base, carried over UDP sockets it owns (RFC 6951
 * encapsulation). Neutral types only: usrsctp.h stays inside the .c file.
 */
#ifndef MPTN_SCTP_USRSCTP_H
#define MPTN_SCTP_USRSCTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sctp-assoc.h"

struct event_base;

#define SCTP_BIND_MAX 8

/* Stack-wide settings (the module's `transport sctp { }` block). */
struct sctp_stack_conf {
	struct sockaddr_storage bind[SCTP_BIND_MAX];	/* UDP socket addresses */
	size_t nbind;
	unsigned udp_port;		/* local encapsulation port (0: any) */
	unsigned streams;		/* default outbound/inbound streams */
	uint64_t max_message;
	uint64_t rto_min, rto_initial, rto_max, heartbeat;	/* ms */
	unsigned max_retrans;		/* association (and at most path) retransmissions */
	unsigned path_mtu;
	uint64_t sndbuf, rcvbuf;	/* per association */
};

extern const struct sctp_assoc_ops sctp_usrsctp_ops;

/*
 * Start the stack on BASE (the SCTP thread's): usrsctp_init_nothreads, the
 * sysctls, one UDP socket per bind address, the 10 ms timer. Once per process.
 */
int sctp_usrsctp_init(struct event_base *, const struct sctp_stack_conf *, char **cause);
/* The UDP socket index bound to ADDR (an IP literal's sockaddr), or -1. */
int sctp_usrsctp_bind_index(const struct sockaddr_storage *);

struct sctp_usrsctp_listener;
typedef void (*sctp_accept_cb)(void *arg, struct sctp_assoc *);
/*
 * Listen on SCTP PORT for associations arriving through UDP socket
 * BIND_INDEX (-1: through any); STREAMS inbound/outbound wanted.
 */
struct sctp_usrsctp_listener *sctp_usrsctp_listen(unsigned port, int bind_index, unsigned streams,
    sctp_accept_cb, void *arg, char **cause);
void sctp_usrsctp_unlisten(struct sctp_usrsctp_listener *);

/*
 * Start an association to IP (port ignored) at UDP port UDP_PORT, SCTP
 * port PORT, asking for STREAMS outbound streams. State CONNECTING; a wake
 * comes when it is up or failed.
 */
struct sctp_assoc *sctp_usrsctp_connect(const struct sockaddr_storage *ip, unsigned udp_port,
    unsigned port, unsigned streams, char **cause);

/* Has the stack let go of everything (usrsctp_finish() succeeded)? */
bool sctp_usrsctp_finish(void);
/* Free what is left once finished (or give up on it when not). */
void sctp_usrsctp_free(bool finished);

#endif

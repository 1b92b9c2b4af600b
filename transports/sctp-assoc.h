/*
 * sctp-assoc.h - what the relay needs from an SCTP stack, whichever backend
 * runs it (usrsctp over UDP in sctp-usrsctp.c, kernel SCTP in
 * sctp-kernel.c): one association as a non-blocking pipe of messages with a
 * stream id and PPID each, and how it ended. This header includes neither
 * usrsctp.h nor <linux/sctp.h>: they define the same structs with
 * different option numbers and cannot share a translation unit.
 *
 * Every call happens on the SCTP thread. A backend calls the wake function
 * (never from inside one of these calls) whenever the association may have
 * become readable or writable or changed state; the relay then calls recv
 * and send until they say EAGAIN.
 */
#ifndef MPTN_SCTP_ASSOC_H
#define MPTN_SCTP_ASSOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <errno.h>

struct sctp_assoc;

/* Per message: stream id, PPID (host order; network order on the wire). */
struct sctp_msginfo {
	uint16_t sid;
	uint32_t ppid;
	bool eor;		/* recv: this piece ends the message */
};

enum sctp_assoc_state {
	SCTP_ASSOC_CONNECTING,
	SCTP_ASSOC_UP,
	SCTP_ASSOC_SHUTDOWN,	/* graceful SHUTDOWN under way or done */
	SCTP_ASSOC_ABORTED,	/* ABORT sent or received */
	SCTP_ASSOC_LOST,	/* retransmissions exhausted, or a restart */
	SCTP_ASSOC_CANT_START,	/* the handshake failed */
};

struct sctp_assoc_ops {
	/*
	 * Send one whole message: 0, or -1 with errno EAGAIN (no room; a
	 * wake follows when there is) or another errno (it cannot be sent).
	 */
	int (*send)(struct sctp_assoc *, const struct sctp_msginfo *, const void *, size_t);
	/*
	 * Receive the next piece of a message into BUF (never a notification):
	 * its length with *info (eor on the last piece), 0 once the peer's
	 * data has ended (graceful SHUTDOWN), or -1 with errno EAGAIN or the
	 * error that ended the association.
	 */
	ssize_t (*recv)(struct sctp_assoc *, void *buf, size_t len, struct sctp_msginfo *);
	enum sctp_assoc_state (*state)(struct sctp_assoc *);
	/* Outbound streams negotiated (valid once up). */
	unsigned (*outstreams)(struct sctp_assoc *);
	/* Graceful SHUTDOWN once what is queued has been sent. */
	void (*shutdown)(struct sctp_assoc *);
	/* ABORT now (what is queued is dropped). */
	void (*abort)(struct sctp_assoc *);
	/* Release: no more wakes. The stack finishes a graceful close alone. */
	void (*close)(struct sctp_assoc *);
	void (*set_wake)(struct sctp_assoc *, void (*wake)(void *), void *arg);
	/* "sctp://IP:PORT" of the peer, for logs. */
	const char *(*name)(struct sctp_assoc *);
};

/*
 * What a backend's send returns, from the stack's own result: 0 when the
 * whole message was taken; -1 with EAGAIN (full) or EMSGSIZE (taken in part,
 * which a message transport must not do) otherwise. errno is the stack's.
 */
static inline int
sctp_send_result(ssize_t n, size_t len)
{
	if (n < 0) {
		if (errno == EWOULDBLOCK)
			errno = EAGAIN;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

#endif

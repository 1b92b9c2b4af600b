/*
 * sctp-relay.h - one SCTP association bridged to one kernel stream socket
 * (the SCTP thread's end of a Unix socket pair or of a connection to the
 * module's abstract listener): bytes <-> messages per the framing,
 * backpressure both ways, half-close compensation, peer=mptnd control
 * messages. Runs on the SCTP thread only.
 */
#ifndef MPTN_SCTP_RELAY_H
#define MPTN_SCTP_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sctp-assoc.h"
#include "sctp-framing.h"

struct event_base;
struct dial_token;
struct sctp_relay;

/* Per address (URI options), fixed for the life of an association. */
struct sctp_relay_conf {
	enum sctp_framing framing;
	bool half_close_close;		/* half-close=close (else wait) */
	bool peer_mptnd;		/* peer=mptnd: HELLO and in-band end of stream */
	size_t chunk;			/* framing none: the largest message made of bytes read */
	size_t max_message;		/* largest message or record either way */
	unsigned streams;
};

/* Called once when a relay is gone (SCTP thread), e.g. to forget its name. */
typedef void (*sctp_relay_gone_cb)(uint64_t id);

void sctp_relay_init(struct event_base *, sctp_relay_gone_cb);

/*
 * Relay an accepted association A (already up) to FD, which the core will
 * accept on the module's listener. Takes both.
 */
void sctp_relay_accepted(const struct sctp_assoc_ops *, struct sctp_assoc *, int fd, uint64_t id,
    const struct sctp_relay_conf *);

/*
 * A connecting association: once up, make a socket pair, keep one end and
 * hand the other to TOKEN (dial_token_complete); on failure or after
 * TIMEOUT_MS (0: none) complete TOKEN with an error. Takes A.
 */
void sctp_relay_connecting(const struct sctp_assoc_ops *, struct sctp_assoc *,
    struct dial_token *, uint64_t timeout_ms, uint64_t id, const struct sctp_relay_conf *);

/* Relays alive. */
size_t sctp_relay_count(void);
/*
 * mptnd is stopping (its workers are gone): ask every relay to end
 * gracefully (SHUTDOWN after what is queued); connects in flight are
 * dropped, their dials can no longer be told.
 */
void sctp_relay_shutdown_all(void);
/* Abort every relay now (connecting ones fail their dial). */
void sctp_relay_abort_all(void);

#endif

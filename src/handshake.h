/*
 * handshake.h - the gateway phase of a bridge: feed the client's bytes to
 * the listener's gateway, apply access rules and address mapping to what
 * it asks for, dial, and answer in the gateway's own protocol.
 */
#ifndef MPTN_HANDSHAKE_H
#define MPTN_HANDSHAKE_H

#include <stdbool.h>
#include <stdint.h>

struct bridge;

/* Start the gateway phase on a bridge whose front is attached. */
void handshake_start(struct bridge *, int fd);
/* New bytes (or EOF) from the front. */
void handshake_input(struct bridge *);
/* The handshake's next deadline, FROM_MS + AFTER_MS; false when none runs. */
bool handshake_deadline(const struct bridge *, uint64_t *from_ms, uint64_t *after_ms);
/* The timer fired: a delayed refusal is due, or the handshake took too long. */
void handshake_timer(struct bridge *);
/* The dial ended: FD connected, or ERR (errno / DIAL_ERR_NAME) with REASON. */
void handshake_connected(struct bridge *, int fd);
void handshake_failed(struct bridge *, int err, const char *reason);
void handshake_free(struct bridge *);

#endif

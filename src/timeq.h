/*
 * timeq.h - a worker's timeouts (idle, fin, handshake, connect, ...) on one
 * libevent timer. Arming and disarming an entry is a list insert or remove,
 * with no libevent call in the common case, so a short connection does not
 * pay for a timer in libevent's heap each time its state changes.
 * Millisecond precision, like the timers it replaces. Used only from the
 * owning worker's thread.
 */
#ifndef MPTN_TIMEQ_H
#define MPTN_TIMEQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

struct event_base;
struct timeq;
struct timeq_queue;

struct timeq_entry {
	TAILQ_ENTRY(timeq_entry) link;
	struct timeq_queue *q;		/* NULL: not armed */
	uint64_t at_ms;			/* clock_ms() when it fires */
	void (*cb)(void *);
	void *arg;
};

struct timeq *timeq_new(struct event_base *);
/* Free the queues (armed entries are forgotten, their callbacks never run). */
void timeq_free(struct timeq *);

/* A disarmed entry that will call CB(ARG) when it fires. */
void timeq_entry_init(struct timeq_entry *, void (*cb)(void *), void *arg);
/*
 * Fire E once, at FROM_MS + AFTER_MS (clock_ms() time), replacing any time
 * it was armed for. Entries are queued by AFTER_MS, so use the same
 * AFTER_MS for the same kind of timeout (a listener's idle-timeout, say)
 * and vary FROM_MS: arming is then an append. A callback that arms an
 * entry again must arm it for a later time than now.
 */
void timeq_arm(struct timeq *, struct timeq_entry *, uint64_t from_ms, uint64_t after_ms);
/* E will not fire (a no-op when it is not armed). */
void timeq_disarm(struct timeq_entry *);
bool timeq_is_armed(const struct timeq_entry *);

#endif

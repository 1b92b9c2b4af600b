/*
 * timeq.c - timeout queues: one list per duration, each kept in firing
 * order, and one libevent timer for the earliest head of them all.
 *
 * Entries of one queue share a duration and are mostly armed from "now",
 * which only grows, so an insert almost always goes at the tail; when it
 * does not (an idle timer re-armed from the last activity), the entry is
 * walked back to its place, or put at the head when it is due before the
 * head. A queue is found by a linear search: a configuration uses only a
 * handful of durations. Past TIMEQ_MAX_QUEUES distinct ones in use at
 * once, the rest share the last queue, which is still kept in order.
 *
 * The libevent timer is lazy: disarming an entry leaves it set, and when it
 * fires early it sweeps nothing and is set again for the earliest head.
 * Invariant: whenever some entry is armed, the timer is set for no later
 * than the earliest of them (timer_at), except during a sweep, which sets
 * it at its end.
 */
#include "timeq.h"
#include "common.h"

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdlib.h>

#define TIMEQ_MAX_QUEUES 16

struct timeq_queue {
	uint64_t after_ms;
	TAILQ_HEAD(timeq_entry_list, timeq_entry) entries;
};

struct timeq {
	struct event timer;
	uint64_t timer_at;		/* when the timer is set for; UINT64_MAX: not set */
	bool sweeping;
	size_t nq;
	struct timeq_queue q[TIMEQ_MAX_QUEUES];
};

static void timeq_sweep(evutil_socket_t, short, void *);

struct timeq *
timeq_new(struct event_base *base)
{
	struct timeq *tq = xcalloc(1, sizeof *tq);

	evtimer_assign(&tq->timer, base, timeq_sweep, tq);
	tq->timer_at = UINT64_MAX;
	return tq;
}

void
timeq_free(struct timeq *tq)
{
	if (tq == NULL)
		return;
	evtimer_del(&tq->timer);
	free(tq);
}

void
timeq_entry_init(struct timeq_entry *e, void (*cb)(void *), void *arg)
{
	e->q = NULL;
	e->at_ms = 0;
	e->cb = cb;
	e->arg = arg;
}

bool
timeq_is_armed(const struct timeq_entry *e)
{
	return e->q != NULL;
}

void
timeq_disarm(struct timeq_entry *e)
{
	if (e->q == NULL)
		return;
	TAILQ_REMOVE(&e->q->entries, e, link);
	e->q = NULL;
}

/* Set the libevent timer for AT (clock_ms() time). */
static void
timeq_set_timer(struct timeq *tq, uint64_t at)
{
	uint64_t now = clock_ms(), left = at > now ? at - now : 0;
	struct timeval tv = { (time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000 };

	evtimer_add(&tq->timer, &tv);
	tq->timer_at = at;
}

/* The queue for AFTER_MS: its own, an empty one retagged, a new one, or the last. */
static struct timeq_queue *
timeq_queue_for(struct timeq *tq, uint64_t after_ms)
{
	struct timeq_queue *empty = NULL;
	size_t i;

	for (i = 0; i < tq->nq; i++) {
		if (tq->q[i].after_ms == after_ms)
			return &tq->q[i];
		if (empty == NULL && TAILQ_EMPTY(&tq->q[i].entries))
			empty = &tq->q[i];
	}
	if (empty == NULL && tq->nq < TIMEQ_MAX_QUEUES) {
		empty = &tq->q[tq->nq++];
		TAILQ_INIT(&empty->entries);
	}
	if (empty == NULL)
		return &tq->q[tq->nq - 1];
	empty->after_ms = after_ms;
	return empty;
}

void
timeq_arm(struct timeq *tq, struct timeq_entry *e, uint64_t from_ms, uint64_t after_ms)
{
	struct timeq_queue *q;
	struct timeq_entry *prev;
	uint64_t at = from_ms + after_ms;

	timeq_disarm(e);
	q = timeq_queue_for(tq, after_ms);
	e->at_ms = at;
	e->q = q;
	prev = TAILQ_LAST(&q->entries, timeq_entry_list);
	if (prev == NULL || prev->at_ms <= at)
		TAILQ_INSERT_TAIL(&q->entries, e, link);
	else if (TAILQ_FIRST(&q->entries)->at_ms > at)
		TAILQ_INSERT_HEAD(&q->entries, e, link);
	else {
		while (prev->at_ms > at)
			prev = TAILQ_PREV(prev, timeq_entry_list, link);
		TAILQ_INSERT_AFTER(&q->entries, prev, e, link);
	}
	if (!tq->sweeping && at < tq->timer_at)
		timeq_set_timer(tq, at);
}

/* Fire every entry that is due, then set the timer for the earliest left. */
static void
timeq_sweep(evutil_socket_t unused, short what, void *arg)
{
	struct timeq *tq = arg;
	uint64_t now = clock_ms(), next = UINT64_MAX;
	struct timeq_entry *e;
	size_t i;

	tq->timer_at = UINT64_MAX;
	tq->sweeping = true;
	for (i = 0; i < tq->nq; i++) {
		while ((e = TAILQ_FIRST(&tq->q[i].entries)) != NULL && e->at_ms <= now) {
			timeq_disarm(e);
			e->cb(e->arg);
		}
	}
	tq->sweeping = false;
	for (i = 0; i < tq->nq; i++) {
		e = TAILQ_FIRST(&tq->q[i].entries);
		if (e != NULL && e->at_ms < next)
			next = e->at_ms;
	}
	if (next != UINT64_MAX)
		timeq_set_timer(tq, next);
}

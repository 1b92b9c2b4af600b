/*
 * worker.h - prestarted worker threads, each with its own event_base and
 * resolver. A connection lives on one worker from accept to close; other
 * threads reach a worker only through worker_post()/worker_call().
 */
#ifndef MPTN_WORKER_H
#define MPTN_WORKER_H

#include <stdatomic.h>
#include <stddef.h>

struct event_base;
struct resolver;
struct pool;
struct timeq;
struct worker;
struct gen;
struct bridge;

typedef void (*worker_fn)(struct worker *, void *arg);

/* Start N workers; done_cb runs on the main base when one has stopped. */
void workers_start(size_t n, struct event_base *main_base, void (*done_cb)(void *), void *arg);
size_t workers_count(void);
struct worker *worker_get(size_t i);
/* Wait for every worker thread to end and free them. */
void workers_join(void);

struct event_base *worker_base(struct worker *);
struct resolver *worker_resolver(struct worker *);
struct pool *worker_pool(struct worker *);
struct timeq *worker_timeq(struct worker *);
unsigned worker_id(struct worker *);

/* Run FN(w, ARG) on W's thread soon. */
void worker_post(struct worker *, worker_fn fn, void *arg);
/* Run FN(w, ARG) on W's thread and wait until it has returned. */
void worker_call(struct worker *, worker_fn fn, void *arg);

/* Live bridges on a worker (for balancing; read from any thread). */
long worker_load(struct worker *);
void worker_bridge_added(struct worker *, struct bridge *);
/* A closed bridge: no longer counted, and freed soon from the loop (bridge_free). */
void worker_bridge_removed(struct worker *, struct bridge *);

/* Stop accepting and let the worker end when its bridges are done. */
void worker_drain(struct worker *, void *unused);
/* Close every bridge now; the worker ends. */
void worker_force_stop(struct worker *, void *unused);

/* The least loaded worker, for hand-off after accept. */
struct worker *worker_least_loaded(void);

/* Global count of live bridges and its limit (0: none). */
extern _Atomic long mptn_bridges_live;
extern _Atomic long mptn_bridges_max;

#endif

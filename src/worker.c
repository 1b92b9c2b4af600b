/*
 * worker.c - worker threads. Each runs its event_base until told to drain
 * (no listeners, no bridges left) or to stop. Cross-thread work arrives as
 * tasks on a mutex-protected queue; the posting thread writes the worker's
 * eventfd, whose event wakes the loop (worker bases run without libevent's
 * locks, so nothing else may touch them from another thread).
 * A closed bridge moves from the live list to the closed list and is freed
 * by the reap event, from the loop (never inside the callback that closed it).
 * Invariant: a bridge is only ever touched on the thread of its worker.
 */
#include "worker.h"
#include "bridge.h"
#include "common.h"
#include "listener.h"
#include "log.h"
#include "pool.h"
#include "resolve.h"
#include "timeq.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <unistd.h>

struct task {
	worker_fn fn;
	void *arg;
	struct task *next;
	/* for worker_call */
	pthread_cond_t *done_cond;
	bool *done;
};

struct worker {
	unsigned id;
	pthread_t thread;
	struct event_base *base;
	struct resolver *resolver;
	struct pool *pool;
	struct timeq *timeq;
	pthread_mutex_t lock;
	struct task *head, **tail;
	int wake_fd;			/* eventfd: other threads wake the worker */
	struct event *wake;
	struct event *done_ev;		/* on the main base */
	_Atomic long load;
	TAILQ_HEAD(, bridge) bridges;
	TAILQ_HEAD(, bridge) closed;	/* waiting for the reap event */
	struct event *reap;
	bool draining;
};

_Atomic long mptn_bridges_live;
_Atomic long mptn_bridges_max;

static struct worker **workers;
static size_t nworkers;
static void (*workers_done_cb)(void *);
static void *workers_done_arg;
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

struct event_base *
worker_base(struct worker *w)
{
	return w->base;
}

struct resolver *
worker_resolver(struct worker *w)
{
	return w->resolver;
}

struct pool *
worker_pool(struct worker *w)
{
	return w->pool;
}

struct timeq *
worker_timeq(struct worker *w)
{
	return w->timeq;
}

unsigned
worker_id(struct worker *w)
{
	return w->id;
}

size_t
workers_count(void)
{
	return nworkers;
}

struct worker *
worker_get(size_t i)
{
	return workers[i];
}

long
worker_load(struct worker *w)
{
	return w->load;
}

struct worker *
worker_least_loaded(void)
{
	struct worker *best = workers[0];
	size_t i;

	for (i = 1; i < nworkers; i++) {
		if (workers[i]->load < best->load)
			best = workers[i];
	}
	return best;
}

static void
worker_maybe_end(struct worker *w)
{
	if (w->draining && TAILQ_EMPTY(&w->bridges))
		event_base_loopbreak(w->base);
}

void
worker_bridge_added(struct worker *w, struct bridge *b)
{
	TAILQ_INSERT_TAIL(&w->bridges, b, entry);
	w->load++;
}

void
worker_bridge_removed(struct worker *w, struct bridge *b)
{
	TAILQ_REMOVE(&w->bridges, b, entry);
	w->load--;
	if (TAILQ_EMPTY(&w->closed))
		event_active(w->reap, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&w->closed, b, entry);
	worker_maybe_end(w);
}

static void
worker_reap_cb(evutil_socket_t unused, short what, void *arg)
{
	struct worker *w = arg;
	struct bridge *b;

	while ((b = TAILQ_FIRST(&w->closed)) != NULL) {
		TAILQ_REMOVE(&w->closed, b, entry);
		bridge_free(b);
	}
}

static void
worker_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct task *t;
	uint64_t n;

	if (read(fd, &n, sizeof n) < 0) {
		/* nothing to read: a spurious wake-up */
	}
	for (;;) {
		pthread_mutex_lock(&w->lock);
		t = w->head;
		if (t != NULL) {
			w->head = t->next;
			if (w->head == NULL)
				w->tail = &w->head;
		}
		pthread_mutex_unlock(&w->lock);
		if (t == NULL)
			break;
		t->fn(w, t->arg);
		if (t->done != NULL) {
			pthread_mutex_lock(&w->lock);
			*t->done = true;
			pthread_cond_broadcast(t->done_cond);
			pthread_mutex_unlock(&w->lock);
		}
		free(t);
	}
}

static void
worker_enqueue(struct worker *w, struct task *t)
{
	pthread_mutex_lock(&w->lock);
	*w->tail = t;
	w->tail = &t->next;
	pthread_mutex_unlock(&w->lock);
	{
		uint64_t one = 1;

		if (write(w->wake_fd, &one, sizeof one) < 0) {
			/* the counter is saturated, which still wakes the worker */
		}
	}
}

void
worker_post(struct worker *w, worker_fn fn, void *arg)
{
	struct task *t = xcalloc(1, sizeof *t);

	t->fn = fn;
	t->arg = arg;
	worker_enqueue(w, t);
}

void
worker_call(struct worker *w, worker_fn fn, void *arg)
{
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	struct task *t = xcalloc(1, sizeof *t);
	bool done = false;

	pthread_mutex_lock(&call_lock);
	t->fn = fn;
	t->arg = arg;
	t->done_cond = &cond;
	t->done = &done;
	worker_enqueue(w, t);
	pthread_mutex_lock(&w->lock);
	while (!done)
		pthread_cond_wait(&cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_unlock(&call_lock);
	pthread_cond_destroy(&cond);
}

void
worker_drain(struct worker *w, void *unused)
{
	listener_detach_worker(w);
	w->draining = true;
	worker_maybe_end(w);
}

void
worker_force_stop(struct worker *w, void *unused)
{
	listener_detach_worker(w);
	w->draining = true;
	while (!TAILQ_EMPTY(&w->bridges))
		bridge_close(TAILQ_FIRST(&w->bridges), "shutdown");
	worker_maybe_end(w);
}

static void
worker_done_trampoline(evutil_socket_t unused, short what, void *arg)
{
	workers_done_cb(workers_done_arg);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* Drained: bridges are gone; let their deferred frees run. */
	event_base_loop(w->base, EVLOOP_NONBLOCK);
	event_active(w->done_ev, EV_READ, 0);
	return NULL;
}

void
workers_start(size_t n, struct event_base *main_base, void (*done_cb)(void *), void *arg)
{
	size_t i;

	nworkers = n;
	workers = xcalloc(n, sizeof *workers);
	workers_done_cb = done_cb;
	workers_done_arg = arg;
	for (i = 0; i < n; i++) {
		struct worker *w = xcalloc(1, sizeof *w);

		w->id = (unsigned)i;
		struct event_config *ec = event_config_new();

		event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK);	/* see the top of this file */
		w->base = event_base_new_with_config(ec);
		event_config_free(ec);
		w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->base == NULL || w->wake_fd < 0) {
			log_error("cannot create an event base for worker %zu", i);
			abort();
		}
		w->resolver = resolver_new(w->base);
		w->pool = pool_new();
		w->timeq = timeq_new(w->base);
		w->reap = event_new(w->base, -1, 0, worker_reap_cb, w);
		pthread_mutex_init(&w->lock, NULL);
		w->tail = &w->head;
		w->wake = event_new(w->base, w->wake_fd, EV_READ | EV_PERSIST, worker_wake_cb, w);
		event_add(w->wake, NULL);
		w->done_ev = event_new(main_base, -1, 0, worker_done_trampoline, NULL);
		TAILQ_INIT(&w->bridges);
		TAILQ_INIT(&w->closed);
		workers[i] = w;
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&workers[i]->thread, NULL, worker_main, workers[i]) != 0) {
			log_error("cannot start worker thread %zu", i);
			abort();
		}
	}
}

void
workers_join(void)
{
	size_t i;

	for (i = 0; i < nworkers; i++) {
		struct worker *w = workers[i];

		pthread_join(w->thread, NULL);
		worker_reap_cb(-1, 0, w);	/* normally done by the last loop already */
		resolver_free(w->resolver);
		pool_free(w->pool);
		timeq_free(w->timeq);
		event_free(w->reap);
		event_free(w->wake);
		close(w->wake_fd);
		event_free(w->done_ev);
		event_base_free(w->base);
		pthread_mutex_destroy(&w->lock);
		free(w);
	}
	free(workers);
	workers = NULL;
	nworkers = 0;
}

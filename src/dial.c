/*
 * dial.c - connect with Happy Eyeballs. State: an ordered candidate list,
 * the attempts in flight (each a socket and a one-shot event), a stagger timer
 * that starts the next attempt every DIAL_ATTEMPT_DELAY_MS while none has
 * succeeded (armed only while another candidate waits), and one deadline
 * for the whole dial; both timers are entries in the worker's timeq. A
 * failed attempt starts the next candidate at once. The first socket to
 * connect wins; the others are closed. The result is always delivered from
 * the loop: by the winning attempt's own callback, or else through the
 * report event (a dial can fail inside dial_start).
 */
#include "dial.h"
#include "common.h"
#include "resolve.h"
#include "timeq.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIAL_MAX_CANDIDATES 16

struct dial_attempt {
	int fd;				/* -1: none in flight */
	struct event ev;		/* pending while fd >= 0 */
	struct dial *d;
};

/* One address to try, and the attempt on it. */
struct dial_cand {
	struct sockaddr_storage ss;
	socklen_t len;
	struct dial_attempt att;
};

struct dial {
	struct worker *w;
	dial_cb cb;
	void *arg;
	int protocol;
	int type;
	struct resolve_req *req;
	struct dial_cand *c;		/* as many as there are addresses, at most 16 */
	size_t ncand, next;		/* attempt i is on c[i]; next == attempts started */
	size_t live;
	struct timeq_entry stagger;
	struct timeq_entry deadline;
	struct event report;		/* delivers the result from the loop */
	int result_fd;
	int last_err;
	char error[160];
	struct srv_entry *srv;		/* SRV answers still to try */
	size_t nsrv, srv_next;
	struct dial_token *token;	/* dial_wait(): completed by another thread */
};

/* Shared by a waiting dial and the thread that completes it. */
struct dial_token {
	pthread_mutex_t lock;
	int refs;
	struct dial *d;			/* NULL once the dial is gone */
	struct worker *w;
};

struct dial_completion {
	struct dial_token *token;
	int fd, err;
	char why[160];
};

static void
dial_token_unref(struct dial_token *t)
{
	bool last;

	pthread_mutex_lock(&t->lock);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (last) {
		pthread_mutex_destroy(&t->lock);
		free(t);
	}
}

static void dial_resolved(void *, const struct sockaddr_storage *, size_t, const char *);

/* Room for N candidates (every earlier attempt is closed by now). */
static void
dial_set_candidates(struct dial *d, size_t n)
{
	size_t i;

	if (n > DIAL_MAX_CANDIDATES)
		n = DIAL_MAX_CANDIDATES;
	free(d->c);
	d->c = xmalloc(n * sizeof *d->c);
	for (i = 0; i < n; i++)
		d->c[i].att.fd = -1;
	d->ncand = n;
	d->next = 0;
}

/* Move on to the next SRV answer; false when there is none left. */
static bool
dial_srv_next(struct dial *d)
{
	const struct srv_entry *e;

	if (d->srv == NULL || d->srv_next >= d->nsrv)
		return false;
	struct resolve_req *r;

	e = &d->srv[d->srv_next++];
	d->ncand = d->next = 0;
	/* an answer given at once (NULL) may already have started a newer lookup */
	r = resolver_lookup(worker_resolver(d->w), e->host, e->port, dial_resolved, d);
	if (r != NULL)
		d->req = r;
	return true;
}

static void dial_try_next(struct dial *);

static socklen_t
sockaddr_len(const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return sizeof(struct sockaddr_storage);
	}
}

static void
dial_attempt_close(struct dial_attempt *a)
{
	if (a->fd < 0)
		return;
	event_del(&a->ev);
	close(a->fd);
	a->fd = -1;
	a->d->live--;
}

static void
dial_stop_all(struct dial *d)
{
	size_t i;

	for (i = 0; i < d->next; i++)
		dial_attempt_close(&d->c[i].att);
	timeq_disarm(&d->stagger);
	timeq_disarm(&d->deadline);
	resolve_cancel(d->req);
	d->req = NULL;
}

static void dial_finish(struct dial *, int, int, const char *);

/* On the dial's worker: deliver what the other thread produced. */
static void
dial_token_deliver(struct worker *w, void *arg)
{
	struct dial_completion *c = arg;
	struct dial_token *t = c->token;
	struct dial *d;

	pthread_mutex_lock(&t->lock);
	d = t->d;
	t->d = NULL;
	pthread_mutex_unlock(&t->lock);
	if (d != NULL)
		dial_finish(d, c->fd, c->err, c->fd >= 0 ? NULL : c->why);
	else if (c->fd >= 0)
		close(c->fd);
	dial_token_unref(t);
	free(c);
}

void
dial_token_complete(struct dial_token *t, int fd, int err, const char *why)
{
	struct dial_completion *c = xcalloc(1, sizeof *c);

	c->token = t;
	c->fd = fd;
	c->err = err;
	snprintf(c->why, sizeof c->why, "%s", why != NULL ? why : "connect failed");
	worker_post(t->w, dial_token_deliver, c);
}

struct dial *
dial_wait(struct worker *w, uint64_t timeout_ms, dial_cb cb, void *arg, struct dial_token **token)
{
	struct dial_spec none = { .addr = NULL };
	struct dial *d = dial_start(w, &none, timeout_ms, cb, arg);
	struct dial_token *t = xcalloc(1, sizeof *t);

	pthread_mutex_init(&t->lock, NULL);
	t->refs = 2;
	t->d = d;
	t->w = w;
	d->token = t;
	*token = t;
	return d;
}

static void
dial_finish(struct dial *d, int fd, int err, const char *error)
{
	dial_stop_all(d);
	d->result_fd = fd;
	d->last_err = err;
	if (error != NULL && error != d->error)
		snprintf(d->error, sizeof d->error, "%s", error);
	event_active(&d->report, EV_TIMEOUT, 0);
}

static void
dial_report_cb(evutil_socket_t unused, short what, void *arg)
{
	struct dial *d = arg;
	dial_cb cb = d->cb;
	void *cbarg = d->arg;
	int fd = d->result_fd, err = d->last_err;
	char error[sizeof d->error];

	memcpy(error, d->error, sizeof error);
	d->result_fd = -1;
	dial_cancel(d);
	cb(cbarg, fd, err, fd >= 0 ? NULL : error);
}

static void
dial_attempt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dial_attempt *a = arg;
	struct dial *d = a->d;
	socklen_t len = sizeof(int);
	int err = 0;

	/*
	 * Writable and not readable: connected, no SO_ERROR to ask for (an error
	 * or hang-up is reported as readable and writable). The event is not
	 * persistent, so it is no longer pending.
	 */
	if ((what & EV_READ) && getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0) {
		a->fd = -1;
		d->live--;
		dial_stop_all(d);
		d->result_fd = fd;
		dial_report_cb(-1, 0, d);	/* already in the loop: no need to go round it */
		return;
	}
	snprintf(d->error, sizeof d->error, "%s", strerror(err));
	d->last_err = err;
	dial_attempt_close(a);
	dial_try_next(d);
}

/* Start the next candidate; with none left and none in flight, fail. */
static void
dial_try_next(struct dial *d)
{
	while (d->next < d->ncand) {
		struct dial_cand *c = &d->c[d->next++];
		socklen_t sslen = c->len;
		struct sockaddr_storage *ss = &c->ss;
		struct dial_attempt *a = &c->att;
		int fd;

		fd = socket(ss->ss_family, d->type | SOCK_NONBLOCK | SOCK_CLOEXEC, d->protocol);
		if (fd < 0) {
			snprintf(d->error, sizeof d->error, "socket: %s", strerror(errno));
			d->last_err = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)ss, sslen) != 0 && errno != EINPROGRESS) {
			snprintf(d->error, sizeof d->error, "%s", strerror(errno));
			d->last_err = errno;
			close(fd);
			continue;
		}
		a->fd = fd;
		a->d = d;
		event_assign(&a->ev, worker_base(d->w), fd, EV_READ | EV_WRITE, dial_attempt_cb, a);
		event_add(&a->ev, NULL);
		d->live++;
		if (d->next < d->ncand)
			timeq_arm(worker_timeq(d->w), &d->stagger, clock_ms(), DIAL_ATTEMPT_DELAY_MS);
		return;
	}
	if (d->live == 0 && !dial_srv_next(d))
		dial_finish(d, -1, d->last_err != 0 ? d->last_err : EHOSTUNREACH,
		    d->error[0] != '\0' ? d->error : "no address to connect to");
}

static void
dial_stagger_cb(void *arg)
{
	dial_try_next(arg);
}

static void
dial_deadline_cb(void *arg)
{
	dial_finish(arg, -1, ETIMEDOUT, "connect timeout");
}

static void
dial_resolved(void *arg, const struct sockaddr_storage *addrs, size_t n, const char *error)
{
	struct dial *d = arg;
	size_t i;

	d->req = NULL;
	if (error != NULL) {
		char why[160];

		snprintf(why, sizeof why, "name lookup failed: %s", error);
		if (d->srv != NULL) {
			snprintf(d->error, sizeof d->error, "%s", why);
			d->last_err = DIAL_ERR_NAME;
			if (dial_srv_next(d))
				return;
		}
		dial_finish(d, -1, DIAL_ERR_NAME, why);
		return;
	}
	dial_set_candidates(d, n);
	for (i = 0; i < d->ncand; i++) {
		d->c[i].ss = addrs[i];
		d->c[i].len = sockaddr_len(&addrs[i]);
	}
	dial_try_next(d);
}

static void
dial_srv_answered(void *arg, const struct srv_entry *e, size_t n, const char *error)
{
	struct dial *d = arg;
	char why[160];

	d->req = NULL;
	if (error != NULL) {
		snprintf(why, sizeof why, "SRV lookup failed: %s", error);
		dial_finish(d, -1, DIAL_ERR_NAME, why);
		return;
	}
	d->srv = xcalloc(n, sizeof *d->srv);
	memcpy(d->srv, e, n * sizeof *e);
	d->nsrv = n;
	dial_srv_next(d);
}

struct dial *
dial_start(struct worker *w, const struct dial_spec *spec, uint64_t timeout_ms, dial_cb cb,
    void *arg)
{
	struct dial *d = xcalloc(1, sizeof *d);
	struct event_base *base = worker_base(w);

	d->w = w;
	d->cb = cb;
	d->arg = arg;
	d->protocol = spec->protocol;
	d->type = spec->type != 0 ? spec->type : SOCK_STREAM;
	d->result_fd = -1;
	timeq_entry_init(&d->stagger, dial_stagger_cb, d);
	timeq_entry_init(&d->deadline, dial_deadline_cb, d);
	event_assign(&d->report, base, -1, 0, dial_report_cb, d);
	if (timeout_ms > 0)
		timeq_arm(worker_timeq(w), &d->deadline, clock_ms(), timeout_ms);
	if (spec->srv_name != NULL) {
		struct resolve_req *r = resolver_lookup_srv(worker_resolver(w), spec->srv_name,
		    dial_srv_answered, d);

		if (r != NULL)
			d->req = r;
	} else if (spec->host != NULL) {
		struct resolve_req *r = resolver_lookup(worker_resolver(w), spec->host, spec->port,
		    dial_resolved, d);

		if (r != NULL)
			d->req = r;
	} else if (spec->addr == NULL) {
		/* dial_wait(): another thread completes it */
	} else {
		dial_set_candidates(d, 1);
		memcpy(&d->c[0].ss, spec->addr, spec->addrlen);
		d->c[0].len = spec->addrlen;
		dial_try_next(d);
	}
	return d;
}

void
dial_cancel(struct dial *d)
{
	if (d == NULL)
		return;
	if (d->token != NULL) {
		pthread_mutex_lock(&d->token->lock);
		d->token->d = NULL;
		pthread_mutex_unlock(&d->token->lock);
		dial_token_unref(d->token);
	}
	dial_stop_all(d);
	if (d->result_fd >= 0)
		close(d->result_fd);
	event_del(&d->report);
	free(d->c);
	free(d->srv);
	free(d);
}

/*
 * listener.c - binding generations of listening sockets and the accept path.
 *
 * Each worker has its own evconnlistener on every listen address: on a
 * socket of its own in a SO_REUSEPORT group for tcp and mptcp (the kernel
 * spreads connections), else on one socket shared by all workers, where a
 * connection stays on the accepting worker unless another is clearly less
 * loaded, in which case it is handed over (the hand-off DESIGN.md §3
 * describes). Accept errors from
 * fd exhaustion pause this worker's listener for LISTENER_PAUSE_MS instead
 * of spinning, with a warning at most once a second.
 */
#include "listener.h"
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "log.h"
#include "transport.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LISTENER_PAUSE_MS 250
#define LISTENER_HANDOFF_SLACK 2

struct wl {
	struct evconnlistener *evl;
	struct lsock ls;		/* conf and addr; the generation may go before its bridges */
	int fd;				/* the socket this worker accepts on */
	struct config *cfg;
	struct worker *w;
	struct event *resume;
	struct log_ratelimit rl;
};

struct wlset {
	struct wl **v;
	size_t n;
	struct log_ratelimit limit_rl;
};

static struct wlset *per_worker;
static size_t listener_nworkers = 1;

void
listener_init(size_t nworkers)
{
	per_worker = xcalloc(nworkers, sizeof *per_worker);
	listener_nworkers = nworkers;
}

/*
 * Two listen addresses share a socket across a reload when they name the
 * same socket: the same transport address, whatever the options and
 * whether TLS is layered on it (TLS is per connection, not per socket).
 */

/*
 * Bind LS's sockets: one per worker for a TRANSPORT_REUSEPORT transport
 * (the kernel spreads connections, no hand-off needed), else one shared.
 * A probe bind without SO_REUSEPORT first proves nobody else holds the
 * address, which a reuseport group alone would not notice.
 */
static int
listener_open(struct lsock *ls, char **cause)
{
	const struct transport *tp = ls->addr->tp;
	size_t n = (tp->flags & TRANSPORT_REUSEPORT) && listener_nworkers > 1 ? listener_nworkers : 1;
	size_t ll = strlen(ls->addr->label);

	if (ll > 2 && strcmp(ls->addr->label + ll - 2, ":0") == 0)
		n = 1;	/* port 0: one socket, or each would get its own port */
	size_t i;
	int probe;

	if (n > 1) {
		if (tp->listen(ls->addr, false, &probe, cause) != 0)
			return -1;
		tp->unlisten(ls->addr, probe);
	}
	ls->fds = xcalloc(n, sizeof *ls->fds);
	for (i = 0; i < n; i++) {
		if (tp->listen(ls->addr, n > 1, &ls->fds[i], cause) != 0) {
			while (i-- > 0)
				tp->unlisten(ls->addr, ls->fds[i]);
			free(ls->fds);
			ls->fds = NULL;
			return -1;
		}
	}
	ls->nfds = n;
	return 0;
}

struct gen *
listener_bind(struct config *cfg, struct gen *old, char **cause)
{
	struct gen *g = xcalloc(1, sizeof *g);
	size_t i, j, k;

	g->cfg = config_ref(cfg);
	for (i = 0; i < cfg->nlisteners; i++) {
		struct lconf *lc = cfg->listeners[i];

		for (j = 0; j < lc->nlisten; j++) {
			struct lsock *ls;

			g->socks = xreallocarray(g->socks, g->nsocks + 1, sizeof *g->socks);
			ls = &g->socks[g->nsocks++];
			ls->conf = lc;
			ls->addr = lc->listen[j];
			ls->fds = NULL;
			ls->nfds = 0;
			for (k = 0; old != NULL && k < old->nsocks; k++) {
				if (old->socks[k].nfds > 0 &&
				    strcmp(taddr_bind_key(old->socks[k].addr),
				    taddr_bind_key(ls->addr)) == 0) {
					ls->nfds = old->socks[k].nfds;
					ls->fds = xcalloc(ls->nfds, sizeof *ls->fds);
					memcpy(ls->fds, old->socks[k].fds, ls->nfds * sizeof *ls->fds);
					if (strcmp(old->socks[k].addr->text, ls->addr->text) != 0)
						log_info("listener %s: keeping the socket of %s; new socket options "
						    "apply at the next restart", lc->name, ls->addr->label);
					break;
				}
			}
			if (ls->nfds == 0 && listener_open(ls, cause) != 0) {
				listener_release(g, old);
				return NULL;
			}
		}
	}
	return g;
}

/* Close the sockets of OLD that NEW does not hold, and free OLD. */
void
listener_release(struct gen *old, struct gen *new)
{
	size_t i, j, k;

	if (old == NULL)
		return;
	for (i = 0; i < old->nsocks; i++) {
		struct lsock *ls = &old->socks[i];
		bool kept = false;

		for (k = 0; new != NULL && k < new->nsocks && ls->nfds > 0; k++)
			kept = kept || (new->socks[k].nfds > 0 && new->socks[k].fds[0] == ls->fds[0]);
		for (j = 0; !kept && j < ls->nfds; j++)
			ls->addr->tp->unlisten(ls->addr, ls->fds[j]);
		free(ls->fds);
	}
	config_unref(old->cfg);
	free(old->socks);
	free(old);
}

/* A connection handed from the accepting worker to a less loaded one. */
struct handoff {
	int fd;
	struct lsock ls;
	struct config *cfg;
};

static void
handoff_run(struct worker *w, void *arg)
{
	struct handoff *h = arg;

	bridge_start(w, h->cfg, h->ls.conf, h->ls.addr, h->fd);
	config_unref(h->cfg);
	free(h);
}

static bool
over_limit(struct wl *wl, struct wlset *set)
{
	const struct lconf *lc = wl->ls.conf;
	unsigned long suppressed;
	const char *which = NULL;

	if (mptn_bridges_max > 0 && mptn_bridges_live >= mptn_bridges_max)
		which = "global max-connections";
	else if (lc->max_connections > 0 && lc->count->n >= (long)lc->max_connections)
		which = "max-connections";
	if (which == NULL)
		return false;
	if (log_ratelimit_ok(&set->limit_rl, 1000, &suppressed))
		log_warning("listener %s: %s reached; closing new connections (%lu more not logged)",
		    lc->name, which, suppressed);
	return true;
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct wl *wl = arg;
	struct wlset *set = &per_worker[worker_id(wl->w)];
	struct worker *to;

	if (over_limit(wl, set)) {
		close(fd);
		return;
	}
	to = wl->ls.nfds > 1 ? wl->w : worker_least_loaded();
	if (to != wl->w && worker_load(wl->w) > worker_load(to) + LISTENER_HANDOFF_SLACK) {
		struct handoff *h = xcalloc(1, sizeof *h);

		h->fd = fd;
		h->ls = wl->ls;
		h->cfg = config_ref(wl->cfg);
		worker_post(to, handoff_run, h);
		return;
	}
	bridge_start(wl->w, wl->cfg, wl->ls.conf, wl->ls.addr, fd);
}

static void
accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct wl *wl = arg;
	int err = EVUTIL_SOCKET_ERROR();
	unsigned long suppressed;
	struct timeval tv = { 0, LISTENER_PAUSE_MS * 1000 };

	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		evconnlistener_disable(evl);
		evtimer_add(wl->resume, &tv);
		if (log_ratelimit_ok(&wl->rl, 1000, &suppressed))
			log_warning("listener %s: accept on %s: %s; pausing accepts for %d ms "
			    "(%lu similar warnings not logged)", wl->ls.conf->name, wl->ls.addr->text,
			    strerror(err), LISTENER_PAUSE_MS, suppressed);
		return;
	}
	if (log_ratelimit_ok(&wl->rl, 1000, &suppressed))
		log_warning("listener %s: accept on %s: %s", wl->ls.conf->name, wl->ls.addr->text,
		    strerror(err));
}

static void
resume_cb(evutil_socket_t unused, short what, void *arg)
{
	struct wl *wl = arg;

	evconnlistener_enable(wl->evl);
}

static void
wl_free(struct wl *wl)
{
	evconnlistener_free(wl->evl);
	event_free(wl->resume);
	config_unref(wl->cfg);
	free(wl);
}

void
listener_detach_worker(struct worker *w)
{
	struct wlset *set = &per_worker[worker_id(w)];
	size_t i;

	for (i = 0; i < set->n; i++)
		wl_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

static void
attach_on_worker(struct worker *w, void *arg)
{
	struct gen *g = arg;
	struct wlset *set = &per_worker[worker_id(w)];
	size_t i;

	listener_detach_worker(w);
	set->v = xcalloc(g->nsocks, sizeof *set->v);
	for (i = 0; i < g->nsocks; i++) {
		struct wl *wl = xcalloc(1, sizeof *wl);

		wl->ls = g->socks[i];
		wl->ls.fds = NULL;	/* owned by the generation */
		wl->fd = g->socks[i].fds[g->socks[i].nfds > 1 ? worker_id(w) : 0];
		wl->cfg = config_ref(g->cfg);
		wl->w = w;
		wl->resume = evtimer_new(worker_base(w), resume_cb, wl);
		/* backlog 0: the transport has called listen() with its own backlog */
		wl->evl = evconnlistener_new(worker_base(w), accept_cb, wl, LEV_OPT_CLOSE_ON_EXEC, 0,
		    wl->fd);
		if (wl->evl == NULL) {
			log_error("listener %s: cannot watch %s", wl->ls.conf->name, wl->ls.addr->text);
			event_free(wl->resume);
			config_unref(wl->cfg);
			free(wl);
			continue;
		}
		evconnlistener_set_error_cb(wl->evl, accept_error_cb);
		set->v[set->n++] = wl;
	}
}

void
listener_attach(struct gen *g)
{
	size_t i;

	for (i = 0; i < workers_count(); i++)
		worker_call(worker_get(i), attach_on_worker, g);
}

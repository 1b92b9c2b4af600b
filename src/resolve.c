/*
 * resolve.c - c-ares driven by libevent. Each worker owns one channel; its
 * sockets are watched through the sock-state callback and its timeouts
 * through one timer, so a slow answer never blocks the loop. A cancelled
 * request stays allocated until c-ares calls back, then is freed quietly.
 */
#include "resolve.h"
#include "common.h"

#include <ares.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESOLVE_MAX_ADDRS 16

struct resolver_sock {
	ares_socket_t fd;
	struct event *ev;
	struct resolver *r;
	struct resolver_sock *next;
};

struct resolver {
	struct event_base *base;
	ares_channel channel;
	struct event *timer;
	struct resolver_sock *socks;
	bool ok;
};

struct resolve_req {
	resolve_cb cb;
	void *arg;
	bool cancelled;
	bool in_lookup;		/* inside ares_getaddrinfo(): it may answer at once */
	bool answered;
};

static void resolver_rearm(struct resolver *);

static void
resolver_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver_sock *s = arg;
	struct resolver *r = s->r;

	ares_process_fd(r->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	resolver_rearm(r);
}

static void
resolver_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct resolver *r = arg;

	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolver_rearm(r);
}

static void
resolver_rearm(struct resolver *r)
{
	struct timeval tv, *tvp;

	tvp = ares_timeout(r->channel, NULL, &tv);
	if (tvp == NULL)
		evtimer_del(r->timer);
	else
		evtimer_add(r->timer, tvp);
}

/* c-ares tells us which of its sockets to watch, and for what. */
static void
resolver_sock_state(void *arg, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = arg;
	struct resolver_sock **sp, *s;

	for (sp = &r->socks; *sp != NULL; sp = &(*sp)->next) {
		if ((*sp)->fd == fd)
			break;
	}
	s = *sp;
	if (!readable && !writable) {
		if (s != NULL) {
			*sp = s->next;
			event_free(s->ev);
			free(s);
		}
		return;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		s->fd = fd;
		s->r = r;
		s->next = r->socks;
		r->socks = s;
	} else
		event_free(s->ev);
	s->ev = event_new(r->base, fd, (short)((readable ? EV_READ : 0) | (writable ? EV_WRITE : 0) |
	    EV_PERSIST), resolver_sock_cb, s);
	event_add(s->ev, NULL);
}

struct resolver *
resolver_new(struct event_base *base)
{
	struct resolver *r = xcalloc(1, sizeof *r);
	struct ares_options opts;
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	memset(&opts, 0, sizeof opts);
	opts.sock_state_cb = resolver_sock_state;
	opts.sock_state_cb_data = r;
	opts.timeout = 2000;
	opts.tries = 2;
	r->base = base;
	r->timer = evtimer_new(base, resolver_timer_cb, r);
	r->ok = ares_init_options(&r->channel, &opts, mask) == ARES_SUCCESS;
	return r;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	if (r->ok)
		ares_destroy(r->channel);	/* runs pending callbacks with ARES_EDESTRUCTION */
	while (r->socks != NULL) {
		struct resolver_sock *s = r->socks;

		r->socks = s->next;
		event_free(s->ev);
		free(s);
	}
	event_free(r->timer);
	free(r);
}

void
resolve_interleave(struct sockaddr_storage *addrs, size_t n)
{
	struct sockaddr_storage v6[RESOLVE_MAX_ADDRS], v4[RESOLVE_MAX_ADDRS];
	size_t n6 = 0, n4 = 0, i, k = 0;

	for (i = 0; i < n && i < RESOLVE_MAX_ADDRS; i++) {
		if (addrs[i].ss_family == AF_INET6)
			v6[n6++] = addrs[i];
		else
			v4[n4++] = addrs[i];
	}
	for (i = 0; i < n6 || i < n4; i++) {
		if (i < n6)
			addrs[k++] = v6[i];
		if (i < n4)
			addrs[k++] = v4[i];
	}
}

static void
resolver_answer(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct resolve_req *req = arg;
	struct sockaddr_storage addrs[RESOLVE_MAX_ADDRS];
	struct ares_addrinfo_node *node;
	size_t n = 0;

	if (!req->cancelled) {
		if (status != ARES_SUCCESS) {
			req->cb(req->arg, NULL, 0, ares_strerror(status));
		} else {
			for (node = ai->nodes; node != NULL && n < RESOLVE_MAX_ADDRS; node = node->ai_next) {
				if ((node->ai_family != AF_INET && node->ai_family != AF_INET6) ||
				    (size_t)node->ai_addrlen > sizeof addrs[0])
					continue;
				memset(&addrs[n], 0, sizeof addrs[n]);
				memcpy(&addrs[n], node->ai_addr, node->ai_addrlen);
				n++;
			}
			resolve_interleave(addrs, n);
			if (n == 0)
				req->cb(req->arg, NULL, 0, "no address for that name");
			else
				req->cb(req->arg, addrs, n, NULL);
		}
	}
	if (ai != NULL)
		ares_freeaddrinfo(ai);
	if (req->in_lookup)
		req->answered = true;	/* resolver_lookup() frees it */
	else
		free(req);
}

struct resolve_req *
resolver_lookup(struct resolver *r, const char *host, unsigned port, resolve_cb cb, void *arg)
{
	struct resolve_req *req;
	struct ares_addrinfo_hints hints;
	char service[8];

	if (!r->ok) {
		cb(arg, NULL, 0, "resolver failed to start");
		return NULL;
	}
	req = xcalloc(1, sizeof *req);
	req->cb = cb;
	req->arg = arg;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", port);
	req->in_lookup = true;
	ares_getaddrinfo(r->channel, host, service, &hints, resolver_answer, req);
	req->in_lookup = false;
	if (req->answered) {
		free(req);
		return NULL;
	}
	resolver_rearm(r);
	return req;
}

void
resolve_cancel(struct resolve_req *req)
{
	if (req != NULL)
		req->cancelled = true;
}

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
#include <openssl/rand.h>
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
	resolve_srv_cb srv_cb;
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

static char *resolver_servers;

void
resolver_set_servers(const char *csv)
{
	free(resolver_servers);
	resolver_servers = csv != NULL ? xstrdup(csv) : NULL;
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
	if (r->ok && resolver_servers != NULL &&
	    ares_set_servers_ports_csv(r->channel, resolver_servers) != ARES_SUCCESS) {
		ares_destroy(r->channel);
		r->ok = false;
	}
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

/* An answer was delivered: free REQ, unless its lookup call is still on the stack. */
static void
resolve_req_done(struct resolve_req *req)
{
	if (req->in_lookup)
		req->answered = true;	/* the lookup function frees it on return */
	else
		free(req);
}

/*
 * The query call returned: an answer given at once has been delivered (the
 * caller gets NULL); otherwise the request is pending and the timer armed.
 */
static struct resolve_req *
resolve_req_started(struct resolver *r, struct resolve_req *req)
{
	req->in_lookup = false;
	if (req->answered) {
		free(req);
		return NULL;
	}
	resolver_rearm(r);
	return req;
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
	resolve_req_done(req);
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
	return resolve_req_started(r, req);
}

void
resolve_cancel(struct resolve_req *req)
{
	if (req != NULL)
		req->cancelled = true;
}

static unsigned
srv_random(unsigned bound)
{
	unsigned v = 0;

	if (bound <= 1)
		return 0;
	if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
		v = (unsigned)clock_ms();
	return v % bound;
}

void
srv_order(struct srv_entry *e, size_t n, unsigned (*random)(unsigned bound))
{
	size_t i, j, start;

	/* by priority (insertion sort: n is small) */
	for (i = 1; i < n; i++) {
		struct srv_entry t = e[i];

		for (j = i; j > 0 && e[j - 1].priority > t.priority; j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
	/* within each priority: weighted random selection without replacement */
	for (start = 0; start < n;) {
		size_t end = start;

		while (end < n && e[end].priority == e[start].priority)
			end++;
		for (i = start; i + 1 < end; i++) {
			unsigned total = 0, pick, run = 0;

			for (j = i; j < end; j++)
				total += e[j].weight + 1;	/* +1: weight 0 keeps a small chance */
			pick = random(total);
			for (j = i; j < end; j++) {
				run += e[j].weight + 1;
				if (pick < run)
					break;
			}
			if (j != i) {
				struct srv_entry t = e[i];

				e[i] = e[j];
				e[j] = t;
			}
		}
		start = end;
	}
}

static void
resolver_srv_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct resolve_req *req = arg;
	struct ares_srv_reply *reply = NULL, *r;
	struct srv_entry e[RESOLVE_MAX_SRV];
	size_t n = 0;

	if (!req->cancelled) {
		if (status == ARES_SUCCESS)
			status = ares_parse_srv_reply(abuf, alen, &reply);
		if (status != ARES_SUCCESS) {
			req->srv_cb(req->arg, NULL, 0, ares_strerror(status));
		} else {
			for (r = reply; r != NULL && n < RESOLVE_MAX_SRV; r = r->next) {
				if (r->port == 0 || strcmp(r->host, ".") == 0 || strlen(r->host) >= sizeof e[n].host)
					continue;
				snprintf(e[n].host, sizeof e[n].host, "%s", r->host);
				e[n].port = r->port;
				e[n].priority = r->priority;
				e[n].weight = r->weight;
				n++;
			}
			srv_order(e, n, srv_random);
			if (n == 0)
				req->srv_cb(req->arg, NULL, 0, "no usable SRV record");
			else
				req->srv_cb(req->arg, e, n, NULL);
		}
	}
	if (reply != NULL)
		ares_free_data(reply);
	resolve_req_done(req);
}

struct resolve_req *
resolver_lookup_srv(struct resolver *r, const char *name, resolve_srv_cb cb, void *arg)
{
	struct resolve_req *req;

	if (!r->ok) {
		cb(arg, NULL, 0, "resolver failed to start");
		return NULL;
	}
	req = xcalloc(1, sizeof *req);
	req->srv_cb = cb;
	req->arg = arg;
	req->in_lookup = true;
	ares_query(r->channel, name, 1 /* C_IN */, 33 /* T_SRV */, resolver_srv_answer, req);
	return resolve_req_started(r, req);
}

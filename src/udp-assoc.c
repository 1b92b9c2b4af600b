/*
 * udp-assoc.c - the UDP relay of one association.
 *
 * Datagrams are accepted from the client's IP address only (the control
 * connection's peer), and from the port it declared if it declared one;
 * the first datagram fixes the client's port. Each is unwrapped by the
 * gateway, checked against the listener's access rules like a CONNECT
 * destination, and sent on. A destination given as a name is resolved with
 * c-ares (one lookup at a time; datagrams for another name meanwhile are
 * dropped, as UDP may). Datagrams from anywhere but a destination the client
 * has sent to are dropped. Activity keeps the bridge's idle timer fresh;
 * the association ends with its control connection (the bridge frees it).
 */
#include "udp-assoc.h"
#include "access.h"
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "resolve.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UDP_MAX_DGRAM 65535
#define UDP_MAX_PEERS 64
#define UDP_BATCH 64		/* datagrams per wake-up before yielding */

struct udp_assoc {
	struct bridge *b;
	int fd;
	struct event *ev;
	struct access_client client;	/* the control connection's peer */
	char user[256];			/* the authenticated user, or "" */
	struct sockaddr_storage client_udp;
	bool client_known;
	uint16_t declared_port;
	struct sockaddr_storage peers[UDP_MAX_PEERS];	/* destinations the client used */
	size_t npeers, next_peer;
	/* one name lookup at a time */
	struct resolve_req *req;
	char pending_name[256];
	uint8_t *pending;
	size_t pending_len;
	char cached_name[256];
	struct sockaddr_storage cached_addr;
	unsigned long dropped;
};

static socklen_t
ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Same IP (IPv4-mapped IPv6 counts as IPv4)? */
static bool
same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	unsigned char ra[16], rb[16];
	int fa = a->ss_family, fb = b->ss_family;

	memset(ra, 0, sizeof ra);
	memset(rb, 0, sizeof rb);
	if (fa == AF_INET)
		memcpy(ra, &((const struct sockaddr_in *)a)->sin_addr, 4);
	else if (IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)a)->sin6_addr)) {
		memcpy(ra, ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr + 12, 4);
		fa = AF_INET;
	} else
		memcpy(ra, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
	if (fb == AF_INET)
		memcpy(rb, &((const struct sockaddr_in *)b)->sin_addr, 4);
	else if (IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)b)->sin6_addr)) {
		memcpy(rb, ((const struct sockaddr_in6 *)b)->sin6_addr.s6_addr + 12, 4);
		fb = AF_INET;
	} else
		memcpy(rb, &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return fa == fb && memcmp(ra, rb, 16) == 0;
}

static uint16_t
ss_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port :
	    ((const struct sockaddr_in *)ss)->sin_port);
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return same_ip(a, b) && ss_port(a) == ss_port(b);
}

static void
remember_peer(struct udp_assoc *u, const struct sockaddr_storage *to)
{
	size_t i;

	for (i = 0; i < u->npeers; i++) {
		if (same_addr(&u->peers[i], to))
			return;
	}
	u->peers[u->next_peer] = *to;
	u->next_peer = (u->next_peer + 1) % UDP_MAX_PEERS;
	if (u->npeers < UDP_MAX_PEERS)
		u->npeers++;
}

/* May datagrams go to TO? The listener's rules, then R15 for open listeners. */
static bool
dest_allowed(struct udp_assoc *u, const struct sockaddr_storage *to, const char *name)
{
	const struct lconf *lc = u->b->conf;
	const char *user = u->user[0] ? u->user : NULL, *why;
	char ip[INET6_ADDRSTRLEN];
	struct access_dest d;

	if (to->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)to)->sin_addr, ip, sizeof ip);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)to)->sin6_addr, ip, sizeof ip);
	d.host = name != NULL ? name : ip;
	d.port = ss_port(to);
	/* with a password file and no rules, the password admitted the client */
	if (!(lc->nrules == 0 && lc->users != NULL) &&
	    !access_check(lc->rules, lc->nrules, &u->client, user, &d, &why)) {
		log_debug("bridge %llu: UDP datagram to %s:%u denied: %s",
		    (unsigned long long)u->b->id, d.host, d.port, why);
		return false;
	}
	d.host = ip;	/* R15 looks at the address the datagram really goes to */
	if (lconf_is_open(lc) && access_is_internal_blocked(lc->rules, lc->nrules, &u->client,
	    user, &d)) {
		log_debug("bridge %llu: UDP datagram to internal %s:%u denied",
		    (unsigned long long)u->b->id, ip, d.port);
		return false;
	}
	return true;
}

static void
send_to_dest(struct udp_assoc *u, const struct sockaddr_storage *dst, const char *name,
    const uint8_t *p, size_t len)
{
	struct sockaddr_storage to = *dst;

	if (!dest_allowed(u, &to, name)) {
		u->dropped++;
		return;
	}
	if (to.ss_family == AF_INET && u->client_udp.ss_family == AF_INET6) {
		/* a dual-stack relay socket reaches IPv4 as ::ffff:a.b.c.d */
		struct sockaddr_in v4 = *(struct sockaddr_in *)dst;
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&to;

		memset(&to, 0, sizeof to);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = v4.sin_port;
		v6->sin6_addr.s6_addr[10] = 0xff;
		v6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(v6->sin6_addr.s6_addr + 12, &v4.sin_addr, 4);
	}
	if (to.ss_family != u->client_udp.ss_family) {
		u->dropped++;	/* an IPv6 destination from an IPv4-only relay socket */
		return;
	}
	remember_peer(u, &to);
	if (sendto(u->fd, p, len, MSG_DONTWAIT, (const struct sockaddr *)&to, ss_len(&to)) < 0)
		u->dropped++;
	u->b->active_ms = clock_ms();
}

static void
udp_resolved(void *arg, const struct sockaddr_storage *addrs, size_t n, const char *error)
{
	struct udp_assoc *u = arg;
	size_t i;

	u->req = NULL;
	if (error == NULL) {
		/* prefer the relay socket's family */
		for (i = 0; i < n; i++) {
			if (addrs[i].ss_family == u->client_udp.ss_family)
				break;
		}
		if (i == n)
			i = 0;
		snprintf(u->cached_name, sizeof u->cached_name, "%s", u->pending_name);
		u->cached_addr = addrs[i];
		send_to_dest(u, &addrs[i], u->pending_name, u->pending, u->pending_len);
	} else
		u->dropped++;
	free(u->pending);
	u->pending = NULL;
}

static bool
ip_literal(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return true;
	}
	return false;
}

/* A datagram from the client: unwrap, check, send on. */
static void
from_client(struct udp_assoc *u, const uint8_t *p, size_t len)
{
	const struct gateway *gw = u->b->conf->gateway;
	struct gw_request dst;
	struct sockaddr_storage to;
	size_t off;

	if (gw->udp_unwrap(p, len, &dst, &off) != 0) {
		u->dropped++;
		return;
	}
	if (ip_literal(dst.host, dst.port, &to)) {
		send_to_dest(u, &to, NULL, p + off, len - off);
		return;
	}
	if (strcmp(dst.host, u->cached_name) == 0) {
		to = u->cached_addr;
		if (to.ss_family == AF_INET)
			((struct sockaddr_in *)&to)->sin_port = htons(dst.port);
		else
			((struct sockaddr_in6 *)&to)->sin6_port = htons(dst.port);
		send_to_dest(u, &to, dst.host, p + off, len - off);
		return;
	}
	if (u->req != NULL || u->pending != NULL) {
		u->dropped++;
		return;
	}
	snprintf(u->pending_name, sizeof u->pending_name, "%s", dst.host);
	u->pending = xmalloc(len - off + 1);
	memcpy(u->pending, p + off, len - off);
	u->pending_len = len - off;
	{
		struct resolve_req *r = resolver_lookup(worker_resolver(u->b->w), dst.host, dst.port,
		    udp_resolved, u);

		if (r != NULL)
			u->req = r;
	}
}

/* A datagram from a destination: wrap it for the client. */
static void
from_peer(struct udp_assoc *u, const struct sockaddr_storage *from, const uint8_t *p, size_t len)
{
	const struct gateway *gw = u->b->conf->gateway;
	uint8_t out[UDP_MAX_DGRAM + 300];
	size_t i, hl;

	for (i = 0; i < u->npeers; i++) {
		if (same_addr(&u->peers[i], from))
			break;
	}
	if (i == u->npeers || !u->client_known) {
		u->dropped++;	/* not an answer to anything the client sent */
		return;
	}
	hl = gw->udp_wrap(from, out, sizeof out - len);
	if (hl == 0 || hl + len > sizeof out) {
		u->dropped++;
		return;
	}
	memcpy(out + hl, p, len);
	if (sendto(u->fd, out, hl + len, MSG_DONTWAIT, (const struct sockaddr *)&u->client_udp,
	    ss_len(&u->client_udp)) < 0)
		u->dropped++;
	u->b->active_ms = clock_ms();
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct udp_assoc *u = arg;
	static _Thread_local uint8_t buf[UDP_MAX_DGRAM];
	int i;

	for (i = 0; i < UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);

		if (n < 0)
			return;
		if (same_ip(&from, &u->client.addr) && (!u->client_known ? (u->declared_port == 0 ||
		    u->declared_port == ss_port(&from)) : same_addr(&from, &u->client_udp))) {
			if (!u->client_known) {
				u->client_udp = from;
				u->client_known = true;
			}
			from_client(u, buf, (size_t)n);
		} else
			from_peer(u, &from, buf, (size_t)n);
	}
}

struct udp_assoc *
udp_assoc_new(struct bridge *b, int control_fd, const struct access_client *client,
    const struct gw_request *req, struct sockaddr_storage *bound, char **cause)
{
	struct udp_assoc *u = xcalloc(1, sizeof *u);
	struct sockaddr_storage local;
	socklen_t len = sizeof local;

	u->b = b;
	u->client = *client;
	snprintf(u->user, sizeof u->user, "%s", req->user);
	u->declared_port = req->port;
	u->fd = -1;
	if (client->addr.ss_family != AF_INET && client->addr.ss_family != AF_INET6) {
		xasprintf(cause, "UDP ASSOCIATE needs a client on an IP address");
		goto fail;
	}
	if (getsockname(control_fd, (struct sockaddr *)&local, &len) != 0) {
		xasprintf(cause, "getsockname: %s", strerror(errno));
		goto fail;
	}
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&local)->sin6_port = 0;
	u->client_udp.ss_family = local.ss_family;
	u->fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || bind(u->fd, (struct sockaddr *)&local, ss_len(&local)) != 0) {
		xasprintf(cause, "UDP relay socket: %s", strerror(errno));
		goto fail;
	}
	len = sizeof *bound;
	getsockname(u->fd, (struct sockaddr *)bound, &len);
	u->ev = event_new(worker_base(b->w), u->fd, EV_READ | EV_PERSIST, udp_read_cb, u);
	event_add(u->ev, NULL);
	return u;
fail:
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	return NULL;
}

void
udp_assoc_free(struct udp_assoc *u)
{
	if (u == NULL)
		return;
	resolve_cancel(u->req);
	if (u->dropped > 0)
		log_debug("bridge %llu: UDP association dropped %lu datagram(s)",
		    (unsigned long long)u->b->id, u->dropped);
	event_free(u->ev);
	close(u->fd);
	free(u->pending);
	free(u);
}

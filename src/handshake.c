/*
 * handshake.c - a bridge's gateway phase. Stages: READING (the client's
 * request; the handshake timeout runs from accept, whatever the client
 * sends), DELAY (a wrong password waits before its refusal: 1 s, doubled
 * for each recent failure of the same source or user, see authfail.h), DIALING (the request is decided and being connected). Replies
 * go through the pump ahead of any relayed byte; what the client sent after
 * its request stays in the front's buffer and is relayed as payload.
 */
#include "handshake.h"
#include "authfail.h"
#include "access.h"
#include "addrmap.h"
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "gateway.h"
#include "log.h"
#include "pump.h"
#include "transport.h"
#include "resolve.h"
#include "udp-assoc.h"
#include "worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


enum hs_stage { HS_READING, HS_DELAY, HS_DIALING, HS_REFUSED, HS_ASSOCIATED, HS_BINDING };

struct handshake {
	enum hs_stage stage;
	void *session;
	int control_fd;
	struct udp_assoc *udp;
	int bind_fd;			/* BIND: the socket waiting for the inbound connection */
	struct event *bind_ev;
	uint64_t bind_started;
	struct access_client client;
	struct gw_request req;
	struct gw_out delayed;
	struct resolve_req *req_pending;	/* R15: resolving a name before dialling */
	uint64_t delay_ms;			/* before a refused authentication is answered */
};

void
handshake_start(struct bridge *b, int fd)
{
	struct handshake *hs = xcalloc(1, sizeof *hs);

	hs->session = xcalloc(1, b->conf->gateway->session_size);
	hs->control_fd = fd;
	hs->bind_fd = -1;
	access_client_from_fd(fd, &hs->client);
	b->hs = hs;
	bridge_arm_timer(b);
}

void
handshake_free(struct bridge *b)
{
	if (b->hs == NULL)
		return;
	resolve_cancel(b->hs->req_pending);
	udp_assoc_free(b->hs->udp);
	if (b->hs->bind_ev != NULL)
		event_free(b->hs->bind_ev);
	if (b->hs->bind_fd >= 0)
		close(b->hs->bind_fd);
	free(b->hs->session);
	free(b->hs);
	b->hs = NULL;
}

static void
handshake_refuse(struct bridge *b, enum gw_outcome outcome, const char *reason)
{
	struct gw_out out = { .len = 0 };

	b->hs->stage = HS_REFUSED;
	b->conf->gateway->reply(b->hs->session, outcome, NULL, &out);
	b->pump->reply(b, out.data, out.len);
	bridge_linger(b, reason);
}

static void
handshake_add_target(struct bridge *b, struct taddr *ta)
{
	b->own_targets = xreallocarray(b->own_targets, b->nown + 1, sizeof *b->own_targets);
	b->own_targets[b->nown++] = ta;
}

static void
handshake_dial(struct bridge *b)
{
	b->targets = b->own_targets;
	b->ntargets = b->nown;
	b->hs->stage = HS_DIALING;
	bridge_arm_timer(b);
	bridge_dial(b);
}

/*
 * R15 for names: on a listener open beyond loopback, a name is resolved
 * here and its internal addresses are dropped (unless a rule names them);
 * the addresses left are dialled as they are, so a second lookup cannot
 * answer differently (DNS rebinding).
 */
static void
handshake_resolved(void *arg, const struct sockaddr_storage *addrs, size_t n, const char *error)
{
	struct bridge *b = arg;
	struct handshake *hs = b->hs;
	size_t i;

	hs->req_pending = NULL;
	if (error != NULL) {
		log_info("bridge %llu [%s]: %s %s:%u: name lookup failed: %s", (unsigned long long)b->id,
		    b->conf->name, hs->req.proto, hs->req.host, hs->req.port, error);
		handshake_refuse(b, GW_HOST_UNREACHABLE, "name-lookup-failed");
		return;
	}
	for (i = 0; i < n; i++) {
		char ip[INET6_ADDRSTRLEN], *uri, *cause = NULL;
		struct access_dest d = { ip, hs->req.port };
		struct taddr *ta;

		if (addrs[i].ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)&addrs[i])->sin_addr, ip, sizeof ip);
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&addrs[i])->sin6_addr, ip, sizeof ip);
		if (access_is_internal_blocked(b->conf->rules, b->conf->nrules, &hs->client,
		    hs->req.user[0] ? hs->req.user : NULL, &d))
			continue;
		xasprintf(&uri, addrs[i].ss_family == AF_INET6 ? "tcp://[%s]:%u" : "tcp://%s:%u", ip,
		    hs->req.port);
		ta = taddr_parse(uri, TADDR_CONNECT, NULL, &cause);
		free(uri);
		free(cause);
		if (ta != NULL)
			handshake_add_target(b, ta);
	}
	if (b->nown == 0) {
		log_info("bridge %llu [%s]: denied %s %s:%u for %s: it resolves only to internal "
		    "addresses, and no allow rule names them (this listener is open beyond loopback)",
		    (unsigned long long)b->id, b->conf->name, hs->req.proto, hs->req.host,
		    hs->req.port, b->front.name);
		handshake_refuse(b, GW_DENIED, "denied");
		return;
	}
	handshake_dial(b);
}

/* The request is complete: rules, mapping, then dial. */
static void
handshake_decide(struct bridge *b)
{
	struct handshake *hs = b->hs;
	struct access_dest dest = { hs->req.host, hs->req.port };
	const char *user = hs->req.user[0] ? hs->req.user : NULL;
	bool open = lconf_is_open(b->conf);
	struct taddr *ta = NULL;

	hs->client.identity = b->front.identity;	/* a TLS front's verified certificate */
	const char *why;
	char *uri, *cause = NULL;

	/* with authentication and no rules, the password is the gate */
	if (!(b->conf->nrules == 0 && b->conf->users != NULL) &&
	    !access_check(b->conf->rules, b->conf->nrules, &hs->client, user, &dest, &why)) {
		log_info("bridge %llu [%s]: denied %s %s:%u for %s%s%s: %s", (unsigned long long)b->id,
		    b->conf->name, hs->req.proto, hs->req.host, hs->req.port, b->front.name,
		    user != NULL ? " user " : "", hs->req.user, why);
		handshake_refuse(b, GW_DENIED, "denied");
		return;
	}
	if (open && access_is_internal_blocked(b->conf->rules, b->conf->nrules, &hs->client, user,
	    &dest)) {
		log_info("bridge %llu [%s]: denied %s %s:%u for %s: an internal address, and no "
		    "allow rule names it (this listener is open beyond loopback)",
		    (unsigned long long)b->id, b->conf->name, hs->req.proto, hs->req.host,
		    hs->req.port, b->front.name);
		handshake_refuse(b, GW_DENIED, "denied");
		return;
	}
	if (open && hs->req.host_is_name &&
	    !addrmap_matches(b->conf->maps, b->conf->nmaps, hs->req.host, hs->req.port)) {
		hs->stage = HS_DIALING;
		bridge_arm_timer(b);
		hs->req_pending = resolver_lookup(worker_resolver(b->w), hs->req.host, hs->req.port,
		    handshake_resolved, b);
		return;
	}
	uri = addrmap_apply(b->conf->maps, b->conf->nmaps, hs->req.host, hs->req.port, &cause);
	if (uri != NULL)
		ta = taddr_parse(uri, TADDR_CONNECT, NULL, &cause);
	if (uri == NULL || ta == NULL) {
		log_info("bridge %llu [%s]: %s %s:%u: %s", (unsigned long long)b->id, b->conf->name,
		    hs->req.proto, hs->req.host, hs->req.port, cause);
		free(cause);
		free(uri);
		handshake_refuse(b, GW_HOST_UNREACHABLE, "bad-destination");
		return;
	}
	log_debug("bridge %llu [%s]: %s %s:%u%s%s -> %s", (unsigned long long)b->id, b->conf->name,
	    hs->req.proto, hs->req.host, hs->req.port, user != NULL ? " user " : "", hs->req.user,
	    uri);
	free(uri);
	handshake_add_target(b, ta);
	handshake_dial(b);
}

/* BIND: the inbound connection arrived (or something failed). */
static void
handshake_bind_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct bridge *b = arg;
	struct handshake *hs = b->hs;
	struct sockaddr_storage peer;
	socklen_t len = sizeof peer;
	struct gw_out out = { .len = 0 };
	char host[INET6_ADDRSTRLEN];
	int fd;

	fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;		/* spurious wake-up, or the peer gave up: keep waiting */
	if (peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, host, sizeof host);
	else if (IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&peer)->sin6_addr))
		inet_ntop(AF_INET, ((struct sockaddr_in6 *)&peer)->sin6_addr.s6_addr + 12, host,
		    sizeof host);	/* a dual-stack socket: ::ffff:a.b.c.d is a.b.c.d */
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, host, sizeof host);
	/* the request named the host expected to connect; 0.0.0.0 / :: means any */
	if (strcmp(hs->req.host, "0.0.0.0") != 0 && strcmp(hs->req.host, "::") != 0 &&
	    strcmp(hs->req.host, host) != 0) {
		log_info("bridge %llu [%s]: BIND: connection from %s, expected %s; refused",
		    (unsigned long long)b->id, b->conf->name, host, hs->req.host);
		close(fd);
		return;
	}
	event_free(hs->bind_ev);
	hs->bind_ev = NULL;
	close(hs->bind_fd);
	hs->bind_fd = -1;
	b->back.ta = b->front.ta;
	b->back.name = b->front.ta->tp->peer_name(b->front.ta, fd);
	if (b->pump->attach(b, &b->back, fd) != 0) {
		handshake_refuse(b, GW_FAILED, "bind-failed");
		return;
	}
	b->conf->gateway->reply(hs->session, GW_OK, &peer, &out);	/* the second reply */
	b->pump->reply(b, out.data, out.len);
	log_debug("bridge %llu [%s]: BIND: %s connected", (unsigned long long)b->id, b->conf->name,
	    b->back.name);
	handshake_free(b);
	b->active_ms = clock_ms();
	b->pump->kick(b);
	if (!b->closed)
		bridge_arm_timer(b);
}

/* BIND: listen on the control connection's local address for one connection. */
static void
handshake_bind(struct bridge *b)
{
	struct handshake *hs = b->hs;
	struct access_dest dest = { hs->req.host, hs->req.port };
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	struct gw_out out = { .len = 0 };
	const char *why;

	if (!(b->conf->nrules == 0 && b->conf->users != NULL) &&
	    !access_check(b->conf->rules, b->conf->nrules, &hs->client,
	    hs->req.user[0] ? hs->req.user : NULL, &dest, &why)) {
		log_info("bridge %llu [%s]: denied %s BIND for %s: %s", (unsigned long long)b->id,
		    b->conf->name, hs->req.proto, b->front.name, why);
		handshake_refuse(b, GW_DENIED, "denied");
		return;
	}
	if (getsockname(hs->control_fd, (struct sockaddr *)&local, &len) != 0 ||
	    (local.ss_family != AF_INET && local.ss_family != AF_INET6)) {
		handshake_refuse(b, GW_FAILED, "bind-failed");
		return;
	}
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&local)->sin6_port = 0;
	hs->bind_fd = socket(local.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (hs->bind_fd < 0 || bind(hs->bind_fd, (struct sockaddr *)&local, len) != 0 ||
	    listen(hs->bind_fd, 1) != 0) {
		log_warning("bridge %llu [%s]: BIND: %s", (unsigned long long)b->id, b->conf->name,
		    strerror(errno));
		handshake_refuse(b, GW_FAILED, "bind-failed");
		return;
	}
	len = sizeof local;
	getsockname(hs->bind_fd, (struct sockaddr *)&local, &len);
	hs->bind_ev = event_new(worker_base(b->w), hs->bind_fd, EV_READ | EV_PERSIST,
	    handshake_bind_cb, b);
	event_add(hs->bind_ev, NULL);
	hs->stage = HS_BINDING;
	hs->bind_started = clock_ms();
	b->conf->gateway->reply(hs->session, GW_OK, &local, &out);	/* the first reply */
	b->pump->reply(b, out.data, out.len);
	bridge_arm_timer(b);
}

/* UDP ASSOCIATE: open the relay and answer with its address. */
static void
handshake_associate(struct bridge *b)
{
	struct handshake *hs = b->hs;
	struct sockaddr_storage bound;
	struct gw_out out = { .len = 0 };
	const char *why;
	char *cause = NULL;

	if (b->conf->gateway->udp_unwrap == NULL) {
		handshake_refuse(b, GW_FAILED, "udp-not-supported");
		return;
	}
	if (b->conf->nrules == 0 && b->conf->users == NULL &&
	    !access_check(NULL, 0, &hs->client, NULL, NULL, &why)) {
		log_info("bridge %llu [%s]: denied %s UDP association for %s: %s",
		    (unsigned long long)b->id, b->conf->name, hs->req.proto, b->front.name, why);
		handshake_refuse(b, GW_DENIED, "denied");
		return;
	}
	hs->udp = udp_assoc_new(b, hs->control_fd, &hs->client, &hs->req, &bound, &cause);
	if (hs->udp == NULL) {
		log_warning("bridge %llu [%s]: %s", (unsigned long long)b->id, b->conf->name, cause);
		free(cause);
		handshake_refuse(b, GW_FAILED, "udp-relay-failed");
		return;
	}
	hs->stage = HS_ASSOCIATED;
	b->conf->gateway->reply(hs->session, GW_OK, &bound, &out);
	b->pump->reply(b, out.data, out.len);
	log_debug("bridge %llu [%s]: UDP association for %s", (unsigned long long)b->id,
	    b->conf->name, b->front.name);
	bridge_arm_timer(b);
}

void
handshake_input(struct bridge *b)
{
	struct handshake *hs = b->hs;
	struct gw_env env = { b->conf->users };
	struct gw_out out = { .len = 0 };
	const unsigned char *data;
	size_t len, used = 0;
	enum gw_step step;

	if (hs != NULL && hs->stage == HS_ASSOCIATED) {
		/* the control connection carries nothing more; its end ends the association */
		len = b->pump->peek(&b->front, &data);
		b->pump->consume(&b->front, len);
		if (b->front.eof)
			bridge_close(b, "done");
		return;
	}
	if (hs == NULL || hs->stage != HS_READING)
		return;
	len = b->pump->peek(&b->front, &data);
	step = b->conf->gateway->feed(hs->session, &env, data, len, &used, &out, &hs->req);
	b->pump->consume(&b->front, used);
	switch (step) {
	case GW_STEP_MORE:
		if (out.len > 0)
			b->pump->reply(b, out.data, out.len);
		if (b->front.eof) {
			hs->stage = HS_REFUSED;
			bridge_linger(b, "front-closed-in-handshake");	/* a reply may be queued */
		}
		else if (len - used >= b->conf->buffer)
			bridge_close(b, "request-too-large");
		return;
	case GW_STEP_REJECT:
		if (hs->req.auth_failed) {
			struct clientkey src;
			unsigned long fails;

			clientcount_key(hs->control_fd, &src);
			hs->delay_ms = authfail_record(&src, hs->req.user, b->conf->auth_delay_ms, &fails);
			log_info("bridge %llu [%s]: authentication failed for user '%s' from %s "
			    "(failure %lu in 10 min; answering in %llu ms)", (unsigned long long)b->id,
			    b->conf->name, hs->req.user, b->front.name, fails,
			    (unsigned long long)hs->delay_ms);
			hs->delayed = out;
			hs->stage = HS_DELAY;
			bridge_arm_timer(b);
			return;
		}
		log_info("bridge %llu [%s]: %s gateway refused the request from %s",
		    (unsigned long long)b->id, b->conf->name, b->conf->gateway->name, b->front.name);
		hs->stage = HS_REFUSED;
		b->pump->reply(b, out.data, out.len);
		bridge_linger(b, "gateway-refused");
		return;
	case GW_STEP_CONNECT:
		if (out.len > 0)
			b->pump->reply(b, out.data, out.len);
		if (hs->req.user[0] != '\0')
			authfail_success(hs->req.user);
		handshake_decide(b);
		return;
	case GW_STEP_UDP:
		if (out.len > 0)
			b->pump->reply(b, out.data, out.len);
		handshake_associate(b);
		return;
	case GW_STEP_BIND:
		if (out.len > 0)
			b->pump->reply(b, out.data, out.len);
		handshake_bind(b);
		return;
	}
}

bool
handshake_deadline(const struct bridge *b, uint64_t *from_ms, uint64_t *after_ms)
{
	if (b->hs == NULL || b->hs->stage == HS_DIALING || b->hs->stage == HS_REFUSED ||
	    b->hs->stage == HS_ASSOCIATED)
		return false;
	if (b->hs->stage == HS_DELAY) {
		*from_ms = clock_ms();
		*after_ms = b->hs->delay_ms;
	} else if (b->hs->stage == HS_BINDING) {
		*from_ms = b->hs->bind_started;
		*after_ms = b->conf->connect_timeout_ms;
	} else {
		*from_ms = b->started_ms;
		*after_ms = b->conf->handshake_timeout_ms;
	}
	return true;
}

void
handshake_timer(struct bridge *b)
{
	struct handshake *hs = b->hs;

	if (hs->stage == HS_DELAY) {
		hs->stage = HS_REFUSED;
		b->pump->reply(b, hs->delayed.data, hs->delayed.len);
		bridge_linger(b, "auth-failed");
		return;
	}
	if (hs->stage == HS_BINDING) {
		log_info("bridge %llu [%s]: BIND: no inbound connection within connect-timeout",
		    (unsigned long long)b->id, b->conf->name);
		handshake_refuse(b, GW_TIMEOUT, "bind-timeout");
		return;
	}
	bridge_close(b, "handshake-timeout");
}

void
handshake_connected(struct bridge *b, int fd)
{
	struct sockaddr_storage bound;
	socklen_t len = sizeof bound;
	struct gw_out out = { .len = 0 };

	if (getsockname(fd, (struct sockaddr *)&bound, &len) != 0)
		bound.ss_family = AF_UNSPEC;
	b->conf->gateway->reply(b->hs->session, GW_OK, &bound, &out);
	b->pump->reply(b, out.data, out.len);
	handshake_free(b);
}

void
handshake_failed(struct bridge *b, int err, const char *reason)
{
	handshake_refuse(b, gateway_outcome(err), reason);
}

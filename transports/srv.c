/*
 * srv.c - the srv: target "transport": srv:_SERVICE._PROTO.DOMAIN names a
 * service through DNS SRV records (RFC 2782). Connecting looks the records
 * up through c-ares, orders them by priority and weight, and dials each
 * answer's host and port in turn (each with Happy Eyeballs) until one
 * connects, all within the connect timeout. The connection is TCP, or
 * Multipath TCP with ?via=mptcp. Targets only: a name is not a place to
 * listen.
 */
#include "common.h"
#include "dial.h"
#include "transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

struct srv_addr {
	char *name;
	int protocol;
	bool nodelay;
};

static int
srv_set_via(void *priv, const char *v, char **cause)
{
	struct srv_addr *a = priv;

	if (strcmp(v, "tcp") == 0)
		a->protocol = IPPROTO_TCP;
	else if (strcmp(v, "mptcp") == 0)
		a->protocol = IPPROTO_MPTCP;
	else {
		xasprintf(cause, "via takes tcp or mptcp, not '%s'", v);
		return -1;
	}
	return 0;
}

static int
srv_set_nodelay(void *priv, const char *v, char **cause)
{
	return parse_bool(v, &((struct srv_addr *)priv)->nodelay, cause);
}

static const struct transport_opt srv_opts[] = {
	{ "via", TOPT_CONNECT, srv_set_via },
	{ "nodelay", TOPT_CONNECT, srv_set_nodelay },
};

static bool
srv_name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || strstr(s, "..") != NULL)
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	}
	return true;
}

static int
srv_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	struct srv_addr *a;

	if (role == TADDR_LISTEN) {
		xasprintf(cause, "srv: names a service to connect to; it cannot be listened on");
		return -1;
	}
	if (!srv_name_is_valid(u->body)) {
		xasprintf(cause, "'%s' is not a DNS name such as _service._tcp.example.org", u->body);
		return -1;
	}
	a = xcalloc(1, sizeof *a);
	a->name = xstrdup(u->body);
	a->protocol = IPPROTO_TCP;
	a->nodelay = true;
	if (transport_apply_opts(&transport_srv, srv_opts, MPTN_ARRAY_LEN(srv_opts), u, role, a,
	    cause) != 0) {
		free(a->name);
		free(a);
		return -1;
	}
	*priv = a;
	return 0;
}

static void
srv_free_priv(void *priv)
{
	struct srv_addr *a = priv;

	if (a == NULL)
		return;
	free(a->name);
	free(a);
}

static int
srv_listen(const struct taddr *ta, bool reuseport, int *fd, char **cause)
{
	xasprintf(cause, "%s: srv: addresses cannot be listened on", ta->text);
	return -1;
}

static void
srv_unlisten(const struct taddr *ta, int fd)
{
}

static void
srv_setup(const struct taddr *ta, int fd)
{
	const struct srv_addr *a = ta->priv;
	int on = a->nodelay;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static char *
srv_peer_name(const struct taddr *ta, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN], *out;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return xstrdup(ta->label);
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
		xasprintf(&out, "%s(tcp://[%s]:%u)", ta->label, host,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
		xasprintf(&out, "%s(tcp://%s:%u)", ta->label, host,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	return out;
}

static struct dial *
srv_connect(struct worker *w, const struct taddr *ta, uint64_t timeout_ms, dial_cb cb, void *arg)
{
	const struct srv_addr *a = ta->priv;
	struct dial_spec spec = { .srv_name = a->name, .protocol = a->protocol };

	return dial_start(w, &spec, timeout_ms, cb, arg);
}

static const char *const srv_schemes[] = { "srv", NULL };

const struct transport transport_srv = {
	.name = "srv",
	.schemes = srv_schemes,
	.flags = TRANSPORT_BYTE_STREAM | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD,
	.parse = srv_parse,
	.free_priv = srv_free_priv,
	.listen = srv_listen,
	.unlisten = srv_unlisten,
	.setup = srv_setup,
	.peer_name = srv_peer_name,
	.connect = srv_connect,
};

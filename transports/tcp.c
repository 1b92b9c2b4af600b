/*
 * tcp.c - the tcp:// and mptcp:// transports: kernel stream sockets over
 * IPv4 and IPv6. They differ only in the socket protocol (IPPROTO_MPTCP for
 * Multipath TCP), so one set of functions serves both tables.
 *
 * Listen hosts are IP literals or '*' (dual-stack wildcard); target hosts
 * may be names, resolved through c-ares at connect time and dialled with
 * Happy Eyeballs (src/dial.c).
 */
#include "common.h"
#include "dial.h"
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define TCP_DEFAULT_BACKLOG 1024

struct tcp_addr {
	char *host;			/* as written, without brackets */
	unsigned port;
	bool literal;			/* ss holds the address */
	struct sockaddr_storage ss;
	socklen_t sslen;
	int protocol;			/* IPPROTO_TCP or IPPROTO_MPTCP */
	int backlog;
	bool nodelay;
	int v6only;			/* -1: dual stack for wildcards */
	int defer_accept;		/* seconds of TCP_DEFER_ACCEPT, 0: off */
	int fastopen;			/* TCP_FASTOPEN queue length, 0: off */
};

static int
tcp_set_backlog(void *priv, const char *v, char **cause)
{
	struct tcp_addr *a = priv;
	uint64_t n;

	if (parse_uint(v, 1, 65535, &n, cause) != 0)
		return -1;
	a->backlog = (int)n;
	return 0;
}

static int
tcp_set_nodelay(void *priv, const char *v, char **cause)
{
	return parse_bool(v, &((struct tcp_addr *)priv)->nodelay, cause);
}

static int
tcp_set_v6only(void *priv, const char *v, char **cause)
{
	bool b;

	if (parse_bool(v, &b, cause) != 0)
		return -1;
	((struct tcp_addr *)priv)->v6only = b;
	return 0;
}

static int
tcp_set_defer_accept(void *priv, const char *v, char **cause)
{
	uint64_t ms;

	if (parse_duration(v, &ms, cause) != 0)
		return -1;
	if (ms > 3600 * 1000) {
		xasprintf(cause, "at most 1h");
		return -1;
	}
	((struct tcp_addr *)priv)->defer_accept = (int)((ms + 999) / 1000);
	return 0;
}

static int
tcp_set_fastopen(void *priv, const char *v, char **cause)
{
	uint64_t n;

	if (parse_uint(v, 0, 65535, &n, cause) != 0)
		return -1;
	((struct tcp_addr *)priv)->fastopen = (int)n;
	return 0;
}

static const struct transport_opt tcp_opts[] = {
	{ "backlog", TOPT_LISTEN, tcp_set_backlog },
	{ "defer-accept", TOPT_LISTEN, tcp_set_defer_accept },
	{ "fastopen", TOPT_LISTEN, tcp_set_fastopen },
	{ "nodelay", TOPT_BOTH, tcp_set_nodelay },
	{ "v6only", TOPT_LISTEN, tcp_set_v6only },
};

static bool
tcp_literal(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof *sin;
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof *sin6;
		return true;
	}
	return false;
}

static bool
tcp_name_is_valid(const char *host)
{
	size_t n = strlen(host);

	if (n == 0 || n > 253)
		return false;
	for (; *host != '\0'; host++) {
		unsigned char c = (unsigned char)*host;

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '-' && c != '.' && c != '_')
			return false;
	}
	return true;
}

static int
tcp_parse_common(const struct uri *u, enum taddr_role role, int protocol, void **priv,
    char **cause)
{
	const struct transport *tp = protocol == IPPROTO_MPTCP ? &transport_mptcp : &transport_tcp;
	struct tcp_addr *a = xcalloc(1, sizeof *a);

	a->protocol = protocol;
	a->backlog = TCP_DEFAULT_BACKLOG;
	a->nodelay = true;
	a->v6only = -1;
	if (uri_split_hostport(u->body, &a->host, &a->port, cause) != 0)
		goto fail;
	if (role == TADDR_LISTEN) {
		if (strcmp(a->host, "*") == 0) {
			a->literal = tcp_literal("::", a->port, &a->ss, &a->sslen);
		} else if (!tcp_literal(a->host, a->port, &a->ss, &a->sslen)) {
			xasprintf(cause, "a listen host must be an IP address or * (not '%s')", a->host);
			goto fail;
		}
		a->literal = true;
	} else {
		if (a->port == 0) {
			xasprintf(cause, "a target needs a port other than 0");
			goto fail;
		}
		a->literal = tcp_literal(a->host, a->port, &a->ss, &a->sslen);
		if (!a->literal && !tcp_name_is_valid(a->host)) {
			xasprintf(cause, "'%s' is not an IP address or a host name", a->host);
			goto fail;
		}
	}
	if (transport_apply_opts(tp, tcp_opts, MPTN_ARRAY_LEN(tcp_opts), u, role, a, cause) != 0)
		goto fail;
	*priv = a;
	return 0;
fail:
	free(a->host);
	free(a);
	return -1;
}

static int
tcp_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	return tcp_parse_common(u, role, IPPROTO_TCP, priv, cause);
}

static int
mptcp_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	return tcp_parse_common(u, role, IPPROTO_MPTCP, priv, cause);
}

static void
tcp_free_priv(void *priv)
{
	struct tcp_addr *a = priv;

	if (a == NULL)
		return;
	free(a->host);
	free(a);
}

static int
tcp_listen(const struct taddr *ta, bool reuseport, int *fdp, char **cause)
{
	const struct tcp_addr *a = ta->priv;
	int fd, one = 1;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, a->protocol);
	if (fd < 0) {
		if (a->protocol == IPPROTO_MPTCP && (errno == EPROTONOSUPPORT || errno == EINVAL ||
		    errno == ENOPROTOOPT))
			xasprintf(cause, "%s: this kernel has no Multipath TCP (sysctl net.mptcp.enabled)",
			    ta->text);
		else
			xasprintf(cause, "%s: socket: %s", ta->text, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
		xasprintf(cause, "%s: SO_REUSEPORT: %s", ta->text, strerror(errno));
		close(fd);
		return -1;
	}
	if (a->defer_accept > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &a->defer_accept, sizeof a->defer_accept);
	if (a->fastopen > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &a->fastopen, sizeof a->fastopen);
	if (a->ss.ss_family == AF_INET6) {
		int v6only = a->v6only;

		if (v6only == -1) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;

			v6only = !IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
		}
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) != 0 ||
	    listen(fd, a->backlog) != 0) {
		xasprintf(cause, "%s: %s", ta->text, strerror(errno));
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

static void
tcp_unlisten(const struct taddr *ta, int fd)
{
	close(fd);
}

static void
tcp_setup(const struct taddr *ta, int fd)
{
	const struct tcp_addr *a = ta->priv;
	int on = a->nodelay;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

/* Append the decimal digits of V at P; returns the new end. */
static char *
tcp_put_uint(char *p, unsigned v)
{
	char tmp[12];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/*
 * The peer of an accepted or connected socket, as "tcp://1.2.3.4:5" or
 * "tcp://[::1]:5". Built by hand: it runs twice per connection, and the
 * printf family costs more than the rest of the accept path (callgrind).
 */
static char *
tcp_peer_name(const struct taddr *ta, int fd)
{
	const struct tcp_addr *a = ta->priv;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	const char *scheme = a->protocol == IPPROTO_MPTCP ? "mptcp://" : "tcp://";
	char buf[8 + INET6_ADDRSTRLEN + 8], *p = buf;
	unsigned port;

	p = stpcpy(p, scheme);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) {
		*p++ = '?';
		*p = '\0';
		return xstrdup(buf);
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

		*p++ = '[';
		inet_ntop(AF_INET6, &sin6->sin6_addr, p, INET6_ADDRSTRLEN);
		p += strlen(p);
		*p++ = ']';
		port = ntohs(sin6->sin6_port);
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
		const unsigned char *q = (const unsigned char *)&sin->sin_addr;

		for (int i = 0; i < 4; i++) {
			p = tcp_put_uint(p, q[i]);
			if (i < 3)
				*p++ = '.';
		}
		port = ntohs(sin->sin_port);
	}
	*p++ = ':';
	p = tcp_put_uint(p, port);
	*p = '\0';
	return xstrdup(buf);
}

static struct dial *
tcp_connect(struct worker *w, const struct taddr *ta, uint64_t timeout_ms, dial_cb cb, void *arg)
{
	const struct tcp_addr *a = ta->priv;
	struct dial_spec spec = {
		.host = a->literal ? NULL : a->host,
		.port = a->port,
		.addr = &a->ss,
		.addrlen = a->sslen,
		.protocol = a->protocol,
	};

	return dial_start(w, &spec, timeout_ms, cb, arg);
}

static const char *const tcp_schemes[] = { "tcp", NULL };
static const char *const mptcp_schemes[] = { "mptcp", NULL };

const struct transport transport_tcp = {
	.name = "tcp",
	.schemes = tcp_schemes,
	.flags = TRANSPORT_BYTE_STREAM | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD |
	    TRANSPORT_REUSEPORT,
	.parse = tcp_parse,
	.free_priv = tcp_free_priv,
	.listen = tcp_listen,
	.unlisten = tcp_unlisten,
	.setup = tcp_setup,
	.peer_name = tcp_peer_name,
	.connect = tcp_connect,
};

const struct transport transport_mptcp = {
	.name = "mptcp",
	.schemes = mptcp_schemes,
	.flags = TRANSPORT_BYTE_STREAM | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD |
	    TRANSPORT_REUSEPORT,
	.parse = mptcp_parse,
	.free_priv = tcp_free_priv,
	.listen = tcp_listen,
	.unlisten = tcp_unlisten,
	.setup = tcp_setup,
	.peer_name = tcp_peer_name,
	.connect = tcp_connect,
};

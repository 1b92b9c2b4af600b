/*
 * gateway.h - front doors that choose the target at run time (SOCKS, HTTP
 * CONNECT). A gateway is a decoder with a session: it reads the client's
 * bytes, writes its replies into a gw_out, and says when it knows the
 * destination. It never touches fds or the event loop; the bridge does the
 * I/O, access control, address mapping and dialling, then asks the gateway
 * for the reply that matches the outcome.
 */
#ifndef MPTN_GATEWAY_H
#define MPTN_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct passwd_db;

#define GW_OUT_MAX 1024
#define GW_HOST_MAX 255

/* Bytes for the client; the bridge sends them. */
struct gw_out {
	uint8_t data[GW_OUT_MAX];
	size_t len;
};

/* What the client asked for. */
struct gw_request {
	char host[GW_HOST_MAX + 1];	/* a name, or an IPv4/IPv6 literal (no brackets) */
	uint16_t port;
	bool host_is_name;
	char user[GW_HOST_MAX + 1];	/* authenticated user, or "" */
	const char *proto;		/* "socks5", "socks4", "socks4a", "http" */
	bool auth_failed;		/* set with GW_STEP_REJECT for wrong credentials */
};

/* How the connect went, in terms every proxy protocol has a reply for. */
enum gw_outcome {
	GW_OK,
	GW_DENIED,		/* access rules */
	GW_REFUSED,
	GW_NET_UNREACHABLE,
	GW_HOST_UNREACHABLE,	/* includes a name that does not resolve */
	GW_TIMEOUT,
	GW_FAILED,
};

enum gw_step {
	GW_STEP_MORE,		/* need more bytes (after sending out, if any) */
	GW_STEP_CONNECT,	/* *req is set: connect, then call reply() */
	GW_STEP_REJECT,		/* out holds the refusal: send it and close */
	GW_STEP_UDP,		/* a UDP association: relay datagrams, reply() with its address */
	GW_STEP_BIND,		/* accept one inbound connection from *req; reply() twice */
};

/* What a session may consult. */
struct gw_env {
	const struct passwd_db *users;	/* NULL: no authentication */
};

struct gateway {
	const char *name;
	size_t session_size;
	/*
	 * Decode IN (everything unconsumed so far). *used is how much was
	 * consumed; what follows the request is payload for the target.
	 */
	enum gw_step (*feed)(void *session, const struct gw_env *, const uint8_t *in, size_t len,
	    size_t *used, struct gw_out *out, struct gw_request *req);
	/* The reply for OUTCOME; BOUND is the local address of the outbound connection. */
	void (*reply)(void *session, enum gw_outcome, const struct sockaddr_storage *bound,
	    struct gw_out *out);
	/*
	 * Datagram framing of a UDP association (NULL when the gateway has
	 * none): unwrap a client's datagram into its destination and payload
	 * offset (-1: drop it), and wrap a reply from FROM (header length).
	 */
	int (*udp_unwrap)(const uint8_t *dgram, size_t len, struct gw_request *dst, size_t *off);
	size_t (*udp_wrap)(const struct sockaddr_storage *from, uint8_t *out, size_t cap);
};

extern const struct gateway gateway_socks;
extern const struct gateway gateway_http_connect;

/* By name ("socks", "http-connect"), or NULL. */
const struct gateway *gateway_find(const char *name);

/* Map a dial error (errno or DIAL_ERR_NAME) to an outcome. */
enum gw_outcome gateway_outcome(int err);

#endif

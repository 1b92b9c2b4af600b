/*
 * http-wire.h - the HTTP/1.x proxy CONNECT request head (RFC 9110 §9.3.6,
 * RFC 9112) and the proxy's response: a decoder from bytes to a struct and
 * an encoder for the status line and fields. Pure: no sockets, no event
 * loop, no allocation.
 *
 * The decoder looks at everything received so far (BUF, LEN) and returns
 * MPTN_MORE while BUF is a valid prefix of a head, MPTN_DONE with *used set
 * to the length of the head (what follows is tunnel payload; only MPTN_DONE
 * writes *req), or MPTN_FAIL with *status the code to answer: 400
 * malformed, 405 a method other than CONNECT, 431 the head or its field
 * count over the caller's limits, 505 an HTTP version other than 1.0 and 1.1.
 */
#ifndef MPTN_HTTP_WIRE_H
#define MPTN_HTTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define HTTP_WIRE_HOST_MAX	255	/* bytes of a target host, without the NUL */
#define HTTP_WIRE_CRED_MAX	255	/* bytes of a Basic user or password */

/* What the Proxy-Authorization field held. */
enum http_wire_auth {
	HTTP_WIRE_AUTH_NONE,		/* no field */
	HTTP_WIRE_AUTH_BASIC,		/* Basic; user and password are set */
	HTTP_WIRE_AUTH_INVALID,		/* another scheme, or Basic that does not decode */
};

/* Limits the caller sets on a request head. */
struct http_limits {
	size_t max_head;		/* bytes, request line to the empty line (e.g. 8192) */
	unsigned max_fields;		/* header field lines (e.g. 100) */
};

/* A CONNECT request head. */
struct http_request {
	unsigned minor;			/* HTTP/1.minor: 0 or 1 */
	char host[HTTP_WIRE_HOST_MAX + 1];	/* a name, IPv4 or IPv6 literal (no brackets) */
	bool host_is_ipv6;		/* it was written [v6]:port */
	uint16_t port;			/* 1..65535 */
	enum http_wire_auth auth;
	char user[HTTP_WIRE_CRED_MAX + 1];	/* no control bytes, may be empty */
	size_t userlen;
	char password[HTTP_WIRE_CRED_MAX + 1];
	size_t passwordlen;
	unsigned nfields;		/* header field lines seen */
};

/*
 * Decode a CONNECT request head (bare LF line ends accepted; empty lines
 * before the request line skipped). A request with content (a non-zero
 * Content-Length, or Transfer-Encoding) fails with 400: CONNECT has none,
 * and the bytes after the head belong to the tunnel.
 */
enum mptn_parse http_wire_decode_request(const uint8_t *buf, size_t len,
    const struct http_limits *lim, struct http_request *req, size_t *used, unsigned *status);

/* The standard reason phrase for STATUS, or "" for a code this file does not know. */
const char *http_wire_reason(unsigned status);

/*
 * Response head: "HTTP/1.1 STATUS REASON", then FIELDS (NULL, or complete
 * "Name: value\r\n" lines, e.g. "Proxy-Authenticate: Basic realm=\"mptnd\"\r\n"),
 * then for 3xx to 5xx "Content-Length: 0" and "Connection: close", then
 * the empty line; a 1xx, or a 2xx answer to CONNECT, carries no
 * Content-Length (RFC 9110 §8.6). Returns the length written (a NUL
 * follows), or -1 if OUTLEN is too small, STATUS is not 100..599 or FIELDS
 * is not well-formed lines.
 */
int http_wire_encode_response(char *out, size_t outlen, unsigned status, const char *fields);

#endif

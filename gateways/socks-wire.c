/*
 * socks-wire.c - SOCKS 4, 4a and 5 messages: bytes in, struct out, and the
 * replies. Pure: no sockets, no event loop, no allocation; every field is a
 * fixed-size array. Decoders never read past LEN and never assert on what
 * the peer sent; a valid prefix is MPTN_MORE, never MPTN_FAIL. Unit tested by
 * tests/unit/test_socks_wire.c, fuzzed by tests/fuzz/fuzz_socks.c.
 */
#include "socks-wire.h"
#include "common.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define SOCKS5_VERSION		5
#define SOCKS4_VERSION		4
#define SOCKS5_USERPASS_VERSION	1

/*
 * Whether [P, P+N) holds a control byte (NUL included). Names carry none:
 * no resolver wants one and they would end up in the logs.
 */
static bool
socks_wire_has_control(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
	}
	return false;
}

/* A name is 1..255 bytes without control bytes. */
static bool
socks_wire_is_name_ok(const uint8_t *p, size_t n)
{
	return n > 0 && n <= SOCKS_NAME_MAX && !socks_wire_has_control(p, n);
}

static size_t
socks_wire_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * ATYP, ADDR, PORT at P (RFC 1928 §5). On MPTN_FAIL *rep says why:
 * SOCKS5_REP_ATYP_NOT_SUPPORTED or SOCKS5_REP_GENERAL_FAILURE.
 */
static enum mptn_parse
socks_wire_decode_addr(const uint8_t *p, size_t len, struct socks_addr *a, size_t *used,
    uint8_t *rep)
{
	struct socks_addr tmp;
	size_t need;

	if (len < 1)
		return MPTN_MORE;
	memset(&tmp, 0, sizeof tmp);
	tmp.atyp = p[0];
	switch (p[0]) {
	case SOCKS_ATYP_IPV4:
		need = 1 + 4 + 2;
		if (len < need)
			return MPTN_MORE;
		memcpy(&tmp.v4, p + 1, 4);
		break;
	case SOCKS_ATYP_IPV6:
		need = 1 + 16 + 2;
		if (len < need)
			return MPTN_MORE;
		memcpy(&tmp.v6, p + 1, 16);
		break;
	case SOCKS_ATYP_NAME:
		if (len < 2)
			return MPTN_MORE;
		/* Refuse an empty or bad name as soon as its bytes arrive. */
		if (p[1] == 0 || socks_wire_has_control(p + 2, socks_wire_min(len - 2, p[1]))) {
			*rep = SOCKS5_REP_GENERAL_FAILURE;
			return MPTN_FAIL;
		}
		need = 2 + (size_t)p[1] + 2;
		if (len < need)
			return MPTN_MORE;
		memcpy(tmp.name, p + 2, p[1]);
		tmp.name[p[1]] = '\0';
		tmp.namelen = p[1];
		break;
	default:
		*rep = SOCKS5_REP_ATYP_NOT_SUPPORTED;
		return MPTN_FAIL;
	}
	tmp.port = (uint16_t)(p[need - 2] << 8 | p[need - 1]);
	*a = tmp;
	*used = need;
	return MPTN_DONE;
}

/* Write ATYP, ADDR, PORT for A (NULL: 0.0.0.0:0) at OUT; length or -1. */
static int
socks_wire_encode_addr(uint8_t *out, size_t outlen, const struct socks_addr *a)
{
	static const struct socks_addr none = { .atyp = SOCKS_ATYP_IPV4 };
	size_t n;

	if (a == NULL)
		a = &none;
	switch (a->atyp) {
	case SOCKS_ATYP_IPV4:
		n = 1 + 4;
		if (outlen < n + 2)
			return -1;
		memcpy(out + 1, &a->v4, 4);
		break;
	case SOCKS_ATYP_IPV6:
		n = 1 + 16;
		if (outlen < n + 2)
			return -1;
		memcpy(out + 1, &a->v6, 16);
		break;
	case SOCKS_ATYP_NAME:
		if (!socks_wire_is_name_ok((const uint8_t *)a->name, a->namelen))
			return -1;
		n = 2 + a->namelen;
		if (outlen < n + 2)
			return -1;
		out[1] = (uint8_t)a->namelen;
		memcpy(out + 2, a->name, a->namelen);
		break;
	default:
		return -1;
	}
	out[0] = a->atyp;
	out[n] = (uint8_t)(a->port >> 8);
	out[n + 1] = (uint8_t)(a->port & 0xff);
	return (int)(n + 2);
}

/* From the first byte, which SOCKS version the client speaks. */
enum mptn_parse
socks_wire_sniff(const uint8_t *buf, size_t len, int *version)
{
	if (len < 1)
		return MPTN_MORE;
	if (buf[0] != SOCKS4_VERSION && buf[0] != SOCKS5_VERSION)
		return MPTN_FAIL;
	*version = buf[0];
	return MPTN_DONE;
}

/* Fill A from a socket address (IPv4-mapped IPv6 becomes IPv4). */
int
socks_wire_addr_from_sockaddr(struct socks_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof *a);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a->atyp = SOCKS_ATYP_IPV4;
		a->v4 = sin->sin_addr;
		a->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->atyp = SOCKS_ATYP_IPV4;
			memcpy(&a->v4, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			a->atyp = SOCKS_ATYP_IPV6;
			a->v6 = sin6->sin6_addr;
		}
		a->port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

/* Fill A with NAME and PORT. */
int
socks_wire_addr_set_name(struct socks_addr *a, const char *name, uint16_t port)
{
	size_t n = strlen(name);

	if (!socks_wire_is_name_ok((const uint8_t *)name, n))
		return -1;
	memset(a, 0, sizeof *a);
	a->atyp = SOCKS_ATYP_NAME;
	memcpy(a->name, name, n + 1);
	a->namelen = n;
	a->port = port;
	return 0;
}

/* Fill SS from an IPv4 or IPv6 A. */
int
socks_wire_addr_to_sockaddr(const struct socks_addr *a, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	memset(ss, 0, sizeof *ss);
	if (a->atyp == SOCKS_ATYP_IPV4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->v4;
		sin->sin_port = htons(a->port);
		*sslen = sizeof *sin;
		return 0;
	}
	if (a->atyp == SOCKS_ATYP_IPV6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->v6;
		sin6->sin6_port = htons(a->port);
		*sslen = sizeof *sin6;
		return 0;
	}
	return -1;
}

/* Format A as host:port, IPv6 in brackets. */
int
socks_wire_addr_format(const struct socks_addr *a, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	switch (a->atyp) {
	case SOCKS_ATYP_IPV4:
		inet_ntop(AF_INET, &a->v4, ip, sizeof ip);
		n = snprintf(out, outlen, "%s:%u", ip, a->port);
		break;
	case SOCKS_ATYP_IPV6:
		inet_ntop(AF_INET6, &a->v6, ip, sizeof ip);
		n = snprintf(out, outlen, "[%s]:%u", ip, a->port);
		break;
	case SOCKS_ATYP_NAME:
		n = snprintf(out, outlen, "%.*s:%u", (int)a->namelen, a->name, a->port);
		break;
	default:
		return -1;
	}
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

/* SOCKS5 greeting: VER 5, NMETHODS, METHODS. */
enum mptn_parse
socks_wire_decode_greeting(const uint8_t *buf, size_t len, struct socks5_greeting *g,
    size_t *used)
{
	if (len < 1)
		return MPTN_MORE;
	if (buf[0] != SOCKS5_VERSION)
		return MPTN_FAIL;
	if (len < 2)
		return MPTN_MORE;
	if (buf[1] == 0)
		return MPTN_FAIL;
	if (len < 2 + (size_t)buf[1])
		return MPTN_MORE;
	g->nmethods = buf[1];
	memcpy(g->methods, buf + 2, buf[1]);
	*used = 2 + (size_t)buf[1];
	return MPTN_DONE;
}

/* Whether the greeting offers METHOD. */
bool
socks_wire_is_method_offered(const struct socks5_greeting *g, uint8_t method)
{
	return memchr(g->methods, method, g->nmethods) != NULL;
}

/* Method-selection reply. */
int
socks_wire_encode_method(uint8_t *out, size_t outlen, uint8_t method)
{
	if (outlen < 2)
		return -1;
	out[0] = SOCKS5_VERSION;
	out[1] = method;
	return 2;
}

/* RFC 1929 request: VER 1, ULEN, UNAME, PLEN, PASSWD. */
enum mptn_parse
socks_wire_decode_userpass(const uint8_t *buf, size_t len, struct socks5_userpass *up,
    size_t *used)
{
	size_t ulen, plen;

	if (len < 1)
		return MPTN_MORE;
	if (buf[0] != SOCKS5_USERPASS_VERSION)
		return MPTN_FAIL;
	if (len < 2)
		return MPTN_MORE;
	ulen = buf[1];
	if (ulen == 0 || memchr(buf + 2, '\0', socks_wire_min(len - 2, ulen)) != NULL)
		return MPTN_FAIL;
	if (len < 2 + ulen + 1)
		return MPTN_MORE;
	plen = buf[2 + ulen];
	if (plen == 0 || memchr(buf + 3 + ulen, '\0', socks_wire_min(len - 3 - ulen, plen)) != NULL)
		return MPTN_FAIL;
	if (len < 3 + ulen + plen)
		return MPTN_MORE;
	memcpy(up->user, buf + 2, ulen);
	up->user[ulen] = '\0';
	up->userlen = ulen;
	memcpy(up->password, buf + 3 + ulen, plen);
	up->password[plen] = '\0';
	up->passwordlen = plen;
	*used = 3 + ulen + plen;
	return MPTN_DONE;
}

/* RFC 1929 reply. */
int
socks_wire_encode_userpass_reply(uint8_t *out, size_t outlen, uint8_t status)
{
	if (outlen < 2)
		return -1;
	out[0] = SOCKS5_USERPASS_VERSION;
	out[1] = status;
	return 2;
}

/* SOCKS5 request: VER 5, CMD, RSV 0, ATYP, DST.ADDR, DST.PORT. */
enum mptn_parse
socks_wire_decode_v5_request(const uint8_t *buf, size_t len, struct socks5_request *req,
    size_t *used, uint8_t *rep)
{
	enum mptn_parse rc;
	size_t n;

	*rep = SOCKS5_REP_GENERAL_FAILURE;
	if (len < 1)
		return MPTN_MORE;
	if (buf[0] != SOCKS5_VERSION)
		return MPTN_FAIL;
	if (len < 2)
		return MPTN_MORE;
	if (buf[1] != SOCKS5_CMD_CONNECT && buf[1] != SOCKS5_CMD_BIND &&
	    buf[1] != SOCKS5_CMD_UDP_ASSOCIATE) {
		*rep = SOCKS5_REP_CMD_NOT_SUPPORTED;
		return MPTN_FAIL;
	}
	if (len < 3)
		return MPTN_MORE;
	if (buf[2] != 0)
		return MPTN_FAIL;
	rc = socks_wire_decode_addr(buf + 3, len - 3, &req->dst, &n, rep);
	if (rc != MPTN_DONE)
		return rc;
	req->cmd = buf[1];
	*used = 3 + n;
	return MPTN_DONE;
}

/* SOCKS5 reply: VER 5, REP, RSV, BND.ADDR, BND.PORT. */
int
socks_wire_encode_v5_reply(uint8_t *out, size_t outlen, uint8_t rep, const struct socks_addr *bound)
{
	int n;

	if (outlen < 3)
		return -1;
	out[0] = SOCKS5_VERSION;
	out[1] = rep;
	out[2] = 0;
	if ((n = socks_wire_encode_addr(out + 3, outlen - 3, bound)) == -1)
		return -1;
	return 3 + n;
}

/* SOCKS4/4a request: VN 4, CD, DSTPORT, DSTIP, USERID NUL [, NAME NUL]. */
enum mptn_parse
socks_wire_decode_v4_request(const uint8_t *buf, size_t len, struct socks4_request *req,
    size_t *used, uint8_t *rep)
{
	const uint8_t *nul, *end = NULL;
	size_t uid, name, namelen = 0;
	bool is_4a;

	*rep = SOCKS4_REP_REJECTED;
	if (len < 1)
		return MPTN_MORE;
	if (buf[0] != SOCKS4_VERSION)
		return MPTN_FAIL;
	if (len < 2)
		return MPTN_MORE;
	if (buf[1] != SOCKS4_CMD_CONNECT && buf[1] != SOCKS4_CMD_BIND)
		return MPTN_FAIL;
	if (len < 8)
		return MPTN_MORE;

	/* USERID: up to 255 bytes, then NUL. */
	uid = 8;
	if ((nul = memchr(buf + uid, '\0', socks_wire_min(len - uid, SOCKS_NAME_MAX + 1))) == NULL)
		return len - uid > SOCKS_NAME_MAX ? MPTN_FAIL : MPTN_MORE;
	name = (size_t)(nul - buf) + 1;

	/* SOCKS4a: DSTIP 0.0.0.x with x != 0, then a name of 1..255 bytes and NUL. */
	is_4a = buf[4] == 0 && buf[5] == 0 && buf[6] == 0 && buf[7] != 0;
	if (is_4a) {
		end = memchr(buf + name, '\0', socks_wire_min(len - name, SOCKS_NAME_MAX + 1));
		namelen = end != NULL ? (size_t)(end - buf) - name : len - name;
		if (namelen > SOCKS_NAME_MAX || socks_wire_has_control(buf + name, namelen) ||
		    (end != NULL && namelen == 0))
			return MPTN_FAIL;
		if (end == NULL)
			return MPTN_MORE;
		*used = name + namelen + 1;
	} else
		*used = name;

	memset(req, 0, sizeof *req);
	req->cmd = buf[1];
	req->is_4a = is_4a;
	req->dst.port = (uint16_t)(buf[2] << 8 | buf[3]);
	req->useridlen = name - 1 - uid;
	memcpy(req->userid, buf + uid, req->useridlen);
	req->userid[req->useridlen] = '\0';
	if (is_4a) {
		req->dst.atyp = SOCKS_ATYP_NAME;
		req->dst.namelen = namelen;
		memcpy(req->dst.name, buf + name, namelen);
		req->dst.name[namelen] = '\0';
	} else {
		req->dst.atyp = SOCKS_ATYP_IPV4;
		memcpy(&req->dst.v4, buf + 4, 4);
	}
	return MPTN_DONE;
}

/* SOCKS4 reply: VN 0, CD, DSTPORT, DSTIP. */
int
socks_wire_encode_v4_reply(uint8_t *out, size_t outlen, uint8_t rep, const struct socks_addr *bound)
{
	if (outlen < SOCKS4_REPLY_LEN)
		return -1;
	memset(out, 0, SOCKS4_REPLY_LEN);
	out[1] = rep;
	if (bound != NULL && bound->atyp == SOCKS_ATYP_IPV4) {
		out[2] = (uint8_t)(bound->port >> 8);
		out[3] = (uint8_t)(bound->port & 0xff);
		memcpy(out + 4, &bound->v4, 4);
	}
	return SOCKS4_REPLY_LEN;
}

/* SOCKS5 UDP datagram header: RSV 0 0, FRAG, ATYP, DST.ADDR, DST.PORT. */
enum mptn_parse
socks_wire_decode_udp(const uint8_t *buf, size_t len, struct socks5_udp_header *h, size_t *used)
{
	enum mptn_parse rc;
	uint8_t rep;
	size_t n;

	if (len >= 1 && buf[0] != 0)
		return MPTN_FAIL;
	if (len >= 2 && buf[1] != 0)
		return MPTN_FAIL;
	if (len < 3)
		return MPTN_MORE;
	rc = socks_wire_decode_addr(buf + 3, len - 3, &h->dst, &n, &rep);
	if (rc != MPTN_DONE)
		return rc;
	h->frag = buf[2];
	*used = 3 + n;
	return MPTN_DONE;
}

/* SOCKS5 UDP datagram header, FRAG 0. */
int
socks_wire_encode_udp(uint8_t *out, size_t outlen, const struct socks_addr *addr)
{
	int n;

	if (addr == NULL || outlen < 3)
		return -1;
	out[0] = 0;
	out[1] = 0;
	out[2] = 0;
	if ((n = socks_wire_encode_addr(out + 3, outlen - 3, addr)) == -1)
		return -1;
	return 3 + n;
}

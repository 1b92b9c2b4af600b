/*
 * socks-wire.h - the SOCKS 4, 4a and 5 wire formats (RFC 1928, RFC 1929,
 * the SOCKS4 and SOCKS4a protocol notes): decoders from bytes to structs and
 * encoders for the replies. Pure: no sockets, no event loop, no allocation.
 *
 * Every decoder looks at the whole message received so far (BUF, LEN) and
 * returns MPTN_MORE while BUF is a valid prefix, MPTN_DONE with *used set to
 * the length of the message (what follows is payload, not the decoder's
 * business), or MPTN_FAIL; only MPTN_DONE writes the output struct.
 * Encoders return the number of bytes written to OUT, or -1 when OUTLEN is
 * too small or an argument is out of range.
 */
#ifndef MPTN_SOCKS_WIRE_H
#define MPTN_SOCKS_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common.h"

/* RFC 1928 §3: authentication methods. */
#define SOCKS5_METHOD_NONE		0x00
#define SOCKS5_METHOD_GSSAPI		0x01
#define SOCKS5_METHOD_USERPASS		0x02
#define SOCKS5_METHOD_NO_ACCEPTABLE	0xff

/* RFC 1928 §4: commands. */
#define SOCKS5_CMD_CONNECT		0x01
#define SOCKS5_CMD_BIND			0x02
#define SOCKS5_CMD_UDP_ASSOCIATE	0x03

/* RFC 1928 §6: reply codes. */
#define SOCKS5_REP_SUCCEEDED		0x00
#define SOCKS5_REP_GENERAL_FAILURE	0x01
#define SOCKS5_REP_NOT_ALLOWED		0x02
#define SOCKS5_REP_NET_UNREACHABLE	0x03
#define SOCKS5_REP_HOST_UNREACHABLE	0x04
#define SOCKS5_REP_CONN_REFUSED		0x05
#define SOCKS5_REP_TTL_EXPIRED		0x06
#define SOCKS5_REP_CMD_NOT_SUPPORTED	0x07
#define SOCKS5_REP_ATYP_NOT_SUPPORTED	0x08

/* RFC 1929 §2: sub-negotiation status (any non-zero value is failure). */
#define SOCKS5_USERPASS_SUCCESS		0x00
#define SOCKS5_USERPASS_FAILURE		0x01

/* SOCKS4: commands (CD in a request) and reply codes (CD in a reply). */
#define SOCKS4_CMD_CONNECT		0x01
#define SOCKS4_CMD_BIND			0x02
#define SOCKS4_REP_GRANTED		90
#define SOCKS4_REP_REJECTED		91
#define SOCKS4_REP_NO_IDENTD		92
#define SOCKS4_REP_IDENTD_MISMATCH	93

/* Address types (RFC 1928 §5); SOCKS4a names use SOCKS_ATYP_NAME too. */
#define SOCKS_ATYP_IPV4			0x01
#define SOCKS_ATYP_NAME			0x03
#define SOCKS_ATYP_IPV6			0x04

#define SOCKS_NAME_MAX			255	/* bytes, without the NUL */
/* Longest messages the encoders write: a SOCKS5 reply or UDP header with a 255-byte name. */
#define SOCKS5_REPLY_MAX		(4 + 1 + SOCKS_NAME_MAX + 2)
#define SOCKS5_UDP_HEADER_MAX		SOCKS5_REPLY_MAX
#define SOCKS4_REPLY_LEN		8

/* A destination or bound address: an IPv4 or IPv6 address or a name, and a port. */
struct socks_addr {
	uint8_t atyp;			/* SOCKS_ATYP_* */
	uint16_t port;			/* host byte order */
	struct in_addr v4;		/* SOCKS_ATYP_IPV4 */
	struct in6_addr v6;		/* SOCKS_ATYP_IPV6 */
	char name[SOCKS_NAME_MAX + 1];	/* SOCKS_ATYP_NAME: no NUL or control bytes */
	size_t namelen;
};

/* SOCKS5 greeting: the methods the client offers. */
struct socks5_greeting {
	uint8_t nmethods;		/* 1..255 */
	uint8_t methods[255];
};

/* RFC 1929 username/password request; both NUL-terminated, 1..255 bytes. */
struct socks5_userpass {
	char user[SOCKS_NAME_MAX + 1];
	size_t userlen;
	char password[SOCKS_NAME_MAX + 1];
	size_t passwordlen;
};

/* SOCKS5 request. */
struct socks5_request {
	uint8_t cmd;			/* SOCKS5_CMD_* */
	struct socks_addr dst;
};

/* SOCKS4 or SOCKS4a request; a 4a request has dst.atyp SOCKS_ATYP_NAME. */
struct socks4_request {
	uint8_t cmd;			/* SOCKS4_CMD_* */
	struct socks_addr dst;
	char userid[SOCKS_NAME_MAX + 1];
	size_t useridlen;		/* 0..255 */
	bool is_4a;
};

/* SOCKS5 UDP ASSOCIATE datagram header; payload starts at *used. */
struct socks5_udp_header {
	uint8_t frag;			/* non-zero: a fragment, which the caller drops */
	struct socks_addr dst;
};

/* From the first byte, which SOCKS version the client speaks: *version is 4 or 5. */
enum mptn_parse socks_wire_sniff(const uint8_t *buf, size_t len, int *version);

/* Fill A from a socket address (IPv4-mapped IPv6 becomes IPv4); 0 or -1. */
int socks_wire_addr_from_sockaddr(struct socks_addr *a, const struct sockaddr *sa);
/* Fill A with NAME (1..255 bytes, no control characters) and PORT; 0 or -1. */
int socks_wire_addr_set_name(struct socks_addr *a, const char *name, uint16_t port);
/* Fill SS from an IPv4 or IPv6 A; -1 for a name. */
int socks_wire_addr_to_sockaddr(const struct socks_addr *a, struct sockaddr_storage *ss,
    socklen_t *sslen);
/* Format A as "1.2.3.4:80", "[::1]:80" or "name:80"; length, or -1 if it does not fit. */
int socks_wire_addr_format(const struct socks_addr *a, char *out, size_t outlen);

/* SOCKS5 greeting: VER 5, NMETHODS (1..255), METHODS. */
enum mptn_parse socks_wire_decode_greeting(const uint8_t *buf, size_t len,
    struct socks5_greeting *g, size_t *used);
/* Whether the greeting offers METHOD. */
bool socks_wire_is_method_offered(const struct socks5_greeting *g, uint8_t method);
/* Method-selection reply: VER 5, METHOD. */
int socks_wire_encode_method(uint8_t *out, size_t outlen, uint8_t method);

/* RFC 1929 request: VER 1, ULEN, UNAME, PLEN, PASSWD. */
enum mptn_parse socks_wire_decode_userpass(const uint8_t *buf, size_t len,
    struct socks5_userpass *up, size_t *used);
/* RFC 1929 reply: VER 1, STATUS. */
int socks_wire_encode_userpass_reply(uint8_t *out, size_t outlen, uint8_t status);

/*
 * SOCKS5 request: VER 5, CMD, RSV 0, ATYP, DST.ADDR, DST.PORT. On MPTN_FAIL
 * *rep is the reply code to send: SOCKS5_REP_CMD_NOT_SUPPORTED,
 * SOCKS5_REP_ATYP_NOT_SUPPORTED or SOCKS5_REP_GENERAL_FAILURE (malformed).
 */
enum mptn_parse socks_wire_decode_v5_request(const uint8_t *buf, size_t len,
    struct socks5_request *req, size_t *used, uint8_t *rep);
/* SOCKS5 reply: VER 5, REP, RSV, BND (NULL: 0.0.0.0:0). */
int socks_wire_encode_v5_reply(uint8_t *out, size_t outlen, uint8_t rep,
    const struct socks_addr *bound);

/*
 * SOCKS4/4a request: VN 4, CD, DSTPORT, DSTIP, USERID NUL; for 4a (DSTIP
 * 0.0.0.x, x != 0) a NUL-terminated name follows. On MPTN_FAIL *rep is
 * SOCKS4_REP_REJECTED.
 */
enum mptn_parse socks_wire_decode_v4_request(const uint8_t *buf, size_t len,
    struct socks4_request *req, size_t *used, uint8_t *rep);
/* SOCKS4 reply: VN 0, CD (90..93), DSTPORT, DSTIP (NULL or not IPv4: 0.0.0.0:0). */
int socks_wire_encode_v4_reply(uint8_t *out, size_t outlen, uint8_t rep,
    const struct socks_addr *bound);

/*
 * SOCKS5 UDP datagram header: RSV 0 0, FRAG, ATYP, DST.ADDR, DST.PORT; *used
 * is the payload offset. A datagram is complete, so MPTN_MORE means it is
 * truncated; the caller drops it, as it drops a non-zero h->frag.
 */
enum mptn_parse socks_wire_decode_udp(const uint8_t *buf, size_t len,
    struct socks5_udp_header *h, size_t *used);
/* SOCKS5 UDP datagram header (FRAG 0) for ADDR; the caller appends the payload. */
int socks_wire_encode_udp(uint8_t *out, size_t outlen, const struct socks_addr *addr);

#endif

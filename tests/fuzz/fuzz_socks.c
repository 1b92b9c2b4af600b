/*
 * fuzz_socks.c - libFuzzer target for the SOCKS 4, 4a and 5 decoders in
 * gateways/socks-wire.c: every decoder on the whole input, then a SOCKS5
 * session (greeting, username/password, request) on successive pieces of
 * it. Besides memory errors it checks the decoders' promises and aborts on a
 * broken one: DONE consumes 1..LEN bytes, the message alone decodes the
 * same, every shorter prefix says MORE, and what the encoders write back
 * decodes to the same thing.
 */
#include "common.h"
#include "socks-wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The longest message any decoder accepts: SOCKS4a with 255-byte user id and name. */
#define FUZZ_SOCKS_MSG_MAX (8 + 256 + 256)

/* One decoder behind one signature. */
typedef enum mptn_parse (*fuzz_decode_fn)(const uint8_t *, size_t, size_t *);

/* A decoded address formats, and converts to a sockaddr (or name) and back. */
static void
fuzz_addr(const struct socks_addr *a)
{
	struct sockaddr_storage ss;
	struct socks_addr back;
	socklen_t sslen;
	char text[300];

	if (socks_wire_addr_format(a, text, sizeof text) < 0)
		abort();
	if (a->atyp == SOCKS_ATYP_NAME) {
		if (socks_wire_addr_to_sockaddr(a, &ss, &sslen) != -1 ||
		    socks_wire_addr_set_name(&back, a->name, a->port) != 0 ||
		    back.namelen != a->namelen || memcmp(back.name, a->name, a->namelen) != 0)
			abort();
	} else if (socks_wire_addr_to_sockaddr(a, &ss, &sslen) != 0 ||
	    socks_wire_addr_from_sockaddr(&back, (struct sockaddr *)&ss) != 0 ||
	    back.port != a->port)
		abort();
}

static enum mptn_parse
fuzz_greeting(const uint8_t *buf, size_t len, size_t *used)
{
	struct socks5_greeting g;
	uint8_t out[2];
	enum mptn_parse rc = socks_wire_decode_greeting(buf, len, &g, used);

	if (rc == MPTN_DONE && (socks_wire_encode_method(out, sizeof out, g.methods[0]) != 2 ||
	    !socks_wire_is_method_offered(&g, out[1])))
		abort();
	return rc;
}

static enum mptn_parse
fuzz_userpass(const uint8_t *buf, size_t len, size_t *used)
{
	struct socks5_userpass up;
	uint8_t out[2];
	enum mptn_parse rc = socks_wire_decode_userpass(buf, len, &up, used);

	if (rc == MPTN_DONE && (up.userlen == 0 || up.passwordlen == 0 ||
	    strlen(up.user) != up.userlen || strlen(up.password) != up.passwordlen ||
	    socks_wire_encode_userpass_reply(out, sizeof out, SOCKS5_USERPASS_SUCCESS) != 2))
		abort();
	return rc;
}

static enum mptn_parse
fuzz_v5(const uint8_t *buf, size_t len, size_t *used)
{
	struct socks5_request req;
	uint8_t rep = 0xee, out[SOCKS5_REPLY_MAX];
	enum mptn_parse rc = socks_wire_decode_v5_request(buf, len, &req, used, &rep);
	int n;

	if (rc == MPTN_FAIL && rep != SOCKS5_REP_GENERAL_FAILURE &&
	    rep != SOCKS5_REP_CMD_NOT_SUPPORTED && rep != SOCKS5_REP_ATYP_NOT_SUPPORTED)
		abort();
	if (rc != MPTN_DONE)
		return rc;
	fuzz_addr(&req.dst);
	/* The reply carries the address in the request's layout. */
	n = socks_wire_encode_v5_reply(out, sizeof out, SOCKS5_REP_SUCCEEDED, &req.dst);
	if (n < 0 || (size_t)n != *used || memcmp(out + 3, buf + 3, *used - 3) != 0)
		abort();
	return rc;
}

static enum mptn_parse
fuzz_v4(const uint8_t *buf, size_t len, size_t *used)
{
	struct socks4_request req;
	uint8_t rep = 0, out[SOCKS4_REPLY_LEN];
	enum mptn_parse rc = socks_wire_decode_v4_request(buf, len, &req, used, &rep);

	if (rc == MPTN_FAIL && rep != SOCKS4_REP_REJECTED)
		abort();
	if (rc != MPTN_DONE)
		return rc;
	fuzz_addr(&req.dst);
	if (strlen(req.userid) != req.useridlen || socks_wire_encode_v4_reply(out, sizeof out,
	    SOCKS4_REP_GRANTED, &req.dst) != SOCKS4_REPLY_LEN)
		abort();
	if (!req.is_4a && (memcmp(out + 2, buf + 2, 6) != 0))
		abort();
	return rc;
}

static enum mptn_parse
fuzz_udp(const uint8_t *buf, size_t len, size_t *used)
{
	struct socks5_udp_header h;
	uint8_t out[SOCKS5_UDP_HEADER_MAX];
	enum mptn_parse rc = socks_wire_decode_udp(buf, len, &h, used);
	int n;

	if (rc != MPTN_DONE)
		return rc;
	n = socks_wire_encode_udp(out, sizeof out, &h.dst);
	if (n < 0 || (size_t)n != *used || memcmp(out + 3, buf + 3, *used - 3) != 0)
		abort();
	fuzz_addr(&h.dst);
	return rc;
}

/* Run DECODE on BUF and check its promises; the result, with *used. */
static enum mptn_parse
fuzz_check(fuzz_decode_fn decode, const uint8_t *buf, size_t len, size_t *used)
{
	enum mptn_parse rc = decode(buf, len, used);
	size_t cut, again;

	if (rc != MPTN_DONE)
		return rc;
	if (*used == 0 || *used > len || *used > FUZZ_SOCKS_MSG_MAX)
		abort();
	if (decode(buf, *used, &again) != MPTN_DONE || again != *used)
		abort();
	for (cut = 0; cut < *used; cut++) {
		if (decode(buf, cut, &again) != MPTN_MORE)
			abort();
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_decode_fn all[] = { fuzz_greeting, fuzz_userpass, fuzz_v5, fuzz_v4,
		fuzz_udp };
	/* An exact-size copy, so reading past SIZE is caught. */
	uint8_t *buf = malloc(size > 0 ? size : 1);
	size_t i, used, off = 0;
	int version;

	memcpy(buf, data, size);
	for (i = 0; i < MPTN_ARRAY_LEN(all); i++)
		fuzz_check(all[i], buf, size, &used);

	/* A SOCKS5 client sending everything at once, as optimistic clients do. */
	if (socks_wire_sniff(buf, size, &version) == MPTN_DONE && version == 5) {
		struct socks5_greeting g;

		if (fuzz_check(fuzz_greeting, buf, size, &used) != MPTN_DONE ||
		    socks_wire_decode_greeting(buf, size, &g, &used) != MPTN_DONE)
			goto out;
		off = used;
		if (socks_wire_is_method_offered(&g, SOCKS5_METHOD_USERPASS)) {
			if (fuzz_check(fuzz_userpass, buf + off, size - off, &used) != MPTN_DONE)
				goto out;
			off += used;
		}
		if (fuzz_check(fuzz_v5, buf + off, size - off, &used) == MPTN_DONE)
			off += used;
	}
out:
	free(buf);
	return 0;
}

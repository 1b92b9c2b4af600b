/*
 * fuzz_http.c - libFuzzer target for gateways/http-wire.c: the CONNECT head
 * decoder under roomy and tight limits, and the response encoder with the
 * input as its fields. Besides memory errors it checks the decoder's
 * promises and aborts on a broken one: DONE consumes 1..max_head bytes, the
 * head alone decodes the same, the head one byte short says MORE, a refusal
 * carries one of the documented statuses, and an encoded response has
 * exactly one empty line, at its end.
 */
#include "common.h"
#include "http-wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_decode(const uint8_t *buf, size_t size, const struct http_limits *lim)
{
	struct http_request req, again;
	size_t used, used2;
	unsigned status = 0;
	enum mptn_parse rc = http_wire_decode_request(buf, size, lim, &req, &used, &status);

	if (rc == MPTN_FAIL && status != 400 && status != 405 && status != 431 && status != 505)
		abort();
	if (rc == MPTN_MORE && size >= lim->max_head)
		abort();
	if (rc != MPTN_DONE)
		return;
	if (used == 0 || used > size || used > lim->max_head || req.port == 0 ||
	    req.host[0] == '\0' || req.minor > 1 || req.nfields > lim->max_fields ||
	    strlen(req.user) != req.userlen || strlen(req.password) != req.passwordlen)
		abort();
	if (req.auth != HTTP_WIRE_AUTH_BASIC && (req.userlen != 0 || req.passwordlen != 0))
		abort();
	if (http_wire_decode_request(buf, used, lim, &again, &used2, &status) != MPTN_DONE ||
	    used2 != used || strcmp(again.host, req.host) != 0 || again.port != req.port)
		abort();
	if (http_wire_decode_request(buf, used - 1, lim, &again, &used2, &status) != MPTN_MORE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_limits roomy = { .max_head = 8192, .max_fields = 100 };
	static const struct http_limits tight = { .max_head = 64, .max_fields = 2 };
	/* An exact-size copy, so reading past SIZE is caught. */
	uint8_t *buf = malloc(size > 0 ? size : 1);
	char *fields, out[512];
	unsigned status;
	int n;

	memcpy(buf, data, size);
	fuzz_decode(buf, size, &roomy);
	fuzz_decode(buf, size, &tight);

	fields = malloc(size + 1);
	memcpy(fields, data, size);
	fields[size] = '\0';
	status = size > 0 ? 100 + data[0] * 2u : 200;
	n = http_wire_encode_response(out, sizeof out, status, fields);
	if (n >= 0 && ((size_t)n >= sizeof out || (size_t)n != strlen(out) ||
	    strstr(out, "\r\n\r\n") != out + n - 4))
		abort();
	free(fields);
	free(buf);
	return 0;
}

/*
 * test_http_wire.c - the CONNECT request head decoder and the response
 * encoder, with tables of good and bad heads. Every good head is fed cut at
 * every shorter length (each prefix in a buffer of exactly that size) and
 * must say MPTN_MORE; whole it must say MPTN_DONE with used == its length,
 * and with tunnel payload after it the same. Every bad head must fail with
 * the status the proxy is to answer.
 */
#include "common.h"
#include "http-wire.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define SUMMARY_MAX 1200

static const struct http_limits limits = { .max_head = 8192, .max_fields = 100 };

static const char *
auth_name(enum http_wire_auth a)
{
	switch (a) {
	case HTTP_WIRE_AUTH_NONE:
		return "none";
	case HTTP_WIRE_AUTH_BASIC:
		return "basic";
	case HTTP_WIRE_AUTH_INVALID:
		return "invalid";
	}
	return "?";
}

/* Decode a copy of MSG[0..LEN) in a buffer of exactly LEN bytes; describe the result. */
static enum mptn_parse
decode_exact(const char *msg, size_t len, const struct http_limits *lim, size_t *used,
    unsigned *status, char *sum)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	struct http_request req;
	enum mptn_parse rc;

	memcpy(copy, msg, len);
	*sum = '\0';
	rc = http_wire_decode_request(copy, len, lim, &req, used, status);
	free(copy);
	if (rc != MPTN_DONE)
		return rc;
	if (strlen(req.user) != req.userlen || strlen(req.password) != req.passwordlen)
		snprintf(sum, SUMMARY_MAX, "(lengths disagree)");
	else if (req.auth == HTTP_WIRE_AUTH_BASIC)
		snprintf(sum, SUMMARY_MAX, "1.%u %s%s%s:%u fields=%u auth=basic u=%s p=%s",
		    req.minor, req.host_is_ipv6 ? "[" : "", req.host, req.host_is_ipv6 ? "]" : "",
		    req.port, req.nfields, req.user, req.password);
	else
		snprintf(sum, SUMMARY_MAX, "1.%u %s%s%s:%u fields=%u auth=%s", req.minor,
		    req.host_is_ipv6 ? "[" : "", req.host, req.host_is_ipv6 ? "]" : "", req.port,
		    req.nfields, auth_name(req.auth));
	return rc;
}

/* Prefixes say MORE; whole says DONE and EXPECT; payload after it is left alone. */
static void
check_good(const char *msg, size_t len, const struct http_limits *lim, const char *expect)
{
	static const char payload[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
	    "GET / HTTP/1.1\r\n\r\n";
	char sum[SUMMARY_MAX], *more;
	size_t cut, used = 0;
	unsigned status = 0;
	enum mptn_parse rc = MPTN_MORE;

	for (cut = 0; cut < len && rc == MPTN_MORE; cut++)
		rc = decode_exact(msg, cut, lim, &used, &status, sum);
	ok(rc == MPTN_MORE, "'%.60s': all %zu prefixes need more%s", expect, len,
	    rc == MPTN_MORE ? "" : rc == MPTN_DONE ? " (one said DONE)" : " (one said FAIL)");
	if (rc != MPTN_MORE)
		printf("# first bad cut at %zu, status %u\n", cut - 1, status);

	rc = decode_exact(msg, len, lim, &used, &status, sum);
	ok(rc == MPTN_DONE && used == len && strcmp(sum, expect) == 0,
	    "  whole: rc %d status %u, used %zu of %zu, got '%.60s'", rc, rc ? status : 0, used,
	    len, sum);

	more = malloc(len + sizeof payload);
	memcpy(more, msg, len);
	memcpy(more + len, payload, sizeof payload);
	used = 0;
	rc = decode_exact(more, len + sizeof payload, lim, &used, &status, sum);
	ok(rc == MPTN_DONE && used == len && strcmp(sum, expect) == 0,
	    "  with %zu payload bytes: rc %d, used %zu", sizeof payload, rc, used);
	free(more);
}

/* The head fails with STATUS. */
static void
check_bad(const char *msg, size_t len, const struct http_limits *lim, unsigned expect,
    const char *why)
{
	char sum[SUMMARY_MAX];
	size_t used = 0;
	unsigned status = 0;
	enum mptn_parse rc = decode_exact(msg, len, lim, &used, &status, sum);

	ok(rc == MPTN_FAIL && status == expect, "refuses %s: rc %d status %u", why, rc, status);
}

/* A string literal and its length, for the tables. */
#define S(s) s, sizeof(s) - 1

static void
test_good(void)
{
	static const struct { const char *msg; size_t len; const char *expect; } good[] = {
		{ S("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n"),
		    "1.1 example.org:443 fields=1 auth=none" },
		{ S("CONNECT 10.0.0.1:80 HTTP/1.0\r\n\r\n"), "1.0 10.0.0.1:80 fields=0 auth=none" },
		{ S("CONNECT h:1 HTTP/1.1\nHost: h\n\n"), "1.1 h:1 fields=1 auth=none" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA: b\nC: d\r\n\n"), "1.1 h:1 fields=2 auth=none" },
		{ S("\r\n\nCONNECT h:1 HTTP/1.1\r\n\r\n"), "1.1 h:1 fields=0 auth=none" },
		{ S("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"),
		    "1.1 [2001:db8::1]:8443 fields=1 auth=none" },
		{ S("CONNECT [::ffff:192.0.2.1]:443 HTTP/1.1\r\n\r\n"),
		    "1.1 [::ffff:192.0.2.1]:443 fields=0 auth=none" },
		{ S("CONNECT host.example:65535 HTTP/1.1\r\n\r\n"),
		    "1.1 host.example:65535 fields=0 auth=none" },
		{ S("CONNECT h:0080 HTTP/1.1\r\n\r\n"), "1.1 h:80 fields=0 auth=none" },
		{ S("CONNECT my_host-1.example~:22 HTTP/1.1\r\n\r\n"),
		    "1.1 my_host-1.example~:22 fields=0 auth=none" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=basic u=user p=pass" },
		{ S("CONNECT h:443 HTTP/1.1\r\nproxy-authorization:basic   dXNlcjpwYXNz \t\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=basic u=user p=pass" },
		{ S("CONNECT h:443 HTTP/1.1\r\nPROXY-AUTHORIZATION: BASIC dTpwOjpx\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=basic u=u p=p::q" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjo=\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=basic u=user p=" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic OnB3\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=basic u= p=pw" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic w6l0w6k6w6k=\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=basic u=\xc3\xa9t\xc3\xa9 p=\xc3\xa9" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Digest username=\"u\"\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcnBhc3M=\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNl cjpw\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjpwYXN\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dQ==cjpw\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dXNlcjpwYXNzAA==\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:443 HTTP/1.1\r\nProxy-Authorization: Basic dTp4CXk=\r\n\r\n"),
		    "1.1 h:443 fields=1 auth=invalid" },
		{ S("CONNECT h:1 HTTP/1.1\r\nContent-Length: 0\r\nX-Empty:\r\n"
		    "X-Text: caf\xc3\xa9 \"q\" (c)\r\n\r\n"), "1.1 h:1 fields=3 auth=none" },
		{ S("CONNECT h:1 HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\nProxy-Connection: Keep-Alive\r\n"
		    "Host: h:1\r\n\r\n"), "1.1 h:1 fields=3 auth=none" },
	};
	static const struct http_limits small = { .max_head = 36, .max_fields = 2 };
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++)
		check_good(good[i].msg, good[i].len, &limits, good[i].expect);

	/* Exactly at the limits: 36 bytes, 2 fields. */
	check_good(S("CONNECT h:1 HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n"), &small,
	    "1.1 h:1 fields=2 auth=none");
}

static void
test_bad(void)
{
	static const struct { const char *msg; size_t len; unsigned status; const char *why; } bad[] = {
		{ S("GET http://h/ HTTP/1.1\r\n"), 405, "GET" },
		{ S("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"), 405, "POST" },
		{ S("connect h:1 HTTP/1.1\r\n"), 405, "a lower-case connect" },
		{ S("CONNECTX h:1 HTTP/1.1\r\n"), 405, "CONNECTX" },
		{ S("CONNECT h:1 HTTP/2.0\r\n"), 505, "HTTP/2.0" },
		{ S("CONNECT h:1 HTTP/1.2\r\n"), 505, "HTTP/1.2" },
		{ S("CONNECT h:1 HTTP/0.9\r\n"), 505, "HTTP/0.9" },
		{ S("GET / HTTP/3.0\r\n"), 505, "HTTP/3.0 before the method" },
		{ S("CONNECT h:1 http/1.1\r\n"), 400, "a lower-case version" },
		{ S("CONNECT h:1 HTTP/1.1x\r\n"), 400, "a long version" },
		{ S("CONNECT h:1 HTTP/11\r\n"), 400, "HTTP/11" },
		{ S("CONNECT h:1 HTTP/1.\r\n"), 400, "HTTP/1." },
		{ S("CONNECT h:1\r\n"), 400, "no version" },
		{ S("CONNECT\r\n"), 400, "a method alone" },
		{ S("CONNECT  h:1 HTTP/1.1\r\n"), 400, "two spaces" },
		{ S("CONNECT h:1  HTTP/1.1\r\n"), 400, "two spaces before the version" },
		{ S("CONNECT h:1 HTTP/1.1 x\r\n"), 400, "a fourth word" },
		{ S("CONNECT\th:1 HTTP/1.1\r\n"), 400, "a tab" },
		{ S(" CONNECT h:1 HTTP/1.1\r\n"), 400, "a leading space" },
		{ S("CONNECT h HTTP/1.1\r\n"), 400, "no port" },
		{ S("CONNECT h: HTTP/1.1\r\n"), 400, "an empty port" },
		{ S("CONNECT :80 HTTP/1.1\r\n"), 400, "no host" },
		{ S("CONNECT h:0 HTTP/1.1\r\n"), 400, "port 0" },
		{ S("CONNECT h:65536 HTTP/1.1\r\n"), 400, "port 65536" },
		{ S("CONNECT h:99999999999999999999999 HTTP/1.1\r\n"), 400, "a huge port" },
		{ S("CONNECT h:+80 HTTP/1.1\r\n"), 400, "port +80" },
		{ S("CONNECT h:80:81 HTTP/1.1\r\n"), 400, "two ports" },
		{ S("CONNECT h:80a HTTP/1.1\r\n"), 400, "port 80a" },
		{ S("CONNECT user@h:80 HTTP/1.1\r\n"), 400, "userinfo" },
		{ S("CONNECT user:pw@h:80 HTTP/1.1\r\n"), 400, "userinfo with a password" },
		{ S("CONNECT http://h:80 HTTP/1.1\r\n"), 400, "absolute form" },
		{ S("CONNECT /x HTTP/1.1\r\n"), 400, "origin form" },
		{ S("CONNECT * HTTP/1.1\r\n"), 400, "asterisk form" },
		{ S("CONNECT h/x:80 HTTP/1.1\r\n"), 400, "a slash in the host" },
		{ S("CONNECT h%41:80 HTTP/1.1\r\n"), 400, "a percent in the host" },
		{ S("CONNECT ::1:80 HTTP/1.1\r\n"), 400, "IPv6 without brackets" },
		{ S("CONNECT [::1:80 HTTP/1.1\r\n"), 400, "no ]" },
		{ S("CONNECT [::1]80 HTTP/1.1\r\n"), 400, "no : after ]" },
		{ S("CONNECT [::1] HTTP/1.1\r\n"), 400, "[::1] without a port" },
		{ S("CONNECT []:80 HTTP/1.1\r\n"), 400, "empty brackets" },
		{ S("CONNECT [example.org]:80 HTTP/1.1\r\n"), 400, "a name in brackets" },
		{ S("CONNECT [fe80::1%25eth0]:80 HTTP/1.1\r\n"), 400, "a zone id" },
		{ S("CONNECT [v1.x]:80 HTTP/1.1\r\n"), 400, "IPvFuture" },
		{ S("CONNECT h:1\rHTTP/1.1\r\n"), 400, "a bare CR" },
		{ S("CONNECT h:1 HTTP/1.1\r\r\n"), 400, "CR CR LF" },
		{ S("CONNECT h\0:1 HTTP/1.1\r\n"), 400, "a NUL" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA: b\0c\r\n\r\n"), 400, "a NUL in a field" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA: b\x7f\r\n\r\n"), 400, "a DEL in a field" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA: b\x1b[2J\r\n\r\n"), 400, "an ESC in a field" },
		{ S("CONNECT h:1 HTTP/1.1\r\nNoColon\r\n\r\n"), 400, "a field without a colon" },
		{ S("CONNECT h:1 HTTP/1.1\r\nHost : h\r\n\r\n"), 400, "a space before the colon" },
		{ S("CONNECT h:1 HTTP/1.1\r\n: v\r\n\r\n"), 400, "an empty field name" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA(b): v\r\n\r\n"), 400, "a field name with ( )" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), 400, "obs-fold" },
		{ S("CONNECT h:1 HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n"), 400, "obs-fold with a tab" },
		{ S("CONNECT h:1 HTTP/1.1\r\nProxy-Authorization: Basic dTpw\r\n"
		    "Proxy-Authorization: Basic dTpw\r\n\r\n"), 400, "two Proxy-Authorization" },
		{ S("CONNECT h:1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
		    "Transfer-Encoding" },
		{ S("CONNECT h:1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"), 400,
		    "Content-Length 5" },
		{ S("CONNECT h:1 HTTP/1.1\r\nContent-Length: x\r\n\r\n"), 400, "Content-Length x" },
		{ S("CONNECT h:1 HTTP/1.1\r\nContent-Length:\r\n\r\n"), 400, "an empty Content-Length" },
		{ S("\x05\x01\x00"), 400, "a SOCKS5 greeting" },
		{ S("\x04\x01\x00\x50"), 400, "a SOCKS4 request" },
		{ S("\x16\x03\x01\x02\x00"), 400, "a TLS ClientHello" },
	};
	static const struct http_limits small = { .max_head = 36, .max_fields = 2 };
	static const struct http_limits few = { .max_head = 8192, .max_fields = 2 };
	char *big;
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		check_bad(bad[i].msg, bad[i].len, &limits, bad[i].status, bad[i].why);

	/* One byte or one field over the limits. */
	check_bad(S("CONNECT h:1 HTTP/1.1\r\nA: 1\r\nB: 22\r\n\r\n"), &small, 431,
	    "a 37-byte head (limit 36)");
	check_bad(S("CONNECT h:1 HTTP/1.1\r\nA: 1\r\nB: 2222\r\n"), &small, 431,
	    "37 bytes without the end of the head (limit 36)");
	check_bad(S("CONNECT h:1 HTTP/1.1\r\nA:1\r\nB:2\r\nC:3\r\n\r\n"), &few, 431,
	    "3 fields (limit 2)");
	check_bad(S("CONNECT h:1 HTTP/1.1\r\nA:1\r\nB:2\r\nC:3\r\n"), &few, 431,
	    "3 fields, early (limit 2)");

	/* A head that never ends: 431 once it reaches max_head, not before. */
	big = malloc(limits.max_head + 16);
	memcpy(big, "CONNECT h:1 HTTP/1.1\r\nX: ", 25);
	memset(big + 25, 'a', limits.max_head + 16 - 25);
	check_bad(big, limits.max_head, &limits, 431, "a field as long as max_head");
	check_bad(big, limits.max_head + 16, &limits, 431, "a field longer than max_head");
	{
		size_t used;
		unsigned status = 0;
		struct http_request req;

		ok(http_wire_decode_request((const uint8_t *)big, limits.max_head - 1, &limits, &req,
		    &used, &status) == MPTN_MORE, "max_head - 1 bytes of a field need more");
	}
	memset(big, 'A', limits.max_head);
	check_bad(big, limits.max_head, &limits, 431, "a request line as long as max_head");
	free(big);
}

/* Credentials built with EVP_EncodeBlock come back out of the decoder. */
static void
test_basic_roundtrip(void)
{
	static const struct { const char *user, *password; } creds[] = {
		{ "alice", "s3cret" },
		{ "bob", "pass:with:colons" },
		{ "", "" },
		{ "u", " spaces and \"quotes\" " },
		{ "\xc3\xa9l\xc3\xa8ve", "mot de passe \xe2\x82\xac" },
	};
	char user[HTTP_WIRE_CRED_MAX + 2], password[HTTP_WIRE_CRED_MAX + 2];
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(creds) + 3; i++) {
		unsigned char plain[2 * HTTP_WIRE_CRED_MAX + 8], b64[1024];
		char head[1400], expect[SUMMARY_MAX], sum[SUMMARY_MAX];
		const char *u, *p;
		size_t used;
		unsigned status;
		int n, hn;
		enum mptn_parse rc;

		if (i < MPTN_ARRAY_LEN(creds)) {
			u = creds[i].user;
			p = creds[i].password;
		} else {
			/* 255 and 255 (the most), then 256 and 1, then 1 and 256. */
			size_t k = i - MPTN_ARRAY_LEN(creds);
			size_t ul = k == 0 ? 255 : k == 1 ? 256 : 1;
			size_t pl = k == 0 ? 255 : k == 1 ? 1 : 256;

			memset(user, 'u', ul);
			user[ul] = '\0';
			memset(password, 'p', pl);
			password[pl] = '\0';
			u = user;
			p = password;
		}
		n = snprintf((char *)plain, sizeof plain, "%s:%s", u, p);
		EVP_EncodeBlock(b64, plain, n);
		hn = snprintf(head, sizeof head,
		    "CONNECT h:1 HTTP/1.1\r\nProxy-Authorization: Basic %s\r\n\r\n", b64);
		if (strlen(u) <= HTTP_WIRE_CRED_MAX && strlen(p) <= HTTP_WIRE_CRED_MAX)
			snprintf(expect, sizeof expect, "1.1 h:1 fields=1 auth=basic u=%s p=%s",
			    u, p);
		else
			snprintf(expect, sizeof expect, "1.1 h:1 fields=1 auth=invalid");
		rc = decode_exact(head, (size_t)hn, &limits, &used, &status, sum);
		ok(rc == MPTN_DONE && used == (size_t)hn && strcmp(sum, expect) == 0,
		    "basic round trip %zu-byte user, %zu-byte password: '%.60s'", strlen(u),
		    strlen(p), sum);
	}
}

static void
test_encoder(void)
{
	static const struct { unsigned status; const char *reason; } reasons[] = {
		{ 200, "OK" }, { 400, "Bad Request" }, { 403, "Forbidden" },
		{ 405, "Method Not Allowed" }, { 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" }, { 431, "Request Header Fields Too Large" },
		{ 502, "Bad Gateway" }, { 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	static const struct { unsigned status; const char *fields, *expect; } good[] = {
		{ 200, NULL, "HTTP/1.1 200 OK\r\n\r\n" },
		{ 200, "Via: 1.1 mptnd\r\n", "HTTP/1.1 200 OK\r\nVia: 1.1 mptnd\r\n\r\n" },
		{ 407, "Proxy-Authenticate: Basic realm=\"mptnd\"\r\n",
		    "HTTP/1.1 407 Proxy Authentication Required\r\n"
		    "Proxy-Authenticate: Basic realm=\"mptnd\"\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n" },
		{ 405, "Allow: CONNECT\r\n", "HTTP/1.1 405 Method Not Allowed\r\nAllow: CONNECT\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n" },
		{ 502, "", "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
		{ 504, "A: 1\r\nB: 2\r\n", "HTTP/1.1 504 Gateway Timeout\r\nA: 1\r\nB: 2\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n" },
		{ 299, NULL, "HTTP/1.1 299 \r\n\r\n" },
		{ 101, NULL, "HTTP/1.1 101 \r\n\r\n" },
		{ 599, NULL, "HTTP/1.1 599 \r\nContent-Length: 0\r\nConnection: close\r\n\r\n" },
	};
	static const struct { unsigned status; const char *fields, *why; } bad[] = {
		{ 99, NULL, "status 99" },
		{ 600, NULL, "status 600" },
		{ 407, "Proxy-Authenticate: Basic realm=\"x\"", "a field without CRLF" },
		{ 407, "A: 1\nB: 2\r\n", "a bare LF" },
		{ 407, "A: 1\rB: 2\r\n", "a bare CR" },
		{ 407, "A: 1\r\n\r\nInjected", "an empty line (response splitting)" },
		{ 407, "\r\n", "only an empty line" },
		{ 407, "A: \x01\r\n", "a control byte" },
	};
	char out[512];
	size_t i;
	int n;

	for (i = 0; i < MPTN_ARRAY_LEN(reasons); i++)
		ok(strcmp(http_wire_reason(reasons[i].status), reasons[i].reason) == 0,
		    "reason %u '%s'", reasons[i].status, http_wire_reason(reasons[i].status));
	ok(strcmp(http_wire_reason(299), "") == 0, "no reason for 299");
	for (i = 0; i < MPTN_ARRAY_LEN(good); i++) {
		n = http_wire_encode_response(out, sizeof out, good[i].status, good[i].fields);
		ok(n == (int)strlen(good[i].expect) && strcmp(out, good[i].expect) == 0,
		    "response %u with %zu bytes of fields: %d bytes", good[i].status,
		    good[i].fields ? strlen(good[i].fields) : 0, n);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		ok(http_wire_encode_response(out, sizeof out, bad[i].status, bad[i].fields) == -1,
		    "response refuses %s", bad[i].why);
	n = (int)strlen("HTTP/1.1 200 OK\r\n\r\n");
	ok(http_wire_encode_response(out, (size_t)n, 200, NULL) == -1 &&
	    http_wire_encode_response(out, (size_t)n + 1, 200, NULL) == n,
	    "response needs room for its NUL");

	/* What the encoder writes for a refusal, a client reading it sees as complete. */
	n = http_wire_encode_response(out, sizeof out, 407,
	    "Proxy-Authenticate: Basic realm=\"mptnd\"\r\n");
	ok(n > 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0 &&
	    strstr(out, "\r\n\r\n") == out + n - 4, "407 head ends once, at its end");
}

int
main(void)
{
	test_good();
	test_bad();
	test_basic_roundtrip();
	test_encoder();
	return tap_done();
}

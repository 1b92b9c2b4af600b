/*
 * http-wire.c - the HTTP/1.x CONNECT request head and the proxy's response
 * head. Pure: no sockets, no event loop, no allocation. The decoder checks
 * each complete line as it arrives, so a bad request fails at once rather
 * than at the timeout, and a valid prefix is always MPTN_MORE. Basic
 * credentials are decoded with OpenSSL's EVP_DecodeBlock after a strict
 * syntax check (EVP_DecodeBlock itself skips blanks and takes '=' anywhere).
 * Unit tested by tests/unit/test_http_wire.c, fuzzed by tests/fuzz/fuzz_http.c.
 */
#include "http-wire.h"
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

/* Base64 text of the longest user-pass we keep: 255 + ':' + 255 bytes. */
#define HTTP_WIRE_B64_MAX	(((HTTP_WIRE_CRED_MAX * 2 + 1) + 2) / 3 * 4)

/* RFC 9110 §5.6.2 tchar. */
static bool
http_wire_is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
http_wire_is_token(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!http_wire_is_tchar(p[i]))
			return false;
	}
	return true;
}

/* A control byte other than HTAB: never valid inside a line. */
static bool
http_wire_is_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* Case-insensitive compare of [P, P+N) with the string S. */
static bool
http_wire_is_name(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp((const char *)p, s, n) == 0;
}

static bool
http_wire_is_digits(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
	}
	return true;
}

/* The request line's target in authority form: host:port or [v6]:port. */
static int
http_wire_parse_target(const uint8_t *p, size_t n, struct http_request *req)
{
	const uint8_t *host, *port;
	size_t hostlen, portlen, i;
	unsigned long value = 0;

	if (memchr(p, '@', n) != NULL)
		return -1;	/* userinfo has no place in a proxy target */
	if (n > 0 && p[0] == '[') {
		const uint8_t *rb = memchr(p, ']', n);
		struct in6_addr a6;

		if (rb == NULL)
			return -1;
		host = p + 1;
		hostlen = (size_t)(rb - host);
		if (hostlen == 0 || hostlen >= INET6_ADDRSTRLEN)
			return -1;
		if ((size_t)(rb - p) + 1 >= n || rb[1] != ':')
			return -1;
		port = rb + 2;
		memcpy(req->host, host, hostlen);
		req->host[hostlen] = '\0';
		if (inet_pton(AF_INET6, req->host, &a6) != 1)
			return -1;
		req->host_is_ipv6 = true;
	} else {
		const uint8_t *colon = memchr(p, ':', n);

		if (colon == NULL)
			return -1;	/* no port */
		host = p;
		hostlen = (size_t)(colon - p);
		if (hostlen == 0 || hostlen > HTTP_WIRE_HOST_MAX)
			return -1;
		/* RFC 3986 unreserved: what a DNS name or IPv4 literal uses. */
		for (i = 0; i < hostlen; i++) {
			uint8_t c = host[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'))
				return -1;
		}
		port = colon + 1;
		memcpy(req->host, host, hostlen);
		req->host[hostlen] = '\0';
		req->host_is_ipv6 = false;
	}
	portlen = (size_t)(p + n - port);
	if (!http_wire_is_digits(port, portlen))
		return -1;
	for (i = 0; i < portlen; i++) {
		value = value * 10 + (unsigned long)(port[i] - '0');
		if (value > 65535)
			return -1;
	}
	if (value == 0)
		return -1;
	req->port = (uint16_t)value;
	return 0;
}

/* "METHOD SP TARGET SP HTTP/1.x"; 0, or the status to answer. */
static unsigned
http_wire_parse_request_line(const uint8_t *p, size_t n, struct http_request *req)
{
	const uint8_t *sp1, *sp2, *target, *version;
	size_t targetlen, versionlen;

	if ((sp1 = memchr(p, ' ', n)) == NULL)
		return 400;
	target = sp1 + 1;
	if ((sp2 = memchr(target, ' ', (size_t)(p + n - target))) == NULL)
		return 400;
	targetlen = (size_t)(sp2 - target);
	version = sp2 + 1;
	versionlen = (size_t)(p + n - version);
	if (!http_wire_is_token(p, (size_t)(sp1 - p)) || targetlen == 0 ||
	    memchr(version, ' ', versionlen) != NULL || memchr(p, '\t', n) != NULL)
		return 400;

	/* RFC 9112 §2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT. */
	if (versionlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
	    !http_wire_is_digits(version + 5, 1) || !http_wire_is_digits(version + 7, 1))
		return 400;
	if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
		return 505;
	req->minor = (unsigned)(version[7] - '0');

	/* Methods are case-sensitive (RFC 9110 §9.1). */
	if ((size_t)(sp1 - p) != 7 || memcmp(p, "CONNECT", 7) != 0)
		return 405;
	if (http_wire_parse_target(target, targetlen, req) != 0)
		return 400;
	return 0;
}

/* Basic credentials (RFC 7617): base64 of user-id ":" password. */
static void
http_wire_parse_basic(const uint8_t *p, size_t n, struct http_request *req)
{
	unsigned char out[HTTP_WIRE_B64_MAX / 4 * 3 + 1];
	const uint8_t *colon;
	size_t i, pad = 0, outlen;
	int rc;

	req->auth = HTTP_WIRE_AUTH_INVALID;
	if (n == 0 || n % 4 != 0 || n > HTTP_WIRE_B64_MAX)
		return;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return;
	}
	rc = EVP_DecodeBlock(out, p, (int)n);
	if (rc < 0 || (size_t)rc < pad)
		return;
	outlen = (size_t)rc - pad;
	if ((colon = memchr(out, ':', outlen)) == NULL)
		return;
	/* RFC 7617 §2: neither part holds control characters. */
	for (i = 0; i < outlen; i++) {
		if (out[i] < 0x20 || out[i] == 0x7f)
			return;
	}
	req->userlen = (size_t)(colon - out);
	req->passwordlen = outlen - req->userlen - 1;
	if (req->userlen > HTTP_WIRE_CRED_MAX || req->passwordlen > HTTP_WIRE_CRED_MAX) {
		req->userlen = req->passwordlen = 0;
		return;
	}
	memcpy(req->user, out, req->userlen);
	req->user[req->userlen] = '\0';
	memcpy(req->password, colon + 1, req->passwordlen);
	req->password[req->passwordlen] = '\0';
	req->auth = HTTP_WIRE_AUTH_BASIC;
}

/* credentials = auth-scheme [ 1*SP token68 ] (RFC 9110 §11.4). */
static void
http_wire_parse_credentials(const uint8_t *p, size_t n, struct http_request *req)
{
	const uint8_t *sp = memchr(p, ' ', n), *cred;

	req->auth = HTTP_WIRE_AUTH_INVALID;
	if (sp == NULL || !http_wire_is_name(p, (size_t)(sp - p), "Basic"))
		return;
	for (cred = sp; cred < p + n && *cred == ' '; cred++)
		;
	http_wire_parse_basic(cred, (size_t)(p + n - cred), req);
}

/* "name: value"; 0, or the status to answer. */
static unsigned
http_wire_parse_field(const uint8_t *p, size_t n, struct http_request *req, bool *seen_auth)
{
	const uint8_t *colon, *v, *end;
	size_t namelen;

	/* obs-fold (a line starting with blanks) is refused (RFC 9112 §5.2). */
	if ((colon = memchr(p, ':', n)) == NULL)
		return 400;
	namelen = (size_t)(colon - p);
	if (!http_wire_is_token(p, namelen))
		return 400;
	for (v = colon + 1; v < p + n && (*v == ' ' || *v == '\t'); v++)
		;
	for (end = p + n; end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	if (http_wire_is_name(p, namelen, "Proxy-Authorization")) {
		if (*seen_auth)
			return 400;
		*seen_auth = true;
		http_wire_parse_credentials(v, (size_t)(end - v), req);
	} else if (http_wire_is_name(p, namelen, "Transfer-Encoding"))
		return 400;
	else if (http_wire_is_name(p, namelen, "Content-Length")) {
		const uint8_t *d;

		if (!http_wire_is_digits(v, (size_t)(end - v)))
			return 400;
		for (d = v; d < end; d++) {
			if (*d != '0')
				return 400;
		}
	}
	return 0;
}

/* Decode a CONNECT request head. */
enum mptn_parse
http_wire_decode_request(const uint8_t *buf, size_t len, const struct http_limits *lim,
    struct http_request *req, size_t *used, unsigned *status)
{
	struct http_request tmp;
	size_t pos = 0, scan = len < lim->max_head ? len : lim->max_head;
	bool seen_request = false, seen_auth = false;

	memset(&tmp, 0, sizeof tmp);
	*status = 400;
	while (pos < scan) {
		const uint8_t *line = buf + pos, *lf, *q;
		size_t n;
		unsigned st;

		/* Every byte before the LF: no controls, and CR only right before it. */
		lf = memchr(line, '\n', scan - pos);
		n = lf != NULL ? (size_t)(lf - line) : scan - pos;
		for (q = line; q < line + n; q++) {
			if (*q == '\r' && q + 1 < line + n)
				return MPTN_FAIL;
			if (*q != '\r' && http_wire_is_ctl(*q))
				return MPTN_FAIL;
		}
		if (lf == NULL)
			break;
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;

		/* Empty lines before the request line are skipped (RFC 9112 §2.2). */
		if (n == 0) {
			if (!seen_request)
				continue;
			*req = tmp;
			*used = pos;
			return MPTN_DONE;
		}
		if (!seen_request) {
			if ((st = http_wire_parse_request_line(line, n, &tmp)) != 0) {
				*status = st;
				return MPTN_FAIL;
			}
			seen_request = true;
			continue;
		}
		if (++tmp.nfields > lim->max_fields) {
			*status = 431;
			return MPTN_FAIL;
		}
		if ((st = http_wire_parse_field(line, n, &tmp, &seen_auth)) != 0) {
			*status = st;
			return MPTN_FAIL;
		}
	}
	if (len >= lim->max_head) {
		*status = 431;
		return MPTN_FAIL;
	}
	return MPTN_MORE;
}

/* The standard reason phrase for STATUS. */
const char *
http_wire_reason(unsigned status)
{
	static const struct {
		unsigned status;
		const char *reason;
	} table[] = {
		{ 200, "OK" },
		{ 400, "Bad Request" },
		{ 403, "Forbidden" },
		{ 405, "Method Not Allowed" },
		{ 407, "Proxy Authentication Required" },
		{ 408, "Request Timeout" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(table); i++) {
		if (table[i].status == status)
			return table[i].reason;
	}
	return "";
}

/* Whether FIELDS is zero or more lines, each ending in CRLF, with no other controls. */
static bool
http_wire_is_fields_ok(const char *fields)
{
	const char *p;

	for (p = fields; *p != '\0'; p++) {
		if (*p == '\r') {
			if (p[1] != '\n' || p == fields || p[-1] == '\n')
				return false;
			p++;
		} else if (http_wire_is_ctl((uint8_t)*p))
			return false;
	}
	return p == fields || p[-1] == '\n';
}

/* Response head: status line, FIELDS, Content-Length for 3xx to 5xx, empty line. */
int
http_wire_encode_response(char *out, size_t outlen, unsigned status, const char *fields)
{
	bool refusal = status >= 300;
	int n;

	if (status < 100 || status > 599)
		return -1;
	if (fields == NULL)
		fields = "";
	if (!http_wire_is_fields_ok(fields))
		return -1;
	n = snprintf(out, outlen, "HTTP/1.1 %u %s\r\n%s%s\r\n", status,
	    http_wire_reason(status), fields,
	    refusal ? "Content-Length: 0\r\nConnection: close\r\n" : "");
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

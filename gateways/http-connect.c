/*
 * http-connect.c - the HTTP CONNECT gateway (RFC 9110 §9.3.6): a request
 * head of at most HTTP_MAX_HEAD bytes, Proxy-Authorization: Basic against
 * the password file (407 with a challenge otherwise), 200 once connected,
 * 403 when the access rules say no, 502 on a failed connect, 504 on a
 * timeout, and 405 for any other method: mptnd is not a web proxy.
 */
#include "common.h"
#include "gateway.h"
#include "http-wire.h"
#include "passwd.h"

#include <stdio.h>
#include <string.h>

#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_FIELDS 100

struct http_session {
	bool replied;
};

static void
respond(struct gw_out *out, unsigned status, const char *fields)
{
	int n = http_wire_encode_response((char *)out->data, sizeof out->data, status, fields);

	out->len = n > 0 ? (size_t)n : 0;
}

static enum gw_step
http_feed(void *session, const struct gw_env *env, const uint8_t *in, size_t len, size_t *used,
    struct gw_out *out, struct gw_request *req)
{
	static const struct http_limits lim = { HTTP_MAX_HEAD, HTTP_MAX_FIELDS };
	struct http_request r;
	unsigned status = 400;

	*used = 0;
	switch (http_wire_decode_request(in, len, &lim, &r, used, &status)) {
	case MPTN_MORE:
		return GW_STEP_MORE;
	case MPTN_FAIL:
		respond(out, status, status == 405 ? "Allow: CONNECT\r\n" : NULL);
		return GW_STEP_REJECT;
	case MPTN_DONE:
		break;
	}
	if (env->users != NULL) {
		bool ok = r.auth == HTTP_WIRE_AUTH_BASIC && passwd_check(env->users, r.user, r.password);

		memset(r.password, 0, sizeof r.password);
		if (!ok) {
			req->auth_failed = r.auth != HTTP_WIRE_AUTH_NONE;
			snprintf(req->user, sizeof req->user, "%s", r.user);
			respond(out, 407, "Proxy-Authenticate: Basic realm=\"mptnd\"\r\n");
			return GW_STEP_REJECT;
		}
		snprintf(req->user, sizeof req->user, "%s", r.user);
	}
	snprintf(req->host, sizeof req->host, "%s", r.host);
	req->port = r.port;
	req->host_is_name = !r.host_is_ipv6 && strspn(r.host, "0123456789.") != strlen(r.host);
	req->proto = "http";
	return GW_STEP_CONNECT;
}

static void
http_reply(void *session, enum gw_outcome outcome, const struct sockaddr_storage *bound,
    struct gw_out *out)
{
	static const unsigned status[] = {
		[GW_OK] = 200,
		[GW_DENIED] = 403,
		[GW_REFUSED] = 502,
		[GW_NET_UNREACHABLE] = 502,
		[GW_HOST_UNREACHABLE] = 502,
		[GW_TIMEOUT] = 504,
		[GW_FAILED] = 502,
	};
	struct http_session *s = session;

	s->replied = true;
	respond(out, status[outcome], NULL);
}

const struct gateway gateway_http_connect = {
	.name = "http-connect",
	.session_size = sizeof(struct http_session),
	.feed = http_feed,
	.reply = http_reply,
};

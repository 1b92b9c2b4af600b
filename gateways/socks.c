/*
 * socks.c - the SOCKS gateway: SOCKS 5 (RFC 1928, with RFC 1929
 * username/password), SOCKS 4 and 4a, told apart by the version byte.
 * Stages: version sniff, (5) method selection, (5) credentials, request;
 * then the reply that matches the outcome. CONNECT, BIND (two replies:
 * the listening address, then the connecting peer's) and, for SOCKS 5, UDP
 * ASSOCIATE (RFC 1928 §7 datagram headers; fragments dropped) are served.
 */
#include "common.h"
#include "gateway.h"
#include "passwd.h"
#include "socks-wire.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

enum socks_stage { SOCKS_START, SOCKS_V5_AUTH, SOCKS_V5_REQUEST, SOCKS_WAIT };

struct socks_session {
	enum socks_stage stage;
	int version;
	bool v4a;
};

static void
put(struct gw_out *out, const uint8_t *p, int n)
{
	if (n > 0 && out->len + (size_t)n <= sizeof out->data) {
		memcpy(out->data + out->len, p, (size_t)n);
		out->len += (size_t)n;
	}
}

/* A refusal (or any reply without a bound address) in VERSION's format. */
static void
refuse(struct gw_out *out, int version, uint8_t rep)
{
	uint8_t buf[SOCKS5_REPLY_MAX];
	struct socks_addr zero;

	memset(&zero, 0, sizeof zero);
	zero.atyp = SOCKS_ATYP_IPV4;
	put(out, buf, version == 4 ? socks_wire_encode_v4_reply(buf, sizeof buf, rep, &zero) :
	    socks_wire_encode_v5_reply(buf, sizeof buf, rep, &zero));
}

/* Fill REQ from a decoded destination. */
static void
set_dest(struct gw_request *req, const struct socks_addr *a)
{
	req->port = a->port;
	req->host_is_name = a->atyp == SOCKS_ATYP_NAME;
	if (a->atyp == SOCKS_ATYP_NAME)
		snprintf(req->host, sizeof req->host, "%s", a->name);
	else if (a->atyp == SOCKS_ATYP_IPV4)
		inet_ntop(AF_INET, &a->v4, req->host, sizeof req->host);
	else
		inet_ntop(AF_INET6, &a->v6, req->host, sizeof req->host);
}

static enum gw_step
socks_v4(struct socks_session *s, const uint8_t *in, size_t len, size_t *used,
    struct gw_out *out, struct gw_request *req)
{
	struct socks4_request r;
	uint8_t rep = SOCKS4_REP_REJECTED;
	size_t n;

	switch (socks_wire_decode_v4_request(in, len, &r, &n, &rep)) {
	case MPTN_MORE:
		return GW_STEP_MORE;
	case MPTN_FAIL:
		refuse(out, 4, rep);
		return GW_STEP_REJECT;
	case MPTN_DONE:
		break;
	}
	*used += n;
	if (r.cmd != SOCKS4_CMD_CONNECT && r.cmd != SOCKS4_CMD_BIND) {
		refuse(out, 4, SOCKS4_REP_REJECTED);
		return GW_STEP_REJECT;
	}
	s->v4a = r.is_4a;
	set_dest(req, &r.dst);
	/* SOCKS 4 has no passwords: its user-id is what `allow user NAME` rules match */
	snprintf(req->user, sizeof req->user, "%s", r.userid);
	req->proto = r.is_4a ? "socks4a" : "socks4";
	s->stage = SOCKS_WAIT;
	return r.cmd == SOCKS4_CMD_CONNECT ? GW_STEP_CONNECT : GW_STEP_BIND;
}

static enum gw_step
socks_feed(void *session, const struct gw_env *env, const uint8_t *in, size_t len, size_t *used,
    struct gw_out *out, struct gw_request *req)
{
	struct socks_session *s = session;
	uint8_t buf[8];
	size_t n;

	*used = 0;
	for (;;) {
		const uint8_t *p = in + *used;
		size_t left = len - *used;

		switch (s->stage) {
		case SOCKS_START: {
			struct socks5_greeting g;

			if (socks_wire_sniff(p, left, &s->version) != MPTN_DONE)
				return left == 0 ? GW_STEP_MORE : GW_STEP_REJECT;
			if (s->version == 4) {
				if (env->users != NULL) {
					/* SOCKS 4 has no passwords: with auth configured, refuse it */
					refuse(out, 4, SOCKS4_REP_REJECTED);
					return GW_STEP_REJECT;
				}
				return socks_v4(s, p, left, used, out, req);
			}
			switch (socks_wire_decode_greeting(p, left, &g, &n)) {
			case MPTN_MORE:
				return GW_STEP_MORE;
			case MPTN_FAIL:
				put(out, buf, socks_wire_encode_method(buf, sizeof buf,
				    SOCKS5_METHOD_NO_ACCEPTABLE));
				return GW_STEP_REJECT;
			case MPTN_DONE:
				break;
			}
			*used += n;
			if (env->users != NULL && socks_wire_is_method_offered(&g, SOCKS5_METHOD_USERPASS)) {
				put(out, buf, socks_wire_encode_method(buf, sizeof buf, SOCKS5_METHOD_USERPASS));
				s->stage = SOCKS_V5_AUTH;
			} else if (env->users == NULL && socks_wire_is_method_offered(&g, SOCKS5_METHOD_NONE)) {
				put(out, buf, socks_wire_encode_method(buf, sizeof buf, SOCKS5_METHOD_NONE));
				s->stage = SOCKS_V5_REQUEST;
			} else {
				put(out, buf, socks_wire_encode_method(buf, sizeof buf,
				    SOCKS5_METHOD_NO_ACCEPTABLE));
				return GW_STEP_REJECT;
			}
			break;
		}
		case SOCKS_V5_AUTH: {
			struct socks5_userpass up;
			bool ok;

			switch (socks_wire_decode_userpass(p, left, &up, &n)) {
			case MPTN_MORE:
				return GW_STEP_MORE;
			case MPTN_FAIL:
				put(out, buf, socks_wire_encode_userpass_reply(buf, sizeof buf,
				    SOCKS5_USERPASS_FAILURE));
				return GW_STEP_REJECT;
			case MPTN_DONE:
				break;
			}
			*used += n;
			ok = passwd_check(env->users, up.user, up.password);
			memset(up.password, 0, sizeof up.password);
			snprintf(req->user, sizeof req->user, "%s", up.user);
			put(out, buf, socks_wire_encode_userpass_reply(buf, sizeof buf,
			    ok ? SOCKS5_USERPASS_SUCCESS : SOCKS5_USERPASS_FAILURE));
			if (!ok) {
				req->auth_failed = true;
				return GW_STEP_REJECT;
			}
			s->stage = SOCKS_V5_REQUEST;
			break;
		}
		case SOCKS_V5_REQUEST: {
			struct socks5_request r;
			uint8_t rep = SOCKS5_REP_GENERAL_FAILURE;

			switch (socks_wire_decode_v5_request(p, left, &r, &n, &rep)) {
			case MPTN_MORE:
				return GW_STEP_MORE;
			case MPTN_FAIL:
				refuse(out, 5, rep);
				return GW_STEP_REJECT;
			case MPTN_DONE:
				break;
			}
			*used += n;
			set_dest(req, &r.dst);
			req->proto = "socks5";
			s->stage = SOCKS_WAIT;
			if (r.cmd == SOCKS5_CMD_CONNECT)
				return GW_STEP_CONNECT;
			if (r.cmd == SOCKS5_CMD_BIND)
				return GW_STEP_BIND;
			if (r.cmd == SOCKS5_CMD_UDP_ASSOCIATE)
				return GW_STEP_UDP;
			refuse(out, 5, SOCKS5_REP_CMD_NOT_SUPPORTED);
			return GW_STEP_REJECT;
		}
		case SOCKS_WAIT:
			return GW_STEP_MORE;
		}
	}
}

static void
socks_reply(void *session, enum gw_outcome outcome, const struct sockaddr_storage *bound,
    struct gw_out *out)
{
	static const uint8_t v5[] = {
		[GW_OK] = SOCKS5_REP_SUCCEEDED,
		[GW_DENIED] = SOCKS5_REP_NOT_ALLOWED,
		[GW_REFUSED] = SOCKS5_REP_CONN_REFUSED,
		[GW_NET_UNREACHABLE] = SOCKS5_REP_NET_UNREACHABLE,
		[GW_HOST_UNREACHABLE] = SOCKS5_REP_HOST_UNREACHABLE,
		[GW_TIMEOUT] = SOCKS5_REP_TTL_EXPIRED,
		[GW_FAILED] = SOCKS5_REP_GENERAL_FAILURE,
	};
	struct socks_session *s = session;
	struct socks_addr a;
	uint8_t buf[SOCKS5_REPLY_MAX];

	memset(&a, 0, sizeof a);
	a.atyp = SOCKS_ATYP_IPV4;
	if (bound != NULL && (bound->ss_family == AF_INET || bound->ss_family == AF_INET6))
		socks_wire_addr_from_sockaddr(&a, (const struct sockaddr *)bound);
	if (s->version == 4)
		put(out, buf, socks_wire_encode_v4_reply(buf, sizeof buf, outcome == GW_OK ?
		    SOCKS4_REP_GRANTED : SOCKS4_REP_REJECTED, &a));
	else
		put(out, buf, socks_wire_encode_v5_reply(buf, sizeof buf, v5[outcome], &a));
}

static int
socks_udp_unwrap(const uint8_t *dgram, size_t len, struct gw_request *dst, size_t *off)
{
	struct socks5_udp_header h;

	if (socks_wire_decode_udp(dgram, len, &h, off) != MPTN_DONE || h.frag != 0)
		return -1;	/* truncated, malformed, or a fragment (not supported) */
	memset(dst, 0, sizeof *dst);
	set_dest(dst, &h.dst);
	dst->proto = "socks5-udp";
	return 0;
}

static size_t
socks_udp_wrap(const struct sockaddr_storage *from, uint8_t *out, size_t cap)
{
	struct socks_addr a;
	int n;

	memset(&a, 0, sizeof a);
	if (socks_wire_addr_from_sockaddr(&a, (const struct sockaddr *)from) != 0)
		return 0;
	n = socks_wire_encode_udp(out, cap, &a);
	return n > 0 ? (size_t)n : 0;
}

const struct gateway gateway_socks = {
	.name = "socks",
	.session_size = sizeof(struct socks_session),
	.feed = socks_feed,
	.reply = socks_reply,
	.udp_unwrap = socks_udp_unwrap,
	.udp_wrap = socks_udp_wrap,
};

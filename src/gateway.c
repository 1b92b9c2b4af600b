/*
 * gateway.c - the table of gateways and the mapping of connect errors to
 * the outcomes every proxy protocol can answer.
 */
#include "gateway.h"
#include "transport.h"

#include <errno.h>
#include <string.h>

const struct gateway *
gateway_find(const char *name)
{
	if (strcmp(name, "socks") == 0)
		return &gateway_socks;
	if (strcmp(name, "http-connect") == 0)
		return &gateway_http_connect;
	return NULL;
}

enum gw_outcome
gateway_outcome(int err)
{
	switch (err) {
	case 0:
		return GW_OK;
	case ECONNREFUSED:
		return GW_REFUSED;
	case ENETUNREACH:
	case ENETDOWN:
		return GW_NET_UNREACHABLE;
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENOENT:		/* a mapped socket file that is not there */
	case DIAL_ERR_NAME:
		return GW_HOST_UNREACHABLE;
	case ETIMEDOUT:
		return GW_TIMEOUT;
	default:
		return GW_FAILED;
	}
}

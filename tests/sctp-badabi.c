/*
 * sctp-badabi.c - a transport module built for another ABI version, which
 * mptnd's loader must refuse (tests/integration/sctp-module.sh).
 */
#include "transport.h"

static const char *const badabi_schemes[] = { "badabi", NULL };

static const struct transport badabi_transport = {
	.name = "badabi",
	.schemes = badabi_schemes,
};

const struct transport_module mptnd_transport_module = {
	.abi = MPTND_TRANSPORT_ABI + 1000,
	.size = sizeof(struct transport),
	.transport = &badabi_transport,
};

/*
 * fuzz_uri.c - libFuzzer target for the address parsers: the generic URI
 * splitter and every transport's parse, in both roles.
 */
#include "common.h"
#include "transport.h"
#include "uri.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct uri u;
	struct taddr *ta;
	char *cause = NULL;

	if (uri_parse(text, &u, &cause) == 0)
		uri_clear(&u);
	free(cause);
	cause = NULL;
	ta = taddr_parse(text, TADDR_LISTEN, NULL, &cause);
	taddr_free(ta);
	free(cause);
	cause = NULL;
	ta = taddr_parse(text, TADDR_CONNECT, NULL, &cause);
	taddr_free(ta);
	free(cause);
	{
		char *host = NULL;
		unsigned port;

		cause = NULL;
		if (uri_split_hostport(text, &host, &port, &cause) == 0)
			free(host);
		free(cause);
	}
	free(text);
	return 0;
}

/*
 * test_resolve.c - Happy Eyeballs ordering of resolved addresses, and a
 * real c-ares lookup of "localhost" (answered from /etc/hosts, so no query
 * leaves the machine) through a libevent loop, to prove the loop
 * integration delivers an answer.
 */
#include "common.h"
#include "resolve.h"
#include "tap.h"

#include <ares.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <string.h>

static void
test_interleave(void)
{
	struct sockaddr_storage a[5];
	int fam[5] = { AF_INET, AF_INET, AF_INET6, AF_INET, AF_INET6 };
	int want[5] = { AF_INET6, AF_INET, AF_INET6, AF_INET, AF_INET };
	size_t i;
	bool good = true;

	memset(a, 0, sizeof a);
	for (i = 0; i < 5; i++) {
		a[i].ss_family = (sa_family_t)fam[i];
		if (fam[i] == AF_INET)
			((struct sockaddr_in *)&a[i])->sin_port = htons((uint16_t)i);
		else
			((struct sockaddr_in6 *)&a[i])->sin6_port = htons((uint16_t)i);
	}
	resolve_interleave(a, 5);
	for (i = 0; i < 5; i++)
		good = good && a[i].ss_family == want[i];
	ok(good, "families interleaved, IPv6 first");
	ok(ntohs(((struct sockaddr_in *)&a[1])->sin_port) == 0 &&
	    ntohs(((struct sockaddr_in *)&a[3])->sin_port) == 1, "order within a family kept");
}

struct answer {
	bool called;
	size_t n;
	char error[100];
	struct event_base *base;
};

static void
got_answer(void *arg, const struct sockaddr_storage *addrs, size_t n, const char *error)
{
	struct answer *a = arg;

	a->called = true;
	a->n = n;
	if (error != NULL)
		snprintf(a->error, sizeof a->error, "%s", error);
	event_base_loopbreak(a->base);
}

static void
test_lookup(void)
{
	struct event_base *base = event_base_new();
	struct resolver *r = resolver_new(base);
	struct answer a = { .base = base };
	struct timeval tv = { 5, 0 };

	resolver_lookup(r, "localhost", 80, got_answer, &a);
	if (!a.called) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	ok(a.called && a.n >= 1, "localhost resolves (%zu addresses%s%s)", a.n,
	    a.error[0] ? ", " : "", a.error);
	resolver_free(r);
	event_base_free(base);
}

static unsigned
fixed_random(unsigned bound)
{
	return bound - 1;	/* always the last candidate of the draw */
}

static void
test_srv_order(void)
{
	struct srv_entry e[5] = {
		{ "c", 1, 20, 0 }, { "a", 1, 10, 5 }, { "b", 1, 10, 0 }, { "d", 1, 30, 1 }, { "e", 1, 20, 9 },
	};
	bool prio = true;
	size_t i;

	srv_order(e, 5, fixed_random);
	for (i = 1; i < 5; i++)
		prio = prio && e[i - 1].priority <= e[i].priority;
	ok(prio, "SRV answers ordered by priority");
	ok(strcmp(e[4].host, "d") == 0, "the highest priority value comes last");
	ok(e[0].priority == 10 && e[2].priority == 20, "equal priorities stay together");
	ok(strcmp(e[0].host, "b") == 0, "within a priority, the weighted draw picks (here: the last)");
}

int
main(void)
{
	test_srv_order();
	ares_library_init(ARES_LIB_INIT_ALL);
	test_interleave();
	test_lookup();
	ares_library_cleanup();
	return tap_done();
}

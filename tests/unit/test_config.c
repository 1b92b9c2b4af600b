/*
 * test_config.c - value parsers (sizes, durations, numbers, booleans) and
 * the config parser on good and bad texts, checking the FILE:LINE of every
 * error and the values the good ones produce.
 */
#include "common.h"
#include "config.h"
#include "transport.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void
test_values(void)
{
	static const struct { const char *s; uint64_t v; } sizes[] = {
		{ "0", 0 }, { "123", 123 }, { "64k", 65536 }, { "64K", 65536 }, { "1m", 1048576 },
		{ "2MiB", 2097152 }, { "1g", 1073741824 }, { "10b", 10 },
	};
	static const char *bad_sizes[] = { "", "k", "-1", "1x", "1.5m", "99999999999999999999",
		"18014398509481984k" };
	static const struct { const char *s; uint64_t ms; } durs[] = {
		{ "0", 0 }, { "30", 30000 }, { "500ms", 500 }, { "10s", 10000 }, { "5m", 300000 },
		{ "1h", 3600000 }, { "2d", 172800000 },
	};
	static const char *bad_durs[] = { "", "s", "1S", "10 s", "1w", "366d", "-5s" };
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(sizes); i++) {
		uint64_t v = 1;
		char *cause = NULL;

		int rc = parse_size(sizes[i].s, &v, &cause);

		ok(rc == 0 && v == sizes[i].v, "size %s = %llu", sizes[i].s, (unsigned long long)v);
		free(cause);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(bad_sizes); i++) {
		uint64_t v;
		char *cause = NULL;

		ok(parse_size(bad_sizes[i], &v, &cause) == -1 && strstr(cause, "bad size") != NULL,
		    "size '%s' refused", bad_sizes[i]);
		free(cause);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(durs); i++) {
		uint64_t v = 1;
		char *cause = NULL;

		int rc = parse_duration(durs[i].s, &v, &cause);

		ok(rc == 0 && v == durs[i].ms, "duration %s = %llu ms", durs[i].s, (unsigned long long)v);
		free(cause);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(bad_durs); i++) {
		uint64_t v;
		char *cause = NULL;

		ok(parse_duration(bad_durs[i], &v, &cause) == -1 && strstr(cause, "bad duration") != NULL,
		    "duration '%s' refused", bad_durs[i]);
		free(cause);
	}
	{
		uint64_t v;
		bool b;
		char *cause = NULL;

		ok(parse_uint("7", 1, 10, &v, &cause) == 0 && v == 7, "uint 7 in 1..10");
		ok(parse_uint("11", 1, 10, &v, &cause) == -1 && strstr(cause, "out of range"), "uint 11 refused");
		free(cause);
		cause = NULL;
		ok(parse_uint("7x", 1, 10, &v, &cause) == -1 && strstr(cause, "bad number"), "uint 7x refused");
		free(cause);
		cause = NULL;
		ok(parse_bool("Yes", &b, &cause) == 0 && b, "bool Yes");
		ok(parse_bool("off", &b, &cause) == 0 && !b, "bool off");
		ok(parse_bool("nah", &b, &cause) == -1 && strstr(cause, "bad boolean"), "bool nah refused");
		free(cause);
	}
}

static void
test_good(void)
{
	const char *text =
	    "# comment\n"
	    "workers 3\n"
	    "max-connections 500; drain-timeout 2s\n"
	    "log-level debug\n"
	    "listener web {\n"
	    "    listen tcp://127.0.0.1:8080 \"unix:/tmp/web;sock\"\n"
	    "    listen tcp://[::1]:8080   # more\n"
	    "    target tcp://app1:80 tcp://app2:80\n"
	    "    connect-timeout 1500ms\n"
	    "    connect-tries 3\n"
	    "    idle-timeout 0\n"
	    "    fin-timeout 5s\n"
	    "    buffer 64k\n"
	    "    max-connections 10\n"
	    "}\n"
	    "listener b { listen unix-abstract:b; target unix:/run/b.sock; }\n";
	char *cause = NULL;
	struct config *c = config_load_text("good.conf", text, &cause);
	struct lconf *w, *b;

	ok(c != NULL, "good config parses%s%s", cause ? ": " : "", cause ? cause : "");
	if (c == NULL) {
		free(cause);
		return;
	}
	ok(c->workers == 3 && c->max_connections == 500 && c->drain_timeout_ms == 2000 &&
	    c->log_level == LOG_LVL_DEBUG, "global values");
	ok(c->nlisteners == 2, "two listeners");
	w = c->listeners[0];
	b = c->listeners[1];
	ok(strcmp(w->name, "web") == 0 && w->nlisten == 3 && w->ntarget == 2, "web: 3 listen, 2 targets");
	ok(strcmp(w->listen[1]->text, "unix:/tmp/web;sock") == 0, "quoted word kept whole");
	ok(w->connect_timeout_ms == 1500 && w->connect_tries == 3 && w->idle_timeout_ms == 0 &&
	    w->fin_timeout_ms == 5000 && w->buffer == 65536 && w->max_connections == 10,
	    "web: scalar values");
	ok(b->connect_timeout_ms == CONFIG_CONNECT_TIMEOUT_MS && b->idle_timeout_ms ==
	    CONFIG_IDLE_TIMEOUT_MS && b->fin_timeout_ms == CONFIG_FIN_TIMEOUT_MS &&
	    b->buffer == CONFIG_BUFFER && b->max_connections == 0, "b: defaults");
	config_unref(c);

	c = config_load_text("(default)", config_default_text, &cause);
	ok(c != NULL && c->nlisteners == 2 && c->listeners[0]->gateway != NULL, "the embedded default config parses: two gateways");
	config_unref(c);
}

static void
test_bad(void)
{
	static const struct { const char *text, *error; } bad[] = {
		{ "frobnicate 1\n", "t.conf:1: unknown directive 'frobnicate'" },
		{ "\n\nworkers lots\n", "t.conf:3: workers: bad number 'lots'" },
		{ "workers 1\nworkers 2\n", "t.conf:2: workers is given twice" },
		{ "workers\n", "t.conf:1: workers takes exactly one value" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n target tcp://h:1\n idle-timeout 5x\n}\n",
		  "t.conf:4: idle-timeout: bad duration '5x'" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n target tcp://h:1\n}\nlistener a {\n listen tcp://127.0.0.1:2\n target tcp://h:1\n}\n",
		  "t.conf:5: listener 'a' is already defined at t.conf:1" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n}\n", "t.conf:1: listener 'a' has no target" },
		{ "listener a {\n target tcp://h:1\n}\n", "t.conf:1: listener 'a' has no listen address" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n target tcp://h:1\n", "t.conf:1: block 'listener' is not closed" },
		{ "}\n", "t.conf:1: '}' with no block open" },
		{ "{\n", "t.conf:1: '{' with no directive" },
		{ "listener a {\n listen nope:x\n target tcp://h:1\n}\n", "t.conf:2: listen: bad address 'nope:x': unknown transport" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n target tcp://h:1\n buffer 1k\n}\n", "t.conf:4: buffer: 1k is out of range" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n target tcp://h:1\n connect-timeout 0\n}\n", "t.conf:4: connect-timeout: connect-timeout must be more than zero" },
		{ "listener a {\n listen tcp://127.0.0.1:1\n target tcp://h:1\n bogus 1\n}\n", "t.conf:4: unknown directive 'bogus' in listener 'a'" },
		{ "listener a {\n listen tcp://127.0.0.1:1 tcp://127.0.0.1:1\n target tcp://h:1\n}\n", "t.conf:1: listen address tcp://127.0.0.1:1 is also used" },
		{ "listener {\n}\n", "t.conf:1: listener takes a name" },
		{ "listener a/b {\n}\n", "t.conf:1: listener takes a name" },
		{ "workers 1 {\n}\n", "t.conf:1: 'workers' does not take a block" },
		{ "listener a\n", "t.conf:1: 'listener' needs a { ... } block" },
		{ "workers \"1\n", "t.conf:1: unterminated quoted string" },
		{ "log-level loud\n", "t.conf:1: log-level takes one of" },
		{ "include\n", "t.conf:1: include takes one file name" },
		{ "include /nonexistent/mptnd.conf\n", "t.conf:1: include /nonexistent/mptnd.conf: No such file" },
		{ "include /nonexistent/*.conf\n", "t.conf: no listener defined" },
		{ "workers 1\n", "t.conf: no listener defined" },
		{ "", "t.conf: no listener defined" },
		{ "workers 1\x01\n", "t.conf:1: control character" },
		{ "tls a { verify sometimes }\n", "t.conf:1: verify takes none, peer or require" },
		{ "tls a { colour blue }\n", "t.conf:1: unknown directive 'colour' in tls 'a'" },
		{ "tls a { cert }\n", "t.conf:1: tls 'a': expected KEY VALUE" },
		{ "tls a { }\ntls a { }\n", "t.conf:2: tls 'a' is already defined at t.conf:1" },
		{ "tls a\n", "t.conf:1: 'tls' needs a { ... } block" },
		{ "listener l {\n listen tcp://127.0.0.1:1\n target tls+tcp://h:1?tls=b\n}\ntls b {\n ca /nonexistent-ca.pem\n}\n",
		  "t.conf:6: ca /nonexistent-ca.pem: No such file" },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++) {
		char *cause = NULL;
		struct config *c = config_load_text("t.conf", bad[i].text, &cause);

		ok(c == NULL && cause != NULL && strncmp(cause, bad[i].error, strlen(bad[i].error)) == 0,
		    "bad config %zu: want '%s', got '%s'", i, bad[i].error, cause ? cause : "(accepted)");
		config_unref(c);
		free(cause);
	}
}

static void
test_pairs(void)
{
	char *f1[] = { "--listen", "--target", "--target", "--listen", "--target" };
	char *v1[] = { "tcp://127.0.0.1:1", "tcp://h:1", "unix:/x", "unix-abstract:y", "tcp://h:2" };
	char *f2[] = { "--target" };
	char *v2[] = { "tcp://h:1" };
	char *f3[] = { "--listen", "--listen", "--target" };
	char *v3[] = { "tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "tcp://h:1" };
	char *f4[] = { "--listen", "--target", "--listen" };
	char *v4[] = { "tcp://127.0.0.1:1", "tcp://h:1", "tcp://127.0.0.1:2" };
	char *cause = NULL;
	struct config *c = config_from_pairs(f1, v1, 5, &cause);

	ok(c != NULL && c->nlisteners == 2 && c->listeners[0]->ntarget == 2 &&
	    c->listeners[1]->ntarget == 1 && strcmp(c->listeners[1]->name, "cli2") == 0,
	    "pairs: two listeners, targets attached in order");
	config_unref(c);
	c = config_from_pairs(f2, v2, 1, &cause);
	ok(c == NULL && strstr(cause, "comes before any --listen"), "pairs: --target first refused");
	free(cause);
	cause = NULL;
	c = config_from_pairs(f3, v3, 3, &cause);
	ok(c != NULL && c->nlisteners == 1 && c->listeners[0]->nlisten == 2,
	    "pairs: consecutive --listen flags share one listener");
	config_unref(c);
	c = config_from_pairs(f4, v4, 3, &cause);
	ok(c == NULL && strstr(cause, "--listen tcp://127.0.0.1:2 has no --target"),
	    "pairs: a last --listen without a target refused");
	free(cause);
}

int
main(void)
{
	test_values();
	test_good();
	test_bad();
	test_pairs();
	return tap_done();
}

/*
 * test_uri.c - URI splitting and every transport's address parsing, with
 * tables of good and bad inputs and the message each bad one must give.
 */
#include "common.h"
#include "transport.h"
#include "uri.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static void
test_split(void)
{
	static const struct {
		const char *text, *scheme, *body;
		size_t nopts;
		const char *key0, *val0;
	} good[] = {
		{ "tcp://127.0.0.1:80", "tcp", "//127.0.0.1:80", 0, NULL, NULL },
		{ "TCP://h:1?a=b", "tcp", "//h:1", 1, "a", "b" },
		{ "unix:/run/a%20b.sock?mode=0600&owner=root", "unix", "/run/a b.sock", 2, "mode", "0600" },
		{ "unix-abstract:name", "unix-abstract", "name", 0, NULL, NULL },
		{ "tls+tcp://h:443?ca=%2Fetc%2Fca.pem", "tls+tcp", "//h:443", 1, "ca", "/etc/ca.pem" },
		{ "tcp://h:1?&a=1&", "tcp", "//h:1", 1, "a", "1" },
		{ "tcp://h:1?a=", "tcp", "//h:1", 1, "a", "" },
	};
	static const struct { const char *text, *error; } bad[] = {
		{ "", "empty address" },
		{ "nocolon", "no SCHEME: prefix" },
		{ ":x", "no SCHEME: prefix" },
		{ "t p://x", "space or control character" },
		{ "t$p://x", "bad character in scheme" },
		{ "unix:/a%2", "truncated % escape" },
		{ "unix:/a%zz", "bad % escape" },
		{ "unix:/a%00b", "bad % escape" },
		{ "tcp://h:1?novalue", "is not KEY=VALUE" },
		{ "tcp://h:1?=v", "is not KEY=VALUE" },
		{ "tcp://h:1?a=1&a=2", "given twice" },
		{ "tcp://h:1?a=%4", "truncated % escape" },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++) {
		struct uri u;
		char *cause = NULL;
		int rc = uri_parse(good[i].text, &u, &cause);

		ok(rc == 0, "uri_parse accepts '%s'%s%s", good[i].text, cause ? ": " : "",
		    cause ? cause : "");
		if (rc != 0) {
			free(cause);
			continue;
		}
		ok(strcmp(u.scheme, good[i].scheme) == 0, "  scheme '%s'", u.scheme);
		ok(strcmp(u.body, good[i].body) == 0, "  body '%s'", u.body);
		ok(u.nopts == good[i].nopts, "  %zu options", u.nopts);
		if (good[i].key0 != NULL && u.nopts > 0)
			ok(strcmp(u.opts[0].key, good[i].key0) == 0 &&
			    strcmp(u.opts[0].value, good[i].val0) == 0, "  first option %s=%s",
			    u.opts[0].key, u.opts[0].value);
		uri_clear(&u);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++) {
		struct uri u;
		char *cause = NULL;
		int rc = uri_parse(bad[i].text, &u, &cause);

		ok(rc == -1 && cause != NULL && strstr(cause, bad[i].error) != NULL,
		    "uri_parse refuses '%s': %s", bad[i].text, cause ? cause : "(accepted)");
		if (rc == 0)
			uri_clear(&u);
		free(cause);
	}
	{
		char *long_text = malloc(5000);

		memset(long_text, 'a', 4999);
		memcpy(long_text, "unix:/", 6);
		long_text[4999] = '\0';
		struct uri u;
		char *cause = NULL;

		ok(uri_parse(long_text, &u, &cause) == -1 && strstr(cause, "longer than") != NULL,
		    "uri_parse refuses a 5000-byte address");
		free(cause);
		free(long_text);
	}
}

static void
test_hostport(void)
{
	static const struct { const char *body, *host; unsigned port; } good[] = {
		{ "//127.0.0.1:80", "127.0.0.1", 80 },
		{ "//[::1]:8080", "::1", 8080 },
		{ "//*:1", "*", 1 },
		{ "//example.org:65535", "example.org", 65535 },
		{ "//h:0", "h", 0 },
	};
	static const struct { const char *body, *error; } bad[] = {
		{ "127.0.0.1:80", "expected //HOST:PORT" },
		{ "//h", "missing :PORT" },
		{ "//:80", "missing host" },
		{ "//[::1:80", "missing ']'" },
		{ "//[::1]80", "missing :PORT after ']'" },
		{ "//::1:80", "need brackets" },
		{ "//h:65536", "out of range" },
		{ "//h:-1", "bad number" },
		{ "//h:", "bad number" },
		{ "//h:80/x", "unexpected path" },
		{ "//a/b:80", "'/' in host" },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++) {
		char *host = NULL, *cause = NULL;
		unsigned port = 9;
		int rc = uri_split_hostport(good[i].body, &host, &port, &cause);

		ok(rc == 0 && strcmp(host, good[i].host) == 0 && port == good[i].port,
		    "hostport '%s' -> %s %u", good[i].body, host ? host : "?", port);
		free(host);
		free(cause);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++) {
		char *host = NULL, *cause = NULL;
		unsigned port;
		int rc = uri_split_hostport(bad[i].body, &host, &port, &cause);

		ok(rc == -1 && cause != NULL && strstr(cause, bad[i].error) != NULL,
		    "hostport refuses '%s': %s", bad[i].body, cause ? cause : "(accepted)");
		free(host);
		free(cause);
	}
}

static void
test_transports(void)
{
	static const struct { const char *text; enum taddr_role role; const char *tp; } good[] = {
		{ "tcp://127.0.0.1:80", TADDR_LISTEN, "tcp" },
		{ "tcp://[::]:80", TADDR_LISTEN, "tcp" },
		{ "tcp://*:80?backlog=10&v6only=no", TADDR_LISTEN, "tcp" },
		{ "tcp://0.0.0.0:80?defer-accept=5s&fastopen=256", TADDR_LISTEN, "tcp" },
		{ "tcp://localhost:80", TADDR_CONNECT, "tcp" },
		{ "tcp://[::1]:80?nodelay=no", TADDR_CONNECT, "tcp" },
		{ "mptcp://127.0.0.1:80", TADDR_LISTEN, "mptcp" },
		{ "mptcp://db.internal:5432", TADDR_CONNECT, "mptcp" },
		{ "unix:/run/x.sock?mode=0660&owner=0&group=root", TADDR_LISTEN, "unix" },
		{ "unix:///run/x.sock", TADDR_CONNECT, "unix" },
		{ "unix:relative.sock", TADDR_CONNECT, "unix" },
		{ "unix-abstract:mptnd-test", TADDR_LISTEN, "unix-abstract" },
		{ "tls+tcp://localhost:443", TADDR_CONNECT, "tcp" },
		{ "tls+tcp://127.0.0.1:443?alpn=h2,http/1.1&min-version=1.3", TADDR_CONNECT, "tcp" },
		{ "tls+unix:/run/x.sock?sni=app.internal", TADDR_CONNECT, "unix" },
		{ "tls+unix-abstract:x?verify=none", TADDR_CONNECT, "unix-abstract" },
		{ "tls+mptcp://h:1?verify=none", TADDR_CONNECT, "mptcp" },
		{ "tls+tcp://localhost:1?sni=a.example&nodelay=no&alpn=h2", TADDR_CONNECT, "tcp" },
		{ "srv:_sip._tcp.example.org", TADDR_CONNECT, "srv" },
		{ "srv:_db._tcp.example.org?via=mptcp&nodelay=no", TADDR_CONNECT, "srv" },
	};
	static const struct { const char *text; enum taddr_role role; const char *error; } bad[] = {
		{ "udp://h:1", TADDR_CONNECT, "unknown transport 'udp'" },
		{ "tcp://localhost:80", TADDR_LISTEN, "must be an IP address or *" },
		{ "tcp://h:0", TADDR_CONNECT, "port other than 0" },
		{ "tcp://bad_host!:80", TADDR_CONNECT, "not an IP address or a host name" },
		{ "tcp://h:80?backlog=5", TADDR_CONNECT, "applies only to a listen address" },
		{ "tcp://1.2.3.4:80?backlog=0", TADDR_LISTEN, "out of range" },
		{ "tcp://1.2.3.4:80?nodelay=maybe", TADDR_LISTEN, "bad boolean" },
		{ "tcp://1.2.3.4:80?color=red", TADDR_LISTEN, "unknown tcp option 'color'" },
		{ "tcp://1.2.3.4:80?defer-accept=2h", TADDR_LISTEN, "at most 1h" },
		{ "tcp://1.2.3.4:80?fastopen=-1", TADDR_LISTEN, "bad number" },
		{ "tcp://h:80?fastopen=5", TADDR_CONNECT, "applies only to a listen address" },
		{ "unix:", TADDR_LISTEN, "missing path" },
		{ "unix:/run/x?mode=999", TADDR_LISTEN, "not an octal file mode" },
		{ "unix:/run/x?mode=0600", TADDR_CONNECT, "applies only to a listen address" },
		{ "unix:/run/x?owner=no-such-user-here", TADDR_LISTEN, "no user" },
		{ "unix:/run/x?group=no-such-group-here", TADDR_LISTEN, "no group" },
		{ "unix-abstract:", TADDR_LISTEN, "missing name" },
		{ "unix-abstract:x?mode=0600", TADDR_LISTEN, "unknown unix-abstract option 'mode'" },
		{ "tcp://h:1?cert=/x.pem", TADDR_CONNECT, "needs a TLS address (tls+tcp:...)" },
		{ "tls+tcp://127.0.0.1:1", TADDR_LISTEN, "a TLS listener needs cert=" },
		{ "tls+tcp://127.0.0.1:1?cert=/nonexistent.pem", TADDR_LISTEN, "cert /nonexistent.pem:" },
		{ "tls+tcp://127.0.0.1:1?tls=nope", TADDR_CONNECT, "no tls block named 'nope'" },
		{ "tls+unix:/run/x.sock", TADDR_CONNECT, "no host name to verify: give sni=NAME" },
		{ "tls+tcp://h:1?verify=maybe", TADDR_CONNECT, "verify takes none, peer or require" },
		{ "tls+tcp://h:1?min-version=1.1", TADDR_CONNECT, "min-version takes 1.2 or 1.3" },
		{ "tls+tcp://h:1?alpn=a,,b", TADDR_CONNECT, "comma-separated list" },
		{ "tls+tcp://h:1?key=/k.pem", TADDR_CONNECT, "key comes after the cert" },
		{ "tls+tcp://h:1?ca=/nonexistent", TADDR_CONNECT, "ca /nonexistent: No such file" },
		{ "tls+tcp://h:1?sni=", TADDR_CONNECT, "sni takes a host name" },
		{ "tls+tcp://h:1?ciphers=NOSUCHCIPHER", TADDR_CONNECT, "ciphers NOSUCHCIPHER" },
		{ "tls+foo://h:1", TADDR_CONNECT, "unknown transport 'foo'" },
		{ "srv:_sip._tcp.example.org", TADDR_LISTEN, "cannot be listened on" },
		{ "srv:bad/name", TADDR_CONNECT, "is not a DNS name" },
		{ "srv:_x._tcp.e.org?via=udp", TADDR_CONNECT, "via takes tcp or mptcp" },
	};
	char longpath[200];
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++) {
		char *cause = NULL;
		struct taddr *ta = taddr_parse(good[i].text, good[i].role, NULL, &cause);

		ok(ta != NULL && strcmp(ta->tp->name, good[i].tp) == 0, "%s address '%s' is %s%s%s",
		    good[i].role == TADDR_LISTEN ? "listen" : "target", good[i].text, good[i].tp,
		    cause ? ": " : "", cause ? cause : "");
		taddr_free(ta);
		free(cause);
	}
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++) {
		char *cause = NULL;
		struct taddr *ta = taddr_parse(bad[i].text, bad[i].role, NULL, &cause);

		ok(ta == NULL && cause != NULL && strstr(cause, bad[i].error) != NULL &&
		    strstr(cause, bad[i].text) != NULL, "refuses '%s': %s", bad[i].text,
		    cause ? cause : "(accepted)");
		taddr_free(ta);
		free(cause);
	}
	snprintf(longpath, sizeof longpath, "unix:/%0150d", 0);
	{
		char *cause = NULL;
		struct taddr *ta = taddr_parse(longpath, TADDR_LISTEN, NULL, &cause);

		ok(ta == NULL && strstr(cause, "fit in a socket address") != NULL,
		    "refuses a 151-byte socket path");
		free(cause);
	}
}

int
main(void)
{
	test_split();
	test_hostport();
	test_transports();
	return tap_done();
}

/*
 * test_socks_wire.c - the SOCKS 4, 4a and 5 decoders and encoders, with
 * tables of good and bad messages. Every good message is fed cut at every
 * shorter length (each prefix in a buffer of exactly that size, so a
 * sanitizer sees any over-read) and must say MPTN_MORE; whole it must say
 * MPTN_DONE with used == its length, and with payload after it the same.
 * Every bad one must fail with the reply code the caller is to send.
 */
#include "common.h"
#include "socks-wire.h"
#include "tap.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* A byte-string literal and its length, for the tables. */
#define B(s) (const uint8_t *)(s), sizeof(s) - 1

#define SUMMARY_MAX 1024

/* One decoder behind one signature: decode, then describe what it decoded. */
struct decoder {
	const char *name;
	enum mptn_parse (*decode)(const uint8_t *, size_t, size_t *, uint8_t *, char *, size_t);
};

static void
addr_text(const struct socks_addr *a, char *out, size_t outlen)
{
	if (socks_wire_addr_format(a, out, outlen) == -1)
		snprintf(out, outlen, "(unformattable atyp %u)", a->atyp);
}

static enum mptn_parse
dec_greeting(const uint8_t *buf, size_t len, size_t *used, uint8_t *rep, char *sum, size_t sumlen)
{
	struct socks5_greeting g;
	enum mptn_parse rc = socks_wire_decode_greeting(buf, len, &g, used);
	size_t i, off = 0;

	*rep = SOCKS5_METHOD_NO_ACCEPTABLE;
	if (rc != MPTN_DONE)
		return rc;
	off += (size_t)snprintf(sum, sumlen, "m=");
	for (i = 0; i < g.nmethods && off + 4 < sumlen; i++)
		off += (size_t)snprintf(sum + off, sumlen - off, "%s%02x", i ? "," : "",
		    g.methods[i]);
	return rc;
}

static enum mptn_parse
dec_userpass(const uint8_t *buf, size_t len, size_t *used, uint8_t *rep, char *sum, size_t sumlen)
{
	struct socks5_userpass up;
	enum mptn_parse rc = socks_wire_decode_userpass(buf, len, &up, used);

	*rep = SOCKS5_USERPASS_FAILURE;
	if (rc == MPTN_DONE) {
		if (strlen(up.user) != up.userlen || strlen(up.password) != up.passwordlen)
			snprintf(sum, sumlen, "(lengths disagree)");
		else
			snprintf(sum, sumlen, "u=%s p=%s", up.user, up.password);
	}
	return rc;
}

static enum mptn_parse
dec_v5(const uint8_t *buf, size_t len, size_t *used, uint8_t *rep, char *sum, size_t sumlen)
{
	struct socks5_request req;
	enum mptn_parse rc = socks_wire_decode_v5_request(buf, len, &req, used, rep);
	char a[SUMMARY_MAX];

	if (rc == MPTN_DONE) {
		addr_text(&req.dst, a, sizeof a);
		snprintf(sum, sumlen, "cmd=%u %s", req.cmd, a);
	}
	return rc;
}

static enum mptn_parse
dec_v4(const uint8_t *buf, size_t len, size_t *used, uint8_t *rep, char *sum, size_t sumlen)
{
	struct socks4_request req;
	enum mptn_parse rc = socks_wire_decode_v4_request(buf, len, &req, used, rep);
	char a[SUMMARY_MAX];

	if (rc == MPTN_DONE) {
		addr_text(&req.dst, a, sizeof a);
		snprintf(sum, sumlen, "cmd=%u %s uid=%s%s", req.cmd, a, req.userid,
		    req.is_4a ? " 4a" : "");
	}
	return rc;
}

static enum mptn_parse
dec_udp(const uint8_t *buf, size_t len, size_t *used, uint8_t *rep, char *sum, size_t sumlen)
{
	struct socks5_udp_header h;
	enum mptn_parse rc = socks_wire_decode_udp(buf, len, &h, used);
	char a[SUMMARY_MAX];

	*rep = 0;
	if (rc == MPTN_DONE) {
		addr_text(&h.dst, a, sizeof a);
		snprintf(sum, sumlen, "frag=%u %s", h.frag, a);
	}
	return rc;
}

static const struct decoder greeting = { "greeting", dec_greeting };
static const struct decoder userpass = { "userpass", dec_userpass };
static const struct decoder v5 = { "socks5 request", dec_v5 };
static const struct decoder v4 = { "socks4 request", dec_v4 };
static const struct decoder udp = { "udp header", dec_udp };

/* Decode a copy of MSG[0..LEN) held in a buffer of exactly LEN bytes. */
static enum mptn_parse
decode_exact(const struct decoder *d, const uint8_t *msg, size_t len, size_t *used,
    uint8_t *rep, char *sum)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	enum mptn_parse rc;

	memcpy(copy, msg, len);
	*sum = '\0';
	rc = d->decode(copy, len, used, rep, sum, SUMMARY_MAX);
	free(copy);
	return rc;
}

/* Prefixes say MORE; whole says DONE and EXPECT; payload after it is left alone. */
static void
check_good(const struct decoder *d, const uint8_t *msg, size_t len, const char *expect)
{
	static const uint8_t payload[] = "\x05\x01\x00GET / HTTP/1.1\r\n\0\xff";
	char sum[SUMMARY_MAX];
	uint8_t rep, *more;
	size_t cut, used = 0;
	enum mptn_parse rc = MPTN_MORE;

	for (cut = 0; cut < len && rc == MPTN_MORE; cut++)
		rc = decode_exact(d, msg, cut, &used, &rep, sum);
	ok(rc == MPTN_MORE, "%s '%.60s': all %zu prefixes need more%s", d->name, expect, len,
	    rc == MPTN_MORE ? "" : rc == MPTN_DONE ? " (one said DONE)" : " (one said FAIL)");
	if (rc != MPTN_MORE)
		printf("# first bad cut at %zu\n", cut - 1);

	used = 0;
	rc = decode_exact(d, msg, len, &used, &rep, sum);
	ok(rc == MPTN_DONE && used == len && strcmp(sum, expect) == 0,
	    "  whole: rc %d, used %zu of %zu, got '%.60s'", rc, used, len, sum);

	more = malloc(len + sizeof payload);
	memcpy(more, msg, len);
	memcpy(more + len, payload, sizeof payload);
	used = 0;
	rc = decode_exact(d, more, len + sizeof payload, &used, &rep, sum);
	ok(rc == MPTN_DONE && used == len && strcmp(sum, expect) == 0,
	    "  with %zu payload bytes: rc %d, used %zu", sizeof payload, rc, used);
	free(more);
}

/* The message fails, with REP the reply code to send. */
static void
check_bad(const struct decoder *d, const uint8_t *msg, size_t len, uint8_t expect_rep,
    const char *why)
{
	char sum[SUMMARY_MAX];
	uint8_t rep = 0xee;
	size_t used = 0;
	enum mptn_parse rc = decode_exact(d, msg, len, &used, &rep, sum);

	ok(rc == MPTN_FAIL && rep == expect_rep, "%s refuses %s: rc %d rep 0x%02x", d->name, why,
	    rc, rep);
}

static void
test_sniff(void)
{
	static const struct { const uint8_t *buf; size_t len; enum mptn_parse rc; int version; } t[] = {
		{ B(""), MPTN_MORE, 0 },
		{ B("\x04"), MPTN_DONE, 4 },
		{ B("\x04\x01\x00\x50"), MPTN_DONE, 4 },
		{ B("\x05"), MPTN_DONE, 5 },
		{ B("\x05\x01\x00"), MPTN_DONE, 5 },
		{ B("\x00"), MPTN_FAIL, 0 },
		{ B("\x03"), MPTN_FAIL, 0 },
		{ B("\x06"), MPTN_FAIL, 0 },
		{ B("C"), MPTN_FAIL, 0 },
		{ B("\x16\x03\x01"), MPTN_FAIL, 0 },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(t); i++) {
		int version = 0;
		enum mptn_parse rc = socks_wire_sniff(t[i].buf, t[i].len, &version);

		ok(rc == t[i].rc && (rc != MPTN_DONE || version == t[i].version),
		    "sniff %zu-byte input starting 0x%02x: rc %d version %d", t[i].len,
		    t[i].len ? t[i].buf[0] : 0, rc, version);
	}
}

static void
test_greeting(void)
{
	static const struct { const uint8_t *msg; size_t len; const char *expect; } good[] = {
		{ B("\x05\x01\x00"), "m=00" },
		{ B("\x05\x01\x02"), "m=02" },
		{ B("\x05\x02\x00\x02"), "m=00,02" },
		{ B("\x05\x03\x00\x01\x02"), "m=00,01,02" },
		{ B("\x05\x02\x80\xfe"), "m=80,fe" },
		{ B("\x05\x01\xff"), "m=ff" },
	};
	static const struct { const uint8_t *msg; size_t len; const char *why; } bad[] = {
		{ B("\x04\x01\x00"), "version 4" },
		{ B("\x06\x01\x00"), "version 6" },
		{ B("\x00"), "version 0" },
		{ B("\x05\x00"), "no methods" },
		{ B("\x05\x00\x00"), "no methods, then a byte" },
	};
	struct socks5_greeting g;
	uint8_t all[2 + 255];
	char expect[SUMMARY_MAX];
	size_t i, off, used;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++)
		check_good(&greeting, good[i].msg, good[i].len, good[i].expect);
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		check_bad(&greeting, bad[i].msg, bad[i].len, SOCKS5_METHOD_NO_ACCEPTABLE,
		    bad[i].why);

	/* All 255 methods. */
	all[0] = 5;
	all[1] = 255;
	off = (size_t)snprintf(expect, sizeof expect, "m=");
	for (i = 0; i < 255; i++) {
		all[2 + i] = (uint8_t)i;
		off += (size_t)snprintf(expect + off, sizeof expect - off, "%s%02zx",
		    i ? "," : "", i);
	}
	check_good(&greeting, all, sizeof all, expect);

	ok(socks_wire_decode_greeting(B("\x05\x02\x00\x02"), &g, &used) == MPTN_DONE &&
	    socks_wire_is_method_offered(&g, SOCKS5_METHOD_NONE) &&
	    socks_wire_is_method_offered(&g, SOCKS5_METHOD_USERPASS) &&
	    !socks_wire_is_method_offered(&g, SOCKS5_METHOD_GSSAPI) &&
	    !socks_wire_is_method_offered(&g, SOCKS5_METHOD_NO_ACCEPTABLE),
	    "greeting offers 00 and 02, not 01 or ff");
	ok(socks_wire_decode_greeting(B("\x05\x01\x01"), &g, &used) == MPTN_DONE &&
	    !socks_wire_is_method_offered(&g, SOCKS5_METHOD_NONE), "greeting offers only gssapi");
}

static void
test_userpass(void)
{
	static const struct { const uint8_t *msg; size_t len; const char *expect; } good[] = {
		{ B("\x01\x04user\x04pass"), "u=user p=pass" },
		{ B("\x01\x01u\x01p"), "u=u p=p" },
		{ B("\x01\x05" "alice" "\x0b" "s3cr:t p@ss"), "u=alice p=s3cr:t p@ss" },
		{ B("\x01\x03\xc3\xa9t\x02\xff\x01"), "u=\xc3\xa9t p=\xff\x01" },
	};
	static const struct { const uint8_t *msg; size_t len; const char *why; } bad[] = {
		{ B("\x05\x04user\x04pass"), "version 5" },
		{ B("\x00\x04user\x04pass"), "version 0" },
		{ B("\x02\x04user\x04pass"), "version 2" },
		{ B("\x01\x00\x04pass"), "an empty user" },
		{ B("\x01\x04user\x00"), "an empty password" },
		{ B("\x01\x04us\0r\x04pass"), "a NUL in the user" },
		{ B("\x01\x04user\x04pa\0s"), "a NUL in the password" },
		{ B("\x01\x04us\0r"), "a NUL in a partial user" },
	};
	uint8_t big[3 + 255 + 255];
	char expect[SUMMARY_MAX];
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++)
		check_good(&userpass, good[i].msg, good[i].len, good[i].expect);
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		check_bad(&userpass, bad[i].msg, bad[i].len, SOCKS5_USERPASS_FAILURE, bad[i].why);

	/* 255-byte user and password. */
	big[0] = 1;
	big[1] = 255;
	memset(big + 2, 'u', 255);
	big[2 + 255] = 255;
	memset(big + 3 + 255, 'p', 255);
	snprintf(expect, sizeof expect, "u=%.255s p=%.255s", (const char *)big + 2,
	    (const char *)big + 3 + 255);
	check_good(&userpass, big, sizeof big, expect);
}

static void
test_v5_request(void)
{
	static const struct { const uint8_t *msg; size_t len; const char *expect; } good[] = {
		{ B("\x05\x01\x00\x01\xc0\x00\x02\x01\x01\xbb"), "cmd=1 192.0.2.1:443" },
		{ B("\x05\x01\x00\x03\x0b" "example.org" "\x00\x50"), "cmd=1 example.org:80" },
		{ B("\x05\x01\x00\x04\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x1f\x90"),
		    "cmd=1 [2001:db8::1]:8080" },
		{ B("\x05\x02\x00\x01\x0a\x00\x00\x01\x00\x15"), "cmd=2 10.0.0.1:21" },
		{ B("\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00"), "cmd=3 0.0.0.0:0" },
		{ B("\x05\x03\x00\x04\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x30\x39"), "cmd=3 [::]:12345" },
		{ B("\x05\x01\x00\x03\x01x\xff\xff"), "cmd=1 x:65535" },
		{ B("\x05\x01\x00\x03\x09" "127.0.0.1" "\x00\x16"), "cmd=1 127.0.0.1:22" },
		{ B("\x05\x01\x00\x03\x08\xc3\xa9t\xc3\xa9.fr\x01\xbb"), "cmd=1 \xc3\xa9t\xc3\xa9.fr:443" },
	};
	static const struct { const uint8_t *msg; size_t len; uint8_t rep; const char *why; } bad[] = {
		{ B("\x04\x01\x00\x01\x7f\0\0\x01\0\x50"), SOCKS5_REP_GENERAL_FAILURE, "version 4" },
		{ B("\x00"), SOCKS5_REP_GENERAL_FAILURE, "version 0" },
		{ B("\x05\x00\x00\x01\x7f\0\0\x01\0\x50"), SOCKS5_REP_CMD_NOT_SUPPORTED, "command 0" },
		{ B("\x05\x04\x00\x01\x7f\0\0\x01\0\x50"), SOCKS5_REP_CMD_NOT_SUPPORTED, "command 4" },
		{ B("\x05\xff"), SOCKS5_REP_CMD_NOT_SUPPORTED, "command 0xff, early" },
		{ B("\x05\x01\x01\x01\x7f\0\0\x01\0\x50"), SOCKS5_REP_GENERAL_FAILURE, "RSV 1" },
		{ B("\x05\x01\x00\x02\x7f\0\0\x01\0\x50"), SOCKS5_REP_ATYP_NOT_SUPPORTED, "ATYP 2" },
		{ B("\x05\x01\x00\x00"), SOCKS5_REP_ATYP_NOT_SUPPORTED, "ATYP 0" },
		{ B("\x05\x01\x00\x05"), SOCKS5_REP_ATYP_NOT_SUPPORTED, "ATYP 5" },
		{ B("\x05\x01\x00\xff"), SOCKS5_REP_ATYP_NOT_SUPPORTED, "ATYP 0xff" },
		{ B("\x05\x01\x00\x03\x00\x00\x50"), SOCKS5_REP_GENERAL_FAILURE, "an empty name" },
		{ B("\x05\x01\x00\x03\x05" "ab\0cd" "\x00\x50"), SOCKS5_REP_GENERAL_FAILURE,
		    "a NUL in the name" },
		{ B("\x05\x01\x00\x03\x05" "ab\ncd" "\x00\x50"), SOCKS5_REP_GENERAL_FAILURE,
		    "a LF in the name" },
		{ B("\x05\x01\x00\x03\x05" "ab\x7f"), SOCKS5_REP_GENERAL_FAILURE,
		    "a DEL in a partial name" },
		{ B("\x05\x01\x00\x03\x03\0"), SOCKS5_REP_GENERAL_FAILURE, "a NUL, early" },
	};
	uint8_t big[5 + 255 + 2];
	char expect[SUMMARY_MAX];
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++)
		check_good(&v5, good[i].msg, good[i].len, good[i].expect);
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		check_bad(&v5, bad[i].msg, bad[i].len, bad[i].rep, bad[i].why);

	/* A 255-byte name. */
	memcpy(big, "\x05\x01\x00\x03\xff", 5);
	memset(big + 5, 'n', 255);
	big[5 + 255] = 0x01;
	big[5 + 256] = 0x02;
	snprintf(expect, sizeof expect, "cmd=1 %.255s:258", (const char *)big + 5);
	check_good(&v5, big, sizeof big, expect);
}

static void
test_v4_request(void)
{
	static const struct { const uint8_t *msg; size_t len; const char *expect; } good[] = {
		{ B("\x04\x01\x00\x50\xc0\x00\x02\x01\0"), "cmd=1 192.0.2.1:80 uid=" },
		{ B("\x04\x01\x01\xbb\x0a\x01\x02\x03" "bob\0"), "cmd=1 10.1.2.3:443 uid=bob" },
		{ B("\x04\x02\x00\x15\x0a\x00\x00\x01" "ftp\0"), "cmd=2 10.0.0.1:21 uid=ftp" },
		{ B("\x04\x01\x00\x50\x00\x00\x00\x01\0" "example.org\0"),
		    "cmd=1 example.org:80 uid= 4a" },
		{ B("\x04\x01\x00\x50\x00\x00\x00\xff" "alice\0" "h\0"), "cmd=1 h:80 uid=alice 4a" },
		{ B("\x04\x02\xff\xff\x00\x00\x00\x07\0" "x.y\0"), "cmd=2 x.y:65535 uid= 4a" },
		{ B("\x04\x01\x00\x50\x00\x00\x00\x00\0"), "cmd=1 0.0.0.0:80 uid=" },
		{ B("\x04\x01\x00\x50\x00\x00\x01\x01\0"), "cmd=1 0.0.1.1:80 uid=" },
	};
	static const struct { const uint8_t *msg; size_t len; const char *why; } bad[] = {
		{ B("\x05\x01\x00\x50\x7f\0\0\x01\0"), "version 5" },
		{ B("\x00"), "version 0" },
		{ B("\x04\x00\x00\x50\x7f\0\0\x01\0"), "command 0" },
		{ B("\x04\x03\x00\x50\x7f\0\0\x01\0"), "command 3" },
		{ B("\x04\x03"), "command 3, early" },
		{ B("\x04\x01\x00\x50\x00\x00\x00\x01\0\0"), "an empty 4a name" },
		{ B("\x04\x01\x00\x50\x00\x00\x00\x01\0" "a\nb\0"), "a LF in the 4a name" },
		{ B("\x04\x01\x00\x50\x00\x00\x00\x01" "u\0" "a\x01"), "a control byte, early" },
	};
	uint8_t big[8 + 256 + 256];
	char expect[SUMMARY_MAX];
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++)
		check_good(&v4, good[i].msg, good[i].len, good[i].expect);
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		check_bad(&v4, bad[i].msg, bad[i].len, SOCKS4_REP_REJECTED, bad[i].why);

	/* 255-byte user id, then the same with a 255-byte 4a name. */
	memcpy(big, "\x04\x01\x00\x50\x7f\x00\x00\x01", 8);
	memset(big + 8, 'u', 255);
	big[8 + 255] = '\0';
	snprintf(expect, sizeof expect, "cmd=1 127.0.0.1:80 uid=%s", (const char *)big + 8);
	check_good(&v4, big, 8 + 256, expect);
	memcpy(big + 4, "\x00\x00\x00\x01", 4);
	memset(big + 8 + 256, 'n', 255);
	big[8 + 256 + 255] = '\0';
	snprintf(expect, sizeof expect, "cmd=1 %s:80 uid=%s 4a", (const char *)big + 8 + 256,
	    (const char *)big + 8);
	check_good(&v4, big, sizeof big, expect);

	/* 256 bytes without a NUL: too long a user id, too long a name. */
	memset(big + 8, 'u', 256);
	check_bad(&v4, big, 8 + 256, SOCKS4_REP_REJECTED, "a 256-byte user id");
	{
		struct socks4_request req;
		size_t used;
		uint8_t rep;

		ok(socks_wire_decode_v4_request(big, 8 + 255, &req, &used, &rep) == MPTN_MORE,
		    "socks4 request: 255 user id bytes and no NUL yet need more");
	}
	memset(big + 8, 'u', 255);
	big[8 + 255] = '\0';
	memset(big + 8 + 256, 'n', 256);
	check_bad(&v4, big, sizeof big, SOCKS4_REP_REJECTED, "a 256-byte 4a name");
}

static void
test_udp(void)
{
	static const struct { const uint8_t *msg; size_t len; const char *expect; } good[] = {
		{ B("\0\0\0\x01\xc0\x00\x02\x01\x00\x35"), "frag=0 192.0.2.1:53" },
		{ B("\0\0\0\x03\x0b" "example.org" "\x00\x35"), "frag=0 example.org:53" },
		{ B("\0\0\0\x04\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x00\x35"), "frag=0 [::1]:53" },
		{ B("\0\0\x01\x01\xc0\x00\x02\x01\x00\x35"), "frag=1 192.0.2.1:53" },
		{ B("\0\0\x81\x01\xc0\x00\x02\x01\x00\x35"), "frag=129 192.0.2.1:53" },
	};
	static const struct { const uint8_t *msg; size_t len; const char *why; } bad[] = {
		{ B("\x01\0\0\x01\xc0\x00\x02\x01\x00\x35"), "RSV 0x0100" },
		{ B("\0\x01\0\x01\xc0\x00\x02\x01\x00\x35"), "RSV 0x0001" },
		{ B("\x05\x01\x00\x01"), "a SOCKS5 request" },
		{ B("\0\0\0\x02\xc0\x00\x02\x01\x00\x35"), "ATYP 2" },
		{ B("\0\0\0\x03\x00\x00\x35"), "an empty name" },
		{ B("\0\0\0\x03\x02" "a\0" "\x00\x35"), "a NUL in the name" },
	};
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(good); i++)
		check_good(&udp, good[i].msg, good[i].len, good[i].expect);
	for (i = 0; i < MPTN_ARRAY_LEN(bad); i++)
		check_bad(&udp, bad[i].msg, bad[i].len, 0, bad[i].why);
}

/* Bytes written by an encoder equal EXPECT. */
static void
check_bytes(int n, const uint8_t *out, const uint8_t *expect, size_t len, const char *what)
{
	ok(n == (int)len && memcmp(out, expect, len) == 0, "%s: %d bytes", what, n);
}

static void
test_addr(void)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct sockaddr_storage ss;
	struct socks_addr a, b;
	socklen_t sslen;
	char text[300], name[300];

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1080);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	ok(socks_wire_addr_from_sockaddr(&a, (struct sockaddr *)&sin) == 0 &&
	    a.atyp == SOCKS_ATYP_IPV4 && a.port == 1080 &&
	    socks_wire_addr_format(&a, text, sizeof text) > 0 &&
	    strcmp(text, "192.0.2.7:1080") == 0, "IPv4 sockaddr -> %s", text);
	ok(socks_wire_addr_to_sockaddr(&a, &ss, &sslen) == 0 && sslen == sizeof sin &&
	    memcmp(&ss, &sin, sizeof sin) == 0, "  and back");

	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::42", &sin6.sin6_addr);
	ok(socks_wire_addr_from_sockaddr(&a, (struct sockaddr *)&sin6) == 0 &&
	    a.atyp == SOCKS_ATYP_IPV6 && socks_wire_addr_format(&a, text, sizeof text) > 0 &&
	    strcmp(text, "[2001:db8::42]:443") == 0, "IPv6 sockaddr -> %s", text);
	ok(socks_wire_addr_to_sockaddr(&a, &ss, &sslen) == 0 && sslen == sizeof sin6 &&
	    memcmp(&ss, &sin6, sizeof sin6) == 0, "  and back");

	inet_pton(AF_INET6, "::ffff:198.51.100.9", &sin6.sin6_addr);
	ok(socks_wire_addr_from_sockaddr(&a, (struct sockaddr *)&sin6) == 0 &&
	    a.atyp == SOCKS_ATYP_IPV4 && socks_wire_addr_format(&a, text, sizeof text) > 0 &&
	    strcmp(text, "198.51.100.9:443") == 0, "IPv4-mapped sockaddr -> %s", text);

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ok(socks_wire_addr_from_sockaddr(&a, (struct sockaddr *)&sun) == -1,
	    "unix sockaddr refused");

	ok(socks_wire_addr_set_name(&a, "example.org", 8080) == 0 && a.namelen == 11 &&
	    socks_wire_addr_format(&a, text, sizeof text) > 0 &&
	    strcmp(text, "example.org:8080") == 0, "name -> %s", text);
	ok(socks_wire_addr_to_sockaddr(&a, &ss, &sslen) == -1, "  a name has no sockaddr");
	ok(socks_wire_addr_format(&a, text, 16) == -1 && socks_wire_addr_format(&a, text, 17) == 16,
	    "  format needs room for the NUL");
	ok(socks_wire_addr_set_name(&b, "", 1) == -1, "empty name refused");
	ok(socks_wire_addr_set_name(&b, "a\tb", 1) == -1, "name with a tab refused");
	memset(name, 'n', 256);
	name[256] = '\0';
	ok(socks_wire_addr_set_name(&b, name, 1) == -1, "256-byte name refused");
	name[255] = '\0';
	ok(socks_wire_addr_set_name(&b, name, 1) == 0 && b.namelen == 255, "255-byte name taken");
	b.atyp = 9;
	ok(socks_wire_addr_format(&b, text, sizeof text) == -1, "unknown atyp not formatted");
}

static void
test_encoders(void)
{
	uint8_t out[SOCKS5_REPLY_MAX + 64];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct socks_addr a;
	char name[256];
	int n;

	check_bytes(socks_wire_encode_method(out, sizeof out, SOCKS5_METHOD_USERPASS), out,
	    B("\x05\x02"), "method reply 02");
	check_bytes(socks_wire_encode_method(out, sizeof out, SOCKS5_METHOD_NO_ACCEPTABLE), out,
	    B("\x05\xff"), "method reply ff");
	ok(socks_wire_encode_method(out, 1, 0) == -1, "method reply needs 2 bytes");
	check_bytes(socks_wire_encode_userpass_reply(out, sizeof out, SOCKS5_USERPASS_SUCCESS),
	    out, B("\x01\x00"), "userpass reply success");
	check_bytes(socks_wire_encode_userpass_reply(out, sizeof out, SOCKS5_USERPASS_FAILURE),
	    out, B("\x01\x01"), "userpass reply failure");
	ok(socks_wire_encode_userpass_reply(out, 1, 0) == -1, "userpass reply needs 2 bytes");

	/* SOCKS5 replies: every reply code, then each address type. */
	for (n = SOCKS5_REP_SUCCEEDED; n <= SOCKS5_REP_ATYP_NOT_SUPPORTED; n++) {
		uint8_t expect[10] = { 5, (uint8_t)n, 0, 1, 0, 0, 0, 0, 0, 0 };

		char what[64];

		snprintf(what, sizeof what, "socks5 reply code 0x%02x, no address", n);
		check_bytes(socks_wire_encode_v5_reply(out, sizeof out, (uint8_t)n, NULL), out,
		    expect, sizeof expect, what);
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1080);
	inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr);
	socks_wire_addr_from_sockaddr(&a, (struct sockaddr *)&sin);
	check_bytes(socks_wire_encode_v5_reply(out, sizeof out, 0, &a), out,
	    B("\x05\x00\x00\x01\xc0\x00\x02\x07\x04\x38"), "socks5 reply bound IPv4");
	ok(socks_wire_encode_v5_reply(out, 9, 0, &a) == -1, "  needs 10 bytes");
	check_bytes(socks_wire_encode_v4_reply(out, sizeof out, SOCKS4_REP_GRANTED, &a), out,
	    B("\x00\x5a\x04\x38\xc0\x00\x02\x07"), "socks4 reply granted, bound IPv4");
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	socks_wire_addr_from_sockaddr(&a, (struct sockaddr *)&sin6);
	check_bytes(socks_wire_encode_v5_reply(out, sizeof out, 0, &a), out,
	    B("\x05\x00\x00\x04\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x01\xbb"),
	    "socks5 reply bound IPv6");
	ok(socks_wire_encode_v5_reply(out, 21, 0, &a) == -1, "  needs 22 bytes");
	check_bytes(socks_wire_encode_v4_reply(out, sizeof out, SOCKS4_REP_GRANTED, &a), out,
	    B("\x00\x5a\0\0\0\0\0\0"), "socks4 reply with an IPv6 address: zeros");
	socks_wire_addr_set_name(&a, "proxy.example", 80);
	check_bytes(socks_wire_encode_v5_reply(out, sizeof out, 0, &a), out,
	    B("\x05\x00\x00\x03\x0dproxy.example\x00\x50"), "socks5 reply bound name");
	memset(name, 'n', 255);
	name[255] = '\0';
	socks_wire_addr_set_name(&a, name, 1);
	ok(socks_wire_encode_v5_reply(out, SOCKS5_REPLY_MAX, 0, &a) == SOCKS5_REPLY_MAX &&
	    socks_wire_encode_v5_reply(out, SOCKS5_REPLY_MAX - 1, 0, &a) == -1,
	    "socks5 reply with a 255-byte name fills SOCKS5_REPLY_MAX");
	a.name[3] = '\n';
	ok(socks_wire_encode_v5_reply(out, sizeof out, 0, &a) == -1, "name with LF not encoded");
	a.atyp = 2;
	ok(socks_wire_encode_v5_reply(out, sizeof out, 0, &a) == -1, "ATYP 2 not encoded");
	ok(socks_wire_encode_v5_reply(out, 2, 0, NULL) == -1, "socks5 reply needs room");

	for (n = SOCKS4_REP_GRANTED; n <= SOCKS4_REP_IDENTD_MISMATCH; n++) {
		uint8_t expect[8] = { 0, (uint8_t)n, 0, 0, 0, 0, 0, 0 };

		char what[64];

		snprintf(what, sizeof what, "socks4 reply code %d, no address", n);
		check_bytes(socks_wire_encode_v4_reply(out, sizeof out, (uint8_t)n, NULL), out,
		    expect, sizeof expect, what);
	}
	ok(socks_wire_encode_v4_reply(out, 7, SOCKS4_REP_GRANTED, NULL) == -1,
	    "socks4 reply needs 8 bytes");
}

/* UDP header encoder and decoder agree, for every address type. */
static void
test_udp_roundtrip(void)
{
	static const char payload[] = "\x12\x34 a DNS query";
	const char *names[] = { "example.org", "x", NULL };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct socks_addr addrs[4];
	uint8_t out[SOCKS5_UDP_HEADER_MAX + sizeof payload];
	size_t i, used;
	char name[256];

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	inet_pton(AF_INET, "198.51.100.53", &sin.sin_addr);
	socks_wire_addr_from_sockaddr(&addrs[0], (struct sockaddr *)&sin);
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(5353);
	inet_pton(AF_INET6, "fe80::1:2:3", &sin6.sin6_addr);
	socks_wire_addr_from_sockaddr(&addrs[1], (struct sockaddr *)&sin6);
	socks_wire_addr_set_name(&addrs[2], names[0], 65535);
	memset(name, 'z', 255);
	name[255] = '\0';
	socks_wire_addr_set_name(&addrs[3], name, 1);

	for (i = 0; i < MPTN_ARRAY_LEN(addrs); i++) {
		struct socks5_udp_header h;
		char want[300], got[300];
		int n = socks_wire_encode_udp(out, sizeof out, &addrs[i]);

		socks_wire_addr_format(&addrs[i], want, sizeof want);
		if (n < 0) {
			ok(0, "udp encode %s", want);
			continue;
		}
		memcpy(out + n, payload, sizeof payload);
		memset(&h, 0xa5, sizeof h);
		ok(socks_wire_decode_udp(out, (size_t)n + sizeof payload, &h, &used) == MPTN_DONE &&
		    used == (size_t)n && h.frag == 0 &&
		    socks_wire_addr_format(&h.dst, got, sizeof got) > 0 && strcmp(got, want) == 0 &&
		    memcmp(out + used, payload, sizeof payload) == 0,
		    "udp header round trip %.40s (%d bytes)", want, n);
		ok(socks_wire_encode_udp(out, (size_t)n - 1, &addrs[i]) == -1,
		    "  needs %d bytes", n);
	}
	ok(socks_wire_encode_udp(out, sizeof out, NULL) == -1, "udp header needs an address");
}

/* SOCKS5 reply bytes decode, through the UDP header's identical address layout. */
static void
test_reply_roundtrip(void)
{
	struct socks5_udp_header h;
	struct socks_addr a;
	uint8_t out[SOCKS5_REPLY_MAX];
	size_t used;
	char got[300];
	int n;

	socks_wire_addr_set_name(&a, "bound.example", 4321);
	n = socks_wire_encode_v5_reply(out, sizeof out, SOCKS5_REP_SUCCEEDED, &a);
	out[0] = out[1] = out[2] = 0;	/* VER REP RSV -> RSV RSV FRAG */
	ok(n > 0 && socks_wire_decode_udp(out, (size_t)n, &h, &used) == MPTN_DONE &&
	    used == (size_t)n && socks_wire_addr_format(&h.dst, got, sizeof got) > 0 &&
	    strcmp(got, "bound.example:4321") == 0, "socks5 reply address decodes: %s", got);
}

int
main(void)
{
	test_sniff();
	test_greeting();
	test_userpass();
	test_v5_request();
	test_v4_request();
	test_udp();
	test_addr();
	test_encoders();
	test_udp_roundtrip();
	test_reply_roundtrip();
	return tap_done();
}

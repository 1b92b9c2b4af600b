/*
 * tpeer.c - test peer for mptnd integration tests.
 *
 * One program plays either end of a connection (listen or connect) over
 * tcp, mptcp, unix and abstract unix sockets, in a handful of modes that each
 * prove one relay property: both directions at full speed with SHA-256 of
 * what was sent and received (xfer), half-close in either order (halfclose,
 * reply-after-eof), echo, slow reader (sink with --pause), idle connections
 * (hold), many concurrent verified echoes (many, optionally verified again
 * after an idle hold: --recheck), and connection probes.  Fault helpers:
 * --rst-after resets a connection (SO_LINGER 0) mid-stream, --report-close
 * stamps the moment the peer's close is seen, --progress prints the byte
 * counts periodically (to watch a sender block), SIGUSR1 ends a hold.
 *
 * Invariants: one poll() loop, every socket non-blocking; every run is
 * bounded by --timeout (exit 3); every finished connection prints exactly one
 * "done" line with the digests of what it sent and received; lines are
 * written with one write(2) each so parallel readers never see them torn.
 *
 * Exit status: 0 success, 1 a connection failed, 2 usage, 3 timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define RBUF_SIZE (256 * 1024)
#define GEN_CHUNK (128 * 1024)
#define ECHO_CHUNK (64 * 1024)
#define HOLD_READY_AFTER 3.0 /* hold: report "ready" by then even if connects pend */
#define SHUT_REPORT_MIN (1024 * 1024) /* xfer: print "shut" lines from this size */
#define WRITE_BUDGET (1024 * 1024) /* bytes per wakeup per conn, for fairness */

enum mode {
	M_XFER,
	M_HALFCLOSE,
	M_REPLY_AFTER_EOF,
	M_ECHO,
	M_SINK,
	M_HOLD,
	M_MANY,
	M_PROBE,
	M_WAIT_CLOSE,
};

static const char *mode_names[] = {
	"xfer", "halfclose", "reply-after-eof", "echo", "sink", "hold",
	"many", "probe", "wait-close",
};

struct addr {
	int family;
	int proto;
	struct sockaddr_storage ss;
	socklen_t len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* unix: to unlink */
	const char *text;
};

struct gen {
	uint64_t s;
};

struct conn {
	int fd;
	int id;
	int connecting;
	int connected;
	int done;
	int failed;
	double t_start, t_first, t_end;

	/* sending */
	int send_active;	/* generator may produce */
	uint64_t to_send;	/* generator bytes in total */
	uint64_t generated;
	uint64_t sent;
	struct gen g;
	unsigned char *obuf;
	size_t ocap, olen, ooff;
	int wr_shut;
	int want_shut;		/* shutdown(SHUT_WR) once obuf drained */

	/* receiving */
	uint64_t recvd;
	uint64_t early;		/* halfclose: bytes received before our shutdown */
	int rd_eof;
	int paused;		/* 0 none, 1 paused, 2 pause over */
	double pause_until;
	int rst_pending;	/* --rst-wait: the pause ends in a reset */
	int peer_closed;	/* --report-close: reported once */

	EVP_MD_CTX *hs, *hr;

	/* many */
	unsigned char *msg;
	size_t msglen, got;
	int verified;

	const char *why;	/* failure category */
};

static struct {
	enum mode mode;
	int listen;
	uint64_t bytes;
	uint64_t seed;
	long count;
	int conc;
	double timeout;
	uint64_t pause_after;
	double pause;
	double hold;
	int inflight;
	size_t msgsize;
	int backlog;
	int verbose;
	uint64_t rst_after;
	double rst_wait;
	int report_close;
	double progress;
	int recheck;
} opt = {
	.count = -1, .timeout = 60, .pause_after = UINT64_MAX, .hold = -1,
	.inflight = 128, .msgsize = 64, .backlog = 4096, .rst_after = UINT64_MAX,
};

static volatile sig_atomic_t got_usr1;	/* SIGUSR1: end the hold now */
static double next_progress;

static const char *unlink_path; /* listening unix socket to remove on exit */
static unsigned char rbuf[RBUF_SIZE];
static double t0;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wall-clock seconds, comparable across processes (and with date +%s.%N). */
static double
wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write one line to fd with a single write(2). */
static void
linef(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	if (write(fd, buf, n) < 0) {
		/* nothing useful to do */
	}
}

#define out(...) linef(1, __VA_ARGS__)
#define err(...) linef(2, "tpeer: " __VA_ARGS__)

static void
cleanup_exit(int status)
{
	if (unlink_path)
		unlink(unlink_path);
	exit(status);
}

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void
on_signal(int sig)
{
	if (unlink_path)
		unlink(unlink_path);
	_exit(128 + sig);
}

static void
usage(void)
{
	fprintf(stderr,
"usage: tpeer listen ADDR MODE [ARG] [options]\n"
"       tpeer connect ADDR MODE [ARG] [options]\n"
"       tpeer gen BYTES [--seed S]          write the stream to stdout\n"
"       tpeer portfree PORT...              exit 0 if TCP ports are free on 127.0.0.1 and ::1\n"
"ADDR:  tcp:HOST:PORT  mptcp:HOST:PORT  unix:PATH  abstract:NAME\n"
"       (HOST: IPv4, [IPv6] or a name; listen port 0 prints the chosen port)\n"
"MODE:  xfer BYTES             send BYTES, shutdown write, read to EOF, at once\n"
"       halfclose BYTES        like xfer, also reports early= (bytes read before our shutdown)\n"
"       reply-after-eof BYTES  read to EOF, then send BYTES, shutdown, close\n"
"       echo                   send back what arrives; shutdown after EOF\n"
"       sink                   read and count to EOF (see --pause-after)\n"
"       hold                   keep connections open, reading; connect: --count N, --hold S\n"
"       many N                 connect: N concurrent echo checks (--size, --inflight, --hold,\n"
"                              --recheck: after the hold, a second echo check on every one)\n"
"       probe                  connect: connect and close; prints probe=connected|ERROR\n"
"       wait-close             connect: read until the peer closes; prints how and when\n"
"BYTES: number with optional k, m, g (binary) suffix\n"
"options: --seed S (stream seed; default 1 connect, 2 listen)  --timeout SECS (default 60, 0 none)\n"
"         --count N (listen: connections to serve, 0 = unlimited; default 1)  --conc\n"
"         --pause-after BYTES --pause SECS (stop reading once for SECS)\n"
"         --hold SECS (connect hold/many; SIGUSR1 ends it early)  --size BYTES  --inflight N\n"
"         --backlog N  -v\n"
"         --rst-after BYTES  once BYTES are received, reset the connection (SO_LINGER 0,\n"
"                            close); prints rst conn=N sent= recv= t_wall=\n"
"         --rst-wait SECS    with --rst-after: stop reading there, reset SECS later\n"
"         --report-close     print peer-closed conn=N how=eof|reset|error t_wall= when the\n"
"                            peer's close (EOF or error) is first seen\n"
"         --progress SECS    every SECS: progress conn=N sent= recv= t_wall= per connection\n"
"         --recheck          many: see above; prints recheck ok= failed= t_total=\n"
"t_wall: CLOCK_REALTIME seconds (as date +%%s.%%N)\n");
	exit(2);
}

static int
parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	default: return -1;
	}
	if (*end == 'i' && end[-1] != 0)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -1;
	*v = n;
	return 0;
}

static double
parse_secs(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end || d < 0) {
		fprintf(stderr, "tpeer: bad seconds value '%s'\n", s);
		exit(2);
	}
	return d;
}

/* ---- deterministic stream ---- */

static void
gen_init(struct gen *g, uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;	/* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	g->s = z ? z : 1;
}

/* Fill n bytes; n is a multiple of 8 except for the last call of a stream. */
static void
gen_fill(struct gen *g, unsigned char *p, size_t n)
{
	uint64_t x = g->s, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
		w = x * 0x2545f4914f6cdd1dULL;
		memcpy(p + i, &w, 8);
	}
	if (i < n) {
		x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
		w = x * 0x2545f4914f6cdd1dULL;
		memcpy(p + i, &w, n - i);
	}
	g->s = x;
}

/* ---- digests ---- */

static EVP_MD_CTX *
sha_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		err("EVP sha256 init failed");
		exit(1);
	}
	return c;
}

static void
sha_hex(EVP_MD_CTX *c, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	EVP_DigestFinal_ex(c, md, &n);
	for (i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	hex[2 * n] = 0;
}

/* ---- addresses ---- */

static int
parse_addr(const char *text, struct addr *a, int passive)
{
	const char *rest;
	size_t plen;

	memset(a, 0, sizeof *a);
	a->text = text;
	if (!strncmp(text, "unix:", 5) || !strncmp(text, "abstract:", 9)) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
		int abstract = text[0] == 'a';

		rest = text + (abstract ? 9 : 5);
		plen = strlen(rest);
		if (plen == 0 || plen + (abstract ? 1 : 0) >= sizeof sun->sun_path) {
			err("%s: bad unix path length", text);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		if (abstract) {
			sun->sun_path[0] = 0;
			memcpy(sun->sun_path + 1, rest, plen);
			a->len = offsetof(struct sockaddr_un, sun_path) + 1 + plen;
		} else {
			memcpy(sun->sun_path, rest, plen + 1);
			memcpy(a->path, rest, plen + 1);
			a->len = offsetof(struct sockaddr_un, sun_path) + plen + 1;
		}
		a->family = AF_UNIX;
		a->proto = 0;
		return 0;
	}
	if (!strncmp(text, "tcp:", 4) || !strncmp(text, "mptcp:", 6)) {
		char host[256], *colon;
		const char *port;
		struct addrinfo hints, *res;
		int rc;

		a->proto = text[0] == 'm' ? IPPROTO_MPTCP : IPPROTO_TCP;
		rest = strchr(text, ':') + 1;
		if (strlen(rest) >= sizeof host) {
			err("%s: address too long", text);
			return -1;
		}
		strcpy(host, rest);
		colon = strrchr(host, ':');
		if (!colon || colon == host) {
			err("%s: want HOST:PORT", text);
			return -1;
		}
		*colon = 0;
		port = colon + 1;
		if (host[0] == '[') {
			size_t hl = strlen(host);
			if (hl < 3 || host[hl - 1] != ']') {
				err("%s: bad [IPv6] literal", text);
				return -1;
			}
			host[hl - 1] = 0;
			memmove(host, host + 1, hl - 1);
		}
		memset(&hints, 0, sizeof hints);
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
		rc = getaddrinfo(host, port, &hints, &res);
		if (rc) {
			err("%s: %s", text, gai_strerror(rc));
			return -1;
		}
		memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
		a->len = res->ai_addrlen;
		a->family = res->ai_family;
		freeaddrinfo(res);
		return 0;
	}
	err("%s: unknown address type (tcp:, mptcp:, unix:, abstract:)", text);
	return -1;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		err("fcntl: %s", strerror(errno));
		cleanup_exit(1);
	}
}

static int
open_listener(struct addr *a)
{
	int fd, one = 1;
	struct stat st;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, a->proto);
	if (fd < 0) {
		err("%s: socket: %s", a->text, strerror(errno));
		return -1;
	}
	if (a->family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (a->path[0] && lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->path);
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0) {
		err("%s: bind: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	if (a->path[0])
		unlink_path = a->path;
	if (listen(fd, opt.backlog) < 0) {
		err("%s: listen: %s", a->text, strerror(errno));
		close(fd);
		return -1;
	}
	set_nonblock(fd);
	return fd;
}

static int
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

/* ---- connections ---- */

static struct conn **conns;
static int nconns, capconns;
static int next_id;
static int nerrors;

static struct conn *
conn_new(int fd)
{
	struct conn *c = calloc(1, sizeof *c);

	if (!c) {
		err("out of memory");
		cleanup_exit(1);
	}
	c->fd = fd;
	c->id = ++next_id;
	c->t_start = now();
	c->hs = sha_new();
	c->hr = sha_new();
	gen_init(&c->g, opt.seed);
	switch (opt.mode) {
	case M_XFER:
	case M_HALFCLOSE:
		c->to_send = opt.bytes;
		c->send_active = 1;
		c->ocap = GEN_CHUNK;
		break;
	case M_REPLY_AFTER_EOF:
		c->to_send = opt.bytes;
		c->ocap = GEN_CHUNK;
		break;
	case M_ECHO:
		c->ocap = ECHO_CHUNK;
		break;
	default:
		break;
	}
	if (c->ocap) {
		c->obuf = malloc(c->ocap);
		if (!c->obuf) {
			err("out of memory");
			cleanup_exit(1);
		}
	}
	if (capconns == nconns) {
		capconns = capconns ? 2 * capconns : 64;
		conns = realloc(conns, capconns * sizeof *conns);
		if (!conns) {
			err("out of memory");
			cleanup_exit(1);
		}
	}
	conns[nconns++] = c;
	return c;
}

static void
conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	EVP_MD_CTX_free(c->hs);
	EVP_MD_CTX_free(c->hr);
	if (c->obuf != c->msg)
		free(c->obuf);
	free(c->msg);
	free(c);
}

static void
conn_report(struct conn *c)
{
	char hs[2 * EVP_MAX_MD_SIZE + 1], hr[2 * EVP_MAX_MD_SIZE + 1];
	char extra[64] = "";

	sha_hex(c->hs, hs);
	sha_hex(c->hr, hr);
	if (opt.mode == M_HALFCLOSE)
		snprintf(extra, sizeof extra, " early=%llu", (unsigned long long)c->early);
	out("done conn=%d sent=%llu sha_sent=%s recv=%llu sha_recv=%s t_first=%.3f t_total=%.3f%s",
	    c->id, (unsigned long long)c->sent, hs, (unsigned long long)c->recvd, hr,
	    c->t_first > 0 ? c->t_first - c->t_start : -1.0, c->t_end - c->t_start, extra);
}

/* Mark c finished; fd is closed now so the peer sees FIN at once. */
static void
conn_finish(struct conn *c)
{
	if (c->done)
		return;
	c->done = 1;
	c->t_end = now();
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (opt.mode != M_MANY && opt.mode != M_PROBE && opt.mode != M_WAIT_CLOSE &&
	    !(opt.mode == M_HOLD && !opt.listen) && !c->failed)
		conn_report(c);
}

/* --report-close: the first sign that the peer closed (EOF, reset, error). */
static void
note_peer_close(struct conn *c, const char *how)
{
	if (!opt.report_close || c->peer_closed)
		return;
	c->peer_closed = 1;
	out("peer-closed conn=%d how=%s sent=%llu recv=%llu t_wall=%.6f", c->id, how,
	    (unsigned long long)c->sent, (unsigned long long)c->recvd, wall());
}

/* --rst-after: abortive close, so the peer gets a RST, not a FIN. */
static void
conn_rst(struct conn *c)
{
	struct linger lg = { 1, 0 };

	if (c->done)
		return;
	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
		err("conn %d: SO_LINGER: %s", c->id, strerror(errno));
	close(c->fd);
	c->fd = -1;
	c->done = 1;
	c->t_end = now();
	out("rst conn=%d sent=%llu recv=%llu t_wall=%.6f", c->id, (unsigned long long)c->sent,
	    (unsigned long long)c->recvd, wall());
}

static void
conn_fail(struct conn *c, const char *what, int e, const char *why)
{
	if (c->done)
		return;
	c->failed = 1;
	c->why = why;
	if (opt.mode != M_MANY || opt.verbose)
		err("conn %d (%s): %s: %s (sent=%llu recv=%llu)", c->id, mode_names[opt.mode],
		    what, e ? strerror(e) : "failed",
		    (unsigned long long)c->sent, (unsigned long long)c->recvd);
	nerrors++;
	conn_finish(c);
}

static void
maybe_finish(struct conn *c)
{
	if (c->done)
		return;
	switch (opt.mode) {
	case M_XFER:
	case M_HALFCLOSE:
	case M_REPLY_AFTER_EOF:
	case M_ECHO:
		if (c->rd_eof && c->wr_shut)
			conn_finish(c);
		break;
	case M_SINK:
		if (c->rd_eof)
			conn_finish(c);
		break;
	case M_HOLD:
		if (c->rd_eof) {
			if (!opt.listen)
				c->why = "closed";
			conn_finish(c);
		}
		break;
	default:
		break;
	}
}

/* Refill obuf from the generator when it is empty. */
static void
refill(struct conn *c)
{
	size_t n;

	if (c->ooff < c->olen || !c->send_active || c->generated >= c->to_send)
		return;
	n = c->ocap;
	if (c->to_send - c->generated < n)
		n = c->to_send - c->generated;
	gen_fill(&c->g, c->obuf, n);
	EVP_DigestUpdate(c->hs, c->obuf, n);
	c->generated += n;
	c->olen = n;
	c->ooff = 0;
}

static int
wants_write(struct conn *c)
{
	if (c->done || c->connecting)
		return 0;
	if (c->ooff < c->olen)
		return 1;
	if (c->send_active && c->generated < c->to_send)
		return 1;
	return 0;
}

static void
after_drain(struct conn *c)
{
	/* obuf empty: start shutdown when the whole payload is out */
	if (c->wr_shut || c->ooff < c->olen)
		return;
	if (c->send_active && c->generated >= c->to_send)
		c->want_shut = 1;
	if (c->want_shut) {
		if (shutdown(c->fd, SHUT_WR) < 0) {
			conn_fail(c, "shutdown(SHUT_WR)", errno, "error");
			return;
		}
		c->wr_shut = 1;
		if (opt.mode == M_HALFCLOSE)
			c->early = c->recvd;
		if (opt.verbose || (opt.mode == M_XFER && opt.bytes >= SHUT_REPORT_MIN))
			out("shut conn=%d sent=%llu", c->id, (unsigned long long)c->sent);
		maybe_finish(c);
	}
}

static void
do_write(struct conn *c)
{
	size_t budget = WRITE_BUDGET;
	ssize_t n;

	while (!c->done && budget > 0) {
		refill(c);
		if (c->ooff >= c->olen)
			break;
		n = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			note_peer_close(c, errno == ECONNRESET || errno == EPIPE ? "reset" : "error");
			conn_fail(c, "send", errno, errno == ECONNRESET || errno == EPIPE ? "reset" : "error");
			return;
		}
		c->ooff += n;
		c->sent += n;
		budget = (size_t)n >= budget ? 0 : budget - n;
	}
	if (c->ooff >= c->olen)
		c->ooff = c->olen = 0;
	if (!c->done)
		after_drain(c);
}

static int
wants_read(struct conn *c)
{
	if (c->done || c->connecting || c->rd_eof)
		return 0;
	if (c->paused == 1)
		return 0;
	if (opt.mode == M_ECHO && c->ooff < c->olen)
		return 0;
	if (opt.mode == M_PROBE)
		return 0;
	return 1;
}

static void
on_eof(struct conn *c)
{
	c->rd_eof = 1;
	note_peer_close(c, "eof");
	switch (opt.mode) {
	case M_REPLY_AFTER_EOF:
		c->send_active = 1;
		do_write(c);
		break;
	case M_ECHO:
		c->want_shut = 1;
		after_drain(c);
		break;
	case M_MANY:
		if (!c->verified)
			conn_fail(c, "closed before full echo", 0, "closed");
		else
			c->why = "closed";
		return;
	case M_WAIT_CLOSE:
		c->why = "eof";
		conn_finish(c);
		return;
	default:
		break;
	}
	maybe_finish(c);
}

/* --rst-after reached: reset now, or stop reading and reset --rst-wait later. */
static void
rst_reached(struct conn *c)
{
	if (opt.rst_wait <= 0) {
		conn_rst(c);
		return;
	}
	if (c->rst_pending)
		return;
	c->rst_pending = 1;
	c->paused = 1;
	c->pause_until = now() + opt.rst_wait;
	out("rst-wait conn=%d recv=%llu", c->id, (unsigned long long)c->recvd);
}

static void
do_read(struct conn *c)
{
	int rounds = 4;
	ssize_t n;
	size_t want;
	unsigned char *dst;

	while (!c->done && rounds-- > 0 && wants_read(c)) {
		if (opt.mode == M_ECHO) {
			dst = c->obuf;
			want = c->ocap;
		} else {
			dst = rbuf;
			want = sizeof rbuf;
		}
		if (c->paused == 0 && opt.pause_after != UINT64_MAX &&
		    c->recvd + want > opt.pause_after)
			want = opt.pause_after - c->recvd;
		if (want == 0) {
			c->paused = 1;
			c->pause_until = now() + opt.pause;
			out("paused conn=%d recv=%llu", c->id, (unsigned long long)c->recvd);
			return;
		}
		if (opt.rst_after != UINT64_MAX && c->recvd + want > opt.rst_after)
			want = opt.rst_after - c->recvd;
		if (want == 0) {
			rst_reached(c);
			return;
		}
		n = recv(c->fd, dst, want, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (opt.mode == M_WAIT_CLOSE && errno == ECONNRESET) {
				c->why = "reset";
				conn_finish(c);
				return;
			}
			note_peer_close(c, errno == ECONNRESET ? "reset" : "error");
			conn_fail(c, "recv", errno, errno == ECONNRESET ? "reset" : "error");
			return;
		}
		if (n == 0) {
			on_eof(c);
			return;
		}
		if (c->t_first == 0)
			c->t_first = now();
		EVP_DigestUpdate(c->hr, dst, n);
		c->recvd += n;
		if (opt.rst_after != UINT64_MAX && c->recvd >= opt.rst_after) {
			rst_reached(c);
			return;
		}
		if (opt.mode == M_ECHO) {
			EVP_DigestUpdate(c->hs, dst, n);	/* all of it goes back */
			c->olen = n;
			c->ooff = 0;
			do_write(c);
			return;
		}
		if (opt.mode == M_MANY) {
			if (c->got + n > c->msglen || memcmp(c->msg + c->got, rbuf, n)) {
				conn_fail(c, "echo mismatch", 0, "mismatch");
				return;
			}
			c->got += n;
			if (c->got == c->msglen)
				c->verified = 1;
		}
	}
}

static void
on_connected(struct conn *c)
{
	c->connecting = 0;
	c->connected = 1;
	if (opt.mode == M_PROBE) {
		c->why = "connected";
		conn_finish(c);
		return;
	}
	if (opt.mode == M_MANY) {
		c->olen = c->msglen;
		c->ooff = 0;
		do_write(c);
		return;
	}
	do_write(c);
}

static struct conn *
start_connect(struct addr *a)
{
	/* AF_UNIX: a non-blocking connect fails with EAGAIN when the backlog is
	 * full instead of completing later, so connect blocking (bounded by
	 * SO_SNDTIMEO) and switch to non-blocking afterwards. */
	int unix_blocking = a->family == AF_UNIX;
	int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC |
	    (unix_blocking ? 0 : SOCK_NONBLOCK), a->proto);
	struct conn *c;
	int rc;

	if (fd < 0) {
		err("%s: socket: %s", a->text, strerror(errno));
		cleanup_exit(1);
	}
	c = conn_new(fd);
	if (opt.mode == M_MANY) {
		size_t i;
		char head[64];
		int hl = snprintf(head, sizeof head, "many-%d-%d-", (int)getpid(), c->id);

		c->msglen = opt.msgsize;
		c->msg = malloc(c->msglen);
		c->obuf = c->msg;	/* send straight from msg; freed via msg */
		c->ocap = c->msglen;
		for (i = 0; i < c->msglen; i++)
			c->msg[i] = i < (size_t)hl ? (unsigned char)head[i]
			    : (unsigned char)('a' + (i * 7 + c->id) % 26);
		if (c->msglen)
			c->msg[c->msglen - 1] = '\n';
		EVP_DigestUpdate(c->hs, c->msg, c->msglen);
	}
	if (unix_blocking) {
		double left = opt.timeout > 0 ? t0 + opt.timeout - now() : 0;
		struct timeval tv = { 0, 0 };
		if (opt.timeout > 0) {
			if (left < 0.001)
				left = 0.001;
			tv.tv_sec = (time_t)left;
			tv.tv_usec = (suseconds_t)((left - tv.tv_sec) * 1e6);
		}
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	rc = connect(fd, (struct sockaddr *)&a->ss, a->len);
	if (unix_blocking) {
		int e = errno;
		set_nonblock(fd);
		errno = e;
	}
	if (rc == 0) {
		on_connected(c);
	} else if (errno == EINPROGRESS) {
		c->connecting = 1;
	} else {
		int e = errno;
		if (opt.mode == M_PROBE) {
			c->why = "refused";
			c->failed = 1;
			out("probe=%s errno=%d t_total=%.3f", e == ECONNREFUSED ? "refused" : "error",
			    e, now() - c->t_start);
			conn_finish(c);
			return c;
		}
		conn_fail(c, "connect", e, e == ECONNREFUSED ? "refused" : "error");
	}
	return c;
}

static void
check_connect(struct conn *c)
{
	int e = 0;
	socklen_t l = sizeof e;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		e = errno;
	if (e == EINPROGRESS)
		return;
	if (e) {
		if (opt.mode == M_PROBE) {
			c->failed = 1;
			out("probe=%s errno=%d t_total=%.3f", e == ECONNREFUSED ? "refused" : "error",
			    e, now() - c->t_start);
			conn_finish(c);
			return;
		}
		conn_fail(c, "connect", e, e == ECONNREFUSED ? "refused" : "error");
		return;
	}
	on_connected(c);
}

/* ---- main loops ---- */

static struct pollfd *pfds;
static struct conn **pconn;
static int cappfd;

static void
grow_pfds(int n)
{
	if (n <= cappfd)
		return;
	cappfd = n + 64;
	pfds = realloc(pfds, cappfd * sizeof *pfds);
	pconn = realloc(pconn, cappfd * sizeof *pconn);
	if (!pfds || !pconn) {
		err("out of memory");
		cleanup_exit(1);
	}
}

static void
reap(void)
{
	int i, j = 0;

	for (i = 0; i < nconns; i++) {
		if (conns[i]->done) {
			if (conns[i]->msg)
				conns[i]->obuf = NULL;
			conn_free(conns[i]);
		} else {
			conns[j++] = conns[i];
		}
	}
	nconns = j;
}

static int
timeout_ms(double deadline, double extra)
{
	double t = now(), d = -1;
	int i;

	if (deadline > 0)
		d = deadline - t;
	if (extra > 0 && (d < 0 || extra - t < d))
		d = extra - t;
	for (i = 0; i < nconns; i++)
		if (conns[i]->paused == 1 && (d < 0 || conns[i]->pause_until - t < d))
			d = conns[i]->pause_until - t;
	if (next_progress > 0 && (d < 0 || next_progress - t < d))
		d = next_progress - t;
	if (d < 0 && (deadline > 0 || extra > 0))
		return 0;
	if (d < 0)
		return -1;
	return (int)(d * 1000) + 1;
}

static void
unpause(void)
{
	double t = now();
	int i;

	for (i = 0; i < nconns; i++)
		if (conns[i]->paused == 1 && t >= conns[i]->pause_until) {
			if (conns[i]->rst_pending) {
				conn_rst(conns[i]);
				continue;
			}
			conns[i]->paused = 2;
			out("resumed conn=%d recv=%llu", conns[i]->id,
			    (unsigned long long)conns[i]->recvd);
		}
	if (next_progress > 0 && t >= next_progress) {
		for (i = 0; i < nconns; i++)
			if (!conns[i]->done)
				out("progress conn=%d sent=%llu recv=%llu t_wall=%.6f", conns[i]->id,
				    (unsigned long long)conns[i]->sent,
				    (unsigned long long)conns[i]->recvd, wall());
		while (next_progress <= t)
			next_progress += opt.progress;
	}
}

static void
service(int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct conn *c = pconn[i];
		short re = pfds[i].revents;

		if (!c || !re || c->done)
			continue;
		if (c->connecting) {
			check_connect(c);
			continue;
		}
		if (re & (POLLIN | POLLHUP | POLLERR))
			do_read(c);
		if (!c->done && (re & (POLLOUT | POLLERR)) && wants_write(c))
			do_write(c);
		if (!c->done && (re & POLLERR) && !wants_read(c) && !wants_write(c)) {
			int e = 0;
			socklen_t l = sizeof e;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l);
			if (e) {
				note_peer_close(c, e == ECONNRESET ? "reset" : "error");
				conn_fail(c, "socket error", e, e == ECONNRESET ? "reset" : "error");
			}
		}
	}
}

static int
fill_pfds(int base)
{
	int i, n = base;

	grow_pfds(base + nconns);
	for (i = 0; i < nconns; i++) {
		struct conn *c = conns[i];
		short ev = 0;

		if (c->done)
			continue;
		if (c->connecting)
			ev = POLLOUT;
		else {
			if (wants_read(c))
				ev |= POLLIN;
			if (wants_write(c))
				ev |= POLLOUT;
		}
		pfds[n].fd = ev ? c->fd : -1;
		pfds[n].events = ev;
		pfds[n].revents = 0;
		pconn[n] = c;
		n++;
	}
	return n;
}

static void
timeout_exit(const char *where)
{
	int i;

	err("timeout after %.1fs in %s mode %s (%d connection(s) open)",
	    opt.timeout, where, mode_names[opt.mode], nconns);
	for (i = 0; i < nconns && i < 5; i++) {
		struct conn *c = conns[i];
		err("  conn %d: connecting=%d sent=%llu/%llu recv=%llu rd_eof=%d wr_shut=%d paused=%d",
		    c->id, c->connecting, (unsigned long long)c->sent,
		    (unsigned long long)c->to_send, (unsigned long long)c->recvd, c->rd_eof,
		    c->wr_shut, c->paused);
	}
	cleanup_exit(3);
}

static int
run_listen(struct addr *a)
{
	int lfd = open_listener(a), port, n;
	long accepted = 0, finished = 0;
	double deadline = opt.timeout > 0 ? t0 + opt.timeout : 0;

	if (lfd < 0)
		cleanup_exit(1);
	port = local_port(lfd);
	if (port >= 0)
		out("ready port=%d", port);
	else
		out("ready");
	if (opt.count < 0)
		opt.count = 1;

	for (;;) {
		int accepting = (opt.count == 0 || accepted < opt.count) &&
		    (opt.conc || nconns == 0);

		if (opt.count > 0 && finished >= opt.count)
			break;
		grow_pfds(1);
		pfds[0].fd = accepting ? lfd : -1;
		pfds[0].events = POLLIN;
		pfds[0].revents = 0;
		pconn[0] = NULL;
		n = fill_pfds(1);
		if (poll(pfds, n, timeout_ms(deadline, 0)) < 0 && errno != EINTR) {
			err("poll: %s", strerror(errno));
			cleanup_exit(1);
		}
		if (deadline > 0 && now() >= deadline) {
			if (opt.count == 0 && nconns == 0)
				cleanup_exit(nerrors ? 1 : 0);
			timeout_exit("listen");
		}
		unpause();
		if (pfds[0].revents & POLLIN) {
			int burst = 64;
			while (burst-- > 0 && (opt.count == 0 || accepted < opt.count) &&
			    (opt.conc || nconns == 0)) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				struct conn *c;
				if (fd < 0) {
					if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
					    errno != ECONNABORTED)
						err("accept: %s", strerror(errno));
					break;
				}
				accepted++;
				c = conn_new(fd);
				c->connected = 1;
				out("accepted conn=%d", c->id);
				do_write(c);
			}
		}
		service(n);
		for (int i = 0; i < nconns; i++)
			if (conns[i]->done)
				finished++;
		reap();
	}
	close(lfd);
	if (unlink_path)
		unlink(unlink_path);
	return nerrors ? 1 : 0;
}

/* many --recheck: after the hold, send a second (different) message on every
 * connection that passed the first check and verify its echo again. */
static int
recheck(double deadline)
{
	long target = 0, ok, failed, pending;
	double t_start = now();
	int i, n;

	for (i = 0; i < nconns; i++) {
		struct conn *c = conns[i];
		size_t k;
		char head[64];
		int hl;

		if (c->done || c->failed || !c->verified)
			continue;
		target++;
		if (c->rd_eof) {	/* closed during the hold */
			conn_fail(c, "closed during the hold", 0, "closed");
			continue;
		}
		hl = snprintf(head, sizeof head, "again-%d-%d-", (int)getpid(), c->id);
		for (k = 0; k < c->msglen; k++)
			c->msg[k] = k < (size_t)hl ? (unsigned char)head[k]
			    : (unsigned char)('A' + (k * 5 + c->id) % 26);
		if (c->msglen)
			c->msg[c->msglen - 1] = '\n';
		EVP_DigestUpdate(c->hs, c->msg, c->msglen);
		c->got = 0;
		c->verified = 0;
		c->olen = c->msglen;
		c->ooff = 0;
		do_write(c);
	}
	for (;;) {
		ok = failed = pending = 0;
		for (i = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			if (c->failed)
				failed++;
			else if (c->verified)
				ok++;
			else if (!c->done)
				pending++;
		}
		if (pending == 0)
			break;
		n = fill_pfds(0);
		if (poll(pfds, n, timeout_ms(deadline, 0)) < 0 && errno != EINTR) {
			err("poll: %s", strerror(errno));
			cleanup_exit(1);
		}
		if (deadline > 0 && now() >= deadline) {
			out("recheck ok=%ld failed=%ld timedout=%ld t_total=%.3f", ok, failed,
			    pending, now() - t_start);
			cleanup_exit(3);
		}
		service(n);
	}
	/* failed counts the first round's failures too: report this round's */
	out("recheck ok=%ld failed=%ld t_total=%.3f", ok, target - ok, now() - t_start);
	return ok == target ? 0 : 1;
}

static int
run_connect(struct addr *a)
{
	double deadline = opt.timeout > 0 ? t0 + opt.timeout : 0;
	double hold_end = 0;
	long target = 1, started = 0, resolved = 0;
	long ok = 0, failed = 0, refused = 0, closed = 0, reset = 0, mismatch = 0;
	int reported = 0, n, i, ms;

	if (opt.mode == M_MANY)
		target = opt.count;
	else if (opt.mode == M_HOLD)
		target = opt.count < 0 ? 1 : opt.count;

	for (;;) {
		int connecting = 0;

		for (i = 0; i < nconns; i++)
			connecting += conns[i]->connecting;
		while (started < target && connecting < opt.inflight) {
			struct conn *c = start_connect(a);
			started++;
			connecting += c->connecting;
		}

		/* many / hold: account resolved connections */
		if (opt.mode == M_MANY || opt.mode == M_HOLD) {
			long r = 0, o = 0;
			ok = failed = refused = closed = reset = mismatch = 0;
			for (i = 0; i < nconns; i++) {
				struct conn *c = conns[i];
				if (c->failed) {
					failed++;
					if (c->why && !strcmp(c->why, "refused")) refused++;
					else if (c->why && !strcmp(c->why, "closed")) closed++;
					else if (c->why && !strcmp(c->why, "reset")) reset++;
					else if (c->why && !strcmp(c->why, "mismatch")) mismatch++;
					r++;
				} else if (opt.mode == M_MANY ? c->verified : c->connected) {
					o++;
					r++;
				}
			}
			ok = o;
			resolved = r;
			if (!reported && started == target && resolved == target) {
				reported = 1;
				if (opt.mode == M_MANY)
					out("many ok=%ld failed=%ld refused=%ld closed=%ld reset=%ld mismatch=%ld t_total=%.3f",
					    ok, failed, refused, closed, reset, mismatch, now() - t0);
				else
					out("ready connected=%ld failed=%ld", ok, failed);
				hold_end = opt.hold > 0 ? now() + opt.hold : 0;
				if (opt.hold < 0 && opt.mode == M_MANY)
					break;
				if (opt.hold == 0)
					break;
			}
			if (!reported && opt.mode == M_HOLD && now() >= t0 + HOLD_READY_AFTER) {
				reported = 1;
				out("ready connected=%ld failed=%ld pending=%ld", ok, failed,
				    target - resolved);
				hold_end = opt.hold > 0 ? now() + opt.hold : 0;
				if (opt.hold == 0)
					break;
			}
			if (reported && hold_end > 0 && now() >= hold_end)
				break;
			if (reported && got_usr1)
				break;
		} else {
			int all = 1;
			for (i = 0; i < nconns; i++)
				if (!conns[i]->done)
					all = 0;
			if (all && started == target)
				break;
		}

		n = fill_pfds(0);
		ms = timeout_ms(deadline, !reported && opt.mode == M_HOLD ?
		    t0 + HOLD_READY_AFTER : hold_end);
		/* holding: wake up now and then, so a SIGUSR1 that lands just
		 * before poll() is not missed for long */
		if (reported && (ms < 0 || ms > 250))
			ms = 250;
		if (poll(pfds, n, ms) < 0 && errno != EINTR) {
			err("poll: %s", strerror(errno));
			cleanup_exit(1);
		}
		if (deadline > 0 && now() >= deadline) {
			if (opt.mode == M_MANY) {
				/* count what is still pending as timed out */
				long pend = 0;
				for (i = 0; i < nconns; i++)
					if (!conns[i]->failed && !conns[i]->verified)
						pend++;
				out("many ok=%ld failed=%ld refused=%ld closed=%ld reset=%ld mismatch=%ld timedout=%ld t_total=%.3f",
				    ok, failed, refused, closed, reset, mismatch, pend, now() - t0);
			}
			if (opt.mode == M_HOLD && reported)
				cleanup_exit(0);
			timeout_exit("connect");
		}
		unpause();
		service(n);
		if (opt.mode != M_MANY && opt.mode != M_HOLD)
			reap();
	}

	if (opt.mode == M_MANY && opt.recheck) {
		int rc = recheck(deadline);
		return ok == target && rc == 0 ? 0 : 1;
	}
	if (opt.mode == M_MANY)
		return ok == target ? 0 : 1;
	if (opt.mode == M_HOLD) {
		long peer_closed = 0;
		for (i = 0; i < nconns; i++)
			if (conns[i]->done && !conns[i]->failed)
				peer_closed++;
		out("hold-over open=%ld closed_by_peer=%ld failed=%ld",
		    (long)nconns - peer_closed - failed, peer_closed, failed);
		return failed ? 1 : 0;
	}
	return nerrors ? 1 : 0;
}

/* wait-close and probe report from the last connection */
static int
run_connect_single(struct addr *a)
{
	double deadline = opt.timeout > 0 ? t0 + opt.timeout : 0;
	struct conn *c = start_connect(a);
	int n;

	while (!c->done) {
		n = fill_pfds(0);
		if (poll(pfds, n, timeout_ms(deadline, 0)) < 0 && errno != EINTR) {
			err("poll: %s", strerror(errno));
			cleanup_exit(1);
		}
		if (deadline > 0 && now() >= deadline) {
			if (opt.mode == M_WAIT_CLOSE)
				out("closed how=timeout recv=%llu t_total=%.3f",
				    (unsigned long long)c->recvd, now() - c->t_start);
			else
				out("probe=timeout t_total=%.3f", now() - c->t_start);
			cleanup_exit(3);
		}
		service(n);
	}
	if (opt.mode == M_PROBE) {
		if (!c->failed)
			out("probe=connected t_total=%.3f", c->t_end - c->t_start);
		return c->failed ? 1 : 0;
	}
	if (c->failed)
		return 1;
	out("closed how=%s recv=%llu t_total=%.3f", c->why ? c->why : "?",
	    (unsigned long long)c->recvd, c->t_end - c->t_start);
	return 0;
}

static int
cmd_gen(int argc, char **argv)
{
	uint64_t n, seed = 1;
	struct gen g;
	unsigned char *buf = malloc(GEN_CHUNK);
	int i;

	if (argc < 1 || parse_size(argv[0], &n) < 0 || !buf)
		usage();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	gen_init(&g, seed);
	while (n > 0) {
		size_t k = n < GEN_CHUNK ? n : GEN_CHUNK, off = 0;
		gen_fill(&g, buf, k);
		while (off < k) {
			ssize_t w = write(1, buf + off, k - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return 1;
			}
			off += w;
		}
		n -= k;
	}
	free(buf);
	return 0;
}

static int
port_free1(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ok, one = 1;

	memset(&ss, 0, sizeof ss);
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		s->sin6_addr = in6addr_loopback;
		len = sizeof *s;
	}
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return family == AF_INET6; /* no IPv6 at all: not a conflict */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

static int
cmd_portfree(int argc, char **argv)
{
	int i;

	if (argc < 1)
		usage();
	for (i = 0; i < argc; i++) {
		int p = atoi(argv[i]);
		if (p <= 0 || p > 65535)
			usage();
		if (!port_free1(AF_INET, p) || !port_free1(AF_INET6, p))
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct addr a;
	struct sigaction sa;
	int i, seed_set = 0, rc;
	const char *cmd, *addr_text, *mode;

	if (argc < 2)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "gen"))
		return cmd_gen(argc - 2, argv + 2);
	if (!strcmp(cmd, "portfree"))
		return cmd_portfree(argc - 2, argv + 2);
	if (strcmp(cmd, "listen") && strcmp(cmd, "connect"))
		usage();
	if (argc < 4)
		usage();
	opt.listen = cmd[0] == 'l';
	addr_text = argv[2];
	mode = argv[3];
	for (i = 0; i < (int)(sizeof mode_names / sizeof mode_names[0]); i++)
		if (!strcmp(mode, mode_names[i]))
			break;
	if (i == (int)(sizeof mode_names / sizeof mode_names[0])) {
		fprintf(stderr, "tpeer: unknown mode '%s'\n", mode);
		usage();
	}
	opt.mode = i;
	i = 4;
	if (opt.mode == M_XFER || opt.mode == M_HALFCLOSE || opt.mode == M_REPLY_AFTER_EOF) {
		if (argc <= i || parse_size(argv[i], &opt.bytes) < 0) {
			fprintf(stderr, "tpeer: mode %s needs BYTES\n", mode);
			usage();
		}
		i++;
	} else if (opt.mode == M_MANY) {
		uint64_t v;
		if (argc <= i || parse_size(argv[i], &v) < 0 || v == 0 || v > 1000000) {
			fprintf(stderr, "tpeer: mode many needs N\n");
			usage();
		}
		opt.count = (long)v;
		i++;
	}
	if (opt.listen && (opt.mode == M_MANY || opt.mode == M_PROBE || opt.mode == M_WAIT_CLOSE)) {
		fprintf(stderr, "tpeer: mode %s is for connect only\n", mode);
		usage();
	}
	for (; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t u;

		if (!strcmp(o, "--conc")) { opt.conc = 1; continue; }
		if (!strcmp(o, "--report-close")) { opt.report_close = 1; continue; }
		if (!strcmp(o, "--recheck")) { opt.recheck = 1; continue; }
		if (!strcmp(o, "-v")) { opt.verbose = 1; continue; }
		if (!v)
			usage();
		i++;
		if (!strcmp(o, "--seed")) {
			opt.seed = strtoull(v, NULL, 0);
			seed_set = 1;
		} else if (!strcmp(o, "--timeout")) {
			opt.timeout = parse_secs(v);
		} else if (!strcmp(o, "--count")) {
			if (parse_size(v, &u) < 0) usage();
			if (opt.mode == M_MANY) usage();
			opt.count = (long)u;
		} else if (!strcmp(o, "--pause-after")) {
			if (parse_size(v, &opt.pause_after) < 0) usage();
		} else if (!strcmp(o, "--pause")) {
			opt.pause = parse_secs(v);
		} else if (!strcmp(o, "--hold")) {
			opt.hold = parse_secs(v);
		} else if (!strcmp(o, "--size")) {
			if (parse_size(v, &u) < 0 || u < 1 || u > RBUF_SIZE) usage();
			opt.msgsize = u;
		} else if (!strcmp(o, "--inflight")) {
			opt.inflight = atoi(v);
			if (opt.inflight < 1) usage();
		} else if (!strcmp(o, "--backlog")) {
			opt.backlog = atoi(v);
		} else if (!strcmp(o, "--rst-after")) {
			if (parse_size(v, &opt.rst_after) < 0) usage();
		} else if (!strcmp(o, "--rst-wait")) {
			opt.rst_wait = parse_secs(v);
		} else if (!strcmp(o, "--progress")) {
			opt.progress = parse_secs(v);
			if (opt.progress <= 0) usage();
		} else {
			fprintf(stderr, "tpeer: unknown option '%s'\n", o);
			usage();
		}
	}
	if (!seed_set)
		opt.seed = opt.listen ? 2 : 1;
	if (opt.pause_after != UINT64_MAX && opt.pause <= 0)
		opt.pause = 1;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);

	t0 = now();
	if (opt.progress > 0)
		next_progress = t0 + opt.progress;
	if (opt.recheck && opt.mode != M_MANY) {
		fprintf(stderr, "tpeer: --recheck is for mode many\n");
		usage();
	}
	if (parse_addr(addr_text, &a, opt.listen) < 0)
		return 1;
	if (opt.listen)
		rc = run_listen(&a);
	else if (opt.mode == M_PROBE || opt.mode == M_WAIT_CLOSE)
		rc = run_connect_single(&a);
	else
		rc = run_connect(&a);
	cleanup_exit(rc);
	return rc;
}

/*
 * loadgen.c - load generator, sink/echo server and /proc sampler for the
 * mptnd benchmark (bench/run.sh).  libc and OpenSSL (client TLS only), one
 * file; built with -DLOADGEN_NO_TLS it needs libc only and has no --tls.
 *
 *   loadgen server ADDR [ADDR...]        sink + echo server (epoll, one thread)
 *   loadgen bulk [--tls] ADDR CONNS SECONDS
 *                                         bulk upload into the sink
 *   loadgen pingpong ADDR COUNT           64-byte round trips on one connection
 *   loadgen cps [--tls|--tls-resume] ADDR PARALLEL SECONDS
 *                                         connect/send 64/read 64/close loops;
 *                                         with TLS: connect/handshake/send 1/
 *                                         read 1/close_notify/close
 *   loadgen idle [--tls] ADDR N HOLD_SECONDS
 *                                         open N verified connections and hold them
 *   loadgen probe [--tls] ADDR [TIMEOUT_S] one echo round trip; exit 0 if it worked
 *   loadgen procstat PID                  CPU time and memory of PID and its descendants
 *                                         (utime+stime+cutime+cstime, VmRSS, Pss, pids)
 *
 * ADDR is tcp:HOST:PORT, tcp://HOST:PORT, tcp:[::1]:PORT or unix:PATH (numeric
 * hosts only).  Every client mode prints exactly one result line of
 * key=value pairs on stdout; diagnostics go to stderr.
 *
 * --tls: the client speaks TLS to ADDR (a relay that terminates TLS and
 * forwards plain bytes to the server below).  The server's certificate is
 * not checked against a CA (the benchmark's is self-signed), but the
 * handshake still verifies the server's signature.  No session is offered
 * or kept: every connection is a full handshake (SSL_OP_NO_TICKET, session
 * cache off).  --tls-resume (cps only): every connection offers a session
 * (ticket) the server gave, each ticket once, newest first, so after the
 * first ones they resume; the result line counts offered=N resumed=N.  TLS results also name the protocol, cipher
 * and key-exchange group negotiated.  LOADGEN_TLS_CIPHERSUITES in the
 * environment, if set, replaces the client's TLS 1.3 cipher suite list.
 * A TLS bulk client ends its upload with close_notify and then shuts down
 * its TCP write side.
 *
 * Server protocol: the first byte a connection sends chooses its mode for
 * its whole life.  'B' = bulk sink (everything is discarded; TCP uses
 * recv(MSG_TRUNC) so the sink copies nothing), anything else = echo (every
 * byte, the first included, is sent back).  The server closes a connection
 * when it reads EOF, so a client that shuts down its write side sees EOF
 * only after the sink has consumed every byte it sent: that is how bulk
 * mode knows all its bytes arrived, also through a relay, provided the relay
 * forwards the half-close.
 *
 * Invariants: clients never block in the data path except pingpong, which
 * deliberately uses blocking send/recv on its single connection (the
 * cheapest way to wait for one reply, so the client adds as little as
 * possible to the measured round trip).  A TLS bulk client does its
 * handshakes blocking, before the clock starts.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifndef LOADGEN_NO_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define MSG_SIZE 64
#define BULK_CHUNK (256 * 1024)
#define SINK_CHUNK (1024 * 1024)
#define ECHO_BUF 16384

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Parse tcp:HOST:PORT, tcp://HOST:PORT, tcp:[v6]:PORT or unix:PATH. */
static void parse_addr(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strncmp(s, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
		const char *p = s + 5;

		if (strncmp(p, "//", 2) == 0)
			p += 2;
		if (strlen(p) >= sizeof(sun->sun_path) || *p == '\0')
			die("bad unix path: %s", s);
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, p);
		a->len = sizeof(*sun);
		a->family = AF_UNIX;
		return;
	}
	if (strncmp(s, "tcp:", 4) != 0)
		die("address must be tcp:HOST:PORT or unix:PATH: %s", s);
	const char *p = s + 4;
	if (strncmp(p, "//", 2) == 0)
		p += 2;
	char host[256];
	const char *port;
	if (*p == '[') {
		const char *e = strchr(p, ']');
		if (!e || e[1] != ':' || (size_t)(e - p - 1) >= sizeof(host))
			die("bad address: %s", s);
		memcpy(host, p + 1, e - p - 1);
		host[e - p - 1] = '\0';
		port = e + 2;
	} else {
		const char *c = strrchr(p, ':');
		if (!c || (size_t)(c - p) >= sizeof(host))
			die("bad address: %s", s);
		memcpy(host, p, c - p);
		host[c - p] = '\0';
		port = c + 1;
	}
	int pn = atoi(port);
	if (pn <= 0 || pn > 65535)
		die("bad port: %s", s);
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(pn);
		a->len = sizeof(*sin);
		a->family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(pn);
		a->len = sizeof(*sin6);
		a->family = AF_INET6;
	} else {
		die("numeric host required: %s", s);
	}
}

static void set_nodelay(int fd, int family)
{
	int one = 1;

	if (family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Blocking connect; returns fd or -1 with errno set. */
static int connect_blocking(const struct addr *a)
{
	int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	set_nodelay(fd, a->family);
	return fd;
}

/* Nonblocking connect; returns fd (connected or in progress) or -1. *done
 * tells whether it already completed. */
static int connect_nonblocking(const struct addr *a, int *done)
{
	int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	set_nodelay(fd, a->family);
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0) {
		*done = 1;
		return fd;
	}
	if (errno == EINPROGRESS) {
		*done = 0;
		return fd;
	}
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static int read_full(int fd, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* client TLS (--tls, --tls-resume) */

#ifndef LOADGEN_NO_TLS
typedef SSL tls_t;
static SSL_CTX *tls_ctx;	/* non-NULL: the client modes speak TLS */
/* --tls-resume: the sessions (tickets) the server gave and no connection
 * has offered yet, newest last; each is offered once (RFC 8446 C.4; offered
 * by several connections at once, OpenSSL's client left it out of some of
 * their ClientHellos).  A full handshake brings two tickets from OpenSSL
 * servers, a resumed one one, so the pool does not run dry. */
#define TLS_POOL 64
static SSL_SESSION *tls_pool[TLS_POOL];
static int tls_npool;
static uint64_t tls_offered;	/* connections that offered a session */

static int tls_new_session(SSL *ssl, SSL_SESSION *sess)
{
	(void)ssl;
	if (tls_npool == TLS_POOL) {	/* drop the oldest */
		SSL_SESSION_free(tls_pool[0]);
		memmove(tls_pool, tls_pool + 1, (TLS_POOL - 1) * sizeof(tls_pool[0]));
		tls_npool--;
	}
	tls_pool[tls_npool++] = sess;
	return 1;	/* the reference is ours */
}

static void tls_setup(int resume)
{
	const char *cs = getenv("LOADGEN_TLS_CIPHERSUITES");

	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (!tls_ctx)
		die("SSL_CTX_new failed");
	/* self-signed benchmark certificate: no CA check (the server's
	 * CertificateVerify signature is still checked by the handshake) */
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(tls_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* a relay that closes without close_notify ends the stream like EOF */
	SSL_CTX_set_options(tls_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (cs && *cs && SSL_CTX_set_ciphersuites(tls_ctx, cs) != 1)
		die("bad LOADGEN_TLS_CIPHERSUITES: %s", cs);
	if (resume) {
		SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_CLIENT |
					       SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(tls_ctx, tls_new_session);
	} else {
		SSL_CTX_set_options(tls_ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
	}
}

static const char *tls_error(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (!e)
		return errno ? strerror(errno) : "TLS error";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* A client TLS session on the connected socket fd; with --tls-resume it
 * offers the newest session not offered yet, if there is one. */
static tls_t *tls_new(int fd)
{
	SSL *ssl = SSL_new(tls_ctx);

	if (!ssl || SSL_set_fd(ssl, fd) != 1)
		die("SSL_new: %s", tls_error());
	if (tls_npool > 0) {
		SSL_SESSION *sess = tls_pool[--tls_npool];
		if (SSL_set_session(ssl, sess) == 1)
			tls_offered++;
		SSL_SESSION_free(sess);	/* the SSL holds its own reference */
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

/* Result r <= 0 of an SSL call: 0 = end of stream (close_notify or EOF);
 * -1 with errno EAGAIN and *want = EPOLLIN or EPOLLOUT = try again then;
 * -1 with another errno = failed. */
static int tls_ret(tls_t *ssl, int r, uint32_t *want)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*want = EPOLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want = EPOLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0 || errno == EAGAIN)
			errno = EIO;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* 1 = handshake done, else as tls_ret (0 is turned into a failure). */
static int tls_handshake(tls_t *ssl, uint32_t *want)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(ssl);
	if (r == 1)
		return 1;
	r = tls_ret(ssl, r, want);
	if (r == 0) {
		errno = ECONNRESET;
		r = -1;
	}
	return r;
}

static ssize_t tls_send(tls_t *ssl, const void *buf, size_t len, uint32_t *want)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_write(ssl, buf, (int)len);
	if (r > 0)
		return r;
	r = tls_ret(ssl, r, want);
	if (r == 0) {
		errno = EPIPE;
		r = -1;
	}
	return r;
}

static ssize_t tls_recv(tls_t *ssl, void *buf, size_t len, uint32_t *want)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_read(ssl, buf, (int)len);
	return r > 0 ? r : tls_ret(ssl, r, want);
}

/* Handshake on a blocking socket; NULL on failure. */
static tls_t *tls_connect_blocking(int fd)
{
	tls_t *ssl = tls_new(fd);

	ERR_clear_error();
	if (SSL_connect(ssl) == 1)
		return ssl;
	SSL_free(ssl);
	return NULL;
}

/* Send close_notify (once, without waiting for the peer's) and free. */
static void tls_close(tls_t *ssl)
{
	ERR_clear_error();
	SSL_shutdown(ssl);
	SSL_free(ssl);
}

static int tls_resumed(tls_t *ssl)
{
	return SSL_session_reused(ssl);
}

/* "tls=TLSv1.3 cipher=... group=..." for a result line */
static const char *tls_desc(tls_t *ssl)
{
	static char buf[192];
	int g = SSL_get_negotiated_group(ssl);
	const char *gn = g > 0 ? OBJ_nid2sn(g & ~TLSEXT_nid_unknown) : NULL;

	snprintf(buf, sizeof(buf), "tls=%s cipher=%s group=%s", SSL_get_version(ssl),
		 SSL_get_cipher_name(ssl), gn && *gn ? gn : "-");
	return buf;
}
#else
typedef void tls_t;
static void *tls_ctx;
static uint64_t tls_offered;
static void tls_setup(int resume)
{
	(void)resume;
	die("built without TLS (LOADGEN_NO_TLS): no --tls");
}
static const char *tls_error(void) { return "no TLS"; }
static tls_t *tls_new(int fd) { (void)fd; abort(); }
static int tls_handshake(tls_t *s, uint32_t *w) { (void)s; (void)w; abort(); }
static ssize_t tls_send(tls_t *s, const void *b, size_t l, uint32_t *w) { (void)s; (void)b; (void)l; (void)w; abort(); }
static ssize_t tls_recv(tls_t *s, void *b, size_t l, uint32_t *w) { (void)s; (void)b; (void)l; (void)w; abort(); }
static tls_t *tls_connect_blocking(int fd) { (void)fd; abort(); }
static void tls_close(tls_t *s) { (void)s; abort(); }
static int tls_resumed(tls_t *s) { (void)s; abort(); }
static const char *tls_desc(tls_t *s) { (void)s; abort(); }
#endif

/* Leading --tls / --tls-resume of a client mode's arguments. */
static void tls_flags(int *argc, char ***argv, int allow_resume)
{
	while (*argc > 0 && strncmp((*argv)[0], "--tls", 5) == 0) {
		const char *f = (*argv)[0];
		if (!strcmp(f, "--tls"))
			tls_setup(0);
		else if (!strcmp(f, "--tls-resume") && allow_resume)
			tls_setup(1);
		else
			die("unknown option %s", f);
		(*argc)--;
		(*argv)++;
	}
}

/* Nonblocking send/recv on a plain or TLS client connection: > 0 bytes;
 * 0 = EOF (recv); -1 with errno EAGAIN and *want = the epoll event to
 * wait for; -1 = failed. */
static ssize_t cl_send(int fd, tls_t *ssl, const void *buf, size_t len, uint32_t *want)
{
	if (ssl)
		return tls_send(ssl, buf, len, want);
	*want = EPOLLOUT;
	return send(fd, buf, len, MSG_NOSIGNAL);
}

static ssize_t cl_recv(int fd, tls_t *ssl, void *buf, size_t len, uint32_t *want)
{
	if (ssl)
		return tls_recv(ssl, buf, len, want);
	*want = EPOLLIN;
	return recv(fd, buf, len, 0);
}

/* ------------------------------------------------------------------ */
/* server */

enum { SRV_LISTENER, SRV_CONN };

struct srv_conn {
	int kind;		/* SRV_LISTENER or SRV_CONN */
	int fd;
	int family;
	char mode;		/* 0 = not yet known, 'B' = sink, 'E' = echo */
	size_t off, len;	/* pending echo bytes in buf */
	char *buf;
};

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void srv_close(int ep, struct srv_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	free(c);
}

static void srv_want(int ep, struct srv_conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Flush pending echo bytes; returns -1 on a fatal error. */
static int srv_flush(int ep, struct srv_conn *c)
{
	while (c->len > 0) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				srv_want(ep, c, EPOLLOUT);
				return 0;
			}
			return -1;
		}
		c->off += n;
		c->len -= n;
	}
	c->off = 0;
	srv_want(ep, c, EPOLLIN);
	return 0;
}

static void srv_readable(int ep, struct srv_conn *c, char *sinkbuf)
{
	ssize_t n;

	if (c->mode == 'B') {
		int fl = c->family == AF_UNIX ? 0 : MSG_TRUNC;
		n = recv(c->fd, sinkbuf, SINK_CHUNK, fl);
	} else {
		if (!c->buf && !(c->buf = malloc(ECHO_BUF)))
			die("out of memory");
		n = recv(c->fd, c->buf, ECHO_BUF, 0);
	}
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		srv_close(ep, c);
		return;
	}
	if (n == 0) {
		srv_close(ep, c);
		return;
	}
	if (c->mode == 0) {
		c->mode = c->buf[0] == 'B' ? 'B' : 'E';
		if (c->mode == 'B') {
			free(c->buf);	/* the first read is simply dropped */
			c->buf = NULL;
			return;
		}
	}
	if (c->mode == 'E') {
		c->off = 0;
		c->len = n;
		if (srv_flush(ep, c) < 0)
			srv_close(ep, c);
	}
}

static void srv_accept(int ep, struct srv_conn *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				fprintf(stderr, "loadgen server: accept: %s\n", strerror(errno));
			return;
		}
		struct srv_conn *c = calloc(1, sizeof(*c));
		if (!c)
			die("out of memory");
		c->kind = SRV_CONN;
		c->fd = fd;
		c->family = l->family;
		set_nodelay(fd, c->family);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
	}
}

static int cmd_server(int argc, char **argv)
{
	if (argc < 1)
		die("usage: loadgen server ADDR [ADDR...]");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	for (int i = 0; i < argc; i++) {
		struct addr a;
		parse_addr(argv[i], &a);
		int fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket: %s", strerror(errno));
		int one = 1;
		if (a.family == AF_UNIX)
			unlink(((struct sockaddr_un *)&a.ss)->sun_path);
		else
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a.ss, a.len) < 0)
			die("bind %s: %s", argv[i], strerror(errno));
		if (listen(fd, 4096) < 0)
			die("listen %s: %s", argv[i], strerror(errno));
		struct srv_conn *l = calloc(1, sizeof(*l));
		l->kind = SRV_LISTENER;
		l->fd = fd;
		l->family = a.family;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = l };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
	char *sinkbuf = malloc(SINK_CHUNK);
	if (!sinkbuf)
		die("out of memory");
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("listening pid=%d\n", (int)getpid());
	fflush(stdout);

	struct epoll_event evs[256];
	while (!stop_flag) {
		int n = epoll_wait(ep, evs, 256, 1000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			struct srv_conn *c = evs[i].data.ptr;
			if (c->kind == SRV_LISTENER) {
				srv_accept(ep, c);
			} else if (evs[i].events & EPOLLOUT) {
				if (srv_flush(ep, c) < 0)
					srv_close(ep, c);
			} else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				srv_readable(ep, c, sinkbuf);
			}
		}
	}
	for (int i = 0; i < argc; i++) {
		struct addr a;
		parse_addr(argv[i], &a);
		if (a.family == AF_UNIX)
			unlink(((struct sockaddr_un *)&a.ss)->sun_path);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* bulk */

/* TLS bulk at the deadline: finish a record SSL_write left half-sent
 * (counted in *bytes), then send close_notify, on the socket made blocking
 * for the purpose (20 s timeout).  Returns 0, or -1 if that failed. */
static int bulk_tls_finish(int fd, tls_t *ssl, const char *buf, int pending, uint64_t *bytes)
{
	struct timeval tv = { .tv_sec = 20 };
	uint32_t want;
	int ok = 0;

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (pending) {
		ssize_t w = tls_send(ssl, buf, BULK_CHUNK, &want);
		if (w > 0)
			*bytes += w;
		else
			ok = -1;
	}
#ifndef LOADGEN_NO_TLS
	if (ok == 0) {
		ERR_clear_error();
		if (SSL_shutdown(ssl) < 0)
			ok = -1;
	}
#endif
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return ok;
}

static int cmd_bulk(int argc, char **argv)
{
	tls_flags(&argc, &argv, 0);
	if (argc != 3)
		die("usage: loadgen bulk [--tls] ADDR CONNS SECONDS");
	struct addr a;
	parse_addr(argv[0], &a);
	int nconn = atoi(argv[1]);
	double secs = atof(argv[2]);
	if (nconn < 1 || nconn > 1024 || secs <= 0)
		die("bad CONNS or SECONDS");

	char *buf = malloc(BULK_CHUNK);
	if (!buf)
		die("out of memory");
	memset(buf, 'B', BULK_CHUNK);	/* first byte 'B' selects the sink */

	int *fds = calloc(nconn, sizeof(int));
	int *state = calloc(nconn, sizeof(int));	/* 0 sending, 1 draining, 2 done */
	tls_t **ssl = calloc(nconn, sizeof(*ssl));
	int *pending = calloc(nconn, sizeof(int));	/* TLS: SSL_write wants a retry */
	uint32_t *evmask = calloc(nconn, sizeof(uint32_t));
	char desc[192] = "";
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < nconn; i++) {
		fds[i] = connect_blocking(&a);
		if (fds[i] < 0)
			die("connect %s: %s", argv[0], strerror(errno));
		if (tls_ctx) {
			ssl[i] = tls_connect_blocking(fds[i]);
			if (!ssl[i])
				die("TLS handshake with %s: %s", argv[0], tls_error());
			if (i == 0)
				snprintf(desc, sizeof(desc), " %s", tls_desc(ssl[i]));
		}
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		evmask[i] = EPOLLOUT;
		struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = i };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}

	uint64_t bytes = 0;
	int errors = 0, done = 0, drained = 1;
	double t0 = now(), deadline = t0 + secs, tsend = 0, tend = 0;
	struct epoll_event evs[64];
	int sending = 1;
	while (done < nconn) {
		double t = now();
		if (sending && t >= deadline) {
			sending = 0;
			tsend = t;
			for (int i = 0; i < nconn; i++) {
				if (state[i] != 0)
					continue;
				if (ssl[i] && bulk_tls_finish(fds[i], ssl[i], buf, pending[i], &bytes) < 0)
					errors++;
				shutdown(fds[i], SHUT_WR);
				state[i] = 1;
				evmask[i] = EPOLLIN | EPOLLRDHUP;
				struct epoll_event ev = { .events = evmask[i], .data.u32 = i };
				epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
			}
		}
		if (!sending && t > tsend + 20.0) {
			drained = 0;	/* the relay never passed our EOF back */
			break;
		}
		int n = epoll_wait(ep, evs, 64, sending ? (int)((deadline - t) * 1000) + 1 : 200);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int k = 0; k < n; k++) {
			int i = evs[k].data.u32;
			uint32_t want = 0;
			if (state[i] == 0) {
				ssize_t w = cl_send(fds[i], ssl[i], buf, BULK_CHUNK, &want);
				if (w > 0) {
					bytes += w;
					pending[i] = 0;
					want = EPOLLOUT;
				} else if (w < 0 && errno == EAGAIN) {
					pending[i] = 1;
				} else if (w < 0 && errno != EINTR) {
					errors++;
					state[i] = 2;
					done++;
					epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
					continue;
				}
				/* TLS may want to read before it can write */
				if (want && want != evmask[i]) {
					evmask[i] = want;
					struct epoll_event ev = { .events = want, .data.u32 = i };
					epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
				}
			} else if (state[i] == 1) {
				/* a TLS session may hold more than one event's worth */
				char tmp[16384];
				ssize_t r;
				while ((r = cl_recv(fds[i], ssl[i], tmp, sizeof(tmp), &want)) > 0)
					;
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
					if (r < 0)
						errors++;
					state[i] = 2;
					done++;
					tend = now();
					epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
				}
			}
		}
	}
	if (!drained)
		tend = now();
	double el = tend - t0;
	printf("mode=bulk conns=%d bytes=%llu secs=%.4f send_secs=%.4f mibps=%.1f drained=%d errors=%d%s\n",
	       nconn, (unsigned long long)bytes, el, tsend - t0,
	       drained ? bytes / el / 1048576.0 : bytes / (tsend - t0) / 1048576.0,
	       drained, errors, desc);
	return errors || !drained ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* pingpong */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int cmd_pingpong(int argc, char **argv)
{
	if (argc != 2)
		die("usage: loadgen pingpong ADDR COUNT");
	struct addr a;
	parse_addr(argv[0], &a);
	long count = atol(argv[1]);
	if (count < 10)
		die("COUNT must be >= 10");
	int fd = connect_blocking(&a);
	if (fd < 0)
		die("connect %s: %s", argv[0], strerror(errno));
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	char out[MSG_SIZE], in[MSG_SIZE];
	memset(out, 'E', sizeof(out));
	uint64_t *rtt = malloc(count * sizeof(uint64_t));
	long warm = count / 20 < 200 ? count / 20 : 200;
	for (long i = -warm; i < count; i++) {
		uint64_t t = now_ns();
		if (write_full(fd, out, MSG_SIZE) < 0 || read_full(fd, in, MSG_SIZE) < 0)
			die("pingpong %s: %s after %ld round trips", argv[0], strerror(errno), i + warm);
		if (i >= 0)
			rtt[i] = now_ns() - t;
	}
	close(fd);
	double sum = 0;
	for (long i = 0; i < count; i++)
		sum += rtt[i];
	qsort(rtt, count, sizeof(uint64_t), cmp_u64);
	long i50 = (count * 50 + 99) / 100 - 1, i99 = (count * 99 + 99) / 100 - 1;
	printf("mode=pingpong count=%ld p50_us=%.2f p99_us=%.2f mean_us=%.2f min_us=%.2f max_us=%.2f\n",
	       count, rtt[i50] / 1e3, rtt[i99] / 1e3, sum / count / 1e3, rtt[0] / 1e3,
	       rtt[count - 1] / 1e3);
	return 0;
}

/* ------------------------------------------------------------------ */
/* cps and idle share a small connection state machine */

enum { CS_FREE, CS_CONNECTING, CS_HANDSHAKE, CS_SENDING, CS_READING, CS_IDLE };

struct cslot {
	int fd;
	int state;
	int got;
	uint32_t ev;		/* events the fd is registered for; 0 = not in the set */
	tls_t *ssl;		/* TLS session, with --tls */
	uint64_t t0;
};

/* Wait for events on slot s (add it to the epoll set if it is not in). */
static void cs_wait(int ep, struct cslot *s, uint32_t idx, uint32_t events)
{
	if (s->ev == events)
		return;
	struct epoll_event ev = { .events = events, .data.u32 = idx };
	epoll_ctl(ep, s->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &ev);
	s->ev = events;
}

/* Close slot s's connection (close_notify first for TLS); the slot is free. */
static void cs_close(struct cslot *s)
{
	if (s->ssl)
		tls_close(s->ssl);
	close(s->fd);	/* also removes it from the epoll set */
	s->ssl = NULL;
	s->fd = -1;
	s->ev = 0;
	s->state = CS_FREE;
}

/* TLS: go as far as the handshake, the 1-byte request and its echo go
 * without waiting.  1 = echo complete, 0 = waiting, -1 = failed. */
static int cs_tls_step(int ep, struct cslot *s, uint32_t idx)
{
	for (;;) {
		uint32_t want = 0;
		ssize_t r;
		if (s->state == CS_HANDSHAKE) {
			r = tls_handshake(s->ssl, &want);
			if (r == 1) {
				s->state = CS_SENDING;
				continue;
			}
		} else if (s->state == CS_SENDING) {
			r = tls_send(s->ssl, "E", 1, &want);
			if (r == 1) {
				s->state = CS_READING;
				continue;
			}
		} else {
			char in[1];
			r = tls_recv(s->ssl, in, 1, &want);
			if (r == 1)
				return 1;
			if (r == 0)
				return -1;
		}
		if (r < 0 && errno == EAGAIN) {
			cs_wait(ep, s, idx, want);
			return 0;
		}
		return -1;
	}
}

/* The connection of slot s is up: send the request (plain) or start the
 * handshake (TLS).  Returns as cs_tls_step. */
static int cs_connected(int ep, struct cslot *s, uint32_t idx)
{
	if (tls_ctx) {
		s->ssl = tls_new(s->fd);
		s->state = CS_HANDSHAKE;
		return cs_tls_step(ep, s, idx);
	}
	char out[MSG_SIZE];
	memset(out, 'E', sizeof(out));
	if (send(s->fd, out, MSG_SIZE, MSG_NOSIGNAL) != MSG_SIZE)
		return -1;
	s->state = CS_READING;
	cs_wait(ep, s, idx, EPOLLIN);
	return 0;
}

/* Start a connection in slot s: connect, and send the request as soon as
 * it is connected (after the handshake, for TLS).  Returns 0; -2 when the
 * listener's backlog is full (EAGAIN from connect on a Unix socket: try
 * again later); -1 on any other immediate failure.  On failure the slot
 * stays CS_FREE. */
static int cs_start(int ep, const struct addr *a, struct cslot *s, uint32_t idx)
{
	int done = 0;

	s->t0 = now_ns();
	s->state = CS_FREE;
	s->ev = 0;
	s->ssl = NULL;
	s->fd = connect_nonblocking(a, &done);
	if (s->fd < 0)
		return errno == EAGAIN ? -2 : -1;
	s->got = 0;
	if (done) {
		/* (a TLS echo cannot be complete before the server answered) */
		if (cs_connected(ep, s, idx) < 0) {
			cs_close(s);
			return -1;
		}
	} else {
		s->state = CS_CONNECTING;
		cs_wait(ep, s, idx, EPOLLOUT);
	}
	return 0;
}

/* Advance slot s (epoll index idx) on an event.  Returns 1 when the echo is
 * complete, 0 when more is needed, -1 on error (the connection is closed and
 * the slot freed). */
static int cs_event(int ep, struct cslot *s, uint32_t idx)
{
	int r;

	if (s->state == CS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			goto fail;
		r = cs_connected(ep, s, idx);
		if (r < 0)
			goto fail;
		return r;
	}
	if (s->ssl && s->state != CS_IDLE) {
		r = cs_tls_step(ep, s, idx);
		if (r < 0)
			goto fail;
		return r;
	}
	if (s->state == CS_READING) {
		char in[MSG_SIZE];
		ssize_t n = recv(s->fd, in, MSG_SIZE - s->got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			goto fail;
		s->got += n;
		return s->got == MSG_SIZE ? 1 : 0;
	}
	return 0;
fail:
	/* a failed TLS session is freed without close_notify */
	if (s->ssl) {
#ifndef LOADGEN_NO_TLS
		SSL_free(s->ssl);
#endif
		s->ssl = NULL;
	}
	cs_close(s);
	return -1;
}

static int cmd_cps(int argc, char **argv)
{
	tls_flags(&argc, &argv, 1);
	if (argc != 3)
		die("usage: loadgen cps [--tls|--tls-resume] ADDR PARALLEL SECONDS");
	struct addr a;
	parse_addr(argv[0], &a);
	int par = atoi(argv[1]);
	double secs = atof(argv[2]);
	if (par < 1 || par > 4096 || secs <= 0)
		die("bad PARALLEL or SECONDS");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct cslot *slots = calloc(par, sizeof(*slots));
	uint64_t conns = 0, errors = 0, busy = 0, resumed = 0;
	double lat_sum = 0;
	double t0 = now(), deadline = t0 + secs;
	int active = 0;
	char desc[192] = "";
	struct epoll_event evs[256];

	for (;;) {
		double t = now();
		if (t >= deadline && active == 0)
			break;
		if (t > deadline + 10.0)
			break;	/* something hung; report what we have */
		/* (re)start free slots until the deadline */
		int backoff = 0;
		for (int i = 0; t < deadline && active < par && i < par; i++) {
			if (slots[i].state != CS_FREE)
				continue;
			int r = cs_start(ep, &a, &slots[i], i);
			if (r == 0) {
				active++;
			} else {
				r == -2 ? busy++ : errors++;
				backoff = 1;
				break;
			}
		}
		int n = epoll_wait(ep, evs, 256, backoff ? 1 : 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int k = 0; k < n; k++) {
			uint32_t i = evs[k].data.u32;
			struct cslot *s = &slots[i];
			int r = cs_event(ep, s, i);
			if (r == 0)
				continue;
			active--;
			if (r < 0) {
				errors++;
				continue;
			}
			/* complete: close; the slot is started again at the top */
			lat_sum += (now_ns() - s->t0) / 1e3;
			conns++;
			if (s->ssl) {
				resumed += tls_resumed(s->ssl);
				if (!desc[0])
					snprintf(desc, sizeof(desc), " %s", tls_desc(s->ssl));
			}
			cs_close(s);
		}
	}
	double el = now() - t0;
	char rs[64] = "";
	if (tls_ctx)
		snprintf(rs, sizeof(rs), " offered=%llu resumed=%llu", (unsigned long long)tls_offered,
			 (unsigned long long)resumed);
	printf("mode=cps parallel=%d conns=%llu secs=%.4f cps=%.0f mean_conn_us=%.1f errors=%llu backlog_full=%llu%s%s\n",
	       par, (unsigned long long)conns, el, conns / el, conns ? lat_sum / conns : 0.0,
	       (unsigned long long)errors, (unsigned long long)busy, rs, desc);
	return conns == 0 ? 1 : 0;
}

static int cmd_idle(int argc, char **argv)
{
	tls_flags(&argc, &argv, 0);
	if (argc != 3)
		die("usage: loadgen idle [--tls] ADDR N HOLD_SECONDS");
	struct addr a;
	parse_addr(argv[0], &a);
	int total = atoi(argv[1]);
	double hold = atof(argv[2]);
	if (total < 1 || total > 1000000)
		die("bad N");
	const int window = 32;	/* connections being set up at once */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct cslot *slots = calloc(total, sizeof(*slots));
	/* queue of slot indexes still to (re)start */
	uint32_t *todo = malloc(total * sizeof(uint32_t));
	size_t head = 0, count = total;
	for (int i = 0; i < total; i++)
		todo[i] = i;
	int established = 0, inflight = 0;
	uint64_t errors = 0, busy = 0;
	double t0 = now();
	struct epoll_event evs[256];

	while (established < total && now() - t0 < 120.0) {
		int backoff = 0;
		while (inflight < window && count > 0) {
			uint32_t i = todo[head];
			int r = cs_start(ep, &a, &slots[i], i);
			if (r != 0) {
				r == -2 ? busy++ : errors++;
				backoff = 1;
				break;	/* keep it queued; retry after a short wait */
			}
			head = (head + 1) % total;
			count--;
			inflight++;
		}
		int n = epoll_wait(ep, evs, 256, backoff ? 1 : 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int k = 0; k < n; k++) {
			uint32_t i = evs[k].data.u32;
			struct cslot *s = &slots[i];
			int r = cs_event(ep, s, i);
			if (r == 1) {
				epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
				s->ev = 0;
				s->state = CS_IDLE;
				established++;
				inflight--;
			} else if (r < 0) {
				errors++;	/* requeue it */
				inflight--;
				todo[(head + count) % total] = i;
				count++;
			}
		}
	}
	double el = now() - t0;
	printf("mode=idle n=%d established=%d secs=%.3f errors=%llu backlog_full=%llu\n", total,
	       established, el, (unsigned long long)errors, (unsigned long long)busy);
	fflush(stdout);
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	double end = now() + hold;
	while (!stop_flag && now() < end)
		usleep(20000);
	/* count connections the relay dropped while we held them (a TLS
	 * server may have sent session tickets: only a hang-up counts there) */
	int alive = 0;
	for (int i = 0; i < total; i++) {
		if (slots[i].state != CS_IDLE)
			continue;
		struct pollfd p = { .fd = slots[i].fd, .events = tls_ctx ? POLLRDHUP : POLLIN | POLLRDHUP };
		if (poll(&p, 1, 0) == 0)
			alive++;
	}
	fprintf(stderr, "loadgen idle: %d of %d still open at the end of the hold\n", alive, established);
	return established == total ? 0 : 1;
}

static int cmd_probe(int argc, char **argv)
{
	tls_flags(&argc, &argv, 0);
	if (argc < 1)
		die("usage: loadgen probe [--tls] ADDR [TIMEOUT_S]");
	struct addr a;
	parse_addr(argv[0], &a);
	int fd = connect_blocking(&a);
	if (fd < 0)
		return 1;
	double to = argc > 1 ? atof(argv[1]) : 2.0;
	struct timeval tv = { .tv_sec = (long)to, .tv_usec = (long)((to - (long)to) * 1e6) };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	char out[MSG_SIZE], in[MSG_SIZE];
	memset(out, 'E', sizeof(out));
	int ok;
	if (tls_ctx) {
		tls_t *ssl = tls_connect_blocking(fd);
		size_t got = 0;
		uint32_t want;
		ok = ssl && tls_send(ssl, out, MSG_SIZE, &want) == MSG_SIZE;
		while (ok && got < MSG_SIZE) {
			ssize_t n = tls_recv(ssl, in + got, MSG_SIZE - got, &want);
			if (n <= 0)
				ok = 0;
			else
				got += n;
		}
		ok = ok && memcmp(in, out, MSG_SIZE) == 0;
		if (ssl)
			tls_close(ssl);
	} else {
		ok = write_full(fd, out, MSG_SIZE) == 0 && read_full(fd, in, MSG_SIZE) == 0 &&
		     memcmp(in, out, MSG_SIZE) == 0;
	}
	close(fd);
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------------ */
/* procstat */

struct pinfo {
	int pid, ppid;
};

static int read_stat(int pid, int *ppid, unsigned long long *ticks)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	/* fields after comm: 3 state, 4 ppid, ... 14 utime 15 stime 16 cutime 17 cstime */
	char state;
	int pp;
	unsigned long long f[4];
	if (sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
		   &state, &pp, &f[0], &f[1], &f[2], &f[3]) != 6)
		return -1;
	*ppid = pp;
	if (ticks)
		*ticks = f[0] + f[1] + f[2] + f[3];
	return 0;
}

static long read_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) == 0) {
			v = atol(line + kl);
			break;
		}
	}
	fclose(f);
	return v;
}

static int cmd_procstat(int argc, char **argv)
{
	if (argc != 1)
		die("usage: loadgen procstat PID");
	int root = atoi(argv[0]);
	DIR *d = opendir("/proc");
	if (!d)
		die("opendir /proc: %s", strerror(errno));
	size_t cap = 1024, np = 0;
	struct pinfo *ps = malloc(cap * sizeof(*ps));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		int pid = atoi(de->d_name), ppid;
		if (read_stat(pid, &ppid, NULL) < 0)
			continue;
		if (np == cap)
			ps = realloc(ps, (cap *= 2) * sizeof(*ps));
		ps[np].pid = pid;
		ps[np].ppid = ppid;
		np++;
	}
	closedir(d);
	/* mark descendants of root (repeat until no change; trees are shallow) */
	char *in = calloc(np, 1);
	int found = 0;
	for (size_t i = 0; i < np; i++)
		if (ps[i].pid == root)
			in[i] = 1, found = 1;
	if (!found) {
		printf("procs=0 cpu_s=0 rss_kb=0 pss_kb=0\n");
		return 1;
	}
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < np; i++) {
			if (in[i])
				continue;
			for (size_t j = 0; j < np; j++) {
				if (in[j] && ps[j].pid == ps[i].ppid) {
					in[i] = 1;
					changed = 1;
					break;
				}
			}
		}
	}
	unsigned long long ticks = 0;
	long rss = 0, pss = 0;
	int procs = 0;
	size_t plen = 0;
	char *pids = calloc(np * 12 + 2, 1);
	for (size_t i = 0; i < np; i++) {
		if (!in[i])
			continue;
		unsigned long long t;
		int pp;
		if (read_stat(ps[i].pid, &pp, &t) < 0)
			continue;
		char path[64];
		ticks += t;
		snprintf(path, sizeof(path), "/proc/%d/status", ps[i].pid);
		long v = read_kb(path, "VmRSS:");
		if (v > 0)
			rss += v;
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", ps[i].pid);
		v = read_kb(path, "Pss:");
		if (v > 0)
			pss += v;
		procs++;
		plen += sprintf(pids + plen, "%s%d", plen ? "," : "", ps[i].pid);
	}
	printf("procs=%d cpu_s=%.3f rss_kb=%ld pss_kb=%ld pids=%s\n", procs,
	       (double)ticks / sysconf(_SC_CLK_TCK), rss, pss, pids);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: loadgen server|bulk|pingpong|cps|idle|probe|procstat [--tls] ...");
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *m = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(m, "server"))
		return cmd_server(argc, argv);
	if (!strcmp(m, "bulk"))
		return cmd_bulk(argc, argv);
	if (!strcmp(m, "pingpong"))
		return cmd_pingpong(argc, argv);
	if (!strcmp(m, "cps"))
		return cmd_cps(argc, argv);
	if (!strcmp(m, "idle"))
		return cmd_idle(argc, argv);
	if (!strcmp(m, "probe"))
		return cmd_probe(argc, argv);
	if (!strcmp(m, "procstat"))
		return cmd_procstat(argc, argv);
	die("unknown mode %s", m);
	return 2;
}

/*
 * loadgen.c - load generator, sink/echo server and /proc sampler for the
 * mptnd benchmark (bench/run.sh).  libc only, one file.
 *
 *   loadgen server ADDR [ADDR...]        sink + echo server (epoll, one thread)
 *   loadgen bulk ADDR CONNS SECONDS       bulk upload into the sink
 *   loadgen pingpong ADDR COUNT           64-byte round trips on one connection
 *   loadgen cps ADDR PARALLEL SECONDS     connect/send 64/read 64/close loops
 *   loadgen idle ADDR N HOLD_SECONDS      open N verified connections and hold them
 *   loadgen probe ADDR [TIMEOUT_S]        one echo round trip; exit 0 if it worked
 *   loadgen procstat PID                  CPU time and memory of PID and its descendants
 *                                         (utime+stime+cutime+cstime, VmRSS, Pss, pids)
 *
 * ADDR is tcp:HOST:PORT, tcp://HOST:PORT, tcp:[::1]:PORT or unix:PATH (numeric
 * hosts only).  Every client mode prints exactly one result line of
 * key=value pairs on stdout; diagnostics go to stderr.
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
 * possible to the measured round trip).
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

static int cmd_bulk(int argc, char **argv)
{
	if (argc != 3)
		die("usage: loadgen bulk ADDR CONNS SECONDS");
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
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < nconn; i++) {
		fds[i] = connect_blocking(&a);
		if (fds[i] < 0)
			die("connect %s: %s", argv[0], strerror(errno));
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
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
				shutdown(fds[i], SHUT_WR);
				state[i] = 1;
				struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = i };
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
			if (state[i] == 0) {
				ssize_t w = send(fds[i], buf, BULK_CHUNK, MSG_NOSIGNAL);
				if (w > 0) {
					bytes += w;
				} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
					errors++;
					state[i] = 2;
					done++;
					epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
				}
			} else if (state[i] == 1) {
				char tmp[4096];
				ssize_t r = recv(fds[i], tmp, sizeof(tmp), 0);
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
	printf("mode=bulk conns=%d bytes=%llu secs=%.4f send_secs=%.4f mibps=%.1f drained=%d errors=%d\n",
	       nconn, (unsigned long long)bytes, el, tsend - t0,
	       drained ? bytes / el / 1048576.0 : bytes / (tsend - t0) / 1048576.0,
	       drained, errors);
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

enum { CS_FREE, CS_CONNECTING, CS_READING, CS_IDLE };

struct cslot {
	int fd;
	int state;
	int got;
	uint64_t t0;
};

/* Start a connection in slot s: connect, and send the 64-byte request as
 * soon as it is connected.  Returns 0; -2 when the listener's backlog is
 * full (EAGAIN from connect on a Unix socket: try again later); -1 on any
 * other immediate failure.  On failure the slot stays CS_FREE. */
static int cs_start(int ep, const struct addr *a, struct cslot *s, uint32_t idx)
{
	int done = 0;

	s->t0 = now_ns();
	s->state = CS_FREE;
	s->fd = connect_nonblocking(a, &done);
	if (s->fd < 0)
		return errno == EAGAIN ? -2 : -1;
	s->got = 0;
	struct epoll_event ev = { .data.u32 = idx };
	if (done) {
		char out[MSG_SIZE];
		memset(out, 'E', sizeof(out));
		if (send(s->fd, out, MSG_SIZE, MSG_NOSIGNAL) != MSG_SIZE) {
			close(s->fd);
			return -1;
		}
		s->state = CS_READING;
		ev.events = EPOLLIN;
	} else {
		s->state = CS_CONNECTING;
		ev.events = EPOLLOUT;
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	return 0;
}

/* Advance slot s (epoll index idx) on an event.  Returns 1 when the echo is
 * complete, 0 when more is needed, -1 on error (the fd is closed and the
 * slot freed). */
static int cs_event(int ep, struct cslot *s, uint32_t idx)
{
	if (s->state == CS_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			goto fail;
		char out[MSG_SIZE];
		memset(out, 'E', sizeof(out));
		if (send(s->fd, out, MSG_SIZE, MSG_NOSIGNAL) != MSG_SIZE)
			goto fail;
		s->state = CS_READING;
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };
		epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
		return 0;
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
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->fd = -1;
	s->state = CS_FREE;
	return -1;
}

static int cmd_cps(int argc, char **argv)
{
	if (argc != 3)
		die("usage: loadgen cps ADDR PARALLEL SECONDS");
	struct addr a;
	parse_addr(argv[0], &a);
	int par = atoi(argv[1]);
	double secs = atof(argv[2]);
	if (par < 1 || par > 4096 || secs <= 0)
		die("bad PARALLEL or SECONDS");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct cslot *slots = calloc(par, sizeof(*slots));
	uint64_t conns = 0, errors = 0, busy = 0;
	double lat_sum = 0;
	double t0 = now(), deadline = t0 + secs;
	int active = 0;
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
			close(s->fd);	/* also removes it from the epoll set */
			s->fd = -1;
			s->state = CS_FREE;
		}
	}
	double el = now() - t0;
	printf("mode=cps parallel=%d conns=%llu secs=%.4f cps=%.0f mean_conn_us=%.1f errors=%llu backlog_full=%llu\n",
	       par, (unsigned long long)conns, el, conns / el, conns ? lat_sum / conns : 0.0,
	       (unsigned long long)errors, (unsigned long long)busy);
	return conns == 0 ? 1 : 0;
}

static int cmd_idle(int argc, char **argv)
{
	if (argc != 3)
		die("usage: loadgen idle ADDR N HOLD_SECONDS");
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
	/* count connections the relay dropped while we held them */
	int alive = 0;
	for (int i = 0; i < total; i++) {
		if (slots[i].state != CS_IDLE)
			continue;
		struct pollfd p = { .fd = slots[i].fd, .events = POLLIN | POLLRDHUP };
		if (poll(&p, 1, 0) == 0)
			alive++;
	}
	fprintf(stderr, "loadgen idle: %d of %d still open at the end of the hold\n", alive, established);
	return established == total ? 0 : 1;
}

static int cmd_probe(int argc, char **argv)
{
	if (argc < 1)
		die("usage: loadgen probe ADDR [TIMEOUT_S]");
	struct addr a;
	parse_addr(argv[0], &a);
	int fd = connect_blocking(&a);
	if (fd < 0)
		return 1;
	double to = argc > 1 ? atof(argv[1]) : 2.0;
	struct timeval tv = { .tv_sec = (long)to, .tv_usec = (long)((to - (long)to) * 1e6) };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char out[MSG_SIZE], in[MSG_SIZE];
	memset(out, 'E', sizeof(out));
	int ok = write_full(fd, out, MSG_SIZE) == 0 && read_full(fd, in, MSG_SIZE) == 0 &&
		 memcmp(in, out, MSG_SIZE) == 0;
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
		die("usage: loadgen server|bulk|pingpong|cps|idle|probe|procstat ...");
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

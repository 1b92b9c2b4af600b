/*
 * sctp.c - the sctp:// transport as a loadable module: its transport table,
 * its `transport sctp { }` settings, and the SCTP thread.
 *
 * usrsctp is one stack per process and must be driven by one event loop, and
 * mptnd's workers are several threads, so the module runs its own thread
 * with its own event_base (the "SCTP thread"); the core never sees an SCTP
 * socket. Each association is bridged to the core through a kernel stream
 * socket (sctp-relay.c):
 *  - listen (main thread) creates a Unix listening socket with an abstract
 *    name and returns it: the core accepts on it like on any other. The
 *    SCTP thread listens on the SCTP port and, for each new association,
 *    connects a Unix socket bound to "\0mptnd-sctp-TAG-aID" to it and
 *    relays; peer_name reads the association id back from getpeername();
 *  - connect (a worker) posts a request to the SCTP thread and returns a
 *    dial_wait() dial; once the association is up the thread makes a socket
 *    pair, keeps one end and hands the other to dial_token_complete().
 * Requests reach the thread through a mutex-protected queue and an event.
 *
 * Settings, `transport sctp { module sctp; KEY VALUE ... }` (defaults):
 * udp-port PORT (9899), bind IP (repeatable; 127.0.0.1), streams N (16),
 * max-message SIZE (256k), rto-min / rto-initial / rto-max DURATION (1s,
 * 3s, 60s), heartbeat DURATION (1s), max-retrans N (10), path-mtu N
 * (1452), sndbuf / rcvbuf SIZE (1m or twice max-message), backend
 * auto|kernel|udp (auto: kernel SCTP when the probe finds it). They are read
 * when the module starts; a reload that changes them only warns.
 * Addresses: sctp://HOST[,HOST...]:PORT with IP literals (listen: a bind
 * address or '*'), options udp=PORT (target: the peer's UDP port, 9899),
 * framing=none|length|length-sid, half-close=wait|close, peer=mptnd|any,
 * streams=N, chunk=SIZE (framing none: the largest message, 64k). The UDP
 * backend uses only the first host; multi-homing needs the kernel backend.
 */
#include "common.h"
#include "dial.h"
#include "log.h"
#include "transport.h"
#include "uri.h"

#include "sctp-framing.h"
#include "sctp-kernel.h"
#include "sctp-relay.h"
#include "sctp-usrsctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SCTP_UNSET		UINT64_MAX
#define SCTP_HOSTS_MAX		8
#define SCTP_DEFAULT_UDP_PORT	9899
#define SCTP_DEFAULT_STREAMS	16
#define SCTP_DEFAULT_MAX_MSG	(256 * 1024)
#define SCTP_DEFAULT_CHUNK	(64 * 1024)
#define SCTP_DEFAULT_HEARTBEAT	1000	/* pitfall 16: bounds the 0.9.5 stall */
#define SCTP_DEFAULT_MTU	1452
#define SCTP_STOP_GRACE_MS	2000
#define SCTP_STOP_FINISH_MS	3000
#define SCTP_NAME_BUCKETS	256

enum sctp_backend { SCTP_BACKEND_AUTO, SCTP_BACKEND_KERNEL, SCTP_BACKEND_UDP };

/* ---- module settings ------------------------------------------------------- */

struct sctp_conf {
	struct sockaddr_storage bind[SCTP_BIND_MAX];
	size_t nbind;
	uint64_t udp_port, streams, max_message, rto_min, rto_initial, rto_max, heartbeat;
	uint64_t path_mtu, sndbuf, rcvbuf, backend, max_retrans;
};

static struct sctp_conf conf_next = {
	.udp_port = SCTP_UNSET, .streams = SCTP_UNSET, .max_message = SCTP_UNSET,
	.rto_min = SCTP_UNSET, .rto_initial = SCTP_UNSET, .rto_max = SCTP_UNSET,
	.heartbeat = SCTP_UNSET, .path_mtu = SCTP_UNSET, .sndbuf = SCTP_UNSET,
	.rcvbuf = SCTP_UNSET, .backend = SCTP_UNSET, .max_retrans = SCTP_UNSET,
};
static struct sctp_conf conf;		/* in force once started */

enum sctp_kw_type { KW_UINT, KW_SIZE, KW_DURATION, KW_IP, KW_BACKEND };

struct sctp_kw {
	const char *key;
	enum sctp_kw_type type;
	size_t off;
	uint64_t min, max;
};

static const struct sctp_kw sctp_kws[] = {
	{ "udp-port", KW_UINT, offsetof(struct sctp_conf, udp_port), 0, 65535 },
	{ "bind", KW_IP, 0, 0, 0 },
	{ "streams", KW_UINT, offsetof(struct sctp_conf, streams), 1, 65535 },
	{ "max-message", KW_SIZE, offsetof(struct sctp_conf, max_message), 1, 64u << 20 },
	{ "rto-min", KW_DURATION, offsetof(struct sctp_conf, rto_min), 1, 600000 },
	{ "rto-initial", KW_DURATION, offsetof(struct sctp_conf, rto_initial), 1, 600000 },
	{ "rto-max", KW_DURATION, offsetof(struct sctp_conf, rto_max), 1, 600000 },
	{ "heartbeat", KW_DURATION, offsetof(struct sctp_conf, heartbeat), 1, 3600000 },
	{ "path-mtu", KW_UINT, offsetof(struct sctp_conf, path_mtu), 576, 16384 },
	{ "sndbuf", KW_SIZE, offsetof(struct sctp_conf, sndbuf), 64 * 1024, 256u << 20 },
	{ "rcvbuf", KW_SIZE, offsetof(struct sctp_conf, rcvbuf), 64 * 1024, 256u << 20 },
	{ "backend", KW_BACKEND, offsetof(struct sctp_conf, backend), 0, 0 },
	{ "max-retrans", KW_UINT, offsetof(struct sctp_conf, max_retrans), 1, 255 },
};

static int
sctp_parse_ip(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		return 0;
	}
	return -1;
}

static bool
sctp_ip_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

static bool sctp_running;

/* One `KEY VALUE` line of the module's block. */
static int
sctp_configure(const char *key, const char *value, char **cause)
{
	const struct sctp_kw *kw = NULL;
	struct sctp_conf *c = &conf_next;
	uint64_t v = 0, old;
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(sctp_kws); i++) {
		if (strcmp(sctp_kws[i].key, key) == 0)
			kw = &sctp_kws[i];
	}
	if (kw == NULL) {
		xasprintf(cause, "unknown setting '%s' (udp-port, bind, streams, max-message, rto-min, "
		    "rto-initial, rto-max, heartbeat, max-retrans, path-mtu, sndbuf, rcvbuf, backend)", key);
		return -1;
	}
	switch (kw->type) {
	case KW_IP: {
		struct sockaddr_storage ss;

		if (sctp_parse_ip(value, &ss) != 0) {
			xasprintf(cause, "bind: '%s' is not an IP address", value);
			return -1;
		}
		for (i = 0; i < c->nbind; i++) {
			if (sctp_ip_eq(&c->bind[i], &ss))
				return 0;
		}
		if (c->nbind == SCTP_BIND_MAX) {
			xasprintf(cause, "bind: at most %d addresses", SCTP_BIND_MAX);
			return -1;
		}
		c->bind[c->nbind++] = ss;
		if (sctp_running && !sctp_ip_eq(&ss, &conf.bind[0]))
			log_warning("transport sctp: bind %s applies at the next restart", value);
		return 0;
	}
	case KW_BACKEND:
		if (strcmp(value, "auto") == 0)
			v = SCTP_BACKEND_AUTO;
		else if (strcmp(value, "kernel") == 0)
			v = SCTP_BACKEND_KERNEL;
		else if (strcmp(value, "udp") == 0)
			v = SCTP_BACKEND_UDP;
		else {
			xasprintf(cause, "backend takes auto, kernel or udp, not '%s'", value);
			return -1;
		}
		break;
	case KW_UINT:
		if (parse_uint(value, kw->min, kw->max, &v, cause) != 0)
			return -1;
		break;
	case KW_SIZE:
	case KW_DURATION:
		if ((kw->type == KW_SIZE ? parse_size(value, &v, cause) :
		    parse_duration(value, &v, cause)) != 0)
			return -1;
		if (v < kw->min || v > kw->max) {
			xasprintf(cause, "%s: %s is out of range", key, value);
			return -1;
		}
		break;
	}
	old = *(uint64_t *)((char *)&conf + kw->off);
	*(uint64_t *)((char *)c + kw->off) = v;
	if (sctp_running && old != v)
		log_warning("transport sctp: %s %s applies at the next restart", key, value);
	return 0;
}

/* Defaults, then checks across settings. */
static int
sctp_conf_finish(struct sctp_conf *c, char **cause)
{
	if (c->nbind == 0) {
		sctp_parse_ip("127.0.0.1", &c->bind[0]);
		c->nbind = 1;
	}
#define SCTP_DEFAULT(f, v) do { if (c->f == SCTP_UNSET) c->f = (v); } while (0)
	SCTP_DEFAULT(udp_port, SCTP_DEFAULT_UDP_PORT);
	SCTP_DEFAULT(streams, SCTP_DEFAULT_STREAMS);
	SCTP_DEFAULT(max_message, SCTP_DEFAULT_MAX_MSG);
	SCTP_DEFAULT(rto_min, 1000);		/* RFC 9260 defaults */
	SCTP_DEFAULT(rto_initial, 3000);
	SCTP_DEFAULT(rto_max, 60000);
	SCTP_DEFAULT(heartbeat, SCTP_DEFAULT_HEARTBEAT);
	SCTP_DEFAULT(path_mtu, SCTP_DEFAULT_MTU);
	SCTP_DEFAULT(backend, SCTP_BACKEND_AUTO);
	SCTP_DEFAULT(max_retrans, 10);		/* RFC 9260 Association.Max.Retrans */
	/* a whole message must fit the send buffer (non-blocking sends are all or nothing) */
	SCTP_DEFAULT(sndbuf, c->max_message * 2 > 1024 * 1024 ? c->max_message * 2 : 1024 * 1024);
	SCTP_DEFAULT(rcvbuf, c->max_message * 2 > 1024 * 1024 ? c->max_message * 2 : 1024 * 1024);
#undef SCTP_DEFAULT
	if (c->rto_min > c->rto_initial || c->rto_initial > c->rto_max) {
		xasprintf(cause, "transport sctp: rto-min <= rto-initial <= rto-max is required "
		    "(%llums, %llums, %llums)", (unsigned long long)c->rto_min,
		    (unsigned long long)c->rto_initial, (unsigned long long)c->rto_max);
		return -1;
	}
	if (c->sndbuf <= c->max_message) {
		xasprintf(cause, "transport sctp: sndbuf must exceed max-message");
		return -1;
	}
	return 0;
}

/* ---- addresses --------------------------------------------------------------- */

struct sctp_addr {
	struct sockaddr_storage hosts[SCTP_HOSTS_MAX];
	size_t nhosts;
	bool wildcard;			/* listen on '*' */
	unsigned port;
	unsigned udp;			/* connect: the peer's UDP port */
	bool udp_set;
	struct sctp_relay_conf rc;
	uint64_t streams;		/* SCTP_UNSET: the module's */
	uint64_t chunk;
};

static int
sctp_set_udp(void *priv, const char *v, char **cause)
{
	uint64_t n;

	if (parse_uint(v, 1, 65535, &n, cause) != 0)
		return -1;
	((struct sctp_addr *)priv)->udp = (unsigned)n;
	((struct sctp_addr *)priv)->udp_set = true;
	return 0;
}

static int
sctp_set_framing(void *priv, const char *v, char **cause)
{
	if (sctp_framing_parse(v, &((struct sctp_addr *)priv)->rc.framing) != 0) {
		xasprintf(cause, "takes none, length or length-sid");
		return -1;
	}
	return 0;
}

static int
sctp_set_half_close(void *priv, const char *v, char **cause)
{
	struct sctp_addr *a = priv;

	if (strcmp(v, "wait") == 0)
		a->rc.half_close_close = false;
	else if (strcmp(v, "close") == 0)
		a->rc.half_close_close = true;
	else {
		xasprintf(cause, "takes wait or close");
		return -1;
	}
	return 0;
}

static int
sctp_set_peer(void *priv, const char *v, char **cause)
{
	struct sctp_addr *a = priv;

	if (strcmp(v, "mptnd") == 0)
		a->rc.peer_mptnd = true;
	else if (strcmp(v, "any") == 0)
		a->rc.peer_mptnd = false;
	else {
		xasprintf(cause, "takes mptnd or any");
		return -1;
	}
	return 0;
}

static int
sctp_set_streams(void *priv, const char *v, char **cause)
{
	return parse_uint(v, 1, 65535, &((struct sctp_addr *)priv)->streams, cause);
}

static int
sctp_set_chunk(void *priv, const char *v, char **cause)
{
	uint64_t n;

	if (parse_size(v, &n, cause) != 0)
		return -1;
	if (n < 1 || n > (64u << 20)) {
		xasprintf(cause, "out of range (1 to 64m)");
		return -1;
	}
	((struct sctp_addr *)priv)->chunk = n;
	return 0;
}

static const struct transport_opt sctp_opts[] = {
	{ "udp", TOPT_CONNECT, sctp_set_udp },
	{ "framing", TOPT_BOTH, sctp_set_framing },
	{ "half-close", TOPT_BOTH, sctp_set_half_close },
	{ "peer", TOPT_BOTH, sctp_set_peer },
	{ "streams", TOPT_BOTH, sctp_set_streams },
	{ "chunk", TOPT_BOTH, sctp_set_chunk },
};

extern const struct transport sctp_transport;

/* "//HOST[,HOST...]:PORT", hosts being IP literals ([v6]) or '*' (listen). */
static int
sctp_parse_hosts(const char *body, enum taddr_role role, struct sctp_addr *a, char **cause)
{
	const char *h, *colon, *bracket, *p;
	uint64_t port;
	char host[INET6_ADDRSTRLEN + 2];

	if (strncmp(body, "//", 2) != 0) {
		xasprintf(cause, "expected //HOST:PORT after the scheme");
		return -1;
	}
	h = body + 2;
	colon = strrchr(h, ':');
	bracket = strrchr(h, ']');
	if (colon == NULL || (bracket != NULL && bracket > colon)) {
		xasprintf(cause, "missing :PORT");
		return -1;
	}
	if (parse_uint(colon + 1, 1, 65535, &port, cause) != 0)
		return -1;
	a->port = (unsigned)port;
	for (p = h; p < colon;) {
		const char *end = memchr(p, ',', (size_t)(colon - p));
		size_t len;

		if (end == NULL)
			end = colon;
		len = (size_t)(end - p);
		if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
			p++;
			len -= 2;
		} else if (memchr(p, ':', len) != NULL) {
			xasprintf(cause, "IPv6 addresses need brackets, as in sctp://[::1]:PORT");
			return -1;
		}
		if (len == 0 || len >= sizeof host) {
			xasprintf(cause, "missing or overlong host");
			return -1;
		}
		memcpy(host, p, len);
		host[len] = '\0';
		if (strcmp(host, "*") == 0 && role == TADDR_LISTEN && a->nhosts == 0 && end == colon)
			a->wildcard = true;
		else if (a->nhosts == SCTP_HOSTS_MAX) {
			xasprintf(cause, "at most %d hosts", SCTP_HOSTS_MAX);
			return -1;
		} else if (sctp_parse_ip(host, &a->hosts[a->nhosts++]) != 0) {
			xasprintf(cause, "'%s' is not an IP address (sctp:// does not resolve names)", host);
			return -1;
		}
		p = end + (end < colon);
		if (end < colon && p == colon) {
			xasprintf(cause, "empty host after ','");
			return -1;
		}
	}
	return 0;
}

static int
sctp_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	struct sctp_addr *a = xcalloc(1, sizeof *a);

	a->udp = SCTP_DEFAULT_UDP_PORT;
	a->rc.framing = SCTP_FRAMING_NONE;
	a->streams = SCTP_UNSET;
	a->chunk = SCTP_UNSET;
	if (sctp_parse_hosts(u->body, role, a, cause) != 0 ||
	    transport_apply_opts(&sctp_transport, sctp_opts, MPTN_ARRAY_LEN(sctp_opts), u, role, a,
	    cause) != 0) {
		free(a);
		return -1;
	}
	if (a->nhosts > 1)
		log_info("%s: with the UDP backend only the first address is used (multi-homing "
		    "needs the kernel backend)", u->text);
	*priv = a;
	return 0;
}

static void
sctp_free_priv(void *priv)
{
	free(priv);
}

/* The relay settings of A under the module's settings C. */
static void
sctp_relay_conf_of(const struct sctp_conf *c, const struct sctp_addr *a, struct sctp_relay_conf *rc)
{
	*rc = a->rc;
	rc->max_message = (size_t)c->max_message;
	rc->streams = (unsigned)(a->streams != SCTP_UNSET ? a->streams : c->streams);
	rc->chunk = (size_t)(a->chunk != SCTP_UNSET ? a->chunk : SCTP_DEFAULT_CHUNK);
	if (rc->chunk > rc->max_message)
		rc->chunk = rc->max_message;
}

/* ---- association names, for peer_name ---------------------------------------- */

struct sctp_name {
	uint64_t id;
	char text[80];
	struct sctp_name *next;
};

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sctp_name *names[SCTP_NAME_BUCKETS];

static void
sctp_name_add(uint64_t id, const char *text)
{
	struct sctp_name *n = xcalloc(1, sizeof *n);

	n->id = id;
	snprintf(n->text, sizeof n->text, "%s", text);
	pthread_mutex_lock(&names_lock);
	n->next = names[id % SCTP_NAME_BUCKETS];
	names[id % SCTP_NAME_BUCKETS] = n;
	pthread_mutex_unlock(&names_lock);
}

static void
sctp_name_forget(uint64_t id)
{
	struct sctp_name **pp, *n = NULL;

	pthread_mutex_lock(&names_lock);
	for (pp = &names[id % SCTP_NAME_BUCKETS]; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			n = *pp;
			*pp = n->next;
			break;
		}
	}
	pthread_mutex_unlock(&names_lock);
	free(n);
}

static bool
sctp_name_get(uint64_t id, char *out, size_t len)
{
	struct sctp_name *n;
	bool found = false;

	pthread_mutex_lock(&names_lock);
	for (n = names[id % SCTP_NAME_BUCKETS]; n != NULL; n = n->next) {
		if (n->id == id) {
			snprintf(out, len, "%s", n->text);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&names_lock);
	return found;
}

/* ---- the SCTP thread --------------------------------------------------------- */

/* A listen address: the core's Unix listener and the SCTP thread's listener. */
struct sctp_listener {
	int fd;				/* the core accepts here */
	struct sockaddr_un sun;
	socklen_t sunlen;
	unsigned port;
	int bind_index;			/* -1: every UDP socket */
	struct sockaddr_storage hosts[SCTP_HOSTS_MAX];	/* kernel backend: bindx */
	size_t nhosts;
	struct sctp_relay_conf rc;
	char label[128];
	struct sctp_usrsctp_listener *usl;	/* SCTP thread */
	struct sctp_kernel_listener *kl;
	struct sctp_listener *next;
};

enum sctp_cmd_type { SCTP_CMD_LISTEN, SCTP_CMD_UNLISTEN, SCTP_CMD_CONNECT, SCTP_CMD_STOP };

struct sctp_connect_req {
	struct sockaddr_storage hosts[SCTP_HOSTS_MAX];
	size_t nhosts;
	unsigned port, udp;
	bool udp_set;
	struct sctp_relay_conf rc;
	struct dial_token *token;
	uint64_t timeout_ms;
};

struct sctp_cmd {
	enum sctp_cmd_type type;
	struct sctp_listener *l;
	struct sctp_connect_req *req;
	bool sync, done;
	int rc;
	char *cause;
	struct sctp_cmd *next;
};

static struct {
	pthread_t thread;
	struct event_base *base;
	struct event *cmd_ev, *stop_ev;
	pthread_mutex_t lock;		/* queue, listeners, start handshake */
	pthread_cond_t cond;
	struct sctp_cmd *head, **tail;
	struct sctp_listener *listeners;
	unsigned nlisteners;
	bool kernel;			/* the kernel backend is in use */
	bool init_done;
	int init_rc;
	char *init_cause;
	uint64_t next_id;		/* SCTP thread */
	uint64_t stop_ms;
	bool stopping, finished;
	char tag[40];			/* "PID-RANDOM": unique abstract names */
} st = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.tail = &st.head,
};

/* "PID-RANDOM", made once: abstract names unique among processes. */
static const char *
sctp_tag(void)
{
	uint32_t rnd = 0;

	pthread_mutex_lock(&st.lock);
	if (st.tag[0] == '\0') {
		if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
			rnd = (uint32_t)clock_ms();
		snprintf(st.tag, sizeof st.tag, "%ld-%08x", (long)getpid(), rnd);
	}
	pthread_mutex_unlock(&st.lock);
	return st.tag;
}

static void
sctp_relay_gone(uint64_t id)
{
	sctp_name_forget(id);
}

static void sctp_accept(void *arg, struct sctp_assoc *a);

/* Start the SCTP side of L (SCTP thread). */
static int
sctp_listener_start(struct sctp_listener *l, char **cause)
{
	char *why = NULL;

	if (st.kernel)
		l->kl = sctp_kernel_listen(l->hosts, l->nhosts, l->port, l->rc.streams, sctp_accept, l,
		    &why);
	else
		l->usl = sctp_usrsctp_listen(l->port, l->bind_index, l->rc.streams, sctp_accept, l, &why);
	if (l->kl == NULL && l->usl == NULL) {
		xasprintf(cause, "%s: %s", l->label, why);
		free(why);
		return -1;
	}
	log_debug("sctp: listening on %s", l->label);
	return 0;
}

static void
sctp_listener_stop(struct sctp_listener *l)
{
	sctp_usrsctp_unlisten(l->usl);
	sctp_kernel_unlisten(l->kl);
	l->usl = NULL;
	l->kl = NULL;
}

/* A new association on L's port (SCTP thread): connect it to the core's listener. */
static void
sctp_accept(void *arg, struct sctp_assoc *a)
{
	const struct sctp_assoc_ops *ops = st.kernel ? &sctp_kernel_ops : &sctp_usrsctp_ops;
	struct sctp_listener *l = arg;
	struct sockaddr_un me;
	uint64_t id = ++st.next_id;
	socklen_t len;
	int fd, n;

	memset(&me, 0, sizeof me);
	me.sun_family = AF_UNIX;
	n = snprintf(me.sun_path + 1, sizeof me.sun_path - 1, "mptnd-sctp-%s-a%llu", st.tag,
	    (unsigned long long)id);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, len) != 0) {
		log_warning("sctp: %s: cannot hand %s to the core: %s", l->label, ops->name(a),
		    strerror(errno));
		goto fail;
	}
	sctp_name_add(id, ops->name(a));
	if (connect(fd, (struct sockaddr *)&l->sun, l->sunlen) != 0 && errno != EINPROGRESS) {
		log_warning("sctp: %s: cannot hand %s to the core: %s", l->label, ops->name(a),
		    strerror(errno));
		sctp_name_forget(id);
		goto fail;
	}
	sctp_relay_accepted(ops, a, fd, id, &l->rc);
	return;
fail:
	if (fd >= 0)
		close(fd);
	ops->abort(a);
	ops->close(a);
}

static void
sctp_do_connect(struct sctp_connect_req *req)
{
	struct sctp_assoc *a;
	char *why = NULL;

	if (st.stopping) {
		/*
		 * The workers are gone, so the token cannot be completed, and
		 * dial.h has no call that only drops it: it leaks, once, at exit.
		 */
		free(req);
		return;
	}
	if (st.kernel)
		a = sctp_kernel_connect(req->hosts, req->nhosts, req->port, req->udp_set ? req->udp : 0,
		    req->rc.streams, &why);
	else
		a = sctp_usrsctp_connect(&req->hosts[0], req->udp, req->port, req->rc.streams, &why);
	if (a == NULL) {
		dial_token_complete(req->token, -1, ENETUNREACH, why);
		free(why);
		free(req);
		return;
	}
	free(why);
	sctp_relay_connecting(st.kernel ? &sctp_kernel_ops : &sctp_usrsctp_ops, a, req->token,
	    req->timeout_ms, ++st.next_id, &req->rc);
	free(req);
}

static void
sctp_stop_cb(evutil_socket_t unused, short what, void *arg)
{
	uint64_t waited = clock_ms() - st.stop_ms;

	if (sctp_relay_count() > 0 && waited < SCTP_STOP_GRACE_MS)
		return;
	if (sctp_relay_count() > 0)
		sctp_relay_abort_all();
	if (st.kernel || sctp_usrsctp_finish()) {
		st.finished = true;
		event_base_loopbreak(st.base);
	} else if (waited >= SCTP_STOP_GRACE_MS + SCTP_STOP_FINISH_MS) {
		log_warning("sctp: the stack still holds associations after %.1fs; leaving them",
		    (double)waited / 1000.0);
		event_base_loopbreak(st.base);
	}
}

static void
sctp_do_stop(void)
{
	struct timeval tick = { 0, 10000 };
	struct sctp_listener *l;

	st.stopping = true;
	st.stop_ms = clock_ms();
	pthread_mutex_lock(&st.lock);
	for (l = st.listeners; l != NULL; l = l->next)
		sctp_listener_stop(l);
	pthread_mutex_unlock(&st.lock);
	sctp_relay_shutdown_all();
	st.stop_ev = event_new(st.base, -1, EV_PERSIST, sctp_stop_cb, NULL);
	event_add(st.stop_ev, &tick);
}

static void
sctp_cmd_cb(evutil_socket_t unused, short what, void *arg)
{
	struct sctp_cmd *c, *next;

	pthread_mutex_lock(&st.lock);
	c = st.head;
	st.head = NULL;
	st.tail = &st.head;
	pthread_mutex_unlock(&st.lock);
	for (; c != NULL; c = next) {
		next = c->next;
		switch (c->type) {
		case SCTP_CMD_LISTEN:
			c->rc = sctp_listener_start(c->l, &c->cause);
			break;
		case SCTP_CMD_UNLISTEN:
			sctp_listener_stop(c->l);
			break;
		case SCTP_CMD_CONNECT:
			sctp_do_connect(c->req);
			break;
		case SCTP_CMD_STOP:
			sctp_do_stop();
			break;
		}
		if (c->sync) {
			pthread_mutex_lock(&st.lock);
			c->done = true;
			pthread_cond_broadcast(&st.cond);
			pthread_mutex_unlock(&st.lock);
		} else
			free(c);
	}
}

/* Queue C for the SCTP thread; with C->sync, wait until it ran. */
static void
sctp_post(struct sctp_cmd *c)
{
	bool sync = c->sync;	/* an async C may be freed as soon as it is queued */

	pthread_mutex_lock(&st.lock);
	c->next = NULL;
	*st.tail = c;
	st.tail = &c->next;
	pthread_mutex_unlock(&st.lock);
	event_active(st.cmd_ev, EV_READ, 0);
	if (!sync)
		return;
	pthread_mutex_lock(&st.lock);
	while (!c->done)
		pthread_cond_wait(&st.cond, &st.lock);
	pthread_mutex_unlock(&st.lock);
}

static int
sctp_thread_setup(char **cause)
{
	struct sctp_stack_conf sc;
	struct sctp_listener *l;
	size_t i;

	memset(&sc, 0, sizeof sc);
	for (i = 0; i < conf.nbind; i++)
		sc.bind[i] = conf.bind[i];
	sc.nbind = conf.nbind;
	sc.udp_port = (unsigned)conf.udp_port;
	sc.streams = (unsigned)conf.streams;
	sc.max_message = conf.max_message;
	sc.rto_min = conf.rto_min;
	sc.rto_initial = conf.rto_initial;
	sc.rto_max = conf.rto_max;
	sc.heartbeat = conf.heartbeat;
	sc.max_retrans = (unsigned)conf.max_retrans;
	sc.path_mtu = (unsigned)conf.path_mtu;
	sc.sndbuf = conf.sndbuf;
	sc.rcvbuf = conf.rcvbuf;
	sctp_relay_init(st.base, sctp_relay_gone);
	if (st.kernel) {
		struct sctp_kernel_conf kc = {
			.streams = sc.streams, .rto_min = (unsigned)sc.rto_min,
			.rto_initial = (unsigned)sc.rto_initial, .rto_max = (unsigned)sc.rto_max,
			.heartbeat = (unsigned)sc.heartbeat, .max_retrans = sc.max_retrans,
			.sndbuf = (unsigned)sc.sndbuf,
			.rcvbuf = (unsigned)sc.rcvbuf,
		};

		sctp_kernel_init(st.base, &kc);
		log_info("sctp: kernel SCTP backend");
	} else if (sctp_usrsctp_init(st.base, &sc, cause) != 0)
		return -1;
	pthread_mutex_lock(&st.lock);
	for (l = st.listeners; l != NULL; l = l->next) {
		if (sctp_listener_start(l, cause) != 0) {
			pthread_mutex_unlock(&st.lock);
			return -1;
		}
	}
	pthread_mutex_unlock(&st.lock);
	return 0;
}

static void *
sctp_thread_main(void *unused)
{
	char *cause = NULL;
	int rc = sctp_thread_setup(&cause);

	pthread_mutex_lock(&st.lock);
	st.init_done = true;
	st.init_rc = rc;
	st.init_cause = cause;
	pthread_cond_broadcast(&st.cond);
	pthread_mutex_unlock(&st.lock);
	if (rc != 0) {
		struct sctp_listener *l;

		for (l = st.listeners; l != NULL; l = l->next)
			sctp_listener_stop(l);
		sctp_usrsctp_free(sctp_usrsctp_finish());
		return NULL;
	}
	event_base_dispatch(st.base);
	sctp_usrsctp_free(st.finished);
	return NULL;
}

static int
sctp_start(char **cause)
{
	char *why = NULL;
	int err;

	conf = conf_next;
	if (sctp_conf_finish(&conf, cause) != 0)
		return -1;
	if (conf.backend != SCTP_BACKEND_UDP) {
		if (sctp_kernel_probe(&why) == 0)
			st.kernel = true;
		else if (conf.backend == SCTP_BACKEND_KERNEL) {
			xasprintf(cause, "transport sctp: backend kernel: %s", why);
			free(why);
			return -1;
		} else {
			log_info("sctp: %s; using usrsctp over UDP", why);
			free(why);
		}
	}
	sctp_tag();
	st.base = event_base_new();
	if (st.base == NULL) {
		xasprintf(cause, "transport sctp: event_base_new failed");
		return -1;
	}
	st.cmd_ev = event_new(st.base, -1, 0, sctp_cmd_cb, NULL);
	if ((err = pthread_create(&st.thread, NULL, sctp_thread_main, NULL)) != 0) {
		xasprintf(cause, "transport sctp: cannot start its thread: %s", strerror(err));
		return -1;
	}
	pthread_mutex_lock(&st.lock);
	while (!st.init_done)
		pthread_cond_wait(&st.cond, &st.lock);
	pthread_mutex_unlock(&st.lock);
	if (st.init_rc != 0) {
		pthread_join(st.thread, NULL);
		*cause = st.init_cause;
		return -1;
	}
	sctp_running = true;
	return 0;
}

static void
sctp_stop(void)
{
	struct sctp_cmd *c;

	if (!sctp_running)
		return;
	c = xcalloc(1, sizeof *c);
	c->type = SCTP_CMD_STOP;
	sctp_post(c);
	pthread_join(st.thread, NULL);
	sctp_running = false;
	event_free(st.cmd_ev);
	if (st.stop_ev != NULL)
		event_free(st.stop_ev);
	if (st.finished)
		event_base_free(st.base);
}

/* ---- the transport ------------------------------------------------------------ */

static int
sctp_listen(const struct taddr *ta, bool reuseport, int *fdp, char **cause)
{
	const struct sctp_addr *a = ta->priv;
	struct sctp_conf c = sctp_running ? conf : conf_next;
	struct sctp_listener *l, **pp;
	struct sctp_cmd cmd;
	char *why = NULL;
	size_t i;
	int fd, n;

	if (!sctp_running && sctp_conf_finish(&c, cause) != 0)
		return -1;
	l = xcalloc(1, sizeof *l);
	l->fd = -1;
	l->port = a->port;
	l->bind_index = -1;
	memcpy(l->hosts, a->hosts, sizeof l->hosts);
	l->nhosts = a->nhosts;
	if (!a->wildcard && c.backend != SCTP_BACKEND_UDP && sctp_kernel_probe(&why) == 0) {
		/* the kernel backend binds the URI's own addresses */
	} else if (!a->wildcard) {
		free(why);
		why = NULL;
		for (i = 0; i < c.nbind && !sctp_ip_eq(&c.bind[i], &a->hosts[0]); i++)
			;
		if (i == c.nbind) {
			xasprintf(cause, "%s: no UDP socket on that address (add `bind ADDRESS` to the "
			    "transport sctp block, or listen on sctp://*:%u)", ta->label, a->port);
			free(l);
			return -1;
		}
		l->bind_index = (int)i;
	}
	free(why);
	sctp_relay_conf_of(&c, a, &l->rc);
	snprintf(l->label, sizeof l->label, "%s", ta->label);
	l->sun.sun_family = AF_UNIX;
	sctp_tag();
	pthread_mutex_lock(&st.lock);
	n = snprintf(l->sun.sun_path + 1, sizeof l->sun.sun_path - 1, "mptnd-sctp-%s-l%u-%u",
	    st.tag, a->port, st.nlisteners++);
	pthread_mutex_unlock(&st.lock);
	l->sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&l->sun, l->sunlen) != 0 || listen(fd, 1024) != 0) {
		xasprintf(cause, "%s: its Unix listener: %s", ta->label, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(l);
		return -1;
	}
	l->fd = fd;
	pthread_mutex_lock(&st.lock);
	l->next = st.listeners;
	st.listeners = l;
	pthread_mutex_unlock(&st.lock);
	if (sctp_running) {
		memset(&cmd, 0, sizeof cmd);
		cmd.type = SCTP_CMD_LISTEN;
		cmd.l = l;
		cmd.sync = true;
		sctp_post(&cmd);
		if (cmd.rc != 0) {
			*cause = cmd.cause;
			pthread_mutex_lock(&st.lock);
			for (pp = &st.listeners; *pp != NULL; pp = &(*pp)->next) {
				if (*pp == l) {
					*pp = l->next;
					break;
				}
			}
			pthread_mutex_unlock(&st.lock);
			close(fd);
			free(l);
			return -1;
		}
	}
	*fdp = fd;
	return 0;
}

static void
sctp_unlisten(const struct taddr *ta, int fd)
{
	struct sctp_listener *l = NULL, **pp;
	struct sctp_cmd cmd;

	pthread_mutex_lock(&st.lock);
	for (pp = &st.listeners; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			l = *pp;
			*pp = l->next;
			break;
		}
	}
	pthread_mutex_unlock(&st.lock);
	if (l != NULL && sctp_running) {
		memset(&cmd, 0, sizeof cmd);
		cmd.type = SCTP_CMD_UNLISTEN;
		cmd.l = l;
		cmd.sync = true;
		sctp_post(&cmd);
	}
	free(l);
	close(fd);
}

static void
sctp_setup(const struct taddr *ta, int fd)
{
}

/*
 * The association behind an accepted fd, from the name its SCTP-thread end
 * is bound to. A connection from another process (abstract names are open
 * to anyone in the network namespace) is cut off here.
 */
static char *
sctp_peer_name(const struct taddr *ta, int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof sun;
	struct ucred cred;
	socklen_t clen = sizeof cred;
	char text[96], *out;
	const char *p;
	unsigned long long id;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid != getpid()) {
		static struct log_ratelimit rl;
		unsigned long suppressed;

		if (log_ratelimit_ok(&rl, 5000, &suppressed))
			log_warning("%s: a local process (pid %ld) connected to the module's internal "
			    "socket; cut off (%lu more not logged)", ta->label, (long)cred.pid, suppressed);
		/* no more bytes can come (its side is shut too); drop what came already */
		shutdown(fd, SHUT_RDWR);
		while (recv(fd, text, sizeof text, MSG_DONTWAIT) > 0)
			;
		xasprintf(&out, "sctp-foreign(pid=%ld)", (long)cred.pid);
		return out;
	}
	memset(&sun, 0, sizeof sun);
	if (getpeername(fd, (struct sockaddr *)&sun, &len) != 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path) + 1 || sun.sun_path[0] != '\0')
		return xstrdup(ta->label);	/* a socket pair: a target we dialled */
	/* "...-aID": the digits after the last 'a' */
	for (p = sun.sun_path + len - offsetof(struct sockaddr_un, sun_path) - 1;
	    p > sun.sun_path + 1 && p[-1] != 'a'; p--)
		;
	if (sscanf(p, "%llu", &id) == 1 && sctp_name_get(id, text, sizeof text))
		return xstrdup(text);
	return xstrdup("sctp://(gone)");
}

static struct dial *
sctp_connect(struct worker *w, const struct taddr *ta, uint64_t timeout_ms, dial_cb cb, void *arg)
{
	const struct sctp_addr *a = ta->priv;
	struct sctp_connect_req *req;
	struct dial_token *token;
	struct dial *d = dial_wait(w, timeout_ms, cb, arg, &token);
	struct sctp_cmd *c;

	if (!sctp_running) {
		dial_token_complete(token, -1, ENETDOWN, "the sctp module is not running");
		return d;
	}
	req = xcalloc(1, sizeof *req);
	memcpy(req->hosts, a->hosts, sizeof req->hosts);
	req->nhosts = a->nhosts;
	req->port = a->port;
	req->udp = a->udp;
	req->udp_set = a->udp_set;
	sctp_relay_conf_of(&conf, a, &req->rc);
	req->token = token;
	req->timeout_ms = timeout_ms;
	c = xcalloc(1, sizeof *c);
	c->type = SCTP_CMD_CONNECT;
	c->req = req;
	sctp_post(c);
	return d;
}

static const char *const sctp_schemes[] = { "sctp", NULL };

const struct transport sctp_transport = {
	.name = "sctp",
	.schemes = sctp_schemes,
	.flags = TRANSPORT_BYTE_STREAM | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD,
	.parse = sctp_parse,
	.free_priv = sctp_free_priv,
	.listen = sctp_listen,
	.unlisten = sctp_unlisten,
	.setup = sctp_setup,
	.peer_name = sctp_peer_name,
	.connect = sctp_connect,
};

#ifndef SCTP_MODULE_ABI
#define SCTP_MODULE_ABI MPTND_TRANSPORT_ABI
#endif

const struct transport_module mptnd_transport_module = {
	.abi = SCTP_MODULE_ABI,
	.size = sizeof(struct transport),
	.transport = &sctp_transport,
	.configure = sctp_configure,
	.start = sctp_start,
	.stop = sctp_stop,
};

/*
 * sctp-usrsctp.c - the usrsctp backend: one AF_CONN stack per process
 * (usrsctp_init_nothreads), driven by the SCTP thread's event_base, with
 * UDP sockets of its own as the wire (RFC 6951: the UDP payload is a plain
 * SCTP packet). See /work/shared/SCTP-NOTES.md §3 and its pitfalls.
 *
 * Invariants:
 *  - every usrsctp call, upcall and timer runs on the SCTP thread; upcalls
 *    only event_active() (pitfall 4) and are cleared before close (5);
 *  - a peer is a remote UDP address (ip, port) seen through one of our UDP
 *    sockets; usrsctp knows it only as an opaque handle (slot + 1 | gen <<
 *    16), registered with usrsctp_register_address (7). conn_output, which
 *    usrsctp's iterator thread may call too, looks the handle up under the
 *    peer lock and drops a stale one (8);
 *  - an unknown source becomes a peer only for a datagram that holds an INIT
 *    chunk first, addressed to an SCTP port we listen on through that UDP
 *    socket, within a rate limit; idle peers without associations are
 *    deregistered after US_PEER_IDLE_MS (9);
 *  - a listener scoped to one UDP socket aborts associations that came
 *    through another (11).
 */
#include "common.h"
#include "log.h"
#include "sctp-usrsctp.h"

#include <usrsctp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define US_PEERS_MAX		4096
#define US_HASH_SIZE		1024
#define US_BATCH		32	/* datagrams per recvmmsg */
#define US_BATCHES		8	/* recvmmsg calls per wakeup */
#define US_DGRAM_MAX		65536
#define US_PEER_IDLE_MS		30000
#define US_NEW_PEERS_PER_S	50
#define US_NEW_PEERS_BURST	100
#define US_UDP_BUF		(4 * 1024 * 1024)
#define US_TICK_MS		10
#define US_TIMER_LINGER_MS	60000	/* ticks go on this long after the last socket closed */

struct us_peer {
	bool used;
	uint16_t gen;
	int sock;			/* index into us.udp */
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned nassoc;
	uint64_t last_ms;
	int hnext;			/* hash chain, -1 ends */
	char ip[INET6_ADDRSTRLEN];
};

struct us_udp {
	int fd;
	struct event *ev;
	struct sockaddr_storage ss;
	socklen_t sslen;
};

struct sctp_usrsctp_listener {
	struct socket *so;
	unsigned port;
	int bind_index;
	sctp_accept_cb cb;
	void *arg;
	struct event *ev;
	struct sctp_usrsctp_listener *next;
};

struct sctp_assoc {
	struct socket *so;
	int peer;			/* slot, or -1 */
	uint16_t peer_gen;
	struct event *ev;		/* activated by the upcall */
	void (*wake)(void *);
	void *wake_arg;
	enum sctp_assoc_state state;
	unsigned outstreams;
	char name[80];
	uint8_t note[512];		/* a notification read in pieces */
	size_t notelen;
};

static struct {
	bool inited;
	struct event_base *base;
	struct sctp_stack_conf conf;
	struct us_udp udp[SCTP_BIND_MAX];
	size_t nudp;
	struct event *timer, *gc;
	bool ticking;
	unsigned nsockets;		/* usrsctp sockets open: listeners and associations */
	uint64_t last_close_ms;
	struct timespec last_tick;
	pthread_mutex_t lock;		/* peers: written here, read by conn_output */
	struct us_peer *peers;
	int hash[US_HASH_SIZE];
	int next_free;
	_Atomic uint64_t now_ms;
	double tokens;
	uint64_t tokens_ms;
	struct sctp_usrsctp_listener *listeners;
	uint8_t *bufs;
	struct mmsghdr msgs[US_BATCH];
	struct iovec iov[US_BATCH];
	struct sockaddr_storage from[US_BATCH];
	_Atomic unsigned long out_fail;
	unsigned long in_dropped, in_limited;
	struct log_ratelimit rl_limit, rl_full;
} us = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- peers ---------------------------------------------------------------- */

static void *
us_handle(int slot)
{
	return (void *)(((uintptr_t)us.peers[slot].gen << 16) | (uintptr_t)(slot + 1));
}

/* The slot of handle H (not checked against the table), or -1. */
static int
us_slot(const void *h, uint16_t *gen)
{
	uintptr_t v = (uintptr_t)h;
	int slot = (int)(v & 0xffff) - 1;

	*gen = (uint16_t)(v >> 16);
	return slot >= 0 && slot < US_PEERS_MAX ? slot : -1;
}

static bool
us_sockaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return false;
}

static unsigned
us_hash(int sock, const struct sockaddr_storage *ss)
{
	const uint8_t *p;
	size_t n, i;
	uint32_t h = 2166136261u ^ (uint32_t)sock;
	uint16_t port;

	if (ss->ss_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		n = 4;
		port = ((const struct sockaddr_in *)ss)->sin_port;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		n = 16;
		port = ((const struct sockaddr_in6 *)ss)->sin6_port;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h % US_HASH_SIZE;
}

static unsigned
us_port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int
us_peer_find(int sock, const struct sockaddr_storage *ss)
{
	int i;

	for (i = us.hash[us_hash(sock, ss)]; i >= 0; i = us.peers[i].hnext) {
		if (us.peers[i].sock == sock && us_sockaddr_eq(&us.peers[i].ss, ss))
			return i;
	}
	return -1;
}

/* A new peer for SS through UDP socket SOCK, registered with usrsctp; -1 when full. */
static int
us_peer_new(int sock, const struct sockaddr_storage *ss, socklen_t sslen)
{
	struct us_peer *p;
	unsigned h;
	int i, slot = -1;

	for (i = 0; i < US_PEERS_MAX; i++) {
		int s = (us.next_free + i) % US_PEERS_MAX;

		if (!us.peers[s].used) {
			slot = s;
			break;
		}
	}
	if (slot < 0)
		return -1;
	us.next_free = (slot + 1) % US_PEERS_MAX;
	h = us_hash(sock, ss);
	pthread_mutex_lock(&us.lock);
	p = &us.peers[slot];
	p->used = true;
	p->gen++;
	p->sock = sock;
	memset(&p->ss, 0, sizeof p->ss);
	memcpy(&p->ss, ss, sslen);
	p->sslen = sslen;
	p->nassoc = 0;
	p->last_ms = us.now_ms;
	p->hnext = us.hash[h];
	us.hash[h] = slot;
	pthread_mutex_unlock(&us.lock);
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, p->ip, sizeof p->ip);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, p->ip, sizeof p->ip);
	usrsctp_register_address(us_handle(slot));
	log_debug("sctp: peer %s udp %u registered (slot %d)", p->ip, us_port_of(ss), slot);
	return slot;
}

static void
us_peer_free(int slot)
{
	struct us_peer *p = &us.peers[slot];
	int *pp;

	usrsctp_deregister_address(us_handle(slot));
	log_debug("sctp: peer %s udp %u idle, deregistered", p->ip, us_port_of(&p->ss));
	pthread_mutex_lock(&us.lock);
	for (pp = &us.hash[us_hash(p->sock, &p->ss)]; *pp >= 0; pp = &us.peers[*pp].hnext) {
		if (*pp == slot) {
			*pp = p->hnext;
			break;
		}
	}
	p->used = false;
	p->gen++;
	pthread_mutex_unlock(&us.lock);
}

/* The live peer of handle H, or -1. */
static int
us_peer_of(const void *h)
{
	uint16_t gen;
	int slot = us_slot(h, &gen);

	if (slot < 0 || !us.peers[slot].used || us.peers[slot].gen != gen)
		return -1;
	return slot;
}

/* ---- the wire ---------------------------------------------------------------- */

/* usrsctp's packet output: may run on the iterator thread too (SCTP-NOTES §3). */
static int
us_conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	uint16_t gen;
	int slot = us_slot(addr, &gen), fd = -1;

	if (slot >= 0) {
		pthread_mutex_lock(&us.lock);
		if (us.peers != NULL && us.peers[slot].used && us.peers[slot].gen == gen) {
			ss = us.peers[slot].ss;
			sslen = us.peers[slot].sslen;
			fd = us.udp[us.peers[slot].sock].fd;
			us.peers[slot].last_ms = us.now_ms;
		}
		pthread_mutex_unlock(&us.lock);
	}
	/* A failed send is a lost packet: the stack retransmits (pitfall 17). */
	if (fd < 0 || sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sslen) < 0)
		us.out_fail++;
	return 0;
}

static bool
us_is_listening(int sock, unsigned port)
{
	const struct sctp_usrsctp_listener *l;

	for (l = us.listeners; l != NULL; l = l->next) {
		if (l->port == port && (l->bind_index < 0 || l->bind_index == sock))
			return true;
	}
	return false;
}

/* Token bucket for new peers. */
static bool
us_new_peer_ok(void)
{
	uint64_t now = us.now_ms;

	us.tokens += (double)(now - us.tokens_ms) * US_NEW_PEERS_PER_S / 1000.0;
	us.tokens_ms = now;
	if (us.tokens > US_NEW_PEERS_BURST)
		us.tokens = US_NEW_PEERS_BURST;
	if (us.tokens < 1.0)
		return false;
	us.tokens -= 1.0;
	return true;
}

static void
us_input(int sock, uint8_t *p, size_t len, const struct sockaddr_storage *from, socklen_t fromlen)
{
	unsigned long suppressed;
	int slot = us_peer_find(sock, from);

	if (slot < 0) {
		/* common header (12) and an INIT chunk (type 1, at least 20 bytes) first */
		if (len < 12 + 20 || p[12] != 1 || !us_is_listening(sock, (unsigned)(p[2] << 8 | p[3]))) {
			us.in_dropped++;
			return;
		}
		if (!us_new_peer_ok()) {
			us.in_limited++;
			if (log_ratelimit_ok(&us.rl_limit, 5000, &suppressed))
				log_warning("sctp: new peers arrive faster than %d/s; INIT dropped (%lu more "
				    "not logged)", US_NEW_PEERS_PER_S, suppressed);
			return;
		}
		if ((slot = us_peer_new(sock, from, fromlen)) < 0) {
			if (log_ratelimit_ok(&us.rl_full, 5000, &suppressed))
				log_warning("sctp: peer table full (%d); INIT dropped (%lu more not logged)",
				    US_PEERS_MAX, suppressed);
			return;
		}
	}
	us.peers[slot].last_ms = us.now_ms;
	usrsctp_conninput(us_handle(slot), p, len, 0);
}

static void
us_udp_cb(evutil_socket_t fd, short what, void *arg)
{
	int sock = (int)(intptr_t)arg, b, i, n;

	for (b = 0; b < US_BATCHES; b++) {
		for (i = 0; i < US_BATCH; i++) {
			us.iov[i].iov_base = us.bufs + (size_t)i * US_DGRAM_MAX;
			us.iov[i].iov_len = US_DGRAM_MAX;
			memset(&us.msgs[i].msg_hdr, 0, sizeof us.msgs[i].msg_hdr);
			us.msgs[i].msg_hdr.msg_iov = &us.iov[i];
			us.msgs[i].msg_hdr.msg_iovlen = 1;
			us.msgs[i].msg_hdr.msg_name = &us.from[i];
			us.msgs[i].msg_hdr.msg_namelen = sizeof us.from[i];
		}
		n = recvmmsg(fd, us.msgs, US_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++)
			us_input(sock, us.iov[i].iov_base, us.msgs[i].msg_len, &us.from[i],
			    us.msgs[i].msg_hdr.msg_namelen);
		if (n < US_BATCH)
			return;
	}
}

static uint64_t
us_clock_ms(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000 + (uint64_t)t->tv_nsec / 1000000;
}

/* The 10 ms tick: usrsctp has no "next timeout" call (pitfall 3). */
static void
us_timer_cb(evutil_socket_t unused, short what, void *arg)
{
	struct timespec now;
	uint64_t elapsed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us.now_ms = us_clock_ms(&now);
	elapsed = us_clock_ms(&now) - us_clock_ms(&us.last_tick);
	if (elapsed == 0)
		return;
	/* keep the sub-millisecond rest for the next tick */
	us.last_tick.tv_sec += (time_t)(elapsed / 1000);
	us.last_tick.tv_nsec += (long)(elapsed % 1000) * 1000000;
	if (us.last_tick.tv_nsec >= 1000000000) {
		us.last_tick.tv_sec++;
		us.last_tick.tv_nsec -= 1000000000;
	}
	usrsctp_handle_timers((uint32_t)(elapsed > UINT32_MAX ? UINT32_MAX : elapsed));
}

/* A socket is about to exist: the tick must run (pitfall 3: it stops when idle). */
static void
us_socket_opened(void)
{
	struct timeval tick = { 0, US_TICK_MS * 1000 };

	us.nsockets++;
	if (!us.ticking) {
		event_add(us.timer, &tick);
		us.ticking = true;
	}
}

static void
us_socket_closed(void)
{
	us.nsockets--;
	us.last_close_ms = us.now_ms;
}

static void
us_gc_cb(evutil_socket_t unused, short what, void *arg)
{
	struct timespec ts;
	uint64_t now;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = us_clock_ms(&ts);
	us.now_ms = now;
	/* no socket for a while: associations closing in the background are gone too */
	if (us.ticking && us.nsockets == 0 && now - us.last_close_ms > US_TIMER_LINGER_MS) {
		event_del(us.timer);
		us.ticking = false;
		log_debug("sctp: no sockets for %ds: the 10 ms tick stops", US_TIMER_LINGER_MS / 1000);
	}

	for (i = 0; i < US_PEERS_MAX; i++) {
		struct us_peer *p = &us.peers[i];

		if (p->used && p->nassoc == 0 && now - p->last_ms > US_PEER_IDLE_MS)
			us_peer_free(i);
	}
	if (us.in_dropped + us.in_limited > 0) {
		log_debug("sctp: dropped %lu datagrams from unknown sources, %lu INITs over the "
		    "rate limit, %lu failed sends", us.in_dropped, us.in_limited,
		    (unsigned long)us.out_fail);
		us.in_dropped = us.in_limited = 0;
	}
}

static void __attribute__((format(printf, 1, 2)))
us_debug(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_debug("usrsctp: %s", line);
}

static int
us_udp_open(size_t i, char **cause)
{
	struct us_udp *u = &us.udp[i];
	char text[INET6_ADDRSTRLEN];
	int fd, size = US_UDP_BUF, on = 1;

	u->ss = us.conf.bind[i];
	if (u->ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&u->ss)->sin_port = htons((uint16_t)us.conf.udp_port);
		u->sslen = sizeof(struct sockaddr_in);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&u->ss)->sin_addr, text, sizeof text);
	} else {
		((struct sockaddr_in6 *)&u->ss)->sin6_port = htons((uint16_t)us.conf.udp_port);
		u->sslen = sizeof(struct sockaddr_in6);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&u->ss)->sin6_addr, text, sizeof text);
	}
	fd = socket(u->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		xasprintf(cause, "sctp: UDP socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	if (u->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&u->ss, u->sslen) != 0) {
		xasprintf(cause, "sctp: UDP %s%s%s:%u: %s", u->ss.ss_family == AF_INET6 ? "[" : "",
		    text, u->ss.ss_family == AF_INET6 ? "]" : "", us.conf.udp_port, strerror(errno));
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&u->ss, &u->sslen);
	u->fd = fd;
	u->ev = event_new(us.base, fd, EV_READ | EV_PERSIST, us_udp_cb, (void *)(intptr_t)i);
	event_add(u->ev, NULL);
	log_info("sctp: usrsctp over UDP %s%s%s:%u (path MTU %u)", u->ss.ss_family == AF_INET6 ?
	    "[" : "", text, u->ss.ss_family == AF_INET6 ? "]" : "", us_port_of(&u->ss),
	    us.conf.path_mtu);
	return 0;
}

int
sctp_usrsctp_init(struct event_base *base, const struct sctp_stack_conf *conf, char **cause)
{
	struct timeval tick = { 0, US_TICK_MS * 1000 }, sec = { 1, 0 };
	size_t i;

	if (us.inited) {
		xasprintf(cause, "sctp: the usrsctp stack was started before");
		return -1;
	}
	us.base = base;
	us.conf = *conf;
	us.peers = xcalloc(US_PEERS_MAX, sizeof *us.peers);
	for (i = 0; i < US_HASH_SIZE; i++)
		us.hash[i] = -1;
	us.bufs = xmalloc((size_t)US_BATCH * US_DGRAM_MAX);
	clock_gettime(CLOCK_MONOTONIC, &us.last_tick);
	us.now_ms = us.tokens_ms = us_clock_ms(&us.last_tick);
	us.tokens = US_NEW_PEERS_BURST;
	for (i = 0; i < conf->nbind; i++) {
		if (us_udp_open(i, cause) != 0) {
			while (i-- > 0) {
				event_free(us.udp[i].ev);
				close(us.udp[i].fd);
			}
			free(us.peers);
			free(us.bufs);
			us.peers = NULL;
			us.bufs = NULL;
			return -1;
		}
		us.nudp++;
	}
	usrsctp_init_nothreads(0, us_conn_output, us_debug);
	us.inited = true;
	/* process-wide, for every socket created from now on (pitfall 1, 15) */
	usrsctp_sysctl_set_sctp_auto_asconf(0);
	usrsctp_sysctl_set_sctp_asconf_enable(0);
	usrsctp_sysctl_set_sctp_ecn_enable(0);
	usrsctp_sysctl_set_sctp_rto_min_default((uint32_t)conf->rto_min);
	usrsctp_sysctl_set_sctp_rto_max_default((uint32_t)conf->rto_max);
	usrsctp_sysctl_set_sctp_rto_initial_default((uint32_t)conf->rto_initial);
	usrsctp_sysctl_set_sctp_init_rto_max_default((uint32_t)conf->rto_max);
	usrsctp_sysctl_set_sctp_heartbeat_interval_default((uint32_t)conf->heartbeat);
	usrsctp_sysctl_set_sctp_assoc_rtx_max_default(conf->max_retrans);
	usrsctp_sysctl_set_sctp_path_rtx_max_default(conf->max_retrans < 5 ? conf->max_retrans : 5);
	usrsctp_sysctl_set_sctp_init_rtx_max_default(conf->max_retrans < 8 ? conf->max_retrans : 8);
	usrsctp_sysctl_set_sctp_sendspace((uint32_t)conf->sndbuf);
	usrsctp_sysctl_set_sctp_recvspace((uint32_t)conf->rcvbuf);
	usrsctp_sysctl_set_sctp_nr_outgoing_streams_default(conf->streams);
	us.timer = event_new(base, -1, EV_PERSIST, us_timer_cb, NULL);
	event_add(us.timer, &tick);
	us.ticking = true;
	us.last_close_ms = us.now_ms;
	us.gc = event_new(base, -1, EV_PERSIST, us_gc_cb, NULL);
	event_add(us.gc, &sec);
	return 0;
}

int
sctp_usrsctp_bind_index(const struct sockaddr_storage *ip)
{
	size_t i;

	for (i = 0; i < us.conf.nbind; i++) {
		const struct sockaddr_storage *b = &us.conf.bind[i];

		if (b->ss_family != ip->ss_family)
			continue;
		if (b->ss_family == AF_INET && ((const struct sockaddr_in *)b)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)ip)->sin_addr.s_addr)
			return (int)i;
		if (b->ss_family == AF_INET6 && memcmp(&((const struct sockaddr_in6 *)b)->sin6_addr,
		    &((const struct sockaddr_in6 *)ip)->sin6_addr, sizeof(struct in6_addr)) == 0)
			return (int)i;
	}
	return -1;
}

/* ---- sockets ------------------------------------------------------------------- */

/* Options every association socket gets (a listener's are inherited on accept). */
static void
us_sock_setup(struct socket *so, unsigned streams)
{
	const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT };
	struct sctp_initmsg im;
	struct sctp_paddrparams pp;
	struct sctp_event ev;
	int on = 1, sb = (int)us.conf.sndbuf, rb = (int)us.conf.rcvbuf;
	size_t i;

	usrsctp_set_non_blocking(so, 1);
	usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
	usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
	memset(&ev, 0, sizeof ev);
	ev.se_assoc_id = SCTP_FUTURE_ASSOC;
	ev.se_on = 1;
	for (i = 0; i < MPTN_ARRAY_LEN(events); i++) {
		ev.se_type = events[i];
		usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
	}
	memset(&im, 0, sizeof im);
	im.sinit_num_ostreams = (uint16_t)streams;
	im.sinit_max_instreams = (uint16_t)streams;
	usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
	/* no PMTU discovery over AF_CONN: a fixed path MTU (pitfall 12) */
	memset(&pp, 0, sizeof pp);
	pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
	pp.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_ENABLE;
	pp.spp_pathmtu = us.conf.path_mtu;
	pp.spp_hbinterval = (uint32_t)us.conf.heartbeat;
	usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp);
	usrsctp_setsockopt(so, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	usrsctp_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
}

static void
us_assoc_upcall(struct socket *so, void *arg, int flags)
{
	struct sctp_assoc *a = arg;

	event_active(a->ev, EV_READ, 0);
}

static void
us_assoc_event_cb(evutil_socket_t unused, short what, void *arg)
{
	struct sctp_assoc *a = arg;

	if (a->wake != NULL)
		a->wake(a->wake_arg);
}

static struct sctp_assoc *
us_assoc_new(struct socket *so, int slot, unsigned sctp_port, enum sctp_assoc_state state)
{
	struct sctp_assoc *a = xcalloc(1, sizeof *a);
	const struct us_peer *p = &us.peers[slot];

	a->so = so;
	a->peer = slot;
	a->peer_gen = p->gen;
	a->state = state;
	us.peers[slot].nassoc++;
	if (p->ss.ss_family == AF_INET6)
		snprintf(a->name, sizeof a->name, "sctp://[%s]:%u", p->ip, sctp_port);
	else
		snprintf(a->name, sizeof a->name, "sctp://%s:%u", p->ip, sctp_port);
	a->ev = event_new(us.base, -1, 0, us_assoc_event_cb, a);
	usrsctp_set_upcall(so, us_assoc_upcall, a);
	us_socket_opened();
	return a;
}

static void
us_listener_upcall(struct socket *so, void *arg, int flags)
{
	struct sctp_usrsctp_listener *l = arg;

	event_active(l->ev, EV_READ, 0);
}

static void
us_abort_socket(struct socket *so)
{
	struct linger lg = { 1, 0 };

	usrsctp_setsockopt(so, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	usrsctp_close(so);
}

static unsigned
us_status_outstreams(struct socket *so)
{
	struct sctp_status st;
	socklen_t len = sizeof st;

	memset(&st, 0, sizeof st);
	if (usrsctp_getsockopt(so, IPPROTO_SCTP, SCTP_STATUS, &st, &len) != 0)
		return 0;
	return st.sstat_outstrms;
}

static void
us_listener_cb(evutil_socket_t unused, short what, void *arg)
{
	struct sctp_usrsctp_listener *l = arg;

	for (;;) {
		struct sockaddr_conn sc;
		socklen_t len = sizeof sc;
		struct sctp_assoc *a;
		struct socket *so;
		int slot;

		memset(&sc, 0, sizeof sc);
		so = usrsctp_accept(l->so, (struct sockaddr *)&sc, &len);
		if (so == NULL)
			return;
		slot = us_peer_of(sc.sconn_addr);
		if (slot < 0 || (l->bind_index >= 0 && us.peers[slot].sock != l->bind_index)) {
			log_debug("sctp: association on port %u through another UDP socket; aborted",
			    l->port);
			us_abort_socket(so);
			continue;
		}
		a = us_assoc_new(so, slot, ntohs(sc.sconn_port), SCTP_ASSOC_UP);
		usrsctp_set_non_blocking(so, 1);
		a->outstreams = us_status_outstreams(so);
		l->cb(l->arg, a);
	}
}

struct sctp_usrsctp_listener *
sctp_usrsctp_listen(unsigned port, int bind_index, unsigned streams, sctp_accept_cb cb, void *arg,
    char **cause)
{
	struct sctp_usrsctp_listener *l;
	struct sockaddr_conn sc;
	struct socket *so;

	so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (so == NULL) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return NULL;
	}
	us_sock_setup(so, streams);
	memset(&sc, 0, sizeof sc);
	sc.sconn_family = AF_CONN;
	sc.sconn_port = htons((uint16_t)port);
	sc.sconn_addr = NULL;
	if (usrsctp_bind(so, (struct sockaddr *)&sc, sizeof sc) != 0 || usrsctp_listen(so, 128) != 0) {
		xasprintf(cause, "SCTP port %u: %s", port, strerror(errno));
		usrsctp_close(so);
		return NULL;
	}
	us_socket_opened();
	l = xcalloc(1, sizeof *l);
	l->so = so;
	l->port = port;
	l->bind_index = bind_index;
	l->cb = cb;
	l->arg = arg;
	l->ev = event_new(us.base, -1, 0, us_listener_cb, l);
	l->next = us.listeners;
	us.listeners = l;
	usrsctp_set_upcall(so, us_listener_upcall, l);
	event_active(l->ev, EV_READ, 0);
	return l;
}

void
sctp_usrsctp_unlisten(struct sctp_usrsctp_listener *l)
{
	struct sctp_usrsctp_listener **pp;

	if (l == NULL)
		return;
	for (pp = &us.listeners; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	usrsctp_set_upcall(l->so, NULL, NULL);
	usrsctp_close(l->so);
	us_socket_closed();
	event_free(l->ev);
	free(l);
}

struct sctp_assoc *
sctp_usrsctp_connect(const struct sockaddr_storage *ip, unsigned udp_port, unsigned port,
    unsigned streams, char **cause)
{
	struct sockaddr_storage ss = *ip;
	struct sockaddr_conn sc;
	struct sctp_assoc *a;
	struct socket *so;
	socklen_t sslen;
	int sock = -1, slot;
	size_t i;

	for (i = 0; i < us.nudp; i++) {
		if (us.udp[i].ss.ss_family == ip->ss_family) {
			sock = (int)i;
			break;
		}
	}
	if (sock < 0) {
		xasprintf(cause, "no UDP socket for %s (add a `bind` address of that family to the "
		    "transport sctp block)", ip->ss_family == AF_INET6 ? "IPv6" : "IPv4");
		return NULL;
	}
	if (ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)udp_port);
		sslen = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)udp_port);
		sslen = sizeof(struct sockaddr_in6);
	}
	if ((slot = us_peer_find(sock, &ss)) < 0 && (slot = us_peer_new(sock, &ss, sslen)) < 0) {
		xasprintf(cause, "peer table full (%d)", US_PEERS_MAX);
		return NULL;
	}
	us.peers[slot].last_ms = us.now_ms;
	so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (so == NULL) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return NULL;
	}
	us_sock_setup(so, streams);
	memset(&sc, 0, sizeof sc);
	sc.sconn_family = AF_CONN;
	sc.sconn_port = 0;
	sc.sconn_addr = NULL;
	if (usrsctp_bind(so, (struct sockaddr *)&sc, sizeof sc) != 0) {
		xasprintf(cause, "bind: %s", strerror(errno));
		usrsctp_close(so);
		return NULL;
	}
	a = us_assoc_new(so, slot, port, SCTP_ASSOC_CONNECTING);
	sc.sconn_port = htons((uint16_t)port);
	sc.sconn_addr = us_handle(slot);
	if (usrsctp_connect(so, (struct sockaddr *)&sc, sizeof sc) != 0 && errno != EINPROGRESS) {
		xasprintf(cause, "connect: %s", strerror(errno));
		a->state = SCTP_ASSOC_CANT_START;
	}
	return a;
}

/* ---- the association operations ------------------------------------------------ */

static void
us_notification(struct sctp_assoc *a, const uint8_t *buf, size_t len)
{
	union sctp_notification sn;
	const struct sctp_assoc_change *sac = &sn.sn_assoc_change;

	if (len < sizeof sn.sn_header)
		return;
	memset(&sn, 0, sizeof sn);
	memcpy(&sn, buf, len < sizeof sn ? len : sizeof sn);
	switch (sn.sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		switch (sac->sac_state) {
		case SCTP_COMM_UP:
			if (a->state == SCTP_ASSOC_CONNECTING || a->state == SCTP_ASSOC_UP) {
				a->state = SCTP_ASSOC_UP;
				a->outstreams = sac->sac_outbound_streams;
			}
			log_debug("sctp: %s up, %u/%u streams", a->name, sac->sac_outbound_streams,
			    sac->sac_inbound_streams);
			break;
		case SCTP_COMM_LOST:
		case SCTP_RESTART:
			a->state = a->state == SCTP_ASSOC_CONNECTING ? SCTP_ASSOC_CANT_START :
			    SCTP_ASSOC_LOST;
			log_debug("sctp: %s %s (error %u)", a->name, sac->sac_state == SCTP_RESTART ?
			    "restarted by the peer" : "lost", sac->sac_error);
			break;
		case SCTP_SHUTDOWN_COMP:
			a->state = SCTP_ASSOC_SHUTDOWN;
			break;
		case SCTP_CANT_STR_ASSOC:
			a->state = SCTP_ASSOC_CANT_START;
			log_debug("sctp: %s could not start (error %u)", a->name, sac->sac_error);
			break;
		}
		break;
	case SCTP_SHUTDOWN_EVENT:
		if (a->state == SCTP_ASSOC_UP)
			a->state = SCTP_ASSOC_SHUTDOWN;
		break;
	}
}

static ssize_t
us_recv(struct sctp_assoc *a, void *buf, size_t len, struct sctp_msginfo *info)
{
	for (;;) {
		struct sctp_rcvinfo rcv;
		struct sockaddr_storage from;
		socklen_t infolen = sizeof rcv, fromlen = sizeof from;
		unsigned int infotype = 0;
		int flags = 0;
		ssize_t n;

		memset(&rcv, 0, sizeof rcv);
		n = usrsctp_recvv(a->so, buf, len, (struct sockaddr *)&from, &fromlen, &rcv, &infolen,
		    &infotype, &flags);
		if (n < 0) {
			if (errno == EWOULDBLOCK || errno == EAGAIN ||
			    (errno == ENOTCONN && a->state == SCTP_ASSOC_CONNECTING)) {
				errno = EAGAIN;
				return -1;
			}
			if (a->state == SCTP_ASSOC_UP || a->state == SCTP_ASSOC_SHUTDOWN)
				a->state = SCTP_ASSOC_LOST;
			else if (a->state == SCTP_ASSOC_CONNECTING)
				a->state = SCTP_ASSOC_CANT_START;
			return -1;
		}
		if (n == 0)
			return 0;
		if (flags & MSG_NOTIFICATION) {
			size_t room = sizeof a->note - a->notelen, take = (size_t)n < room ? (size_t)n : room;

			memcpy(a->note + a->notelen, buf, take);
			a->notelen += take;
			if (flags & MSG_EOR) {
				us_notification(a, a->note, a->notelen);
				a->notelen = 0;
			}
			continue;
		}
		info->sid = infotype == SCTP_RECVV_RCVINFO ? rcv.rcv_sid : 0;
		info->ppid = infotype == SCTP_RECVV_RCVINFO ? ntohl(rcv.rcv_ppid) : 0;
		info->eor = (flags & MSG_EOR) != 0;
		return n;
	}
}

static int
us_send(struct sctp_assoc *a, const struct sctp_msginfo *info, const void *buf, size_t len)
{
	struct sctp_sndinfo si;
	ssize_t n;

	memset(&si, 0, sizeof si);
	si.snd_sid = info->sid;
	si.snd_ppid = htonl(info->ppid);
	n = usrsctp_sendv(a->so, buf, len, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0);
	return sctp_send_result(n, len);
}

static enum sctp_assoc_state
us_state(struct sctp_assoc *a)
{
	return a->state;
}

static unsigned
us_outstreams(struct sctp_assoc *a)
{
	if (a->outstreams == 0 && a->state == SCTP_ASSOC_UP)
		a->outstreams = us_status_outstreams(a->so);
	return a->outstreams;
}

static void
us_shutdown(struct sctp_assoc *a)
{
	usrsctp_shutdown(a->so, SHUT_WR);
}

static void
us_abort(struct sctp_assoc *a)
{
	struct linger lg = { 1, 0 };

	/* the ABORT goes out at close */
	usrsctp_setsockopt(a->so, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	a->state = SCTP_ASSOC_ABORTED;
}

static void
us_close(struct sctp_assoc *a)
{
	usrsctp_set_upcall(a->so, NULL, NULL);
	usrsctp_close(a->so);
	us_socket_closed();
	event_free(a->ev);
	if (us_peer_of(us_handle(a->peer)) == a->peer && us.peers[a->peer].gen == a->peer_gen) {
		us.peers[a->peer].nassoc--;
		us.peers[a->peer].last_ms = us.now_ms;
	}
	free(a);
}

static void
us_set_wake(struct sctp_assoc *a, void (*wake)(void *), void *arg)
{
	a->wake = wake;
	a->wake_arg = arg;
	if (wake != NULL)
		event_active(a->ev, EV_READ, 0);	/* it may hold data already (pitfall 6) */
}

static const char *
us_name(struct sctp_assoc *a)
{
	return a->name;
}

const struct sctp_assoc_ops sctp_usrsctp_ops = {
	.send = us_send,
	.recv = us_recv,
	.state = us_state,
	.outstreams = us_outstreams,
	.shutdown = us_shutdown,
	.abort = us_abort,
	.close = us_close,
	.set_wake = us_set_wake,
	.name = us_name,
};

/* ---- the end -------------------------------------------------------------------- */

bool
sctp_usrsctp_finish(void)
{
	return !us.inited || usrsctp_finish() == 0;
}

void
sctp_usrsctp_free(bool finished)
{
	size_t i;

	while (us.listeners != NULL)
		sctp_usrsctp_unlisten(us.listeners);
	if (us.timer != NULL)
		event_free(us.timer);
	if (us.gc != NULL)
		event_free(us.gc);
	us.timer = us.gc = NULL;
	for (i = 0; i < us.nudp; i++) {
		event_free(us.udp[i].ev);
		/* the iterator thread may still send when the stack did not finish */
		if (finished)
			close(us.udp[i].fd);
	}
	us.nudp = 0;
	free(us.bufs);
	us.bufs = NULL;
	if (finished) {
		pthread_mutex_lock(&us.lock);
		free(us.peers);
		us.peers = NULL;
		pthread_mutex_unlock(&us.lock);
	}
}

/*
 * sctp-kernel.c - the kernel SCTP backend: one-to-one (SOCK_STREAM)
 * IPPROTO_SCTP sockets driven by the SCTP thread's event_base. Messages go
 * out with sendmsg and an SCTP_SNDINFO cmsg and come in with recvmsg and an
 * SCTP_RCVINFO cmsg; notifications (ASSOC_CHANGE, SHUTDOWN_EVENT) arrive
 * inline with MSG_NOTIFICATION. Multi-homing: a listener binds every
 * address of its URI (SCTP_SOCKOPT_BINDX_ADD), a connect offers every
 * address (SCTP_SOCKOPT_CONNECTX). UDP encapsulation (RFC 6951, Linux >=
 * 5.11) is per socket: SCTP_REMOTE_UDP_ENCAPS_PORT, with net.sctp.udp_port
 * set on the host.
 *
 * Only <linux/sctp.h> is needed (no libsctp), and never usrsctp.h: the two
 * define the same structs with different option numbers (SCTP-NOTES §5).
 * Where the kernel has no SCTP (as on the machine this was written on),
 * sctp_kernel_probe() says so and nothing else here runs; the rest is
 * compiled everywhere but exercised only where kernel SCTP exists.
 */
#include "common.h"
#include "log.h"
#include "sctp-kernel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/sctp.h>
#endif

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

int
sctp_kernel_probe(char **cause)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd < 0) {
		xasprintf(cause, "kernel SCTP unavailable: %s", strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

#if defined(__linux__) && defined(SCTP_SNDINFO) && defined(SCTP_RCVINFO)

struct sctp_assoc {
	int fd;
	struct event *ev;
	void (*wake)(void *);
	void *wake_arg;
	enum sctp_assoc_state state;
	unsigned outstreams;
	char name[80];
	uint8_t note[512];
	size_t notelen;
};

struct sctp_kernel_listener {
	int fd;
	unsigned streams;
	struct event *ev;
	sctp_kernel_accept_cb cb;
	void *arg;
};

static struct event_base *kbase;
static struct sctp_kernel_conf kconf;

int
sctp_kernel_init(struct event_base *base, const struct sctp_kernel_conf *c)
{
	kbase = base;
	kconf = *c;
	return 0;
}

static socklen_t
k_sslen(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void
k_set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

static void
k_name(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(out, len, "sctp://[%s]:%u", ip, port);
			return;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(out, len, "sctp://%s:%u", ip, port);
}

/* Options for a new socket (accepted ones inherit the listener's). */
static void
k_sock_setup(int fd, unsigned streams, unsigned udp_port)
{
	const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT };
	struct sctp_initmsg im;
	struct sctp_rtoinfo rto;
	struct sctp_assocparams ap;
	struct sctp_paddrparams pp;
	struct sctp_event ev;
	int on = 1, sb = (int)kconf.sndbuf, rb = (int)kconf.rcvbuf;
	size_t i;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
	setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
	memset(&ev, 0, sizeof ev);
	ev.se_on = 1;
	for (i = 0; i < MPTN_ARRAY_LEN(events); i++) {
		ev.se_type = events[i];
		setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
	}
	memset(&im, 0, sizeof im);
	im.sinit_num_ostreams = (uint16_t)streams;
	im.sinit_max_instreams = (uint16_t)streams;
	setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof im);
	memset(&rto, 0, sizeof rto);
	rto.srto_initial = kconf.rto_initial;
	rto.srto_min = kconf.rto_min;
	rto.srto_max = kconf.rto_max;
	setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto);
	memset(&ap, 0, sizeof ap);
	ap.sasoc_asocmaxrxt = (uint16_t)kconf.max_retrans;
	setsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof ap);
	memset(&pp, 0, sizeof pp);
	pp.spp_flags = SPP_HB_ENABLE;
	pp.spp_hbinterval = kconf.heartbeat;
	setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp);
#ifdef SCTP_REMOTE_UDP_ENCAPS_PORT
	if (udp_port > 0) {
		struct sctp_udpencaps ue;

		memset(&ue, 0, sizeof ue);
		ue.sue_port = htons((uint16_t)udp_port);
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &ue, sizeof ue) != 0)
			log_debug("sctp: kernel UDP encapsulation port %u: %s", udp_port, strerror(errno));
	}
#endif
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
}

static void
k_assoc_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sctp_assoc *a = arg;

	if (a->wake != NULL)
		a->wake(a->wake_arg);
}

static struct sctp_assoc *
k_assoc_new(int fd, enum sctp_assoc_state state)
{
	struct sctp_assoc *a = xcalloc(1, sizeof *a);

	a->fd = fd;
	a->state = state;
	k_name(fd, a->name, sizeof a->name);
	a->ev = event_new(kbase, fd, EV_READ | EV_WRITE | EV_PERSIST | EV_ET, k_assoc_cb, a);
	event_add(a->ev, NULL);
	return a;
}

static unsigned
k_status_outstreams(int fd)
{
	struct sctp_status s;
	socklen_t len = sizeof s;

	memset(&s, 0, sizeof s);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &s, &len) != 0)
		return 0;
	return s.sstat_outstrms;
}

static void
k_listener_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sctp_kernel_listener *l = arg;

	for (;;) {
		struct sctp_assoc *a;
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0)
			return;
		a = k_assoc_new(c, SCTP_ASSOC_UP);
		a->outstreams = k_status_outstreams(c);
		l->cb(l->arg, a);
	}
}

struct sctp_kernel_listener *
sctp_kernel_listen(const struct sockaddr_storage *addrs, size_t naddrs, unsigned port,
    unsigned streams, sctp_kernel_accept_cb cb, void *arg, char **cause)
{
	struct sctp_kernel_listener *l;
	struct sockaddr_storage any, ss;
	int family = AF_INET, fd;
	size_t i;

	for (i = 0; i < naddrs; i++) {
		if (addrs[i].ss_family == AF_INET6)
			family = AF_INET6;
	}
	if (naddrs == 0) {
		/* '*': every address, both families */
		memset(&any, 0, sizeof any);
		any.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&any)->sin6_addr = in6addr_any;
		addrs = &any;
		naddrs = 1;
		family = AF_INET6;
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0) {
		xasprintf(cause, "kernel socket: %s", strerror(errno));
		return NULL;
	}
	k_sock_setup(fd, streams, 0);
	for (i = 0; i < naddrs; i++) {
		ss = addrs[i];
		k_set_port(&ss, port);
		if ((i == 0 ? bind(fd, (struct sockaddr *)&ss, k_sslen(&ss)) :
		    setsockopt(fd, IPPROTO_SCTP, SCTP_SOCKOPT_BINDX_ADD, &ss, k_sslen(&ss))) != 0) {
			xasprintf(cause, "SCTP port %u: %s", port, strerror(errno));
			close(fd);
			return NULL;
		}
	}
	if (listen(fd, 128) != 0) {
		xasprintf(cause, "SCTP port %u: listen: %s", port, strerror(errno));
		close(fd);
		return NULL;
	}
	l = xcalloc(1, sizeof *l);
	l->fd = fd;
	l->streams = streams;
	l->cb = cb;
	l->arg = arg;
	l->ev = event_new(kbase, fd, EV_READ | EV_PERSIST, k_listener_cb, l);
	event_add(l->ev, NULL);
	return l;
}

void
sctp_kernel_unlisten(struct sctp_kernel_listener *l)
{
	if (l == NULL)
		return;
	event_free(l->ev);
	close(l->fd);
	free(l);
}

struct sctp_assoc *
sctp_kernel_connect(const struct sockaddr_storage *addrs, size_t naddrs, unsigned port,
    unsigned udp_port, unsigned streams, char **cause)
{
	uint8_t packed[8 * sizeof(struct sockaddr_in6)];
	size_t i, off = 0;
	int family = AF_INET, fd;

	for (i = 0; i < naddrs; i++) {
		if (addrs[i].ss_family == AF_INET6)
			family = AF_INET6;
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0) {
		xasprintf(cause, "kernel socket: %s", strerror(errno));
		return NULL;
	}
	k_sock_setup(fd, streams, udp_port);
	/* connectx: the addresses packed one after the other, each its own size */
	for (i = 0; i < naddrs && off + sizeof(struct sockaddr_in6) <= sizeof packed; i++) {
		struct sockaddr_storage ss = addrs[i];

		k_set_port(&ss, port);
		memcpy(packed + off, &ss, k_sslen(&ss));
		off += k_sslen(&ss);
	}
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_SOCKOPT_CONNECTX, packed, (socklen_t)off) < 0 &&
	    errno != EINPROGRESS) {
		xasprintf(cause, "connect: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	return k_assoc_new(fd, SCTP_ASSOC_CONNECTING);
}

static void
k_notification(struct sctp_assoc *a, const uint8_t *buf, size_t len)
{
	union sctp_notification sn;

	if (len < sizeof sn.sn_header)
		return;
	memset(&sn, 0, sizeof sn);
	memcpy(&sn, buf, len < sizeof sn ? len : sizeof sn);
	switch (sn.sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		switch (sn.sn_assoc_change.sac_state) {
		case SCTP_COMM_UP:
			a->state = SCTP_ASSOC_UP;
			a->outstreams = sn.sn_assoc_change.sac_outbound_streams;
			k_name(a->fd, a->name, sizeof a->name);
			break;
		case SCTP_COMM_LOST:
		case SCTP_RESTART:
			a->state = a->state == SCTP_ASSOC_CONNECTING ? SCTP_ASSOC_CANT_START :
			    SCTP_ASSOC_LOST;
			break;
		case SCTP_SHUTDOWN_COMP:
			a->state = SCTP_ASSOC_SHUTDOWN;
			break;
		case SCTP_CANT_STR_ASSOC:
			a->state = SCTP_ASSOC_CANT_START;
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
k_recv(struct sctp_assoc *a, void *buf, size_t len, struct sctp_msginfo *info)
{
	for (;;) {
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
		} cbuf;
		struct iovec iov = { buf, len };
		struct msghdr msg;
		struct cmsghdr *cm;
		ssize_t n;

		memset(&msg, 0, sizeof msg);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof cbuf.buf;
		n = recvmsg(a->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    (errno == ENOTCONN && a->state == SCTP_ASSOC_CONNECTING)) {
				errno = EAGAIN;
				return -1;
			}
			a->state = a->state == SCTP_ASSOC_CONNECTING ? SCTP_ASSOC_CANT_START :
			    SCTP_ASSOC_LOST;
			return -1;
		}
		if (n == 0)
			return 0;
		if (msg.msg_flags & MSG_NOTIFICATION) {
			size_t room = sizeof a->note - a->notelen, take = (size_t)n < room ? (size_t)n : room;

			memcpy(a->note + a->notelen, buf, take);
			a->notelen += take;
			if (msg.msg_flags & MSG_EOR) {
				k_notification(a, a->note, a->notelen);
				a->notelen = 0;
			}
			continue;
		}
		info->sid = 0;
		info->ppid = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_SCTP && cm->cmsg_type == SCTP_RCVINFO) {
				struct sctp_rcvinfo ri;

				memcpy(&ri, CMSG_DATA(cm), sizeof ri);
				info->sid = ri.rcv_sid;
				info->ppid = ntohl(ri.rcv_ppid);
			}
		}
		info->eor = (msg.msg_flags & MSG_EOR) != 0;
		return n;
	}
}

static int
k_send(struct sctp_assoc *a, const struct sctp_msginfo *info, const void *buf, size_t len)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct sctp_sndinfo))];
	} cbuf;
	struct iovec iov = { (void *)buf, len };
	struct sctp_sndinfo si;
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&cbuf, 0, sizeof cbuf);
	memset(&msg, 0, sizeof msg);
	memset(&si, 0, sizeof si);
	si.snd_sid = info->sid;
	si.snd_ppid = htonl(info->ppid);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof cbuf.buf;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = SCTP_SNDINFO;
	cm->cmsg_len = CMSG_LEN(sizeof si);
	memcpy(CMSG_DATA(cm), &si, sizeof si);
	n = sendmsg(a->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	return sctp_send_result(n, len);
}

static enum sctp_assoc_state
k_state(struct sctp_assoc *a)
{
	return a->state;
}

static unsigned
k_outstreams(struct sctp_assoc *a)
{
	if (a->outstreams == 0 && a->state == SCTP_ASSOC_UP)
		a->outstreams = k_status_outstreams(a->fd);
	return a->outstreams;
}

static void
k_shutdown(struct sctp_assoc *a)
{
	shutdown(a->fd, SHUT_WR);
}

static void
k_abort(struct sctp_assoc *a)
{
	struct linger lg = { 1, 0 };

	setsockopt(a->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	a->state = SCTP_ASSOC_ABORTED;
}

static void
k_close(struct sctp_assoc *a)
{
	event_free(a->ev);
	close(a->fd);
	free(a);
}

static void
k_set_wake(struct sctp_assoc *a, void (*wake)(void *), void *arg)
{
	a->wake = wake;
	a->wake_arg = arg;
	if (wake != NULL)
		event_active(a->ev, EV_READ, 0);
}

static const char *
k_name_of(struct sctp_assoc *a)
{
	return a->name;
}

const struct sctp_assoc_ops sctp_kernel_ops = {
	.send = k_send,
	.recv = k_recv,
	.state = k_state,
	.outstreams = k_outstreams,
	.shutdown = k_shutdown,
	.abort = k_abort,
	.close = k_close,
	.set_wake = k_set_wake,
	.name = k_name_of,
};

#else	/* no <linux/sctp.h>: the probe only */

int
sctp_kernel_init(struct event_base *base, const struct sctp_kernel_conf *c)
{
	return -1;
}

struct sctp_kernel_listener *
sctp_kernel_listen(const struct sockaddr_storage *addrs, size_t naddrs, unsigned port,
    unsigned streams, sctp_kernel_accept_cb cb, void *arg, char **cause)
{
	xasprintf(cause, "kernel SCTP is not supported on this system");
	return NULL;
}

void
sctp_kernel_unlisten(struct sctp_kernel_listener *l)
{
}

struct sctp_assoc *
sctp_kernel_connect(const struct sockaddr_storage *addrs, size_t naddrs, unsigned port,
    unsigned udp_port, unsigned streams, char **cause)
{
	xasprintf(cause, "kernel SCTP is not supported on this system");
	return NULL;
}

const struct sctp_assoc_ops sctp_kernel_ops;

#endif

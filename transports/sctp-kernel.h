/*
 * sctp-kernel.h - the kernel SCTP backend of the sctp transport (Linux
 * SOCK_STREAM IPPROTO_SCTP sockets, sendmsg/recvmsg with SCTP_SNDINFO and
 * SCTP_RCVINFO, bindx/connectx through their socket options), and the probe
 * that says whether this machine has kernel SCTP at all. Built everywhere;
 * it needs only <linux/sctp.h>, never usrsctp.h or libsctp.
 */
#ifndef MPTN_SCTP_KERNEL_H
#define MPTN_SCTP_KERNEL_H

#include <stdbool.h>
#include <sys/socket.h>

#include "sctp-assoc.h"

struct event_base;

/*
 * Can this process open a kernel SCTP socket? 0, or -1 with *cause
 * ("kernel SCTP unavailable: Protocol not supported").
 */
int sctp_kernel_probe(char **cause);

extern const struct sctp_assoc_ops sctp_kernel_ops;

/* Settings of the kernel backend (a subset of the stack settings). */
struct sctp_kernel_conf {
	unsigned streams;
	unsigned rto_min, rto_initial, rto_max, heartbeat;	/* ms */
	unsigned max_retrans;
	unsigned sndbuf, rcvbuf;
};

int sctp_kernel_init(struct event_base *, const struct sctp_kernel_conf *);

struct sctp_kernel_listener;
typedef void (*sctp_kernel_accept_cb)(void *arg, struct sctp_assoc *);
/* Listen on every address of ADDRS (one port, multi-homed with bindx). */
struct sctp_kernel_listener *sctp_kernel_listen(const struct sockaddr_storage *addrs, size_t naddrs,
    unsigned port, unsigned streams, sctp_kernel_accept_cb, void *arg, char **cause);
void sctp_kernel_unlisten(struct sctp_kernel_listener *);
/* Connect to any of ADDRS (connectx), PORT; UDP_PORT > 0 asks for RFC 6951 encapsulation. */
struct sctp_assoc *sctp_kernel_connect(const struct sockaddr_storage *addrs, size_t naddrs,
    unsigned port, unsigned udp_port, unsigned streams, char **cause);

#endif

/*
 * udp-assoc.h - a gateway's UDP association (SOCKS5 UDP ASSOCIATE): a UDP
 * socket relaying the client's datagrams to their destinations and the
 * answers back, framed by the gateway, for as long as the control
 * connection lives.
 */
#ifndef MPTN_UDP_ASSOC_H
#define MPTN_UDP_ASSOC_H

#include <sys/socket.h>

struct bridge;
struct udp_assoc;
struct access_client;
struct gw_request;

/*
 * Open the relay socket on the control connection's local address
 * (CONTROL_FD's) for the client CLIENT, which declared REQ as its own
 * address (0.0.0.0:0 when it does not know yet). *bound is where the
 * client must send.
 */
struct udp_assoc *udp_assoc_new(struct bridge *, int control_fd, const struct access_client *client,
    const struct gw_request *req, struct sockaddr_storage *bound, char **cause);
void udp_assoc_free(struct udp_assoc *);

#endif

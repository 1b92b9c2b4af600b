/*
 * clientcount.h - connections per client and listener, shared by all
 * workers, for `max-connections-per-client` (a client is an IP address, or
 * a uid for Unix-socket clients). Touched at accept and close only, never
 * on the data path.
 */
#ifndef MPTN_CLIENTCOUNT_H
#define MPTN_CLIENTCOUNT_H

#include <stdbool.h>
#include <stdint.h>

struct clientkey {
	uint8_t family;		/* AF_INET, AF_INET6, AF_UNIX (uid), 0: none */
	uint8_t addr[16];
};

/* The key of the client on FD. */
void clientcount_key(int fd, struct clientkey *);
/* Count one more connection of KEY on LISTENER unless it already has MAX. */
bool clientcount_enter(const void *listener, const struct clientkey *, unsigned long max);
void clientcount_leave(const void *listener, const struct clientkey *);

#endif

/*
 * pump.h - how the bridge drives the code that moves bytes. A pump attaches
 * a connected fd to a half, starts moving once both halves are live, stops
 * on close, and frees a half's resources when the bridge is freed.
 */
#ifndef MPTN_PUMP_H
#define MPTN_PUMP_H

struct bridge;
struct half;

struct pump {
	const char *name;
	/* Take FD for H (the pump owns it from now on, even on failure). */
	int (*attach)(struct bridge *, struct half *, int fd);
	/* Both halves are live: move what the front sent while connecting. */
	void (*kick)(struct bridge *);
	/* The bridge is closing: no more events for H. */
	void (*stop)(struct half *);
	/* Free H's pump resources and close its fd. */
	void (*release)(struct half *);
};

extern const struct pump pump_bev;	/* bufferevents: TLS and layered halves */
extern const struct pump pump_fd;	/* kernel sockets: copy or splice(2) */

#endif

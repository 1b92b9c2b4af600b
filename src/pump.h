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
	/* The front's bytes not relayed yet (a handshake reads them in place). */
	size_t (*peek)(struct half *front, const unsigned char **data);
	void (*consume)(struct half *front, size_t n);
	/* Queue bytes for the front, ahead of anything from the back. */
	void (*reply)(struct bridge *, const void *data, size_t len);
	/* Bytes still queued for the front. */
	size_t (*front_pending)(struct bridge *);
};

extern const struct pump pump_bev;	/* bufferevents: TLS and layered halves */
extern const struct pump pump_fd;	/* kernel sockets: copy or splice(2) */

#endif

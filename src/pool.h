/*
 * pool.h - per-worker caches of relay buffers and pipes, so the copy and
 * splice paths take them only while data is in flight (an idle bridge
 * holds neither) without a malloc or pipe2 per chunk. Used only from the
 * owning worker's thread.
 */
#ifndef MPTN_POOL_H
#define MPTN_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

struct pipe_pair {
	int rd, wr;
	uint32_t size;		/* capacity in bytes (F_GETPIPE_SZ) */
	uint32_t want;		/* the size asked for, the key for reuse */
};

#define POOL_MAX_FREE 64	/* cached buffers, and cached pipes, per worker */

struct pool *pool_new(void);
void pool_free(struct pool *);

/* A buffer of SIZE bytes. */
char *pool_buf_get(struct pool *, size_t size);
void pool_buf_put(struct pool *, char *, size_t size);
/* A pipe able to hold about SIZE bytes, or NULL (errno set) when none can be made. */
struct pipe_pair *pool_pipe_get(struct pool *, size_t size);
/* Give a pipe back; EMPTY false means it may hold data, so it is closed. */
void pool_pipe_put(struct pool *, struct pipe_pair *, bool empty);

#endif

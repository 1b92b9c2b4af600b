/*
 * pool.c - free lists of relay buffers and pipes, per worker. A cached item
 * is reused only for the same size, so listeners with different `buffer`
 * settings never share a wrong-sized buffer. At most POOL_MAX_FREE of each
 * are kept; the rest are freed or closed.
 */
#include "pool.h"
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct pool_buf {
	char *p;
	size_t size;
};

struct pool {
	struct pool_buf bufs[POOL_MAX_FREE];
	size_t nbufs;
	struct pipe_pair *pipes[POOL_MAX_FREE];
	size_t npipes;
};

struct pool *
pool_new(void)
{
	return xcalloc(1, sizeof(struct pool));
}

static void
pipe_close(struct pipe_pair *pp)
{
	close(pp->rd);
	close(pp->wr);
	free(pp);
}

void
pool_free(struct pool *pl)
{
	size_t i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->nbufs; i++)
		free(pl->bufs[i].p);
	for (i = 0; i < pl->npipes; i++)
		pipe_close(pl->pipes[i]);
	free(pl);
}

char *
pool_buf_get(struct pool *pl, size_t size)
{
	size_t i;

	for (i = pl->nbufs; i-- > 0;) {
		if (pl->bufs[i].size == size) {
			char *p = pl->bufs[i].p;

			pl->bufs[i] = pl->bufs[--pl->nbufs];
			return p;
		}
	}
	return xmalloc(size);
}

void
pool_buf_put(struct pool *pl, char *p, size_t size)
{
	if (pl->nbufs == POOL_MAX_FREE) {
		free(p);
		return;
	}
	pl->bufs[pl->nbufs].p = p;
	pl->bufs[pl->nbufs++].size = size;
}

struct pipe_pair *
pool_pipe_get(struct pool *pl, size_t size)
{
	struct pipe_pair *pp;
	size_t i;
	int fds[2], got;

	for (i = pl->npipes; i-- > 0;) {
		if (pl->pipes[i]->want == size) {
			pp = pl->pipes[i];
			pl->pipes[i] = pl->pipes[--pl->npipes];
			return pp;
		}
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return NULL;
	pp = xmalloc(sizeof *pp);
	pp->rd = fds[0];
	pp->wr = fds[1];
	got = fcntl(pp->wr, F_SETPIPE_SZ, (int)size);
	if (got < 0)
		got = fcntl(pp->wr, F_GETPIPE_SZ);
	pp->size = got > 0 ? (uint32_t)got : 65536;
	pp->want = (uint32_t)size;
	return pp;
}

void
pool_pipe_put(struct pool *pl, struct pipe_pair *pp, bool empty)
{
	if (!empty || pl->npipes == POOL_MAX_FREE) {
		pipe_close(pp);
		return;
	}
	pl->pipes[pl->npipes++] = pp;
}

/*
 * pump-fd.c - moving bytes between two plain kernel stream sockets (tcp,
 * mptcp, unix), by copy or by splice(2).
 *
 * Each half has one edge-triggered event, registered for reading only: a
 * socket starts writable, and watching for writability would cost a wakeup
 * per half for nothing (edge-triggered registration reports it at once).
 * The first write that meets a full socket adds writing to the event, for
 * the rest of the half's life (a delete and an add: re-registering reports
 * the socket's current state, so no edge is lost). The callback only
 * records readiness (can_read, can_write, cleared again by EAGAIN) and runs
 * both directions until neither makes progress, yielding after FD_BUDGET
 * bytes so one bridge cannot starve the others.
 *
 * A direction (source half -> the other) holds at most `buffer` bytes in
 * flight: in a buffer from the worker's pool (copy: one read lands in the
 * buffer that is written out) or in a pipe from the pool (splice: the bytes
 * never enter user space; the pipe holds up to `pipe-size`, 1 MiB unless
 * configured, since larger pipes mean fewer calls per byte). Both are taken when data arrives and given back
 * as soon as the direction drains, so an idle bridge holds neither. Reading
 * stops while the direction is full, which is the backpressure: the slow
 * side's socket buffer fills and its sender blocks.
 *
 * splice on|off|auto (per listener). auto starts on the copy path and moves
 * a direction to splice once a read fills the whole buffer (bulk data);
 * exchanges of small messages never leave the copy path. Any splice error
 * other than the peer's own (reset, broken pipe) moves that direction back
 * to copying for good; what the pipe holds goes out first, through the
 * buffer: no byte is lost.
 *
 * Message sockets (unix-seqpacket) never splice. A message is read only
 * into an empty buffer that can hold it (so a recv never truncates one;
 * one over `buffer` ends the bridge) and is written with one send. Toward
 * a byte stream, framing=length puts a 4-byte big-endian length in front
 * of each message and cuts the stream's bytes back into messages at those
 * lengths; framing=none passes a message's bytes as they come and sends
 * each read of the stream as one message. Between two message sockets a
 * message stays a message. A message bridge reads nothing until both
 * halves are connected, so every byte is framed for the half it goes to.
 */
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "framing.h"
#include "log.h"
#include "pool.h"
#include "pump.h"
#include "worker.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

#define FD_BUDGET (1024 * 1024)

enum step { STEP_IDLE, STEP_PROGRESS, STEP_CLOSED };

static void fd_event_cb(evutil_socket_t, short, void *);

/* H's socket is full: from now on its event also reports writability. */
static void
fd_blocked(struct half *h)
{
	h->can_write = false;
	if (h->watch_write)
		return;
	h->watch_write = true;
	event_del(&h->ev);
	event_assign(&h->ev, worker_base(h->bridge->w), h->fd,
	    EV_READ | EV_WRITE | EV_PERSIST | EV_ET, fd_event_cb, h);
	event_add(&h->ev, NULL);
}

static void
fd_fail(struct bridge *b, struct half *h, int err, bool writing)
{
	char reason[200];

	if (err == ECONNRESET)
		snprintf(reason, sizeof reason, "%s-reset", bridge_label(b, h));
	else
		snprintf(reason, sizeof reason, "%s-error (%s while %s)", bridge_label(b, h),
		    strerror(err), writing ? "writing" : "reading");
	bridge_close(b, reason);
}

/* Is ERR a peer's doing (the connection's end), not splice's? */
static bool
fd_err_is_peer(int err)
{
	return err == ECONNRESET || err == EPIPE || err == ETIMEDOUT || err == ENOTCONN ||
	    err == EHOSTUNREACH || err == ENETUNREACH || err == ECONNABORTED;
}

/*
 * splice failed on SRC's direction: copy from now on. What the pipe holds
 * is older than anything else of this direction; fd_read moves it through
 * the buffer, a buffer at a time, before reading the socket again.
 */
static void
fd_splice_fallback(struct bridge *b, struct half *src, int err)
{
	static _Thread_local struct log_ratelimit rl;
	unsigned long suppressed;

	if (log_ratelimit_ok(&rl, 1000, &suppressed))
		log_info("bridge %llu [%s]: splice failed on %s data (%s); copying from now on "
		    "(%lu similar lines not logged)", (unsigned long long)b->id, b->conf->name,
		    bridge_label(b, src), strerror(err), suppressed);
	src->splice = false;
	src->splice_failed = true;
}

/* After a fallback: move what the pipe still holds into the buffer. */
static enum step
fd_drain_pipe(struct bridge *b, struct half *src, uint32_t room)
{
	uint32_t want = room < src->in_pipe ? room : src->in_pipe;
	ssize_t n;

	if (want == 0)
		return STEP_IDLE;
	n = read(src->pipe->rd, src->buf + src->buf_off + src->buf_len, want);
	if (n <= 0) {
		bridge_close(b, "splice-fallback-failed");
		return STEP_CLOSED;
	}
	src->buf_len += (uint32_t)n;
	src->in_pipe -= (uint32_t)n;
	return STEP_PROGRESS;
}

/* The framing of message half H toward PEER: none between two message sockets. */
static enum msg_framing
fd_framing(const struct half *h, const struct half *peer)
{
	return peer->msg ? MSG_FRAMING_NONE : (enum msg_framing)h->framing;
}

/*
 * recv said 0 on message socket FD: the end of its data, or an empty
 * message? Linux reports both as 0; the peer's shutdown shows as POLLRDHUP,
 * and messages queued behind an empty one show in SIOCINQ.
 */
static bool
fd_message_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	int queued = 0;

	if (ioctl(fd, SIOCINQ, &queued) == 0 && queued > 0)
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Read one message from SRC into its (empty) buffer, framed for DST. */
static enum step
fd_read_message(struct bridge *b, struct half *src, struct half *dst, uint32_t cap)
{
	uint32_t hdr = fd_framing(src, dst) == MSG_FRAMING_LENGTH ? MSG_RECORD_HDR : 0;
	struct iovec iov = { .iov_base = src->buf + hdr, .iov_len = cap - hdr };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char reason[200];
	ssize_t n;

	if (src->buf_len > 0)
		return STEP_IDLE;
	src->buf_off = 0;
	n = recvmsg(src->fd, &mh, 0);
	if (n < 0) {
		if (errno == EAGAIN) {
			src->can_read = false;
			return STEP_IDLE;
		}
		fd_fail(b, src, errno, false);
		return STEP_CLOSED;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		snprintf(reason, sizeof reason, "%s-error (a message over %u bytes; raise buffer)",
		    bridge_label(b, src), cap - hdr);
		bridge_close(b, reason);
		return STEP_CLOSED;
	}
	if (n == 0 && fd_message_eof(src->fd)) {
		src->eof = true;
		return STEP_PROGRESS;
	}
	if (n == 0 && hdr == 0 && !dst->msg)
		return STEP_PROGRESS;	/* an empty message adds nothing to a plain stream */
	if (hdr > 0)
		put_be32((unsigned char *)src->buf, (uint32_t)n);
	src->buf_len = hdr + (uint32_t)n;
	src->bytes += (uint64_t)n;
	return STEP_PROGRESS;
}

/*
 * Write SRC's buffer to message socket DST: the whole buffer as one message
 * (framing none, or a message socket's), or each whole record as one.
 */
static enum step
fd_write_message(struct bridge *b, struct half *src, struct half *dst)
{
	bool records = fd_framing(dst, src) == MSG_FRAMING_LENGTH;
	uint32_t max = (uint32_t)b->conf->buffer - MSG_RECORD_HDR;
	bool progress = false;
	char reason[200];

	while (src->buf_len > 0) {
		const char *p = src->buf + src->buf_off;
		uint32_t hdr = 0, len = src->buf_len;
		ssize_t n;

		if (records) {
			enum mptn_parse rc = msg_record_decode((const unsigned char *)p, src->buf_len,
			    max, &len);

			if (rc == MPTN_FAIL) {
				snprintf(reason, sizeof reason, "%s-error (a record of %u bytes; "
				    "buffer holds %u)", bridge_label(b, src), get_be32((const unsigned char *)p),
				    max);
				bridge_close(b, reason);
				return STEP_CLOSED;
			}
			if (rc == MPTN_MORE) {
				if (src->eof) {
					snprintf(reason, sizeof reason, "%s-error (data ended inside "
					    "a record)", bridge_label(b, src));
					bridge_close(b, reason);
					return STEP_CLOSED;
				}
				if (src->buf_off > 0) {	/* make room for the rest of it */
					memmove(src->buf, p, src->buf_len);
					src->buf_off = 0;
				}
				break;
			}
			hdr = MSG_RECORD_HDR;
		}
		n = send(dst->fd, p + hdr, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			fd_blocked(dst);
			break;
		}
		if (n < 0) {
			fd_fail(b, dst, errno, true);
			return STEP_CLOSED;
		}
		src->buf_off += hdr + len;	/* a message socket sends all or nothing */
		src->buf_len -= hdr + len;
		progress = true;
	}
	if (src->buf_len == 0)
		src->buf_off = 0;
	return progress ? STEP_PROGRESS : STEP_IDLE;
}

/* Write what SRC's direction holds to DST. */
static enum step
fd_write(struct bridge *b, struct half *src, struct half *dst)
{
	bool progress = false;
	ssize_t n;

	if (dst->msg)
		return fd_write_message(b, src, dst);
	if (src->in_pipe > 0 && !src->splice_failed) {
		n = splice(src->pipe->rd, NULL, dst->fd, NULL, src->in_pipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			src->in_pipe -= (uint32_t)n;
			progress = true;
		} else if (n < 0 && errno == EAGAIN) {
			fd_blocked(dst);
			return STEP_IDLE;
		} else if (n < 0 && fd_err_is_peer(errno)) {
			fd_fail(b, dst, errno, true);
			return STEP_CLOSED;
		} else {
			fd_splice_fallback(b, src, errno);
			progress = true;	/* fd_read drains the pipe through the buffer */
		}
	}
	if (src->buf_len > 0) {
		n = send(dst->fd, src->buf + src->buf_off, src->buf_len, MSG_NOSIGNAL);
		if (n > 0) {
			src->buf_off += (uint32_t)n;
			src->buf_len -= (uint32_t)n;
			if (src->buf_len == 0)
				src->buf_off = 0;
			progress = true;
		} else if (n < 0 && errno == EAGAIN)
			fd_blocked(dst);
		else {
			fd_fail(b, dst, n < 0 ? errno : EPIPE, true);
			return STEP_CLOSED;
		}
	}
	return progress ? STEP_PROGRESS : STEP_IDLE;
}

/* Read from SRC into its direction's pipe or buffer. */
static enum step
fd_read(struct bridge *b, struct half *src)
{
	struct pool *pl = worker_pool(b->w);
	struct half *dst = bridge_peer(b, src);
	uint32_t cap = (uint32_t)b->conf->buffer, room;
	ssize_t n;

	if (src->splice && src->buf_len == 0 && !(src == &b->front && b->hs != NULL)) {
		if (src->pipe == NULL &&
		    (src->pipe = pool_pipe_get(pl, b->conf->pipe_size)) == NULL) {
			src->splice = false;	/* no pipe now (fd limit): copy this time */
			return STEP_PROGRESS;
		}
		room = src->pipe->size - src->in_pipe;
		if (room == 0)
			return STEP_IDLE;
		n = splice(src->fd, NULL, src->pipe->wr, NULL, room, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			src->in_pipe += (uint32_t)n;
			src->bytes += (uint64_t)n;
			return STEP_PROGRESS;
		}
		if (n == 0) {
			src->eof = true;
			return STEP_PROGRESS;
		}
		if (errno == EAGAIN) {
			/* An empty pipe proves the socket is empty; a full one may not. */
			if (src->in_pipe == 0)
				src->can_read = false;
			return STEP_IDLE;
		}
		if (fd_err_is_peer(errno)) {
			fd_fail(b, src, errno, false);
			return STEP_CLOSED;
		}
		fd_splice_fallback(b, src, errno);
		return STEP_PROGRESS;
	}
	if (src->buf == NULL) {
		src->buf = pool_buf_get(pl, cap);
		src->buf_off = src->buf_len = 0;
	}
	if (src->msg)
		return fd_read_message(b, src, dst, cap);
	if (dst->msg && fd_framing(dst, src) == MSG_FRAMING_NONE && src->buf_len > 0)
		return STEP_IDLE;	/* each read is one message: send this one first */
	room = cap - src->buf_off - src->buf_len;
	if (src->in_pipe > 0)
		return fd_drain_pipe(b, src, room);	/* what the pipe held comes first */
	if (room == 0)
		return STEP_IDLE;
	n = recv(src->fd, src->buf + src->buf_off + src->buf_len, room, 0);
	if (n > 0) {
		src->buf_len += (uint32_t)n;
		src->bytes += (uint64_t)n;
		/* auto: a read that fills an empty buffer is bulk data */
		if ((uint32_t)n == cap && b->conf->splice == CONFIG_SPLICE_AUTO && !src->splice_failed &&
		    !b->messages)
			src->splice = true;
		return STEP_PROGRESS;
	}
	if (n == 0) {
		src->eof = true;
		return STEP_PROGRESS;
	}
	if (errno == EAGAIN) {
		src->can_read = false;
		return STEP_IDLE;
	}
	fd_fail(b, src, errno, false);
	return STEP_CLOSED;
}

/* One round of direction SRC -> DST. */
static enum step
fd_step(struct bridge *b, struct half *src, struct half *dst)
{
	struct pool *pl = worker_pool(b->w);
	enum step w = STEP_IDLE, r = STEP_IDLE;

	if (dst->live && dst->can_write && !dst->shut && (src->in_pipe > 0 || src->buf_len > 0)) {
		if ((w = fd_write(b, src, dst)) == STEP_CLOSED)
			return STEP_CLOSED;
	}
	if (src->pipe != NULL && src->in_pipe == 0) {
		pool_pipe_put(pl, src->pipe, true);
		src->pipe = NULL;
	}
	if (src->buf != NULL && src->buf_len == 0) {
		pool_buf_put(pl, src->buf, b->conf->buffer);
		src->buf = NULL;
	}
	if (!src->eof && src->can_read && (dst->live || !b->messages)) {
		if ((r = fd_read(b, src)) == STEP_CLOSED)
			return STEP_CLOSED;
	}
	if (src->eof && src->in_pipe == 0 && src->buf_len == 0 && dst->live && !dst->shut) {
		dst->shut = true;
		shutdown(dst->fd, SHUT_WR);
		bridge_shut_done(b, dst);
		return b->closed ? STEP_CLOSED : STEP_PROGRESS;
	}
	return (w == STEP_PROGRESS || r == STEP_PROGRESS) ? STEP_PROGRESS : STEP_IDLE;
}

/* Run both directions until neither can move, or the budget is spent. */
static void
fd_run(struct bridge *b)
{
	uint64_t before = b->front.bytes + b->back.bytes;

	for (;;) {
		enum step up, down;

		if ((up = fd_step(b, &b->front, &b->back)) == STEP_CLOSED)
			return;
		if ((down = fd_step(b, &b->back, &b->front)) == STEP_CLOSED)
			return;
		if (up == STEP_IDLE && down == STEP_IDLE)
			break;
		if (b->front.bytes + b->back.bytes - before >= FD_BUDGET) {
			event_active(&b->front.ev, 0, 0);	/* go on after the others */
			break;
		}
	}
	if (b->front.bytes + b->back.bytes != before)
		b->active_ms = clock_ms();
	bridge_after_io(b);
}

static void
fd_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct half *h = arg;

	if (what & EV_READ)
		h->can_read = true;
	if (what & EV_WRITE)
		h->can_write = true;
	fd_run(h->bridge);
}

static int
fd_attach(struct bridge *b, struct half *h, int fd)
{
	h->fd = fd;
	h->msg = taddr_is_kernel_messages(h->ta);
	h->framing = h->msg ? (uint8_t)h->ta->tp->framing(h->ta) : MSG_FRAMING_NONE;
	h->splice = b->conf->splice == CONFIG_SPLICE_ON && !b->messages;
	h->can_write = true;
	event_assign(&h->ev, worker_base(b->w), fd, EV_READ | EV_PERSIST | EV_ET, fd_event_cb, h);
	if (event_add(&h->ev, NULL) != 0) {
		close(fd);
		h->fd = -1;
		return -1;
	}
	h->live = true;
	return 0;
}

static void
fd_kick(struct bridge *b)
{
	fd_run(b);
}

static void
fd_stop(struct half *h)
{
	event_del(&h->ev);
}

static void
fd_release(struct half *h)
{
	struct pool *pl = worker_pool(h->bridge->w);

	if (h->buf != NULL)
		pool_buf_put(pl, h->buf, h->bridge->conf->buffer);
	if (h->pipe != NULL)
		pool_pipe_put(pl, h->pipe, h->in_pipe == 0);
	if (h->fd >= 0)
		close(h->fd);
}

static size_t
fd_peek(struct half *front, const unsigned char **data)
{
	*data = front->buf != NULL ? (const unsigned char *)front->buf + front->buf_off :
	    (const unsigned char *)"";
	return front->buf_len;
}

static void
fd_consume(struct half *front, size_t n)
{
	front->buf_off += (uint32_t)n;
	front->buf_len -= (uint32_t)n;
	if (front->buf_len == 0)
		front->buf_off = 0;
}

/* Bytes for the front travel in the back's direction buffer, ahead of the back's data. */
static void
fd_reply(struct bridge *b, const void *data, size_t len)
{
	struct half *back = &b->back;
	uint32_t cap = (uint32_t)b->conf->buffer;

	if (len == 0)
		return;
	if (back->buf == NULL) {
		back->buf = pool_buf_get(worker_pool(b->w), cap);
		back->buf_off = back->buf_len = 0;
	}
	if (back->buf_off > 0) {
		memmove(back->buf, back->buf + back->buf_off, back->buf_len);
		back->buf_off = 0;
	}
	if (len > cap - back->buf_len)
		len = cap - back->buf_len;	/* replies are far smaller than any buffer */
	memcpy(back->buf + back->buf_len, data, len);
	back->buf_len += (uint32_t)len;
	event_active(&b->front.ev, 0, 0);	/* fd_run sends it */
}

static size_t
fd_front_pending(struct bridge *b)
{
	return b->back.buf_len + b->back.in_pipe;
}

const struct pump pump_fd = {
	.name = "fd",
	.attach = fd_attach,
	.kick = fd_kick,
	.stop = fd_stop,
	.release = fd_release,
	.peek = fd_peek,
	.consume = fd_consume,
	.reply = fd_reply,
	.front_pending = fd_front_pending,
};

/*
 * sctp-relay.c - an SCTP association bridged to a kernel stream socket whose
 * other end belongs to the core. SCTP thread only.
 *
 * Directions: "out" is core -> SCTP (read the socket, frame, send messages),
 * "in" is SCTP -> core (receive messages, frame, write the socket). Each has
 * one bounded buffer and stops when the other side pushes back: out stops
 * reading the socket while a message waits for room in the association's
 * send buffer (EAGAIN; the stack wakes us when there is room), in stops
 * receiving while the socket's write would block (the socket event wakes
 * us). The socket event is edge triggered, so can_read / can_write remember
 * readiness between wakeups, as in the core's pump-fd.
 *
 * Ends (SCTP has no half-close):
 *  - out hits EOF: with half-close=close, SHUTDOWN once the queue is sent;
 *    with peer=mptnd (and wait), an EOS control message on every stream we
 *    sent on; otherwise (wait) nothing until the peer's direction ends or
 *    the core closes the socket.
 *  - the peer's data ends (its EOS set, or recv 0 after a SHUTDOWN): once
 *    written, shut the socket's write side; the core sees EOF.
 *  - both ended, or the core closed the socket entirely (POLLHUP, EPIPE):
 *    SHUTDOWN after what is queued; the relay ends when recv says 0.
 *  - ABORT, loss, a protocol error (a message or record over max-message,
 *    a bad control message): the association is aborted, the socket closed.
 * The relay is freed from the loop, never inside the call that ended it.
 */
#include "common.h"
#include "dial.h"
#include "log.h"
#include "sctp-relay.h"

#include <errno.h>
#include <event2/event.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_BUDGET		(1024 * 1024)	/* bytes per run before yielding */
#define RELAY_CTL_MAX		64		/* a longer control message is an error */
#define RELAY_READ_EXTRA	(64 * 1024)	/* framed: room for several small records */
#define RELAY_SOCK_BUF		(1024 * 1024)
#define RELAY_BUF_START		(64 * 1024)	/* buffers grow to their maximum on demand */
#define RELAY_BUF_SLACK		4096

struct sctp_relay {
	uint64_t id;
	const struct sctp_assoc_ops *ops;
	struct sctp_assoc *a;
	struct sctp_relay_conf conf;
	size_t hdr;			/* framing header bytes */
	size_t base;			/* where a received message starts in ibuf */
	struct sctp_relay *prev, *next;
	struct event *run_ev;
	bool finished, aborting;
	int end_level;
	char why[200];

	/* connecting */
	bool connecting;
	struct dial_token *token;
	struct event *timer;
	uint64_t timeout_ms;

	/* the core's socket */
	int fd;
	struct event *fd_ev;
	bool can_read, can_write;
	bool core_gone;

	/* out: core -> SCTP */
	uint8_t *obuf;
	size_t ocap, omax, ooff, olen;
	bool rd_eof;
	bool hello_pending;
	bool out_ended;			/* EOS set sent, SHUTDOWN asked, or nothing to send */
	bool sctp_shut;
	bool send_dead;			/* the association takes no more data (peer SHUTDOWN) */
	unsigned eos_sent;
	uint8_t *sid_seen;		/* bitmap over 65536 streams, allocated on first use */
	uint16_t *sids;
	unsigned nsids;

	/* in: SCTP -> core */
	uint8_t *ibuf;
	size_t icap, imax, mlen, woff, wlen;
	bool in_msg, in_ctl;
	struct sctp_msginfo imsg;
	bool peer_eos, assoc_end, wr_shut;
	unsigned eos_got, eos_want;

	uint64_t up_bytes, down_bytes, started_ms;
};

static struct event_base *relay_base;
static sctp_relay_gone_cb relay_gone;
static struct sctp_relay *relays;
static size_t nrelays;
static bool relay_stopping;		/* the workers are gone: no dial can be completed */

static void relay_run(struct sctp_relay *);

void
sctp_relay_init(struct event_base *base, sctp_relay_gone_cb gone)
{
	relay_base = base;
	relay_gone = gone;
}

size_t
sctp_relay_count(void)
{
	return nrelays;
}

static const char *
relay_name(struct sctp_relay *r)
{
	return r->ops->name(r->a);
}

/*
 * Hand the connect's outcome to the waiting dial. Once mptnd is stopping its
 * workers are gone and dial_token_complete() would post to freed memory:
 * the token is dropped instead (dial.h has no call that only drops it: a
 * small leak, once, at exit).
 */
static void
relay_token_done(struct sctp_relay *r, int fd, int err, const char *why)
{
	struct dial_token *t = r->token;

	r->token = NULL;
	if (t == NULL)
		return;
	if (relay_stopping) {
		if (fd >= 0)
			close(fd);
		return;
	}
	dial_token_complete(t, fd, err, why);
}

static void
relay_free_cb(evutil_socket_t unused, short what, void *arg)
{
	struct sctp_relay *r = arg;

	if (r->aborting)
		r->ops->abort(r->a);
	r->ops->close(r->a);
	event_free(r->run_ev);
	free(r->obuf);
	free(r->ibuf);
	free(r->sid_seen);
	free(r->sids);
	free(r);
}

/*
 * End the relay: LEVEL is the log level of its last line, ABORT whether the
 * association is aborted (else the stack finishes a graceful close alone).
 */
static void __attribute__((format(printf, 4, 5)))
relay_end(struct sctp_relay *r, enum log_level level, bool abort, const char *fmt, ...)
{
	va_list ap;

	if (r->finished)
		return;
	r->finished = true;
	r->aborting = abort;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	relay_token_done(r, -1, ECONNREFUSED, r->why);
	if (r->timer != NULL)
		event_free(r->timer);
	r->timer = NULL;
	if (r->fd >= 0) {
		event_free(r->fd_ev);
		close(r->fd);
		r->fd = -1;
	}
	r->ops->set_wake(r->a, NULL, NULL);
	if (log_is_enabled(level))
		log_msg(level, "sctp assoc %llu %s: %s (%s) up=%llu down=%llu duration=%.3fs",
		    (unsigned long long)r->id, relay_name(r), abort ? "aborted" : "closed", r->why,
		    (unsigned long long)r->up_bytes, (unsigned long long)r->down_bytes,
		    (double)(clock_ms() - r->started_ms) / 1000.0);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		relays = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	nrelays--;
	if (relay_gone != NULL)
		relay_gone(r->id);
	event_base_once(relay_base, -1, EV_TIMEOUT, relay_free_cb, r, NULL);
}

/* The core closed its end (or it failed): nothing more is written or read there. */
static void
relay_core_gone(struct sctp_relay *r, int err)
{
	if (r->fd >= 0) {
		event_free(r->fd_ev);
		close(r->fd);
		r->fd = -1;
	}
	if (!r->core_gone)
		log_debug("sctp assoc %llu %s: the core closed its side%s%s", (unsigned long long)r->id,
		    relay_name(r), err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
	r->core_gone = true;
	r->rd_eof = true;
	r->woff = r->wlen = 0;
}

static void
relay_run_cb(evutil_socket_t unused, short what, void *arg)
{
	relay_run(arg);
}

static void
relay_wake(void *arg)
{
	relay_run(arg);
}

static void
relay_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sctp_relay *r = arg;

	if (what & EV_READ)
		r->can_read = true;
	if (what & EV_WRITE)
		r->can_write = true;
	/*
	 * After EOF only a full close of the core's end is news: POLLHUP.
	 * (Once we shut our write side too, POLLHUP only says both are shut.)
	 */
	if (r->rd_eof && !r->core_gone && !r->wr_shut) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
			relay_core_gone(r, 0);
	}
	relay_run(r);
}

static struct sctp_relay *
relay_new(const struct sctp_assoc_ops *ops, struct sctp_assoc *a, uint64_t id,
    const struct sctp_relay_conf *conf)
{
	struct sctp_relay *r = xcalloc(1, sizeof *r);

	r->id = id;
	r->ops = ops;
	r->a = a;
	r->conf = *conf;
	r->fd = -1;
	r->hdr = sctp_framing_hdr_len(conf->framing);
	r->base = conf->framing == SCTP_FRAMING_NONE ? 0 : SCTP_FRAMING_HDR_MAX;
	r->started_ms = clock_ms();
	r->run_ev = event_new(relay_base, -1, 0, relay_run_cb, r);
	if (conf->framing == SCTP_FRAMING_NONE) {
		r->omax = conf->chunk;
		r->imax = conf->chunk < 4096 ? 4096 : conf->chunk;
	} else {
		r->omax = r->hdr + conf->max_message + RELAY_READ_EXTRA;
		r->imax = r->base + conf->max_message + 1;	/* one more byte shows an oversize */
	}
	r->ocap = r->omax < RELAY_BUF_START ? r->omax : RELAY_BUF_START;
	r->icap = r->imax < RELAY_BUF_START ? r->imax : RELAY_BUF_START;
	r->obuf = xmalloc(r->ocap);
	r->ibuf = xmalloc(r->icap);
	r->next = relays;
	if (relays != NULL)
		relays->prev = r;
	relays = r;
	nrelays++;
	return r;
}

static void
relay_attach(struct sctp_relay *r, int fd)
{
	int size = RELAY_SOCK_BUF;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	r->fd = fd;
	r->can_read = r->can_write = true;
	r->fd_ev = event_new(relay_base, fd, EV_READ | EV_WRITE | EV_PERSIST | EV_ET, relay_fd_cb, r);
	event_add(r->fd_ev, NULL);
}

void
sctp_relay_accepted(const struct sctp_assoc_ops *ops, struct sctp_assoc *a, int fd, uint64_t id,
    const struct sctp_relay_conf *conf)
{
	struct sctp_relay *r = relay_new(ops, a, id, conf);

	relay_attach(r, fd);
	log_debug("sctp assoc %llu %s: accepted (framing %s, half-close %s%s)",
	    (unsigned long long)id, relay_name(r), sctp_framing_name(conf->framing),
	    conf->half_close_close ? "close" : "wait", conf->peer_mptnd ? ", peer mptnd" : "");
	ops->set_wake(a, relay_wake, r);
	relay_run(r);
}

static void
relay_timeout_cb(evutil_socket_t unused, short what, void *arg)
{
	struct sctp_relay *r = arg;

	if (!r->connecting)
		return;
	relay_token_done(r, -1, ETIMEDOUT, "SCTP association not up in time");
	relay_end(r, LOG_LVL_DEBUG, true, "not up within %llums",
	    (unsigned long long)r->timeout_ms);
}

void
sctp_relay_connecting(const struct sctp_assoc_ops *ops, struct sctp_assoc *a, struct dial_token *t,
    uint64_t timeout_ms, uint64_t id, const struct sctp_relay_conf *conf)
{
	struct sctp_relay *r = relay_new(ops, a, id, conf);

	r->connecting = true;
	r->token = t;
	r->timeout_ms = timeout_ms;
	if (timeout_ms > 0) {
		struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };

		r->timer = evtimer_new(relay_base, relay_timeout_cb, r);
		evtimer_add(r->timer, &tv);
	}
	ops->set_wake(a, relay_wake, r);
}

/* ---- SCTP -> core ---------------------------------------------------------- */

static void
relay_ctl(struct sctp_relay *r, const uint8_t *p, size_t n)
{
	struct sctp_ctl c;
	const char *why = NULL;

	if (sctp_ctl_decode(p, n, &c, &why) != 0) {
		relay_end(r, LOG_LVL_WARNING, true, "peer=mptnd: %s", why);
		return;
	}
	if (c.type == SCTP_CTL_HELLO) {
		log_debug("sctp assoc %llu %s: mptnd peer (framing %s, half-close %s)",
		    (unsigned long long)r->id, relay_name(r),
		    sctp_framing_name((enum sctp_framing)c.framing),
		    (c.flags & SCTP_CTL_F_CLOSE) ? "close" : "wait");
		return;
	}
	if ((r->eos_want != 0 && c.count != r->eos_want) || r->eos_got >= c.count) {
		relay_end(r, LOG_LVL_WARNING, true, "peer=mptnd: inconsistent end-of-stream set");
		return;
	}
	r->eos_want = c.count;
	if (++r->eos_got == r->eos_want) {
		r->peer_eos = true;
		log_debug("sctp assoc %llu %s: the peer's stream ended (%u EOS)",
		    (unsigned long long)r->id, relay_name(r), r->eos_want);
	}
}

/* Double *CAP (up to MAX) when less than RELAY_BUF_SLACK of it is free after USED. */
static void
relay_grow(uint8_t **buf, size_t *cap, size_t max, size_t used)
{
	size_t n = *cap;

	if (*cap - used >= RELAY_BUF_SLACK || *cap == max)
		return;
	while (n - used < RELAY_BUF_SLACK && n < max)
		n = n * 2 < max ? n * 2 : max;
	*buf = xrealloc(*buf, n);
	*cap = n;
}

/* Received message pieces to the core's socket; true on progress. */
static bool
relay_in(struct sctp_relay *r)
{
	bool progress = false;

	for (;;) {
		struct sctp_msginfo info;
		size_t room;
		ssize_t n;

		if (r->wlen > r->woff) {
			if (r->fd < 0 || !r->can_write)
				return progress;
			n = send(r->fd, r->ibuf + r->woff, r->wlen - r->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					r->can_write = false;
					return progress;
				}
				relay_core_gone(r, errno);
				return true;
			}
			r->woff += (size_t)n;
			r->down_bytes += (uint64_t)n;
			progress = true;
			if (r->woff < r->wlen)
				continue;
			r->woff = r->wlen = 0;
		}
		if (r->assoc_end)
			return progress;
		relay_grow(&r->ibuf, &r->icap, r->imax, r->base + r->mlen);
		room = r->icap - r->base - r->mlen;
		n = r->ops->recv(r->a, r->ibuf + r->base + r->mlen, room, &info);
		if (n < 0) {
			if (errno == EAGAIN)
				return progress;
			if (!r->connecting)
				relay_end(r, LOG_LVL_INFO, false, "%s", r->ops->state(r->a) == SCTP_ASSOC_LOST ?
				    "lost: ABORT from the peer or no answer" : strerror(errno));
			return true;
		}
		if (n == 0) {
			r->assoc_end = true;
			return true;
		}
		progress = true;
		if (!r->in_msg) {
			r->in_msg = true;
			r->imsg = info;
			r->in_ctl = r->conf.peer_mptnd && info.ppid == SCTP_CTL_PPID;
		}
		r->mlen += (size_t)n;
		if (r->in_ctl) {
			if (r->mlen > RELAY_CTL_MAX) {
				relay_end(r, LOG_LVL_WARNING, true, "peer=mptnd: oversized control message");
				return true;
			}
			if (info.eor) {
				r->in_msg = false;
				relay_ctl(r, r->ibuf + r->base, r->mlen);
				r->mlen = 0;
				if (r->finished)
					return true;
			}
			continue;
		}
		if (r->peer_eos) {
			relay_end(r, LOG_LVL_WARNING, true, "peer=mptnd: data after the end of stream");
			return true;
		}
		if (info.eor)
			r->in_msg = false;
		if (r->core_gone) {
			r->mlen = 0;	/* nobody to write to: drop */
			continue;
		}
		if (r->conf.framing == SCTP_FRAMING_NONE) {
			r->woff = 0;
			r->wlen = r->mlen;
			r->mlen = 0;
			continue;
		}
		if (r->mlen > r->conf.max_message) {
			relay_end(r, LOG_LVL_WARNING, true, "message from the peer exceeds max-message "
			    "(%zu bytes): refused", r->conf.max_message);
			return true;
		}
		if (info.eor) {
			struct sctp_record rec = { .len = (uint32_t)r->mlen, .sid = r->imsg.sid,
				.ppid = r->imsg.ppid };

			sctp_framing_encode(r->conf.framing, &rec, r->ibuf + r->base - r->hdr);
			r->woff = r->base - r->hdr;
			r->wlen = r->base + r->mlen;
			r->mlen = 0;
		}
	}
}

/* ---- core -> SCTP ------------------------------------------------------------ */

static void
relay_mark_sid(struct sctp_relay *r, uint16_t sid)
{
	if (r->sid_seen == NULL)
		r->sid_seen = xcalloc(65536 / 8, 1);
	if (r->sid_seen[sid / 8] & (1u << (sid % 8)))
		return;
	r->sid_seen[sid / 8] |= (uint8_t)(1u << (sid % 8));
	r->sids = xreallocarray(r->sids, r->nsids + 1, sizeof *r->sids);
	r->sids[r->nsids++] = sid;
}

/*
 * After a send failed: 1 to wait for room, 0 when the association is ending
 * (the peer's SHUTDOWN: what we still have is dropped and recv tells how it
 * ended), -1 when the relay ended.
 */
static int
relay_send_failed(struct sctp_relay *r)
{
	if (errno == EAGAIN)
		return 1;
	if (errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN || errno == ESHUTDOWN) {
		if (!r->send_dead)
			log_debug("sctp assoc %llu %s: the association takes no more data (%s)",
			    (unsigned long long)r->id, relay_name(r), strerror(errno));
		r->send_dead = true;
		return 0;
	}
	relay_end(r, LOG_LVL_WARNING, true, "send: %s", strerror(errno));
	return -1;
}

/* Send a control message; 0, 1 when it must wait for room, -1 when the relay ended. */
static int
relay_send_ctl(struct sctp_relay *r, const struct sctp_ctl *c, uint16_t sid)
{
	struct sctp_msginfo info = { .sid = sid, .ppid = SCTP_CTL_PPID };
	uint8_t buf[SCTP_CTL_LEN];

	if (r->send_dead)
		return 0;
	sctp_ctl_encode(c, buf);
	if (r->ops->send(r->a, &info, buf, sizeof buf) == 0)
		return 0;
	return relay_send_failed(r);
}

/* Our byte stream ended and everything before it was sent. */
static bool
relay_out_end(struct sctp_relay *r)
{
	unsigned nset;

	if (r->core_gone || !r->conf.peer_mptnd || r->conf.half_close_close) {
		if (r->conf.half_close_close && !r->core_gone)
			log_debug("sctp assoc %llu %s: half-close=close: SHUTDOWN",
			    (unsigned long long)r->id, relay_name(r));
		if (r->conf.half_close_close && !r->sctp_shut) {
			r->ops->shutdown(r->a);
			r->sctp_shut = true;
		}
		r->out_ended = true;
		return true;
	}
	/* peer=mptnd: one EOS on every stream we sent on (ordering is per stream) */
	nset = r->nsids > 0 ? r->nsids : 1;
	while (r->eos_sent < nset) {
		struct sctp_ctl c = { .version = SCTP_CTL_VERSION, .type = SCTP_CTL_EOS,
			.count = (uint16_t)nset };
		int rc = relay_send_ctl(r, &c, r->nsids > 0 ? r->sids[r->eos_sent] : 0);

		if (rc != 0)
			return rc < 0;
		r->eos_sent++;
	}
	log_debug("sctp assoc %llu %s: our stream ended: %u EOS sent", (unsigned long long)r->id,
	    relay_name(r), nset);
	r->out_ended = true;
	return true;
}

/* Bytes from the core's socket to messages; true on progress. */
static bool
relay_out(struct sctp_relay *r)
{
	bool progress = false;

	if (r->hello_pending) {
		struct sctp_ctl c = { .version = SCTP_CTL_VERSION, .type = SCTP_CTL_HELLO,
			.framing = (uint8_t)r->conf.framing,
			.flags = r->conf.half_close_close ? SCTP_CTL_F_CLOSE : 0 };
		int rc = relay_send_ctl(r, &c, 0);

		if (rc != 0)
			return rc < 0;
		r->hello_pending = false;
		progress = true;
	}
	for (;;) {
		struct sctp_msginfo info = { 0 };
		struct sctp_record rec;
		const uint8_t *msg;
		const char *why = NULL;
		size_t len, used;
		ssize_t n;

		if (r->olen > r->ooff) {
			if (r->conf.framing == SCTP_FRAMING_NONE) {
				msg = r->obuf + r->ooff;
				len = used = r->olen - r->ooff;
			} else {
				enum mptn_parse rc = sctp_framing_decode(r->conf.framing, r->obuf + r->ooff,
				    r->olen - r->ooff, r->conf.max_message, &rec, &used, &why);

				if (rc == MPTN_FAIL) {
					relay_end(r, LOG_LVL_WARNING, true, "record from the byte stream "
					    "exceeds max-message (%zu bytes): refused", r->conf.max_message);
					return true;
				}
				if (rc == MPTN_MORE)
					goto more;
				msg = r->obuf + r->ooff + r->hdr;
				len = rec.len;
				info.sid = rec.sid;
				info.ppid = rec.ppid;
				if (r->conf.peer_mptnd && info.ppid == SCTP_CTL_PPID) {
					relay_end(r, LOG_LVL_WARNING, true, "record with PPID 0x%08x, which "
					    "peer=mptnd reserves", SCTP_CTL_PPID);
					return true;
				}
				if (r->ops->outstreams(r->a) > 0 && info.sid >= r->ops->outstreams(r->a)) {
					relay_end(r, LOG_LVL_WARNING, true, "record on stream %u; the "
					    "association has %u", info.sid, r->ops->outstreams(r->a));
					return true;
				}
			}
			if (len > 0 && !r->assoc_end && !r->send_dead) {
				if (r->ops->send(r->a, &info, msg, len) != 0) {
					int rc = relay_send_failed(r);

					if (rc != 0)
						return rc > 0 ? progress : true;
				} else {
					if (r->conf.peer_mptnd)
						relay_mark_sid(r, info.sid);
					r->up_bytes += used;
				}
			}
			r->ooff += used;
			if (r->ooff == r->olen)
				r->ooff = r->olen = 0;
			progress = true;
			continue;
		}
more:
		if (r->rd_eof) {
			if (r->olen > r->ooff && !r->core_gone) {
				relay_end(r, LOG_LVL_WARNING, true, "the byte stream ended inside a record");
				return true;
			}
			r->ooff = r->olen = 0;
			break;
		}
		if (r->fd < 0 || !r->can_read)
			return progress;
		if (r->ooff > 0) {
			memmove(r->obuf, r->obuf + r->ooff, r->olen - r->ooff);
			r->olen -= r->ooff;
			r->ooff = 0;
		}
		relay_grow(&r->obuf, &r->ocap, r->omax, r->olen);
		n = read(r->fd, r->obuf + r->olen, r->ocap - r->olen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				r->can_read = false;
				return progress;
			}
			relay_core_gone(r, errno);
			return true;
		}
		progress = true;
		if (n == 0) {
			r->rd_eof = true;
			log_debug("sctp assoc %llu %s: EOF from the core", (unsigned long long)r->id,
			    relay_name(r));
			continue;
		}
		r->olen += (size_t)n;
	}
	if (!r->out_ended && !r->assoc_end)
		return relay_out_end(r) || progress;
	return progress;
}

/* ---- the state of the whole ------------------------------------------------- */

static void
relay_connect_check(struct sctp_relay *r)
{
	int sv[2];

	relay_in(r);		/* reads notifications (and early data, kept) */
	if (r->finished)
		return;
	switch (r->ops->state(r->a)) {
	case SCTP_ASSOC_CONNECTING:
		return;
	case SCTP_ASSOC_UP:
		break;
	default:
		relay_end(r, LOG_LVL_DEBUG, true, "association refused or failed to start");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
		relay_end(r, LOG_LVL_WARNING, true, "socketpair: %s", strerror(errno));
		return;
	}
	r->connecting = false;
	if (r->timer != NULL)
		event_free(r->timer);
	r->timer = NULL;
	relay_attach(r, sv[0]);
	log_debug("sctp assoc %llu %s: up, %u outbound streams (framing %s, half-close %s%s)",
	    (unsigned long long)r->id, relay_name(r), r->ops->outstreams(r->a),
	    sctp_framing_name(r->conf.framing), r->conf.half_close_close ? "close" : "wait",
	    r->conf.peer_mptnd ? ", peer mptnd" : "");
	r->hello_pending = r->conf.peer_mptnd;
	relay_token_done(r, sv[1], 0, NULL);
}

static void
relay_check_end(struct sctp_relay *r)
{
	bool drained = r->wlen == r->woff && !r->in_msg;

	if (r->finished || r->connecting)
		return;
	/* the peer's direction is over: the core sees EOF */
	if ((r->assoc_end || r->peer_eos) && drained && !r->wr_shut && r->fd >= 0) {
		shutdown(r->fd, SHUT_WR);
		r->wr_shut = true;
	}
	if (r->assoc_end && (drained || r->core_gone)) {
		relay_end(r, LOG_LVL_DEBUG, false, r->sctp_shut ? "shut down" : "shut down by the peer");
		return;
	}
	if (r->sctp_shut)
		return;
	/* both directions ended in band, or the core left: SHUTDOWN after the queue */
	if ((r->out_ended && r->peer_eos && r->wr_shut) ||
	    (r->core_gone && r->olen == r->ooff && !r->hello_pending)) {
		r->ops->shutdown(r->a);
		r->sctp_shut = true;
	}
}

static void
relay_run(struct sctp_relay *r)
{
	uint64_t start;

	if (r->finished)
		return;
	if (r->connecting) {
		relay_connect_check(r);
		if (r->connecting || r->finished)
			return;
	}
	start = r->up_bytes + r->down_bytes;
	for (;;) {
		bool in = relay_in(r), out;

		if (r->finished)
			return;
		out = relay_out(r);
		if (r->finished)
			return;
		if (!in && !out)
			break;
		if (r->up_bytes + r->down_bytes - start >= RELAY_BUDGET) {
			event_active(r->run_ev, EV_TIMEOUT, 0);	/* go on after the others */
			break;
		}
	}
	relay_check_end(r);
	if (!r->finished && r->sctp_shut)
		relay_in(r);	/* a SHUTDOWN just asked for may have completed already */
}

void
sctp_relay_shutdown_all(void)
{
	struct sctp_relay *r;

	relay_stopping = true;
	for (r = relays; r != NULL; r = r->next) {
		if (!r->finished && !r->connecting && !r->sctp_shut) {
			r->ops->shutdown(r->a);
			r->sctp_shut = true;
		}
	}
}

void
sctp_relay_abort_all(void)
{
	relay_stopping = true;
	while (relays != NULL)
		relay_end(relays, LOG_LVL_INFO, true, "mptnd is stopping");
}

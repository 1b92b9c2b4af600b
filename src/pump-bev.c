/*
 * pump-bev.c - moving bytes between halves that are libevent bufferevents:
 * TLS halves (an OpenSSL bufferevent over the socket) and, with them, the
 * plain half of the same bridge.
 *
 * Data read from a half goes straight to the other half's output evbuffer
 * (chains move, bytes are not copied). When that output holds `buffer`
 * bytes or more, reading from the source stops until the output drains to
 * half of it, so a slow reader bounds memory at about 2 x buffer. EOF on a
 * half becomes shutdown-write on the other once its output has drained. For
 * a TLS half that means close_notify, then the socket's write side, so
 * half-close survives TLS (RFC 8446 §6.1); a TLS half that ends any other
 * way still says close_notify if its session is intact.
 *
 * A plain half here reads through its own event instead of the socket
 * bufferevent's reader: libevent 2.1 reads at most 4 KiB per read(2)
 * (evbuffer_set_max_read arrived in 2.2), which costs throughput and, on
 * MPTCP, stalls the sender's window. bev_plain_read reads up to `buffer`
 * bytes per call into the input evbuffer's own chains.
 */
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "log.h"
#include "pump.h"
#include "tls.h"
#include "transport.h"
#include "worker.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static struct half *
bev_half(struct bridge *b, struct bufferevent *bev)
{
	return bev == b->front.bev ? &b->front : &b->back;
}

static void
bev_shut_socket(struct bridge *b, struct half *dst)
{
	shutdown(bufferevent_getfd(dst->bev), SHUT_WR);
	bridge_shut_done(b, dst);
}

/* close_notify could not be written at once: try again when writable. */
static void
bev_tls_shut_cb(evutil_socket_t fd, short what, void *arg)
{
	struct half *h = arg;
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);

	if (SSL_shutdown(ssl) < 0 && SSL_get_error(ssl, -1) == SSL_ERROR_WANT_WRITE) {
		event_add(h->tls_shut, NULL);
		return;
	}
	ERR_clear_error();
	bev_shut_socket(h->bridge, h);
}

/* Shut DST's write side: its source has ended and DST has sent everything. */
static void
bev_shut(struct bridge *b, struct half *dst)
{
	if (dst->shut)
		return;
	dst->shut = true;
	if (!(dst->ta->tp->flags & TRANSPORT_HALF_CLOSE)) {
		bridge_close(b, "done");
		return;
	}
	if (dst->ta->tls != NULL) {
		SSL *ssl = bufferevent_openssl_get_ssl(dst->bev);

		if (SSL_shutdown(ssl) < 0 && SSL_get_error(ssl, -1) == SSL_ERROR_WANT_WRITE) {
			dst->tls_shut = event_new(worker_base(b->w), bufferevent_getfd(dst->bev),
			    EV_WRITE, bev_tls_shut_cb, dst);
			event_add(dst->tls_shut, NULL);
			return;
		}
		ERR_clear_error();
	}
	bev_shut_socket(b, dst);
}

static void bev_read_cb(struct bufferevent *, void *);
static void bev_event_cb(struct bufferevent *, short, void *);

/* Reading on or off for H, whichever reader it has. */
static void
bev_reading(struct half *h, bool on)
{
	if (h->ta->tls != NULL) {
		if (on)
			bufferevent_enable(h->bev, EV_READ);
		else
			bufferevent_disable(h->bev, EV_READ);
	} else if (on && !h->eof)
		event_add(&h->ev, NULL);
	else
		event_del(&h->ev);
}

/* A plain half is readable: up to `buffer` bytes in one readv(2). */
static void
bev_plain_read(evutil_socket_t fd, short what, void *arg)
{
	struct half *h = arg;
	struct bridge *b = h->bridge;
	struct evbuffer *in = bufferevent_get_input(h->bev);
	struct evbuffer_iovec vec[2];
	ssize_t n;
	int nvec;

	nvec = evbuffer_reserve_space(in, (ev_ssize_t)b->conf->buffer, vec, 2);
	if (nvec <= 0)
		return;
	n = readv(fd, (struct iovec *)vec, nvec);
	if (n < 0) {
		evbuffer_commit_space(in, vec, 0);
		if (errno == EAGAIN || errno == EINTR)
			return;
		bev_event_cb(h->bev, BEV_EVENT_READING | BEV_EVENT_ERROR, b);
		return;
	}
	if (n == 0) {
		evbuffer_commit_space(in, vec, 0);
		event_del(&h->ev);
		bev_event_cb(h->bev, BEV_EVENT_READING | BEV_EVENT_EOF, b);
		return;
	}
	if ((size_t)n <= vec[0].iov_len)
		vec[0].iov_len = (size_t)n, nvec = 1;
	else
		vec[1].iov_len = (size_t)n - vec[0].iov_len;
	evbuffer_commit_space(in, vec, nvec);
	bev_read_cb(h->bev, b);
}

/* Move what SRC has read to the other half, throttle, and pass EOF on. */
static void
bev_pump(struct bridge *b, struct half *src)
{
	struct half *dst = bridge_peer(b, src);
	struct evbuffer *in, *out;
	size_t n;

	if (dst->bev == NULL)
		return;		/* still connecting: input waits, bounded by the read watermark */
	in = bufferevent_get_input(src->bev);
	out = bufferevent_get_output(dst->bev);
	n = evbuffer_get_length(in);
	if (n > 0) {
		evbuffer_add_buffer(out, in);
		src->bytes += n;
		b->active_ms = clock_ms();
	}
	if (!src->eof && evbuffer_get_length(out) >= b->conf->buffer) {
		bev_reading(src, false);
		src->throttled = true;
	}
	if (src->eof && evbuffer_get_length(out) == 0)
		bev_shut(b, dst);
}

static void
bev_read_cb(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;

	bev_pump(b, bev_half(b, bev));
	bridge_after_io(b);
}

/* DST's output fell to the low watermark (half the buffer) or drained. */
static void
bev_write_cb(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;
	struct half *dst = bev_half(b, bev);
	struct half *src = bridge_peer(b, dst);
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	b->active_ms = clock_ms();
	if (src->throttled && left < b->conf->buffer) {
		src->throttled = false;
		bev_reading(src, true);
	}
	if (src->eof && left == 0)
		bev_shut(b, dst);
	else if (dst == &b->front)
		bridge_after_io(b);
}

/* A TLS half finished its handshake. */
static void
bev_tls_ready(struct bridge *b, struct half *h)
{
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);

	h->secured = true;
	if (h == &b->front) {
		h->identity = tls_peer_identity(ssl);
		if (h->identity != NULL)
			log_info("bridge %llu [%s]: client certificate %s", (unsigned long long)b->id,
			    b->conf->name, h->identity);
	} else
		tls_conf_save_session(h->ta->tls, ssl);
	log_debug("bridge %llu [%s]: %s TLS ready: %s %s%s", (unsigned long long)b->id,
	    b->conf->name, bridge_label(b, h), SSL_get_version(ssl), SSL_get_cipher_name(ssl),
	    SSL_session_reused(ssl) ? " (resumed)" : "");
	if (h == &b->front)
		bridge_front_secured(b);
}

static void
bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bridge *b = arg;
	struct half *h = bev_half(b, bev);
	char reason[200];

	if ((what & BEV_EVENT_CONNECTED) && h->ta->tls != NULL) {
		bev_tls_ready(b, h);
		return;
	}
	if ((what & BEV_EVENT_ERROR) && h->ta->tls != NULL) {
		unsigned long tls_err = bufferevent_get_openssl_error(bev);

		if (tls_err != 0 || !h->secured) {
			char why[160];

			tls_describe_error(bufferevent_openssl_get_ssl(bev), tls_err, why, sizeof why);
			while (bufferevent_get_openssl_error(bev) != 0)
				;
			snprintf(reason, sizeof reason, "%s-tls-error (%s)", bridge_label(b, h), why);
			if (!h->secured)
				log_info("bridge %llu [%s]: TLS handshake with %s failed: %s",
				    (unsigned long long)b->id, b->conf->name, h->name, why);
			h->secured = false;	/* no close_notify on a failed session */
			bridge_close(b, reason);
			return;
		}
	}
	if (what & BEV_EVENT_ERROR) {
		int err = EVUTIL_SOCKET_ERROR();

		if (err == ECONNRESET)
			snprintf(reason, sizeof reason, "%s-reset", bridge_label(b, h));
		else
			snprintf(reason, sizeof reason, "%s-error (%s while %s)", bridge_label(b, h),
			    strerror(err), (what & BEV_EVENT_READING) ? "reading" : "writing");
		bridge_close(b, reason);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		h->eof = true;
		/*
		 * libevent 2.1's OpenSSL bufferevent stops writing when the peer's
		 * close_notify arrives and only starts again when data is added to an
		 * empty output: what is queued toward this half would sit there.
		 */
		if (h->ta->tls != NULL)
			bufferevent_enable(h->bev, EV_WRITE);
		bev_pump(b, h);
		bridge_after_io(b);
	}
}

static int
bev_attach(struct bridge *b, struct half *h, int fd)
{
	size_t io = b->conf->buffer;

	if (h->ta->tls != NULL) {
		SSL *ssl = tls_ssl_new(h->ta->tls);

		if (ssl == NULL) {
			log_warning("bridge %llu: cannot create a TLS session", (unsigned long long)b->id);
			ERR_clear_error();
			close(fd);
			return -1;
		}
		h->bev = bufferevent_openssl_socket_new(worker_base(b->w), fd, ssl,
		    h == &b->front ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE);
		if (h->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(h->bev, 1);
	} else
		h->bev = bufferevent_socket_new(worker_base(b->w), fd, BEV_OPT_CLOSE_ON_FREE);
	if (h->bev == NULL) {
		log_error("bridge %llu: cannot create a bufferevent", (unsigned long long)b->id);
		abort();
	}
	h->live = true;
	bufferevent_setcb(h->bev, bev_read_cb, bev_write_cb, bev_event_cb, b);
	bufferevent_setwatermark(h->bev, EV_READ, 0, io);
	bufferevent_setwatermark(h->bev, EV_WRITE, io / 2, 0);
	bufferevent_set_max_single_read(h->bev, io);
	bufferevent_set_max_single_write(h->bev, io);
	if (h->ta->tls != NULL)
		bufferevent_enable(h->bev, EV_READ | EV_WRITE);
	else {
		/* our own reader (see the top of this file); the bufferevent only writes */
		bufferevent_enable(h->bev, EV_WRITE);
		/* a socket bufferevent keeps its input's end frozen while it does not read */
		evbuffer_unfreeze(bufferevent_get_input(h->bev), 0);
		event_assign(&h->ev, worker_base(b->w), fd, EV_READ | EV_PERSIST, bev_plain_read, h);
		event_add(&h->ev, NULL);
	}
	return 0;
}

static void
bev_kick(struct bridge *b)
{
	bev_pump(b, &b->front);
}

static void
bev_stop(struct half *h)
{
	bufferevent_disable(h->bev, EV_READ | EV_WRITE);
	if (h->ta->tls == NULL)
		event_del(&h->ev);
	if (h->tls_shut != NULL)
		event_del(h->tls_shut);
}

static void
bev_release(struct half *h)
{
	SSL *ssl;

	if (h->bev == NULL)
		return;
	if (h->ta->tls == NULL)
		event_del(&h->ev);
	ssl = h->ta->tls != NULL ? bufferevent_openssl_get_ssl(h->bev) : NULL;
	if (h->tls_shut != NULL)
		event_free(h->tls_shut);
	if (ssl != NULL && h->secured && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		SSL_shutdown(ssl);
	ERR_clear_error();
	bufferevent_free(h->bev);
}

static size_t
bev_peek(struct half *front, const unsigned char **data)
{
	struct evbuffer *in = bufferevent_get_input(front->bev);
	size_t len = evbuffer_get_length(in);

	*data = len > 0 ? evbuffer_pullup(in, -1) : (const unsigned char *)"";
	return len;
}

static void
bev_consume(struct half *front, size_t n)
{
	evbuffer_drain(bufferevent_get_input(front->bev), n);
}

static void
bev_reply(struct bridge *b, const void *data, size_t len)
{
	if (len > 0)
		bufferevent_write(b->front.bev, data, len);
}

static size_t
bev_front_pending(struct bridge *b)
{
	return b->front.bev != NULL ? evbuffer_get_length(bufferevent_get_output(b->front.bev)) : 0;
}

const struct pump pump_bev = {
	.name = "bev",
	.attach = bev_attach,
	.kick = bev_kick,
	.stop = bev_stop,
	.release = bev_release,
	.peek = bev_peek,
	.consume = bev_consume,
	.reply = bev_reply,
	.front_pending = bev_front_pending,
};

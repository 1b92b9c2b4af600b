/*
 * bridge.c - the relay between front and back.
 *
 * One pump serves both directions. Data read from a half goes straight to
 * the other half's output evbuffer (chains move, bytes are not copied). When
 * that output holds `buffer` bytes or more, reading from the source stops
 * until the output drains below half of it, so a slow reader bounds memory
 * at about 2 x buffer per bridge. EOF on a half becomes shutdown-write on
 * the other half once its output has drained (half-close is kept per
 * direction); the bridge ends when both directions are shut, or on an
 * error or timeout. The idle timer is lazy: activity only stamps a time, and
 * the timer re-arms itself for what is left. Once one direction is done the
 * fin-timeout applies instead of the idle-timeout.
 *
 * A TLS half is an OpenSSL bufferevent over the socket; shutting its write
 * side sends close_notify, then shuts the socket's write side, so half-close
 * survives TLS (RFC 8446 §6.1). A half that ends any other way still sends
 * close_notify if its session is intact.
 */
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "dial.h"
#include "log.h"
#include "tls.h"
#include "transport.h"
#include "worker.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static _Atomic uint64_t bridge_next_id = 1;

static void bridge_try_target(struct bridge *);
static void bridge_arm_timer(struct bridge *);
static void bridge_tls_ready(struct bridge *, struct half *);

static struct half *
half_peer(struct bridge *b, struct half *h)
{
	return h == &b->front ? &b->back : &b->front;
}

static const char *
half_label(struct bridge *b, struct half *h)
{
	return h == &b->front ? "front" : "back";
}

/* Free a half; a TLS session still intact says close_notify first. */
static void
half_free(struct half *h)
{
	if (h->tls_shut != NULL)
		event_free(h->tls_shut);
	if (h->bev != NULL) {
		SSL *ssl = h->ta->tls != NULL ? bufferevent_openssl_get_ssl(h->bev) : NULL;

		if (ssl != NULL && h->secured && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
			SSL_shutdown(ssl);
		ERR_clear_error();
		bufferevent_free(h->bev);
	}
	free(h->name);
	free(h->identity);
}

static void
bridge_free_cb(evutil_socket_t unused, short what, void *arg)
{
	struct bridge *b = arg;

	half_free(&b->front);
	half_free(&b->back);
	config_unref(b->cfg);
	free(b);
}

void
bridge_close(struct bridge *b, const char *reason)
{
	uint64_t now = clock_ms();

	if (b->closed)
		return;
	b->closed = true;
	dial_cancel(b->dial);
	b->dial = NULL;
	if (b->front.bev != NULL)
		bufferevent_disable(b->front.bev, EV_READ | EV_WRITE);
	if (b->back.bev != NULL)
		bufferevent_disable(b->back.bev, EV_READ | EV_WRITE);
	log_info("bridge %llu [%s] closed: reason=%s front=%s<-%s back=%s up=%llu down=%llu "
	    "duration=%.3fs%s%s", (unsigned long long)b->id, b->conf->name, reason,
	    b->front.ta->label, b->front.name,
	    b->back.name != NULL ? b->back.name : "-",
	    (unsigned long long)b->front.bytes, (unsigned long long)b->back.bytes,
	    (double)(now - b->started_ms) / 1000.0,
	    b->front.identity != NULL ? " front-identity=" : "",
	    b->front.identity != NULL ? b->front.identity : "");
	mptn_bridges_live--;
	b->conf->count->n--;
	worker_bridge_removed(b->w, b);
	evtimer_del(&b->timer);
	event_assign(&b->timer, worker_base(b->w), -1, 0, bridge_free_cb, b);
	event_active(&b->timer, EV_TIMEOUT, 0);
}

static void bridge_shut_done(struct bridge *, struct half *);

/* close_notify could not be written at once: try again when writable. */
static void
bridge_tls_shut_cb(evutil_socket_t fd, short what, void *arg)
{
	struct half *h = arg;
	struct bridge *b = h->bridge;
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);

	if (SSL_shutdown(ssl) < 0 && SSL_get_error(ssl, -1) == SSL_ERROR_WANT_WRITE) {
		event_add(h->tls_shut, NULL);
		return;
	}
	ERR_clear_error();
	bridge_shut_done(b, h);
}

/* Shut DST's write side: its source has ended and DST has sent everything. */
static void
bridge_shut(struct bridge *b, struct half *dst)
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
			    EV_WRITE, bridge_tls_shut_cb, dst);
			event_add(dst->tls_shut, NULL);
			return;
		}
		ERR_clear_error();
	}
	bridge_shut_done(b, dst);
}

static void
bridge_shut_done(struct bridge *b, struct half *dst)
{
	shutdown(bufferevent_getfd(dst->bev), SHUT_WR);
	if (b->front.shut && b->back.shut)
		bridge_close(b, "done");
	else
		bridge_arm_timer(b);
}

/* Move what SRC has read to the other half, throttle, and pass EOF on. */
static void
bridge_pump(struct bridge *b, struct half *src)
{
	struct half *dst = half_peer(b, src);
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
		bufferevent_disable(src->bev, EV_READ);
		src->throttled = true;
	}
	if (src->eof && evbuffer_get_length(out) == 0)
		bridge_shut(b, dst);
}

static void
bridge_read_cb(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;

	bridge_pump(b, bev == b->front.bev ? &b->front : &b->back);
}

/* DST's output fell to the low watermark (half the buffer) or drained. */
static void
bridge_write_cb(struct bufferevent *bev, void *arg)
{
	struct bridge *b = arg;
	struct half *dst = bev == b->front.bev ? &b->front : &b->back;
	struct half *src = half_peer(b, dst);
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	b->active_ms = clock_ms();
	if (src->throttled && left < b->conf->buffer) {
		src->throttled = false;
		bufferevent_enable(src->bev, EV_READ);
	}
	if (src->eof && left == 0)
		bridge_shut(b, dst);
}

static void
bridge_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct bridge *b = arg;
	struct half *h = bev == b->front.bev ? &b->front : &b->back;
	char reason[200];

	if ((what & BEV_EVENT_CONNECTED) && h->ta->tls != NULL) {
		bridge_tls_ready(b, h);
		return;
	}
	if ((what & BEV_EVENT_ERROR) && h->ta->tls != NULL) {
		unsigned long tls_err = bufferevent_get_openssl_error(bev);

		if (tls_err != 0 || !h->secured) {
			char why[160];

			tls_describe_error(bufferevent_openssl_get_ssl(bev), tls_err, why, sizeof why);
			while (bufferevent_get_openssl_error(bev) != 0)
				;
			snprintf(reason, sizeof reason, "%s-tls-error (%s)", half_label(b, h), why);
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
			snprintf(reason, sizeof reason, "%s-reset", half_label(b, h));
		else
			snprintf(reason, sizeof reason, "%s-error (%s while %s)", half_label(b, h),
			    strerror(err), (what & BEV_EVENT_READING) ? "reading" : "writing");
		bridge_close(b, reason);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		h->eof = true;
		bridge_pump(b, h);
	}
}

/* A TLS half finished its handshake. */
static void
bridge_tls_ready(struct bridge *b, struct half *h)
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
	    b->conf->name, half_label(b, h), SSL_get_version(ssl), SSL_get_cipher_name(ssl),
	    SSL_session_reused(ssl) ? " (resumed)" : "");
}

static int
bridge_setup_half(struct bridge *b, struct half *h, int fd)
{
	size_t io = b->conf->buffer;

	if (h->ta->tls != NULL) {
		SSL *ssl = tls_ssl_new(h->ta->tls);

		if (ssl == NULL) {
			log_warning("bridge %llu: cannot create a TLS session", (unsigned long long)b->id);
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
	bufferevent_setcb(h->bev, bridge_read_cb, bridge_write_cb, bridge_event_cb, b);
	bufferevent_setwatermark(h->bev, EV_READ, 0, io);
	bufferevent_setwatermark(h->bev, EV_WRITE, io / 2, 0);
	bufferevent_set_max_single_read(h->bev, io);
	bufferevent_set_max_single_write(h->bev, io);
	bufferevent_enable(h->bev, EV_READ | EV_WRITE);
	return 0;
}

static void
bridge_timer_cb(evutil_socket_t unused, short what, void *arg)
{
	struct bridge *b = arg;
	bool fin = b->front.shut || b->back.shut;
	uint64_t limit = fin ? b->conf->fin_timeout_ms : b->conf->idle_timeout_ms;

	if (fin && b->conf->idle_timeout_ms > 0 && b->conf->idle_timeout_ms < limit)
		limit = b->conf->idle_timeout_ms;
	if (clock_ms() - b->active_ms >= limit) {
		bridge_close(b, fin ? "fin-timeout" : "idle-timeout");
		return;
	}
	bridge_arm_timer(b);
}

/* Arm the timer for what is left of the idle (or fin) timeout. */
static void
bridge_arm_timer(struct bridge *b)
{
	bool fin = b->front.shut || b->back.shut;
	uint64_t limit = fin ? b->conf->fin_timeout_ms : b->conf->idle_timeout_ms;
	uint64_t idle, left;
	struct timeval tv;

	if (fin && b->conf->idle_timeout_ms > 0 && b->conf->idle_timeout_ms < limit)
		limit = b->conf->idle_timeout_ms;
	if (limit == 0) {
		evtimer_del(&b->timer);
		return;
	}
	idle = clock_ms() - b->active_ms;
	left = idle >= limit ? 1 : limit - idle;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	evtimer_add(&b->timer, &tv);
}

static void
bridge_dial_done(void *arg, int fd, const char *error)
{
	struct bridge *b = arg;
	const struct taddr *ta = b->conf->target[b->target];

	b->dial = NULL;
	if (fd < 0) {
		log_info("bridge %llu [%s]: target %s: %s", (unsigned long long)b->id,
		    b->conf->name, ta->label, error);
		snprintf(b->last_error, sizeof b->last_error, "%s", error);
		b->target++;
		bridge_try_target(b);
		return;
	}
	ta->tp->setup(ta, fd);
	b->back.ta = ta;
	b->back.name = ta->tp->peer_name(ta, fd);
	if (bridge_setup_half(b, &b->back, fd) != 0) {
		bridge_close(b, "back-tls-error (no session)");
		return;
	}
	b->active_ms = clock_ms();
	log_debug("bridge %llu [%s]: connected to %s", (unsigned long long)b->id, b->conf->name,
	    b->back.name);
	bridge_pump(b, &b->front);
	bridge_arm_timer(b);
}

/* Dial the current target, or fail when the list or the tries are used up. */
static void
bridge_try_target(struct bridge *b)
{
	const struct lconf *lc = b->conf;
	char reason[200];
	const struct taddr *ta;

	if (lc->connect_tries > 0 && b->tries >= lc->connect_tries)
		b->target = lc->ntarget;
	if (b->target >= lc->ntarget) {
		snprintf(reason, sizeof reason, "connect-failed (%s)", b->last_error);
		bridge_close(b, reason);
		return;
	}
	ta = lc->target[b->target];
	b->tries++;
	b->dial = ta->tp->connect(b->w, ta, lc->connect_timeout_ms, bridge_dial_done, b);
}

void
bridge_start(struct worker *w, struct config *cfg, const struct lconf *conf,
    const struct taddr *listen, int fd)
{
	struct bridge *b = xcalloc(1, sizeof *b);

	b->id = bridge_next_id++;
	b->w = w;
	b->cfg = config_ref(cfg);
	b->conf = conf;
	b->started_ms = b->active_ms = clock_ms();
	b->front.bridge = b;
	b->back.bridge = b;
	b->front.ta = listen;
	b->front.name = listen->tp->peer_name(listen, fd);
	evtimer_assign(&b->timer, worker_base(w), bridge_timer_cb, b);
	mptn_bridges_live++;
	conf->count->n++;
	worker_bridge_added(w, b);
	listen->tp->setup(listen, fd);
	if (bridge_setup_half(b, &b->front, fd) != 0) {
		bridge_close(b, "front-tls-error (no session)");
		return;
	}
	log_debug("bridge %llu [%s]: accepted %s on %s", (unsigned long long)b->id, conf->name,
	    b->front.name, listen->label);
	bridge_try_target(b);
}

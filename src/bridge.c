/*
 * bridge.c - the life of one relayed connection: accept, dial the targets in
 * order (failover on refusal or timeout), hand both halves to a pump, keep
 * the idle and fin timers, and the one close path with its log line.
 *
 * The pump is chosen once per bridge: pump-fd when the front and every
 * target are plain kernel stream sockets (so splice(2) can be used),
 * pump-bev otherwise (TLS). Half-close is per direction: a pump calls
 * bridge_shut_done() after shutting one half's write side; the bridge ends
 * when both are shut, or on an error or timeout. The bridge's one timer
 * (an entry in its worker's timeq) is lazy: activity only stamps a time and
 * the timer re-arms itself for what is left of the idle timeout. Once one
 * direction is done, the fin-timeout applies instead.
 * On a gateway listener the targets come from the client: handshake.c runs
 * first and sets b->targets. On a tls+ listener the target is dialled only
 * once the client's handshake is done (and its certificate has passed the
 * listener's `cert` rules). Both are held to handshake-timeout.
 * Memory is freed from the loop after the close (the worker's reap event
 * calls bridge_free), never inside the callback that decided to close.
 */
#include "bridge.h"
#include "common.h"
#include "config.h"
#include "access.h"
#include "addrmap.h"
#include "dial.h"
#include "handshake.h"
#include "log.h"
#include "pump.h"
#include "timeq.h"
#include "transport.h"
#include "worker.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static _Atomic uint64_t bridge_next_id = 1;

/*
 * What an idle bridge costs: this struct (912 bytes on x86-64 today, with
 * both halves and their events) plus the two peer names. No buffer and no
 * pipe: the pumps take those only while data is in flight.
 */
_Static_assert(sizeof(struct bridge) <= 1024, "an idle bridge must stay small");

#define BRIDGE_LINGER_MS 5000	/* how long a refusal may take to reach the client */

static void bridge_try_target(struct bridge *);

struct half *
bridge_peer(struct bridge *b, struct half *h)
{
	return h == &b->front ? &b->back : &b->front;
}

const char *
bridge_label(struct bridge *b, struct half *h)
{
	return h == &b->front ? "front" : "back";
}

static void
half_release(struct bridge *b, struct half *h)
{
	b->pump->release(h);	/* also a half that never connected: a reply may sit in its buffer */
	free(h->name);
	free(h->identity);
}

void
bridge_free(struct bridge *b)
{
	half_release(b, &b->front);
	half_release(b, &b->back);
	handshake_free(b);
	for (size_t i = 0; i < b->nown; i++)
		taddr_free(b->own_targets[i]);
	free(b->own_targets);
	config_unref(b->cfg);
	free(b->close_reason);
	free(b);
}

/*
 * The bridge's last line: "bridge ID [LISTENER] closed: reason=R front=A<-B
 * back=C up=N down=N duration=S.MMMs[ front-identity=I]", built by hand.
 */
static void
bridge_log_closed(struct bridge *b, const char *reason)
{
	struct log_line l;

	l.len = 0;
	log_line_str(&l, "bridge ");
	log_line_uint(&l, b->id);
	log_line_str(&l, " [");
	log_line_str(&l, b->conf->name);
	log_line_str(&l, "] closed: reason=");
	log_line_str(&l, reason);
	log_line_str(&l, " front=");
	log_line_str(&l, b->front.ta->label);
	log_line_str(&l, "<-");
	log_line_str(&l, b->front.name);
	log_line_str(&l, " back=");
	log_line_str(&l, b->back.name != NULL ? b->back.name : "-");
	log_line_str(&l, " up=");
	log_line_uint(&l, b->front.bytes);
	log_line_str(&l, " down=");
	log_line_uint(&l, b->back.bytes);
	log_line_str(&l, " duration=");
	log_line_milli(&l, clock_ms() - b->started_ms);
	log_line_str(&l, "s");
	if (b->front.identity != NULL) {
		log_line_str(&l, " front-identity=");
		log_line_str(&l, b->front.identity);
	}
	log_line_emit(LOG_LVL_INFO, &l);
}

void
bridge_close(struct bridge *b, const char *reason)
{
	if (b->closed)
		return;
	b->closed = true;
	dial_cancel(b->dial);
	b->dial = NULL;
	if (b->front.live)
		b->pump->stop(&b->front);
	if (b->back.live)
		b->pump->stop(&b->back);
	if (log_is_enabled(LOG_LVL_INFO))
		bridge_log_closed(b, reason);
	mptn_bridges_live--;
	b->conf->count->n--;
	if (b->client.family != 0)
		clientcount_leave(b->conf->count, &b->client);
	timeq_disarm(&b->timer);
	worker_bridge_removed(b->w, b);	/* which frees it from the loop */
}

void
bridge_shut_done(struct bridge *b, struct half *dst)
{
	if (b->front.shut && b->back.shut)
		bridge_close(b, "done");
	else
		bridge_arm_timer(b);
}

/*
 * A TLS front whose handshake has not finished is held to the listener's
 * handshake-timeout (from accept), like a gateway's client: ms left, or -1.
 */
static long
bridge_tls_pending_ms(const struct bridge *b)
{
	uint64_t elapsed;

	if (b->front.ta->tls == NULL || b->front.secured || b->back.live)
		return -1;
	elapsed = clock_ms() - b->started_ms;
	return elapsed >= b->conf->handshake_timeout_ms ? 0 :
	    (long)(b->conf->handshake_timeout_ms - elapsed);
}

static uint64_t
bridge_timeout(struct bridge *b)
{
	bool fin = b->front.shut || b->back.shut;
	uint64_t limit = fin ? b->conf->fin_timeout_ms : b->conf->idle_timeout_ms;

	if (fin && b->conf->idle_timeout_ms > 0 && b->conf->idle_timeout_ms < limit)
		limit = b->conf->idle_timeout_ms;
	return limit;
}

static void
bridge_timer_cb(void *arg)
{
	struct bridge *b = arg;
	uint64_t from, after;

	if (b->linger != NULL) {
		bridge_close(b, b->linger);
		return;
	}
	if (handshake_deadline(b, &from, &after)) {
		handshake_timer(b);
		return;
	}
	if (bridge_tls_pending_ms(b) == 0) {
		bridge_close(b, "front-tls-timeout");
		return;
	}
	if (clock_ms() - b->active_ms >= bridge_timeout(b)) {
		bridge_close(b, (b->front.shut || b->back.shut) ? "fin-timeout" : "idle-timeout");
		return;
	}
	bridge_arm_timer(b);
}

/* Arm the timer: linger, handshake, or the idle (or fin) timeout from the last activity. */
void
bridge_arm_timer(struct bridge *b)
{
	struct timeq *tq = worker_timeq(b->w);
	uint64_t from, after;

	if (b->closed)
		return;
	if (b->linger != NULL)
		timeq_arm(tq, &b->timer, clock_ms(), BRIDGE_LINGER_MS);
	else if (handshake_deadline(b, &from, &after))
		timeq_arm(tq, &b->timer, from, after);
	else if (bridge_tls_pending_ms(b) >= 0)
		timeq_arm(tq, &b->timer, b->started_ms, b->conf->handshake_timeout_ms);
	else if ((after = bridge_timeout(b)) > 0)
		timeq_arm(tq, &b->timer, b->active_ms, after);
	else
		timeq_disarm(&b->timer);
}

void
bridge_linger(struct bridge *b, const char *reason)
{
	b->linger = reason;
	if (b->pump->front_pending(b) == 0)
		bridge_close(b, reason);
	else
		bridge_arm_timer(b);
}

void
bridge_after_io(struct bridge *b)
{
	if (b->closed)
		return;
	if (b->hs != NULL)
		handshake_input(b);
	if (!b->closed && b->linger != NULL && b->pump->front_pending(b) == 0)
		bridge_close(b, b->linger);
}

static void
bridge_dial_done(void *arg, int fd, int err, const char *error)
{
	struct bridge *b = arg;
	const struct taddr *ta = b->targets[b->target];

	b->dial = NULL;
	if (fd < 0) {
		log_info("bridge %llu [%s]: target %s: %s", (unsigned long long)b->id,
		    b->conf->name, ta->label, error);
		snprintf(b->last_error, sizeof b->last_error, "%s", error);
		b->last_err = err;
		b->target++;
		bridge_try_target(b);
		return;
	}
	ta->tp->setup(ta, fd);
	b->back.ta = ta;
	b->back.name = ta->tp->peer_name(ta, fd);
	if (b->pump->attach(b, &b->back, fd) != 0) {
		bridge_close(b, "back-error (cannot start relaying)");
		return;
	}
	b->active_ms = clock_ms();
	log_debug("bridge %llu [%s]: connected to %s (%s pump)", (unsigned long long)b->id,
	    b->conf->name, b->back.name, b->pump->name);
	if (b->hs != NULL)
		handshake_connected(b, fd);
	b->pump->kick(b);
	if (!b->closed)
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
		b->target = b->ntargets;
	if (b->target >= b->ntargets) {
		snprintf(reason, sizeof reason, "connect-failed (%s)", b->last_error);
		if (b->hs != NULL) {
			b->close_reason = xstrdup(reason);
			handshake_failed(b, b->last_err, b->close_reason);
		} else
			bridge_close(b, reason);
		return;
	}
	ta = b->targets[b->target];
	b->tries++;
	b->dial = ta->tp->connect(b->w, ta, lc->connect_timeout_ms, bridge_dial_done, b);
}

void
bridge_dial(struct bridge *b)
{
	b->target = 0;
	bridge_try_target(b);
}

static bool
bridge_rules_need_cert(const struct lconf *conf)
{
	size_t i;

	for (i = 0; i < conf->nrules; i++) {
		if (access_rule_needs_cert(&conf->rules[i]))
			return true;
	}
	return false;
}

static bool
bridge_fd_pumpable(const struct taddr *ta)
{
	return taddr_is_kernel_stream(ta) || taddr_is_kernel_messages(ta);
}

/*
 * pump-fd when every address is a plain kernel socket, else pump-bev (the
 * configuration never mixes message sockets with pump-bev's layers).
 */
static const struct pump *
bridge_choose_pump(const struct lconf *conf, const struct taddr *listen)
{
	size_t i;

	if (!bridge_fd_pumpable(listen))
		return &pump_bev;
	for (i = 0; i < conf->ntarget; i++) {
		if (!bridge_fd_pumpable(conf->target[i]))
			return &pump_bev;
	}
	for (i = 0; i < conf->nmaps; i++) {
		if (strncasecmp(conf->maps[i].tmpl, "tls+", 4) == 0)
			return &pump_bev;	/* a gateway may reach a TLS target */
	}
	return &pump_fd;
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
	b->pump = bridge_choose_pump(conf, listen);
	b->targets = conf->target;
	b->ntargets = conf->ntarget;
	b->messages = taddr_is_kernel_messages(listen);
	for (size_t i = 0; i < conf->ntarget; i++)
		b->messages |= taddr_is_kernel_messages(conf->target[i]);
	b->started_ms = b->active_ms = clock_ms();
	b->front.bridge = b;
	b->back.bridge = b;
	b->front.fd = b->back.fd = -1;
	b->front.ta = listen;
	b->front.fd_for_rules = fd;
	b->front.name = listen->tp->peer_name(listen, fd);
	timeq_entry_init(&b->timer, bridge_timer_cb, b);
	mptn_bridges_live++;
	conf->count->n++;
	worker_bridge_added(w, b);
	listen->tp->setup(listen, fd);
	log_debug("bridge %llu [%s]: accepted %s on %s", (unsigned long long)b->id, conf->name,
	    b->front.name, listen->label);
	if (conf->max_per_client > 0) {
		struct clientkey k;

		clientcount_key(fd, &k);
		if (k.family != 0 && !clientcount_enter(conf->count, &k, conf->max_per_client)) {
			static _Thread_local struct log_ratelimit rl;
			unsigned long suppressed;

			if (log_ratelimit_ok(&rl, 1000, &suppressed))
				log_warning("listener %s: %s has max-connections-per-client (%llu) already; "
				    "closing (%lu more not logged)", conf->name, b->front.name,
				    (unsigned long long)conf->max_per_client, suppressed);
			close(fd);
			bridge_close(b, "per-client-limit");
			return;
		}
		b->client = k;
	}
	if (conf->gateway == NULL && conf->nrules > 0 && !bridge_rules_need_cert(conf)) {
		struct access_client client;
		const char *why;

		access_client_from_fd(fd, &client);
		if (!access_check(conf->rules, conf->nrules, &client, NULL, NULL, &why)) {
			log_info("bridge %llu [%s]: denied %s: %s", (unsigned long long)b->id, conf->name,
			    b->front.name, why);
			close(fd);
			bridge_close(b, "denied");
			return;
		}
	}
	if (b->pump->attach(b, &b->front, fd) != 0) {
		bridge_close(b, "front-error (cannot start relaying)");
		return;
	}
	if (conf->gateway != NULL)
		handshake_start(b, fd);
	else if (listen->tls == NULL)
		bridge_try_target(b);
	else
		bridge_arm_timer(b);	/* the target is dialled once the client's TLS is up */
}

void
bridge_front_secured(struct bridge *b)
{
	const struct lconf *conf = b->conf;

	if (b->hs != NULL || b->dial != NULL || b->back.live || b->closed)
		return;
	if (conf->gateway == NULL && bridge_rules_need_cert(conf)) {
		struct access_client client;
		const char *why;

		/* rules on the client certificate: decided now that it is verified */
		access_client_from_fd(b->front.fd_for_rules, &client);
		client.identity = b->front.identity;
		if (!access_check(conf->rules, conf->nrules, &client, NULL, NULL, &why)) {
			log_info("bridge %llu [%s]: denied %s%s%s: %s", (unsigned long long)b->id,
			    conf->name, b->front.name, b->front.identity ? " " : "",
			    b->front.identity ? b->front.identity : "", why);
			bridge_close(b, "denied");
			return;
		}
	}
	bridge_dial(b);
}

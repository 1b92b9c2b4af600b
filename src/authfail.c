/*
 * authfail.c - a fixed table of failure counters (sources and users hashed
 * into AUTHFAIL_SLOTS slots under one mutex): memory stays bounded whatever
 * an attacker sends, at the price that two keys may share a slot and so a
 * penalty. Touched only on authentication, never on the data path.
 */
#include "authfail.h"
#include "common.h"

#include <pthread.h>
#include <string.h>

#define AUTHFAIL_SLOTS 4096

struct slot {
	uint64_t key;
	uint64_t since_ms;
	unsigned long n;
};

static struct slot slots[AUTHFAIL_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	while (n-- > 0)
		h = (h ^ *c++) * 1099511628211ULL;
	return h;
}

/* Count one failure for KEY; returns the count within the window. */
static unsigned long
bump(uint64_t key, uint64_t now)
{
	struct slot *s = &slots[key % AUTHFAIL_SLOTS];

	if (s->key != key || now - s->since_ms > AUTHFAIL_WINDOW_MS) {
		s->key = key;
		s->since_ms = now;
		s->n = 0;
	}
	return ++s->n;
}

uint64_t
authfail_record(const struct clientkey *src, const char *user, uint64_t base_ms,
    unsigned long *count)
{
	uint64_t now = clock_ms(), ksrc, kuser, delay;
	unsigned long n, m;

	ksrc = fnv(src, sizeof *src, 1469598103934665603ULL) | 1;	/* odd: sources */
	kuser = fnv(user, strlen(user), 1099511628211ULL) & ~1ULL;	/* even: users */
	pthread_mutex_lock(&lock);
	n = bump(ksrc, now);
	m = user[0] != '\0' ? bump(kuser, now) : 0;
	pthread_mutex_unlock(&lock);
	if (m > n)
		n = m;
	*count = n;
	delay = base_ms;
	while (--n > 0 && delay < AUTHFAIL_MAX_FACTOR * base_ms)
		delay *= 2;
	return delay > AUTHFAIL_MAX_FACTOR * base_ms ? AUTHFAIL_MAX_FACTOR * base_ms : delay;
}

void
authfail_success(const char *user)
{
	uint64_t k = fnv(user, strlen(user), 1099511628211ULL) & ~1ULL;
	struct slot *s = &slots[k % AUTHFAIL_SLOTS];

	pthread_mutex_lock(&lock);
	if (s->key == k)
		memset(s, 0, sizeof *s);
	pthread_mutex_unlock(&lock);
}

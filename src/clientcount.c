/*
 * clientcount.c - a small chained hash table under one mutex. Entries are
 * freed when their count drops to zero, so memory follows the number of
 * distinct clients connected now. LISTENER is the listener's shared
 * counter object, stable across reloads.
 */
#include "clientcount.h"
#include "common.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#define CLIENTCOUNT_BUCKETS 4096

struct entry {
	const void *listener;
	struct clientkey key;
	unsigned long n;
	struct entry *next;
};

static struct entry *buckets[CLIENTCOUNT_BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void
clientcount_key(int fd, struct clientkey *k)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(k, 0, sizeof *k);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		k->family = AF_INET;
		memcpy(k->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		k->family = AF_INET6;
		memcpy(k->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else if (ss.ss_family == AF_UNIX) {
		struct ucred cred;
		socklen_t clen = sizeof cred;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
			k->family = AF_UNIX;
			memcpy(k->addr, &cred.uid, sizeof cred.uid);
		}
	}
}

static size_t
hash(const void *listener, const struct clientkey *k)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)listener;
	size_t i;

	for (i = 0; i < sizeof k->addr; i++)
		h = (h ^ k->addr[i]) * 1099511628211ULL;
	return (size_t)((h ^ k->family) % CLIENTCOUNT_BUCKETS);
}

bool
clientcount_enter(const void *listener, const struct clientkey *k, unsigned long max)
{
	size_t b = hash(listener, k);
	struct entry *e;
	bool ok = true;

	pthread_mutex_lock(&lock);
	for (e = buckets[b]; e != NULL; e = e->next) {
		if (e->listener == listener && memcmp(&e->key, k, sizeof *k) == 0)
			break;
	}
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->listener = listener;
		e->key = *k;
		e->next = buckets[b];
		buckets[b] = e;
	}
	if (e->n >= max)
		ok = false;
	else
		e->n++;
	if (e->n == 0) {	/* max 0 and a new entry: drop it again */
		buckets[b] = e->next;
		free(e);
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

void
clientcount_leave(const void *listener, const struct clientkey *k)
{
	size_t b = hash(listener, k);
	struct entry **ep, *e;

	pthread_mutex_lock(&lock);
	for (ep = &buckets[b]; (e = *ep) != NULL; ep = &e->next) {
		if (e->listener == listener && memcmp(&e->key, k, sizeof *k) == 0) {
			if (--e->n == 0) {
				*ep = e->next;
				free(e);
			}
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

/*
 * authfail.h - failed authentications per source address and per user
 * (RELIABILITY R14): each failure within AUTHFAIL_WINDOW_MS doubles the
 * delay before the refusal (BASE, 2 x BASE, 4 x BASE, ... up to 30 x BASE;
 * BASE is the listener's auth-failure-delay, 1 s by default), counting
 * whichever of the source's and the user's failures are more.
 */
#ifndef MPTN_AUTHFAIL_H
#define MPTN_AUTHFAIL_H

#include <stdint.h>

#include "clientcount.h"

#define AUTHFAIL_WINDOW_MS (10 * 60 * 1000)
#define AUTHFAIL_MAX_FACTOR 30

/* Count a failure of USER from SRC; the delay before refusing it, in ms. */
uint64_t authfail_record(const struct clientkey *src, const char *user, uint64_t base_ms,
    unsigned long *count);
/* USER authenticated: forget its failures (the source's stay). */
void authfail_success(const char *user);

#endif

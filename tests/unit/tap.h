/*
 * tap.h - the smallest TAP producer: ok() per check, tap_done() prints the
 * plan and returns the exit status. Used by every unit test.
 */
#ifndef MPTN_TAP_H
#define MPTN_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static void __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);		/* a sanitizer report at exit must not eat the results */
	if (!cond)
		tap_failed++;
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif

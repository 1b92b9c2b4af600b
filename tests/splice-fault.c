/*
 * splice-fault.c - LD_PRELOAD shim that makes splice(2) fail mid-transfer,
 * for tests/integration/splice-fault.sh (dated 2026-11-23).
 *
 * It wraps splice() (the real one found with dlsym(RTLD_NEXT)).  Calls of
 * the selected kind pass through until SPLICE_FAIL_AFTER of them (default
 * 50) have moved data; from then on every call of that kind fails with
 * EINVAL without touching either fd, as splice does for an fd pair it cannot
 * handle.  Kinds, by the fds' types (fstat):
 *   SPLICE_FAIL_ON=in    socket -> pipe (reading from the source socket)
 *   SPLICE_FAIL_ON=out   pipe -> socket (writing to the destination socket)
 *   SPLICE_FAIL_ON=any   both (the default)
 * Other calls (pipe -> pipe, files) are never touched nor counted.  The
 * counter is shared by all threads and both kinds.
 *
 * It reports on stderr (the daemon's log in the tests), one write(2) a line:
 *   splice-fault: armed on=KIND after=N pid=P          when loaded
 *   splice-fault: first injected EINVAL (KIND call)   once
 *   splice-fault: exit injected_in=A injected_out=B passed_in=C passed_out=D
 *                                                     at exit (destructor)
 * Build: cc -shared -fPIC -o libsplicefault.so splice-fault.c -ldl
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef ssize_t (*splice_fn)(int, loff_t *, int, loff_t *, size_t, unsigned int);

enum { K_IN = 1, K_OUT = 2 };

static splice_fn real_splice;
static int fail_on = K_IN | K_OUT;
static long fail_after = 50;
static atomic_long passed;		/* selected-kind calls that moved data */
static atomic_long injected_in, injected_out, passed_in, passed_out;
static atomic_int announced;

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0) {
		/* nothing to do */
	}
}

__attribute__((constructor)) static void
fault_init(void)
{
	const char *s;

	real_splice = (splice_fn)dlsym(RTLD_NEXT, "splice");
	if ((s = getenv("SPLICE_FAIL_AFTER")) != NULL && *s)
		fail_after = strtol(s, NULL, 10);
	if ((s = getenv("SPLICE_FAIL_ON")) != NULL && *s) {
		if (strcmp(s, "in") == 0)
			fail_on = K_IN;
		else if (strcmp(s, "out") == 0)
			fail_on = K_OUT;
		else if (strcmp(s, "any") == 0)
			fail_on = K_IN | K_OUT;
		else
			say("splice-fault: SPLICE_FAIL_ON=%s is not in, out or any; using any", s);
	}
	say("splice-fault: armed on=%s after=%ld pid=%ld",
	    fail_on == K_IN ? "in" : fail_on == K_OUT ? "out" : "any", fail_after, (long)getpid());
}

__attribute__((destructor)) static void
fault_fini(void)
{
	say("splice-fault: exit injected_in=%ld injected_out=%ld passed_in=%ld passed_out=%ld",
	    atomic_load(&injected_in), atomic_load(&injected_out), atomic_load(&passed_in),
	    atomic_load(&passed_out));
}

static int
fd_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return 0;
	if (S_ISSOCK(st.st_mode))
		return 's';
	if (S_ISFIFO(st.st_mode))
		return 'p';
	return 0;
}

ssize_t
splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len, unsigned int flags)
{
	int kin, kout, kind = 0;
	ssize_t n;

	if (real_splice == NULL) {
		real_splice = (splice_fn)dlsym(RTLD_NEXT, "splice");
		if (real_splice == NULL) {
			errno = ENOSYS;
			return -1;
		}
	}
	kin = fd_kind(fd_in);
	kout = fd_kind(fd_out);
	if (kin == 's' && kout == 'p')
		kind = K_IN;
	else if (kin == 'p' && kout == 's')
		kind = K_OUT;
	if (kind == 0 || !(kind & fail_on))
		return real_splice(fd_in, off_in, fd_out, off_out, len, flags);

	if (atomic_load(&passed) >= fail_after) {
		atomic_fetch_add(kind == K_IN ? &injected_in : &injected_out, 1);
		if (atomic_exchange(&announced, 1) == 0)
			say("splice-fault: first injected EINVAL (%s call, fd %d -> fd %d)",
			    kind == K_IN ? "in" : "out", fd_in, fd_out);
		errno = EINVAL;
		return -1;
	}
	n = real_splice(fd_in, off_in, fd_out, off_out, len, flags);
	if (n > 0) {
		atomic_fetch_add(&passed, 1);
		atomic_fetch_add(kind == K_IN ? &passed_in : &passed_out, 1);
	}
	return n;
}

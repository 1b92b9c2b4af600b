/*
 * test_log.c - log lines on stderr: the prefix assembled by hand reads
 * "YYYY-MM-DDTHH:MM:SS.mmmZ mptnd[PID]: LEVEL: " as strftime and printf
 * made it; a line built with log_line_* equals the printf-made one; numbers
 * (0, the largest uint64_t, thousandths) and cutting at the end of the
 * buffer; a disabled level writes nothing; a forked child's lines carry
 * its own process id, not the one its parent had cached.
 */
#include "common.h"
#include "log.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static FILE *captured;
static int saved_stderr;

static void
capture_start(void)
{
	fflush(stderr);
	captured = tmpfile();
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(captured), STDERR_FILENO);
}

/* What was logged since capture_start, without the last newline (caller frees). */
static char *
capture_end(void)
{
	long n;
	char *s;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	n = ftell(captured);
	s = xcalloc(1, (size_t)n + 1);
	rewind(captured);
	if (n > 0 && fread(s, 1, (size_t)n, captured) != (size_t)n)
		s[0] = '\0';
	fclose(captured);
	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static bool
prefix_is_ok(const char *line, const char *level, const char **rest)
{
	char want[64];
	size_t i, n;

	/* 2026-11-23T18:17:00.123Z */
	for (i = 0; i < 24; i++) {
		char c = line[i];

		if (c == '\0')
			return false;
		if (i == 4 || i == 7) {
			if (c != '-')
				return false;
		} else if (i == 10) {
			if (c != 'T')
				return false;
		} else if (i == 13 || i == 16) {
			if (c != ':')
				return false;
		} else if (i == 19) {
			if (c != '.')
				return false;
		} else if (i == 23) {
			if (c != 'Z')
				return false;
		} else if (c < '0' || c > '9')
			return false;
	}
	n = (size_t)snprintf(want, sizeof want, " mptnd[%ld]: %s: ", (long)getpid(), level);
	if (strncmp(line + 24, want, n) != 0)
		return false;
	*rest = line + 24 + n;
	return true;
}

static char *
milli(uint64_t v)
{
	struct log_line l;

	l.len = 0;
	log_line_milli(&l, v);
	return xstrndup(l.text, l.len);
}

int
main(void)
{
	struct log_line l;
	const char *rest;
	char *a, *b, *s;
	size_t i;

	log_set_level(LOG_LVL_INFO);

	capture_start();
	log_info("bridge %llu [%s] closed: up=%llu duration=%.3fs", 42ULL, "cli", 18446744073709551615ULL,
	    1234 / 1000.0);
	a = capture_end();
	ok(prefix_is_ok(a, "info", &rest), "log_msg prefix: '%s'", a);
	ok(strcmp(rest, "bridge 42 [cli] closed: up=18446744073709551615 duration=1.234s") == 0,
	    "log_msg text: '%s'", rest);

	capture_start();
	l.len = 0;
	log_line_str(&l, "bridge ");
	log_line_uint(&l, 42);
	log_line_str(&l, " [");
	log_line_str(&l, "cli");
	log_line_str(&l, "] closed: up=");
	log_line_uint(&l, 18446744073709551615ULL);
	log_line_str(&l, " duration=");
	log_line_milli(&l, 1234);
	log_line_str(&l, "s");
	log_line_emit(LOG_LVL_INFO, &l);
	b = capture_end();
	ok(prefix_is_ok(b, "info", &rest), "log_line prefix: '%s'", b);
	ok(strcmp(rest, "bridge 42 [cli] closed: up=18446744073709551615 duration=1.234s") == 0,
	    "log_line text equals the printf one: '%s'", rest);
	free(a);
	free(b);

	capture_start();
	log_warning("w %d", 1);
	a = capture_end();
	ok(prefix_is_ok(a, "warning", &rest) && strcmp(rest, "w 1") == 0, "warning line: '%s'", a);
	free(a);

	capture_start();
	log_debug("not shown");
	l.len = 0;
	log_line_str(&l, "not shown either");
	log_line_emit(LOG_LVL_DEBUG, &l);
	a = capture_end();
	ok(a[0] == '\0', "a disabled level writes nothing: '%s'", a);
	free(a);

	{
		static const struct {
			uint64_t v;
			const char *want;
		} m[] = {
			{ 0, "0.000" }, { 1, "0.001" }, { 10, "0.010" }, { 999, "0.999" },
			{ 1000, "1.000" }, { 123456, "123.456" }, { 86400000, "86400.000" },
		};

		for (i = 0; i < MPTN_ARRAY_LEN(m); i++) {
			s = milli(m[i].v);
			ok(strcmp(s, m[i].want) == 0, "milli %llu -> '%s' (want %s)",
			    (unsigned long long)m[i].v, s, m[i].want);
			free(s);
		}
	}

	{
		char want[64];
		pid_t pid;

		capture_start();
		log_info("parent");
		pid = fork();
		if (pid == 0) {
			log_info("child");
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		a = capture_end();
		snprintf(want, sizeof want, "Z mptnd[%ld]: info: child", (long)pid);
		ok(strstr(a, want) != NULL, "a forked child logs its own pid (%ld)", (long)pid);
		free(a);
	}

	l.len = 0;
	log_line_uint(&l, 0);
	log_line_str(&l, NULL);
	ok(l.len == 7 && memcmp(l.text, "0(null)", 7) == 0, "0 and a NULL string");

	l.len = 0;
	for (i = 0; i < sizeof l.text; i++)
		log_line_str(&l, "ab");
	ok(l.len == sizeof l.text, "strings are cut at the end (%zu)", l.len);
	log_line_uint(&l, 12345);
	ok(l.len == sizeof l.text, "a number past the end is left out");
	capture_start();
	log_line_emit(LOG_LVL_INFO, &l);
	a = capture_end();
	ok(prefix_is_ok(a, "info", &rest) && strlen(a) < 2048 && rest[0] == 'a',
	    "a full line is written, cut to the line size (%zu bytes)", strlen(a));
	free(a);
	return tap_done();
}

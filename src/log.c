/*
 * log.c - the one place lines reach stderr or syslog. Each line is written
 * with a single write(2) so lines from worker threads never interleave.
 */
#include "log.h"
#include "common.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = LOG_LVL_INFO;
static bool log_syslog;

static const char *log_names[] = { "error", "warning", "info", "debug" };

void
log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = true;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(log_names); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

bool
log_is_enabled(enum log_level level)
{
	return (int)level <= log_level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048], stamp[32];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	int n, m;

	if (!log_is_enabled(level))
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio[level], fmt, ap);
		va_end(ap);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ mptnd[%ld]: %s: ", stamp,
	    (long)tv.tv_usec / 1000, (long)getpid(), log_names[level]);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

bool
log_ratelimit_ok(struct log_ratelimit *rl, unsigned interval_ms, unsigned long *suppressed)
{
	unsigned long long now = clock_ms();

	if (rl->last_ms != 0 && now - rl->last_ms < interval_ms) {
		rl->suppressed++;
		return false;
	}
	rl->last_ms = now;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

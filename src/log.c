/*
 * log.c - the one place lines reach stderr or syslog. Each line is written
 * with a single write(2) so lines from worker threads never interleave.
 * A line's prefix (time, process id, level) is assembled by hand from
 * parts each thread keeps: the date and time to the second, rebuilt when
 * the second changes, and "Z mptnd[PID]: ", rebuilt after a fork. With one
 * line per connection, strftime and snprintf for the prefix (and getpid,
 * a system call) cost as much as the rest of a short connection; for the
 * same reason that one line is built with log_line_*, not printf.
 */
#include "log.h"
#include "common.h"

#include <pthread.h>
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
static const int log_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* What a thread reuses from line to line (see the top of the file). */
struct log_prefix {
	time_t sec;			/* the second `stamp` shows */
	unsigned forks;			/* log_forks when `pid` was made */
	char stamp[32];			/* "2026-11-23T18:17:00." */
	size_t stamp_len;
	char pid[40];			/* "Z mptnd[1234]: " */
	size_t pid_len;
	bool valid;
};

static _Thread_local struct log_prefix log_prefix;
static _Atomic unsigned log_forks;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void
log_forked(void)
{
	log_forks++;
}

static void
log_init_once(void)
{
	pthread_atfork(NULL, NULL, log_forked);
}

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

/* Write the prefix of a line at LEVEL into LINE (room for 128 bytes); returns its length. */
static int
log_put_prefix(char *line, enum log_level level)
{
	struct log_prefix *lp = &log_prefix;
	struct timeval tv;
	struct tm tm;
	unsigned ms;
	size_t n, m;

	pthread_once(&log_once, log_init_once);
	gettimeofday(&tv, NULL);
	if (!lp->valid || lp->sec != tv.tv_sec) {
		gmtime_r(&tv.tv_sec, &tm);
		lp->stamp_len = strftime(lp->stamp, sizeof lp->stamp, "%Y-%m-%dT%H:%M:%S.", &tm);
		lp->sec = tv.tv_sec;
	}
	if (!lp->valid || lp->forks != log_forks) {
		lp->forks = log_forks;
		lp->pid_len = (size_t)snprintf(lp->pid, sizeof lp->pid, "Z mptnd[%ld]: ",
		    (long)getpid());
	}
	lp->valid = true;
	/* as "%s.%03ldZ mptnd[%ld]: %s: " would */
	memcpy(line, lp->stamp, lp->stamp_len);
	n = lp->stamp_len;
	ms = (unsigned)(tv.tv_usec / 1000);
	line[n++] = (char)('0' + ms / 100);
	line[n++] = (char)('0' + ms / 10 % 10);
	line[n++] = (char)('0' + ms % 10);
	memcpy(line + n, lp->pid, lp->pid_len);
	n += lp->pid_len;
	m = strlen(log_names[level]);
	memcpy(line + n, log_names[level], m);
	n += m;
	line[n++] = ':';
	line[n++] = ' ';
	return (int)n;
}

/* End LINE (N bytes, of a buffer of SIZE) with a newline and write it, cut if need be. */
static void
log_write(char *line, size_t size, int n)
{
	if (n > (int)size - 2)
		n = (int)size - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n, m;

	if (!log_is_enabled(level))
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(log_prio[level], fmt, ap);
		va_end(ap);
		return;
	}
	n = log_put_prefix(line, level);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	log_write(line, sizeof line, n + m);
}

void
log_line_str(struct log_line *l, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "(null)";
	n = strlen(s);

	if (n > sizeof l->text - l->len)
		n = sizeof l->text - l->len;
	memcpy(l->text + l->len, s, n);
	l->len += n;
}

void
log_line_uint(struct log_line *l, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof tmp;

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (sizeof tmp - n > sizeof l->text - l->len)
		return;
	memcpy(l->text + l->len, tmp + n, sizeof tmp - n);
	l->len += sizeof tmp - n;
}

void
log_line_milli(struct log_line *l, uint64_t v)
{
	char frac[5] = { '.', (char)('0' + v % 1000 / 100), (char)('0' + v % 100 / 10),
	    (char)('0' + v % 10), '\0' };

	log_line_uint(l, v / 1000);
	log_line_str(l, frac);
}

void
log_line_emit(enum log_level level, const struct log_line *l)
{
	char line[2048];
	int n;
	size_t len = l->len;

	if (!log_is_enabled(level))
		return;
	if (log_syslog) {
		syslog(log_prio[level], "%.*s", (int)len, l->text);
		return;
	}
	n = log_put_prefix(line, level);
	if (len > sizeof line - (size_t)n - 1)
		len = sizeof line - (size_t)n - 1;
	memcpy(line + n, l->text, len);
	log_write(line, sizeof line, n + (int)len);
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

/*
 * log.h - leveled logging to stderr (default) or syslog, safe from any thread.
 */
#ifndef MPTN_LOG_H
#define MPTN_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Send log lines to syslog instead of stderr. */
void log_use_syslog(const char *ident);
void log_set_level(enum log_level);
enum log_level log_get_level(void);
/* Parse "error", "warning", "info" or "debug". */
int log_level_parse(const char *, enum log_level *);
bool log_is_enabled(enum log_level);

void log_msg(enum log_level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do { if (log_is_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

/*
 * A rate limit for a recurring warning: log_ratelimit_ok() is true at most
 * once per interval and counts the suppressed calls in between.
 */
struct log_ratelimit {
	unsigned long long last_ms;
	unsigned long suppressed;
};
bool log_ratelimit_ok(struct log_ratelimit *, unsigned interval_ms, unsigned long *suppressed);

#endif

/*
 * log.h - leveled logging to stderr (default) or syslog, safe from any thread.
 */
#ifndef MPTN_LOG_H
#define MPTN_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * A line built piece by piece, for the line every connection ends with:
 * printf costs more than the rest of a short connection. Set len to 0
 * (not with an initialiser, which would clear all of text); what does not
 * fit is cut; a NULL string reads "(null)", as with printf.
 */
struct log_line {
	size_t len;
	char text[1920];
};
void log_line_str(struct log_line *, const char *);
void log_line_uint(struct log_line *, uint64_t);
/* V thousandths with three decimals: 1234 -> "1.234". */
void log_line_milli(struct log_line *, uint64_t);
void log_line_emit(enum log_level, const struct log_line *);

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

/*
 * common.h - conventions shared by every mptnd module.
 *
 * Return conventions (written once, here):
 *   actions return 0 on success, -1 on failure (with *cause set where a
 *   user or peer can cause the failure; the caller frees it);
 *   incremental parsers return MPTN_MORE / MPTN_DONE / MPTN_FAIL;
 *   predicates are named x_is_* and return bool.
 * x_new() never returns NULL (allocation failure aborts); x_free(NULL) is a no-op.
 */
#ifndef MPTN_COMMON_H
#define MPTN_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mptn_parse { MPTN_MORE = 1, MPTN_DONE = 0, MPTN_FAIL = -1 };

#define MPTN_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));
int xvasprintf(char **, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* Parse "64k", "1m", "123" (bytes; k/m/g are powers of 1024). */
int parse_size(const char *, uint64_t *, char **cause);
/* Parse "500ms", "10s", "5m", "1h", "1d", "30" (seconds) into milliseconds. */
int parse_duration(const char *, uint64_t *ms, char **cause);
/* Parse a non-negative integer within [min, max]. */
int parse_uint(const char *, uint64_t min, uint64_t max, uint64_t *, char **cause);
/* Parse yes/no/on/off/true/false/1/0. */
int parse_bool(const char *, bool *, char **cause);

/* Monotonic clock in milliseconds. */
uint64_t clock_ms(void);

/* Big-endian (network order) integers in byte buffers. */
static inline uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t
get_be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void
put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

#endif

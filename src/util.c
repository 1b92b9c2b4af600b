/*
 * util.c - allocation wrappers that never return NULL, and the value parsers
 * (sizes, durations, integers, booleans) shared by the config file and URI
 * options, so both accept exactly the same spellings.
 */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void
xalloc_failed(void)
{
	fputs("mptnd: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		xalloc_failed();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		xalloc_failed();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n == 0 ? 1 : n);
	if (p == NULL)
		xalloc_failed();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		xalloc_failed();
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
xvasprintf(char **out, const char *fmt, va_list ap)
{
	int n = vasprintf(out, fmt, ap);

	if (n < 0)
		xalloc_failed();
	return n;
}

int
xasprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(out, fmt, ap);
	va_end(ap);
	return n;
}

/* Split "123abc" into a number and a suffix; fails on overflow or no digits. */
static int
split_number(const char *s, uint64_t *value, const char **suffix)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*value = v;
	*suffix = p;
	return 0;
}

static int
scale(uint64_t v, uint64_t mul, uint64_t *out)
{
	if (mul != 0 && v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int
parse_size(const char *s, uint64_t *out, char **cause)
{
	static const struct { const char *suffix; uint64_t mul; } units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1024 }, { "kb", 1024 }, { "kib", 1024 },
		{ "m", 1024 * 1024 }, { "mb", 1024 * 1024 }, { "mib", 1024 * 1024 },
		{ "g", 1024ULL * 1024 * 1024 }, { "gb", 1024ULL * 1024 * 1024 },
		{ "gib", 1024ULL * 1024 * 1024 },
	};
	const char *suffix;
	uint64_t v;
	size_t i;

	if (split_number(s, &v, &suffix) != 0)
		goto bad;
	for (i = 0; i < MPTN_ARRAY_LEN(units); i++) {
		if (strcasecmp(suffix, units[i].suffix) == 0) {
			if (scale(v, units[i].mul, out) != 0)
				goto bad;
			return 0;
		}
	}
bad:
	xasprintf(cause, "bad size '%s' (expected a number with an optional k, m or g suffix)", s);
	return -1;
}

int
parse_duration(const char *s, uint64_t *out, char **cause)
{
	static const struct { const char *suffix; uint64_t mul; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 3600 * 1000 }, { "d", 86400 * 1000 },
	};
	const char *suffix;
	uint64_t v;
	size_t i;

	if (split_number(s, &v, &suffix) != 0)
		goto bad;
	for (i = 0; i < MPTN_ARRAY_LEN(units); i++) {
		if (strcmp(suffix, units[i].suffix) == 0) {
			if (scale(v, units[i].mul, out) != 0 || *out > 365ULL * 86400 * 1000)
				goto bad;
			return 0;
		}
	}
bad:
	xasprintf(cause, "bad duration '%s' (expected a number with ms, s, m, h or d; at most 365d)", s);
	return -1;
}

int
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char **cause)
{
	const char *suffix;
	uint64_t v;

	if (split_number(s, &v, &suffix) != 0 || *suffix != '\0') {
		xasprintf(cause, "bad number '%s'", s);
		return -1;
	}
	if (v < min || v > max) {
		xasprintf(cause, "%s is out of range (%llu to %llu)", s,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int
parse_bool(const char *s, bool *out, char **cause)
{
	static const char *yes[] = { "yes", "on", "true", "1" };
	static const char *no[] = { "no", "off", "false", "0" };
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	xasprintf(cause, "bad boolean '%s' (expected yes or no)", s);
	return -1;
}

uint64_t
clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

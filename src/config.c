/*
 * config.c - mptnd.conf: tokenizer, include expansion, and the keyword
 * tables that turn statements into a struct config.
 *
 * Grammar: a statement is words up to a newline or ';'; a statement whose
 * last word is '{' opens a block closed by a word '}'. '#' at the start of a
 * word comments to the end of the line; "..." quotes a word (\" and \\
 * escape). 'include GLOB' at any level is replaced by the statements of
 * the matching files (relative to the including file's folder).
 *
 * Three steps, as servconf does: every field starts unset, statements set
 * fields (a scalar set twice is an error), then defaults fill the rest and
 * validation runs. Every error reads "FILE:LINE: message".
 */
#include "config.h"
#include "common.h"
#include "access.h"
#include "addrmap.h"
#include "gateway.h"
#include "passwd.h"
#include "tls.h"
#include "transport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNSET UINT64_MAX

/* One statement of the file tree. */
struct stmt {
	const char *file;	/* owned by the parse context */
	unsigned line;
	char **argv;
	size_t argc;
	bool block;
	struct stmt *child;
	size_t nchild;
};

struct parse_ctx {
	char **files;		/* every file name seen, freed at the end */
	size_t nfiles;
	char *cause;
};

static void __attribute__((format(printf, 4, 5)))
ctx_error(struct parse_ctx *ctx, const char *file, unsigned line, const char *fmt, ...)
{
	char *msg;
	va_list ap;

	if (ctx->cause != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		xasprintf(&ctx->cause, "%s:%u: %s", file, line, msg);
	else
		xasprintf(&ctx->cause, "%s: %s", file, msg);
	free(msg);
}

static void
stmt_clear(struct stmt *s)
{
	size_t i;

	for (i = 0; i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	for (i = 0; i < s->nchild; i++)
		stmt_clear(&s->child[i]);
	free(s->child);
}

static struct stmt *
stmt_add(struct stmt *parent)
{
	parent->child = xreallocarray(parent->child, parent->nchild + 1, sizeof *parent->child);
	memset(&parent->child[parent->nchild], 0, sizeof parent->child[0]);
	return &parent->child[parent->nchild++];
}

static void
stmt_push_word(struct stmt *s, char *w)
{
	s->argv = xreallocarray(s->argv, s->argc + 1, sizeof *s->argv);
	s->argv[s->argc++] = w;
}

/* The tokenizer's cursor over one file's text. */
struct lexer {
	const char *file;
	const char *p;
	unsigned line;
};

enum token { TOK_WORD, TOK_END, TOK_OPEN, TOK_CLOSE, TOK_EOF, TOK_ERROR };

static enum token
lex_next(struct parse_ctx *ctx, struct lexer *lx, char **word)
{
	const char *p = lx->p;

	*word = NULL;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	if (*p == '\0') {
		lx->p = p;
		return TOK_EOF;
	}
	if (*p == '\n' || *p == ';') {
		if (*p == '\n')
			lx->line++;
		lx->p = p + 1;
		return TOK_END;
	}
	if (*p == '"') {
		size_t cap = 16, n = 0;
		char *w = xmalloc(cap);

		for (p++; *p != '"'; p++) {
			if (*p == '\0' || *p == '\n') {
				free(w);
				ctx_error(ctx, lx->file, lx->line, "unterminated quoted string");
				return TOK_ERROR;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			if (n + 2 > cap)
				w = xrealloc(w, cap *= 2);
			w[n++] = *p;
		}
		w[n] = '\0';
		lx->p = p + 1;
		*word = w;
		return TOK_WORD;
	}
	const char *start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != ';' &&
	    *p != '"')
		p++;
	lx->p = p;
	if (p - start == 1 && *start == '{')
		return TOK_OPEN;
	if (p - start == 1 && *start == '}')
		return TOK_CLOSE;
	for (const char *c = start; c < p; c++) {
		if ((unsigned char)*c < ' ' || *c == 0x7f) {
			ctx_error(ctx, lx->file, lx->line, "control character in word");
			return TOK_ERROR;
		}
	}
	*word = xstrndup(start, (size_t)(p - start));
	return TOK_WORD;
}

static int parse_file(struct parse_ctx *, const char *file, struct stmt *into, unsigned depth,
    const char *incfile, unsigned incline);
static int parse_text(struct parse_ctx *, const char *file, const char *text, struct stmt *into,
    unsigned depth);

/* Expand 'include GLOB' found at FILE:LINE into PARENT. */
static int
expand_include(struct parse_ctx *ctx, const char *file, unsigned line, const char *pattern,
    struct stmt *parent, unsigned depth)
{
	char *path, *dircopy;
	glob_t g;
	size_t i;
	int rc;

	if (depth >= CONFIG_INCLUDE_DEPTH) {
		ctx_error(ctx, file, line, "includes nested deeper than %d (a loop?)", CONFIG_INCLUDE_DEPTH);
		return -1;
	}
	if (pattern[0] == '/' || strchr(file, '/') == NULL)
		path = xstrdup(pattern);
	else {
		dircopy = xstrdup(file);
		xasprintf(&path, "%s/%s", dirname(dircopy), pattern);
		free(dircopy);
	}
	rc = glob(path, 0, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		globfree(&g);
		if (strpbrk(pattern, "*?[") != NULL) {
			free(path);
			return 0;	/* an empty transports.d is fine */
		}
		ctx_error(ctx, file, line, "include %s: %s", path, strerror(ENOENT));
		free(path);
		return -1;
	}
	if (rc != 0) {
		ctx_error(ctx, file, line, "include %s: cannot read the folder", path);
		globfree(&g);
		free(path);
		return -1;
	}
	free(path);
	for (i = 0; i < g.gl_pathc; i++) {
		if (parse_file(ctx, g.gl_pathv[i], parent, depth + 1, file, line) != 0) {
			globfree(&g);
			return -1;
		}
	}
	globfree(&g);
	return 0;
}

static int
parse_text(struct parse_ctx *ctx, const char *file, const char *text, struct stmt *into,
    unsigned depth)
{
	struct lexer lx = { file, text, 1 };
	struct stmt *stack[16], *cur = NULL;
	unsigned open_line[16];
	size_t sp = 0;
	char *w;
	enum token t;

	stack[0] = into;
	for (;;) {
		t = lex_next(ctx, &lx, &w);
		switch (t) {
		case TOK_ERROR:
			return -1;
		case TOK_WORD:
			if (cur == NULL) {
				cur = stmt_add(stack[sp]);
				cur->file = file;
				cur->line = lx.line;
			}
			stmt_push_word(cur, w);
			break;
		case TOK_OPEN:
			if (cur == NULL) {
				ctx_error(ctx, file, lx.line, "'{' with no directive before it");
				return -1;
			}
			if (sp + 1 == MPTN_ARRAY_LEN(stack)) {
				ctx_error(ctx, file, lx.line, "blocks nested too deeply");
				return -1;
			}
			cur->block = true;
			open_line[sp] = lx.line;
			stack[++sp] = cur;
			cur = NULL;
			break;
		case TOK_CLOSE:
		case TOK_END:
		case TOK_EOF:
			if (cur != NULL && !cur->block && strcmp(cur->argv[0], "include") == 0) {
				struct stmt inc = *cur;

				stack[sp]->nchild--;	/* replace the include by what it names */
				cur = NULL;
				if (inc.argc != 2) {
					ctx_error(ctx, file, inc.line, "include takes one file name or pattern");
					stmt_clear(&inc);
					return -1;
				}
				int rc = expand_include(ctx, file, inc.line, inc.argv[1], stack[sp], depth);
				stmt_clear(&inc);
				if (rc != 0)
					return -1;
			}
			cur = NULL;
			if (t == TOK_CLOSE) {
				if (sp == 0) {
					ctx_error(ctx, file, lx.line, "'}' with no block open");
					return -1;
				}
				sp--;
			}
			if (t == TOK_EOF) {
				if (sp != 0) {
					ctx_error(ctx, file, open_line[sp - 1],
					    "block '%s' is not closed before the end of the file",
					    stack[sp]->argv[0]);
					return -1;
				}
				return 0;
			}
			break;
		}
	}
}

static int
parse_file(struct parse_ctx *ctx, const char *file, struct stmt *into, unsigned depth,
    const char *incfile, unsigned incline)
{
	FILE *f = NULL;
	char *text, *name;
	struct stat st;
	size_t n;
	int rc, fd;

	/* O_NONBLOCK: a FIFO named by mistake must not hang start-up. */
	fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;
	}
	if (fd >= 0 && (fcntl(fd, F_SETFL, 0) != 0 || (f = fdopen(fd, "r")) == NULL)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		const char *why = errno == EINVAL ? "not a regular file" : strerror(errno);

		if (incfile != NULL)
			ctx_error(ctx, incfile, incline, "include %s: %s", file, why);
		else
			ctx_error(ctx, file, 0, "%s", why);
		return -1;
	}
	text = xmalloc(CONFIG_MAX_FILE_SIZE + 1);
	n = fread(text, 1, CONFIG_MAX_FILE_SIZE + 1, f);
	if (ferror(f) || n > CONFIG_MAX_FILE_SIZE) {
		const char *why = ferror(f) ? strerror(errno) : "larger than 4 MiB";

		if (incfile != NULL)
			ctx_error(ctx, incfile, incline, "include %s: %s", file, why);
		else
			ctx_error(ctx, file, 0, "%s", why);
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL) {
		ctx_error(ctx, file, 0, "contains a NUL byte (not a text file)");
		free(text);
		return -1;
	}
	name = xstrdup(file);
	ctx->files = xreallocarray(ctx->files, ctx->nfiles + 1, sizeof *ctx->files);
	ctx->files[ctx->nfiles++] = name;
	rc = parse_text(ctx, name, text, into, depth);
	free(text);
	return rc;
}

/* ---- From statements to struct config ---- */

enum kw_type { KW_UINT, KW_SIZE, KW_DURATION, KW_LOGLEVEL, KW_LISTEN, KW_TARGET, KW_BLOCK,
	KW_TLS_BLOCK, KW_SPLICE, KW_GATEWAY, KW_RULE, KW_MAP, KW_NAMESERVER, KW_TRANSPORT_BLOCK };

struct keyword {
	const char *name;
	enum kw_type type;
	size_t offset;
	uint64_t min, max;
};

#define G(f) offsetof(struct config, f)
#define L(f) offsetof(struct lconf, f)

static const struct keyword global_keywords[] = {
	{ "workers", KW_UINT, G(workers), 0, 256 },
	{ "max-connections", KW_UINT, G(max_connections), 0, 10000000 },
	{ "drain-timeout", KW_DURATION, G(drain_timeout_ms), 0, 0 },
	{ "splice", KW_SPLICE, G(splice), 0, 0 },
	{ "nameserver", KW_NAMESERVER, 0, 0, 0 },
	{ "transport", KW_TRANSPORT_BLOCK, 0, 0, 0 },
	{ "log-level", KW_LOGLEVEL, 0, 0, 0 },
	{ "listener", KW_BLOCK, 0, 0, 0 },
	{ "tls", KW_TLS_BLOCK, 0, 0, 0 },
};

static const struct keyword listener_keywords[] = {
	{ "listen", KW_LISTEN, 0, 0, 0 },
	{ "target", KW_TARGET, 0, 0, 0 },
	{ "connect-timeout", KW_DURATION, L(connect_timeout_ms), 1, 0 },
	{ "connect-tries", KW_UINT, L(connect_tries), 0, 1000 },
	{ "idle-timeout", KW_DURATION, L(idle_timeout_ms), 0, 0 },
	{ "fin-timeout", KW_DURATION, L(fin_timeout_ms), 1, 0 },
	{ "buffer", KW_SIZE, L(buffer), CONFIG_BUFFER_MIN, CONFIG_BUFFER_MAX },
	{ "pipe-size", KW_SIZE, L(pipe_size), CONFIG_PIPE_SIZE_MIN, CONFIG_PIPE_SIZE_MAX },
	{ "max-connections", KW_UINT, L(max_connections), 0, 10000000 },
	{ "splice", KW_SPLICE, L(splice), 0, 0 },
	{ "max-connections-per-client", KW_UINT, L(max_per_client), 0, 10000000 },
	{ "gateway", KW_GATEWAY, 0, 0, 0 },
	{ "handshake-timeout", KW_DURATION, L(handshake_timeout_ms), 1, 0 },
	{ "auth-failure-delay", KW_DURATION, L(auth_delay_ms), 1, 0 },
	{ "allow", KW_RULE, 0, 0, 0 },
	{ "deny", KW_RULE, 0, 0, 0 },
	{ "map", KW_MAP, 0, 0, 0 },
};

static const struct keyword *
keyword_find(const struct keyword *table, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	}
	return NULL;
}

static bool
name_is_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	}
	return true;
}

/* Set a scalar keyword from a one-argument statement. */
static int
set_scalar(struct parse_ctx *ctx, const struct stmt *s, const struct keyword *kw, void *base)
{
	uint64_t *field = (uint64_t *)((char *)base + kw->offset);
	char *why = NULL;
	uint64_t v;
	int rc;

	if (s->argc != 2) {
		ctx_error(ctx, s->file, s->line, "%s takes exactly one value", kw->name);
		return -1;
	}
	if (*field != UNSET) {
		ctx_error(ctx, s->file, s->line, "%s is given twice", kw->name);
		return -1;
	}
	switch (kw->type) {
	case KW_UINT:
		if (strcmp(kw->name, "workers") == 0 && strcmp(s->argv[1], "auto") == 0) {
			*field = 0;
			return 0;
		}
		rc = parse_uint(s->argv[1], kw->min, kw->max, &v, &why);
		break;
	case KW_SIZE:
		rc = parse_size(s->argv[1], &v, &why);
		if (rc == 0 && (v < kw->min || v > kw->max)) {
			xasprintf(&why, "%s is out of range (%llu to %llu bytes)", s->argv[1],
			    (unsigned long long)kw->min, (unsigned long long)kw->max);
			rc = -1;
		}
		break;
	case KW_SPLICE: {
		enum config_splice sp;

		rc = config_parse_splice(s->argv[1], &sp);
		if (rc != 0)
			xasprintf(&why, "takes on, off or auto, not '%s'", s->argv[1]);
		v = sp;
		break;
	}
	case KW_DURATION:
		rc = parse_duration(s->argv[1], &v, &why);
		if (rc == 0 && v < kw->min) {
			xasprintf(&why, "%s must be more than zero", kw->name);
			rc = -1;
		}
		break;
	default:
		abort();
	}
	if (rc != 0) {
		ctx_error(ctx, s->file, s->line, "%s: %s", kw->name, why);
		free(why);
		return -1;
	}
	*field = v;
	return 0;
}

static int
add_addresses(struct parse_ctx *ctx, const struct stmt *s, enum taddr_role role,
    const struct config *c, struct taddr ***list, size_t *n)
{
	struct taddr_ctx actx = { c->tls, c->ntls };
	size_t i;

	if (s->argc < 2) {
		ctx_error(ctx, s->file, s->line, "%s needs at least one address", s->argv[0]);
		return -1;
	}
	for (i = 1; i < s->argc; i++) {
		char *why = NULL;
		struct taddr *ta = taddr_parse(s->argv[i], role, &actx, &why);

		if (ta == NULL) {
			ctx_error(ctx, s->file, s->line, "%s: %s", s->argv[0], why);
			free(why);
			return -1;
		}
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = ta;
	}
	return 0;
}

static struct lconf *
lconf_new(const char *name, const char *file, unsigned line)
{
	struct lconf *lc = xcalloc(1, sizeof *lc);

	lc->name = xstrdup(name);
	lc->file = xstrdup(file);
	lc->line = line;
	lc->connect_timeout_ms = UNSET;
	lc->connect_tries = UNSET;
	lc->idle_timeout_ms = UNSET;
	lc->fin_timeout_ms = UNSET;
	lc->buffer = UNSET;
	lc->pipe_size = UNSET;
	lc->max_connections = UNSET;
	lc->splice = UNSET;
	lc->handshake_timeout_ms = UNSET;
	lc->max_per_client = UNSET;
	lc->auth_delay_ms = UNSET;
	return lc;
}

static void
lconf_free(struct lconf *lc)
{
	size_t i;

	if (lc == NULL)
		return;
	for (i = 0; i < lc->nlisten; i++)
		taddr_free(lc->listen[i]);
	for (i = 0; i < lc->ntarget; i++)
		taddr_free(lc->target[i]);
	free(lc->listen);
	free(lc->target);
	if (lc->count != NULL && --lc->count->refs == 0)
		free(lc->count);
	for (i = 0; i < lc->nrules; i++)
		access_rule_clear(&lc->rules[i]);
	free(lc->rules);
	for (i = 0; i < lc->nmaps; i++)
		addrmap_rule_clear(&lc->maps[i]);
	free(lc->maps);
	passwd_free(lc->users);
	free(lc->users_file);
	free(lc->name);
	free(lc->file);
	free(lc);
}

static void
lconf_defaults(struct lconf *lc)
{
#define DEF(f, v) do { if (lc->f == UNSET) lc->f = (v); } while (0)
	DEF(connect_timeout_ms, CONFIG_CONNECT_TIMEOUT_MS);
	DEF(connect_tries, 0);
	DEF(idle_timeout_ms, CONFIG_IDLE_TIMEOUT_MS);
	DEF(fin_timeout_ms, CONFIG_FIN_TIMEOUT_MS);
	DEF(buffer, CONFIG_BUFFER);
	DEF(pipe_size, CONFIG_PIPE_SIZE);
	DEF(max_connections, 0);
	DEF(handshake_timeout_ms, CONFIG_HANDSHAKE_TIMEOUT_MS);
	DEF(max_per_client, 0);
	DEF(auth_delay_ms, 1000);
#undef DEF
	lc->count = xcalloc(1, sizeof *lc->count);
	lc->count->refs = 1;
}

static struct config *
config_new(const char *file)
{
	struct config *c = xcalloc(1, sizeof *c);

	c->refs = 1;
	c->file = xstrdup(file);
	c->workers = UNSET;
	c->max_connections = UNSET;
	c->drain_timeout_ms = UNSET;
	c->splice = UNSET;
	return c;
}

/* `gateway socks|http-connect [{ auth password FILE }]` */
static int
interpret_gateway(struct parse_ctx *ctx, const struct stmt *d, struct lconf *lc)
{
	size_t i;

	if (d->argc != 2 || (lc->gateway = gateway_find(d->argv[1])) == NULL) {
		ctx_error(ctx, d->file, d->line, "gateway takes socks or http-connect");
		return -1;
	}
	for (i = 0; i < d->nchild; i++) {
		const struct stmt *a = &d->child[i];
		char *why = NULL;

		if (a->block || a->argc != 3 || strcmp(a->argv[0], "auth") != 0 ||
		    strcmp(a->argv[1], "password") != 0) {
			ctx_error(ctx, a->file, a->line, "in a gateway block: auth password FILE");
			return -1;
		}
		if (lc->users != NULL) {
			ctx_error(ctx, a->file, a->line, "auth is given twice");
			return -1;
		}
		lc->users = passwd_load(a->argv[2], &why);
		if (lc->users == NULL) {
			ctx_error(ctx, a->file, a->line, "auth password: %s", why);
			free(why);
			return -1;
		}
		lc->users_file = xstrdup(a->argv[2]);
	}
	return 0;
}

bool
lconf_is_open(const struct lconf *lc)
{
	size_t i;

	/* local: Unix sockets and loopback TCP/MPTCP; anything else may be reached from afar */
	for (i = 0; i < lc->nlisten; i++) {
		const char *l = taddr_bind_key(lc->listen[i]), *h;

		if (strncmp(l, "unix:", 5) == 0 || strncmp(l, "unix-abstract:", 14) == 0)
			continue;
		if (strncmp(l, "tcp://", 6) != 0 && strncmp(l, "mptcp://", 8) != 0)
			return true;
		h = strstr(l, "://") + 3;
		if (strncmp(h, "127.", 4) != 0 && strncmp(h, "[::1]:", 6) != 0)
			return true;
	}
	return false;
}

static bool
lconf_has_tls_listen(const struct lconf *lc)
{
	size_t i;

	for (i = 0; i < lc->nlisten; i++) {
		if (lc->listen[i]->tls != NULL)
			return true;
	}
	return false;
}

/*
 * Message sockets (unix-seqpacket) are relayed by the kernel-socket pump
 * only: not with a tls+ or module address, not behind a gateway.
 */
static int
lconf_check_messages(const struct lconf *lc, char **cause)
{
	const struct taddr *msg = NULL, *other = NULL;
	size_t i, n = lc->nlisten + lc->ntarget;

	for (i = 0; i < n; i++) {
		const struct taddr *ta = i < lc->nlisten ? lc->listen[i] : lc->target[i - lc->nlisten];

		if (taddr_is_kernel_messages(ta))
			msg = ta;
		else if (!taddr_is_kernel_stream(ta))
			other = ta;
	}
	if (msg == NULL)
		return 0;
	if (lc->gateway != NULL) {
		xasprintf(cause, "listener '%s': a gateway speaks a byte stream; %s keeps messages",
		    lc->name, msg->label);
		return -1;
	}
	if (other != NULL) {
		xasprintf(cause, "listener '%s': %s keeps messages and can be bridged only with "
		    "kernel sockets (tcp, mptcp, unix, unix-seqpacket), not with %s", lc->name,
		    msg->label, other->label);
		return -1;
	}
	return 0;
}

/* A listener is a relay (targets) or a gateway (no targets), and never an open proxy. */
static int
lconf_check(const struct lconf *lc, char **cause)
{
	size_t i;

	if (lc->nlisten == 0) {
		xasprintf(cause, "listener '%s' has no listen address", lc->name);
		return -1;
	}
	if (lconf_check_messages(lc, cause) != 0)
		return -1;
	if (lc->gateway == NULL) {
		if (lc->ntarget == 0) {
			xasprintf(cause, "listener '%s' has no target", lc->name);
			return -1;
		}
		if (lc->nmaps > 0 || lc->users != NULL) {
			xasprintf(cause, "listener '%s': map and auth apply to gateway listeners", lc->name);
			return -1;
		}
		for (i = 0; i < lc->nrules; i++) {
			if (access_rule_needs_cert(&lc->rules[i]) && !lconf_has_tls_listen(lc)) {
				xasprintf(cause, "listener '%s': rule '%s' needs a tls+ listen address "
				    "with verify=peer or verify=require", lc->name, lc->rules[i].text);
				return -1;
			}
			if (access_rule_is_per_request(&lc->rules[i])) {
				xasprintf(cause, "listener '%s': rule '%s' needs a gateway (user, to, port)",
				    lc->name, lc->rules[i].text);
				return -1;
			}
		}
		return 0;
	}
	if (lc->ntarget > 0) {
		xasprintf(cause, "listener '%s': a gateway takes its targets from clients; "
		    "use map rules instead of target", lc->name);
		return -1;
	}
	if (lconf_is_open(lc) && lc->users == NULL && lc->nrules == 0) {
		xasprintf(cause, "listener '%s': a gateway reachable beyond loopback needs "
		    "auth password FILE or allow rules (mptnd is never an open proxy)", lc->name);
		return -1;
	}
	return 0;
}

static int
interpret_listener(struct parse_ctx *ctx, const struct stmt *s, struct config *c)
{
	struct lconf *lc;
	char *why = NULL;
	size_t i;

	if (s->argc != 2 || !name_is_valid(s->argv[1])) {
		ctx_error(ctx, s->file, s->line,
		    "listener takes a name (letters, digits, '-', '_', '.') before '{'");
		return -1;
	}
	for (i = 0; i < c->nlisteners; i++) {
		if (strcmp(c->listeners[i]->name, s->argv[1]) == 0) {
			ctx_error(ctx, s->file, s->line, "listener '%s' is already defined at %s:%u",
			    s->argv[1], c->listeners[i]->file, c->listeners[i]->line);
			return -1;
		}
	}
	lc = lconf_new(s->argv[1], s->file, s->line);
	c->listeners = xreallocarray(c->listeners, c->nlisteners + 1, sizeof *c->listeners);
	c->listeners[c->nlisteners++] = lc;
	for (i = 0; i < s->nchild; i++) {
		const struct stmt *d = &s->child[i];
		const struct keyword *kw = keyword_find(listener_keywords,
		    MPTN_ARRAY_LEN(listener_keywords), d->argv[0]);

		if (kw == NULL) {
			ctx_error(ctx, d->file, d->line, "unknown directive '%s' in listener '%s'",
			    d->argv[0], lc->name);
			return -1;
		}
		if (d->block && kw->type != KW_GATEWAY) {
			ctx_error(ctx, d->file, d->line, "'%s' does not take a block", d->argv[0]);
			return -1;
		}
		if (kw->type == KW_GATEWAY) {
			if (interpret_gateway(ctx, d, lc) != 0)
				return -1;
		} else if (kw->type == KW_RULE) {
			lc->rules = xreallocarray(lc->rules, lc->nrules + 1, sizeof *lc->rules);
			if (access_rule_parse(d->argv, d->argc, &lc->rules[lc->nrules], &why) != 0) {
				ctx_error(ctx, d->file, d->line, "%s", why);
				free(why);
				return -1;
			}
			lc->nrules++;
		} else if (kw->type == KW_MAP) {
			if (d->argc != 3) {
				ctx_error(ctx, d->file, d->line, "map takes PATTERN[:PORT] TARGET-TEMPLATE");
				return -1;
			}
			lc->maps = xreallocarray(lc->maps, lc->nmaps + 1, sizeof *lc->maps);
			if (addrmap_rule_parse(d->argv[1], d->argv[2], &lc->maps[lc->nmaps], &why) != 0) {
				ctx_error(ctx, d->file, d->line, "%s", why);
				free(why);
				return -1;
			}
			lc->nmaps++;
		} else if (kw->type == KW_LISTEN) {
			if (add_addresses(ctx, d, TADDR_LISTEN, c, &lc->listen, &lc->nlisten) != 0)
				return -1;
		} else if (kw->type == KW_TARGET) {
			if (add_addresses(ctx, d, TADDR_CONNECT, c, &lc->target, &lc->ntarget) != 0)
				return -1;
		} else if (set_scalar(ctx, d, kw, lc) != 0)
			return -1;
	}
	if (lconf_check(lc, &why) != 0) {
		ctx_error(ctx, s->file, s->line, "%s", why);
		free(why);
		return -1;
	}
	lconf_defaults(lc);
	return 0;
}

static void
tls_profile_free(struct tls_profile *p)
{
	size_t i;

	for (i = 0; i < p->nopts; i++) {
		free(p->opts[i].key);
		free(p->opts[i].value);
	}
	free(p->opts);
	free(p->name);
	free(p->file);
	free(p);
}

/* A `tls NAME { KEY VALUE ... }` block: the same keys as tls+ URI options. */
static int
interpret_tls(struct parse_ctx *ctx, const struct stmt *s, struct config *c)
{
	struct tls_profile *p;
	size_t i;

	if (s->argc != 2 || !name_is_valid(s->argv[1])) {
		ctx_error(ctx, s->file, s->line,
		    "tls takes a name (letters, digits, '-', '_', '.') before '{'");
		return -1;
	}
	for (i = 0; i < c->ntls; i++) {
		if (strcmp(c->tls[i]->name, s->argv[1]) == 0) {
			ctx_error(ctx, s->file, s->line, "tls '%s' is already defined at %s:%u",
			    s->argv[1], c->tls[i]->file, c->tls[i]->line);
			return -1;
		}
	}
	p = xcalloc(1, sizeof *p);
	p->name = xstrdup(s->argv[1]);
	p->file = xstrdup(s->file);
	p->line = s->line;
	c->tls = xreallocarray(c->tls, c->ntls + 1, sizeof *c->tls);
	c->tls[c->ntls++] = p;
	for (i = 0; i < s->nchild; i++) {
		const struct stmt *d = &s->child[i];
		char *why = NULL;

		if (d->block || d->argc != 2 || strcmp(d->argv[0], "tls") == 0) {
			ctx_error(ctx, d->file, d->line, "tls '%s': expected KEY VALUE (cert, key, ca, "
			    "verify, sni, alpn, min-version, ciphers)", p->name);
			return -1;
		}
		if (!tls_is_option(d->argv[0])) {
			ctx_error(ctx, d->file, d->line, "unknown directive '%s' in tls '%s'",
			    d->argv[0], p->name);
			return -1;
		}
		if (tls_check_option(d->argv[0], d->argv[1], &why) != 0) {
			ctx_error(ctx, d->file, d->line, "%s", why);
			free(why);
			return -1;
		}
		/* files are checked here, so an error names this line even if no address uses the block */
		if ((strcmp(d->argv[0], "cert") == 0 || strcmp(d->argv[0], "key") == 0 ||
		    strcmp(d->argv[0], "ca") == 0) && access(d->argv[1], R_OK) != 0) {
			ctx_error(ctx, d->file, d->line, "%s %s: %s", d->argv[0], d->argv[1], strerror(errno));
			return -1;
		}
		p->opts = xreallocarray(p->opts, p->nopts + 1, sizeof *p->opts);
		p->opts[p->nopts].key = xstrdup(d->argv[0]);
		p->opts[p->nopts++].value = xstrdup(d->argv[1]);
	}
	return 0;
}

/*
 * `transport NAME { module PATH-OR-NAME; KEY VALUE ... }`: load a transport
 * module (once per process) and hand it the other lines, in order.
 */
static int
interpret_transport(struct parse_ctx *ctx, const struct stmt *s, struct config *c)
{
	const struct transport_module *mod = NULL;
	char *why = NULL;
	size_t i;

	if (s->argc != 2) {
		ctx_error(ctx, s->file, s->line, "transport takes a name before '{'");
		return -1;
	}
	for (i = 0; i < s->nchild; i++) {
		const struct stmt *d = &s->child[i];

		if (d->block || d->argc != 2) {
			ctx_error(ctx, d->file, d->line, "transport %s: expected KEY VALUE", s->argv[1]);
			return -1;
		}
		if (strcmp(d->argv[0], "module") == 0) {
			if (mod != NULL) {
				ctx_error(ctx, d->file, d->line, "module is given twice");
				return -1;
			}
			if (transport_load(d->argv[1], &mod, &why) != 0) {
				ctx_error(ctx, d->file, d->line, "%s", why);
				free(why);
				return -1;
			}
			if (strcmp(mod->transport->name, s->argv[1]) != 0) {
				ctx_error(ctx, d->file, d->line, "module %s provides transport '%s', not '%s'",
				    d->argv[1], mod->transport->name, s->argv[1]);
				return -1;
			}
			continue;
		}
		if (mod == NULL) {
			ctx_error(ctx, d->file, d->line, "transport %s: 'module' comes first", s->argv[1]);
			return -1;
		}
		if (mod->configure == NULL || mod->configure(d->argv[0], d->argv[1], &why) != 0) {
			ctx_error(ctx, d->file, d->line, "transport %s: %s", s->argv[1],
			    why != NULL ? why : "this module takes no settings");
			free(why);
			return -1;
		}
	}
	if (mod == NULL) {
		ctx_error(ctx, s->file, s->line, "transport %s: no module line", s->argv[1]);
		return -1;
	}
	(void)c;
	return 0;
}

/* `nameserver IP[:PORT] ...`: the DNS servers c-ares asks instead of resolv.conf's. */
static int
interpret_nameserver(struct parse_ctx *ctx, const struct stmt *s, struct config *c)
{
	size_t i;

	if (s->argc < 2) {
		ctx_error(ctx, s->file, s->line, "nameserver takes IP, IP:PORT or [IPv6]:PORT");
		return -1;
	}
	for (i = 1; i < s->argc; i++) {
		const char *a = s->argv[i];
		char host[64], *why = NULL;
		unsigned char raw[16];
		const char *colon;
		uint64_t port;

		if (a[0] == '[') {
			const char *end = strchr(a, ']');

			if (end == NULL || (size_t)(end - a - 1) >= sizeof host)
				goto bad;
			snprintf(host, sizeof host, "%.*s", (int)(end - a - 1), a + 1);
			colon = end[1] == ':' ? end + 1 : NULL;
			if (end[1] != '\0' && colon == NULL)
				goto bad;
		} else {
			colon = strchr(a, ':');
			snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - a) : (int)strlen(a), a);
		}
		if (inet_pton(AF_INET, host, raw) != 1 && inet_pton(AF_INET6, host, raw) != 1)
			goto bad;
		if (colon != NULL && parse_uint(colon + 1, 1, 65535, &port, &why) != 0) {
			free(why);
			goto bad;
		}
		if (c->nameservers == NULL)
			c->nameservers = xstrdup(a);
		else {
			char *joined;

			xasprintf(&joined, "%s,%s", c->nameservers, a);
			free(c->nameservers);
			c->nameservers = joined;
		}
		continue;
bad:
		ctx_error(ctx, s->file, s->line, "nameserver: '%s' is not IP, IP:PORT or [IPv6]:PORT", a);
		return -1;
	}
	return 0;
}

static int
interpret(struct parse_ctx *ctx, const struct stmt *root, struct config *c)
{
	size_t i;

	/* transport modules and tls blocks first: addresses anywhere may use them */
	for (i = 0; i < root->nchild; i++) {
		const struct stmt *s = &root->child[i];

		if (strcmp(s->argv[0], "transport") != 0)
			continue;
		if (!s->block) {
			ctx_error(ctx, s->file, s->line, "'transport' needs a { module ...; } block");
			return -1;
		}
		if (interpret_transport(ctx, s, c) != 0)
			return -1;
	}
	for (i = 0; i < root->nchild; i++) {
		const struct stmt *s = &root->child[i];

		if (strcmp(s->argv[0], "tls") != 0)
			continue;
		if (!s->block) {
			ctx_error(ctx, s->file, s->line, "'tls' needs a { ... } block");
			return -1;
		}
		if (interpret_tls(ctx, s, c) != 0)
			return -1;
	}
	for (i = 0; i < root->nchild; i++) {
		const struct stmt *s = &root->child[i];
		const struct keyword *kw = keyword_find(global_keywords,
		    MPTN_ARRAY_LEN(global_keywords), s->argv[0]);

		if (kw == NULL) {
			ctx_error(ctx, s->file, s->line, "unknown directive '%s'", s->argv[0]);
			return -1;
		}
		if (kw->type == KW_TLS_BLOCK || kw->type == KW_TRANSPORT_BLOCK)
			continue;
		if (s->block != (kw->type == KW_BLOCK)) {
			ctx_error(ctx, s->file, s->line, s->block ? "'%s' does not take a block" :
			    "'%s' needs a { ... } block", s->argv[0]);
			return -1;
		}
		if (kw->type == KW_BLOCK) {
			if (interpret_listener(ctx, s, c) != 0)
				return -1;
		} else if (kw->type == KW_NAMESERVER) {
			if (interpret_nameserver(ctx, s, c) != 0)
				return -1;
		} else if (kw->type == KW_LOGLEVEL) {
			if (s->argc != 2 || log_level_parse(s->argv[1], &c->log_level) != 0) {
				ctx_error(ctx, s->file, s->line,
				    "log-level takes one of error, warning, info, debug");
				return -1;
			}
			if (c->log_level_set) {
				ctx_error(ctx, s->file, s->line, "log-level is given twice");
				return -1;
			}
			c->log_level_set = true;
		} else if (set_scalar(ctx, s, kw, c) != 0)
			return -1;
	}
	return 0;
}

/* Defaults and checks that span listeners. */
static int
config_finish(struct config *c, char **cause)
{
	size_t i, j, k, l;

	if (c->workers == UNSET)
		c->workers = 0;
	if (c->max_connections == UNSET)
		c->max_connections = 0;
	if (c->drain_timeout_ms == UNSET)
		c->drain_timeout_ms = CONFIG_DRAIN_TIMEOUT_MS;
	if (c->splice == UNSET)
		c->splice = CONFIG_SPLICE_AUTO;
	for (i = 0; i < c->nlisteners; i++) {
		if (c->listeners[i]->splice == UNSET)
			c->listeners[i]->splice = c->splice;
	}
	if (!c->log_level_set)
		c->log_level = LOG_LVL_INFO;
	if (c->nlisteners == 0) {
		xasprintf(cause, "%s: no listener defined", c->file);
		return -1;
	}
	for (i = 0; i < c->nlisteners; i++) {
		struct lconf *a = c->listeners[i];

		for (j = i; j < c->nlisteners; j++) {
			struct lconf *b = c->listeners[j];

			for (k = 0; k < a->nlisten; k++) {
				for (l = (i == j ? k + 1 : 0); l < b->nlisten; l++) {
					if (strcmp(taddr_bind_key(a->listen[k]), taddr_bind_key(b->listen[l])) != 0)
						continue;
					if (b->line == 0)
						xasprintf(cause, "listen address %s is given twice",
						    b->listen[l]->text);
					else
						xasprintf(cause, "%s:%u: listen address %s is also used by listener '%s' (%s:%u)",
						    b->file, b->line, b->listen[l]->text, a->name, a->file, a->line);
					return -1;
				}
			}
		}
	}
	return 0;
}

static struct config *
config_build(struct parse_ctx *ctx, const char *name, struct stmt *root, int rc, char **cause)
{
	struct config *c = NULL;
	size_t i;

	if (rc == 0) {
		c = config_new(name);
		if (interpret(ctx, root, c) != 0 || config_finish(c, &ctx->cause) != 0) {
			config_unref(c);
			c = NULL;
		}
	}
	stmt_clear(root);
	for (i = 0; i < ctx->nfiles; i++)
		free(ctx->files[i]);
	free(ctx->files);
	if (c == NULL)
		*cause = ctx->cause;
	else
		free(ctx->cause);
	return c;
}

struct config *
config_load_file(const char *file, char **cause)
{
	struct parse_ctx ctx = { 0 };
	struct stmt root = { 0 };
	int rc = parse_file(&ctx, file, &root, 0, NULL, 0);

	return config_build(&ctx, file, &root, rc, cause);
}

struct config *
config_load_text(const char *name, const char *text, char **cause)
{
	struct parse_ctx ctx = { 0 };
	struct stmt root = { 0 };
	char *copy = xstrdup(name);
	int rc;

	ctx.files = xmalloc(sizeof *ctx.files);
	ctx.files[ctx.nfiles++] = copy;
	if (strlen(text) > CONFIG_MAX_FILE_SIZE) {
		ctx_error(&ctx, copy, 0, "larger than 4 MiB");
		rc = -1;
	} else
		rc = parse_text(&ctx, copy, text, &root, 0);
	return config_build(&ctx, name, &root, rc, cause);
}

struct config *
config_from_pairs(char **flags, char **values, size_t n, char **cause)
{
	struct config *c = config_new("command line");
	struct lconf *lc = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		bool is_listen = strcmp(flags[i], "--listen") == 0;
		bool is_gateway = strcmp(flags[i], "--gateway") == 0;
		char *why = NULL, name[32];
		struct taddr *ta = NULL;

		if (!is_listen && lc == NULL) {
			xasprintf(cause, "%s %s comes before any --listen", flags[i], values[i]);
			goto fail;
		}
		if (is_gateway) {
			if (lc->gateway != NULL || (lc->gateway = gateway_find(values[i])) == NULL) {
				xasprintf(cause, "--gateway takes socks or http-connect, once per --listen");
				goto fail;
			}
			continue;
		}
		ta = taddr_parse(values[i], is_listen ? TADDR_LISTEN : TADDR_CONNECT, NULL, &why);
		if (ta == NULL) {
			xasprintf(cause, "%s: %s", flags[i], why);
			free(why);
			goto fail;
		}
		if (is_listen && lc != NULL && lc->ntarget == 0 && lc->gateway == NULL) {
			/* --listen A --listen B --target T: one listener on A and B */
			lc->listen = xreallocarray(lc->listen, lc->nlisten + 1, sizeof *lc->listen);
			lc->listen[lc->nlisten++] = ta;
		} else if (is_listen) {
			if (lc != NULL && lconf_check(lc, cause) != 0) {
				taddr_free(ta);
				goto fail;
			}
			snprintf(name, sizeof name, "cli%zu", c->nlisteners + 1);
			lc = lconf_new(name, "command line", 0);
			c->listeners = xreallocarray(c->listeners, c->nlisteners + 1, sizeof *c->listeners);
			c->listeners[c->nlisteners++] = lc;
			lc->listen = xmalloc(sizeof *lc->listen);
			lc->listen[lc->nlisten++] = ta;
		} else {
			lc->target = xreallocarray(lc->target, lc->ntarget + 1, sizeof *lc->target);
			lc->target[lc->ntarget++] = ta;
		}
	}
	if (lc != NULL && lc->ntarget == 0 && lc->gateway == NULL) {
		xasprintf(cause, "--listen %s has no --target (or --gateway)", lc->listen[0]->text);
		goto fail;
	}
	if (lc != NULL && lconf_check(lc, cause) != 0)
		goto fail;
	for (i = 0; i < c->nlisteners; i++)
		lconf_defaults(c->listeners[i]);
	if (config_finish(c, cause) != 0)
		goto fail;
	return c;
fail:
	config_unref(c);
	return NULL;
}

int
config_parse_splice(const char *s, enum config_splice *out)
{
	if (strcmp(s, "on") == 0)
		*out = CONFIG_SPLICE_ON;
	else if (strcmp(s, "off") == 0)
		*out = CONFIG_SPLICE_OFF;
	else if (strcmp(s, "auto") == 0)
		*out = CONFIG_SPLICE_AUTO;
	else
		return -1;
	return 0;
}

void
config_force_splice(struct config *c, enum config_splice sp)
{
	size_t i;

	c->splice = sp;
	for (i = 0; i < c->nlisteners; i++)
		c->listeners[i]->splice = sp;
}

void
config_share_counts(struct config *new, const struct config *old)
{
	size_t i, j;

	for (i = 0; i < new->nlisteners; i++) {
		struct lconf *n = new->listeners[i];

		for (j = 0; j < old->nlisteners; j++) {
			struct lcount *oc = old->listeners[j]->count;

			if (strcmp(old->listeners[j]->name, n->name) != 0)
				continue;
			if (--n->count->refs == 0)
				free(n->count);
			oc->refs++;
			n->count = oc;
			break;
		}
	}
}

struct config *
config_ref(struct config *c)
{
	c->refs++;
	return c;
}

void
config_unref(struct config *c)
{
	size_t i;

	if (c == NULL || --c->refs > 0)
		return;
	for (i = 0; i < c->nlisteners; i++)
		lconf_free(c->listeners[i]);
	free(c->listeners);
	for (i = 0; i < c->ntls; i++)
		tls_profile_free(c->tls[i]);
	free(c->tls);
	free(c->nameservers);
	free(c->file);
	free(c);
}

static void
dump_duration(FILE *f, const char *name, uint64_t ms)
{
	if (ms % 1000 == 0)
		fprintf(f, "%s %llus\n", name, (unsigned long long)(ms / 1000));
	else
		fprintf(f, "%s %llums\n", name, (unsigned long long)ms);
}

void
config_dump(const struct config *c, FILE *f)
{
	static const char *levels[] = { "error", "warning", "info", "debug" };
	static const char *splices[] = { "off", "on", "auto" };
	size_t i, j;

	if (c->workers == 0)
		fprintf(f, "workers auto\n");
	else
		fprintf(f, "workers %llu\n", (unsigned long long)c->workers);
	fprintf(f, "max-connections %llu\n", (unsigned long long)c->max_connections);
	dump_duration(f, "drain-timeout", c->drain_timeout_ms);
	fprintf(f, "splice %s\n", splices[c->splice]);
	fprintf(f, "log-level %s\n", levels[c->log_level]);
	if (c->nameservers != NULL) {
		fprintf(f, "nameserver ");
		for (const char *p = c->nameservers; *p != '\0'; p++)
			fputc(*p == ',' ? ' ' : *p, f);
		fputc('\n', f);
	}
	for (i = 0; i < c->ntls; i++) {
		fprintf(f, "tls %s {\n", c->tls[i]->name);
		for (j = 0; j < c->tls[i]->nopts; j++)
			fprintf(f, "\t%s \"%s\"\n", c->tls[i]->opts[j].key, c->tls[i]->opts[j].value);
		fprintf(f, "}\n");
	}
	for (i = 0; i < c->nlisteners; i++) {
		const struct lconf *lc = c->listeners[i];

		fprintf(f, "listener %s {\n", lc->name);
		for (j = 0; j < lc->nlisten; j++)
			fprintf(f, "\tlisten %s\n", lc->listen[j]->text);
		for (j = 0; j < lc->ntarget; j++)
			fprintf(f, "\ttarget %s\n", lc->target[j]->text);
		fprintf(f, "\t");
		dump_duration(f, "connect-timeout", lc->connect_timeout_ms);
		fprintf(f, "\tconnect-tries %llu\n", (unsigned long long)lc->connect_tries);
		fprintf(f, "\t");
		dump_duration(f, "idle-timeout", lc->idle_timeout_ms);
		fprintf(f, "\t");
		dump_duration(f, "fin-timeout", lc->fin_timeout_ms);
		fprintf(f, "\tbuffer %llu\n", (unsigned long long)lc->buffer);
		fprintf(f, "\tpipe-size %llu\n", (unsigned long long)lc->pipe_size);
		fprintf(f, "\tmax-connections %llu\n", (unsigned long long)lc->max_connections);
		fprintf(f, "\tsplice %s\n", splices[lc->splice]);
		if (lc->max_per_client > 0)
			fprintf(f, "\tmax-connections-per-client %llu\n",
			    (unsigned long long)lc->max_per_client);
		if (lc->gateway != NULL) {
			if (lc->users_file != NULL)
				fprintf(f, "\tgateway %s { auth password %s }\n", lc->gateway->name,
				    lc->users_file);
			else
				fprintf(f, "\tgateway %s\n", lc->gateway->name);
			fprintf(f, "\t");
			dump_duration(f, "handshake-timeout", lc->handshake_timeout_ms);
			if (lc->users_file != NULL) {
				fprintf(f, "\t");
				dump_duration(f, "auth-failure-delay", lc->auth_delay_ms);
			}
		}
		for (j = 0; j < lc->nrules; j++)
			fprintf(f, "\t%s\n", lc->rules[j].text);
		for (j = 0; j < lc->nmaps; j++) {
			if (lc->maps[j].port < 0)
				fprintf(f, "\tmap %s %s\n", lc->maps[j].pattern, lc->maps[j].tmpl);
			else
				fprintf(f, "\tmap %s:%d %s\n", lc->maps[j].pattern, lc->maps[j].port,
				    lc->maps[j].tmpl);
		}
		fprintf(f, "}\n");
	}
}

const char config_default_text[] =
    "# mptnd's embedded default configuration (mptnd(8), DEFAULT CONFIGURATION).\n"
    "# Loopback only, like ssh -D: a SOCKS 4/4a/5 gateway on port 1080 and an\n"
    "# HTTP CONNECT gateway on port 8080, for local clients only (no allow rules:\n"
    "# loopback and same-uid clients).\n"
    "listener socks {\n"
    "\tlisten tcp://127.0.0.1:1080 tcp://[::1]:1080\n"
    "\tgateway socks\n"
    "}\n"
    "listener http {\n"
    "\tlisten tcp://127.0.0.1:8080 tcp://[::1]:8080\n"
    "\tgateway http-connect\n"
    "}\n";

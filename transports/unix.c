/*
 * unix.c - the unix: (socket file) and unix-abstract: (Linux abstract
 * namespace) stream transports, and unix-seqpacket: (a socket file of
 * SOCK_SEQPACKET type: messages, boundaries kept, framing=none|length).
 *
 * A unix: listener never removes a path that is not a stale socket: an
 * existing socket file is removed only when connecting to it is refused
 * (nobody listens); anything else at the path is an error. Mode, owner and
 * group of the socket file are set right after bind, before listen.
 */
#include "common.h"
#include "dial.h"
#include "transport.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define UNIX_DEFAULT_BACKLOG 1024

struct unix_addr {
	bool abstract;
	int type;		/* SOCK_STREAM or SOCK_SEQPACKET */
	enum msg_framing framing;
	struct sockaddr_un sun;
	socklen_t sunlen;
	const char *path;	/* into sun.sun_path, for unix: */
	int backlog;
	long mode;		/* -1: leave as umask made it */
	uid_t uid;		/* (uid_t)-1: leave */
	gid_t gid;
};

static int
unix_set_backlog(void *priv, const char *v, char **cause)
{
	uint64_t n;

	if (parse_uint(v, 1, 65535, &n, cause) != 0)
		return -1;
	((struct unix_addr *)priv)->backlog = (int)n;
	return 0;
}

static int
unix_set_mode(void *priv, const char *v, char **cause)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(v, &end, 8);
	if (*v == '\0' || *end != '\0' || errno != 0 || m < 0 || m > 07777) {
		xasprintf(cause, "'%s' is not an octal file mode such as 0660", v);
		return -1;
	}
	((struct unix_addr *)priv)->mode = m;
	return 0;
}

/* A user or group given by name or number; WHAT is "user" or "group". */
static int
unix_lookup_id(const char *v, const char *what, uint32_t *id, char **cause)
{
	struct passwd *pw = what[0] == 'u' ? getpwnam(v) : NULL;
	struct group *gr = what[0] == 'g' ? getgrnam(v) : NULL;
	uint64_t n;
	char *why = NULL;

	if (pw != NULL || gr != NULL) {
		*id = pw != NULL ? pw->pw_uid : gr->gr_gid;
		return 0;
	}
	if (parse_uint(v, 0, UINT32_MAX - 1, &n, &why) != 0) {
		free(why);
		xasprintf(cause, "no %s '%s'", what, v);
		return -1;
	}
	*id = (uint32_t)n;
	return 0;
}

static int
unix_set_owner(void *priv, const char *v, char **cause)
{
	uint32_t id;

	if (unix_lookup_id(v, "user", &id, cause) != 0)
		return -1;
	((struct unix_addr *)priv)->uid = (uid_t)id;
	return 0;
}

static int
unix_set_group(void *priv, const char *v, char **cause)
{
	uint32_t id;

	if (unix_lookup_id(v, "group", &id, cause) != 0)
		return -1;
	((struct unix_addr *)priv)->gid = (gid_t)id;
	return 0;
}

static int
unix_set_framing(void *priv, const char *v, char **cause)
{
	struct unix_addr *a = priv;

	if (strcmp(v, "none") == 0)
		a->framing = MSG_FRAMING_NONE;
	else if (strcmp(v, "length") == 0)
		a->framing = MSG_FRAMING_LENGTH;
	else {
		xasprintf(cause, "'%s': expected none or length", v);
		return -1;
	}
	return 0;
}

static const struct transport_opt unix_opts[] = {
	{ "backlog", TOPT_LISTEN, unix_set_backlog },
	{ "mode", TOPT_LISTEN, unix_set_mode },
	{ "owner", TOPT_LISTEN, unix_set_owner },
	{ "group", TOPT_LISTEN, unix_set_group },
};

static const struct transport_opt seqpacket_opts[] = {
	{ "backlog", TOPT_LISTEN, unix_set_backlog },
	{ "mode", TOPT_LISTEN, unix_set_mode },
	{ "owner", TOPT_LISTEN, unix_set_owner },
	{ "group", TOPT_LISTEN, unix_set_group },
	{ "framing", TOPT_BOTH, unix_set_framing },
};

static const struct transport_opt abstract_opts[] = {
	{ "backlog", TOPT_LISTEN, unix_set_backlog },
};

static int
unix_parse_common(const struct uri *u, enum taddr_role role, const struct transport *tp,
    void **priv, char **cause)
{
	struct unix_addr *a = xcalloc(1, sizeof *a);
	const char *name = u->body;
	size_t len = strlen(name), max = sizeof a->sun.sun_path - 1;
	bool abstract = tp == &transport_unix_abstract;

	a->abstract = abstract;
	a->type = tp == &transport_unix_seqpacket ? SOCK_SEQPACKET : SOCK_STREAM;
	a->framing = MSG_FRAMING_NONE;
	a->backlog = UNIX_DEFAULT_BACKLOG;
	a->mode = -1;
	a->uid = (uid_t)-1;
	a->gid = (gid_t)-1;
	a->sun.sun_family = AF_UNIX;
	if (!abstract && strncmp(name, "//", 2) == 0) {
		/* unix:///run/x.sock is accepted as unix:/run/x.sock */
		name += 2;
		len -= 2;
	}
	if (len == 0) {
		xasprintf(cause, "missing %s after %s:", abstract ? "name" : "path", tp->name);
		goto fail;
	}
	if (len > max) {
		xasprintf(cause, "%s is %zu bytes long; at most %zu fit in a socket address",
		    abstract ? "name" : "path", len, max);
		goto fail;
	}
	if (abstract) {
		a->sun.sun_path[0] = '\0';
		memcpy(a->sun.sun_path + 1, name, len);
		a->sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
	} else {
		memcpy(a->sun.sun_path, name, len);
		a->sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
		a->path = a->sun.sun_path;
	}
	if (abstract) {
		if (transport_apply_opts(&transport_unix_abstract, abstract_opts,
		    MPTN_ARRAY_LEN(abstract_opts), u, role, a, cause) != 0)
			goto fail;
	} else if (a->type == SOCK_SEQPACKET) {
		if (transport_apply_opts(tp, seqpacket_opts, MPTN_ARRAY_LEN(seqpacket_opts), u,
		    role, a, cause) != 0)
			goto fail;
	} else if (transport_apply_opts(tp, unix_opts, MPTN_ARRAY_LEN(unix_opts), u, role, a,
	    cause) != 0)
		goto fail;
	*priv = a;
	return 0;
fail:
	free(a);
	return -1;
}

static int
unix_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	return unix_parse_common(u, role, &transport_unix, priv, cause);
}

static int
abstract_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	return unix_parse_common(u, role, &transport_unix_abstract, priv, cause);
}

static int
seqpacket_parse(const struct uri *u, enum taddr_role role, void **priv, char **cause)
{
	return unix_parse_common(u, role, &transport_unix_seqpacket, priv, cause);
}

static enum msg_framing
seqpacket_framing(const struct taddr *ta)
{
	return ((const struct unix_addr *)ta->priv)->framing;
}

static void
unix_free_priv(void *priv)
{
	free(priv);
}

/* Remove PATH only if it is a socket nobody listens on. */
static int
unix_clear_stale(const struct taddr *ta, const struct unix_addr *a, char **cause)
{
	struct stat st;
	int fd, rc;

	if (lstat(a->path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "%s: %s", ta->text, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		xasprintf(cause, "%s: %s exists and is not a socket; not removing it", ta->text,
		    a->path);
		return -1;
	}
	fd = socket(AF_UNIX, a->type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		xasprintf(cause, "%s: socket: %s", ta->text, strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)&a->sun, a->sunlen);
	close(fd);
	if (rc == 0 || errno != ECONNREFUSED) {
		xasprintf(cause, "%s: %s is in use by another listener", ta->text, a->path);
		return -1;
	}
	if (unlink(a->path) != 0 && errno != ENOENT) {
		xasprintf(cause, "%s: removing stale socket: %s", ta->text, strerror(errno));
		return -1;
	}
	return 0;
}

static int
unix_listen(const struct taddr *ta, bool reuseport, int *fdp, char **cause)
{
	const struct unix_addr *a = ta->priv;
	int fd;

	if (!a->abstract && unix_clear_stale(ta, a, cause) != 0)
		return -1;
	fd = socket(AF_UNIX, a->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		xasprintf(cause, "%s: socket: %s", ta->text, strerror(errno));
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&a->sun, a->sunlen) != 0) {
		xasprintf(cause, "%s: %s", ta->text, strerror(errno));
		close(fd);
		return -1;
	}
	if (!a->abstract) {
		if ((a->mode >= 0 && chmod(a->path, (mode_t)a->mode) != 0) ||
		    ((a->uid != (uid_t)-1 || a->gid != (gid_t)-1) && chown(a->path, a->uid, a->gid) != 0)) {
			xasprintf(cause, "%s: setting mode or owner: %s", ta->text, strerror(errno));
			unlink(a->path);
			close(fd);
			return -1;
		}
	}
	if (listen(fd, a->backlog) != 0) {
		xasprintf(cause, "%s: listen: %s", ta->text, strerror(errno));
		if (!a->abstract)
			unlink(a->path);
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

static void
unix_unlisten(const struct taddr *ta, int fd)
{
	const struct unix_addr *a = ta->priv;
	struct stat st;

	close(fd);
	if (!a->abstract && lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->path);
}

static void
unix_setup(const struct taddr *ta, int fd)
{
}

static char *
unix_peer_name(const struct taddr *ta, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	char *out;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		xasprintf(&out, "%s(pid=%ld,uid=%lu)", ta->label, (long)cred.pid,
		    (unsigned long)cred.uid);
	else
		out = xstrdup(ta->label);
	return out;
}

static struct dial *
unix_connect(struct worker *w, const struct taddr *ta, uint64_t timeout_ms, dial_cb cb,
    void *arg)
{
	const struct unix_addr *a = ta->priv;
	struct sockaddr_storage ss;
	struct dial_spec spec = { .addr = &ss, .addrlen = a->sunlen, .type = a->type };

	memset(&ss, 0, sizeof ss);
	memcpy(&ss, &a->sun, sizeof a->sun);
	return dial_start(w, &spec, timeout_ms, cb, arg);
}

static const char *const unix_schemes[] = { "unix", NULL };
static const char *const abstract_schemes[] = { "unix-abstract", NULL };
static const char *const seqpacket_schemes[] = { "unix-seqpacket", NULL };

const struct transport transport_unix = {
	.name = "unix",
	.schemes = unix_schemes,
	.flags = TRANSPORT_BYTE_STREAM | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD,
	.parse = unix_parse,
	.free_priv = unix_free_priv,
	.listen = unix_listen,
	.unlisten = unix_unlisten,
	.setup = unix_setup,
	.peer_name = unix_peer_name,
	.connect = unix_connect,
};

const struct transport transport_unix_abstract = {
	.name = "unix-abstract",
	.schemes = abstract_schemes,
	.flags = TRANSPORT_BYTE_STREAM | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD,
	.parse = abstract_parse,
	.free_priv = unix_free_priv,
	.listen = unix_listen,
	.unlisten = unix_unlisten,
	.setup = unix_setup,
	.peer_name = unix_peer_name,
	.connect = unix_connect,
};

const struct transport transport_unix_seqpacket = {
	.name = "unix-seqpacket",
	.schemes = seqpacket_schemes,
	.flags = TRANSPORT_MESSAGES | TRANSPORT_HALF_CLOSE | TRANSPORT_KERNEL_FD,
	.parse = seqpacket_parse,
	.free_priv = unix_free_priv,
	.listen = unix_listen,
	.unlisten = unix_unlisten,
	.setup = unix_setup,
	.peer_name = unix_peer_name,
	.connect = unix_connect,
	.framing = seqpacket_framing,
};

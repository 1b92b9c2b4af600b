/*
 * transport.h - the interface every transport backend implements, and the
 * registry that maps URI schemes to backends. The core only ever talks to a
 * backend through struct transport; it never includes a backend's file.
 */
#ifndef MPTN_TRANSPORT_H
#define MPTN_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "uri.h"

struct worker;
struct dial;

/* Capabilities the bridge asks about; it never asks which backend it is. */
#define TRANSPORT_BYTE_STREAM	0x01	/* bytes, not messages */
#define TRANSPORT_HALF_CLOSE	0x02	/* shutdown-write keeps the read side */
#define TRANSPORT_KERNEL_FD	0x04	/* a plain kernel socket (splice works) */
#define TRANSPORT_MESSAGES	0x08	/* keeps record boundaries */
#define TRANSPORT_MULTI_STREAM	0x10	/* several ordered streams per association */
#define TRANSPORT_REUSEPORT	0x20	/* listen() may give each worker its own socket */

enum taddr_role { TADDR_LISTEN, TADDR_CONNECT };

struct tls_conf;
struct tls_profile;

/* A parsed address: the backend, the URI as written, and backend state. */
struct taddr {
	const struct transport *tp;
	char *text;
	char *label;			/* text without options, for logs */
	enum taddr_role role;
	void *priv;
	struct tls_conf *tls;		/* the TLS layer ("tls+" schemes), or NULL */
};

/* What an address may refer to while it is parsed: named TLS profiles. */
struct taddr_ctx {
	struct tls_profile **profiles;
	size_t nprofiles;
};

/*
 * Completion of a connect: fd >= 0 and error NULL, or fd -1, ERR (an errno
 * value: ECONNREFUSED, ETIMEDOUT for the connect timeout, ...; or
 * DIAL_ERR_NAME when the name did not resolve) and a reason for logs.
 */
typedef void (*dial_cb)(void *arg, int fd, int err, const char *error);
#define DIAL_ERR_NAME (-1)

/*
 * How the messages of a TRANSPORT_MESSAGES address meet a byte-stream
 * peer: NONE, each message's bytes as they come (and each read of the
 * stream becomes one message); LENGTH, each message is a record of a
 * 4-byte big-endian length and the payload. Two message halves keep their
 * boundaries whatever the framing says.
 */
enum msg_framing { MSG_FRAMING_NONE, MSG_FRAMING_LENGTH };	/* LENGTH: framing.h */

struct transport {
	const char *name;
	const char *const *schemes;	/* NULL-terminated */
	unsigned flags;
	/* Parse a URI's body and options for ROLE into backend state. */
	int (*parse)(const struct uri *, enum taddr_role, void **priv, char **cause);
	void (*free_priv)(void *);
	/*
	 * Bind and listen (main thread); *fd is non-blocking. REUSEPORT (only
	 * with TRANSPORT_REUSEPORT) joins a group of sockets on one address.
	 */
	int (*listen)(const struct taddr *, bool reuseport, int *fd, char **cause);
	/* Close a listening socket and remove what listen created. */
	void (*unlisten)(const struct taddr *, int fd);
	/* Per-connection socket options on an accepted or connected fd. */
	void (*setup)(const struct taddr *, int fd);
	/* The peer of an accepted fd, as text for logs (caller frees). */
	char *(*peer_name)(const struct taddr *, int fd);
	/* Start a non-blocking connect on the worker's loop; cb runs once. */
	struct dial *(*connect)(struct worker *, const struct taddr *, uint64_t timeout_ms,
	    dial_cb, void *arg);
	/* TRANSPORT_MESSAGES (a kernel message socket) only: its framing. */
	enum msg_framing (*framing)(const struct taddr *);
};

/*
 * A transport built as a loadable module (libtool -module) exports
 * `const struct transport_module mptnd_transport_module`. The loader
 * refuses a module whose ABI version or struct size differs from mptnd's.
 * A module may run its own thread; it hands connections to the core as
 * kernel fds (accepted on the fd its listen() returned, or through
 * dial_wait()/dial_token_complete() for connects).
 */
#define MPTND_TRANSPORT_ABI 2
#define MPTND_TRANSPORT_MODULE_SYMBOL "mptnd_transport_module"

struct transport_module {
	uint32_t abi;			/* MPTND_TRANSPORT_ABI */
	uint32_t size;			/* sizeof(struct transport) it was built with */
	const struct transport *transport;
	/* One `KEY VALUE` line of its `transport NAME { }` block. */
	int (*configure)(const char *key, const char *value, char **cause);
	/* Before the workers start, and after they stopped. */
	int (*start)(char **cause);
	void (*stop)(void);
};

/*
 * Load the module at PATH (or NAME, looked up in $MPTND_MODULE_DIR, then
 * the installed module directory) once per process; *mod is its table.
 */
int transport_load(const char *path, const struct transport_module **mod, char **cause);
/* Start / stop every loaded module. */
int transport_modules_start(char **cause);
void transport_modules_stop(void);

/* Keyword table for a backend's URI options. */
struct transport_opt {
	const char *key;
	unsigned roles;			/* 1 << TADDR_LISTEN | 1 << TADDR_CONNECT */
	int (*set)(void *priv, const char *value, char **cause);
};
#define TOPT_LISTEN (1u << TADDR_LISTEN)
#define TOPT_CONNECT (1u << TADDR_CONNECT)
#define TOPT_BOTH (TOPT_LISTEN | TOPT_CONNECT)

/* Apply a URI's options through a backend's keyword table. */
int transport_apply_opts(const struct transport *, const struct transport_opt *, size_t n,
    const struct uri *, enum taddr_role, void *priv, char **cause);

/* The backend for a scheme, or NULL. */
const struct transport *transport_find(const char *scheme);
/* Every built-in backend, for --version and --help. */
const struct transport *const *transport_all(size_t *n);
/* Loaded modules' backends. */
const struct transport_module *const *transport_loaded(size_t *n);

/* Parse TEXT for ROLE into a new address; CTX may be NULL. */
struct taddr *taddr_parse(const char *text, enum taddr_role, const struct taddr_ctx *ctx,
    char **cause);
/*
 * What identifies the socket a listen address binds: the address without
 * its options and without a tls+ layer (TLS is per connection).
 */
const char *taddr_bind_key(const struct taddr *);
/* Does the bridge move this address's bytes through a kernel fd it may splice? */
bool taddr_is_kernel_stream(const struct taddr *);
/* Is it a kernel socket that keeps message boundaries (unix-seqpacket)? */
bool taddr_is_kernel_messages(const struct taddr *);
void taddr_free(struct taddr *);

/* Built-in backends (transports/). */
extern const struct transport transport_tcp;
extern const struct transport transport_mptcp;
extern const struct transport transport_unix;
extern const struct transport transport_unix_abstract;
extern const struct transport transport_unix_seqpacket;
extern const struct transport transport_srv;

#endif

/*
 * config.h - one generation of configuration: global settings and the
 * listener blocks, parsed from mptnd.conf, from --listen/--target pairs or
 * from the embedded default. A generation is immutable once parsed and is
 * reference counted: every bridge holds its generation until it closes, so
 * a reload never changes the settings under a running connection.
 */
#ifndef MPTN_CONFIG_H
#define MPTN_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

struct taddr;
struct tls_profile;
struct gateway;
struct passwd_db;
struct access_rule;
struct addrmap_rule;

/* A connection counter shared by every generation of one listener name. */
struct lcount {
	_Atomic long n;
	_Atomic int refs;
};

enum config_splice { CONFIG_SPLICE_OFF, CONFIG_SPLICE_ON, CONFIG_SPLICE_AUTO };

struct lconf {
	char *name;
	char *file;		/* where the block starts, for messages */
	unsigned line;
	struct taddr **listen;
	size_t nlisten;
	struct taddr **target;
	size_t ntarget;
	uint64_t connect_timeout_ms;
	uint64_t connect_tries;	/* 0: each target once */
	uint64_t idle_timeout_ms;	/* 0: none */
	uint64_t fin_timeout_ms;
	uint64_t buffer;		/* per-direction high-water mark, bytes */
	uint64_t pipe_size;		/* splice pipes, bytes */
	uint64_t max_connections;	/* 0: only the global limit */
	uint64_t max_per_client;	/* 0: no limit per client address (or uid) */
	uint64_t splice;		/* enum config_splice */
	struct lcount *count;
	/* gateways: the target comes from the client */
	const struct gateway *gateway;	/* NULL: relay to `target` */
	struct passwd_db *users;	/* gateway auth password FILE */
	char *users_file;
	uint64_t handshake_timeout_ms;
	uint64_t auth_delay_ms;		/* first wrong password's delay, doubled per failure */
	struct access_rule *rules;	/* allow / deny, in order */
	size_t nrules;
	struct addrmap_rule *maps;	/* map, in order */
	size_t nmaps;
};

struct config {
	_Atomic int refs;
	char *file;
	uint64_t workers;		/* 0: one per CPU */
	uint64_t max_connections;	/* 0: derived from the open-file limit */
	uint64_t drain_timeout_ms;
	uint64_t splice;		/* default for listeners: enum config_splice */
	enum log_level log_level;
	bool log_level_set;
	struct lconf **listeners;
	size_t nlisteners;
	char *nameservers;		/* "IP:PORT,..." for c-ares, or NULL */
	struct tls_profile **tls;	/* `tls NAME { }` blocks */
	size_t ntls;
};

/* Defaults (mptnd.conf(5) documents each). */
#define CONFIG_CONNECT_TIMEOUT_MS	(10 * 1000)
#define CONFIG_IDLE_TIMEOUT_MS		(3600 * 1000)
#define CONFIG_FIN_TIMEOUT_MS		(30 * 1000)
#define CONFIG_DRAIN_TIMEOUT_MS		(10 * 1000)
#define CONFIG_HANDSHAKE_TIMEOUT_MS	(10 * 1000)
#define CONFIG_BUFFER			(128 * 1024)
#define CONFIG_BUFFER_MIN		4096
#define CONFIG_BUFFER_MAX		(64 * 1024 * 1024)
#define CONFIG_PIPE_SIZE		(1024 * 1024)
#define CONFIG_PIPE_SIZE_MIN		(64 * 1024)
#define CONFIG_PIPE_SIZE_MAX		(16 * 1024 * 1024)
#define CONFIG_INCLUDE_DEPTH		8
#define CONFIG_MAX_FILE_SIZE		(4 * 1024 * 1024)

/* The configuration mptnd runs when given neither -f nor --listen. */
extern const char config_default_text[];

/* Parse FILE; on error *cause is "FILE:LINE: message". */
struct config *config_load_file(const char *file, char **cause);
/* Parse TEXT as if it were the file NAME (the embedded default, tests). */
struct config *config_load_text(const char *name, const char *text, char **cause);
/*
 * Build a configuration from command-line flags ("--listen"/"--target") and
 * their values: consecutive --listen flags open one listener, the --target
 * flags after them are its targets in order.
 */
struct config *config_from_pairs(char **flags, char **values, size_t n, char **cause);
/* Is the listener open to clients beyond this machine (a non-loopback IP address)? */
bool lconf_is_open(const struct lconf *);

/* Set every listener's splice mode (mptnd --splice). */
void config_force_splice(struct config *, enum config_splice);
/* Parse "on", "off" or "auto". */
int config_parse_splice(const char *, enum config_splice *);

/* Carry each listener's connection counter over from OLD to NEW (same name). */
void config_share_counts(struct config *new, const struct config *old);

struct config *config_ref(struct config *);
void config_unref(struct config *);

/* Print the effective configuration, one directive per line (for -t -v and tests). */
void config_dump(const struct config *, FILE *);

#endif

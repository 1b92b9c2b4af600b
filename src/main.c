/*
 * main.c - mptnd's command line, start-up, signals (reload, drain) and
 * shut-down. Everything else lives in libmptn; this file only wires it up.
 * The main thread owns the configuration generations and the listening
 * sockets; workers own connections.
 */
#include "common.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "passwd.h"
#include "addrmap.h"
#include "resolve.h"
#include "transport.h"
#include "worker.h"

#include <ares.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct main_state {
	struct event_base *base;
	struct config *cfg;
	struct gen *gen;
	char *config_file;		/* absolute; NULL when not run with -f */
	int verbosity;			/* from -v / -q */
	size_t workers_done;
	bool draining;
	struct event *drain_timer;
	uint64_t fd_limit;
	bool splice_set;		/* --splice overrides the config's */
	enum config_splice splice_opt;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mptnd [-tvq] [-f FILE] [-w N] [--splice on|off|auto] [--daemon] [--pidfile FILE]\n"
	    "             [--log stderr|syslog]\n"
	    "       mptnd [options] --listen URI --target URI [--target URI ...] [--listen ...]\n"
	    "       mptnd [options] --listen URI --gateway socks|http-connect [--listen ...]\n"
	    "       mptnd --version | --help\n"
	    "\n"
	    "  -f, --config FILE   run the configuration in FILE (mptnd.conf(5))\n"
	    "  -t, --test          check the configuration and exit (0 if valid, 1 if not)\n"
	    "      --listen URI    accept on URI (consecutive --listen flags share targets)\n"
	    "      --target URI    relay to URI; the targets after a --listen are tried in order\n"
	    "      --gateway NAME  instead of targets: socks (SOCKS 4, 4a, 5) or http-connect\n"
	    "      --hash-password USER  read a password on stdin, print a password file line\n"
	    "      --map NAME:PORT print where each gateway listener would send NAME:PORT\n"
	    "  -w, --workers N     worker threads (default: one per CPU)\n"
	    "  -v, --verbose       more logging (repeat for debug); -q, --quiet: warnings only\n"
	    "      --daemon        detach and log to syslog (unless --log stderr)\n"
	    "      --pidfile FILE  write the process id to FILE\n"
	    "      --log WHERE     stderr (default in the foreground) or syslog\n"
	    "      --splice MODE   on, off or auto: zero-copy relaying for every listener\n"
	    "With neither -f nor --listen, mptnd runs its embedded default configuration\n"
	    "(see mptnd(8), DEFAULT CONFIGURATION).\n"
	    "URIs: tcp://HOST:PORT  tcp://[::1]:PORT  mptcp://HOST:PORT  unix:/PATH  unix-abstract:NAME\n"
	    "      unix-seqpacket:/PATH[?framing=length]  srv:NAME  tls+URI  (mptnd.conf(5))\n");
}

static void
version(void)
{
	const struct transport *const *all;
	size_t n, i;

	const struct transport_module *const *mods;

	all = transport_all(&n);
	printf("mptnd %s\n", PACKAGE_VERSION);
	printf("transports (built in):");
	for (i = 0; i < n; i++)
		printf(" %s", all[i]->name);
	mods = transport_loaded(&n);
	if (n > 0) {
		printf("\ntransports (loaded):");
		for (i = 0; i < n; i++)
			printf(" %s", mods[i]->transport->name);
	}
	printf("\nmodule directory: %s", MPTND_MODULE_DIR);
	printf("\nlibevent %s, %s, c-ares %s\n", event_get_version(),
	    OpenSSL_version(OPENSSL_VERSION), ares_version(NULL));
}

static uint64_t
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1048576 : (uint64_t)rl.rlim_cur;
}

/* The global bridge limit: configured, or what the open-file limit allows. */
static long
bridge_limit(const struct config *cfg, uint64_t fd_limit)
{
	if (cfg->max_connections > 0)
		return (long)cfg->max_connections;
	return fd_limit > 128 ? (long)((fd_limit - 64) / 2) : 32;
}

static void
apply_log_level(struct main_state *st)
{
	int level = (int)st->cfg->log_level + st->verbosity;

	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_DEBUG)
		level = LOG_LVL_DEBUG;
	log_set_level((enum log_level)level);
}

static void
log_listeners(const struct gen *g)
{
	size_t i;

	for (i = 0; i < g->nsocks; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		char port[32] = "";

		/* A port 0 listener: say which port the kernel chose. */
		size_t ll = strlen(g->socks[i].addr->label);

		if (ll > 2 && strcmp(g->socks[i].addr->label + ll - 2, ":0") == 0 &&
		    getsockname(g->socks[i].fds[0], (struct sockaddr *)&ss, &len) == 0 &&
		    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
			snprintf(port, sizeof port, " (port %u)", ntohs(ss.ss_family == AF_INET ?
			    ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port));
		log_info("listener %s: listening on %s%s%s", g->socks[i].conf->name,
		    g->socks[i].addr->label, port, g->socks[i].nfds > 1 ? " (a socket per worker)" : "");
	}
}

static void
reload(struct main_state *st)
{
	struct config *cfg;
	struct gen *g;
	char *cause = NULL;

	if (st->config_file == NULL) {
		log_warning("SIGHUP: nothing to re-read (not started with -f)");
		return;
	}
	if (st->draining)
		return;
	cfg = config_load_file(st->config_file, &cause);
	if (cfg == NULL) {
		log_error("reload failed, keeping the running configuration: %s", cause);
		free(cause);
		return;
	}
	if (transport_modules_start(&cause) != 0) {
		log_error("reload failed, keeping the running configuration: %s", cause);
		free(cause);
		config_unref(cfg);
		return;
	}
	if (st->splice_set)
		config_force_splice(cfg, st->splice_opt);
	config_share_counts(cfg, st->cfg);
	g = listener_bind(cfg, st->gen, &cause);
	if (g == NULL) {
		log_error("reload failed, keeping the running configuration: %s", cause);
		free(cause);
		config_unref(cfg);
		return;
	}
	if (cfg->workers != st->cfg->workers)
		log_warning("reload: a new 'workers' setting takes effect at the next restart");
	if ((cfg->nameservers == NULL) != (st->cfg->nameservers == NULL) || (cfg->nameservers != NULL &&
	    strcmp(cfg->nameservers, st->cfg->nameservers) != 0))
		log_warning("reload: a new 'nameserver' setting takes effect at the next restart");
	listener_attach(g);
	listener_release(st->gen, g);
	st->gen = g;
	config_unref(st->cfg);
	st->cfg = cfg;
	mptn_bridges_max = bridge_limit(cfg, st->fd_limit);
	apply_log_level(st);
	log_listeners(g);
	log_info("reloaded %s: %zu listener(s)", st->config_file, cfg->nlisteners);
}

static void
force_stop(struct main_state *st)
{
	size_t i;

	for (i = 0; i < workers_count(); i++)
		worker_post(worker_get(i), worker_force_stop, NULL);
}

static void
drain_timeout_cb(evutil_socket_t unused, short what, void *arg)
{
	struct main_state *st = arg;

	log_info("drain-timeout reached: closing %ld remaining connection(s)",
	    (long)mptn_bridges_live);
	force_stop(st);
}

static void
begin_drain(struct main_state *st, int sig)
{
	struct timeval tv;
	size_t i;

	if (st->draining) {
		log_info("%s again: closing every connection now", strsignal(sig));
		force_stop(st);
		return;
	}
	st->draining = true;
	for (i = 0; i < workers_count(); i++)
		worker_call(worker_get(i), worker_drain, NULL);
	listener_release(st->gen, NULL);
	st->gen = NULL;
	log_info("%s: stopped accepting; waiting up to %llu ms for %ld connection(s)",
	    strsignal(sig), (unsigned long long)st->cfg->drain_timeout_ms, (long)mptn_bridges_live);
	tv.tv_sec = (time_t)(st->cfg->drain_timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(st->cfg->drain_timeout_ms % 1000) * 1000;
	st->drain_timer = evtimer_new(st->base, drain_timeout_cb, st);
	evtimer_add(st->drain_timer, &tv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct main_state *st = arg;

	if (sig == SIGHUP)
		reload(st);
	else
		begin_drain(st, (int)sig);
}

static void
worker_done_cb(void *arg)
{
	struct main_state *st = arg;

	if (++st->workers_done == workers_count())
		event_base_loopbreak(st->base);
}

/* Open (create) the pid file before daemonizing, so a bad path fails early. */
static int
open_pidfile(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static int
write_pidfile(int fd)
{
	char buf[32];
	int n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Detach; KEEP_STDERR leaves fd 2 alone (--daemon --log stderr). */
static int
daemonize(bool keep_stderr)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0 || chdir("/") != 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/*
 * mptnd --map NAME:PORT [-f FILE]: what each gateway listener would connect
 * to for NAME:PORT (its map rules, else tcp://NAME:PORT through DNS).
 */
static int
print_mapping(const struct config *cfg, const char *query)
{
	const char *colon = strrchr(query, ':');
	char host[256], *uri, *cause = NULL;
	uint64_t port;
	size_t i, n = 0;

	if (colon == NULL || colon == query || (size_t)(colon - query) >= sizeof host ||
	    parse_uint(colon + 1, 1, 65535, &port, &cause) != 0) {
		fprintf(stderr, "mptnd: --map takes NAME:PORT, not '%s'\n", query);
		free(cause);
		return 2;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - query), query);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct lconf *lc = cfg->listeners[i];

		if (lc->gateway == NULL)
			continue;
		n++;
		uri = addrmap_apply(lc->maps, lc->nmaps, host, (uint16_t)port, &cause);
		if (uri == NULL) {
			printf("%s: %s:%llu -> refused: %s\n", lc->name, host, (unsigned long long)port,
			    cause);
			free(cause);
			cause = NULL;
			continue;
		}
		printf("%s: %s:%llu -> %s%s\n", lc->name, host, (unsigned long long)port, uri,
		    addrmap_matches(lc->maps, lc->nmaps, host, (uint16_t)port) ? "" :
		    " (no map rule: DNS)");
		free(uri);
	}
	if (n == 0) {
		fprintf(stderr, "mptnd: --map: no gateway listener in this configuration\n");
		return 1;
	}
	return 0;
}

/* mptnd --hash-password USER: read a password on stdin, print a password file line. */
static int
hash_password(const char *user)
{
	char pw[1024], *line;
	size_t n;

	if (fgets(pw, sizeof pw, stdin) == NULL) {
		fprintf(stderr, "mptnd: --hash-password: no password on standard input\n");
		return 1;
	}
	n = strlen(pw);
	while (n > 0 && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		pw[--n] = '\0';
	if (n == 0) {
		fprintf(stderr, "mptnd: --hash-password: the password is empty\n");
		return 1;
	}
	line = passwd_make_line(user, pw);
	OPENSSL_cleanse(pw, sizeof pw);
	if (line == NULL) {
		fprintf(stderr, "mptnd: --hash-password: '%s' is not a user name (no ':')\n", user);
		return 1;
	}
	printf("%s\n", line);
	free(line);
	return 0;
}

enum { OPT_LISTEN = 256, OPT_TARGET, OPT_GATEWAY, OPT_HASH_PASSWORD, OPT_MAP, OPT_DAEMON, OPT_PIDFILE, OPT_LOG, OPT_VERSION, OPT_SPLICE };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "test", no_argument, NULL, 't' },
	{ "workers", required_argument, NULL, 'w' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "hash-password", required_argument, NULL, OPT_HASH_PASSWORD },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "splice", required_argument, NULL, OPT_SPLICE },
	{ "map", required_argument, NULL, OPT_MAP },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct main_state st = { 0 };
	const char *file = NULL, *pidfile = NULL, *logto = NULL;
	char *pidfile_abs = NULL;
	int pidfd = -1;
	char **pair_flags = NULL, **pair_values = NULL, *cause = NULL;
	size_t npairs = 0, nworkers, i;
	bool test = false, daemon_mode = false, splice_set = false, want_version = false;
	const char *map_query = NULL;
	enum config_splice splice_opt = CONFIG_SPLICE_AUTO;
	uint64_t workers_opt = 0;
	struct event *sigs[3];
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	int c;

	while ((c = getopt_long(argc, argv, "f:tw:vqh", long_options, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'w':
			if (parse_uint(optarg, 1, 256, &workers_opt, &cause) != 0) {
				fprintf(stderr, "mptnd: --workers: %s\n", cause);
				return 2;
			}
			break;
		case 'v':
			st.verbosity++;
			break;
		case 'q':
			st.verbosity--;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_LISTEN:
		case OPT_TARGET:
		case OPT_GATEWAY:
			pair_flags = xreallocarray(pair_flags, npairs + 1, sizeof *pair_flags);
			pair_values = xreallocarray(pair_values, npairs + 1, sizeof *pair_values);
			pair_flags[npairs] = c == OPT_LISTEN ? "--listen" : c == OPT_TARGET ? "--target" :
			    "--gateway";
			pair_values[npairs++] = optarg;
			break;
		case OPT_HASH_PASSWORD:
			return hash_password(optarg);
		case OPT_DAEMON:
			daemon_mode = true;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case OPT_LOG:
			if (strcmp(optarg, "stderr") != 0 && strcmp(optarg, "syslog") != 0) {
				fprintf(stderr, "mptnd: --log takes stderr or syslog, not '%s'\n", optarg);
				return 2;
			}
			logto = optarg;
			break;
		case OPT_VERSION:
			want_version = true;
			break;
		case OPT_MAP:
			map_query = optarg;
			break;
		case OPT_SPLICE:
			if (config_parse_splice(optarg, &splice_opt) != 0) {
				fprintf(stderr, "mptnd: --splice takes on, off or auto, not '%s'\n", optarg);
				return 2;
			}
			splice_set = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mptnd: unexpected argument '%s' (see mptnd --help)\n", argv[optind]);
		return 2;
	}
	if (want_version && file == NULL) {
		version();	/* with -f: after the config has loaded its modules */
		return 0;
	}
	if (file != NULL && npairs > 0) {
		fprintf(stderr, "mptnd: use either -f or --listen/--target, not both\n");
		return 2;
	}

	if (file != NULL) {
		st.cfg = config_load_file(file, &cause);
		if (st.cfg != NULL) {
			char *abs = realpath(file, NULL);

			st.config_file = abs != NULL ? abs : xstrdup(file);
		}
	} else if (npairs > 0)
		st.cfg = config_from_pairs(pair_flags, pair_values, npairs, &cause);
	else
		st.cfg = config_load_text("(default)", config_default_text, &cause);
	free(pair_flags);
	free(pair_values);
	if (st.cfg == NULL) {
		fprintf(stderr, "%s%s\n", file == NULL ? "mptnd: " : "", cause);
		free(cause);
		return 1;
	}
	if (want_version) {
		version();
		config_unref(st.cfg);
		free(st.config_file);
		return 0;
	}
	if (map_query != NULL) {
		int rc = print_mapping(st.cfg, map_query);

		config_unref(st.cfg);
		free(st.config_file);
		return rc;
	}
	if (splice_set)
		config_force_splice(st.cfg, splice_opt);
	st.splice_set = splice_set;
	st.splice_opt = splice_opt;
	if (test) {
		if (st.verbosity > 0)
			config_dump(st.cfg, stdout);
		fprintf(stderr, "%s: configuration is valid\n", file != NULL ? file :
		    npairs > 0 ? "command line" : "(default)");
		config_unref(st.cfg);
		free(st.config_file);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	st.fd_limit = raise_fd_limit();
	evthread_use_pthreads();
	ares_library_init(ARES_LIB_INIT_ALL);
	apply_log_level(&st);

	nworkers = workers_opt > 0 ? workers_opt : st.cfg->workers > 0 ? st.cfg->workers :
	    (size_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (nworkers < 1)
		nworkers = 1;
	listener_init(nworkers);
	resolver_set_servers(st.cfg->nameservers);
	st.gen = listener_bind(st.cfg, NULL, &cause);
	if (st.gen == NULL) {
		log_error("%s", cause);
		free(cause);
		config_unref(st.cfg);
		free(st.config_file);
		return 1;
	}
	if (pidfile != NULL && (pidfd = open_pidfile(pidfile)) < 0) {
		log_error("pidfile %s: %s", pidfile, strerror(errno));
		listener_release(st.gen, NULL);
		return 1;
	}
	if (pidfile != NULL && pidfile[0] != '/') {
		char cwd[PATH_MAX];

		if (getcwd(cwd, sizeof cwd) != NULL)
			xasprintf(&pidfile_abs, "%s/%s", cwd, pidfile);
	}
	if (daemon_mode) {
		bool keep_stderr = logto != NULL && strcmp(logto, "stderr") == 0;

		if (!keep_stderr)
			log_use_syslog("mptnd");
		if (daemonize(keep_stderr) != 0) {
			log_error("cannot become a daemon: %s", strerror(errno));
			return 1;
		}
	} else if (logto != NULL && strcmp(logto, "syslog") == 0)
		log_use_syslog("mptnd");
	if (pidfd >= 0 && write_pidfile(pidfd) != 0) {
		log_error("pidfile %s: %s", pidfile, strerror(errno));
		listener_release(st.gen, NULL);
		return 1;
	}

	if (transport_modules_start(&cause) != 0) {
		log_error("%s", cause);
		free(cause);
		listener_release(st.gen, NULL);
		return 1;
	}
	st.base = event_base_new();
	mptn_bridges_max = bridge_limit(st.cfg, st.fd_limit);
	workers_start(nworkers, st.base, worker_done_cb, &st);
	listener_attach(st.gen);
	for (i = 0; i < MPTN_ARRAY_LEN(signals); i++) {
		sigs[i] = evsignal_new(st.base, signals[i], signal_cb, &st);
		evsignal_add(sigs[i], NULL);
	}
	log_listeners(st.gen);
	log_info("ready: %zu listener(s) on %zu socket(s), %zu worker(s), up to %ld connections",
	    st.cfg->nlisteners, st.gen->nsocks, nworkers, (long)mptn_bridges_max);

	event_base_dispatch(st.base);

	workers_join();
	transport_modules_stop();
	for (i = 0; i < MPTN_ARRAY_LEN(signals); i++)
		event_free(sigs[i]);
	if (st.drain_timer != NULL)
		event_free(st.drain_timer);
	listener_release(st.gen, NULL);
	config_unref(st.cfg);
	event_base_free(st.base);
	if (pidfile != NULL)
		unlink(pidfile_abs != NULL ? pidfile_abs : pidfile);
	free(pidfile_abs);
	free(st.config_file);
	ares_library_cleanup();
	log_info("stopped");
	return 0;
}

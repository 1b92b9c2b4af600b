#!/usr/bin/env bash
# bench/run.sh - loopback benchmark of mptnd against direct, HAProxy, nginx
# stream and socat, and of TLS termination by mptnd, stunnel and HAProxy.
# See bench/README.md.
#
#   bench/run.sh [--mptnd PATH] [--repeat N] [--quick] [--strace] [--only LIST]
#                [--tls | --no-tls] [--concurrency] [--keep]
#
# Every metric is measured for "direct" (client straight to the sink) and
# then for the relay, back to back, in each repeat; ratios are relay/direct
# per repeat, and the table shows medians over the repeats.  TLS rows: the
# client speaks TLS to the relay, which forwards plain TCP to the sink; their
# baseline is the same plain direct run (there is no direct TLS server).
# The concurrency table: bulk MiB/s at 1, 16, 256 and 1,000 connections for
# direct, mptnd, HAProxy and nginx, each relay run paired with a direct run
# at the same concurrency just before it.
# SCTP rows: tcp -> sctp -> tcp through two relays (mptnd node A takes TCP
# and dials SCTP, node B takes SCTP and dials the sink; socat likewise with
# the kernel's SCTP, where there is one), bulk and 64-byte round trips only,
# each relay run paired with a direct run just before it like the rows above.
# Only loopback addresses are used.  Every process this script starts is
# stopped by its own pid / process group (never by name).
set -u

# ------------------------------------------------------------------ options
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
MPTND=""
REPEAT=3
QUICK=0
STRACE=0
KEEP=0
ONLY=""
TLS_ROWS_ALL="mptnd-tls stunnel-tls haproxy-tls"
TLS_OPT=""         # "", only (--tls) or no (--no-tls)
CONC_OPT=0         # --concurrency given
CONC_LEVELS="1 16 256 1000"
CONC_RELAYS="mptnd-tcp haproxy-tcp nginx-tcp"
CMDLINE="bench/run.sh${*:+ $*}"

usage() {
	sed -n '2,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
	cat <<'EOF'
Options:
  --mptnd PATH   mptnd binary (default ./mptnd, else the repo's ./mptnd)
  --repeat N     repeats per relay (default 3; medians are reported)
  --quick        1 repeat, shorter runs (for a smoke test)
  --strace       also run a short bulk transfer per relay under strace -c
                 and report its syscall mix (splice or read/write)
  --only LIST    comma-separated rows to run, e.g. mptnd-tcp,haproxy-tcp
                 (rows: mptnd-tcp mptnd-splice mptnd-copy mptnd-unix
                  haproxy-tcp haproxy-splice haproxy-unix nginx-tcp
                  nginx-unix socat-tcp socat-unix mptnd-tls stunnel-tls
                  haproxy-tls mptnd-sctp mptnd-sctp-mtu9000 socat-sctp;
                  also mptnd-sctp-mtuN for another path MTU N;
                  "concurrency" = the concurrency table)
  --tls          run the TLS rows (mptnd-tls stunnel-tls haproxy-tls) only,
                 or add them to an --only list
  --no-tls       leave the TLS rows out (a full run includes them)
  --concurrency  run the concurrency table (bulk MiB/s at 1, 16, 256, 1000
                 connections) only, or add it to an --only list
  --keep         keep the work directory (logs, raw results)
Environment:
  SCTP_MODULE    the sctp module for the mptnd-sctp rows (default: .libs/sctp.so
                 or transports/.libs/sctp.so next to mptnd, else the
                 installed module directory that mptnd --version names)
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--mptnd) MPTND=${2:?--mptnd needs a path}; shift 2 ;;
	--mptnd=*) MPTND=${1#*=}; shift ;;
	--repeat) REPEAT=${2:?--repeat needs a number}; shift 2 ;;
	--repeat=*) REPEAT=${1#*=}; shift ;;
	--quick) QUICK=1; shift ;;
	--strace) STRACE=1; shift ;;
	--keep) KEEP=1; shift ;;
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--tls) TLS_OPT=only; shift ;;
	--no-tls) TLS_OPT=no; shift ;;
	--concurrency) CONC_OPT=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done
case "$REPEAT" in ''|*[!0-9]*|0) echo "run.sh: --repeat needs a positive integer" >&2; exit 2 ;; esac
[ "$TLS_OPT" = only ] && ONLY="${ONLY:+$ONLY,}${TLS_ROWS_ALL// /,}"
[ "$CONC_OPT" = 1 ] && ONLY="${ONLY:+$ONLY,}concurrency"
# Will the concurrency table run?  (a full run has it)
WANT_CONC=0
case ",$ONLY," in ,,|*,concurrency,*) WANT_CONC=1 ;; esac
# Will TLS rows run?  (decides what to install and whether to make a cert)
WANT_TLS=1
[ "$TLS_OPT" = no ] && WANT_TLS=0
case ",$ONLY," in ,,|*-tls,*) ;; *) WANT_TLS=0 ;; esac

# Test sizes.  A full run (11 plain + 3 TLS rows and the concurrency table,
# --repeat 3) takes about 17 minutes on 2 cores.
BULK_SECS=2        # per bulk run (1 and 4 connections; concurrency table)
PP_COUNT=20000     # 64-byte round trips
CPS_SECS=1.5       # per connections-per-second run
IDLE_N=2000        # idle connections held through the relay
if [ "$QUICK" = 1 ]; then
	[ "$REPEAT" = 3 ] && REPEAT=1
	BULK_SECS=0.7; PP_COUNT=5000; CPS_SECS=0.7; IDLE_N=500
fi

log() { printf '%s\n' "$*" >&2; }

if [ -z "$MPTND" ]; then
	if [ -x ./mptnd ]; then MPTND=./mptnd; else MPTND=$ROOT/mptnd; fi
fi
if [ -d "$(dirname "$MPTND")" ]; then
	MPTND=$(cd "$(dirname "$MPTND")" && pwd)/$(basename "$MPTND")
fi

# ------------------------------------------------------------------ packages
# On a fresh Debian 12, as root: install what is missing.  A temporary
# policy-rc.d keeps the packages' own services (nginx on :80, haproxy,
# stunnel4) from being started by the install.
install_missing() {
	local want=()
	command -v gcc >/dev/null 2>&1 || want+=(build-essential)
	command -v haproxy >/dev/null 2>&1 || want+=(haproxy)
	command -v socat >/dev/null 2>&1 || want+=(socat)
	if ! command -v nginx >/dev/null 2>&1; then
		want+=(nginx-light libnginx-mod-stream)
	elif [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ] &&
		! nginx -V 2>&1 | grep -q -- '--with-stream[^=_]'; then
		want+=(libnginx-mod-stream)
	fi
	[ "$STRACE" = 1 ] && ! command -v strace >/dev/null 2>&1 && want+=(strace)
	if [ "$WANT_TLS" = 1 ]; then
		command -v stunnel >/dev/null 2>&1 || command -v stunnel4 >/dev/null 2>&1 || want+=(stunnel4)
		command -v openssl >/dev/null 2>&1 || want+=(openssl)
		# loadgen's TLS client
		[ -e /usr/include/openssl/ssl.h ] || want+=(libssl-dev)
	fi
	command -v ss >/dev/null 2>&1 || want+=(iproute2)
	[ ${#want[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		log "run.sh: missing packages (${want[*]}); not root or no apt-get, relays without them are skipped"
		return 0
	fi
	log "run.sh: installing ${want[*]}"
	local prc=/usr/sbin/policy-rc.d made=0
	if [ ! -e $prc ]; then
		printf '#!/bin/sh\nexit 101\n' >$prc && chmod 755 $prc && made=1
	fi
	apt-get update -qq >&2 || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >&2 ||
		log "run.sh: apt-get install failed; continuing with what is there"
	[ $made = 1 ] && rm -f $prc
	return 0
}
install_missing

command -v gcc >/dev/null 2>&1 || { log "run.sh: gcc is required"; exit 1; }

# ------------------------------------------------------------------ setup
WORK=$(mktemp -d /tmp/mptnd-bench.XXXXXX)
LG=$WORK/loadgen
# with OpenSSL for the TLS client if its headers are there, else libc only
LG_TLS=0
if [ "$WANT_TLS" = 1 ] &&
	gcc -O2 -Wall -Wextra -o "$LG" "$BENCH_DIR/loadgen.c" -lssl -lcrypto 2>"$WORK/loadgen-build.err"; then
	LG_TLS=1
else
	[ "$WANT_TLS" = 1 ] && log "run.sh: loadgen does not build with OpenSSL ($(tail -1 "$WORK/loadgen-build.err")); TLS rows are skipped"
	gcc -O2 -Wall -Wextra -DLOADGEN_NO_TLS -o "$LG" "$BENCH_DIR/loadgen.c" || { log "run.sh: loadgen build failed"; exit 1; }
fi
# One EC P-256 self-signed certificate for every TLS relay
TLS_CERT=$WORK/tls-cert.pem
TLS_KEY=$WORK/tls-key.pem
TLS_PEM=$WORK/tls-cert-key.pem      # HAProxy's crt: certificate + key
if [ "$LG_TLS" = 1 ] && command -v openssl >/dev/null 2>&1; then
	if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$TLS_KEY" -out "$TLS_CERT" -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >"$WORK/openssl-req.log" 2>&1; then
		cat "$TLS_CERT" "$TLS_KEY" >"$TLS_PEM"
	else
		log "run.sh: openssl req failed (see openssl-req.log with --keep); TLS rows are skipped"
		LG_TLS=0
	fi
elif [ "$LG_TLS" = 1 ]; then
	log "run.sh: no openssl command to make a certificate; TLS rows are skipped"
	LG_TLS=0
fi
RES=$WORK/results.tsv
: >"$RES"
NOTES=$WORK/notes.txt
: >"$NOTES"
SINK_PID=""
RELAY_PID=""
RELAY2_PID=""      # SCTP rows: the far node (B), RELAY_PID being node A
RELAY_PGID=""
IDLE_PID=""
MYPGID=$(awk '{print $5}' /proc/$$/stat)

# Stop a process we started, and its process group if it has its own.
stop_proc() {
	local pid=$1 pgid i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	pgid=$(awk '{print $5}' /proc/"$pid"/stat 2>/dev/null)
	if [ -n "$pgid" ] && [ "$pgid" = "$pid" ] && [ "$pgid" != "$MYPGID" ]; then
		kill -TERM -- -"$pgid" 2>/dev/null
	else
		kill -TERM "$pid" 2>/dev/null
	fi
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		if [ "$pgid" = "$pid" ] && [ "$pgid" != "$MYPGID" ]; then
			kill -KILL -- -"$pgid" 2>/dev/null
		else
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null
	# leftovers of the group (e.g. socat children still closing)
	if [ "$pgid" = "$pid" ] && [ "$pgid" != "$MYPGID" ]; then
		for i in $(seq 1 30); do
			kill -0 -- -"$pgid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- -"$pgid" 2>/dev/null
	fi
	return 0
}

cleanup() {
	stop_proc "$IDLE_PID"
	stop_proc "$RELAY_PID"
	stop_proc "$RELAY2_PID"
	stop_proc "$SINK_PID"
	if [ "$KEEP" = 1 ]; then
		log "run.sh: work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() {
	! ss -Htan "( sport = :$1 or dport = :$1 )" 2>/dev/null | grep -q .
}
# Four ports below the ephemeral range, chosen from our pid so two runs
# rarely collide.
pick_ports() {
	local base=$((20000 + ($$ % 1200) * 8)) p n=0
	PORTS=()
	for p in $(seq $base $((base + 200))); do
		if port_free "$p"; then PORTS+=("$p"); n=$((n + 1)); fi
		[ $n -ge 4 ] && return 0
	done
	log "run.sh: no free ports"; exit 1
}
pick_ports
SINK_PORT=${PORTS[0]}
RELAY_PORT=${PORTS[1]}
SINK=tcp:127.0.0.1:$SINK_PORT
NCPU=$(nproc)
# SCTP rows: the SCTP port of node B (a port number inside the UDP
# encapsulation for usrsctp, a kernel SCTP port for socat)
SCTP_PORT=${PORTS[2]}

udp_port_free() {
	! ss -Huan "( sport = :$1 )" 2>/dev/null | grep -q .
}
# Two UDP ports for the usrsctp encapsulation sockets of nodes A and B,
# above the four TCP ports and free for UDP.
pick_udp_ports() {
	local base=$((20000 + ($$ % 1200) * 8 + 201)) p n=0
	UDP_PORTS=()
	for p in $(seq $base $((base + 200))); do
		case " ${PORTS[*]} " in *" $p "*) continue ;; esac
		if udp_port_free "$p"; then UDP_PORTS+=("$p"); n=$((n + 1)); fi
		[ $n -ge 2 ] && return 0
	done
	log "run.sh: no free UDP ports"; exit 1
}
pick_udp_ports
UDP_A=${UDP_PORTS[0]}
UDP_B=${UDP_PORTS[1]}

# key=value field from a loadgen line
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RES"; }
note() { printf '%s\n' "$*" >>"$NOTES"; log "  note: $*"; }

# ------------------------------------------------------------------ relays
have_mptnd() { [ -x "$MPTND" ]; }
# The sctp module for the mptnd-sctp rows: $SCTP_MODULE, else the build
# tree's .libs/sctp.so (or transports/.libs/) next to mptnd, else sctp.so in
# the module directory mptnd was built with.  Sets SCTP_MOD.
SCTP_MOD=""
have_sctp_module() {
	local d m
	[ -n "$SCTP_MOD" ] && return 0
	have_mptnd || return 1
	d=$(dirname "$MPTND")
	if [ -n "${SCTP_MODULE:-}" ]; then
		m=$SCTP_MODULE
	elif [ -f "$d/.libs/sctp.so" ]; then
		m=$d/.libs/sctp.so
	elif [ -f "$d/transports/.libs/sctp.so" ]; then
		m=$d/transports/.libs/sctp.so
	else
		m=$(timeout 2 "$MPTND" --version 2>/dev/null </dev/null | sed -n 's/^module directory: //p' | head -1)
		m=${m:+$m/sctp.so}
	fi
	[ -n "$m" ] && [ -f "$m" ] || return 1
	SCTP_MOD=$(cd "$(dirname "$m")" && pwd)/$(basename "$m")
}
# socat with SCTP compiled in
have_socat_sctp() { have_socat && socat -V 2>/dev/null | grep -q 'define WITH_SCTP 1'; }
# Does this kernel open SCTP sockets?  (this VM's kernel has no SCTP at all:
# EPROTONOSUPPORT)  Sets KERNEL_SCTP_WHY when it does not.
KERNEL_SCTP_WHY=""
have_kernel_sctp() {
	if ! command -v python3 >/dev/null 2>&1; then
		KERNEL_SCTP_WHY="no python3 to probe for kernel SCTP"
		return 1
	fi
	if python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()' 2>/dev/null; then
		return 0
	fi
	KERNEL_SCTP_WHY="kernel has no SCTP"
	return 1
}
is_sctp_row() { case "$1" in *-sctp|*-sctp-*) return 0 ;; *) return 1 ;; esac; }
have_haproxy() { command -v haproxy >/dev/null 2>&1; }
have_socat() { command -v socat >/dev/null 2>&1; }
STUNNEL=$(command -v stunnel 2>/dev/null || command -v stunnel4 2>/dev/null)
have_stunnel() { [ -n "$STUNNEL" ]; }
# loadgen's TLS client and the certificate are there
have_tls() { [ "$LG_TLS" = 1 ]; }
is_tls_row() { case "$1" in *-tls) return 0 ;; *) return 1 ;; esac; }
# loadgen's --tls for a TLS row
tls_flag() { is_tls_row "$1" && echo --tls; }
NGINX_STREAM_MOD=""
have_nginx() {
	command -v nginx >/dev/null 2>&1 || return 1
	if [ -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then
		NGINX_STREAM_MOD=/usr/lib/nginx/modules/ngx_stream_module.so
		return 0
	fi
	nginx -V 2>&1 | grep -q -- '--with-stream[^=_]'
}

haproxy_cfg() { # $1 = bind line, $2 = extra defaults options
	cat <<EOF
global
    maxconn 6000
    # nbthread: default (one thread per CPU)
defaults
    mode tcp
    maxconn 6000
    timeout connect 5s
    timeout client 1h
    timeout server 1h
$2
frontend bench
    $1
    default_backend sink
backend sink
    server sink 127.0.0.1:$SINK_PORT
EOF
}

nginx_cfg() { # $1 = listen address
	[ -n "$NGINX_STREAM_MOD" ] && echo "load_module $NGINX_STREAM_MOD;"
	cat <<EOF
worker_processes auto;
worker_rlimit_nofile 20000;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 10000; }
stream {
    server {
        listen $1;
        proxy_pass 127.0.0.1:$SINK_PORT;
        proxy_timeout 1h;
        # forward a client's FIN as a shutdown (like mptnd, haproxy, socat)
        proxy_half_close on;
    }
}
EOF
}

# syslog = no: with no syslog daemon (no /dev/log, as on this VM), stunnel's
# syslog() falls back to the console, a serial port here, which made every
# connection cost ~3 ms of relay CPU; it still logs to stderr (the row's log).
stunnel_cfg() {
	cat <<EOF
foreground = yes
pid =
syslog = no
[bench]
accept = 127.0.0.1:$RELAY_PORT
connect = 127.0.0.1:$SINK_PORT
cert = $TLS_CERT
key = $TLS_KEY
EOF
}

# Start relay row $1; sets RELAY_PID, RELAY_ADDR (loadgen address),
# RELAY_CMD.  Returns 1 if the relay is not available.
start_relay() {
	local row=$1 sock=$WORK/relay.sock listen_uri
	rm -f "$sock"
	local rlog=$WORK/$row.log
	case "$row" in
	*-unix) RELAY_ADDR=unix:$sock ;;
	*) RELAY_ADDR=tcp:127.0.0.1:$RELAY_PORT ;;
	esac
	case "$row" in
	mptnd-*)
		have_mptnd || return 1
		case "$row" in
		*-unix) listen_uri=unix:$sock ;;
		*-tls) listen_uri="tls+tcp://127.0.0.1:$RELAY_PORT?cert=$TLS_CERT&key=$TLS_KEY" ;;
		*) listen_uri=tcp://127.0.0.1:$RELAY_PORT ;;
		esac
		RELAY_CMD="$MPTND_RUN --listen $listen_uri --target tcp://127.0.0.1:$SINK_PORT"
		# the two relay paths forced (mptnd-tcp: the default, --splice auto)
		[ "$row" = mptnd-splice ] && RELAY_CMD="$RELAY_CMD --splice on"
		[ "$row" = mptnd-copy ] && RELAY_CMD="$RELAY_CMD --splice off"
		;;
	haproxy-*)
		have_haproxy || return 1
		local bind="bind 127.0.0.1:$RELAY_PORT" extra=""
		[ "$row" = haproxy-unix ] && bind="bind $sock"
		[ "$row" = haproxy-tls ] && bind="bind 127.0.0.1:$RELAY_PORT ssl crt $TLS_PEM"
		[ "$row" = haproxy-splice ] && extra="    option splice-request
    option splice-response"
		haproxy_cfg "$bind" "$extra" >"$WORK/$row.cfg"
		RELAY_CMD="haproxy -db -f $WORK/$row.cfg"
		;;
	nginx-*)
		have_nginx || return 1
		local l=127.0.0.1:$RELAY_PORT
		[ "$row" = nginx-unix ] && l=unix:$sock
		nginx_cfg "$l" >"$WORK/$row.conf"
		RELAY_CMD="nginx -e $WORK/nginx-error.log -p $WORK -c $WORK/$row.conf -g 'daemon off;'"
		;;
	socat-*)
		have_socat || return 1
		if [ "$row" = socat-unix ]; then
			RELAY_CMD="socat UNIX-LISTEN:$sock,fork TCP:127.0.0.1:$SINK_PORT"
		else
			RELAY_CMD="socat TCP-LISTEN:$RELAY_PORT,fork,reuseaddr TCP:127.0.0.1:$SINK_PORT"
		fi
		;;
	stunnel-*)
		have_stunnel || return 1
		stunnel_cfg >"$WORK/$row.conf"
		RELAY_CMD="$STUNNEL $WORK/$row.conf"
		;;
	*) return 1 ;;
	esac
	# own session / process group, so it can be stopped as a group
	case "$row" in
	nginx-*)
		setsid nginx -e "$WORK/nginx-error.log" -p "$WORK" -c "$WORK/$row.conf" \
			-g 'daemon off;' >"$rlog" 2>&1 </dev/null &
		;;
	mptnd-tls)
		# (the URI has a '?': no word splitting / globbing of RELAY_CMD)
		setsid "$MPTND_RUN" --listen "$listen_uri" --target "tcp://127.0.0.1:$SINK_PORT" \
			>"$rlog" 2>&1 </dev/null &
		;;
	*)
		# shellcheck disable=SC2086
		setsid $RELAY_CMD >"$rlog" 2>&1 </dev/null &
		;;
	esac
	RELAY_PID=$!
	local i ok=0
	for i in $(seq 1 100); do
		if ! kill -0 "$RELAY_PID" 2>/dev/null; then break; fi
		case "$row" in
		mptnd-*) grep -q 'ready:' "$rlog" 2>/dev/null || { sleep 0.1; continue; } ;;
		esac
		# shellcheck disable=SC2046
		if "$LG" probe $(tls_flag "$row") "$RELAY_ADDR" 2 2>/dev/null; then ok=1; break; fi
		sleep 0.1
	done
	if [ $ok != 1 ] && [ "${RELAY_CMD%% *}" = "$WORK/mptnd-snapshot" ]; then
		stop_proc "$RELAY_PID"; RELAY_PID=""
		log "run.sh: the mptnd snapshot did not start; using $MPTND itself"
		MPTND_RUN=$MPTND
		start_relay "$row"
		return $?
	fi
	if [ $ok != 1 ]; then
		log "run.sh: $row did not come up: $RELAY_CMD"
		tail -5 "$rlog" >&2
		stop_proc "$RELAY_PID"
		RELAY_PID=""
		return 2
	fi
	return 0
}

# ------------------------------------------------------------------ tests
procstat() { "$LG" procstat "$1"; }

# Set the CPU affinity of every thread of PID and its descendants.
pin_tree() {
	local p
	for p in $(kv "$(procstat "$1")" pids | tr ',' ' '); do
		taskset -a -p -c "$2" "$p" >/dev/null 2>&1
	done
}

# Run loadgen; echo its result line; warn if it failed.
lgrun() {
	local out rc
	# shellcheck disable=SC2086
	out=$(${PIN:-} "$LG" "$@" 2>>"$WORK/loadgen.err")
	rc=$?
	[ $rc != 0 ] && note "loadgen $* exited $rc: $out"
	printf '%s\n' "$out"
	return $rc
}

run_row() { # $1 row, $2 repeat index
	local row=$1 rep=$2 out d r
	local t0=$SECONDS
	start_relay "$row" || return 1
	log "[$rep/$REPEAT] $row: $RELAY_CMD"

	# bulk, 1 and 4 connections, with relay CPU around the relay runs
	local cpu_bytes=0 cpu_s=0 c
	for c in 1 4; do
		out=$(lgrun bulk "$SINK" $c "$BULK_SECS")
		d=$(kv "$out" mibps); rec "$row" "$rep" d_bulk$c "$d"
		local s0 s1
		s0=$(procstat "$RELAY_PID")
		out=$(lgrun bulk "$RELAY_ADDR" $c "$BULK_SECS")
		sleep 0.2
		s1=$(procstat "$RELAY_PID")
		r=$(kv "$out" mibps); rec "$row" "$rep" r_bulk$c "$r"
		[ "$(kv "$out" drained)" = 0 ] && note "$row bulk $c: EOF never came back through the relay; MiB/s from send time"
		cpu_bytes=$(awk -v a="$cpu_bytes" -v b="$(kv "$out" bytes)" 'BEGIN{printf "%.0f", a+b}')
		cpu_s=$(awk -v a="$cpu_s" -v x="$(kv "$s0" cpu_s)" -v y="$(kv "$s1" cpu_s)" 'BEGIN{printf "%.3f", a+y-x}')
		log "    bulk ${c}c: direct $d MiB/s, relay $r MiB/s"
	done
	local cg
	cg=$(awk -v s="$cpu_s" -v b="$cpu_bytes" 'BEGIN{ if (b > 0) printf "%.3f", s / (b / 1073741824); }')
	rec "$row" "$rep" cpu_gib "$cg"
	log "    relay CPU: $cpu_s s for $cpu_bytes bytes = $cg s/GiB"

	# 64-byte ping-pong, with client, sink and relay all on CPU 0 (see README:
	# unpinned, the result depends on where the scheduler puts each process)
	pin_tree "$SINK_PID" 0; pin_tree "$RELAY_PID" 0
	out=$(PIN="taskset -c 0" lgrun pingpong "$SINK" "$PP_COUNT")
	rec "$row" "$rep" d_p50 "$(kv "$out" p50_us)"; rec "$row" "$rep" d_p99 "$(kv "$out" p99_us)"
	d="$(kv "$out" p50_us)/$(kv "$out" p99_us)"
	out=$(PIN="taskset -c 0" lgrun pingpong "$RELAY_ADDR" "$PP_COUNT")
	pin_tree "$SINK_PID" "0-$((NCPU - 1))"; pin_tree "$RELAY_PID" "0-$((NCPU - 1))"
	rec "$row" "$rep" r_p50 "$(kv "$out" p50_us)"; rec "$row" "$rep" r_p99 "$(kv "$out" p99_us)"
	r="$(kv "$out" p50_us)/$(kv "$out" p99_us)"
	log "    rtt p50/p99 us: direct $d, relay $r"

	# short connections, sequential and 8-way
	for c in 1 8; do
		out=$(lgrun cps "$SINK" $c "$CPS_SECS")
		d=$(kv "$out" cps); rec "$row" "$rep" d_cps$c "$d"
		out=$(lgrun cps "$RELAY_ADDR" $c "$CPS_SECS")
		r=$(kv "$out" cps); rec "$row" "$rep" r_cps$c "$r"
		[ "$(kv "$out" errors)" != 0 ] && note "$row cps $c: $(kv "$out" errors) connect/echo errors (retried)"
		[ "$(kv "$out" backlog_full)" != 0 ] && note "$row cps $c: connect found the listen backlog full $(kv "$out" backlog_full) times (EAGAIN, retried after 1 ms)"
		log "    cps par=$c: direct $d, relay $r"
	done

	if ! kill -0 "$RELAY_PID" 2>/dev/null; then
		note "$row: the relay exited during repeat $rep (log: $row.log, kept with --keep)"
		tail -5 "$WORK/$row.log" >&2
		wait "$RELAY_PID" 2>/dev/null; RELAY_PID=""
		return 1
	fi

	# idle connections: relay memory before and while IDLE_N are held
	local b a
	sleep 0.3
	b=$(procstat "$RELAY_PID")
	# a fresh file per run: the shell truncates it only after the fork
	local idle_out=$WORK/idle-$row-$rep.out
	"$LG" idle "$RELAY_ADDR" "$IDLE_N" 120 >"$idle_out" 2>>"$WORK/loadgen.err" &
	IDLE_PID=$!
	local i
	for i in $(seq 1 1300); do
		grep -q '^mode=idle' "$idle_out" 2>/dev/null && break
		kill -0 "$IDLE_PID" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	a=$(procstat "$RELAY_PID")
	out=$(grep '^mode=idle' "$idle_out")
	stop_proc "$IDLE_PID"; IDLE_PID=""
	# let the relay wind the held connections down (socat: 2,000 children
	# exiting) before it is stopped and the next row starts
	for i in $(seq 1 50); do
		[ "$(kv "$(procstat "$RELAY_PID")" procs)" -le "$(kv "$b" procs)" ] 2>/dev/null && break
		sleep 0.1
	done
	local est
	est=$(kv "$out" established)
	if [ -n "$est" ] && [ "$est" -gt 0 ]; then
		[ "$est" != "$IDLE_N" ] && note "$row idle: only $est of $IDLE_N connections established"
		[ "$(kv "$out" errors)" != 0 ] && note "$row idle: $(kv "$out" errors) connect/echo errors (retried)"
		local rss pss
		rss=$(awk -v x="$(kv "$b" rss_kb)" -v y="$(kv "$a" rss_kb)" -v n="$est" 'BEGIN{printf "%.1f", (y-x)/n}')
		pss=$(awk -v x="$(kv "$b" pss_kb)" -v y="$(kv "$a" pss_kb)" -v n="$est" 'BEGIN{printf "%.1f", (y-x)/n}')
		rec "$row" "$rep" rss_conn "$rss"
		rec "$row" "$rep" pss_conn "$pss"
		log "    idle $est conns: RSS $(kv "$b" rss_kb) -> $(kv "$a" rss_kb) kB ($rss KiB/conn), PSS $pss KiB/conn, procs $(kv "$a" procs)"
	else
		note "$row idle: no connections established"
	fi

	stop_proc "$RELAY_PID"; RELAY_PID=""
	log "    ($((SECONDS - t0)) s)"
	return 0
}

# A TLS row: the client does TLS to the relay, the relay forwards plain TCP
# to the sink.  Each relay run is paired with a plain direct run just before
# it (there is no direct TLS server: the plain direct row is the baseline).
run_tls_row() { # $1 row, $2 repeat index
	local row=$1 rep=$2 out d r c s0 s1
	local t0=$SECONDS
	start_relay "$row" || return 1
	log "[$rep/$REPEAT] $row: $RELAY_CMD"

	# bulk through TLS, 1 and 4 connections, relay CPU around the TLS runs
	local cpu_bytes=0 cpu_s=0
	for c in 1 4; do
		out=$(lgrun bulk "$SINK" $c "$BULK_SECS")
		d=$(kv "$out" mibps); rec "$row" "$rep" d_bulk$c "$d"
		s0=$(procstat "$RELAY_PID")
		out=$(lgrun bulk --tls "$RELAY_ADDR" $c "$BULK_SECS")
		sleep 0.2
		s1=$(procstat "$RELAY_PID")
		r=$(kv "$out" mibps); rec "$row" "$rep" r_bulk$c "$r"
		[ "$(kv "$out" drained)" = 0 ] && note "$row bulk $c: EOF never came back through the relay; MiB/s from send time"
		[ -n "$(kv "$out" cipher)" ] && [ ! -e "$WORK/tls-$row.info" ] &&
			printf '%s, %s, %s\n' "$(kv "$out" tls)" "$(kv "$out" cipher)" "$(kv "$out" group)" >"$WORK/tls-$row.info"
		cpu_bytes=$(awk -v a="$cpu_bytes" -v b="$(kv "$out" bytes)" 'BEGIN{printf "%.0f", a+b}')
		cpu_s=$(awk -v a="$cpu_s" -v x="$(kv "$s0" cpu_s)" -v y="$(kv "$s1" cpu_s)" 'BEGIN{printf "%.3f", a+y-x}')
		log "    bulk ${c}c: direct $d MiB/s, TLS relay $r MiB/s ($(kv "$out" cipher))"
	done
	local cg
	cg=$(awk -v s="$cpu_s" -v b="$cpu_bytes" 'BEGIN{ if (b > 0) printf "%.3f", s / (b / 1073741824); }')
	rec "$row" "$rep" cpu_gib "$cg"
	log "    relay CPU: $cpu_s s for $cpu_bytes bytes = $cg s/GiB"

	# handshakes: new connection, full (no session offered) or resumed
	# (the newest ticket offered), 1-byte echo, close_notify, close;
	# sequential and 8-way.  Relay CPU per handshake over both.
	local kind flag key hs_s hs_n
	for kind in full resumed; do
		flag=--tls; key=hs
		[ $kind = resumed ] && { flag=--tls-resume; key=rhs; }
		hs_s=0; hs_n=0
		for c in 1 8; do
			d=""
			if [ $kind = full ]; then
				out=$(lgrun cps "$SINK" $c "$CPS_SECS")
				d=$(kv "$out" cps); rec "$row" "$rep" d_cps$c "$d"
			fi
			s0=$(procstat "$RELAY_PID")
			out=$(lgrun cps $flag "$RELAY_ADDR" $c "$CPS_SECS")
			s1=$(procstat "$RELAY_PID")
			r=$(kv "$out" cps); rec "$row" "$rep" r_$key$c "$r"
			local n res
			n=$(kv "$out" conns); res=$(kv "$out" resumed)
			[ "$(kv "$out" errors)" != 0 ] && note "$row $kind handshakes par=$c: $(kv "$out" errors) connect/handshake/echo errors"
			if [ $kind = full ]; then
				[ "${res:-0}" != 0 ] && note "$row full handshakes par=$c: $res of $n were resumed"
			elif [ -n "$n" ] && [ "$n" -gt 0 ]; then
				rec "$row" "$rep" res_pct$c "$(awk -v a="$res" -v b="$n" 'BEGIN{printf "%.1f", 100 * a / b}')"
			fi
			hs_n=$((hs_n + ${n:-0}))
			hs_s=$(awk -v a="$hs_s" -v x="$(kv "$s0" cpu_s)" -v y="$(kv "$s1" cpu_s)" 'BEGIN{printf "%.3f", a+y-x}')
			log "    $kind handshakes par=$c: ${d:+direct plain $d conn/s, }TLS relay $r/s${res:+ (resumed $res of $n)}"
		done
		[ "$hs_n" -gt 0 ] && rec "$row" "$rep" ${key}_cpu_ms "$(awk -v s="$hs_s" -v n="$hs_n" 'BEGIN{printf "%.4f", 1000 * s / n}')"
	done

	if ! kill -0 "$RELAY_PID" 2>/dev/null; then
		note "$row: the relay exited during repeat $rep (log: $row.log, kept with --keep)"
		tail -5 "$WORK/$row.log" >&2
		wait "$RELAY_PID" 2>/dev/null; RELAY_PID=""
		return 1
	fi
	stop_proc "$RELAY_PID"; RELAY_PID=""
	log "    ($((SECONDS - t0)) s)"
	return 0
}

# Concurrency table: bulk at each of CONC_LEVELS connections, direct and
# then through the relay, back to back.
run_conc() { # $1 relay row, $2 repeat index
	local row=$1 rep=$2 out d r c
	local t0=$SECONDS
	start_relay "$row" || return 1
	log "[$rep/$REPEAT] concurrency, $row: $RELAY_CMD"
	for c in $CONC_LEVELS; do
		out=$(lgrun bulk "$SINK" "$c" "$BULK_SECS")
		d=$(kv "$out" mibps); rec "$row" "$rep" d_conc$c "$d"
		out=$(lgrun bulk "$RELAY_ADDR" "$c" "$BULK_SECS")
		r=$(kv "$out" mibps); rec "$row" "$rep" r_conc$c "$r"
		[ "$(kv "$out" drained)" = 0 ] && note "$row bulk $c (concurrency): EOF never came back through the relay; MiB/s from send time"
		log "    bulk ${c}c: direct $d MiB/s, relay $r MiB/s ($(kv "$out" secs) s to drain)"
	done
	if ! kill -0 "$RELAY_PID" 2>/dev/null; then
		note "$row: the relay exited during the concurrency runs of repeat $rep (log: $row.log, kept with --keep)"
		tail -5 "$WORK/$row.log" >&2
		wait "$RELAY_PID" 2>/dev/null; RELAY_PID=""
		return 1
	fi
	stop_proc "$RELAY_PID"; RELAY_PID=""
	log "    ($((SECONDS - t0)) s)"
	return 0
}

# ------------------------------------------------------------------ SCTP rows
# Stop both relays of a row (node A, then node B), each by its own pid /
# process group.
stop_relays() {
	stop_proc "$RELAY_PID"; RELAY_PID=""
	stop_proc "$RELAY2_PID"; RELAY2_PID=""
}

# Write the config of one mptnd SCTP node: $1 file, $2 its UDP port, $3 the
# path MTU ("" = the module's default, 1452), $4 the listener line.  The
# other module settings are the module's defaults (RTO min/initial/max
# 1 s/3 s/60 s, heartbeat 1 s), except backend udp: the rows measure usrsctp
# over UDP also where the kernel has SCTP (path-mtu only applies there).
sctp_node_conf() {
	{
		echo "transport sctp {"
		echo "    module $SCTP_MOD_RUN"
		echo "    udp-port $2"
		echo "    backend udp"
		[ -n "$3" ] && echo "    path-mtu $3"
		echo "}"
		echo "$4"
	} >"$1"
}

# Start the two relays of SCTP row $1, each in its own session: node B
# (SCTP -> sink) and node A (TCP -> SCTP to B).  Ready when both mptnd nodes
# have logged "ready:" and an echo has gone through A and B.  Sets RELAY_PID
# (A), RELAY2_PID (B), RELAY_ADDR, RELAY_CMD.  Returns 1 if the row cannot
# run here, 2 if it did not come up.
start_sctp_relay() {
	local row=$1 mtu="" ok=0 i
	local alog=$WORK/$row-a.log blog=$WORK/$row-b.log
	RELAY_ADDR=tcp:127.0.0.1:$RELAY_PORT
	case "$row" in
	mptnd-sctp|mptnd-sctp-mtu*)
		have_mptnd && have_sctp_module || return 1
		case "$row" in mptnd-sctp-mtu*) mtu=${row#mptnd-sctp-mtu} ;; esac
		sctp_node_conf "$WORK/$row-b.conf" "$UDP_B" "$mtu" \
			"listener bench { listen \"sctp://127.0.0.1:$SCTP_PORT?peer=mptnd\"; target tcp://127.0.0.1:$SINK_PORT }"
		sctp_node_conf "$WORK/$row-a.conf" "$UDP_A" "$mtu" \
			"listener bench { listen tcp://127.0.0.1:$RELAY_PORT; target \"sctp://127.0.0.1:$SCTP_PORT?udp=$UDP_B&peer=mptnd\" }"
		RELAY_CMD="$MPTND_RUN -f $row-a.conf + $MPTND_RUN -f $row-b.conf (path MTU ${mtu:-default})"
		setsid "$MPTND_RUN" -f "$WORK/$row-b.conf" >"$blog" 2>&1 </dev/null &
		RELAY2_PID=$!
		setsid "$MPTND_RUN" -f "$WORK/$row-a.conf" >"$alog" 2>&1 </dev/null &
		RELAY_PID=$!
		;;
	socat-sctp)
		have_socat_sctp && have_kernel_sctp || return 1
		local a_args=("TCP-LISTEN:$RELAY_PORT,bind=127.0.0.1,fork,reuseaddr" "SCTP-CONNECT:127.0.0.1:$SCTP_PORT")
		local b_args=("SCTP-LISTEN:$SCTP_PORT,bind=127.0.0.1,fork,reuseaddr" "TCP:127.0.0.1:$SINK_PORT")
		RELAY_CMD="socat ${a_args[*]} + socat ${b_args[*]}"
		setsid socat "${b_args[@]}" >"$blog" 2>&1 </dev/null &
		RELAY2_PID=$!
		setsid socat "${a_args[@]}" >"$alog" 2>&1 </dev/null &
		RELAY_PID=$!
		;;
	*) return 1 ;;
	esac
	for i in $(seq 1 100); do
		if ! kill -0 "$RELAY_PID" 2>/dev/null || ! kill -0 "$RELAY2_PID" 2>/dev/null; then break; fi
		case "$row" in
		mptnd-*)
			if ! grep -q 'ready:' "$alog" 2>/dev/null || ! grep -q 'ready:' "$blog" 2>/dev/null; then
				sleep 0.1; continue
			fi
			;;
		esac
		if "$LG" probe "$RELAY_ADDR" 2 2>/dev/null; then ok=1; break; fi
		sleep 0.1
	done
	if [ $ok != 1 ] && [ "${row%%-*}" = mptnd ] && [ "$MPTND_RUN" = "$WORK/mptnd-snapshot" ]; then
		stop_relays
		log "run.sh: the mptnd snapshot did not start; using $MPTND and $SCTP_MOD themselves"
		MPTND_RUN=$MPTND; SCTP_MOD_RUN=$SCTP_MOD
		start_sctp_relay "$row"
		return $?
	fi
	if [ $ok != 1 ]; then
		log "run.sh: $row did not come up: $RELAY_CMD"
		tail -5 "$alog" "$blog" >&2
		stop_relays
		return 2
	fi
	# what node A says about its SCTP stack (backend, path MTU), for the table
	if [ "${row%%-*}" = mptnd ] && [ ! -e "$WORK/sctp-$row.info" ]; then
		sed -n 's/.*info: sctp: usrsctp over UDP .*(path MTU \([0-9]*\)).*/usrsctp over UDP, path MTU \1/p' "$alog" |
			head -1 >"$WORK/sctp-$row.info"
	fi
	return 0
}

# CPU seconds (utime+stime) of both relays of an SCTP row and their
# processes/threads
relays_cpu() {
	awk -v a="$(kv "$(procstat "$RELAY_PID")" cpu_s)" -v b="$(kv "$(procstat "$RELAY2_PID")" cpu_s)" \
		'BEGIN{printf "%.3f", a+b}'
}

# An SCTP row: bulk (1 and 4 connections) and 64-byte ping-pong, direct and
# then through node A -> SCTP -> node B, back to back, as in run_row.
run_sctp_row() { # $1 row, $2 repeat index
	local row=$1 rep=$2 out d r c s0 s1 drain
	local t0=$SECONDS
	start_sctp_relay "$row" || return 1
	log "[$rep/$REPEAT] $row: $RELAY_CMD"

	# bulk, 1 and 4 connections, with both relays' CPU around the relay runs
	local cpu_bytes=0 cpu_s=0
	for c in 1 4; do
		out=$(lgrun bulk "$SINK" $c "$BULK_SECS")
		d=$(kv "$out" mibps); rec "$row" "$rep" d_bulk$c "$d"
		s0=$(relays_cpu)
		out=$(lgrun bulk "$RELAY_ADDR" $c "$BULK_SECS")
		sleep 0.2
		s1=$(relays_cpu)
		r=$(kv "$out" mibps); rec "$row" "$rep" r_bulk$c "$r"
		[ "$(kv "$out" drained)" = 0 ] && note "$row bulk $c: EOF never came back through the relays; MiB/s from send time"
		# time from the client's last send to the sink's EOF: long (> 1 s) when
		# the tail of the transfer waited for an SCTP retransmission timeout
		drain=$(awk -v a="$(kv "$out" secs)" -v b="$(kv "$out" send_secs)" 'BEGIN{ if (a != "" && b != "") printf "%.2f", a-b }')
		awk -v x="${drain:-0}" 'BEGIN{exit !(x > 1)}' &&
			note "$row bulk $c (repeat $rep): the sink's EOF came back $drain s after the client stopped sending"
		cpu_bytes=$(awk -v a="$cpu_bytes" -v b="$(kv "$out" bytes)" 'BEGIN{printf "%.0f", a+b}')
		cpu_s=$(awk -v a="$cpu_s" -v x="$s0" -v y="$s1" 'BEGIN{printf "%.3f", a+y-x}')
		log "    bulk ${c}c: direct $d MiB/s, relays $r MiB/s (drained ${drain:-?} s after the last send)"
	done
	local cg
	cg=$(awk -v s="$cpu_s" -v b="$cpu_bytes" 'BEGIN{ if (b > 0) printf "%.3f", s / (b / 1073741824); }')
	rec "$row" "$rep" cpu_gib "$cg"
	log "    relays' CPU: $cpu_s s for $cpu_bytes bytes = $cg s/GiB"

	# 64-byte ping-pong with client, sink and both relays on CPU 0, as in run_row
	pin_tree "$SINK_PID" 0; pin_tree "$RELAY_PID" 0; pin_tree "$RELAY2_PID" 0
	out=$(PIN="taskset -c 0" lgrun pingpong "$SINK" "$PP_COUNT")
	rec "$row" "$rep" d_p50 "$(kv "$out" p50_us)"; rec "$row" "$rep" d_p99 "$(kv "$out" p99_us)"
	d="$(kv "$out" p50_us)/$(kv "$out" p99_us)"
	out=$(PIN="taskset -c 0" lgrun pingpong "$RELAY_ADDR" "$PP_COUNT")
	pin_tree "$SINK_PID" "0-$((NCPU - 1))"; pin_tree "$RELAY_PID" "0-$((NCPU - 1))"; pin_tree "$RELAY2_PID" "0-$((NCPU - 1))"
	rec "$row" "$rep" r_p50 "$(kv "$out" p50_us)"; rec "$row" "$rep" r_p99 "$(kv "$out" p99_us)"
	r="$(kv "$out" p50_us)/$(kv "$out" p99_us)"
	log "    rtt p50/p99 us: direct $d, relays $r"

	local n x ok=0
	for n in A B; do
		x=$RELAY_PID; [ $n = B ] && x=$RELAY2_PID
		if ! kill -0 "$x" 2>/dev/null; then
			note "$row: node $n exited during repeat $rep (log: $row-${n,,}.log, kept with --keep)"
			tail -5 "$WORK/$row-${n,,}.log" >&2
			ok=1
		fi
	done
	# warnings and errors the mptnd nodes logged (none expected)
	if [ "${row%%-*}" = mptnd ]; then
		for n in a b; do
			x=$(grep -c -E ': (warning|error): ' "$WORK/$row-$n.log" 2>/dev/null)
			[ "${x:-0}" -gt 0 ] &&
				note "$row node ${n^^}: $x warning/error lines in repeat $rep, e.g. $(grep -m1 -E ': (warning|error): ' "$WORK/$row-$n.log" | sed 's/^[^ ]* //')"
		done
	fi
	stop_relays
	log "    ($((SECONDS - t0)) s)"
	return $ok
}

# Short bulk transfer under strace -c: which syscalls move the bytes?
strace_row() {
	local row=$1
	command -v strace >/dev/null 2>&1 || { log "run.sh: strace not installed"; return 0; }
	if is_sctp_row "$row"; then
		start_sctp_relay "$row" || return 0
	else
		start_relay "$row" || return 0
	fi
	local p args=()
	# the relay and every process below it (nginx workers); -f follows forks;
	# SCTP rows: both nodes, counted together
	for p in $(kv "$("$LG" procstat "$RELAY_PID")" pids | tr ',' ' '); do args+=(-p "$p"); done
	if [ -n "$RELAY2_PID" ]; then
		for p in $(kv "$("$LG" procstat "$RELAY2_PID")" pids | tr ',' ' '); do args+=(-p "$p"); done
	fi
	strace -c -f -o "$WORK/strace-$row.txt" "${args[@]}" 2>/dev/null &
	local spid=$!
	sleep 0.5
	# shellcheck disable=SC2046
	"$LG" bulk $(tls_flag "$row") "$RELAY_ADDR" 1 1 >"$WORK/strace-$row.bulk" 2>&1
	sleep 0.3
	kill -INT "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	stop_relays
	local summary
	summary=$(awk '$NF ~ /^(splice|read|write|recvfrom|sendto|recvmsg|sendmsg|readv|writev|epoll_wait|epoll_pwait|epoll_pwait2|epoll_ctl|poll|pselect6|select|madvise)$/ && $4 ~ /^[0-9]+$/ { printf "%s=%s ", $NF, $4 }' "$WORK/strace-$row.txt")
	printf '%s\t%s\n' "$row" "$summary" >>"$WORK/strace.tsv"
	log "  strace $row: $summary"
}

# ------------------------------------------------------------------ run
SCTP_ROWS_ALL="mptnd-sctp mptnd-sctp-mtu9000 socat-sctp"
ROWS_ALL="mptnd-tcp mptnd-splice mptnd-copy mptnd-unix haproxy-tcp haproxy-splice haproxy-unix nginx-tcp nginx-unix socat-tcp socat-unix $TLS_ROWS_ALL $SCTP_ROWS_ALL"
# other path MTUs asked for with --only mptnd-sctp-mtuN
for r in ${ONLY//,/ }; do
	case "$r" in
	mptnd-sctp-mtu*[!0-9]*|mptnd-sctp-mtu) ;;
	mptnd-sctp-mtu*) case " $ROWS_ALL " in *" $r "*) ;; *) ROWS_ALL="$ROWS_ALL $r" ;; esac ;;
	esac
done
ROWS=""
SCTP_NA=""         # SCTP rows that cannot run here, as row=reason;...
for r in $ROWS_ALL; do
	if [ -n "$ONLY" ]; then case ",$ONLY," in *",$r,"*) ;; *) continue ;; esac; fi
	[ "$r" = concurrency ] && continue
	if is_tls_row "$r"; then
		[ "$TLS_OPT" = no ] && continue
		have_tls || { log "run.sh: no TLS client in loadgen or no certificate: skipping $r"; continue; }
	fi
	case "$r" in
	mptnd-sctp*)
		have_mptnd || { log "run.sh: $MPTND not found or not executable: skipping $r"; continue; }
		have_sctp_module || { log "run.sh: no sctp module (SCTP_MODULE, or .libs/sctp.so next to mptnd): skipping $r"; continue; }
		;;
	socat-sctp)
		have_socat || { log "run.sh: socat not installed: skipping $r"; continue; }
		if ! have_kernel_sctp; then
			log "run.sh: $r: n/a ($KERNEL_SCTP_WHY)"
			SCTP_NA="$SCTP_NA$r=$KERNEL_SCTP_WHY;"; continue
		fi
		have_socat_sctp || { log "run.sh: $r: n/a (socat built without SCTP)"; SCTP_NA="${SCTP_NA}$r=socat built without SCTP;"; continue; }
		;;
	mptnd-*) have_mptnd || { log "run.sh: $MPTND not found or not executable: skipping $r"; continue; } ;;
	haproxy-*) have_haproxy || { log "run.sh: haproxy not installed: skipping $r"; continue; } ;;
	nginx-*) have_nginx || { log "run.sh: nginx with the stream module not installed: skipping $r"; continue; } ;;
	socat-*) have_socat || { log "run.sh: socat not installed: skipping $r"; continue; } ;;
	stunnel-*) have_stunnel || { log "run.sh: stunnel not installed: skipping $r"; continue; } ;;
	esac
	ROWS="$ROWS $r"
done
PLAIN_ROWS=""; TLS_ROWS=""; SCTP_ROWS=""
for r in $ROWS; do
	if is_tls_row "$r"; then TLS_ROWS="$TLS_ROWS $r"
	elif is_sctp_row "$r"; then SCTP_ROWS="$SCTP_ROWS $r"
	else PLAIN_ROWS="$PLAIN_ROWS $r"; fi
done
CONC_ROWS=""
if [ "$WANT_CONC" = 1 ]; then
	for r in $CONC_RELAYS; do
		case "$r" in
		mptnd-*) have_mptnd || { log "run.sh: $MPTND not found: no mptnd in the concurrency table"; continue; } ;;
		haproxy-*) have_haproxy || { log "run.sh: haproxy not installed: no haproxy in the concurrency table"; continue; } ;;
		nginx-*) have_nginx || { log "run.sh: nginx with the stream module not installed: no nginx in the concurrency table"; continue; } ;;
		esac
		CONC_ROWS="$CONC_ROWS $r"
	done
fi
[ -n "$ROWS$CONC_ROWS$SCTP_NA" ] || { log "run.sh: nothing to run"; exit 1; }

"$LG" server "$SINK" >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
for i in $(seq 1 50); do "$LG" probe "$SINK" 1 2>/dev/null && break; sleep 0.1; done
"$LG" probe "$SINK" 1 || { log "run.sh: sink server did not start"; exit 1; }

START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
MPTND_SUM=$(have_mptnd && sha256sum "$MPTND" 2>/dev/null | cut -c1-16)
# Run a snapshot of the binary, so a rebuild during the run cannot mix builds
# (falls back to the original if the copy does not start, e.g. if it looks
# for files next to itself).
MPTND_RUN=$MPTND
if have_mptnd && cp "$MPTND" "$WORK/mptnd-snapshot" 2>/dev/null; then
	MPTND_RUN=$WORK/mptnd-snapshot
fi
# and of the sctp module, for the SCTP rows
SCTP_MOD_RUN=$SCTP_MOD
SCTP_MOD_SUM=""
if [ -n "$SCTP_ROWS" ] && [ -n "$SCTP_MOD" ]; then
	SCTP_MOD_SUM=$(sha256sum "$SCTP_MOD" 2>/dev/null | cut -c1-16)
	cp "$SCTP_MOD" "$WORK/sctp-snapshot.so" 2>/dev/null && SCTP_MOD_RUN=$WORK/sctp-snapshot.so
fi
MPTND_VER="not run"
if have_mptnd; then
	MPTND_VER=$(timeout 2 "$MPTND_RUN" --version 2>&1 </dev/null | head -1)
	if git -C "$(dirname "$MPTND")" rev-parse --short HEAD >/dev/null 2>&1; then
		MPTND_VER="$MPTND_VER (git $(git -C "$(dirname "$MPTND")" rev-parse --short HEAD 2>/dev/null)$(git -C "$(dirname "$MPTND")" diff --quiet HEAD 2>/dev/null || echo ', dirty'))"
	fi
	MPTND_VER="$MPTND_VER, sha256 $MPTND_SUM…"
fi

case "$LOAD_START" in
0.[0-4]*) ;;
*) log "run.sh: warning: load average is $LOAD_START; other work on the machine will skew the numbers" ;;
esac
T_START=$SECONDS
log "run.sh: rows:$ROWS${CONC_ROWS:+; concurrency table:$CONC_ROWS}; repeat $REPEAT; work dir $WORK"
for rep in $(seq 1 "$REPEAT"); do
	for row in $ROWS; do
		if is_tls_row "$row"; then
			run_tls_row "$row" "$rep" || note "$row failed in repeat $rep"
		elif is_sctp_row "$row"; then
			run_sctp_row "$row" "$rep" || note "$row failed in repeat $rep"
		else
			run_row "$row" "$rep" || note "$row failed in repeat $rep"
		fi
	done
	for row in $CONC_ROWS; do
		run_conc "$row" "$rep" || note "$row (concurrency) failed in repeat $rep"
	done
done
if [ "$STRACE" = 1 ]; then
	for row in $ROWS; do strace_row "$row"; done
fi
ELAPSED=$((SECONDS - T_START))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "$MPTND_SUM" ] && [ "$(sha256sum "$MPTND" 2>/dev/null | cut -c1-16)" != "$MPTND_SUM" ]; then
	if [ "$MPTND_RUN" = "$MPTND" ]; then
		note "$MPTND changed during the run (rebuilt?): rows from different builds are mixed"
	else
		note "$MPTND was rebuilt during the run; the numbers are for the snapshot taken at the start (sha256 $MPTND_SUM…)"
	fi
fi
if [ -n "$SCTP_MOD_SUM" ] && [ "$(sha256sum "$SCTP_MOD" 2>/dev/null | cut -c1-16)" != "$SCTP_MOD_SUM" ]; then
	note "$SCTP_MOD was rebuilt during the run; the SCTP rows used the copy taken at the start (sha256 $SCTP_MOD_SUM…) unless the snapshot fallback ran"
fi

# ------------------------------------------------------------------ report
# awk shared by both tables: medians, formatting, and relay/direct ratios
# (q_METRIC) for each relay run and the direct run paired with it.
# shellcheck disable=SC2016
AWK_LIB='
	function median(key,   n, i, j, t, v) {
		n = split(vals[key], v, " ")
		if (n == 0 || vals[key] == "") return ""
		for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		if (n % 2) return v[(n + 1) / 2] + 0
		return (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function add(key, x) { vals[key] = (key in vals) ? vals[key] " " x : x }
	function fmt(x) {
		if (x == "") return "–"
		if (x >= 100) return sprintf("%.0f", x)
		if (x >= 10) return sprintf("%.1f", x)
		return sprintf("%.2f", x)
	}
	function cell(row, m,   v, q) {
		v = median(row SUBSEP "r_" m); q = median(row SUBSEP "q_" m)
		if (v == "") return "–"
		if (q == "") return fmt(v)
		return fmt(v) " (" sprintf("%.2f", q) "×)"
	}
	function ratios(   k, p) {
		for (k in r) {
			if (!(k in d) || d[k] + 0 == 0) continue
			split(k, p, SUBSEP)
			add(p[1] SUBSEP "q_" p[3], r[k] / d[k])
		}
	}
	{
		if ($4 == "") next
		add($1 SUBSEP $3, $4)
		if ($3 ~ /^d_/) { add("direct" SUBSEP substr($3, 3), $4); d[$1, $2, substr($3, 3)] = $4 }
		if ($3 ~ /^r_/) r[$1, $2, substr($3, 3)] = $4
	}
'
ver() { "$@" 2>&1 | head -1; }
report() {
	echo "## Benchmark results ($START_DATE)"
	echo
	echo "Command: \`$CMDLINE\` (repeat $REPEAT, ${ELAPSED}s)"
	echo
	echo "Machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), Linux $(uname -r), loopback only;" \
		"net.ipv4.tcp_tw_reuse=$(cat /proc/sys/net/ipv4/tcp_tw_reuse 2>/dev/null)"
	echo
	local tlsver=""
	[ -n "$TLS_ROWS" ] && tlsver="; $(have_stunnel && "$STUNNEL" -version 2>&1 | grep -m1 '^stunnel'); $(ver openssl version)"
	local sctpver=""
	[ -n "$SCTP_MOD_SUM" ] && sctpver="; sctp module: $SCTP_MOD (sha256 $SCTP_MOD_SUM…)$(dpkg-query -W -f=', usrsctp ${Version}' libusrsctp2 2>/dev/null)"
	echo "Versions: mptnd: $MPTND_VER$sctpver; $(have_haproxy && ver haproxy -v); $(have_socat && socat -V 2>/dev/null | grep -m1 'socat version'); $(have_nginx && ver nginx -v)$tlsver; $(ver gcc --version)"
	echo
	echo "Load average (1/5/15 min) before the run: $LOAD_START; after: $LOAD_END (the benchmark itself keeps about 2 busy)."
	echo
	if [ -n "$PLAIN_ROWS" ]; then
		echo "Sizes: bulk ${BULK_SECS}s per run, ping-pong $PP_COUNT x 64 B, cps ${CPS_SECS}s per run, $IDLE_N idle connections."
	elif [ -n "$SCTP_ROWS$SCTP_NA" ]; then
		echo "Sizes: bulk ${BULK_SECS}s per run, ping-pong $PP_COUNT x 64 B${TLS_ROWS:+, cps/handshakes ${CPS_SECS}s per run}."
	else
		echo "Sizes: bulk ${BULK_SECS}s per run, cps/handshakes ${CPS_SECS}s per run."
	fi
	if [ -n "$PLAIN_ROWS" ]; then
	echo
	awk -F'\t' -v rows="$PLAIN_ROWS" "$AWK_LIB"'
	END {
		ratios()
		print "| relay | path | bulk 1 conn MiB/s | bulk 4 conns MiB/s | relay CPU s/GiB | RTT p50 µs | RTT p99 µs | conn/s sequential | conn/s 8-way | RSS KiB/idle conn | PSS KiB/idle conn |"
		print "|---|---|---|---|---|---|---|---|---|---|---|"
		printf "| direct | tcp | %s | %s | – | %s | %s | %s | %s | – | – |\n", \
			fmt(median("direct" SUBSEP "bulk1")), fmt(median("direct" SUBSEP "bulk4")), \
			fmt(median("direct" SUBSEP "p50")), fmt(median("direct" SUBSEP "p99")), \
			fmt(median("direct" SUBSEP "cps1")), fmt(median("direct" SUBSEP "cps8"))
		n = split(rows, rr, " ")
		for (i = 1; i <= n; i++) {
			row = rr[i]
			name = row; path = row
			sub(/-.*/, "", name); sub(/^[^-]*-/, "", path)
			if (row == "haproxy-splice") { name = "haproxy splice"; path = "tcp" }
			if (row == "mptnd-splice") { name = "mptnd --splice on"; path = "tcp" }
			if (row == "mptnd-copy") { name = "mptnd --splice off"; path = "tcp" }
			path = (path == "unix") ? "unix→tcp" : "tcp→tcp"
			if (median(row SUBSEP "r_bulk1") == "" && median(row SUBSEP "r_p50") == "") {
				printf "| %s | %s | failed | | | | | | | | |\n", name, path; continue
			}
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, path, \
				cell(row, "bulk1"), cell(row, "bulk4"), fmt(median(row SUBSEP "cpu_gib")), \
				cell(row, "p50"), cell(row, "p99"), cell(row, "cps1"), cell(row, "cps8"), \
				fmt(median(row SUBSEP "rss_conn")), fmt(median(row SUBSEP "pss_conn"))
		}
	}' "$RES"
	echo
	echo "Cells are medians over the repeats; (N×) is the median of relay/direct, each relay run paired with a direct run just before it (higher is better for MiB/s and conn/s, lower for RTT). Direct row: median of all direct runs."
	echo "CPU: utime+stime of the relay and all its processes/threads (from /proc) over its two bulk runs, per GiB moved. RSS/PSS: summed over the relay's processes, (holding $IDLE_N − before)/$IDLE_N; PSS splits shared pages between socat's forked children, so it is the fairer number for socat."
	echo "Rows: mptnd = default (--splice auto: starts on the copy path, moves a busy connection to splice); mptnd --splice on / off = only splice / only copying through user space; haproxy = TCP mode defaults; haproxy splice = option splice-request + splice-response; nginx = stream proxy, proxy_half_close on; socat = TCP-LISTEN:P,fork,reuseaddr TCP:127.0.0.1:Q (UNIX-LISTEN:path,fork for unix)."
	fi
	if [ -n "$SCTP_ROWS$SCTP_NA" ]; then
		local sinfo="" row
		for row in $SCTP_ROWS; do
			[ -s "$WORK/sctp-$row.info" ] && sinfo="$sinfo$row=$(head -1 "$WORK/sctp-$row.info");"
		done
		echo
		echo "### tcp→sctp→tcp through two relays (node A: TCP in, SCTP out; node B: SCTP in, TCP to the sink)"
		echo
		awk -F'\t' -v rows="$SCTP_ROWS" -v info="$sinfo" -v na="$SCTP_NA" "$AWK_LIB"'
		function kvsplit(str, arr,   n, i, k, v, p) {
			n = split(str, p, ";")
			for (i = 1; i <= n; i++) { if (p[i] == "") continue; k = p[i]; sub(/=.*/, "", k); v = p[i]; sub(/^[^=]*=/, "", v); arr[k] = v }
		}
		END {
			ratios()
			kvsplit(info, sinfo); kvsplit(na, sna)
			print "| relays | SCTP | bulk 1 conn MiB/s | bulk 4 conns MiB/s | both relays CPU s/GiB | RTT p50 µs | RTT p99 µs |"
			print "|---|---|---|---|---|---|---|"
			printf "| direct | (tcp) | %s | %s | – | %s | %s |\n", \
				fmt(median("direct" SUBSEP "bulk1")), fmt(median("direct" SUBSEP "bulk4")), \
				fmt(median("direct" SUBSEP "p50")), fmt(median("direct" SUBSEP "p99"))
			n = split(rows, rr, " ")
			for (i = 1; i <= n; i++) {
				row = rr[i]
				if (row ~ /^mptnd-/) { name = "mptnd → mptnd"; what = (row in sinfo) ? sinfo[row] : "usrsctp over UDP" }
				else { name = "socat → socat"; what = "kernel SCTP" }
				if (row ~ /^mptnd-sctp-mtu/) { m = row; sub(/^mptnd-sctp-mtu/, "", m); name = name " (path-mtu " m ")" }
				else if (row == "mptnd-sctp") name = name " (defaults)"
				if (median(row SUBSEP "r_bulk1") == "" && median(row SUBSEP "r_p50") == "") {
					printf "| %s | %s | failed | | | | |\n", name, what; continue
				}
				printf "| %s | %s | %s | %s | %s | %s | %s |\n", name, what, \
					cell(row, "bulk1"), cell(row, "bulk4"), fmt(median(row SUBSEP "cpu_gib")), \
					cell(row, "p50"), cell(row, "p99")
			}
			for (row in sna) printf "| %s | kernel SCTP | n/a (%s) | | | | |\n", (row == "socat-sctp") ? "socat → socat" : row, sna[row]
		}' "$RES"
		echo
		echo "Cells are medians over the repeats; (N×) is the median of relays/direct, each run through the two relays paired with a direct run (client → sink) just before it. CPU: utime+stime of both relays and all their processes/threads over their two bulk runs, per GiB moved. Ping-pong: client, sink and both relays pinned to CPU 0, as for the rows above."
		echo "Rows: mptnd → mptnd = node A \`listen tcp://127.0.0.1:P; target \"sctp://127.0.0.1:S?udp=UB&peer=mptnd\"\`, node B \`listen \"sctp://127.0.0.1:S?peer=mptnd\"; target tcp://127.0.0.1:Q\`, each with \`transport sctp { module sctp.so; udp-port U; backend udp; }\` and otherwise the module defaults (RTO min/initial/max 1 s/3 s/60 s, heartbeat 1 s, path MTU 1452), plus \`path-mtu N\` on both nodes for the path-mtu rows; socat → socat = \`socat TCP-LISTEN:P,bind=127.0.0.1,fork,reuseaddr SCTP-CONNECT:127.0.0.1:S\` and \`socat SCTP-LISTEN:S,bind=127.0.0.1,fork,reuseaddr TCP:127.0.0.1:Q\` (kernel SCTP only)."
	fi
	if [ -n "$CONC_ROWS" ]; then
		echo
		echo "### bulk MiB/s by concurrency (tcp→tcp)"
		echo
		awk -F'\t' -v rows="$CONC_ROWS" -v levels="$CONC_LEVELS" "$AWK_LIB"'
		END {
			ratios()
			nl = split(levels, lv, " ")
			h = "| relay |"; sep = "|---|"; dr = "| direct |"
			for (j = 1; j <= nl; j++) {
				h = h " " lv[j] (lv[j] == 1 ? " conn" : " conns") " MiB/s |"; sep = sep "---|"
				dr = dr " " fmt(median("direct" SUBSEP "conc" lv[j])) " |"
			}
			print h; print sep; print dr
			n = split(rows, rr, " ")
			for (i = 1; i <= n; i++) {
				row = rr[i]; name = row; sub(/-.*/, "", name)
				line = "| " name " |"
				for (j = 1; j <= nl; j++) line = line " " cell(row, "conc" lv[j]) " |"
				print line
			}
		}' "$RES"
		echo
		echo "loadgen bulk with N connections for ${BULK_SECS}s each (aggregate MiB/s of bytes that reached the sink, the clock stopped at the last EOF coming back); (N×) is the median of relay/direct, each relay run paired with a direct run at the same N just before it. Relays as in the rows above (mptnd default = --splice auto; haproxy TCP mode defaults; nginx stream)."
	fi
	if [ -n "$TLS_ROWS" ]; then
		local info="" row
		for row in $TLS_ROWS; do
			[ -s "$WORK/tls-$row.info" ] && info="$info$row=$(head -1 "$WORK/tls-$row.info");"
		done
		echo
		echo "### TLS termination (client → TLS → relay → plain TCP → sink)"
		echo
		awk -F'\t' -v rows="$TLS_ROWS" -v info="$info" "$AWK_LIB"'
		END {
			ratios()
			ni = split(info, ii, ";")
			for (i = 1; i <= ni; i++) { k = ii[i]; sub(/=.*/, "", k); v = ii[i]; sub(/^[^=]*=/, "", v); tinfo[k] = v }
			print "| relay | TLS (client side) | bulk 1 conn MiB/s | bulk 4 conns MiB/s | relay CPU s/GiB | full handshakes/s sequential | full handshakes/s 8-way | resumed handshakes/s sequential | resumed handshakes/s 8-way | relay CPU ms per handshake, full / resumed | resumed % seq / 8-way |"
			print "|---|---|---|---|---|---|---|---|---|---|---|"
			printf "| direct (plain TCP, no TLS) | – | %s | %s | – | %s conn/s plain | %s conn/s plain | – | – | – | – |\n", \
				fmt(median("direct" SUBSEP "bulk1")), fmt(median("direct" SUBSEP "bulk4")), \
				fmt(median("direct" SUBSEP "cps1")), fmt(median("direct" SUBSEP "cps8"))
			n = split(rows, rr, " ")
			for (i = 1; i <= n; i++) {
				row = rr[i]
				name = row; sub(/-tls$/, "", name)
				if (median(row SUBSEP "r_bulk1") == "" && median(row SUBSEP "r_hs1") == "") {
					printf "| %s | failed | | | | | | | | | |\n", name; continue
				}
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s |\n", name, \
					(row in tinfo) ? tinfo[row] : "–", \
					cell(row, "bulk1"), cell(row, "bulk4"), fmt(median(row SUBSEP "cpu_gib")), \
					cell(row, "hs1"), cell(row, "hs8"), cell(row, "rhs1"), cell(row, "rhs8"), \
					fmt(median(row SUBSEP "hs_cpu_ms")), fmt(median(row SUBSEP "rhs_cpu_ms")), \
					fmt(median(row SUBSEP "res_pct1")), fmt(median(row SUBSEP "res_pct8"))
			}
		}' "$RES"
		echo
		echo "Every TLS relay uses the same EC P-256 self-signed certificate. The baseline is the plain direct row (there is no direct TLS server): (N×) for bulk is TLS through the relay ÷ a plain direct run just before it; handshakes get no ratio, the plain direct conn/s (TCP connect, 64-byte echo, close) is there for scale. Direct row: median of all direct runs."
		echo "Bulk: loadgen's TLS client (OpenSSL, no session tickets kept or offered) uploads for ${BULK_SECS}s on 1 or 4 connections, ends with close_notify + FIN and stops the clock at the sink's EOF coming back; the relay decrypts and forwards plain TCP. CPU s/GiB: the relay's utime+stime over the two TLS bulk runs per GiB of plaintext."
		echo "Handshakes: for ${CPS_SECS}s, new TCP connection, TLS handshake, 1-byte echo, close_notify, close; one at a time and 8 in flight. Full = no session offered; resumed = a session ticket the relay gave is offered, each ticket once (TLS 1.3 resumption still does an ECDHE exchange); resumed % = handshakes that did resume (the first one, or first 8, cannot). Client and relay share the 2 CPUs, so handshakes/s is bounded by the client's crypto as well; relay CPU ms per handshake (utime+stime over the sequential and 8-way runs ÷ handshakes) compares the relays' own cost."
		echo "Rows: mptnd = --listen 'tls+tcp://127.0.0.1:P?cert=C&key=K' --target tcp://127.0.0.1:Q; stunnel = foreground = yes, pid =, syslog = no (no syslog daemon here: its fallback is the serial console), one service with accept/connect/cert/key, defaults otherwise; haproxy = TCP mode defaults, bind 127.0.0.1:P ssl crt CERT+KEY.pem."
	fi
	if [ -s "$WORK/strace.tsv" ]; then
		echo
		echo "Syscalls in the relay during a 1 s single-connection bulk transfer (strace -c -f, call counts):"
		echo
		while IFS=$'\t' read -r row s; do echo "- $row: $s"; done <"$WORK/strace.tsv"
	fi
	if [ -s "$NOTES" ]; then
		echo
		echo "Notes from this run:"
		echo
		sed 's/^/- /' "$NOTES"
	fi
}
report | tee "$WORK/report.md"
[ "$KEEP" = 1 ] || true

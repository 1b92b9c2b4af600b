# tests/lib.sh - shared helpers for tests/integration/*.sh (dated 2026-11-23).
#
# Source it first thing after `set -euo pipefail`.  It owns, per test:
#   - a temp dir $T (mktemp -d) for logs, configs and unix sockets;
#   - every background process the test starts (PIDs recorded, killed by PID
#     on any exit), every TCP port it reserved, every network namespace it
#     created; the EXIT trap undoes all of them and keeps the exit status.
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.
#
# Environment: MPTND (daemon binary), TPEER (test peer), srcdir; defaults
# point into the build tree next to this file.  KEEP_TMP=1 keeps $T.
# SPLICE (off|on|auto): when set, start_mptnd passes `--splice $SPLICE` on
# command-line runs (not with -f: those scripts write `splice $SPLICE` into
# their config, see splice_conf).  SPLICE_MODES (default "off on"): the modes
# run_splice_modes runs a scenario in, each with a fresh mptnd and peers.

_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_NAME=$(basename "${0%.sh}")

MPTND=${MPTND:-$_lib_dir/../mptnd}
TPEER=${TPEER:-$_lib_dir/tpeer}

T=$(mktemp -d "${TMPDIR:-/tmp}/mptnd-$TEST_NAME.XXXXXX")
chmod 755 "$T"
PORT_LOCK_DIR=${PORT_LOCK_DIR:-/tmp/mptnd-test-ports}

declare -a _PIDS=()          # every background process, by PID
declare -A _PID_START=()     # PID -> its start time when tracked
declare -A PEER_PID=()       # tpeer name -> PID
declare -A PEER_PORT=()      # tpeer name -> port it printed (listen on port 0)
MPTND_PID=
MPTND_LOG=
MPTND_RC=
_mptnd_n=0

# ---- reporting --------------------------------------------------------------

# mode_tag: "[splice=MODE] " while a scenario runs in one splice mode, else "".
mode_tag() { if [ -n "${SPLICE:-}" ]; then printf '[splice=%s] ' "$SPLICE"; fi; }

log() { printf '%s: %s%s\n' "$TEST_NAME" "$(mode_tag)" "$*" >&2; }

# mptnd_tail [N]: the last N lines of the current mptnd log.
mptnd_tail() {
    local n=${1:-25}
    if [ -n "$MPTND_LOG" ] && [ -f "$MPTND_LOG" ]; then
        echo "--- last $n lines of $(basename "$MPTND_LOG") ---" >&2
        tail -n "$n" "$MPTND_LOG" >&2
        echo "---" >&2
    fi
}

# fail MSG: report, show the mptnd log tail and exit 1.
fail() {
    local f
    printf '%s: FAIL: %s%s\n' "$TEST_NAME" "$(mode_tag)" "$*" >&2
    for f in "$T"/*.err; do      # what any tpeer complained about
        [ -s "$f" ] && { echo "--- $(basename "$f"):" >&2; head -n 3 "$f" >&2; }
    done
    mptnd_tail 30
    exit 1
}

# skip MSG: exit 77 (only for a feature truly missing on this machine).
skip() { printf '%s: SKIP: %s\n' "$TEST_NAME" "$*" >&2; exit 77; }

# hard_error MSG: the test itself cannot run (missing build output): exit 99.
hard_error() { printf '%s: ERROR: %s\n' "$TEST_NAME" "$*" >&2; exit 99; }

pass() { local m; m="$(mode_tag)${1:-}"; printf '%s: PASS%s\n' "$TEST_NAME" "${m:+: $m}" >&2; exit 0; }

# mode_pass MSG: report that one splice mode of a scenario passed (no exit).
mode_pass() { printf '%s: PASS: %s%s\n' "$TEST_NAME" "$(mode_tag)" "$*" >&2; }

# ---- cleanup ------------------------------------------------------------------

# _starttime PID: its start time (field 22 of /proc/PID/stat), "" when gone.
_starttime() {
    local st
    st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    st=${st##*) }                      # after "PID (comm) ": field 3 is $1
    set -- $st
    echo "${20:-}"
}

# _ours PID: is PID still the process track_pid recorded?  Same PID and same
# start time: a PID the kernel reused for another process is never signalled.
_ours() {
    [ -n "${_PID_START[$1]:-}" ] && [ "$(_starttime "$1")" = "${_PID_START[$1]}" ]
}

# _kill_tracked: TERM every tracked process still running, wait up to 1 s,
# then KILL what is left; forget them all.
_kill_tracked() {
    local pid i p
    local -a live=()
    for pid in "${_PIDS[@]}"; do
        if _ours "$pid"; then live+=("$pid"); fi
    done
    for pid in "${live[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in 1 2 3 4 5 6 7 8 9 10; do      # up to 1 s for them to go
        p=
        for pid in "${live[@]}"; do
            if _ours "$pid" && [ "$(_state "$pid")" != Z ]; then p=1; fi
        done
        [ -z "$p" ] && break
        sleep 0.1
    done
    for pid in "${live[@]}"; do
        if _ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    for pid in "${live[@]}"; do wait "$pid" 2>/dev/null || true; done
    _PIDS=(); _PID_START=()
}
_state() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0; st=${st##*) }; echo "${st%% *}"; }

_cleanup() {
    local rc=$? pid ns p i
    trap - EXIT INT TERM HUP
    set +e
    _kill_tracked
    if [ -f "$T/.netns" ]; then
        while read -r ns; do
            # Only processes inside a namespace this test created: ours.
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
            ip netns del "$ns" 2>/dev/null
        done < "$T/.netns"
    fi
    if [ -f "$T/.ports" ]; then
        while read -r p; do rm -rf "${PORT_LOCK_DIR:?}/$p"; done < "$T/.ports"
    fi
    if [ -f "$T/.files" ]; then
        while read -r p; do rm -f "$p"; done < "$T/.files"
    fi
    if [ "${KEEP_TMP:-0}" = 1 ] || { [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ "${KEEP_TMP_ON_FAIL:-0}" = 1 ]; }; then
        echo "$TEST_NAME: kept $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap _cleanup EXIT
# A command that fails outside any check ends the test under set -e with no
# FAIL line of its own: name it, so a flaky step can be found from the log.
set -E
trap '_rc=$?; printf "%s: unexpected failure (status %s) of: %s (line %s)\n" "$TEST_NAME" "$_rc" "$BASH_COMMAND" "$LINENO" >&2' ERR
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# track_pid PID: kill PID when the test exits (or at the next splice mode),
# if it is still the same process (its start time is recorded now).
track_pid() { _PIDS+=("$1"); _PID_START[$1]=$(_starttime "$1"); }

# track_file PATH: remove PATH when the test exits (e.g. a socket outside $T).
track_file() { echo "$1" >> "$T/.files"; }

# ---- prerequisites ----------------------------------------------------------

if [ ! -x "$TPEER" ]; then
    if [ -f "$_lib_dir/tpeer.c" ] && command -v gcc >/dev/null; then
        gcc -O2 -o "$T/tpeer" "$_lib_dir/tpeer.c" -lcrypto || hard_error "cannot build tpeer"
        TPEER=$T/tpeer
    else
        hard_error "test peer not built: $TPEER (make check builds it)"
    fi
fi
[ -x "$MPTND" ] || hard_error "mptnd binary not found: $MPTND (set MPTND=)"

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

require_netns() {
    require_root
    command -v ip >/dev/null || skip "iproute2 (ip) not installed"
    ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
}

# ---- time and numbers -------------------------------------------------------

now_s() { date +%s.%N; }
# fcmp EXPR: floating-point test through awk, e.g. fcmp "$x < 1.5"
fcmp() { awk "BEGIN { exit !($1) }"; }
fsub() { awk "BEGIN { printf \"%.3f\", $1 - $2 }"; }

# ---- ports, names -------------------------------------------------------------

# pick_port: a TCP port in 20000-32000 free on 127.0.0.1 and ::1, reserved for
# this test (mkdir lock, so parallel tests never pick the same one).  Works in
# $(...) because the reservation is recorded in a file.
pick_port() {
    local p i owner
    mkdir -p "$PORT_LOCK_DIR" 2>/dev/null
    for i in $(seq 1 200); do
        p=$((20000 + SRANDOM % 12001))
        if ! mkdir "$PORT_LOCK_DIR/$p" 2>/dev/null; then
            owner=$(cat "$PORT_LOCK_DIR/$p/pid" 2>/dev/null || true)
            if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
                rm -rf "${PORT_LOCK_DIR:?}/$p"      # stale lock from a killed test
            fi
            continue
        fi
        echo $$ > "$PORT_LOCK_DIR/$p/pid"
        echo "$p" >> "$T/.ports"
        if "$TPEER" portfree "$p"; then
            echo "$p"
            return 0
        fi
    done
    hard_error "no free port found"
}

# sock_path NAME: a unique unix socket path for this test.
sock_path() { echo "$T/$1.sock"; }
# abstract_name NAME: a unique abstract socket name for this test.
abstract_name() { echo "mptnd-test-$$-$1"; }

# ---- waiting ------------------------------------------------------------------

# wait_for_line FILE REGEX TIMEOUT [PID]: wait until a line of FILE matches the
# extended REGEX; returns 1 on timeout or as soon as PID (if given) is gone.
wait_for_line() {
    local file=$1 re=$2 timeout=$3 pid=${4:-} end
    end=$(( $(date +%s%N) / 1000000 + $(awk "BEGIN { printf \"%.0f\", $timeout * 1000 }") ))
    while :; do
        if [ -f "$file" ] && grep -Eq -- "$re" "$file"; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            # one last look: the line may have been written just before exit
            [ -f "$file" ] && grep -Eq -- "$re" "$file" && return 0
            return 1
        fi
        [ "$(($(date +%s%N) / 1000000))" -ge "$end" ] && return 1
        sleep 0.05
    done
}

# count_lines FILE REGEX: number of lines matching (0 when none or no file).
count_lines() { if [ -f "$1" ]; then grep -Ec -- "$2" "$1" || true; else echo 0; fi; }

# wait_for_count FILE REGEX N TIMEOUT: wait until at least N lines match.
wait_for_count() {
    local file=$1 re=$2 n=$3 timeout=$4 i
    for i in $(seq 1 "$(awk "BEGIN { printf \"%d\", $timeout * 20 }")"); do
        [ "$(count_lines "$file" "$re")" -ge "$n" ] && return 0
        sleep 0.05
    done
    [ "$(count_lines "$file" "$re")" -ge "$n" ]
}

# wait_pid PID TIMEOUT: wait for a child to exit; sets WAIT_RC to its status.
# Returns 1 (and leaves it running) on timeout.
wait_pid() {
    local pid=$1 timeout=$2 i
    for i in $(seq 1 "$(awk "BEGIN { printf \"%d\", $timeout * 20 }")"); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        return 1
    fi
    WAIT_RC=0
    wait "$pid" 2>/dev/null || WAIT_RC=$?
    return 0
}

# listening_tcp PORT [NETNS]: is any socket listening on TCP PORT?
listening_tcp() {
    local out
    if [ -n "${2:-}" ]; then
        out=$(ip netns exec "$2" ss -Hltn "sport = :$1" 2>/dev/null)
    else
        out=$(ss -Hltn "sport = :$1" 2>/dev/null)
    fi
    [ -n "$out" ]
}

# ---- process facts ------------------------------------------------------------

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }
# pipe_fds PID: how many of its fds are pipes (splice uses pooled pipe pairs).
# find exits 1 when an fd closes while it walks the directory: that is not
# an error here (the count is a snapshot).
pipe_fds() { { find "/proc/$1/fd" -mindepth 1 -lname 'pipe:*' 2>/dev/null || true; } | wc -l; }
# cpu_ticks PID: utime+stime in clock ticks (fields 14, 15 of /proc/PID/stat).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
clk_tck() { getconf CLK_TCK; }

# ---- mptnd ----------------------------------------------------------------------

# MPTND_PREFIX: an array of words to run mptnd under (prlimit, ip netns exec);
# each must exec mptnd so that $! is mptnd itself.
declare -a MPTND_PREFIX=()

# start_mptnd ARGS...: start $MPTND in the background, stderr and stdout to a
# fresh log in $T; wait up to 10 s for "ready:" (fail with the log tail if it
# exits or times out).  Sets MPTND_PID and MPTND_LOG.
start_mptnd() {
    start_mptnd_nowait "$@"
    if ! wait_for_line "$MPTND_LOG" 'ready:' "${MPTND_READY_TIMEOUT:-10}" "$MPTND_PID"; then
        if kill -0 "$MPTND_PID" 2>/dev/null; then
            fail "mptnd not ready after ${MPTND_READY_TIMEOUT:-10} s (command line: first log line)"
        fi
        fail "mptnd exited before ready (command line: first log line)"
    fi
}

# start_mptnd_nowait ARGS...: start it, do not wait (for start-up failures).
# With $SPLICE set, a command-line run (no -f/--config, no --splice of its
# own) gets `--splice $SPLICE`.
start_mptnd_nowait() {
    local a add=1
    for a in "$@"; do
        case $a in -f|--config|--config=*|--splice|--splice=*) add=;; esac
    done
    if [ -n "${SPLICE:-}" ] && [ -n "$add" ]; then
        set -- "$@" --splice "$SPLICE"
    fi
    _mptnd_n=$((_mptnd_n + 1))
    MPTND_LOG=$T/mptnd.$_mptnd_n.log
    MPTND_RC=
    echo "# ${MPTND_PREFIX[*]} $MPTND $*" > "$MPTND_LOG"
    "${MPTND_PREFIX[@]}" "$MPTND" "$@" >> "$MPTND_LOG" 2>&1 &
    MPTND_PID=$!
    track_pid "$MPTND_PID"
}

# stop_mptnd [SIGNAL] [TIMEOUT]: signal mptnd (default TERM) and wait for it
# to exit (default 15 s); sets MPTND_RC.  Fails if it does not exit.
stop_mptnd() {
    local sig=${1:-TERM} timeout=${2:-15}
    kill "-$sig" "$MPTND_PID" 2>/dev/null || true
    wait_pid "$MPTND_PID" "$timeout" || fail "mptnd did not exit within $timeout s after SIG$sig"
    MPTND_RC=$WAIT_RC
}

# mptnd_stop_clean: SIGTERM the current mptnd (no connection should be left),
# and require exit status 0 and no sanitizer report in its log (so an ASan or
# UBSan build's leak and error reports at exit fail the test).
mptnd_stop_clean() {
    stop_mptnd TERM 15
    if grep -Eq 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$MPTND_LOG"; then
        grep -E -m3 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$MPTND_LOG" >&2
        fail "sanitizer report in mptnd's log"
    fi
    [ "$MPTND_RC" = 0 ] || fail "mptnd exited with status $MPTND_RC on SIGTERM"
}

# mptnd_alive: is the current mptnd still running?
mptnd_alive() { kill -0 "$MPTND_PID" 2>/dev/null; }

# log_mark: current line count of the mptnd log; log_since MARK: lines after it.
log_mark() { wc -l < "$MPTND_LOG"; }
log_since() { tail -n "+$(($1 + 1))" "$MPTND_LOG"; }

# ---- splice modes -----------------------------------------------------------------

SPLICE_MODES=${SPLICE_MODES:-off on}
for _m in $SPLICE_MODES; do
    case $_m in off|on|auto) ;; *) hard_error "SPLICE_MODES: '$_m' is not off, on or auto";; esac
done
[ -n "${SPLICE_MODES// /}" ] || hard_error "SPLICE_MODES is empty"

# splice_conf: the config line for the current mode ("splice MODE", or
# nothing when $SPLICE is unset), for scenarios that run mptnd -f.
splice_conf() { if [ -n "${SPLICE:-}" ]; then echo "splice $SPLICE"; fi; }

# run_splice_modes FUNC: run FUNC once per mode in $SPLICE_MODES with SPLICE
# set to it.  Between modes every process the test started is stopped (by
# PID) and the mode's files (tpeer output, mptnd logs, configs) move to
# $T/splice-MODE/, so the next mode starts from scratch with the same names.
run_splice_modes() {
    local fn=$1 m
    for m in $SPLICE_MODES; do
        SPLICE=$m
        log "---- splice $m: fresh mptnd and peers"
        "$fn"
        splice_mode_reset
    done
    SPLICE=
}

splice_mode_reset() {
    local d=$T/splice-$SPLICE f
    _kill_tracked
    PEER_PID=(); PEER_PORT=()
    MPTND_PID=; MPTND_LOG=; MPTND_RC=
    mkdir -p "$d"
    for f in "$T"/*; do
        [ -f "$f" ] || continue
        mv -f "$f" "$d/"
    done
}

# splice_effect_check BASE_PIPES: after bulk transfers, is the mode really in
# effect?  Pipes taken for splicing go back to the worker's pool, still open,
# when a direction drains; so with splice on mptnd now holds more pipe fds than
# BASE_PIPES (counted right after it was ready), with splice off exactly as
# many (it never made one).  auto and unset: not checked.  Also, with splice
# on, the log must not show a fallback to copying.
splice_effect_check() {
    local base=$1 now
    now=$(pipe_fds "$MPTND_PID")
    log "mptnd pipe fds: $base at start, $now after the transfers"
    case ${SPLICE:-} in
        on)
            [ "$now" -gt "$base" ] ||
                fail "splice on, yet mptnd holds no pooled pipes after the transfers ($now pipe fds, $base at start)"
            grep -q 'splice failed' "$MPTND_LOG" &&
                fail "splice on: mptnd fell back to copying: $(grep -m1 'splice failed' "$MPTND_LOG")"
            ;;
        off)
            [ "$now" -eq "$base" ] ||
                fail "splice off, yet mptnd has $now pipe fds ($base at start): it spliced"
            ;;
    esac
    return 0
}

# ---- tpeer ------------------------------------------------------------------------

# PEER_PREFIX: like MPTND_PREFIX, for tpeer processes (e.g. ip netns exec NS).
declare -a PEER_PREFIX=()

# start_peer NAME ADDR MODE [ARGS...]: `tpeer listen` in the background, output
# in $T/NAME.out and .err; waits up to 5 s for "ready".  Sets PEER_PID[NAME]
# and, for a TCP port 0 listener, PEER_PORT[NAME].
start_peer() {
    local name=$1; shift
    "${PEER_PREFIX[@]}" "$TPEER" listen "$@" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
    if ! wait_for_line "$T/$name.out" '^ready' 5 "${PEER_PID[$name]}"; then
        cat "$T/$name.err" >&2
        fail "tpeer listener $name did not become ready: $*"
    fi
    PEER_PORT[$name]=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p;T;q' "$T/$name.out")
}

# start_client NAME ADDR MODE [ARGS...]: `tpeer connect` in the background.
start_client() {
    local name=$1; shift
    "${PEER_PREFIX[@]}" "$TPEER" connect "$@" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
}

# run_client NAME ADDR MODE [ARGS...]: `tpeer connect` in the foreground;
# returns its exit status (output in $T/NAME.out, .err).
run_client() {
    local name=$1; shift
    "${PEER_PREFIX[@]}" "$TPEER" connect "$@" > "$T/$name.out" 2> "$T/$name.err"
}

# peer_wait NAME [TIMEOUT]: wait for a tpeer to exit (default 90 s; it has its
# own --timeout); sets WAIT_RC.  Fails on timeout.
peer_wait() {
    wait_pid "${PEER_PID[$1]}" "${2:-90}" || fail "tpeer $1 still running after ${2:-90} s"
}

# peer_stop NAME: kill a tpeer by its PID (it is expected to be holding).
peer_stop() {
    kill -TERM "${PEER_PID[$1]}" 2>/dev/null || true
    wait_pid "${PEER_PID[$1]}" 5 || kill -KILL "${PEER_PID[$1]}" 2>/dev/null || true
}

# peer_out NAME: its stdout; peer_err NAME: its stderr.
peer_out() { cat "$T/$1.out"; }
peer_err() { cat "$T/$1.err" 2>/dev/null || true; }

# field KEY LINE: the value of KEY=VALUE in LINE ("" when absent).
field() {
    awk -v k="$1=" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }' <<< "$2"
}

# done_line NAME [N]: the Nth (default last) "done" line of tpeer NAME.
done_line() {
    if [ -n "${2:-}" ]; then
        awk -v n="$2" '/^done / && ++k == n { print; exit }' "$T/$1.out"
    else
        awk '/^done / { l = $0 } END { if (l != "") print l }' "$T/$1.out"
    fi
}

# out_line NAME REGEX: the last line of tpeer NAME's stdout matching REGEX.
out_line() { awk -v re="$2" '$0 ~ re { l = $0 } END { if (l != "") print l }' "$T/$1.out"; }

# check_pair LABEL CLIENT SERVER UP DOWN: both tpeers finished one connection
# with exit 0; the client sent UP bytes and the server received them with the
# same SHA-256; the server sent DOWN bytes and the client received them with the
# same SHA-256.  Fails with both sides' numbers otherwise.
check_pair() {
    local label=$1 c=$2 s=$3 up=$4 down=$5 cl sl
    cl=$(done_line "$c"); sl=$(done_line "$s")
    if [ -z "$cl" ] || [ -z "$sl" ]; then
        echo "client $c: $(peer_out "$c" | tail -n3) $(peer_err "$c")" >&2
        echo "server $s: $(peer_out "$s" | tail -n3) $(peer_err "$s")" >&2
        fail "$label: a side did not finish"
    fi
    if [ "$(field sent "$cl")" != "$up" ] || [ "$(field recv "$sl")" != "$up" ] ||
       [ "$(field sha_sent "$cl")" != "$(field sha_recv "$sl")" ]; then
        echo "client: $cl" >&2; echo "server: $sl" >&2
        fail "$label: client->server stream differs (want $up bytes)"
    fi
    if [ "$(field sent "$sl")" != "$down" ] || [ "$(field recv "$cl")" != "$down" ] ||
       [ "$(field sha_sent "$sl")" != "$(field sha_recv "$cl")" ]; then
        echo "client: $cl" >&2; echo "server: $sl" >&2
        fail "$label: server->client stream differs (want $down bytes)"
    fi
}

# ---- network namespaces ---------------------------------------------------------

# make_netns NAME: create a namespace (deleted on exit) with lo up.
make_netns() {
    ip netns add "$1" || fail "ip netns add $1 failed"
    echo "$1" >> "$T/.netns"
    ip -n "$1" link set lo up || fail "lo up in $1 failed"
}

# ---- config files -----------------------------------------------------------------

# write_conf FILE: write stdin to FILE atomically (rename), for reload tests.
write_conf() { cat > "$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"; }

# bytes SIZE: 64m -> 67108864 (k, m, g binary suffixes).
bytes() {
    local v=$1
    case $v in
        *[kK]) echo $(( ${v%?} * 1024 ));;
        *[mM]) echo $(( ${v%?} * 1048576 ));;
        *[gG]) echo $(( ${v%?} * 1073741824 ));;
        *) echo "$v";;
    esac
}

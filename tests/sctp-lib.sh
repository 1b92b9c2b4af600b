# tests/sctp-lib.sh - helpers for tests/integration/sctp-*.sh (dated 2026-11-23).
#
# Source it right after tests/lib.sh.  It finds the sctp module (SCTP_MODULE,
# default: .libs/sctp.so next to $MPTND; exit 77 when it was not built),
# reserves UDP encapsulation ports, writes node configs that load the module
# with test timers (rto-min 20ms, rto-initial 100ms, rto-max 400ms,
# heartbeat 1s: SCTP-NOTES pitfalls 15 and 16), and runs several mptnd
# "nodes" at once: lib.sh tracks one current mptnd (MPTND_PID, MPTND_LOG);
# node_start / node_use / node_stop keep one of each per node name.
#
# SCTPREC: the record generator and checker (tests/sctprec.py).

SCTP_MODULE=${SCTP_MODULE:-$(dirname "$MPTND")/.libs/sctp.so}
SCTPREC=${SCTPREC:-$_lib_dir/sctprec.py}
[ -f "$SCTP_MODULE" ] || skip "the sctp module was not built ($SCTP_MODULE): configure found no usrsctp"

declare -A NODE_PID=() NODE_LOG=()

# pick_udp_port: a port from pick_port's reserved range that is also free for
# UDP on 127.0.0.1 (the encapsulation socket binds it).
pick_udp_port() {
    local p i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        p=$(pick_port)
        if [ -z "$(ss -Hlun "sport = :$p" 2>/dev/null)" ]; then
            echo "$p"
            return 0
        fi
    done
    hard_error "no free UDP port found"
}

# sctp_conf FILE UDP_PORT [LINE...]: a config that loads the module with
# udp-port UDP_PORT and the test timers, then the extra LINEs (listeners,
# more module settings as "sctp: KEY VALUE").
sctp_conf() {
    local file=$1 udp=$2 l mod=() rest=()
    shift 2
    for l in "$@"; do
        case $l in
            "sctp: "*) mod+=("    ${l#sctp: }");;
            *) rest+=("$l");;
        esac
    done
    {
        echo "transport sctp {"
        echo "    module $SCTP_MODULE"
        echo "    udp-port $udp"
        echo "    rto-min 20ms"
        echo "    rto-initial 100ms"
        echo "    rto-max 400ms"
        echo "    heartbeat 1s"
        for l in "${mod[@]}"; do echo "$l"; done
        echo "}"
        splice_conf
        for l in "${rest[@]}"; do echo "$l"; done
    } > "$file"
}

# node_start NAME CONFIG: start mptnd -f CONFIG (verbose), wait for ready.
node_start() {
    start_mptnd -f "$2" -v -v
    NODE_PID[$1]=$MPTND_PID
    NODE_LOG[$1]=$MPTND_LOG
}

# node_use NAME: make NAME the current mptnd for lib.sh's helpers.
node_use() { MPTND_PID=${NODE_PID[$1]}; MPTND_LOG=${NODE_LOG[$1]}; }

# node_stop NAME: SIGTERM, exit status 0, no sanitizer report.
node_stop() { node_use "$1"; mptnd_stop_clean; }

# node_alive NAME
node_alive() { kill -0 "${NODE_PID[$1]}" 2>/dev/null; }

# node_log NAME: its log file.
node_log() { echo "${NODE_LOG[$1]}"; }

# sctprec ARGS...: the record tool, with the test's PEER_PREFIX.
sctprec() { "${PEER_PREFIX[@]}" python3 "$SCTPREC" "$@"; }

# start_sctprec NAME ARGS...: `sctprec.py listen ...` in the background,
# output in $T/NAME.out/.err; waits for "ready" and sets PEER_PORT[NAME].
start_sctprec() {
    local name=$1; shift
    "${PEER_PREFIX[@]}" python3 "$SCTPREC" listen "$@" > "$T/$name.out" 2> "$T/$name.err" &
    PEER_PID[$name]=$!
    track_pid "$!"
    if ! wait_for_line "$T/$name.out" '^ready' 10 "${PEER_PID[$name]}"; then
        cat "$T/$name.err" >&2
        fail "sctprec listener $name did not become ready"
    fi
    PEER_PORT[$name]=$(sed -n 's/^ready port=\([0-9]*\).*/\1/p;T;q' "$T/$name.out")
}

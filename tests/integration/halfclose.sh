#!/usr/bin/env bash
# halfclose.sh - half-close is relayed in both orders (RELIABILITY R1).
#  client-first: the client sends 1 MiB and shuts its write side; the server
#    reads to EOF and only then replies 1 MiB; the reply reaches the client
#    whole (SHA-256 match) and nothing reached it before its own shutdown.
#  server-first: the server sends 1 MiB and shuts its write side first; the
#    client reads to EOF, then sends 1 MiB, which reaches the server whole.
# Across tcp->unix, unix->tcp, tcp->tcp and mptcp->unix-abstract, once per
# splice mode in SPLICE_MODES (default "off on"), each with a fresh mptnd.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes 1m)
PAIRS="tcp:unix unix:tcp tcp:tcp mptcp:abstract"
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null || echo 0)" != 1 ]; then
    PAIRS="tcp:unix unix:tcp tcp:tcp"       # mptcp missing: cover the rest
fi

# front KIND NAME -> F_URI, F_PEER;  back KIND NAME SERVERARGS... -> B_URI
front() {
    local p
    case $1 in
        tcp) p=$(pick_port); F_URI=tcp://127.0.0.1:$p; F_PEER=tcp:127.0.0.1:$p;;
        mptcp) p=$(pick_port); F_URI=mptcp://127.0.0.1:$p; F_PEER=mptcp:127.0.0.1:$p;;
        unix) F_URI=unix:$(sock_path "$2"); F_PEER=unix:$(sock_path "$2");;
        abstract) F_URI=unix-abstract:$(abstract_name "$2"); F_PEER=abstract:$(abstract_name "$2");;
    esac
}
back() {
    local k=$1 name=$2; shift 2
    case $k in
        tcp) start_peer "$name" tcp:127.0.0.1:0 "$@"; B_URI=tcp://127.0.0.1:${PEER_PORT[$name]};;
        mptcp) start_peer "$name" mptcp:127.0.0.1:0 "$@"; B_URI=mptcp://127.0.0.1:${PEER_PORT[$name]};;
        unix) start_peer "$name" "unix:$(sock_path "$name")" "$@"; B_URI=unix:$(sock_path "$name");;
        abstract) start_peer "$name" "abstract:$(abstract_name "$name")" "$@"
                  B_URI=unix-abstract:$(abstract_name "$name");;
    esac
}

halfclose_mode() {
    local n=0 pair f b c i label early want pipes0
    local -a ARGS=() CASES=()
    local -A FRONT=()
    for pair in $PAIRS; do
        f=${pair%%:*}; b=${pair##*:}
        # client half-closes first
        front "$f" "fa$n"; back "$b" "sa$n" reply-after-eof "$SIZE" --timeout 60
        ARGS+=(--listen "$F_URI" --target "$B_URI"); FRONT[a$n]=$F_PEER
        # server half-closes first
        front "$f" "fb$n"; back "$b" "sb$n" halfclose "$SIZE" --timeout 60
        ARGS+=(--listen "$F_URI" --target "$B_URI"); FRONT[b$n]=$F_PEER
        CASES+=("$n:$f->$b")
        n=$((n + 1))
    done

    start_mptnd "${ARGS[@]}"
    pipes0=$(pipe_fds "$MPTND_PID")

    for c in "${CASES[@]}"; do
        i=${c%%:*}; label=${c#*:}

        # client-first: tpeer halfclose sends, shuts down, reads the reply to EOF
        run_client "ca$i" "${FRONT[a$i]}" halfclose "$SIZE" --timeout 60 ||
            { peer_err "ca$i" >&2; fail "$label client-first: client failed"; }
        peer_wait "sa$i" 10
        [ "$WAIT_RC" = 0 ] || { peer_err "sa$i" >&2; fail "$label client-first: server failed"; }
        check_pair "$label client-first" "ca$i" "sa$i" "$SIZE" "$SIZE"
        early=$(field early "$(done_line "ca$i")")
        [ "$early" = 0 ] || fail "$label client-first: $early reply bytes arrived before the client's shutdown"

        # server-first: the client reads to EOF first, then sends
        run_client "cb$i" "${FRONT[b$i]}" reply-after-eof "$SIZE" --timeout 60 ||
            { peer_err "cb$i" >&2; fail "$label server-first: client failed"; }
        peer_wait "sb$i" 10
        [ "$WAIT_RC" = 0 ] || { peer_err "sb$i" >&2; fail "$label server-first: server failed"; }
        check_pair "$label server-first" "cb$i" "sb$i" "$SIZE" "$SIZE"
        early=$(field early "$(done_line "sb$i")")
        [ "$early" = 0 ] || fail "$label server-first: $early client bytes arrived before the server's shutdown"
        log "$label: half-close both orders, 1 MiB each way, digests match"
    done

    want=$((2 * n))
    wait_for_count "$MPTND_LOG" "closed: reason=done .*up=$SIZE down=$SIZE" "$want" 5 ||
        fail "expected $want close lines 'reason=done up=$SIZE down=$SIZE'"
    mptnd_alive || fail "mptnd died"
    splice_effect_check "$pipes0"
    mptnd_stop_clean
    mode_pass "$n transport pairs, both half-close orders"
}

run_splice_modes halfclose_mode
pass "both half-close orders in each splice mode: $SPLICE_MODES"

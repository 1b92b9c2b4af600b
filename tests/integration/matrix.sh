#!/usr/bin/env bash
# matrix.sh - every (front, back) pair of {tcp4, tcp6, mptcp, unix,
# unix-abstract} carries MATRIX_BYTES (default 64 MiB) in BOTH directions at
# once through one mptnd, with SHA-256 of each stream equal at both ends, and
# mptnd's close line counting the same bytes.  The whole matrix runs once per
# splice mode in SPLICE_MODES (default "off on": the copy path and the
# splice(2) path of pump-fd), each with a fresh mptnd and fresh peers; with
# splice on no pair may fall back to copying, with splice off no pipe is made.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

BYTES=$(bytes "${MATRIX_BYTES:-64m}")
PAR=${MATRIX_PAR:-2}               # client pairs running at once
KINDS="tcp4 tcp6 mptcp unix abstract"

# MPTCP must be usable here; without it the machine lacks a feature.
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null || echo 0)" != 1 ]; then
    skip "MPTCP not enabled (net.mptcp.enabled != 1)"
fi

# front_addr KIND INDEX -> sets F_URI (for mptnd) and F_PEER (for tpeer)
front_addr() {
    local p
    case $1 in
        tcp4) p=$(pick_port); F_URI=tcp://127.0.0.1:$p; F_PEER=tcp:127.0.0.1:$p;;
        tcp6) p=$(pick_port); F_URI="tcp://[::1]:$p"; F_PEER="tcp:[::1]:$p";;
        mptcp) p=$(pick_port); F_URI=mptcp://127.0.0.1:$p; F_PEER=mptcp:127.0.0.1:$p;;
        unix) F_URI=unix:$(sock_path "f$2"); F_PEER=unix:$(sock_path "f$2");;
        abstract) F_URI=unix-abstract:$(abstract_name "f$2"); F_PEER=abstract:$(abstract_name "f$2");;
    esac
}

# start_back KIND INDEX -> starts tpeer server "s$INDEX", sets B_URI
start_back() {
    local k=$1 i=$2 args=(xfer "$BYTES" --seed "$((2000 + $2))" --timeout 170)
    case $k in
        tcp4) start_peer "s$i" tcp:127.0.0.1:0 "${args[@]}"; B_URI=tcp://127.0.0.1:${PEER_PORT[s$i]};;
        tcp6) start_peer "s$i" 'tcp:[::1]:0' "${args[@]}"; B_URI="tcp://[::1]:${PEER_PORT[s$i]}";;
        mptcp) start_peer "s$i" mptcp:127.0.0.1:0 "${args[@]}"; B_URI=mptcp://127.0.0.1:${PEER_PORT[s$i]};;
        unix) start_peer "s$i" "unix:$(sock_path "b$i")" "${args[@]}"; B_URI=unix:$(sock_path "b$i");;
        abstract) start_peer "s$i" "abstract:$(abstract_name "b$i")" "${args[@]}"
                  B_URI=unix-abstract:$(abstract_name "b$i");;
    esac
}

check_one() {
    local k=$1
    peer_wait "c$k" 180
    [ "$WAIT_RC" = 0 ] || { peer_err "c$k" >&2; fail "${LABEL[k]}: client exit $WAIT_RC"; }
    peer_wait "s$k" 30
    [ "$WAIT_RC" = 0 ] || { peer_err "s$k" >&2; fail "${LABEL[k]}: server exit $WAIT_RC"; }
    check_pair "${LABEL[k]}" "c$k" "s$k" "$BYTES" "$BYTES"
    log "${LABEL[k]}: $BYTES bytes each way, digests match ($(field t_total "$(done_line "c$k")") s)"
}

# matrix_mode: the 25 pairs through one fresh mptnd, in splice mode $SPLICE.
matrix_mode() {
    local i=0 j k f b N t_start pipes0
    local -a ARGS=() batch=()
    LABEL=(); FRONT=()
    for f in $KINDS; do
        for b in $KINDS; do
            front_addr "$f" "$i"
            start_back "$b" "$i"
            ARGS+=(--listen "$F_URI" --target "$B_URI")
            LABEL[i]="$f->$b"
            FRONT[i]=$F_PEER
            i=$((i + 1))
        done
    done
    N=$i

    start_mptnd "${ARGS[@]}"
    pipes0=$(pipe_fds "$MPTND_PID")
    t_start=$(now_s)

    # Run the pairs PAR at a time.
    k=0
    while [ "$k" -lt "$N" ]; do
        batch=()
        for ((j = 0; j < PAR && k < N; j++, k++)); do
            start_client "c$k" "${FRONT[k]}" xfer "$BYTES" --seed "$((1000 + k))" --timeout 170
            batch+=("$k")
        done
        for j in "${batch[@]}"; do check_one "$j"; done
    done

    # mptnd's own accounting: one "done" close line per pair with the byte counts.
    wait_for_count "$MPTND_LOG" "closed: reason=done .*up=$BYTES down=$BYTES" "$N" 5 ||
        fail "expected $N close lines 'reason=done ... up=$BYTES down=$BYTES', got $(count_lines "$MPTND_LOG" "closed: reason=done .*up=$BYTES down=$BYTES")"
    mptnd_alive || fail "mptnd died"
    splice_effect_check "$pipes0"
    mptnd_stop_clean
    mode_pass "$N pairs x $BYTES bytes both ways in $(fsub "$(now_s)" "$t_start") s"
}

declare -a LABEL=() FRONT=()
run_splice_modes matrix_mode
pass "25 pairs in each splice mode: $SPLICE_MODES"

#!/usr/bin/env bash
# failover.sh - targets are tried in order (RELIABILITY R3), once per splice
# mode in SPLICE_MODES (default "off on"), each with a fresh mptnd.
#  1. listener "fo": first target is a closed TCP port (refused), second a
#     tpeer: a 1 MiB transfer each way arrives with matching SHA-256, the
#     first reply byte reaches the client in < 1 s (a refusal is not a
#     timeout), and the close line says reason=done.
#  2. listener "dead": both targets refuse (a closed TCP port, a unix path
#     with no socket): the client's connection is closed with no data in
#     < 2 s and the close line says reason=connect-failed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes 1m)

failover_mode() {
    local CLOSED P1 P2 t_first l pipes0
    CLOSED=$(pick_port)            # reserved for this test and never listened on
    P1=$(pick_port); P2=$(pick_port)
    start_peer srv tcp:127.0.0.1:0 xfer "$SIZE" --timeout 60
    listening_tcp "$CLOSED" && fail "port $CLOSED unexpectedly has a listener"

    start_mptnd \
        --listen tcp://127.0.0.1:$P1 --target tcp://127.0.0.1:$CLOSED --target tcp://127.0.0.1:${PEER_PORT[srv]} \
        --listen tcp://127.0.0.1:$P2 --target tcp://127.0.0.1:$CLOSED --target "unix:$T/nobody-listens.sock"
    pipes0=$(pipe_fds "$MPTND_PID")

    run_client cli tcp:127.0.0.1:$P1 xfer "$SIZE" --timeout 60 ||
        { peer_err cli >&2; fail "client through the failover listener failed"; }
    peer_wait srv 10
    [ "$WAIT_RC" = 0 ] || { peer_err srv >&2; fail "server failed"; }
    check_pair "failover" cli srv "$SIZE" "$SIZE"
    t_first=$(field t_first "$(done_line cli)")
    fcmp "$t_first < 1.0" || fail "first byte after ${t_first} s: failover past a refused target took too long"
    wait_for_line "$MPTND_LOG" "closed: reason=done .*up=$SIZE down=$SIZE" 5 ||
        fail "no 'reason=done up=$SIZE down=$SIZE' close line for the failover bridge"
    log "refused first target, second answered: 1 MiB each way ok, first byte after ${t_first} s"

    run_client dead tcp:127.0.0.1:$P2 wait-close --timeout 10 ||
        { peer_out dead >&2; peer_err dead >&2; fail "all-refused listener: client did not see a close"; }
    l=$(out_line dead '^closed')
    [ "$(field recv "$l")" = 0 ] || fail "all-refused listener sent data to the client: $l"
    fcmp "$(field t_total "$l") < 2.0" || fail "all-refused listener: close took $(field t_total "$l") s"
    wait_for_line "$MPTND_LOG" 'closed: reason=connect-failed' 5 ||
        fail "no 'closed: reason=connect-failed' line when every target refuses"
    log "every target refused: client closed after $(field t_total "$l") s ($(field how "$l")), log says connect-failed"

    mptnd_alive || fail "mptnd died"
    splice_effect_check "$pipes0"
    mptnd_stop_clean
    mode_pass "failover past a refused target; all-refused closed in $(field t_total "$l") s"
}

run_splice_modes failover_mode
pass "failover in each splice mode: $SPLICE_MODES"

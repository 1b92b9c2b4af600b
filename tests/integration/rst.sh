#!/usr/bin/env bash
# rst.sh - the client resets its connection mid-stream (RELIABILITY R6), once
# per splice mode in SPLICE_MODES (default "off on"), each with a fresh mptnd
# (one worker: pools are per worker, so the fd baseline is exact).  Two ways,
# through one tcp listener to a tpeer server offering RST_BYTES (256 MiB):
#   active:  the client sends and receives at full speed and, once it has
#            received 32 MiB, resets (SO_LINGER 0, close: tpeer --rst-after);
#   stalled: the client only reads; at 16 MiB it stops reading for 1 s, so
#            mptnd's buffer or pipe and both legs' socket buffers fill and the
#            server's send blocks, and then resets.
# Each time: the reset came before the client finished sending (no FIN went
# first); the server sees its connection closed (RST or FIN; tpeer
# --report-close) within 1 s of the reset; mptnd's fd count is back at its
# baseline (taken after a warm-up transfer) within 1 s of the reset; the close
# line says reason=front-reset or front-error.  Afterwards mptnd is alive and
# relays a full RST_BYTES transfer each way on the same listener with
# matching SHA-256.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes "${RST_BYTES:-256m}")

# after_rst LABEL CLIENT BASE_FDS CONN MARK: the checks that follow a client's
# reset; CONN is the server's number for that connection, MARK the mptnd log
# line count before it.
after_rst() {
    local label=$1 c=$2 base=$3 conn=$4 mark=$5 rl t_rst pl dt fds ok= i
    peer_wait "$c" 60
    [ "$WAIT_RC" = 0 ] || { peer_err "$c" >&2; fail "$label: client exit $WAIT_RC"; }
    rl=$(out_line "$c" '^rst ')
    [ -n "$rl" ] || { peer_out "$c" >&2; fail "$label: the client never reset its connection"; }
    t_rst=$(field t_wall "$rl")
    [ "$(field sent "$rl")" -lt "$SIZE" ] || fail "$label: the client had sent everything (and shut down) before its reset: $rl"

    # mptnd's fd count back at the baseline within 1 s of the reset; pooled
    # pipes are not counted: how many the pool keeps depends on whether a
    # direction's pipe was empty when its bridge ended (the pool is capped)
    while :; do
        fds=$(( $(fd_count "$MPTND_PID") - $(pipe_fds "$MPTND_PID") ))
        dt=$(fsub "$(now_s)" "$t_rst")
        if [ "$fds" -le "$base" ]; then ok=1; break; fi
        fcmp "$dt > 1.0" && break
        sleep 0.02
    done
    [ -n "$ok" ] || fail "$label: mptnd still has $fds fds ${dt} s after the reset (baseline $base)"
    log "$label: mptnd fds back to $fds (baseline $base) ${dt} s after the reset"

    wait_for_line "$T/srv.out" "^peer-closed conn=$conn " 5 ||
        fail "$label: the server never saw its connection closed"
    pl=$(out_line srv "^peer-closed conn=$conn ")
    dt=$(fsub "$(field t_wall "$pl")" "$t_rst")
    fcmp "$dt < 1.0" || fail "$label: the server saw the close ${dt} s after the reset (bound 1 s): $pl"
    [ "$(field recv "$pl")" -lt "$SIZE" ] || fail "$label: the server got the client's whole stream: $pl"
    log "$label: client reset after $(field recv "$rl") bytes received; server saw $(field how "$pl") ${dt} s later"

    ok=
    for i in $(seq 1 40); do
        log_since "$mark" | grep -q 'closed: ' && { ok=1; break; }
        sleep 0.05
    done
    [ -n "$ok" ] || fail "$label: no close line for the bridge 2 s after the reset"
    log_since "$mark" | grep 'closed: ' | grep -Eq 'closed: reason=front-(reset|error)' ||
        fail "$label: want 'closed: reason=front-reset' (or front-error): $(log_since "$mark" | grep 'closed: ')"
    log "$label: $(log_since "$mark" | grep -o 'closed: reason=front-[a-z]*' | head -n1)"
    mptnd_alive || fail "$label: mptnd died after the reset"
}

rst_mode() {
    local P W base mark
    P=$(pick_port); W=$(pick_port)
    start_peer srv tcp:127.0.0.1:0 xfer "$SIZE" --count 3 --report-close --timeout 170
    start_peer warm tcp:127.0.0.1:0 xfer 4m --timeout 60
    start_mptnd -w 1 --listen tcp://127.0.0.1:$P --target tcp://127.0.0.1:${PEER_PORT[srv]} \
                     --listen tcp://127.0.0.1:$W --target tcp://127.0.0.1:${PEER_PORT[warm]}

    # warm-up: one transfer each way at once, so the worker's pools hold what
    # a bridge takes (a buffer or a pipe per direction)
    run_client warmc tcp:127.0.0.1:$W xfer 4m --timeout 60 || { peer_err warmc >&2; fail "warm-up transfer failed"; }
    wait_for_count "$MPTND_LOG" 'closed: reason=done' 1 5 || fail "warm-up bridge did not close"
    sleep 0.2
    base=$(( $(fd_count "$MPTND_PID") - $(pipe_fds "$MPTND_PID") ))
    log "baseline: $base fds (pipes not counted)"

    mark=$(log_mark)
    start_client active tcp:127.0.0.1:$P xfer "$SIZE" --rst-after 32m --timeout 120
    after_rst active active "$base" 1 "$mark"

    mark=$(log_mark)
    start_client stalled tcp:127.0.0.1:$P sink --rst-after 16m --rst-wait 1 --timeout 120
    wait_for_line "$T/stalled.out" '^rst-wait ' 30 "${PEER_PID[stalled]}" ||
        { peer_err stalled >&2; fail "stalled: the client never got 16 MiB"; }
    after_rst stalled stalled "$base" 2 "$mark"

    run_client after tcp:127.0.0.1:$P xfer "$SIZE" --timeout 120 ||
        { peer_err after >&2; fail "a new connection after the resets failed"; }
    peer_wait srv 30
    check_pair "after the resets" after srv "$SIZE" "$SIZE"
    mptnd_alive || fail "mptnd died"
    mptnd_stop_clean
    mode_pass "reset while active and while stalled: server saw the close, fds back to $base, front-reset logged; a new $SIZE-byte transfer each way is intact"
}

run_splice_modes rst_mode
pass "client reset mid-stream in each splice mode: $SPLICE_MODES"

#!/usr/bin/env bash
# signals.sh - SIGTERM drains (RELIABILITY R10), once per splice mode in
# SPLICE_MODES (default "off on"), each with a fresh mptnd.  With one idle
# relayed connection open and a 64 MiB-each-way transfer running (its client
# pauses reading for 3 s so it spans the signal), mptnd gets SIGTERM: within
# 1 s both listeners refuse new connections, the transfer finishes with
# matching SHA-256 both ways and reason=done, and once the idle client goes
# away mptnd exits with status 0 within 5 s.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes 64m)

signals_mode() {
    local P1 P2 t_term refused dt
    P1=$(pick_port); P2=$(pick_port)
    start_peer big tcp:127.0.0.1:0 xfer "$SIZE" --timeout 90
    start_peer idle_srv tcp:127.0.0.1:0 hold --timeout 90
    start_mptnd --listen tcp://127.0.0.1:$P1 --target tcp://127.0.0.1:${PEER_PORT[big]} \
                --listen tcp://127.0.0.1:$P2 --target tcp://127.0.0.1:${PEER_PORT[idle_srv]}

    start_client idle tcp:127.0.0.1:$P2 hold --count 1 --timeout 90
    wait_for_line "$T/idle.out" '^ready connected=1' 10 "${PEER_PID[idle]}" || fail "idle connection not made"
    wait_for_line "$T/idle_srv.out" '^accepted' 5 || fail "idle connection not relayed to its server"
    start_client xfer tcp:127.0.0.1:$P1 xfer "$SIZE" --pause-after 1m --pause 3 --timeout 90
    wait_for_line "$T/xfer.out" '^paused' 20 "${PEER_PID[xfer]}" || { peer_err xfer >&2; fail "transfer did not start"; }

    kill -TERM "$MPTND_PID"
    t_term=$(now_s)
    refused=
    for _ in $(seq 1 20); do
        if ! run_client probe1 tcp:127.0.0.1:$P1 probe --timeout 1 && grep -q '^probe=refused' "$T/probe1.out" &&
           ! run_client probe2 tcp:127.0.0.1:$P2 probe --timeout 1 && grep -q '^probe=refused' "$T/probe2.out"; then
            refused=1; break
        fi
        sleep 0.05
    done
    dt=$(fsub "$(now_s)" "$t_term")
    [ -n "$refused" ] || fail "listeners still accepting ${dt} s after SIGTERM ($(peer_out probe1) / $(peer_out probe2))"
    fcmp "$dt <= 1.0" || fail "listeners took ${dt} s to close after SIGTERM"
    log "listeners refuse new connections ${dt} s after SIGTERM"
    grep -q '^done' "$T/xfer.out" && fail "transfer ended before it was tested across SIGTERM (pause too short?)"

    peer_wait xfer 90
    [ "$WAIT_RC" = 0 ] || { peer_err xfer >&2; fail "the running transfer was cut by SIGTERM"; }
    peer_wait big 20
    [ "$WAIT_RC" = 0 ] || { peer_err big >&2; fail "server of the transfer failed"; }
    check_pair "transfer across SIGTERM" xfer big "$SIZE" "$SIZE"
    wait_for_line "$MPTND_LOG" "closed: reason=done .*up=$SIZE down=$SIZE" 5 || fail "no reason=done close line for the transfer"
    log "transfer across SIGTERM finished: 64 MiB each way, digests match"
    if [ "$SPLICE" = on ] && grep -q 'splice failed' "$MPTND_LOG"; then
        fail "splice on: mptnd fell back to copying: $(grep -m1 'splice failed' "$MPTND_LOG")"
    fi

    peer_stop idle
    wait_pid "$MPTND_PID" 5 || fail "mptnd still running 5 s after its last connection closed"
    [ "$WAIT_RC" = 0 ] || fail "mptnd exited with status $WAIT_RC after SIGTERM, want 0"
    mode_pass "drained and exited 0 $(fsub "$(now_s)" "$t_term") s after SIGTERM"
}

run_splice_modes signals_mode
pass "SIGTERM drain in each splice mode: $SPLICE_MODES"

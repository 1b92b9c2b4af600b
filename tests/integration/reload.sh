#!/usr/bin/env bash
# reload.sh - SIGHUP re-reads the config (RELIABILITY R9), once per splice
# mode in SPLICE_MODES (default "off on"; `splice MODE` at the top of every
# generation of the config), each with a fresh mptnd.
#  1. A 64 MiB transfer each way runs through listener A (its client pauses
#     reading for 4 s so the bridge is alive across the reload).  The config
#     is rewritten to add listener B (tcp + unix) and mptnd gets SIGHUP: B
#     starts listening and relays 5 verified echoes over tcp and 3 over unix,
#     A's listening socket is the same socket as before (same inode), and the
#     transfer on A completes with matching SHA-256 both ways.
#  2. The config is replaced by a broken one and mptnd gets SIGHUP: it logs a
#     new error line, keeps running, and A (a second 64 MiB transfer) and B
#     (5 echoes) still work.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes 64m)

conf_a() {
    cat <<EOF
# reload test: generation 1
$(splice_conf)
workers 2
listener a {
    listen tcp://127.0.0.1:$PA
    target tcp://127.0.0.1:${PEER_PORT[sa]}
}
EOF
}
conf_b() {
    cat <<EOF
listener b {
    listen tcp://127.0.0.1:$PB unix:$UB
    target tcp://127.0.0.1:${PEER_PORT[sb]}
}
EOF
}
inode_a() { ss -Hltne "sport = :$PA" | grep -o 'ino:[0-9]*' | sort | tr '\n' ' '; }

reload_mode() {
    local CONF=$T/mptnd.conf ino_before ino_after ok mark pipes0
    PA=$(pick_port); PB=$(pick_port)
    UB=$(sock_path b)

    start_peer sa tcp:127.0.0.1:0 xfer "$SIZE" --count 2 --timeout 120
    start_peer sb tcp:127.0.0.1:0 echo --conc --count 0 --timeout 120

    conf_a | write_conf "$CONF"
    start_mptnd -f "$CONF"
    pipes0=$(pipe_fds "$MPTND_PID")
    ino_before=$(inode_a)

    start_client ca tcp:127.0.0.1:$PA xfer "$SIZE" --pause-after 1m --pause 4 --timeout 120
    wait_for_line "$T/ca.out" '^paused' 20 "${PEER_PID[ca]}" || { peer_err ca >&2; fail "transfer on A did not start"; }

    { conf_a; conf_b; } | write_conf "$CONF"
    kill -HUP "$MPTND_PID"
    ok=
    for _ in $(seq 1 100); do
        listening_tcp "$PB" && [ -S "$UB" ] && { ok=1; break; }
        sleep 0.05
    done
    [ -n "$ok" ] || fail "listener B (tcp :$PB and $UB) not listening 5 s after SIGHUP"
    run_client b1 tcp:127.0.0.1:$PB many 5 --timeout 20 || fail "echo through new listener B (tcp) failed: $(peer_out b1)"
    run_client b2 "unix:$UB" many 3 --timeout 20 || fail "echo through new listener B (unix) failed: $(peer_out b2)"
    grep -q '^done' "$T/ca.out" && fail "the transfer on A was over before the reload was tested (pause too short?)"
    ino_after=$(inode_a)
    [ "$ino_before" = "$ino_after" ] ||
        fail "listener A was rebound by a reload that did not change it (socket inodes '$ino_before' -> '$ino_after')"
    mptnd_alive || fail "mptnd died on SIGHUP"
    log "reload added listener B while a transfer ran on A; B relayed 8 echoes; A kept its socket"

    peer_wait ca 120
    [ "$WAIT_RC" = 0 ] || { peer_err ca >&2; fail "transfer on A failed across the reload"; }
    wait_for_count "$T/sa.out" '^done' 1 10 || fail "server of A did not finish"
    check_pair "A across reload" ca sa "$SIZE" "$SIZE"
    log "transfer on A across the reload: 64 MiB each way, digests match"

    # generation 3: broken (unknown directive); the running config must stay
    { conf_a; conf_b; echo "this-is-not-a-directive 1"; } | write_conf "$CONF"
    mark=$(log_mark)
    kill -HUP "$MPTND_PID"
    ok=
    for _ in $(seq 1 100); do
        log_since "$mark" | grep -qi 'error' && { ok=1; break; }
        sleep 0.05
    done
    [ -n "$ok" ] || fail "no error logged within 5 s of SIGHUP with a broken config"
    sleep 0.3
    mptnd_alive || fail "mptnd exited on a broken config reload"
    log "broken config: $(log_since "$mark" | grep -i error | head -n1)"

    run_client ca2 tcp:127.0.0.1:$PA xfer "$SIZE" --timeout 60 ||
        { peer_err ca2 >&2; fail "listener A broken after the bad reload"; }
    peer_wait sa 20
    [ "$WAIT_RC" = 0 ] || { peer_err sa >&2; fail "server of A failed"; }
    check_pair "A after bad reload" ca2 sa "$SIZE" "$SIZE"
    run_client b3 tcp:127.0.0.1:$PB many 5 --timeout 20 || fail "listener B broken after the bad reload: $(peer_out b3)"
    mptnd_alive || fail "mptnd died"
    splice_effect_check "$pipes0"
    mptnd_stop_clean
    mode_pass "listener added by SIGHUP, transfer across it intact, bad config rejected"
}

PA= PB= UB=
run_splice_modes reload_mode
pass "reload in each splice mode: $SPLICE_MODES"

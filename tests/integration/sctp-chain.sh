#!/usr/bin/env bash
# sctp-chain.sh - two mptnd nodes joined by SCTP (the sctp module, usrsctp over
# UDP on 127.0.0.1): A takes tcp/unix and dials sctp://, B takes sctp:// and
# dials tcp/unix.  tpeer plays client (at A) and server (behind B).
#  1. xfer: SCTP_BYTES (default 64 MiB) each way at once, tcp -> sctp -> tcp
#     with peer=mptnd, SHA-256 equal both ways, both nodes log reason=done.
#  2. half-close through two nodes (peer=mptnd: in-band end of stream):
#     client first (the client's half-close reaches the server, which answers
#     1 MiB after EOF, and the answer arrives whole, none of it early), and
#     server first.
#  3. the same xfer and client-first half-close with unix: fronts and backs.
#  4. half-close=close without peer=mptnd (graceful SHUTDOWN at EOF): the
#     server sends 8 MiB and shuts its side; B turns that into SHUTDOWN after
#     the queue, A delivers all 8 MiB and then EOF to the client, which only
#     then closes.  (Under half-close=close the side that did not shut first
#     cannot send after the SHUTDOWN: the policy suits request/response.)
#  5. backpressure: the server stops reading for 2 s after 1 MiB of a 64 MiB
#     upload; 1.5 s in, the client is still blocked well short of 64 MiB
#     (every buffer on the way is bounded: relays, usrsctp's send and receive
#     buffers, the socket pairs), neither node's RSS has grown by 32 MiB, and
#     afterwards all 64 MiB arrive intact.
# Once per splice mode in SPLICE_MODES (the socket pairs are kernel fds).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

BIG=$(bytes "${SCTP_BYTES:-64m}")
HC=$(bytes 1m)
SMALL=$(bytes 8m)

chain_mode() {
    local ua ub s1 s2 s3 s4 s5 s6 f1 f2 f3 f6 x
    ua=$(pick_udp_port); ub=$(pick_udp_port)
    s1=$(pick_port); s2=$(pick_port); s3=$(pick_port); s4=$(pick_port); s5=$(pick_port); s6=$(pick_port)
    f1=$(pick_port); f2=$(pick_port); f3=$(pick_port); f6=$(pick_port); f7=$(pick_port); s7=$(pick_port)

    start_peer sx tcp:127.0.0.1:0 xfer "$BIG" --timeout 120 --seed 2
    start_peer sh tcp:127.0.0.1:0 reply-after-eof "$HC" --timeout 60
    start_peer ss tcp:127.0.0.1:0 halfclose "$HC" --timeout 60
    start_peer su "unix:$T/su.sock" xfer "$SMALL" --timeout 60
    start_peer suh "unix:$T/suh.sock" reply-after-eof "$HC" --timeout 60
    start_peer sc tcp:127.0.0.1:0 xfer "$SMALL" --timeout 60 --seed 2
    start_peer sp tcp:127.0.0.1:0 sink --pause-after 1m --pause 2 --timeout 60

    sctp_conf "$T/b.conf" "$ub" \
        "listener bx { listen \"sctp://127.0.0.1:$s1?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[sx]} }" \
        "listener bh { listen \"sctp://127.0.0.1:$s2?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[sh]} }" \
        "listener bs { listen \"sctp://127.0.0.1:$s3?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[ss]} }" \
        "listener bu { listen \"sctp://127.0.0.1:$s4?peer=mptnd\"; target unix:$T/su.sock }" \
        "listener buh { listen \"sctp://127.0.0.1:$s5?peer=mptnd\"; target unix:$T/suh.sock }" \
        "listener bc { listen \"sctp://127.0.0.1:$s6?half-close=close\"; target tcp://127.0.0.1:${PEER_PORT[sc]} }" \
        "listener bp { listen \"sctp://127.0.0.1:$s7?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[sp]} }"
    sctp_conf "$T/a.conf" "$ua" \
        "listener ax { listen tcp://127.0.0.1:$f1; target \"sctp://127.0.0.1:$s1?udp=$ub&peer=mptnd\" }" \
        "listener ah { listen tcp://127.0.0.1:$f2; target \"sctp://127.0.0.1:$s2?udp=$ub&peer=mptnd\" }" \
        "listener as { listen tcp://127.0.0.1:$f3; target \"sctp://127.0.0.1:$s3?udp=$ub&peer=mptnd\" }" \
        "listener au { listen unix:$T/au.sock; target \"sctp://127.0.0.1:$s4?udp=$ub&peer=mptnd\" }" \
        "listener auh { listen unix:$T/auh.sock; target \"sctp://127.0.0.1:$s5?udp=$ub&peer=mptnd\" }" \
        "listener ac { listen tcp://127.0.0.1:$f6; target \"sctp://127.0.0.1:$s6?udp=$ub&half-close=close\" }" \
        "listener ap { listen tcp://127.0.0.1:$f7; target \"sctp://127.0.0.1:$s7?udp=$ub&peer=mptnd\" }"
    node_start b "$T/b.conf"
    node_start a "$T/a.conf"

    # 1. bulk both ways
    local t0 t1
    t0=$(now_s)
    run_client cx tcp:127.0.0.1:$f1 xfer "$BIG" --timeout 120 --seed 1 ||
        { peer_err cx >&2; fail "tcp->sctp->tcp xfer: client failed"; }
    t1=$(now_s)
    peer_wait sx 20
    [ "$WAIT_RC" = 0 ] || { peer_err sx >&2; fail "tcp->sctp->tcp xfer: server failed"; }
    check_pair "tcp->sctp->tcp xfer" cx sx "$BIG" "$BIG"
    log "tcp->sctp->tcp: $BIG bytes each way, digests match, $(fsub "$t1" "$t0") s"

    # 2. half-close, client first and server first
    run_client ch tcp:127.0.0.1:$f2 halfclose "$HC" --timeout 60 ||
        { peer_err ch >&2; fail "client-first half-close: client failed"; }
    peer_wait sh 10
    [ "$WAIT_RC" = 0 ] || { peer_err sh >&2; fail "client-first half-close: server failed"; }
    check_pair "client-first half-close" ch sh "$HC" "$HC"
    x=$(field early "$(done_line ch)")
    [ "$x" = 0 ] || fail "client-first half-close: $x reply bytes before the client's shutdown"
    log "half-close client first: the server read EOF, answered $HC bytes, all arrived"

    run_client cs tcp:127.0.0.1:$f3 reply-after-eof "$HC" --timeout 60 ||
        { peer_err cs >&2; fail "server-first half-close: client failed"; }
    peer_wait ss 10
    [ "$WAIT_RC" = 0 ] || { peer_err ss >&2; fail "server-first half-close: server failed"; }
    check_pair "server-first half-close" cs ss "$HC" "$HC"
    x=$(field early "$(done_line ss)")
    [ "$x" = 0 ] || fail "server-first half-close: $x client bytes before the server's shutdown"
    log "half-close server first: ok"

    # 3. unix fronts and backs
    run_client cu "unix:$T/au.sock" xfer "$SMALL" --timeout 60 ||
        { peer_err cu >&2; fail "unix->sctp->unix xfer: client failed"; }
    peer_wait su 10
    check_pair "unix->sctp->unix xfer" cu su "$SMALL" "$SMALL"
    run_client cuh "unix:$T/auh.sock" halfclose "$HC" --timeout 60 ||
        { peer_err cuh >&2; fail "unix->sctp->unix half-close: client failed"; }
    peer_wait suh 10
    check_pair "unix->sctp->unix half-close" cuh suh "$HC" "$HC"
    x=$(field early "$(done_line cuh)")
    [ "$x" = 0 ] || fail "unix half-close: $x reply bytes early"
    log "unix->sctp->unix: xfer $SMALL each way and client-first half-close ok"

    # 4. half-close=close, plain SCTP peers
    run_client cc tcp:127.0.0.1:$f6 reply-after-eof 0 --timeout 60 ||
        { peer_err cc >&2; fail "half-close=close: client failed"; }
    peer_wait sc 10
    [ "$WAIT_RC" = 0 ] || { peer_err sc >&2; fail "half-close=close: server failed"; }
    check_pair "half-close=close" cc sc 0 "$SMALL"
    log "half-close=close (SHUTDOWN at EOF): $SMALL then EOF delivered"

    # 5. a reader that pauses: bounded memory, then everything arrives
    local rss_a rss_b grow_a grow_b big2
    big2=$(bytes 64m)
    rss_a=$(rss_kb "${NODE_PID[a]}"); rss_b=$(rss_kb "${NODE_PID[b]}")
    start_client cp tcp:127.0.0.1:$f7 xfer "$big2" --timeout 60 --progress 0.25
    sleep 1.5
    grow_a=$(( $(rss_kb "${NODE_PID[a]}") - rss_a )); grow_b=$(( $(rss_kb "${NODE_PID[b]}") - rss_b ))
    x=$(field sent "$(out_line cp '^progress')")
    [ -n "$x" ] && [ "$x" -lt $((big2 / 2)) ] ||
        fail "slow reader: 1.5 s into the pause the client had sent ${x:-?} of $big2 bytes: no backpressure"
    peer_wait cp 60
    [ "$WAIT_RC" = 0 ] || { peer_err cp >&2; fail "slow reader: client failed"; }
    peer_wait sp 10
    check_pair "slow reader" cp sp "$big2" 0
    [ "$grow_a" -lt 32768 ] && [ "$grow_b" -lt 32768 ] ||
        fail "slow reader: RSS grew by ${grow_a} KiB (A) and ${grow_b} KiB (B) while the reader paused"
    log "slow reader: blocked at $x bytes during the pause, RSS +${grow_a} KiB (A), +${grow_b} KiB (B); $big2 bytes arrived"

    for x in a b; do
        node_use $x
        wait_for_count "$MPTND_LOG" "closed: reason=done" 7 10 ||
            fail "node $x: expected 7 'closed: reason=done' lines"
        wait_for_count "$MPTND_LOG" "sctp assoc [0-9]+ .*: closed \\(shut down" 7 10 ||
            fail "node $x: expected 7 associations shut down gracefully"
        grep -q "sctp assoc .*aborted" "$MPTND_LOG" && fail "node $x: an association was aborted"
    done
    node_stop a
    node_stop b
    mode_pass "tcp and unix through two nodes: xfer, half-close both orders, half-close=close, slow reader"
}

run_splice_modes chain_mode
pass "sctp chain in each splice mode: $SPLICE_MODES (bulk $BIG bytes each way)"

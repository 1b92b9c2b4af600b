#!/usr/bin/env bash
# slowreader.sh - backpressure (RELIABILITY R2), once per splice mode in
# SPLICE_MODES (default "off on"; `splice MODE` in the config), each with a
# fresh mptnd.  The server offers 256 MiB; the client reads 1 MiB, then stops
# reading for PAUSE (5) seconds.  mptnd runs with "buffer 64k", so while the
# client is stalled:
#  - mptnd's RSS stays within baseline + 8 MiB (the relay may hold at most a
#    few 64 KiB buffers per direction; on the splice path the bytes sit in a
#    64 KiB pipe, kernel memory that RSS does not show, and the same bound
#    applies);
#  - the server's send() blocks: from 1 s into the stall until 0.6 s before
#    its end the server's own progress lines (tpeer --progress) show it wrote
#    at most SLOWREADER_SEND_SLACK_KB (default 1024) more bytes, and what it
#    has written beyond what the client read (the bytes in flight) is at most
#    2 x (tcp_rmem max + tcp_wmem max) + 2 x 64 KiB: a socket receive and send
#    buffer on each of the two legs, plus mptnd's buffer and pipe;
#  - the server has not finished sending.
# After the pause the client reads the rest and the SHA-256 of the 256 MiB
# matches.  Baseline = RSS after a warm-up of 4 concurrent 1 MiB transfers
# through the same daemon.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes 256m)
PAUSE=${SLOWREADER_PAUSE:-5}
SLACK_KB=${SLOWREADER_SLACK_KB:-8192}      # baseline + 8 MiB
SEND_SLACK_KB=${SLOWREADER_SEND_SLACK_KB:-1024}
BUF=65536
read -r _ _ RMEM_MAX < /proc/sys/net/ipv4/tcp_rmem
read -r _ _ WMEM_MAX < /proc/sys/net/ipv4/tcp_wmem
INFLIGHT_MAX=$(( 2 * (RMEM_MAX + WMEM_MAX) + 2 * BUF ))
# Under AddressSanitizer freed chunks sit in a quarantine (256 MiB by default),
# which would count as RSS growth here without any leak; keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

# server_sent: bytes the server had written at its last progress line.
server_sent() { field sent "$(out_line big '^progress ')"; }

slowreader_mode() {
    local P W i base pipes0 t_pause max n r growth s1 s2 sent_growth inflight
    start_peer big tcp:127.0.0.1:0 xfer "$SIZE" --progress 0.2 --timeout 120
    start_peer warm tcp:127.0.0.1:0 xfer 1m --conc --count 4 --timeout 60
    P=$(pick_port); W=$(pick_port)

    cat > "$T/mptnd.conf" <<EOC
$(splice_conf)
listener slow {
    listen tcp://127.0.0.1:$P
    target tcp://127.0.0.1:${PEER_PORT[big]}
    buffer 64k
}
listener warm {
    listen tcp://127.0.0.1:$W
    target tcp://127.0.0.1:${PEER_PORT[warm]}
    buffer 64k
}
EOC
    start_mptnd -f "$T/mptnd.conf"
    pipes0=$(pipe_fds "$MPTND_PID")

    # warm-up: 4 concurrent 1 MiB transfers, so code paths, worker stacks and
    # pipes exist before the baseline is taken
    for i in 1 2 3 4; do start_client "w$i" tcp:127.0.0.1:$W xfer 1m --timeout 30; done
    for i in 1 2 3 4; do
        peer_wait "w$i" 40; [ "$WAIT_RC" = 0 ] || { peer_err "w$i" >&2; fail "warm-up transfer $i failed"; }
    done
    peer_wait warm 10
    wait_for_count "$MPTND_LOG" 'closed: ' 4 5 || fail "warm-up close lines missing"
    sleep 0.3
    base=$(rss_kb "$MPTND_PID")
    log "baseline RSS ${base} kB"

    start_client slow tcp:127.0.0.1:$P sink --pause-after 1m --pause "$PAUSE" --timeout 120
    wait_for_line "$T/slow.out" '^paused' 20 "${PEER_PID[slow]}" ||
        { peer_err slow >&2; fail "client never reached its pause"; }
    t_pause=$(now_s)

    # let every buffer on the path fill, then sample until just before the pause ends
    sleep 1
    s1=$(server_sent)
    max=0; n=0
    while fcmp "$(fsub "$(now_s)" "$t_pause") < $PAUSE - 0.6"; do
        r=$(rss_kb "$MPTND_PID")
        grep -q '^resumed' "$T/slow.out" && break     # only samples taken during the stall count
        [ "$r" -gt "$max" ] && max=$r
        s2=$(server_sent)
        n=$((n + 1))
        sleep 0.2
    done
    [ "$n" -gt 0 ] || fail "no RSS sample could be taken during the ${PAUSE} s stall (machine overloaded?)"
    grep -q '^shut' "$T/big.out" &&
        fail "server finished sending 256 MiB while the client was not reading: no backpressure"
    growth=$((max - base))
    log "RSS during the stall: max ${max} kB over $n samples, growth ${growth} kB (bound ${SLACK_KB} kB)"
    [ "$growth" -le "$SLACK_KB" ] ||
        fail "RSS grew by ${growth} kB while the reader was stalled (bound ${SLACK_KB} kB with buffer 64k)"
    [ -n "$s1" ] && [ -n "$s2" ] || fail "the server printed no progress lines during the stall"
    sent_growth=$((s2 - s1))
    inflight=$((s2 - $(bytes 1m)))
    log "server during the stall: sent $s1 -> $s2 bytes (+$sent_growth, bound $((SEND_SLACK_KB * 1024))); in flight $inflight (bound $INFLIGHT_MAX)"
    [ "$sent_growth" -le $((SEND_SLACK_KB * 1024)) ] ||
        fail "the server wrote $sent_growth more bytes during the stall (bound $((SEND_SLACK_KB * 1024))): its send() did not block"
    [ "$inflight" -le "$INFLIGHT_MAX" ] ||
        fail "$inflight bytes in flight between server and stalled client (bound $INFLIGHT_MAX)"

    peer_wait slow 120
    [ "$WAIT_RC" = 0 ] || { peer_err slow >&2; fail "client failed after the pause"; }
    peer_wait big 30
    [ "$WAIT_RC" = 0 ] || { peer_err big >&2; fail "server failed"; }
    check_pair "slow reader" slow big 0 "$SIZE"
    wait_for_line "$MPTND_LOG" "closed: reason=done .*down=$SIZE" 5 || fail "no 'reason=done ... down=$SIZE' close line"
    splice_effect_check "$pipes0"
    mptnd_stop_clean
    mode_pass "RSS growth ${growth} kB <= ${SLACK_KB} kB, server +$sent_growth bytes, $inflight in flight during a ${PAUSE} s stall; 256 MiB digest matches"
}

run_splice_modes slowreader_mode
pass "backpressure in each splice mode: $SPLICE_MODES"

#!/usr/bin/env bash
# slowreader.sh - backpressure (RELIABILITY R2).  The server offers 256 MiB;
# the client reads 1 MiB, then stops reading for PAUSE (5) seconds.  mptnd runs
# with "buffer 64k", so while the client is stalled its RSS must stay within
# baseline + 8 MiB (the bound this test states: the relay may hold at most a
# few 64 KiB buffers per direction; everything else must stay in the kernel's
# socket buffers, and the server's send() must block), and the server must not
# have finished sending.  After the pause the client reads the rest and the
# SHA-256 of the 256 MiB matches.  Baseline = RSS after a warm-up of 4
# concurrent 1 MiB transfers through the same daemon.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

SIZE=$(bytes 256m)
PAUSE=${SLOWREADER_PAUSE:-5}
SLACK_KB=${SLOWREADER_SLACK_KB:-8192}      # baseline + 8 MiB
# Under AddressSanitizer freed chunks sit in a quarantine (256 MiB by default),
# which would count as RSS growth here without any leak; keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

start_peer big tcp:127.0.0.1:0 xfer "$SIZE" --timeout 120
start_peer warm tcp:127.0.0.1:0 xfer 1m --conc --count 4 --timeout 60
P=$(pick_port); W=$(pick_port)

cat > "$T/mptnd.conf" <<EOF
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
EOF
start_mptnd -f "$T/mptnd.conf"

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
max=0; n=0
while fcmp "$(fsub "$(now_s)" "$t_pause") < $PAUSE - 0.6"; do
    r=$(rss_kb "$MPTND_PID")
    grep -q '^resumed' "$T/slow.out" && break     # only samples taken during the stall count
    [ "$r" -gt "$max" ] && max=$r
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

peer_wait slow 120
[ "$WAIT_RC" = 0 ] || { peer_err slow >&2; fail "client failed after the pause"; }
peer_wait big 30
[ "$WAIT_RC" = 0 ] || { peer_err big >&2; fail "server failed"; }
check_pair "slow reader" slow big 0 "$SIZE"
wait_for_line "$MPTND_LOG" "closed: reason=done .*down=$SIZE" 5 || fail "no 'reason=done ... down=$SIZE' close line"
pass "RSS growth ${growth} kB <= ${SLACK_KB} kB during a ${PAUSE} s stall; 256 MiB digest matches"

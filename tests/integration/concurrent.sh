#!/usr/bin/env bash
# concurrent.sh - 1,000 concurrent connections through one listener to an echo
# server, each with its own 64-byte message echoed back and compared, all open
# at the same time (mptnd holds >= 2,000 more fds while they are open); after
# they close, mptnd's fd count returns to its baseline (taken after a warm-up
# of 20 connections) within 5 s and every bridge logs a close line.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

N=${CONCURRENT_N:-1000}
WARM=20

start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 170
P=$(pick_port)
start_mptnd --listen tcp://127.0.0.1:$P --target tcp://127.0.0.1:${PEER_PORT[echo]}

run_client warm tcp:127.0.0.1:$P many "$WARM" --timeout 30 ||
    { peer_out warm >&2; fail "warm-up of $WARM connections failed"; }
wait_for_count "$MPTND_LOG" 'closed: ' "$WARM" 10 || fail "warm-up bridges did not all close"
sleep 0.3
base=$(fd_count "$MPTND_PID")
log "baseline: $base fds after $WARM warm-up connections"

# hold them 1 s after all are verified so the fd count can be seen at its peak
start_client many tcp:127.0.0.1:$P many "$N" --hold 1 --timeout 120
wait_for_line "$T/many.out" '^many ' 120 "${PEER_PID[many]}" ||
    { peer_err many >&2; fail "the $N-connection client did not finish"; }
peak=$(fd_count "$MPTND_PID")
l=$(out_line many '^many ')
[ "$(field ok "$l")" = "$N" ] || fail "not every connection echoed: $l"
peer_wait many 10
[ "$WAIT_RC" = 0 ] || { peer_err many >&2; fail "client exit $WAIT_RC: $l"; }
log "$N concurrent echoes verified in $(field t_total "$l") s; mptnd fds at peak: $peak"
[ "$peak" -ge $((base + 2 * N)) ] ||
    fail "mptnd had only $peak fds with $N connections open (baseline $base): they were not relayed concurrently"

ok=
for _ in $(seq 1 50); do
    now=$(fd_count "$MPTND_PID")
    if [ "$now" -le "$base" ]; then ok=1; break; fi
    sleep 0.1
done
[ -n "$ok" ] || fail "fd count $now did not return to baseline $base within 5 s"
wait_for_count "$MPTND_LOG" 'closed: ' $((WARM + N)) 5 ||
    fail "only $(count_lines "$MPTND_LOG" 'closed: ') of $((WARM + N)) close lines"
[ "$(count_lines "$MPTND_LOG" 'closed: reason=done')" -ge $((WARM + N)) ] ||
    fail "not every bridge closed with reason=done"
mptnd_alive || fail "mptnd died"
pass "$N concurrent, fds $base -> $peak -> $now"

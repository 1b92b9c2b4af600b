#!/usr/bin/env bash
# sctp-abort.sh - how the ends of a connection cross two mptnd nodes joined by
# SCTP (node A: max-message 64k, node B: max-message 1m).
#  1. oversized record from the byte stream: a framing=length record of
#     100,000 bytes into A is refused ("exceeds max-message", a warning);
#     A aborts the association, B sees it lost, and the server behind B and
#     the client both see their connection closed.
#  2. oversized message from the peer: the server behind B sends a 100,000
#     byte record, which B (1m) passes on as one SCTP message and A (64k)
#     refuses with a warning and an ABORT; both ends see the close.
#  3. the client resets mid-transfer: A's core closes the socket pair; A
#     reads EOF (and may send its end of stream) and then a full close, and
#     shuts the association down gracefully, never with an ABORT; B ends it
#     gracefully too and the server sees its connection closed.
#  4. half-close=close, shutdown from either side: the client's EOF becomes a
#     SHUTDOWN (the server gets 1 MiB then EOF), and the server's EOF becomes
#     a SHUTDOWN (the client gets 1 MiB then EOF).
#  5. a target whose SCTP port nobody listens on is refused at once (B's
#     stack answers the INIT with an ABORT; B already knows A's UDP address),
#     and mptnd fails over to the next target, which works.
#  6. node B dies (SIGKILL: no ABORT is ever sent) under an idle association:
#     A's heartbeats (every 1s) go unanswered; after max-retrans 4 of them
#     the association is lost and the client sees its connection closed
#     within SCTP_LOST_BOUND s (default 15; about 5 s expected).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

HC=$(bytes 1m)
LOST_BOUND=${SCTP_LOST_BOUND:-15}
ua=$(pick_udp_port); ub=$(pick_udp_port)
s1=$(pick_port); s2=$(pick_port); s3=$(pick_port); s4=$(pick_port); s5=$(pick_port); s6=$(pick_port)
s7=$(pick_port); nobody=$(pick_port)
f1=$(pick_port); f2=$(pick_port); f3=$(pick_port); f4=$(pick_port); f5=$(pick_port); f6=$(pick_port)
f7=$(pick_port)

start_peer srv1 tcp:127.0.0.1:0 hold --report-close --timeout 30
start_sctprec srv2 127.0.0.1 0 --framing length --raw-header 100000 --wait-close --timeout 30
start_peer srv3 tcp:127.0.0.1:0 xfer 8m --report-close --timeout 30
start_peer srv4 tcp:127.0.0.1:0 reply-after-eof 0 --timeout 30
start_peer srv5 tcp:127.0.0.1:0 xfer "$HC" --seed 2 --timeout 30
start_peer srv6 tcp:127.0.0.1:0 hold --timeout 60
start_peer srv7 tcp:127.0.0.1:0 xfer 64k --seed 2 --timeout 30

sctp_conf "$T/b.conf" "$ub" "sctp: max-message 1m" \
    "listener b1 { listen \"sctp://127.0.0.1:$s1?peer=mptnd&framing=length\"; target tcp://127.0.0.1:${PEER_PORT[srv1]} }" \
    "listener b2 { listen \"sctp://127.0.0.1:$s2?peer=mptnd&framing=length\"; target tcp://127.0.0.1:${PEER_PORT[srv2]} }" \
    "listener b3 { listen \"sctp://127.0.0.1:$s3?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[srv3]} }" \
    "listener b4 { listen \"sctp://127.0.0.1:$s4?half-close=close\"; target tcp://127.0.0.1:${PEER_PORT[srv4]} }" \
    "listener b5 { listen \"sctp://127.0.0.1:$s5?half-close=close\"; target tcp://127.0.0.1:${PEER_PORT[srv5]} }" \
    "listener b6 { listen \"sctp://127.0.0.1:$s6?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[srv6]} }" \
    "listener b7 { listen \"sctp://127.0.0.1:$s7?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[srv7]} }"
sctp_conf "$T/a.conf" "$ua" "sctp: max-message 64k" "sctp: max-retrans 4" \
    "listener a1 { listen tcp://127.0.0.1:$f1; target \"sctp://127.0.0.1:$s1?udp=$ub&peer=mptnd&framing=length\" }" \
    "listener a2 { listen tcp://127.0.0.1:$f2; target \"sctp://127.0.0.1:$s2?udp=$ub&peer=mptnd&framing=length\" }" \
    "listener a3 { listen tcp://127.0.0.1:$f3; target \"sctp://127.0.0.1:$s3?udp=$ub&peer=mptnd\" }" \
    "listener a4 { listen tcp://127.0.0.1:$f4; target \"sctp://127.0.0.1:$s4?udp=$ub&half-close=close\" }" \
    "listener a5 { listen tcp://127.0.0.1:$f5; target \"sctp://127.0.0.1:$s5?udp=$ub&half-close=close\" }" \
    "listener a6 { listen tcp://127.0.0.1:$f6; target \"sctp://127.0.0.1:$s6?udp=$ub&peer=mptnd\" }" \
    "listener a7 { listen tcp://127.0.0.1:$f7; target \"sctp://127.0.0.1:$nobody?udp=$ub\" \"sctp://127.0.0.1:$s7?udp=$ub&peer=mptnd\"; connect-timeout 5s }"
node_start b "$T/b.conf"
node_start a "$T/a.conf"
LA=$(node_log a) LB=$(node_log b)

# 1. oversized record from the byte stream, refused by A
sctprec connect 127.0.0.1 "$f1" --framing length --raw-header 100000 --wait-close --timeout 15 \
    > "$T/c1.out" 2> "$T/c1.err" || true
grep -q "close=\(eof\|reset\)" "$T/c1.out" || fail "1: the client did not see a close: $(cat "$T/c1.out")"
wait_for_line "$LA" "warning: sctp assoc [0-9]+ .*: aborted \\(record from the byte stream exceeds max-message \\(65536 bytes\\): refused\\)" 5 ||
    fail "1: node A did not log the refused record"
wait_for_line "$T/srv1.out" "^peer-closed" 10 || fail "1: the server behind B did not see its connection close"
wait_for_line "$LB" "sctp assoc [0-9]+ .*: closed \\(lost" 5 || fail "1: node B did not see the association lost"
log "1: a 100000-byte record into A (max-message 64k) refused and aborted; B lost it; both ends closed ($(out_line srv1 '^peer-closed' | cut -d' ' -f3), client $(sed -n 's/.*close=\([a-z]*\).*/\1/p' "$T/c1.out"))"

# 2. oversized message from the peer, refused by A
run_client c2 tcp:127.0.0.1:$f2 wait-close --timeout 15 || true
grep -q '^closed how=\(eof\|reset\)' "$T/c2.out" || fail "2: the client did not see a close: $(peer_out c2)"
wait_for_line "$LA" "warning: sctp assoc [0-9]+ .*: aborted \\(message from the peer exceeds max-message \\(65536 bytes\\): refused\\)" 5 ||
    fail "2: node A did not log the refused message"
peer_wait srv2 10
grep -q "close=\(eof\|reset\)" "$T/srv2.out" || fail "2: the server did not see a close: $(cat "$T/srv2.out")"
log "2: a 100000-byte message from B refused by A (64k) and aborted; both ends closed"

# 3. client reset mid-transfer: a graceful SHUTDOWN, the server sees the close
run_client c3 tcp:127.0.0.1:$f3 xfer 8m --rst-after 1m --timeout 15 || true
grep -q '^rst ' "$T/c3.out" || fail "3: the client did not reset: $(peer_out c3)"
wait_for_line "$T/srv3.out" "^peer-closed" 10 || fail "3: the server did not see its connection close"
wait_for_line "$LA" "sctp assoc [0-9]+ .*: closed \\(shut down\\)" 15 ||
    { grep "sctp assoc" "$LA" >&2; fail "3: A did not shut the association down"; }
wait_for_line "$LB" "sctp assoc [0-9]+ .*: closed \\(shut down" 15 ||
    { grep "sctp assoc" "$LB" >&2; fail "3: B did not end the association gracefully"; }
log "3: client reset: A and B shut the association down gracefully, server saw $(out_line srv3 '^peer-closed' | cut -d' ' -f3)"

# 4. half-close=close: a shutdown from either side ends the other side after the data
run_client c4 tcp:127.0.0.1:$f4 xfer "$HC" --timeout 15 || { peer_err c4 >&2; fail "4: client failed"; }
peer_wait srv4 10
check_pair "4: client shutdown" c4 srv4 "$HC" 0
run_client c5 tcp:127.0.0.1:$f5 reply-after-eof 0 --timeout 15 || { peer_err c5 >&2; fail "4: client failed"; }
peer_wait srv5 10
check_pair "4: server shutdown" c5 srv5 0 "$HC"
log "4: half-close=close: client EOF -> SHUTDOWN -> server got $HC + EOF; server EOF -> SHUTDOWN -> client got $HC + EOF"

grep -q "sctp assoc .*aborted" "$LB" && fail "node B aborted an association (only A should have)"

# 5. refused, then failover
t0=$(now_s)
run_client c7 tcp:127.0.0.1:$f7 xfer 64k --timeout 20 || { peer_err c7 >&2; fail "5: client failed"; }
t1=$(now_s)
peer_wait srv7 10
check_pair "5: failover after a refusal" c7 srv7 65536 65536
wait_for_line "$LA" "target sctp://127.0.0.1:$nobody: association refused" 5 ||
    fail "5: A did not log the refused target"
fcmp "$(fsub "$t1" "$t0") < 2.5" || fail "5: the refusal took $(fsub "$t1" "$t0") s (a timeout, not an ABORT?)"
log "5: sctp port $nobody refused (ABORT), failover to the next target in $(fsub "$t1" "$t0") s"

# 6. node B dies without a word
start_client c6 tcp:127.0.0.1:$f6 wait-close --timeout 60
wait_for_line "$LB" "bridge [0-9]+ \\[b6\\]: connected" 5 || fail "6: the association to B did not come up"
sleep 0.3
disown "${NODE_PID[b]}" 2>/dev/null || true     # no "Killed" job notice
kill -KILL "${NODE_PID[b]}"
t0=$(now_s)
peer_wait c6 "$((LOST_BOUND + 5))"
t1=$(now_s)
grep -q '^closed how=\(eof\|reset\)' "$T/c6.out" || fail "6: the client did not see a close: $(peer_out c6)"
fcmp "$(fsub "$t1" "$t0") <= $LOST_BOUND" || fail "6: the close took $(fsub "$t1" "$t0") s, bound $LOST_BOUND s"
wait_for_line "$LA" "sctp assoc [0-9]+ .*: closed \\(lost" 5 || fail "6: A did not log the association lost"
log "6: B killed: A lost the association and the client saw $(sed -n 's/^closed how=\([a-z]*\).*/\1/p' "$T/c6.out") after $(fsub "$t1" "$t0") s"

node_stop a
pass "refused oversize both ways with ABORT, reset -> SHUTDOWN, half-close=close both ways, refusal and failover, peer death detected"

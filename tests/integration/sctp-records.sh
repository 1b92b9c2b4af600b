#!/usr/bin/env bash
# sctp-records.sh - record boundaries survive tcp -> sctp -> tcp when both
# nodes use a length framing: each record of the byte stream becomes one SCTP
# message and, at the far node, one record again.  tests/sctprec.py makes the
# records (sizes uniform in 1 B..64 KiB, seeded) and checks every record's
# size and SHA-256 at the other end.
#  1. framing=length: SCTP_RECORDS (default 10,000) records from the client
#     through A and B to the checker, and as many from the checker back to
#     the client, on one connection at once (peer=mptnd).
#  2. framing=length-sid: 2,000 records each way spread over 8 streams with
#     random PPIDs; stream id and PPID must arrive as sent, and order is
#     checked per stream (SCTP orders within a stream only).
#  3. tcp -> sctp -> unix-seqpacket: SCTP_RECORDS records framed with
#     framing=length over TCP arrive at a unix-seqpacket server as one
#     message each (B: unix-seqpacket?framing=length target), and as many
#     messages from that server arrive back at the client as records.
#  4. SCTP -> TCP -> SCTP: length-sid through four nodes, A -> B over SCTP,
#     B -> C over TCP (framed records), C -> D over SCTP: 2,000 records each
#     way on 8 streams keep stream ids, PPIDs and boundaries end to end.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

N=${SCTP_RECORDS:-10000}
NSID=2000

ua=$(pick_udp_port); ub=$(pick_udp_port)
s1=$(pick_port); s2=$(pick_port); f1=$(pick_port); f2=$(pick_port)
s3=$(pick_port); f3=$(pick_port); Q=$(sock_path seqpacket); track_file "$Q"
uc=$(pick_udp_port); ud=$(pick_udp_port); s4=$(pick_port); f4=$(pick_port); m4=$(pick_port); s5=$(pick_port)

start_sctprec r1 127.0.0.1 0 --framing length --expect "$N" --expect-seed 11 \
    --send "$N" --send-seed 12 --timeout 150
start_sctprec r2 127.0.0.1 0 --framing length-sid --streams 8 --expect "$NSID" --expect-seed 21 \
    --send "$NSID" --send-seed 22 --timeout 100
start_sctprec r4 127.0.0.1 0 --framing length-sid --streams 8 --expect "$NSID" --expect-seed 41 \
    --send "$NSID" --send-seed 42 --timeout 100

sctp_conf "$T/b.conf" "$ub" \
    "listener b1 { listen \"sctp://127.0.0.1:$s1?peer=mptnd&framing=length\"; target tcp://127.0.0.1:${PEER_PORT[r1]} }" \
    "listener b2 { listen \"sctp://127.0.0.1:$s2?peer=mptnd&framing=length-sid\"; target tcp://127.0.0.1:${PEER_PORT[r2]} }" \
    "listener b3 { listen \"sctp://127.0.0.1:$s3?peer=mptnd&framing=length\"; target \"unix-seqpacket:$Q?framing=length\" }" \
    "listener b4 { listen \"sctp://127.0.0.1:$s4?peer=mptnd&framing=length-sid\"; target tcp://127.0.0.1:$m4 }"
sctp_conf "$T/a.conf" "$ua" \
    "listener a1 { listen tcp://127.0.0.1:$f1; target \"sctp://127.0.0.1:$s1?udp=$ub&peer=mptnd&framing=length\" }" \
    "listener a2 { listen tcp://127.0.0.1:$f2; target \"sctp://127.0.0.1:$s2?udp=$ub&peer=mptnd&framing=length-sid\" }" \
    "listener a3 { listen tcp://127.0.0.1:$f3; target \"sctp://127.0.0.1:$s3?udp=$ub&peer=mptnd&framing=length\" }" \
    "listener a4 { listen tcp://127.0.0.1:$f4; target \"sctp://127.0.0.1:$s4?udp=$ub&peer=mptnd&framing=length-sid\" }"
sctp_conf "$T/c.conf" "$uc" \
    "listener c4 { listen tcp://127.0.0.1:$m4; target \"sctp://127.0.0.1:$s5?udp=$ud&peer=mptnd&framing=length-sid\" }"
sctp_conf "$T/d.conf" "$ud" \
    "listener d4 { listen \"sctp://127.0.0.1:$s5?peer=mptnd&framing=length-sid\"; target tcp://127.0.0.1:${PEER_PORT[r4]} }"
node_start d "$T/d.conf"
node_start c "$T/c.conf"
node_start b "$T/b.conf"
node_start a "$T/a.conf"

t0=$(now_s)
sctprec connect 127.0.0.1 "$f1" --framing length --send "$N" --send-seed 11 \
    --expect "$N" --expect-seed 12 --timeout 150 > "$T/c1.out" 2> "$T/c1.err" ||
    { cat "$T/c1.out" "$T/c1.err" >&2; fail "framing=length: client check failed"; }
t1=$(now_s)
peer_wait r1 20
[ "$WAIT_RC" = 0 ] || { cat "$T/r1.out" "$T/r1.err" >&2; fail "framing=length: server check failed"; }
grep -q "^done ok sent=$N .*recv=$N " "$T/c1.out" || fail "client: $(cat "$T/c1.out")"
grep -q "^done ok sent=$N .*recv=$N " "$T/r1.out" || fail "server: $(cat "$T/r1.out")"
log "framing=length: $N records each way, sizes and digests match ($(fsub "$t1" "$t0") s): $(cat "$T/c1.out")"

sctprec connect 127.0.0.1 "$f2" --framing length-sid --streams 8 --send "$NSID" --send-seed 21 \
    --expect "$NSID" --expect-seed 22 --timeout 100 > "$T/c2.out" 2> "$T/c2.err" ||
    { cat "$T/c2.out" "$T/c2.err" >&2; fail "framing=length-sid: client check failed"; }
peer_wait r2 20
[ "$WAIT_RC" = 0 ] || { cat "$T/r2.out" "$T/r2.err" >&2; fail "framing=length-sid: server check failed"; }
log "framing=length-sid: $NSID records each way on 8 streams, stream ids, PPIDs and digests match"

start_sctprec r3 "$Q" 0 --seqpacket --expect "$N" --expect-seed 31 --send "$N" --send-seed 32 --timeout 150
sctprec connect 127.0.0.1 "$f3" --framing length --send "$N" --send-seed 31 \
    --expect "$N" --expect-seed 32 --timeout 150 > "$T/c3.out" 2> "$T/c3.err" ||
    { cat "$T/c3.out" "$T/c3.err" >&2; fail "tcp -> unix-seqpacket: client check failed"; }
peer_wait r3 20
[ "$WAIT_RC" = 0 ] || { cat "$T/r3.out" "$T/r3.err" >&2; fail "tcp -> unix-seqpacket: server check failed"; }
grep -q "^done ok sent=$N .*recv=$N " "$T/r3.out" || fail "seqpacket server: $(cat "$T/r3.out")"
log "tcp -> sctp -> unix-seqpacket: $N records arrived as $N messages, and $N messages back as records"

sctprec connect 127.0.0.1 "$f4" --framing length-sid --streams 8 --send "$NSID" --send-seed 41 \
    --expect "$NSID" --expect-seed 42 --timeout 100 > "$T/c4.out" 2> "$T/c4.err" ||
    { cat "$T/c4.out" "$T/c4.err" >&2; fail "SCTP -> TCP -> SCTP: client check failed"; }
peer_wait r4 20
[ "$WAIT_RC" = 0 ] || { cat "$T/r4.out" "$T/r4.err" >&2; fail "SCTP -> TCP -> SCTP: server check failed"; }
log "SCTP -> TCP -> SCTP (four nodes): $NSID records each way on 8 streams, stream ids, PPIDs and digests match"

for x in c d; do
    node_use $x
    wait_for_count "$MPTND_LOG" "closed: reason=done" 1 10 || fail "node $x: expected a 'reason=done' line"
    grep -q "sctp assoc .*aborted" "$MPTND_LOG" && fail "node $x: an association was aborted"
    node_stop $x
done
for x in a b; do
    node_use $x
    wait_for_count "$MPTND_LOG" "closed: reason=done" 4 10 || fail "node $x: expected 4 'reason=done' lines"
    grep -q "sctp assoc .*aborted" "$MPTND_LOG" && fail "node $x: an association was aborted"
done
node_stop a
node_stop b
pass "record boundaries kept through two nodes: length ($N each way), length-sid ($NSID each way, 8 streams), to unix-seqpacket ($N each way), SCTP -> TCP -> SCTP ($NSID each way)"

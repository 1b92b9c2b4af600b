#!/usr/bin/env bash
# sctp-safety.sh - the UDP backend's defences against datagrams from strangers
# (issue 6, "Safety"), on node B of a two-node chain.
#  1. B's UDP socket is bound to the configured address (127.0.0.1 by
#     default), never the wildcard.
#  2. 500 datagrams that do not start an association (random bytes, and SCTP
#     packets whose first chunk is not an INIT) create no peer: B counts them
#     as dropped and the chain still works.
#  3. 200 INITs from 200 source ports at once: at most the burst (100) become
#     peers, the rest are refused by the rate limit with a warning; the 100
#     or so peers that never formed an association are deregistered after 30 s idle
#     (US_PEER_IDLE_MS), and a real connection gets through afterwards.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

ua=$(pick_udp_port); ub=$(pick_udp_port); s1=$(pick_port); f1=$(pick_port)
start_peer echo tcp:127.0.0.1:0 echo --conc --count 0 --timeout 120
sctp_conf "$T/b.conf" "$ub" \
    "listener b { listen \"sctp://127.0.0.1:$s1?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[echo]} }"
sctp_conf "$T/a.conf" "$ua" \
    "listener a { listen tcp://127.0.0.1:$f1; target \"sctp://127.0.0.1:$s1?udp=$ub&peer=mptnd\" }"
node_start b "$T/b.conf"
node_start a "$T/a.conf"

# ---- 1. bound where configured --------------------------------------------------------
bound=$(ss -Hlun "sport = :$ub" | awk '{ print $4 }' | sort -u | paste -sd ' ')
[ "$bound" = "127.0.0.1:$ub" ] || fail "B's UDP socket is bound to '$bound', want 127.0.0.1:$ub only"
run_client e0 "tcp:127.0.0.1:$f1" many 3 --timeout 20 || fail "no echo through the chain: $(peer_out e0)"
log "UDP bound to $bound; the chain echoes"

# strangers.py MODE PORT SCTP_PORT: datagrams from fresh sockets to 127.0.0.1:PORT.
cat > "$T/strangers.py" <<'EOF'
import os, random, socket, struct, sys
mode, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(7)
socks = []
if mode == "junk":          # random bytes, and SCTP packets that do not start with an INIT
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(500):
        if i % 2:
            pkt = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 200)))
            if len(pkt) > 12 and pkt[12] == 1:
                pkt = pkt[:12] + b"\x00" + pkt[13:]
        else:               # a DATA chunk (type 0) to the listening port
            pkt = struct.pack(">HHII", 5000, sport, rnd.getrandbits(32), 0) + \
                struct.pack(">BBH", 0, 3, 20) + os.urandom(16)
        s.sendto(pkt, ("127.0.0.1", port))
    print("sent 500")
else:                       # one INIT (bad checksum) from each of 200 source ports
    for i in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        init = struct.pack(">BBHIIHHI", 1, 0, 20, rnd.getrandbits(32) | 1, 65536, 10, 10,
                           rnd.getrandbits(32))
        s.sendto(struct.pack(">HHII", 5000 + i, sport, 0, 0) + init, ("127.0.0.1", port))
        socks.append(s)
    print("sent 200")
EOF

# ---- 2. datagrams that start nothing --------------------------------------------------
node_use b
python3 "$T/strangers.py" junk "$ub" "$s1" > /dev/null
wait_for_line "$MPTND_LOG" "sctp: dropped [0-9]+ datagrams from unknown sources" 10 ||
    fail "B did not report the dropped datagrams"
dropped=$(grep -Eo "dropped [0-9]+ datagrams from unknown" "$MPTND_LOG" | awk '{ s += $2 } END { print s }')
[ "$dropped" -ge 500 ] || fail "B dropped $dropped datagrams from unknown sources, want 500"
grep -q "sctp: peer .* idle, deregistered" "$MPTND_LOG" && fail "a peer was made from a non-INIT datagram"
run_client e1 "tcp:127.0.0.1:$f1" many 3 --timeout 20 || fail "no echo after the junk: $(peer_out e1)"
log "500 junk datagrams dropped without a peer; the chain still echoes"

# ---- 3. an INIT flood -----------------------------------------------------------------
mark=$(log_mark)
python3 "$T/strangers.py" init "$ub" "$s1" > /dev/null
wait_for_line "$MPTND_LOG" "new peers arrive faster than 50/s; INIT dropped" 10 ||
    fail "no rate-limit warning for 200 INITs at once"
run_client e2 "tcp:127.0.0.1:$f1" many 3 --timeout 20 || fail "no echo during the INIT flood: $(peer_out e2)"
wait_for_count "$MPTND_LOG" "sctp: peer 127.0.0.1 udp [0-9]+ idle, deregistered" 100 45 ||
    fail "the flood's peers were not deregistered after 30 s idle"
freed=$(log_since "$mark" | grep -Ec "sctp: peer 127.0.0.1 udp [0-9]+ idle, deregistered")
[ "$freed" -le 110 ] || fail "$freed flood peers were made; the burst is 100"
run_client e3 "tcp:127.0.0.1:$f1" many 3 --timeout 20 || fail "no echo after the flood: $(peer_out e3)"
log "200 INITs at once: $freed peers made (burst 100, 50/s), the rest refused with a warning; all deregistered when idle; the chain still echoes"

node_stop a
node_stop b
pass

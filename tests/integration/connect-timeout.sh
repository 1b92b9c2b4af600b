#!/usr/bin/env bash
# connect-timeout.sh - a black-holed target times out after connect-timeout
# (RELIABILITY R3).  Everything runs inside a network namespace made for this
# test (mptnd-ct-PID, only lo, up), where an nftables rule drops SYNs to port
# 20001 silently (no RST), so a connect there hangs.
#  1. listener "fo": targets 20001 (black hole) then a tpeer on 20002, with
#     connect-timeout 1s: a 64 KiB transfer each way is relayed with matching
#     SHA-256 and the first byte from the server reaches the client after
#     0.8-3 s (the time spent on the black hole).
#  2. listener "bh": only the black hole, connect-timeout 1s: the client's
#     connection is closed with no data after 0.8-3 s, and the log says
#     connect-failed or timeout.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

require_netns
command -v nft >/dev/null || skip "nftables (nft) not installed"

NS=mptnd-ct-$$
make_netns "$NS"
MPTND_PREFIX=(ip netns exec "$NS")
PEER_PREFIX=(ip netns exec "$NS")
SIZE=$(bytes 64k)
BH=20001 GOOD=20002 L1=20010 L2=20011     # a private namespace: no collisions

ip netns exec "$NS" nft -f - <<EOF || fail "nft rules failed"
table inet mptnd_ct {
    chain input {
        type filter hook input priority filter; policy accept;
        tcp dport $BH tcp flags & (syn | ack) == syn counter drop
    }
}
EOF

# the black hole must hang, not refuse
run_client probe tcp:127.0.0.1:$BH probe --timeout 1 && fail "black-holed port $BH accepted a connection"
grep -q '^probe=timeout' "$T/probe.out" || fail "port $BH is not black-holed: $(peer_out probe)"

start_peer srv tcp:127.0.0.1:$GOOD xfer "$SIZE" --timeout 60
cat > "$T/mptnd.conf" <<EOF
listener fo {
    listen tcp://127.0.0.1:$L1
    target tcp://127.0.0.1:$BH tcp://127.0.0.1:$GOOD
    connect-timeout 1s
}
listener bh {
    listen tcp://127.0.0.1:$L2
    target tcp://127.0.0.1:$BH
    connect-timeout 1s
}
EOF
start_mptnd -f "$T/mptnd.conf"

run_client cli tcp:127.0.0.1:$L1 xfer "$SIZE" --timeout 30 ||
    { peer_err cli >&2; fail "client through listener fo failed"; }
peer_wait srv 10
[ "$WAIT_RC" = 0 ] || { peer_err srv >&2; fail "server failed"; }
check_pair "black hole then good target" cli srv "$SIZE" "$SIZE"
t_first=$(field t_first "$(done_line cli)")
fcmp "$t_first >= 0.8 && $t_first <= 3.0" ||
    fail "relayed to the second target after ${t_first} s, want 0.8-3 s (connect-timeout 1s)"
log "black hole skipped after connect-timeout: first byte at ${t_first} s, 64 KiB each way ok"

run_client bh tcp:127.0.0.1:$L2 wait-close --timeout 15 ||
    { peer_out bh >&2; peer_err bh >&2; fail "black-hole-only listener: the client never saw a close"; }
l=$(out_line bh '^closed')
[ "$(field recv "$l")" = 0 ] || fail "black-hole-only listener sent data: $l"
t=$(field t_total "$l")
fcmp "$t >= 0.8 && $t <= 3.0" || fail "black-hole-only listener closed after ${t} s, want 0.8-3 s"
wait_for_line "$MPTND_LOG" 'connect-failed|timeout' 5 || fail "log does not say connect-failed/timeout"
log "black-hole-only: client closed after ${t} s ($(field how "$l")), log says connect-failed/timeout"

drops=$(ip netns exec "$NS" nft list chain inet mptnd_ct input | sed -n 's/.*packets \([0-9]*\).*/\1/p')
log "nftables dropped ${drops:-?} SYN(s) to port $BH"
mptnd_alive || fail "mptnd died"
pass

#!/usr/bin/env bash
# sctp-loss.sh - SCTP recovers from packet loss between two mptnd nodes.
# Both nodes run in a network namespace made for this test (lo only), where
# an nftables rule drops 5% of the UDP encapsulation packets, at random,
# both ways (numgen random mod 100 < 5; netem is not built here).  With the
# test timers (rto-min 20ms, rto-initial 100ms, rto-max 400ms, heartbeat 1s)
# a transfer of SCTP_LOSS_BYTES (default 16 MiB) each way at once, tcp ->
# sctp -> tcp with peer=mptnd, must arrive intact (SHA-256 both ways) within
# SCTP_LOSS_BOUND seconds (default 60), and nftables must really have dropped
# packets.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sctp-lib.sh"

require_netns
command -v nft >/dev/null || skip "nftables (nft) not installed"

NS=mptnd-sl-$$
make_netns "$NS"
MPTND_PREFIX=(ip netns exec "$NS")
PEER_PREFIX=(ip netns exec "$NS")
UA=19911 UB=19912 S=5001 F=20001        # a private namespace: no collisions
SIZE=$(bytes "${SCTP_LOSS_BYTES:-16m}")
BOUND=${SCTP_LOSS_BOUND:-60}
LOSS=${SCTP_LOSS_PERCENT:-5}

ip netns exec "$NS" nft -f - <<EOF || fail "nft rules failed"
table inet mptnd_sl {
    chain input {
        type filter hook input priority filter; policy accept;
        udp dport { $UA, $UB } numgen random mod 100 < $LOSS counter drop
    }
}
EOF

start_peer srv tcp:127.0.0.1:0 xfer "$SIZE" --timeout "$BOUND" --seed 2
sctp_conf "$T/b.conf" "$UB" \
    "listener b { listen \"sctp://127.0.0.1:$S?peer=mptnd\"; target tcp://127.0.0.1:${PEER_PORT[srv]} }"
sctp_conf "$T/a.conf" "$UA" \
    "listener a { listen tcp://127.0.0.1:$F; target \"sctp://127.0.0.1:$S?udp=$UB&peer=mptnd\" }"
node_start b "$T/b.conf"
node_start a "$T/a.conf"

t0=$(now_s)
run_client cli tcp:127.0.0.1:$F xfer "$SIZE" --timeout "$BOUND" --seed 1 ||
    { peer_err cli >&2; fail "the transfer did not finish within $BOUND s at $LOSS% loss"; }
t1=$(now_s)
peer_wait srv 10
[ "$WAIT_RC" = 0 ] || { peer_err srv >&2; fail "server failed"; }
check_pair "$LOSS% loss" cli srv "$SIZE" "$SIZE"
drops=$(ip netns exec "$NS" nft list chain inet mptnd_sl input | sed -n 's/.*packets \([0-9]*\).*/\1/p')
[ "${drops:-0}" -gt 0 ] || fail "nftables dropped nothing: the loss rule did not apply"
log "$SIZE bytes each way at $LOSS% loss: intact in $(fsub "$t1" "$t0") s (bound $BOUND s), nftables dropped $drops packets"
node_stop a
node_stop b
pass "$LOSS% random loss: $SIZE bytes each way intact within $BOUND s"

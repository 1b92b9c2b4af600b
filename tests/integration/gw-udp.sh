#!/usr/bin/env bash
# gw-udp.sh - SOCKS5 UDP ASSOCIATE through mptnd's SOCKS gateway: datagrams
# to an IPv4 destination and to a name reach a UDP echo of the test's own and
# the answers come back framed; a fragment is dropped; the association ends
# with its control connection. The client is tests/socks5-udp.py.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
proxy=$(pick_port)
echo_port=$(pick_port)
start_mptnd -v --listen "tcp://127.0.0.1:$proxy" --gateway socks
timeout 20 python3 "$srcdir/tests/socks5-udp.py" "$proxy" "$echo_port" >"$T/client.out" 2>&1 ||
	{ cat "$T/client.out" >&2; fail "the UDP association client failed"; }
grep -q "association ended with control connection" "$T/client.out" || fail "client did not finish"
wait_for_line "$MPTND_LOG" "UDP association for" 5 || fail "no association in the log"
pass "UDP ASSOCIATE: IPv4 and name destinations, fragment dropped, ends with control"
